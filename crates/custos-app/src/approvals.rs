//! Four eyes: the decisions that hurt a customer need two people.
//!
//! Refusing a subject (a manual review that fails it, which refuses its accounts), closing an
//! account, terminating a reseller for non-compliance (which closes its account and every
//! account under it), confirming a sanctions match and reversing a confirmed match, when a person takes
//! them (a reviewer's, a compliance officer's or an admin's key or console session), wait as an
//! [`Approval`] in `pending` until a second, different person with the same power approves
//! (the decision is then applied, in the requester's name) or rejects it. The provider's
//! control plane (an integrator's or a reseller's key) closes accounts on the customer's own
//! request without waiting: that is not a decision against the customer.
//!
//! Every door obeys the same rule, because it is here: the API answers `202 Accepted` with the
//! approval, the console says it waits.

use custos_core::screening::{CaseState, Resolution};
use custos_core::verification::ManualOutcome;
use custos_core::{Account, AccountId, Customer, CustomerId, SubjectId};
use custos_store::Approval;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::keys::{Caller, Permission, Role};
use crate::service::{Actor, App, new_id};

/// A decision waiting for a second person, as every door shows it: what it is about, who asked
/// and where it stands; never what it says (its reason may be personal data).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApprovalView {
    pub id: String,
    /// Always `approval`.
    pub object: &'static str,
    /// `refuse_subject`, `close_account`, `terminate_reseller`, `confirm_match`,
    /// `reverse_match`, `produce_records`, `emergency_disclosure`, `close_for_abuse` or
    /// `clear_red_flags`.
    pub kind: String,
    pub customer_id: String,
    /// The subject, account, non-compliance case or screening case it is about.
    pub target: String,
    pub requested_by: String,
    pub requested_at: chrono::DateTime<chrono::Utc>,
    /// `pending`, `approved`, `rejected` or `failed`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    /// For a share of an account's record (`share_access_addresses`): what it sends, where
    /// and under which TLP level, for the second person to see before deciding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares: Option<String>,
}

/// What a share of an account's record sends, as its approval's body says.
fn shares(a: &Approval) -> Option<String> {
    if a.kind != crate::sharing::SHARE_ADDRESSES {
        return None;
    }
    let body = a.body.as_ref()?;
    let parts: crate::sharing::AccountParts = body
        .get("parts")
        .and_then(|p| serde_json::from_value(p.clone()).ok())
        .unwrap_or(crate::sharing::AccountParts {
            addresses: true,
            ssh_keys: false,
        });
    let what = match (parts.addresses, parts.ssh_keys) {
        (true, true) => "the account's access addresses and SSH keys",
        (false, true) => "the account's SSH keys",
        _ => "the account's access addresses",
    };
    let tlp = body
        .get("tlp")
        .and_then(|t| serde_json::from_value::<crate::sharing::stix::Tlp>(t.clone()).ok())
        .unwrap_or(crate::sharing::stix::Tlp::Amber);
    Some(format!(
        "{what}, into collection {}, TLP:{}",
        body.get("collection")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("?"),
        tlp.word().to_uppercase()
    ))
}

impl From<&Approval> for ApprovalView {
    fn from(a: &Approval) -> Self {
        ApprovalView {
            id: a.id.clone(),
            object: "approval",
            kind: a.kind.clone(),
            customer_id: a.customer_id.as_str().to_owned(),
            target: a.target.clone(),
            requested_by: a.requested_by.clone(),
            requested_at: a.requested_at,
            state: a.state.clone(),
            decided_by: a.decided_by.clone(),
            decided_at: a.decided_at,
            shares: shares(a),
        }
    }
}

/// What a decision came to: applied, or waiting for a second person.
#[derive(Debug)]
pub enum Decided<T> {
    Done(T),
    Waiting(Box<ApprovalView>),
}

impl<T> Decided<T> {
    pub fn is_waiting(&self) -> bool {
        matches!(self, Decided::Waiting(_))
    }
}

/// Whether a decision by this role is a person's, and so needs a second one.
pub(crate) fn by_a_person(role: &str) -> bool {
    matches!(
        Role::parse(role),
        Some(Role::Reviewer | Role::ComplianceOfficer | Role::Admin | Role::Auditor)
    )
}

