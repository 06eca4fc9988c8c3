//! Finding what exists: pages of customers, accounts and legal holds, filtered on their clear
//! columns, in id order (stable: ids never change). What depends on the policy (a customer's
//! risk and verification state) is filtered by the application.

use super::*;
use crate::{AccountQuery, CustomerQuery, HoldQuery};

/// A `WHERE` clause being built, with its bound values, `$1` upwards.
#[derive(Default)]
struct Clause {
    conds: Vec<String>,
    binds: Vec<Bound>,
}

enum Bound {
    Text(String),
    Int(i64),
}

impl Clause {
    fn mark(&mut self, b: Bound) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    fn text(&mut self, cond: &str, v: &str) {
        let m = self.mark(Bound::Text(v.to_owned()));
        self.conds.push(cond.replace('?', &m));
    }

    fn int(&mut self, cond: &str, v: i64) {
        let m = self.mark(Bound::Int(v));
        self.conds.push(cond.replace('?', &m));
    }

    /// `SELECT <cols> FROM <from> WHERE ... ORDER BY <order> LIMIT n`.
    async fn fetch(
        mut self,
        st: &SqlStore,
        head: &str,
        order: &str,
        limit: u32,
    ) -> Result<Vec<AnyRow>, StoreError> {
        let l = self.mark(Bound::Int(i64::from(limit)));
        let wh = if self.conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conds.join(" AND "))
        };
        let sql = format!("{head}{wh} ORDER BY {order} LIMIT {l}");
        let mut q = sqlx::query(&sql);
        for b in self.binds {
            q = match b {
                Bound::Text(s) => q.bind(s),
                Bound::Int(i) => q.bind(i),
            };
        }
        q.fetch_all(&st.read).await.map_err(db)
    }
}

fn plain<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    Ok(json(v)?.trim_matches('"').to_owned())
}

/// The accounts at or under a reseller account, as a subquery of ids.
const SUBTREE: &str = "WITH RECURSIVE sub(id) AS (SELECT id FROM accounts WHERE id = ? \
     UNION SELECT a.id FROM accounts a JOIN sub ON a.parent_id = sub.id) SELECT id FROM sub";

pub(super) async fn customers_page(
    st: &SqlStore,
    q: &CustomerQuery,
    after: Option<&CustomerId>,
    limit: u32,
) -> Result<Vec<CustomerSummary>, StoreError> {
    let mut c = Clause::default();
    c.conds.push("destroyed_at IS NULL".into());
    if let Some(a) = after {
        c.text("id > ?", a.as_str());
    }
    if let Some(t) = q.created_from {
        c.int("created_at >= ?", ts(t));
    }
    if let Some(t) = q.created_to {
        c.int("created_at < ?", ts(t));
    }
    if let Some(r) = &q.external_ref {
        c.text("external_ref = ?", r);
    }
    if let Some(r) = &q.reseller {
        c.text(
            &format!(
                "EXISTS (SELECT 1 FROM accounts a WHERE a.customer_id = customers.id \
                 AND a.parent_id IN ({SUBTREE}))"
            ),
            r.as_str(),
        );
    }
    let rows = c
        .fetch(st, "SELECT summary FROM customers", "id", limit)
        .await?;
    rows.iter()
        .map(|r| from_json(&get::<String>(r, "summary")?, "customer summary"))
        .collect()
}

pub(super) async fn accounts_page(
    st: &SqlStore,
    q: &AccountQuery,
    after: Option<&AccountId>,
    limit: u32,
) -> Result<Vec<Account>, StoreError> {
    let mut c = Clause::default();
    if let Some(a) = after {
        c.text("id > ?", a.as_str());
    }
    if let Some(s) = q.status {
        c.text("status = ?", s.as_str());
    }
    if let Some(k) = q.kind {
        c.text("kind = ?", &plain(&k)?);
    }
    if let Some(o) = q.offering {
        c.text("offering = ?", &plain(&o)?);
    }
    if let Some(cu) = &q.customer {
        c.text("customer_id = ?", cu.as_str());
    }
    if let Some(p) = &q.parent {
        c.text("parent_id = ?", p.as_str());
    }
    if let Some(r) = &q.under {
        c.text(&format!("parent_id IN ({SUBTREE})"), r.as_str());
    }
    let rows = c
        .fetch(st, "SELECT body FROM accounts", "id", limit)
        .await?;
    rows.iter().map(SqlStore::account_from_row).collect()
}

