//! `/v1/customers`: customer records, their contacts, payment means, documents, verification
//! results, reviews, beneficial-owner changes and legal holds.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Datelike;
use custos_core::customer::{PaymentInstrument, PaymentMeans, PaymentSource};
use custos_core::verification::{ManualDecision, MethodResult};
use custos_core::{Contact, CustomerProfile, Document, LegalHold};
use custos_ids::card::facts;
use custos_store::IndexKind;
use custos_store::blind::card_fingerprint_key;

use super::{customer_id, reported_at, text};
use crate::AppState;
use crate::auth::{Permission, Principal, Purpose};
use crate::dto::*;
use crate::error::{ApiError, Problem};
use crate::json::ApiJson;
use crate::service::new_id;

type Res<T> = Result<(StatusCode, Json<T>), ApiError>;

async fn view(st: &AppState, id: &custos_core::CustomerId) -> Result<CustomerView, ApiError> {
    let s = st.service.store().load_summary(id).await?.value;
    let accounts = st.service.store().accounts_of(id).await?;
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
#[utoipa::path(post, path = "/v1/customers", tag = "customers",
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
    p.require(Permission::Intake)?;
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
        .create_customer(profile, req.beneficial_owners, req.external_ref)
        .await?;
    if let Some(scope) = &p.scope {
        st.service.record_customer_owner(&c.id, scope).await?;
    }
    let v = CustomerView::new(&c.summary(st.service.policy()), &[], st.service.policy());
    Ok((StatusCode::CREATED, Json(v)))
}

