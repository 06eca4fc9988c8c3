//! `/v1/resellers` and the provider's own CIP: reseller trees, CIP documents with their
//! versions, requests to produce them and the package that answers one, and non-compliance
//! cases with their termination clock.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use custos_app::records::DocumentMeta;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{account_id, text};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use custos_app::resellers::{
    CipRequest, NonCompliance, NonComplianceOutcome, PROVIDER, ResellerView, TreeNode,
};

/// Every reseller account: foreign or not, its latest CIP, its open non-compliance cases.
#[utoipa::path(get, path = "/v1/resellers", operation_id = "list_resellers", tag = "compliance",
    responses((status = 200, body = Vec<ResellerView>), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(State(st): State<AppState>) -> Result<Json<Vec<ResellerView>>, ApiError> {
    Ok(Json(st.service.resellers().await?))
}

/// The accounts under a reseller account, as a tree (a reseller's key: its own subtree).
#[utoipa::path(get, path = "/v1/resellers/{id}/tree", tag = "compliance",
    params(("id" = String, Path, example = "acc_demo_reseller")),
    responses((status = 200, body = TreeNode), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn tree(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TreeNode>, ApiError> {
    Ok(Json(st.service.tree(&account_id(&id)?).await?))
}

pub(crate) fn upload_meta(headers: &HeaderMap) -> Result<(String, String), ApiError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .ok_or_else(|| ApiError::validation("content-type", "is required"))?;
    let name = headers
        .get("x-custos-file-name")
        .ok_or_else(|| ApiError::validation("X-Custos-File-Name", "is required"))?
        .to_str()
        .map_err(|_| ApiError::validation("X-Custos-File-Name", "must be printable ASCII"))?
        .to_owned();
    Ok((media, name))
}

/// Store a new version of a reseller's CIP (the reseller's key, or the provider's compliance
/// officer). The body is the document itself (PDF, Markdown, text, HTML, DOCX or ODT, up to
/// 20 MiB); `X-Custos-File-Name` names it.
#[utoipa::path(put, path = "/v1/resellers/{id}/cip", tag = "compliance",
    request_body(content = Vec<u8>, content_type = "text/markdown"),
    params(("id" = String, Path, example = "acc_demo_reseller"),
        ("X-Custos-File-Name" = String, Header, description = "The document's file name")),
    responses((status = 201, body = Object), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_cip(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<DocumentMeta>), ApiError> {
    let account = account_id(&id)?;
    let (media, name) = upload_meta(&headers)?;
    let m = st
        .service
        .put_document(account.as_str(), "cip", &name, &media, &body, &p.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// Every version of a reseller's CIP (without the content).
#[utoipa::path(get, path = "/v1/resellers/{id}/cip", tag = "compliance",
    params(("id" = String, Path, example = "acc_demo_reseller")),
    responses((status = 200, body = Vec<Object>), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn cip_versions(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<DocumentMeta>>, ApiError> {
    let account = account_id(&id)?;
    st.service.account(&account).await?;
    Ok(Json(
        st.service
            .documents(Some(account.as_str()), Some("cip"))
            .await?,
    ))
}

/// Store a new version of the provider's own CIP.
#[utoipa::path(put, path = "/v1/compliance/cip", tag = "compliance",
    request_body(content = Vec<u8>, content_type = "text/markdown"),
    params(("X-Custos-File-Name" = String, Header, description = "The document's file name")),
    responses((status = 201, body = Object), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_provider_cip(
    State(st): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<DocumentMeta>), ApiError> {
    let (media, name) = upload_meta(&headers)?;
    let m = st
        .service
        .put_document(PROVIDER, "cip", &name, &media, &body, &p.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// A program document's content (audited).
#[utoipa::path(get, path = "/v1/compliance/documents/{id}", tag = "compliance",
    params(("id" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn document(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (m, content) = st.service.read_document(&id, &p.actor()).await?;
    Ok(super::legal::download(&m.media_type, &m.file_name, content))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CipRequestInput {
    /// Who asked, e.g. "US Department of Commerce, BIS".
    pub requested_by: String,
    /// Their reference.
    pub reference: String,
    /// When the request was received (now when omitted); the clock runs from here.
    pub requested_at: Option<DateTime<Utc>>,
}

/// Record a request to produce the CIPs: it is due 10 calendar days later (the policy's
/// `compliance.cip_request_days`).
#[utoipa::path(post, path = "/v1/compliance/cip-requests", tag = "compliance",
    request_body(content = CipRequestInput, example = json!({"requested_by": "US Department of Commerce",
        "reference": "BIS-2027-0042"})),
    responses((status = 201, body = CipRequest), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_cip_request(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<CipRequestInput>,
) -> Result<(StatusCode, Json<CipRequest>), ApiError> {
    let r = st
        .service
        .add_cip_request(
            req.requested_at,
            text("requested_by", &req.requested_by)?,
            text("reference", &req.reference)?,
            &p.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The requests to produce the CIPs, with their due dates and how each was answered.
#[utoipa::path(get, path = "/v1/compliance/cip-requests", tag = "compliance",
    responses((status = 200, body = Vec<CipRequest>)),
    security(("bearer" = [])))]
pub async fn cip_requests(State(st): State<AppState>) -> Result<Json<Vec<CipRequest>>, ApiError> {
    Ok(Json(st.service.cip_requests().await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PackageQuery {
    /// The request this package answers (it is marked fulfilled).
    pub request: Option<String>,
}

/// The CIP package: the provider's latest CIP and every foreign reseller's, with a
/// `manifest.json` (and the foreign resellers that have given none), as a zip.
#[utoipa::path(get, path = "/v1/compliance/cip-package", tag = "compliance",
    params(PackageQuery),
    responses((status = 200, content_type = "application/zip"), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn cip_package(
    State(st): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<PackageQuery>,
) -> Result<Response, ApiError> {
    let (_, bytes) = st
        .service
        .cip_package(q.request.as_deref(), &p.actor())
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"cip-package.zip\"".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagInput {
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    pub text: String,
    #[serde(default)]
    pub suspected_malicious_activity: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseCaseInput {
    /// `resolved` (the reseller complies; the relationship continues) or `terminated` (the
    /// reseller account and everything under it closed).
    pub outcome: NonComplianceOutcome,
    /// Why. (`note`, its name before, is accepted until the next release.)
    #[serde(default, alias = "note")]
    pub reason: Option<String>,
}

/// Flag a reseller as not complying: the relationship must end within 30 days (the policy's
/// `compliance.reseller_termination_days`) unless resolved.
#[utoipa::path(post, path = "/v1/resellers/{id}/non-compliance", tag = "compliance",
    request_body(content = FlagInput, example = json!({"reason": "no CIP produced after two requests"})),
    params(("id" = String, Path, example = "acc_demo_reseller_apac")),
    responses((status = 201, body = NonCompliance), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn flag(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<FlagInput>,
) -> Result<(StatusCode, Json<NonCompliance>), ApiError> {
    let n = st
        .service
        .flag_non_compliance(&account_id(&id)?, text("reason", &req.reason)?, &p.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(n)))
}

/// Every non-compliance case, open and closed.
#[utoipa::path(get, path = "/v1/compliance/non-compliance", operation_id = "list_non_compliance_cases", tag = "compliance",
    responses((status = 200, body = Vec<NonCompliance>)),
    security(("bearer" = [])))]
pub async fn cases(State(st): State<AppState>) -> Result<Json<Vec<NonCompliance>>, ApiError> {
    Ok(Json(st.service.non_compliance_cases().await?))
}

/// Add a report to a case (suspected malicious activity included).
#[utoipa::path(post, path = "/v1/compliance/non-compliance/{id}/reports", tag = "compliance",
    request_body(content = ReportInput, example = json!({"text": "Reported to BIS: the reseller \
        has not produced its CIP", "suspected_malicious_activity": false})),
    params(("id" = String, Path, example = "nc_demo")),
    responses((status = 200, body = NonCompliance), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn report(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ReportInput>,
) -> Result<Json<NonCompliance>, ApiError> {
    let text = text("text", &req.text)?;
    Ok(Json(
        st.service
            .report_non_compliance(&id, text, req.suspected_malicious_activity, &p.actor())
            .await?,
    ))
}

/// Close a case: resolved, or terminated (the reseller account and its subtree closed). A
/// person's termination waits for a second person (`202`), as closing an account does.
#[utoipa::path(post, path = "/v1/compliance/non-compliance/{id}/close", tag = "compliance",
    request_body(content = CloseCaseInput, example = json!({"outcome": "resolved",
        "reason": "CIP received and reviewed"})),
    params(("id" = String, Path, example = "nc_demo")),
    responses((status = 200, body = NonCompliance),
        (status = 202, body = custos_app::approvals::ApprovalView,
            description = "Terminated by a person: it waits for a second person (`/v1/approvals`)"),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem, description = "A person's termination without a reason")),
    security(("bearer" = [])))]
pub async fn close_case(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CloseCaseInput>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let note = req
        .reason
        .as_deref()
        .map(|n| text("reason", n))
        .transpose()?;
    match st
        .service
        .decide_non_compliance_close(&p.actor(), &id, req.outcome, note)
        .await?
    {
        custos_app::approvals::Decided::Done(n) => Ok(Json(n).into_response()),
        custos_app::approvals::Decided::Waiting(a) => Ok(super::approvals::waiting(a)),
    }
}
