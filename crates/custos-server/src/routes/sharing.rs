//! `/v1/sharing/collections` and an abuse case's share: what the provider keeps to share with
//! peers. The collections themselves are served to peers by TAXII, under `/taxii2/`
//! ([`crate::routes::taxii`]).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use custos_app::sharing::stix::Tlp;
use custos_app::sharing::{Collection, NewCollection, ShareCase, Shared};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;

/// The collections.
#[derive(Debug, Serialize, ToSchema)]
pub struct Collections {
    /// Oldest first.
    pub collections: Vec<Collection>,
}

/// Create a TAXII collection: the `peer` keys that may read it (`*`: every peer) and write to
/// it. Peers reach it under `/taxii2/api/collections/{id}/`.
#[utoipa::path(post, path = "/v1/sharing/collections", operation_id = "create_collection",
    tag = "sharing",
    request_body(content = NewCollection, example = json!({"title": "Trust group indicators",
        "description": "Addresses abuse came from, with their sightings", "readers": ["*"]})),
    responses((status = 201, body = Collection), (status = 409, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<NewCollection>,
) -> Result<(StatusCode, Json<Collection>), ApiError> {
    let c = st.service.create_collection(&p, req).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Every collection, with who may read and write it.
#[utoipa::path(get, path = "/v1/sharing/collections", operation_id = "list_collections",
    tag = "sharing", responses((status = 200, body = Collections)),
    security(("bearer" = [])))]
pub async fn list(State(st): State<AppState>) -> Result<Json<Collections>, ApiError> {
    Ok(Json(Collections {
        collections: st.service.collections().await?,
    }))
}

