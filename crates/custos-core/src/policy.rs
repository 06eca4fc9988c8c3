//! The Customer Identification Program (CIP) policy: data, not code.
//!
//! A provider writes its risk-based CIP as a TOML document (the default shipped is
//! `policy/default-cip.toml`, documented line by line). It decides which verification methods
//! each risk level and subject requires, which results need their evidence on file, what a
//! pending account may do, when to refuse to open, when to close, how a refused customer may
//! submit again, and how long records are kept.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::CoreError;
use crate::ids::Country;
use crate::kinds::{AccountKind, AccountStatus, Method, Offering, SubjectRole};

/// The default policy document, shipped with the binary.
pub const DEFAULT_POLICY_TOML: &str = include_str!("../../../policy/default-cip.toml");

/// A risk level. Higher levels require more verification.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CipPolicy {
    pub version: u32,
    pub beneficial_owners: OwnersPolicy,
    #[serde(default)]
    pub triage: TriagePolicy,
    pub risk: RiskPolicy,
    pub requirements: Requirements,
    #[serde(default)]
    pub evidence: EvidencePolicy,
    pub pending: PendingPolicy,
    pub failure: FailurePolicy,
    pub redress: RedressPolicy,
    pub retention: RetentionPolicy,
    pub resellers: ResellerPolicy,
    #[serde(default)]
    pub screening: ScreeningPolicy,
    #[serde(default)]
    pub compliance: CompliancePolicy,
    /// What each instrument of legal process reaches, and preservation's clock.
    #[serde(default)]
    pub legal: crate::legal::LegalPolicy,
    /// The red flags at sign-up (`policy/detection.toml` when the section is absent).
    #[serde(default)]
    pub detection: crate::detection::DetectionPolicy,
}

/// The compliance program's clocks, in calendar days unless named otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CompliancePolicy {
    /// A special measure takes effect no earlier than this after its determination.
    pub special_measure_lead_days: u32,
    /// A special measure lasts this long when it names no expiry.
    pub special_measure_days: u32,
    /// A reseller's CIP (and the provider's own) must be produced this soon after a request.
    pub cip_request_days: u32,
    /// A non-compliant reseller relationship must end this soon after it is flagged.
    pub reseller_termination_days: u32,
    /// How often a verified foreign subject is verified again, in months, per risk level.
    pub reverification_months: ReverificationMonths,
    /// A report on a transaction that may train a large AI model with malicious cyber-enabled
    /// capabilities is due this soon (from a later, since revoked, order: optional).
    pub ai_training_report_days: u32,
    /// The initial certification is due this many days after the compliance program started
    /// (the first time custos was asked when it is due), unless `initial_certification_due`
    /// names the date.
    pub initial_certification_days: u32,
    /// The date the initial certification is due, where a regulation or an agency set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_certification_due: Option<chrono::NaiveDate>,
    /// The annual certification is due this many days after the anniversary of the initial one.
    pub annual_certification_grace_days: u32,
    /// A deviation from the Abuse Deterrence Program is notified within this many days.
    pub adp_deviation_notice_days: u32,
    /// A covered cyber incident is reported to CISA within this many hours of the provider
    /// reasonably believing it occurred (72 under the proposed CIRCIA rule).
    pub incident_report_hours: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReverificationMonths {
    pub low: u32,
    pub medium: u32,
    pub high: u32,
}

impl ReverificationMonths {
    pub fn for_level(&self, r: RiskLevel) -> u32 {
        match r {
            RiskLevel::Low => self.low,
            RiskLevel::Medium => self.medium,
            RiskLevel::High => self.high,
        }
    }
}

impl CompliancePolicy {
    /// A special measure's effective date: `effective` if given, else the lead time after the
    /// determination; refused when it comes earlier than the lead time allows.
    pub fn effective_date(
        &self,
        determined: chrono::NaiveDate,
        effective: Option<chrono::NaiveDate>,
    ) -> Result<chrono::NaiveDate, CoreError> {
        let lead = i64::from(self.special_measure_lead_days);
        let e = effective.unwrap_or(determined + chrono::Duration::days(lead));
        let days = (e - determined).num_days();
        if days < lead {
            return Err(CoreError::invalid(
                "effective",
                format!(
                    "is {days} days after the determination; a special measure takes effect \
                     no earlier than {lead} days after it (compliance.special_measure_lead_days)"
                ),
            ));
        }
        Ok(e)
    }

