//! The security center over HTTP: two-factor sign-in (TOTP, RFC 6238, and recovery codes),
//! sessions, security events (the timeline and new-sign-in alerts), API credentials and the
//! realtime channel.
//!
//! Ours to define (xwms-contract.md); the server documents it in its OpenAPI document. Every
//! `/api/account/...` route needs `Authorization: Bearer <access token>`. Every change to 2FA
//! or to other sessions asks for the password again (re-authentication), and every change is a
//! security event the person sees on their timeline.

use serde::{Deserialize, Serialize};

use crate::Secret;

/// Route paths, one place for server and clients. `{id}` is a path parameter.
pub mod paths {
    /// `POST` [`super::SecondFactorRequest`] → `SessionTokens`: the second step of sign-in.
    pub const SIGN_IN_SECOND_FACTOR: &str = "/api/auth/signin/second-factor";
    /// `GET` → [`super::SecurityOverview`].
    pub const SECURITY: &str = "/api/account/security";
    /// `GET ?before=<event id>&limit=<1..=200>` → [`super::SecurityEventPage`], newest first.
    pub const SECURITY_EVENTS: &str = "/api/account/security/events";
    /// `POST` → [`super::SecurityEventInfo`]: "This was me" on a new-sign-in alert.
    pub const SECURITY_EVENT_CONFIRM: &str = "/api/account/security/events/{id}/confirm";
    /// `POST` → [`super::SecurityEventInfo`]: "Not me": the alert's session is removed at once.
    pub const SECURITY_EVENT_DENY: &str = "/api/account/security/events/{id}/deny";
    /// `POST` [`super::PasswordRequest`] → [`super::TwoFactorSetup`]: a new pending secret.
    pub const TWO_FACTOR_SETUP: &str = "/api/account/2fa/setup";
    /// `POST` `CodeRequest` → [`super::RecoveryCodes`]: the first code turns 2FA on.
    pub const TWO_FACTOR_ENABLE: &str = "/api/account/2fa/enable";
    /// `POST` [`super::TwoFactorDisableRequest`] → no data; a notice is mailed.
    pub const TWO_FACTOR_DISABLE: &str = "/api/account/2fa/disable";
    /// `POST` [`super::PasswordRequest`] → [`super::RecoveryCodes`]; the old set stops working.
    pub const RECOVERY_CODES: &str = "/api/account/2fa/recovery-codes";
    /// `GET` → [`super::SessionList`].
    pub const SESSIONS: &str = "/api/account/sessions";
    /// `DELETE` → no data: removes one other session (`session.is_current` for the caller's).
    pub const SESSION: &str = "/api/account/sessions/{id}";
    /// `POST` [`super::PasswordRequest`] → [`super::SessionsRevoked`]: every session but this one.
    pub const REVOKE_OTHER_SESSIONS: &str = "/api/account/sessions/revoke-others";
    /// `GET` → [`super::ApiClientList`]; `POST` [`super::ApiClientCreate`] → [`super::ApiClientSecret`].
    pub const API_CLIENTS: &str = "/api/account/api-clients";
    /// `PATCH` [`super::ApiClientUpdate`] → [`super::ApiClientInfo`]; `DELETE` → no data.
    pub const API_CLIENT: &str = "/api/account/api-clients/{id}";
    /// `POST` → [`super::ApiClientSecret`]: a new secret; the old one stops working at once.
    pub const API_CLIENT_SECRET: &str = "/api/account/api-clients/{id}/secret";
    /// `GET` with `Authorization: Basic base64(client_id:client_secret)` →
    /// [`super::ApiClientIdentity`]: what an API client uses to check its credentials (and what
    /// records "last used").
    pub const CLIENT_IDENTITY: &str = "/api/client/identity";
    /// `GET` WebSocket upgrade with `Authorization: Bearer <access token>`, optionally
    /// `?after=SEQ` to replay the support event log after that seq: the server sends
    /// [`super::RealtimeEvent`]s as JSON text frames.
    pub const REALTIME: &str = "/api/realtime";

