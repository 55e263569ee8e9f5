//! What every handler can reach.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Settings;
use crate::store::Store;

/// Shared state of the router; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub server: Arc<ServerInfo>,
}

/// How this server describes itself in `GET /api/info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    pub name: String,
    pub locale: String,
    pub timezone: String,
}

impl ServerInfo {
    pub fn from_settings(settings: &Settings) -> ServerInfo {
        ServerInfo {
            name: settings.name.clone(),
            locale: settings.locale.clone(),
            timezone: settings.timezone.clone(),
        }
    }
}

impl AppState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, server: ServerInfo) -> AppState {
        AppState {
            store,
            clock,
            server: Arc::new(server),
        }
    }
}
