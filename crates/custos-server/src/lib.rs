#![doc = include_str!("../README.md")]

pub mod auth;
pub mod dto;
pub mod error;
pub mod extract;
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
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{Permission, ResellerAccess};
use crate::error::ApiError;

/// The largest request body any endpoint takes. One customer with fifty owners fits easily.
pub const MAX_BODY: usize = 256 * 1024;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub service: custos_app::App,
    pub keys: custos_app::keys::KeyCache,
    pub metrics: Arc<metrics::Metrics>,
    /// The OPRF evaluations each peer key had this hour: when its hour began, how many.
    pub oprf_budget:
        Arc<std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, u32)>>>,
}

impl AppState {
    pub fn new(service: custos_app::App) -> Self {
        AppState {
            service,
            keys: custos_app::keys::KeyCache::default(),
            metrics: Arc::new(metrics::Metrics::new()),
            oprf_budget: Arc::default(),
        }
    }
}

async fn no_store(mut r: axum::response::Response) -> axum::response::Response {
    r.headers_mut()
        .entry(axum::http::header::CACHE_CONTROL)
        .or_insert(axum::http::HeaderValue::from_static("no-store"));
    r
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// The whole HTTP API. Every route is listed once, here, by its handler (whose
/// `#[utoipa::path]` gives the OpenAPI document its path, method and schemas), with the
/// permission a caller's role needs, in the group that declares what a reseller's key may do
/// there, its body limit and idempotency.
pub fn router(state: AppState) -> Router {
    let (router, mut api) = api(state.clone()).split_for_parts();
    openapi::finish(&mut api);
    router
        .route("/ledger/{log}/checkpoint", get(routes::ledger::checkpoint))
        .route("/ledger/{log}/tile/{*rest}", get(routes::ledger::tile))
        .merge(SwaggerUi::new("/docs").url("/openapi.json", api))
        .merge(custos_console::router(state.service.clone()))
        .merge(routes::taxii::router(state.clone()))
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
        // Nothing the server answers is for a cache to keep: answers hold personal data, and
        // the console's pages say so again themselves.
        .layer(axum::middleware::map_response(no_store))
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
    use routes::legal;
    use routes::program;
    use routes::resellers;
    use routes::{abuse, accounts, admin, approvals, customers, designations, health, ledger};
    use routes::{reference, screen, screening, sharing, webhooks};
    // A route: the permission a caller's role needs is checked first, then an
    // `Idempotency-Key` is honoured (so a caller that may not call the route never has its
    // body read, kept or replayed).
    let may = |permission: Permission, route: UtoipaMethodRouter<AppState>| {
        route
            .layer(from_fn_with_state(state.clone(), idempotency::layer))
            .layer(from_fn_with_state(permission, auth::require))
    };
    // A group: what a reseller's key may do there (checked before the route's permission),
    // and the largest body its routes take.
    let group = |access: ResellerAccess, body: usize, routes: OpenApiRouter<AppState>| {
        routes
            .route_layer(from_fn_with_state(
                (state.clone(), access),
                auth::reseller_access,
            ))
            .layer(axum::Extension(idempotency::BodyLimit(body)))
            .layer(DefaultBodyLimit::max(body))
    };
    // A reseller's key creates customers and accounts under its reseller account.
    let reseller_creates = OpenApiRouter::new()
        .routes(may(Permission::Intake, routes!(customers::create)))
        .routes(may(Permission::Intake, routes!(accounts::open)));
    // ... adds records to its own customers and reads their status.
    let own_customers = OpenApiRouter::new()
        .routes(may(Permission::ReadDecisions, routes!(customers::get)))
        .routes(may(Permission::Intake, routes!(customers::add_contact)))
        .routes(may(
            Permission::Intake,
            routes!(customers::add_payment_means),
        ))
        .routes(may(Permission::Intake, routes!(customers::add_document)))
        .routes(may(Permission::Intake, routes!(customers::address_change)))
        .routes(may(
            Permission::Intake,
            routes!(customers::verification_result),
        ))
        .routes(may(Permission::Redress, routes!(customers::resubmit)))
        .routes(may(Permission::Intake, routes!(customers::owner_change)));
    // ... reads, closes and reports on the accounts in its subtree.
    let subtree = OpenApiRouter::new()
        .routes(may(Permission::ReadDecisions, routes!(accounts::get)))
        .routes(may(Permission::CloseAccount, routes!(accounts::close)))
        .routes(may(Permission::Intake, routes!(accounts::access)))
        .routes(may(Permission::Intake, routes!(accounts::profile)))
        .routes(may(Permission::ReadDecisions, routes!(resellers::tree)));
    // ... and keeps its CIP (a document upload).
    let subtree_documents = OpenApiRouter::new()
        .routes(may(Permission::KeepCip, routes!(resellers::put_cip)))
        .routes(may(Permission::ReadCip, routes!(resellers::cip_versions)));
    // ... finds its customers and accounts (each list narrowed to its subtree).
    let lists = OpenApiRouter::new()
        .routes(may(Permission::ReadDecisions, routes!(customers::list)))
        .routes(may(Permission::ReadDecisions, routes!(accounts::list)));
    // The provider's own: a reseller's key may not call these.
    let provider = OpenApiRouter::new()
        .routes(may(Permission::ReadCompliance, routes!(customers::holds)))
        .routes(may(Permission::ReadPersonal, routes!(customers::search)))
        .routes(may(Permission::ReadPersonal, routes!(customers::record)))
        .routes(may(Permission::ReadPersonal, routes!(customers::links)))
        .routes(may(Permission::Review, routes!(customers::review)))
        .routes(may(Permission::LegalHold, routes!(customers::place_hold)))
        .routes(may(Permission::LegalHold, routes!(customers::release_hold)))
        .routes(may(
            Permission::LegalHold,
            routes!(legal::create, legal::list),
        ))
        .routes(may(Permission::LegalHold, routes!(legal::get)))
        .routes(may(Permission::LegalHold, routes!(legal::document)))
        .routes(may(Permission::LegalHold, routes!(legal::set_state)))
        .routes(may(Permission::LegalHold, routes!(legal::extend)))
        .routes(may(Permission::LegalHold, routes!(legal::produce)))
        .routes(may(Permission::LegalHold, routes!(legal::production)))
        .routes(may(Permission::ReportAbuse, routes!(abuse::report)))
        .routes(may(Permission::ReadCases, routes!(abuse::list)))
        .routes(may(Permission::ReadCases, routes!(abuse::get)))
        .routes(may(Permission::ReadPersonal, routes!(abuse::evidence)))
        .routes(may(Permission::Review, routes!(abuse::act)))
        .routes(may(Permission::Share, routes!(sharing::share)))
        .routes(may(Permission::Share, routes!(sharing::bundle)))
        .routes(may(
            Permission::Share,
            routes!(sharing::create, sharing::list),
        ))
        .routes(may(Permission::Share, routes!(sharing::put_trust_key)))
        .routes(may(Permission::Share, routes!(sharing::trust_keys)))
        .routes(may(Permission::Share, routes!(sharing::export_set)))
        .routes(may(Permission::Share, routes!(sharing::keyed_sets)))
        .routes(may(Permission::Share, routes!(sharing::record_incident)))
        .routes(may(Permission::ReadCompliance, routes!(sharing::incidents)))
        .routes(may(Permission::ReadCompliance, routes!(sharing::incident)))
        .routes(may(Permission::Share, routes!(sharing::incident_reported)))
        .routes(may(Permission::Share, routes!(sharing::incident_bundle)))
        .routes(may(Permission::Share, routes!(sharing::share_incident)))
        .routes(may(
            Permission::ReadCompliance,
            routes!(sharing::incident_sheet),
        ))
        .routes(may(
            Permission::ReadDecisions,
            routes!(accounts::needing_action),
        ))
        .routes(may(Permission::ReadDecisions, routes!(designations::list)))
        .routes(may(Permission::Compliance, routes!(designations::create)))
        .routes(may(
            Permission::ReadDecisions,
            routes!(designations::schedule),
        ))
        .routes(may(Permission::Compliance, routes!(designations::extend)))
        .routes(may(Permission::Compliance, routes!(designations::preview)))
        .routes(may(Permission::Compliance, routes!(designations::sweep)))
        .routes(may(Permission::ReadCompliance, routes!(reference::list)))
        .routes(may(Permission::ReadCases, routes!(reference::lookup)))
        .routes(may(Permission::ReadCompliance, routes!(resellers::list)))
        .routes(may(Permission::Compliance, routes!(resellers::flag)))
        .routes(may(
            Permission::ReadCompliance,
            routes!(resellers::document),
        ))
        .routes(may(
            Permission::Compliance,
            routes!(resellers::add_cip_request),
        ))
        .routes(may(
            Permission::ReadCompliance,
            routes!(resellers::cip_requests),
        ))
        .routes(may(Permission::Compliance, routes!(resellers::cip_package)))
        .routes(may(Permission::ReadCompliance, routes!(resellers::cases)))
        .routes(may(Permission::Compliance, routes!(resellers::report)))
        .routes(may(Permission::Compliance, routes!(resellers::close_case)))
        .routes(may(Permission::Compliance, routes!(program::grant)))
        .routes(may(
            Permission::ReadCompliance,
            routes!(program::exemptions),
        ))
        .routes(may(Permission::Compliance, routes!(program::revoke)))
        .routes(may(Permission::ReadCompliance, routes!(program::adp)))
        .routes(may(Permission::Compliance, routes!(program::add_review)))
        .routes(may(Permission::Compliance, routes!(program::add_deviation)))
        .routes(may(Permission::Compliance, routes!(program::notified)))
        .routes(may(Permission::Compliance, routes!(program::add_ai_report)))
        .routes(may(
            Permission::ReadCompliance,
            routes!(program::ai_reports),
        ))
        .routes(may(Permission::Compliance, routes!(program::filed)))
        .routes(may(
            Permission::ReadCompliance,
            routes!(program::reverification),
        ))
        .routes(may(Permission::ReadCompliance, routes!(program::deadlines)))
        .routes(may(Permission::Compliance, routes!(program::put_profile)))
        .routes(may(Permission::ReadCompliance, routes!(program::profile)))
        .routes(may(
            Permission::ReadCompliance,
            routes!(program::certification),
        ))
        .routes(may(Permission::Compliance, routes!(program::file)))
        .routes(may(Permission::ReadCompliance, routes!(program::filings)))
        .routes(may(Permission::ReadDecisions, routes!(screening::exposure)))
        .routes(may(Permission::ReadDecisions, routes!(screen::screen)))
        .routes(may(Permission::ReadPersonal, routes!(ledger::account)))
        .routes(may(Permission::ReadDecisions, routes!(ledger::key)))
        .routes(may(Permission::ReadPersonal, routes!(ledger::ip)))
        .routes(may(Permission::ReadDecisions, routes!(screening::cases)))
        .routes(may(Permission::ReadPersonal, routes!(screening::case)))
        .routes(may(Permission::Review, routes!(screening::resolve)))
        .routes(may(Permission::Review, routes!(screening::rescreen)))
        .routes(may(Permission::Review, routes!(approvals::list)))
        .routes(may(Permission::Review, routes!(approvals::get)))
        .routes(may(Permission::Review, routes!(approvals::approve)))
        .routes(may(Permission::Review, routes!(approvals::reject)))
        .routes(may(Permission::ReadAudit, routes!(admin::audit)))
        .routes(may(Permission::ManageKeys, routes!(admin::create)))
        .routes(may(Permission::ManageKeys, routes!(admin::list)))
        .routes(may(Permission::ManageKeys, routes!(webhooks::create)))
        .routes(may(Permission::ManageKeys, routes!(webhooks::list)))
        .routes(may(Permission::ManageKeys, routes!(webhooks::get)))
        .routes(may(Permission::ManageKeys, routes!(webhooks::delete)))
        .routes(may(Permission::ManageKeys, routes!(webhooks::deliveries)))
        .routes(may(Permission::ManageKeys, routes!(webhooks::delivery)))
        .routes(may(Permission::ManageKeys, routes!(webhooks::redeliver)))
        .routes(may(Permission::ReadDecisions, routes!(webhooks::feed)));
    let provider_documents = OpenApiRouter::new()
        .routes(may(
            Permission::Compliance,
            routes!(resellers::put_provider_cip),
        ))
        .routes(may(Permission::Compliance, routes!(program::put_document)))
        .routes(may(Permission::LegalHold, routes!(legal::put_document)));
    let provider_imports = OpenApiRouter::new()
        .routes(may(Permission::Compliance, routes!(reference::import)))
        .routes(may(Permission::Share, routes!(sharing::import_set)));
    let provider_events =
        OpenApiRouter::new().routes(may(Permission::Intake, routes!(ledger::ingest)));
    let document = custos_app::resellers::MAX_DOCUMENT + 1024;
    let v1 = OpenApiRouter::new()
        .merge(group(ResellerAccess::Create, MAX_BODY, reseller_creates))
        .merge(group(ResellerAccess::OwnCustomer, MAX_BODY, own_customers))
        .merge(group(ResellerAccess::Subtree, MAX_BODY, subtree))
        .merge(group(ResellerAccess::Subtree, document, subtree_documents))
        .merge(group(ResellerAccess::List, MAX_BODY, lists))
        .merge(group(ResellerAccess::None, MAX_BODY, provider))
        .merge(group(ResellerAccess::None, document, provider_documents))
        .merge(group(
            ResellerAccess::None,
            routes::ledger::MAX_EVENTS_BODY,
            provider_events,
        ))
        .merge(group(
            ResellerAccess::None,
            reference::MAX_IMPORT_BODY,
            provider_imports,
        ))
        .layer(from_fn_with_state(state.clone(), auth::require_auth));
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(v1)
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics))
}
