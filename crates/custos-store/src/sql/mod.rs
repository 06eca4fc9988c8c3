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
    AccountQuery, ApiKeyRecord, AuditEntry, AuditRecord, ComplianceRecord, CustomerQuery,
    DeliveryOutcome, DocumentMeta, HoldQuery, IdemBegin, LoadedCustomer, OutboxEvent,
    RetentionWork, Store, StoreError, StoredCase, StoredEvent, StoredListVersion, Tombstone,
    Versioned, WebhookAttempt, WebhookDelivery, WebhookEndpoint, audit_hash,
};

mod accounts;
mod audit;
mod compliance;
mod console;
mod customers;
mod keys;
mod lookups;
mod migrations;
mod reference;
mod rows;
mod sharing;
mod url;

pub use url::redact_url;
mod webhooks;

use migrations::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

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
            .after_connect(postgres_setup)
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

/// Per-connection PostgreSQL settings. No JIT compilation: its threshold is a plan's estimated
/// cost, which a page of a walk over every customer (a range of ids joined to their keys and
/// screening marks) passes; compiling each such query took 30 ms of a 100 ms statement that
/// runs in 12 ms without it. And every execution planned for its own parameters
/// (`plan_cache_mode = force_custom_plan`), never by a generic plan kept from the
/// statement's first runs: one planned while a table was still empty (the screening marks,
/// before the first re-screening) went on reading the whole table once it held a million
/// rows, for every page. The store's statements are lookups and pages, whose planning is
/// cheap beside a wrong plan.
fn postgres_setup(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> SetupFuture<'_> {
    Box::pin(async move {
        conn.execute("SET jit = off; SET plan_cache_mode = force_custom_plan")
            .await?;
        Ok(())
    })
}

impl SqlStore {
    /// Makes a transaction that reads before it writes the writer from its first statement.
    /// On SQLite a transaction that reads first and writes later fails at once (not after the
    /// busy timeout) when another process (the server, while a command runs) wrote in
    /// between: a no-op write takes the write lock, waiting for it, before anything is read.
    /// PostgreSQL locks the rows it reads (`for_update`).
    pub(crate) async fn writer_first(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
                .execute(&mut **tx)
                .await
                .map_err(db)?;
        }
        Ok(())
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
        lookups::backfill_once(self).await?;
        Ok(applied)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn customers_page(
        &self,
        q: &CustomerQuery,
        after: Option<&CustomerId>,
        limit: u32,
    ) -> Result<Vec<CustomerSummary>, StoreError> {
        lookups::customers_page(self, q, after, limit).await
    }

    async fn accounts_page(
        &self,
        q: &AccountQuery,
        after: Option<&AccountId>,
        limit: u32,
    ) -> Result<Vec<Account>, StoreError> {
        lookups::accounts_page(self, q, after, limit).await
    }

