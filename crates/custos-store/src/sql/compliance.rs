//! The compliance program's records and sealed documents, and list versions with their entries.

use super::*;

pub(super) async fn put_compliance_record(
    st: &SqlStore,
    r: &ComplianceRecord,
    events: &[OutboxEvent],
) -> Result<(), StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    sqlx::query(
        "INSERT INTO compliance_records (id, kind, subject, created_at, due_at, closed_at, \
         body) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET \
         kind = excluded.kind, subject = excluded.subject, created_at = \
         excluded.created_at, due_at = excluded.due_at, closed_at = excluded.closed_at, \
         body = excluded.body",
    )
    .bind(r.id.as_str())
    .bind(r.kind.as_str())
    .bind(r.subject.clone())
    .bind(ts(r.created_at))
    .bind(r.due_at.map(ts))
    .bind(r.closed_at.map(ts))
    .bind(json(r)?)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    webhooks::write_outbox(st, &mut tx, events).await?;
    tx.commit().await.map_err(db)
}

pub(super) async fn compliance_record(
    st: &SqlStore,
    id: &str,
) -> Result<ComplianceRecord, StoreError> {
    let row = sqlx::query("SELECT body FROM compliance_records WHERE id = $1")
        .bind(id)
        .fetch_optional(&st.read)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("compliance record {id}")))?;
    from_json(&get::<String>(&row, "body")?, "compliance record")
}

pub(super) async fn compliance_records(
    st: &SqlStore,
    kind: &str,
    subject: Option<&str>,
) -> Result<Vec<ComplianceRecord>, StoreError> {
    let rows = match subject {
        Some(sub) => sqlx::query(
            "SELECT body FROM compliance_records WHERE kind = $1 AND subject = $2 \
             ORDER BY created_at, id",
        )
        .bind(kind)
        .bind(sub),
        None => sqlx::query(
            "SELECT body FROM compliance_records WHERE kind = $1 ORDER BY created_at, id",
        )
        .bind(kind),
    }
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| from_json(&get::<String>(r, "body")?, "compliance record"))
        .collect()
}

pub(super) async fn add_document(
    st: &SqlStore,
    meta: &DocumentMeta,
    content: &[u8],
) -> Result<DocumentMeta, StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    st.writer_first(&mut tx).await?;
    let row = sqlx::query(
        "SELECT COALESCE(MAX(version), 0) AS last FROM compliance_documents \
         WHERE owner = $1 AND kind = $2",
    )
    .bind(meta.owner.as_str())
    .bind(meta.kind.as_str())
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let mut m = meta.clone();
    m.version = get::<i64>(&row, "last")? + 1;
    m.id = format!("doc_{}_{}_{}", m.owner, m.kind, m.version);
    let dek = SecretKey::generate();
    let aad = document_aad(&m.id);
    let wrapped = st.keyring.wrap(&dek, &aad)?;
    let sealed = crypto::seal(&dek, &aad, content)?;
    sqlx::query(
        "INSERT INTO compliance_documents (id, owner, kind, version, uploaded_at, meta, \
         kek_id, wrapped, content) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(m.id.as_str())
    .bind(m.owner.as_str())
    .bind(m.kind.as_str())
    .bind(m.version)
    .bind(ts(m.uploaded_at))
    .bind(json(&m)?)
    .bind(wrapped.kek_id)
    .bind(wrapped.bytes)
    .bind(sealed)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(m)
}

pub(super) async fn documents(
    st: &SqlStore,
    owner: Option<&str>,
    kind: Option<&str>,
) -> Result<Vec<DocumentMeta>, StoreError> {
    let rows = sqlx::query(
        "SELECT meta FROM compliance_documents WHERE ($1 IS NULL OR owner = $1) \
         AND ($2 IS NULL OR kind = $2) ORDER BY owner, kind, version",
    )
    .bind(owner.map(str::to_owned))
    .bind(kind.map(str::to_owned))
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| from_json(&get::<String>(r, "meta")?, "document"))
        .collect()
}