/// What approving a kind of decision needs.
pub fn power(kind: &str) -> Permission {
    match kind {
        "close_account" => Permission::CloseAccount,
        "terminate_reseller" => Permission::Compliance,
        "produce_records" | "emergency_disclosure" => Permission::LegalHold,
        crate::sharing::SHARE_ADDRESSES => Permission::Share,
        _ => Permission::Review,
    }
}

fn field<'a>(a: &'a Approval, k: &str) -> Option<&'a str> {
    a.body
        .as_ref()
        .and_then(|b| b.get(k))
        .and_then(|v| v.as_str())
}

impl App {
    pub(crate) async fn ask(
        &self,
        actor: &Actor,
        kind: &str,
        customer: &CustomerId,
        target: &str,
        body: serde_json::Value,
    ) -> Result<ApprovalView> {
        let mut body = body;
        body["standing"] = serde_json::Value::String(self.standing(kind, customer, target).await?);
        let a = Approval {
            id: new_id("apr_"),
            kind: kind.to_owned(),
            customer_id: customer.clone(),
            target: target.to_owned(),
            requested_by: actor.id.clone(),
            requested_role: actor.role.clone(),
            requested_at: self.now(),
            state: "pending".into(),
            decided_by: None,
            decided_at: None,
            body: Some(body),
        };
        let _once = self.once.lock().await;
        if self
            .store
            .approvals(Some("pending"), None, 1000)
            .await?
            .iter()
            .any(|x| x.kind == a.kind && x.target == a.target)
        {
            return Err(Error::Conflict(format!(
                "a request to {} {target} already waits for a second person",
                match kind {
                    "refuse_subject" => "refuse subject",
                    "close_account" => "close account",
                    "terminate_reseller" => "terminate the reseller of case",
                    "confirm_match" => "confirm the match of case",
                    "produce_records" => "produce the records of legal request",
                    "close_for_abuse" => "close for abuse the account of abuse case",
                    "clear_red_flags" => "clear the red flags of abuse case",
                    "emergency_disclosure" =>
                        "disclose, in an emergency, the records of legal request",
                    crate::sharing::SHARE_ADDRESSES =>
                        "share the account's record (access addresses, SSH keys) of abuse case",
                    _ => "reverse the match of case",
                }
            )));
        }
        self.store.insert_approval(&a).await?;
        self.audit(
            actor,
            None,
            &format!("request_{kind}"),
            &format!("{customer}/{}", a.id),
        )
        .await?;
        Ok(ApprovalView::from(&a))
    }

    /// A reviewer's decision on a subject. Failing it, by a person, waits for a second one.
    pub async fn decide_review(
        &self,
        actor: &Actor,
        id: &CustomerId,
        subject: &SubjectId,
        outcome: ManualOutcome,
        reason: &str,
    ) -> Result<Decided<(Customer, Vec<Account>)>> {
        if outcome == ManualOutcome::Failed && by_a_person(&actor.role) {
            let reason = custos_core::text::free_text("reason", reason)?;
            // The decision must be one the rules would take now: tried on a copy.
            let mut c = self.store.load_customer(id).await?.value;
            c.record_manual_decision(
                subject,
                custos_core::verification::ManualDecision {
                    outcome,
                    reason: reason.clone(),
                    by: actor.id.clone(),
                    at: self.now(),
                },
            )?;
            let body = serde_json::json!({"subject_id": subject.as_str(), "reason": reason});
            return Ok(Decided::Waiting(Box::new(
                self.ask(actor, "refuse_subject", id, subject.as_str(), body)
                    .await?,
            )));
        }
        Ok(Decided::Done(
            self.review(actor, id, subject, outcome, reason).await?,
        ))
    }

    /// Closes an account. Closing by a person waits for a second one; the control plane
    /// closes on the customer's request at once.
    pub async fn decide_close(
        &self,
        caller: &Caller,
        id: &AccountId,
        reason: &str,
    ) -> Result<Decided<Account>> {
        let reason = custos_core::text::free_text("reason", reason)?;
        let actor = caller.actor();
        if by_a_person(&actor.role) {
            let a = self.store.get_account(id).await?;
            custos_core::account::close_on_request(&mut a.clone(), &reason, self.now())?;
            let body = serde_json::json!({"reason": reason});
            return Ok(Decided::Waiting(Box::new(
                self.ask(&actor, "close_account", &a.customer_id, id.as_str(), body)
                    .await?,
            )));
        }
        let a = self.close_account(id, &reason).await?;
        self.audit(&actor, None, "close_account", id.as_str())
            .await?;
        Ok(Decided::Done(a))
    }

