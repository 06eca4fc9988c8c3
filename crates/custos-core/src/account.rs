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

pub use crate::kinds::{AccountKind, AccountStatus, Offering};

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
    /// Closed for abuse, on an abuse case (its decision by two people): the customer's
    /// identifiers coming back flag a sign-up.
    ClosedForAbuse,
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
    /// The red-flag rules that fired sum to the policy's `review`, `restrict` or `refuse`
    /// threshold: what that does to the account.
    RedFlags,
    /// One red-flag rule that fired, with the facts it read (`red_flag`).
    RedFlag,
    /// Suspended by a person on an abuse case, until lifted or the case is dismissed.
    AbuseSuspension,
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
    /// For a `red_flag` reason: the rule, its reason code, its score and the facts it read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub red_flag: Option<crate::detection::Fired>,
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
    /// The abuse cases the account is suspended on, while they are: it is held while any is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub abuse_holds: Vec<String>,
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

/// When a wait for verification that starts at `now` counts from. After a wait an exemption
/// ended (the exemption since revoked or expired), the clock goes on where it stopped: the
/// time already waited counts, the time exempted does not. A brief exemption granted and
/// revoked must not buy a new deadline.
/// Only a wait that the account's decision until now ended (its decision is still the
/// exemption's) goes on; any other wait, however the last one ended, starts at `now`.
pub fn wait_starts(a: &Account, now: DateTime<Utc>) -> DateTime<Utc> {
    let exempted_now = a.decision.decision == Decision::Approve
        && a.decision
            .reasons
            .iter()
            .any(|r| r.code == ReasonCode::ExemptFromVerification);
    match a.pending_history.last() {
        Some(last) if exempted_now && last.outcome == PendingOutcome::Exempted => {
            now - (last.ended_at - last.since).max(chrono::Duration::zero())
        }
        _ => now,
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
            .any(|r| closed_deliberately(r.code))
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
            .any(|r| closed_deliberately(r.code))
        && a.decision
            .reasons
            .iter()
            .any(|r| r.code == ReasonCode::ParentAccountNotActive)
}

/// Whether a reason says a person closed the account (on request, or for abuse): such a
/// closure is not withdrawn when what else closed it goes away.
fn closed_deliberately(code: ReasonCode) -> bool {
    matches!(
        code,
        ReasonCode::ClosedOnRequest | ReasonCode::ClosedForAbuse
    )
}

/// Closes an account on request (the customer's, the provider's, a compliance officer's):
/// closed at `now` for `why`, a wait for verification ended as closed, and a decision
/// that says so. Refused when it is already closed.
pub fn close_on_request(a: &mut Account, why: &str, now: DateTime<Utc>) -> Result<(), CoreError> {
    close_with(
        a,
        ReasonCode::ClosedOnRequest,
        "closed on request",
        why,
        now,
    )
}

/// Closes an account for abuse (on an abuse case): as [`close_on_request`], its reason
/// `closed_for_abuse`.
pub fn close_for_abuse(a: &mut Account, why: &str, now: DateTime<Utc>) -> Result<(), CoreError> {
    close_with(a, ReasonCode::ClosedForAbuse, "closed for abuse", why, now)
}

fn close_with(
    a: &mut Account,
    code: ReasonCode,
    said: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), CoreError> {
    if a.closed_at.is_some() {
        return Err(CoreError::Conflict(format!(
            "account {} is already closed",
            a.id
        )));
    }
    a.closed_at = Some(now);
    a.close_reason = Some(why.to_owned());
    if let Some(since) = a.pending_since.take() {
        a.pending_history.push(PendingSpan {
            since,
            ended_at: now,
            outcome: PendingOutcome::Closed,
        });
    }
    a.decision = AccountDecision {
        decision: a.decision.decision,
        account_status: AccountStatus::Closed,
        required_steps: vec![],
        reasons: vec![reason(code, None, said)],
        risk: a.decision.risk,
        restrictions: BTreeMap::new(),
        special_measures: vec![],
        exemptions: vec![],
    };
    Ok(())
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
        red_flag: None,
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
    /// The red-flag rules, compiled from the policy's `[detection]`: applied to the
    /// customer's detection (`CustomerSummary::detection`) and the account. `None`: none.
    pub detector: Option<&'a crate::detection::Detector>,
    /// The abuse case the account is suspended on, if it is (a new account of a customer
    /// closed for abuse: the case that closed it).
    pub abuse_hold: Option<&'a str>,
}

/// Where each subject that counts stands: the reasons and the steps still to take.
#[derive(Debug, Default)]
struct Subjects {
    reasons: Vec<Reason>,
    steps: Vec<RequiredStep>,
    any_failed: bool,
    any_open: bool,
    /// A subject is pending and an exemption lifts verification.
    exempted: bool,
}

/// Step 1: the verification of every subject that counts.
fn subjects(e: &Evaluation<'_>, exempt: bool) -> Subjects {
    let p = e.policy;
    let mut out = Subjects::default();
    for s in e.customer.active_subjects() {
        let req = p.requirement(e.risk, s.role, e.customer.entity);
        let state = s.verification.state(s.us_person, req);
        match state {
            VerificationState::NotRequired | VerificationState::Verified => {}
            VerificationState::Pending if exempt => out.exempted = true,
            VerificationState::Failed => {
                out.any_failed = true;
                out.reasons.push(reason(
                    ReasonCode::VerificationFailed,
                    Some(&s.id),
                    "identity verification failed",
                ));
            }
            VerificationState::Pending | VerificationState::ManualReview => {
                out.any_open = true;
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
                out.reasons.push(reason(code, Some(&s.id), who));
                let missing = s.verification.missing(req);
                let (methods, any_of): (Vec<Method>, Vec<Method>) = missing
                    .into_iter()
                    .partition(|m| req.all.contains(m) || req.one_of.is_empty());
                out.steps.push(RequiredStep {
                    subject_id: s.id.clone(),
                    role: s.role,
                    state,
                    methods,
                    any_of,
                });
            }
        }
    }
    out
}

/// Step 2: the screening cases of the subjects that count: confirmed prohibitions, and
/// possible matches that hold the account for review.
fn screening<'e>(
    e: &Evaluation<'e>,
) -> (
    Vec<&'e crate::screening::CaseSummary>,
    Vec<Reason>,
    Vec<Reason>,
) {
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
    (cases, prohibited, in_review)
}