pub(super) async fn holds_page(
    st: &SqlStore,
    q: &HoldQuery,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<(CustomerId, LegalHold)>, StoreError> {
    let mut c = Clause::default();
    if let Some(a) = after {
        c.text("id > ?", a);
    }
    if let Some(cu) = &q.customer {
        c.text("customer_id = ?", cu.as_str());
    }
    match q.released {
        Some(true) => c.conds.push("released_at IS NOT NULL".into()),
        Some(false) => c.conds.push("released_at IS NULL".into()),
        None => {}
    }
    let rows = c
        .fetch(st, "SELECT customer_id, body FROM legal_holds", "id", limit)
        .await?;
    rows.iter()
        .map(|r| {
            let id = CustomerId::parse(&get::<String>(r, "customer_id")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok((id, from_json(&get::<String>(r, "body")?, "legal hold")?))
        })
        .collect()
}

/// The mark, in `custos_migrations`, that the backfill of migration 7 is done.
const BACKFILLED: i64 = 1007;

/// Runs the backfill of migration 7 until it has once run to the end (a backfill cut short
/// runs again at the next start), then marks it done.
pub(super) async fn backfill_once(st: &SqlStore) -> Result<(), StoreError> {
    let done = sqlx::query("SELECT version FROM custos_migrations WHERE version = $1")
        .bind(BACKFILLED)
        .fetch_optional(&st.write)
        .await
        .map_err(db)?;
    if done.is_some() {
        return Ok(());
    }
    let n = backfill_external_refs(st).await?;
    if n > 0 {
        tracing::info!(
            customers = n,
            "external references copied out of sealed records"
        );
    }
    sqlx::query(
        "INSERT INTO custos_migrations (version, name, applied_at) VALUES ($1, $2, $3) \
         ON CONFLICT (version) DO NOTHING",
    )
    .bind(BACKFILLED)
    .bind("lookups: external_ref backfilled")
    .bind(ts(Utc::now()))
    .execute(&st.write)
    .await
    .map_err(db)?;
    Ok(())
}

/// Customers made before the `external_ref` column get it from their sealed record.
async fn backfill_external_refs(st: &SqlStore) -> Result<u64, StoreError> {
    let mut after = String::new();
    let mut n = 0;
    loop {
        let rows = sqlx::query(
            "SELECT id FROM customers WHERE destroyed_at IS NULL AND external_ref IS NULL \
             AND id > $1 ORDER BY id LIMIT 500",
        )
        .bind(after.as_str())
        .fetch_all(&st.read)
        .await
        .map_err(db)?;
        let Some(last) = rows.last() else {
            return Ok(n);
        };
        after = get::<String>(last, "id")?;
        for r in &rows {
            let id = CustomerId::parse(&get::<String>(r, "id")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let c = customers::load_customer(st, &id).await?;
            let Some(reference) = c.value.external_ref else {
                continue;
            };
            let row = sqlx::query("SELECT summary, version FROM customers WHERE id = $1")
                .bind(id.as_str())
                .fetch_one(&st.read)
                .await
                .map_err(db)?;
            let mut summary: serde_json::Value =
                from_json(&get::<String>(&row, "summary")?, "customer summary")?;
            summary["external_ref"] = serde_json::Value::String(reference.clone());
            // Unless it changed meanwhile: then its save wrote the column itself.
            sqlx::query(
                "UPDATE customers SET external_ref = $1, summary = $2 WHERE id = $3 \
                 AND version = $4",
            )
            .bind(reference)
            .bind(json(&summary)?)
            .bind(id.as_str())
            .bind(get::<i64>(&row, "version")?)
            .execute(&st.write)
            .await
            .map_err(db)?;
            n += 1;
        }
    }
}

pub(super) async fn linked_customers(
    st: &SqlStore,
    id: &CustomerId,
    limit: u32,
) -> Result<Vec<(String, CustomerId)>, StoreError> {
    let rows = sqlx::query(
        "SELECT DISTINCT b2.kind AS kind, b2.customer_id AS customer_id FROM blind_index b1 \
         JOIN blind_index b2 ON b2.kind = b1.kind AND b2.digest = b1.digest \
         AND b2.customer_id <> b1.customer_id \
         WHERE b1.customer_id = $1 ORDER BY b2.customer_id, b2.kind LIMIT $2",
    )
    .bind(id.as_str())
    .bind(i64::from(limit))
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok((
                get::<String>(r, "kind")?,
                CustomerId::parse(&get::<String>(r, "customer_id")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            ))
        })
        .collect()
}

pub(super) async fn link_edges(
    st: &SqlStore,
    ids: &[CustomerId],
    cap: u32,
) -> Result<Vec<crate::LinkEdge>, StoreError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    // Each value of theirs counted (up to cap + 2: enough to know it is over), and its other
    // holders read only when it is under the cap: a value a whole NAT shares costs a count.
    let within = i64::from(cap) + 1;
    let params: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 1)).collect();
    let sql = format!(
        "WITH mine AS (SELECT m.customer_id AS customer_id, m.kind AS kind, m.digest AS digest, \
         (SELECT COUNT(*) FROM (SELECT 1 AS one FROM blind_index w WHERE w.kind = m.kind AND \
         w.digest = m.digest LIMIT {limit}) s) AS n FROM blind_index m WHERE m.customer_id IN \
         ({list})) \
         SELECT mine.customer_id AS from_id, mine.kind AS kind, mine.n AS n, b.customer_id AS \
         to_id, c.created_at AS to_created, f.created_at AS from_created FROM mine \
         JOIN customers f ON f.id = mine.customer_id \
         LEFT JOIN blind_index b ON mine.n <= {within} AND b.kind = mine.kind AND b.digest = \
         mine.digest AND b.customer_id <> mine.customer_id \
         LEFT JOIN customers c ON c.id = b.customer_id \
         WHERE mine.n > 1 ORDER BY from_id, kind, to_id",
        limit = within + 1,
        list = params.join(", "),
    );
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(id.as_str());
    }
    let rows = q.fetch_all(&st.read).await.map_err(db)?;
    let parse = |s: String| CustomerId::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()));
    rows.iter()
        .map(|r| {
            let n: i64 = get(r, "n")?;
            let to: Option<String> = get(r, "to_id")?;
            let since = match (
                get::<Option<i64>>(r, "to_created")?,
                get::<i64>(r, "from_created")?,
            ) {
                (Some(t), f) => Some(from_ts(t.max(f))?),
                (None, _) => None,
            };
            Ok(crate::LinkEdge {
                from: parse(get(r, "from_id")?)?,
                kind: get(r, "kind")?,
                to: to.map(parse).transpose()?,
                since,
                widely_shared: n > within,
            })
        })
        .collect()
}

