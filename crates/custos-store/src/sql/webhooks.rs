//! The outbox and webhooks: events written with the change they describe, the endpoints an
//! admin registered (their secrets wrapped under the keyring's KEK), the deliveries fanned out
//! to them and each attempt at one.

use super::*;
use crate::{
    DeliveryOutcome, OutboxEvent, StoredEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint,
};

pub(super) fn webhook_aad(id: &str) -> Vec<u8> {
    format!("custos:webhook:v1:{id}").into_bytes()
}

/// Appends events to the outbox inside `tx`. On PostgreSQL the appends of concurrent
/// transactions are serialised (a transaction-scoped advisory lock, held to commit), so that
/// sequence numbers are taken in commit order and a reader following `seq` misses none.
pub(super) async fn write_outbox(
    st: &SqlStore,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    events: &[OutboxEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    if st.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(1330984)")
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    for e in events {
        sqlx::query("INSERT INTO outbox (id, kind, at, body) VALUES ($1, $2, $3, $4)")
            .bind(e.id.as_str())
            .bind(e.kind.as_str())
            .bind(ts(e.at))
            .bind(json(&e.data)?)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    Ok(())
}

fn event_from_row(row: &AnyRow) -> Result<StoredEvent, StoreError> {
    Ok(StoredEvent {
        seq: get(row, "seq")?,
        event: OutboxEvent {
            id: get(row, "id")?,
            kind: get(row, "kind")?,
            at: from_ts(get(row, "at")?)?,
            data: from_json(&get::<String>(row, "body")?, "outbox event")?,
        },
    })
}

pub(super) async fn append_events(st: &SqlStore, events: &[OutboxEvent]) -> Result<(), StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    write_outbox(st, &mut tx, events).await?;
    tx.commit().await.map_err(db)
}

pub(super) async fn events_after(
    st: &SqlStore,
    after: i64,
    limit: u32,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows = sqlx::query(
        "SELECT seq, id, kind, at, body FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter().map(event_from_row).collect()
}

fn endpoint_from_row(row: &AnyRow) -> Result<WebhookEndpoint, StoreError> {
    Ok(WebhookEndpoint {
        id: get(row, "id")?,
        url: get(row, "url")?,
        event_types: from_json(&get::<String>(row, "event_types")?, "event types")?,
        created_at: from_ts(get(row, "created_at")?)?,
        created_by: get(row, "created_by")?,
        deleted_at: get::<Option<i64>>(row, "deleted_at")?
            .map(from_ts)
            .transpose()?,
        since_seq: get(row, "since_seq")?,
    })
}

const ENDPOINT_COLS: &str = "id, url, event_types, created_at, created_by, deleted_at, since_seq";

pub(super) async fn add_endpoint(
    st: &SqlStore,
    e: &WebhookEndpoint,
    secret: &SecretKey,
) -> Result<(), StoreError> {
    let w = st.keyring.wrap(secret, &webhook_aad(&e.id))?;
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, url, event_types, kek_id, wrapped, created_at, \
         created_by, since_seq) SELECT $1, $2, $3, $4, $5, $6, $7, \
         COALESCE((SELECT MAX(seq) FROM outbox), 0)",
    )
    .bind(e.id.as_str())
    .bind(e.url.as_str())
    .bind(json(&e.event_types)?)
    .bind(w.kek_id)
    .bind(w.bytes)
    .bind(ts(e.created_at))
    .bind(e.created_by.as_str())
    .execute(&st.write)
    .await
    .map_err(db)?;
    Ok(())
}

pub(super) async fn endpoints(st: &SqlStore) -> Result<Vec<WebhookEndpoint>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints ORDER BY id"
    ))
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter().map(endpoint_from_row).collect()
}

pub(super) async fn endpoint(st: &SqlStore, id: &str) -> Result<WebhookEndpoint, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&st.read)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::NotFound(format!("webhook endpoint {id}")))?;
    endpoint_from_row(&row)
}

pub(super) async fn endpoint_secret(st: &SqlStore, id: &str) -> Result<SecretKey, StoreError> {
    let row = sqlx::query("SELECT kek_id, wrapped FROM webhook_endpoints WHERE id = $1")
        .bind(id)
        .fetch_optional(&st.read)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("webhook endpoint {id}")))?;
    let w = WrappedKey {
        kek_id: get(&row, "kek_id")?,
        bytes: get(&row, "wrapped")?,
    };
    st.keyring.unwrap(&w, &webhook_aad(id))
}

