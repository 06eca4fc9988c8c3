//! `/v1/webhook-endpoints`: the endpoints an admin registers for webhooks, their deliveries
//! and attempts, and sending a delivery again; `/v1/events-feed`, the same events to pull.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{ListOf, ListQuery};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiPath, ApiQuery};
use crate::idempotency::HoldsSecret;
use crate::json::ApiJson;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpoint {
    /// Where deliveries are POSTed: an `https` (or `http`) URL; redirects are not followed.
    pub url: String,
    /// The event types to receive, or `["*"]` for all of them.
    pub event_types: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<custos_app::records::WebhookEndpoint> for EndpointView {
    fn from(e: custos_app::records::WebhookEndpoint) -> Self {
        EndpointView {
            id: e.id,
            url: e.url,
            event_types: e.event_types,
            created_at: e.created_at,
            created_by: e.created_by,
            deleted_at: e.deleted_at,
        }
    }
}

/// A new endpoint and its signing secret: the secret is in this response only.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedEndpoint {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// `whsec_…`: verify the `webhook-signature` of each delivery with it (Standard Webhooks).
    pub secret: String,
}

/// One event's delivery to an endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `delivered`, `failed` (every attempt made) or `cancelled` (the endpoint was
    /// deleted).
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
}

impl From<custos_app::records::WebhookDelivery> for DeliveryView {
    fn from(d: custos_app::records::WebhookDelivery) -> Self {
        DeliveryView {
            id: d.id,
            endpoint_id: d.endpoint_id,
            event_id: d.event_id,
            event_type: d.event_type,
            state: d.state,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_attempt_at: d.last_attempt_at,
            last_status: d.last_status,
            last_error: d.last_error,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub n: i64,
    pub at: DateTime<Utc>,
    pub status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryWithAttempts {
    #[serde(flatten)]
    pub delivery: DeliveryView,
    pub attempt_log: Vec<AttemptView>,
}

/// Register an endpoint for webhooks. Events of the chosen types are POSTed to it, signed
/// (`webhook-id`, `webhook-timestamp`, `webhook-signature`), at least once, retried for more
/// than a day.
#[utoipa::path(post, path = "/v1/webhook-endpoints", operation_id = "create_webhook_endpoint", tag = "webhooks",
    request_body(content = CreateEndpoint, example = json!({"url": "https://control-plane.example.com/custos",
        "event_types": ["account.decision_changed", "account.closed"]})),
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    responses((status = 201, body = CreatedEndpoint), (status = 422, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    State(st): State<AppState>,
    p: Principal,
    ApiJson(req): ApiJson<CreateEndpoint>,
) -> Result<(StatusCode, Extension<HoldsSecret>, Json<CreatedEndpoint>), ApiError> {
    let made = st
        .service
        .add_webhook_endpoint(&p.actor(), &req.url, req.event_types)
        .await?;
    Ok((
        StatusCode::CREATED,
        Extension(HoldsSecret),
        Json(CreatedEndpoint {
            endpoint: made.endpoint.into(),
            secret: made.secret,
        }),
    ))
}

/// The endpoints, deleted ones too (never their secrets), in id order.
#[utoipa::path(get, path = "/v1/webhook-endpoints", operation_id = "list_webhook_endpoints", tag = "webhooks",
    params(ListQuery),
    responses((status = 200, body = ListOf<EndpointView>), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<EndpointView>>, ApiError> {
    let limit = custos_app::browse::limit(q.limit)?;
    let all = st.service.webhook_endpoints().await?;
    let page = custos_app::browse::page_of(
        custos_app::browse::List::WebhookEndpoints,
        all,
        |e| e.id.clone(),
        q.starting_after.as_deref(),
        limit,
    )?;
    Ok(Json(ListOf::of(page, EndpointView::from)))
}

/// An endpoint.
#[utoipa::path(get, path = "/v1/webhook-endpoints/{id}", operation_id = "get_webhook_endpoint", tag = "webhooks",
    params(("id" = String, Path)),
    responses((status = 200, body = EndpointView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<EndpointView>, ApiError> {
    Ok(Json(st.service.webhook_endpoint(&id).await?.into()))
}

/// Delete an endpoint: nothing more is delivered to it; its deliveries stay on record.
#[utoipa::path(delete, path = "/v1/webhook-endpoints/{id}", operation_id = "delete_webhook_endpoint", tag = "webhooks",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete(
    State(st): State<AppState>,
    p: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    st.service.delete_webhook_endpoint(&p.actor(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An endpoint's deliveries, in event order: the delivery log.
#[utoipa::path(get, path = "/v1/webhook-endpoints/{id}/deliveries", operation_id = "list_webhook_deliveries", tag = "webhooks",
    params(("id" = String, Path), ListQuery),
    responses((status = 200, body = ListOf<DeliveryView>), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn deliveries(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<DeliveryView>>, ApiError> {
    let limit = custos_app::browse::limit(q.limit)?;
    let page = st
        .service
        .webhook_deliveries(&id, q.starting_after.as_deref(), limit)
        .await?;
    Ok(Json(ListOf::of(page, DeliveryView::from)))
}

/// A delivery, with each attempt at it.
#[utoipa::path(get, path = "/v1/webhook-endpoints/{id}/deliveries/{delivery_id}", operation_id = "get_webhook_delivery", tag = "webhooks",
    params(("id" = String, Path), ("delivery_id" = String, Path)),
    responses((status = 200, body = DeliveryWithAttempts), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn delivery(
    State(st): State<AppState>,
    ApiPath((id, delivery)): ApiPath<(String, String)>,
) -> Result<Json<DeliveryWithAttempts>, ApiError> {
    let (d, attempts) = st.service.webhook_delivery(&id, &delivery).await?;
    Ok(Json(DeliveryWithAttempts {
        delivery: d.into(),
        attempt_log: attempts
            .into_iter()
            .map(|a| AttemptView {
                n: a.n,
                at: a.at,
                status: a.status,
                error: a.error,
                duration_ms: a.duration_ms,
            })
            .collect(),
    }))
}

/// Send a delivery again, now (delivered, failed or pending alike).
#[utoipa::path(post, path = "/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/redeliver", operation_id = "redeliver_webhook", tag = "webhooks",
    params(("id" = String, Path), ("delivery_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Replays return the first response")),
    responses((status = 202, body = DeliveryView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn redeliver(
    State(st): State<AppState>,
    p: Principal,
    ApiPath((id, delivery)): ApiPath<(String, String)>,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    let d = st.service.redeliver(&p.actor(), &id, &delivery).await?;
    Ok((StatusCode::ACCEPTED, Json(d.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// The `next_after` of the page before (0, or nothing, for the start).
    pub after: Option<i64>,
    /// 1 to 100; default 20.
    pub limit: Option<u32>,
}

/// One event, as its webhook delivers it, with its place in the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedEvent {
    pub seq: i64,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub timestamp: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedPage {
    pub data: Vec<FeedEvent>,
    pub has_more: bool,
    /// Where to read on from: send it as `after` (also when this page is empty or the last).
    pub next_after: i64,
}

/// The events, in the order they were committed: every change webhooks announce, to pull.
#[utoipa::path(get, path = "/v1/events-feed", operation_id = "events_feed", tag = "webhooks",
    params(FeedQuery),
    responses((status = 200, body = FeedPage), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn feed(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> Result<Json<FeedPage>, ApiError> {
    let limit = custos_app::browse::limit(q.limit)?;
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::validation("after", "must be 0 or more"));
    }
    let mut events = st.service.events_feed(after, limit + 1).await?;
    let has_more = events.len() > limit as usize;
    events.truncate(limit as usize);
    let next_after = events.last().map_or(after, |e| e.seq);
    Ok(Json(FeedPage {
        data: events
            .into_iter()
            .map(|e| FeedEvent {
                seq: e.seq,
                id: e.event.id,
                kind: e.event.kind,
                timestamp: e.event.at,
                data: e.event.data,
            })
            .collect(),
        has_more,
        next_after,
    }))
}
