//! `GET /api/info`: what this server is and how it sees the caller, in XWMS's published shape.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::header::USER_AGENT;
use axum::http::HeaderMap;
use axum::{Extension, Json};
use xwms_api::{ApiDocs, ApplicationInfo, ClientInfo, Envelope, HelpInfo, InfoData};

use super::{OPENAPI_PATH, ROUTES};
use crate::clock::rfc3339;
use crate::AppState;

/// One line about the service, as `/api/info` reports it.
pub const DESCRIPTION: &str =
    "XWMS account service: accounts, security, sessions, help center and support.";

/// Server and caller information.
#[utoipa::path(
    get,
    path = "/api/info",
    tag = "server",
    responses((status = 200, description = "Information about this server and the caller", body = Envelope<InfoData>))
)]
pub(super) async fn info(
    State(state): State<AppState>,
    connect_info: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Json<Envelope<InfoData>> {
    let client = ClientInfo {
        // Without a socket (in-process tests) there is no peer address. Behind a reverse proxy
        // this is the proxy's address: forwarded headers are not trusted.
        ip: connect_info.map_or_else(
            || "unknown".to_owned(),
            |Extension(ConnectInfo(addr))| addr.ip().to_string(),
        ),
        user_agent: headers
            .get(USER_AGENT)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default(),
    };
    let server = &state.server;
    // A store that fails here leaves the field out; /api/info itself stays up.
    let help = state
        .help
        .version()
        .await
        .map_err(|e| tracing::warn!(error = %e, "help version unavailable"))
        .ok()
        .map(|version| HelpInfo { version });
    let data = InfoData {
        application: ApplicationInfo {
            name: server.name.clone(),
            description: DESCRIPTION.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            locale: server.locale.clone(),
            timezone: server.timezone.clone(),
            time: rfc3339(state.clock.now()),
        },
        client,
        api: ApiDocs {
            documentation: OPENAPI_PATH.to_owned(),
            endpoints: ROUTES
                .iter()
                .map(|r| (r.name.to_owned(), r.path.to_owned()))
                .collect(),
        },
        help,
    };
    Json(Envelope::success("Server information.", data))
}