/// A customer's compliance status: triage, verification state and accounts. No personal data.
#[utoipa::path(get, path = "/v1/customers/{id}", tag = "customers",
    params(("id" = String, Path, example = "cus_demo_foreign_individual")),
    responses((status = 200, body = CustomerView), (status = 404, body = Problem), (status = 410, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<CustomerView>, ApiError> {
    p.require(Permission::ReadDecisions)?;
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
    Path(id): Path<String>,
    purpose: Result<Purpose, ApiError>,
) -> Result<Json<serde_json::Value>, ApiError> {
    p.require(Permission::ReadPersonal)?;
    let purpose = purpose?;
    let id = customer_id(&id)?;
    let (c, accounts, holds) = st
        .service
        .read_customer(&id, &p.actor(), &purpose.0)
        .await?;
    Ok(Json(serde_json::json!({
        "customer": c,
        "accounts": accounts.iter().map(AccountView::from).collect::<Vec<_>>(),
        "legal_holds": holds,
    })))
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
    p.require(Permission::ReadPersonal)?;
    let purpose = purpose?;
    let store = st.service.store();
    let (kind, value) = match req.kind {
        SearchKind::Email => (IndexKind::Email, req.value),
        SearchKind::Phone => (IndexKind::Phone, req.value),
        SearchKind::NationalId => (IndexKind::NationalId, req.value),
        SearchKind::Iban => (IndexKind::Iban, req.value),
        SearchKind::Wallet => (IndexKind::Wallet, req.value),
        SearchKind::CardNumber => {
            let key = card_fingerprint_key(store.index_key());
            let f = facts(&req.value, &key).map_err(|e| ApiError::validation("value", e))?;
            (IndexKind::CardFingerprint, f.fingerprint)
        }
    };
    st.service
        .audit(
            &p.actor(),
            Some(&purpose.0),
            "search_customers",
            kind.as_str(),
        )
        .await?;
    let ids = store.find_customers(kind, &value).await?;
    Ok((StatusCode::OK, Json(SearchResult { customer_ids: ids })))
}

/// Add an email address or telephone number used to verify identity.
#[utoipa::path(post, path = "/v1/customers/{id}/contacts", tag = "customers",
    request_body(content = AddContact, example = json!({"kind": "email", "value": "lena.fischer@example.de",
        "verified_at": "2026-11-20T10:00:00Z"})),
    params(("id" = String, Path, example = "cus_demo_foreign_individual")),
    responses((status = 201, body = Created), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_contact(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AddContact>,
) -> Res<Created> {
    p.require(Permission::Intake)?;
    let id = customer_id(&id)?;
    let raw = text("value", &req.value)?;
    // Kept in canonical form: E.164 for phones; the IDNA (ASCII) domain for emails.
    let checked = match req.kind {
        custos_core::ContactKind::Email => custos_ids::email::check(&raw),
        custos_core::ContactKind::Phone => custos_ids::phone::check(&raw),
    };
    let value = checked
        .map_err(|e| ApiError::validation("value", e))?
        .normalized
        .unwrap_or(raw);
    let cid = new_id("con_");
    let (_, _, _) = st
        .service
        .mutate(&id, |c, _, now| {
            let subject = req
                .subject_id
                .clone()
                .unwrap_or_else(|| c.customer_subject().clone());
            c.add_contact(Contact {
                id: cid.clone(),
                subject_id: subject,
                kind: req.kind,
                value: value.clone(),
                verified_at: req.verified_at,
                added_at: now,
            })?;
            Ok(())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: cid })))
}

fn instrument(st: &AppState, req: &AddPaymentMeans) -> Result<PaymentInstrument, ApiError> {
    match (&req.card, &req.bank_account, &req.wallet) {
        (Some(card), None, None) => {
            if !(1..=12).contains(&card.expiry_month) {
                return Err(ApiError::validation("card.expiry_month", "must be 1 to 12"));
            }
            let this_year = chrono::Utc::now().year();
            if !(2000..=2100).contains(&i32::from(card.expiry_year))
                || i32::from(card.expiry_year) < this_year - 30
            {
                return Err(ApiError::validation(
                    "card.expiry_year",
                    "is not a plausible year",
                ));
            }
            let (brand, bin, last4, fingerprint) = match &card.number {
                Some(n) => {
                    let key = card_fingerprint_key(st.service.store().index_key());
                    let f = facts(n, &key).map_err(|e| ApiError::validation("card.number", e))?;
                    (f.brand.to_owned(), f.bin, f.last4, f.fingerprint)
                }
                None => {
                    let bin = card.bin.clone().unwrap_or_default();
                    let last4 = card.last4.clone().unwrap_or_default();
                    if !(6..=8).contains(&bin.len()) || !bin.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(ApiError::validation("card.bin", "must be 6 to 8 digits"));
                    }
                    if last4.len() != 4 || !last4.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(ApiError::validation("card.last4", "must be 4 digits"));
                    }
                    let brand = card.brand.clone().unwrap_or_else(|| {
                        custos_ids::card::brand(&bin)
                            .map_or("unknown", |b| b.0)
                            .to_owned()
                    });
                    (brand, bin, last4, String::new())
                }
            };
            Ok(PaymentInstrument::Card {
                brand,
                bin,
                last4,
                expiry_month: card.expiry_month,
                expiry_year: card.expiry_year,
                fingerprint,
                country: card.country.clone(),
            })
        }
        (None, Some(b), None) => {
            let iban = b
                .iban
                .as_deref()
                .map(|i| {
                    custos_ids::bank::iban(i)
                        .map(|p| p.normalized.unwrap_or_default())
                        .map_err(|e| ApiError::validation("bank_account.iban", e))
                })
                .transpose()?;
            if let Some(bic) = &b.bic {
                custos_ids::bank::bic(bic)
                    .map_err(|e| ApiError::validation("bank_account.bic", e))?;
            }
            if iban.is_none() && b.account_number.is_none() {
                return Err(ApiError::validation(
                    "bank_account",
                    "needs an `iban` or an `account_number`",
                ));
            }
            if let Some(a) = &b.account_number {
                text("bank_account.account_number", a)?;
            }
            if let Some(r) = &b.routing_number {
                text("bank_account.routing_number", r)?;
                let us = b.country.as_ref().is_none_or(|c| c.as_str() == "US");
                if us {
                    custos_ids::us::aba(r)
                        .map_err(|e| ApiError::validation("bank_account.routing_number", e))?;
                }
            }
            Ok(PaymentInstrument::BankAccount {
                iban,
                bic: b.bic.as_ref().map(|s| s.trim().to_ascii_uppercase()),
                account_number: b.account_number.clone(),
                routing_number: b.routing_number.clone(),
                country: b.country.clone(),
            })
        }
        (None, None, Some(w)) => {
            let chain = text("wallet.chain", &w.chain)?.to_ascii_lowercase();
            let address = text("wallet.address", &w.address)?;
            let p = custos_ids::wallet::check(&format!("{chain}:{address}"))
                .map_err(|e| ApiError::validation("wallet.address", e))?;
            Ok(PaymentInstrument::Wallet {
                chain,
                address: p.normalized.unwrap_or(address),
            })
        }
        _ => Err(ApiError::Validation {
            field: None,
            detail: "send exactly one of `card`, `bank_account` or `wallet`".into(),
        }),
    }
}

/// Add a means of payment (EO 1(a)(ii)(B)). A full card number is fingerprinted and dropped.
#[utoipa::path(post, path = "/v1/customers/{id}/payment-means", tag = "customers",
    request_body(content = AddPaymentMeans, example = json!({
        "card": {"number": "4111 1111 1111 1111", "expiry_month": 12, "expiry_year": 2030},
        "financial_institution": "Deutsche Bank", "provider_customer_ref": "cus_P9x2",
        "transaction_ids": ["ch_3PqL2"]})),
    params(("id" = String, Path, example = "cus_demo_foreign_individual")),
    responses((status = 201, body = Created), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_payment_means(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AddPaymentMeans>,
) -> Res<Created> {
    p.require(Permission::Intake)?;
    let id = customer_id(&id)?;
    let instrument = instrument(&st, &req)?;
    if let Some(PaymentSource::ThirdParty { name }) = &req.source {
        text("source.name", name)?;
    }
    let pid = new_id("pay_");
    st.service
        .mutate(&id, |c, _, now| {
            c.add_payment_means(PaymentMeans {
                id: pid.clone(),
                instrument: instrument.clone(),
                financial_institution: req.financial_institution.clone(),
                provider_customer_ref: req.provider_customer_ref.clone(),
                transaction_ids: req.transaction_ids.clone(),
                source: req.source.clone().unwrap_or(PaymentSource::Customer),
                added_at: now,
            })?;
            Ok(())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id: pid })))
}

