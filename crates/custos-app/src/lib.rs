//! The custos application layer.
//!
//! Every operation a person or a system performs (open an account, record a result, read a
//! record with a purpose, query the ledger, publish a list version, enter a designation, build
//! a certification, run retention, the sweep, the demo seed) is one method of [`App`], used by
//! the HTTP handlers (`custos-server`), the CLI (`custos-cli`) and the console alike. Each read
//! of personal data goes through one audited path, whichever door it came in by.
//!
//! **What this crate does not do**: no HTTP (that is `custos-server`), no SQL (that is
//! `custos-store`), no business rules of its own (those are in `custos-core`), no process
//! set-up (that is the `custos` binary).

pub mod abuse;
pub mod approvals;
pub mod audit;
pub mod backtest;
pub mod browse;
pub mod bulk;
pub mod demo;
pub mod designations;
pub mod detect;
pub mod error;
pub mod events;
pub mod intake;
pub mod json;
pub mod kept;
pub mod keys;
pub mod ledger;
pub mod legal;
pub mod links;
pub mod lists;
pub mod program;
pub mod reads;
pub mod reference;
pub mod report;
pub mod resellers;
pub mod retention;
pub mod screening;
pub mod service;
pub mod sharing;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod users;
pub mod webhooks;
pub mod when;

pub use error::{Error, Result};
pub use service::{Actor, App, Clock, NewAccount, system_clock};

/// The records the application hands to its doors, as the store keeps them.
pub mod records {
    pub use custos_store::{
        ApiKeyRecord, Approval, AuditEntry, AuditRecord, ConsoleSession, ConsoleUser, DocumentMeta,
        IdemBegin, IndexKind, OutboxEvent, StoredCase, StoredEvent, StoredListVersion, Tombstone,
        WebhookAttempt, WebhookDelivery, WebhookEndpoint,
    };
}
