//! Request and response bodies of the API. Requests refuse unknown fields; responses never
//! carry personal data except where an endpoint exists to read it (`/record`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use custos_core::account::{Reason, RequiredStep};
use custos_core::customer::{BeneficialOwner, CustomerSummary, SubjectRole};
use custos_core::verification::{ManualOutcome, Method, MethodOutcome};
use custos_core::{
    Account, AccountDecision, AccountId, AccountKind, AccountStatus, CipPolicy, Country,
    CustomerId, Decision, Entity, Individual, Offering, RiskLevel, SubjectId, UsPersonBasis,
    VerificationState,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Opens a customer record: exactly one of `individual` or `entity`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    #[serde(default)]
    pub individual: Option<Individual>,
    #[serde(default)]
    pub entity: Option<Entity>,
    /// An entity's owners and controllers. Those at or above the policy's threshold (25% by
    /// default), or with substantial control, are triaged and, if foreign, verified.
    #[serde(default)]
    pub beneficial_owners: Vec<BeneficialOwner>,
    /// The provider's own reference for this customer.
    #[serde(default)]
    pub external_ref: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenAccount {
    pub customer_id: CustomerId,
    pub kind: AccountKind,
    #[serde(default = "paid")]
    pub offering: Offering,
    /// For `sub_lessee` (and layered `reseller`) accounts: the reseller account above.
    #[serde(default)]
    pub parent_account_id: Option<AccountId>,
}

fn paid() -> Offering {
    Offering::Paid
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseAccount {
    pub reason: String,
}

pub use custos_app::intake::{AddContact, AddDocument, AddedRecord, AddressChange};
pub use custos_core::payment::{AddPaymentMeans, BankAccountInput, CardInput, WalletInput};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationResultInput {
    /// The subject the result is for. May be left out only when the customer has one subject
    /// that counts (an individual, or an entity without beneficial owners that count); else a
    /// 422 names this field.
    #[serde(default)]
    pub subject_id: Option<SubjectId>,
    pub method: Method,
    pub outcome: MethodOutcome,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    /// When the check was done; now when omitted.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub subject_id: SubjectId,
    pub outcome: ManualOutcome,
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResubmitInput {
    /// Why another chance: what the customer provided anew. (`note`, its name before, is
    /// accepted until the next release.)
    #[serde(default, alias = "note")]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerChange {
    #[serde(default)]
    pub added: Vec<BeneficialOwner>,
    #[serde(default)]
    pub removed: Vec<SubjectId>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalHoldInput {
    pub reason: String,
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessInput {
    /// The IPv4 or IPv6 address the access came from.
    pub ip: String,
    /// The country the provider's geolocation puts that address in. When omitted, custos
    /// looks the address up in its IP country database (`ip_country_db`).
    #[serde(default)]
    pub country: Option<Country>,
    /// When; now when omitted.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

pub use custos_app::reads::{SearchInput, SearchKind};

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    pub customer_ids: Vec<CustomerId>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    pub name: String,
    pub role: crate::auth::Role,
    /// For a `reseller` key: the reseller account it is limited to (and what is under it).
    #[serde(default)]
    pub scope: Option<AccountId>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    pub id: String,
    pub role: crate::auth::Role,
    /// Shown once: store it now.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// One subject of verification, without personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectView {
    pub subject_id: SubjectId,
    pub role: SubjectRole,
    /// Counts for verification: the customer always; an owner at or above the threshold.
    pub qualifies: bool,
    pub removed: bool,
    pub us_person: bool,
    pub basis: UsPersonBasis,
    pub verification_state: VerificationState,
    /// Methods still to pass; `any_of` holds alternatives of which one suffices.
    pub missing_methods: Vec<Method>,
    pub any_of: Vec<Method>,
}

/// An account and its current decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub account_id: AccountId,
    pub customer_id: CustomerId,
    pub kind: AccountKind,
    pub offering: Offering,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_account_id: Option<AccountId>,
    pub opened_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub close_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_access_at: Option<DateTime<Utc>>,
    pub decision: Decision,
    pub account_status: AccountStatus,
    pub required_steps: Vec<RequiredStep>,
    pub reasons: Vec<Reason>,
    pub risk: RiskLevel,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub restrictions: BTreeMap<String, serde_json::Value>,
    /// Special-measure conditions the account is held to (EO 13984 section 2).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub special_measures: Vec<custos_core::screening::AppliedConditions>,
    /// Exemptions (EO 13984 1(c)) that cover the account.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exemptions: Vec<custos_core::exemptions::AppliedExemption>,
    /// What the control plane reported of the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<custos_core::measures::AccountProfile>,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        let AccountDecision {
            decision,
            account_status,
            required_steps,
            reasons,
            risk,
            restrictions,
            special_measures,
            exemptions,
        } = a.decision.clone();
        AccountView {
            account_id: a.id.clone(),
            customer_id: a.customer_id.clone(),
            kind: a.kind,
            offering: a.offering,
            parent_account_id: a.parent_id.clone(),
            opened_at: a.opened_at,
            closed_at: a.closed_at,
            close_reason: a.close_reason.clone(),
            last_access_at: a.last_access_at,
            decision,
            account_status,
            required_steps,
            reasons,
            risk,
            restrictions,
            special_measures,
            exemptions,
            profile: (a.profile != Default::default()).then(|| a.profile.clone()),
        }
    }
}

/// A customer's compliance status, without personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    pub customer_id: CustomerId,
    /// The provider's own reference, when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_ref: Option<String>,
    /// `individual` or `entity`.
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub risk: RiskLevel,
    /// Whether any subject is foreign, so that verification is needed.
    pub verification_required: bool,
    /// Where the customer stands as a whole: `failed` if a subject that counts failed; else
    /// `manual_review`, else `pending`, if one is; `verified` when every one that counts is
    /// done; `not_required` when none needs verifying.
    pub verification_state: VerificationState,
    pub subjects: Vec<SubjectView>,
    pub accounts: Vec<AccountView>,
    /// Screening cases: list entries and their states, not what matched.
    pub screening: Vec<custos_core::screening::CaseSummary>,
}

impl CustomerView {
    pub fn new(s: &CustomerSummary, accounts: &[Account], policy: &CipPolicy) -> Self {
        let (risk, statuses) = custos_core::status::subjects(policy, s, accounts);
        let verification_state = custos_core::status::customer_state(&statuses);
        let subjects = s
            .subjects
            .iter()
            .zip(statuses)
            .map(|(sub, st)| SubjectView {
                subject_id: sub.id.clone(),
                role: sub.role,
                qualifies: sub.qualifies,
                removed: sub.removed,
                us_person: sub.us_person,
                basis: sub.basis,
                verification_state: st.state,
                missing_methods: st.missing,
                any_of: st.any_of,
            })
            .collect();
        CustomerView {
            customer_id: s.id.clone(),
            external_ref: s.external_ref.clone(),
            kind: if s.entity { "entity" } else { "individual" }.into(),
            created_at: s.created_at,
            risk,
            verification_required: !s.all_us_persons(),
            verification_state,
            subjects,
            accounts: accounts.iter().map(AccountView::from).collect(),
            screening: s.screening.clone(),
        }
    }
}

/// A page of a list. When `has_more`, send `next_cursor` back as `starting_after` for the
/// next page. A page may hold fewer than `limit` items and still have more after it (when
/// filters are applied while reading): follow `next_cursor` until it is absent.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListOf<T: ToSchema> {
    pub data: Vec<T>,
    pub has_more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> ListOf<T> {
    /// A page of the application's, each item made into what the API shows.
    pub fn of<U>(p: custos_app::browse::Page<U>, f: impl FnMut(U) -> T) -> Self {
        ListOf {
            data: p.data.into_iter().map(f).collect(),
            has_more: p.has_more,
            next_cursor: p.next_cursor,
        }
    }
}

/// Which customers: filters on what is not personal data.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerListQuery {
    /// `not_required`, `pending`, `verified`, `failed` or `manual_review`.
    pub verification_state: Option<VerificationState>,
    /// `low`, `medium` or `high`.
    pub risk: Option<RiskLevel>,
    /// `true`: customers all of whose subjects are US persons; `false`: the others.
    pub us_person: Option<bool>,
    /// Created at or after (an RFC 3339 time, or a day).
    #[serde(default, deserialize_with = "custos_app::when::start")]
    #[param(value_type = Option<String>)]
    pub created_from: Option<DateTime<Utc>>,
    /// Created before (an RFC 3339 time, or a day: to its end).
    #[serde(default, deserialize_with = "custos_app::when::end")]
    #[param(value_type = Option<String>)]
    pub created_to: Option<DateTime<Utc>>,
    /// The provider's own reference.
    pub external_ref: Option<String>,
    /// With an account at any depth under this reseller account.
    pub reseller_account_id: Option<String>,
    /// The `next_cursor` of the page before.
    pub starting_after: Option<String>,
    /// 1 to 100; default 20.
    pub limit: Option<u32>,
}