    /// Ends a reseller's non-compliance case. Terminating the relationship (which closes the
    /// reseller account and everything under it), by a person, waits for a second one; a
    /// case resolved is closed at once.
    pub async fn decide_non_compliance_close(
        &self,
        actor: &Actor,
        id: &str,
        outcome: crate::resellers::NonComplianceOutcome,
        note: Option<String>,
    ) -> Result<Decided<crate::resellers::NonCompliance>> {
        use crate::resellers::NonComplianceOutcome;
        let note = note
            .as_deref()
            .map(|n| custos_core::text::free_text("reason", n))
            .transpose()?;
        if outcome == NonComplianceOutcome::Terminated && by_a_person(&actor.role) {
            if note.is_none() {
                return Err(Error::invalid(
                    "reason",
                    "say why the relationship ends: the second person decides on it",
                ));
            }
            let n = self.non_compliance(id).await?;
            if n.closed_at.is_some() {
                return Err(Error::Conflict(format!(
                    "non-compliance case {id} is closed"
                )));
            }
            let a = self.store.get_account(&n.account_id).await?;
            let body = serde_json::json!({"reason": note});
            return Ok(Decided::Waiting(Box::new(
                self.ask(actor, "terminate_reseller", &a.customer_id, id, body)
                    .await?,
            )));
        }
        Ok(Decided::Done(
            self.close_non_compliance(id, outcome, note, actor).await?,
        ))
    }

    /// Resolves a screening case. Confirming a match, and reversing a confirmed one, by a
    /// person wait for a second one.
    pub async fn decide_resolution(
        &self,
        actor: &Actor,
        case_id: &str,
        resolution: Resolution,
        note: Option<String>,
    ) -> Result<Decided<(CustomerId, custos_core::screening::Case, Vec<Account>)>> {
        let stored = self.store.screening_case(case_id).await?;
        let kind = match (resolution, stored.case.state) {
            (Resolution::Confirmed, s) if s != CaseState::Confirmed => Some("confirm_match"),
            (Resolution::FalsePositive, CaseState::Confirmed) => Some("reverse_match"),
            _ => None,
        };
        if let Some(kind) = kind.filter(|_| by_a_person(&actor.role)) {
            let note = note
                .as_deref()
                .map(|n| custos_core::text::free_text("reason", n))
                .transpose()?;
            // The resolution must be one the rules would take now: tried on a copy.
            let mut c = self.store.load_customer(&stored.customer_id).await?.value;
            c.screening
                .resolve(case_id, resolution, &actor.id, note.clone(), self.now())?;
            let body = serde_json::json!({
                "resolution": resolution,
                "reason": note,
            });
            return Ok(Decided::Waiting(Box::new(
                self.ask(actor, kind, &stored.customer_id, case_id, body)
                    .await?,
            )));
        }
        Ok(Decided::Done(
            self.resolve_case(case_id, resolution, note, actor).await?,
        ))
    }

    /// Where the record a decision is about stands, as a fingerprint: a decision is applied
    /// only if it still stands where it did when it was asked for (no one decided otherwise
    /// meanwhile).
    async fn standing(&self, kind: &str, customer: &CustomerId, target: &str) -> Result<String> {
        use sha2::{Digest, Sha256};
        let facts = match kind {
            "refuse_subject" => {
                let s = self.store.load_summary(customer).await?.value;
                let sub = s
                    .subjects
                    .iter()
                    .find(|x| x.id.as_str() == target)
                    .ok_or_else(|| Error::NotFound(format!("subject {target}")))?;
                serde_json::to_string(&sub.verification)
            }
            "close_account" => {
                let id = AccountId::parse(target).map_err(|e| Error::Internal(e.to_string()))?;
                serde_json::to_string(&self.store.get_account(&id).await?.closed_at)
            }
            "produce_records" | "emergency_disclosure" => {
                return self.legal_standing(target).await.map(|f| {
                    use sha2::{Digest, Sha256};
                    hex::encode(Sha256::digest(f.as_bytes()))
                });
            }
            "close_for_abuse" | "clear_red_flags" | crate::sharing::SHARE_ADDRESSES => {
                Ok(self.abuse_standing(target).await?)
            }
            "terminate_reseller" => {
                let n = self.non_compliance(target).await?;
                let a = self.store.get_account(&n.account_id).await?;
                serde_json::to_string(&(n.closed_at, a.closed_at))
            }
            _ => {
                let c = self.store.screening_case(target).await?.case;
                serde_json::to_string(&(c.state, c.updated_at))
            }
        }
        .map_err(|e| Error::Internal(format!("a decision's standing: {e}")))?;
        Ok(hex::encode(Sha256::digest(facts.as_bytes())))
    }

