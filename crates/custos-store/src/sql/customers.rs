//! Customer records: sealed under their data keys, blind indexes, legal holds, destruction, screening cases.

use super::rows::{ROW_VALUES, Val, insert_many, renumber};
use super::*;

pub(super) async fn create_customer(
    st: &SqlStore,
    c: &Customer,
    s: &CustomerSummary,
    events: &[OutboxEvent],
) -> Result<(), StoreError> {
    let mut rows = NewRows::default();
    rows.add(st, c, s, &[])?;
    let mut tx = st.write.begin().await.map_err(db)?;
    rows.write(&mut tx).await?;
    webhooks::write_outbox(st, &mut tx, events).await?;
    tx.commit().await.map_err(db)?;
    Ok(())
}

pub(super) async fn create_customers(
    st: &SqlStore,
    batch: &[(Customer, CustomerSummary, Vec<Account>)],
) -> Result<(), StoreError> {
    let mut rows = NewRows::default();
    for (c, s, accounts) in batch {
        rows.add(st, c, s, accounts)?;
    }
    let mut tx = st.write.begin().await.map_err(db)?;
    rows.write(&mut tx).await?;
    tx.commit().await.map_err(db)
}

/// The rows that new customers add to each table, written as statements of many rows each.
#[derive(Default)]
struct NewRows {
    customers: Vec<Vec<Val>>,
    keys: Vec<Vec<Val>>,
    indexes: Vec<Vec<Val>>,
    cases: Vec<Vec<Val>>,
    accounts: Vec<Vec<Val>>,
}

impl NewRows {
    fn add(
        &mut self,
        st: &SqlStore,
        c: &Customer,
        s: &CustomerSummary,
        accounts: &[Account],
    ) -> Result<(), StoreError> {
        let dek = SecretKey::generate();
        let wrapped = st.keyring.wrap(&dek, &dek_aad(&c.id))?;
        let id = || Val::Text(c.id.as_str().to_owned());
        self.customers.push(vec![
            id(),
            Val::Int(ts(c.created_at)),
            Val::Text(json(s)?),
            Val::Blob(st.seal_record(&dek, c)?),
            Val::OptText(s.external_ref.clone()),
        ]);
        self.keys.push(vec![
            id(),
            Val::Text(wrapped.kek_id),
            Val::Blob(wrapped.bytes),
        ]);
        let mut seen = std::collections::HashSet::new();
        for (kind, digest) in st.index_rows(c) {
            if seen.insert((kind, digest)) {
                self.indexes.push(vec![
                    Val::Text(kind.as_str().to_owned()),
                    Val::Blob(digest.to_vec()),
                    id(),
                ]);
            }
        }
        for k in &s.screening {
            self.cases.push(vec![
                Val::Text(k.id.clone()),
                id(),
                Val::Text(case_state(k.state).to_owned()),
                Val::Int(ts(k.updated_at)),
                Val::Text(json(k)?),
            ]);
        }
        for a in accounts {
            self.accounts.push(vec![
                Val::Text(a.id.as_str().to_owned()),
                Val::Text(a.customer_id.as_str().to_owned()),
                Val::Text(json(&a.kind)?.trim_matches('"').to_owned()),
                Val::Text(json(&a.offering)?.trim_matches('"').to_owned()),
                Val::OptText(a.parent_id.as_ref().map(|p| p.as_str().to_owned())),
                Val::Text(a.status().as_str().to_owned()),
                Val::Int(needs_action(a)),
                Val::Int(ts(a.opened_at)),
                Val::OptInt(a.closed_at.map(ts)),
                Val::OptInt(a.last_access_at.map(ts)),
                Val::Text(json(a)?),
            ]);
        }
        Ok(())
    }

