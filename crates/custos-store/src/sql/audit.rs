//! The audit trail (hash-chained), API keys, and the idempotency records of the API.

use super::rows::{Val, insert_many};
use super::*;

pub(super) async fn append_audit(st: &SqlStore, e: &AuditEntry) -> Result<AuditRecord, StoreError> {
    append_audits(st, std::slice::from_ref(e))
        .await?
        .ok_or_else(|| StoreError::Corrupt("no audit record was written".into()))
}

/// Appends the entries in one transaction, each chained to the one before; the last record.
pub(super) async fn append_audits(
    st: &SqlStore,
    es: &[AuditEntry],
) -> Result<Option<AuditRecord>, StoreError> {
    let Some(last) = es.last() else {
        return Ok(None);
    };
    let mut tx = st.write.begin().await.map_err(db)?;
    st.writer_first(&mut tx).await?;
    let head = sqlx::query(&format!(
        "SELECT seq, hash FROM audit_head WHERE id = 1{}",
        st.for_update()
    ))
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let mut seq: i64 = get(&head, "seq")?;
    let mut prev: Vec<u8> = get(&head, "hash")?;
    let mut last_prev = prev.clone();
    let mut rows = Vec::with_capacity(es.len());
    for e in es {
        let body = json(e)?;
        seq += 1;
        let hash = audit_hash(&prev, seq, &body).to_vec();
        last_prev = std::mem::replace(&mut prev, hash.clone());
        rows.push(vec![
            Val::Int(seq),
            Val::Int(ts(e.at)),
            Val::Text(body),
            Val::Blob(last_prev.clone()),
            Val::Blob(hash),
        ]);
    }
    insert_many(
        &mut tx,
        "audit_log (seq, at, body, prev_hash, hash)",
        "($1, $2, $3, $4, $5)",
        "",
        rows,
    )
    .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(prev.clone())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(Some(AuditRecord {
        seq,
        entry: last.clone(),
        prev_hash: hex::encode(last_prev),
        hash: hex::encode(prev),
    }))
}

pub(super) async fn audit_entries(
    st: &SqlStore,
    after_seq: i64,
    limit: u32,
) -> Result<Vec<AuditRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT seq, body, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after_seq)
    .bind(i64::from(limit))
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(AuditRecord {
                seq: get(r, "seq")?,
                entry: from_json(&get::<String>(r, "body")?, "audit entry")?,
                prev_hash: hex::encode(get::<Vec<u8>>(r, "prev_hash")?),
                hash: hex::encode(get::<Vec<u8>>(r, "hash")?),
            })
        })
        .collect()
}

pub(super) async fn insert_api_key(st: &SqlStore, k: &ApiKeyRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO api_keys (id, name, role, hash, created_at, revoked_at, scope) \
         VALUES ($1, $2, $3, $4, $5, NULL, $6)",
    )
    .bind(k.id.as_str())
    .bind(k.name.as_str())
    .bind(k.role.as_str())
    .bind(k.hash.as_str())
    .bind(ts(k.created_at))
    .bind(k.scope.clone())
    .execute(&st.write)
    .await
    .map_err(db)?;
    Ok(())
}

pub(super) async fn get_api_key(st: &SqlStore, id: &str) -> Result<ApiKeyRecord, StoreError> {
    let row = sqlx::query(
        "SELECT id, name, role, hash, created_at, revoked_at, scope FROM api_keys WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&st.read)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::NotFound("API key".into()))?;
    key_from_row(&row)
}

pub(super) async fn list_api_keys(st: &SqlStore) -> Result<Vec<ApiKeyRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, name, role, hash, created_at, revoked_at, scope FROM api_keys ORDER BY created_at, id",
    )
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter().map(key_from_row).collect()
}

pub(super) async fn revoke_api_key(
    st: &SqlStore,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let n = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(ts(at))
        .bind(id)
        .execute(&st.write)
        .await
        .map_err(db)?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!("active API key {id}")));
    }
    Ok(())
}

