//! Abuse cases: a report traced to the account that used an address at a time (or naming an
//! account), with what was done about it and when. Each action is one of a short list, taken
//! by a person and recorded; a case is handled when its first action is taken and closed when
//! it is closed for abuse or dismissed.
//!
//! What the report says (the address, the evidence, the references) is personal data kept
//! sealed apart from the case; the case itself holds the workflow only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::CoreError;
use crate::ids::{AccountId, CustomerId};

/// What kind of abuse a report is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = AbuseCategory)]
pub enum Category {
    Scanning,
    Phishing,
    /// Malware hosting or command and control.
    MalwareC2,
    Ddos,
    Spam,
    Fraud,
    CryptoMining,
    Other,
}

/// What opened a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AbuseCaseKind)]
pub enum CaseKind {
    /// An abuse report (the provider's abuse desk, a peer).
    Report,
    /// A customer linked (sharing an identifier) to one closed for abuse or confirmed on a
    /// designated list: to review.
    Linked,
    /// The red-flag rules reached `review` or more on a customer's sign-up: to review, and
    /// clear or act on.
    RedFlags,
    /// A peer's signal: an indicator a peer shared (an address) that one of the provider's
    /// accounts used while it was valid. To review; never decided on by itself.
    PeerSignal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AbuseCaseState)]
pub enum CaseState {
    Open,
    Closed,
}

/// What a person does about a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AbuseAction)]
pub enum Action {
    /// The account is suspended while the case is open (and until lifted).
    Suspend,
    /// The suspension is lifted: the account is decided again as if it had not been.
    Lift,
    /// Puts the customer's records under a legal hold: nothing of them is destroyed.
    Preserve,
    /// Closes the account for abuse and marks the customer: its identifiers coming back flag
    /// a sign-up. A person's decision waits for a second person.
    CloseForAbuse,
    /// No abuse, or not this account's: the case closes, a suspension is lifted.
    Dismiss,
    /// A red-flag case: the flags are harmless. They hold the customer's accounts no more
    /// (until the sum rises), and the case closes.
    Clear,
    /// A report's case: the address it came from, its sighting and the incident go to a
    /// TAXII collection peers read (nothing of the customer). Open or closed.
    Share,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Suspend => "suspend",
            Action::Lift => "lift",
            Action::Preserve => "preserve",
            Action::CloseForAbuse => "close_for_abuse",
            Action::Dismiss => "dismiss",
            Action::Clear => "clear",
            Action::Share => "share",
        }
    }
}

/// One action taken, by whom and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = AbuseActionTaken)]
pub struct Taken {
    pub action: Action,
    pub by: String,
    pub at: DateTime<Utc>,
    /// The note given with it, sealed (it may name people): the document that holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_id: Option<String>,
}

/// An abuse case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AbuseCase {
    pub id: String,
    pub kind: CaseKind,
    pub state: CaseState,
    pub category: Category,
    /// The report the case came from: one report traced to several accounts (a shared
    /// address) opens a case on each, under one report id.
    pub report_id: String,
    /// The account the report was traced to; none when no account used the address then
    /// (the case is kept, unmatched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub account_id: Option<AccountId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<CustomerId>,
    /// When the abuse happened, as reported.
    pub occurred_at: DateTime<Utc>,
    pub opened_at: DateTime<Utc>,
    /// When the first action is due (the policy's `detection.case_hours` after opening).
    pub due_at: DateTime<Utc>,
    /// When the first action was taken: how fast the case was handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// Who reported it (the key or person that sent the report).
    pub reported_by: String,
    /// Whether the account is suspended on this case now.
    #[serde(default)]
    pub suspended: bool,
    #[serde(default)]
    pub actions: Vec<Taken>,
    /// The sealed evidence (the report and the ledger's trace, with its proofs); for a
    /// linked customer's case, the evidence of the case that closed the other customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_id: Option<String>,
    /// For a linked customer's case: the customer it is linked to, and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_to: Option<String>,
}

