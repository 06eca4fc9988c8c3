//! The SQL backends: SQLite (embedded default) and PostgreSQL, through one set of statements.
//!
//! Both dialects accept `$N` placeholders, `ON CONFLICT` and `RETURNING`, so the statements are
//! shared; only the schema migrations, connection set-up and row locking differ. SQLite runs
//! in WAL mode with one writer connection (SQLite serialises writers anyway; one connection
//! avoids busy-waiting) and a small pool of readers.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use custos_core::customer::CustomerSummary;
use custos_core::screening::CaseState;
use custos_core::{Account, AccountId, AccountStatus, Customer, CustomerId, Decision, LegalHold};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

use crate::blind::{self, IndexKind};
use crate::crypto::{self, Keyring, SecretKey, WrappedKey};
use crate::{
    ApiKeyRecord, AuditEntry, AuditRecord, ComplianceRecord, DocumentMeta, IdemBegin,
    RetentionWork, Store, StoreError, StoredCase, StoredListVersion, Tombstone, Versioned,
    audit_hash,
};

/// Which database a [`SqlStore`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

fn case_state(s: CaseState) -> &'static str {
    match s {
        CaseState::Open => "open",
        CaseState::Confirmed => "confirmed",
        CaseState::FalsePositive => "false_positive",
        CaseState::Cleared => "cleared",
    }
}

fn stored_case(row: &AnyRow) -> Result<StoredCase, StoreError> {
    Ok(StoredCase {
        customer_id: CustomerId::parse(&get::<String>(row, "customer_id")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        case: from_json(&get::<String>(row, "body")?, "screening case")?,
    })
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "lists",
        include_str!("../migrations/sqlite/0002_lists.sql"),
    ),
    (
        3,
        "screening",
        include_str!("../migrations/sqlite/0003_screening.sql"),
    ),
    (
        4,
        "compliance",
        include_str!("../migrations/sqlite/0004_compliance.sql"),
    ),
    (
        5,
        "list_measure",
        include_str!("../migrations/sqlite/0005_list_measure.sql"),
    ),
    (
        6,
        "retention_queue",
        include_str!("../migrations/sqlite/0006_retention_queue.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "lists",
        include_str!("../migrations/postgres/0002_lists.sql"),
    ),
    (
        3,
        "screening",
        include_str!("../migrations/postgres/0003_screening.sql"),
    ),
    (
        4,
        "compliance",
        include_str!("../migrations/postgres/0004_compliance.sql"),
    ),
    (
        5,
        "list_measure",
        include_str!("../migrations/postgres/0005_list_measure.sql"),
    ),
    (
        6,
        "retention_queue",
        include_str!("../migrations/postgres/0006_retention_queue.sql"),
    ),
];

/// How long an idempotency key stays reserved by a request that never completed (the process
/// died mid-request) before another request may take it over.
const IDEM_STALE_MICROS: i64 = 60_000_000;

/// The SQL implementation of [`Store`].
#[derive(Debug)]
pub struct SqlStore {
    backend: Backend,
    write: AnyPool,
    read: AnyPool,
    keyring: Arc<dyn Keyring>,
    /// Keeps the SQLite checkpointer running while the store lives.
    _alive: Option<Arc<()>>,
    /// SQLite only: idempotency keys whose first request is still running, with its hash.
    in_flight: std::sync::Mutex<std::collections::HashMap<(String, String), [u8; 32]>>,
}

/// SQLite checkpoints the write-ahead log into the database file, and that is where it
/// fsyncs. Left to itself it does so on the committing connection, stalling the one writer
/// for milliseconds. Instead a reader connection runs a passive checkpoint twice a second, off
/// the write path; the writer's own auto-checkpoint threshold is raised to a backstop.
fn spawn_checkpointer(pool: AnyPool, alive: std::sync::Weak<()>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            if alive.upgrade().is_none() {
                break;
            }
            if let Err(e) = pool.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
    });
}

