//! What a customer record holds: its profile, beneficial owners, subjects, contacts, means of payment, documents, observations and holds, and the clear summary derived from it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{AccountId, Country, CustomerId, SubjectId};
use crate::kinds::SubjectRole;
use crate::screening::{CaseSummary, Screening};
use crate::us_person::Triage;
use crate::verification::SubjectVerification;

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
    /// When it lapses by itself (a preservation's 90 days); none: until released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl LegalHold {
    /// Whether it keeps the customer's records at `now`: not released, not lapsed.
    pub fn in_force(&self, now: DateTime<Utc>) -> bool {
        self.released_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
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
    /// When each resubmission was made, and why (what the customer provided anew), as the
    /// caller said.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resubmission_log: Vec<Resubmission>,
    /// Addresses replaced by a declared change, with when they stopped being current. Records
    /// outlive the facts they describe.
    #[serde(default)]
    pub address_history: Vec<(DateTime<Utc>, Address)>,
    /// Screening cases against designated lists and jurisdictions.
    #[serde(default)]
    pub screening: Screening,
    /// What the red-flag rules made of the customer when its records last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection: Option<crate::flags::CustomerDetection>,
}

/// One subject in the clear summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SubjectSummary {
    pub id: SubjectId,
    pub role: SubjectRole,
    pub qualifies: bool,
    pub removed: bool,
    pub us_person: bool,
    pub basis: crate::us_person::UsPersonBasis,
    pub verification: SubjectVerification,
}

/// What the decision path may know without decrypting: no names, numbers, addresses or countries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerSummary {
    pub id: CustomerId,
    pub entity: bool,
    pub created_at: DateTime<Utc>,
    /// The provider's own reference for the customer (an opaque id of its systems, not
    /// personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_ref: Option<String>,
    pub subjects: Vec<SubjectSummary>,
    /// Whether any subject is linked to a country the policy rates high-risk.
    pub high_risk_link: bool,
    pub resubmissions: u32,
    /// Screening cases: ids, states and the public terms of the measures (see
    /// [`Screening::summary`]).
    #[serde(default)]
    pub screening: Vec<CaseSummary>,
    /// What the red-flag rules made of the customer (no personal value: see
    /// [`crate::flags::CustomerDetection`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection: Option<crate::flags::CustomerDetection>,
}

/// A resubmission after a failed verification: when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resubmission {
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
