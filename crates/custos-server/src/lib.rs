#![doc = include_str!("../README.md")]

pub mod auth;
pub mod dto;
pub mod error;
pub mod idempotency;
pub mod json;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod serve;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::ResellerAccess;
use crate::error::ApiError;

/// The largest request body any endpoint takes. One customer with fifty owners fits easily.
pub const MAX_BODY: usize = 256 * 1024;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub service: custos_app::App,
    pub keys: custos_app::keys::KeyCache,
    pub metrics: Arc<metrics::Metrics>,
}

impl AppState {
    pub fn new(service: custos_app::App) -> Self {
        AppState {
            service,
            keys: custos_app::keys::KeyCache::default(),
            metrics: Arc::new(metrics::Metrics::new()),
        }
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::BadRequest("this endpoint does not take that method".into())
}

/// The whole HTTP API. Every route is listed once, here, by its handler (whose
/// `#[utoipa::path]` gives the OpenAPI document its path, method and schemas), in the group
/// that declares who may call it with a reseller's key, its body limit and idempotency.
pub fn router(state: AppState) -> Router {
    let (router, api) = api(state.clone()).split_for_parts();
    router
        .route("/ledger/{log}/checkpoint", get(routes::ledger::checkpoint))
        .route("/ledger/{log}/tile/{*rest}", get(routes::ledger::tile))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", api))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // A defect that panics in a handler answers 500 problem+json and leaves the server up.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                tracing::error!("a request handler panicked");
                axum::response::IntoResponse::into_response(ApiError::Internal)
            },
        ))
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(
            // Spans carry the method and route template only: paths hold ids, and headers and
            // bodies hold personal data.
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map(|m| m.as_str().to_owned())
                    .unwrap_or_default();
                tracing::info_span!("request", method = %req.method(), route = %route)
            }),
        )
        .with_state(state)
}

/// The routes of the OpenAPI document, with the document.
fn api(state: AppState) -> OpenApiRouter<AppState> {
    use routes::{accounts, admin, customers, designations, health, ledger, program, resellers};
    use routes::{screen, screening};
    let group = |access: ResellerAccess, body: usize, routes: OpenApiRouter<AppState>| {
        routes
            .route_layer(from_fn_with_state(
                (state.clone(), access),
                auth::reseller_access,
            ))
            .layer(from_fn_with_state(
                (state.clone(), body),
                idempotency::layer,
            ))
            .layer(DefaultBodyLimit::max(body))
    };
    // A reseller's key creates customers and accounts under its reseller account.
    let reseller_creates = OpenApiRouter::new()
        .routes(routes!(customers::create))
        .routes(routes!(accounts::open));
    // ... adds records to its own customers and reads their status.
    let own_customers = OpenApiRouter::new()
        .routes(routes!(customers::get))
        .routes(routes!(customers::add_contact))
        .routes(routes!(customers::add_payment_means))
        .routes(routes!(customers::add_document))
        .routes(routes!(customers::address_change))
        .routes(routes!(customers::verification_result))
        .routes(routes!(customers::resubmit))
        .routes(routes!(customers::owner_change));
    // ... reads, closes and reports on the accounts in its subtree.
    let subtree = OpenApiRouter::new()
        .routes(routes!(accounts::get))
        .routes(routes!(accounts::close))
        .routes(routes!(accounts::access))
        .routes(routes!(accounts::profile))
        .routes(routes!(resellers::tree));
    // ... and keeps its CIP (a document upload).
    let subtree_documents =
        OpenApiRouter::new().routes(routes!(resellers::put_cip, resellers::cip_versions));
    // The provider's own: a reseller's key may not call these.
    let provider = OpenApiRouter::new()
        .routes(routes!(customers::search))
        .routes(routes!(customers::record))
        .routes(routes!(customers::review))
        .routes(routes!(customers::place_hold))
        .routes(routes!(customers::release_hold))
        .routes(routes!(accounts::needing_action))
        .routes(routes!(designations::list, designations::create))
        .routes(routes!(designations::schedule))
        .routes(routes!(designations::extend))
        .routes(routes!(designations::preview))
        .routes(routes!(designations::sweep))
        .routes(routes!(resellers::list))
        .routes(routes!(resellers::flag))
        .routes(routes!(resellers::document))
        .routes(routes!(resellers::add_cip_request, resellers::cip_requests))
        .routes(routes!(resellers::cip_package))
        .routes(routes!(resellers::cases))
        .routes(routes!(resellers::report))
        .routes(routes!(resellers::close_case))
        .routes(routes!(program::grant, program::exemptions))
        .routes(routes!(program::revoke))
        .routes(routes!(program::adp))
        .routes(routes!(program::add_review))
        .routes(routes!(program::add_deviation))
        .routes(routes!(program::notified))
        .routes(routes!(program::add_ai_report, program::ai_reports))
        .routes(routes!(program::filed))
        .routes(routes!(program::reverification))
        .routes(routes!(program::deadlines))
        .routes(routes!(program::put_profile, program::profile))
        .routes(routes!(program::certification))
        .routes(routes!(program::file, program::filings))
        .routes(routes!(screening::exposure))
        .routes(routes!(screen::screen))
        .routes(routes!(ledger::account))
        .routes(routes!(ledger::ip))
        .routes(routes!(screening::cases))
        .routes(routes!(screening::case))
        .routes(routes!(screening::resolve))
        .routes(routes!(screening::rescreen))
        .routes(routes!(admin::audit))
        .routes(routes!(admin::create, admin::list));
    let provider_documents = OpenApiRouter::new()
        .routes(routes!(resellers::put_provider_cip))
        .routes(routes!(program::put_document));
    let provider_events = OpenApiRouter::new().routes(routes!(ledger::ingest));
    let document = custos_app::resellers::MAX_DOCUMENT + 1024;
    let v1 = OpenApiRouter::new()
        .merge(group(ResellerAccess::Create, MAX_BODY, reseller_creates))
        .merge(group(ResellerAccess::OwnCustomer, MAX_BODY, own_customers))
        .merge(group(ResellerAccess::Subtree, MAX_BODY, subtree))
        .merge(group(ResellerAccess::Subtree, document, subtree_documents))
        .merge(group(ResellerAccess::None, MAX_BODY, provider))
        .merge(group(ResellerAccess::None, document, provider_documents))
        .merge(group(
            ResellerAccess::None,
            routes::ledger::MAX_EVENTS_BODY,
            provider_events,
        ))
        .layer(from_fn_with_state(state.clone(), auth::require_auth));
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(v1)
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
}