pub(super) async fn sharers(
    st: &SqlStore,
    c: &custos_core::Customer,
    cap: u32,
) -> Result<Vec<crate::SharedValue>, StoreError> {
    let mut out = vec![];
    for (kind, value) in crate::blind::entries(c) {
        let d = crate::blind::digest(st.keyring.index_key(), kind, &value).to_vec();
        let rows = sqlx::query(
            "SELECT b.customer_id AS customer_id, c.created_at AS created_at FROM blind_index b \
             JOIN customers c ON c.id = b.customer_id WHERE b.kind = $1 AND b.digest = $2 \
             AND b.customer_id <> $3 ORDER BY b.customer_id LIMIT $4",
        )
        .bind(kind.as_str())
        .bind(d.clone())
        .bind(c.id.as_str())
        .bind(i64::from(cap) + 1)
        .fetch_all(&st.read)
        .await
        .map_err(db)?;
        if rows.is_empty() {
            continue;
        }
        let others = rows
            .iter()
            .map(|r| {
                Ok((
                    CustomerId::parse(&get::<String>(r, "customer_id")?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    from_ts(get::<i64>(r, "created_at")?)?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // Few customers are closed for abuse: read from their side.
        let abused = sqlx::query(
            "SELECT 1 AS one FROM abuse_closures x JOIN blind_index b ON b.customer_id = \
             x.customer_id WHERE b.kind = $1 AND b.digest = $2 AND b.customer_id <> $3 LIMIT 1",
        )
        .bind(kind.as_str())
        .bind(d)
        .bind(c.id.as_str())
        .fetch_optional(&st.read)
        .await
        .map_err(db)?
        .is_some();
        out.push(crate::SharedValue {
            kind: kind.as_str().to_owned(),
            others,
            abused,
        });
    }
    Ok(out)
}

pub(super) async fn mark_abuse_closure(
    st: &SqlStore,
    customer: &CustomerId,
    case_id: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO abuse_closures (customer_id, closed_at, case_id) VALUES ($1, $2, $3) \
         ON CONFLICT (customer_id) DO NOTHING",
    )
    .bind(customer.as_str())
    .bind(ts(at))
    .bind(case_id)
    .execute(&st.write)
    .await
    .map_err(db)?;
    Ok(())
}

pub(super) async fn abuse_closure(
    st: &SqlStore,
    customer: &CustomerId,
) -> Result<Option<(String, chrono::DateTime<chrono::Utc>)>, StoreError> {
    let row = sqlx::query("SELECT case_id, closed_at FROM abuse_closures WHERE customer_id = $1")
        .bind(customer.as_str())
        .fetch_optional(&st.read)
        .await
        .map_err(db)?;
    row.map(|r| {
        Ok((
            get::<String>(&r, "case_id")?,
            from_ts(get::<i64>(&r, "closed_at")?)?,
        ))
    })
    .transpose()
}
