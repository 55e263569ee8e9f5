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
            "check_password",
            "sign_up",
            "verify_email",
            "resend_verification",
            "sign_in",
            "unlock_account",
            "resend_unlock",
            "forgot_password",
            "reset_password",
            "file_recovery_request",
            "restore_session",
            "current_account",
            "sign_out",
            "update_profile",
            "change_email",
            "confirm_email_change",
            "change_password",
            "help_status",
            "help_dismiss_notice",
            "help_categories",
            "help_category",
            "help_popular",
            "help_article",
            "help_related",
            "help_search",
            "help_feedback",
            "help_sync",
        ]),
    ))
    .expect("tauri build step");
}
