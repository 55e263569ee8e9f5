//! The API's routes. Each handler is declared once with `#[utoipa::path]` and registered
//! through [`api_router`], so the router and the OpenAPI document come from the same
//! declarations. [`ROUTES`] lists them by name; a test checks it against both.

use axum::http::Method;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

mod health;
mod info;
mod openapi;

/// One route the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Key in `/api/info`'s `api.endpoints`.
    pub name: &'static str,
    pub method: Method,
    pub path: &'static str,
}

/// Every route of the API, in the order of the document.
pub const ROUTES: &[Route] = &[
    Route {
        name: "info",
        method: Method::GET,
        path: "/api/info",
    },
    Route {
        name: "health",
        method: Method::GET,
        path: "/api/health",
    },
    Route {
        name: "openapi",
        method: Method::GET,
        path: OPENAPI_PATH,
    },
];

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "XWMS API",
        description = "The XWMS account service. Every JSON answer is an envelope \
            `{status, message, code?, data}`; errors carry a stable machine `code`."
    ),
    tags((name = "server", description = "About this server"))
)]
struct ApiDoc;

/// The routes with their documentation; state is supplied by [`crate::app`].
pub(crate) fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(info::info))
        .routes(routes!(health::health))
        .routes(routes!(openapi::openapi_json))
}
