//! The XWMS reference server.
//!
//! [`app`] builds the whole HTTP API as an axum [`Router`], so tests drive it in-process with
//! `tower::ServiceExt::oneshot`; [`Server`] opens the store, binds a socket and serves it until
//! a shutdown signal. Every JSON answer is an [`xwms_api::Envelope`]; see [`layers`] for what
//! each request passes through and [`ROUTES`] for the routes.
//!
//! Public: the start-up API ([`Settings`], [`Services`], [`Server`]) that `main.rs` and the
//! test kit (`crates/xwms-testkit`) drive, and the modules this crate's integration tests
//! (`tests/server/`) check rules in. The rest is `pub(crate)`; other crates' tests reach the
//! server through the test kit and the HTTP API only.

pub mod accounts;
pub mod clock;
pub mod config;
pub mod connections;
pub(crate) mod demo;
pub(crate) mod error;
pub(crate) mod extract;
pub mod help;
pub mod layers;
pub mod mail;
pub(crate) mod migrations;
pub mod net;
pub mod random;
pub(crate) mod realtime;
pub(crate) mod routes;
pub mod secrets;
pub mod server;
pub(crate) mod state;
pub mod store;

use axum::Router;

// The start-up API (what `main.rs` and the test kit, crates/xwms-testkit, drive): settings,
// the parts a server is made of, and the server itself.
pub use accounts::HashCost;
pub use clock::{Clock, FixedClock, ManualClock, SystemClock};
pub use config::Settings;
pub use demo::{DemoAccount, AGENT, ANNA};
pub use routes::{Route, ROUTES};
pub use server::Server;
pub use state::{AppState, ServerInfo, Services};

/// The HTTP API with its state and layers.
pub fn app(state: AppState) -> Router {
    let (router, _) = routes::api_router().split_for_parts();
    layers::apply(router.with_state(state))
}

/// The OpenAPI document of [`app`], generated from the same route declarations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes::document()
}

/// [`openapi`] as the pretty-printed JSON that `/api/openapi.json` serves and
/// `crates/xwms-server/openapi.json` holds.
pub fn openapi_json() -> String {
    let mut json = openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises to JSON");
    json.push('\n');
    json
}
