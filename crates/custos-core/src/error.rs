//! The one error type of the domain crate.

use thiserror::Error;

/// What can go wrong when a domain rule is applied. Every variant is the caller's fault (bad
/// input or an action the rules do not allow); the domain has no internal failures.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CoreError {
    /// A field's value is malformed or out of range.
    #[error("invalid field `{field}`: {reason}")]
    Invalid { field: String, reason: String },
    /// The action is well-formed but not allowed in the current state.
    #[error("{0}")]
    Conflict(String),
    /// A referenced record does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The CIP policy document is not valid.
    #[error("invalid CIP policy: {0}")]
    Policy(String),
}

impl CoreError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        CoreError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
