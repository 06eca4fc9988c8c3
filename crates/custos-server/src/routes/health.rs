//! Liveness, readiness and metrics.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::AppState;
use crate::error::ApiError;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = String)))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: its database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = String), (status = 503, body = crate::error::Problem)))]
pub async fn readyz(State(st): State<AppState>) -> Result<&'static str, ApiError> {
    st.service.ping().await.map_err(|_| ApiError::Unavailable)?;
    // Not ready while the ledger cannot write (after a write failed, a probe is written).
    st.service.ledger_writable().await.map_err(|e| {
        tracing::warn!(error = %e, "not ready: the ledger cannot write");
        ApiError::LedgerUnavailable
    })?;
    Ok("ready")
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, body = String)))]
pub async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(),
    )
}
