//! `GET /api/health`: the server answers and its store answers a query.

use axum::extract::State;
use axum::Json;
use xwms_api::{Envelope, ErrorCode, Health};

use crate::error::{ApiError, ErrorEnvelope};
use crate::AppState;

/// Liveness and store check.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "server",
    responses(
        (status = 200, description = "The server and its database answer", body = Envelope<Health>),
        (status = 503, description = "The database does not answer (`server.unavailable`)", body = ErrorEnvelope)
    )
)]
pub(super) async fn health(
    State(state): State<AppState>,
) -> Result<Json<Envelope<Health>>, ApiError> {
    if let Err(err) = state.store.ping().await {
        tracing::warn!(error = %err, "health check: the database does not answer");
        return Err(ApiError::new(ErrorCode::Unavailable));
    }
    Ok(Json(Envelope::success(
        "The server is healthy.",
        Health {
            status: "ok".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            database: "ok".to_owned(),
        },
    )))
}
