//! `/v1/reference-lists`: the reference lists detection reads (IP ranges with labels,
//! disposable email domains, BIN ranges), imported whole as versions, listed, and asked.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use custos_app::reference::{ImportResult, Imported, Lookup, ReferenceVersion};
use custos_screen::reference::RefKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};

/// The largest body an import takes: the largest list, and room for the request around it.
pub const MAX_IMPORT_BODY: usize = custos_app::reference::MAX_REFERENCE_BYTES + 1024;

fn kind(s: &str) -> Result<RefKind, ApiError> {
    RefKind::parse(s).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no reference list `{s}`: use {}",
            RefKind::ALL.map(RefKind::as_str).join(", ")
        ))
    })
}

/// The versions of the reference lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceVersions {
    /// Newest first; the newest of each kind is the one in use.
    pub versions: Vec<ReferenceVersion>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionsQuery {
    /// `ip-ranges`, `disposable-domains` or `bin-ranges`; every kind when omitted.
    #[serde(default)]
    pub kind: Option<String>,
}

/// The versions of every reference list (or one kind), newest first.
#[utoipa::path(get, path = "/v1/reference-lists", operation_id = "list_reference_versions",
    tag = "detection", params(VersionsQuery),
    responses((status = 200, body = ReferenceVersions), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<VersionsQuery>,
) -> Result<Json<ReferenceVersions>, ApiError> {
    // A filter naming no kind is a wrong query, not a missing resource.
    let k = q
        .kind
        .as_deref()
        .map(|k| {
            RefKind::parse(k).ok_or_else(|| {
                ApiError::validation(
                    "kind",
                    format!(
                        "no such kind: one of {}",
                        RefKind::ALL.map(RefKind::as_str).join(", ")
                    ),
                )
            })
        })
        .transpose()?;
    let all = st.service.references(k).await?;
    Ok(Json(ReferenceVersions {
        versions: all.iter().map(Into::into).collect(),
    }))
}

/// Import a reference list whole as the version in use. The body is the file (up to 64 MiB):
/// `ip-ranges`, CSV with a header naming `network` (or `start` and `end`), `kind` (tor, vpn,
/// proxy, hosting, cdn, bot, residential, mobile) and optionally `provider`, or a JSON array of
/// such objects; `disposable-domains`, a domain a line with `#` comments; `bin-ranges`, CSV
/// with `bin` (or `from` and `to`), `brand`, `funding` and `country`. A file with one bad line
/// is refused naming it, and the version in use stays; the same data as the version in use
/// writes nothing (`200`, `unchanged`). `X-Custos-File-Name` names where it came from.
#[utoipa::path(put, path = "/v1/reference-lists/{kind}", operation_id = "import_reference_list",
    tag = "detection",
    request_body(content = String, content_type = "text/plain",
        example = "# throwaway inboxes\nthrowaway.example\n"),
    params(("kind" = String, Path, example = "disposable-domains"),
        ("X-Custos-File-Name" = Option<String>, Header, description = "Where the file came from")),
    responses((status = 201, body = ImportResult, description = "A new version, now in use"),
        (status = 200, body = ImportResult, description = "The same data as the version in use"),
        (status = 404, body = Problem), (status = 413, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn import(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(k): ApiPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<ImportResult>), ApiError> {
    let k = kind(&k)?;
    let name = match headers.get("x-custos-file-name") {
        Some(v) => v
            .to_str()
            .map_err(|_| ApiError::validation("X-Custos-File-Name", "must be printable ASCII"))?
            .trim()
            .to_owned(),
        None => String::new(),
    };
    let source = if name.is_empty() {
        format!("uploaded by {}", p.actor().id)
    } else {
        name
    };
    let got = st
        .service
        .import_reference(&p.actor(), k, &source, body.to_vec())
        .await?;
    let status = match got {
        Imported::Saved(_) => StatusCode::CREATED,
        Imported::Unchanged(_) => StatusCode::OK,
    };
    Ok((status, Json(ImportResult::from(&got))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// An IPv4 or IPv6 address.
    #[serde(default)]
    pub ip: Option<String>,
    /// An email domain (or an address: its domain is asked).
    #[serde(default)]
    pub domain: Option<String>,
    /// A card's first six to eight digits.
    #[serde(default)]
    pub bin: Option<String>,
}

/// What the reference lists in use say of one IP address, email domain or BIN: give exactly
/// one of `ip`, `domain` and `bin`.
#[utoipa::path(get, path = "/v1/reference-lists/lookup", operation_id = "lookup_reference",
    tag = "detection", params(LookupQuery),
    responses((status = 200, body = Lookup), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn lookup(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<LookupQuery>,
) -> Result<Json<Lookup>, ApiError> {
    let asked: Vec<(&str, &String)> = [("ip", &q.ip), ("domain", &q.domain), ("bin", &q.bin)]
        .into_iter()
        .filter_map(|(w, v)| v.as_ref().map(|v| (w, v)))
        .collect();
    let [(what, value)] = asked[..] else {
        return Err(ApiError::validation(
            "ip",
            "give exactly one of `ip`, `domain` and `bin`",
        ));
    };
    Ok(Json(st.service.reference_lookup(what, value).await?))
}
