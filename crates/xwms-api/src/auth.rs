//! Accounts and sign-in over HTTP: paths, request and response bodies.
//!
//! XWMS publishes none of this (see xwms-contract.md, "ours to define"); the server documents it
//! in its OpenAPI document. Requests refuse unknown fields (`request.invalid`), so a typo in a
//! client is an error, not a silently ignored value. Every secret (password, code, token) is a
//! [`Secret`].

use serde::{Deserialize, Serialize};

use crate::Secret;

/// Route paths, one place for server and clients.
pub mod paths {
    pub const SIGN_UP: &str = "/api/auth/signup";
    pub const VERIFY_EMAIL: &str = "/api/auth/verify-email";
    pub const RESEND_VERIFICATION: &str = "/api/auth/verify-email/resend";
    pub const SIGN_IN: &str = "/api/auth/signin";
    pub const REFRESH: &str = "/api/auth/refresh";
    pub const SIGN_OUT: &str = "/api/auth/signout";
    pub const REAUTHENTICATE: &str = "/api/auth/reauthenticate";
    pub const UNLOCK: &str = "/api/auth/unlock";
    pub const RESEND_UNLOCK: &str = "/api/auth/unlock/resend";
    pub const FORGOT_PASSWORD: &str = "/api/auth/password/forgot";
    pub const RESET_PASSWORD: &str = "/api/auth/password/reset";
    pub const RECOVERY_REQUEST: &str = "/api/auth/recovery-requests";
    pub const ACCOUNT: &str = "/api/account";
    pub const PROFILE: &str = "/api/account/profile";
    pub const CHANGE_EMAIL: &str = "/api/account/email";
    pub const CONFIRM_EMAIL: &str = "/api/account/email/confirm";
    pub const CHANGE_PASSWORD: &str = "/api/account/password";
}

