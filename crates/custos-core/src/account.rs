//! Accounts and the decision the CIP policy makes about each one.
//!
//! An account's status is decided by [`evaluate`] from the customer's verification record, the
//! policy, the account's kind and offering, and its parent reseller account; it is evaluated
//! when the account opens and again whenever any of those change ("opening or maintaining" an
//! Account, EO 1(a)). Only an explicit close, or a decision to close, ends an account for good,
//! with one exception: a reviewer who reverses the confirmed screening match that closed it
//! (see [`closed_by`]) withdraws that decision, and the account is decided again ([`reopen`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::CoreError;
use crate::customer::{CustomerSummary, SubjectRole};
use crate::ids::{AccountId, CustomerId, SubjectId};
use crate::measures::{self, AccountFacts, AccountProfile, CustomerFacts};
use crate::policy::{CipPolicy, FailureAction, RiskLevel};
use crate::screening::{AppliedConditions, CaseState, Measure};
use crate::verification::{Method, VerificationState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// The customer uses the IaaS products itself.
    Direct,
    /// The customer offers the products, in whole or part, to third parties (EO 5(h)).
    Reseller,
    /// A reseller's customer; the account hangs under the reseller's account.
    SubLessee,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Offering {
    Paid,
    /// Free and trial offerings are IaaS products too (EO 5(e)).
    Trial,
    Complimentary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    PendingVerification,
    Active,
    Restricted,
    Suspended,
    Closed,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::PendingVerification => "pending_verification",
            AccountStatus::Active => "active",
            AccountStatus::Restricted => "restricted",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending_verification" => AccountStatus::PendingVerification,
            "active" => AccountStatus::Active,
            "restricted" => AccountStatus::Restricted,
            "suspended" => AccountStatus::Suspended,
            "closed" => AccountStatus::Closed,
            _ => return None,
        })
    }

    /// The customer may use the account (possibly within restrictions).
    pub fn usable(self) -> bool {
        matches!(self, AccountStatus::Active | AccountStatus::Restricted)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Pending,
    Refuse,
}

/// Machine-readable reasons for a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// The customer and all beneficial owners are US persons: no verification is needed.
    UsPersonsOnly,
    /// Every foreign subject is verified.
    ForeignSubjectsVerified,
    ForeignCustomerUnverified,
    ForeignBeneficialOwnerUnverified,
    SubjectInManualReview,
    VerificationFailed,
    /// The offering or kind may not be used until verification completes.
    BlockedUntilVerified,
    OfferingRefusedWhileUnverified,
    ParentAccountNotActive,
    VerificationDeadlinePassed,
    ClosedOnRequest,
    /// A subject is a confirmed match for a list entry whose measure is a prohibition.
    ScreeningProhibited,
    /// A possible match against a designated list awaits a reviewer.
    ScreeningReview,
    /// A confirmed match for a special measure with conditions: they apply.
    SpecialMeasureConditions,
    /// A condition of a special measure is not met: the account is held until it is.
    SpecialMeasureConditionUnmet,
    /// An exemption lifts identity verification: unverified foreign subjects do not hold the
    /// account.
    ExemptFromVerification,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Reason {
    pub code: ReasonCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_id: Option<SubjectId>,
    pub detail: String,
    /// The list entry (a special-measure designation, a sanctions entry) the reason comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// Where a screening reason comes from: the list, the entry, and the authority's reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Source {
    pub list: String,
    pub entity_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// What must still happen for a subject to be verified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RequiredStep {
    pub subject_id: SubjectId,
    pub role: SubjectRole,
    pub state: VerificationState,
    /// Methods still to pass. `any_of` lists alternatives of which one suffices.
    pub methods: Vec<Method>,
    pub any_of: Vec<Method>,
}

/// The decision on an account, returned synchronously when it opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccountDecision {
    pub decision: Decision,
    pub account_status: AccountStatus,
    pub required_steps: Vec<RequiredStep>,
    pub reasons: Vec<Reason>,
    pub risk: RiskLevel,
    /// The policy's limits, when the account is restricted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub restrictions: BTreeMap<String, serde_json::Value>,
    /// Special-measure conditions the account is held to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special_measures: Vec<AppliedConditions>,
    /// Exemptions (EO 1(c)) that cover the account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exemptions: Vec<crate::exemptions::AppliedExemption>,
}

/// An Account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Account {
    pub id: AccountId,
    pub customer_id: CustomerId,
    pub kind: AccountKind,
    pub offering: Offering,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<AccountId>,
    pub opened_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_access_at: Option<DateTime<Utc>>,
    /// Since when the account has been waiting for verification: the CIP policy's deadline
    /// runs from here, not from opening (an account can fall back to pending years after it
    /// opened, when triage changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_since: Option<DateTime<Utc>>,
    /// What the control plane reports of the account, for special measures' conditions.
    #[serde(default, skip_serializing_if = "is_default")]
    pub profile: AccountProfile,
    /// Each time the account waited for verification and how the wait ended, for the
    /// certification's account of unverified cases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_history: Vec<PendingSpan>,
    pub decision: AccountDecision,
}

/// How a wait for verification ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PendingOutcome {
    Verified,
    /// An exemption lifted verification.
    Exempted,
    ClosedDeadline,
    ClosedFailed,
    ClosedScreening,
    Closed,
    Suspended,
}

/// One wait for verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PendingSpan {
    pub since: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub outcome: PendingOutcome,
}