/// Share an abuse case (a report's) into a collection: the indicators of the address the abuse
/// came from and of the domains and wallets it used, the address's sighting and the incident,
/// marked with a TLP level (`amber` unless said); when three addresses or more of one /24
/// (IPv6: /48) have been shared into the collection, the network too. Nothing of the customer
/// goes in, unless `include_access_addresses` or `include_ssh_keys` (an account closed for
/// abuse: the addresses it connected from, the SSH keys it used, each an indicator and a
/// sighting): that waits for a second person (`202`). Sharing again writes new versions of the
/// same objects.
#[utoipa::path(post, path = "/v1/abuse-cases/{id}/share", operation_id = "share_abuse_case",
    tag = "sharing",
    params(("id" = String, Path, example = "abc_demo_phishing")),
    request_body(content = ShareCase, example = json!({
        "collection": "8c1d5e8e-3b89-4a52-9c11-4f6f0c2a1e10", "tlp": "amber"})),
    responses((status = 200, body = Shared),
        (status = 202, body = custos_app::approvals::ApprovalView,
            description = "With the account's access addresses: it waits for a second person"),
        (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn share(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ShareCase>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    match st.service.share_abuse_case(&p, &id, req).await? {
        custos_app::approvals::Decided::Done(s) => Ok(Json(s).into_response()),
        custos_app::approvals::Decided::Waiting(a) => Ok(super::approvals::waiting(a)),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BundleQuery {
    /// The TLP level to mark it with: `clear`, `green`, `amber` (unless said),
    /// `amber_strict` or `red`.
    #[serde(default)]
    pub tlp: Option<Tlp>,
}

/// An abuse case as the STIX 2.1 bundle it would be shared as, to look at first.
#[utoipa::path(get, path = "/v1/abuse-cases/{id}/stix", operation_id = "abuse_case_bundle",
    tag = "sharing",
    params(("id" = String, Path, example = "abc_demo_phishing"), BundleQuery),
    responses((status = 200, body = Object, content_type = "application/stix+json;version=2.1"),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn bundle(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<BundleQuery>,
) -> Result<axum::response::Response, ApiError> {
    let b = st
        .service
        .abuse_case_bundle(&p, &id, q.tlp.unwrap_or(Tlp::Amber))
        .await?;
    Ok(super::taxii::stix_json(&b))
}

/// A trust group's key to keep: the key the group gave (base64, 32 bytes), or none to make
/// one here (answered once, to give the other members).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutTrustKey {
    #[serde(default)]
    pub key: Option<String>,
}

/// Keep a trust group's key under its key id (sealed). A key id is kept once: rotate by
/// making a new one. Without `key`, a new key is made and answered this once.
#[utoipa::path(put, path = "/v1/sharing/trust-keys/{key_id}", operation_id = "put_trust_key",
    tag = "sharing",
    params(("key_id" = String, Path, example = "trust-group-1-2027-01")),
    request_body(content = PutTrustKey, example = json!({})),
    responses((status = 201, body = custos_app::sharing::keyed::NewTrustKey),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_trust_key(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(key_id): ApiPath<String>,
    ApiJson(req): ApiJson<PutTrustKey>,
) -> Result<
    (
        StatusCode,
        axum::Extension<crate::idempotency::HoldsSecret>,
        Json<custos_app::sharing::keyed::NewTrustKey>,
    ),
    ApiError,
> {
    let k = st
        .service
        .put_trust_key(&p, &key_id, req.key.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Extension(crate::idempotency::HoldsSecret),
        Json(k),
    ))
}

/// A trust group's key held (never the key).
#[derive(Debug, Serialize, ToSchema)]
pub struct TrustKeyView {
    pub key_id: String,
    pub kept_at: chrono::DateTime<chrono::Utc>,
}

/// The trust groups' keys held (their ids).
#[utoipa::path(get, path = "/v1/sharing/trust-keys", operation_id = "list_trust_keys",
    tag = "sharing", responses((status = 200, body = Vec<TrustKeyView>)),
    security(("bearer" = [])))]
pub async fn trust_keys(
    State(st): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<TrustKeyView>>, ApiError> {
    Ok(Json(
        st.service
            .trust_keys(&p)
            .await?
            .into_iter()
            .map(|(key_id, kept_at)| TrustKeyView { key_id, kept_at })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The trust group's key to make the set under.
    pub key_id: String,
}

/// The keyed set of this provider's customers closed for abuse: the HMAC-SHA-256 of the
/// canonical form of each identifier, under the trust group's key, to give the other members.
/// Their records are read for it (audited).
#[utoipa::path(get, path = "/v1/sharing/keyed-sets/export", operation_id = "export_keyed_set",
    tag = "sharing", params(ExportQuery),
    responses((status = 200, body = custos_app::sharing::keyed::KeyedSet),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn export_set(
    State(st): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Json<custos_app::sharing::keyed::KeyedSet>, ApiError> {
    Ok(Json(st.service.export_keyed_set(&p, &q.key_id).await?))
}

/// Take in a peer's keyed set: every customer with an identifier in it gets a `peer_signal`
/// review case. A set is taken in once.
#[utoipa::path(post, path = "/v1/sharing/keyed-sets", operation_id = "import_keyed_set",
    tag = "sharing",
    request_body(content = custos_app::sharing::keyed::KeyedSet, example = json!({
        "format": "custos-keyed-set/1", "algorithm": "HMAC-SHA-256",
        "key_id": "trust-group-1-2026-12", "canonicalization": "custos-identifiers/1",
        "generated_at": "2026-12-01T00:00:00Z", "publisher": "Peer Cloud",
        "entries": ["5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"]})),
    responses((status = 201, body = custos_app::sharing::keyed::ImportedSet),
        (status = 409, body = Problem), (status = 413, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn import_set(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<custos_app::sharing::keyed::KeyedSet>,
) -> Result<(StatusCode, Json<custos_app::sharing::keyed::ImportedSet>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.service.import_keyed_set(&p, req).await?),
    ))
}

/// The keyed sets taken in.
#[utoipa::path(get, path = "/v1/sharing/keyed-sets", operation_id = "list_keyed_sets",
    tag = "sharing",
    responses((status = 200, body = Vec<custos_app::sharing::keyed::ImportedSet>)),
    security(("bearer" = [])))]
pub async fn keyed_sets(
    State(st): State<AppState>,
) -> Result<Json<Vec<custos_app::sharing::keyed::ImportedSet>>, ApiError> {
    Ok(Json(st.service.keyed_sets().await?))
}

/// Record a cyber incident with the fields CISA's form asks for; a covered incident's report
/// is due `compliance.incident_report_hours` (72) after `detected_at`, in the deadlines.
#[utoipa::path(post, path = "/v1/incidents", operation_id = "record_incident", tag = "sharing",
    request_body(content = custos_app::sharing::incident::NewIncident, example = json!({
        "occurred_at": "2026-10-01T02:10:00Z", "detected_at": "2026-10-01T06:00:00Z",
        "location": "us-east-1 control plane; 14 customer instances",
        "activity": "infrastructure_abuse",
        "narrative": "Instances of one customer ran SSH brute force against third parties. The account was closed for abuse.",
        "systems_affected": 14, "accounts_affected": 1, "organisation": "Demo Cloud LLC",
        "contact": {"name": "Security desk", "email": "security@demo-cloud.example"},
        "severity": "medium", "sector": "information technology",
        "told": ["FBI field office"], "abuse_cases": ["abc_demo_scanning"]})),
    responses((status = 201, body = custos_app::sharing::incident::Incident),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn record_incident(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<custos_app::sharing::incident::NewIncident>,
) -> Result<(StatusCode, Json<custos_app::sharing::incident::Incident>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.service.record_incident(&p, req).await?),
    ))
}

/// The incidents, newest first (without their reports).
#[utoipa::path(get, path = "/v1/incidents", operation_id = "list_incidents", tag = "sharing",
    responses((status = 200, body = Vec<custos_app::sharing::incident::Incident>)),
    security(("bearer" = [])))]
