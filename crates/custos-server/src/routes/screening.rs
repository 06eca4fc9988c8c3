//! `/v1/screening`: the reviewers' queue of screening cases, a case with its explanation
//! (personal data: audited), a reviewer's resolution, re-screening every customer, and a
//! reseller's exposure to designated jurisdictions through the accounts under it.

use axum::Json;
use axum::extract::State;
use custos_app::records::StoredCase;
use custos_core::screening::{Case, CaseState, CaseSummary, Resolution};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{account_id, text};
use crate::AppState;
use crate::auth::{Principal, Purpose};
use crate::dto::AccountView;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use custos_app::screening::{Exposure, RescreenReport};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// `open`, `confirmed`, `false_positive` or `cleared`; every state when omitted.
    pub state: Option<String>,
    /// The `next_cursor` of the page before.
    pub starting_after: Option<String>,
    /// Deprecated (until the next release): the last case id of the page before.
    pub after: Option<String>,
    /// 1 to 100; default 20.
    pub limit: Option<u32>,
}

/// A page of screening cases: `data`, `has_more` and `next_cursor` as every list has them.
#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<StoredCase>,
    pub has_more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Deprecated (until the next release): `data`.
    #[schema(value_type = Vec<Object>, deprecated)]
    pub cases: Vec<StoredCase>,
    /// Deprecated (until the next release): the last case id, when more follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(deprecated)]
    pub next: Option<String>,
}

fn state(s: &str) -> Result<CaseState, ApiError> {
    Ok(match s {
        "open" => CaseState::Open,
        "confirmed" => CaseState::Confirmed,
        "false_positive" => CaseState::FalsePositive,
        "cleared" => CaseState::Cleared,
        _ => {
            return Err(ApiError::validation(
                "state",
                "must be open, confirmed, false_positive or cleared",
            ));
        }
    })
}

fn case_id(s: &str) -> Result<&str, ApiError> {
    if s.len() > 64
        || !s.starts_with("scr_")
        || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(ApiError::validation("id", "is not a screening case id"));
    }
    Ok(s)
}

/// The screening cases, in id order: the reviewers' queue with `state=open`.
#[utoipa::path(get, path = "/v1/screening/cases", operation_id = "list_screening_cases", tag = "screening",
    params(CaseQuery),
    responses((status = 200, body = CasePage), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn cases(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> Result<Json<CasePage>, ApiError> {
    let s = q.state.as_deref().map(state).transpose()?;
    let limit = custos_app::browse::limit(q.limit)?;
    let cursor = match (q.starting_after, q.after.as_deref()) {
        (Some(c), _) => Some(c),
        (None, Some(a)) => Some(custos_app::browse::List::ScreeningCases.cursor(case_id(a)?)),
        (None, None) => None,
    };
    let page = st
        .service
        .list_screening_cases(s, cursor.as_deref(), limit)
        .await?;
    let next = page
        .has_more
        .then(|| page.data.last().map(|c| c.case.id.clone()))
        .flatten();
    Ok(Json(CasePage {
        cases: page.data.clone(),
        data: page.data,
        has_more: page.has_more,
        next_cursor: page.next_cursor,
        next,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub customer_id: custos_core::CustomerId,
    pub case: Case,
}

/// A case with its finding: the subject's name, the entry that matched and why. Personal
/// data: needs a reviewer-or-higher role and `X-Custos-Purpose`, and is audited.
#[utoipa::path(get, path = "/v1/screening/cases/{id}", tag = "screening",
    params(("id" = String, Path, example = "scr_a1c16c334f3b0c41e671274d"),
        ("X-Custos-Purpose" = String, Header, description = "Why the case is read")),
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn case(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    purpose: Result<Purpose, ApiError>,
) -> Result<Json<CaseView>, ApiError> {
    let purpose = purpose?;
    let (customer_id, case) = st
        .service
        .read_case(case_id(&id)?, &p.actor(), &purpose.0)
        .await?;
    Ok(Json(CaseView { customer_id, case }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveInput {
    /// `confirmed` (the subject is the listed party) or `false_positive`.
    pub resolution: Resolution,
    /// Why. Required to reverse a decided case (`confirmed` to `false_positive`, or back) and
    /// to call an exact match (score 1.0, the full date of birth the entry gives) a false
    /// positive.
    /// (`note`, its name before, is accepted until the next release.)
    #[serde(default, alias = "note")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Resolved {
    pub customer_id: custos_core::CustomerId,
    pub case: CaseSummary,
    pub accounts: Vec<AccountView>,
}

/// A reviewer's decision on a case. A false positive is remembered for that subject and that
/// list entry until either changes; a confirmed hit applies the entry's measure. A reversal,
/// and a false positive on an exact match, need a `reason`. The customer's accounts are decided
/// again and returned, those a reversed confirmation closed included. A person's confirmation,
/// and a person's reversal, wait for a second person (`202`).
#[utoipa::path(post, path = "/v1/screening/cases/{id}/resolve", tag = "screening",
    params(("id" = String, Path, example = "scr_a1c16c334f3b0c41e671274d")),
    request_body(content = ResolveInput, example = json!({"resolution": "false_positive",
        "reason": "different date of birth and nationality"})),
    responses((status = 200, body = Resolved),
        (status = 202, body = custos_app::approvals::ApprovalView,
            description = "A person confirmed a match, or reversed a confirmed one: it waits for a second person (`/v1/approvals`)"),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn resolve(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<ResolveInput>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let note = req
        .reason
        .as_deref()
        .map(|n| text("reason", n))
        .transpose()?;
    let (customer_id, case, accounts) = match st
        .service
        .decide_resolution(&p.actor(), case_id(&id)?, req.resolution, note)
        .await?
    {
        custos_app::approvals::Decided::Done(x) => x,
        custos_app::approvals::Decided::Waiting(a) => return Ok(super::approvals::waiting(a)),
    };
    let summary = st.service.screening_case(&case.id).await.map(|c| c.case)?;
    Ok(Json(Resolved {
        customer_id,
        case: summary,
        accounts: accounts.iter().map(AccountView::from).collect(),
    })
    .into_response())
}

/// Screens every stored customer again against the current lists (done after every import
/// by `custos lists import`), and reports the hits that are new and those that are gone.
#[utoipa::path(post, path = "/v1/screening/rescreen", tag = "screening",
    responses((status = 200, body = RescreenReport), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn rescreen(
    State(st): State<AppState>,
    p: Principal,
) -> Result<Json<RescreenReport>, ApiError> {
    Ok(Json(st.service.rescreen_all(&p.actor(), |_| {}).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExposureView {
    pub account_id: custos_core::AccountId,
    pub exposure: Vec<Exposure>,
}

/// An account's exposure to designated jurisdictions: links of its own customer, and of every
/// customer in the reseller chains below it.
#[utoipa::path(get, path = "/v1/accounts/{id}/exposure", tag = "screening",
    params(("id" = String, Path, example = "acc_demo_reseller")),
    responses((status = 200, body = ExposureView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn exposure(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ExposureView>, ApiError> {
    let id = account_id(&id)?;
    let exposure = st.service.exposure(&id).await?;
    Ok(Json(ExposureView {
        account_id: id,
        exposure,
    }))
}
