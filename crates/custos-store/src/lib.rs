#![doc = include_str!("../README.md")]

pub mod blind;
pub mod crypto;
mod sql;
pub mod tokens;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use custos_core::customer::CustomerSummary;
use custos_core::screening::{CaseState, CaseSummary};
use custos_core::{Account, AccountId, Customer, CustomerId, LegalHold};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use blind::IndexKind;
pub use crypto::{FileKeyring, Keyring};
pub use sql::{Backend, SqlStore, redact_url};

/// What can go wrong in the store.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    /// A write lost a race or breaks a uniqueness rule; the caller may retry after re-reading.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The customer's data was destroyed under the retention policy.
    #[error("the records of customer {0} were destroyed under the retention policy")]
    Destroyed(CustomerId),
    #[error("cryptographic failure: {0}")]
    Crypto(String),
    #[error("keyring: {0}")]
    Keyring(String),
    /// Stored data that does not decode: a defect or tampering.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A customer record as loaded for an update, with the version the update must match.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    pub value: T,
    pub version: i64,
}

/// A customer as a walk over every customer reads it: the record with its version, and its
/// accounts.
#[derive(Debug, Clone)]
pub struct LoadedCustomer {
    pub customer: Versioned<Customer>,
    pub accounts: Vec<Account>,
}

/// One entry of the audit trail: who read or changed which record, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// Who: the API key's id, the console user's email, or `os:USER` for a command.
    pub actor: String,
    pub role: String,
    /// The purpose the actor stated, for reads of personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// What was done: `read_customer`, `place_legal_hold`, `destroy_customer`, ...
    pub action: String,
    /// The record concerned, e.g. a customer id.
    pub record: String,
}

/// An audit entry with its place in the hash chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// What is left of a customer after crypto-shredding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tombstone {
    pub customer_id: CustomerId,
    pub destroyed_at: DateTime<Utc>,
    pub reason: String,
    pub accounts: Vec<AccountId>,
    pub index_entries_removed: u64,
}

/// An API key as stored: the secret only as an argon2id hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    pub id: String,
    pub name: String,
    pub role: String,
    pub hash: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// For a reseller's key: the reseller account it is limited to (and what is under it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// A person who signs in to the console (not an API key). The password is kept only as an
/// argon2id hash; the TOTP secret of a second factor is wrapped under the keyring in the store
/// and clear only in memory.
#[derive(Clone)]
pub struct ConsoleUser {
    pub id: String,
    /// Lower-case; unique.
    pub email: String,
    pub role: String,
    pub password_hash: String,
    /// The RFC 6238 secret of the user's second factor; `None`: none is set.
    pub totp: Option<crypto::SecretKey>,
    pub created_at: DateTime<Utc>,
    /// The last change of role, password or second factor: every session begun before it is
    /// over.
    pub changed_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for ConsoleUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleUser")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("totp", &self.totp.is_some())
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

/// A decision that waits for a second person (four eyes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub id: String,
    /// `refuse_subject`, `close_account`, `confirm_match` or `reverse_match`.
    pub kind: String,
    pub customer_id: CustomerId,
    /// What it is about: a subject, an account or a screening case.
    pub target: String,
    pub requested_by: String,
    pub requested_role: String,
    pub requested_at: DateTime<Utc>,
    /// `pending`, `approved`, `rejected`, or `failed` (approved, but the decision could no
    /// longer be applied).
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    /// What the decision says (sealed in the store); read only by [`PeopleStore::approval`].
    #[serde(skip)]
    pub body: Option<serde_json::Value>,
}

