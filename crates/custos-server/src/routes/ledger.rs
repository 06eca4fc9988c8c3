//! The access ledger over HTTP: ingest (`POST /v1/events`), the questions investigators ask
//! (`GET /v1/accounts/{id}/events`, `GET /v1/ips/{ip_or_cidr}/accounts`), and the logs
//! themselves in the C2SP tlog-tiles layout under `/ledger/access/` and `/ledger/audit/`
//! (checkpoint and hash tiles for anyone; entry bundles, which hold addresses and account ids,
//! for auditors, and audited).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use custos_ledger::index::Net;
use custos_ledger::query::{AccountUse, Found, account_events, net_accounts, prove};
use custos_ledger::{Event, Ledger, LedgerError, Which};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{Permission, Principal, Purpose};
use crate::error::{ApiError, Problem};

/// The most events one request may carry.
pub const MAX_EVENTS: usize = 10_000;
/// The largest body `POST /v1/events` takes.
pub const MAX_EVENTS_BODY: usize = 16 * 1024 * 1024;

fn ledger(st: &AppState) -> Result<Arc<Ledger>, ApiError> {
    st.service
        .ledger()
        .cloned()
        .ok_or_else(|| ApiError::Conflict("this server keeps no ledger".into()))
}

fn ledger_error(e: LedgerError) -> ApiError {
    match e {
        LedgerError::Invalid(m) => ApiError::Validation {
            field: None,
            detail: m,
        },
        LedgerError::Io { .. } => {
            tracing::error!(error = %e, "the ledger cannot write");
            ApiError::LedgerUnavailable
        }
        other => {
            tracing::error!(error = %other, "ledger failure");
            ApiError::Internal
        }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, LedgerError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::Internal)?
        .map_err(ledger_error)
}

/// Parses JSON text as `T`, one event or an array of them, straight from the text (not through
/// a `Value`, which keeps the last of a key given twice), so that a key given twice is refused
/// as in every other body (`crate::json`). A value that is not an event is refused naming it
/// (`events`, `at`, then the path within: `events[3].ip`) and the rule, never the value; `None`
/// is text that is not JSON, or not only JSON.
fn parse<T: DeserializeOwned>(json: &[u8], at: &str) -> Result<Option<T>, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(json);
    let v = match serde_path_to_error::deserialize(&mut *de) {
        Ok(v) => v,
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.classify() != serde_json::error::Category::Data {
                return Ok(None);
            }
            let mut path = match path.as_str() {
                "." => String::new(),
                p if p.starts_with('[') => path,
                _ => format!(".{path}"),
            };
            let msg = inner.to_string();
            // A key given twice is named in the message (one of the event's own), not the path.
            if let Some((key, _)) = msg
                .strip_prefix("duplicate field `")
                .and_then(|rest| rest.split_once('`'))
            {
                path = format!("{path}.{key}");
            }
            return Err(ApiError::Validation {
                field: Some(format!("events{at}{path}")),
                detail: crate::json::redact(&msg),
            });
        }
    };
    Ok(de.end().is_ok().then_some(v))
}