/// Step 3: the special measures whose conditions apply (the account's own confirmed cases,
/// and its reseller's, at any depth), each with the conditions the account does not meet.
fn special_measures(
    e: &Evaluation<'_>,
    cases: &[&crate::screening::CaseSummary],
) -> Vec<AppliedConditions> {
    let p = e.policy;
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
        let account = account_facts(e);
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
    special_measures
}

/// The decision, as the steps before reached it, with the special measures applied: an
/// account that could be used but does not meet a measure's conditions is held until it does;
/// conditions hold on every account that may be used.
fn decided(
    e: &Evaluation<'_>,
    special_measures: &[AppliedConditions],
    decision: Decision,
    status: AccountStatus,
    mut reasons: Vec<Reason>,
    steps: Vec<RequiredStep>,
) -> AccountDecision {
    let p = e.policy;
    let new = e.opened_at.is_none();
    let unmet = special_measures.iter().any(|m| !m.unmet.is_empty());
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
            special_measures.to_vec()
        } else {
            vec![]
        },
        exemptions: e.exemptions.to_vec(),
    }
}

/// The account as special measures' conditions and red-flag rules read it.
fn account_facts<'e>(e: &Evaluation<'e>) -> AccountFacts<'e> {
    AccountFacts::new(
        e.account_id.as_str(),
        e.kind,
        e.offering,
        e.parent.map_or(0, |p| p.depth),
        e.profile,
    )
}