    async fn write(self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), StoreError> {
        insert_many(
            tx,
            "customers (id, created_at, updated_at, version, summary, record, external_ref)",
            "($1, $2, $2, 1, $3, $4, $5)",
            "",
            self.customers,
        )
        .await?;
        insert_many(
            tx,
            "data_keys (customer_id, kek_id, wrapped)",
            "($1, $2, $3)",
            "",
            self.keys,
        )
        .await?;
        insert_many(
            tx,
            "blind_index (kind, digest, customer_id)",
            "($1, $2, $3)",
            " ON CONFLICT DO NOTHING",
            self.indexes,
        )
        .await?;
        insert_many(
            tx,
            "screening_cases (id, customer_id, state, updated_at, body)",
            "($1, $2, $3, $4, $5)",
            "",
            self.cases,
        )
        .await?;
        insert_many(
            tx,
            "accounts (id, customer_id, kind, offering, parent_id, status, needs_action, \
             opened_at, closed_at, last_access_at, body)",
            "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            "",
            self.accounts,
        )
        .await
    }
}

/// A sealed record opened: the customer it holds.
fn open_record(
    st: &SqlStore,
    id: &CustomerId,
    row: &sqlx::any::AnyRow,
) -> Result<Customer, StoreError> {
    let dek = st.unwrap_dek(id, row)?;
    open_sealed(&dek, id, &get::<Vec<u8>>(row, "record")?)
}

fn open_sealed(dek: &SecretKey, id: &CustomerId, sealed: &[u8]) -> Result<Customer, StoreError> {
    let plain = zeroize::Zeroizing::new(crypto::open(dek, &record_aad(id), sealed)?);
    serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(format!("customer record: {e}")))
}