pub(super) async fn idem_begin(
    st: &SqlStore,
    principal: &str,
    key: &str,
    request_hash: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<IdemBegin, StoreError> {
    match st.backend {
        Backend::Postgres => st.idem_begin_row(principal, key, request_hash, now).await,
        Backend::Sqlite => st.idem_begin_local(principal, key, request_hash).await,
    }
}

pub(super) async fn idem_complete(
    st: &SqlStore,
    principal: &str,
    key: &str,
    status: u16,
    body: &[u8],
) -> Result<(), StoreError> {
    match st.backend {
        Backend::Postgres => st.idem_complete_row(principal, key, status, body).await,
        Backend::Sqlite => {
            let hash = st
                .in_flight
                .lock()
                .map_err(|_| StoreError::Corrupt("idempotency lock poisoned".into()))?
                .get(&(principal.to_owned(), key.to_owned()))
                .copied()
                .ok_or_else(|| StoreError::Conflict("no request in flight with this key".into()))?;
            let r = sqlx::query(
                "INSERT INTO idempotency (principal, key, request_hash, status, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(principal)
            .bind(key)
            .bind(hash.to_vec())
            .bind(i64::from(status))
            .bind(body.to_vec())
            .bind(ts(Utc::now()))
            .execute(&st.write)
            .await
            .map_err(db);
            st.idem_abandon(principal, key).await?;
            r.map(|_| ())
        }
    }
}

pub(super) async fn idem_abandon(
    st: &SqlStore,
    principal: &str,
    key: &str,
) -> Result<(), StoreError> {
    match st.backend {
        Backend::Postgres => st.idem_abandon_row(principal, key).await,
        Backend::Sqlite => {
            if let Ok(mut m) = st.in_flight.lock() {
                m.remove(&(principal.to_owned(), key.to_owned()));
            }
            Ok(())
        }
    }
}

impl SqlStore {
    /// Idempotency for SQLite. One process owns a SQLite database, so a request in flight is
    /// tracked in memory and only the finished response is written: one write per request
    /// instead of two on the single writer connection. A key replayed after a crash mid-request
    /// runs again, as it does on PostgreSQL once a reservation goes stale.
    pub(super) async fn idem_begin_local(
        &self,
        principal: &str,
        key: &str,
        request_hash: &[u8; 32],
    ) -> Result<IdemBegin, StoreError> {
        let slot = (principal.to_owned(), key.to_owned());
        // Reserve first, then look for a finished response: a response is written before its
        // reservation is dropped, so a request that finds no reservation finds the response.
        {
            let mut m = self
                .in_flight
                .lock()
                .map_err(|_| StoreError::Corrupt("idempotency lock poisoned".into()))?;
            match m.get(&slot) {
                Some(h) if h == request_hash => return Ok(IdemBegin::InProgress),
                Some(_) => return Ok(IdemBegin::Mismatch),
                None => {
                    m.insert(slot.clone(), *request_hash);
                }
            }
        }
        let row = sqlx::query(
            "SELECT request_hash, status, body FROM idempotency WHERE principal = $1 AND key = $2",
        )
        .bind(principal)
        .bind(key)
        .fetch_optional(&self.read)
        .await;
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                self.idem_abandon(principal, key).await?;
                return Err(db(e));
            }
        };
        let Some(row) = row else {
            return Ok(IdemBegin::Fresh);
        };
        self.idem_abandon(principal, key).await?;
        if get::<Vec<u8>>(&row, "request_hash")?.as_slice() != request_hash.as_slice() {
            return Ok(IdemBegin::Mismatch);
        }
        Ok(IdemBegin::Replay {
            status: u16::try_from(get::<Option<i64>>(&row, "status")?.unwrap_or(500))
                .map_err(|_| StoreError::Corrupt("status".into()))?,
            body: get::<Option<Vec<u8>>>(&row, "body")?.unwrap_or_default(),
        })
    }

    pub(super) async fn idem_begin_row(
        &self,
        principal: &str,
        key: &str,
        request_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<IdemBegin, StoreError> {
        let n = sqlx::query(
            "INSERT INTO idempotency (principal, key, request_hash, status, body, created_at) \
             VALUES ($1, $2, $3, NULL, NULL, $4) ON CONFLICT DO NOTHING",
        )
        .bind(principal)
        .bind(key)
        .bind(request_hash.to_vec())
        .bind(ts(now))
        .execute(&self.write)
        .await
        .map_err(db)?
        .rows_affected();
        if n == 1 {
            return Ok(IdemBegin::Fresh);
        }
        let row = sqlx::query(
            "SELECT request_hash, status, body, created_at FROM idempotency \
             WHERE principal = $1 AND key = $2",
        )
        .bind(principal)
        .bind(key)
        .fetch_one(&self.write)
        .await
        .map_err(db)?;
        if get::<Vec<u8>>(&row, "request_hash")?.as_slice() != request_hash.as_slice() {
            return Ok(IdemBegin::Mismatch);
        }
        match get::<Option<i64>>(&row, "status")? {
            Some(status) => Ok(IdemBegin::Replay {
                status: u16::try_from(status).map_err(|_| StoreError::Corrupt("status".into()))?,
                body: get::<Option<Vec<u8>>>(&row, "body")?.unwrap_or_default(),
            }),
            None => {
                let created: i64 = get(&row, "created_at")?;
                if ts(now) - created < IDEM_STALE_MICROS {
                    return Ok(IdemBegin::InProgress);
                }
                let taken = sqlx::query(
                    "UPDATE idempotency SET created_at = $1 WHERE principal = $2 AND key = $3 \
                     AND status IS NULL AND created_at = $4",
                )
                .bind(ts(now))
                .bind(principal)
                .bind(key)
                .bind(created)
                .execute(&self.write)
                .await
                .map_err(db)?
                .rows_affected();
                Ok(if taken == 1 {
                    IdemBegin::Fresh
                } else {
                    IdemBegin::InProgress
                })
            }
        }
    }

    pub(super) async fn idem_complete_row(
        &self,
        principal: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE idempotency SET status = $1, body = $2 WHERE principal = $3 AND key = $4",
        )
        .bind(i64::from(status))
        .bind(body.to_vec())
        .bind(principal)
        .bind(key)
        .execute(&self.write)
        .await
        .map_err(db)?;
        Ok(())
    }

    pub(super) async fn idem_abandon_row(
        &self,
        principal: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency WHERE principal = $1 AND key = $2 AND status IS NULL")
            .bind(principal)
            .bind(key)
            .execute(&self.write)
            .await
            .map_err(db)?;
        Ok(())
    }
}