/// Add documentary evidence (passport, ID card, permanent resident card, company registration).
/// A document can change triage: a US passport makes its holder a US citizen.
#[utoipa::path(post, path = "/v1/customers/{id}/documents", tag = "customers",
    request_body(content = AddDocument, example = json!({"kind": "passport", "issuing_country": "DE",
        "number": "C01X00T47", "nationality": "DE", "expires_on": "2031-08-14"})),
    params(("id" = String, Path, example = "cus_demo_foreign_individual")),
    responses((status = 201, body = CustomerView), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_document(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AddDocument>,
) -> Res<CustomerView> {
    p.require(Permission::Intake)?;
    let id = customer_id(&id)?;
    let policy = st.service.policy().clone();
    let (_, c, accounts) = st
        .service
        .mutate(&id, |c, _, now| {
            let subject = req
                .subject_id
                .clone()
                .unwrap_or_else(|| c.customer_subject().clone());
            c.add_document(
                Document {
                    id: new_id("doc_"),
                    subject_id: subject,
                    kind: req.kind,
                    issuing_country: req.issuing_country.clone(),
                    number: req.number.clone(),
                    nationality: req.nationality.clone(),
                    expires_on: req.expires_on,
                    mrz: req.mrz.clone(),
                    added_at: now,
                },
                &policy,
                now,
            )?;
            Ok(())
        })
        .await?;
    changed(&st, StatusCode::CREATED, &c, &accounts)
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
    p: Principal,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AddressChange>,
) -> Res<CustomerView> {
    p.require(Permission::Intake)?;
    let id = customer_id(&id)?;
    let policy = st.service.policy().clone();
    let (_, c, accounts) = st
        .service
        .mutate(&id, |c, _, now| {
            c.change_address(req.address.clone(), &policy, now)?;
            Ok(())
        })
        .await?;
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
    Path(id): Path<String>,
    ApiJson(req): ApiJson<VerificationResultInput>,
) -> Res<CustomerView> {
    p.require(Permission::Intake)?;
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

/// A reviewer's decision on a subject: verified or failed, with the reason.
#[utoipa::path(post, path = "/v1/customers/{id}/reviews", tag = "verification",
    request_body(content = ReviewInput, example = json!({"subject_id": "sub_demo_foreign_individual",
        "outcome": "verified", "reason": "passport checked by video call, case R-1182"})),
    params(("id" = String, Path, example = "cus_demo_foreign_individual")),
    responses((status = 200, body = CustomerView), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn review(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReviewInput>,
) -> Res<CustomerView> {
    p.require(Permission::Review)?;
    let id = customer_id(&id)?;
    let reason = text("reason", &req.reason)?;
    let d = ManualDecision {
        outcome: req.outcome,
        reason,
        by: p.key_id.clone(),
        at: st.service.now(),
    };
    let (c, accounts) = st.service.review(&id, &req.subject_id, d).await?;
    st.service
        .audit(
            &p.actor(),
            None,
            "review_subject",
            &format!("{id}/{}", req.subject_id),
        )
        .await?;
    changed(&st, StatusCode::OK, &c, &accounts)
}

/// Redress: a customer whose verification failed submits again, as the CIP policy allows.
#[utoipa::path(post, path = "/v1/customers/{id}/resubmissions", tag = "verification",
    request_body(content = ResubmitInput, example = json!({"note": "new passport scan provided"})),
    params(("id" = String, Path, example = "cus_demo_failed")),
    responses((status = 200, body = CustomerView), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn resubmit(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ResubmitInput>,
) -> Res<CustomerView> {
    if !(Permission::Intake.allows(p.role) || Permission::Review.allows(p.role)) {
        p.require(Permission::Review)?;
    }
    if let Some(n) = &req.note {
        text("note", n)?;
    }
    let id = customer_id(&id)?;
    let (c, accounts) = st.service.resubmit(&id).await?;
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
    p: Principal,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<OwnerChange>,
) -> Res<CustomerView> {
    p.require(Permission::Intake)?;
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
    Path(id): Path<String>,
    ApiJson(req): ApiJson<LegalHoldInput>,
) -> Res<LegalHold> {
    p.require(Permission::LegalHold)?;
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
    Path((id, hold_id)): Path<(String, String)>,
) -> Res<LegalHold> {
    p.require(Permission::LegalHold)?;
    let id = customer_id(&id)?;
    let h = st.service.release_hold(&id, &hold_id, &p.actor()).await?;
    Ok((StatusCode::OK, Json(h)))
}
