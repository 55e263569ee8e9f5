//! `GET /api/openapi.json`: the OpenAPI 3.1 document of this API. It is the document itself,
//! not wrapped in an envelope.

use std::sync::LazyLock;

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

/// The OpenAPI document (OpenAPI 3.1).
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "server",
    responses((status = 200, description = "This OpenAPI document", body = serde_json::Value))
)]
pub(super) async fn openapi_json() -> impl IntoResponse {
    static DOCUMENT: LazyLock<String> = LazyLock::new(crate::openapi_json);
    ([(CONTENT_TYPE, "application/json")], DOCUMENT.as_str())
}