    async fn holds_page(
        &self,
        q: &HoldQuery,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(CustomerId, LegalHold)>, StoreError> {
        lookups::holds_page(self, q, after, limit).await
    }

    async fn create_customer(
        &self,
        c: &Customer,
        s: &CustomerSummary,
        events: &[OutboxEvent],
    ) -> Result<(), StoreError> {
        customers::create_customer(self, c, s, events).await
    }

    async fn create_customers(
        &self,
        batch: &[(Customer, CustomerSummary, Vec<Account>)],
    ) -> Result<(), StoreError> {
        customers::create_customers(self, batch).await
    }

    async fn customers_in(
        &self,
        after: Option<&CustomerId>,
        upto: &CustomerId,
    ) -> Result<Vec<LoadedCustomer>, StoreError> {
        customers::customers_in(self, after, upto).await
    }

    async fn mark_screened(
        &self,
        at: DateTime<Utc>,
        versions: &[(String, i64)],
        batch: &[(CustomerId, i64)],
    ) -> Result<Vec<CustomerId>, StoreError> {
        customers::mark_screened(self, at, versions, batch).await
    }

    async fn load_customer(&self, id: &CustomerId) -> Result<Versioned<Customer>, StoreError> {
        customers::load_customer(self, id).await
    }

    async fn load_summary(
        &self,
        id: &CustomerId,
    ) -> Result<Versioned<CustomerSummary>, StoreError> {
        customers::load_summary(self, id).await
    }

    async fn save_customer(
        &self,
        c: &Customer,
        s: &CustomerSummary,
        expected_version: i64,
        accounts: &[Account],
        events: &[OutboxEvent],
    ) -> Result<i64, StoreError> {
        customers::save_customer(self, c, s, expected_version, accounts, events).await
    }

    async fn linked_customers(
        &self,
        id: &CustomerId,
        limit: u32,
    ) -> Result<Vec<(String, CustomerId)>, StoreError> {
        lookups::linked_customers(self, id, limit).await
    }

    async fn find_customers(
        &self,
        kind: IndexKind,
        value: &str,
    ) -> Result<Vec<CustomerId>, StoreError> {
        customers::find_customers(self, kind, value).await
    }

    async fn link_edges(
        &self,
        ids: &[CustomerId],
        cap: u32,
    ) -> Result<Vec<crate::LinkEdge>, StoreError> {
        lookups::link_edges(self, ids, cap).await
    }

    async fn sharers(&self, c: &Customer, cap: u32) -> Result<Vec<crate::SharedValue>, StoreError> {
        lookups::sharers(self, c, cap).await
    }

    async fn abuse_closure(
        &self,
        customer: &CustomerId,
    ) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        lookups::abuse_closure(self, customer).await
    }

    async fn mark_abuse_closure(
        &self,
        customer: &CustomerId,
        case_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        lookups::mark_abuse_closure(self, customer, case_id, at).await
    }

    async fn customer_ids(
        &self,
        after: Option<&CustomerId>,
        limit: u32,
    ) -> Result<Vec<CustomerId>, StoreError> {
        customers::customer_ids(self, after, limit).await
    }

    async fn tombstone(&self, id: &CustomerId) -> Result<Option<Tombstone>, StoreError> {
        customers::tombstone(self, id).await
    }

    async fn insert_account(&self, a: &Account, events: &[OutboxEvent]) -> Result<(), StoreError> {
        accounts::insert_account(self, a, events).await
    }

    async fn get_account(&self, id: &AccountId) -> Result<Account, StoreError> {
        accounts::get_account(self, id).await
    }

    async fn known_accounts(&self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        accounts::known_accounts(self, ids).await
    }

    async fn update_accounts(
        &self,
        a: &[Account],
        events: &[OutboxEvent],
    ) -> Result<(), StoreError> {
        accounts::update_accounts(self, a, events).await
    }

    async fn accounts_of(&self, customer: &CustomerId) -> Result<Vec<Account>, StoreError> {
        accounts::accounts_of(self, customer).await
    }

    async fn children_of(&self, parent: &AccountId) -> Result<Vec<Account>, StoreError> {
        accounts::children_of(self, parent).await
    }

    async fn accounts_needing_action(
        &self,
        after: Option<&AccountId>,
        limit: u32,
    ) -> Result<Vec<Account>, StoreError> {
        accounts::accounts_needing_action(self, after, limit).await
    }

    async fn accounts_needing_action_newest(
        &self,
        before: Option<&AccountId>,
        limit: u32,
    ) -> Result<Vec<Account>, StoreError> {
        accounts::accounts_needing_action_newest(self, before, limit).await
    }

    async fn place_hold(&self, customer: &CustomerId, hold: &LegalHold) -> Result<(), StoreError> {
        customers::place_hold(self, customer, hold).await
    }

