//! `/v1/accounts`: open an account and get its decision, read it, close it, record accesses,
//! and the queue of accounts that need action.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::{account_id, reported_at, text};
use crate::AppState;
use crate::auth::Principal;
use crate::dto::*;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::json::ApiJson;
use custos_app::service::NewAccount;

/// Open an account. The decision comes back synchronously: `approve` (active), `pending`
/// (restricted or blocked until the listed steps are done) or `refuse`, with reason codes.
#[utoipa::path(post, path = "/v1/accounts", tag = "accounts",
    request_body(content = OpenAccount, example = json!({"customer_id": "cus_demo_foreign_individual",
        "kind": "direct", "offering": "paid"})),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    responses((status = 201, body = AccountView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn open(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<OpenAccount>,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    let req = NewAccount {
        customer_id: req.customer_id,
        kind: req.kind,
        offering: req.offering,
        parent_id: req.parent_account_id,
    };
    let a = st.service.open_account_as(req, p.scope.as_ref()).await?;
    let label = match a.decision.decision {
        custos_core::Decision::Approve => "approve",
        custos_core::Decision::Pending => "pending",
        custos_core::Decision::Refuse => "refuse",
    };
    st.metrics.decisions.with_label_values(&[label]).inc();
    Ok((StatusCode::CREATED, Json(AccountView::from(&a))))
}

/// An account and its current decision.
#[utoipa::path(get, path = "/v1/accounts/{id}", operation_id = "get_account", tag = "accounts",
    params(("id" = String, Path, example = "acc_demo_foreign_direct")),
    responses((status = 200, body = AccountView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AccountView>, ApiError> {
    let a = st.service.account(&account_id(&id)?).await?;
    Ok(Json(AccountView::from(&a)))
}

/// Close an account. Sub-accounts of a closed reseller account are closed with it. The
/// control plane (an integrator's or a reseller's key) closes at once, on the customer's
/// request; a person's close waits for a second person (`202`).
#[utoipa::path(post, path = "/v1/accounts/{id}/close", tag = "accounts",
    request_body(content = CloseAccount, example = json!({"reason": "customer request"})),
    params(("id" = String, Path, example = "acc_demo_us_direct")),
    responses((status = 200, body = AccountView),
        (status = 202, body = custos_app::approvals::ApprovalView,
            description = "Closed by a person: it waits for a second person (`/v1/approvals`)"),
        (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn close(
    State(st): State<AppState>,
    p: crate::auth::Principal,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CloseAccount>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let reason = text("reason", &req.reason)?;
    match st
        .service
        .decide_close(&p, &account_id(&id)?, &reason)
        .await?
    {
        custos_app::approvals::Decided::Done(a) => Ok(Json(AccountView::from(&a)).into_response()),
        custos_app::approvals::Decided::Waiting(a) => Ok(super::approvals::waiting(a)),
    }
}

/// Record an access to the account: its time (for retention) and where it came from (evidence
/// for US-person triage). A customer with a US address seen only from abroad stops counting as
/// located in the United States.
#[utoipa::path(post, path = "/v1/accounts/{id}/accesses", tag = "accounts",
    request_body(content = AccessInput, example = json!({"ip": "203.0.113.7", "country": "DE"})),
    params(("id" = String, Path, example = "acc_demo_foreign_direct")),
    responses((status = 200, body = AccountView), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn access(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<AccessInput>,
) -> Result<Json<AccountView>, ApiError> {
    let ip: std::net::IpAddr = req
        .ip
        .trim()
        .parse()
        .map_err(|_| ApiError::validation("ip", "is not an IPv4 or IPv6 address"))?;
    let at = reported_at(req.at, st.service.now())?;
    let a = st
        .service
        .record_access(&account_id(&id)?, ip, req.country, at)
        .await?;
    Ok(Json(AccountView::from(&a)))
}

/// Report what the control plane knows of the account: resource counts, the monitoring
/// applied, tags. Special measures' conditions read it (`account.resources.vcpus <= 8`,
/// `account.monitoring == 'enhanced'`); the account is re-decided, and the accounts under it.
#[utoipa::path(put, path = "/v1/accounts/{id}/profile", operation_id = "put_account_profile", tag = "accounts",
    request_body(content = custos_core::measures::AccountProfile,
        example = json!({"resources": {"vcpus": 8, "gpus": 0}, "monitoring": "enhanced"})),
    params(("id" = String, Path, example = "acc_demo_foreign_direct")),
    responses((status = 200, body = AccountView), (status = 409, body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn profile(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<custos_core::measures::AccountProfile>,
) -> Result<Json<AccountView>, ApiError> {
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    };
    if req.resources.len() > 50 || req.resources.iter().any(|(k, v)| !name_ok(k) || *v < 0) {
        return Err(ApiError::validation(
            "resources",
            "at most 50 names (letters, digits, '_', '-', '.') with counts of zero or more",
        ));
    }
    if req.monitoring.as_deref().is_some_and(|m| !name_ok(m)) {
        return Err(ApiError::validation(
            "monitoring",
            "a level name of letters, digits, '_', '-' or '.'",
        ));
    }
    if req.tags.len() > 50 || req.tags.iter().any(|t| !name_ok(t)) {
        return Err(ApiError::validation(
            "tags",
            "at most 50 tags of letters, digits, '_', '-' or '.'",
        ));
    }
    let a = st.service.set_profile(&account_id(&id)?, req).await?;
    Ok(Json(AccountView::from(&a)))
}

/// Find accounts: by status, kind, offering, decision, customer or parent, in id order.
#[utoipa::path(get, path = "/v1/accounts", operation_id = "list_accounts", tag = "accounts",
    params(AccountListQuery),
    responses((status = 200, body = ListOf<AccountView>), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<AccountListQuery>,
) -> Result<Json<ListOf<AccountView>>, ApiError> {
    let limit = custos_app::browse::limit(q.limit)?;
    let id = |field: &'static str, v: Option<String>| {
        v.map(|v| {
            custos_core::AccountId::parse(&v)
                .map_err(|_| ApiError::validation(field, "is not an account id"))
        })
        .transpose()
    };
    let customer = q
        .customer_id
        .map(|c| {
            custos_core::CustomerId::parse(&c)
                .map_err(|_| ApiError::validation("customer_id", "is not a customer id"))
        })
        .transpose()?;
    // A reseller's key finds the accounts under its own account only.
    let parent = id("parent_account_id", q.parent_account_id)?;
    let under = id("reseller_account_id", q.reseller_account_id)?;
    let under = p.within(&st.service, under).await?;
    if let (Some(parent), Some(scope)) = (&parent, &p.scope)
        && !st.service.in_subtree(parent, scope).await?
    {
        return Err(ApiError::NotFound("no account with this id".into()));
    }
    let f = custos_app::browse::AccountFilter {
        stored: custos_app::browse::AccountQuery {
            status: q.account_status,
            kind: q.kind,
            offering: q.offering,
            customer,
            parent,
            under,
        },
        decision: q.decision,
    };
    let page = st
        .service
        .list_accounts(&f, q.starting_after.as_deref(), limit)
        .await?;
    Ok(Json(ListOf::of(page, |a| AccountView::from(&a))))
}

/// Accounts that need action: pending verification, restricted, in manual review, suspended or
/// refused but not closed. Paged by account id.
#[utoipa::path(get, path = "/v1/accounts/needing-action", tag = "accounts",
    params(Page),
    responses((status = 200, body = AccountPage)),
    security(("bearer" = [])))]
pub async fn needing_action(
    State(st): State<AppState>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<AccountPage>, ApiError> {
    let limit = custos_app::browse::limit_within(page.limit, 100, 1000)?;
    let list = custos_app::browse::List::NeedingAction;
    let cursor = match (page.starting_after, page.after.as_deref()) {
        (Some(c), _) => Some(c),
        (None, Some(a)) => Some(list.cursor(account_id(a)?.as_str())),
        (None, None) => None,
    };
    let p = st
        .service
        .list_needing_action(cursor.as_deref(), limit)
        .await?;
    let data: Vec<AccountView> = p.data.iter().map(AccountView::from).collect();
    let next = p
        .has_more
        .then(|| p.data.last().map(|a| a.id.clone()))
        .flatten();
    Ok(Json(AccountPage {
        accounts: p.data.iter().map(AccountView::from).collect(),
        data,
        has_more: p.has_more,
        next_cursor: p.next_cursor,
        next,
    }))
}
