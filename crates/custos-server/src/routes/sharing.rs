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

/// Share an abuse case (a report's) into a collection: the indicator of the address the abuse
/// came from, its sighting and the incident, marked with a TLP level (`amber` unless said).
/// Nothing of the customer goes in. Sharing again writes new versions of the same objects.
#[utoipa::path(post, path = "/v1/abuse-cases/{id}/share", operation_id = "share_abuse_case",
    tag = "sharing",
    params(("id" = String, Path, example = "abc_demo_phishing")),
    request_body(content = ShareCase, example = json!({
        "collection": "8c1d5e8e-3b89-4a52-9c11-4f6f0c2a1e10", "tlp": "amber"})),
    responses((status = 200, body = Shared), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn share(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ShareCase>,
) -> Result<Json<Shared>, ApiError> {
    Ok(Json(st.service.share_abuse_case(&p, &id, req).await?))
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