pub(super) async fn customers_in(
    st: &SqlStore,
    after: Option<&CustomerId>,
    upto: &CustomerId,
) -> Result<Vec<LoadedCustomer>, StoreError> {
    let after = after.map_or("", |a| a.as_str());
    let rows = sqlx::query(&format!(
        "SELECT c.id, c.version, c.record, k.kek_id, k.wrapped, {MARK_COLUMNS} \
         FROM customers c LEFT JOIN data_keys k ON k.customer_id = c.id \
         LEFT JOIN customer_screenings s ON s.customer_id = c.id \
         WHERE c.destroyed_at IS NULL AND c.id > $1 AND c.id <= $2 ORDER BY c.id",
    ))
    .bind(after)
    .bind(upto.as_str())
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let last = upto.as_str();
    let accounts = sqlx::query(
        "SELECT customer_id, body FROM accounts WHERE customer_id > $1 AND customer_id <= $2 \
         ORDER BY id",
    )
    .bind(after)
    .bind(last)
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    // The page's records, opened on every core.
    let sealed = rows
        .iter()
        .map(|row| {
            let id = CustomerId::parse(&get::<String>(row, "id")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            // A record not destroyed has its data key: one missing is damage, not a skip.
            let (Some(kek_id), Some(bytes)) = (
                get::<Option<String>>(row, "kek_id")?,
                get::<Option<Vec<u8>>>(row, "wrapped")?,
            ) else {
                return Err(StoreError::Corrupt(format!(
                    "customer {id} has no data key"
                )));
            };
            let key = WrappedKey { kek_id, bytes };
            let mark = Mark::read(row)?;
            Ok((
                id,
                get::<i64>(row, "version")?,
                key,
                get::<Vec<u8>>(row, "record")?,
                mark,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    drop(rows);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = sealed.len().div_ceil(cores).max(1);
    let mut sealed = sealed.into_iter();
    let mut tasks = vec![];
    loop {
        let chunk: Vec<_> = sealed.by_ref().take(per).collect();
        if chunk.is_empty() {
            break;
        }
        let keyring = st.keyring.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            chunk
                .into_iter()
                .map(|(id, version, key, record, mark)| {
                    let dek = keyring.unwrap(&key, &dek_aad(&id))?;
                    let c = Mark::apply(mark, version, open_sealed(&dek, &id, &record)?);
                    Ok((id, version, c))
                })
                .collect::<Result<Vec<_>, StoreError>>()
        }));
    }
    let mut opened = Vec::new();
    for t in tasks {
        opened.extend(t.await.map_err(|e| StoreError::Backend(Box::new(e)))??);
    }
    // Grouped by owner, not paired by order: the database's collation need not sort ids as
    // bytes do.
    let mut by_owner: std::collections::HashMap<String, Vec<Account>> =
        std::collections::HashMap::new();
    for a in &accounts {
        by_owner
            .entry(get::<String>(a, "customer_id")?)
            .or_default()
            .push(SqlStore::account_from_row(a)?);
    }
    Ok(opened
        .into_iter()
        .map(|(id, version, c)| LoadedCustomer {
            accounts: by_owner.remove(id.as_str()).unwrap_or_default(),
            customer: Versioned { value: c, version },
        })
        .collect())
}

pub(super) async fn mark_screened(
    st: &SqlStore,
    at: DateTime<Utc>,
    versions: &[(String, i64)],
    batch: &[(CustomerId, i64)],
) -> Result<Vec<CustomerId>, StoreError> {
    if batch.is_empty() {
        return Ok(vec![]);
    }
    let versions = json(&versions)?;
    // The first statement writes: on SQLite the transaction holds the write lock before it
    // reads a version. On PostgreSQL the rows are locked as read, and one changed (or
    // destroyed) in between is read again and left out.
    let lock = match st.backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR SHARE OF c",
    };
    let mut tx = st.write.begin().await.map_err(db)?;
    let mut marked = std::collections::HashSet::new();
    for chunk in batch.chunks(ROW_VALUES / 2) {
        let mut sql = String::from("WITH v (id, version) AS (VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&renumber("($1, $2)", 2 + i * 2));
        }
        sql.push_str(&format!(
            ") INSERT INTO customer_screenings (customer_id, version, screened_at, versions) \
             SELECT c.id, c.version, $1, $2 FROM customers c JOIN v ON c.id = v.id \
             WHERE c.version = v.version AND c.destroyed_at IS NULL{lock} \
             ON CONFLICT (customer_id) DO UPDATE SET version = excluded.version, \
             screened_at = excluded.screened_at, versions = excluded.versions \
             WHERE customer_screenings.screened_at <= excluded.screened_at \
             RETURNING customer_id"
        ));
        let mut q = sqlx::query(&sql).bind(ts(at)).bind(versions.clone());
        for (id, version) in chunk {
            q = q.bind(id.as_str().to_owned()).bind(*version);
        }
        for r in q.fetch_all(&mut *tx).await.map_err(db)? {
            marked.insert(get::<String>(&r, "customer_id")?);
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(batch
        .iter()
        .filter(|(id, _)| !marked.contains(id.as_str()))
        .map(|(id, _)| id.clone())
        .collect())
}

/// The columns of a customer's screening mark, for a query that joins
/// `customer_screenings s`.
const MARK_COLUMNS: &str =
    "s.version AS marked_version, s.screened_at AS marked_at, s.versions AS marked_versions";

/// A customer's screening mark (see [`mark_screened`]).
struct Mark {
    /// The version of the record the screening read.
    version: i64,
    at: DateTime<Utc>,
    versions: Vec<(String, i64)>,
}

impl Mark {
    /// The mark of a row read with [`MARK_COLUMNS`], if there is one.
    fn read(row: &sqlx::any::AnyRow) -> Result<Option<Mark>, StoreError> {
        let (Some(version), Some(at)) = (
            get::<Option<i64>>(row, "marked_version")?,
            get::<Option<i64>>(row, "marked_at")?,
        ) else {
            return Ok(None);
        };
        let versions = get::<Option<String>>(row, "marked_versions")?.unwrap_or_default();
        Ok(Some(Mark {
            version,
            at: from_ts(at)?,
            versions: from_json(&versions, "screening versions")?,
        }))
    }

    /// `c`, at `version`, with the mark's time and list versions when the mark is of that
    /// version and newer than the record's own screening (to the microsecond, as marks are
    /// kept). A mark of another version is not the record's: a save since either took the
    /// mark's screening into the record or was refused (see [`marked_since`]).
    fn apply(mark: Option<Mark>, version: i64, mut c: Customer) -> Customer {
        if let Some(m) = mark
            && m.version == version
            && c.screening
                .screened_at
                .is_none_or(|t| t.timestamp_micros() < m.at.timestamp_micros())
        {
            c.screening.screened_at = Some(m.at);
            c.screening.versions = m.versions;
        }
        c
    }
}

/// Whether a re-screening marked the record at `version` after `c` was read from it: `c`
/// screened earlier (or not at all), saved, would lose that screening (perhaps against lists
/// newer than its own). The caller reads, screens and saves it again.
async fn marked_since(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    c: &Customer,
    version: i64,
) -> Result<bool, StoreError> {
    let at = c.screening.screened_at.map_or(i64::MIN, ts);
    Ok(sqlx::query(
        "SELECT 1 AS one FROM customer_screenings \
         WHERE customer_id = $1 AND version = $2 AND screened_at > $3",
    )
    .bind(c.id.as_str())
    .bind(version)
    .bind(at)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?
    .is_some())
}

pub(super) async fn load_customer(
    st: &SqlStore,
    id: &CustomerId,
) -> Result<Versioned<Customer>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT c.version, c.record, c.destroyed_at, k.kek_id, k.wrapped, {MARK_COLUMNS} \
         FROM customers c LEFT JOIN data_keys k ON k.customer_id = c.id \
         LEFT JOIN customer_screenings s ON s.customer_id = c.id WHERE c.id = $1",
    ))
    .bind(id.as_str())
    .fetch_optional(&st.read)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::NotFound(format!("customer {id}")))?;
    if get::<Option<i64>>(&row, "destroyed_at")?.is_some() {
        return Err(StoreError::Destroyed(id.clone()));
    }
    let version = get(&row, "version")?;
    let c = Mark::apply(Mark::read(&row)?, version, open_record(st, id, &row)?);
    Ok(Versioned { value: c, version })
}

