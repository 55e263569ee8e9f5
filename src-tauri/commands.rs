//! The IPC surface. Each command delegates to `xwms_core` and maps errors to
//! [`ErrorBody`] (stable code + message; never the log detail).

use tauri::{AppHandle, Manager, State};
use tauri_plugin_opener::OpenerExt;
use xwms_api::ErrorBody;
use xwms_core::client::Client;
use xwms_core::connection::ConnectionState;
use xwms_core::settings::Settings;
use xwms_core::CoreError;

use crate::events::ConnectionChanged;

fn to_ipc(e: CoreError) -> ErrorBody {
    if let Some(detail) = &e.detail {
        log::warn!("{}: {detail}", e.code);
    }
    e.to_body()
}

/// The saved settings.
#[tauri::command]
#[specta::specta]
pub fn get_settings(client: State<'_, Client>) -> Settings {
    client.settings()
}

/// Validates and saves the settings; returns them normalised. On error nothing is saved.
#[tauri::command]
#[specta::specta]
pub fn save_settings(client: State<'_, Client>, settings: Settings) -> Result<Settings, ErrorBody> {
    client.save_settings(&settings).map_err(to_ipc)
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
    let client = app.state::<Client>();
    client.check_connection().await
}

/// Opens a web or mail link in the system browser or mail client (never inside the app).
#[tauri::command]
#[specta::specta]
pub fn open_external(app: AppHandle, url: String) -> Result<(), ErrorBody> {
    let url = xwms_core::links::external_url(&url).map_err(to_ipc)?;
    app.opener()
        .open_url(url.as_str(), None::<&str>)
        .map_err(|e| {
            log::warn!("opener: {e}");
            CoreError::new(xwms_api::ErrorCode::Internal).to_body()
        })
}

/// The IPC surface in one place: commands, events and the exported TypeScript.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        // One TypeScript type per Rust type (no separate _Serialize/_Deserialize shapes).
        .disable_serde_phases()
        .commands(tauri_specta::collect_commands![
            get_settings,
            save_settings,
            connection_state,
            check_connection,
            open_external,
        ])
        .events(tauri_specta::collect_events![ConnectionChanged])
}

/// The commands the UI may call; `build.rs` declares the same list to Tauri's ACL, and a test
/// checks the two agree.
#[cfg(test)]
pub const COMMANDS: &[&str] = &[
    "get_settings",
    "save_settings",
    "connection_state",
    "check_connection",
    "open_external",
];

#[cfg(test)]
mod tests {
    use super::*;

    const BINDINGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/lib/bindings.ts");

    fn generate() -> String {
        // One folder per call: the tests run in parallel threads of one process.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("xwms-bindings-{}-{call}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bindings.ts");
        specta_builder()
            .export(
                specta_typescript::Typescript::default()
                    .header("// Generated from the Rust types by tauri-specta. Do not edit: run `UPDATE_BINDINGS=1 cargo test -p xwms-desktop bindings`.\n"),
                &path,
            )
            .expect("export bindings");
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        text
    }

    /// The UI's TypeScript bindings are generated from these Rust types; a stale file fails.
    #[test]
    fn bindings_are_up_to_date() {
        let generated = generate();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(BINDINGS, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(BINDINGS).unwrap_or_default();
        assert!(
            committed == generated,
            "ui/src/lib/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p xwms-desktop bindings`"
        );
    }

    /// Every command the UI can call is declared to the ACL (build.rs) and granted in the
    /// capability, and nothing more is granted.
    #[test]
    fn capability_grants_exactly_the_commands() {
        let bindings = generate();
        for cmd in COMMANDS {
            assert!(
                bindings.contains(&format!("\"{cmd}\"")),
                "{cmd} missing from bindings"
            );
        }
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
        let granted: Vec<String> = conf["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .filter_map(|p| p.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        let mut want: Vec<String> = COMMANDS.iter().map(|s| s.to_string()).collect();
        let mut got = granted.clone();
        want.sort();
        got.sort();
        assert_eq!(got, want);
    }
}
