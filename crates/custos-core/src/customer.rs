//! The customer aggregate: who the customer is, its beneficial owners, and the records EO
//! 13984 section 1(a)(ii) asks a provider to keep about them.
//!
//! Everything in [`Customer`] is personal data and is stored encrypted as one record. What the
//! decision path needs in clear (ids, roles, derived classifications, verification states) is
//! derived from it as a [`CustomerSummary`], which holds no names, numbers or countries (its
//! screening cases name list entries and their states, not what of the subject matched).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::CoreError;
use crate::ids::{AccountId, Country, CustomerId, SubjectId};
use crate::policy::{CipPolicy, RiskLevel};
use crate::screening::{CaseSummary, CountryLink, LinkKind, Screening};
use crate::triage::{self, Triage};
use crate::verification::{
    ManualDecision, Method, MethodOutcome, MethodResult, SubjectVerification, VerificationState,
};

pub use crate::kinds::SubjectRole;

/// Upper bounds that keep one customer's record small; they protect the store from hostile input.
pub const MAX_TEXT: usize = 512;
pub const MAX_LIST: usize = 50;

/// A postal address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"line1": "Unter den Linden 5", "city": "Berlin", "postal_code": "10117", "country": "DE"}))]
pub struct Address {
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    pub country: Country,
}

/// A national identification number, with the country that issued it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NationalId {
    pub country: Country,
    /// What the number is, in the issuer's terms: `national_id`, `passport`, `tax_id`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub number: String,
}

/// A natural person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"full_name": "Lena Fischer", "given_names": "Lena", "family_name": "Fischer",
    "date_of_birth": "1988-04-12", "citizenships": ["DE"], "residence":
    {"line1": "Unter den Linden 5", "city": "Berlin", "postal_code": "10117", "country": "DE"},
    "national_ids": [{"country": "DE", "kind": "national_id", "number": "36574261809"}]}))]
pub struct Individual {
    pub full_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_names: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default)]
    pub citizenships: Vec<Country>,
    /// A lawful permanent resident of the United States (EO 5(k)).
    #[serde(default)]
    pub us_lawful_permanent_resident: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residence: Option<Address>,
    #[serde(default)]
    pub national_ids: Vec<NationalId>,
}

/// A legal person: a company, partnership, association or other organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    pub legal_name: String,
    /// The country under whose law the entity is organised.
    pub jurisdiction: Country,
    /// The state or territory of organisation, e.g. `DE` (Delaware) for a US entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction_subdivision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_number: Option<String>,
    /// ISO 17442 Legal Entity Identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lei: Option<String>,
    #[serde(default)]
    pub addresses: Vec<Address>,
}

/// Who the customer is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerProfile {
    Individual(Individual),
    Entity(Entity),
}

impl CustomerProfile {
    pub fn is_entity(&self) -> bool {
        matches!(self, CustomerProfile::Entity(_))
    }
}

/// An individual who owns or controls an entity customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BeneficialOwner {
    pub person: Individual,
    /// Share owned or controlled, in percent (0 to 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership_percent: Option<f64>,
    /// Exercises substantial control (a senior officer, or one who can appoint or remove them).
    #[serde(default)]
    pub substantial_control: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl BeneficialOwner {
    /// Whether this person is a beneficial owner under the policy's ownership threshold.
    pub fn qualifies(&self, threshold_percent: f64) -> bool {
        self.substantial_control
            || self
                .ownership_percent
                .is_some_and(|p| p >= threshold_percent)
    }
}

/// One person whose identity may need verifying: the customer itself, or a beneficial owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    pub id: SubjectId,
    pub role: SubjectRole,
    /// Set for beneficial owners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<BeneficialOwner>,
    pub added_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<DateTime<Utc>>,
    /// Whether this subject counts: the customer always, an owner when it meets the threshold.
    pub qualifies: bool,
    pub triage: Triage,
    pub verification: SubjectVerification,
}

impl Subject {
    pub fn is_active(&self) -> bool {
        self.removed_at.is_none() && self.qualifies
    }
}

/// The kind of a contact used to verify identity (EO 1(a)(ii)(C)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Email,
    Phone,
}

