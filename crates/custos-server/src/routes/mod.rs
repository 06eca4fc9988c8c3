//! HTTP handlers, one file per resource.

pub mod abuse;
pub mod accounts;
pub mod admin;
pub mod approvals;
pub mod customers;
pub mod designations;
pub mod health;
pub mod ledger;
pub mod legal;
pub mod program;
pub mod reference;
pub mod resellers;
pub mod screen;
pub mod screening;
pub mod sharing;
pub mod taxii;
pub mod webhooks;

use custos_core::{AccountId, CustomerId};

use crate::error::ApiError;

/// An id from the path. An id that is not even well-formed cannot exist: 404.
pub fn customer_id(s: &str) -> Result<CustomerId, ApiError> {
    CustomerId::parse(s).map_err(|_| ApiError::NotFound("no customer with this id".into()))
}

pub fn account_id(s: &str) -> Result<AccountId, ApiError> {
    AccountId::parse(s).map_err(|_| ApiError::NotFound("no account with this id".into()))
}

/// Checks a free-text field from a request body (see [`custos_core::text::free_text`]).
pub fn text(field: &str, s: &str) -> Result<String, ApiError> {
    Ok(custos_core::text::free_text(field, s)?)
}

/// When a reported event happened: now when not given. A time more than five minutes ahead of
/// the server's clock (more than clock skew explains) is refused: the bound every reported time
/// keeps, the ledger's events' too (`custos_ledger::event::MAX_AHEAD`).
pub fn reported_at(
    at: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    let at = at.unwrap_or(now);
    if custos_ledger::event::too_far_ahead(at, now) {
        return Err(ApiError::validation("at", "is in the future"));
    }
    Ok(at)
}
