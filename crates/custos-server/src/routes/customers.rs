//! `/v1/customers`: customer records, their contacts, payment means, documents, verification
//! results, reviews, beneficial-owner changes and legal holds.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use custos_core::verification::MethodResult;
use custos_core::{CustomerProfile, LegalHold};
use serde::Serialize;
use utoipa::ToSchema;

use super::{customer_id, reported_at, text};
use crate::AppState;
use crate::auth::{Principal, Purpose};
use crate::dto::*;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;

type Res<T> = Result<(StatusCode, Json<T>), ApiError>;

async fn view(st: &AppState, id: &custos_core::CustomerId) -> Result<CustomerView, ApiError> {
    let (s, accounts) = st.service.customer_status(id).await?;
    Ok(CustomerView::new(&s, &accounts, st.service.policy()))
}

/// The answer of every endpoint that changes a customer: its status after the change.
fn changed(
    st: &AppState,
    status: StatusCode,
    c: &custos_core::Customer,
    accounts: &[custos_core::Account],
) -> Res<CustomerView> {
    let policy = st.service.policy();
    Ok((
        status,
        Json(CustomerView::new(&c.summary(policy), accounts, policy)),
    ))
}

/// Create a customer (individual or entity) and triage it.
#[utoipa::path(post, path = "/v1/customers", operation_id = "create_customer", tag = "customers",
    request_body(content = CreateCustomer, example = json!({
        "individual": {"full_name": "Lena Fischer", "given_names": "Lena", "family_name": "Fischer",
            "date_of_birth": "1988-04-12", "citizenships": ["DE"],
            "residence": {"line1": "Unter den Linden 5", "city": "Berlin", "postal_code": "10117", "country": "DE"},
            "national_ids": [{"country": "DE", "kind": "national_id", "number": "36574261809"}]},
        "external_ref": "signup-7731"})),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    responses((status = 201, body = CustomerView), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<CreateCustomer>,
) -> Res<CustomerView> {
    let profile = match (req.individual, req.entity) {
        (Some(i), None) => CustomerProfile::Individual(i),
        (None, Some(e)) => CustomerProfile::Entity(e),
        _ => {
            return Err(ApiError::Validation {
                field: None,
                detail: "send exactly one of `individual` or `entity`".into(),
            });
        }
    };
    let c = st
        .service
        .create_customer_as(
            profile,
            req.beneficial_owners,
            req.external_ref,
            p.scope.as_ref(),
        )
        .await?;
    let v = CustomerView::new(&c.summary(st.service.policy()), &[], st.service.policy());
    Ok((StatusCode::CREATED, Json(v)))
}

/// Find customers: by verification state, risk, US person or not, creation time, the
/// provider's own reference or reseller, in id order. No personal data, and no filter on it
/// (that is the audited search's). A reseller's key finds those with an account under its
/// reseller account.
#[utoipa::path(get, path = "/v1/customers", operation_id = "list_customers", tag = "customers",
    params(CustomerListQuery),
    responses((status = 200, body = ListOf<CustomerView>), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<CustomerListQuery>,
) -> Result<Json<ListOf<CustomerView>>, ApiError> {
    let limit = custos_app::browse::limit(q.limit)?;
    let reseller = q
        .reseller_account_id
        .as_deref()
        .map(|r| {
            custos_core::AccountId::parse(r)
                .map_err(|_| ApiError::validation("reseller_account_id", "is not an account id"))
        })
        .transpose()?;
    // A reseller's key finds the customers under its own account only.
    let reseller = p.within(&st.service, reseller).await?;
    if let Some(r) = &q.external_ref {
        text("external_ref", r)?;
    }
    let f = custos_app::browse::CustomerFilter {
        stored: custos_app::browse::CustomerQuery {
            created_from: q.created_from,
            created_to: q.created_to,
            external_ref: q.external_ref,
            reseller,
        },
        state: q.verification_state,
        risk: q.risk,
        us_person: q.us_person,
    };
    let page = st
        .service
        .list_customers(&f, q.starting_after.as_deref(), limit)
        .await?;
    let policy = st.service.policy();
    Ok(Json(ListOf::of(page, |(s, accounts)| {
        CustomerView::new(&s, &accounts, policy)
    })))
}

