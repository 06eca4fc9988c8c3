//! The application's errors.
//!
//! # Policy
//!
//! - **Who raises what.** `custos-core` raises [`CoreError`] for a rule broken by the input
//!   (invalid, conflict, not found) and for a broken CIP policy. `custos-store` raises
//!   [`StoreError`]; `custos-ledger` raises [`LedgerError`]. This layer turns each into one
//!   [`Error`] that names the real failure: a ledger that cannot write is
//!   [`Error::LedgerUnavailable`], never "the database is not reachable"; a PDF that cannot be
//!   drawn is [`Error::Rendering`].
//!   Operations raise [`Error`] directly for what only they know (a destroyed customer, a
//!   missing designation).
//! - **What reaches a client.** The doors map each variant to one answer: the API to one
//!   problem `type` and status (`custos-server`'s `error` module), the CLI to a message and a
//!   non-zero exit, the console to an inline message. The text of a client-facing variant
//!   ([`Error::Validation`], [`Error::NotFound`], [`Error::Conflict`], [`Error::Forbidden`],
//!   [`Error::Destroyed`], [`Error::Malformed`]) is written for the caller: it names a field
//!   and a rule, never a value sent, never personal data. The text of a server-side variant
//!   ([`Error::StoreUnavailable`], [`Error::LedgerUnavailable`], [`Error::Rendering`],
//!   [`Error::Internal`]) is for the operator's log only: the API sends a fixed
//!   detail instead.

use custos_core::{CoreError, CustomerId};
use custos_ledger::LedgerError;
use custos_store::StoreError;

/// What an operation of the application can fail with. (The files a door reads or writes,
/// a CLI's export for one, are that door's to report.)
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not what the operation takes (not JSON, an empty body).
    #[error("{0}")]
    Malformed(String),
    /// The input is larger than the operation takes.
    #[error("{0}")]
    TooLarge(String),
    /// A field's value breaks a rule; `field` is its path when there is one.
    #[error("{}", match .field { Some(f) => format!("invalid field `{f}`: {}", .detail), None => .detail.clone() })]
    Validation {
        field: Option<String>,
        detail: String,
    },
    /// The caller's key is missing, wrong or revoked.
    #[error("authentication required")]
    Unauthenticated,
    /// Too many attempts (failed sign-ins) from this caller: wait and try again.
    #[error("{0}")]
    RateLimited(String),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such record (the text names what was looked for: "account acc_…").
    #[error("{0} not found")]
    NotFound(String),
    /// The operation does not fit the record's state, or lost a race.
    #[error("{0}")]
    Conflict(String),
    /// The customer's records were destroyed under the retention policy.
    #[error("the records of customer {0} were destroyed under the retention policy")]
    Destroyed(String),
    /// The database cannot be reached or failed.
    #[error("the database is not reachable: {0}")]
    StoreUnavailable(String),
    /// The ledger cannot write now (a full disk, an I/O error): nothing was written.
    #[error("the ledger cannot write: {0}")]
    LedgerUnavailable(String),
    /// A report, a package or a PDF could not be produced.
    #[error("rendering {0}")]
    Rendering(String),
    /// A defect, corrupt stored data or a broken configuration.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Validation {
            field: Some(field.into()),
            detail: detail.into(),
        }
    }

    pub fn destroyed(id: &CustomerId) -> Self {
        Error::Destroyed(id.as_str().to_owned())
    }

    /// Whether the failure is the server's (logged with its cause, sent without it).
    pub fn is_server_side(&self) -> bool {
        matches!(
            self,
            Error::StoreUnavailable(_)
                | Error::LedgerUnavailable(_)
                | Error::Rendering(_)
                | Error::Internal(_)
        )
    }
}

impl From<CoreError> for Error {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Invalid { field, reason } => Error::Validation {
                field: (!field.is_empty()).then_some(field),
                detail: reason,
            },
            CoreError::Conflict(d) => Error::Conflict(d),
            CoreError::NotFound(d) => Error::NotFound(d),
            CoreError::Policy(d) => Error::Internal(format!("the CIP policy: {d}")),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(d) => Error::NotFound(d),
            StoreError::Conflict(d) => Error::Conflict(d),
            StoreError::Destroyed(id) => Error::destroyed(&id),
            StoreError::Backend(src) => Error::StoreUnavailable(src.to_string()),
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<LedgerError> for Error {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Invalid(d) => Error::Validation {
                field: None,
                detail: d,
            },
            e @ (LedgerError::Io { .. } | LedgerError::InUse) => {
                Error::LedgerUnavailable(e.to_string())
            }
            e => Error::Internal(format!("the ledger: {e}")),
        }
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Internal(format!("a background task failed: {e}"))
    }
}
