//! The IPC surface. Each command delegates to `xwms_core` and maps errors to
//! [`ErrorBody`] (stable code + message; never the log detail).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tauri::{AppHandle, Manager, State};
use tauri_plugin_opener::OpenerExt;
use xwms_api::auth::{
    CodeSent, PasswordChanged, ProfileUpdate, Reauthenticated, RecoveryFiled, RecoveryRequest,
    UserProfile,
};
use xwms_api::help::{HelpArticle, HelpCategory, HelpLang, SearchHit};
use xwms_api::password::PasswordCheck;
use xwms_api::security::{
    ApiClientInfo, ApiClientList, ApiClientSecret, ApiClientUpdate, RecoveryCodes,
    SecurityEventInfo, SecurityEventPage, SecurityOverview, SessionList, SessionsRevoked,
};
use xwms_api::ErrorBody;
use xwms_core::account::{SignInOutcome, TwoFactorEnrolment};
use xwms_core::client::Client;
use xwms_core::connection::ConnectionState;
use xwms_core::help::{CategoryPage, HelpStatus, SyncReport};
use xwms_core::i18n::Lang;
use xwms_core::secret::Secret;
use xwms_core::settings::Settings;
use xwms_core::CoreError;

use crate::events::{
    AccountChanged, ConnectionChanged, HelpChanged, NewSignIn, SecurityChanged, SessionEnded,
};

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
/// A new server URL signs the app out of the old server.
#[tauri::command]
#[specta::specta]
pub async fn save_settings(
    client: State<'_, Client>,
    settings: Settings,
) -> Result<Settings, ErrorBody> {
    client.save_settings(&settings).await.map_err(to_ipc)
}