wire! {
    /// What a client says about itself when it signs in (stored with the session).
    #[serde(deny_unknown_fields)]
    pub struct DeviceInfo {
        /// The computer's name, e.g. `anna-laptop`.
        pub name: String,
        /// e.g. `linux`, `windows`, `macos`.
        pub os: String,
        /// e.g. `XWMS-Desktop`, `xwms-cli`.
        pub app: String,
        pub app_version: String,
        /// A random id of this app installation, so "new device" means a new installation.
        pub installation_id: String,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct SignUpRequest {
        pub name: String,
        pub email: String,
        pub password: Secret,
        /// `en`, `nl` or `fr`: the language of the mail.
        #[serde(default)]
        pub language: Option<String>,
    }
}

wire! {
    /// A 6-digit code was mailed (or, for an unknown address, the same answer was given).
    pub struct CodeSent {
        pub email: String,
        pub expires_in_seconds: u32,
        pub resend_after_seconds: u32,
        /// Opaque id of this request; the mailed code works only together with it (R5). Send it
        /// back with the code and with a resend.
        pub challenge_id: String,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct EmailCodeRequest {
        pub email: String,
        pub code: Secret,
        /// From the [`CodeSent`] (or error data) of the request that mailed the code.
        pub challenge_id: String,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct EmailRequest {
        pub email: String,
        #[serde(default)]
        pub language: Option<String>,
        /// For a resend: the challenge whose code to send again. Without it, unlock and forgot
        /// password start a new challenge; a verification resend needs it.
        #[serde(default)]
        pub challenge_id: Option<String>,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct SignInRequest {
        pub email: String,
        pub password: Secret,
        pub device: DeviceInfo,
        /// The device token this installation got with its last sign-in to this account
        /// ([`SessionTokens::device_token`]): a trusted device keeps its own failure budget, so
        /// strangers' failures never lock it out.
        #[serde(default)]
        pub device_token: Option<Secret>,
    }
}

/// The answer to a correct email and password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum SignInResponse {
    /// Signed in: a new session.
    SignedIn(Box<SessionTokens>),
    /// A second factor is needed first (the security-center issue adds TOTP here).
    SecondFactor(SecondFactorChallenge),
}

wire! {
    pub struct SecondFactorChallenge {
        /// Opaque, short-lived; sent back with the code.
        pub challenge: Secret,
        /// e.g. `totp`, `recovery_code`.
        pub methods: Vec<crate::security::SecondFactorMethod>,
    }
}

wire! {
    pub struct SessionTokens {
        pub session_id: String,
        /// Short-lived bearer token for API calls.
        pub access_token: Secret,
        /// RFC 3339.
        pub access_expires_at: String,
        /// Single use: each refresh returns a new one; using an old one again revokes the session.
        pub refresh_token: Secret,
        /// RFC 3339; the session's absolute end.
        pub refresh_expires_at: String,
        pub user: UserProfile,
        /// After a sign-in: this installation's new device token for this account (keep it in the
        /// OS keychain and send it with the next sign-in; the previous one stops counting).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub device_token: Option<Secret>,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct RefreshRequest {
        pub refresh_token: Secret,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct ResetPasswordRequest {
        pub email: String,
        pub code: Secret,
        /// From the [`CodeSent`] of the forgot-password request.
        pub challenge_id: String,
        pub new_password: Secret,
    }
}

wire! {
    /// "Recover account" when proving the mailbox is not enough: a request support handles.
    #[serde(deny_unknown_fields)]
    pub struct RecoveryRequest {
        /// The account's email address as the person remembers it.
        pub email: String,
        pub name: String,
        /// Where support can reach the person (may differ from a lost mailbox).
        pub contact_email: String,
        /// What the person lost: any of `password`, `second_factor`, `email_access`.
        pub lost: Vec<String>,
        /// Free text: anything that proves ownership (when created, last sign-in, ...).
        pub details: String,
    }
}

wire! {
    pub struct RecoveryFiled {
        /// A reference the person can quote to support, e.g. `REC-7K2M9Q`.
        pub reference: String,
        /// Working days within which support answers.
        pub answer_within_days: u32,
    }
}

wire! {
    /// A person's account as they see it.
    pub struct UserProfile {
        /// Stable id (XWMS's `sub`).
        pub sub: String,
        pub name: String,
        pub username: Option<String>,
        pub email: String,
        pub email_verified: bool,
        /// IANA time zone, e.g. `Europe/Amsterdam`.
        pub timezone: String,
        /// Region for formats, e.g. `NL`.
        pub region: String,
        /// `en`, `nl` or `fr`.
        pub language: String,
        /// RFC 3339.
        pub created_at: String,
        /// True for support staff (agent mode).
        pub is_agent: bool,
    }
}

wire! {
    /// Fields to change; absent fields stay as they are.
    #[serde(deny_unknown_fields)]
    pub struct ProfileUpdate {
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub username: Option<String>,
        #[serde(default)]
        pub timezone: Option<String>,
        #[serde(default)]
        pub region: Option<String>,
        #[serde(default)]
        pub language: Option<String>,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct EmailChangeRequest {
        pub new_email: String,
        /// Re-authentication.
        pub password: Secret,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct CodeRequest {
        pub code: Secret,
    }
}

wire! {
    /// Confirming a new email address: the mailed code and the challenge of the change request.
    #[serde(deny_unknown_fields)]
    pub struct EmailConfirmRequest {
        pub code: Secret,
        /// From the [`CodeSent`] of the email change.
        pub challenge_id: String,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct PasswordChangeRequest {
        pub current_password: Secret,
        pub new_password: Secret,
        /// End every other session at once.
        #[serde(default)]
        pub sign_out_others: bool,
    }
}

wire! {
    /// The answer to `POST /api/auth/reauthenticate`: sensitive changes are allowed in this
    /// session until then (RFC 3339).
    pub struct Reauthenticated {
        pub reauthenticated_until: String,
    }
}

wire! {
    pub struct PasswordChanged {
        pub sessions_revoked: u32,
    }
}

/// Extra facts of an error, in the envelope's `data`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorData {
    /// The request field at fault, e.g. `email`, `password`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// When trying again makes sense.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u32>,
    /// Tries left before a code dies or an account locks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    /// With `auth.email_unverified` and `auth.locked`: the challenge of the code just mailed
    /// (see [`CodeSent::challenge_id`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_id: Option<String>,
    /// With `auth.suspended`: why (a `SuspensionReason` wire value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspension_reason: Option<String>,
    /// With `auth.suspended` at sign-in (after the right password): the token for
    /// `POST /api/support/appeals`, valid as long as a guest token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appeal_token: Option<String>,
}