pub(super) async fn delete_endpoint(
    st: &SqlStore,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    let n = sqlx::query(
        "UPDATE webhook_endpoints SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL",
    )
    .bind(ts(at))
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!("webhook endpoint {id}")));
    }
    // What was still to be delivered to it is not.
    sqlx::query(
        "UPDATE webhook_deliveries SET state = 'cancelled', next_attempt_at = NULL \
         WHERE endpoint_id = $1 AND state = 'pending'",
    )
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

fn delivery_id(endpoint: &str, seq: i64) -> String {
    format!(
        "whd_{seq:012}_{}",
        endpoint.strip_prefix("we_").unwrap_or(endpoint)
    )
}

/// Fans the outbox out: each event after the cursor becomes a delivery to every live endpoint
/// that wants its type (and existed when it was committed), and the cursor moves past it, in
/// one transaction. Returns the events read.
pub(super) async fn fan_out(st: &SqlStore, limit: u32) -> Result<u64, StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    let cursor: i64 = get(
        &sqlx::query(&format!(
            "SELECT seq FROM webhook_cursor WHERE id = 1{}",
            st.for_update()
        ))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?,
        "seq",
    )?;
    let rows = sqlx::query(
        "SELECT seq, id, kind, at, body FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(cursor)
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let Some(last) = rows.last() else {
        return Ok(0);
    };
    let last: i64 = get(last, "seq")?;
    let live: Vec<WebhookEndpoint> = sqlx::query(&format!(
        "SELECT {ENDPOINT_COLS} FROM webhook_endpoints WHERE deleted_at IS NULL ORDER BY id"
    ))
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?
    .iter()
    .map(endpoint_from_row)
    .collect::<Result<_, _>>()?;
    for r in &rows {
        let e = event_from_row(r)?;
        let wanted = live
            .iter()
            .filter(|ep| ep.wants(&e.event.kind) && e.seq > ep.since_seq);
        for ep in wanted {
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, endpoint_id, event_seq, state, attempts, \
                 next_attempt_at) VALUES ($1, $2, $3, 'pending', 0, $4) \
                 ON CONFLICT (endpoint_id, event_seq) DO NOTHING",
            )
            .bind(delivery_id(&ep.id, e.seq))
            .bind(ep.id.as_str())
            .bind(e.seq)
            .bind(ts(e.event.at))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
    }
    sqlx::query("UPDATE webhook_cursor SET seq = $1 WHERE id = 1")
        .bind(last)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(rows.len() as u64)
}

const DELIVERY_COLS: &str = "d.id, d.endpoint_id, d.event_seq, d.state, d.attempts, \
     d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error, o.id AS event_id, \
     o.kind AS event_type";

fn delivery_from_row(row: &AnyRow) -> Result<WebhookDelivery, StoreError> {
    let opt_ts = |col: &str| -> Result<Option<DateTime<Utc>>, StoreError> {
        get::<Option<i64>>(row, col)?.map(from_ts).transpose()
    };
    Ok(WebhookDelivery {
        id: get(row, "id")?,
        endpoint_id: get(row, "endpoint_id")?,
        event_seq: get(row, "event_seq")?,
        event_id: get(row, "event_id")?,
        event_type: get(row, "event_type")?,
        state: get(row, "state")?,
        attempts: get(row, "attempts")?,
        next_attempt_at: opt_ts("next_attempt_at")?,
        last_attempt_at: opt_ts("last_attempt_at")?,
        last_status: get(row, "last_status")?,
        last_error: get(row, "last_error")?,
    })
}

