//! The CIP certification, initial and annual, generated from live data: how identities are
//! verified and what detects malicious activity, how resellers are overseen and who the CIP
//! contact is, the number and locations of customers and of foreign beneficial owners, the
//! foreign resellers, the foreign-customer accounts not yet verified and how each unverified
//! case ended. As JSON, HTML or PDF (`lopdf`).

use std::collections::BTreeMap;

use chrono::{DateTime, Months, Utc};
use custos_core::account::PendingOutcome;
use custos_core::{AccountKind, CoreError, CustomerId, Decision, SubjectRole};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::Error;
use crate::kept::ProgramStarted;
use crate::resellers::PROVIDER;
use crate::service::{Actor, App, CustomerPages, Result};

/// What the provider says of its program, kept (sealed, every version) as the document
/// `program_profile`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramProfile {
    pub provider_name: String,
    /// The provider's address, as the certification states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_address: Option<String>,
    pub cip_contact: CipContact,
    /// The resources used to detect malicious cyber activity (tools, teams, feeds).
    pub detection_resources: Vec<String>,
    /// How resellers are overseen.
    pub reseller_oversight: String,
    /// Anything the generated account of identity verification should add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_notes: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CipContact {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A count, and how it splits by country (ISO 3166-1 alpha-2; `unknown` when no country is
/// on record).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Located {
    pub total: u64,
    pub by_country: BTreeMap<String, u64>,
}

impl Located {
    fn add(&mut self, country: Option<&str>) {
        self.total += 1;
        *self
            .by_country
            .entry(country.unwrap_or("unknown").to_owned())
            .or_default() += 1;
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ForeignReseller {
    pub account_id: String,
    pub customer_id: CustomerId,
    pub name: String,
    pub country: Option<String>,
    pub status: String,
    /// The version of its CIP on file.
    pub cip_version: Option<i64>,
}

/// How the accounts that waited for verification in the period left that state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Resolutions {
    pub verified: u64,
    pub exempted: u64,
    pub closed_verification_deadline: u64,
    pub closed_verification_failed: u64,
    pub closed_screening: u64,
    pub closed_other: u64,
    pub suspended: u64,
    /// Still waiting at the end of the period.
    pub still_pending: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerificationMethods {
    /// Per risk level, what an individual, an entity and a beneficial owner must pass.
    #[schema(value_type = Object)]
    pub requirements: BTreeMap<String, BTreeMap<String, String>>,
    pub while_pending: String,
    pub on_failure: String,
    pub reverification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResellerOversight {
    pub description: String,
    pub reseller_accounts: u64,
    pub foreign_reseller_accounts: u64,
    pub foreign_with_cip_on_file: u64,
    pub open_non_compliance: u64,
    pub terminated_in_period: u64,
}

/// The official who certifies: named on the document, which a person then signs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Signer {
    pub name: String,
    pub title: String,
}

impl Signer {
    /// A signer with a name and a title, each a line of at most 200 characters.
    pub fn new(name: &str, title: &str) -> Result<Signer> {
        let line = |field: &str, v: &str| {
            let v = v.trim();
            if v.is_empty() || v.chars().count() > 200 || v.chars().any(char::is_control) {
                Err(Error::invalid(
                    field,
                    "a line of 1 to 200 characters, without control characters",
                ))
            } else {
                printable(field, v).map(|()| v.to_owned())
            }
        };
        Ok(Signer {
            name: line("signer.name", name)?,
            title: line("signer.title", title)?,
        })
    }
}

/// The certification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Certification {
    /// `initial` or `annual`.
    pub kind: String,
    pub provider_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_address: Option<String>,
    /// The certifying official, when named (`custos compliance certify --signer`); else the
    /// document leaves the lines blank.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
    pub generated_at: DateTime<Utc>,
    pub period_from: Option<DateTime<Utc>>,
    pub period_to: DateTime<Utc>,
    pub identity_verification: VerificationMethods,
    pub detection_resources: Vec<String>,
    pub reseller_oversight: ResellerOversight,
    pub cip_contact: CipContact,
    /// Customers with an open account at the end of the period.
    pub customers: Located,
    pub foreign_customers: Located,
    pub foreign_beneficial_owners: Located,
    pub foreign_resellers: Vec<ForeignReseller>,
    /// Open accounts of foreign customers still waiting for verification.
    pub unverified_foreign_accounts: u64,
    pub unverified_foreign_account_ids: Vec<String>,
    /// Accounts of foreign customers that left the wait for verification in the period, by
    /// how.
    pub unverified_resolutions: Resolutions,
}

/// A certification as filed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Filing {
    pub id: String,
    pub kind: String,
    pub filed_at: DateTime<Utc>,
    pub document_id: String,
    pub sha256: String,
    pub filed_by: String,
    /// The official named to sign it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
}

