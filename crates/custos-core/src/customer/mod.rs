//! The customer aggregate: who the customer is, its beneficial owners, and the records EO
//! 13984 section 1(a)(ii) asks a provider to keep about them.
//!
//! Everything in [`Customer`] is personal data and is stored encrypted as one record. What the
//! decision path needs in clear (ids, roles, derived classifications, verification states) is
//! derived from it as a [`CustomerSummary`], which holds no names, numbers or countries (its
//! screening cases name list entries and their states, not what of the subject matched).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::CoreError;
use crate::ids::{Country, CustomerId, SubjectId};
use crate::policy::{CipPolicy, RiskLevel};
use crate::screening::{CountryLink, LinkKind, Screening};
use crate::triage::{self, Triage};
use crate::verification::{
    ManualDecision, Method, MethodOutcome, MethodResult, SubjectVerification, VerificationState,
};

pub use crate::kinds::SubjectRole;

pub use crate::records::*;
mod screening;
pub use screening::*;

/// Upper bounds that keep one customer's record small; they protect the store from hostile input.
pub const MAX_TEXT: usize = 512;
pub const MAX_LIST: usize = 50;

/// Input for a new subject: the customer itself is made from the profile.
fn check_text(field: &str, s: &str, required: bool) -> Result<(), CoreError> {
    if required && s.trim().is_empty() {
        return Err(CoreError::invalid(field, "must not be empty"));
    }
    if s.len() > MAX_TEXT {
        return Err(CoreError::invalid(
            field,
            format!("longer than {MAX_TEXT} bytes"),
        ));
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(CoreError::invalid(field, "contains control characters"));
    }
    Ok(())
}

fn check_opt(field: &str, s: &Option<String>) -> Result<(), CoreError> {
    s.as_deref().map_or(Ok(()), |s| check_text(field, s, true))
}

fn check_list<T>(field: &str, v: &[T]) -> Result<(), CoreError> {
    if v.len() > MAX_LIST {
        return Err(CoreError::invalid(
            field,
            format!("more than {MAX_LIST} items"),
        ));
    }
    Ok(())
}

impl Address {
    pub fn validate(&self, field: &str) -> Result<(), CoreError> {
        check_text(&format!("{field}.line1"), &self.line1, true)?;
        check_opt(&format!("{field}.line2"), &self.line2)?;
        check_text(&format!("{field}.city"), &self.city, true)?;
        check_opt(&format!("{field}.region"), &self.region)?;
        check_opt(&format!("{field}.postal_code"), &self.postal_code)
    }
}

impl Individual {
    pub fn validate(&self, field: &str, today: NaiveDate) -> Result<(), CoreError> {
        check_text(&format!("{field}.full_name"), &self.full_name, true)?;
        check_opt(&format!("{field}.given_names"), &self.given_names)?;
        check_opt(&format!("{field}.family_name"), &self.family_name)?;
        if let Some(dob) = self.date_of_birth {
            if dob > today {
                return Err(CoreError::invalid(
                    format!("{field}.date_of_birth"),
                    "is in the future",
                ));
            }
            if today.years_since(dob).is_some_and(|y| y > 130) {
                return Err(CoreError::invalid(
                    format!("{field}.date_of_birth"),
                    "is more than 130 years ago",
                ));
            }
        }
        check_list(&format!("{field}.citizenships"), &self.citizenships)?;
        check_list(&format!("{field}.national_ids"), &self.national_ids)?;
        if let Some(a) = &self.residence {
            a.validate(&format!("{field}.residence"))?;
        }
        for (i, n) in self.national_ids.iter().enumerate() {
            check_text(
                &format!("{field}.national_ids[{i}].number"),
                &n.number,
                true,
            )?;
            check_opt(&format!("{field}.national_ids[{i}].kind"), &n.kind)?;
            // Personal numbers of the countries custos knows are checked; a passport or tax
            // number (`kind` says so) and other countries' numbers are kept as given.
            let personal = n
                .kind
                .as_deref()
                .is_none_or(|k| matches!(k, "national_id" | "personal_number" | "ssn"));
            if personal && custos_ids::national_id::supported(n.country.as_str()) {
                custos_ids::national_id::check(n.country.as_str(), &n.number).map_err(|e| {
                    CoreError::invalid(format!("{field}.national_ids[{i}].number"), e)
                })?;
            }
        }
        Ok(())
    }
}