/// A console session: kept by the SHA-256 of its token (the cookie holds the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// Hex SHA-256 of the session's token.
    pub id: String,
    pub user_id: String,
    pub created_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A link of a customer through a value it shares (see [`Store::link_edges`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkEdge {
    pub from: CustomerId,
    /// The kind of value shared (`email`, `phone`, `national_id`, `card_fingerprint`, `iban`,
    /// `wallet`): never the value.
    pub kind: String,
    /// The other customer; `None` for a widely shared value.
    pub to: Option<CustomerId>,
    /// When the link appeared: the later of the two customers' creation.
    pub since: Option<DateTime<Utc>>,
    /// More customers than the cap share the value: not followed.
    pub widely_shared: bool,
}

/// The other customers holding one of a customer's indexed values (see [`Store::sharers`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedValue {
    /// The kind of value (`email`, `phone`, `national_id`, `card_fingerprint`, `iban`,
    /// `wallet`): never the value.
    pub kind: String,
    /// Up to `cap + 1` of them, each with when it came.
    pub others: Vec<(CustomerId, DateTime<Utc>)>,
    /// Whether any holder (counted or not) was closed for abuse.
    pub abused: bool,
}

/// A stored version of a reference list (its canonical text is read by
/// [`Store::reference_body`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredReference {
    pub id: i64,
    /// `ip-ranges`, `disposable-domains` or `bin-ranges`.
    pub kind: String,
    /// The version's number within its kind: 1 for the first.
    pub number: i64,
    /// Where it came from: a file path or URL.
    pub source: String,
    pub retrieved_at: DateTime<Utc>,
    /// SHA-256 of the canonical text.
    pub content_hash: String,
    pub entries: i64,
}

/// A STIX object to keep in a collection: what TAXII filters on, and the object's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedObject {
    /// The STIX id (`indicator--…`).
    pub id: String,
    /// The object's version: its `modified` (or `created`) time, as RFC 3339 to the
    /// microsecond in UTC, so that versions order as text; empty for a cyber-observable, whose
    /// version is when it is added.
    pub version: String,
    pub object_type: String,
    pub spec_version: String,
    /// The object's JSON.
    pub body: Vec<u8>,
}

/// An object version as a collection holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredShared {
    pub collection_id: String,
    pub id: String,
    pub version: String,
    /// When the collection took this version in (unique within the collection).
    pub date_added: DateTime<Utc>,
    pub object_type: String,
    pub spec_version: String,
    /// The JSON (empty when the query asked for none).
    pub body: Vec<u8>,
}

/// Which versions of each object a [`SharedQuery`] takes; several are or-ed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionMatch {
    All,
    First,
    Last,
    /// One version, by its time (as [`SharedObject::version`]).
    At(String),
}

/// A query of a collection's objects, as TAXII's filters say: oldest added first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedQuery {
    pub collection: String,
    /// Only versions added after this time.
    pub added_after: Option<DateTime<Utc>>,
    /// Any of these ids (none: any).
    pub ids: Vec<String>,
    pub types: Vec<String>,
    pub spec_versions: Vec<String>,
    /// Which versions (none: the last).
    pub versions: Vec<VersionMatch>,
    /// At most this many rows.
    pub limit: u32,
    /// Whether to read (and unseal) the objects' JSON.
    pub with_body: bool,
}

/// A stored version of a designated list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredListVersion {
    /// The version's id among every list's versions (what screening states refer to).
    pub id: i64,
    /// The version's number within its list: 1 for the first version of each list. What
    /// people are shown and name.
    #[serde(default)]
    pub number: i64,
    #[serde(flatten)]
    pub version: custos_screen::ListVersion,
    /// What changed from the version before it.
    pub diff: custos_screen::Diff,
    pub current: bool,
}

/// A screening case as the store keeps it, with its customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCase {
    pub customer_id: CustomerId,
    #[serde(flatten)]
    pub case: CaseSummary,
}

/// One record of the compliance program (an exemption, a request for resellers' CIPs, a
/// non-compliance case, an ADP review, ...): its clocks in columns, the rest in `body`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceRecord {
    pub id: String,
    pub kind: String,
    /// What it is about: an account id, a customer id, a designation; none for the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    pub body: serde_json::Value,
}

/// A stored version of a program document, without its content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentMeta {
    pub id: String,
    /// `provider`, or the reseller account the document belongs to.
    pub owner: String,
    /// `cip`, `adp`, `red_flag_procedures`, ...
    pub kind: String,
    /// 1 for the first version of this owner's document of this kind.
    pub version: i64,
    pub uploaded_at: DateTime<Utc>,
    pub uploaded_by: String,
    pub file_name: String,
    pub media_type: String,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    pub size: u64,
}