/// The events of a body: a JSON array, or NDJSON (one object a line); each checked against
/// the server's clock, `now`.
fn events(headers: &HeaderMap, body: &[u8], now: DateTime<Utc>) -> Result<Vec<Event>, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let events: Vec<Event> = match ct.as_str() {
        "application/x-ndjson" | "application/jsonl" | "application/json-seq" => {
            let mut v = vec![];
            for (n, line) in body.split(|&b| b == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                if v.len() == MAX_EVENTS {
                    return Err(ApiError::PayloadTooLarge);
                }
                let e = parse(line, &format!("[{}]", v.len()))?.ok_or_else(|| {
                    ApiError::Validation {
                        field: None,
                        detail: format!("line {} is not a JSON object", n + 1),
                    }
                })?;
                v.push(e);
            }
            v
        }
        "application/json" => {
            let parsed = match body.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'[') => parse(body, "")?,
                Some(b'{') => parse(body, "[0]")?.map(|e| vec![e]),
                _ => None,
            };
            parsed.ok_or_else(|| ApiError::Validation {
                field: None,
                detail: "the body must be a JSON array of events (or NDJSON)".into(),
            })?
        }
        _ => {
            return Err(ApiError::UnsupportedMediaType);
        }
    };
    if events.is_empty() {
        return Err(ApiError::BadRequest("no events".into()));
    }
    if events.len() > MAX_EVENTS {
        return Err(ApiError::PayloadTooLarge);
    }
    for (i, e) in events.iter().enumerate() {
        e.validate_at(now).map_err(|err| ApiError::Validation {
            field: Some(format!("events[{i}].{}", err.field)),
            detail: err.reason,
        })?;
    }
    Ok(events)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ingested {
    /// The log indexes the events got: `first..end`.
    pub first: u64,
    pub end: u64,
    /// The tree size of the signed checkpoint that commits them.
    pub checkpoint_size: u64,
    /// Accounts custos does not (yet) know: the events are kept, and flagged here.
    pub unknown_accounts: Vec<String>,
}