impl Entity {
    pub fn validate(&self, field: &str) -> Result<(), CoreError> {
        check_text(&format!("{field}.legal_name"), &self.legal_name, true)?;
        check_opt(
            &format!("{field}.jurisdiction_subdivision"),
            &self.jurisdiction_subdivision,
        )?;
        check_opt(
            &format!("{field}.registration_number"),
            &self.registration_number,
        )?;
        check_opt(&format!("{field}.lei"), &self.lei)?;
        if let Some(lei) = &self.lei {
            custos_ids::lei::check(lei)
                .map_err(|e| CoreError::invalid(format!("{field}.lei"), e))?;
        }
        check_list(&format!("{field}.addresses"), &self.addresses)?;
        for (i, a) in self.addresses.iter().enumerate() {
            a.validate(&format!("{field}.addresses[{i}]"))?;
        }
        Ok(())
    }
}

impl BeneficialOwner {
    pub fn validate(&self, field: &str, today: NaiveDate) -> Result<(), CoreError> {
        self.person.validate(&format!("{field}.person"), today)?;
        if let Some(p) = self.ownership_percent
            && !(p.is_finite() && (0.0..=100.0).contains(&p))
        {
            return Err(CoreError::invalid(
                format!("{field}.ownership_percent"),
                "must be between 0 and 100",
            ));
        }
        check_opt(&format!("{field}.title"), &self.title)
    }
}

impl Customer {
    /// Creates a customer with its beneficial owners and runs the first triage.
    ///
    /// `subject_ids` gives one fresh id for the customer and one for each owner, in order.
    pub fn new(
        id: CustomerId,
        now: DateTime<Utc>,
        profile: CustomerProfile,
        owners: Vec<BeneficialOwner>,
        subject_ids: Vec<SubjectId>,
        external_ref: Option<String>,
        policy: &CipPolicy,
    ) -> Result<Self, CoreError> {
        let today = now.date_naive();
        match &profile {
            CustomerProfile::Individual(i) => {
                i.validate("individual", today)?;
                if !owners.is_empty() {
                    return Err(CoreError::invalid(
                        "beneficial_owners",
                        "only an entity has beneficial owners",
                    ));
                }
            }
            CustomerProfile::Entity(e) => e.validate("entity")?,
        }
        check_list("beneficial_owners", &owners)?;
        check_opt("external_ref", &external_ref)?;
        if subject_ids.len() != owners.len() + 1 {
            return Err(CoreError::Conflict(
                "one subject id is needed for the customer and each owner".into(),
            ));
        }
        let mut ids = subject_ids.into_iter();
        let customer_subject = Subject {
            id: ids
                .next()
                .ok_or_else(|| CoreError::Conflict("no subject id".into()))?,
            role: SubjectRole::Customer,
            owner: None,
            added_at: now,
            removed_at: None,
            qualifies: true,
            triage: Triage::placeholder(),
            verification: SubjectVerification::default(),
        };
        let mut c = Customer {
            id,
            created_at: now,
            external_ref,
            profile,
            subjects: vec![customer_subject],
            contacts: vec![],
            payment_means: vec![],
            documents: vec![],
            observations: vec![],
            resubmissions: 0,
            resubmission_log: vec![],
            address_history: vec![],
            screening: Screening::default(),
            detection: None,
        };
        for (i, (o, sid)) in owners.into_iter().zip(ids).enumerate() {
            c.add_owner(sid, o, now, policy, &format!("beneficial_owners[{i}]"))?;
        }
        c.retriage(policy, now);
        Ok(c)
    }

