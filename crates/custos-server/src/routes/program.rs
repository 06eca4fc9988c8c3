//! `/v1/compliance/...` and `/v1/reports/...`: exemptions, program documents, the Abuse
//! Deterrence Program's record, reports on AI-training transactions, re-verification, the
//! deadlines calendar, the program profile, and the CIP certification.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use custos_app::records::DocumentMeta;
use custos_core::CustomerId;
use custos_core::exemptions::Exemption;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::text;
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use custos_app::program::{
    AdpDeviation, AdpRecord, AdpReview, AiTrainingReport, Deadline, NewExemption,
    PROGRAM_DOCUMENTS, Reverification,
};
use custos_app::report::{Certification, Filing, ProgramProfile};
use custos_app::resellers::PROVIDER;

#[derive(Debug, Serialize, ToSchema)]
pub struct ExemptionChange {
    pub exemption: Exemption,
    /// Accounts whose decision changed with it.
    pub redecided: u64,
}

/// Grant an exemption (EO 13984 1(c)) to the provider, a type of account or a lessee, from the
/// requirements it names; the accounts it covers are decided again.
#[utoipa::path(post, path = "/v1/compliance/exemptions", tag = "compliance",
    request_body(content = NewExemption, example = json!({"reason": "Abuse Deterrence Program accepted by Commerce",
        "scope": {"kind": "account_type", "account_kind": "direct", "offering": "paid"},
        "requirements": ["reverification"], "reference": "BIS-EX-2027-01"})),
    responses((status = 201, body = ExemptionChange), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn grant(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<NewExemption>,
) -> Result<(StatusCode, Json<ExemptionChange>), ApiError> {
    text("reason", &req.reason)?;
    if let Some(r) = &req.reference {
        text("reference", r)?;
    }
    let (exemption, redecided) = st.service.grant_exemption(req, &p.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(ExemptionChange {
            exemption,
            redecided,
        }),
    ))
}

/// Every exemption, revoked or not.
#[utoipa::path(get, path = "/v1/compliance/exemptions", tag = "compliance",
    responses((status = 200, body = Vec<Exemption>)),
    security(("bearer" = [])))]
pub async fn exemptions(State(st): State<AppState>) -> Result<Json<Vec<Exemption>>, ApiError> {
    Ok(Json(st.service.exemptions().await?))
}

