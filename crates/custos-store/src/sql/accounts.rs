//! Accounts and their decisions.

use super::*;

pub(super) async fn insert_account(
    st: &SqlStore,
    a: &Account,
    events: &[OutboxEvent],
) -> Result<(), StoreError> {
    let q = sqlx::query(
        "INSERT INTO accounts (id, customer_id, kind, offering, parent_id, status, \
         needs_action, opened_at, closed_at, last_access_at, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(a.id.as_str())
    .bind(a.customer_id.as_str())
    .bind(json(&a.kind)?.trim_matches('"').to_owned())
    .bind(json(&a.offering)?.trim_matches('"').to_owned())
    .bind(a.parent_id.as_ref().map(|p| p.as_str().to_owned()))
    .bind(a.status().as_str())
    .bind(needs_action(a))
    .bind(ts(a.opened_at))
    .bind(a.closed_at.map(ts))
    .bind(a.last_access_at.map(ts))
    .bind(json(a)?);
    if events.is_empty() {
        // One statement: no transaction of its own to open and commit.
        q.execute(&st.write).await.map_err(db)?;
        return Ok(());
    }
    let mut tx = st.write.begin().await.map_err(db)?;
    q.execute(&mut *tx).await.map_err(db)?;
    webhooks::write_outbox(st, &mut tx, events).await?;
    tx.commit().await.map_err(db)
}

pub(super) async fn get_account(st: &SqlStore, id: &AccountId) -> Result<Account, StoreError> {
    let row = sqlx::query("SELECT body FROM accounts WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&st.read)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("account {id}")))?;
    SqlStore::account_from_row(&row)
}

pub(super) async fn known_accounts(
    st: &SqlStore,
    ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut out = vec![];
    // Chunks well under both databases' limits on bound parameters.
    for chunk in ids.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT id FROM accounts WHERE id IN ({})", marks.join(", "));
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id.as_str());
        }
        for row in q.fetch_all(&st.read).await.map_err(db)? {
            out.push(get::<String>(&row, "id")?);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

pub(super) async fn update_accounts(
    st: &SqlStore,
    a: &[Account],
    events: &[OutboxEvent],
) -> Result<(), StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    SqlStore::write_accounts(&mut tx, a).await?;
    webhooks::write_outbox(st, &mut tx, events).await?;
    tx.commit().await.map_err(db)
}

pub(super) async fn accounts_of(
    st: &SqlStore,
    customer: &CustomerId,
) -> Result<Vec<Account>, StoreError> {
    st.accounts_where(
        "SELECT body FROM accounts WHERE customer_id = $1 ORDER BY id",
        &[customer.as_str()],
        None,
    )
    .await
}

pub(super) async fn children_of(
    st: &SqlStore,
    parent: &AccountId,
) -> Result<Vec<Account>, StoreError> {
    st.accounts_where(
        "SELECT body FROM accounts WHERE parent_id = $1 ORDER BY id",
        &[parent.as_str()],
        None,
    )
    .await
}

pub(super) async fn accounts_needing_action(
    st: &SqlStore,
    after: Option<&AccountId>,
    limit: u32,
) -> Result<Vec<Account>, StoreError> {
    st.accounts_where(
        "SELECT body FROM accounts WHERE needs_action = 1 AND id > $1 ORDER BY id LIMIT $2",
        &[after.map_or("", |a| a.as_str())],
        Some(limit),
    )
    .await
}

pub(super) async fn accounts_needing_action_newest(
    st: &SqlStore,
    before: Option<&AccountId>,
    limit: u32,
) -> Result<Vec<Account>, StoreError> {
    match before {
        Some(b) => {
            st.accounts_where(
                "SELECT body FROM accounts WHERE needs_action = 1 AND id < $1 \
                 ORDER BY id DESC LIMIT $2",
                &[b.as_str()],
                Some(limit),
            )
            .await
        }
        None => {
            st.accounts_where(
                "SELECT body FROM accounts WHERE needs_action = 1 ORDER BY id DESC LIMIT $1",
                &[],
                Some(limit),
            )
            .await
        }
    }
}