/// Legal holds: every one, a customer's, or those in force (`released=false`), in id order.
#[utoipa::path(get, path = "/v1/legal-holds", operation_id = "list_legal_holds", tag = "legal",
    params(HoldListQuery),
    responses((status = 200, body = ListOf<HoldView>), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn holds(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<HoldListQuery>,
) -> Result<Json<ListOf<HoldView>>, ApiError> {
    let limit = custos_app::browse::limit(q.limit)?;
    let customer = q
        .customer_id
        .as_deref()
        .map(|c| {
            custos_core::CustomerId::parse(c)
                .map_err(|_| ApiError::validation("customer_id", "is not a customer id"))
        })
        .transpose()?;
    let hq = custos_app::browse::HoldQuery {
        customer,
        released: q.released,
    };
    let page = st
        .service
        .list_holds(&hq, q.starting_after.as_deref(), limit)
        .await?;
    Ok(Json(ListOf::of(page, |(customer_id, hold)| HoldView {
        customer_id,
        hold,
    })))
}

/// Which legal holds.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HoldListQuery {
    pub customer_id: Option<String>,
    /// `true`: released ones; `false`: those in force.
    pub released: Option<bool>,
    /// The `next_cursor` of the page before.
    pub starting_after: Option<String>,
    /// 1 to 100; default 20.
    pub limit: Option<u32>,
}

