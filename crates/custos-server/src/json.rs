//! The JSON body extractor: every way a body can be wrong becomes a precise problem+json,
//! naming the field by its path and the rule it broke, never echoing the value sent.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Like `axum::Json`, with custos's errors.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Parses a JSON body into `T` (see [`custos_app::json::parse`]).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    custos_app::json::parse(bytes).map_err(ApiError::from)
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(&req) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest("the body could not be read".into())
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialised")]
    struct T {
        a: u8,
        b: Option<String>,
    }

    fn check(body: &str, expect: &str) {
        let e = parse::<T>(body.as_bytes()).unwrap_err().problem();
        let got = format!("{} {} {}", e.status, e.field.unwrap_or_default(), e.detail);
        assert_eq!(got, expect, "{body}");
    }

    #[test]
    fn errors_name_the_field_not_the_value() {
        check("{\"a\": \"secret\"}", "422 a invalid type, expected u8");
        check("{\"a\": 300}", "422 a invalid value, expected u8");
        check(
            "{\"a\": 1, \"c\": 2}",
            "422 c unknown field `c`, expected `a` or `b`",
        );
        check("{\"b\": \"x\"}", "422 a is required");
        check(
            "{\"a\": 1",
            "400  the body is not valid JSON (line 1, column 7)",
        );
        check("[1,2", "422  the body must be a JSON object");
        check("  ", "400  the body is empty");
    }
}
