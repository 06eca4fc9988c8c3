//! Reference lists' versions: public data, in clear.

use super::{Backend, SqlStore, db, from_ts, get, ts};
use crate::{StoreError, StoredReference};

pub(super) async fn save_reference(
    st: &SqlStore,
    v: &StoredReference,
    body: &[u8],
) -> Result<Option<StoredReference>, StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    // The table is the writer's from the first statement, so that two imports at once (two
    // processes) wait for each other: on PostgreSQL a table lock (ids and numbers are the
    // table's), on SQLite a write that takes the database's write lock before anything is
    // read (a read first would fail at once where it turns into a write).
    let lock = if st.backend == Backend::Postgres {
        "LOCK TABLE reference_versions IN EXCLUSIVE MODE"
    } else {
        "UPDATE reference_versions SET kind = kind WHERE id < 0"
    };
    sqlx::query(lock).execute(&mut *tx).await.map_err(db)?;
    let rows =
        sqlx::query("SELECT content_hash FROM reference_versions WHERE kind = $1 ORDER BY id DESC")
            .bind(v.kind.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
    // The same data as the newest version: nothing is written.
    if let Some(r) = rows.first()
        && get::<String>(r, "content_hash")? == v.content_hash
    {
        return Ok(None);
    }
    let number = rows.len() as i64 + 1;
    let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS last FROM reference_versions")
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let id: i64 = get::<i64>(&row, "last")? + 1;
    sqlx::query(
        "INSERT INTO reference_versions (id, kind, source, retrieved_at, content_hash, entries, \
         body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(v.kind.as_str())
    .bind(v.source.as_str())
    .bind(ts(v.retrieved_at))
    .bind(v.content_hash.as_str())
    .bind(v.entries)
    .bind(body.to_vec())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(Some(StoredReference {
        id,
        number,
        ..v.clone()
    }))
}

pub(super) async fn references(
    st: &SqlStore,
    kind: Option<&str>,
) -> Result<Vec<StoredReference>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, kind, source, retrieved_at, content_hash, entries, (SELECT COUNT(*) FROM \
         reference_versions w WHERE w.kind = v.kind AND w.id <= v.id) AS number FROM \
         reference_versions v WHERE ($1 = '' OR kind = $1) ORDER BY id DESC",
    )
    .bind(kind.unwrap_or(""))
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(StoredReference {
                id: get(r, "id")?,
                kind: get(r, "kind")?,
                number: get(r, "number")?,
                source: get(r, "source")?,
                retrieved_at: from_ts(get(r, "retrieved_at")?)?,
                content_hash: get(r, "content_hash")?,
                entries: get(r, "entries")?,
            })
        })
        .collect()
}

pub(super) async fn reference_body(st: &SqlStore, id: i64) -> Result<Vec<u8>, StoreError> {
    let row = sqlx::query("SELECT body FROM reference_versions WHERE id = $1")
        .bind(id)
        .fetch_optional(&st.read)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("reference version {id}")))?;
    get(&row, "body")
}