/// Which customers a page holds, by what the store keeps in clear (what depends on the
/// policy, a customer's risk and verification state, is filtered by the application).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerQuery {
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// The provider's own reference.
    pub external_ref: Option<String>,
    /// With an account at any depth under this reseller account.
    pub reseller: Option<AccountId>,
}

/// Which accounts a page holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountQuery {
    pub status: Option<custos_core::AccountStatus>,
    pub kind: Option<custos_core::AccountKind>,
    pub offering: Option<custos_core::Offering>,
    pub customer: Option<CustomerId>,
    /// Directly under this account.
    pub parent: Option<AccountId>,
    /// At any depth under this (reseller) account.
    pub under: Option<AccountId>,
}

/// Which legal holds a page holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HoldQuery {
    pub customer: Option<CustomerId>,
    /// Released ones only, or in-force ones only.
    pub released: Option<bool>,
}

/// A change a control plane acts on (`account.decision_changed`, `screening.case_opened`,
/// ...), for webhooks and the events feed. Written to the outbox in the same transaction as
/// the change. Ids and states only: nothing personal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEvent {
    /// `evt_` and a unique suffix: the `webhook-id` of its deliveries.
    pub id: String,
    /// Its type, e.g. `account.decision_changed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When the change was made.
    #[serde(rename = "timestamp")]
    pub at: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// An event with its place in the outbox (in commit order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub seq: i64,
    #[serde(flatten)]
    pub event: OutboxEvent,
}

/// An endpoint an admin registered to receive webhooks (its secret is kept apart, wrapped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    /// The event types it receives; `*` for all.
    pub event_types: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    /// The last outbox event committed before it was registered (set by the store): it
    /// receives those after.
    #[serde(default)]
    pub since_seq: i64,
}

impl WebhookEndpoint {
    /// Whether it receives events of this type.
    pub fn wants(&self, kind: &str) -> bool {
        self.event_types.iter().any(|t| t == "*" || t == kind)
    }
}

/// One event's delivery to one endpoint: `pending` (with its next attempt), `delivered`,
/// `failed` (every attempt made) or `cancelled` (its endpoint was deleted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub id: String,
    pub endpoint_id: String,
    pub event_seq: i64,
    pub event_id: String,
    pub event_type: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last attempt, when the receiver answered.
    pub last_status: Option<i64>,
    /// Why the last attempt failed, when it did (no body of the receiver's is kept).
    pub last_error: Option<String>,
}

/// One attempt at a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookAttempt {
    /// 1 for the first attempt.
    pub n: i64,
    pub at: DateTime<Utc>,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// What an attempt leaves a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered,
    /// Try again then.
    Retry(DateTime<Utc>),
    /// No attempt is left.
    Failed,
}

/// The start of an idempotent request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdemBegin {
    /// First time this key is seen: go ahead, then complete or abandon it.
    Fresh,
    /// Already done: send back this response.
    Replay { status: u16, body: Vec<u8> },
    /// Another request with this key is still running.
    InProgress,
    /// The key was used before with a different request.
    Mismatch,
}

