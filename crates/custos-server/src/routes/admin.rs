//! `/v1/audit` and `/v1/api-keys`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};

use crate::AppState;
use crate::auth::Principal;
use crate::dto::*;
use crate::error::{ApiError, Problem};
use crate::extract::ApiQuery;
use crate::idempotency::HoldsSecret;
use crate::json::ApiJson;

/// The audit trail: every read of personal data and every compliance action, hash-chained.
#[utoipa::path(get, path = "/v1/audit", tag = "admin",
    params(Page),
    responses((status = 200, body = AuditPage), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn audit(
    State(st): State<AppState>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = custos_app::browse::limit_within(page.limit, 100, 1000)?;
    let list = custos_app::browse::List::Audit;
    let cursor = match (page.starting_after, page.after.as_deref()) {
        (Some(c), _) => Some(c),
        (None, Some(a)) => {
            let seq = a
                .parse::<i64>()
                .map_err(|_| ApiError::validation("after", "must be a sequence number"))?;
            (seq > 0).then(|| list.cursor(&seq.to_string()))
        }
        (None, None) => None,
    };
    let p = st.service.list_audit(cursor.as_deref(), limit).await?;
    let next = p.has_more.then(|| p.data.last().map(|e| e.seq)).flatten();
    Ok(Json(AuditPage {
        entries: p.data.clone(),
        data: p.data,
        has_more: p.has_more,
        next_cursor: p.next_cursor,
        next,
    }))
}

/// Create an API key. The token is in this response only.
#[utoipa::path(post, path = "/v1/api-keys", operation_id = "create_api_key", tag = "admin",
    request_body(content = CreateApiKey, example = json!({"name": "signup-service", "role": "integrator"})),
    responses((status = 201, body = CreatedApiKey), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<CreateApiKey>,
) -> Result<(StatusCode, Extension<HoldsSecret>, Json<CreatedApiKey>), ApiError> {
    let (token, id) = st
        .service
        .issue_key(&p.actor(), &req.name, req.role, req.scope.as_ref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Extension(HoldsSecret),
        Json(CreatedApiKey {
            id,
            role: req.role,
            token,
        }),
    ))
}

/// The API keys (never their secrets), in id order.
#[utoipa::path(get, path = "/v1/api-keys", operation_id = "list_api_keys", tag = "admin",
    params(ListQuery),
    responses((status = 200, body = ListOf<ApiKeyView>), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<ApiKeyView>>, ApiError> {
    let limit = custos_app::browse::limit(q.limit)?;
    let keys = st.service.api_keys().await?;
    let page = custos_app::browse::page_of(
        custos_app::browse::List::ApiKeys,
        keys,
        |k| k.id.clone(),
        q.starting_after.as_deref(),
        limit,
    )?;
    Ok(Json(ListOf::of(page, |k| ApiKeyView {
        id: k.id,
        name: k.name,
        role: k.role,
        created_at: k.created_at,
        revoked_at: k.revoked_at,
        scope: k.scope,
    })))
}
