//! The TAXII 2.1 server, under `/taxii2/`: discovery, one API root (`/taxii2/api/`), its
//! collections, their objects (filtered and paged), single objects and their versions, the
//! manifest, and status resources. Peers authenticate with a `peer` key, sent as HTTP Basic
//! (the key as the password, or as the user name with no password) or as a Bearer token; a
//! peer sees only the collections it was given. Answers and errors are TAXII's own media type
//! and error message, with 406 for an `Accept` the server cannot answer and 415 for a body
//! that is not a TAXII envelope.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use custos_app::sharing::taxii::{self, Endpoint};
use custos_app::sharing::{Access, Collection};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;

/// TAXII's media type.
pub const TAXII: &str = "application/taxii+json;version=2.1";
/// STIX's media type.
pub const STIX: &str = "application/stix+json;version=2.1";
/// The largest envelope a collection takes.
pub const MAX_CONTENT: usize = 4 * 1024 * 1024;

/// A TAXII error: the problem the API would answer, as TAXII's error message.
#[derive(Debug)]
pub struct TaxiiError(ApiError);

impl<E: Into<ApiError>> From<E> for TaxiiError {
    fn from(e: E) -> Self {
        TaxiiError(e.into())
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let p = self.0.problem();
        // A filter TAXII does not know, or a value it cannot read, is a bad request there.
        let status = match p.status {
            422 => StatusCode::BAD_REQUEST,
            s => StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        };
        let description = match &p.field {
            Some(f) => format!("`{f}`: {}", p.detail),
            None => p.detail.clone(),
        };
        let body = json!({
            "title": p.title,
            "description": description,
            "error_code": p.kind.trim_start_matches("urn:custos:problem:"),
            "http_status": status.as_u16().to_string(),
        });
        let mut r = taxii_json(status, &body);
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"custos TAXII\", Bearer"),
            );
        }
        r
    }
}

type Answer = Result<Response, TaxiiError>;

fn taxii_json(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, serde_json::to_vec(body).unwrap_or_default()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII));
    r
}

/// A STIX document, with STIX's media type.
pub fn stix_json(body: &Value) -> Response {
    let mut r = serde_json::to_vec_pretty(body)
        .unwrap_or_default()
        .into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(STIX));
    r
}

/// Whether one media range of an `Accept` (or a `Content-Type`) is TAXII 2.1's: the type
/// (or a wildcard that covers it) and, if given, version 2.1.
fn is_taxii(range: &str, wildcards: bool) -> bool {
    let mut parts = range.split(';').map(str::trim);
    let kind = parts.next().unwrap_or("").to_ascii_lowercase();
    let kind_ok = kind == "application/taxii+json"
        || (wildcards && (kind == "*/*" || kind == "application/*"));
    let mut version_ok = true;
    for p in parts {
        if let Some((k, v)) = p.split_once('=')
            && k.trim().eq_ignore_ascii_case("version")
        {
            version_ok = v.trim().trim_matches('"') == "2.1";
        }
    }
    kind_ok && version_ok
}

/// Middleware: authenticates the caller (Basic or Bearer) and checks the media types.
async fn gate(State(st): State<AppState>, mut req: Request, next: Next) -> Answer {
    let token = bearer_or_basic(req.headers()).ok_or(ApiError::Unauthenticated)?;
    let caller = st.keys.authenticate(&st.service, &token).await?;
    caller.require(custos_app::keys::Permission::Taxii)?;
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .map(|v| v.to_str().unwrap_or("").to_owned());
    if let Some(a) = accept
        && !a.split(',').any(|r| is_taxii(r, true))
    {
        return Err(TaxiiError(ApiError::NotAcceptable(format!(
            "this server answers `{TAXII}`"
        ))));
    }
    if req.method() == Method::POST {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !is_taxii(ct, false) {
            return Err(TaxiiError(ApiError::UnsupportedMediaType));
        }
    }
    req.extensions_mut().insert(Principal(caller));
    Ok(next.run(req).await)
}

/// The key a TAXII client sends: a Bearer token, or HTTP Basic with the key as the password
/// (or as the user name, with no password).
fn bearer_or_basic(h: &HeaderMap) -> Option<String> {
    let v = h.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    if let Some(t) = v.strip_prefix("Bearer ") {
        return Some(t.trim().to_owned());
    }
    let b = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, pass) = text.split_once(':').unwrap_or((&text, ""));
    Some(if pass.is_empty() { user } else { pass }.trim().to_owned())
}

fn params(q: Option<String>) -> Result<Vec<(String, String)>, TaxiiError> {
    let q = q.unwrap_or_default();
    serde_urlencoded::from_str::<Vec<(String, String)>>(&q).map_err(|_| {
        TaxiiError(ApiError::BadRequest(
            "the query string cannot be read".into(),
        ))
    })
}

