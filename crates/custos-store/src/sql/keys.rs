//! Data keys re-wrapped and retired, and the queue of work retention leaves for the ledger's owner.

use super::*;

/// The additional data a table's wrapped keys are bound to, from the row's id.
type Aad = fn(&str) -> Vec<u8>;

pub(super) async fn rewrap_data_keys(st: &SqlStore) -> Result<u64, StoreError> {
    let primary = st.keyring.primary_id();
    let mut n = 0;
    // Program documents' keys and webhook secrets first, then customers'.
    let apart: [(&str, Aad); 4] = [
        ("compliance_documents", document_aad),
        ("sharing_objects", sharing::object_aad),
        ("webhook_endpoints", webhooks::webhook_aad),
        ("console_users", console::totp_aad),
    ];
    for (table, aad_of) in apart {
        let rows = sqlx::query(&format!(
            "SELECT id, kek_id, wrapped FROM {table} WHERE kek_id <> $1"
        ))
        .bind(primary.as_str())
        .fetch_all(&st.write)
        .await
        .map_err(db)?;
        for r in &rows {
            let id: String = get(r, "id")?;
            let aad = aad_of(&id);
            let w = WrappedKey {
                kek_id: get(r, "kek_id")?,
                bytes: get(r, "wrapped")?,
            };
            let w = st.keyring.wrap(&st.keyring.unwrap(&w, &aad)?, &aad)?;
            sqlx::query(&format!(
                "UPDATE {table} SET kek_id = $1, wrapped = $2 WHERE id = $3"
            ))
            .bind(w.kek_id)
            .bind(w.bytes)
            .bind(id.as_str())
            .execute(&st.write)
            .await
            .map_err(db)?;
            n += 1;
        }
    }
    loop {
        // Read again each round: if another process rotated meanwhile, keys are wrapped
        // under its primary, and the query must not find them again for ever.
        let primary = st.keyring.primary_id();
        let rows = sqlx::query(
            "SELECT customer_id, kek_id, wrapped FROM data_keys WHERE kek_id <> $1 \
             ORDER BY customer_id LIMIT 500",
        )
        .bind(primary.as_str())
        .fetch_all(&st.write)
        .await
        .map_err(db)?;
        if rows.is_empty() {
            return Ok(n);
        }
        let mut tx = st.write.begin().await.map_err(db)?;
        for r in &rows {
            let id = CustomerId::parse(&get::<String>(r, "customer_id")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let dek = st.unwrap_dek(&id, r)?;
            let w = st.keyring.wrap(&dek, &dek_aad(&id))?;
            sqlx::query("UPDATE data_keys SET kek_id = $1, wrapped = $2 WHERE customer_id = $3")
                .bind(w.kek_id)
                .bind(w.bytes)
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            n += 1;
        }
        tx.commit().await.map_err(db)?;
    }
}

pub(super) async fn shred_keys(st: &SqlStore) -> Result<Vec<String>, StoreError> {
    let primary = st.keyring.rotate()?;
    st.rewrap_data_keys().await?;
    // Nothing may still be wrapped under a KEK about to be forgotten (and if another
    // process rotated meanwhile, nothing is retired: `retire_all_but` refuses).
    for table in [
        "data_keys",
        "compliance_documents",
        "webhook_endpoints",
        "console_users",
        "sharing_objects",
    ] {
        let left = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE kek_id <> $1"
        ))
        .bind(primary.as_str())
        .fetch_one(&st.write)
        .await
        .map_err(db)?;
        let n: i64 = get(&left, "n")?;
        if n > 0 {
            return Err(StoreError::Conflict(format!(
                "{n} key(s) in {table} are still wrapped under an older KEK; nothing retired"
            )));
        }
    }
    let gone = st.keyring.retire_all_but(&primary)?;
    match st.backend {
        Backend::Sqlite => {
            // The WAL still holds the pages as they were before the deletes: copied into
            // the database (where secure_delete zeroed the content) and cut to nothing.
            // A reader in the middle of a transaction can hold the checkpoint back; the
            // keys are retired whatever happens here.
            match sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&st.write)
                .await
            {
                // A reader held it back: the WAL keeps what it held until the next
                // checkpoint (the data keys in it no longer unwrap).
                Ok(row) if row.try_get::<i64, _>(0).unwrap_or(0) != 0 => {
                    tracing::warn!("the WAL could not be truncated after shredding: busy");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "WAL checkpoint after shredding failed"),
            }
        }
        Backend::Postgres => {
            for table in ["data_keys", "customers", "blind_index", "screening_cases"] {
                if let Err(e) = st.write.execute(&*format!("VACUUM {table}")).await {
                    tracing::warn!(error = %e, table, "VACUUM after shredding failed");
                }
            }
        }
    }
    Ok(gone)
}

pub(super) async fn queue_work(
    st: &SqlStore,
    kind: RetentionWork,
    subjects: &[String],
    at: DateTime<Utc>,
    again: bool,
) -> Result<(), StoreError> {
    let conflict = if again {
        "ON CONFLICT (kind, subject) DO UPDATE SET queued_at = excluded.queued_at, \
         done_at = NULL, result = NULL, generation = retention_queue.generation + 1"
    } else {
        "ON CONFLICT (kind, subject) DO NOTHING"
    };
    let mut tx = st.write.begin().await.map_err(db)?;
    for s in subjects {
        sqlx::query(&format!(
            "INSERT INTO retention_queue (kind, subject, queued_at) VALUES ($1, $2, $3) \
             {conflict}"
        ))
        .bind(kind.as_str())
        .bind(s.as_str())
        .bind(ts(at))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)
}

pub(super) async fn pending_work(
    st: &SqlStore,
    kind: RetentionWork,
    limit: u32,
) -> Result<Vec<(String, i64)>, StoreError> {
    sqlx::query(
        "SELECT subject, generation FROM retention_queue WHERE kind = $1 AND done_at IS NULL \
         ORDER BY queued_at, subject LIMIT $2",
    )
    .bind(kind.as_str())
    .bind(i64::from(limit))
    .fetch_all(&st.write)
    .await
    .map_err(db)?
    .iter()
    .map(|r| Ok((get::<String>(r, "subject")?, get::<i64>(r, "generation")?)))
    .collect()
}

pub(super) async fn requeue_done(
    st: &SqlStore,
    kind: RetentionWork,
    subjects: &[String],
    at: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    // Read first: nearly always none is found, and the writer is left alone.
    let mut done = vec![];
    for chunk in subjects.chunks(500) {
        let marks: Vec<String> = (2..=chunk.len() + 1).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT subject FROM retention_queue WHERE kind = $1 AND subject IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(kind.as_str());
        for s in chunk {
            q = q.bind(s.as_str());
        }
        for row in q.fetch_all(&st.read).await.map_err(db)? {
            done.push(get::<String>(&row, "subject")?);
        }
    }
    if !done.is_empty() {
        st.queue_work(kind, &done, at, true).await?;
    }
    Ok(done)
}

pub(super) async fn work_done(
    st: &SqlStore,
    kind: RetentionWork,
    subject: &str,
    generation: i64,
    at: DateTime<Utc>,
    result: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE retention_queue SET done_at = $1, result = $2 WHERE kind = $3 AND subject = $4 \
         AND generation = $5",
    )
    .bind(ts(at))
    .bind(result)
    .bind(kind.as_str())
    .bind(subject)
    .bind(generation)
    .execute(&st.write)
    .await
    .map_err(db)?;
    Ok(())
}
