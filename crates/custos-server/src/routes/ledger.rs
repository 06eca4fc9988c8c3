//! The access ledger over HTTP: ingest (`POST /v1/events`), the questions investigators ask
//! (`GET /v1/accounts/{id}/events`, `GET /v1/ips/{ip_or_cidr}/accounts`), and the logs
//! themselves in the C2SP tlog-tiles layout under `/ledger/access/` and `/ledger/audit/`
//! (checkpoint and hash tiles for anyone; entry bundles, which hold addresses and account ids,
//! for auditors, and audited).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use custos_app::events::{BatchFormat, Ingested, parse_batch};
use custos_app::ledger::{AccountEvents, EventsQuery, NetAccounts, ProofAt};
use custos_ledger::{Event, Ledger, LedgerError, Which};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::{Permission, Principal, Purpose};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};

/// The largest body `POST /v1/events` takes.
pub const MAX_EVENTS_BODY: usize = 16 * 1024 * 1024;

fn ledger(st: &AppState) -> Result<Arc<Ledger>, ApiError> {
    Ok(st.service.ledger_or_conflict()?)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, LedgerError> + Send + 'static,
) -> Result<T, ApiError> {
    let r = tokio::task::spawn_blocking(f)
        .await
        .map_err(custos_app::Error::from)?;
    Ok(r.map_err(custos_app::Error::from)?)
}

/// The events of a body: a JSON array, or NDJSON (one object a line), by its media type;
/// each checked against the server's clock, `now` (see [`custos_app::events`]).
fn events(headers: &HeaderMap, body: &[u8], now: DateTime<Utc>) -> Result<Vec<Event>, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let format = BatchFormat::from_media_type(&ct).ok_or(ApiError::UnsupportedMediaType)?;
    Ok(parse_batch(format, body, now)?)
}

/// The ledger's verifier key (signed-note form) and each log's latest signed checkpoint: what
/// an investigator or a court's expert needs to check a proof or a records package, read from
/// the running server.
#[utoipa::path(get, path = "/v1/ledger/key", tag = "ledger",
    responses((status = 200, body = custos_app::ledger::LedgerKey),
        (status = 409, body = Problem, description = "This server keeps no ledger")),
    security(("bearer" = [])))]
pub async fn key(
    State(st): State<AppState>,
) -> Result<Json<custos_app::ledger::LedgerKey>, ApiError> {
    Ok(Json(st.service.ledger_key()?))
}