/// An email address or telephone number, and when it was verified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    pub id: String,
    pub subject_id: SubjectId,
    pub kind: ContactKind,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<DateTime<Utc>>,
    pub added_at: DateTime<Utc>,
}

/// Who pays: the customer itself, or a named third party (EO 1(a)(ii)(B), "source of payment").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PaymentSource {
    Customer,
    ThirdParty { name: String },
}

/// A means of payment as stored. A card is kept only as brand, BIN, last four digits, expiry and
/// a keyed fingerprint of the full number; the full number never reaches the domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaymentInstrument {
    Card {
        brand: String,
        bin: String,
        last4: String,
        expiry_month: u8,
        expiry_year: u16,
        /// Hex HMAC-SHA256 of the full number under the store's fingerprint key.
        fingerprint: String,
        /// The issuing country, as the payment processor reports it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        country: Option<Country>,
    },
    BankAccount {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        iban: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account_number: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        routing_number: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bic: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        country: Option<Country>,
    },
    Wallet {
        chain: String,
        address: String,
    },
}

/// A means of payment with its source and the identifiers that tie it to transactions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PaymentMeans {
    pub id: String,
    pub instrument: PaymentInstrument,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_institution: Option<String>,
    /// The provider's own customer identifier at its payment processor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_customer_ref: Option<String>,
    #[serde(default)]
    pub transaction_ids: Vec<String>,
    pub source: PaymentSource,
    pub added_at: DateTime<Utc>,
}

/// A kind of identity document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Passport,
    NationalIdCard,
    ResidencePermit,
    /// A US lawful permanent resident card ("green card").
    PermanentResidentCard,
    DrivingLicence,
    CompanyRegistration,
    Other,
}

/// Documentary evidence of identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Document {
    pub id: String,
    pub subject_id: SubjectId,
    pub kind: DocumentKind,
    pub issuing_country: Country,
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<Country>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
    /// The machine-readable zone as read from the document, rows joined by newlines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mrz: Option<String>,
    pub added_at: DateTime<Utc>,
}

/// Where the customer was seen connecting from: evidence for "located in the United States".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LocationObservation {
    pub at: DateTime<Utc>,
    pub ip: String,
    pub country: Country,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<AccountId>,
}

/// A legal hold: while one is in force, nothing of the customer is destroyed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LegalHold {
    pub id: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub placed_by: String,
    pub placed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<DateTime<Utc>>,
}

/// The whole customer record. Stored encrypted under the customer's data key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ref: Option<String>,
    pub profile: CustomerProfile,
    pub subjects: Vec<Subject>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub payment_means: Vec<PaymentMeans>,
    #[serde(default)]
    pub documents: Vec<Document>,
    #[serde(default)]
    pub observations: Vec<LocationObservation>,
    /// How many times the customer has used redress after a failed verification.
    #[serde(default)]
    pub resubmissions: u32,
    /// Addresses replaced by a declared change, with when they stopped being current. Records
    /// outlive the facts they describe.
    #[serde(default)]
    pub address_history: Vec<(DateTime<Utc>, Address)>,
    /// Screening cases against designated lists and jurisdictions.
    #[serde(default)]
    pub screening: Screening,
}

/// One subject in the clear summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SubjectSummary {
    pub id: SubjectId,
    pub role: SubjectRole,
    pub qualifies: bool,
    pub removed: bool,
    pub us_person: bool,
    pub basis: triage::UsPersonBasis,
    pub verification: SubjectVerification,
}

/// What the decision path may know without decrypting: no names, numbers, addresses or countries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerSummary {
    pub id: CustomerId,
    pub entity: bool,
    pub created_at: DateTime<Utc>,
    pub subjects: Vec<SubjectSummary>,
    /// Whether any subject is linked to a country the policy rates high-risk.
    pub high_risk_link: bool,
    pub resubmissions: u32,
    /// Screening cases: ids, states and the public terms of the measures (see
    /// [`Screening::summary`]).
    #[serde(default)]
    pub screening: Vec<CaseSummary>,
}

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
            address_history: vec![],
            screening: Screening::default(),
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
        }
    }
}

