//! The rest of the compliance program: exemptions (EO 13984 1(c)), the Abuse Deterrence
//! Program's record (documents, reviews, deviations to notify), ongoing diligence (periodic
//! re-verification, owner changes), reports on transactions that may train a large AI model,
//! and the calendar of every clock.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use custos_core::exemptions::{Exemption, ExemptionScope, Requirement};
use custos_core::{CoreError, CustomerId, Decision, SubjectId, SubjectRole};
use custos_store::{DocumentMeta, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::Error;
use crate::kept::Kept;
use crate::resellers::CipRequest;
use crate::resellers::PROVIDER;
use crate::service::{Actor, App, CustomerPages, Result, new_id};

/// The kinds of program document the provider keeps.
pub const PROGRAM_DOCUMENTS: &[&str] = &["cip", "adp", "red_flag_procedures", "reseller_oversight"];

/// An exemption to grant.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExemption {
    /// Why it is granted. (`basis`, its name before, is accepted until the next release.)
    #[serde(alias = "basis")]
    pub reason: String,
    pub scope: ExemptionScope,
    pub requirements: Vec<Requirement>,
    /// Now when omitted.
    pub starts: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    pub reference: Option<String>,
}

/// A periodic review of the Abuse Deterrence Program.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdpReview {
    pub id: String,
    pub reviewed_on: NaiveDate,
    pub reviewer: String,
    pub summary: String,
    #[serde(default)]
    pub findings: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_review: Option<NaiveDate>,
    pub recorded_by: String,
}

/// A deviation from the Abuse Deterrence Program, to notify.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdpDeviation {
    pub id: String,
    pub occurred_at: DateTime<Utc>,
    pub description: String,
    /// The notice is due then (the policy's `compliance.adp_deviation_notice_days`).
    pub notify_by: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_reference: Option<String>,
    pub recorded_by: String,
}

/// The Abuse Deterrence Program's record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdpRecord {
    /// The latest version of each program document.
    #[schema(value_type = Vec<Object>)]
    pub documents: Vec<DocumentMeta>,
    pub reviews: Vec<AdpReview>,
    pub deviations: Vec<AdpDeviation>,
    /// Abuse cases: how many, of what, and how fast each was first acted on.
    pub abuse_cases: custos_core::abuse::Counts,
}

/// A report on a foreign person's transaction that may train a large AI model with
/// capabilities usable in malicious cyber-enabled activity (optional; see the policy).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AiTrainingReport {
    pub id: String,
    pub customer_id: CustomerId,
    pub transaction_reference: String,
    pub detected_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filing_reference: Option<String>,
    pub recorded_by: String,
}

/// A verified foreign subject and when it is to be verified again.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reverification {
    pub customer_id: CustomerId,
    pub subject_id: SubjectId,
    pub role: SubjectRole,
    #[schema(value_type = String)]
    pub risk: custos_core::RiskLevel,
    /// The latest passed verification.
    pub verified_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
}

/// One dated obligation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deadline {
    pub due_at: DateTime<Utc>,
    /// `cip_request` (10 days), `ai_training_report` (15), `reseller_termination` (30),
    /// `pending_verification` (30), `adp_deviation_notice`, `special_measure_effective`
    /// (180), `special_measure_ends` (365), `annual_certification`, `initial_certification`,
    /// `reverification`, `abuse_case`, `incident_report` (72 hours).
    pub clock: String,
    /// The clock's length in days, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// What it is about: a request, a case, an account, a designation, a customer.
    pub subject: String,
    pub what: String,
    pub overdue: bool,
}

impl App {
    /// Every exemption granted, revoked or not.
    pub async fn exemptions(&self) -> Result<Vec<Exemption>> {
        self.all_kept().await
    }

