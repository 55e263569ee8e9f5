//! Settings, the connection to the server, links that leave the app.

use tauri::{AppHandle, Manager, State};
use tauri_plugin_opener::OpenerExt;
use xwms_api::ErrorCode;
use xwms_core::client::Client;
use xwms_core::connection::ConnectionState;
use xwms_core::links::AppLink;
use xwms_core::settings::Settings;

use super::{IpcError, IpcResult};
use crate::PendingLink;

/// The saved settings.
#[tauri::command]
#[specta::specta]
pub fn get_settings(client: State<'_, Client>) -> Settings {
    client.settings()
}

/// Validates and saves the settings; returns them normalised. On error nothing is saved.
/// A new server URL signs the app out of the old server.
#[tauri::command]
#[specta::specta]
pub async fn save_settings(client: State<'_, Client>, settings: Settings) -> IpcResult<Settings> {
    Ok(client.save_settings(&settings).await?)
}

/// Moves the app to another XWMS server: its `/api/info` is checked first
/// (`settings.server_unreachable`, `settings.not_xwms_server`), then the app signs out of the
/// old server (queued until it answers) and saves the new address.
#[tauri::command]
#[specta::specta]
pub async fn change_server(client: State<'_, Client>, server_url: String) -> IpcResult<Settings> {
    Ok(client.change_server(&server_url).await?)
}

/// The connection as last checked.
#[tauri::command]
#[specta::specta]
pub fn connection_state(client: State<'_, Client>) -> ConnectionState {
    client.connection_state()
}

/// Checks the server now.
#[tauri::command]
#[specta::specta]
pub async fn check_connection(app: AppHandle) -> ConnectionState {
    app.state::<Client>().check_connection().await
}

/// Opens a web or mail link in the system browser or mail client (never inside the app).
#[tauri::command]
#[specta::specta]
pub fn open_external(app: AppHandle, url: String) -> IpcResult<()> {
    let url = xwms_core::links::external_url(&url)?;
    app.opener()
        .open_url(url.as_str(), None::<&str>)
        .map_err(|e| IpcError::logged(ErrorCode::Internal, format!("opener: {e}")))
}

/// The screen an `xwms://` link or a notification click asked for, once (then `null` until
/// the next one); the UI calls it at start and on `app-link-opened`.
#[tauri::command]
#[specta::specta]
pub fn take_app_link(pending: State<'_, PendingLink>) -> Option<AppLink> {
    pending.take()
}
