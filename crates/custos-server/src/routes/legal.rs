//! `/v1/legal/requests`: legal process served on the provider (a subpoena, a 2703(d) order, a
//! warrant, an emergency request, a preservation letter), the served document, the request's
//! states, preservation's one extension, and productions (records packages) and their
//! download. A reseller's key reaches none of it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custos_app::legal::{LegalRequest, Production, RequestInput, RequestView};
use custos_core::legal::RequestState;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::ApiPath;
use crate::json::ApiJson;

/// Record a legal request. Its scope must name accounts, customers or identifiers that exist;
/// the categories asked for must be reached by its instrument (the CIP policy's `[legal]`).
/// A preservation freezes its scope at once for 90 days; any other instrument waits for a
/// second person: `approval_id` names the approval (`POST /v1/approvals/{id}/approve`).
#[utoipa::path(post, path = "/v1/legal/requests", operation_id = "create_legal_request", tag = "legal",
    request_body(content = RequestInput, example = json!({"agency": "FBI Cyber Division",
        "case_number": "2027-CY-0042", "instrument": "subpoena",
        "served_at": "2026-11-20T15:00:00Z", "due": "2026-12-04",
        "officer": {"name": "Special Agent Dana Whitfield", "email": "dana.whitfield@fbi.example"},
        "scope": {"accounts": ["acc_demo_foreign_direct"],
            "from": "2026-01-01T00:00:00Z", "to": "2026-11-20T00:00:00Z"}})),
    responses((status = 201, body = RequestView), (status = 409, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<RequestInput>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    let v = st.service.add_legal_request(&p, req).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Every legal request, oldest first (no personal data: the officer, the identifiers and the
/// addresses are read one request at a time).
#[utoipa::path(get, path = "/v1/legal/requests", operation_id = "list_legal_requests", tag = "legal",
    responses((status = 200, body = Vec<LegalRequest>)),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<LegalRequest>>, ApiError> {
    Ok(Json(st.service.legal_requests(&p).await?))
}

/// One legal request with its sealed part (the read is audited).
#[utoipa::path(get, path = "/v1/legal/requests/{id}", operation_id = "get_legal_request", tag = "legal",
    params(("id" = String, Path, example = "lreq_demo_subpoena")),
    responses((status = 200, body = RequestView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(st.service.legal_request(&p, &id).await?))
}

/// Attach the served document (kept sealed, with its SHA-256); a new one replaces it. The body
/// is the document; `X-Custos-File-Name` names it.
#[utoipa::path(put, path = "/v1/legal/requests/{id}/document", operation_id = "put_served_document", tag = "legal",
    request_body(content = Vec<u8>, content_type = "text/plain",
        description = "The document as served, of any type (its Content-Type is kept with it)"),
    params(("id" = String, Path, example = "lreq_demo_subpoena"),
        ("X-Custos-File-Name" = String, Header, description = "The document's file name")),
    responses((status = 200, body = LegalRequest), (status = 404, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_document(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<LegalRequest>, ApiError> {
    let (media, name) = super::resellers::upload_meta(&headers)?;
    Ok(Json(
        st.service
            .attach_served_document(&p, &id, &name, &media, &body)
            .await?,
    ))
}

/// The served document (the read is audited).
#[utoipa::path(get, path = "/v1/legal/requests/{id}/document", operation_id = "get_served_document", tag = "legal",
    params(("id" = String, Path, example = "lreq_demo_subpoena")),
    responses((status = 200, content_type = "application/octet-stream"),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn document(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (m, content) = st.service.served_document(&p, &id).await?;
    Ok(download(&m.media_type, &m.file_name, content))
}

/// A stored file as a download, under its name.
pub(crate) fn download(media: &str, name: &str, content: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, media.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    name.replace(['"', '\\'], "_")
                ),
            ),
        ],
        content,
    )
        .into_response()
}

/// A move of a request: `in_review`, `rejected` (say why) or `withdrawn`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateInput {
    pub state: RequestState,
    #[serde(default)]
    pub note: Option<String>,
}

/// Move a request along: start reviewing it, reject it (with the reason), or record that the
/// agency withdrew it. Approving is the approvals' (`POST /v1/approvals/{id}/approve`);
/// producing is `POST /v1/legal/requests/{id}/productions`.
#[utoipa::path(post, path = "/v1/legal/requests/{id}/state", operation_id = "set_legal_request_state", tag = "legal",
    request_body(content = StateInput, example = json!({"state": "in_review",
        "note": "scope checked against the subpoena"})),
    params(("id" = String, Path, example = "lreq_demo_subpoena")),
    responses((status = 200, body = LegalRequest), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn set_state(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<StateInput>,
) -> Result<Json<LegalRequest>, ApiError> {
    Ok(Json(
        st.service
            .set_legal_state(&p, &id, req.state, req.note)
            .await?,
    ))
}

/// A renewed preservation request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendInput {
    #[serde(default)]
    pub note: Option<String>,
}

/// Extend a preservation once, by 90 days, on a renewed request (18 U.S.C. 2703(f)(2)). An
/// expired preservation, or one extended already, cannot be.
#[utoipa::path(post, path = "/v1/legal/requests/{id}/extend", operation_id = "extend_preservation", tag = "legal",
    request_body(content = ExtendInput, example = json!({"note": "renewed letter of 2027-03-01"})),
    params(("id" = String, Path, example = "lreq_demo_preservation")),
    responses((status = 200, body = LegalRequest), (status = 404, body = Problem),
        (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn extend(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ExtendInput>,
) -> Result<Json<LegalRequest>, ApiError> {
    Ok(Json(
        st.service.extend_preservation(&p, &id, req.note).await?,
    ))
}

/// Who receives a production (the agency, unless named).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductionInput {
    #[serde(default)]
    pub recipient: Option<String>,
}

/// Produce the records of an approved request: the package (a BagIt zip with a proof of every
/// event and the declaration to sign) is written, recorded as a disclosure, and kept sealed
/// for download at `GET /v1/legal/requests/{id}/productions/{production}`.
#[utoipa::path(post, path = "/v1/legal/requests/{id}/productions", operation_id = "produce_legal_records", tag = "legal",
    request_body(content = ProductionInput, example = json!({"recipient": "FBI Cyber Division, Washington Field Office"})),
    params(("id" = String, Path, example = "lreq_demo_order")),
    responses((status = 201, body = Production), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem)),
    security(("bearer" = [])))]
pub async fn produce(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ProductionInput>,
) -> Result<(StatusCode, Json<Production>), ApiError> {
    let prod = st
        .service
        .produce_legal_kept(&p, &id, req.recipient)
        .await?;
    Ok((StatusCode::CREATED, Json(prod)))
}

/// A production's package, as a zip (the read is audited).
#[utoipa::path(get, path = "/v1/legal/requests/{id}/productions/{production}", operation_id = "get_legal_production", tag = "legal",
    params(("id" = String, Path, example = "lreq_demo_order"),
        ("production" = String, Path, example = "lprod_...")),
    responses((status = 200, content_type = "application/zip"), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn production(
    State(st): State<AppState>,
    p: Principal,
    ApiPath((id, production)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let (name, bytes) = st.service.legal_production(&p, &id, &production).await?;
    Ok(download("application/zip", &name, bytes))
}
