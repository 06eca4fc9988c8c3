//! STIX objects in TAXII collections: each version sealed under its own data key; the clear
//! columns are what TAXII filters on.

use super::*;
use crate::{SharedObject, SharedQuery, StoredShared, VersionMatch};

pub(super) fn object_aad(id: &str) -> Vec<u8> {
    format!("custos:shared:v1:{id}").into_bytes()
}

pub(super) async fn add(
    st: &SqlStore,
    collection: &str,
    objects: &[SharedObject],
    now: DateTime<Utc>,
) -> Result<Vec<Option<DateTime<Utc>>>, StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    st.writer_first(&mut tx).await?;
    if st.backend == Backend::Postgres {
        // One writer to a collection at a time: its times are taken in the order they commit,
        // so that a reader after a time never misses a row committed later with an earlier one.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))::text AS locked")
            .bind(format!("custos sharing {collection}"))
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
    }
    let row = sqlx::query(
        "SELECT COALESCE(MAX(date_added), 0) AS last FROM sharing_objects \
         WHERE collection_id = $1",
    )
    .bind(collection)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let mut last: i64 = get(&row, "last")?;
    let mut out = Vec::with_capacity(objects.len());
    for o in objects {
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&o.body));
        // A versioned object is held when its version is; a cyber-observable (no version of
        // its own) when the same content is.
        let held = if o.version.is_empty() {
            sqlx::query(
                "SELECT 1 AS one FROM sharing_objects WHERE collection_id = $1 AND object_id = $2 \
                 AND body_sha256 = $3",
            )
            .bind(collection)
            .bind(o.id.as_str())
            .bind(hash.as_str())
        } else {
            sqlx::query(
                "SELECT 1 AS one FROM sharing_objects WHERE collection_id = $1 AND object_id = $2 \
                 AND version = $3",
            )
            .bind(collection)
            .bind(o.id.as_str())
            .bind(o.version.as_str())
        }
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if held.is_some() {
            out.push(None);
            continue;
        }
        last = ts(now).max(last + 1);
        let added = from_ts(last)?;
        let version = if o.version.is_empty() {
            added.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        } else {
            o.version.clone()
        };
        let id = format!("sho_{collection}_{last}");
        let aad = object_aad(&id);
        let dek = SecretKey::generate();
        let wrapped = st.keyring.wrap(&dek, &aad)?;
        let sealed = crypto::seal(&dek, &aad, &o.body)?;
        sqlx::query(
            "INSERT INTO sharing_objects (id, collection_id, object_id, version, date_added, \
             object_type, spec_version, body_sha256, kek_id, wrapped, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id.as_str())
        .bind(collection)
        .bind(o.id.as_str())
        .bind(version.as_str())
        .bind(last)
        .bind(o.object_type.as_str())
        .bind(o.spec_version.as_str())
        .bind(hash.as_str())
        .bind(wrapped.kek_id)
        .bind(wrapped.bytes)
        .bind(sealed)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        out.push(Some(added));
    }
    tx.commit().await.map_err(db)?;
    Ok(out)
}

pub(super) async fn query(st: &SqlStore, q: &SharedQuery) -> Result<Vec<StoredShared>, StoreError> {
    /// A value bound to a placeholder: only the placeholders are written into the statement.
    enum Bind {
        Text(String),
        Number(i64),
    }
    let mut binds = vec![Bind::Text(q.collection.clone())];
    let mut wh = vec!["o.collection_id = $1".to_owned()];
    let mark = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        format!("${}", binds.len())
    };
    if let Some(a) = q.added_after {
        wh.push(format!(
            "o.date_added > {}",
            mark(Bind::Number(ts(a)), &mut binds)
        ));
    }
    for (col, vals) in [
        ("o.object_id", &q.ids),
        ("o.object_type", &q.types),
        ("o.spec_version", &q.spec_versions),
    ] {
        if !vals.is_empty() {
            let marks: Vec<String> = vals
                .iter()
                .map(|v| mark(Bind::Text(v.clone()), &mut binds))
                .collect();
            wh.push(format!("{col} IN ({})", marks.join(", ")));
        }
    }
    let versions = if q.versions.is_empty() {
        &[VersionMatch::Last][..]
    } else {
        &q.versions[..]
    };
    let newer = |cmp: &str| {
        format!(
            "NOT EXISTS (SELECT 1 FROM sharing_objects n WHERE n.collection_id = o.collection_id \
             AND n.object_id = o.object_id AND n.version {cmp} o.version)"
        )
    };
    let mut ors = vec![];
    for v in versions {
        ors.push(match v {
            VersionMatch::All => "1 = 1".to_owned(),
            VersionMatch::Last => newer(">"),
            VersionMatch::First => newer("<"),
            VersionMatch::At(t) => {
                format!("o.version = {}", mark(Bind::Text(t.clone()), &mut binds))
            }
        });
    }
    wh.push(format!("({})", ors.join(" OR ")));
    let body = if q.with_body {
        ", o.kek_id, o.wrapped, o.body"
    } else {
        ""
    };
    let sql = format!(
        "SELECT o.id, o.object_id, o.version, o.date_added, o.object_type, o.spec_version{body} \
         FROM sharing_objects o WHERE {} ORDER BY o.date_added LIMIT {}",
        wh.join(" AND "),
        q.limit
    );
    let mut query = sqlx::query(&sql);
    for b in binds {
        query = match b {
            Bind::Text(t) => query.bind(t),
            Bind::Number(n) => query.bind(n),
        };
    }
    let rows = query.fetch_all(&st.read).await.map_err(db)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let row_id: String = get(r, "id")?;
        let body = if q.with_body {
            let aad = object_aad(&row_id);
            let w = WrappedKey {
                kek_id: get(r, "kek_id")?,
                bytes: get(r, "wrapped")?,
            };
            let dek = st.keyring.unwrap(&w, &aad)?;
            crypto::open(&dek, &aad, &get::<Vec<u8>>(r, "body")?)?
        } else {
            vec![]
        };
        out.push(StoredShared {
            collection_id: q.collection.clone(),
            id: get(r, "object_id")?,
            version: get(r, "version")?,
            date_added: from_ts(get(r, "date_added")?)?,
            object_type: get(r, "object_type")?,
            spec_version: get(r, "spec_version")?,
            body,
        });
    }
    Ok(out)
}