    /// When a foreign subject last verified at `verified_at` is to be verified again.
    pub fn reverification_due(
        &self,
        verified_at: chrono::DateTime<chrono::Utc>,
        risk: RiskLevel,
    ) -> chrono::DateTime<chrono::Utc> {
        verified_at
            .checked_add_months(chrono::Months::new(
                self.reverification_months.for_level(risk),
            ))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
    }
}

impl Default for CompliancePolicy {
    fn default() -> Self {
        CompliancePolicy {
            special_measure_lead_days: 180,
            special_measure_days: 365,
            cip_request_days: 10,
            reseller_termination_days: 30,
            reverification_months: ReverificationMonths {
                low: 36,
                medium: 24,
                high: 12,
            },
            ai_training_report_days: 15,
            initial_certification_days: 90,
            initial_certification_due: None,
            annual_certification_grace_days: 0,
            adp_deviation_notice_days: 30,
            incident_report_hours: 72,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnersPolicy {
    /// An individual owning or controlling at least this share is a beneficial owner.
    pub ownership_threshold_percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriagePolicy {
    /// How far back connections count as evidence of where a person is located.
    pub location_window_days: u32,
    /// The share of recent connections that must come from the US for a person with a US
    /// address to count as located in the United States.
    pub min_us_ip_share: f64,
    /// How many observations are kept on the customer record for triage.
    pub max_observations: usize,
}

impl Default for TriagePolicy {
    fn default() -> Self {
        TriagePolicy {
            location_window_days: 30,
            min_us_ip_share: 0.5,
            max_observations: 50,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskPolicy {
    pub default: RiskLevel,
    pub trial: RiskLevel,
    pub complimentary: RiskLevel,
    pub reseller: RiskLevel,
    pub sub_lessee: RiskLevel,
    /// An entity with at least one foreign beneficial owner.
    pub entity_with_foreign_owners: RiskLevel,
    /// Any link to one of these countries (address, citizenship, document, connection) makes
    /// the customer `high_risk_level`.
    #[serde(default)]
    pub high_risk_countries: Vec<Country>,
    pub high_risk_level: RiskLevel,
}

/// What must pass for a subject to be verified: every method in `all`, and at least one of
/// `one_of` when it is not empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    #[serde(default)]
    pub all: Vec<Method>,
    #[serde(default)]
    pub one_of: Vec<Method>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelRequirements {
    pub individual: Requirement,
    pub entity: Requirement,
    pub beneficial_owner: Requirement,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    pub low: LevelRequirements,
    pub medium: LevelRequirements,
    pub high: LevelRequirements,
}

/// Which verification results are taken only with what they rest on already on record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvidencePolicy {
    /// Methods whose `pass` is refused unless its evidence is on file for that subject:
    /// `document` an identity document, `email` and `phone` a contact of that kind, `address`
    /// an address, `payment_instrument` a means of payment of the customer, `ip_location` an
    /// access the customer was seen making. A policy that leaves this section out asks it of
    /// `document` (a documentary check with no document to show for it is no evidence).
    pub pass_requires_on_file: Vec<Method>,
}

impl Default for EvidencePolicy {
    fn default() -> Self {
        EvidencePolicy {
            pass_requires_on_file: vec![Method::Document],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingPolicy {
    /// The status of an account whose foreign subjects are not yet verified:
    /// `restricted` (usable within `restrictions`) or `pending_verification` (not usable).
    pub account_status: AccountStatus,
    /// Account kinds that may not be used at all until verified.
    #[serde(default)]
    pub block_kinds: Vec<AccountKind>,
    /// Offerings that may not be used at all until verified.
    #[serde(default)]
    pub block_offerings: Vec<Offering>,
    /// Offerings refused outright to a foreign customer who is not yet verified.
    #[serde(default)]
    pub refuse_offerings: Vec<Offering>,
    /// Limits the provider's control plane applies to a restricted account, passed through
    /// to it verbatim in every decision.
    #[serde(default)]
    pub restrictions: BTreeMap<String, serde_json::Value>,
    /// An account still unverified this many days after opening is closed.
    pub max_days: u32,
}

/// What happens to existing accounts when a subject fails verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureAction {
    Suspend,
    Close,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailurePolicy {
    /// Refuse to open an account when a subject has failed verification.
    pub refuse_open: bool,
    pub existing_accounts: FailureAction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedressPolicy {
    pub allowed: bool,
    pub max_resubmissions: u32,
    /// A resubmission goes to a reviewer before new results count.
    pub requires_manual_review: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionPolicy {
    /// Records are kept this many calendar months after the last account closed or was last
    /// accessed, whichever is later. The proposed rule asks for at least two years (24 months);
    /// months, not days, so that a leap year never shortens the period.
    pub months_after_last_activity: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResellerPolicy {
    /// How many reseller levels may stand above an account.
    pub max_chain_depth: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningPolicy {
    /// The status of a customer's accounts while a screening case awaits a reviewer:
    /// `pending_verification` (not usable) or `restricted`.
    pub review_account_status: AccountStatus,
    /// Links to a designated jurisdiction that are decisive on their own (the hit is confirmed
    /// without review); a link of any other kind opens a review case.
    pub confirming_links: Vec<crate::screening::LinkKind>,
}

impl Default for ScreeningPolicy {
    fn default() -> Self {
        use crate::screening::LinkKind;
        ScreeningPolicy {
            review_account_status: AccountStatus::PendingVerification,
            confirming_links: vec![LinkKind::Address, LinkKind::Organisation],
        }
    }
}

impl Default for CipPolicy {
    fn default() -> Self {
        // The shipped document is checked by a unit test; failing here is a build defect.
        CipPolicy::from_toml(DEFAULT_POLICY_TOML).expect("the shipped default CIP policy parses")
    }
}

impl CipPolicy {
    /// Parses and validates a policy document.
    pub fn from_toml(s: &str) -> Result<Self, CoreError> {
        let p: CipPolicy = toml::from_str(s).map_err(|e| CoreError::Policy(e.to_string()))?;
        p.validate()?;
        Ok(p)
    }

    pub fn validate(&self) -> Result<(), CoreError> {
        let bad = |m: &str| Err(CoreError::Policy(m.to_owned()));
        if self.version != 1 {
            return bad("only version = 1 is understood");
        }
        self.legal.validate()?;
        self.detection.check().map_err(CoreError::Policy)?;
        let t = self.beneficial_owners.ownership_threshold_percent;
        if !(t.is_finite() && t > 0.0 && t <= 100.0) {
            return bad("beneficial_owners.ownership_threshold_percent must be in (0, 100]");
        }
        let s = self.triage.min_us_ip_share;
        if !(s.is_finite() && (0.0..=1.0).contains(&s)) {
            return bad("triage.min_us_ip_share must be in [0, 1]");
        }
        if self.triage.max_observations == 0 || self.triage.max_observations > 1000 {
            return bad("triage.max_observations must be between 1 and 1000");
        }
        let c = &self.compliance;
        for (name, v) in [
            ("compliance.special_measure_days", c.special_measure_days),
            ("compliance.cip_request_days", c.cip_request_days),
            (
                "compliance.reseller_termination_days",
                c.reseller_termination_days,
            ),
            (
                "compliance.ai_training_report_days",
                c.ai_training_report_days,
            ),
            (
                "compliance.adp_deviation_notice_days",
                c.adp_deviation_notice_days,
            ),
            ("compliance.incident_report_hours", c.incident_report_hours),
            (
                "compliance.reverification_months.low",
                c.reverification_months.low,
            ),
            (
                "compliance.reverification_months.medium",
                c.reverification_months.medium,
            ),
            (
                "compliance.reverification_months.high",
                c.reverification_months.high,
            ),
        ] {
            if v == 0 || v > 3660 {
                return Err(CoreError::Policy(format!(
                    "{name} must be between 1 and 3660"
                )));
            }
        }
        for (name, lvl) in [
            ("low", &self.requirements.low),
            ("medium", &self.requirements.medium),
            ("high", &self.requirements.high),
        ] {
            for (who, r) in [
                ("individual", &lvl.individual),
                ("entity", &lvl.entity),
                ("beneficial_owner", &lvl.beneficial_owner),
            ] {
                if r.all.is_empty() && r.one_of.is_empty() {
                    return Err(CoreError::Policy(format!(
                        "requirements.{name}.{who} names no method: a foreign subject would be verified by nothing"
                    )));
                }
            }
        }
        if !matches!(
            self.pending.account_status,
            AccountStatus::Restricted | AccountStatus::PendingVerification
        ) {
            return bad("pending.account_status must be `restricted` or `pending_verification`");
        }
        if self.pending.max_days == 0 {
            return bad("pending.max_days must be at least 1");
        }
        if self.retention.months_after_last_activity == 0 {
            return bad("retention.months_after_last_activity must be at least 1");
        }
        if self.resellers.max_chain_depth == 0 {
            return bad("resellers.max_chain_depth must be at least 1");
        }
        Ok(())
    }

    /// The requirement for one subject at one risk level.
    pub fn requirement(&self, risk: RiskLevel, role: SubjectRole, entity: bool) -> &Requirement {
        let lvl = match risk {
            RiskLevel::Low => &self.requirements.low,
            RiskLevel::Medium => &self.requirements.medium,
            RiskLevel::High => &self.requirements.high,
        };
        match (role, entity) {
            (SubjectRole::BeneficialOwner, _) => &lvl.beneficial_owner,
            (SubjectRole::Customer, true) => &lvl.entity,
            (SubjectRole::Customer, false) => &lvl.individual,
        }
    }

    /// The customer's risk level: the highest that any of its open accounts or its links give.
    pub fn risk(
        &self,
        summary: &crate::customer::CustomerSummary,
        accounts: impl IntoIterator<Item = (AccountKind, Offering)>,
    ) -> RiskLevel {
        let r = &self.risk;
        let mut level = r.default;
        for (kind, offering) in accounts {
            level = level.max(match kind {
                AccountKind::Direct => r.default,
                AccountKind::Reseller => r.reseller,
                AccountKind::SubLessee => r.sub_lessee,
            });
            level = level.max(match offering {
                Offering::Paid => r.default,
                Offering::Trial => r.trial,
                Offering::Complimentary => r.complimentary,
            });
        }
        if summary.entity
            && summary
                .active_subjects()
                .any(|s| s.role == SubjectRole::BeneficialOwner && !s.us_person)
        {
            level = level.max(r.entity_with_foreign_owners);
        }
        if summary.high_risk_link {
            level = level.max(r.high_risk_level);
        }
        level
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn compliance_clocks() {
        use super::{CompliancePolicy, RiskLevel};
        use chrono::{NaiveDate, TimeZone, Utc};
        let c = CompliancePolicy::default();
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            c.effective_date(d(2027, 1, 1), None).unwrap(),
            d(2027, 6, 30)
        );
        assert_eq!(
            c.effective_date(d(2027, 1, 1), Some(d(2027, 9, 1)))
                .unwrap(),
            d(2027, 9, 1)
        );
        assert!(
            c.effective_date(d(2027, 1, 1), Some(d(2027, 6, 29)))
                .is_err()
        );
        let at = Utc.with_ymd_and_hms(2027, 1, 31, 0, 0, 0).unwrap();
        assert_eq!(
            c.reverification_due(at, RiskLevel::High),
            Utc.with_ymd_and_hms(2028, 1, 31, 0, 0, 0).unwrap()
        );
        assert_eq!(
            c.reverification_due(at, RiskLevel::Low),
            Utc.with_ymd_and_hms(2030, 1, 31, 0, 0, 0).unwrap()
        );
    }

    use super::*;

    #[test]
    fn shipped_default_parses_and_validates() {
        let p = CipPolicy::from_toml(DEFAULT_POLICY_TOML).unwrap();
        assert_eq!(p.beneficial_owners.ownership_threshold_percent, 25.0);
        assert_eq!(p.retention.months_after_last_activity, 24);
        assert_eq!(p.evidence.pass_requires_on_file, [Method::Document]);
    }

    /// A policy written before `[evidence]` existed still asks for a document on file.
    #[test]
    fn without_an_evidence_section_a_documentary_pass_needs_its_document() {
        let start = DEFAULT_POLICY_TOML.find("[evidence]").unwrap();
        let end = start + DEFAULT_POLICY_TOML[start..].find("\n[").unwrap() + 1;
        let older = format!(
            "{}{}",
            &DEFAULT_POLICY_TOML[..start],
            &DEFAULT_POLICY_TOML[end..]
        );
        let p = CipPolicy::from_toml(&older).unwrap();
        assert_eq!(p.evidence, EvidencePolicy::default());
        assert_eq!(p.evidence.pass_requires_on_file, [Method::Document]);
        check(
            "pass_requires_on_file = [\"document\"]|pass_requires_on_file = [\"passport\"]",
            "unknown variant `passport`",
        );
    }

    fn check(mutate: &str, expect_err: &str) {
        let doc = DEFAULT_POLICY_TOML.replace(
            mutate.split('|').next().unwrap(),
            mutate.split('|').nth(1).unwrap(),
        );
        let err = CipPolicy::from_toml(&doc).unwrap_err().to_string();
        assert!(err.contains(expect_err), "{mutate}: {err}");
    }

    #[test]
    fn bad_policies_are_refused_with_a_reason() {
        check(
            "ownership_threshold_percent = 25.0|ownership_threshold_percent = 0.0",
            "ownership_threshold_percent",
        );
        check("version = 1|version = 2", "version");
        check(
            "account_status = \"restricted\"|account_status = \"active\"",
            "pending.account_status",
        );
        check("max_days = 30|max_days = 0", "max_days");
        check("version = 1|version = 1\nsurprise = true", "unknown field");
    }
}