/// What the console's people leave: users, sessions, failed sign-ins, claims on queue items,
/// and the decisions waiting for a second person (four eyes). A part of every [`Store`].
#[async_trait]
pub trait PeopleStore: Send + Sync {
    async fn insert_console_user(&self, u: &ConsoleUser) -> Result<(), StoreError>;
    /// Writes a user's role, password hash, second factor, change time and disabled time.
    async fn update_console_user(&self, u: &ConsoleUser) -> Result<(), StoreError>;
    async fn console_user(&self, id: &str) -> Result<ConsoleUser, StoreError>;
    async fn console_user_by_email(&self, email: &str) -> Result<ConsoleUser, StoreError>;
    /// Every console user, by email.
    async fn console_users(&self) -> Result<Vec<ConsoleUser>, StoreError>;
    /// Takes TOTP time step `step` for a user: `true` when it is later than every step taken
    /// before, so that a one-time code is accepted once.
    async fn take_totp_step(&self, user_id: &str, step: i64) -> Result<bool, StoreError>;
    async fn insert_console_session(&self, s: &ConsoleSession) -> Result<(), StoreError>;
    async fn console_session(&self, id: &str) -> Result<ConsoleSession, StoreError>;
    async fn touch_console_session(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Ends one session (`session`), or every session of a user (`user`).
    async fn end_console_sessions(
        &self,
        session: Option<&str>,
        user: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    async fn record_login_failure(
        &self,
        email: &str,
        address: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Failed sign-ins since `since`: those for `email`, and those from `address`.
    async fn login_failures_since(
        &self,
        email: &str,
        address: &str,
        since: DateTime<Utc>,
    ) -> Result<(u64, u64), StoreError>;

    /// Claims a queue item for `email`, unless another holds a claim on it made at or after
    /// `lapsed_before`. Returns who holds it now.
    async fn claim_item(
        &self,
        item: &str,
        email: &str,
        at: DateTime<Utc>,
        lapsed_before: DateTime<Utc>,
    ) -> Result<String, StoreError>;
    /// Releases `email`'s claim on an item (another's stays).
    async fn release_claim(&self, item: &str, email: &str) -> Result<(), StoreError>;
    /// The claims made at or after `lapsed_before` on these items: (item, email, when).
    async fn claims(
        &self,
        items: &[String],
        lapsed_before: DateTime<Utc>,
    ) -> Result<Vec<(String, String, DateTime<Utc>)>, StoreError>;

    /// Keeps a decision waiting for a second person, its body sealed under the customer's
    /// data key (a destroyed customer's: `Destroyed`).
    async fn insert_approval(&self, a: &Approval) -> Result<(), StoreError>;
    /// One, with its body opened (none once its customer's records were destroyed).
    async fn approval(&self, id: &str) -> Result<Approval, StoreError>;
    /// A page of them (bodies not opened), in id order, optionally in one state.
    async fn approvals(
        &self,
        state: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Approval>, StoreError>;
    /// Moves one from state `from` to `to`, by `by`; `Conflict` if it is no longer in `from`.
    async fn decide_approval(
        &self,
        id: &str,
        from: &str,
        to: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// The record store. Every backend passes the same conformance suite
/// (`tests/conformance.rs`).
///
/// Personal data goes in and comes out in clear through this trait; what is stored is sealed
/// under a per-customer data key. Writes of one customer's record are optimistic: they name the
/// version they read and fail with [`StoreError::Conflict`] if another write came first.
#[async_trait]
pub trait Store: PeopleStore + Send + Sync + std::fmt::Debug + 'static {
    /// Applies pending schema migrations; returns how many were applied.
    async fn migrate(&self) -> Result<usize, StoreError>;
    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Customers not destroyed, in id order after `after`, as their clear summaries.
    async fn customers_page(
        &self,
        q: &CustomerQuery,
        after: Option<&CustomerId>,
        limit: u32,
    ) -> Result<Vec<CustomerSummary>, StoreError>;
    /// Accounts, in id order after `after`.
    async fn accounts_page(
        &self,
        q: &AccountQuery,
        after: Option<&AccountId>,
        limit: u32,
    ) -> Result<Vec<Account>, StoreError>;
    /// Legal holds with their customers, in hold id order after `after`.
    async fn holds_page(
        &self,
        q: &HoldQuery,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(CustomerId, LegalHold)>, StoreError>;

    /// Creates a customer, with the events of its creation, in one transaction.
    async fn create_customer(
        &self,
        c: &Customer,
        s: &CustomerSummary,
        events: &[OutboxEvent],
    ) -> Result<(), StoreError>;
    /// Creates customers with their accounts, all in one transaction: a migration's bulk load
    /// (and the benchmarks' seeds). No events are written for them.
    async fn create_customers(
        &self,
        batch: &[(Customer, CustomerSummary, Vec<Account>)],
    ) -> Result<(), StoreError>;
    /// The customers not destroyed whose ids sort after `after` and up to `upto`, in id
    /// order, decrypted, each with its accounts: the walks over every customer (re-screening,
    /// reports) read a page of [`Store::customer_ids`] at a time, not one customer at a time.
    async fn customers_in(
        &self,
        after: Option<&CustomerId>,
        upto: &CustomerId,
    ) -> Result<Vec<LoadedCustomer>, StoreError>;
    /// Marks customers screened again at `at` against the list `versions` by a screening
    /// that changed none of their cases, each `(id, version)` in one transaction: the
    /// time and the versions are kept beside the sealed record (not personal data), which
    /// is not rewritten, and a record opened takes them when they are newer than its own.
    /// A record changed (or destroyed) since its `version` was read is not marked; its id
    /// is returned, for the caller to screen and save it through [`Store::save_customer`].
    async fn mark_screened(
        &self,
        at: DateTime<Utc>,
        versions: &[(String, i64)],
        batch: &[(CustomerId, i64)],
    ) -> Result<Vec<CustomerId>, StoreError>;
    /// Loads and decrypts a customer record.
    async fn load_customer(&self, id: &CustomerId) -> Result<Versioned<Customer>, StoreError>;
    /// Loads the clear summary, without decrypting anything.
    async fn load_summary(&self, id: &CustomerId)
    -> Result<Versioned<CustomerSummary>, StoreError>;
    /// Writes a changed customer record and the accounts whose decisions changed with it, in
    /// one transaction.
    async fn save_customer(
        &self,
        c: &Customer,
        s: &CustomerSummary,
        expected_version: i64,
        accounts: &[Account],
        events: &[OutboxEvent],
    ) -> Result<i64, StoreError>;
    /// The customers whose records hold this value (exact match on the normalised value).
    async fn find_customers(
        &self,
        kind: IndexKind,
        value: &str,
    ) -> Result<Vec<CustomerId>, StoreError>;
    /// The other customers whose records share an identifier (an email, a phone, a national
    /// id, a card, an IBAN, a wallet) with this one's, through the blind indexes: each with
    /// the kind of identifier shared, in customer order (up to `limit`).
    async fn linked_customers(
        &self,
        id: &CustomerId,
        limit: u32,
    ) -> Result<Vec<(String, CustomerId)>, StoreError>;
    /// The links of `ids` through the blind indexes: for each value of theirs that at most
    /// `cap` other customers share, one edge per other customer (with the kind shared and when
    /// the later of the two came); for each value more share, one edge with no other customer,
    /// marked widely shared (reported, never followed). Values no one else holds give nothing.
    async fn link_edges(&self, ids: &[CustomerId], cap: u32) -> Result<Vec<LinkEdge>, StoreError>;
    /// For each indexed value of `c` (found by its digest, so values not yet stored are found
    /// too), the other customers holding it: up to `cap + 1`, and whether any holder was
    /// closed for abuse. Values no one else holds give nothing.
    async fn sharers(&self, c: &Customer, cap: u32) -> Result<Vec<SharedValue>, StoreError>;
    /// The abuse case that closed a customer for abuse, and when; `None` if none did.
    async fn abuse_closure(
        &self,
        customer: &CustomerId,
    ) -> Result<Option<(String, DateTime<Utc>)>, StoreError>;
    /// Marks a customer closed for abuse by `case_id` (a repeat keeps the first).
    async fn mark_abuse_closure(
        &self,
        customer: &CustomerId,
        case_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Every customer id not yet destroyed, in id order, after `after`.
    async fn customer_ids(
        &self,
        after: Option<&CustomerId>,
        limit: u32,
    ) -> Result<Vec<CustomerId>, StoreError>;
    /// The customer's creation time, whether it was destroyed, and its tombstone if so.
    async fn tombstone(&self, id: &CustomerId) -> Result<Option<Tombstone>, StoreError>;

    /// Inserts an account, with the events of its opening, in one transaction.
    async fn insert_account(&self, a: &Account, events: &[OutboxEvent]) -> Result<(), StoreError>;
    async fn get_account(&self, id: &AccountId) -> Result<Account, StoreError>;
    /// Which of these account ids exist (in order, once each); ids that are not account ids
    /// are simply not found.
    async fn known_accounts(&self, ids: &[String]) -> Result<Vec<String>, StoreError>;
    /// Writes changed accounts, and the events of their changes, in one transaction.
    async fn update_accounts(
        &self,
        a: &[Account],
        events: &[OutboxEvent],
    ) -> Result<(), StoreError>;
    async fn accounts_of(&self, customer: &CustomerId) -> Result<Vec<Account>, StoreError>;
    async fn children_of(&self, parent: &AccountId) -> Result<Vec<Account>, StoreError>;
    /// Accounts whose decision is not a plain approval and that are not closed, in id order.
    async fn accounts_needing_action(
        &self,
        after: Option<&AccountId>,
        limit: u32,
    ) -> Result<Vec<Account>, StoreError>;
    /// The same, newest first (ids are time-ordered): those before `before`, in descending id
    /// order.
    async fn accounts_needing_action_newest(
        &self,
        before: Option<&AccountId>,
        limit: u32,
    ) -> Result<Vec<Account>, StoreError>;

    async fn place_hold(&self, customer: &CustomerId, hold: &LegalHold) -> Result<(), StoreError>;
    async fn release_hold(
        &self,
        customer: &CustomerId,
        hold_id: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<LegalHold, StoreError>;
    async fn holds(&self, customer: &CustomerId) -> Result<Vec<LegalHold>, StoreError>;

    /// Crypto-shreds a customer: deletes its data key, its sealed record and its blind
    /// indexes, and leaves a tombstone. Fails if a legal hold is in force.
    async fn destroy_customer(
        &self,
        id: &CustomerId,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<Tombstone, StoreError>;

    /// Appends to the hash-chained audit trail. No method updates or deletes it, and the
    /// database refuses to as well.
    async fn append_audit(&self, e: &AuditEntry) -> Result<AuditRecord, StoreError>;
    /// Appends entries to the audit trail in one transaction, in order; returns the last
    /// record (`None` for no entries).
    async fn append_audits(&self, es: &[AuditEntry]) -> Result<Option<AuditRecord>, StoreError>;
    async fn audit_entries(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError>;

    async fn insert_api_key(&self, k: &ApiKeyRecord) -> Result<(), StoreError>;
    async fn get_api_key(&self, id: &str) -> Result<ApiKeyRecord, StoreError>;
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError>;
    async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    async fn idem_begin(
        &self,
        principal: &str,
        key: &str,
        request_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<IdemBegin, StoreError>;
    async fn idem_complete(
        &self,
        principal: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<(), StoreError>;
    async fn idem_abandon(&self, principal: &str, key: &str) -> Result<(), StoreError>;

    /// Records a new version of a list, with its entries and its diff against the version
    /// before, and makes it current, all in one transaction: if anything fails, the previous
    /// version stays current and nothing of the new one is kept. `based_on` is the id of the
    /// current version the new one was made from (`Some(0)`: the list had none): if another
    /// became current meanwhile, nothing is kept and the answer is a `Conflict`, so that two
    /// writers that merge into one list (a file import and a designation entered through the
    /// API) never drop each other's entries. `None` checks nothing.
    async fn save_list_version(
        &self,
        v: &custos_screen::ListVersion,
        entities: &[custos_screen::ListEntity],
        diff: &custos_screen::Diff,
        based_on: Option<i64>,
    ) -> Result<StoredListVersion, StoreError>;
    /// Keeps a version of a reference list (its canonical text): the newest of its kind is
    /// the one in use. `None`, writing nothing, when the newest already holds this content
    /// (checked in the same transaction: two imports of one file at once save one version).
    async fn save_reference(
        &self,
        v: &StoredReference,
        body: &[u8],
    ) -> Result<Option<StoredReference>, StoreError>;
    /// Versions of one kind of reference list, or of all, newest first.
    async fn references(&self, kind: Option<&str>) -> Result<Vec<StoredReference>, StoreError>;
    /// The canonical text of a reference version.
    async fn reference_body(&self, id: i64) -> Result<Vec<u8>, StoreError>;
    /// Versions of one list, or of all lists, newest first.
    async fn list_versions(&self, list: Option<&str>)
    -> Result<Vec<StoredListVersion>, StoreError>;
    async fn list_entries(
        &self,
        version_id: i64,
    ) -> Result<Vec<custos_screen::ListEntity>, StoreError>;

    /// Screening cases, optionally in one state, in id order after `after`. They are
    /// written with the customer's summary, in the same transaction.
    async fn screening_cases(
        &self,
        state: Option<CaseState>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredCase>, StoreError>;
    async fn screening_case(&self, id: &str) -> Result<StoredCase, StoreError>;

    /// Adds object versions to a collection, in one transaction: each new version is sealed and
    /// given a `date_added` after every other in the collection. A version the collection
    /// holds already is left as it is. Returns, for each object, when it was added (`None`:
    /// held already).
    async fn add_shared_objects(
        &self,
        collection: &str,
        objects: &[SharedObject],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<DateTime<Utc>>>, StoreError>;
    /// A collection's object versions that match `q`, oldest added first, at most `q.limit`.
    async fn shared_objects(&self, q: &SharedQuery) -> Result<Vec<StoredShared>, StoreError>;

    /// Creates or replaces a compliance record (by id), with the events of the change, in one
    /// transaction.
    async fn put_compliance_record(
        &self,
        r: &ComplianceRecord,
        events: &[OutboxEvent],
    ) -> Result<(), StoreError>;
    async fn compliance_record(&self, id: &str) -> Result<ComplianceRecord, StoreError>;
    /// Records of one kind (optionally about one subject), oldest first.
    async fn compliance_records(
        &self,
        kind: &str,
        subject: Option<&str>,
    ) -> Result<Vec<ComplianceRecord>, StoreError>;
    /// Stores a new version of a document, sealed; `meta.version` and `meta.id` are assigned
    /// (the next version of this owner's document of this kind). Returns what was stored.
    async fn add_document(
        &self,
        meta: &DocumentMeta,
        content: &[u8],
    ) -> Result<DocumentMeta, StoreError>;
    /// Every version of the documents of one owner (or of all owners), optionally of one kind,
    /// by owner, kind and version.
    async fn documents(
        &self,
        owner: Option<&str>,
        kind: Option<&str>,
    ) -> Result<Vec<DocumentMeta>, StoreError>;
    /// A document version with its content, unsealed.
    async fn document(&self, id: &str) -> Result<(DocumentMeta, Vec<u8>), StoreError>;

    /// Appends events to the outbox, alone.
    async fn append_events(&self, events: &[OutboxEvent]) -> Result<(), StoreError>;
    /// The outbox after `after`, in commit order.
    async fn events_after(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError>;
    /// Registers an endpoint, its signing secret wrapped under the keyring's KEK.
    async fn add_webhook_endpoint(
        &self,
        e: &WebhookEndpoint,
        secret: &crypto::SecretKey,
    ) -> Result<(), StoreError>;
    /// Every endpoint, deleted ones too, in id order.
    async fn webhook_endpoints(&self) -> Result<Vec<WebhookEndpoint>, StoreError>;
    async fn webhook_endpoint(&self, id: &str) -> Result<WebhookEndpoint, StoreError>;
    async fn webhook_secret(&self, id: &str) -> Result<crypto::SecretKey, StoreError>;
    /// Deletes an endpoint: nothing more is delivered to it (what was pending is cancelled);
    /// its deliveries stay, for the record.
    async fn delete_webhook_endpoint(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Makes the deliveries of up to `limit` outbox events not yet fanned out (to the live
    /// endpoints that want them and existed when they were committed); returns the events
    /// read.
    async fn fan_out(&self, limit: u32) -> Result<u64, StoreError>;
    /// Claims pending deliveries whose next attempt is due (of live endpoints), with their
    /// events, moving their next attempt to `lease_until` meanwhile.
    async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(WebhookDelivery, StoredEvent)>, StoreError>;
    /// Records an attempt at a delivery and what it leaves the delivery: only when it follows
    /// the last attempt recorded and the delivery is still pending (else only the attempt is
    /// kept).
    async fn record_attempt(
        &self,
        delivery: &str,
        attempt: &WebhookAttempt,
        outcome: DeliveryOutcome,
    ) -> Result<(), StoreError>;
    /// An endpoint's deliveries in id order (event order) after `after`.
    async fn webhook_deliveries(
        &self,
        endpoint: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, StoreError>;
    async fn webhook_delivery(&self, id: &str) -> Result<WebhookDelivery, StoreError>;
    async fn webhook_attempts(&self, delivery: &str) -> Result<Vec<WebhookAttempt>, StoreError>;
    /// Queues a delivery again (of an endpoint not deleted), due at `at`.
    async fn redeliver(&self, id: &str, at: DateTime<Utc>) -> Result<WebhookDelivery, StoreError>;

    /// Re-wraps every data key under the keyring's primary KEK; returns how many changed.
    async fn rewrap_data_keys(&self) -> Result<u64, StoreError>;
    /// The keyring's blind-index key, for values (card fingerprints) computed before storing.
    fn index_key(&self) -> &crypto::SecretKey;

    /// Makes what crypto-shredding deleted unrecoverable from anything left on disk: a new
    /// KEK is made primary, every data key is re-wrapped under it, and every other KEK is
    /// forgotten, so that a copy of a deleted wrapped key (a free page, a dead tuple, the
    /// WAL, a backup) no longer unwraps; then the database drops its own copies (SQLite:
    /// deleted content is zeroed as it is deleted, and the WAL is checkpointed and truncated;
    /// PostgreSQL: the tables that held keys and records are vacuumed). Returns the KEKs
    /// forgotten.
    async fn shred_keys(&self) -> Result<Vec<String>, StoreError>;

    /// Queues retention work for the ledger's owner (see [`RetentionWork`]). With `again`,
    /// work already done is queued anew; without, it is left done.
    async fn queue_work(
        &self,
        kind: RetentionWork,
        subjects: &[String],
        at: DateTime<Utc>,
        again: bool,
    ) -> Result<(), StoreError>;
    /// Up to `limit` subjects of `kind` that wait, oldest first, each with the generation of
    /// its work (to hand back to [`Store::work_done`]).
    async fn pending_work(
        &self,
        kind: RetentionWork,
        limit: u32,
    ) -> Result<Vec<(String, i64)>, StoreError>;
    /// Of these subjects, those that have work of `kind` (done, or in progress), queued again:
    /// events that came for an account during or after the purge of its ledger events are
    /// purged in turn. Returns them.
    async fn requeue_done(
        &self,
        kind: RetentionWork,
        subjects: &[String],
        at: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError>;
    /// Marks a subject's work done, with its result (events purged, keys retired), unless it
    /// was queued again since `generation` was read: then it stays pending.
    async fn work_done(
        &self,
        kind: RetentionWork,
        subject: &str,
        generation: i64,
        at: DateTime<Utc>,
        result: i64,
    ) -> Result<(), StoreError>;
}

/// Work retention leaves for whichever process holds the ledger, so that it is done whoever
/// ran retention, and never forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionWork {
    /// An account's ledger events are to be purged (subject: the account id).
    LedgerPurge,
    /// Key-encryption keys that wrapped destroyed data keys are to be retired (subject: ``).
    RetireKeys,
    /// A records package a command asked for while a server holds the ledger (subject: the
    /// order's id).
    LegalPackage,
}

impl RetentionWork {
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionWork::LedgerPurge => "ledger_purge",
            RetentionWork::RetireKeys => "retire_keys",
            RetentionWork::LegalPackage => "legal_package",
        }
    }
}

/// SHA-256 hash chain step of the audit trail.
pub fn audit_hash(prev: &[u8], seq: i64, body: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(body.as_bytes());
    h.finalize().into()
}