pub(super) async fn document(
    st: &SqlStore,
    id: &str,
) -> Result<(DocumentMeta, Vec<u8>), StoreError> {
    let row = sqlx::query(
        "SELECT meta, kek_id, wrapped, content FROM compliance_documents WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&st.read)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::NotFound(format!("document {id}")))?;
    let m: DocumentMeta = from_json(&get::<String>(&row, "meta")?, "document")?;
    let aad = document_aad(&m.id);
    let w = WrappedKey {
        kek_id: get(&row, "kek_id")?,
        bytes: get(&row, "wrapped")?,
    };
    let dek = st.keyring.unwrap(&w, &aad)?;
    let content = crypto::open(&dek, &aad, &get::<Vec<u8>>(&row, "content")?)?;
    Ok((m, content))
}

pub(super) async fn save_list_version(
    st: &SqlStore,
    v: &custos_screen::ListVersion,
    entities: &[custos_screen::ListEntity],
    diff: &custos_screen::Diff,
    based_on: Option<i64>,
) -> Result<StoredListVersion, StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    if let Some(expected) = based_on {
        // The current version, locked (on PostgreSQL) until this one is written: a writer
        // that read the same one waits, then finds it is no longer current.
        let lock = if st.backend == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let row = sqlx::query(&format!(
            "SELECT id FROM list_versions WHERE list = $1 AND current = 1{lock}"
        ))
        .bind(v.list.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let current = match row {
            Some(r) => get::<i64>(&r, "id")?,
            None => 0,
        };
        if current != expected {
            return Err(StoreError::Conflict(format!(
                "the list {} got another version while this one was made: make it again",
                v.list
            )));
        }
    }
    let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS last FROM list_versions")
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let id: i64 = get::<i64>(&row, "last")? + 1;
    let row = sqlx::query("SELECT COUNT(*) AS n FROM list_versions WHERE list = $1")
        .bind(v.list.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let number: i64 = get::<i64>(&row, "n")? + 1;
    sqlx::query("UPDATE list_versions SET current = 0 WHERE list = $1")
        .bind(v.list.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO list_versions (id, list, format, source, retrieved_at, content_hash, \
         entries, diff, current, measure) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9)",
    )
    .bind(id)
    .bind(v.list.as_str())
    .bind(v.format.as_str())
    .bind(v.source.as_str())
    .bind(ts(v.retrieved_at))
    .bind(v.content_hash.as_str())
    .bind(i64::try_from(v.entries).unwrap_or(i64::MAX))
    .bind(json(diff)?)
    .bind(v.measure.as_str())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    // Many rows a statement: one round trip per 200 entries.
    for chunk in entities.chunks(200) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO list_entries (version_id, entity_id, body) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q.bind(id).bind(e.id.as_str()).bind(json(e)?);
        }
        q.execute(&mut *tx).await.map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(StoredListVersion {
        id,
        number,
        version: v.clone(),
        diff: diff.clone(),
        current: true,
    })
}

pub(super) async fn list_versions(
    st: &SqlStore,
    list: Option<&str>,
) -> Result<Vec<StoredListVersion>, StoreError> {
    let rows = sqlx::query(
        // Versions are never deleted: a version's number in its list is how many of its
        // list's versions there are up to it.
        "SELECT id, list, format, source, retrieved_at, content_hash, entries, diff, current, \
         measure, (SELECT COUNT(*) FROM list_versions w WHERE w.list = v.list AND w.id <= v.id) \
         AS number FROM list_versions v WHERE ($1 = '' OR list = $1) ORDER BY id DESC",
    )
    .bind(list.unwrap_or(""))
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(StoredListVersion {
                id: get(r, "id")?,
                number: get(r, "number")?,
                version: custos_screen::ListVersion {
                    list: get(r, "list")?,
                    format: get(r, "format")?,
                    source: get(r, "source")?,
                    retrieved_at: from_ts(get(r, "retrieved_at")?)?,
                    content_hash: get(r, "content_hash")?,
                    entries: usize::try_from(get::<i64>(r, "entries")?)
                        .map_err(|_| StoreError::Corrupt("entries".into()))?,
                    measure: custos_core::screening::ListMeasure::parse(&get::<String>(
                        r, "measure",
                    )?)
                    .map_err(StoreError::Corrupt)?,
                },
                diff: from_json(&get::<String>(r, "diff")?, "list diff")?,
                current: get::<i64>(r, "current")? == 1,
            })
        })
        .collect()
}

pub(super) async fn list_entries(
    st: &SqlStore,
    version_id: i64,
) -> Result<Vec<custos_screen::ListEntity>, StoreError> {
    let rows =
        sqlx::query("SELECT body FROM list_entries WHERE version_id = $1 ORDER BY entity_id")
            .bind(version_id)
            .fetch_all(&st.read)
            .await
            .map_err(db)?;
    rows.iter()
        .map(|r| from_json(&get::<String>(r, "body")?, "list entry"))
        .collect()
}
