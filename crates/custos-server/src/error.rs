//! API errors, sent as RFC 9457 `application/problem+json`.
//!
//! Policy: every error the API sends has a stable `type` (a `urn:custos:problem:` URN that
//! clients may match on), a `title` fixed per type, and a `detail` written for the caller. A
//! detail never holds internal information (SQL, file paths, key material, stack traces) and
//! never echoes personal data back: validation messages name the field and the rule, not the
//! value. Internal failures are logged with their cause and reach the client only as a plain
//! 500 with no detail beyond "internal error".

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custos_core::CoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub enum ApiError {
    /// The body is not JSON, or not the JSON this endpoint takes.
    BadRequest(String),
    /// A field's value breaks a rule.
    Validation {
        field: Option<String>,
        detail: String,
    },
    Unauthenticated,
    Forbidden(String),
    /// Too many failed attempts: wait, then try again.
    TooManyRequests(String),
    /// Reading personal data needs a stated purpose.
    PurposeRequired,
    NotFound(String),
    Conflict(String),
    /// The records were destroyed under the retention policy.
    Gone(String),
    PayloadTooLarge,
    /// No media type the client accepts can be answered.
    NotAcceptable(String),
    UnsupportedMediaType,
    /// The path exists, but not with this method (the response's `Allow` lists those it has).
    MethodNotAllowed,
    IdempotencyKeyReused,
    IdempotencyInProgress,
    Unavailable,
    /// The ledger cannot write now (a full disk, an I/O error): nothing was written; retry.
    LedgerUnavailable,
    /// A report, package or PDF could not be produced.
    Rendering,
    Internal,
}

/// The problem document. Its `type` is one of `urn:custos:problem:` followed by
/// `invalid-request` (400), `validation-failed` (422), `unauthenticated` (401), `forbidden`
/// (403), `too-many-requests` (429), `purpose-required` (403), `not-found` (404), `conflict` (409), `records-destroyed`
/// (410), `payload-too-large` (413), `not-acceptable` (406), `method-not-allowed` (405), `unsupported-media-type` (415), `idempotency-key-reused`
/// (422), `idempotency-key-in-progress` (409), `unavailable` (503: the database),
/// `ledger-unavailable` (503), `rendering-failed` (500) or `internal` (500).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"type": "urn:custos:problem:validation-failed", "title": "Validation failed",
    "status": 422, "detail": "must start with `cus_`", "field": "customer_id"}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use ApiError::*;
        match self {
            BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                "invalid-request",
                "Invalid request",
            ),
            Validation { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation-failed",
                "Validation failed",
            ),
            Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            ),
            Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
            TooManyRequests(_) => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests",
            ),
            PurposeRequired => (
                StatusCode::FORBIDDEN,
                "purpose-required",
                "A purpose is required",
            ),
            NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            Gone(_) => (StatusCode::GONE, "records-destroyed", "Records destroyed"),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            NotAcceptable(_) => (
                StatusCode::NOT_ACCEPTABLE,
                "not-acceptable",
                "Not acceptable",
            ),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
            ),
            IdempotencyInProgress => (
                StatusCode::CONFLICT,
                "idempotency-key-in-progress",
                "Request in progress",
            ),
            Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            LedgerUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "ledger-unavailable",
                "The ledger cannot write",
            ),
            Rendering => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "rendering-failed",
                "Rendering failed",
            ),
            Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }

    pub fn problem(&self) -> Problem {
        use ApiError::*;
        let (status, slug, title) = self.parts();
        let (detail, field) = match self {
            BadRequest(d) | Forbidden(d) | TooManyRequests(d) | NotFound(d) | Conflict(d)
            | Gone(d) | NotAcceptable(d) => (d.clone(), None),
            Validation { field, detail } => (detail.clone(), field.clone()),
            Unauthenticated => (
                "send a valid API key as `Authorization: Bearer <key>`".into(),
                None,
            ),
            PurposeRequired => (
                "reading personal data needs the purpose in the `X-Custos-Purpose` header".into(),
                None,
            ),
            PayloadTooLarge => (
                "the request body is larger than this endpoint accepts".into(),
                None,
            ),
            MethodNotAllowed => (
                "this path does not take this method; `Allow` lists those it takes".into(),
                None,
            ),
            UnsupportedMediaType => (
                "send the body as `Content-Type: application/json`".into(),
                None,
            ),
            IdempotencyKeyReused => (
                "this Idempotency-Key was used with a different request".into(),
                None,
            ),
            IdempotencyInProgress => (
                "a request with this Idempotency-Key is still being processed; retry later".into(),
                None,
            ),
            Unavailable => ("the database is not reachable".into(), None),
            LedgerUnavailable => (
                "the ledger cannot write now (its storage failed, or is full); nothing of this \
                 request was written: retry later"
                    .into(),
                None,
            ),
            Rendering => (
                "the document could not be produced; nothing was changed".into(),
                None,
            ),
            Internal => ("internal error".into(), None),
        };
        Problem {
            kind: format!("urn:custos:problem:{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail: clean(&detail, 300),
            field: field.map(|f| clean(&f, 100)),
        }
    }

    pub fn validation(field: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::Validation {
            field: Some(field.into()),
            detail: detail.into(),
        }
    }
}

/// What an error sends back of the caller's own input (a field name it sent, an id from its
/// path) is cut to `max` characters, and control and bidirectional-override characters are
/// dropped: an answer never carries back a flood, a header to inject or text that renders
/// reversed.
fn clean(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .filter(|c| !c.is_control() && !('\u{202a}'..='\u{202e}').contains(c))
        .filter(|c| !('\u{2066}'..='\u{2069}').contains(c))
        .take(max + 1)
        .collect();
    if out.chars().count() > max {
        out = out.chars().take(max).collect::<String>() + "…";
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let p = self.problem();
        let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&p).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(self, ApiError::Unauthenticated) {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<custos_app::Error> for ApiError {
    fn from(e: custos_app::Error) -> Self {
        use custos_app::Error as E;
        if e.is_server_side() {
            tracing::error!(error = %e, "request failed");
        }
        match e {
            E::Malformed(d) => ApiError::BadRequest(d),
            E::TooLarge(_) => ApiError::PayloadTooLarge,
            E::Validation { field, detail } => ApiError::Validation { field, detail },
            E::Unauthenticated => ApiError::Unauthenticated,
            E::Forbidden(d) => ApiError::Forbidden(d),
            E::RateLimited(d) => ApiError::TooManyRequests(d),
            e @ E::NotFound(_) => ApiError::NotFound(e.to_string()),
            E::Conflict(d) => ApiError::Conflict(d),
            e @ E::Destroyed(_) => ApiError::Gone(e.to_string()),
            E::StoreUnavailable(_) => ApiError::Unavailable,
            E::LedgerUnavailable(_) => ApiError::LedgerUnavailable,
            E::Rendering(_) => ApiError::Rendering,
            E::Internal(_) => ApiError::Internal,
        }
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        custos_app::Error::from(e).into()
    }
}