/// Append access and administrative events to the ledger: a JSON array or NDJSON body of up
/// to 10,000 events. Answers once they are durable (synced, with the signed checkpoint that
/// commits them), with the indexes they got. Events for accounts custos does not know are kept
/// and flagged. An event may carry the SSH key used, as `ssh_key_fingerprint`
/// (`SHA256:…`, as `ssh-keygen -l` prints it).
#[utoipa::path(post, path = "/v1/events", tag = "ledger",
    request_body(content = Object, example = json!([{"account_id": "acc_demo_foreign_direct",
        "time": "2026-11-24T09:00:00.123456789Z", "ip": "203.0.113.7", "port": 22,
        "action": "ssh", "source": "bastion-1", "actor": "root", "request_id": "r-1",
        "ssh_key_fingerprint": "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"}])),
    responses((status = 200, body = Ingested), (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn ingest(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Ingested>, ApiError> {
    let events = events(&headers, &body, st.service.now())?;
    let n = events.len();
    let done = st.service.ingest(events).await?;
    st.metrics
        .ledger_events(n as u64, done.unknown_accounts.len() as u64);
    Ok(Json(done))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// An RFC 3339 time, or a day (from its start, UTC); default: 24 hours before `to`.
    #[serde(default, deserialize_with = "custos_app::when::start")]
    #[param(value_type = Option<String>)]
    pub from: Option<DateTime<Utc>>,
    /// An RFC 3339 time, or a day (to its end, UTC); default: now.
    #[serde(default, deserialize_with = "custos_app::when::end")]
    #[param(value_type = Option<String>)]
    pub to: Option<DateTime<Utc>>,
    /// At most this many events (1 to 10,000; default 1,000).
    pub limit: Option<u32>,
    /// Carry an inclusion proof for each result against the checkpoint of this tree size
    /// (`latest` or a size up to the current one): each event's, or each account's first and
    /// last use.
    pub proof: Option<String>,
    /// The `next_cursor` of the page before (events only).
    pub starting_after: Option<String>,
}

/// The events of an account in a time range, from the access ledger (kept after the account
/// closes), in time order, a page at a time (`limit`, `starting_after`). Personal data:
/// reviewer or higher, audited.
#[utoipa::path(get, path = "/v1/accounts/{id}/events", tag = "ledger",
    params(("id" = String, Path, example = "acc_demo_foreign_direct"), RangeQuery,
        ("X-Custos-Purpose" = String, Header, description = "Why the events are read")),
    responses((status = 200, body = AccountEvents), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn account(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<RangeQuery>,
    purpose: Result<Purpose, ApiError>,
) -> Result<Json<AccountEvents>, ApiError> {
    let purpose = purpose?;
    let q = EventsQuery {
        from: q.from,
        to: q.to,
        limit: match q.limit {
            None => 1000,
            Some(n @ 1..=10_000) => n as usize,
            Some(_) => return Err(ApiError::validation("limit", "must be 1 to 10000")),
        },
        proof: q.proof.as_deref().map(ProofAt::parse).transpose()?,
        starting_after: q.starting_after,
    };
    Ok(Json(
        st.service
            .account_events(&p.actor(), &purpose.0, &id, q)
            .await?,
    ))
}

/// The accounts that used an IP address or network (CIDR, its `/` written `%2F`) in a time
/// range, with counts and first and last seen. Personal data: reviewer or higher, audited.
#[utoipa::path(get, path = "/v1/ips/{ip_or_cidr}/accounts", tag = "ledger",
    params(("ip_or_cidr" = String, Path, example = "203.0.113.0%2F24"), RangeQuery,
        ("X-Custos-Purpose" = String, Header, description = "Why the accounts are read")),
    responses((status = 200, body = NetAccounts), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn ip(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(net): ApiPath<String>,
    ApiQuery(q): ApiQuery<RangeQuery>,
    purpose: Result<Purpose, ApiError>,
) -> Result<Json<NetAccounts>, ApiError> {
    let purpose = purpose?;
    Ok(Json(
        st.service
            .network_accounts(
                &p.actor(),
                &purpose.0,
                &net,
                q.from,
                q.to,
                q.proof.as_deref().map(ProofAt::parse).transpose()?,
            )
            .await?,
    ))
}

fn which(s: &str) -> Result<Which, ApiError> {
    Which::parse(s).ok_or_else(|| ApiError::NotFound("no such log: access or audit".into()))
}

fn bytes(data: Vec<u8>, content_type: &'static str, immutable: bool) -> Response {
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-store"
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, cache),
        ],
        data,
    )
        .into_response()
}

/// The latest signed checkpoint of a log (C2SP tlog-checkpoint, a signed note).
pub async fn checkpoint(
    State(st): State<AppState>,
    ApiPath(log): ApiPath<String>,
) -> Result<Response, ApiError> {
    let l = ledger(&st)?;
    let cp = l.log(which(&log)?).checkpoint();
    if cp.is_empty() {
        return Err(ApiError::NotFound(
            "the log is empty: no checkpoint yet".into(),
        ));
    }
    Ok(bytes(cp, "text/plain; charset=utf-8", false))
}

/// A hash tile (`tile/<L>/<N>[.p/<W>]`, for anyone) or an entry bundle
/// (`tile/entries/<N>[.p/<W>]`, auditors only, audited).
pub async fn tile(
    State(st): State<AppState>,
    ApiPath((log, rest)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let l = ledger(&st)?;
    let which = which(&log)?;
    let (level, n, width) = custos_ledger::log::parse_tile_path(&format!("tile/{rest}"))
        .ok_or_else(|| ApiError::NotFound("not a tile path".into()))?;
    let ll = l.clone();
    let data = match level {
        Some(level) => blocking(move || ll.log(which).hash_tile(level, n, width))
            .await
            .map_err(not_yet)?,
        None => {
            let p = crate::auth::principal_from_headers(&st, &headers).await?;
            p.require(Permission::ReadAudit)?;
            st.service
                .entry_bundle(&p.actor(), which, n, width)
                .await
                .map_err(ApiError::from)
                .map_err(not_yet)?
        }
    };
    Ok(bytes(data, "application/octet-stream", width == 256))
}

/// A tile beyond the tree is not there (yet).
fn not_yet(e: ApiError) -> ApiError {
    match e {
        ApiError::Validation { .. } => ApiError::NotFound("no such tile in this tree".into()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(content_type: &str, body: &str, expect: &str) {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
        let now = DateTime::parse_from_rfc3339("2026-11-24T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let got = match events(&headers, body.as_bytes(), now) {
            Ok(e) => format!("{} events", e.len()),
            Err(e) => {
                let p = e.problem();
                format!("{} {} {}", p.status, p.field.unwrap_or_default(), p.detail)
            }
        };
        assert_eq!(got, expect, "{body}");
    }

    const ONE: &str = r#"{"account_id": "a", "time": "2026-11-24T08:00:00Z", "ip": "192.0.2.1", "action": "login", "source": "s"}"#;
    const TWICE: &str = r#"{"account_id": "a", "time": "2026-11-24T08:00:00Z", "ip": "192.0.2.1", "action": "login", "source": "s", "ip": "192.0.2.2"}"#;

    #[test]
    fn a_key_given_twice_is_refused_naming_the_event_and_key() {
        let json = "application/json";
        let nd = "application/x-ndjson";
        check(json, &format!("[{ONE}, {ONE}]"), "2 events");
        check(nd, &format!("{ONE}\n\n{ONE}\n"), "2 events");
        check(
            json,
            &format!("[{ONE}, {TWICE}]"),
            "422 events[1].ip duplicate field `ip`",
        );
        check(json, TWICE, "422 events[0].ip duplicate field `ip`");
        check(
            nd,
            &format!("{ONE}\n\n{TWICE}\n"),
            "422 events[1].ip duplicate field `ip`",
        );
        // The other ways a body is wrong answer as before.
        check(
            json,
            &format!("[{ONE}] x"),
            "422  the body must be a JSON array of events (or NDJSON)",
        );
        check(
            nd,
            &format!("{ONE}\n{{\"a"),
            "422  line 2 is not a JSON object",
        );
        check(
            json,
            &format!("[{}]", ONE.replace("192.0.2.1", "999.1.2.3")),
            "422 events[0].ip invalid IP address syntax",
        );
        check(json, "[]", "400  no events");
    }
}
