//! Customer records: sealed under their data keys, blind indexes, legal holds, destruction, screening cases.

use super::*;

pub(super) async fn create_customer(
    st: &SqlStore,
    c: &Customer,
    s: &CustomerSummary,
    events: &[OutboxEvent],
) -> Result<(), StoreError> {
    let dek = SecretKey::generate();
    let wrapped = st.keyring.wrap(&dek, &dek_aad(&c.id))?;
    let record = st.seal_record(&dek, c)?;
    let now = ts(c.created_at);
    let mut tx = st.write.begin().await.map_err(db)?;
    sqlx::query(
        "INSERT INTO customers (id, created_at, updated_at, version, summary, record, \
         external_ref) VALUES ($1, $2, $2, 1, $3, $4, $5)",
    )
    .bind(c.id.as_str())
    .bind(now)
    .bind(json(s)?)
    .bind(record)
    .bind(s.external_ref.clone())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query("INSERT INTO data_keys (customer_id, kek_id, wrapped) VALUES ($1, $2, $3)")
        .bind(c.id.as_str())
        .bind(wrapped.kek_id)
        .bind(wrapped.bytes)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    st.write_indexes(&mut tx, c).await?;
    SqlStore::write_cases(&mut tx, &c.id, s).await?;
    webhooks::write_outbox(st, &mut tx, events).await?;
    tx.commit().await.map_err(db)?;
    Ok(())
}

pub(super) async fn load_customer(
    st: &SqlStore,
    id: &CustomerId,
) -> Result<Versioned<Customer>, StoreError> {
    let row = sqlx::query(
        "SELECT c.version, c.record, c.destroyed_at, k.kek_id, k.wrapped \
         FROM customers c LEFT JOIN data_keys k ON k.customer_id = c.id WHERE c.id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(&st.read)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::NotFound(format!("customer {id}")))?;
    if get::<Option<i64>>(&row, "destroyed_at")?.is_some() {
        return Err(StoreError::Destroyed(id.clone()));
    }
    let dek = st.unwrap_dek(id, &row)?;
    let sealed: Vec<u8> = get(&row, "record")?;
    let plain = zeroize::Zeroizing::new(crypto::open(&dek, &record_aad(id), &sealed)?);
    let c: Customer = serde_json::from_slice(&plain)
        .map_err(|e| StoreError::Corrupt(format!("customer record: {e}")))?;
    Ok(Versioned {
        value: c,
        version: get(&row, "version")?,
    })
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
    sqlx::query("DELETE FROM screening_cases WHERE customer_id = $1")
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
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