    /// `path` with its `{id}` replaced.
    pub fn with_id(path: &str, id: &str) -> String {
        path.replace("{id}", id)
    }
}

/// TOTP parameters: RFC 6238 defaults every authenticator app understands.
pub mod totp {
    pub const DIGITS: u32 = 6;
    pub const PERIOD_SECONDS: u32 = 30;
    pub const ALGORITHM: &str = "SHA1";
    pub const ISSUER: &str = "XWMS";
    /// Bytes of the secret: 160 bits, as RFC 4226 recommends.
    pub const SECRET_BYTES: usize = 20;
    /// Recovery codes per set.
    pub const RECOVERY_CODES: usize = 10;
}

wire_enum! {
    /// Second-factor methods, as in `SecondFactorChallenge.methods` and [`SecondFactorRequest`].
    pub enum SecondFactorMethod {
        /// A code from the authenticator app.
        Totp = "totp",
        /// One of the account's recovery codes.
        RecoveryCode = "recovery_code",
        /// A code mailed to the account's address: the only method offered when the
        /// installation signing in was denied ("Not me") and the account has no 2FA.
        EmailCode = "email_code",
        @other Unknown = "unknown",
    }
}

wire_enum! {
    /// What a security event records, as in [`SecurityEventInfo::kind`] (and as the server
    /// stores it). A kind this version does not know decodes as `Unknown` and is shown with a
    /// generic label.
    pub enum SecurityEventKind {
        AccountCreated = "account_created",
        EmailVerified = "email_verified",
        SignedIn = "signed_in",
        SignInAfterFailures = "sign_in_after_failures",
        NewDevice = "new_device",
        AccountLocked = "account_locked",
        AccountUnlocked = "account_unlocked",
        PasswordChanged = "password_changed",
        PasswordReset = "password_reset",
        EmailChangeRequested = "email_change_requested",
        EmailChanged = "email_changed",
        ProfileUpdated = "profile_updated",
        RefreshTokenReused = "refresh_token_reused",
        SignedOut = "signed_out",
        RecoveryRequested = "recovery_requested",
        SignInFailed = "sign_in_failed",
        NewNetwork = "new_network",
        TwoFactorEnabled = "two_factor_enabled",
        TwoFactorDisabled = "two_factor_disabled",
        RecoveryCodesRegenerated = "recovery_codes_regenerated",
        RecoveryCodeUsed = "recovery_code_used",
        SecondFactorFailed = "second_factor_failed",
        /// A TOTP code of a time step already used (or older) was entered again (R1).
        TwoFactorCodeReplayed = "two_factor_code_replayed",
        SessionRevoked = "session_revoked",
        SessionsRevoked = "sessions_revoked",
        AlertConfirmed = "alert_confirmed",
        ApiClientCreated = "api_client_created",
        ApiClientSecretRegenerated = "api_client_secret_regenerated",
        ApiClientDisabled = "api_client_disabled",
        ApiClientEnabled = "api_client_enabled",
        ApiClientDeleted = "api_client_deleted",
        @other Unknown = "unknown",
    }
}

impl SecurityEventKind {
    /// New-sign-in alerts: the person answers "This was me" or "Not me".
    pub const ALERTS: [SecurityEventKind; 2] =
        [SecurityEventKind::NewDevice, SecurityEventKind::NewNetwork];

    /// Whether an event of this kind is a new-sign-in alert.
    pub fn is_alert(&self) -> bool {
        Self::ALERTS.contains(self)
    }
}

wire_enum! {
    /// The answer to a new-sign-in alert ([`SecurityEventInfo::alert_status`]).
    pub enum AlertStatus {
        /// Neither "This was me" nor "Not me" yet.
        Pending = "pending",
        /// "This was me".
        Confirmed = "confirmed",
        /// "Not me".
        Denied = "denied",
        @other Unknown = "unknown",
    }
}

