//! `/v1/screen`: screen a name against the current version of every imported list.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::text;
use crate::AppState;
use crate::error::{ApiError, Problem};
use crate::json::ApiJson;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenRequest {
    pub name: String,
    /// `person` or `organization`; either when omitted.
    #[serde(default, rename = "type")]
    pub name_type: Option<String>,
    /// Year or date of birth: `YYYY` or `YYYY-MM-DD`. (`dob`, its name before, is accepted
    /// until the next release.)
    #[serde(default, alias = "dob")]
    pub date_of_birth: Option<String>,
    /// ISO 3166-1 country of nationality or residence.
    #[serde(default)]
    pub country: Option<custos_core::Country>,
    /// Identifiers of the subject (passport, national_id, email, phone, wallet): a list entry
    /// carrying the same one is strong corroboration.
    #[serde(default)]
    pub identifiers: Vec<ScreenIdentifier>,
    /// A postal address on one line: an entry with an address sharing most of its words is
    /// corroborated.
    #[serde(default)]
    pub address: Option<String>,
    /// The best N hits among the names screening looks at for the threshold (lowered by what a
    /// date of birth, a country or an address could add): hits below it, at any score, may be
    /// among them, but a name that could not reach it is not looked for, and at most about 80
    /// come back; without it, every hit at or above the threshold.
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenIdentifier {
    pub kind: String,
    pub value: String,
}

pub use custos_app::screening::ScreenedList;

#[derive(Debug, Serialize, ToSchema)]
pub struct ScreenResponse {
    /// Best first: `entity_id`, `list`, `name`, `matched_name`, `score` in [0, 1] and the
    /// `explanation` of each factor.
    #[schema(value_type = Vec<Object>)]
    pub hits: Vec<custos_screen::screen::Hit>,
    /// The list versions screened against.
    pub lists: Vec<ScreenedList>,
    pub threshold: f64,
}

/// Screen a name against the current version of every imported list.
#[utoipa::path(post, path = "/v1/screen", tag = "screening",
    request_body(content = ScreenRequest, example = json!({"name": "Example Hosting Ltd",
        "type": "organization", "country": "RU"})),
    responses((status = 200, body = ScreenResponse), (status = 409, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn screen(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<ScreenRequest>,
) -> Result<Json<ScreenResponse>, ApiError> {
    let name = text("name", &req.name)?;
    let name_type = req
        .name_type
        .as_deref()
        .map_or(
            Ok(custos_screen::names::NameType::Any),
            custos_screen::names::NameType::parse,
        )
        .map_err(|e| ApiError::validation("type", e))?;
    if let Some(d) = &req.date_of_birth {
        let ok = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok()
            || (d.len() == 4 && d.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(ApiError::validation(
                "date_of_birth",
                "must be YYYY or YYYY-MM-DD",
            ));
        }
    }
    if req.limit.is_some_and(|l| l == 0 || l > 1000) {
        return Err(ApiError::validation("limit", "must be 1 to 1000"));
    }
    let Some((screener, lists)) = st.service.screener().await? else {
        return Err(ApiError::Conflict(
            "no list has been imported: nothing to screen against (custos lists import)".into(),
        ));
    };
    let q = custos_screen::screen::Query {
        name,
        name_type,
        birth_date: req.date_of_birth,
        country: req.country.map(|c| c.as_str().to_owned()),
        identifiers: req
            .identifiers
            .iter()
            .map(|i| {
                Ok((
                    text("identifiers.kind", &i.kind)?.to_lowercase(),
                    text("identifiers.value", &i.value)?,
                ))
            })
            .collect::<Result<_, ApiError>>()?,
        address: req
            .address
            .as_deref()
            .map(|a| text("address", a))
            .transpose()?,
    };
    let limit = req.limit.map(|l| l as usize);
    let hits = tokio::task::spawn_blocking(move || screener.screen(&q, limit))
        .await
        .map_err(|_| ApiError::Internal)?;
    let lists = st.service.numbered(&lists).await?;
    Ok(Json(ScreenResponse {
        hits,
        lists,
        threshold: custos_screen::screen::DEFAULT_THRESHOLD,
    }))
}