/// Revoke an exemption now; the accounts it covered are decided again.
#[utoipa::path(post, path = "/v1/compliance/exemptions/{id}/revoke", tag = "compliance",
    params(("id" = String, Path)),
    responses((status = 200, body = ExemptionChange), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn revoke(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ExemptionChange>, ApiError> {
    let (exemption, redecided) = st.service.revoke_exemption(&id, &p.actor()).await?;
    Ok(Json(ExemptionChange {
        exemption,
        redecided,
    }))
}

/// Store a new version of one of the provider's program documents: `cip`, `adp`,
/// `red_flag_procedures` or `reseller_oversight`. The body is the document (PDF, Markdown,
/// text, HTML, DOCX or ODT, up to 20 MiB; its `Content-Type` says which).
#[utoipa::path(put, path = "/v1/compliance/program/{kind}", tag = "compliance",
    request_body(content = Vec<u8>, content_type = "text/markdown"),
    params(("kind" = String, Path, example = "red_flag_procedures"),
        ("X-Custos-File-Name" = String, Header, description = "The document's file name")),
    responses((status = 201, body = Object), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_document(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(kind): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<DocumentMeta>), ApiError> {
    if !PROGRAM_DOCUMENTS.contains(&kind.as_str()) {
        return Err(ApiError::NotFound(format!(
            "no program document `{kind}`: use {}",
            PROGRAM_DOCUMENTS.join(", ")
        )));
    }
    let (media, name) = super::resellers::upload_meta(&headers)?;
    let m = st
        .service
        .put_document(PROVIDER, &kind, &name, &media, &body, &p.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// The Abuse Deterrence Program's record: its documents, reviews and deviations.
#[utoipa::path(get, path = "/v1/compliance/adp", tag = "compliance",
    responses((status = 200, body = AdpRecord)),
    security(("bearer" = [])))]
pub async fn adp(State(st): State<AppState>) -> Result<Json<AdpRecord>, ApiError> {
    Ok(Json(st.service.adp_record().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdpReviewInput {
    pub reviewed_on: NaiveDate,
    pub reviewer: String,
    pub summary: String,
    #[serde(default)]
    pub findings: Vec<String>,
    pub next_review: Option<NaiveDate>,
}

/// Record a review of the Abuse Deterrence Program.
#[utoipa::path(post, path = "/v1/compliance/adp/reviews", tag = "compliance",
    request_body(content = AdpReviewInput, example = json!({"reviewed_on": "2026-11-01",
        "reviewer": "Internal audit", "summary": "Red-flag procedures followed",
        "findings": ["two alerts closed late"], "next_review": "2027-11-01"})),
    responses((status = 201, body = AdpReview), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_review(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<AdpReviewInput>,
) -> Result<(StatusCode, Json<AdpReview>), ApiError> {
    let findings = req
        .findings
        .iter()
        .map(|f| text("findings", f))
        .collect::<Result<Vec<_>, _>>()?;
    let r = st
        .service
        .add_adp_review(
            AdpReview {
                id: String::new(),
                reviewed_on: req.reviewed_on,
                reviewer: text("reviewer", &req.reviewer)?,
                summary: text("summary", &req.summary)?,
                findings,
                next_review: req.next_review,
                recorded_by: String::new(),
            },
            &p.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviationInput {
    pub occurred_at: DateTime<Utc>,
    pub description: String,
}

/// Log a deviation from the Abuse Deterrence Program; its notice is due 30 days later (the
/// policy's `compliance.adp_deviation_notice_days`).
#[utoipa::path(post, path = "/v1/compliance/adp/deviations", tag = "compliance",
    request_body(content = DeviationInput, example = json!({"occurred_at": "2026-11-20T10:00:00Z",
        "description": "Red-flag alerts were not triaged for 72 hours during an outage"})),
    responses((status = 201, body = AdpDeviation), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_deviation(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<DeviationInput>,
) -> Result<(StatusCode, Json<AdpDeviation>), ApiError> {
    let d = st
        .service
        .add_adp_deviation(
            req.occurred_at,
            text("description", &req.description)?,
            &p.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferenceInput {
    pub reference: String,
}

/// Record that a deviation was notified.
#[utoipa::path(post, path = "/v1/compliance/adp/deviations/{id}/notified", tag = "compliance",
    request_body(content = ReferenceInput, example = json!({"reference": "BIS notice 2026-117"})),
    params(("id" = String, Path, example = "adpdev_demo")),
    responses((status = 200, body = AdpDeviation), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn notified(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ReferenceInput>,
) -> Result<Json<AdpDeviation>, ApiError> {
    Ok(Json(
        st.service
            .notify_adp_deviation(&id, text("reference", &req.reference)?, &p.actor())
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AiReportInput {
    pub customer_id: CustomerId,
    pub transaction_reference: String,
    /// Now when omitted.
    pub detected_at: Option<DateTime<Utc>>,
}

/// Record a foreign person's transaction that may train a large AI model usable in malicious
/// cyber activity; the report is due 15 days later (optional: the order that asked for it
/// was revoked).
#[utoipa::path(post, path = "/v1/compliance/ai-training-reports", tag = "compliance",
    request_body(content = AiReportInput, example = json!({"customer_id": "cus_demo_foreign_individual",
        "transaction_reference": "order-88412"})),
    responses((status = 201, body = AiTrainingReport), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_ai_report(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<AiReportInput>,
) -> Result<(StatusCode, Json<AiTrainingReport>), ApiError> {
    let now = st.service.now();
    let r = st
        .service
        .add_ai_report(
            req.customer_id,
            text("transaction_reference", &req.transaction_reference)?,
            req.detected_at.unwrap_or(now),
            &p.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The AI-training transaction reports, filed or not.
#[utoipa::path(get, path = "/v1/compliance/ai-training-reports", tag = "compliance",
    responses((status = 200, body = Vec<AiTrainingReport>)),
    security(("bearer" = [])))]
pub async fn ai_reports(
    State(st): State<AppState>,
) -> Result<Json<Vec<AiTrainingReport>>, ApiError> {
    Ok(Json(st.service.ai_reports().await?))
}

/// Record that a report was filed.
#[utoipa::path(post, path = "/v1/compliance/ai-training-reports/{id}/filed", tag = "compliance",
    request_body(content = ReferenceInput, example = json!({"reference": "BIS filing 2026-0091"})),
    params(("id" = String, Path, example = "aird_demo")),
    responses((status = 200, body = AiTrainingReport), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn filed(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ReferenceInput>,
) -> Result<Json<AiTrainingReport>, ApiError> {
    Ok(Json(
        st.service
            .file_ai_report(&id, text("reference", &req.reference)?, &p.actor())
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Within {
    /// How far ahead, in days (default 90; overdue ones are always included).
    pub within_days: Option<u32>,
}

fn horizon(w: &Within) -> Result<chrono::Duration, ApiError> {
    let d = w.within_days.unwrap_or(90);
    if d > 3660 {
        return Err(ApiError::validation("within_days", "at most 3660"));
    }
    Ok(chrono::Duration::days(i64::from(d)))
}

/// Verified foreign subjects due to be verified again (the policy's risk-based schedule).
#[utoipa::path(get, path = "/v1/compliance/reverification", tag = "compliance",
    params(Within),
    responses((status = 200, body = Vec<Reverification>)),
    security(("bearer" = [])))]
pub async fn reverification(
    State(st): State<AppState>,
    ApiQuery(w): ApiQuery<Within>,
) -> Result<Json<Vec<Reverification>>, ApiError> {
    Ok(Json(st.service.reverifications(horizon(&w)?).await?))
}

/// The deadlines calendar: every clock (10, 15, 30, 180 and 365 days, and annual) with what is
/// due, by date.
#[utoipa::path(get, path = "/v1/compliance/deadlines", tag = "compliance",
    params(Within),
    responses((status = 200, body = Vec<Deadline>)),
    security(("bearer" = [])))]
pub async fn deadlines(
    State(st): State<AppState>,
    ApiQuery(w): ApiQuery<Within>,
) -> Result<Json<Vec<Deadline>>, ApiError> {
    Ok(Json(st.service.deadlines(horizon(&w)?).await?))
}

/// Store a new version of the program profile: the provider's name, the CIP contact, the
/// resources used to detect malicious activity, how resellers are overseen.
#[utoipa::path(put, path = "/v1/compliance/profile", tag = "compliance",
    request_body(content = ProgramProfile, example = json!({"provider_name": "Example Cloud LLC",
        "cip_contact": {"name": "Dana Whitfield", "title": "CIP officer", "email": "cip@example.net"},
        "detection_resources": ["24x7 abuse desk", "NetFlow anomaly detection"],
        "reseller_oversight": "Foreign resellers submit their CIP yearly; sub-lessees are recorded through the API."})),
    responses((status = 204), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_profile(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<ProgramProfile>,
) -> Result<StatusCode, ApiError> {
    st.service.put_program_profile(&req, &p.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The program profile (audited).
#[utoipa::path(get, path = "/v1/compliance/profile", operation_id = "get_program_profile", tag = "compliance",
    responses((status = 200, body = ProgramProfile), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn profile(
    State(st): State<AppState>,
    p: Principal,
) -> Result<Json<ProgramProfile>, ApiError> {
    st.service
        .program_profile(&p.actor())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no program profile has been stored".into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificationQuery {
    /// The annual certification (the last twelve months) rather than the initial one.
    #[serde(default)]
    pub annual: bool,
    /// `json` (default), `html` or `pdf`.
    pub format: Option<String>,
}

/// The CIP certification, generated from the records as they are now.
#[utoipa::path(get, path = "/v1/reports/certification", tag = "compliance",
    params(CertificationQuery),
    responses((status = 200, body = Certification), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn certification(
    State(st): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<CertificationQuery>,
) -> Result<Response, ApiError> {
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "html" | "pdf") {
        return Err(ApiError::validation("format", "json, html or pdf"));
    }
    let c = st.service.certification(q.annual, &p.actor()).await?;
    Ok(match format {
        "html" => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            custos_app::report::to_html(&c),
        )
            .into_response(),
        "pdf" => (
            [(header::CONTENT_TYPE, "application/pdf")],
            custos_app::report::to_pdf(&c)?,
        )
            .into_response(),
        _ => Json(c).into_response(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    #[serde(default)]
    pub annual: bool,
    /// The certifying official the document names (its signature lines are signed by hand).
    #[serde(default)]
    pub signer: Option<custos_app::report::Signer>,
}

/// File the certification: generated now, its PDF kept, and the clock to the next (annual)
/// one started.
#[utoipa::path(post, path = "/v1/compliance/certifications", tag = "compliance",
    request_body(content = FileInput, example = json!({"annual": false,
        "signer": {"name": "Dana Whitfield", "title": "Chief Compliance Officer"}})),
    responses((status = 201, body = Filing), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn file(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<FileInput>,
) -> Result<(StatusCode, Json<Filing>), ApiError> {
    let signer = req
        .signer
        .map(|s| custos_app::report::Signer::new(&s.name, &s.title))
        .transpose()?;
    let f = st
        .service
        .file_certification(req.annual, signer, &p.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(f)))
}

/// The certifications filed.
#[utoipa::path(get, path = "/v1/compliance/certifications", tag = "compliance",
    responses((status = 200, body = Vec<Filing>)),
    security(("bearer" = [])))]
pub async fn filings(State(st): State<AppState>) -> Result<Json<Vec<Filing>>, ApiError> {
    Ok(Json(st.service.filings().await?))
}
