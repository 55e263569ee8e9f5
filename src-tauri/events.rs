//! Events the app sends to the UI (typed for TypeScript through tauri-specta).

use serde::{Deserialize, Serialize};
use xwms_core::connection::ConnectionState;

/// The server went online or offline, or its facts changed. Event name `connection-changed`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct ConnectionChanged(pub ConnectionState);
