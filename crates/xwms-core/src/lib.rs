//! XWMS client core: everything the desktop app and the `xwms` command line do, without Tauri.
//!
//! - [`api_client::ApiClient`]: the HTTP client for an XWMS server (envelope decoding, typed
//!   errors with stable codes, retry with backoff for idempotent calls).
//! - [`connection::ConnectionMonitor`]: watches the server and reports online/offline changes.
//! - [`settings::SettingsStore`]: the app's settings (server URL, language, theme) in the app
//!   data dir.
//! - [`token_store::TokenStore`]: secrets in the OS keychain, never in files.
//! - [`help::HelpCache`]: the help center offline (SQLite), synced with the server.
//! - [`account::AccountSession`]: sign-up, sign-in, the session (refresh rotation, restore at
//!   start, session end), the account's settings and its security center (2FA, sessions,
//!   the security timeline, API clients).
//! - [`realtime`]: the realtime channel (WebSocket) that brings session ends, new-sign-in
//!   alerts and security changes without polling.
//! - [`security`]: the 2FA enrolment as shown (QR code rendered here), the recovery-codes file.

pub mod account;
pub mod alert;
pub mod api_client;
pub mod client;
pub mod connection;
pub mod error;
pub mod files;
pub mod help;
pub mod i18n;
pub mod links;
pub mod realtime;
pub mod secret;
pub mod security;
pub mod settings;
pub mod token_store;

pub use error::CoreError;

/// Version of this client, sent in the User-Agent.
pub const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");