    /// Grants an exemption; the accounts it covers are decided again.
    pub async fn grant_exemption(
        &self,
        n: NewExemption,
        actor: &Actor,
    ) -> Result<(Exemption, u64)> {
        let now = self.now();
        let e = Exemption {
            id: new_id("ex_"),
            reason: custos_core::text::free_text("reason", &n.reason)?,
            scope: n.scope,
            requirements: n.requirements,
            starts: n.starts.unwrap_or(now),
            expires: n.expires,
            reference: n
                .reference
                .map(|r| custos_core::text::free_text("reference", &r))
                .transpose()?,
            granted_by: actor.id.clone(),
            revoked_at: None,
        };
        e.check()?;
        if let ExemptionScope::Lessee { customer_id } = &e.scope {
            self.store().load_summary(customer_id).await?;
        }
        // The same exemption granted twice (a form sent twice): one is kept.
        let _once = self.once.lock().await;
        if let Some(same) = self.exemptions().await?.into_iter().find(|x| {
            x.revoked_at.is_none()
                && x.expires.is_none_or(|t| t > now)
                && x.reason == e.reason
                && x.scope == e.scope
                && x.requirements
                    .iter()
                    .collect::<std::collections::HashSet<_>>()
                    == e.requirements.iter().collect()
                && x.expires == e.expires
                && x.reference == e.reference
        }) {
            return Err(CoreError::Conflict(format!(
                "exemption {} grants the same and is in force",
                same.id
            ))
            .into());
        }
        self.save_exemption(&e).await?;
        self.audit(actor, None, "grant_exemption", &e.id).await?;
        // Deciding every account again can take long: others need not wait for it.
        drop(_once);
        let n = self.redecide_scope(&e.scope).await?;
        Ok((e, n))
    }

