//! The console's users, their sessions and failed sign-ins. A user's TOTP secret is wrapped
//! under the keyring's KEK (bound to the user's id), so that key rotation and shredding treat
//! it as every other wrapped key.

use super::*;
use crate::{Approval, ConsoleSession, ConsoleUser, PeopleStore};

pub(super) fn totp_aad(id: &str) -> Vec<u8> {
    format!("custos:totp:v1:{id}").into_bytes()
}

const USER_COLS: &str = "id, email, role, password_hash, kek_id, wrapped, created_at, \
                         changed_at, disabled_at";

fn wrapped(st: &SqlStore, u: &ConsoleUser) -> Result<Option<WrappedKey>, StoreError> {
    u.totp
        .as_ref()
        .map(|k| st.keyring.wrap(k, &totp_aad(&u.id)))
        .transpose()
}

pub(super) async fn insert_user(st: &SqlStore, u: &ConsoleUser) -> Result<(), StoreError> {
    let w = wrapped(st, u)?;
    sqlx::query(
        "INSERT INTO console_users (id, email, role, password_hash, kek_id, wrapped, \
         created_at, changed_at, disabled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(u.id.as_str())
    .bind(u.email.as_str())
    .bind(u.role.as_str())
    .bind(u.password_hash.as_str())
    .bind(w.as_ref().map(|w| w.kek_id.clone()))
    .bind(w.map(|w| w.bytes))
    .bind(ts(u.created_at))
    .bind(ts(u.changed_at))
    .bind(u.disabled_at.map(ts))
    .execute(&st.write)
    .await
    .map_err(|e| match db(e) {
        StoreError::Conflict(_) => {
            StoreError::Conflict("a console user with this email already exists".into())
        }
        e => e,
    })?;
    Ok(())
}

pub(super) async fn update_user(st: &SqlStore, u: &ConsoleUser) -> Result<(), StoreError> {
    let w = wrapped(st, u)?;
    let n = sqlx::query(
        "UPDATE console_users SET role = $1, password_hash = $2, kek_id = $3, wrapped = $4, \
         changed_at = $5, disabled_at = $6 WHERE id = $7",
    )
    .bind(u.role.as_str())
    .bind(u.password_hash.as_str())
    .bind(w.as_ref().map(|w| w.kek_id.clone()))
    .bind(w.map(|w| w.bytes))
    .bind(ts(u.changed_at))
    .bind(u.disabled_at.map(ts))
    .bind(u.id.as_str())
    .execute(&st.write)
    .await
    .map_err(db)?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!("console user {}", u.id)));
    }
    Ok(())
}

fn user_from_row(st: &SqlStore, r: &AnyRow) -> Result<ConsoleUser, StoreError> {
    let id: String = get(r, "id")?;
    let kek: Option<String> = get(r, "kek_id")?;
    let totp = match kek {
        Some(kek_id) => {
            let w = WrappedKey {
                kek_id,
                bytes: get(r, "wrapped")?,
            };
            Some(st.keyring.unwrap(&w, &totp_aad(&id))?)
        }
        None => None,
    };
    Ok(ConsoleUser {
        email: get(r, "email")?,
        role: get(r, "role")?,
        password_hash: get(r, "password_hash")?,
        totp,
        created_at: from_ts(get(r, "created_at")?)?,
        changed_at: from_ts(get(r, "changed_at")?)?,
        disabled_at: get::<Option<i64>>(r, "disabled_at")?
            .map(from_ts)
            .transpose()?,
        id,
    })
}

/// The user whose `column` (`id` or `email`) is `value`.
pub(super) async fn user(
    st: &SqlStore,
    column: &'static str,
    value: &str,
) -> Result<ConsoleUser, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLS} FROM console_users WHERE {column} = $1"
    ))
    .bind(value)
    .fetch_optional(&st.read)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::NotFound("console user".into()))?;
    user_from_row(st, &row)
}

pub(super) async fn users(st: &SqlStore) -> Result<Vec<ConsoleUser>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {USER_COLS} FROM console_users ORDER BY email"
    ))
    .fetch_all(&st.read)
    .await
    .map_err(db)?;
    rows.iter().map(|r| user_from_row(st, r)).collect()
}