    fn add_owner(
        &mut self,
        id: SubjectId,
        owner: BeneficialOwner,
        now: DateTime<Utc>,
        policy: &CipPolicy,
        field: &str,
    ) -> Result<(), CoreError> {
        if !self.profile.is_entity() {
            return Err(CoreError::invalid(
                "beneficial_owners",
                "only an entity has beneficial owners",
            ));
        }
        owner.validate(field, now.date_naive())?;
        let qualifies = owner.qualifies(policy.beneficial_owners.ownership_threshold_percent);
        self.subjects.push(Subject {
            id,
            role: SubjectRole::BeneficialOwner,
            owner: Some(owner),
            added_at: now,
            removed_at: None,
            qualifies,
            triage: Triage::placeholder(),
            verification: SubjectVerification::default(),
        });
        if self.subjects.len() > MAX_LIST * 2 {
            return Err(CoreError::invalid(
                "beneficial_owners",
                "too many owners on record",
            ));
        }
        Ok(())
    }

    /// Records a change of beneficial owners that the customer reported: new owners are triaged
    /// and, where foreign, must be verified; removed owners stay on record, marked removed.
    pub fn report_owner_change(
        &mut self,
        added: Vec<(SubjectId, BeneficialOwner)>,
        removed: &[SubjectId],
        now: DateTime<Utc>,
        policy: &CipPolicy,
    ) -> Result<(), CoreError> {
        check_list("added", &added)?;
        for r in removed {
            let s = self
                .subjects
                .iter_mut()
                .find(|s| &s.id == r && s.role == SubjectRole::BeneficialOwner)
                .ok_or_else(|| CoreError::NotFound(format!("beneficial owner {r}")))?;
            if s.removed_at.is_some() {
                return Err(CoreError::Conflict(format!(
                    "beneficial owner {r} was already removed"
                )));
            }
            s.removed_at = Some(now);
        }
        for (i, (sid, o)) in added.into_iter().enumerate() {
            self.add_owner(sid, o, now, policy, &format!("added[{i}]"))?;
        }
        self.retriage(policy, now);
        Ok(())
    }

    pub fn subject(&self, id: &SubjectId) -> Result<&Subject, CoreError> {
        self.subjects
            .iter()
            .find(|s| &s.id == id)
            .ok_or_else(|| CoreError::NotFound(format!("subject {id}")))
    }

    /// The natural person behind a subject: the customer (an individual) or a beneficial owner.
    fn person(&self, id: &SubjectId) -> Result<Option<&Individual>, CoreError> {
        let s = self.subject(id)?;
        Ok(match (&s.owner, &self.profile) {
            (Some(o), _) => Some(&o.person),
            (None, CustomerProfile::Individual(i)) => Some(i),
            (None, CustomerProfile::Entity(_)) => None,
        })
    }

    fn subject_mut(&mut self, id: &SubjectId) -> Result<&mut Subject, CoreError> {
        self.subjects
            .iter_mut()
            .find(|s| &s.id == id)
            .ok_or_else(|| CoreError::NotFound(format!("subject {id}")))
    }

    /// The customer's name: an individual's full name, an entity's legal name.
    pub fn display_name(&self) -> String {
        match &self.profile {
            CustomerProfile::Individual(i) => i.full_name.clone(),
            CustomerProfile::Entity(e) => e.legal_name.clone(),
        }
    }

    /// The id of the customer's own subject.
    pub fn customer_subject(&self) -> &SubjectId {
        &self.subjects[0].id
    }