pub async fn incidents(
    State(st): State<AppState>,
    p: Principal,
) -> Result<Json<Vec<custos_app::sharing::incident::Incident>>, ApiError> {
    Ok(Json(st.service.incidents(&p).await?))
}

/// An incident with its report (read, audited).
#[utoipa::path(get, path = "/v1/incidents/{id}", operation_id = "get_incident", tag = "sharing",
    params(("id" = String, Path, example = "inc_demo_scanning")),
    responses((status = 200, body = custos_app::sharing::incident::Incident),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn incident(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<custos_app::sharing::incident::Incident>, ApiError> {
    Ok(Json(st.service.incident(&p, &id).await?))
}

/// Record that the incident was reported (to whom, their reference): its clock stops.
#[utoipa::path(post, path = "/v1/incidents/{id}/reported", operation_id = "incident_reported",
    tag = "sharing", params(("id" = String, Path, example = "inc_demo_scanning")),
    request_body(content = custos_app::sharing::incident::Reported,
        example = json!({"to": ["CISA"], "reference": "CISA-2026-123456"})),
    responses((status = 200, body = custos_app::sharing::incident::Incident),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn incident_reported(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<custos_app::sharing::incident::Reported>,
) -> Result<Json<custos_app::sharing::incident::Incident>, ApiError> {
    Ok(Json(st.service.incident_reported(&p, &id, req).await?))
}

/// The incident as a STIX 2.1 bundle (the Incident with the core extension, its abuse cases'
/// indicators and sightings), marked with a TLP level.
#[utoipa::path(get, path = "/v1/incidents/{id}/stix", operation_id = "incident_bundle",
    tag = "sharing", params(("id" = String, Path, example = "inc_demo_scanning"), BundleQuery),
    responses((status = 200, body = Object, content_type = "application/stix+json;version=2.1"),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn incident_bundle(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<BundleQuery>,
) -> Result<axum::response::Response, ApiError> {
    let b = st
        .service
        .incident_bundle(&p, &id, q.tlp.unwrap_or(Tlp::Amber))
        .await?;
    Ok(super::taxii::stix_json(&b))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SheetQuery {
    /// `html` (unless said) or `pdf`.
    #[serde(default)]
    pub format: Option<String>,
}

/// The incident's filled sheet, to paste into the CISA and FBI IC3 forms: HTML or PDF.
#[utoipa::path(get, path = "/v1/incidents/{id}/sheet", operation_id = "incident_sheet",
    tag = "sharing", params(("id" = String, Path, example = "inc_demo_scanning"), SheetQuery),
    responses((status = 200, content_type = "text/html"),
        (status = 200, content_type = "application/pdf"),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn incident_sheet(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<SheetQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    match q.format.as_deref().unwrap_or("html") {
        "html" => {
            let h = st.service.incident_sheet_html(&p, &id).await?;
            Ok((
                [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
                h,
            )
                .into_response())
        }
        "pdf" => {
            let b = st.service.incident_sheet_pdf(&p, &id).await?;
            Ok(([(axum::http::header::CONTENT_TYPE, "application/pdf")], b).into_response())
        }
        _ => Err(ApiError::validation("format", "is `html` or `pdf`")),
    }
}

/// Share an incident into a collection: its STIX bundle (the Incident, its abuse cases'
/// indicators and sightings), marked with a TLP level (`amber` unless said).
#[utoipa::path(post, path = "/v1/incidents/{id}/share", operation_id = "share_incident",
    tag = "sharing", params(("id" = String, Path, example = "inc_demo_scanning")),
    request_body(content = ShareCase, example = json!({
        "collection": "8c1d5e8e-3b89-4a52-9c11-4f6f0c2a1e10", "tlp": "green"})),
    responses((status = 200, body = Shared), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn share_incident(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ShareCase>,
) -> Result<Json<Shared>, ApiError> {
    Ok(Json(st.service.share_incident(&p, &id, req).await?))
}
