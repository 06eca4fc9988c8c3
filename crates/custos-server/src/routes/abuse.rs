//! `/v1/abuse-reports` and `/v1/abuse-cases`: abuse reports traced through the ledger to the
//! accounts that used the address at the time, the cases they open, their sealed evidence (a
//! read of personal data, with a purpose) and the actions taken on them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custos_app::abuse::{AbuseReport, Reported};
use custos_core::abuse::{AbuseCase, Action, CaseState};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{Principal, Purpose};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;

/// Report abuse: an address and a time (or an account), a category, the evidence and its
/// references. custos finds through the ledger which accounts used the address within
/// `detection.trace_minutes` of the time, and opens a case on each with the ledger's proofs
/// in its sealed evidence. A report no account matches is kept as one unmatched case.
#[utoipa::path(post, path = "/v1/abuse-reports", operation_id = "create_abuse_report", tag = "abuse",
    request_body(content = AbuseReport, example = json!({"ip": "203.0.113.7",
        "at": "2026-11-20T10:15:00Z", "category": "phishing",
        "evidence": "Phishing kit for a bank's login page served from http://203.0.113.7/login",
        "references": ["ticket ABUSE-4411"]})),
    responses((status = 201, body = Reported), (status = 409, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn report(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<AbuseReport>,
) -> Result<(StatusCode, Json<Reported>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(st.service.report_abuse(&p, req).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CasesQuery {
    /// `open` or `closed`; every case when omitted.
    #[serde(default)]
    pub state: Option<CaseState>,
}

/// Abuse cases, newest first: the workflow only (category, account, actions, deadlines); the
/// report itself is read one case at a time, with a purpose.
#[utoipa::path(get, path = "/v1/abuse-cases", operation_id = "list_abuse_cases", tag = "abuse",
    params(CasesQuery),
    responses((status = 200, body = Vec<AbuseCase>)),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<CasesQuery>,
) -> Result<Json<Vec<AbuseCase>>, ApiError> {
    Ok(Json(st.service.abuse_cases(q.state).await?))
}

/// One abuse case.
#[utoipa::path(get, path = "/v1/abuse-cases/{id}", operation_id = "get_abuse_case", tag = "abuse",
    params(("id" = String, Path, example = "abc_demo_phishing")),
    responses((status = 200, body = AbuseCase), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AbuseCase>, ApiError> {
    Ok(Json(st.service.abuse_case(&id).await?))
}

/// A case's sealed evidence: the report (address, time, evidence, references) and the
/// ledger's trace with its inclusion proofs. Personal data: `X-Custos-Purpose`, audited.
#[utoipa::path(get, path = "/v1/abuse-cases/{id}/evidence", operation_id = "get_abuse_evidence", tag = "abuse",
    params(("id" = String, Path, example = "abc_demo_phishing"),
        ("X-Custos-Purpose" = String, Header, description = "Why the evidence is read")),
    responses((status = 200, body = Object), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn evidence(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    purpose: Result<Purpose, ApiError>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let purpose = purpose?;
    Ok(Json(
        st.service
            .abuse_evidence(&p.actor(), &purpose.0, &id)
            .await?,
    ))
}

/// An action on a case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseAction {
    /// `suspend`, `lift`, `preserve`, `close_for_abuse` or `dismiss`.
    pub action: Action,
    /// Why; required to close for abuse (the second person decides on it).
    #[serde(default)]
    pub note: Option<String>,
}

/// Act on a case: suspend the account (until lifted or dismissed), lift the suspension,
/// preserve the customer's records (a legal hold), close the account for abuse (its customer's
/// identifiers then flag a returning sign-up; a person's close waits for a second person,
/// `202`), or dismiss the case.
#[utoipa::path(post, path = "/v1/abuse-cases/{id}/actions", operation_id = "act_on_abuse_case", tag = "abuse",
    params(("id" = String, Path, example = "abc_demo_phishing")),
    request_body(content = CaseAction, example = json!({"action": "suspend",
        "note": "phishing kit confirmed"})),
    responses((status = 200, body = AbuseCase),
        (status = 202, body = custos_app::approvals::ApprovalView,
            description = "Closing for abuse by a person: it waits for a second person"),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn act(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CaseAction>,
) -> Result<Response, ApiError> {
    match st
        .service
        .act_on_abuse_case(&p, &id, req.action, req.note)
        .await?
    {
        custos_app::approvals::Decided::Done(c) => Ok(Json(c).into_response()),
        custos_app::approvals::Decided::Waiting(a) => Ok(super::approvals::waiting(a)),
    }
}