    /// The subject a verification result is for: the one named, or, when none is, the only
    /// subject that counts. When more than one counts (an entity and its beneficial owners),
    /// a result that names none could be meant for any of them, and is refused rather than
    /// given to the customer's own subject.
    pub fn result_subject(&self, named: Option<&SubjectId>) -> Result<SubjectId, CoreError> {
        if let Some(id) = named {
            return Ok(self.subject(id)?.id.clone());
        }
        let counting = self.subjects.iter().filter(|s| s.is_active()).count();
        if counting > 1 {
            return Err(CoreError::invalid(
                "subject_id",
                format!(
                    "the customer has {counting} subjects (itself and its beneficial owners): \
                     name the one the result is for"
                ),
            ));
        }
        Ok(self.customer_subject().clone())
    }

    pub fn add_contact(&mut self, contact: Contact) -> Result<(), CoreError> {
        self.subject(&contact.subject_id)?;
        check_text("value", &contact.value, true)?;
        check_list("contacts", &self.contacts)?;
        self.contacts.push(contact);
        Ok(())
    }

    pub fn add_payment_means(&mut self, p: PaymentMeans) -> Result<(), CoreError> {
        check_list("payment_means", &self.payment_means)?;
        check_list("transaction_ids", &p.transaction_ids)?;
        for t in &p.transaction_ids {
            check_text("transaction_ids", t, true)?;
        }
        check_opt("financial_institution", &p.financial_institution)?;
        check_opt("provider_customer_ref", &p.provider_customer_ref)?;
        self.payment_means.push(p);
        Ok(())
    }

    pub fn add_document(
        &mut self,
        d: Document,
        policy: &CipPolicy,
        now: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        self.subject(&d.subject_id)?;
        check_text("number", &d.number, true)?;
        check_opt("mrz", &d.mrz)?;
        check_list("documents", &self.documents)?;
        let mut d = d;
        if let Some(zone) = d.mrz.clone() {
            let person = self.person(&d.subject_id)?.ok_or_else(|| {
                CoreError::invalid("mrz", "only an individual's document carries a zone")
            })?;
            let cits: Vec<&str> = person.citizenships.iter().map(Country::as_str).collect();
            let declared = custos_ids::travel::Declared {
                full_name: &person.full_name,
                family_name: person.family_name.as_deref(),
                given_names: person.given_names.as_deref(),
                birth_date: person.date_of_birth,
                citizenships: cits,
                document_number: Some(&d.number),
                issuing_country: Some(d.issuing_country.as_str()),
                expires_on: d.expires_on,
            };
            let z = custos_ids::travel::cross_check(&zone, &declared, now.date_naive())
                .map_err(|(field, reason)| CoreError::invalid(field, reason))?;
            d.expires_on = d.expires_on.or(z.expiry_date);
            if d.nationality.is_none() {
                d.nationality = custos_ids::travel::icao_to_alpha2(&z.nationality)
                    .and_then(|c| Country::parse(c).ok());
            }
        } else if d.expires_on.is_some_and(|e| e < now.date_naive()) {
            return Err(CoreError::invalid("expires_on", "the document has expired"));
        }
        self.documents.push(d);
        self.retriage(policy, now);
        Ok(())
    }

    /// The customer declares a new residence (individual) or primary (entity) address. The old
    /// one goes to the history and triage is recomputed: a new address abroad can end "located
    /// in the United States".
    pub fn change_address(
        &mut self,
        address: Address,
        policy: &CipPolicy,
        now: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        address.validate("address")?;
        check_list("address_history", &self.address_history)?;
        let old = match &mut self.profile {
            CustomerProfile::Individual(i) => i.residence.replace(address),
            CustomerProfile::Entity(e) => {
                check_list("addresses", &e.addresses)?;
                let old = (!e.addresses.is_empty()).then(|| e.addresses.remove(0));
                e.addresses.insert(0, address);
                old
            }
        };
        if let Some(old) = old {
            self.address_history.push((now, old));
        }
        self.retriage(policy, now);
        Ok(())
    }