/// What of a subject is screened by name: its name, type, birth date, a country, identifiers and
/// an address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScreeningSubject {
    pub subject_id: SubjectId,
    pub name: String,
    pub organization: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
    /// `(kind, value)`: document and national-id numbers, emails, phones, wallets.
    pub identifiers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

fn address_line(a: &Address) -> String {
    [
        Some(a.line1.as_str()),
        a.line2.as_deref(),
        a.postal_code.as_deref(),
        Some(a.city.as_str()),
        a.region.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

impl Customer {
    /// Every active subject as it is screened by name.
    pub fn screening_subjects(&self) -> Vec<ScreeningSubject> {
        let mut out = vec![];
        for s in self.subjects.iter().filter(|s| s.is_active()) {
            let mut ids: Vec<(String, String)> = self
                .documents
                .iter()
                .filter(|d| d.subject_id == s.id)
                .map(|d| ("document".to_owned(), d.number.clone()))
                .collect();
            ids.extend(self.contacts.iter().filter(|c| c.subject_id == s.id).map(
                |c| match c.kind {
                    ContactKind::Email => ("email".to_owned(), c.value.clone()),
                    ContactKind::Phone => ("phone".to_owned(), c.value.clone()),
                },
            ));
            let person = |i: &Individual, ids: &mut Vec<(String, String)>| {
                ids.extend(
                    i.national_ids
                        .iter()
                        .map(|n| ("national_id".to_owned(), n.number.clone())),
                );
                ScreeningSubject {
                    subject_id: s.id.clone(),
                    name: i.full_name.clone(),
                    organization: false,
                    birth_date: i.date_of_birth,
                    country: i
                        .citizenships
                        .first()
                        .cloned()
                        .or_else(|| i.residence.as_ref().map(|a| a.country.clone())),
                    identifiers: vec![],
                    address: i.residence.as_ref().map(address_line),
                }
            };
            let mut subject = match (s.role, &self.profile, &s.owner) {
                (SubjectRole::Customer, CustomerProfile::Individual(i), _) => person(i, &mut ids),
                (SubjectRole::Customer, CustomerProfile::Entity(e), _) => {
                    ids.extend(
                        e.registration_number
                            .iter()
                            .map(|r| ("registration".to_owned(), r.clone())),
                    );
                    ScreeningSubject {
                        subject_id: s.id.clone(),
                        name: e.legal_name.clone(),
                        organization: true,
                        birth_date: None,
                        country: Some(e.jurisdiction.clone()),
                        identifiers: vec![],
                        address: e.addresses.first().map(address_line),
                    }
                }
                (SubjectRole::BeneficialOwner, _, Some(o)) => person(&o.person, &mut ids),
                (SubjectRole::BeneficialOwner, _, None) => continue,
            };
            if s.role == SubjectRole::Customer {
                ids.extend(
                    self.payment_means
                        .iter()
                        .filter_map(|p| match &p.instrument {
                            PaymentInstrument::Wallet { chain, address } => {
                                Some(("wallet".to_owned(), format!("{chain}:{address}")))
                            }
                            _ => None,
                        }),
                );
            }
            subject.identifiers = ids;
            out.push(subject);
        }
        out
    }

    /// Every link of every active subject to a country: addresses, nationalities, the issuing
    /// states of documents and national ids, telephone numbers, payment instruments, and the
    /// countries of the IPs the customer connected from (the customer's own, not its owners').
    pub fn country_links(&self) -> Vec<CountryLink> {
        let mut out = vec![];
        let mut add = |subject_id: &SubjectId, country: &Country, kind: LinkKind| {
            let l = CountryLink {
                subject_id: subject_id.clone(),
                country: country.clone(),
                kind,
            };
            if !out.contains(&l) {
                out.push(l);
            }
        };
        for s in self.subjects.iter().filter(|s| s.is_active()) {
            let person = |i: &Individual, add: &mut dyn FnMut(&SubjectId, &Country, LinkKind)| {
                for c in &i.citizenships {
                    add(&s.id, c, LinkKind::Nationality);
                }
                if let Some(a) = &i.residence {
                    add(&s.id, &a.country, LinkKind::Address);
                }
                for n in &i.national_ids {
                    add(&s.id, &n.country, LinkKind::Document);
                }
            };
            match (s.role, &self.profile, &s.owner) {
                (SubjectRole::Customer, CustomerProfile::Individual(i), _) => person(i, &mut add),
                (SubjectRole::Customer, CustomerProfile::Entity(e), _) => {
                    add(&s.id, &e.jurisdiction, LinkKind::Organisation);
                    for a in &e.addresses {
                        add(&s.id, &a.country, LinkKind::Address);
                    }
                }
                (SubjectRole::BeneficialOwner, _, Some(o)) => person(&o.person, &mut add),
                (SubjectRole::BeneficialOwner, _, None) => {}
            }
            for d in self.documents.iter().filter(|d| d.subject_id == s.id) {
                add(&s.id, &d.issuing_country, LinkKind::Document);
                if let Some(n) = &d.nationality {
                    add(&s.id, n, LinkKind::Nationality);
                }
            }
            for c in self.contacts.iter().filter(|c| c.subject_id == s.id) {
                if c.kind == ContactKind::Phone
                    && let Ok(p) = custos_ids::phone::check(&c.value)
                    && let Some(cc) = p.country.as_deref().and_then(|cc| Country::parse(cc).ok())
                {
                    add(&s.id, &cc, LinkKind::Phone);
                }
            }
            if s.role == SubjectRole::Customer {
                for p in &self.payment_means {
                    let country = match &p.instrument {
                        PaymentInstrument::Card { country, .. } => country.clone(),
                        PaymentInstrument::BankAccount { iban, country, .. } => {
                            country.clone().or_else(|| {
                                iban.as_deref()
                                    .and_then(|i| Country::parse(i.get(..2)?).ok())
                            })
                        }
                        PaymentInstrument::Wallet { .. } => None,
                    };
                    if let Some(c) = country {
                        add(&s.id, &c, LinkKind::Payment);
                    }
                }
                for o in &self.observations {
                    add(&s.id, &o.country, LinkKind::Ip);
                }
            }
        }
        out
    }
}

fn individual_countries(i: &Individual, out: &mut Vec<Country>) {
    out.extend(i.citizenships.iter().cloned());
    if let Some(a) = &i.residence {
        out.push(a.country.clone());
    }
    out.extend(i.national_ids.iter().map(|n| n.country.clone()));
}

impl CustomerSummary {
    pub fn active_subjects(&self) -> impl Iterator<Item = &SubjectSummary> {
        self.subjects.iter().filter(|s| s.qualifies && !s.removed)
    }

    /// EO 5(k): the customer and all its beneficial owners are United States persons.
    pub fn all_us_persons(&self) -> bool {
        self.active_subjects().all(|s| s.us_person)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn person(name: &str, citizenship: &str) -> Individual {
        Individual {
            full_name: name.into(),
            given_names: None,
            family_name: None,
            date_of_birth: None,
            citizenships: vec![Country::parse(citizenship).unwrap()],
            us_lawful_permanent_resident: false,
            residence: None,
            national_ids: vec![],
        }
    }

    /// A customer with owners of these shares; its subjects are `sub_0` (itself), `sub_1`...
    fn customer(shares: &[f64]) -> Customer {
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let (profile, owners) = if shares.is_empty() {
            (
                CustomerProfile::Individual(person("Lena Fischer", "DE")),
                vec![],
            )
        } else {
            (
                CustomerProfile::Entity(Entity {
                    legal_name: "Blue Mesa Compute LLC".into(),
                    jurisdiction: Country::parse("US").unwrap(),
                    jurisdiction_subdivision: None,
                    registration_number: None,
                    lei: None,
                    addresses: vec![],
                }),
                shares
                    .iter()
                    .map(|p| BeneficialOwner {
                        person: person("Chen Wei", "CN"),
                        ownership_percent: Some(*p),
                        substantial_control: false,
                        title: None,
                    })
                    .collect(),
            )
        };
        let ids = (0..=shares.len())
            .map(|i| SubjectId::parse(&format!("sub_{i}")).unwrap())
            .collect();
        Customer::new(
            CustomerId::parse("cus_1").unwrap(),
            now,
            profile,
            owners,
            ids,
            None,
            &CipPolicy::default(),
        )
        .unwrap()
    }

    /// `expect`: the subject chosen, or the field the refusal names.
    fn check(shares: &[f64], named: Option<&str>, expect: Result<&str, &str>) {
        let named = named.map(|n| SubjectId::parse(n).unwrap());
        let got = customer(shares).result_subject(named.as_ref());
        match (got, expect) {
            (Ok(s), Ok(e)) => assert_eq!(s.as_str(), e),
            (Err(CoreError::Invalid { field, .. }), Err(e)) => assert_eq!(field, e),
            (Err(CoreError::NotFound(what)), Err(e)) => assert!(what.contains(e), "{what}"),
            (got, _) => panic!("{shares:?} {named:?}: {got:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn a_result_names_its_subject_when_more_than_one_could_be_meant() {
        // One subject: it is the one meant.
        check(&[], None, Ok("sub_0"));
        check(&[], Some("sub_0"), Ok("sub_0"));
        // An entity alone, or with owners below the threshold: only the entity counts.
        check(&[5.0], None, Ok("sub_0"));
        // An entity with an owner that counts: the result must say whose it is.
        check(&[30.0], None, Err("subject_id"));
        check(&[30.0], Some("sub_1"), Ok("sub_1"));
        check(&[30.0], Some("sub_0"), Ok("sub_0"));
        check(&[30.0], Some("sub_9"), Err("sub_9"));
    }

    fn result(method: Method, outcome: MethodOutcome) -> MethodResult {
        MethodResult {
            method,
            outcome,
            at: Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
            provider: None,
            reference: None,
            recorded_by: "k".into(),
        }
    }

    fn document(subject: &str) -> Document {
        Document {
            id: format!("doc_{subject}"),
            subject_id: SubjectId::parse(subject).unwrap(),
            kind: DocumentKind::Passport,
            issuing_country: Country::parse("CN").unwrap(),
            number: "E12345678".into(),
            nationality: None,
            expires_on: None,
            mrz: None,
            added_at: Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn a_pass_the_policy_names_needs_its_evidence_on_file() {
        let policy = CipPolicy::default();
        let mut c = customer(&[30.0]);
        let (entity, owner) = (
            SubjectId::parse("sub_0").unwrap(),
            SubjectId::parse("sub_1").unwrap(),
        );
        let pass = result(Method::Document, MethodOutcome::Pass);
        let err = c.record_result(&owner, pass.clone(), &policy).unwrap_err();
        assert!(
            matches!(&err, CoreError::Invalid { field, reason }
                if field == "method" && reason.contains("no identity document on file for subject sub_1")),
            "{err}"
        );
        // A failed or inconclusive check rests on nothing to show.
        for o in [MethodOutcome::Fail, MethodOutcome::Inconclusive] {
            c.record_result(&owner, result(Method::Document, o), &policy)
                .unwrap();
        }
        // Another subject's document is not this one's.
        c.documents.push(document("sub_0"));
        assert!(c.record_result(&owner, pass.clone(), &policy).is_err());
        c.record_result(&entity, pass.clone(), &policy).unwrap();
        c.documents.push(document("sub_1"));
        c.record_result(&owner, pass.clone(), &policy).unwrap();
        // What the policy does not name is taken as reported; what it names is checked.
        c.record_result(&owner, result(Method::Email, MethodOutcome::Pass), &policy)
            .unwrap();
        let mut strict = policy.clone();
        strict.evidence.pass_requires_on_file = vec![Method::Email];
        let err = c
            .record_result(&owner, result(Method::Email, MethodOutcome::Pass), &strict)
            .unwrap_err();
        assert!(
            err.to_string().contains("no email address on file"),
            "{err}"
        );
        let mut lax = policy;
        lax.evidence.pass_requires_on_file = vec![];
        let mut c = customer(&[]);
        c.record_result(&SubjectId::parse("sub_0").unwrap(), pass, &lax)
            .unwrap();
    }
}