impl AbuseCase {
    /// Checks that `action` may be taken now; the reason otherwise.
    pub fn check(&self, action: Action) -> Result<(), CoreError> {
        let conflict = |why: &str| {
            Err(CoreError::Conflict(format!(
                "abuse case {}: {why}",
                self.id
            )))
        };
        if action == Action::Share {
            return if self.kind == CaseKind::Report {
                Ok(())
            } else {
                conflict(
                    "only a report's case is shared: no other holds the actor's infrastructure",
                )
            };
        }
        if self.state == CaseState::Closed {
            return conflict("it is closed");
        }
        let on_account = matches!(
            action,
            Action::Suspend | Action::Lift | Action::CloseForAbuse
        );
        if self.customer_id.is_none() && action != Action::Dismiss {
            return conflict(
                "it is unmatched (no account used the address then): only `dismiss` applies",
            );
        }
        if on_account && self.account_id.is_none() {
            return conflict(
                "it is about a customer, not one of its accounts: `preserve` or `dismiss` \
                 (or `clear`, for red flags) apply",
            );
        }
        if action == Action::Clear && self.kind != CaseKind::RedFlags {
            return conflict("only red flags are cleared");
        }
        match action {
            Action::Suspend if self.suspended => conflict("the account is suspended already"),
            Action::Lift if !self.suspended => conflict("the account is not suspended"),
            _ => Ok(()),
        }
    }

    /// Records `action` as taken: the first one handles the case; closing ones close it.
    pub fn take(&mut self, action: Action, by: &str, at: DateTime<Utc>, note_id: Option<String>) {
        // Sharing a case tells peers; it does nothing about the abuse, so it handles nothing.
        if action != Action::Share {
            self.handled_at.get_or_insert(at);
        }
        match action {
            Action::Suspend => self.suspended = true,
            Action::Lift => self.suspended = false,
            Action::Dismiss | Action::Clear => {
                self.suspended = false;
                self.state = CaseState::Closed;
                self.closed_at = Some(at);
            }
            Action::CloseForAbuse => {
                self.suspended = false;
                self.state = CaseState::Closed;
                self.closed_at = Some(at);
            }
            Action::Preserve | Action::Share => {}
        }
        self.actions.push(Taken {
            action,
            by: by.to_owned(),
            at,
            note_id,
        });
    }
}

/// How abuse cases were handled, for the Abuse Deterrence Program's record: how many, of
/// what, and how fast the first action came.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
#[schema(as = AbuseCaseCounts)]
pub struct Counts {
    pub cases: usize,
    pub open: usize,
    /// Open, with no action taken, and past due.
    pub overdue: usize,
    /// With a first action taken.
    pub handled: usize,
    /// Of those, how many after they were due.
    pub handled_late: usize,
    pub closed: usize,
    /// Reports no account matched.
    pub unmatched: usize,
    /// Cases by what opened them (`report`, `linked`, `red_flags`).
    #[schema(value_type = Object)]
    pub by_kind: std::collections::BTreeMap<String, usize>,
    /// Reports by category.
    #[schema(value_type = Object)]
    pub by_category: std::collections::BTreeMap<String, usize>,
    /// Hours from opening to the first action: the median and the 90th percentile of the
    /// cases handled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours_to_first_action_p50: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours_to_first_action_p90: Option<f64>,
}