/// Claims up to `limit` pending deliveries that are due (of endpoints not deleted): their next
/// attempt is moved to `lease_until`, so that another dispatcher (another server on the same
/// database) does not take them meanwhile; an attempt recorded before then settles them, and
/// one never recorded (the process died) is taken again once the lease runs out.
pub(super) async fn due_deliveries(
    st: &SqlStore,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<(WebhookDelivery, StoredEvent)>, StoreError> {
    let lock = match st.backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE OF d SKIP LOCKED",
    };
    let mut tx = st.write.begin().await.map_err(db)?;
    let rows = sqlx::query(&format!(
        "SELECT {DELIVERY_COLS}, o.seq, o.at, o.body FROM webhook_deliveries d \
         JOIN outbox o ON o.seq = d.event_seq \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND e.deleted_at IS NULL \
         ORDER BY d.next_attempt_at, d.id LIMIT $2{lock}"
    ))
    .bind(ts(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let mut out = vec![];
    for r in &rows {
        let d = delivery_from_row(r)?;
        let e = StoredEvent {
            seq: get(r, "seq")?,
            event: OutboxEvent {
                id: d.event_id.clone(),
                kind: d.event_type.clone(),
                at: from_ts(get(r, "at")?)?,
                data: from_json(&get::<String>(r, "body")?, "outbox event")?,
            },
        };
        sqlx::query("UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id = $2")
            .bind(ts(lease_until))
            .bind(d.id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        out.push((d, e));
    }
    tx.commit().await.map_err(db)?;
    Ok(out)
}

pub(super) async fn record_attempt(
    st: &SqlStore,
    delivery: &str,
    a: &WebhookAttempt,
    outcome: DeliveryOutcome,
) -> Result<(), StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    sqlx::query(
        "INSERT INTO webhook_attempts (delivery_id, n, at, status, error, duration_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id, n) DO NOTHING",
    )
    .bind(delivery)
    .bind(a.n)
    .bind(ts(a.at))
    .bind(a.status)
    .bind(a.error.clone())
    .bind(a.duration_ms)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let (state, next) = match outcome {
        DeliveryOutcome::Delivered => ("delivered", None),
        DeliveryOutcome::Retry(at) => ("pending", Some(ts(at))),
        DeliveryOutcome::Failed => ("failed", None),
    };
    // Only the attempt that follows the last one recorded settles a pending delivery: not one
    // made twice, nor one that ended after its endpoint was deleted.
    sqlx::query(
        "UPDATE webhook_deliveries SET state = $1, next_attempt_at = $2, attempts = $3, \
         last_attempt_at = $4, last_status = $5, last_error = $6 WHERE id = $7 \
         AND state = 'pending' AND attempts = $8",
    )
    .bind(state)
    .bind(next)
    .bind(a.n)
    .bind(ts(a.at))
    .bind(a.status)
    .bind(a.error.clone())
    .bind(delivery)
    .bind(a.n - 1)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(super) async fn deliveries(
    st: &SqlStore,
    endpoint: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<WebhookDelivery>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries d JOIN outbox o ON o.seq = d.event_seq \
         WHERE d.endpoint_id = $1 AND d.id > $2 ORDER BY d.id LIMIT $3"
    ))
    .bind(endpoint)
    .bind(after.unwrap_or(""))
    .bind(i64::from(limit))
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter().map(delivery_from_row).collect()
}

pub(super) async fn delivery(st: &SqlStore, id: &str) -> Result<WebhookDelivery, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries d JOIN outbox o ON o.seq = d.event_seq \
         WHERE d.id = $1"
    ))
    .bind(id)
    .fetch_optional(&st.read)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::NotFound(format!("webhook delivery {id}")))?;
    delivery_from_row(&row)
}

pub(super) async fn attempts(
    st: &SqlStore,
    delivery: &str,
) -> Result<Vec<WebhookAttempt>, StoreError> {
    let rows = sqlx::query(
        "SELECT n, at, status, error, duration_ms FROM webhook_attempts WHERE delivery_id = $1 \
         ORDER BY n",
    )
    .bind(delivery)
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(WebhookAttempt {
                n: get(r, "n")?,
                at: from_ts(get(r, "at")?)?,
                status: get(r, "status")?,
                error: get(r, "error")?,
                duration_ms: get(r, "duration_ms")?,
            })
        })
        .collect()
}

pub(super) async fn redeliver(
    st: &SqlStore,
    id: &str,
    at: DateTime<Utc>,
) -> Result<WebhookDelivery, StoreError> {
    let n = sqlx::query(
        "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $1 WHERE id = $2 \
         AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE deleted_at IS NULL)",
    )
    .bind(ts(at))
    .bind(id)
    .execute(&st.write)
    .await
    .map_err(db)?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!(
            "webhook delivery {id} (of a live endpoint)"
        )));
    }
    delivery(st, id).await
}