    async fn release_hold(
        &self,
        customer: &CustomerId,
        hold_id: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<LegalHold, StoreError> {
        customers::release_hold(self, customer, hold_id, by, at).await
    }

    async fn holds(&self, customer: &CustomerId) -> Result<Vec<LegalHold>, StoreError> {
        customers::holds(self, customer).await
    }

    async fn destroy_customer(
        &self,
        id: &CustomerId,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<Tombstone, StoreError> {
        customers::destroy_customer(self, id, at, reason).await
    }

    async fn append_audit(&self, e: &AuditEntry) -> Result<AuditRecord, StoreError> {
        audit::append_audit(self, e).await
    }

    async fn append_audits(&self, es: &[AuditEntry]) -> Result<Option<AuditRecord>, StoreError> {
        audit::append_audits(self, es).await
    }

    async fn audit_entries(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        audit::audit_entries(self, after_seq, limit).await
    }

    async fn insert_api_key(&self, k: &ApiKeyRecord) -> Result<(), StoreError> {
        audit::insert_api_key(self, k).await
    }

    async fn get_api_key(&self, id: &str) -> Result<ApiKeyRecord, StoreError> {
        audit::get_api_key(self, id).await
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        audit::list_api_keys(self).await
    }

    async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        audit::revoke_api_key(self, id, at).await
    }

    async fn idem_begin(
        &self,
        principal: &str,
        key: &str,
        request_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<IdemBegin, StoreError> {
        audit::idem_begin(self, principal, key, request_hash, now).await
    }

    async fn idem_complete(
        &self,
        principal: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<(), StoreError> {
        audit::idem_complete(self, principal, key, status, body).await
    }

    async fn idem_abandon(&self, principal: &str, key: &str) -> Result<(), StoreError> {
        audit::idem_abandon(self, principal, key).await
    }

    async fn screening_cases(
        &self,
        state: Option<CaseState>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredCase>, StoreError> {
        customers::screening_cases(self, state, after, limit).await
    }

    async fn screening_case(&self, id: &str) -> Result<StoredCase, StoreError> {
        customers::screening_case(self, id).await
    }

    async fn rewrap_data_keys(&self) -> Result<u64, StoreError> {
        keys::rewrap_data_keys(self).await
    }

    fn index_key(&self) -> &SecretKey {
        self.keyring.index_key()
    }

    async fn shred_keys(&self) -> Result<Vec<String>, StoreError> {
        keys::shred_keys(self).await
    }

    async fn queue_work(
        &self,
        kind: RetentionWork,
        subjects: &[String],
        at: DateTime<Utc>,
        again: bool,
    ) -> Result<(), StoreError> {
        keys::queue_work(self, kind, subjects, at, again).await
    }

    async fn pending_work(
        &self,
        kind: RetentionWork,
        limit: u32,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        keys::pending_work(self, kind, limit).await
    }

    async fn requeue_done(
        &self,
        kind: RetentionWork,
        subjects: &[String],
        at: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        keys::requeue_done(self, kind, subjects, at).await
    }

    async fn work_done(
        &self,
        kind: RetentionWork,
        subject: &str,
        generation: i64,
        at: DateTime<Utc>,
        result: i64,
    ) -> Result<(), StoreError> {
        keys::work_done(self, kind, subject, generation, at, result).await
    }

    async fn put_compliance_record(
        &self,
        r: &ComplianceRecord,
        events: &[OutboxEvent],
    ) -> Result<(), StoreError> {
        compliance::put_compliance_record(self, r, events).await
    }

    async fn add_shared_objects(
        &self,
        collection: &str,
        objects: &[crate::SharedObject],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<DateTime<Utc>>>, StoreError> {
        sharing::add(self, collection, objects, now).await
    }

    async fn shared_objects(
        &self,
        q: &crate::SharedQuery,
    ) -> Result<Vec<crate::StoredShared>, StoreError> {
        sharing::query(self, q).await
    }

    async fn append_events(&self, events: &[OutboxEvent]) -> Result<(), StoreError> {
        webhooks::append_events(self, events).await
    }

    async fn events_after(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        webhooks::events_after(self, after, limit).await
    }

    async fn add_webhook_endpoint(
        &self,
        e: &WebhookEndpoint,
        secret: &SecretKey,
    ) -> Result<(), StoreError> {
        webhooks::add_endpoint(self, e, secret).await
    }

    async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        webhooks::endpoints(self).await
    }

    async fn webhook_endpoint(&self, id: &str) -> Result<WebhookEndpoint, StoreError> {
        webhooks::endpoint(self, id).await
    }

    async fn webhook_secret(&self, id: &str) -> Result<SecretKey, StoreError> {
        webhooks::endpoint_secret(self, id).await
    }

    async fn delete_webhook_endpoint(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        webhooks::delete_endpoint(self, id, at).await
    }

    async fn fan_out(&self, limit: u32) -> Result<u64, StoreError> {
        webhooks::fan_out(self, limit).await
    }

    async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(WebhookDelivery, StoredEvent)>, StoreError> {
        webhooks::due_deliveries(self, now, lease_until, limit).await
    }

    async fn record_attempt(
        &self,
        delivery: &str,
        attempt: &WebhookAttempt,
        outcome: DeliveryOutcome,
    ) -> Result<(), StoreError> {
        webhooks::record_attempt(self, delivery, attempt, outcome).await
    }

    async fn webhook_deliveries(
        &self,
        endpoint: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        webhooks::deliveries(self, endpoint, after, limit).await
    }

    async fn webhook_delivery(&self, id: &str) -> Result<WebhookDelivery, StoreError> {
        webhooks::delivery(self, id).await
    }

    async fn webhook_attempts(&self, delivery: &str) -> Result<Vec<WebhookAttempt>, StoreError> {
        webhooks::attempts(self, delivery).await
    }

    async fn redeliver(&self, id: &str, at: DateTime<Utc>) -> Result<WebhookDelivery, StoreError> {
        webhooks::redeliver(self, id, at).await
    }

    async fn compliance_record(&self, id: &str) -> Result<ComplianceRecord, StoreError> {
        compliance::compliance_record(self, id).await
    }

    async fn compliance_records(
        &self,
        kind: &str,
        subject: Option<&str>,
    ) -> Result<Vec<ComplianceRecord>, StoreError> {
        compliance::compliance_records(self, kind, subject).await
    }

    async fn add_document(
        &self,
        meta: &DocumentMeta,
        content: &[u8],
    ) -> Result<DocumentMeta, StoreError> {
        compliance::add_document(self, meta, content).await
    }

    async fn documents(
        &self,
        owner: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Vec<DocumentMeta>, StoreError> {
        compliance::documents(self, owner, kind).await
    }

    async fn document(&self, id: &str) -> Result<(DocumentMeta, Vec<u8>), StoreError> {
        compliance::document(self, id).await
    }

    async fn save_reference(
        &self,
        v: &crate::StoredReference,
        body: &[u8],
    ) -> Result<Option<crate::StoredReference>, StoreError> {
        reference::save_reference(self, v, body).await
    }

    async fn references(
        &self,
        kind: Option<&str>,
    ) -> Result<Vec<crate::StoredReference>, StoreError> {
        reference::references(self, kind).await
    }

    async fn reference_body(&self, id: i64) -> Result<Vec<u8>, StoreError> {
        reference::reference_body(self, id).await
    }

    async fn save_list_version(
        &self,
        v: &custos_screen::ListVersion,
        entities: &[custos_screen::ListEntity],
        diff: &custos_screen::Diff,
        based_on: Option<i64>,
    ) -> Result<StoredListVersion, StoreError> {
        compliance::save_list_version(self, v, entities, diff, based_on).await
    }

    async fn list_versions(
        &self,
        list: Option<&str>,
    ) -> Result<Vec<StoredListVersion>, StoreError> {
        compliance::list_versions(self, list).await
    }

    async fn list_entries(
        &self,
        version_id: i64,
    ) -> Result<Vec<custos_screen::ListEntity>, StoreError> {
        compliance::list_entries(self, version_id).await
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