/// Moves the app to another XWMS server: its `/api/info` is checked first
/// (`settings.server_unreachable`, `settings.not_xwms_server`), then the app signs out of the
/// old server (queued until it answers) and saves the new address.
#[tauri::command]
#[specta::specta]
pub async fn change_server(
    client: State<'_, Client>,
    server_url: String,
) -> Result<Settings, ErrorBody> {
    client.change_server(&server_url).await.map_err(to_ipc)
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

// ----- Accounts. Passwords and codes arrive as `String` over IPC and become `Secret`s at once.

/// Checks a password against the XWMS rule, part by part (for live feedback while typing).
#[tauri::command]
#[specta::specta]
pub fn check_password(password: String) -> PasswordCheck {
    let password = Secret::new(password);
    xwms_api::password::check_password(password.expose())
}

/// Creates an account; a 6-digit code is mailed to verify the address.
#[tauri::command]
#[specta::specta]
pub async fn sign_up(
    client: State<'_, Client>,
    name: String,
    email: String,
    password: String,
) -> Result<CodeSent, ErrorBody> {
    let password = Secret::new(password);
    client
        .account()
        .sign_up(&name, &email, password)
        .await
        .map_err(to_ipc)
}

/// Verifies the email address with the mailed code.
#[tauri::command]
#[specta::specta]
pub async fn verify_email(
    client: State<'_, Client>,
    email: String,
    code: String,
) -> Result<(), ErrorBody> {
    let code = Secret::new(code);
    client
        .account()
        .verify_email(&email, code)
        .await
        .map_err(to_ipc)
}

/// Mails a new verification code.
#[tauri::command]
#[specta::specta]
pub async fn resend_verification(
    client: State<'_, Client>,
    email: String,
) -> Result<CodeSent, ErrorBody> {
    client
        .account()
        .resend_verification(&email)
        .await
        .map_err(to_ipc)
}

/// Signs in with email and password; the session goes to the OS keychain.
#[tauri::command]
#[specta::specta]
pub async fn sign_in(
    client: State<'_, Client>,
    email: String,
    password: String,
) -> Result<SignInOutcome, ErrorBody> {
    let password = Secret::new(password);
    client
        .account()
        .sign_in(&email, password)
        .await
        .map_err(to_ipc)
}

/// Unlocks a locked account with the mailed code.
#[tauri::command]
#[specta::specta]
pub async fn unlock_account(
    client: State<'_, Client>,
    email: String,
    code: String,
) -> Result<(), ErrorBody> {
    let code = Secret::new(code);
    client
        .account()
        .unlock_account(&email, code)
        .await
        .map_err(to_ipc)
}

/// Mails a new unlock code.
#[tauri::command]
#[specta::specta]
pub async fn resend_unlock(
    client: State<'_, Client>,
    email: String,
) -> Result<CodeSent, ErrorBody> {
    client.account().resend_unlock(&email).await.map_err(to_ipc)
}

/// Mails a password reset code (the same answer for every address).
#[tauri::command]
#[specta::specta]
pub async fn forgot_password(
    client: State<'_, Client>,
    email: String,
) -> Result<CodeSent, ErrorBody> {
    client
        .account()
        .forgot_password(&email)
        .await
        .map_err(to_ipc)
}

/// Sets a new password with the mailed reset code.
#[tauri::command]
#[specta::specta]
pub async fn reset_password(
    client: State<'_, Client>,
    email: String,
    code: String,
    new_password: String,
) -> Result<(), ErrorBody> {
    let code = Secret::new(code);
    let new_password = Secret::new(new_password);
    client
        .account()
        .reset_password(&email, code, new_password)
        .await
        .map_err(to_ipc)
}

/// Files an account recovery request for support.
#[tauri::command]
#[specta::specta]
pub async fn file_recovery_request(
    client: State<'_, Client>,
    request: RecoveryRequest,
) -> Result<RecoveryFiled, ErrorBody> {
    client
        .account()
        .file_recovery_request(&request)
        .await
        .map_err(to_ipc)
}

/// Resumes the session saved in the keychain. `null`: signed out. An `auth.*` error: the
/// server ended the session (also sent as `session-ended`); `network.*`: offline, the saved
/// session is kept and tried again on the next call.
#[tauri::command]
#[specta::specta]
pub async fn restore_session(client: State<'_, Client>) -> Result<Option<UserProfile>, ErrorBody> {
    client.account().restore_session().await.map_err(to_ipc)
}

/// The signed-in account, fresh from the server.
#[tauri::command]
#[specta::specta]
pub async fn current_account(client: State<'_, Client>) -> Result<UserProfile, ErrorBody> {
    client.account().current_account().await.map_err(to_ipc)
}

/// Signs out: the server revokes the session, then the keychain entry is removed.
#[tauri::command]
#[specta::specta]
pub async fn sign_out(client: State<'_, Client>) -> Result<(), ErrorBody> {
    client.account().sign_out().await.map_err(to_ipc)
}

/// Changes name, username, time zone, region or language (absent fields stay).
#[tauri::command]
#[specta::specta]
pub async fn update_profile(
    client: State<'_, Client>,
    update: ProfileUpdate,
) -> Result<UserProfile, ErrorBody> {
    client
        .account()
        .update_profile(&update)
        .await
        .map_err(to_ipc)
}

/// Starts an email change (password re-entered); a code goes to the new address.
#[tauri::command]
#[specta::specta]
pub async fn change_email(
    client: State<'_, Client>,
    new_email: String,
    password: String,
) -> Result<CodeSent, ErrorBody> {
    let password = Secret::new(password);
    client
        .account()
        .change_email(&new_email, password)
        .await
        .map_err(to_ipc)
}

/// Confirms the email change with the code sent to the new address.
#[tauri::command]
#[specta::specta]
pub async fn confirm_email_change(
    client: State<'_, Client>,
    code: String,
) -> Result<UserProfile, ErrorBody> {
    let code = Secret::new(code);
    client
        .account()
        .confirm_email_change(code)
        .await
        .map_err(to_ipc)
}

/// Changes the password (current one required); optionally ends every other session.
#[tauri::command]
#[specta::specta]
pub async fn change_password(
    client: State<'_, Client>,
    current_password: String,
    new_password: String,
    sign_out_others: bool,
) -> Result<PasswordChanged, ErrorBody> {
    let current_password = Secret::new(current_password);
    let new_password = Secret::new(new_password);
    client
        .account()
        .change_password(current_password, new_password, sign_out_others)
        .await
        .map_err(to_ipc)
}

// ----- Security center: 2FA, sessions, the timeline and its alerts, API credentials.

/// The second step of sign-in: a code from the authenticator app (`totp`) or a recovery code
/// (`recovery_code`) for the challenge the core kept from `sign_in`.
#[tauri::command]
#[specta::specta]
pub async fn complete_second_factor(
    client: State<'_, Client>,
    method: xwms_api::security::SecondFactorMethod,
    code: String,
) -> Result<UserProfile, ErrorBody> {
    let code = Secret::new(code);
    client
        .account()
        .complete_second_factor(method, code)
        .await
        .map_err(to_ipc)
}

/// The Security page's checklist: email, password, 2FA, recovery codes, sessions.
#[tauri::command]
#[specta::specta]
pub async fn security_overview(client: State<'_, Client>) -> Result<SecurityOverview, ErrorBody> {
    client.account().security_overview().await.map_err(to_ipc)
}

/// A page of the security timeline, newest first; `before` is the last page's `next_before`.
#[tauri::command]
#[specta::specta]
pub async fn security_events(
    client: State<'_, Client>,
    before: Option<String>,
    limit: u32,
) -> Result<SecurityEventPage, ErrorBody> {
    client
        .account()
        .security_events(before, limit)
        .await
        .map_err(to_ipc)
}

/// "This was me" on a new-sign-in alert.
#[tauri::command]
#[specta::specta]
pub async fn confirm_sign_in(
    client: State<'_, Client>,
    event_id: String,
) -> Result<SecurityEventInfo, ErrorBody> {
    client
        .account()
        .confirm_sign_in(&event_id)
        .await
        .map_err(to_ipc)
}

/// "Not me": the alert's session is removed at once (the UI then offers a new password).
#[tauri::command]
#[specta::specta]
pub async fn deny_sign_in(
    client: State<'_, Client>,
    event_id: String,
) -> Result<SecurityEventInfo, ErrorBody> {
    client
        .account()
        .deny_sign_in(&event_id)
        .await
        .map_err(to_ipc)
}

/// Starts turning 2FA on (password re-entered): a new secret with its QR code, shown once.
#[tauri::command]
#[specta::specta]
pub async fn start_two_factor(
    client: State<'_, Client>,
    password: String,
) -> Result<TwoFactorEnrolment, ErrorBody> {
    let password = Secret::new(password);
    client
        .account()
        .start_two_factor(password)
        .await
        .map_err(to_ipc)
}

/// The first code from the app turns 2FA on; the answer is the first set of recovery codes.
#[tauri::command]
#[specta::specta]
pub async fn enable_two_factor(
    client: State<'_, Client>,
    code: String,
) -> Result<RecoveryCodes, ErrorBody> {
    let code = Secret::new(code);
    client
        .account()
        .enable_two_factor(code)
        .await
        .map_err(to_ipc)
}

/// Turns 2FA off: the password and a current code (or a recovery code).
#[tauri::command]
#[specta::specta]
pub async fn disable_two_factor(
    client: State<'_, Client>,
    password: String,
    code: String,
) -> Result<(), ErrorBody> {
    let password = Secret::new(password);
    let code = Secret::new(code);
    client
        .account()
        .disable_two_factor(password, code)
        .await
        .map_err(to_ipc)
}

/// A new set of recovery codes (password re-entered); the old set stops working.
#[tauri::command]
#[specta::specta]
pub async fn regenerate_recovery_codes(
    client: State<'_, Client>,
    password: String,
) -> Result<RecoveryCodes, ErrorBody> {
    let password = Secret::new(password);
    client
        .account()
        .regenerate_recovery_codes(password)
        .await
        .map_err(to_ipc)
}

/// The files `save_recovery_codes` wrote in this run: the only ones `show_in_folder` reveals.
#[derive(Default)]
pub struct SavedFiles(Mutex<Vec<PathBuf>>);

/// Writes the recovery codes as a text file (in the app's language) to the Downloads folder:
/// a new file each time (`xwms-recovery-codes-<date>.txt`, then `-2`, ...), readable by the
/// person only (0600 on Unix). Returns the file's path.
#[tauri::command]
#[specta::specta]
pub async fn save_recovery_codes(
    app: AppHandle,
    codes: Vec<String>,
    generated_at: String,
) -> Result<String, ErrorBody> {
    let client = app.state::<Client>();
    let codes: Vec<Secret> = codes.into_iter().map(Secret::new).collect();
    let account = client
        .account()
        .current_account()
        .await
        .map(|a| a.email)
        .unwrap_or_default();
    let lang = Lang::resolve(client.settings().language);
    let text = xwms_core::account::recovery_codes_text(&codes, &account, &generated_at, lang);
    let dir = app.path().download_dir().map_err(|e| {
        log::warn!("no downloads folder: {e}");
        CoreError::new(xwms_api::ErrorCode::FileSaveFailed).to_body()
    })?;
    let date = generated_at.get(..10).unwrap_or("codes");
    let path = write_new_file(
        &dir,
        &format!("xwms-recovery-codes-{date}"),
        text.as_bytes(),
    )
    .map_err(|e| {
        log::warn!("could not save recovery codes in {}: {e}", dir.display());
        CoreError::new(xwms_api::ErrorCode::FileSaveFailed).to_body()
    })?;
    app.state::<SavedFiles>()
        .0
        .lock()
        .expect("saved files lock")
        .push(path.clone());
    Ok(path.to_string_lossy().into_owned())
}

/// Creates `<stem>.txt` in `dir`, or `<stem>-2.txt`, ... when it exists (never overwrites),
/// with permissions 0600 on Unix.
fn write_new_file(dir: &Path, stem: &str, contents: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    for n in 1..1000 {
        let name = if n == 1 {
            format!("{stem}.txt")
        } else {
            format!("{stem}-{n}.txt")
        };
        let path = dir.join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&path) {
            Ok(mut file) => {
                file.write_all(contents)?;
                file.sync_all()?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "no free file name",
    ))
}

/// Shows a file saved by `save_recovery_codes` in the system's file manager.
#[tauri::command]
#[specta::specta]
pub fn show_in_folder(app: AppHandle, path: String) -> Result<(), ErrorBody> {
    let path = PathBuf::from(path);
    let known = app
        .state::<SavedFiles>()
        .0
        .lock()
        .expect("saved files lock")
        .contains(&path);
    if !known {
        return Err(CoreError::new(xwms_api::ErrorCode::InvalidRequest).to_body());
    }
    app.opener().reveal_item_in_dir(&path).map_err(|e| {
        log::warn!("opener: {e}");
        CoreError::new(xwms_api::ErrorCode::Internal).to_body()
    })
}

/// Every active session, this device first.
#[tauri::command]
#[specta::specta]
pub async fn list_sessions(client: State<'_, Client>) -> Result<SessionList, ErrorBody> {
    client.account().sessions().await.map_err(to_ipc)
}

/// Removes another session; it is signed out at once.
#[tauri::command]
#[specta::specta]
pub async fn revoke_session(client: State<'_, Client>, id: String) -> Result<(), ErrorBody> {
    client.account().revoke_session(&id).await.map_err(to_ipc)
}

/// Confirms the password for the next 10 minutes of sensitive changes (after
/// `auth.reauth_required`).
#[tauri::command]
#[specta::specta]
pub async fn reauthenticate(
    client: State<'_, Client>,
    password: String,
) -> Result<Reauthenticated, ErrorBody> {
    let password = Secret::new(password);
    client
        .account()
        .reauthenticate(password)
        .await
        .map_err(to_ipc)
}

/// Removes every session but this one (password re-entered).
#[tauri::command]
#[specta::specta]
pub async fn revoke_other_sessions(
    client: State<'_, Client>,
    password: String,
) -> Result<SessionsRevoked, ErrorBody> {
    let password = Secret::new(password);
    client
        .account()
        .revoke_other_sessions(password)
        .await
        .map_err(to_ipc)
}

/// The person's API clients.
#[tauri::command]
#[specta::specta]
pub async fn list_api_clients(client: State<'_, Client>) -> Result<ApiClientList, ErrorBody> {
    client.account().api_clients().await.map_err(to_ipc)
}

/// A new API client; its secret is in the answer and never again.
#[tauri::command]
#[specta::specta]
pub async fn create_api_client(
    client: State<'_, Client>,
    name: String,
) -> Result<ApiClientSecret, ErrorBody> {
    client
        .account()
        .create_api_client(&name)
        .await
        .map_err(to_ipc)
}

/// Renames, disables or enables an API client.
#[tauri::command]
#[specta::specta]
pub async fn update_api_client(
    client: State<'_, Client>,
    id: String,
    update: ApiClientUpdate,
) -> Result<ApiClientInfo, ErrorBody> {
    client
        .account()
        .update_api_client(&id, update)
        .await
        .map_err(to_ipc)
}

/// A new secret for an API client; the old one stops working at once.
#[tauri::command]
#[specta::specta]
pub async fn regenerate_api_client_secret(
    client: State<'_, Client>,
    id: String,
) -> Result<ApiClientSecret, ErrorBody> {
    client
        .account()
        .regenerate_api_client_secret(&id)
        .await
        .map_err(to_ipc)
}

/// Deletes an API client; its credentials stop working at once.
#[tauri::command]
#[specta::specta]
pub async fn delete_api_client(client: State<'_, Client>, id: String) -> Result<(), ErrorBody> {
    client
        .account()
        .delete_api_client(&id)
        .await
        .map_err(to_ipc)
}

// ----- Help center: read from the offline cache; sync and feedback go to the server.

/// The offline help's version, source, last sync and notice.
#[tauri::command]
#[specta::specta]
pub fn help_status(client: State<'_, Client>) -> Result<HelpStatus, ErrorBody> {
    client.help().status().map_err(to_ipc)
}

/// The person has read the help's notice (e.g. "the cache was rebuilt").
#[tauri::command]
#[specta::specta]
pub fn help_dismiss_notice(client: State<'_, Client>) {
    client.help().dismiss_notice()
}

#[tauri::command]
#[specta::specta]
pub fn help_categories(client: State<'_, Client>, lang: HelpLang) -> Vec<HelpCategory> {
    client.help().categories(lang)
}

/// A category with its tags and its articles (only those with `tag` when given).
#[tauri::command]
#[specta::specta]
pub fn help_category(
    client: State<'_, Client>,
    lang: HelpLang,
    slug: String,
    tag: Option<String>,
) -> Result<CategoryPage, ErrorBody> {
    client
        .help()
        .category_page(lang, &slug, tag.as_deref())
        .map_err(to_ipc)
}

#[tauri::command]
#[specta::specta]
pub fn help_popular(client: State<'_, Client>, lang: HelpLang, limit: u32) -> Vec<HelpArticle> {
    client.help().popular(lang, limit as usize)
}

/// An article by id or by its slug in `lang`.
#[tauri::command]
#[specta::specta]
pub fn help_article(
    client: State<'_, Client>,
    lang: HelpLang,
    key: String,
) -> Result<HelpArticle, ErrorBody> {
    client.help().article(lang, &key).map_err(to_ipc)
}

#[tauri::command]
#[specta::specta]
pub fn help_related(
    client: State<'_, Client>,
    lang: HelpLang,
    key: String,
    limit: u32,
) -> Vec<HelpArticle> {
    client.help().related(lang, &key, limit as usize)
}

/// Any text is a query; an empty one gives no results.
#[tauri::command]
#[specta::specta]
pub fn help_search(
    client: State<'_, Client>,
    lang: HelpLang,
    query: String,
    limit: u32,
) -> Vec<SearchHit> {
    client.help().search(lang, &query, limit as usize)
}

/// "Was this helpful?": queued at once (kept when offline), then sent when the server answers.
#[tauri::command]
#[specta::specta]
pub async fn help_feedback(
    client: State<'_, Client>,
    lang: HelpLang,
    key: String,
    helpful: bool,
) -> Result<(), ErrorBody> {
    client
        .help()
        .queue_feedback(&key, lang, helpful)
        .map_err(to_ipc)?;
    if let Ok(api) = client.api(crate::PRODUCT) {
        if let Err(e) = client.help().flush_feedback(&api).await {
            log::info!("help feedback queued until online: {}", e.code);
        }
    }
    Ok(())
}

/// Syncs the help with the server now.
#[tauri::command]
#[specta::specta]
pub async fn help_sync(client: State<'_, Client>) -> Result<SyncReport, ErrorBody> {
    let api = client.api(crate::PRODUCT).map_err(to_ipc)?;
    client.help().sync(&api).await.map_err(to_ipc)
}

/// The IPC surface in one place: commands, events and the exported TypeScript.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        // One TypeScript type per Rust type (no separate _Serialize/_Deserialize shapes).
        .disable_serde_phases()
        .commands(tauri_specta::collect_commands![
            get_settings,
            save_settings,
            change_server,
            connection_state,
            check_connection,
            open_external,
            check_password,
            sign_up,
            verify_email,
            resend_verification,
            sign_in,
            unlock_account,
            resend_unlock,
            forgot_password,
            reset_password,
            file_recovery_request,
            restore_session,
            current_account,
            sign_out,
            update_profile,
            change_email,
            confirm_email_change,
            change_password,
            complete_second_factor,
            security_overview,
            security_events,
            confirm_sign_in,
            deny_sign_in,
            start_two_factor,
            enable_two_factor,
            disable_two_factor,
            regenerate_recovery_codes,
            save_recovery_codes,
            show_in_folder,
            list_sessions,
            revoke_session,
            revoke_other_sessions,
            reauthenticate,
            list_api_clients,
            create_api_client,
            update_api_client,
            regenerate_api_client_secret,
            delete_api_client,
            help_status,
            help_dismiss_notice,
            help_categories,
            help_category,
            help_popular,
            help_article,
            help_related,
            help_search,
            help_feedback,
            help_sync,
        ])
        .events(tauri_specta::collect_events![
            ConnectionChanged,
            SessionEnded,
            AccountChanged,
            HelpChanged,
            NewSignIn,
            SecurityChanged
        ])
}

/// The commands the UI may call; `build.rs` declares the same list to Tauri's ACL, and a test
/// checks the two agree.
#[cfg(test)]
pub const COMMANDS: &[&str] = &[
    "get_settings",
    "save_settings",
    "change_server",
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
    "complete_second_factor",
    "security_overview",
    "security_events",
    "confirm_sign_in",
    "deny_sign_in",
    "start_two_factor",
    "enable_two_factor",
    "disable_two_factor",
    "regenerate_recovery_codes",
    "save_recovery_codes",
    "show_in_folder",
    "list_sessions",
    "revoke_session",
    "revoke_other_sessions",
    "reauthenticate",
    "list_api_clients",
    "create_api_client",
    "update_api_client",
    "regenerate_api_client_secret",
    "delete_api_client",
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
