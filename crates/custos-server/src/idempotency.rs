//! `Idempotency-Key` on POST requests: a replay with the same key and the same request gets
//! the first response back, byte for byte, and changes nothing. Keys are scoped to the API key
//! that sent them. A key reused with a different request is refused; a key whose first request
//! is still running gets 409.
//!
//! As Stripe's keys do, a key keeps a result only once the request started executing: a
//! request refused before that (its body or a field invalid, 400, 413, 415 or 422; its key or
//! role not allowed, 401 or 403) keeps nothing, so the same key can be sent again with the
//! body corrected; nor is a server fault (5xx) kept, so a retry runs again. What is kept, and
//! replayed: a success, and the answers that come of executing it (404: what it names does
//! not exist; 409: it conflicts with what is stored; 410: destroyed).

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use custos_app::records::IdemBegin;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;

pub const HEADER: &str = "idempotency-key";

/// Marks a response that holds a secret shown once (a new API key's token, a webhook
/// endpoint's signing secret): it is not kept under its `Idempotency-Key`, for nothing may hold
/// the secret at rest. A replay answers 409 instead: the request was done, and what it made is
/// found by listing.
#[derive(Debug, Clone, Copy)]
pub struct HoldsSecret;

/// The largest body a group of routes takes (set by the group, read by [`layer`]).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Middleware of a route, inside its permission check.
pub async fn layer(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if req.method() != Method::POST {
        return Ok(next.run(req).await);
    }
    let Some(raw) = req.headers().get(HEADER) else {
        return Ok(next.run(req).await);
    };
    let key = raw
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..0x7f).contains(&b)))
        .ok_or_else(|| {
            ApiError::validation(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )
        })?
        .to_owned();
    let principal = req
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or(ApiError::Unauthenticated)?;
    let limit = req
        .extensions()
        .get::<BodyLimit>()
        .map_or(crate::MAX_BODY, |l| l.0);
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let mut h = Sha256::new();
    h.update(parts.method.as_str());
    h.update(b" ");
    h.update(parts.uri.path());
    h.update(b"\n");
    h.update(&bytes);
    let hash: [u8; 32] = h.finalize().into();
    let app = &state.service;
    match app
        .idempotency_begin(&principal.key_id, &key, &hash)
        .await?
    {
        IdemBegin::Replay { status, body } => {
            let mut res =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            let ct = if status >= 400 {
                "application/problem+json"
            } else {
                "application/json"
            };
            res.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return Ok(res);
        }
        IdemBegin::InProgress => return Err(ApiError::IdempotencyInProgress),
        IdemBegin::Mismatch => return Err(ApiError::IdempotencyKeyReused),
        IdemBegin::Fresh => {}
    }
    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = res.status();
    if !kept(status) {
        app.idempotency_abandon(&principal.key_id, &key).await?;
        return Ok(res);
    }
    let holds_secret = res.extensions().get::<HoldsSecret>().is_some();
    let (parts, body) = res.into_parts();
    let bytes = match to_bytes(body, 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            app.idempotency_abandon(&principal.key_id, &key).await?;
            return Err(ApiError::Internal);
        }
    };
    if holds_secret {
        let replay = ApiError::Conflict(
            "this request was done, and its answer held a secret shown once, which is not \
             kept: list what it made to find it"
                .into(),
        );
        let p = replay.problem();
        let body = serde_json::to_vec(&p).map_err(|_| ApiError::Internal)?;
        app.idempotency_complete(&principal.key_id, &key, p.status, &body)
            .await?;
    } else {
        app.idempotency_complete(&principal.key_id, &key, status.as_u16(), &bytes)
            .await?;
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// Whether a response is the result of the request executing (see the module's text).
fn kept(status: StatusCode) -> bool {
    status.is_success()
        || matches!(
            status,
            StatusCode::NOT_FOUND | StatusCode::CONFLICT | StatusCode::GONE
        )
}
