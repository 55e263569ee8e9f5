//! The security center: the second factor, the timeline and its alerts, sessions, API
//! credentials, the recovery-codes file.

use std::path::PathBuf;

use tauri::{AppHandle, Manager, State};
use tauri_plugin_opener::OpenerExt;
use xwms_api::auth::{Reauthenticated, UserProfile};
use xwms_api::security::{
    ApiClientInfo, ApiClientList, ApiClientSecret, ApiClientUpdate, RecoveryCodes,
    SecondFactorMethod, SecurityEventInfo, SecurityEventPage, SecurityOverview, SessionList,
    SessionsRevoked,
};
use xwms_api::ErrorCode;
use xwms_core::account::TwoFactorEnrolment;
use xwms_core::client::Client;
use xwms_core::secret::Secret;

use super::{IpcError, IpcResult};

/// The second step of sign-in: a code from the authenticator app (`totp`) or a recovery code
/// (`recovery_code`) for the challenge the core kept from `sign_in`.
#[tauri::command]
#[specta::specta]
pub async fn complete_second_factor(
    client: State<'_, Client>,
    method: SecondFactorMethod,
    code: Secret,
) -> IpcResult<UserProfile> {
    Ok(client
        .account()
        .complete_second_factor(method, code)
        .await?)
}

/// The Security page's checklist: email, password, 2FA, recovery codes, sessions.
#[tauri::command]
#[specta::specta]
pub async fn security_overview(client: State<'_, Client>) -> IpcResult<SecurityOverview> {
    Ok(client.account().security_overview().await?)
}

/// A page of the security timeline, newest first; `before` is the last page's `next_before`.
#[tauri::command]
#[specta::specta]
pub async fn security_events(
    client: State<'_, Client>,
    before: Option<String>,
    limit: u32,
) -> IpcResult<SecurityEventPage> {
    Ok(client.account().security_events(before, limit).await?)
}

/// "This was me" on a new-sign-in alert.
#[tauri::command]
#[specta::specta]
pub async fn confirm_sign_in(
    client: State<'_, Client>,
    event_id: String,
) -> IpcResult<SecurityEventInfo> {
    Ok(client.account().confirm_sign_in(&event_id).await?)
}

/// "Not me": the alert's session is removed at once (the UI then offers a new password).
#[tauri::command]
#[specta::specta]
pub async fn deny_sign_in(
    client: State<'_, Client>,
    event_id: String,
) -> IpcResult<SecurityEventInfo> {
    Ok(client.account().deny_sign_in(&event_id).await?)
}

/// Starts turning 2FA on (password re-entered): a new secret with its QR code, shown once.
#[tauri::command]
#[specta::specta]
pub async fn start_two_factor(
    client: State<'_, Client>,
    password: Secret,
) -> IpcResult<TwoFactorEnrolment> {
    Ok(client.account().start_two_factor(password).await?)
}

/// The first code from the app turns 2FA on; the answer is the first set of recovery codes.
#[tauri::command]
#[specta::specta]
pub async fn enable_two_factor(
    client: State<'_, Client>,
    code: Secret,
) -> IpcResult<RecoveryCodes> {
    Ok(client.account().enable_two_factor(code).await?)
}

/// Turns 2FA off: the password and a current code (or a recovery code).
#[tauri::command]
#[specta::specta]
pub async fn disable_two_factor(
    client: State<'_, Client>,
    password: Secret,
    code: Secret,
) -> IpcResult<()> {
    Ok(client.account().disable_two_factor(password, code).await?)
}

/// A new set of recovery codes (password re-entered); the old set stops working.
#[tauri::command]
#[specta::specta]
pub async fn regenerate_recovery_codes(
    client: State<'_, Client>,
    password: Secret,
) -> IpcResult<RecoveryCodes> {
    Ok(client.account().regenerate_recovery_codes(password).await?)
}