async fn discovery(p: Principal) -> Answer {
    let _ = p;
    Ok(taxii_json(
        StatusCode::OK,
        &json!({
            "title": "custos TAXII server",
            "description": "Indicators, sightings and incidents an IaaS provider shares with its peers (EO 13984, section 3).",
            "default": "/taxii2/api/",
            "api_roots": ["/taxii2/api/"],
        }),
    ))
}

async fn api_root() -> Answer {
    Ok(taxii_json(
        StatusCode::OK,
        &json!({
            "title": "custos sharing",
            "description": "The provider's collections, each open to the peers it names.",
            "versions": [TAXII],
            "max_content_length": MAX_CONTENT,
        }),
    ))
}

fn collection_json(c: &Collection, a: Access) -> Value {
    let mut v = json!({
        "id": c.id,
        "title": c.title,
        "can_read": a.read,
        "can_write": a.write,
        "media_types": [STIX],
    });
    if let Some(d) = &c.description {
        v["description"] = json!(d);
    }
    v
}

async fn collections(State(st): State<AppState>, p: Principal) -> Answer {
    let all = st.service.taxii_collections(&p).await?;
    let list: Vec<Value> = all.iter().map(|(c, a)| collection_json(c, *a)).collect();
    // An empty list is no `collections` at all, as the specification writes it.
    let body = if list.is_empty() {
        json!({})
    } else {
        json!({ "collections": list })
    };
    Ok(taxii_json(StatusCode::OK, &body))
}

async fn collection(State(st): State<AppState>, p: Principal, Path(id): Path<String>) -> Answer {
    let (c, a) = st.service.taxii_collection(&p, &id).await?;
    Ok(taxii_json(StatusCode::OK, &collection_json(&c, a)))
}

fn page_answer(page: &taxii::Page, body: Value) -> Response {
    let mut r = taxii_json(StatusCode::OK, &body);
    if let Some((first, last)) = page.added_range() {
        for (name, v) in [
            ("x-taxii-date-added-first", first),
            ("x-taxii-date-added-last", last),
        ] {
            if let Ok(v) = HeaderValue::from_str(&v) {
                r.headers_mut().insert(name, v);
            }
        }
    }
    r
}

fn envelope(page: &taxii::Page, key: &str, items: Vec<Value>) -> Value {
    let mut body = json!({ "more": page.more });
    if let Some(n) = &page.next {
        body["next"] = json!(n);
    }
    if !items.is_empty() {
        body[key] = Value::Array(items);
    }
    body
}

async fn get_objects(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Answer {
    let page = st
        .service
        .taxii_page(&p, &id, None, &params(q)?, Endpoint::Objects, true)
        .await?;
    let objects = page.objects()?;
    Ok(page_answer(&page, envelope(&page, "objects", objects)))
}

async fn add_objects(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Answer {
    // A body over the limit (or one that cannot be read) is answered as TAXII answers errors,
    // not with the framework's plain text.
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            TaxiiError(ApiError::PayloadTooLarge)
        } else {
            TaxiiError(ApiError::BadRequest(format!(
                "the envelope could not be read: {}",
                e.body_text()
            )))
        }
    })?;
    let status = st.service.taxii_add(&p, &id, &body).await?;
    let body = serde_json::to_value(&status).map_err(|_| ApiError::Internal)?;
    Ok(taxii_json(StatusCode::ACCEPTED, &body))
}