    /// A page of approvals, optionally in one state (`pending`, ...).
    pub async fn approvals(
        &self,
        state: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ApprovalView>> {
        if let Some(s) = state
            && !["pending", "approved", "rejected", "failed"].contains(&s)
        {
            return Err(Error::invalid(
                "state",
                "must be one of pending, approved, rejected, failed",
            ));
        }
        Ok(self
            .store
            .approvals(state, after, limit)
            .await?
            .iter()
            .map(ApprovalView::from)
            .collect())
    }

    /// The decisions waiting for a second person.
    pub async fn pending_approvals(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ApprovalView>> {
        self.approvals(Some("pending"), after, limit).await
    }

    /// The decisions waiting for a second person, each with the reason its asker gave, for
    /// one who may decide them (the reasons are sealed: the reading is audited).
    pub async fn pending_with_reasons(
        &self,
        caller: &Caller,
        limit: u32,
    ) -> Result<Vec<(ApprovalView, Option<String>)>> {
        caller.require(Permission::Review)?;
        let pending = self.store.approvals(Some("pending"), None, limit).await?;
        if pending.is_empty() {
            return Ok(vec![]);
        }
        self.audit(&caller.actor(), None, "read_pending_approvals", "")
            .await?;
        let mut out = Vec::with_capacity(pending.len());
        for a in pending {
            let full = self.store.approval(&a.id).await?;
            let reason = field(&full, "reason").map(str::to_owned);
            out.push((ApprovalView::from(&full), reason));
        }
        Ok(out)
    }

    pub async fn approval(&self, id: &str) -> Result<ApprovalView> {
        Ok(ApprovalView::from(&self.store.approval(id).await?))
    }

    /// A second person approves: the decision is applied, in the name of whoever asked for it.
    pub async fn approve(&self, caller: &Caller, id: &str) -> Result<ApprovalView> {
        let a = self.store.approval(id).await?;
        let approver = caller.actor();
        caller.require(power(&a.kind))?;
        if a.state != "pending" {
            return Err(Error::Conflict(format!(
                "approval {id} is {} already",
                a.state
            )));
        }
        // One person under two spellings of a name (`Alice@…`, `alice@…`) is one person.
        if a.requested_by
            .trim()
            .eq_ignore_ascii_case(approver.id.trim())
        {
            return Err(Error::Forbidden(
                "a second, different person must approve this decision".into(),
            ));
        }
        self.store
            .decide_approval(id, "pending", "approved", &approver.id, self.now())
            .await?;
        let requester = Actor {
            id: a.requested_by.clone(),
            role: a.requested_role.clone(),
        };
        let applied = match self.still_stands(&a).await {
            Ok(()) => self.apply(&requester, &approver, &a).await,
            Err(e) => Err(e),
        };
        let record = format!("{}/{id}", a.customer_id);
        if let Err(e) = applied {
            // The decision can no longer be taken as it was asked: nothing is applied.
            self.store
                .decide_approval(id, "approved", "failed", &approver.id, self.now())
                .await?;
            self.audit(
                &approver,
                None,
                &format!("approve_{}_failed", a.kind),
                &record,
            )
            .await?;
            return Err(e);
        }
        self.audit(&approver, None, &format!("approve_{}", a.kind), &record)
            .await?;
        Ok(ApprovalView::from(&self.store.approval(id).await?))
    }

    /// Refuses to apply a decision whose record changed since it was asked for, or whose
    /// asker has since been disabled.
    async fn still_stands(&self, a: &Approval) -> Result<()> {
        // The asker must still be able to ask: a person not disabled, whose role still has the
        // power; a key not revoked.
        let still = match self.store.console_user_by_email(&a.requested_by).await {
            Ok(u) if u.disabled_at.is_some() => Err("has been disabled since asking"),
            Ok(u) => match Role::parse(&u.role) {
                Some(r) if power(&a.kind).allows(r) => Ok(()),
                _ => Err("no longer has a role that may ask for this"),
            },
            Err(_) => match self.store.get_api_key(&a.requested_by).await {
                Ok(k) if k.revoked_at.is_some() => Err("was revoked since asking"),
                _ => Ok(()),
            },
        };
        if let Err(why) = still {
            return Err(Error::Conflict(format!(
                "{} {why}: nothing was applied",
                a.requested_by
            )));
        }
        let was = field(a, "standing").unwrap_or_default().to_owned();
        if self.standing(&a.kind, &a.customer_id, &a.target).await? != was {
            return Err(Error::Conflict(format!(
                "{} changed since this was asked (someone decided it meanwhile): nothing was \
                 applied; ask again if it still stands",
                a.target
            )));
        }
        Ok(())
    }

    async fn apply(&self, requester: &Actor, approver: &Actor, a: &Approval) -> Result<()> {
        let reason = field(a, "reason").unwrap_or_default().to_owned();
        match a.kind.as_str() {
            "refuse_subject" => {
                let subject =
                    SubjectId::parse(&a.target).map_err(|e| Error::Internal(e.to_string()))?;
                self.review(
                    requester,
                    &a.customer_id,
                    &subject,
                    ManualOutcome::Failed,
                    &reason,
                )
                .await?;
            }
            "close_account" => {
                let id = AccountId::parse(&a.target).map_err(|e| Error::Internal(e.to_string()))?;
                self.close_account(&id, &reason).await?;
                self.audit(requester, None, "close_account", id.as_str())
                    .await?;
            }
            "terminate_reseller" => {
                let note = Some(reason).filter(|r| !r.is_empty());
                self.close_non_compliance(
                    &a.target,
                    crate::resellers::NonComplianceOutcome::Terminated,
                    note,
                    requester,
                )
                .await?;
            }
            "produce_records" | "emergency_disclosure" => {
                self.legal_approved(approver, &a.target).await?;
            }
            crate::sharing::SHARE_ADDRESSES => {
                let col = field(a, "collection").unwrap_or_default().to_owned();
                let tlp = a
                    .body
                    .as_ref()
                    .and_then(|b| b.get("tlp"))
                    .and_then(|t| serde_json::from_value(t.clone()).ok())
                    .unwrap_or(crate::sharing::stix::Tlp::Amber);
                // Approvals asked before SSH keys could be shared take the addresses.
                let parts = a
                    .body
                    .as_ref()
                    .and_then(|b| b.get("parts"))
                    .and_then(|p| serde_json::from_value(p.clone()).ok())
                    .unwrap_or(crate::sharing::AccountParts {
                        addresses: true,
                        ssh_keys: false,
                    });
                self.share_case_now(requester, &a.target, &col, tlp, parts)
                    .await?;
            }
            "close_for_abuse" | "clear_red_flags" => {
                let note = Some(reason).filter(|r| !r.is_empty());
                let action = if a.kind == "close_for_abuse" {
                    custos_core::abuse::Action::CloseForAbuse
                } else {
                    custos_core::abuse::Action::Clear
                };
                self.apply_abuse_action(requester, &a.target, action, note)
                    .await?;
            }
            "confirm_match" | "reverse_match" => {
                let resolution = if a.kind == "confirm_match" {
                    Resolution::Confirmed
                } else {
                    Resolution::FalsePositive
                };
                let note = Some(reason).filter(|r| !r.is_empty());
                self.resolve_case(&a.target, resolution, note, requester)
                    .await?;
            }
            other => {
                return Err(Error::Internal(format!(
                    "an approval of unknown kind {other}"
                )));
            }
        }
        Ok(())
    }

    /// A second person rejects (or the one who asked withdraws): nothing is applied.
    pub async fn reject(&self, caller: &Caller, id: &str) -> Result<ApprovalView> {
        let a = self.store.approval(id).await?;
        let who = caller.actor();
        if a.requested_by != who.id {
            caller.require(power(&a.kind))?;
        }
        self.store
            .decide_approval(id, "pending", "rejected", &who.id, self.now())
            .await?;
        self.audit(
            &who,
            None,
            &format!("reject_{}", a.kind),
            &format!("{}/{id}", a.customer_id),
        )
        .await?;
        Ok(ApprovalView::from(&self.store.approval(id).await?))
    }
}
