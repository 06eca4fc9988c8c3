//! Retention: how long a customer's records are kept.
//!
//! The proposed rule keeps records at least two years after the account is closed or last
//! accessed. A customer's records are due when every account is closed and the policy's period
//! has passed since the later of each account's close and last access; a customer who never
//! opened an account is due that period after it was created. A legal hold blocks destruction
//! whatever the dates say.

use chrono::{DateTime, Duration, Utc};

use crate::account::Account;
use crate::customer::LegalHold;
use crate::policy::CipPolicy;

/// When the customer's records become due for destruction, or `None` while any account is open.
pub fn due_at(
    created_at: DateTime<Utc>,
    accounts: &[Account],
    policy: &CipPolicy,
) -> Option<DateTime<Utc>> {
    let period = Duration::days(i64::from(policy.retention.days_after_last_activity));
    let mut last = created_at;
    for a in accounts {
        let closed = a.closed_at?;
        last = last.max(closed);
        if let Some(seen) = a.last_access_at {
            last = last.max(seen);
        }
    }
    Some(last + period)
}

/// The verdict for one customer at one time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// Due, but a legal hold keeps it; the hold ids are given.
    Held(Vec<String>),
    Destroy,
}

pub fn verdict(
    created_at: DateTime<Utc>,
    accounts: &[Account],
    holds: &[LegalHold],
    policy: &CipPolicy,
    now: DateTime<Utc>,
) -> Verdict {
    match due_at(created_at, accounts, policy) {
        Some(due) if due <= now => {
            let active: Vec<String> = holds
                .iter()
                .filter(|h| h.released_at.is_none())
                .map(|h| h.id.clone())
                .collect();
            if active.is_empty() {
                Verdict::Destroy
            } else {
                Verdict::Held(active)
            }
        }
        _ => Verdict::Keep,
    }
}