pub(super) async fn load_summary(
    st: &SqlStore,
    id: &CustomerId,
) -> Result<Versioned<CustomerSummary>, StoreError> {
    let row = sqlx::query("SELECT version, summary, destroyed_at FROM customers WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&st.read)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("customer {id}")))?;
    if get::<Option<i64>>(&row, "destroyed_at")?.is_some() {
        return Err(StoreError::Destroyed(id.clone()));
    }
    Ok(Versioned {
        value: from_json(&get::<String>(&row, "summary")?, "customer summary")?,
        version: get(&row, "version")?,
    })
}

pub(super) async fn save_customer(
    st: &SqlStore,
    c: &Customer,
    s: &CustomerSummary,
    expected_version: i64,
    accounts: &[Account],
    events: &[OutboxEvent],
) -> Result<i64, StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    let row = sqlx::query(&format!(
        "SELECT kek_id, wrapped FROM data_keys WHERE customer_id = $1{}",
        st.for_update()
    ))
    .bind(c.id.as_str())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::Destroyed(c.id.clone()))?;
    // The record's row locked before its mark is read: a re-screening marking it (which
    // holds the row shared until it commits) is waited for, and its mark then seen.
    sqlx::query(&format!(
        "SELECT version FROM customers WHERE id = $1{}",
        st.for_update()
    ))
    .bind(c.id.as_str())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    if marked_since(&mut tx, c, expected_version).await? {
        return Err(StoreError::Conflict(format!(
            "customer {} was screened again by another request",
            c.id
        )));
    }
    let dek = st.unwrap_dek(&c.id, &row)?;
    let record = st.seal_record(&dek, c)?;
    let next = expected_version + 1;
    let n = sqlx::query(
        "UPDATE customers SET record = $1, summary = $2, version = $3, updated_at = $4, \
         external_ref = $7 WHERE id = $5 AND version = $6 AND destroyed_at IS NULL",
    )
    .bind(record)
    .bind(json(s)?)
    .bind(next)
    .bind(ts(Utc::now()))
    .bind(c.id.as_str())
    .bind(expected_version)
    .bind(s.external_ref.clone())
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict(format!(
            "customer {} was changed by another request",
            c.id
        )));
    }
    st.write_indexes(&mut tx, c).await?;
    SqlStore::write_cases(&mut tx, &c.id, s).await?;
    SqlStore::write_accounts(&mut tx, accounts).await?;
    webhooks::write_outbox(st, &mut tx, events).await?;
    tx.commit().await.map_err(db)?;
    Ok(next)
}