/// The counts of `cases` at `now`.
pub fn counts(cases: &[AbuseCase], now: DateTime<Utc>) -> Counts {
    let word = |v: serde_json::Result<serde_json::Value>| {
        v.ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let mut c = Counts {
        cases: cases.len(),
        ..Counts::default()
    };
    let mut hours: Vec<f64> = vec![];
    for k in cases {
        *c.by_kind
            .entry(word(serde_json::to_value(k.kind)))
            .or_default() += 1;
        if k.kind == CaseKind::Report {
            *c.by_category
                .entry(word(serde_json::to_value(k.category)))
                .or_default() += 1;
            if k.customer_id.is_none() {
                c.unmatched += 1;
            }
        }
        match k.state {
            CaseState::Open => c.open += 1,
            CaseState::Closed => c.closed += 1,
        }
        match k.handled_at {
            Some(h) => {
                c.handled += 1;
                if h > k.due_at {
                    c.handled_late += 1;
                }
                hours.push((h - k.opened_at).num_seconds().max(0) as f64 / 3600.0);
            }
            None if k.state == CaseState::Open && k.due_at <= now => c.overdue += 1,
            None => {}
        }
    }
    hours.sort_by(f64::total_cmp);
    let at = |p: f64| {
        (!hours.is_empty()).then(|| hours[((hours.len() - 1) as f64 * p).round() as usize])
    };
    c.hours_to_first_action_p50 = at(0.5);
    c.hours_to_first_action_p90 = at(0.9);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case() -> AbuseCase {
        let at: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        AbuseCase {
            id: "abc_1".into(),
            kind: CaseKind::Report,
            state: CaseState::Open,
            category: Category::Phishing,
            report_id: "abr_1".into(),
            account_id: Some(AccountId::parse("acc_1").unwrap()),
            customer_id: Some(CustomerId::parse("cus_1").unwrap()),
            occurred_at: at,
            opened_at: at,
            due_at: at,
            handled_at: None,
            closed_at: None,
            reported_by: "desk".into(),
            suspended: false,
            actions: vec![],
            evidence_id: Some("doc_1".into()),
            linked_to: None,
        }
    }

    #[test]
    fn the_program_record_counts_cases_and_how_fast_each_was_handled() {
        let h = |n: i64| chrono::Duration::hours(n);
        let base = case();
        let mut fast = base.clone();
        fast.due_at = base.opened_at + h(24);
        fast.take(Action::Suspend, "ana", base.opened_at + h(2), None);
        let mut late = base.clone();
        late.due_at = base.opened_at + h(24);
        late.take(Action::Dismiss, "ana", base.opened_at + h(30), None);
        let mut waiting = base.clone();
        waiting.due_at = base.opened_at + h(24);
        let mut unmatched = waiting.clone();
        unmatched.customer_id = None;
        unmatched.account_id = None;
        unmatched.category = Category::Scanning;
        let c = counts(&[fast, late, waiting, unmatched], base.opened_at + h(48));
        assert_eq!((c.cases, c.open, c.closed), (4, 3, 1));
        assert_eq!(
            (c.handled, c.handled_late, c.overdue, c.unmatched),
            (2, 1, 2, 1)
        );
        assert_eq!(c.by_category["phishing"], 3);
        assert_eq!(c.by_kind["report"], 4);
        assert_eq!(c.hours_to_first_action_p50, Some(30.0));
        assert_eq!(counts(&[], base.opened_at).hours_to_first_action_p50, None);
    }

    #[test]
    fn actions_follow_the_cases_state() {
        let at: DateTime<Utc> = "2026-12-01T11:00:00Z".parse().unwrap();
        let mut c = case();
        assert!(c.check(Action::Lift).is_err());
        c.check(Action::Suspend).unwrap();
        c.take(Action::Suspend, "ana", at, None);
        assert_eq!((c.suspended, c.handled_at), (true, Some(at)));
        assert!(c.check(Action::Suspend).is_err());
        c.take(
            Action::Dismiss,
            "ana",
            at + chrono::Duration::hours(1),
            Some("not ours".into()),
        );
        assert_eq!((c.state, c.suspended), (CaseState::Closed, false));
        // The first action's time stays the handling time.
        assert_eq!(c.handled_at, Some(at));
        assert!(c.check(Action::Preserve).is_err());
        // An unmatched case can only be dismissed.
        let mut u = case();
        u.account_id = None;
        u.customer_id = None;
        assert!(
            u.check(Action::Suspend)
                .unwrap_err()
                .to_string()
                .contains("unmatched")
        );
        u.check(Action::Dismiss).unwrap();
    }
}
