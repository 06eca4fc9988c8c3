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
