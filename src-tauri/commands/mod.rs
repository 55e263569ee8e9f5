//! The IPC surface: one plain function per command, grouped by feature in this folder.
//!
//! A command is declared once, as a `#[tauri::command] #[specta::specta] pub fn` in one of
//! these files. `src-tauri/build.rs` finds it there and derives everything else: the list
//! handed to tauri-specta (the invoke handler and the typed TypeScript client in
//! `ui/src/lib/bindings.ts`), the command's ACL permission and its grant to the main window
//! (the `app-commands` set that `capabilities/main.json` grants). Adding a command is writing
//! the function.
//!
//! Each command unpacks its arguments, calls one function of `xwms-core` and returns its
//! result. Passwords and codes arrive as [`Secret`](xwms_core::secret::Secret), decoded at the
//! boundary (redacted in logs, zeroed on drop). Errors cross as [`IpcError`]: the stable code
//! and message of [`ErrorBody`]; the log detail goes to the app's log only.

pub mod accounts;
pub mod app;
pub mod help;
pub mod security;
pub mod support;

use serde::Serialize;
use xwms_api::{ErrorBody, ErrorCode};
use xwms_core::CoreError;

use crate::events::{
    AccountChanged, AppLinkOpened, ConnectionChanged, HelpChanged, NewSignIn, SecurityChanged,
    SessionEnded, SupportChanged,
};

/// An error as it crosses IPC: exactly an [`ErrorBody`] (in TypeScript too).
#[derive(Debug, Serialize, specta::Type)]
#[serde(transparent)]
pub struct IpcError(ErrorBody);

impl From<CoreError> for IpcError {
    fn from(e: CoreError) -> Self {
        if let Some(detail) = &e.detail {
            log::warn!("{}: {detail}", e.code);
        }
        Self(e.to_body())
    }
}

impl IpcError {
    /// An error the shell itself hit (a folder, the opener): logged here, `code` to the UI.
    fn logged(code: ErrorCode, detail: impl std::fmt::Display) -> Self {
        log::warn!("{code}: {detail}");
        Self(CoreError::new(code).to_body())
    }
}

/// What a command returns.
pub type IpcResult<T> = Result<T, IpcError>;

/// The commands and events as tauri-specta knows them (the invoke handler and the bindings).
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        // One TypeScript type per Rust type (no separate _Serialize/_Deserialize shapes).
        .disable_serde_phases()
        // Every `#[tauri::command]` in src-tauri/commands/, as build.rs found them.
        .commands(include!(concat!(env!("OUT_DIR"), "/commands.rs")))
        .events(tauri_specta::collect_events![
            ConnectionChanged,
            SessionEnded,
            AccountChanged,
            HelpChanged,
            NewSignIn,
            SecurityChanged,
            SupportChanged,
            AppLinkOpened
        ])
}

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

    /// The main window may call exactly the commands declared here and listen to events;
    /// no plugin's JavaScript API is granted (plugins are used from Rust only).
    #[test]
    fn the_main_window_is_granted_the_app_commands_and_events_only() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../capabilities/main.json")).unwrap();
        let granted: Vec<&str> = conf["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .collect();
        assert_eq!(
            granted,
            [
                "core:event:allow-listen",
                "core:event:allow-unlisten",
                "app-commands"
            ]
        );
        let set = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/permissions/autogenerated/app-commands.toml"
        ))
        .unwrap();
        let bindings = generate();
        let commands: std::collections::BTreeSet<&str> = bindings
            .match_indices("__TAURI_INVOKE")
            .filter_map(|(i, m)| {
                // `__TAURI_INVOKE("name"…` or `__TAURI_INVOKE<T>("name"…`
                let rest = &bindings[i + m.len()..];
                let rest = &rest[rest.find("(\"")? + 2..];
                Some(&rest[..rest.find('"')?])
            })
            .collect();
        assert!(commands.len() > 40, "found {} commands", commands.len());
        for command in &commands {
            assert!(
                set.contains(&format!("\"allow-{}\"", command.replace('_', "-"))),
                "{command} is not in the app-commands set"
            );
        }
        assert_eq!(set.matches("\"allow-").count(), commands.len());
    }
}