wire_enum! {
    /// What kind of device a session is on ([`SessionInfo::device_type`]), derived from its app
    /// and OS.
    pub enum DeviceType {
        /// XWMS Desktop on Linux, Windows or macOS.
        Desktop = "desktop",
        /// Android or iOS.
        Mobile = "mobile",
        /// The `xwms` command line.
        Cli = "cli",
        /// Anything else.
        Other = "other",
        @other Unknown = "unknown",
    }
}

wire_enum! {
    /// Why a session ended, as in [`RealtimeEvent::SessionRevoked`] (and as the server stores
    /// it).
    pub enum RevokeReason {
        SignedOut = "signed_out",
        Removed = "removed",
        RemovedWithOthers = "removed_with_others",
        NotMe = "not_me",
        PasswordChanged = "password_changed",
        PasswordReset = "password_reset",
        RefreshTokenReused = "refresh_token_reused",
        /// The support team suspended the account.
        Suspended = "suspended",
        /// The support team verified ownership and started a recovery.
        Recovery = "recovery",
        @other Unknown = "unknown",
    }
}

wire! {
    /// The second step of sign-in: the challenge from `SignInResponse::SecondFactor` and a code.
    #[serde(deny_unknown_fields)]
    pub struct SecondFactorRequest {
        pub challenge: Secret,
        /// `totp` or `recovery_code`.
        pub method: SecondFactorMethod,
        /// Six digits (spaces allowed) for `totp`; a recovery code (`xxxx-xxxx`, any case,
        /// dash optional) for `recovery_code`.
        pub code: Secret,
    }
}

wire! {
    /// Re-authentication.
    #[serde(deny_unknown_fields)]
    pub struct PasswordRequest {
        pub password: Secret,
    }
}

wire! {
    /// A pending 2FA enrolment: shown once, confirmed by `POST /api/account/2fa/enable`.
    pub struct TwoFactorSetup {
        /// The shared secret, base32 without padding (32 characters for 160 bits).
        pub secret: Secret,
        /// `otpauth://totp/XWMS:<email>?secret=...&issuer=XWMS&algorithm=SHA1&digits=6&period=30`.
        pub otpauth_uri: Secret,
        pub issuer: String,
        /// The account's email address: the label authenticator apps show.
        pub account_name: String,
        pub digits: u32,
        pub period_seconds: u32,
        pub algorithm: String,
        /// RFC 3339: the pending secret is forgotten after this (start again).
        pub expires_at: String,
    }
}

wire! {
    /// A new set of recovery codes: shown once, each works once, a new set voids the old one.
    pub struct RecoveryCodes {
        /// `xxxx-xxxx` (lower-case letters and digits).
        pub codes: Vec<Secret>,
        /// RFC 3339.
        pub generated_at: String,
    }
}

wire! {
    /// Turning 2FA off: the password and a current code (or a recovery code).
    #[serde(deny_unknown_fields)]
    pub struct TwoFactorDisableRequest {
        pub password: Secret,
        pub code: Secret,
    }
}

wire! {
    pub struct TwoFactorStatus {
        pub enabled: bool,
        /// RFC 3339.
        pub enabled_at: Option<String>,
        pub recovery_codes_left: u32,
    }
}

wire! {
    /// The security checklist of the Security page.
    pub struct SecurityOverview {
        pub email_verified: bool,
        /// Whether the password met the current rule when it was last entered (the server
        /// only ever sees the password itself at sign-in or change). `None`: not known yet.
        pub password_meets_rule: Option<bool>,
        /// RFC 3339; `None` when it was never changed since the account was created.
        pub password_changed_at: Option<String>,
        pub two_factor: TwoFactorStatus,
        pub active_sessions: u32,
        /// New-sign-in alerts neither confirmed ("This was me") nor denied whose session is
        /// still active.
        pub unrecognised_sessions: u32,
    }
}