impl PendingOutcome {
    /// How a wait ends with this decision (`None`: it goes on).
    pub fn of(d: &AccountDecision) -> Option<PendingOutcome> {
        let has = |c: ReasonCode| d.reasons.iter().any(|r| r.code == c);
        Some(match (d.decision, d.account_status) {
            (Decision::Pending, _) => return None,
            (Decision::Approve, _) if has(ReasonCode::ExemptFromVerification) => {
                PendingOutcome::Exempted
            }
            (Decision::Approve, _) => PendingOutcome::Verified,
            (_, AccountStatus::Closed) if has(ReasonCode::VerificationDeadlinePassed) => {
                PendingOutcome::ClosedDeadline
            }
            (_, AccountStatus::Closed) if has(ReasonCode::ScreeningProhibited) => {
                PendingOutcome::ClosedScreening
            }
            (_, AccountStatus::Closed) if has(ReasonCode::VerificationFailed) => {
                PendingOutcome::ClosedFailed
            }
            (_, AccountStatus::Closed) => PendingOutcome::Closed,
            _ => PendingOutcome::Suspended,
        })
    }
}

/// Whether the account was closed for a confirmed prohibition on `case` (its list entry, for
/// its subject), and not on request: a reviewer who reverses that case decides it again.
pub fn closed_by(a: &Account, case: &crate::screening::Case) -> bool {
    let f = &case.finding;
    a.closed_at.is_some()
        && a.decision.account_status == AccountStatus::Closed
        && !a
            .decision
            .reasons
            .iter()
            .any(|r| r.code == ReasonCode::ClosedOnRequest)
        && a.decision.reasons.iter().any(|r| {
            r.code == ReasonCode::ScreeningProhibited
                && r.subject_id.as_ref() == Some(&f.subject_id)
                && r.source
                    .as_ref()
                    .is_some_and(|s| s.list == f.list && s.entity_id == f.entity_id)
        })
}

/// Whether the account was closed because its reseller account was, and not on request: when
/// the reseller account is open again, so is the question.
pub fn closed_with_parent(a: &Account) -> bool {
    a.closed_at.is_some()
        && a.decision.account_status == AccountStatus::Closed
        && !a
            .decision
            .reasons
            .iter()
            .any(|r| r.code == ReasonCode::ClosedOnRequest)
        && a.decision
            .reasons
            .iter()
            .any(|r| r.code == ReasonCode::ParentAccountNotActive)
}

/// Withdraws a closure (see [`closed_by`], [`closed_with_parent`]) so that the account can be
/// decided again as if it had not been closed: it is open, and a wait for verification the
/// closure ended goes on from when it began (the deadline is not restarted).
pub fn reopen(a: &mut Account) {
    let Some(closed) = a.closed_at.take() else {
        return;
    };
    a.close_reason = None;
    if let Some(last) = a.pending_history.last()
        && last.ended_at == closed
        && matches!(
            last.outcome,
            PendingOutcome::ClosedScreening | PendingOutcome::Closed
        )
    {
        a.pending_since = Some(last.since);
        a.pending_history.pop();
    }
}

fn is_default(p: &AccountProfile) -> bool {
    *p == AccountProfile::default()
}

impl Account {
    pub fn status(&self) -> AccountStatus {
        self.decision.account_status
    }
}

/// What the decision needs to know of the parent account.
#[derive(Debug, Clone, PartialEq)]
pub struct ParentInfo {
    pub id: AccountId,
    pub kind: AccountKind,
    pub status: AccountStatus,
    /// How many reseller accounts stand above the new account, the parent included.
    pub depth: u32,
    /// The special measures the parent is held to: they hold for everything under it.
    pub measures: Vec<AppliedConditions>,
}

/// Checks the shape of a new account before anything is decided.
pub fn check_new(
    kind: AccountKind,
    parent: Option<&ParentInfo>,
    policy: &CipPolicy,
) -> Result<(), CoreError> {
    match (kind, parent) {
        (AccountKind::Direct, Some(_)) => Err(CoreError::invalid(
            "parent_account_id",
            "a direct account has no parent; use kind `sub_lessee` or `reseller`",
        )),
        (AccountKind::SubLessee, None) => Err(CoreError::invalid(
            "parent_account_id",
            "a sub_lessee account needs the reseller account it hangs under",
        )),
        (_, Some(p)) if p.kind != AccountKind::Reseller => Err(CoreError::invalid(
            "parent_account_id",
            format!("the parent {} is not a reseller account", p.id),
        )),
        (_, Some(p)) if p.depth > policy.resellers.max_chain_depth => Err(CoreError::invalid(
            "parent_account_id",
            format!(
                "the reseller chain would be {} levels deep; the policy allows {}",
                p.depth, policy.resellers.max_chain_depth
            ),
        )),
        _ => Ok(()),
    }
}

fn reason(code: ReasonCode, subject_id: Option<&SubjectId>, detail: impl Into<String>) -> Reason {
    Reason {
        code,
        subject_id: subject_id.cloned(),
        detail: detail.into(),
        source: None,
    }
}

fn sourced(mut r: Reason, list: &str, entity_id: &str, reference: Option<&String>) -> Reason {
    r.source = Some(Source {
        list: list.to_owned(),
        entity_id: entity_id.to_owned(),
        reference: reference.cloned(),
    });
    r
}

/// The inputs of one evaluation.
#[derive(Debug)]
pub struct Evaluation<'a> {
    pub policy: &'a CipPolicy,
    pub customer: &'a CustomerSummary,
    pub risk: RiskLevel,
    /// The account's id (chosen before it is opened).
    pub account_id: &'a AccountId,
    pub kind: AccountKind,
    pub offering: Offering,
    pub profile: &'a AccountProfile,
    /// The exemptions that cover the account.
    pub exemptions: &'a [crate::exemptions::AppliedExemption],
    pub parent: Option<&'a ParentInfo>,
    /// `None` while the account is being opened; its opening time afterwards.
    pub opened_at: Option<DateTime<Utc>>,
    /// Since when the account has been pending, if it was pending before this evaluation.
    pub pending_since: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// Decides an account's status. Pure: the same inputs always give the same decision.
