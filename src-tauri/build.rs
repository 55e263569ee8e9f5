fn main() {
    // Declare the app's own commands to Tauri's ACL so that the capability file can grant
    // exactly the ones the UI uses (keep in sync with `commands::COMMANDS`; a test checks).
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "get_settings",
            "save_settings",
            "connection_state",
            "check_connection",
            "open_external",
        ]),
    ))
    .expect("tauri build step");
}