pub(super) async fn take_totp_step(
    st: &SqlStore,
    user_id: &str,
    step: i64,
) -> Result<bool, StoreError> {
    let n = sqlx::query(
        "UPDATE console_users SET totp_last_step = $1 \
         WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(user_id)
    .execute(&st.write)
    .await
    .map_err(db)?
    .rows_affected();
    Ok(n == 1)
}

pub(super) async fn insert_session(st: &SqlStore, s: &ConsoleSession) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO console_sessions (id, user_id, created_at, seen_at, ended_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(s.id.as_str())
    .bind(s.user_id.as_str())
    .bind(ts(s.created_at))
    .bind(ts(s.seen_at))
    .bind(s.ended_at.map(ts))
    .execute(&st.write)
    .await
    .map_err(db)?;
    Ok(())
}

pub(super) async fn session(st: &SqlStore, id: &str) -> Result<ConsoleSession, StoreError> {
    let r = sqlx::query(
        "SELECT id, user_id, created_at, seen_at, ended_at FROM console_sessions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&st.read)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::NotFound("console session".into()))?;
    Ok(ConsoleSession {
        id: get(&r, "id")?,
        user_id: get(&r, "user_id")?,
        created_at: from_ts(get(&r, "created_at")?)?,
        seen_at: from_ts(get(&r, "seen_at")?)?,
        ended_at: get::<Option<i64>>(&r, "ended_at")?
            .map(from_ts)
            .transpose()?,
    })
}

pub(super) async fn touch_session(
    st: &SqlStore,
    id: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE console_sessions SET seen_at = $1 WHERE id = $2 AND seen_at < $1")
        .bind(ts(at))
        .bind(id)
        .execute(&st.write)
        .await
        .map_err(db)?;
    Ok(())
}

pub(super) async fn end_sessions(
    st: &SqlStore,
    session: Option<&str>,
    user: Option<&str>,
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let (column, value) = match (session, user) {
        (Some(s), _) => ("id", s),
        (None, Some(u)) => ("user_id", u),
        (None, None) => return Ok(0),
    };
    Ok(sqlx::query(&format!(
        "UPDATE console_sessions SET ended_at = $1 WHERE {column} = $2 AND ended_at IS NULL"
    ))
    .bind(ts(at))
    .bind(value)
    .execute(&st.write)
    .await
    .map_err(db)?
    .rows_affected())
}

pub(super) async fn record_failure(
    st: &SqlStore,
    email: &str,
    address: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO console_login_failures (at, email, address) VALUES ($1, $2, $3)")
        .bind(ts(at))
        .bind(email)
        .bind(address)
        .execute(&st.write)
        .await
        .map_err(db)?;
    Ok(())
}

pub(super) async fn failures_since(
    st: &SqlStore,
    email: &str,
    address: &str,
    since: DateTime<Utc>,
) -> Result<(u64, u64), StoreError> {
    let r = sqlx::query(
        "SELECT \
         (SELECT COUNT(*) FROM console_login_failures WHERE email = $1 AND at >= $3) AS by_email, \
         (SELECT COUNT(*) FROM console_login_failures WHERE address = $2 AND at >= $3) AS by_address",
    )
    .bind(email)
    .bind(address)
    .bind(ts(since))
    .fetch_one(&st.read)
    .await
    .map_err(db)?;
    let n = |c| get::<i64>(&r, c).map(|v| v.max(0) as u64);
    Ok((n("by_email")?, n("by_address")?))
}

pub(super) async fn claim(
    st: &SqlStore,
    item: &str,
    email: &str,
    at: DateTime<Utc>,
    lapsed_before: DateTime<Utc>,
) -> Result<String, StoreError> {
    let mut tx = st.write.begin().await.map_err(db)?;
    sqlx::query(
        "INSERT INTO console_claims (item, email, at) VALUES ($1, $2, $3) \
         ON CONFLICT (item) DO UPDATE SET email = excluded.email, at = excluded.at \
         WHERE console_claims.email = excluded.email OR console_claims.at < $4",
    )
    .bind(item)
    .bind(email)
    .bind(ts(at))
    .bind(ts(lapsed_before))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let r = sqlx::query("SELECT email FROM console_claims WHERE item = $1")
        .bind(item)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let holder: String = get(&r, "email")?;
    tx.commit().await.map_err(db)?;
    Ok(holder)
}

pub(super) async fn release(st: &SqlStore, item: &str, email: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM console_claims WHERE item = $1 AND email = $2")
        .bind(item)
        .bind(email)
        .execute(&st.write)
        .await
        .map_err(db)?;
    Ok(())
}

pub(super) async fn claims(
    st: &SqlStore,
    items: &[String],
    lapsed_before: DateTime<Utc>,
) -> Result<Vec<(String, String, DateTime<Utc>)>, StoreError> {
    let mut out = vec![];
    for chunk in items.chunks(100) {
        if chunk.is_empty() {
            continue;
        }
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT item, email, at FROM console_claims WHERE at >= $1 AND item IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(ts(lapsed_before));
        for i in chunk {
            q = q.bind(i.as_str());
        }
        for r in q.fetch_all(&st.read).await.map_err(db)? {
            out.push((
                get(&r, "item")?,
                get(&r, "email")?,
                from_ts(get(&r, "at")?)?,
            ));
        }
    }
    Ok(out)
}

fn approval_aad(id: &str) -> Vec<u8> {
    format!("custos:approval:v1:{id}").into_bytes()
}

/// The data key of a customer, or `Destroyed`.
async fn customer_dek(st: &SqlStore, id: &CustomerId) -> Result<SecretKey, StoreError> {
    let row = sqlx::query("SELECT kek_id, wrapped FROM data_keys WHERE customer_id = $1")
        .bind(id.as_str())
        .fetch_optional(&st.read)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::Destroyed(id.clone()))?;
    st.unwrap_dek(id, &row)
}

pub(super) async fn insert_approval(st: &SqlStore, a: &Approval) -> Result<(), StoreError> {
    let dek = customer_dek(st, &a.customer_id).await?;
    let body = zeroize::Zeroizing::new(json(&a.body)?);
    let sealed = crypto::seal(&dek, &approval_aad(&a.id), body.as_bytes())?;
    sqlx::query(
        "INSERT INTO approvals (id, kind, customer_id, target, body, requested_by, \
         requested_role, requested_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(a.id.as_str())
    .bind(a.kind.as_str())
    .bind(a.customer_id.as_str())
    .bind(a.target.as_str())
    .bind(sealed)
    .bind(a.requested_by.as_str())
    .bind(a.requested_role.as_str())
    .bind(ts(a.requested_at))
    .bind(a.state.as_str())
    .execute(&st.write)
    .await
    .map_err(db)?;
    Ok(())
}

const APPROVAL_COLS: &str = "id, kind, customer_id, target, requested_by, requested_role, \
                             requested_at, state, decided_by, decided_at";

fn approval_from_row(r: &AnyRow) -> Result<Approval, StoreError> {
    Ok(Approval {
        id: get(r, "id")?,
        kind: get(r, "kind")?,
        customer_id: CustomerId::parse(&get::<String>(r, "customer_id")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        target: get(r, "target")?,
        requested_by: get(r, "requested_by")?,
        requested_role: get(r, "requested_role")?,
        requested_at: from_ts(get(r, "requested_at")?)?,
        state: get(r, "state")?,
        decided_by: get(r, "decided_by")?,
        decided_at: get::<Option<i64>>(r, "decided_at")?
            .map(from_ts)
            .transpose()?,
        body: None,
    })
}

pub(super) async fn approval(st: &SqlStore, id: &str) -> Result<Approval, StoreError> {
    let r = sqlx::query(&format!(
        "SELECT {APPROVAL_COLS}, body FROM approvals WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&st.read)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::NotFound(format!("approval {id}")))?;
    let mut a = approval_from_row(&r)?;
    // A destroyed customer's decisions keep their record, not what they said.
    let dek = match customer_dek(st, &a.customer_id).await {
        Ok(k) => k,
        Err(StoreError::Destroyed(_)) => return Ok(a),
        Err(e) => return Err(e),
    };
    let plain = zeroize::Zeroizing::new(crypto::open(
        &dek,
        &approval_aad(&a.id),
        &get::<Vec<u8>>(&r, "body")?,
    )?);
    a.body = serde_json::from_slice(&plain)
        .map_err(|e| StoreError::Corrupt(format!("approval body: {e}")))?;
    Ok(a)
}

pub(super) async fn approvals(
    st: &SqlStore,
    state: Option<&str>,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<Approval>, StoreError> {
    let in_state = if state.is_some() {
        "state = $3 AND"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {APPROVAL_COLS} FROM approvals WHERE {in_state} id > $1 ORDER BY id LIMIT $2"
    );
    let mut q = sqlx::query(&sql)
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit));
    if let Some(s) = state {
        q = q.bind(s);
    }
    let rows = q.fetch_all(&st.read).await.map_err(db)?;
    rows.iter().map(approval_from_row).collect()
}

pub(super) async fn decide_approval(
    st: &SqlStore,
    id: &str,
    from: &str,
    to: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let n = sqlx::query(
        "UPDATE approvals SET state = $1, decided_by = $2, decided_at = $3 \
         WHERE id = $4 AND state = $5",
    )
    .bind(to)
    .bind(by)
    .bind(ts(at))
    .bind(id)
    .bind(from)
    .execute(&st.write)
    .await
    .map_err(db)?
    .rows_affected();
    if n == 0 {
        approval_from_row(
            &sqlx::query(&format!(
                "SELECT {APPROVAL_COLS} FROM approvals WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(&st.read)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::NotFound(format!("approval {id}")))?,
        )
        .and_then(|a| {
            Err(StoreError::Conflict(format!(
                "approval {id} is {} already",
                a.state
            )))
        })
    } else {
        Ok(())
    }
}

#[async_trait]
impl PeopleStore for SqlStore {
    async fn insert_console_user(&self, u: &ConsoleUser) -> Result<(), StoreError> {
        insert_user(self, u).await
    }

    async fn update_console_user(&self, u: &ConsoleUser) -> Result<(), StoreError> {
        update_user(self, u).await
    }

    async fn console_user(&self, id: &str) -> Result<ConsoleUser, StoreError> {
        user(self, "id", id).await
    }

    async fn console_user_by_email(&self, email: &str) -> Result<ConsoleUser, StoreError> {
        user(self, "email", email).await
    }

    async fn console_users(&self) -> Result<Vec<ConsoleUser>, StoreError> {
        users(self).await
    }

    async fn take_totp_step(&self, user_id: &str, step: i64) -> Result<bool, StoreError> {
        take_totp_step(self, user_id, step).await
    }

    async fn insert_console_session(&self, s: &ConsoleSession) -> Result<(), StoreError> {
        insert_session(self, s).await
    }

    async fn console_session(&self, id: &str) -> Result<ConsoleSession, StoreError> {
        session(self, id).await
    }

    async fn touch_console_session(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        touch_session(self, id, at).await
    }

    async fn end_console_sessions(
        &self,
        session: Option<&str>,
        user: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        end_sessions(self, session, user, at).await
    }

    async fn record_login_failure(
        &self,
        email: &str,
        address: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        record_failure(self, email, address, at).await
    }

    async fn login_failures_since(
        &self,
        email: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> Result<(u64, u64), StoreError> {
        failures_since(self, email, address, since).await
    }

    async fn claim_item(
        &self,
        item: &str,
        email: &str,
        at: DateTime<Utc>,
        lapsed_before: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        claim(self, item, email, at, lapsed_before).await
    }

    async fn release_claim(&self, item: &str, email: &str) -> Result<(), StoreError> {
        release(self, item, email).await
    }

    async fn claims(
        &self,
        items: &[String],
        lapsed_before: DateTime<Utc>,
    ) -> Result<Vec<(String, String, DateTime<Utc>)>, StoreError> {
        claims(self, items, lapsed_before).await
    }

    async fn insert_approval(&self, a: &Approval) -> Result<(), StoreError> {
        insert_approval(self, a).await
    }

    async fn approval(&self, id: &str) -> Result<Approval, StoreError> {
        approval(self, id).await
    }

    async fn approvals(
        &self,
        state: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Approval>, StoreError> {
        approvals(self, state, after, limit).await
    }

    async fn decide_approval(
        &self,
        id: &str,
        from: &str,
        to: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        decide_approval(self, id, from, to, by, at).await
    }
}