/// A customer's compliance status: triage, verification state and accounts. No personal data.
#[utoipa::path(get, path = "/v1/customers/{id}", operation_id = "get_customer", tag = "customers",
    params(("id" = String, Path, example = "cus_demo_foreign_individual")),
    responses((status = 200, body = CustomerView), (status = 404, body = Problem), (status = 410, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CustomerView>, ApiError> {
    Ok(Json(view(&st, &customer_id(&id)?).await?))
}

/// Read a customer's personal data. Needs a reviewer-or-higher role and a purpose in
/// `X-Custos-Purpose`; every read is written to the audit trail before anything is returned.
#[utoipa::path(get, path = "/v1/customers/{id}/record", tag = "customers",
    params(("id" = String, Path, example = "cus_demo_foreign_individual"),
        ("X-Custos-Purpose" = String, Header, description = "Why the data is read, e.g. a case number")),
    responses((status = 200, description = "The full record", body = Object), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn record(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    purpose: Result<Purpose, ApiError>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let purpose = purpose?;
    let id = customer_id(&id)?;
    let (c, accounts, holds) = st
        .service
        .read_customer(&id, &p.actor(), &purpose.0)
        .await?;
    let mut customer = serde_json::to_value(&c).map_err(|_| ApiError::Internal)?;
    // The list versions last screened against, as every answer names them: by list and the
    // version's number within it (the record keeps the versions' ids).
    if let Some(v) = customer.pointer_mut("/screening/versions") {
        *v = serde_json::to_value(st.service.numbered(&c.screening.versions).await?)
            .map_err(|_| ApiError::Internal)?;
    }
    Ok(Json(serde_json::json!({
        "customer": customer,
        "accounts": accounts.iter().map(AccountView::from).collect::<Vec<_>>(),
        "legal_holds": holds,
    })))
}

/// A customer's connected group through the values customers share (an email in its
/// provider-aware form, a phone, a document or national id, a card, an IBAN, a wallet), found
/// through the blind indexes: each link names the kind shared, never the value, and when it
/// appeared. A value more other customers share than the policy's `detection.share_cap` is reported
/// as widely shared and not followed. Reveals links between people: a read of personal data,
/// with a purpose in `X-Custos-Purpose`, audited.
#[utoipa::path(get, path = "/v1/customers/{id}/links", operation_id = "get_customer_links", tag = "customers",
    params(("id" = String, Path, example = "cus_demo_foreign_individual"),
        ("X-Custos-Purpose" = String, Header, description = "Why the links are read, e.g. a case number")),
    responses((status = 200, body = custos_app::links::LinkGroup), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn links(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    purpose: Result<Purpose, ApiError>,
) -> Result<Json<custos_app::links::LinkGroup>, ApiError> {
    let purpose = purpose?;
    let id = customer_id(&id)?;
    Ok(Json(
        st.service
            .customer_links(&p.actor(), &purpose.0, &id)
            .await?,
    ))
}

/// Find the customers whose records hold a value (exact match through blind indexes).
/// Reveals links between customers, so it is treated as a read of personal data.
#[utoipa::path(post, path = "/v1/customers/search", tag = "customers",
    request_body(content = SearchInput, example = json!({"kind": "email", "value": "lena.fischer@example.de"})),
    params(("X-Custos-Purpose" = String, Header, description = "Why the search is made")),
    responses((status = 200, body = SearchResult), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn search(
    State(st): State<AppState>,
    p: Principal,
    purpose: Result<Purpose, ApiError>,
    ApiJson(req): ApiJson<SearchInput>,
) -> Res<SearchResult> {
    let purpose = purpose?;
    let ids = st
        .service
        .search_customers(&p.actor(), &purpose.0, req.kind, req.value)
        .await?;
    Ok((StatusCode::OK, Json(SearchResult { customer_ids: ids })))
}

/// Add an email address or telephone number used to verify identity.
#[utoipa::path(post, path = "/v1/customers/{id}/contacts", tag = "customers",
    request_body(content = AddContact, example = json!({"kind": "email", "value": "lena.fischer@example.de",
        "verified_at": "2026-11-20T10:00:00Z"})),
    params(("id" = String, Path, example = "cus_demo_foreign_individual")),
    responses((status = 201, body = AddedRecord), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_contact(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<AddContact>,
) -> Res<AddedRecord> {
    let id = customer_id(&id)?;
    let added = st.service.add_contact(&id, req).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// Add a means of payment (EO 1(a)(ii)(B)). A full card number is fingerprinted and dropped.
#[utoipa::path(post, path = "/v1/customers/{id}/payment-means", tag = "customers",
    request_body(content = AddPaymentMeans, example = json!({
        "card": {"number": "4111 1111 1111 1111", "expiry_month": 12, "expiry_year": 2030},
        "financial_institution": "Deutsche Bank", "provider_customer_ref": "cus_P9x2",
        "transaction_ids": ["ch_3PqL2"]})),
    params(("id" = String, Path, example = "cus_demo_foreign_individual")),
    responses((status = 201, body = AddedRecord), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_payment_means(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<AddPaymentMeans>,
) -> Res<AddedRecord> {
    let id = customer_id(&id)?;
    let added = st.service.add_payment_means(&id, &req).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// Add documentary evidence (passport, ID card, permanent resident card, company registration).
/// A document can change triage: a US passport makes its holder a US citizen.
#[utoipa::path(post, path = "/v1/customers/{id}/documents", tag = "customers",
    request_body(content = AddDocument, example = json!({"kind": "passport", "issuing_country": "DE",
        "number": "C01X00T47", "nationality": "DE", "expires_on": "2031-08-14"})),
    params(("id" = String, Path, example = "cus_demo_foreign_individual")),
    responses((status = 201, body = DocumentAdded), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_document(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<AddDocument>,
) -> Res<DocumentAdded> {
    let id = customer_id(&id)?;
    let (added, c, accounts) = st.service.add_document(&id, req).await?;
    let (status, Json(customer)) = changed(&st, StatusCode::CREATED, &c, &accounts)?;
    Ok((
        status,
        Json(DocumentAdded {
            document: added,
            customer,
        }),
    ))
}

/// A document as added, and the customer after it (a document can change triage).
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentAdded {
    #[serde(flatten)]
    pub document: AddedRecord,
    pub customer: CustomerView,
}

/// Record an address change the customer declared. Triage is recomputed: a customer who was a
/// US person only by being located in the US stops being one when the new address is abroad.
#[utoipa::path(post, path = "/v1/customers/{id}/address-changes", tag = "customers",
    request_body(content = AddressChange, example = json!({"address": {"line1": "Rue de Rivoli 10",
        "city": "Paris", "postal_code": "75001", "country": "FR"}})),
    params(("id" = String, Path, example = "cus_demo_us_individual")),
    responses((status = 200, body = CustomerView), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn address_change(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<AddressChange>,
) -> Res<CustomerView> {
    let id = customer_id(&id)?;
    let (c, accounts) = st.service.change_address(&id, req).await?;
    changed(&st, StatusCode::OK, &c, &accounts)
}

/// Report the result of a verification method for a subject. `subject_id` may be left out
/// only when the customer has one subject that counts (then it is that one).
#[utoipa::path(post, path = "/v1/customers/{id}/verification-results", tag = "verification",
    request_body(content = VerificationResultInput, example = json!({"method": "email", "outcome": "pass",
        "provider": "acme-kyc", "reference": "chk_7Hq2"})),
    params(("id" = String, Path, example = "cus_demo_foreign_individual")),
    responses((status = 200, body = CustomerView), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn verification_result(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<VerificationResultInput>,
) -> Res<CustomerView> {
    let id = customer_id(&id)?;
    let at = reported_at(req.at, st.service.now())?;
    let result = MethodResult {
        method: req.method,
        outcome: req.outcome,
        at,
        provider: req
            .provider
            .as_deref()
            .map(|s| text("provider", s))
            .transpose()?,
        reference: req
            .reference
            .as_deref()
            .map(|s| text("reference", s))
            .transpose()?,
        recorded_by: p.key_id.clone(),
    };
    let (c, accounts) = st
        .service
        .record_result(&id, req.subject_id, result)
        .await?;
    changed(&st, StatusCode::OK, &c, &accounts)
}

/// A reviewer's decision on a subject: verified or failed, with the reason. Failing a subject
/// refuses its accounts: decided by a person, it waits for a second one (`202`).
#[utoipa::path(post, path = "/v1/customers/{id}/reviews", tag = "verification",
    request_body(content = ReviewInput, example = json!({"subject_id": "sub_demo_foreign_individual",
        "outcome": "verified", "reason": "passport checked by video call, case R-1182"})),
    params(("id" = String, Path, example = "cus_demo_foreign_individual")),
    responses((status = 200, body = CustomerView),
        (status = 202, body = custos_app::approvals::ApprovalView,
            description = "A person failed the subject: it waits for a second person (`/v1/approvals`)"),
        (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn review(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ReviewInput>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let id = customer_id(&id)?;
    match st
        .service
        .decide_review(&p.actor(), &id, &req.subject_id, req.outcome, &req.reason)
        .await?
    {
        custos_app::approvals::Decided::Done((c, accounts)) => {
            Ok(changed(&st, StatusCode::OK, &c, &accounts).into_response())
        }
        custos_app::approvals::Decided::Waiting(a) => Ok(super::approvals::waiting(a)),
    }
}

/// Redress: a customer whose verification failed submits again, as the CIP policy allows.
#[utoipa::path(post, path = "/v1/customers/{id}/resubmissions", tag = "verification",
    request_body(content = ResubmitInput, example = json!({"reason": "new passport scan provided"})),
    params(("id" = String, Path, example = "cus_demo_failed")),
    responses((status = 200, body = CustomerView), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn resubmit(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ResubmitInput>,
) -> Res<CustomerView> {
    let reason = req
        .reason
        .as_deref()
        .map(|n| text("reason", n))
        .transpose()?;
    let id = customer_id(&id)?;
    let (c, accounts) = st.service.resubmit(&p.actor(), &id, reason).await?;
    changed(&st, StatusCode::OK, &c, &accounts)
}

/// Record a change of beneficial owners that the customer reported. New owners are triaged and,
/// if foreign and above the threshold, must be verified before the accounts are approved again.
#[utoipa::path(post, path = "/v1/customers/{id}/beneficial-owner-changes", tag = "customers",
    request_body(content = OwnerChange, example = json!({
        "added": [{"person": {"full_name": "Aiko Tanaka", "citizenships": ["JP"],
            "residence": {"line1": "1-1 Marunouchi", "city": "Tokyo", "country": "JP"}},
            "ownership_percent": 40.0}],
        "removed": ["sub_demo_owner_2"]})),
    params(("id" = String, Path, example = "cus_demo_foreign_entity")),
    responses((status = 200, body = CustomerView), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn owner_change(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<OwnerChange>,
) -> Res<CustomerView> {
    let id = customer_id(&id)?;
    if req.added.is_empty() && req.removed.is_empty() {
        return Err(ApiError::Validation {
            field: None,
            detail: "report at least one added or removed owner".into(),
        });
    }
    let (_, c, accounts) = st
        .service
        .report_owner_change(&id, req.added, req.removed)
        .await?;
    changed(&st, StatusCode::OK, &c, &accounts)
}

/// Put a legal hold on a customer's records: nothing is destroyed while it is in force.
#[utoipa::path(post, path = "/v1/customers/{id}/legal-holds", tag = "legal",
    request_body(content = LegalHoldInput, example = json!({"reason": "grand jury subpoena",
        "reference": "GJ-2026-0412"})),
    params(("id" = String, Path, example = "cus_demo_us_individual")),
    responses((status = 201, body = Object), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn place_hold(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<LegalHoldInput>,
) -> Res<LegalHold> {
    let id = customer_id(&id)?;
    let reason = text("reason", &req.reason)?;
    let reference = req
        .reference
        .as_deref()
        .map(|r| text("reference", r))
        .transpose()?;
    let h = st
        .service
        .place_hold(&id, reason, reference, &p.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(h)))
}

/// Take a legal hold off.
#[utoipa::path(post, path = "/v1/customers/{id}/legal-holds/{hold_id}/release", tag = "legal",
    params(("id" = String, Path, example = "cus_demo_held"), ("hold_id" = String, Path, example = "hold_demo_1")),
    responses((status = 200, body = Object), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn release_hold(
    State(st): State<AppState>,
    p: Principal,
    ApiPath((id, hold_id)): ApiPath<(String, String)>,
) -> Res<LegalHold> {
    let id = customer_id(&id)?;
    let h = st.service.release_hold(&id, &hold_id, &p.actor()).await?;
    Ok((StatusCode::OK, Json(h)))
}