fn db(e: sqlx::Error) -> StoreError {
    if let Some(d) = e.as_database_error()
        && d.is_unique_violation()
    {
        return StoreError::Conflict("a record with this id already exists".into());
    }
    StoreError::Backend(Box::new(e))
}

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn from_ts(v: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(v).ok_or_else(|| StoreError::Corrupt(format!("timestamp {v}")))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn dek_aad(id: &CustomerId) -> Vec<u8> {
    format!("custos:dek:v1:{id}").into_bytes()
}

fn document_aad(id: &str) -> Vec<u8> {
    format!("custos:document:v1:{id}").into_bytes()
}

fn record_aad(id: &CustomerId) -> Vec<u8> {
    format!("custos:record:v1:{id}").into_bytes()
}

fn needs_action(a: &Account) -> i64 {
    i64::from(a.status() != AccountStatus::Closed && a.decision.decision != Decision::Approve)
}

fn get<'r, T>(row: &'r AnyRow, col: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(col).map_err(db)
}

impl SqlStore {
    /// Connects to `url`: `sqlite://PATH` or `postgres://...`.
    pub async fn connect(url: &str, keyring: Arc<dyn Keyring>) -> Result<Self, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            Self::open_sqlite(Path::new(path), keyring).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(url, keyring).await
        } else {
            Err(StoreError::Backend(
                format!("unsupported database URL scheme in `{}`", redact_url(url)).into(),
            ))
        }
    }

    /// Opens (creating if needed) a SQLite database file.
    pub async fn open_sqlite(path: &Path, keyring: Arc<dyn Keyring>) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let setup = sqlite_setup;
        let write = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(setup)
            .connect(&url)
            .await
            .map_err(db)?;
        let read = AnyPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(setup)
            .connect(&url)
            .await
            .map_err(db)?;
        let alive = Arc::new(());
        spawn_checkpointer(read.clone(), Arc::downgrade(&alive));
        Ok(SqlStore {
            backend: Backend::Sqlite,
            write,
            read,
            keyring,
            _alive: Some(alive),
            in_flight: Default::default(),
        })
    }

    pub async fn open_postgres(url: &str, keyring: Arc<dyn Keyring>) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(db)?;
        Ok(SqlStore {
            backend: Backend::Postgres,
            write: pool.clone(),
            read: pool,
            keyring,
            _alive: None,
            in_flight: Default::default(),
        })
    }

    /// Runs a statement outside the store's rules. For tests that check what the database
    /// itself refuses (the audit log's triggers), not for application code.
    #[doc(hidden)]
    pub async fn execute_unchecked(&self, sql: &str) -> Result<u64, StoreError> {
        Ok(self.write.execute(sql).await.map_err(db)?.rows_affected())
    }

    /// The installation's id, made the first time it is asked for (by whichever process is
    /// first: the insert leaves an id already there alone), and the keyring tied to it; see
    /// [`Keyring::bind`].
    pub async fn bind_keyring(&self) -> Result<String, StoreError> {
        let mut fresh = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut fresh);
        let now = Utc::now();
        let candidate = crate::ComplianceRecord {
            id: "installation".into(),
            kind: "installation".into(),
            subject: None,
            created_at: now,
            due_at: None,
            closed_at: None,
            body: serde_json::json!({ "id": hex::encode(fresh) }),
        };
        sqlx::query(
            "INSERT INTO compliance_records (id, kind, subject, created_at, due_at, closed_at, \
             body) VALUES ($1, $2, NULL, $3, NULL, NULL, $4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(candidate.id.as_str())
        .bind(candidate.kind.as_str())
        .bind(ts(now))
        .bind(json(&candidate)?)
        .execute(&self.write)
        .await
        .map_err(db)?;
        let id = self
            .compliance_record("installation")
            .await?
            .body
            .get("id")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| StoreError::Corrupt("the installation record has no id".into()))?;
        self.keyring.bind(&id)?;
        Ok(id)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn keyring(&self) -> &Arc<dyn Keyring> {
        &self.keyring
    }

    fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    fn index_rows(&self, c: &Customer) -> Vec<(IndexKind, [u8; 32])> {
        let key = self.keyring.index_key();
        blind::entries(c)
            .into_iter()
            .map(|(k, v)| (k, blind::digest(key, k, &v)))
            .collect()
    }

    fn seal_record(&self, dek: &SecretKey, c: &Customer) -> Result<Vec<u8>, StoreError> {
        let plain = zeroize::Zeroizing::new(json(c)?);
        crypto::seal(dek, &record_aad(&c.id), plain.as_bytes())
    }

    async fn write_indexes(
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
    async fn write_cases(
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

    async fn write_accounts(
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

    fn account_from_row(row: &AnyRow) -> Result<Account, StoreError> {
        from_json(&get::<String>(row, "body")?, "account")
    }

    async fn accounts_where(
        &self,
        sql: &str,
        binds: &[&str],
        limit: Option<u32>,
    ) -> Result<Vec<Account>, StoreError> {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        if let Some(l) = limit {
            q = q.bind(i64::from(l));
        }
        let rows = q.fetch_all(&self.read).await.map_err(db)?;
        rows.iter().map(Self::account_from_row).collect()
    }

    fn unwrap_dek(&self, id: &CustomerId, row: &AnyRow) -> Result<SecretKey, StoreError> {
        let w = WrappedKey {
            kek_id: get(row, "kek_id")?,
            bytes: get(row, "wrapped")?,
        };
        self.keyring.unwrap(&w, &dek_aad(id))
    }
}

impl SqlStore {
    /// Idempotency for SQLite. One process owns a SQLite database, so a request in flight is
    /// tracked in memory and only the finished response is written: one write per request
    /// instead of two on the single writer connection. A key replayed after a crash mid-request
    /// runs again, as it does on PostgreSQL once a reservation goes stale.
    async fn idem_begin_local(
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

    async fn idem_begin_row(
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

    async fn idem_complete_row(
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

    async fn idem_abandon_row(&self, principal: &str, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency WHERE principal = $1 AND key = $2 AND status IS NULL")
            .bind(principal)
            .bind(key)
            .execute(&self.write)
            .await
            .map_err(db)?;
        Ok(())
    }
}

type SetupFuture<'c> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'c>>;

/// Per-connection SQLite settings: write-ahead logging, so readers never block the writer;
/// `synchronous = NORMAL`, which in WAL mode loses no committed transaction on a process crash
/// (only on power loss before the next checkpoint); a high auto-checkpoint threshold (see
/// [`spawn_checkpointer`]); foreign keys; a busy timeout; and `secure_delete`, so that deleted
/// content (a destroyed customer's sealed record and wrapped key) is overwritten with zeros,
/// not left in free pages.
fn sqlite_setup(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> SetupFuture<'_> {
    Box::pin(async move {
        conn.execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 20000; \
             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA secure_delete = ON;",
        )
        .await?;
        Ok(())
    })
}

/// A database URL with any password replaced, fit for an error message or a log.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn migrate(&self) -> Result<usize, StoreError> {
        let (set, lock) = match self.backend {
            Backend::Sqlite => (SQLITE_MIGRATIONS, ""),
            Backend::Postgres => (
                POSTGRES_MIGRATIONS,
                "LOCK TABLE custos_migrations IN EXCLUSIVE MODE",
            ),
        };
        self.write
            .execute(
                "CREATE TABLE IF NOT EXISTS custos_migrations (version BIGINT PRIMARY KEY, \
                 name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )
            .await
            .map_err(db)?;
        let mut applied = 0;
        for (version, name, sql) in set {
            let mut tx = self.write.begin().await.map_err(db)?;
            if !lock.is_empty() {
                tx.execute(lock).await.map_err(db)?;
            }
            let done = sqlx::query("SELECT version FROM custos_migrations WHERE version = $1")
                .bind(*version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
            if done.is_some() {
                tx.rollback().await.map_err(db)?;
                continue;
            }
            tx.execute(*sql).await.map_err(db)?;
            sqlx::query(
                "INSERT INTO custos_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(*version)
            .bind(*name)
            .bind(ts(Utc::now()))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            tx.commit().await.map_err(db)?;
            applied += 1;
        }
        Ok(applied)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn create_customer(&self, c: &Customer, s: &CustomerSummary) -> Result<(), StoreError> {
        let dek = SecretKey::generate();
        let wrapped = self.keyring.wrap(&dek, &dek_aad(&c.id))?;
        let record = self.seal_record(&dek, c)?;
        let now = ts(c.created_at);
        let mut tx = self.write.begin().await.map_err(db)?;
        sqlx::query(
            "INSERT INTO customers (id, created_at, updated_at, version, summary, record) \
             VALUES ($1, $2, $2, 1, $3, $4)",
        )
        .bind(c.id.as_str())
        .bind(now)
        .bind(json(s)?)
        .bind(record)
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
        self.write_indexes(&mut tx, c).await?;
        Self::write_cases(&mut tx, &c.id, s).await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn load_customer(&self, id: &CustomerId) -> Result<Versioned<Customer>, StoreError> {
        let row = sqlx::query(
            "SELECT c.version, c.record, c.destroyed_at, k.kek_id, k.wrapped \
             FROM customers c LEFT JOIN data_keys k ON k.customer_id = c.id WHERE c.id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.read)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("customer {id}")))?;
        if get::<Option<i64>>(&row, "destroyed_at")?.is_some() {
            return Err(StoreError::Destroyed(id.clone()));
        }
        let dek = self.unwrap_dek(id, &row)?;
        let sealed: Vec<u8> = get(&row, "record")?;
        let plain = zeroize::Zeroizing::new(crypto::open(&dek, &record_aad(id), &sealed)?);
        let c: Customer = serde_json::from_slice(&plain)
            .map_err(|e| StoreError::Corrupt(format!("customer record: {e}")))?;
        Ok(Versioned {
            value: c,
            version: get(&row, "version")?,
        })
    }

    async fn load_summary(
        &self,
        id: &CustomerId,
    ) -> Result<Versioned<CustomerSummary>, StoreError> {
        let row = sqlx::query("SELECT version, summary, destroyed_at FROM customers WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.read)
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

    async fn save_customer(
        &self,
        c: &Customer,
        s: &CustomerSummary,
        expected_version: i64,
        accounts: &[Account],
    ) -> Result<i64, StoreError> {
        let mut tx = self.write.begin().await.map_err(db)?;
        let row = sqlx::query(&format!(
            "SELECT kek_id, wrapped FROM data_keys WHERE customer_id = $1{}",
            self.for_update()
        ))
        .bind(c.id.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::Destroyed(c.id.clone()))?;
        let dek = self.unwrap_dek(&c.id, &row)?;
        let record = self.seal_record(&dek, c)?;
        let next = expected_version + 1;
        let n = sqlx::query(
            "UPDATE customers SET record = $1, summary = $2, version = $3, updated_at = $4 \
             WHERE id = $5 AND version = $6 AND destroyed_at IS NULL",
        )
        .bind(record)
        .bind(json(s)?)
        .bind(next)
        .bind(ts(Utc::now()))
        .bind(c.id.as_str())
        .bind(expected_version)
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
        self.write_indexes(&mut tx, c).await?;
        Self::write_cases(&mut tx, &c.id, s).await?;
        Self::write_accounts(&mut tx, accounts).await?;
        tx.commit().await.map_err(db)?;
        Ok(next)
    }

    async fn find_customers(
        &self,
        kind: IndexKind,
        value: &str,
    ) -> Result<Vec<CustomerId>, StoreError> {
        let d = blind::digest(self.keyring.index_key(), kind, value);
        let rows = sqlx::query(
            "SELECT customer_id FROM blind_index WHERE kind = $1 AND digest = $2 \
             ORDER BY customer_id",
        )
        .bind(kind.as_str())
        .bind(d.to_vec())
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                CustomerId::parse(&get::<String>(r, "customer_id")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }

    async fn customer_ids(
        &self,
        after: Option<&CustomerId>,
        limit: u32,
    ) -> Result<Vec<CustomerId>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM customers WHERE destroyed_at IS NULL AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after.map_or("", |a| a.as_str()))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                CustomerId::parse(&get::<String>(r, "id")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }

    async fn tombstone(&self, id: &CustomerId) -> Result<Option<Tombstone>, StoreError> {
        let row = sqlx::query("SELECT body FROM tombstones WHERE customer_id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.map(|r| from_json(&get::<String>(&r, "body")?, "tombstone"))
            .transpose()
    }

    async fn insert_account(&self, a: &Account) -> Result<(), StoreError> {
        sqlx::query(
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
        .bind(json(a)?)
        .execute(&self.write)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn get_account(&self, id: &AccountId) -> Result<Account, StoreError> {
        let row = sqlx::query("SELECT body FROM accounts WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.read)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::NotFound(format!("account {id}")))?;
        Self::account_from_row(&row)
    }

    async fn known_accounts(&self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        let mut out = vec![];
        // Chunks well under both databases' limits on bound parameters.
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("SELECT id FROM accounts WHERE id IN ({})", marks.join(", "));
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id.as_str());
            }
            for row in q.fetch_all(&self.read).await.map_err(db)? {
                out.push(get::<String>(&row, "id")?);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    async fn update_accounts(&self, a: &[Account]) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await.map_err(db)?;
        Self::write_accounts(&mut tx, a).await?;
        tx.commit().await.map_err(db)
    }

    async fn accounts_of(&self, customer: &CustomerId) -> Result<Vec<Account>, StoreError> {
        self.accounts_where(
            "SELECT body FROM accounts WHERE customer_id = $1 ORDER BY id",
            &[customer.as_str()],
            None,
        )
        .await
    }

    async fn children_of(&self, parent: &AccountId) -> Result<Vec<Account>, StoreError> {
        self.accounts_where(
            "SELECT body FROM accounts WHERE parent_id = $1 ORDER BY id",
            &[parent.as_str()],
            None,
        )
        .await
    }

    async fn accounts_needing_action(
        &self,
        after: Option<&AccountId>,
        limit: u32,
    ) -> Result<Vec<Account>, StoreError> {
        self.accounts_where(
            "SELECT body FROM accounts WHERE needs_action = 1 AND id > $1 ORDER BY id LIMIT $2",
            &[after.map_or("", |a| a.as_str())],
            Some(limit),
        )
        .await
    }

    async fn place_hold(&self, customer: &CustomerId, hold: &LegalHold) -> Result<(), StoreError> {
        let exists = sqlx::query("SELECT id FROM customers WHERE id = $1")
            .bind(customer.as_str())
            .fetch_optional(&self.read)
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
        .execute(&self.write)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn release_hold(
        &self,
        customer: &CustomerId,
        hold_id: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<LegalHold, StoreError> {
        let mut tx = self.write.begin().await.map_err(db)?;
        let row = sqlx::query(&format!(
            "SELECT body FROM legal_holds WHERE id = $1 AND customer_id = $2{}",
            self.for_update()
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

    async fn holds(&self, customer: &CustomerId) -> Result<Vec<LegalHold>, StoreError> {
        let rows = sqlx::query(
            "SELECT body FROM legal_holds WHERE customer_id = $1 ORDER BY placed_at, id",
        )
        .bind(customer.as_str())
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| from_json(&get::<String>(r, "body")?, "legal hold"))
            .collect()
    }

    async fn destroy_customer(
        &self,
        id: &CustomerId,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<Tombstone, StoreError> {
        let mut tx = self.write.begin().await.map_err(db)?;
        let row = sqlx::query(&format!(
            "SELECT destroyed_at FROM customers WHERE id = $1{}",
            self.for_update()
        ))
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("customer {id}")))?;
        if get::<Option<i64>>(&row, "destroyed_at")?.is_some() {
            return Err(StoreError::Destroyed(id.clone()));
        }
        let held = sqlx::query(
            "SELECT id FROM legal_holds WHERE customer_id = $1 AND released_at IS NULL",
        )
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
            "UPDATE customers SET record = NULL, summary = '{}', destroyed_at = $1, \
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

    async fn append_audit(&self, e: &AuditEntry) -> Result<AuditRecord, StoreError> {
        let body = json(e)?;
        let mut tx = self.write.begin().await.map_err(db)?;
        let head = sqlx::query(&format!(
            "SELECT seq, hash FROM audit_head WHERE id = 1{}",
            self.for_update()
        ))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let prev_seq: i64 = get(&head, "seq")?;
        let prev: Vec<u8> = get(&head, "hash")?;
        let seq = prev_seq + 1;
        let hash = audit_hash(&prev, seq, &body);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, body, prev_hash, hash) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(seq)
        .bind(ts(e.at))
        .bind(body)
        .bind(prev.clone())
        .bind(hash.to_vec())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(hash.to_vec())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(AuditRecord {
            seq,
            entry: e.clone(),
            prev_hash: hex::encode(prev),
            hash: hex::encode(hash),
        })
    }

    async fn audit_entries(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, body, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
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

    async fn insert_api_key(&self, k: &ApiKeyRecord) -> Result<(), StoreError> {
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
        .execute(&self.write)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn get_api_key(&self, id: &str) -> Result<ApiKeyRecord, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, role, hash, created_at, revoked_at, scope FROM api_keys WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound("API key".into()))?;
        key_from_row(&row)
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, role, hash, created_at, revoked_at, scope FROM api_keys ORDER BY created_at, id",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter().map(key_from_row).collect()
    }

    async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let n =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(ts(at))
                .bind(id)
                .execute(&self.write)
                .await
                .map_err(db)?
                .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("active API key {id}")));
        }
        Ok(())
    }

    async fn idem_begin(
        &self,
        principal: &str,
        key: &str,
        request_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<IdemBegin, StoreError> {
        match self.backend {
            Backend::Postgres => self.idem_begin_row(principal, key, request_hash, now).await,
            Backend::Sqlite => self.idem_begin_local(principal, key, request_hash).await,
        }
    }

    async fn idem_complete(
        &self,
        principal: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<(), StoreError> {
        match self.backend {
            Backend::Postgres => self.idem_complete_row(principal, key, status, body).await,
            Backend::Sqlite => {
                let hash = self
                    .in_flight
                    .lock()
                    .map_err(|_| StoreError::Corrupt("idempotency lock poisoned".into()))?
                    .get(&(principal.to_owned(), key.to_owned()))
                    .copied()
                    .ok_or_else(|| {
                        StoreError::Conflict("no request in flight with this key".into())
                    })?;
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
                .execute(&self.write)
                .await
                .map_err(db);
                self.idem_abandon(principal, key).await?;
                r.map(|_| ())
            }
        }
    }

    async fn idem_abandon(&self, principal: &str, key: &str) -> Result<(), StoreError> {
        match self.backend {
            Backend::Postgres => self.idem_abandon_row(principal, key).await,
            Backend::Sqlite => {
                if let Ok(mut m) = self.in_flight.lock() {
                    m.remove(&(principal.to_owned(), key.to_owned()));
                }
                Ok(())
            }
        }
    }

    async fn screening_cases(
        &self,
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
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter().map(stored_case).collect()
    }

    async fn screening_case(&self, id: &str) -> Result<StoredCase, StoreError> {
        let row = sqlx::query("SELECT customer_id, body FROM screening_cases WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::NotFound(format!("screening case {id}")))?;
        stored_case(&row)
    }

    async fn rewrap_data_keys(&self) -> Result<u64, StoreError> {
        let primary = self.keyring.primary_id();
        let mut n = 0;
        // Program documents' keys first, then customers'.
        let rows =
            sqlx::query("SELECT id, kek_id, wrapped FROM compliance_documents WHERE kek_id <> $1")
                .bind(primary.as_str())
                .fetch_all(&self.write)
                .await
                .map_err(db)?;
        for r in &rows {
            let id: String = get(r, "id")?;
            let aad = document_aad(&id);
            let w = WrappedKey {
                kek_id: get(r, "kek_id")?,
                bytes: get(r, "wrapped")?,
            };
            let w = self.keyring.wrap(&self.keyring.unwrap(&w, &aad)?, &aad)?;
            sqlx::query("UPDATE compliance_documents SET kek_id = $1, wrapped = $2 WHERE id = $3")
                .bind(w.kek_id)
                .bind(w.bytes)
                .bind(id.as_str())
                .execute(&self.write)
                .await
                .map_err(db)?;
            n += 1;
        }
        loop {
            // Read again each round: if another process rotated meanwhile, keys are wrapped
            // under its primary, and the query must not find them again for ever.
            let primary = self.keyring.primary_id();
            let rows = sqlx::query(
                "SELECT customer_id, kek_id, wrapped FROM data_keys WHERE kek_id <> $1 \
                 ORDER BY customer_id LIMIT 500",
            )
            .bind(primary.as_str())
            .fetch_all(&self.write)
            .await
            .map_err(db)?;
            if rows.is_empty() {
                return Ok(n);
            }
            let mut tx = self.write.begin().await.map_err(db)?;
            for r in &rows {
                let id = CustomerId::parse(&get::<String>(r, "customer_id")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let dek = self.unwrap_dek(&id, r)?;
                let w = self.keyring.wrap(&dek, &dek_aad(&id))?;
                sqlx::query(
                    "UPDATE data_keys SET kek_id = $1, wrapped = $2 WHERE customer_id = $3",
                )
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

    fn index_key(&self) -> &SecretKey {
        self.keyring.index_key()
    }

    async fn shred_keys(&self) -> Result<Vec<String>, StoreError> {
        let primary = self.keyring.rotate()?;
        self.rewrap_data_keys().await?;
        // Nothing may still be wrapped under a KEK about to be forgotten (and if another
        // process rotated meanwhile, nothing is retired: `retire_all_but` refuses).
        for table in ["data_keys", "compliance_documents"] {
            let left = sqlx::query(&format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE kek_id <> $1"
            ))
            .bind(primary.as_str())
            .fetch_one(&self.write)
            .await
            .map_err(db)?;
            let n: i64 = get(&left, "n")?;
            if n > 0 {
                return Err(StoreError::Conflict(format!(
                    "{n} key(s) in {table} are still wrapped under an older KEK; nothing retired"
                )));
            }
        }
        let gone = self.keyring.retire_all_but(&primary)?;
        match self.backend {
            Backend::Sqlite => {
                // The WAL still holds the pages as they were before the deletes: copied into
                // the database (where secure_delete zeroed the content) and cut to nothing.
                // A reader in the middle of a transaction can hold the checkpoint back; the
                // keys are retired whatever happens here.
                match sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(&self.write)
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
                    if let Err(e) = self.write.execute(&*format!("VACUUM {table}")).await {
                        tracing::warn!(error = %e, table, "VACUUM after shredding failed");
                    }
                }
            }
        }
        Ok(gone)
    }

    async fn queue_work(
        &self,
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
        let mut tx = self.write.begin().await.map_err(db)?;
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

    async fn pending_work(
        &self,
        kind: RetentionWork,
        limit: u32,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        sqlx::query(
            "SELECT subject, generation FROM retention_queue WHERE kind = $1 AND done_at IS NULL \
             ORDER BY queued_at, subject LIMIT $2",
        )
        .bind(kind.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.write)
        .await
        .map_err(db)?
        .iter()
        .map(|r| Ok((get::<String>(r, "subject")?, get::<i64>(r, "generation")?)))
        .collect()
    }

    async fn requeue_done(
        &self,
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
            for row in q.fetch_all(&self.read).await.map_err(db)? {
                done.push(get::<String>(&row, "subject")?);
            }
        }
        if !done.is_empty() {
            self.queue_work(kind, &done, at, true).await?;
        }
        Ok(done)
    }

    async fn work_done(
        &self,
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
        .execute(&self.write)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn put_compliance_record(&self, r: &ComplianceRecord) -> Result<(), StoreError> {
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
        .execute(&self.write)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn compliance_record(&self, id: &str) -> Result<ComplianceRecord, StoreError> {
        let row = sqlx::query("SELECT body FROM compliance_records WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::NotFound(format!("compliance record {id}")))?;
        from_json(&get::<String>(&row, "body")?, "compliance record")
    }

    async fn compliance_records(
        &self,
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
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| from_json(&get::<String>(r, "body")?, "compliance record"))
            .collect()
    }

    async fn add_document(
        &self,
        meta: &DocumentMeta,
        content: &[u8],
    ) -> Result<DocumentMeta, StoreError> {
        let mut tx = self.write.begin().await.map_err(db)?;
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
        let wrapped = self.keyring.wrap(&dek, &aad)?;
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

    async fn documents(
        &self,
        owner: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Vec<DocumentMeta>, StoreError> {
        let rows = sqlx::query(
            "SELECT meta FROM compliance_documents WHERE ($1 IS NULL OR owner = $1) \
             AND ($2 IS NULL OR kind = $2) ORDER BY owner, kind, version",
        )
        .bind(owner.map(str::to_owned))
        .bind(kind.map(str::to_owned))
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| from_json(&get::<String>(r, "meta")?, "document"))
            .collect()
    }

    async fn document(&self, id: &str) -> Result<(DocumentMeta, Vec<u8>), StoreError> {
        let row = sqlx::query(
            "SELECT meta, kek_id, wrapped, content FROM compliance_documents WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::NotFound(format!("document {id}")))?;
        let m: DocumentMeta = from_json(&get::<String>(&row, "meta")?, "document")?;
        let aad = document_aad(&m.id);
        let w = WrappedKey {
            kek_id: get(&row, "kek_id")?,
            bytes: get(&row, "wrapped")?,
        };
        let dek = self.keyring.unwrap(&w, &aad)?;
        let content = crypto::open(&dek, &aad, &get::<Vec<u8>>(&row, "content")?)?;
        Ok((m, content))
    }

    async fn save_list_version(
        &self,
        v: &custos_screen::ListVersion,
        entities: &[custos_screen::ListEntity],
        diff: &custos_screen::Diff,
    ) -> Result<StoredListVersion, StoreError> {
        let mut tx = self.write.begin().await.map_err(db)?;
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) AS last FROM list_versions")
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let id: i64 = get::<i64>(&row, "last")? + 1;
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
            version: v.clone(),
            diff: diff.clone(),
            current: true,
        })
    }

    async fn list_versions(
        &self,
        list: Option<&str>,
    ) -> Result<Vec<StoredListVersion>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, list, format, source, retrieved_at, content_hash, entries, diff, current, \
             measure FROM list_versions WHERE ($1 = '' OR list = $1) ORDER BY id DESC",
        )
        .bind(list.unwrap_or(""))
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(StoredListVersion {
                    id: get(r, "id")?,
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

    async fn list_entries(
        &self,
        version_id: i64,
    ) -> Result<Vec<custos_screen::ListEntity>, StoreError> {
        let rows =
            sqlx::query("SELECT body FROM list_entries WHERE version_id = $1 ORDER BY entity_id")
                .bind(version_id)
                .fetch_all(&self.read)
                .await
                .map_err(db)?;
        rows.iter()
            .map(|r| from_json(&get::<String>(r, "body")?, "list entry"))
            .collect()
    }
}

fn key_from_row(row: &AnyRow) -> Result<ApiKeyRecord, StoreError> {
    Ok(ApiKeyRecord {
        id: get(row, "id")?,
        name: get(row, "name")?,
        role: get(row, "role")?,
        hash: get(row, "hash")?,
        created_at: from_ts(get(row, "created_at")?)?,
        revoked_at: get::<Option<i64>>(row, "revoked_at")?
            .map(from_ts)
            .transpose()?,
        scope: get(row, "scope")?,
    })
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            other => Err(format!("unknown backend `{other}` (sqlite or postgres)")),
        }
    }
}
