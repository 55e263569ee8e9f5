//! Events the app sends to the UI (typed for TypeScript through tauri-specta).

use serde::{Deserialize, Serialize};
use xwms_api::auth::UserProfile;
use xwms_api::security::SecurityEventInfo;
use xwms_api::ErrorBody;
use xwms_core::connection::ConnectionState;
use xwms_core::help::HelpStatus;
use xwms_core::support::SupportUpdate;

/// The server went online or offline, or its facts changed. Event name `connection-changed`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct ConnectionChanged(pub ConnectionState);

/// The server ended the session (revoked, expired, or a refresh token used twice); the app is
/// signed out and `reason` says why. Event name `session-ended`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SessionEnded {
    pub reason: ErrorBody,
}

/// Signed in (the account), signed out (`null`), or the account's details changed. Event name
/// `account-changed`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct AccountChanged(pub Option<UserProfile>);

/// The offline help changed (synced, feedback queued or sent, notice dismissed). Event name
/// `help-changed`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct HelpChanged(pub HelpStatus);

/// A sign-in to the account from a device or network never seen before (the realtime channel
/// tells every other session). The UI shows an alert with "This was me" / "Not me"; the app
/// also shows a desktop notification. Event name `new-sign-in`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct NewSignIn(pub SecurityEventInfo);

/// The account's sessions, 2FA, API credentials or timeline changed (here or on another
/// device): screens showing them refresh. Event name `security-changed`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SecurityChanged;

/// Live support: a conversation changed (a message, a status, a read marker), someone on the
/// other side types, the lists were reloaded, agents came online or went, or the outbox sent
/// or failed a message. Event name `support-changed`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SupportChanged(pub SupportUpdate);

/// A screen should open: an `xwms://` link was handed to the app (a mail, a browser, the
/// start arguments) or a support reply's notification was clicked. The UI then asks for it
/// with `take_app_link`, which hands each link out once: a link that arrives before the UI
/// listens (a cold start) is not lost, and none opens twice. Event name `app-link-opened`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct AppLinkOpened;