/// Decides an account's status. Pure: the same inputs always give the same decision.
pub fn evaluate(e: &Evaluation<'_>) -> AccountDecision {
    let d = evaluate_cip(e);
    let mut d = match (e.detector, &e.customer.detection) {
        (Some(detector), Some(cd)) => red_flags(e, d, &detector.account(cd, &account_facts(e))),
        _ => d,
    };
    if let Some(case) = e.abuse_hold
        && d.account_status != AccountStatus::Closed
    {
        d.decision = Decision::Refuse;
        d.required_steps.clear();
        let (status, why) = if e.opened_at.is_none() {
            (
                AccountStatus::Closed,
                format!("the customer was closed for abuse (case {case})"),
            )
        } else {
            (
                AccountStatus::Suspended,
                format!("suspended on abuse case {case}"),
            )
        };
        d.account_status = status;
        d.reasons
            .insert(0, reason(ReasonCode::AbuseSuspension, None, why));
    }
    d
}

/// The red flags' verdict applied to a decision: it only ever makes it stricter. At
/// `review` a usable account waits for a reviewer (as for a possible screening match); at
/// `restrict` an active account is restricted to the policy's limits; at `refuse` a new
/// account is refused and an open one suspended (closing an account for abuse is a person's
/// decision, with a second person's approval). A verdict a reviewer cleared holds nothing.
fn red_flags(
    e: &Evaluation<'_>,
    mut d: AccountDecision,
    v: &crate::detection::Verdict,
) -> AccountDecision {
    use crate::detection::Outcome;
    if v.outcome == Outcome::Approve || v.cleared || d.account_status == AccountStatus::Closed {
        return d;
    }
    let p = e.policy;
    let new = e.opened_at.is_none();
    let before = d.account_status;
    match v.outcome {
        Outcome::Approve => {}
        Outcome::Review if d.account_status.usable() => {
            d.decision = Decision::Pending;
            d.account_status = p.screening.review_account_status;
        }
        Outcome::Review => {}
        Outcome::Restrict if d.account_status == AccountStatus::Active => {
            d.account_status = AccountStatus::Restricted;
        }
        Outcome::Restrict => {}
        Outcome::Refuse => {
            d.decision = Decision::Refuse;
            d.account_status = if new {
                AccountStatus::Closed
            } else {
                AccountStatus::Suspended
            };
            d.required_steps.clear();
        }
    }
    if d.account_status == AccountStatus::Restricted && before != AccountStatus::Restricted {
        for (k, v) in &p.pending.restrictions {
            d.restrictions.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let t = &p.detection.thresholds;
    let from = match v.outcome {
        Outcome::Refuse => t.refuse,
        Outcome::Restrict => t.restrict,
        _ => t.review,
    };
    d.reasons.insert(
        0,
        reason(
            ReasonCode::RedFlags,
            None,
            format!(
                "red flags sum to {}, at or above the `{}` threshold ({from})",
                v.score,
                v.outcome.as_str()
            ),
        ),
    );
    for (i, f) in v.fired.iter().enumerate() {
        let mut r = reason(
            ReasonCode::RedFlag,
            None,
            format!(
                "{} ({}, {:+}): {}",
                f.rule, f.reason, f.score, f.description
            ),
        );
        r.red_flag = Some(f.clone());
        d.reasons.insert(1 + i, r);
    }
    d
}

fn evaluate_cip(e: &Evaluation<'_>) -> AccountDecision {
    let p = e.policy;
    let new = e.opened_at.is_none();
    let exempt = e.exemptions.iter().find(|x| {
        x.requirements
            .contains(&crate::exemptions::Requirement::Verification)
    });
    let Subjects {
        mut reasons,
        steps,
        any_failed,
        any_open,
        exempted,
    } = subjects(e, exempt.is_some());
    let (cases, prohibited, in_review) = screening(e);
    let special_measures = special_measures(e, &cases);
    let decided = |decision, status, reasons, steps| {
        decided(e, &special_measures, decision, status, reasons, steps)
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
                x.id, x.reason
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
mod tests;