/// Append access and administrative events to the ledger: a JSON array or NDJSON body of up
/// to 10,000 events. Answers once they are durable (synced, with the signed checkpoint that
/// commits them), with the indexes they got. Events for accounts custos does not know are kept
/// and flagged.
#[utoipa::path(post, path = "/v1/events", tag = "ledger",
    request_body(content = Object, example = json!([{"account_id": "acc_demo_foreign_direct",
        "time": "2026-11-24T09:00:00.123456789Z", "ip": "203.0.113.7", "port": 22,
        "action": "ssh", "source": "bastion-1", "actor": "root", "request_id": "r-1"}])),
    responses((status = 200, body = Ingested), (status = 413, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn ingest(
    State(st): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Ingested>, ApiError> {
    p.require(Permission::Intake)?;
    let l = ledger(&st)?;
    let events = events(&headers, &body, st.service.now())?;
    let accounts: Vec<String> = events
        .iter()
        .map(|e| e.account_id.clone())
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    let known = st.service.store().known_accounts(&accounts).await?;
    let unknown: Vec<String> = accounts
        .into_iter()
        .filter(|a| known.binary_search(a).is_err())
        .collect();
    let n = events.len();
    let log = l.clone();
    let range = blocking(move || log.access.append(&events)).await?;
    st.metrics.ledger_events(n as u64, unknown.len() as u64);
    st.service.events_appended(&known).await?;
    Ok(Json(Ingested {
        first: range.start,
        end: range.end,
        checkpoint_size: l.access.size(),
        unknown_accounts: unknown,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// RFC 3339; default: 24 hours before `to`.
    pub from: Option<DateTime<Utc>>,
    /// RFC 3339; default: now.
    pub to: Option<DateTime<Utc>>,
    /// At most this many events (1 to 10,000; default 1,000).
    pub limit: Option<u32>,
    /// Carry an inclusion proof for each result against the checkpoint of this tree size
    /// (`latest` or a size up to the current one).
    pub proof: Option<String>,
}

fn range(q: &RangeQuery, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let to = q.to.unwrap_or(now);
    let from = q.from.unwrap_or(to - chrono::Duration::hours(24));
    if from > to {
        return Err(ApiError::validation("from", "is after `to`"));
    }
    Ok((from, to))
}

fn proof_size(q: &Option<String>, l: &Ledger) -> Result<Option<u64>, ApiError> {
    match q.as_deref() {
        None => Ok(None),
        Some("latest") => Ok(Some(l.access.size())),
        Some(s) => {
            let n: u64 = s
                .parse()
                .map_err(|_| ApiError::validation("proof", "is `latest` or a tree size"))?;
            if n == 0 || n > l.access.size() {
                return Err(ApiError::validation(
                    "proof",
                    "is not the size of a checkpoint of this log",
                ));
            }
            Ok(Some(n))
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountEvents {
    pub account_id: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Found>,
    /// More events matched than `limit`.
    pub truncated: bool,
    /// The signed checkpoint the proofs are against, when proofs were asked for at the latest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<String>,
}

/// The events of an account in a time range, from the access ledger (kept after the account
/// closes). Personal data: reviewer or higher, audited.
#[utoipa::path(get, path = "/v1/accounts/{id}/events", tag = "ledger",
    params(("id" = String, Path, example = "acc_demo_foreign_direct"), RangeQuery,
        ("X-Custos-Purpose" = String, Header, description = "Why the events are read")),
    responses((status = 200, body = AccountEvents), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn account(
    State(st): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<RangeQuery>,
    purpose: Result<Purpose, ApiError>,
) -> Result<Json<AccountEvents>, ApiError> {
    p.require(Permission::ReadPersonal)?;
    let purpose = purpose?;
    let l = ledger(&st)?;
    if id.is_empty() || id.len() > 256 || id.chars().any(char::is_control) {
        return Err(ApiError::validation("id", "is not an account id"));
    }
    let (from, to) = range(&q, st.service.now())?;
    let limit = q.limit.unwrap_or(1000).clamp(1, 10_000) as usize;
    let at = proof_size(&q.proof, &l)?;
    st.service
        .audit(&p.actor(), Some(&purpose.0), "query_account_events", &id)
        .await?;
    let (account_id, ll) = (id.clone(), l.clone());
    let (mut events, truncated) =
        blocking(move || account_events(&ll.access, &account_id, from, to, limit)).await?;
    let mut checkpoint = None;
    if let Some(size) = at {
        let ll = l.clone();
        events = blocking(move || {
            events
                .into_iter()
                .map(|mut f| {
                    if f.index < size {
                        f.proof = Some(prove(&ll.access, f.index, size)?);
                    }
                    Ok(f)
                })
                .collect()
        })
        .await?;
        if size == l.access.size() {
            checkpoint = Some(String::from_utf8_lossy(&l.access.checkpoint()).into_owned());
        }
    }
    Ok(Json(AccountEvents {
        account_id: id,
        from,
        to,
        events,
        truncated,
        checkpoint,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NetAccounts {
    /// The network asked about, masked to its prefix.
    pub network: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[schema(value_type = Vec<Object>)]
    pub accounts: Vec<AccountUse>,
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
    Path(net): Path<String>,
    Query(q): Query<RangeQuery>,
    purpose: Result<Purpose, ApiError>,
) -> Result<Json<NetAccounts>, ApiError> {
    p.require(Permission::ReadPersonal)?;
    let purpose = purpose?;
    let l = ledger(&st)?;
    let net = Net::parse(&net).ok_or_else(|| {
        ApiError::validation("ip_or_cidr", "is not an IP address or network (ADDR/LEN)")
    })?;
    let (from, to) = match (q.from, q.to) {
        (None, _) => {
            let to = q.to.unwrap_or(st.service.now());
            (to - chrono::Duration::days(30), to)
        }
        _ => range(&q, st.service.now())?,
    };
    st.service
        .audit(
            &p.actor(),
            Some(&purpose.0),
            "query_ip_accounts",
            &net.to_string(),
        )
        .await?;
    let ll = l.clone();
    let accounts = blocking(move || net_accounts(&ll.access, &net, from, to)).await?;
    Ok(Json(NetAccounts {
        network: net.to_string(),
        from,
        to,
        accounts,
    }))
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
    Path(log): Path<String>,
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
    Path((log, rest)): Path<(String, String)>,
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
                .audit(
                    &p.actor(),
                    Some("ledger audit"),
                    "read_entry_bundle",
                    &format!("{}/{n}", which.as_str()),
                )
                .await?;
            blocking(move || ll.log(which).entry_bundle(n, width))
                .await
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