wire! {
    /// One entry of the security timeline.
    pub struct SecurityEventInfo {
        /// Opaque, stable; for `confirm`/`deny` and paging.
        pub id: String,
        /// What happened; a kind unknown to this version is `unknown`.
        pub kind: SecurityEventKind,
        /// RFC 3339 (UTC; clients show it in the person's time zone).
        pub at: String,
        pub ip: String,
        /// The device, OS and app of the session concerned, when there is one.
        pub device: Option<String>,
        pub os: Option<String>,
        pub app: Option<String>,
        /// How screens name the device: "Firefox · Linux" ([`device_label`]); `None` when
        /// nothing is known ("an unknown device" in the person's language).
        pub device_label: Option<String>,
        pub session_id: Option<String>,
        /// A new-sign-in alert (`new_device`, `new_network`): needs "This was me" or "Not me".
        pub alert: bool,
        /// For alerts: whether the person answered.
        pub alert_status: Option<AlertStatus>,
        /// Whether `session_id` is still active.
        pub session_active: bool,
    }
}

/// The one rule that names a device: its name (else its app), then its OS unless the name
/// already says it; blank parts are left out. Screens show [`device_label`]; the desktop
/// notification joins the parts in words ("Firefox on Linux").
pub fn device_parts<'a>(
    device: Option<&'a str>,
    os: Option<&'a str>,
    app: Option<&'a str>,
) -> Vec<&'a str> {
    let known = |v: Option<&'a str>| v.map(str::trim).filter(|s| !s.is_empty());
    let name = known(device).or(known(app));
    let os = known(os).filter(|os| !name.is_some_and(|n| n.contains(os)));
    name.into_iter().chain(os).collect()
}

/// "XWMS-Desktop 0.1.0": an app with its version; blank parts are left out.
pub fn app_label(app: &str, version: &str) -> String {
    join_known(&[app, version], " ")
}

/// "linux · XWMS-Desktop 0.1.0": a session's OS and app with its version
/// ([`SessionInfo::software`]).
pub fn software_label(os: &str, app: &str, version: &str) -> String {
    join_known(&[os, &app_label(app, version)], " · ")
}

fn join_known(parts: &[&str], separator: &str) -> String {
    let known: Vec<&str> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
    known.join(separator)
}

/// [`device_parts`] joined with ` · ` ("Firefox · Linux"); `None` when nothing is known.
pub fn device_label(device: Option<&str>, os: Option<&str>, app: Option<&str>) -> Option<String> {
    let parts = device_parts(device, os, app);
    (!parts.is_empty()).then(|| parts.join(" · "))
}

wire! {
    pub struct SecurityEventPage {
        pub events: Vec<SecurityEventInfo>,
        /// Pass as `before` for the next (older) page; `None` at the end.
        pub next_before: Option<String>,
    }
}

wire! {
    /// One active session.
    pub struct SessionInfo {
        pub id: String,
        /// Derived from the app and OS.
        pub device_type: DeviceType,
        pub device_name: String,
        pub os: String,
        pub app: String,
        pub app_version: String,
        /// What it runs, as the list shows it under the device's name: "linux ·
        /// XWMS-Desktop 0.1.0" ([`software_label`]).
        pub software: String,
        pub ip: String,
        pub user_agent: String,
        /// RFC 3339.
        pub created_at: String,
        /// RFC 3339.
        pub last_active_at: String,
        /// The session of the request ("This device"): cannot be removed from the list.
        pub current: bool,
    }
}

wire! {
    pub struct SessionList {
        /// Current session first, then by last activity, newest first.
        pub sessions: Vec<SessionInfo>,
    }
}

wire! {
    pub struct SessionsRevoked {
        pub sessions_revoked: u32,
    }
}

wire! {
    /// One API client of the person.
    pub struct ApiClientInfo {
        pub id: String,
        pub name: String,
        /// Public: `xwms_ci_...`.
        pub client_id: String,
        /// RFC 3339.
        pub created_at: String,
        /// RFC 3339; `None` when never used.
        pub last_used_at: Option<String>,
        /// RFC 3339 of the current secret.
        pub secret_created_at: String,
        pub enabled: bool,
    }
}