pub fn evaluate(e: &Evaluation<'_>) -> AccountDecision {
    let p = e.policy;
    let new = e.opened_at.is_none();
    let mut reasons = vec![];
    let mut steps = vec![];
    let mut any_failed = false;
    let mut any_open = false;
    let exempt = e.exemptions.iter().find(|x| {
        x.requirements
            .contains(&crate::exemptions::Requirement::Verification)
    });
    let mut exempted = false;
    for s in e.customer.active_subjects() {
        let req = p.requirement(e.risk, s.role, e.customer.entity);
        let state = s.verification.state(s.us_person, req);
        match state {
            VerificationState::NotRequired | VerificationState::Verified => {}
            VerificationState::Pending if exempt.is_some() => exempted = true,
            VerificationState::Failed => {
                any_failed = true;
                reasons.push(reason(
                    ReasonCode::VerificationFailed,
                    Some(&s.id),
                    "identity verification failed",
                ));
            }
            VerificationState::Pending | VerificationState::ManualReview => {
                any_open = true;
                let (code, who) = match (state, s.role) {
                    (VerificationState::ManualReview, _) => {
                        (ReasonCode::SubjectInManualReview, "awaits a reviewer")
                    }
                    (_, SubjectRole::Customer) => (
                        ReasonCode::ForeignCustomerUnverified,
                        "foreign customer not yet verified",
                    ),
                    (_, SubjectRole::BeneficialOwner) => (
                        ReasonCode::ForeignBeneficialOwnerUnverified,
                        "foreign beneficial owner not yet verified",
                    ),
                };
                reasons.push(reason(code, Some(&s.id), who));
                let missing = s.verification.missing(req);
                let (methods, any_of): (Vec<Method>, Vec<Method>) = missing
                    .into_iter()
                    .partition(|m| req.all.contains(m) || req.one_of.is_empty());
                steps.push(RequiredStep {
                    subject_id: s.id.clone(),
                    role: s.role,
                    state,
                    methods,
                    any_of,
                });
            }
        }
    }
    // Screening: cases of the subjects that count.
    let active: Vec<&SubjectId> = e.customer.active_subjects().map(|s| &s.id).collect();
    let cases: Vec<&crate::screening::CaseSummary> = e
        .customer
        .screening
        .iter()
        .filter(|c| active.contains(&&c.subject_id))
        .collect();
    let prohibited: Vec<Reason> = cases
        .iter()
        .filter(|c| c.state == CaseState::Confirmed && c.measure == Measure::Prohibition)
        .map(|c| {
            sourced(
                reason(
                    ReasonCode::ScreeningProhibited,
                    Some(&c.subject_id),
                    format!(
                        "confirmed match with {} entry {}, a prohibition",
                        c.list, c.entity_id
                    ),
                ),
                &c.list,
                &c.entity_id,
                c.reference.as_ref(),
            )
        })
        .collect();
    let in_review: Vec<Reason> = cases
        .iter()
        .filter(|c| c.state == CaseState::Open && c.measure.holds_for_review())
        .map(|c| {
            sourced(
                reason(
                    ReasonCode::ScreeningReview,
                    Some(&c.subject_id),
                    format!(
                        "possible match with {} entry {} awaits review (case {})",
                        c.list, c.entity_id, c.id
                    ),
                ),
                &c.list,
                &c.entity_id,
                c.reference.as_ref(),
            )
        })
        .collect();
    let mut special_measures: Vec<AppliedConditions> = vec![];
    for c in cases
        .iter()
        .filter(|c| c.state == CaseState::Confirmed && c.measure == Measure::Conditions)
    {
        if !special_measures
            .iter()
            .any(|m| m.list == c.list && m.entity_id == c.entity_id)
        {
            special_measures.push(AppliedConditions {
                list: c.list.clone(),
                entity_id: c.entity_id.clone(),
                reference: c.reference.clone(),
                conditions: c.conditions.clone(),
                inherited_from: None,
                unmet: vec![],
            });
        }
    }
    // A reseller's measures hold for every account under it, at any depth.
    if let Some(parent) = e.parent {
        for m in &parent.measures {
            if !special_measures
                .iter()
                .any(|s| s.list == m.list && s.entity_id == m.entity_id)
            {
                let mut m = m.clone();
                m.inherited_from = m.inherited_from.or_else(|| Some(parent.id.clone()));
                special_measures.push(m);
            }
        }
    }
    if !special_measures.is_empty() {
        let account = AccountFacts::new(
            e.account_id.as_str(),
            e.kind,
            e.offering,
            e.parent.map_or(0, |p| p.depth),
            e.profile,
        );
        let customer = CustomerFacts::of(e.customer, |s| {
            matches!(
                s.verification.state(
                    s.us_person,
                    p.requirement(e.risk, s.role, e.customer.entity)
                ),
                VerificationState::NotRequired | VerificationState::Verified
            )
        });
        for m in &mut special_measures {
            m.unmet = measures::unmet(&m.conditions, &account, &customer);
        }
    }
    let unmet = special_measures.iter().any(|m| !m.unmet.is_empty());
    let decided = |decision, status: AccountStatus, mut reasons: Vec<Reason>, steps| {
        // An account that could be used but does not meet a measure's conditions is held
        // until it does: pending at opening, suspended afterwards.
        let held = status.usable() && unmet;
        let (decision, status) = if held {
            reasons.extend(special_measures.iter().flat_map(|m| {
                m.unmet.iter().map(|u| {
                    sourced(
                        reason(
                            ReasonCode::SpecialMeasureConditionUnmet,
                            None,
                            format!(
                                "condition `{}` of {} entry {} is not met: {}",
                                u.condition, m.list, m.entity_id, u.why
                            ),
                        ),
                        &m.list,
                        &m.entity_id,
                        m.reference.as_ref(),
                    )
                })
            }));
            let status = if new {
                AccountStatus::PendingVerification
            } else {
                AccountStatus::Suspended
            };
            (Decision::Pending, status)
        } else {
            (decision, status)
        };
        // Conditions hold on every account that may be used; a usable account under them is
        // restricted.
        let applies = (status.usable() || held) && !special_measures.is_empty();
        let status = if applies && status == AccountStatus::Active {
            AccountStatus::Restricted
        } else {
            status
        };
        if applies {
            reasons.extend(special_measures.iter().map(|m| {
                let whence = match &m.inherited_from {
                    Some(a) => format!(" (through reseller account {a})"),
                    None => String::new(),
                };
                sourced(
                    reason(
                        ReasonCode::SpecialMeasureConditions,
                        None,
                        format!(
                            "the conditions of {} entry {} apply{whence}",
                            m.list, m.entity_id
                        ),
                    ),
                    &m.list,
                    &m.entity_id,
                    m.reference.as_ref(),
                )
            }));
        }
        let mut restrictions =
            if status == AccountStatus::Restricted && (decision != Decision::Approve || !applies) {
                p.pending.restrictions.clone()
            } else {
                BTreeMap::new()
            };
        if applies {
            // For a control plane that reads only the restrictions: every condition, verbatim.
            restrictions.insert(
                "special_measure_conditions".to_owned(),
                serde_json::Value::from(
                    special_measures
                        .iter()
                        .flat_map(|m| m.conditions.iter().cloned())
                        .collect::<Vec<String>>(),
                ),
            );
        }
        AccountDecision {
            decision,
            account_status: status,
            required_steps: steps,
            reasons,
            risk: e.risk,
            restrictions,
            special_measures: if applies {
                special_measures.clone()
            } else {
                vec![]
            },
            exemptions: e.exemptions.to_vec(),
        }
    };

    if let Some(parent) = e.parent
        && !parent.status.usable()
    {
        reasons.insert(
            0,
            reason(
                ReasonCode::ParentAccountNotActive,
                None,
                format!(
                    "reseller account {} is {}",
                    parent.id,
                    parent.status.as_str()
                ),
            ),
        );
        let status = if new || parent.status == AccountStatus::Closed {
            AccountStatus::Closed
        } else {
            AccountStatus::Suspended
        };
        return decided(Decision::Refuse, status, reasons, steps);
    }
    if !prohibited.is_empty() {
        let mut all = prohibited;
        all.extend(reasons);
        return decided(Decision::Refuse, AccountStatus::Closed, all, steps);
    }
    if any_failed {
        let status = if new {
            if p.failure.refuse_open {
                AccountStatus::Closed
            } else {
                p.pending.account_status
            }
        } else {
            match p.failure.existing_accounts {
                FailureAction::Suspend => AccountStatus::Suspended,
                FailureAction::Close => AccountStatus::Closed,
            }
        };
        let decision = if status == AccountStatus::Closed || status == AccountStatus::Suspended {
            Decision::Refuse
        } else {
            Decision::Pending
        };
        return decided(decision, status, reasons, steps);
    }
    if !in_review.is_empty() {
        let mut all = in_review;
        all.extend(reasons);
        return decided(
            Decision::Pending,
            p.screening.review_account_status,
            all,
            steps,
        );
    }
    if any_open {
        if new && p.pending.refuse_offerings.contains(&e.offering) {
            reasons.push(reason(
                ReasonCode::OfferingRefusedWhileUnverified,
                None,
                "this offering is not available to an unverified foreign customer",
            ));
            return decided(Decision::Refuse, AccountStatus::Closed, reasons, steps);
        }
        if !new
            && let Some(since) = e.pending_since
            && e.now > since + Duration::days(i64::from(p.pending.max_days))
        {
            reasons.push(reason(
                ReasonCode::VerificationDeadlinePassed,
                None,
                format!(
                    "not verified within {} days of verification becoming required",
                    p.pending.max_days
                ),
            ));
            return decided(Decision::Refuse, AccountStatus::Closed, reasons, steps);
        }
        let blocked = p.pending.block_kinds.contains(&e.kind)
            || p.pending.block_offerings.contains(&e.offering);
        let status = if blocked {
            reasons.push(reason(
                ReasonCode::BlockedUntilVerified,
                None,
                "this kind of account or offering may not be used until verification completes",
            ));
            AccountStatus::PendingVerification
        } else {
            p.pending.account_status
        };
        return decided(Decision::Pending, status, reasons, steps);
    }
    if let Some(x) = exempt
        && exempted
    {
        reasons.push(reason(
            ReasonCode::ExemptFromVerification,
            None,
            format!(
                "exemption {} ({}) lifts identity verification for this account",
                x.id, x.basis
            ),
        ));
        return decided(Decision::Approve, AccountStatus::Active, reasons, steps);
    }
    let all_us = e.customer.all_us_persons();
    reasons.push(if all_us {
        reason(
            ReasonCode::UsPersonsOnly,
            None,
            "the customer and all beneficial owners are US persons",
        )
    } else {
        reason(
            ReasonCode::ForeignSubjectsVerified,
            None,
            "every foreign subject is verified",
        )
    });
    decided(Decision::Approve, AccountStatus::Active, reasons, steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::SubjectSummary;
    use crate::triage::UsPersonBasis;
    use crate::verification::{MethodOutcome, MethodResult, SubjectVerification};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
    }

    fn subject(
        role: SubjectRole,
        us: bool,
        passed: &[Method],
        failed: &[Method],
    ) -> SubjectSummary {
        let r = |m: &Method, o| MethodResult {
            method: *m,
            outcome: o,
            at: now(),
            provider: None,
            reference: None,
            recorded_by: "k".into(),
        };
        SubjectSummary {
            id: SubjectId::parse(&format!("sub_{}", passed.len() * 10 + failed.len())).unwrap(),
            role,
            qualifies: true,
            removed: false,
            us_person: us,
            basis: if us {
                UsPersonBasis::Citizen
            } else {
                UsPersonBasis::Foreign
            },
            verification: SubjectVerification {
                results: passed
                    .iter()
                    .map(|m| r(m, MethodOutcome::Pass))
                    .chain(failed.iter().map(|m| r(m, MethodOutcome::Fail)))
                    .collect(),
                ..Default::default()
            },
        }
    }

    fn summary(subjects: Vec<SubjectSummary>) -> CustomerSummary {
        CustomerSummary {
            id: CustomerId::parse("cus_t").unwrap(),
            entity: subjects.len() > 1,
            created_at: now(),
            subjects,
            high_risk_link: false,
            resubmissions: 0,
            screening: vec![],
        }
    }

    fn screening_case(
        subject: &SubjectSummary,
        state: CaseState,
        measure: Measure,
    ) -> crate::screening::CaseSummary {
        crate::screening::CaseSummary {
            id: format!("scr_{state:?}_{measure:?}"),
            subject_id: subject.id.clone(),
            basis: crate::screening::Basis::Name,
            list: "ofac-sdn".into(),
            entity_id: "123".into(),
            measure,
            conditions: if measure == Measure::Conditions {
                vec!["account.offering != 'trial'".into()]
            } else {
                vec![]
            },
            reference: None,
            score: 0.95,
            state,
            opened_at: now(),
            updated_at: now(),
        }
    }

    fn decide_screened(
        verified: bool,
        cases: &[(CaseState, Measure)],
        new: bool,
    ) -> AccountDecision {
        let policy = CipPolicy::default();
        let sub = if verified {
            subject(
                SubjectRole::Customer,
                false,
                &[Method::Email, Method::Phone, Method::Document],
                &[],
            )
        } else {
            subject(SubjectRole::Customer, false, &[], &[])
        };
        let mut s = summary(vec![sub.clone()]);
        s.screening = cases
            .iter()
            .map(|(st, m)| screening_case(&sub, *st, *m))
            .collect();
        evaluate(&Evaluation {
            policy: &policy,
            customer: &s,
            risk: RiskLevel::Medium,
            account_id: &AccountId::parse("acc_t").unwrap(),
            kind: AccountKind::Direct,
            offering: Offering::Paid,
            profile: &AccountProfile::default(),
            exemptions: &[],
            parent: None,
            opened_at: (!new).then(now),
            pending_since: None,
            now: now(),
        })
    }

    #[test]
    fn screening_decides() {
        use CaseState as C;
        use Measure as M;
        // A confirmed prohibition refuses a new account and closes an open one, verified or not.
        for new in [true, false] {
            let d = decide_screened(true, &[(C::Confirmed, M::Prohibition)], new);
            assert_eq!(
                (d.decision, d.account_status, d.reasons[0].code),
                (
                    Decision::Refuse,
                    AccountStatus::Closed,
                    ReasonCode::ScreeningProhibited
                )
            );
        }
        // A possible match holds the account for review.
        let d = decide_screened(true, &[(C::Open, M::Prohibition)], true);
        assert_eq!(
            (d.decision, d.account_status, d.reasons[0].code),
            (
                Decision::Pending,
                AccountStatus::PendingVerification,
                ReasonCode::ScreeningReview
            )
        );
        // Conditions apply: a verified customer's account is restricted under them.
        let d = decide_screened(true, &[(C::Confirmed, M::Conditions)], false);
        assert_eq!(d.decision, Decision::Approve);
        assert_eq!(d.account_status, AccountStatus::Restricted);
        assert_eq!(d.special_measures.len(), 1);
        assert_eq!(
            d.restrictions["special_measure_conditions"],
            serde_json::json!(["account.offering != 'trial'"])
        );
        assert!(
            d.reasons
                .iter()
                .any(|r| r.code == ReasonCode::SpecialMeasureConditions)
        );
        // ...and an unverified one keeps the pending restrictions too.
        let d = decide_screened(false, &[(C::Confirmed, M::Conditions)], true);
        assert_eq!(d.account_status, AccountStatus::Restricted);
        assert!(d.restrictions.len() > 1);
        // Resolved cases do nothing.
        for st in [C::FalsePositive, C::Cleared] {
            let d = decide_screened(true, &[(st, M::Prohibition)], true);
            assert_eq!(
                (d.decision, d.account_status),
                (Decision::Approve, AccountStatus::Active)
            );
        }
    }

    #[test]
    fn a_lists_measure_says_what_its_hits_do() {
        use CaseState as C;
        use Measure as M;
        let held = (
            Decision::Pending,
            AccountStatus::PendingVerification,
            Some(ReasonCode::ScreeningReview),
        );
        let free = (
            Decision::Approve,
            AccountStatus::Active,
            Some(ReasonCode::ForeignSubjectsVerified),
        );
        for (case, expect) in [
            // A list kept for review holds while a reviewer looks, and decides nothing after.
            ((C::Open, M::Review), held),
            ((C::Confirmed, M::Review), free),
            ((C::FalsePositive, M::Review), free),
            // An informational list holds nothing, open or confirmed.
            ((C::Open, M::Informational), free),
            ((C::Confirmed, M::Informational), free),
        ] {
            for new in [true, false] {
                let d = decide_screened(true, &[case], new);
                assert_eq!(
                    (
                        d.decision,
                        d.account_status,
                        d.reasons.first().map(|r| r.code)
                    ),
                    expect,
                    "{case:?}"
                );
            }
        }
        // Beside a prohibition, they change nothing of it.
        let d = decide_screened(
            true,
            &[(C::Confirmed, M::Prohibition), (C::Open, M::Informational)],
            false,
        );
        assert_eq!(d.account_status, AccountStatus::Closed);
    }

    #[test]
    fn a_reversal_withdraws_only_its_own_closure() {
        let decision =
            decide_screened(true, &[(CaseState::Confirmed, Measure::Prohibition)], false);
        let since = now() - Duration::days(5);
        let closed = Account {
            id: AccountId::parse("acc_t").unwrap(),
            customer_id: CustomerId::parse("cus_t").unwrap(),
            kind: AccountKind::Direct,
            offering: Offering::Paid,
            parent_id: None,
            opened_at: since,
            closed_at: Some(now()),
            close_reason: Some(decision.reasons[0].detail.clone()),
            last_access_at: None,
            pending_since: None,
            profile: AccountProfile::default(),
            pending_history: vec![PendingSpan {
                since,
                ended_at: now(),
                outcome: PendingOutcome::ClosedScreening,
            }],
            decision,
        };
        let subject = closed.decision.reasons[0].subject_id.clone().unwrap();
        let case = |entity: &str, subject: &SubjectId| crate::screening::Case {
            id: "scr_1".into(),
            state: CaseState::FalsePositive,
            finding: crate::screening::Finding {
                subject_id: subject.clone(),
                basis: crate::screening::Basis::Name,
                list: "ofac-sdn".into(),
                entity_id: entity.into(),
                entity_name: "X".into(),
                matched: "X".into(),
                score: 0.95,
                measure: Measure::Prohibition,
                conditions: vec![],
                reference: None,
                explanation: vec![],
                decisive: false,
                birth_date_equal: false,
                entity_fingerprint: "e".into(),
                subject_fingerprint: "s".into(),
            },
            opened_at: since,
            updated_at: now(),
            resolved_by: None,
            resolved_at: None,
            note: None,
        };
        assert!(closed_by(&closed, &case("123", &subject)));
        // Another entry, another subject: not this case's closure.
        assert!(!closed_by(&closed, &case("456", &subject)));
        assert!(!closed_by(
            &closed,
            &case("123", &SubjectId::parse("sub_other").unwrap())
        ));
        // Closed on request: it stays closed whatever the case says.
        let mut asked = closed.clone();
        asked.decision.reasons.push(reason(
            ReasonCode::ClosedOnRequest,
            None,
            "closed on request",
        ));
        assert!(!closed_by(&asked, &case("123", &subject)));
        assert!(!closed_with_parent(&closed));

        let mut a = closed.clone();
        reopen(&mut a);
        assert_eq!((a.closed_at, a.close_reason), (None, None));
        // The wait the closure ended goes on from when it began.
        assert_eq!(a.pending_since, Some(since));
        assert!(a.pending_history.is_empty());
    }

    struct Case {
        subjects: Vec<SubjectSummary>,
        kind: AccountKind,
        offering: Offering,
        parent: Option<AccountStatus>,
        pending_since_days: Option<i64>,
        new: bool,
        exemptions: Vec<crate::exemptions::AppliedExemption>,
    }

    fn case(subjects: Vec<SubjectSummary>) -> Case {
        Case {
            subjects,
            kind: AccountKind::Direct,
            offering: Offering::Paid,
            parent: None,
            pending_since_days: None,
            new: true,
            exemptions: vec![],
        }
    }

    fn check(c: Case, expect: (Decision, AccountStatus, &[ReasonCode])) {
        let policy = CipPolicy::default();
        let s = summary(c.subjects);
        let parent = c.parent.map(|status| ParentInfo {
            id: AccountId::parse("acc_parent").unwrap(),
            kind: AccountKind::Reseller,
            status,
            depth: 1,
            measures: vec![],
        });
        let d = evaluate(&Evaluation {
            policy: &policy,
            customer: &s,
            risk: policy.risk(&s, [(c.kind, c.offering)]),
            account_id: &AccountId::parse("acc_t").unwrap(),
            kind: c.kind,
            offering: c.offering,
            profile: &AccountProfile::default(),
            exemptions: &c.exemptions,
            parent: parent.as_ref(),
            opened_at: (!c.new).then(now),
            pending_since: c.pending_since_days.map(|d| now() - Duration::days(d)),
            now: now(),
        });
        let codes: Vec<ReasonCode> = d.reasons.iter().map(|r| r.code).collect();
        assert_eq!((d.decision, d.account_status, codes.as_slice()), expect);
    }

    /// A verified foreign customer's account under one measure with `conditions`, given
    /// directly (a confirmed case) or through a parent reseller account.
    fn decide_conditions(
        conditions: &[&str],
        kind: AccountKind,
        offering: Offering,
        profile: &AccountProfile,
        inherited: bool,
        new: bool,
    ) -> AccountDecision {
        let policy = CipPolicy::default();
        let sub = subject(
            SubjectRole::Customer,
            false,
            &[Method::Email, Method::Phone, Method::Document],
            &[],
        );
        let mut s = summary(vec![sub.clone()]);
        let conditions: Vec<String> = conditions.iter().map(|c| (*c).to_owned()).collect();
        let applied = AppliedConditions {
            list: "special-measures".into(),
            entity_id: "custos-sm-1".into(),
            reference: Some("92 FR 1".into()),
            conditions: conditions.clone(),
            inherited_from: None,
            unmet: vec![],
        };
        if !inherited {
            let mut c = screening_case(&sub, CaseState::Confirmed, Measure::Conditions);
            c.list = applied.list.clone();
            c.entity_id = applied.entity_id.clone();
            c.reference = applied.reference.clone();
            c.conditions = conditions;
            s.screening = vec![c];
        }
        let parent = ParentInfo {
            id: AccountId::parse("acc_reseller").unwrap(),
            kind: AccountKind::Reseller,
            status: AccountStatus::Restricted,
            depth: 2,
            measures: vec![applied],
        };
        evaluate(&Evaluation {
            policy: &policy,
            customer: &s,
            risk: RiskLevel::Medium,
            account_id: &AccountId::parse("acc_t").unwrap(),
            kind,
            offering,
            profile,
            exemptions: &[],
            parent: inherited.then_some(&parent),
            opened_at: (!new).then(now),
            pending_since: None,
            now: now(),
        })
    }

    #[test]
    fn conditions_are_evaluated_over_the_account() {
        use AccountKind::*;
        use Offering::*;
        let none = AccountProfile::default();
        let big = AccountProfile {
            resources: [("vcpus".to_owned(), 32)].into(),
            monitoring: Some("enhanced".into()),
            tags: vec![],
        };
        let small = AccountProfile {
            resources: [("vcpus".to_owned(), 4)].into(),
            ..Default::default()
        };
        // (condition, kind, offering, profile, met)
        let cases: &[(&str, AccountKind, Offering, &AccountProfile, bool)] = &[
            ("account.offering != 'trial'", Direct, Paid, &none, true),
            ("account.offering != 'trial'", Direct, Trial, &none, false),
            (
                "'document' in customer.verified_by",
                Direct,
                Paid,
                &none,
                true,
            ),
            (
                "'payment_instrument' in customer.verified_by",
                Direct,
                Paid,
                &none,
                false,
            ),
            ("account.resources.vcpus <= 8", Direct, Paid, &small, true),
            ("account.resources.vcpus <= 8", Direct, Paid, &big, false),
            // Not reported: the measure fails closed.
            ("account.resources.vcpus <= 8", Direct, Paid, &none, false),
            ("account.monitoring == 'enhanced'", Direct, Paid, &big, true),
            (
                "account.monitoring == 'enhanced'",
                Direct,
                Paid,
                &none,
                false,
            ),
            ("account.depth == 0", Reseller, Paid, &none, true),
            (
                "customer.verified && !customer.us_person",
                Direct,
                Paid,
                &none,
                true,
            ),
            // Not a boolean.
            ("account.depth", Direct, Paid, &none, false),
        ];
        for (cond, kind, offering, profile, met) in cases {
            for new in [true, false] {
                let d = decide_conditions(&[cond], *kind, *offering, profile, false, new);
                let m = &d.special_measures[0];
                assert_eq!(
                    m.unmet.is_empty(),
                    *met,
                    "{cond} on {kind:?}/{offering:?}: {m:?}"
                );
                if *met {
                    assert_eq!(
                        (d.decision, d.account_status),
                        (Decision::Approve, AccountStatus::Restricted),
                        "{cond}"
                    );
                } else {
                    let held = if new {
                        AccountStatus::PendingVerification
                    } else {
                        AccountStatus::Suspended
                    };
                    assert_eq!((d.decision, d.account_status), (Decision::Pending, held));
                    let r = d
                        .reasons
                        .iter()
                        .find(|r| r.code == ReasonCode::SpecialMeasureConditionUnmet)
                        .unwrap();
                    // The reason names the designation it comes from.
                    assert_eq!(r.source.as_ref().unwrap().entity_id, "custos-sm-1");
                    assert_eq!(
                        r.source.as_ref().unwrap().reference.as_deref(),
                        Some("92 FR 1")
                    );
                }
            }
        }
    }

    #[test]
    fn a_resellers_measures_hold_under_it() {
        // "No sub-accounts" on a designated reseller holds every sub-lessee under it, at any
        // depth, while the reseller's own account meets it.
        let d = decide_conditions(
            &["account.depth == 0"],
            AccountKind::SubLessee,
            Offering::Paid,
            &AccountProfile::default(),
            true,
            false,
        );
        assert_eq!(
            (d.decision, d.account_status),
            (Decision::Pending, AccountStatus::Suspended)
        );
        let m = &d.special_measures[0];
        assert_eq!(m.inherited_from.as_ref().unwrap().as_str(), "acc_reseller");
        assert!(
            d.reasons
                .iter()
                .any(|r| r.detail.contains("through reseller account acc_reseller"))
        );
        // A condition the sub-lessee meets leaves it usable, under the measure.
        let d = decide_conditions(
            &["account.offering != 'trial'"],
            AccountKind::SubLessee,
            Offering::Paid,
            &AccountProfile::default(),
            true,
            false,
        );
        assert_eq!(d.account_status, AccountStatus::Restricted);
        assert_eq!(d.special_measures.len(), 1);
    }

    #[test]
    fn decisions() {
        use AccountStatus as S;
        use Decision as D;
        use Method::*;
        use ReasonCode as R;
        use SubjectRole::*;
        check(
            case(vec![subject(Customer, true, &[], &[])]),
            (D::Approve, S::Active, &[R::UsPersonsOnly]),
        );
        check(
            case(vec![subject(Customer, false, &[], &[])]),
            (D::Pending, S::Restricted, &[R::ForeignCustomerUnverified]),
        );
        check(
            case(vec![subject(Customer, false, &[Email, Document], &[])]),
            (D::Approve, S::Active, &[R::ForeignSubjectsVerified]),
        );
        check(
            case(vec![subject(Customer, false, &[], &[Email])]),
            (D::Refuse, S::Closed, &[R::VerificationFailed]),
        );
        let mut existing = case(vec![subject(Customer, false, &[], &[Email])]);
        existing.new = false;
        check(
            existing,
            (D::Refuse, S::Suspended, &[R::VerificationFailed]),
        );
        // A US entity with a foreign owner: only the owner is asked for.
        check(
            case(vec![
                subject(Customer, true, &[], &[]),
                subject(BeneficialOwner, false, &[], &[]),
            ]),
            (
                D::Pending,
                S::Restricted,
                &[R::ForeignBeneficialOwnerUnverified],
            ),
        );
        let mut trial = case(vec![subject(Customer, false, &[], &[])]);
        trial.offering = Offering::Trial;
        check(
            trial,
            (
                D::Pending,
                S::PendingVerification,
                &[R::ForeignCustomerUnverified, R::BlockedUntilVerified],
            ),
        );
        let mut reseller = case(vec![subject(Customer, false, &[], &[])]);
        reseller.kind = AccountKind::Reseller;
        check(
            reseller,
            (
                D::Pending,
                S::PendingVerification,
                &[R::ForeignCustomerUnverified, R::BlockedUntilVerified],
            ),
        );
        let mut orphan = case(vec![subject(Customer, true, &[], &[])]);
        orphan.kind = AccountKind::SubLessee;
        orphan.parent = Some(S::Suspended);
        check(orphan, (D::Refuse, S::Closed, &[R::ParentAccountNotActive]));
        let mut under_suspended = case(vec![subject(Customer, true, &[], &[])]);
        under_suspended.kind = AccountKind::SubLessee;
        under_suspended.parent = Some(S::Suspended);
        under_suspended.new = false;
        check(
            under_suspended,
            (D::Refuse, S::Suspended, &[R::ParentAccountNotActive]),
        );
        let mut late = case(vec![subject(Customer, false, &[], &[])]);
        late.new = false;
        late.pending_since_days = Some(31);
        check(
            late,
            (
                D::Refuse,
                S::Closed,
                &[R::ForeignCustomerUnverified, R::VerificationDeadlinePassed],
            ),
        );
        // An exemption from verification: an unverified foreign customer's account is not
        // held, and the decision says why; a failed verification still counts.
        let exemption = crate::exemptions::AppliedExemption {
            id: "ex_1".into(),
            basis: "ADP".into(),
            requirements: vec![crate::exemptions::Requirement::Verification],
        };
        let mut exempt = case(vec![subject(Customer, false, &[], &[])]);
        exempt.exemptions = vec![exemption.clone()];
        check(
            exempt,
            (D::Approve, S::Active, &[R::ExemptFromVerification]),
        );
        let mut exempt_failed = case(vec![subject(Customer, false, &[], &[Email])]);
        exempt_failed.exemptions = vec![exemption.clone()];
        check(
            exempt_failed,
            (D::Refuse, S::Closed, &[R::VerificationFailed]),
        );
        let mut reverification_only = case(vec![subject(Customer, false, &[], &[])]);
        reverification_only.exemptions = vec![crate::exemptions::AppliedExemption {
            requirements: vec![crate::exemptions::Requirement::Reverification],
            ..exemption
        }];
        check(
            reverification_only,
            (D::Pending, S::Restricted, &[R::ForeignCustomerUnverified]),
        );
        let mut in_time = case(vec![subject(Customer, false, &[], &[])]);
        in_time.new = false;
        in_time.pending_since_days = Some(29);
        check(
            in_time,
            (D::Pending, S::Restricted, &[R::ForeignCustomerUnverified]),
        );
    }

    #[test]
    fn new_account_shapes() {
        let p = CipPolicy::default();
        let parent = |kind, depth| ParentInfo {
            id: AccountId::parse("acc_p").unwrap(),
            kind,
            status: AccountStatus::Active,
            depth,
            measures: vec![],
        };
        assert!(check_new(AccountKind::Direct, None, &p).is_ok());
        assert!(
            check_new(
                AccountKind::Direct,
                Some(&parent(AccountKind::Reseller, 1)),
                &p
            )
            .is_err()
        );
        assert!(check_new(AccountKind::SubLessee, None, &p).is_err());
        assert!(
            check_new(
                AccountKind::SubLessee,
                Some(&parent(AccountKind::Direct, 1)),
                &p
            )
            .is_err()
        );
        assert!(
            check_new(
                AccountKind::SubLessee,
                Some(&parent(AccountKind::Reseller, 8)),
                &p
            )
            .is_ok()
        );
        assert!(
            check_new(
                AccountKind::SubLessee,
                Some(&parent(AccountKind::Reseller, 9)),
                &p
            )
            .is_err()
        );
        assert!(
            check_new(
                AccountKind::Reseller,
                Some(&parent(AccountKind::Reseller, 3)),
                &p
            )
            .is_ok()
        );
    }
}