pub(super) async fn find_customers(
    st: &SqlStore,
    kind: IndexKind,
    value: &str,
) -> Result<Vec<CustomerId>, StoreError> {
    let d = blind::digest(st.keyring.index_key(), kind, value);
    let rows = sqlx::query(
        "SELECT customer_id FROM blind_index WHERE kind = $1 AND digest = $2 \
         ORDER BY customer_id",
    )
    .bind(kind.as_str())
    .bind(d.to_vec())
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            CustomerId::parse(&get::<String>(r, "customer_id")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect()
}

pub(super) async fn customer_ids(
    st: &SqlStore,
    after: Option<&CustomerId>,
    limit: u32,
) -> Result<Vec<CustomerId>, StoreError> {
    let rows = sqlx::query(
        "SELECT id FROM customers WHERE destroyed_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after.map_or("", |a| a.as_str()))
    .bind(i64::from(limit))
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            CustomerId::parse(&get::<String>(r, "id")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect()
}

pub(super) async fn tombstone(
    st: &SqlStore,
    id: &CustomerId,
) -> Result<Option<Tombstone>, StoreError> {
    let row = sqlx::query("SELECT body FROM tombstones WHERE customer_id = $1")
        .bind(id.as_str())
        .fetch_optional(&st.read)
        .await
        .map_err(db)?;
    row.map(|r| from_json(&get::<String>(&r, "body")?, "tombstone"))
        .transpose()
}

pub(super) async fn place_hold(
    st: &SqlStore,
    customer: &CustomerId,
    hold: &LegalHold,
) -> Result<(), StoreError> {
    let exists = sqlx::query("SELECT id FROM customers WHERE id = $1")
        .bind(customer.as_str())
        .fetch_optional(&st.read)
        .await
        .map_err(db)?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!("customer {customer}")));
    }
    sqlx::query(
        "INSERT INTO legal_holds (id, customer_id, placed_at, released_at, body) \
         VALUES ($1, $2, $3, NULL, $4)",
    )
    .bind(hold.id.as_str())
    .bind(customer.as_str())
    .bind(ts(hold.placed_at))
    .bind(json(hold)?)
    .execute(&st.write)
    .await
    .map_err(db)?;
    Ok(())
}

pub(super) async fn release_hold(
    st: &SqlStore,
    customer: &CustomerId,
    hold_id: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<LegalHold, StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    let row = sqlx::query(&format!(
        "SELECT body FROM legal_holds WHERE id = $1 AND customer_id = $2{}",
        st.for_update()
    ))
    .bind(hold_id)
    .bind(customer.as_str())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::NotFound(format!("legal hold {hold_id}")))?;
    let mut hold: LegalHold = from_json(&get::<String>(&row, "body")?, "legal hold")?;
    if hold.released_at.is_some() {
        return Err(StoreError::Conflict(format!(
            "legal hold {hold_id} was already released"
        )));
    }
    hold.released_at = Some(at);
    hold.released_by = Some(by.to_owned());
    sqlx::query("UPDATE legal_holds SET released_at = $1, body = $2 WHERE id = $3")
        .bind(ts(at))
        .bind(json(&hold)?)
        .bind(hold_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(hold)
}

pub(super) async fn holds(
    st: &SqlStore,
    customer: &CustomerId,
) -> Result<Vec<LegalHold>, StoreError> {
    let rows =
        sqlx::query("SELECT body FROM legal_holds WHERE customer_id = $1 ORDER BY placed_at, id")
            .bind(customer.as_str())
            .fetch_all(&st.read)
            .await
            .map_err(db)?;
    rows.iter()
        .map(|r| from_json(&get::<String>(r, "body")?, "legal hold"))
        .collect()
}