wire! {
    pub struct ApiClientList {
        pub clients: Vec<ApiClientInfo>,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct ApiClientCreate {
        /// 1 to 80 characters, unique per account (any case).
        pub name: String,
    }
}

wire! {
    /// Fields to change; absent fields stay as they are.
    #[serde(deny_unknown_fields)]
    pub struct ApiClientUpdate {
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub enabled: Option<bool>,
    }
}

wire! {
    /// A client with its secret: the only time the secret is ever shown (only a hash is kept).
    pub struct ApiClientSecret {
        pub client: ApiClientInfo,
        /// `xwms_cs_...`.
        pub client_secret: Secret,
    }
}

wire! {
    /// The answer to a client checking its credentials.
    pub struct ApiClientIdentity {
        pub client_id: String,
        pub name: String,
        /// The owner's `sub`.
        pub owner: String,
    }
}

/// What the server pushes over the realtime channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RealtimeEvent {
    /// The first frame: the channel is open for this session.
    Ready { session_id: String },
    /// This connection's session ended (the server closes the socket after this frame).
    SessionRevoked {
        session_id: String,
        reason: RevokeReason,
    },
    /// A sign-in from a device or network never seen before, sent to the person's other
    /// sessions.
    NewSignIn { event: SecurityEventInfo },
    /// The account's sessions, 2FA, credentials or timeline changed: refresh what is shown.
    SecurityChanged,
    /// A change to one of the account's support conversations, from the event log: replayed
    /// after the channel's `?after=SEQ`, then live. (Agents get every conversation's events.)
    Support {
        event: Box<crate::support::SupportEvent>,
    },
    /// Someone on the other side of a conversation is typing (expires after
    /// `support::TYPING_EXPIRES_SECONDS`; never stored, never replayed).
    SupportTyping {
        conversation_id: String,
        author: crate::support::MessageAuthor,
    },
    /// The `?after=SEQ` the channel was opened with is older than the log keeps: fetch the
    /// conversation list (and any open conversation) again, then resume from its `last_seq`.
    SupportReload,
    /// How many agents have the app open changed (`support::SupportAvailability`).
    SupportAvailability { agents_online: u32 },
    /// To members of the support team only: the queue changed (a conversation was created,
    /// claimed, answered or changed status); the counts of every view, `mine` for this agent.
    AgentQueue { counts: crate::agent::QueueCounts },
    /// To members of the support team only: an internal note was added to a conversation.
    AgentNote { note: crate::agent::InternalNote },
    /// To the other members of the support team only: `agent` is viewing or typing in a
    /// conversation; it lapses after `expires_in_seconds` unless renewed (never stored).
    AgentPresence {
        conversation_id: String,
        agent: crate::agent::TeamMember,
        kind: crate::agent::PresenceKind,
        expires_in_seconds: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_shows_its_os_and_app_with_version() {
        assert_eq!(
            software_label("linux", "XWMS-Desktop", "0.1.0"),
            "linux · XWMS-Desktop 0.1.0"
        );
        assert_eq!(software_label("", "xwms-cli", ""), "xwms-cli");
        assert_eq!(software_label("iOS", "", ""), "iOS");
        assert_eq!(software_label("", "", ""), "");
        assert_eq!(app_label("Chrome", "131"), "Chrome 131");
    }

    #[test]
    fn a_device_is_named_by_its_name_or_app_then_its_os() {
        let cases: &[([Option<&str>; 3], Option<&str>)] = &[
            (
                [Some("Firefox"), Some("Linux"), Some("web")],
                Some("Firefox · Linux"),
            ),
            (
                [None, Some("Linux"), Some("xwms-cli")],
                Some("xwms-cli · Linux"),
            ),
            ([Some(" "), None, Some("xwms-cli")], Some("xwms-cli")),
            (
                [Some("Firefox on Linux"), Some("Linux"), None],
                Some("Firefox on Linux"),
            ),
            ([None, Some("iOS"), None], Some("iOS")),
            ([None, Some(""), None], None),
        ];
        for ([device, os, app], want) in cases {
            assert_eq!(
                device_label(*device, *os, *app).as_deref(),
                *want,
                "{device:?} {os:?} {app:?}"
            );
        }
    }
}