fn methods(m: &[custos_core::Method]) -> String {
    m.iter()
        .map(|m| {
            serde_json::to_value(m)
                .ok()
                .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A country code as a reader knows it: `Germany (DE)`; `unknown` as it is.
fn country(code: &str) -> String {
    match custos_ids::country::lookup(code) {
        Some(c) if code.len() == 2 => format!("{} ({code})", c.name),
        _ => code.to_owned(),
    }
}

impl App {
    /// Stores a new version of the program profile.
    pub async fn put_program_profile(&self, p: &ProgramProfile, actor: &Actor) -> Result<()> {
        let c = &p.cip_contact;
        let mut texts = vec![
            ("provider_name", Some(&p.provider_name)),
            ("provider_address", p.provider_address.as_ref()),
            ("reseller_oversight", Some(&p.reseller_oversight)),
            ("verification_notes", p.verification_notes.as_ref()),
            ("cip_contact.name", Some(&c.name)),
            ("cip_contact.title", c.title.as_ref()),
            ("cip_contact.phone", c.phone.as_ref()),
        ];
        texts.extend(
            p.detection_resources
                .iter()
                .map(|r| ("detection_resources", Some(r))),
        );
        for (field, v) in texts {
            if let Some(v) = v {
                if v.len() > 2000 || v.chars().any(|ch| ch.is_control() && ch != '\n') {
                    return Err(CoreError::invalid(
                        field,
                        "at most 2000 bytes, without control characters",
                    )
                    .into());
                }
                // Printed on the certification.
                printable(field, &v.replace('\n', " "))?;
            }
        }
        if p.detection_resources.len() > 100 {
            return Err(CoreError::invalid("detection_resources", "at most 100").into());
        }
        if p.provider_name.trim().is_empty()
            || p.cip_contact.name.trim().is_empty()
            || custos_ids::email::check(&p.cip_contact.email).is_err()
        {
            return Err(CoreError::invalid(
                "profile",
                "a provider name, and a CIP contact with a name and a valid email",
            )
            .into());
        }
        let bytes = serde_json::to_vec_pretty(p).map_err(|e| Error::Internal(e.to_string()))?;
        self.put_document(
            PROVIDER,
            "program_profile",
            "program-profile.json",
            "text/plain",
            &bytes,
            actor,
        )
        .await?;
        Ok(())
    }

    /// The latest program profile (read and audited), if one was stored.
    pub async fn program_profile(&self, actor: &Actor) -> Result<Option<ProgramProfile>> {
        let Some(latest) = self
            .store()
            .documents(Some(PROVIDER), Some("program_profile"))
            .await?
            .into_iter()
            .max_by_key(|d| d.version)
        else {
            return Ok(None);
        };
        let (_, bytes) = self.read_document(&latest.id, actor).await?;
        Ok(Some(serde_json::from_slice(&bytes).map_err(|e| {
            Error::Internal(format!("the program profile: {e}"))
        })?))
    }

    /// When the next certification is due, and whether it is an annual one.
    pub async fn certification_due(&self) -> Result<(Option<DateTime<Utc>>, bool)> {
        let filings: Vec<Filing> = self.all_kept().await?;
        Ok(match filings.iter().map(|f| f.filed_at).max() {
            // The initial one: on the date the policy names, else a fixed time after the
            // program started; never "now", which would make it overdue whenever asked.
            None => {
                let c = &self.policy().compliance;
                let due = match c.initial_certification_due {
                    Some(d) => d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
                    None => Some(
                        self.program_started().await?
                            + chrono::Duration::days(i64::from(c.initial_certification_days)),
                    ),
                };
                (due, false)
            }
            Some(last) => (
                last.checked_add_months(Months::new(12)).map(|d| {
                    d + chrono::Duration::days(i64::from(
                        self.policy().compliance.annual_certification_grace_days,
                    ))
                }),
                true,
            ),
        })
    }

    /// When the compliance program started: the first time this was asked, kept.
    pub async fn program_started(&self) -> Result<DateTime<Utc>> {
        match self.kept::<ProgramStarted>("program:started").await? {
            Some((r, _)) => Ok(r.created_at),
            None => {
                let now = self.now();
                self.keep(&ProgramStarted { started_at: now }).await?;
                Ok(now)
            }
        }
    }

    pub async fn filings(&self) -> Result<Vec<Filing>> {
        self.all_kept().await
    }

    /// Generates the certification from the records as they are now. The annual one covers
    /// the twelve months before now; the initial one, everything until now. Reading every
    /// customer's record is audited first, once, as one read for the certification.
    pub async fn certification(&self, annual: bool, actor: &Actor) -> Result<Certification> {
        let now = self.now();
        let from = if annual {
            now.checked_sub_months(Months::new(12))
        } else {
            None
        };
        let profile = self.program_profile(actor).await?.ok_or_else(|| {
            CoreError::Conflict(
                "no program profile: store one first (PUT /v1/compliance/profile)".into(),
            )
        })?;
        self.audit(actor, Some("certification"), "read_customers", "*")
            .await?;
        let p = self.policy();
        let mut customers = Located::default();
        let mut foreign_customers = Located::default();
        let mut owners = Located::default();
        let mut unverified = vec![];
        let mut res = Resolutions::default();
        let mut foreign_resellers = vec![];
        let (mut reseller_accounts, mut foreign_reseller_accounts, mut with_cip) = (0, 0, 0);
        let cips = self.store().documents(None, Some("cip")).await?;
        let in_period = |t: DateTime<Utc>| from.is_none_or(|f| t >= f) && t <= now;
        let mut pages = CustomerPages::default();
        while let Some(ids) = pages.next(self.store().as_ref()).await? {
            for loaded in pages.load(self.store().as_ref(), &ids).await? {
                let (c, accounts) = (loaded.customer.value, loaded.accounts);
                let id = c.id.clone();
                let summary = c.summary(p);
                let foreign = !summary.all_us_persons();
                for a in &accounts {
                    for span in &a.pending_history {
                        if !foreign || !in_period(span.ended_at) {
                            continue;
                        }
                        match span.outcome {
                            PendingOutcome::Verified => res.verified += 1,
                            PendingOutcome::Exempted => res.exempted += 1,
                            PendingOutcome::ClosedDeadline => res.closed_verification_deadline += 1,
                            PendingOutcome::ClosedFailed => res.closed_verification_failed += 1,
                            PendingOutcome::ClosedScreening => res.closed_screening += 1,
                            PendingOutcome::Closed => res.closed_other += 1,
                            PendingOutcome::Suspended => res.suspended += 1,
                        }
                    }
                }
                let open: Vec<_> = accounts.iter().filter(|a| a.closed_at.is_none()).collect();
                if open.is_empty() {
                    continue;
                }
                let located = c.screening_subjects();
                let country_of = |sid: &custos_core::SubjectId| {
                    located
                        .iter()
                        .find(|s| s.subject_id == *sid)
                        .and_then(|s| s.country.as_ref().map(|c| c.as_str().to_owned()))
                };
                let own = country_of(c.customer_subject());
                customers.add(own.as_deref());
                if foreign {
                    foreign_customers.add(own.as_deref());
                }
                for s in summary
                    .active_subjects()
                    .filter(|s| s.role == SubjectRole::BeneficialOwner && !s.us_person)
                {
                    owners.add(country_of(&s.id).as_deref());
                }
                for a in &open {
                    if foreign
                        && a.decision.decision == Decision::Pending
                        && !a.decision.required_steps.is_empty()
                    {
                        unverified.push(a.id.to_string());
                    }
                    if a.kind == AccountKind::Reseller {
                        reseller_accounts += 1;
                        if foreign {
                            foreign_reseller_accounts += 1;
                            let cip = cips
                                .iter()
                                .filter(|d| d.owner == a.id.as_str())
                                .map(|d| d.version)
                                .max();
                            with_cip += u64::from(cip.is_some());
                            foreign_resellers.push(ForeignReseller {
                                account_id: a.id.to_string(),
                                customer_id: id.clone(),
                                name: c.display_name(),
                                country: own.clone(),
                                status: a.status().as_str().to_owned(),
                                cip_version: cip,
                            });
                        }
                    }
                }
            }
        }
        res.still_pending = unverified.len() as u64;
        let nc = self.non_compliance_cases().await?;
        let mut requirements = BTreeMap::new();
        for (level, r) in [
            ("low", &p.requirements.low),
            ("medium", &p.requirements.medium),
            ("high", &p.requirements.high),
        ] {
            let mut m = BTreeMap::new();
            for (who, q) in [
                ("individual", &r.individual),
                ("entity", &r.entity),
                ("beneficial_owner", &r.beneficial_owner),
            ] {
                let mut text = format!("all of: {}", methods(&q.all));
                if !q.one_of.is_empty() {
                    text.push_str(&format!("; one of: {}", methods(&q.one_of)));
                }
                m.insert(who.to_owned(), text);
            }
            requirements.insert(level.to_owned(), m);
        }
        let rv = &p.compliance.reverification_months;
        Ok(Certification {
            kind: if annual { "annual" } else { "initial" }.into(),
            provider_name: profile.provider_name.clone(),
            provider_address: profile.provider_address.clone(),
            signer: None,
            generated_at: now,
            period_from: from,
            period_to: now,
            identity_verification: VerificationMethods {
                requirements,
                while_pending: format!(
                    "accounts are {} while a foreign customer or beneficial owner is unverified, \
                     and closed after {} days",
                    p.pending.account_status.as_str(),
                    p.pending.max_days
                ),
                on_failure: format!(
                    "a failed verification {} a new account and {} existing ones",
                    if p.failure.refuse_open {
                        "refuses"
                    } else {
                        "holds"
                    },
                    match p.failure.existing_accounts {
                        custos_core::policy::FailureAction::Suspend => "suspends",
                        custos_core::policy::FailureAction::Close => "closes",
                    }
                ),
                reverification: format!(
                    "verified foreign subjects are verified again after {}, {} and {} months \
                     (low, medium, high risk)",
                    rv.low, rv.medium, rv.high
                ),
                notes: profile.verification_notes.clone(),
            },
            detection_resources: profile.detection_resources.clone(),
            reseller_oversight: ResellerOversight {
                description: profile.reseller_oversight.clone(),
                reseller_accounts,
                foreign_reseller_accounts,
                foreign_with_cip_on_file: with_cip,
                open_non_compliance: nc.iter().filter(|n| n.closed_at.is_none()).count() as u64,
                terminated_in_period: nc
                    .iter()
                    .filter(|n| {
                        n.outcome == Some(crate::resellers::NonComplianceOutcome::Terminated)
                            && n.closed_at.is_some_and(in_period)
                    })
                    .count() as u64,
            },
            cip_contact: profile.cip_contact.clone(),
            customers,
            foreign_customers,
            foreign_beneficial_owners: owners,
            foreign_resellers,
            unverified_foreign_accounts: unverified.len() as u64,
            unverified_foreign_account_ids: unverified,
            unverified_resolutions: res,
        })
    }

    /// Generates the certification and files it: the PDF is kept as a program document, and
    /// the filing starts the clock to the next one.
    pub async fn file_certification(
        &self,
        annual: bool,
        signer: Option<Signer>,
        actor: &Actor,
    ) -> Result<Filing> {
        // Generated first (it reads every customer, and renders a PDF), then checked and kept
        // under the lock, so that a filing sent twice is kept once.
        let mut c = self.certification(annual, actor).await?;
        c.signer = signer;
        let pdf = to_pdf(&c)?;
        let _once = self.once.lock().await;
        // In order, once: the initial certification first and only once; an annual one not
        // again within 30 days of the last (a form sent twice).
        let filed = self.filings().await?;
        let day = |f: &Filing| f.filed_at.format("%Y-%m-%d").to_string();
        match (annual, filed.iter().find(|f| f.kind == "initial")) {
            (false, Some(i)) => {
                return Err(crate::error::Error::Conflict(format!(
                    "the initial certification was recorded as filed on {} by {}; the next is \
                     annual",
                    day(i),
                    i.filed_by
                )));
            }
            // An installation that recorded annual ones before the order was kept goes on.
            (true, None) if !filed.iter().any(|f| f.kind == "annual") => {
                return Err(crate::error::Error::Conflict(
                    "no initial certification is recorded as filed: record the initial one \
                     first (one filed before custos is recorded here too)"
                        .into(),
                ));
            }
            _ => {}
        }
        if let Some(last) = filed
            .iter()
            .max_by_key(|f| f.filed_at)
            .filter(|f| annual && self.now() - f.filed_at < chrono::Duration::days(30))
        {
            return Err(crate::error::Error::Conflict(format!(
                "the {} certification was recorded as filed on {} by {}: the annual one is not \
                 due within 30 days of it",
                last.kind,
                day(last),
                last.filed_by
            )));
        }
        let doc = self
            .put_document(
                PROVIDER,
                "certification",
                &format!(
                    "certification-{}-{}.pdf",
                    c.kind,
                    c.generated_at.format("%Y%m%d")
                ),
                "application/pdf",
                &pdf,
                actor,
            )
            .await?;
        let f = Filing {
            id: crate::service::new_id("cert_"),
            kind: c.kind.clone(),
            filed_at: c.generated_at,
            document_id: doc.id,
            sha256: doc.sha256,
            filed_by: actor.id.clone(),
            signer: c.signer.clone(),
        };
        self.keep(&f).await?;
        self.audit(actor, None, "file_certification", &f.id).await?;
        Ok(f)
    }
}

const ATTESTATION: &str = "Attestation";

/// The certification as lines of text: what the HTML and the PDF show. A document a
/// regulator reads: who certifies what, for which period, each figure in plain words with
/// what it counts, the attestation, and the lines a person signs (custos does not sign).
fn lines(c: &Certification) -> Vec<(u8, String)> {
    let mut out: Vec<(u8, String)> = vec![];
    let h = |t: &str| (1u8, t.to_owned());
    let l = |t: String| (0u8, t);
    // What a figure counts, set apart from the figure.
    let why = |t: &str| (0u8, format!("What this counts: {t}"));
    out.push((
        2,
        format!(
            "{} CIP certification: {}",
            if c.kind == "annual" {
                "Annual"
            } else {
                "Initial"
            },
            c.provider_name
        ),
    ));
    out.push(l(format!(
        "Certification of the Customer Identification Program of {}{}, a provider of \
         Infrastructure as a Service products, under Executive Order 13984 (Taking Additional \
         Steps To Address the National Emergency With Respect to Significant Malicious \
         Cyber-Enabled Activities).",
        c.provider_name,
        c.provider_address
            .as_ref()
            .map(|a| format!(", {a}"))
            .unwrap_or_default()
    )));
    out.push(l(format!(
        "Period: {} to {}. Generated {} from the provider's records.",
        c.period_from
            .map(|f| f.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "the start of the provider's records".into()),
        c.period_to.format("%Y-%m-%d"),
        c.generated_at.format("%Y-%m-%d %H:%M UTC"),
    )));
    out.push(h("How identities are verified"));
    out.push(why(
        "the evidence the program requires of a foreign customer, of a foreign entity and of \
         each of its foreign beneficial owners, by the risk the customer presents.",
    ));
    for (level, m) in &c.identity_verification.requirements {
        for (who, text) in m {
            out.push(l(format!(
                "{level} risk, {}: {text}",
                who.replace('_', " ")
            )));
        }
    }
    out.push(l(format!(
        "While pending: {}.",
        c.identity_verification.while_pending.replace('_', " ")
    )));
    out.push(l(format!(
        "On failure: {}.",
        c.identity_verification.on_failure
    )));
    out.push(l(format!(
        "Re-verification: {}.",
        c.identity_verification.reverification
    )));
    if let Some(n) = &c.identity_verification.notes {
        out.push(l(n.clone()));
    }
    out.push(h("Resources used to detect malicious cyber activity"));
    out.extend(c.detection_resources.iter().map(|r| l(format!("- {r}"))));
    out.push(h("How resellers are overseen"));
    let o = &c.reseller_oversight;
    out.push(l(o.description.clone()));
    out.push(l(format!(
        "Reseller accounts: {}; foreign: {}; foreign with a CIP on file: {}; open \
         non-compliance cases: {}; relationships terminated in the period: {}.",
        o.reseller_accounts,
        o.foreign_reseller_accounts,
        o.foreign_with_cip_on_file,
        o.open_non_compliance,
        o.terminated_in_period
    )));
    out.push(why(
        "open accounts of customers who offer the provider's products to others; those whose \
         customer is foreign; of those, the ones whose own CIP the provider holds; cases \
         opened against resellers not complying and not yet closed; and resellers whose \
         relationship ended for non-compliance during the period.",
    ));
    out.push(h("CIP contact"));
    let k = &c.cip_contact;
    out.push(l(format!(
        "{}{}, {}{}",
        k.name,
        k.title
            .as_ref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default(),
        k.email,
        k.phone
            .as_ref()
            .map(|p| format!(", {p}"))
            .unwrap_or_default()
    )));
    let located = |title: &str, counts: &str, x: &Located, out: &mut Vec<(u8, String)>| {
        out.push(h(title));
        out.push(why(counts));
        out.push(l(format!("Total: {}", x.total)));
        for (cc, n) in &x.by_country {
            out.push(l(format!("{}: {n}", country(cc))));
        }
    };
    located(
        "Customers (number and locations)",
        "customers with at least one open account at the end of the period, by the country on \
         record for each: an individual's first citizenship (else the country of residence), \
         an entity's jurisdiction of registration.",
        &c.customers,
        &mut out,
    );
    located(
        "Foreign customers",
        "of those, the customers who are not United States persons or have a beneficial \
         owner who is not: those whose identities the program must verify.",
        &c.foreign_customers,
        &mut out,
    );
    located(
        "Foreign beneficial owners (number and locations)",
        "the beneficial owners, not United States persons, of the entities among those \
         customers, by each one's first citizenship (else the country of residence).",
        &c.foreign_beneficial_owners,
        &mut out,
    );
    out.push(h("Foreign resellers"));
    out.push(why(
        "each open reseller account whose customer is foreign, its status, and the version \
         of its CIP the provider holds.",
    ));
    if c.foreign_resellers.is_empty() {
        out.push(l("None.".into()));
    }
    for r in &c.foreign_resellers {
        out.push(l(format!(
            "{} ({}), account {}, {}, CIP {}",
            r.name,
            r.country
                .as_deref()
                .map(country)
                .unwrap_or_else(|| "unknown".into()),
            r.account_id,
            r.status.replace('_', " "),
            r.cip_version
                .map(|v| format!("version {v}"))
                .unwrap_or_else(|| "not on file".into())
        )));
    }
    out.push(h("Foreign-customer accounts not yet verified"));
    out.push(why(
        "open accounts of foreign customers still waiting, at the end of the period, for the \
         verification the program requires.",
    ));
    out.push(l(format!("Count: {}", c.unverified_foreign_accounts)));
    out.push(h("How unverified cases were resolved in the period"));
    out.push(why(
        "accounts of foreign customers that waited for verification during the period, by \
         how the wait ended.",
    ));
    let r = &c.unverified_resolutions;
    for (what, n) in [
        ("verified", r.verified),
        ("exempted", r.exempted),
        (
            "closed: verification deadline passed",
            r.closed_verification_deadline,
        ),
        ("closed: verification failed", r.closed_verification_failed),
        ("closed: screening", r.closed_screening),
        ("closed: other", r.closed_other),
        ("suspended", r.suspended),
        ("still pending", r.still_pending),
    ] {
        out.push(l(format!("{what}: {n}")));
    }
    out.push(h(ATTESTATION));
    out.push(l(format!(
        "I certify that {} maintains and implements the Customer Identification Program \
         described above, and that, to the best of my knowledge and belief, the information \
         in this certification is true, correct and complete.",
        c.provider_name
    )));
    let (name, title) = c
        .signer
        .as_ref()
        .map(|s| (s.name.as_str(), s.title.as_str()))
        .unwrap_or(("", ""));
    let blank = "______________________________";
    let or_blank = |v: &str| {
        if v.is_empty() {
            blank.to_owned()
        } else {
            v.to_owned()
        }
    };
    out.push(l(format!("Certifying official: {}", or_blank(name))));
    out.push(l(format!("Title: {}", or_blank(title))));
    out.push(l(format!("Signature: {blank}")));
    out.push(l(format!("Date: {blank}")));
    out
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The certification as a standalone HTML page.
pub fn to_html(c: &Certification) -> String {
    let mut out = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>CIP certification</title>\
         <style>body{font-family:sans-serif;max-width:50em;margin:2em auto}h2{margin-top:1.5em}</style></head><body>\n",
    );
    for (level, text) in lines(c) {
        let tag = match level {
            2 => "h1",
            1 => "h2",
            _ => "p",
        };
        out.push_str(&format!("<{tag}>{}</{tag}>\n", escape(&text)));
    }
    out.push_str("</body></html>\n");
    out
}

/// Refuses text the certification's PDF cannot show as written (its standard fonts hold the
/// Latin script of Windows-1252): a name printed with `?` for a letter is not the name.
pub(crate) fn printable(field: &str, v: &str) -> Result<()> {
    match v
        .chars()
        .find(|&c| win_ansi(&c.to_string()) == b"?" && c != '?')
    {
        Some(c) => Err(Error::invalid(
            field,
            format!(
                "`{}` cannot be printed on the certification (Latin script only): write it as \
                 it is written on official documents in Latin letters",
                c.escape_unicode()
            ),
        )),
        None => Ok(()),
    }
}

/// WinAnsi text for a standard PDF font: what it cannot show becomes `?`.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c as u32 {
            0x20..=0x7e | 0xa0..=0xff => c as u32 as u8,
            0x2013 => 0x96,
            0x2014 => 0x97,
            0x2019 => 0x92,
            _ => b'?',
        })
        .collect()
}

fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    // A word longer than a line is cut into lines' widths: nothing runs off the page.
    let words = s.split_whitespace().flat_map(|w| {
        let chars: Vec<char> = w.chars().collect();
        chars
            .chunks(width.max(1))
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
    });
    for w in words {
        let w = w.as_str();
        if !cur.is_empty() && cur.chars().count() + 1 + w.chars().count() > width {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

/// The certification as a PDF (A4, Helvetica), through `lopdf`.
pub fn to_pdf(c: &Certification) -> Result<Vec<u8>> {
    pdf_of(
        &lines(c),
        &format!("{} CIP certification", c.kind),
        ATTESTATION,
    )
}

/// A document of lines (level 2: title, 1: heading, 0: text) as a PDF (A4, Helvetica): the
/// heading `together` starts a page if fewer than ~15 lines are left on the one it would be on,
/// so that it stays with the signature lines after it.
pub(crate) fn pdf_of(doc_lines: &[(u8, String)], title: &str, together: &str) -> Result<Vec<u8>> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = |base: &str| {
        dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => base.to_owned(),
            "Encoding" => "WinAnsiEncoding",
        }
    };
    let regular = doc.add_object(font("Helvetica"));
    let bold = doc.add_object(font("Helvetica-Bold"));
    let resources = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => regular, "F2" => bold },
    });
    // Lay the lines out on pages: (font, size, text) at a falling y.
    let mut pages: Vec<Vec<Operation>> = vec![];
    let mut ops: Vec<Operation> = vec![];
    let mut y = 800.0f32;
    for (level, text) in doc_lines.iter().cloned() {
        let (f, size, width, gap) = match level {
            2 => ("F2", 15.0f32, 60, 10.0f32),
            1 => ("F2", 12.0, 80, 8.0),
            _ => ("F1", 10.0, 95, 2.0),
        };
        // The attestation and its signature lines stay on one page.
        if level == 1 && text == together && y < 260.0 && !ops.is_empty() {
            pages.push(std::mem::take(&mut ops));
            y = 800.0;
        }
        for (i, part) in wrap(&text, width).into_iter().enumerate() {
            let lead = if i == 0 { gap } else { 0.0 } + size * 1.3;
            if y - lead < 50.0 {
                pages.push(std::mem::take(&mut ops));
                y = 800.0;
            }
            y -= lead;
            ops.extend([
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec![f.into(), size.into()]),
                Operation::new("Td", vec![50.into(), y.into()]),
                Operation::new(
                    "Tj",
                    vec![Object::String(
                        win_ansi(&part),
                        lopdf::StringFormat::Literal,
                    )],
                ),
                Operation::new("ET", vec![]),
            ]);
        }
    }
    pages.push(ops);
    let mut kids = vec![];
    for ops in pages {
        let content = Content { operations: ops }
            .encode()
            .map_err(|e| Error::Rendering(format!("the PDF: {e}")))?;
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        kids.push(page.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let info = doc.add_object(dictionary! {
        "Title" => Object::string_literal(title.to_owned()),
        "Producer" => Object::string_literal("custos"),
    });
    doc.trailer.set("Info", info);
    doc.compress();
    let mut out = vec![];
    doc.save_to(&mut out)
        .map_err(|e| Error::Rendering(format!("the PDF: {e}")))?;
    Ok(out)
}
