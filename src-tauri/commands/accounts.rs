//! Sign-up, sign-in, recovery and the account's own settings.

use tauri::State;
use xwms_api::auth::{
    CodeSent, PasswordChanged, ProfileUpdate, RecoveryFiled, RecoveryRequest, UserProfile,
};
use xwms_api::password::PasswordCheck;
use xwms_core::account::SignInOutcome;
use xwms_core::client::Client;
use xwms_core::secret::Secret;

use super::IpcResult;

/// Checks a password against the XWMS rule, part by part (for live feedback while typing).
#[tauri::command]
#[specta::specta]
pub fn check_password(password: Secret) -> PasswordCheck {
    xwms_core::account::check_password(&password)
}

/// Creates an account; a 6-digit code is mailed to verify the address.
#[tauri::command]
#[specta::specta]
pub async fn sign_up(
    client: State<'_, Client>,
    name: String,
    email: String,
    password: Secret,
) -> IpcResult<CodeSent> {
    Ok(client.account().sign_up(&name, &email, password).await?)
}

/// Verifies the email address with the mailed code.
#[tauri::command]
#[specta::specta]
pub async fn verify_email(client: State<'_, Client>, email: String, code: Secret) -> IpcResult<()> {
    Ok(client.account().verify_email(&email, code).await?)
}

/// Mails a new verification code.
#[tauri::command]
#[specta::specta]
pub async fn resend_verification(client: State<'_, Client>, email: String) -> IpcResult<CodeSent> {
    Ok(client.account().resend_verification(&email).await?)
}

/// Signs in with email and password; the session goes to the OS keychain.
#[tauri::command]
#[specta::specta]
pub async fn sign_in(
    client: State<'_, Client>,
    email: String,
    password: Secret,
) -> IpcResult<SignInOutcome> {
    Ok(client.account().sign_in(&email, password).await?)
}

/// Unlocks a locked account with the mailed code.
#[tauri::command]
#[specta::specta]
pub async fn unlock_account(
    client: State<'_, Client>,
    email: String,
    code: Secret,
) -> IpcResult<()> {
    Ok(client.account().unlock_account(&email, code).await?)
}

/// Mails a new unlock code.
#[tauri::command]
#[specta::specta]
pub async fn resend_unlock(client: State<'_, Client>, email: String) -> IpcResult<CodeSent> {
    Ok(client.account().resend_unlock(&email).await?)
}

/// Mails a password reset code (the same answer for every address).
#[tauri::command]
#[specta::specta]
pub async fn forgot_password(client: State<'_, Client>, email: String) -> IpcResult<CodeSent> {
    Ok(client.account().forgot_password(&email).await?)
}

/// Sets a new password with the mailed reset code.
#[tauri::command]
#[specta::specta]
pub async fn reset_password(
    client: State<'_, Client>,
    email: String,
    code: Secret,
    new_password: Secret,
) -> IpcResult<()> {
    Ok(client
        .account()
        .reset_password(&email, code, new_password)
        .await?)
}

/// Files an account recovery request for support.
#[tauri::command]
#[specta::specta]
pub async fn file_recovery_request(
    client: State<'_, Client>,
    request: RecoveryRequest,
) -> IpcResult<RecoveryFiled> {
    Ok(client.account().file_recovery_request(&request).await?)
}

/// Resumes the session saved in the keychain. `null`: signed out. An `auth.*` error: the
/// server ended the session (also sent as `session-ended`); `network.*`: offline, the saved
/// session is kept and tried again on the next call.
#[tauri::command]
#[specta::specta]
pub async fn restore_session(client: State<'_, Client>) -> IpcResult<Option<UserProfile>> {
    Ok(client.account().restore_session().await?)
}

/// The signed-in account, fresh from the server.
#[tauri::command]
#[specta::specta]
pub async fn current_account(client: State<'_, Client>) -> IpcResult<UserProfile> {
    Ok(client.account().current_account().await?)
}

/// Signs out: the server revokes the session, then the keychain entry is removed.
#[tauri::command]
#[specta::specta]
pub async fn sign_out(client: State<'_, Client>) -> IpcResult<()> {
    Ok(client.account().sign_out().await?)
}

/// Changes name, username, time zone, region or language (absent fields stay).
#[tauri::command]
#[specta::specta]
pub async fn update_profile(
    client: State<'_, Client>,
    update: ProfileUpdate,
) -> IpcResult<UserProfile> {
    Ok(client.account().update_profile(&update).await?)
}

/// Starts an email change (password re-entered); a code goes to the new address.
#[tauri::command]
#[specta::specta]
pub async fn change_email(
    client: State<'_, Client>,
    new_email: String,
    password: Secret,
) -> IpcResult<CodeSent> {
    Ok(client.account().change_email(&new_email, password).await?)
}

/// Confirms the email change with the code sent to the new address.
#[tauri::command]
#[specta::specta]
pub async fn confirm_email_change(
    client: State<'_, Client>,
    code: Secret,
) -> IpcResult<UserProfile> {
    Ok(client.account().confirm_email_change(code).await?)
}

/// Changes the password (current one required); optionally ends every other session.
#[tauri::command]
#[specta::specta]
pub async fn change_password(
    client: State<'_, Client>,
    current_password: Secret,
    new_password: Secret,
    sign_out_others: bool,
) -> IpcResult<PasswordChanged> {
    Ok(client
        .account()
        .change_password(current_password, new_password, sign_out_others)
        .await?)
}
