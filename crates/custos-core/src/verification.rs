//! Verification of one subject: the methods used, their results, a reviewer's decision, and the
//! state that follows from them.
//!
//! The state is never stored on its own: it is computed from the results, the reviewer's
//! decision and the policy's requirement, so it cannot drift from the evidence. The transitions
//! this produces are: `not_required` for a US person; otherwise `pending` until every required
//! method has passed (`verified`), a required method failed (`failed`), a method was inconclusive
//! or a resubmission awaits a reviewer (`manual_review`). A reviewer's decision stands until a
//! newer result arrives.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::policy::Requirement;

pub use crate::kinds::Method;

/// Where a subject stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerificationState {
    NotRequired,
    Pending,
    Verified,
    Failed,
    ManualReview,
}

/// The result of one method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MethodOutcome {
    Pass,
    Fail,
    Inconclusive,
}

/// A method's result, as reported by the provider's verification flow or vendor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MethodResult {
    pub method: Method,
    pub outcome: MethodOutcome,
    pub at: DateTime<Utc>,
    /// The vendor or system that performed the check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The vendor's reference for the check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Who submitted it: the API key id.
    pub recorded_by: String,
}

/// A reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ManualOutcome {
    Verified,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ManualDecision {
    pub outcome: ManualOutcome,
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Everything recorded about verifying one subject.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SubjectVerification {
    #[serde(default)]
    pub results: Vec<MethodResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual: Option<ManualDecision>,
    /// Set by a resubmission: failed and inconclusive results before it no longer count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_at: Option<DateTime<Utc>>,
    /// A resubmission is waiting for a reviewer.
    #[serde(default)]
    pub review_requested: bool,
}

impl SubjectVerification {
    fn counts(&self, r: &MethodResult) -> bool {
        r.outcome == MethodOutcome::Pass || self.reset_at.is_none_or(|t| r.at >= t)
    }

    /// The newest result for a method that still counts.
    pub fn latest(&self, m: Method) -> Option<&MethodResult> {
        self.results
            .iter()
            .filter(|r| r.method == m && self.counts(r))
            .max_by_key(|r| r.at)
    }

    fn newest_result_at(&self) -> Option<DateTime<Utc>> {
        self.results
            .iter()
            .filter(|r| self.counts(r))
            .map(|r| r.at)
            .max()
    }

    fn passed(&self, m: Method) -> bool {
        self.latest(m)
            .is_some_and(|r| r.outcome == MethodOutcome::Pass)
    }

    /// The state that follows from the record for a subject of the given US-person status under
    /// the given requirement.
    pub fn state(&self, us_person: bool, req: &Requirement) -> VerificationState {
        if us_person {
            return VerificationState::NotRequired;
        }
        if let Some(m) = &self.manual
            && self.newest_result_at().is_none_or(|t| t <= m.at)
        {
            return match m.outcome {
                ManualOutcome::Verified => VerificationState::Verified,
                ManualOutcome::Failed => VerificationState::Failed,
            };
        }
        if self.review_requested {
            return VerificationState::ManualReview;
        }
        let outcome = |m: Method| self.latest(m).map(|r| r.outcome);
        if req
            .all
            .iter()
            .any(|&m| outcome(m) == Some(MethodOutcome::Fail))
        {
            return VerificationState::Failed;
        }
        if !req.one_of.is_empty()
            && req
                .one_of
                .iter()
                .all(|&m| outcome(m) == Some(MethodOutcome::Fail))
        {
            return VerificationState::Failed;
        }
        let inconclusive = req
            .all
            .iter()
            .chain(req.one_of.iter())
            .any(|&m| outcome(m) == Some(MethodOutcome::Inconclusive));
        if inconclusive {
            return VerificationState::ManualReview;
        }
        if self.missing(req).is_empty() {
            VerificationState::Verified
        } else {
            VerificationState::Pending
        }
    }

    /// The requirement's methods that have not passed yet. For a `one_of` group that has no
    /// pass, every member of the group is listed (any one of them will do).
    pub fn missing(&self, req: &Requirement) -> Vec<Method> {
        let mut out: Vec<Method> = req
            .all
            .iter()
            .copied()
            .filter(|&m| !self.passed(m))
            .collect();
        if !req.one_of.is_empty() && !req.one_of.iter().any(|&m| self.passed(m)) {
            for &m in &req.one_of {
                if !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn req() -> Requirement {
        Requirement {
            all: vec![Method::Email],
            one_of: vec![Method::Document, Method::PaymentInstrument],
        }
    }

    fn result(m: Method, o: MethodOutcome, mins: i64) -> MethodResult {
        MethodResult {
            method: m,
            outcome: o,
            at: DateTime::UNIX_EPOCH + Duration::minutes(mins),
            provider: None,
            reference: None,
            recorded_by: "key".into(),
        }
    }

    fn check(results: &[(Method, MethodOutcome)], expect: VerificationState) {
        let v = SubjectVerification {
            results: results
                .iter()
                .enumerate()
                .map(|(i, &(m, o))| result(m, o, i as i64))
                .collect(),
            ..Default::default()
        };
        assert_eq!(v.state(false, &req()), expect, "{results:?}");
    }

    #[test]
    fn states_follow_results() {
        use Method::*;
        use MethodOutcome::*;
        use VerificationState as S;
        check(&[], S::Pending);
        check(&[(Email, Pass)], S::Pending);
        check(&[(Email, Pass), (Document, Pass)], S::Verified);
        check(&[(Email, Pass), (PaymentInstrument, Pass)], S::Verified);
        check(&[(Email, Fail), (Document, Pass)], S::Failed);
        check(
            &[(Email, Fail), (Email, Pass), (Document, Pass)],
            S::Verified,
        );
        check(&[(Email, Pass), (Document, Fail)], S::Pending);
        check(
            &[(Email, Pass), (Document, Fail), (PaymentInstrument, Fail)],
            S::Failed,
        );
        check(&[(Email, Inconclusive), (Document, Pass)], S::ManualReview);
        check(
            &[(Phone, Fail), (Email, Pass), (Document, Pass)],
            S::Verified,
        );
    }

    #[test]
    fn us_person_needs_nothing() {
        assert_eq!(
            SubjectVerification::default().state(true, &req()),
            VerificationState::NotRequired
        );
    }

    #[test]
    fn manual_decision_stands_until_newer_result() {
        let mut v = SubjectVerification {
            results: vec![result(Method::Email, MethodOutcome::Inconclusive, 1)],
            ..Default::default()
        };
        v.manual = Some(ManualDecision {
            outcome: ManualOutcome::Verified,
            reason: "checked by phone".into(),
            by: "reviewer".into(),
            at: DateTime::UNIX_EPOCH + Duration::minutes(2),
        });
        assert_eq!(v.state(false, &req()), VerificationState::Verified);
        v.results
            .push(result(Method::Email, MethodOutcome::Fail, 3));
        assert_eq!(v.state(false, &req()), VerificationState::Failed);
    }

    #[test]
    fn reset_forgets_failures_but_keeps_passes() {
        let mut v = SubjectVerification {
            results: vec![
                result(Method::Email, MethodOutcome::Pass, 1),
                result(Method::Document, MethodOutcome::Fail, 2),
                result(Method::PaymentInstrument, MethodOutcome::Fail, 3),
            ],
            ..Default::default()
        };
        assert_eq!(v.state(false, &req()), VerificationState::Failed);
        v.reset_at = Some(DateTime::UNIX_EPOCH + Duration::minutes(4));
        assert_eq!(v.state(false, &req()), VerificationState::Pending);
        assert_eq!(
            v.missing(&req()),
            vec![Method::Document, Method::PaymentInstrument]
        );
    }
}
