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
//! - [`realtime_socket`]: the realtime channel's WebSocket, which brings session ends,
//!   new-sign-in alerts and security changes without polling (what the session does with them:
//!   `account/live_updates.rs`).
//! - [`support::Support`]: live support conversations, the offline outbox that delivers each
//!   message exactly once (SQLite), catch-up from the event log's seq, guest cases.
//! - [`two_factor_setup`]: the 2FA enrolment as shown (QR code rendered here), the
//!   recovery-codes file (the 2FA calls themselves: `account/security.rs`).

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
pub mod realtime_socket;
pub mod secret;
pub mod settings;
pub mod support;
pub mod token_store;
pub mod two_factor_setup;

pub use error::CoreError;

/// Version of this client, sent in the User-Agent.
pub const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");