/// Which accounts.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccountListQuery {
    /// `pending_verification`, `active`, `restricted`, `suspended` or `closed`.
    pub account_status: Option<AccountStatus>,
    pub kind: Option<AccountKind>,
    pub offering: Option<Offering>,
    pub decision: Option<Decision>,
    pub customer_id: Option<String>,
    /// Directly under this account.
    pub parent_account_id: Option<String>,
    /// At any depth under this reseller account.
    pub reseller_account_id: Option<String>,
    /// The `next_cursor` of the page before.
    pub starting_after: Option<String>,
    /// 1 to 100; default 20.
    pub limit: Option<u32>,
}

/// Paging of a list without filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// The `next_cursor` of the page before.
    pub starting_after: Option<String>,
    /// 1 to 100; default 20.
    pub limit: Option<u32>,
}

/// A legal hold, with its customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldView {
    pub customer_id: CustomerId,
    #[serde(flatten)]
    pub hold: custos_core::LegalHold,
}

/// A page of accounts: `data`, `has_more`, `next_cursor` as every list has them.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountPage {
    pub data: Vec<AccountView>,
    pub has_more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Deprecated (until the next release): `data`.
    #[schema(deprecated)]
    pub accounts: Vec<AccountView>,
    /// Deprecated (until the next release): the last account id, when more follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(deprecated)]
    pub next: Option<AccountId>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: String,
}

/// A page of the audit trail: `data`, `has_more`, `next_cursor` as every list has them.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<custos_app::records::AuditRecord>,
    pub has_more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Deprecated (until the next release): `data`.
    #[schema(value_type = Vec<Object>, deprecated)]
    pub entries: Vec<custos_app::records::AuditRecord>,
    /// Deprecated (until the next release): the last sequence number, when more follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(deprecated)]
    pub next: Option<i64>,
}

/// Paging parameters of the review queue and the audit trail.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// The `next_cursor` of the page before.
    pub starting_after: Option<String>,
    /// Deprecated (until the next release): the last id (or sequence number) of the page
    /// before.
    pub after: Option<String>,
    /// 1 to 1,000; default 100.
    pub limit: Option<u32>,
}