    /// Records where the customer connected from, keeping only the newest observations that
    /// the policy's triage window needs.
    pub fn observe_location(
        &mut self,
        o: LocationObservation,
        policy: &CipPolicy,
        now: DateTime<Utc>,
    ) {
        self.observations.push(o);
        self.observations.sort_by_key(|o| o.at);
        let max = policy.triage.max_observations;
        if self.observations.len() > max {
            let drop = self.observations.len() - max;
            self.observations.drain(..drop);
        }
        self.retriage(policy, now);
    }

    /// Adds a verification result for a subject.
    /// Records a method's result for a subject. A pass of a method the policy's `[evidence]`
    /// names is refused while what it rests on is not on file for that subject.
    pub fn record_result(
        &mut self,
        subject: &SubjectId,
        r: MethodResult,
        policy: &CipPolicy,
    ) -> Result<(), CoreError> {
        check_opt("reference", &r.reference)?;
        self.subject(subject)?;
        if r.outcome == MethodOutcome::Pass
            && policy.evidence.pass_requires_on_file.contains(&r.method)
            && let Some(missing) = self.missing_evidence(subject, r.method)
        {
            return Err(CoreError::invalid(
                "method",
                format!(
                    "a `{}` pass needs its evidence on file (the CIP policy's \
                     evidence.pass_requires_on_file): {missing}",
                    r.method.as_str()
                ),
            ));
        }
        let s = self.subject_mut(subject)?;
        if s.verification.results.len() >= MAX_LIST * 4 {
            return Err(CoreError::Conflict(
                "too many verification results on record for this subject".into(),
            ));
        }
        s.verification.results.push(r);
        Ok(())
    }

    /// What a method's pass for `subject` would rest on that is not on record, if anything.
    fn missing_evidence(&self, subject: &SubjectId, m: Method) -> Option<String> {
        let contact = |kind| {
            self.contacts
                .iter()
                .any(|c| &c.subject_id == subject && c.kind == kind)
        };
        let on_file = match m {
            Method::Document => self.documents.iter().any(|d| &d.subject_id == subject),
            Method::Email => contact(ContactKind::Email),
            Method::Phone => contact(ContactKind::Phone),
            Method::Address => match (self.person(subject), &self.profile) {
                (Ok(Some(p)), _) => p.residence.is_some(),
                (_, CustomerProfile::Entity(e)) => !e.addresses.is_empty(),
                _ => false,
            },
            Method::PaymentInstrument => !self.payment_means.is_empty(),
            Method::IpLocation => !self.observations.is_empty(),
        };
        let (what, add) = match m {
            Method::Document => ("identity document", "add it to the customer's documents"),
            Method::Email => ("email address", "add it to the customer's contacts"),
            Method::Phone => ("telephone number", "add it to the customer's contacts"),
            Method::Address => ("address", "declare it (an address change)"),
            Method::PaymentInstrument => ("means of payment", "add it to the payment means"),
            Method::IpLocation => ("access", "report the customer's accesses"),
        };
        (!on_file).then(|| format!("no {what} on file for subject {subject}: {add} first"))
    }

    /// A reviewer's decision on a subject.
    pub fn record_manual_decision(
        &mut self,
        subject: &SubjectId,
        d: ManualDecision,
    ) -> Result<(), CoreError> {
        check_text("reason", &d.reason, true)?;
        let s = self.subject_mut(subject)?;
        s.verification.manual = Some(d);
        s.verification.review_requested = false;
        Ok(())
    }