async fn get_object(
    State(st): State<AppState>,
    p: Principal,
    Path((id, object)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Answer {
    let page = st
        .service
        .taxii_page(&p, &id, Some(&object), &params(q)?, Endpoint::Object, true)
        .await?;
    let objects = page.objects()?;
    Ok(page_answer(&page, envelope(&page, "objects", objects)))
}

async fn versions(
    State(st): State<AppState>,
    p: Principal,
    Path((id, object)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Answer {
    let page = st
        .service
        .taxii_page(
            &p,
            &id,
            Some(&object),
            &params(q)?,
            Endpoint::Versions,
            false,
        )
        .await?;
    let list = page.rows.iter().map(|r| json!(taxii::version(r))).collect();
    Ok(page_answer(&page, envelope(&page, "versions", list)))
}

async fn manifest(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Answer {
    let page = st
        .service
        .taxii_page(&p, &id, None, &params(q)?, Endpoint::Objects, false)
        .await?;
    let list = page.manifest();
    Ok(page_answer(&page, envelope(&page, "objects", list)))
}

async fn status(State(st): State<AppState>, p: Principal, Path(id): Path<String>) -> Answer {
    let s = st.service.taxii_status(&p, &id).await?;
    let body = serde_json::to_value(&s).map_err(|_| ApiError::Internal)?;
    Ok(taxii_json(StatusCode::OK, &body))
}

async fn not_found() -> TaxiiError {
    TaxiiError(ApiError::NotFound("no such TAXII endpoint".into()))
}

/// A method a TAXII endpoint does not answer: 405, with the methods it does (`Allow`).
fn not_allowed(allow: &'static str) -> Response {
    let mut r = TaxiiError(ApiError::MethodNotAllowed).into_response();
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

/// How many blinded elements one peer key may have evaluated an hour: each is one guess at a
/// phone number or an address, so this is what makes guessing them all slow.
pub const OPRF_PER_HOUR: u32 = 1000;

/// Middleware of the OPRF routes: the caller as TAXII authenticates it; JSON both ways, and
/// the API's problem details (this is not TAXII).
async fn oprf_gate(
    State(st): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let token = bearer_or_basic(req.headers()).ok_or(ApiError::Unauthenticated)?;
    let caller = st.keys.authenticate(&st.service, &token).await?;
    caller.require(custos_app::keys::Permission::Taxii)?;
    req.extensions_mut().insert(Principal(caller));
    Ok(next.run(req).await)
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EvaluateRequest {
    blinded_elements: Vec<String>,
}

/// `POST /taxii2/oprf/evaluate`: blinded elements evaluated under this provider's OPRF key,
/// within the key's hourly budget.
async fn oprf_evaluate(
    State(st): State<AppState>,
    p: Principal,
    crate::json::ApiJson(req): crate::json::ApiJson<EvaluateRequest>,
) -> Result<Response, ApiError> {
    // A request the evaluation refuses (none, or too many) spends nothing.
    let max = custos_app::sharing::oprf::MAX_BATCH;
    if req.blinded_elements.is_empty() || req.blinded_elements.len() > max {
        return Err(ApiError::validation(
            "blinded_elements",
            format!("1 to {max} a request"),
        ));
    }
    let n = u32::try_from(req.blinded_elements.len()).unwrap_or(u32::MAX);
    {
        let mut budget = st.oprf_budget.lock().map_err(|_| ApiError::Internal)?;
        let now = std::time::Instant::now();
        let hour = std::time::Duration::from_secs(3600);
        let spent = budget.entry(p.key_id.clone()).or_insert((now, 0));
        if now.duration_since(spent.0) >= hour {
            *spent = (now, 0);
        }
        if spent.1.saturating_add(n) > OPRF_PER_HOUR {
            let wait = hour
                .saturating_sub(now.duration_since(spent.0))
                .as_secs()
                .max(1);
            let mut r = ApiError::TooManyRequests(format!(
                "this key may have {OPRF_PER_HOUR} elements evaluated an hour; {} are left",
                OPRF_PER_HOUR - spent.1.min(OPRF_PER_HOUR)
            ))
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(r);
        }
        spent.1 += n;
    }
    let e = st.service.oprf_evaluate(&p, &req.blinded_elements).await?;
    Ok(axum::Json(e).into_response())
}

/// `GET /taxii2/oprf/sets/{kind}`: the OPRF outputs of this provider's phones or addresses.
async fn oprf_set(
    State(st): State<AppState>,
    p: Principal,
    Path(kind): Path<String>,
) -> Result<Response, ApiError> {
    let kind: custos_app::sharing::oprf::OprfKind = serde_json::from_value(Value::String(kind))
        .map_err(|_| ApiError::NotFound("no such set: `phone` or `ipv4`".into()))?;
    Ok(axum::Json(st.service.oprf_set(&p, kind).await?).into_response())
}

/// The TAXII routes, each with and without its trailing slash.
pub fn router(state: AppState) -> Router<AppState> {
    let mut r = Router::new();
    let c = "/taxii2/api/collections/{id}";
    let routes = [
        ("/taxii2", get(discovery), "GET, HEAD"),
        ("/taxii2/api", get(api_root), "GET, HEAD"),
        ("/taxii2/api/collections", get(collections), "GET, HEAD"),
        (c, get(collection), "GET, HEAD"),
        (
            "/taxii2/api/collections/{id}/objects",
            get(get_objects).post(add_objects),
            "GET, HEAD, POST",
        ),
        (
            "/taxii2/api/collections/{id}/objects/{object}",
            get(get_object),
            "GET, HEAD",
        ),
        (
            "/taxii2/api/collections/{id}/objects/{object}/versions",
            get(versions),
            "GET, HEAD",
        ),
        (
            "/taxii2/api/collections/{id}/manifest",
            get(manifest),
            "GET, HEAD",
        ),
        ("/taxii2/api/status/{status}", get(status), "GET, HEAD"),
    ];
    for (path, route, allow) in routes {
        let route = route.fallback(move || async move { not_allowed(allow) });
        r = r
            .route(path, route.clone())
            .route(&format!("{path}/"), route);
    }
    let oprf = Router::new()
        .route("/taxii2/oprf/evaluate", axum::routing::post(oprf_evaluate))
        .route("/taxii2/oprf/sets/{kind}", get(oprf_set))
        .layer(from_fn_with_state(state.clone(), oprf_gate));
    r.route("/taxii2/{*rest}", axum::routing::any(not_found))
        .layer(from_fn_with_state(state, gate))
        .layer(DefaultBodyLimit::max(MAX_CONTENT))
        .merge(oprf)
}
