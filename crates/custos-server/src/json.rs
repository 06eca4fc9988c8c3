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

/// A serde message without the offending value: "invalid type: string \"x\", expected u8"
/// becomes "invalid type, expected u8"; "unknown variant `x`, expected one of ..." becomes
/// "unknown variant, expected one of ...".
pub fn redact(msg: &str) -> String {
    let msg = msg.split(" at line ").next().unwrap_or(msg);
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        return match rest.find(", expected ") {
            Some(i) => format!("unknown variant{}", &rest[i..]),
            None => "unknown variant".to_owned(),
        };
    }
    for lead in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = msg.strip_prefix(lead) {
            let kind = lead.trim_end_matches([':', ' ']);
            return match rest.rfind(", expected ") {
                Some(i) => format!("{kind}, expected {}", &rest[i + 11..]),
                None => kind.to_owned(),
            };
        }
    }
    // Errors from our own types (`invalid field `x`: reason`) carry no values.
    msg.to_owned()
}

/// Parses a JSON body into `T`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Every body is an object. (serde would otherwise read a struct from an array too.)
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        None => return Err(ApiError::BadRequest("the body is empty".into())),
        Some(_) => {
            return Err(ApiError::Validation {
                field: None,
                detail: "the body must be a JSON object".into(),
            });
        }
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let v: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let msg = inner.to_string();
                // Our own validation errors name their field themselves.
                if let Some(rest) = msg.strip_prefix("invalid field `")
                    && let Some((field, reason)) = rest.split_once("`: ")
                {
                    let full = if path == "." || path.is_empty() {
                        field.to_owned()
                    } else {
                        path.clone()
                    };
                    return ApiError::validation(full, redact(reason));
                }
                ApiError::Validation {
                    field: (path != ".").then_some(path),
                    detail: redact(&msg),
                }
            }
            _ => ApiError::BadRequest(format!(
                "the body is not valid JSON (line {}, column {})",
                inner.line(),
                inner.column()
            )),
        }
    })?;
    // Trailing content after the value is an error too.
    Ok(v)
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
        check("{\"b\": \"x\"}", "422  missing field `a`");
        check(
            "{\"a\": 1",
            "400  the body is not valid JSON (line 1, column 7)",
        );
        check("[1,2", "422  the body must be a JSON object");
        check("  ", "400  the body is empty");
    }
}
