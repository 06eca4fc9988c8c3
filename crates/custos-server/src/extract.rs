//! Query-string and path extractors with custos's errors: a parameter that does not parse is a
//! 422 problem+json naming the parameter and the rule, never echoing the value sent (the
//! extractors of axum answer `400 text/plain` and quote the input).

use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Like `axum::extract::Query`: the query string read into `T`.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

/// Reads a query string into `T` (see [`custos_app::json::blame`]).
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        custos_app::json::blame(&path, plain(&e.into_inner().to_string())).into()
    })
}

/// The standard library's words for a value that does not parse, in people's: a query
/// string's values are all text, so a number or a boolean fails as one of these.
fn plain(msg: &str) -> &str {
    match msg {
        "invalid digit found in string" | "cannot parse integer from empty string" => {
            "must be a whole number"
        }
        "number too large to fit in target type" => "is too large",
        "number too small to fit in target type" => "is too small",
        "invalid float literal" => "must be a number",
        "provided string was not `true` or `false`" => "must be true or false",
        other => other,
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

/// Like `axum::extract::Path`.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(match e.into_kind() {
                ErrorKind::ParseErrorAtKey {
                    key, expected_type, ..
                } => ApiError::validation(key, format!("expected {expected_type}")),
                ErrorKind::InvalidUtf8InPathParam { key } => {
                    ApiError::validation(key, "is not valid UTF-8")
                }
                _ => ApiError::BadRequest("the path's parameters could not be read".into()),
            }),
            Err(_) => Err(ApiError::BadRequest(
                "the path's parameters could not be read".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialised")]
    struct Q {
        from: Option<chrono::DateTime<chrono::Utc>>,
        limit: Option<u32>,
        state: Option<custos_core::screening::CaseState>,
        flag: Option<bool>,
        need: String,
    }

    fn check(query: &str, expect: &str) {
        let e = parse_query::<Q>(query).unwrap_err().problem();
        let got = format!("{} {} {}", e.status, e.field.unwrap_or_default(), e.detail);
        assert_eq!(got, expect, "{query}");
    }

    #[test]
    fn query_errors_name_the_parameter_not_the_value() {
        check("need=x&limit=abc", "422 limit must be a whole number");
        check("need=x&limit=", "422 limit must be a whole number");
        check("need=x&limit=-1", "422 limit must be a whole number");
        check("need=x&limit=99999999999", "422 limit is too large");
        check("need=x&flag=yes", "422 flag must be true or false");
        check("need=x&from=2026-11-01", "422 from premature end of input");
        check(
            "need=x&state=secret",
            "422 state must be one of `open`, `confirmed`, `false_positive`, `cleared`",
        );
        check(
            "need=x&lmit=3",
            "422 lmit unknown field `lmit`, expected one of `from`, `limit`, `state`, `flag`, `need`",
        );
        check("limit=3", "422 need is required");
    }
}
