#![doc = include_str!("../README.md")]

mod abuse;
mod exemptions;
mod legal;
mod lists;
mod pages;
mod program;
mod records;
mod reference;
mod resellers;
mod session;
mod sharing;
mod timeline;
mod view;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub use session::SESSION_COOKIE;

/// What every console handler shares.
#[derive(Debug, Clone)]
pub struct Console {
    pub(crate) app: custos_app::App,
}

/// The policy every console answer sends: no script or style but the console's own, no
/// frames, no form sent elsewhere.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                       img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; \
                       base-uri 'none'";

const CSS: &str = include_str!("../assets/console.css");

/// The largest list file the console takes.
pub const MAX_LIST_FILE: usize = 128 * 1024 * 1024;

/// The console's routes, each under `/console/`, to merge into the server's router.
pub fn router<S: Clone + Send + Sync + 'static>(app: custos_app::App) -> Router<S> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(pages::home))
        .route(
            "/console/login",
            get(session::login_form).post(session::login),
        )
        .route("/console/logout", post(session::logout).get(up))
        .route("/console/queues/accounts", get(pages::accounts))
        .route("/console/queues/cases", get(pages::cases))
        .route("/console/claims", post(pages::claim).get(up))
        .route("/console/approvals", get(pages::approvals))
        .route(
            "/console/approvals/{id}/{verb}",
            post(pages::decide).get(up),
        )
        .route("/console/customers/{id}", get(records::customer))
        .route(
            "/console/customers/{id}/reveal",
            post(records::reveal_customer).get(up),
        )
        .route(
            "/console/customers/{id}/review",
            post(records::review).get(up),
        )
        .route(
            "/console/customers/{id}/resubmit",
            post(records::resubmit).get(up),
        )
        .route(
            "/console/customers/{id}/holds",
            post(records::place_hold).get(up),
        )
        .route(
            "/console/customers/{id}/holds/{hold}/release",
            post(records::release_hold).get(up),
        )
        .route("/console/accounts/{id}", get(records::account))
        .route("/console/accounts/{id}/close", post(records::close).get(up))
        .route(
            "/console/accounts/{id}/events",
            post(records::account_events).get(up),
        )
        .route("/console/screening/cases/{id}", get(records::case))
        .route(
            "/console/screening/cases/{id}/reveal",
            post(records::reveal_case).get(up),
        )
        .route(
            "/console/screening/cases/{id}/resolve",
            post(records::resolve).get(up),
        )
        .route(
            "/console/designations",
            get(program::designations).post(program::add_designation),
        )
        .route("/console/designations/{id}", get(program::designation))
        .route(
            "/console/designations/{id}/preview",
            post(program::preview).get(up),
        )
        .route(
            "/console/designations/{id}/extend",
            post(program::extend).get(up),
        )
        .route("/console/compliance", get(program::compliance))
        .route(
            "/console/compliance/certification",
            get(program::certification),
        )
        .route("/console/compliance/filings", post(program::file).get(up))
        .route(
            "/console/compliance/exemptions",
            post(exemptions::grant).get(up),
        )
        .route(
            "/console/compliance/exemptions/{id}/revoke",
            post(exemptions::revoke).get(up),
        )
        .route("/console/legal", get(legal::requests).post(legal::record))
        .route("/console/legal/{id}", get(legal::request))
        .route("/console/legal/{id}/state", post(legal::state).get(up))
        .route("/console/legal/{id}/extend", post(legal::extend).get(up))
        .route(
            "/console/legal/{id}/productions",
            post(legal::produce).get(up),
        )
        .route(
            "/console/legal/{id}/productions/{production}",
            get(legal::download),
        )
        .route(
            "/console/legal/{id}/document",
            get(legal::served)
                .post(legal::attach)
                .layer(axum::extract::DefaultBodyLimit::max(
                    custos_app::legal::MAX_DOCUMENT + 64 * 1024,
                )),
        )
        .route("/console/audit", get(program::audit))
        .route("/console/resellers", get(resellers::resellers))
        .route("/console/resellers/{id}", get(resellers::reseller))
        .route(
            "/console/resellers/{id}/non-compliance",
            post(resellers::flag).get(up),
        )
        .route(
            "/console/resellers/{id}/non-compliance/{case}/reports",
            post(resellers::report).get(up),
        )
        .route(
            "/console/resellers/{id}/non-compliance/{case}/close",
            post(resellers::close).get(up),
        )
        .route(
            "/console/lists",
            get(lists::lists)
                .post(lists::import)
                // A list file is large: the real OFAC and UN lists are tens of megabytes.
                .layer(axum::extract::DefaultBodyLimit::max(MAX_LIST_FILE)),
        )
        .route("/console/lists/{list}/{number}", get(lists::list_version))
        .route("/console/abuse", get(abuse::cases).post(abuse::report))
        .route("/console/abuse/{id}", get(abuse::case))
        .route(
            "/console/abuse/{id}/evidence",
            post(abuse::evidence).get(up),
        )
        .route("/console/abuse/{id}/actions", post(abuse::act).get(up))
        .route(
            "/console/abuse/{id}/share",
            post(sharing::share_case).get(up),
        )
        .route("/console/sharing", get(sharing::sharing))
        .route(
            "/console/sharing/collections",
            post(sharing::add_collection).get(up),
        )
        .route(
            "/console/incidents",
            get(sharing::incidents).post(sharing::record),
        )
        .route("/console/incidents/{id}", get(sharing::incident))
        .route(
            "/console/incidents/{id}/reported",
            post(sharing::reported).get(up),
        )
        .route(
            "/console/incidents/{id}/share",
            post(sharing::share_incident).get(up),
        )
        .route("/console/incidents/{id}/sheet", get(sharing::sheet))
        .route("/console/incidents/{id}/sheet.pdf", get(sharing::sheet_pdf))
        .route(
            "/console/reference",
            get(reference::reference).post(reference::import).layer(
                axum::extract::DefaultBodyLimit::max(
                    custos_app::reference::MAX_REFERENCE_BYTES + 64 * 1024,
                ),
            ),
        )
        .route("/console/reference/lookup", post(reference::lookup).get(up))
        .route("/console/assets/console.css", get(css))
        .route("/console/{*rest}", get(not_found).post(not_found))
        .layer(axum::middleware::map_response(headers))
        .with_state(Console { app })
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// A form's address reached by its method but POST (a reload, a pasted address): the page
/// the form is on.
async fn up(uri: axum::http::Uri) -> Redirect {
    let path = uri.path().trim_end_matches('/');
    let parent = path.rsplit_once('/').map_or("/console/", |(p, _)| p);
    // The page a form's address belongs to: a record's own page, or the section's.
    let page = match parent.split('/').collect::<Vec<_>>()[..] {
        ["", "console", section @ ("compliance" | "approvals"), ..] => {
            format!("/console/{section}")
        }
        ["", "console", "screening", "cases", id, ..] => format!("/console/screening/cases/{id}"),
        ["", "console", section, id, ..] => format!("/console/{section}/{id}"),
        _ => parent.to_owned(),
    };
    Redirect::to(if page.len() > "/console".len() {
        &page
    } else {
        "/console/"
    })
}

async fn not_found() -> Response {
    view::message(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no page at this address.",
    )
}

/// The headers every console answer carries.
async fn headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}
