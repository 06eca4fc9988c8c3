//! `/v1/approvals`: four eyes. A decision that hurts a customer, taken by a person (refusing a
//! subject, closing an account, confirming a sanctions match, reversing a confirmed one),
//! answers `202 Accepted` with an approval, and waits here until a second, different person
//! approves (the decision is then applied) or rejects it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custos_app::approvals::ApprovalView;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};

/// A decision that waits for a second person: `202 Accepted` with the approval.
pub fn waiting(a: Box<ApprovalView>) -> Response {
    (StatusCode::ACCEPTED, Json(*a)).into_response()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApprovalQuery {
    /// `pending` (the default), `approved`, `rejected`, `failed`, or `all`.
    pub state: Option<String>,
    /// The `next_cursor` of the page before (an approval's id).
    pub starting_after: Option<String>,
    /// 1 to 100; default 20.
    pub limit: Option<u32>,
}

/// A page of approvals.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalPage {
    pub data: Vec<ApprovalView>,
    pub has_more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The decisions waiting for a second person (or, with `state`, those decided).
#[utoipa::path(get, path = "/v1/approvals", tag = "approvals", params(ApprovalQuery),
    responses((status = 200, body = ApprovalPage), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<ApprovalQuery>,
) -> Result<Json<ApprovalPage>, ApiError> {
    let limit = custos_app::browse::limit(q.limit)?;
    let state = match q.state.as_deref() {
        None => Some("pending"),
        Some("all") => None,
        Some(s) => Some(s),
    };
    let mut data = st
        .service
        .approvals(state, q.starting_after.as_deref(), limit + 1)
        .await?;
    let has_more = data.len() > limit as usize;
    data.truncate(limit as usize);
    let next_cursor = has_more
        .then(|| data.last().map(|a| a.id.clone()))
        .flatten();
    Ok(Json(ApprovalPage {
        data,
        has_more,
        next_cursor,
    }))
}

/// One approval.
#[utoipa::path(get, path = "/v1/approvals/{id}", tag = "approvals",
    params(("id" = String, Path)),
    responses((status = 200, body = ApprovalView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ApprovalView>, ApiError> {
    Ok(Json(st.service.approval(&id).await?))
}

/// Approve a decision: a second, different person with the same power; the decision is
/// applied in the name of whoever asked for it.
#[utoipa::path(post, path = "/v1/approvals/{id}/approve", tag = "approvals",
    params(("id" = String, Path)),
    responses((status = 200, body = ApprovalView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn approve(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ApprovalView>, ApiError> {
    Ok(Json(st.service.approve(&p, &id).await?))
}

/// Reject a decision (or, by whoever asked for it, withdraw it): nothing is applied.
#[utoipa::path(post, path = "/v1/approvals/{id}/reject", tag = "approvals",
    params(("id" = String, Path)),
    responses((status = 200, body = ApprovalView), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn reject(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ApprovalView>, ApiError> {
    Ok(Json(st.service.reject(&p, &id).await?))
}
