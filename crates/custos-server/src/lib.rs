#![doc = include_str!("../README.md")]

pub mod auth;
pub mod demo;
pub mod designations;
pub mod dto;
pub mod error;
pub mod idempotency;
pub mod json;
pub mod metrics;
pub mod openapi;
pub mod program;
pub mod report;
pub mod resellers;
pub mod routes;
pub mod screening;
pub mod serve;
pub mod service;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post, put};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;

/// The largest request body any endpoint takes. One customer with fifty owners fits easily.
pub const MAX_BODY: usize = 256 * 1024;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub service: service::Service,
    pub keys: auth::KeyCache,
    pub metrics: Arc<metrics::Metrics>,
}

impl AppState {
    pub fn new(service: service::Service) -> Self {
        AppState {
            service,
            keys: auth::KeyCache::default(),
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

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    use routes::{accounts, admin, customers, health};
    let v1 = Router::new()
        .route("/v1/customers", post(customers::create))
        .route("/v1/customers/search", post(customers::search))
        .route("/v1/customers/{id}", get(customers::get))
        .route("/v1/customers/{id}/record", get(customers::record))
        .route("/v1/customers/{id}/contacts", post(customers::add_contact))
        .route(
            "/v1/customers/{id}/payment-means",
            post(customers::add_payment_means),
        )
        .route(
            "/v1/customers/{id}/documents",
            post(customers::add_document),
        )
        .route(
            "/v1/customers/{id}/address-changes",
            post(customers::address_change),
        )
        .route(
            "/v1/customers/{id}/verification-results",
            post(customers::verification_result),
        )
        .route("/v1/customers/{id}/reviews", post(customers::review))
        .route(
            "/v1/customers/{id}/resubmissions",
            post(customers::resubmit),
        )
        .route(
            "/v1/customers/{id}/beneficial-owner-changes",
            post(customers::owner_change),
        )
        .route(
            "/v1/customers/{id}/legal-holds",
            post(customers::place_hold),
        )
        .route(
            "/v1/customers/{id}/legal-holds/{hold_id}/release",
            post(customers::release_hold),
        )
        .route("/v1/accounts", post(accounts::open))
        .route("/v1/accounts/needing-action", get(accounts::needing_action))
        .route("/v1/accounts/{id}", get(accounts::get))
        .route("/v1/accounts/{id}/close", post(accounts::close))
        .route("/v1/accounts/{id}/accesses", post(accounts::access))
        .route("/v1/accounts/{id}/profile", put(accounts::profile))
        .route(
            "/v1/designations",
            get(routes::designations::list).post(routes::designations::create),
        )
        .route(
            "/v1/designations/schedule",
            get(routes::designations::schedule),
        )
        .route(
            "/v1/designations/{id}/extensions",
            post(routes::designations::extend),
        )
        .route(
            "/v1/designations/{id}/preview",
            get(routes::designations::preview),
        )
        .route("/v1/compliance/sweep", post(routes::designations::sweep))
        .route("/v1/resellers", get(routes::resellers::list))
        .route("/v1/resellers/{id}/tree", get(routes::resellers::tree))
        .route(
            "/v1/resellers/{id}/cip",
            put(routes::resellers::put_cip)
                .get(routes::resellers::cip_versions)
                .layer(DefaultBodyLimit::max(resellers::MAX_DOCUMENT + 1024)),
        )
        .route(
            "/v1/resellers/{id}/non-compliance",
            post(routes::resellers::flag),
        )
        .route(
            "/v1/compliance/cip",
            put(routes::resellers::put_provider_cip)
                .layer(DefaultBodyLimit::max(resellers::MAX_DOCUMENT + 1024)),
        )
        .route(
            "/v1/compliance/documents/{id}",
            get(routes::resellers::document),
        )
        .route(
            "/v1/compliance/cip-requests",
            post(routes::resellers::add_cip_request).get(routes::resellers::cip_requests),
        )
        .route(
            "/v1/compliance/cip-package",
            get(routes::resellers::cip_package),
        )
        .route(
            "/v1/compliance/non-compliance",
            get(routes::resellers::cases),
        )
        .route(
            "/v1/compliance/non-compliance/{id}/reports",
            post(routes::resellers::report),
        )
        .route(
            "/v1/compliance/non-compliance/{id}/close",
            post(routes::resellers::close_case),
        )
        .route(
            "/v1/compliance/exemptions",
            post(routes::program::grant).get(routes::program::exemptions),
        )
        .route(
            "/v1/compliance/exemptions/{id}/revoke",
            post(routes::program::revoke),
        )
        .route(
            "/v1/compliance/program/{kind}",
            put(routes::program::put_document)
                .layer(DefaultBodyLimit::max(resellers::MAX_DOCUMENT + 1024)),
        )
        .route("/v1/compliance/adp", get(routes::program::adp))
        .route(
            "/v1/compliance/adp/reviews",
            post(routes::program::add_review),
        )
        .route(
            "/v1/compliance/adp/deviations",
            post(routes::program::add_deviation),
        )
        .route(
            "/v1/compliance/adp/deviations/{id}/notified",
            post(routes::program::notified),
        )
        .route(
            "/v1/compliance/ai-training-reports",
            post(routes::program::add_ai_report).get(routes::program::ai_reports),
        )
        .route(
            "/v1/compliance/ai-training-reports/{id}/filed",
            post(routes::program::filed),
        )
        .route(
            "/v1/compliance/reverification",
            get(routes::program::reverification),
        )
        .route("/v1/compliance/deadlines", get(routes::program::deadlines))
        .route(
            "/v1/compliance/profile",
            put(routes::program::put_profile).get(routes::program::profile),
        )
        .route(
            "/v1/reports/certification",
            get(routes::program::certification),
        )
        .route(
            "/v1/compliance/certifications",
            post(routes::program::file).get(routes::program::filings),
        )
        .route(
            "/v1/accounts/{id}/exposure",
            get(routes::screening::exposure),
        )
        .route("/v1/screen", post(routes::screen::screen))
        .route(
            "/v1/events",
            post(routes::ledger::ingest)
                .layer(DefaultBodyLimit::max(routes::ledger::MAX_EVENTS_BODY)),
        )
        .route("/v1/accounts/{id}/events", get(routes::ledger::account))
        .route("/v1/ips/{ip_or_cidr}/accounts", get(routes::ledger::ip))
        .route("/v1/screening/cases", get(routes::screening::cases))
        .route("/v1/screening/cases/{id}", get(routes::screening::case))
        .route(
            "/v1/screening/cases/{id}/resolve",
            post(routes::screening::resolve),
        )
        .route("/v1/screening/rescreen", post(routes::screening::rescreen))
        .route("/v1/audit", get(admin::audit))
        .route("/v1/api-keys", post(admin::create).get(admin::list))
        .route_layer(from_fn_with_state(state.clone(), auth::scope_guard))
        .layer(from_fn_with_state(state.clone(), idempotency::layer))
        .layer(from_fn_with_state(state.clone(), auth::require_auth));
    Router::new()
        .merge(v1)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/ledger/{log}/checkpoint", get(routes::ledger::checkpoint))
        .route("/ledger/{log}/tile/{*rest}", get(routes::ledger::tile))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", openapi::ApiDoc::openapi()))
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