pub(super) async fn destroy_customer(
    st: &SqlStore,
    id: &CustomerId,
    at: DateTime<Utc>,
    reason: &str,
) -> Result<Tombstone, StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    let row = sqlx::query(&format!(
        "SELECT destroyed_at FROM customers WHERE id = $1{}",
        st.for_update()
    ))
    .bind(id.as_str())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::NotFound(format!("customer {id}")))?;
    if get::<Option<i64>>(&row, "destroyed_at")?.is_some() {
        return Err(StoreError::Destroyed(id.clone()));
    }
    let held =
        sqlx::query("SELECT id FROM legal_holds WHERE customer_id = $1 AND released_at IS NULL")
            .bind(id.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
    if !held.is_empty() {
        return Err(StoreError::Conflict(format!(
            "customer {id} is under {} legal hold(s)",
            held.len()
        )));
    }
    let accounts: Vec<AccountId> =
        sqlx::query("SELECT id FROM accounts WHERE customer_id = $1 ORDER BY id")
            .bind(id.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?
            .iter()
            .map(|r| {
                AccountId::parse(&get::<String>(r, "id")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
    let removed = sqlx::query("DELETE FROM blind_index WHERE customer_id = $1")
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
    sqlx::query("DELETE FROM abuse_closures WHERE customer_id = $1")
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    sqlx::query("DELETE FROM data_keys WHERE customer_id = $1")
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    for table in ["screening_cases", "customer_screenings"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE customer_id = $1"))
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    sqlx::query(
        "UPDATE customers SET record = NULL, summary = '{}', external_ref = NULL, \
         destroyed_at = $1, \
         updated_at = $1, version = version + 1 WHERE id = $2",
    )
    .bind(ts(at))
    .bind(id.as_str())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let t = Tombstone {
        customer_id: id.clone(),
        destroyed_at: at,
        reason: reason.to_owned(),
        accounts,
        index_entries_removed: removed,
    };
    sqlx::query("INSERT INTO tombstones (customer_id, destroyed_at, body) VALUES ($1, $2, $3)")
        .bind(id.as_str())
        .bind(ts(at))
        .bind(json(&t)?)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(t)
}

pub(super) async fn screening_cases(
    st: &SqlStore,
    state: Option<CaseState>,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<StoredCase>, StoreError> {
    let rows = sqlx::query(
        "SELECT customer_id, body FROM screening_cases \
         WHERE ($1 = '' OR state = $1) AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(state.map_or("", case_state))
    .bind(after.unwrap_or(""))
    .bind(i64::from(limit))
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter().map(stored_case).collect()
}

pub(super) async fn screening_case(st: &SqlStore, id: &str) -> Result<StoredCase, StoreError> {
    let row = sqlx::query("SELECT customer_id, body FROM screening_cases WHERE id = $1")
        .bind(id)
        .fetch_optional(&st.read)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("screening case {id}")))?;
    stored_case(&row)
}

impl SqlStore {
    pub(super) async fn write_indexes(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        c: &Customer,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM blind_index WHERE customer_id = $1")
            .bind(c.id.as_str())
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        for (kind, digest) in self.index_rows(c) {
            sqlx::query(
                "INSERT INTO blind_index (kind, digest, customer_id) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(kind.as_str())
            .bind(digest.to_vec())
            .bind(c.id.as_str())
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        }
        Ok(())
    }

    /// Mirrors the summary's screening cases into `screening_cases`.
    pub(super) async fn write_cases(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        customer: &CustomerId,
        s: &CustomerSummary,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM screening_cases WHERE customer_id = $1")
            .bind(customer.as_str())
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        for c in &s.screening {
            sqlx::query(
                "INSERT INTO screening_cases (id, customer_id, state, updated_at, body) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(c.id.as_str())
            .bind(customer.as_str())
            .bind(case_state(c.state))
            .bind(ts(c.updated_at))
            .bind(json(c)?)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        }
        Ok(())
    }

    pub(super) async fn write_accounts(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        accounts: &[Account],
    ) -> Result<(), StoreError> {
        for a in accounts {
            let n = sqlx::query(
                "UPDATE accounts SET status = $2, needs_action = $3, closed_at = $4, \
                 last_access_at = $5, body = $6 WHERE id = $1",
            )
            .bind(a.id.as_str())
            .bind(a.status().as_str())
            .bind(needs_action(a))
            .bind(a.closed_at.map(ts))
            .bind(a.last_access_at.map(ts))
            .bind(json(a)?)
            .execute(&mut **tx)
            .await
            .map_err(db)?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound(format!("account {}", a.id)));
            }
        }
        Ok(())
    }
}