/// Writes the recovery codes as a text file (in the app's language) to the Downloads folder:
/// a new file each time (`xwms-recovery-codes-<date>.txt`, then `-2`, ...), readable by the
/// person only (0600 on Unix). Returns the file's path.
#[tauri::command]
#[specta::specta]
pub async fn save_recovery_codes(
    app: AppHandle,
    codes: Vec<Secret>,
    generated_at: String,
) -> IpcResult<String> {
    let dir = app.path().download_dir().map_err(|e| {
        IpcError::logged(
            ErrorCode::FileSaveFailed,
            format!("no downloads folder: {e}"),
        )
    })?;
    let path = app
        .state::<Client>()
        .save_recovery_codes(&dir, &codes, &generated_at)
        .await?;
    Ok(path.to_string_lossy().into_owned())
}

/// Shows a file saved by `save_recovery_codes` in the system's file manager.
#[tauri::command]
#[specta::specta]
pub fn show_in_folder(app: AppHandle, path: String) -> IpcResult<()> {
    let path = PathBuf::from(path);
    if !app.state::<Client>().saved_file(&path) {
        return Err(IpcError::logged(
            ErrorCode::InvalidRequest,
            "not a file the app saved",
        ));
    }
    app.opener()
        .reveal_item_in_dir(&path)
        .map_err(|e| IpcError::logged(ErrorCode::Internal, format!("opener: {e}")))
}

/// Every active session, this device first.
#[tauri::command]
#[specta::specta]
pub async fn list_sessions(client: State<'_, Client>) -> IpcResult<SessionList> {
    Ok(client.account().sessions().await?)
}

/// Removes another session; it is signed out at once.
#[tauri::command]
#[specta::specta]
pub async fn revoke_session(client: State<'_, Client>, id: String) -> IpcResult<()> {
    Ok(client.account().revoke_session(&id).await?)
}

/// Confirms the password for the next 10 minutes of sensitive changes (after
/// `auth.reauth_required`).
#[tauri::command]
#[specta::specta]
pub async fn reauthenticate(
    client: State<'_, Client>,
    password: Secret,
) -> IpcResult<Reauthenticated> {
    Ok(client.account().reauthenticate(password).await?)
}

/// Removes every session but this one (password re-entered).
#[tauri::command]
#[specta::specta]
pub async fn revoke_other_sessions(
    client: State<'_, Client>,
    password: Secret,
) -> IpcResult<SessionsRevoked> {
    Ok(client.account().revoke_other_sessions(password).await?)
}

/// The person's API clients.
#[tauri::command]
#[specta::specta]
pub async fn list_api_clients(client: State<'_, Client>) -> IpcResult<ApiClientList> {
    Ok(client.account().api_clients().await?)
}

/// A new API client; its secret is in the answer and never again.
#[tauri::command]
#[specta::specta]
pub async fn create_api_client(
    client: State<'_, Client>,
    name: String,
) -> IpcResult<ApiClientSecret> {
    Ok(client.account().create_api_client(&name).await?)
}

/// Renames, disables or enables an API client.
#[tauri::command]
#[specta::specta]
pub async fn update_api_client(
    client: State<'_, Client>,
    id: String,
    update: ApiClientUpdate,
) -> IpcResult<ApiClientInfo> {
    Ok(client.account().update_api_client(&id, update).await?)
}

/// A new secret for an API client; the old one stops working at once.
#[tauri::command]
#[specta::specta]
pub async fn regenerate_api_client_secret(
    client: State<'_, Client>,
    id: String,
) -> IpcResult<ApiClientSecret> {
    Ok(client.account().regenerate_api_client_secret(&id).await?)
}

/// Deletes an API client; its credentials stop working at once.
#[tauri::command]
#[specta::specta]
pub async fn delete_api_client(client: State<'_, Client>, id: String) -> IpcResult<()> {
    Ok(client.account().delete_api_client(&id).await?)
}
