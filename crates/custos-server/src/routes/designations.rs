//! `/v1/designations`: special-measure designations (EO 13984 section 2): the schedule of what
//! takes effect when, a compliance officer's new designations and extensions; and
//! `/v1/compliance/sweep`, which applies what the calendar changed.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use custos_screen::model::{DesignationSubject, Measure};
use serde::Deserialize;
use utoipa::ToSchema;

use super::text;
use crate::AppState;
use crate::auth::Principal;
use crate::dto::{ListOf, ListQuery};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use custos_app::designations::{
    DesignationView, NewDesignation, Preview, ScheduleEvent, SweepReport,
};

/// A new designation: a foreign jurisdiction or a foreign person, a prohibition or conditions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignationInput {
    /// Letters, digits, `-`, `_` and `.`; unique among the designations.
    pub id: String,
    /// `{"kind": "jurisdiction", "country": "KP"}` or `{"kind": "person", "name": ...,
    /// "aliases": [...], "countries": [...], "date_of_birth": ..., "entity_kind": ...}`.
    #[schema(value_type = Object)]
    pub subject: DesignationSubject,
    /// `prohibition` or `conditions`.
    #[schema(value_type = String)]
    pub measure: Measure,
    /// CEL expressions over `account` and `customer`, for `conditions`.
    #[serde(default)]
    pub conditions: Vec<String>,
    /// The day of the determination (today when omitted).
    pub determined: Option<NaiveDate>,
    /// No earlier than the policy's lead time after the determination (the default).
    pub effective: Option<NaiveDate>,
    /// The policy's duration after the effective date when omitted.
    pub expires: Option<NaiveDate>,
    /// The authority's reference, e.g. a Federal Register citation.
    pub reference: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionInput {
    pub until: NaiveDate,
    pub reference: String,
}

/// Every designation of the current lists, with where it stands today, in id order.
#[utoipa::path(get, path = "/v1/designations", operation_id = "list_designations", tag = "compliance",
    params(ListQuery),
    responses((status = 200, body = ListOf<DesignationView>), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<DesignationView>>, ApiError> {
    let limit = custos_app::browse::limit(q.limit)?;
    let all = st.service.designation_views().await?;
    let page = custos_app::browse::page_of(
        custos_app::browse::List::Designations,
        all,
        |d| d.designation.id.clone(),
        q.starting_after.as_deref(),
        limit,
    )?;
    Ok(Json(ListOf::of(page, |d| d)))
}

/// What takes effect and what ends when, in date order.
#[utoipa::path(get, path = "/v1/designations/schedule", tag = "compliance",
    responses((status = 200, body = Vec<ScheduleEvent>)),
    security(("bearer" = [])))]
pub async fn schedule(State(st): State<AppState>) -> Result<Json<Vec<ScheduleEvent>>, ApiError> {
    Ok(Json(st.service.schedule().await?))
}

/// Whom a designation will reach when it takes effect, as the records stand today: every
/// customer screened against it alone, nothing changed (the reads are audited).
#[utoipa::path(get, path = "/v1/designations/{id}/preview", tag = "compliance",
    params(("id" = String, Path, example = "demo-003")),
    responses((status = 200, body = Preview), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn preview(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Preview>, ApiError> {
    Ok(Json(st.service.preview_designation(&id, &p.actor()).await?))
}

/// Enter a designation. It takes effect no earlier than the policy's lead time (180 days) after
/// its determination; on that day the sweep applies it to every existing account.
#[utoipa::path(post, path = "/v1/designations", operation_id = "create_designation", tag = "compliance",
    request_body(content = DesignationInput, example = json!({"id": "sm-2027-004",
        "subject": {"kind": "jurisdiction", "country": "BY"}, "measure": "conditions",
        "conditions": ["account.offering != 'trial'", "'document' in customer.verified_by"],
        "determined": "2026-10-05", "reference": "92 FR 1234"})),
    responses((status = 201, body = DesignationView), (status = 409, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<DesignationInput>,
) -> Result<(StatusCode, Json<DesignationView>), ApiError> {
    let reference = text("reference", &req.reference)?;
    if req.conditions.len() > 50 || req.conditions.iter().any(|c| c.len() > 1000) {
        return Err(ApiError::validation(
            "conditions",
            "at most 50 conditions of at most 1000 characters",
        ));
    }
    let v = st
        .service
        .add_designation(
            NewDesignation {
                id: req.id,
                subject: req.subject,
                measure: req.measure,
                conditions: req.conditions,
                determined: req.determined,
                effective: req.effective,
                expires: req.expires,
                reference,
            },
            &p.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Extend a designation entered through the API.
#[utoipa::path(post, path = "/v1/designations/{id}/extensions", tag = "compliance",
    request_body(content = ExtensionInput, example = json!({"until": "2035-03-01", "reference": "93 FR 55"})),
    params(("id" = String, Path, example = "demo-003")),
    responses((status = 200, body = DesignationView), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn extend(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ExtensionInput>,
) -> Result<Json<DesignationView>, ApiError> {
    let reference = text("reference", &req.reference)?;
    Ok(Json(
        st.service
            .extend_designation(&id, req.until, reference, &p.actor())
            .await?,
    ))
}

/// Apply what the calendar changed since the last sweep: designations that took effect or
/// ended (every customer is screened again and every account re-decided), and accounts past
/// their verification deadline. The server runs it daily; this runs it now.
#[utoipa::path(post, path = "/v1/compliance/sweep", tag = "compliance",
    responses((status = 200, body = SweepReport)),
    security(("bearer" = [])))]
pub async fn sweep(
    State(st): State<AppState>,
    p: Principal,
) -> Result<Json<SweepReport>, ApiError> {
    Ok(Json(st.service.sweep(&p.actor()).await?))
}
