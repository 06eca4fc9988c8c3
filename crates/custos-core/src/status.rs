//! A customer's status as every door shows it: its risk, and for each subject its verification
//! state and the methods still to pass. Worked out here once, from the summary and the accounts.

use crate::account::Account;
use crate::customer::CustomerSummary;
use crate::policy::{CipPolicy, RiskLevel};
use crate::verification::{Method, VerificationState};

/// The risk of a customer: the policy's, over its open accounts.
pub fn risk(policy: &CipPolicy, s: &CustomerSummary, accounts: &[Account]) -> RiskLevel {
    policy.risk(
        s,
        accounts
            .iter()
            .filter(|a| a.closed_at.is_none())
            .map(|a| (a.kind, a.offering)),
    )
}

/// Where one subject stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectStatus {
    /// `NotRequired` for a subject that does not count (below the threshold, or removed).
    pub state: VerificationState,
    /// Methods still to pass.
    pub missing: Vec<Method>,
    /// Alternatives of which one suffices.
    pub any_of: Vec<Method>,
}

/// The customer's risk and, in the order of its subjects, where each stands.
pub fn subjects(
    policy: &CipPolicy,
    s: &CustomerSummary,
    accounts: &[Account],
) -> (RiskLevel, Vec<SubjectStatus>) {
    let risk = risk(policy, s, accounts);
    let subjects = s
        .subjects
        .iter()
        .map(|sub| {
            let req = policy.requirement(risk, sub.role, s.entity);
            let state = sub.verification.state(sub.us_person, req);
            let counts = sub.qualifies && !sub.removed;
            let (missing, any_of) = if counts
                && matches!(
                    state,
                    VerificationState::Pending | VerificationState::ManualReview
                ) {
                sub.verification
                    .missing(req)
                    .into_iter()
                    .partition(|m| req.all.contains(m) || req.one_of.is_empty())
            } else {
                (vec![], vec![])
            };
            SubjectStatus {
                state: if counts {
                    state
                } else {
                    VerificationState::NotRequired
                },
                missing,
                any_of,
            }
        })
        .collect();
    (risk, subjects)
}

/// Where a customer stands as a whole, from where its subjects stand: failed if any subject
/// that counts failed; else in manual review, else pending, if any is; verified if every one
/// that counts is verified or needs none and at least one was verified; else not required.
pub fn customer_state(subjects: &[SubjectStatus]) -> VerificationState {
    use VerificationState::*;
    let has = |s: VerificationState| subjects.iter().any(|x| x.state == s);
    if has(Failed) {
        Failed
    } else if has(ManualReview) {
        ManualReview
    } else if has(Pending) {
        Pending
    } else if has(Verified) {
        Verified
    } else {
        NotRequired
    }
}