    /// Revokes an exemption now; the accounts it covered are decided again.
    pub async fn revoke_exemption(&self, id: &str, actor: &Actor) -> Result<(Exemption, u64)> {
        // Read and written under the lock: revoked twice at once is revoked once.
        let once = self.once.lock().await;
        let mut e = self
            .exemptions()
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| Error::NotFound(format!("exemption {id}")))?;
        if e.revoked_at.is_some() {
            return Err(CoreError::Conflict(format!("exemption {id} is already revoked")).into());
        }
        e.revoked_at = Some(self.now());
        self.save_exemption(&e).await?;
        self.audit(actor, None, "revoke_exemption", id).await?;
        drop(once);
        let n = self.redecide_scope(&e.scope).await?;
        Ok((e, n))
    }

    async fn save_exemption(&self, e: &Exemption) -> Result<()> {
        self.keep(e).await
    }

    /// Decides again the accounts an exemption's scope reaches; returns how many changed.
    async fn redecide_scope(&self, scope: &ExemptionScope) -> Result<u64> {
        match scope {
            ExemptionScope::Lessee { customer_id } => self.redecide(customer_id).await,
            _ => self.redecide_all().await,
        }
    }

    /// Decides one customer's accounts again; returns how many changed.
    pub async fn redecide(&self, id: &CustomerId) -> Result<u64> {
        let before = self.store().accounts_of(id).await?;
        let (_, _, after) = self.mutate(id, |_, _, _| Ok(())).await?;
        Ok(after
            .iter()
            .filter(|a| {
                before
                    .iter()
                    .any(|b| b.id == a.id && b.decision != a.decision)
            })
            .count() as u64)
    }

    /// Decides every customer's accounts again; returns how many changed.
    pub async fn redecide_all(&self) -> Result<u64> {
        let mut n = 0;
        let mut pages = CustomerPages::default();
        while let Some(ids) = pages.next(self.store().as_ref()).await? {
            for id in ids {
                match self.redecide(&id).await {
                    Ok(k) => n += k,
                    Err(crate::service::Error::Destroyed(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(n)
    }

    /// Days on which an exemption started or ended (expiry or revocation).
    pub async fn exemption_transitions(&self) -> Result<Vec<(DateTime<Utc>, String)>> {
        Ok(self
            .exemptions()
            .await?
            .into_iter()
            .flat_map(|e| {
                [Some(e.starts), e.expires, e.revoked_at]
                    .into_iter()
                    .flatten()
                    .map(move |t| (t, e.id.clone()))
            })
            .collect())
    }

    /// Records a review of the ADP.
    pub async fn add_adp_review(&self, mut r: AdpReview, actor: &Actor) -> Result<AdpReview> {
        r.id = new_id("adprev_");
        r.recorded_by = actor.id.clone();
        if r.reviewed_on > self.now().date_naive() {
            return Err(CoreError::invalid("reviewed_on", "is in the future").into());
        }
        self.keep(&r).await?;
        self.audit(actor, None, "add_adp_review", &r.id).await?;
        Ok(r)
    }

    /// Logs a deviation from the ADP; its notice is due the policy's days later.
    pub async fn add_adp_deviation(
        &self,
        occurred_at: DateTime<Utc>,
        description: String,
        actor: &Actor,
    ) -> Result<AdpDeviation> {
        if occurred_at > self.now() + Duration::minutes(5) {
            return Err(CoreError::invalid("occurred_at", "is in the future").into());
        }
        let d = AdpDeviation {
            id: new_id("adpdev_"),
            occurred_at,
            description,
            notify_by: occurred_at
                + Duration::days(i64::from(
                    self.policy().compliance.adp_deviation_notice_days,
                )),
            notified_at: None,
            notice_reference: None,
            recorded_by: actor.id.clone(),
        };
        self.keep(&d).await?;
        self.audit(actor, None, "add_adp_deviation", &d.id).await?;
        Ok(d)
    }

    /// Records that a deviation was notified.
    pub async fn notify_adp_deviation(
        &self,
        id: &str,
        reference: String,
        actor: &Actor,
    ) -> Result<AdpDeviation> {
        let mut d: AdpDeviation = self.kept_one(id).await?;
        if d.notified_at.is_some() {
            return Err(CoreError::Conflict(format!("deviation {id} was already notified")).into());
        }
        d.notified_at = Some(self.now());
        d.notice_reference = Some(reference);
        self.keep(&d).await?;
        self.audit(actor, None, "notify_adp_deviation", id).await?;
        Ok(d)
    }

    pub async fn adp_record(&self) -> Result<AdpRecord> {
        let mut documents = vec![];
        for kind in PROGRAM_DOCUMENTS.iter().filter(|k| **k != "cip") {
            if let Some(d) = self
                .store()
                .documents(Some(PROVIDER), Some(kind))
                .await?
                .into_iter()
                .max_by_key(|d| d.version)
            {
                documents.push(d);
            }
        }
        Ok(AdpRecord {
            documents,
            reviews: self.all_kept().await?,
            deviations: self.all_kept().await?,
            abuse_cases: custos_core::abuse::counts(&self.abuse_cases(None).await?, self.now()),
        })
    }

    /// Records a transaction that may train a large AI model; the report is due the policy's
    /// days after it was detected.
    pub async fn add_ai_report(
        &self,
        customer_id: CustomerId,
        transaction_reference: String,
        detected_at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<AiTrainingReport> {
        self.store().load_summary(&customer_id).await?;
        if detected_at > self.now() + Duration::minutes(5) {
            return Err(CoreError::invalid("detected_at", "is in the future").into());
        }
        let r = AiTrainingReport {
            id: new_id("aird_"),
            customer_id,
            transaction_reference,
            detected_at,
            due_at: detected_at
                + Duration::days(i64::from(self.policy().compliance.ai_training_report_days)),
            filed_at: None,
            filing_reference: None,
            recorded_by: actor.id.clone(),
        };
        self.keep(&r).await?;
        self.audit(actor, None, "add_ai_training_report", &r.id)
            .await?;
        Ok(r)
    }

    /// Records that a report was filed.
    pub async fn file_ai_report(
        &self,
        id: &str,
        reference: String,
        actor: &Actor,
    ) -> Result<AiTrainingReport> {
        let mut r: AiTrainingReport = self.kept_one(id).await?;
        if r.filed_at.is_some() {
            return Err(CoreError::Conflict(format!("report {id} was already filed")).into());
        }
        r.filed_at = Some(self.now());
        r.filing_reference = Some(reference);
        self.keep(&r).await?;
        self.audit(actor, None, "file_ai_training_report", id)
            .await?;
        Ok(r)
    }

    pub async fn ai_reports(&self) -> Result<Vec<AiTrainingReport>> {
        self.all_kept().await
    }

    /// Verified foreign subjects and when each is to be verified again (the policy's
    /// `compliance.reverification_months` by risk level, from the latest passed method),
    /// due within `within` from now (overdue ones included). Exemptions from re-verification
    /// are honoured.
    pub async fn reverifications(&self, within: Duration) -> Result<Vec<Reverification>> {
        let now = self.now();
        let exemptions = self.exemptions().await?;
        let mut out = vec![];
        let mut pages = CustomerPages::default();
        while let Some(ids) = pages.next(self.store().as_ref()).await? {
            for id in ids {
                let summary = match self.store().load_summary(&id).await {
                    Ok(s) => s.value,
                    Err(StoreError::Destroyed(_)) => continue,
                    Err(e) => return Err(e.into()),
                };
                let accounts = self.store().accounts_of(&id).await?;
                let open: Vec<_> = accounts.iter().filter(|a| a.closed_at.is_none()).collect();
                if open.is_empty()
                    || open.iter().all(|a| {
                        custos_core::exemptions::covering(&exemptions, &id, a.kind, a.offering, now)
                            .iter()
                            .any(|x| x.requirements.contains(&Requirement::Reverification))
                    })
                {
                    continue;
                }
                let risk = self.risk(&summary, &accounts);
                for s in summary.active_subjects().filter(|s| !s.us_person) {
                    let req = self.policy().requirement(risk, s.role, summary.entity);
                    if s.verification.state(false, req) != custos_core::VerificationState::Verified
                    {
                        continue;
                    }
                    let Some(at) = s
                        .verification
                        .results
                        .iter()
                        .filter(|r| r.outcome == custos_core::MethodOutcome::Pass)
                        .map(|r| r.at)
                        .max()
                    else {
                        continue;
                    };
                    let due = self.policy().compliance.reverification_due(at, risk);
                    if due <= now + within {
                        out.push(Reverification {
                            customer_id: id.clone(),
                            subject_id: s.id.clone(),
                            role: s.role,
                            risk,
                            verified_at: at,
                            due_at: due,
                            overdue: due <= now,
                        });
                    }
                }
            }
        }
        out.sort_by_key(|a| a.due_at);
        Ok(out)
    }

    /// Every clock that falls due within `within` from now, and every one overdue, by date.
    pub async fn deadlines(&self, within: Duration) -> Result<Vec<Deadline>> {
        let now = self.now();
        let horizon = now + within;
        let c = self.policy().compliance.clone();
        let mut out = vec![];
        let mut push = |due_at: DateTime<Utc>,
                        clock: &str,
                        days: Option<u32>,
                        subject: String,
                        what: String| {
            if due_at <= horizon {
                out.push(Deadline {
                    due_at,
                    clock: clock.to_owned(),
                    days,
                    subject,
                    what,
                    overdue: due_at <= now,
                });
            }
        };
        for r in self
            .cip_requests()
            .await?
            .into_iter()
            .filter(|r| r.fulfilled_at.is_none())
        {
            push(
                r.due_at,
                CipRequest::KIND,
                Some(c.cip_request_days),
                r.id.clone(),
                format!("produce the CIPs for {} ({})", r.requested_by, r.reference),
            );
        }
        for r in self
            .ai_reports()
            .await?
            .into_iter()
            .filter(|r| r.filed_at.is_none())
        {
            push(
                r.due_at,
                AiTrainingReport::KIND,
                Some(c.ai_training_report_days),
                r.id.clone(),
                format!(
                    "report transaction {} of customer {}",
                    r.transaction_reference, r.customer_id
                ),
            );
        }
        for a in self
            .abuse_cases(Some(custos_core::abuse::CaseState::Open))
            .await?
            .into_iter()
            .filter(|a| a.handled_at.is_none())
        {
            push(
                a.due_at,
                crate::abuse::CASE_KIND,
                None,
                a.id.clone(),
                format!(
                    "act on abuse case {} ({})",
                    a.id,
                    a.account_id
                        .as_ref()
                        .map(|x| x.as_str())
                        .or(a.customer_id.as_ref().map(|x| x.as_str()))
                        .unwrap_or("unmatched")
                ),
            );
        }
        for i in self.unreported_incidents().await? {
            if let Some(due) = i.due_at {
                let hours = self.policy().compliance.incident_report_hours;
                push(
                    due,
                    crate::sharing::incident::INCIDENT_KIND,
                    None,
                    i.id.clone(),
                    format!(
                        "report covered cyber incident {} to CISA (within {hours} hours)",
                        i.id
                    ),
                );
            }
        }
        for n in self
            .non_compliance_cases()
            .await?
            .into_iter()
            .filter(|n| n.closed_at.is_none())
        {
            push(
                n.terminate_by,
                "reseller_termination",
                Some(c.reseller_termination_days),
                n.id.clone(),
                format!(
                    "end the relationship with reseller account {} unless it complies",
                    n.account_id
                ),
            );
        }
        let legal = self.policy().legal.clone();
        for r in self.all_kept::<crate::legal::LegalRequest>().await? {
            if r.state.is_final() {
                continue;
            }
            let produced = matches!(
                r.state,
                custos_core::legal::RequestState::Produced
                    | custos_core::legal::RequestState::PartiallyProduced
            );
            if let Some(due) = r.due.and_then(|d| d.and_hms_opt(0, 0, 0))
                && !produced
                && r.instrument != custos_core::legal::Instrument::Preservation
            {
                push(
                    due.and_utc(),
                    "legal_request_due",
                    None,
                    r.id.clone(),
                    format!(
                        "answer {} case {} ({})",
                        r.agency,
                        r.case_number,
                        r.instrument.as_str()
                    ),
                );
            }
            if let Some(until) = r.preserved_until
                && until > now
            {
                push(
                    until,
                    "preservation_ends",
                    Some(if r.preservation_extended {
                        legal.preservation_days + legal.preservation_extension_days
                    } else {
                        legal.preservation_days
                    }),
                    r.id.clone(),
                    format!(
                        "the preservation for {} case {} lapses{}",
                        r.agency,
                        r.case_number,
                        if r.preservation_extended {
                            " (extended once already)"
                        } else {
                            " unless a renewed request extends it"
                        }
                    ),
                );
            }
            if let Some(ndo) = r.ndo_expires.and_then(|d| d.and_hms_opt(0, 0, 0))
                && ndo.and_utc() > now
            {
                push(
                    ndo.and_utc(),
                    "non_disclosure_ends",
                    None,
                    r.id.clone(),
                    format!(
                        "the non-disclosure order of {} case {} expires",
                        r.agency, r.case_number
                    ),
                );
            }
        }
        let max = Duration::days(i64::from(self.policy().pending.max_days));
        for a in self.waiting_accounts().await? {
            if a.decision.decision != Decision::Pending || a.decision.required_steps.is_empty() {
                continue;
            }
            let Some(since) = a.pending_since else {
                continue;
            };
            let owners = a
                .decision
                .required_steps
                .iter()
                .any(|s| s.role == SubjectRole::BeneficialOwner);
            push(
                since + max,
                "pending_verification",
                Some(self.policy().pending.max_days),
                a.id.to_string(),
                format!(
                    "verify {} of customer {} or the account closes",
                    if owners {
                        "the beneficial owners"
                    } else {
                        "the customer"
                    },
                    a.customer_id
                ),
            );
        }
        for d in self
            .all_kept::<AdpDeviation>()
            .await?
            .into_iter()
            .filter(|d| d.notified_at.is_none())
        {
            push(
                d.notify_by,
                "adp_deviation_notice",
                Some(c.adp_deviation_notice_days),
                d.id.clone(),
                "notify the deviation from the Abuse Deterrence Program".into(),
            );
        }
        for r in self.all_kept::<AdpReview>().await? {
            if let Some(next) = r.next_review.and_then(|d| d.and_hms_opt(0, 0, 0)) {
                push(
                    next.and_utc(),
                    AdpReview::KIND,
                    None,
                    r.id.clone(),
                    "review the Abuse Deterrence Program".into(),
                );
            }
        }
        for e in self.schedule().await? {
            let Some(at) = e.date.and_hms_opt(0, 0, 0).map(|d| d.and_utc()) else {
                continue;
            };
            if at < now {
                continue;
            }
            let (clock, days, what) = if e.event == "takes_effect" {
                (
                    "special_measure_effective",
                    c.special_measure_lead_days,
                    format!(
                        "designation {} takes effect ({})",
                        e.designation_id, e.reference
                    ),
                )
            } else {
                (
                    "special_measure_ends",
                    c.special_measure_days,
                    format!("designation {} ends unless extended", e.designation_id),
                )
            };
            push(at, clock, Some(days), e.designation_id.clone(), what);
        }
        if let (Some(due), annual) = self.certification_due().await? {
            push(
                due,
                if annual {
                    "annual_certification"
                } else {
                    "initial_certification"
                },
                None,
                PROVIDER.into(),
                if annual {
                    "file the annual CIP certification".into()
                } else {
                    "file the initial CIP certification".into()
                },
            );
        }
        for r in self.reverifications(within).await? {
            push(
                r.due_at,
                "reverification",
                None,
                r.customer_id.to_string(),
                format!("verify subject {} again", r.subject_id),
            );
        }
        out.sort_by(|a, b| (a.due_at, &a.clock).cmp(&(b.due_at, &b.clock)));
        Ok(out)
    }
}