    /// Redress: a customer whose verification failed submits again. Failed results before now
    /// stop counting; the policy decides whether a reviewer must look first.
    pub fn resubmit(
        &mut self,
        policy: &CipPolicy,
        risk: RiskLevel,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        if !policy.redress.allowed {
            return Err(CoreError::Conflict(
                "the CIP policy allows no resubmission".into(),
            ));
        }
        if self.resubmissions >= policy.redress.max_resubmissions {
            return Err(CoreError::Conflict(format!(
                "the customer has used all {} resubmissions the CIP policy allows",
                policy.redress.max_resubmissions
            )));
        }
        let entity = self.profile.is_entity();
        let mut any_failed = false;
        for s in self.subjects.iter_mut().filter(|s| s.is_active()) {
            let req = policy.requirement(risk, s.role, entity);
            if s.verification.state(s.triage.us_person, req) == VerificationState::Failed {
                any_failed = true;
                s.verification.reset_at = Some(now);
                s.verification.manual = None;
                s.verification.review_requested = policy.redress.requires_manual_review;
            }
        }
        if !any_failed {
            return Err(CoreError::Conflict(
                "no subject of this customer has failed verification".into(),
            ));
        }
        self.resubmissions += 1;
        self.resubmission_log
            .push(crate::records::Resubmission { at: now, reason });
        Ok(())
    }

    /// Recomputes every subject's US-person triage from the evidence on record.
    pub fn retriage(&mut self, policy: &CipPolicy, now: DateTime<Utc>) {
        let profile = self.profile.clone();
        let docs = self.documents.clone();
        let obs = self.observations.clone();
        for s in &mut self.subjects {
            let sub_docs: Vec<&Document> = docs.iter().filter(|d| d.subject_id == s.id).collect();
            s.triage = match (&s.role, &profile, &s.owner) {
                (SubjectRole::Customer, CustomerProfile::Individual(i), _) => {
                    triage::individual(i, &sub_docs, &obs, &policy.triage, now)
                }
                (SubjectRole::Customer, CustomerProfile::Entity(e), _) => triage::entity(e),
                (SubjectRole::BeneficialOwner, _, Some(o)) => {
                    triage::individual(&o.person, &sub_docs, &[], &policy.triage, now)
                }
                (SubjectRole::BeneficialOwner, _, None) => Triage::placeholder(),
            };
        }
    }

    /// Every country the customer and its owners are linked to by the records.
    pub fn linked_countries(&self) -> Vec<Country> {
        let mut out = vec![];
        match &self.profile {
            CustomerProfile::Individual(i) => individual_countries(i, &mut out),
            CustomerProfile::Entity(e) => {
                out.push(e.jurisdiction.clone());
                out.extend(e.addresses.iter().map(|a| a.country.clone()));
            }
        }
        for s in self.subjects.iter().filter(|s| s.is_active()) {
            if let Some(o) = &s.owner {
                individual_countries(&o.person, &mut out);
            }
        }
        out.extend(self.documents.iter().map(|d| d.issuing_country.clone()));
        out.extend(self.observations.iter().map(|o| o.country.clone()));
        out.sort();
        out.dedup();
        out
    }

    /// The clear summary that the decision path reads.
    pub fn summary(&self, policy: &CipPolicy) -> CustomerSummary {
        let high = self
            .linked_countries()
            .iter()
            .any(|c| policy.risk.high_risk_countries.contains(c));
        CustomerSummary {
            id: self.id.clone(),
            entity: self.profile.is_entity(),
            created_at: self.created_at,
            external_ref: self.external_ref.clone(),
            subjects: self
                .subjects
                .iter()
                .map(|s| SubjectSummary {
                    id: s.id.clone(),
                    role: s.role,
                    qualifies: s.qualifies,
                    removed: s.removed_at.is_some(),
                    us_person: s.triage.us_person,
                    basis: s.triage.basis,
                    verification: s.verification.clone(),
                })
                .collect(),
            high_risk_link: high,
            resubmissions: self.resubmissions,
            screening: self.screening.summary(),
            // The reviewer's words on a clearing may be personal: the sealed record keeps them.
            detection: self.detection.clone().map(|mut d| {
                if let Some(c) = d.cleared.as_mut() {
                    c.reason.clear();
                }
                d
            }),
        }
    }
}

#[cfg(test)]
mod tests;
