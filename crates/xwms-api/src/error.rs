use serde::{Deserialize, Serialize};

/// Stable machine codes. The string form (`area.reason`) is the contract: it never changes once
/// shipped, and clients translate it into the person's language. Codes unknown to this version
/// decode as [`ErrorCode::Unknown`] so that older clients keep working against newer servers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum ErrorCode {
    /// The request body or query could not be understood.
    #[serde(rename = "request.invalid")]
    InvalidRequest,
    /// No such route or resource.
    #[serde(rename = "request.not_found")]
    NotFound,
    /// The route exists but not for this HTTP method.
    #[serde(rename = "request.method_not_allowed")]
    MethodNotAllowed,
    /// The request body is larger than the server accepts.
    #[serde(rename = "request.too_large")]
    PayloadTooLarge,
    /// Something failed on the server; details are only in the server log.
    #[serde(rename = "server.internal")]
    Internal,
    /// The server is starting or stopping, or its store is unavailable.
    #[serde(rename = "server.unavailable")]
    Unavailable,
    /// The server could not be reached (client side).
    #[serde(rename = "network.offline")]
    Offline,
    /// The server did not answer in time (client side).
    #[serde(rename = "network.timeout")]
    Timeout,
    /// The server answered something that is not an XWMS envelope (client side).
    #[serde(rename = "network.bad_response")]
    BadResponse,
    /// The server URL is not a valid URL.
    #[serde(rename = "settings.invalid_url")]
    InvalidUrl,
    /// The server URL is not http or https.
    #[serde(rename = "settings.unsupported_scheme")]
    UnsupportedScheme,
    /// The server URL embeds a user name or password.
    #[serde(rename = "settings.url_has_credentials")]
    UrlHasCredentials,
    /// The settings file could not be read or written.
    #[serde(rename = "settings.storage")]
    SettingsStorage,
    /// The OS keychain is not available or refused the operation.
    #[serde(rename = "keychain.unavailable")]
    KeychainUnavailable,
    /// This field is required.
    #[serde(rename = "field.required")]
    FieldRequired,
    /// This field is too long.
    #[serde(rename = "field.too_long")]
    FieldTooLong,
    /// This field contains characters that are not allowed.
    #[serde(rename = "field.invalid")]
    FieldInvalid,
    /// This is not a valid email address.
    #[serde(rename = "email.invalid")]
    EmailInvalid,
    /// The password must be at least 8 characters.
    #[serde(rename = "password.too_short")]
    PasswordTooShort,
    /// The password is too long (at most 256 characters).
    #[serde(rename = "password.too_long")]
    PasswordTooLong,
    /// The password needs an upper-case letter.
    #[serde(rename = "password.missing_upper")]
    PasswordMissingUpper,
    /// The password needs a lower-case letter.
    #[serde(rename = "password.missing_lower")]
    PasswordMissingLower,
    /// The password needs a digit.
    #[serde(rename = "password.missing_digit")]
    PasswordMissingDigit,
    /// This password is too common. Choose one that is harder to guess.
    #[serde(rename = "password.too_common")]
    PasswordTooCommon,
    /// The email address or password is incorrect.
    #[serde(rename = "auth.invalid_credentials")]
    InvalidCredentials,
    /// Your email address is not verified yet. Enter the code we mailed you, or ask for a new one.
    #[serde(rename = "auth.email_unverified")]
    EmailUnverified,
    /// Your account is temporarily locked to protect it. We mailed you a code to unlock it.
    #[serde(rename = "auth.locked")]
    Locked,
    /// Too many attempts. Please wait a moment and try again.
    #[serde(rename = "auth.throttled")]
    Throttled,
    /// Please sign in.
    #[serde(rename = "auth.unauthorized")]
    Unauthorized,
    /// Your session has expired. Please sign in again.
    #[serde(rename = "auth.session_expired")]
    SessionExpired,
    /// You were signed out. Please sign in again.
    #[serde(rename = "auth.session_revoked")]
    SessionRevoked,
    /// The password is incorrect.
    #[serde(rename = "auth.password_incorrect")]
    PasswordIncorrect,
    /// No code has been requested.
    #[serde(rename = "code.none")]
    CodeNone,
    /// The verification code has expired.
    #[serde(rename = "code.expired")]
    CodeExpired,
    /// Please wait before trying again.
    #[serde(rename = "code.too_soon")]
    CodeTooSoon,
    /// Too many attempts. Please request a new code.
    #[serde(rename = "code.too_many_attempts")]
    CodeTooManyAttempts,
    /// Incorrect code.
    #[serde(rename = "code.incorrect")]
    CodeIncorrect,
    /// A code was sent recently. Please wait before asking for a new one.
    #[serde(rename = "code.resend_too_soon")]
    CodeResendTooSoon,
    /// This username is already taken.
    #[serde(rename = "account.username_taken")]
    UsernameTaken,
    /// This username is reserved. Please contact support for the available options.
    #[serde(rename = "account.username_reserved")]
    UsernameReserved,
    /// This time zone is not known.
    #[serde(rename = "account.timezone_invalid")]
    TimezoneInvalid,
    /// Too many requests. Please slow down.
    #[serde(rename = "request.rate_limited")]
    RateLimited,
    /// The server is busy. Please try again in a moment.
    #[serde(rename = "server.busy")]
    Busy,
    /// This help article or category does not exist (any more).
    #[serde(rename = "help.not_found")]
    HelpNotFound,
    /// The offline help could not be read or saved.
    #[serde(rename = "help.cache_failed")]
    HelpCacheFailed,
    /// Two-step verification is already on.
    #[serde(rename = "two_factor.already_enabled")]
    TwoFactorAlreadyEnabled,
    /// Two-step verification is not on.
    #[serde(rename = "two_factor.not_enabled")]
    TwoFactorNotEnabled,
    /// The set-up has expired or was not started. Please start again.
    #[serde(rename = "two_factor.setup_missing")]
    TwoFactorSetupMissing,
    /// The code is incorrect. Check that your device's clock is right and try the newest code.
    #[serde(rename = "two_factor.code_incorrect")]
    TwoFactorCodeIncorrect,
    /// This code was already used. Wait for the next code in your app.
    #[serde(rename = "two_factor.code_used")]
    TwoFactorCodeUsed,
    /// The sign-in took too long. Please sign in again.
    #[serde(rename = "two_factor.challenge_expired")]
    TwoFactorChallengeExpired,
    /// This session does not exist or has already ended.
    #[serde(rename = "session.not_found")]
    SessionNotFound,
    /// This is the device you are using. Sign out instead.
    #[serde(rename = "session.is_current")]
    SessionIsCurrent,
    /// This security event does not exist.
    #[serde(rename = "security_event.not_found")]
    SecurityEventNotFound,
    /// This API client does not exist (any more).
    #[serde(rename = "api_client.not_found")]
    ApiClientNotFound,
    /// You already have an API client with this name.
    #[serde(rename = "api_client.name_taken")]
    ApiClientNameTaken,
    /// You have the maximum number of API clients. Delete one first.
    #[serde(rename = "api_client.limit")]
    ApiClientLimit,
    /// This API client is disabled.
    #[serde(rename = "api_client.disabled")]
    ApiClientDisabled,
    /// Too many live connections for this session or account.
    #[serde(rename = "realtime.too_many_sockets")]
    RealtimeTooManySockets,
    /// The file could not be saved.
    #[serde(rename = "file.save_failed")]
    FileSaveFailed,
    /// Confirm your password to continue (a sensitive change needs the password within the
    /// last 10 minutes).
    #[serde(rename = "auth.reauth_required")]
    ReauthRequired,
    /// The server at this address did not answer.
    #[serde(rename = "settings.server_unreachable")]
    ServerUnreachable,
    /// This address does not belong to an XWMS server.
    #[serde(rename = "settings.not_xwms_server")]
    NotXwmsServer,
    /// A code this client version does not know.
    #[serde(other, rename = "unknown")]
    Unknown,
}

impl ErrorCode {
    /// Every code, for documentation and tests.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidRequest,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
        ErrorCode::Offline,
        ErrorCode::Timeout,
        ErrorCode::BadResponse,
        ErrorCode::InvalidUrl,
        ErrorCode::UnsupportedScheme,
        ErrorCode::UrlHasCredentials,
        ErrorCode::SettingsStorage,
        ErrorCode::KeychainUnavailable,
        ErrorCode::FieldRequired,
        ErrorCode::FieldTooLong,
        ErrorCode::FieldInvalid,
        ErrorCode::EmailInvalid,
        ErrorCode::PasswordTooShort,
        ErrorCode::PasswordTooLong,
        ErrorCode::PasswordMissingUpper,
        ErrorCode::PasswordMissingLower,
        ErrorCode::PasswordMissingDigit,
        ErrorCode::PasswordTooCommon,
        ErrorCode::InvalidCredentials,
        ErrorCode::EmailUnverified,
        ErrorCode::Locked,
        ErrorCode::Throttled,
        ErrorCode::Unauthorized,
        ErrorCode::SessionExpired,
        ErrorCode::SessionRevoked,
        ErrorCode::PasswordIncorrect,
        ErrorCode::CodeNone,
        ErrorCode::CodeExpired,
        ErrorCode::CodeTooSoon,
        ErrorCode::CodeTooManyAttempts,
        ErrorCode::CodeIncorrect,
        ErrorCode::CodeResendTooSoon,
        ErrorCode::UsernameTaken,
        ErrorCode::UsernameReserved,
        ErrorCode::TimezoneInvalid,
        ErrorCode::RateLimited,
        ErrorCode::Busy,
        ErrorCode::HelpNotFound,
        ErrorCode::HelpCacheFailed,
        ErrorCode::TwoFactorAlreadyEnabled,
        ErrorCode::TwoFactorNotEnabled,
        ErrorCode::TwoFactorSetupMissing,
        ErrorCode::TwoFactorCodeIncorrect,
        ErrorCode::TwoFactorCodeUsed,
        ErrorCode::TwoFactorChallengeExpired,
        ErrorCode::SessionNotFound,
        ErrorCode::SessionIsCurrent,
        ErrorCode::SecurityEventNotFound,
        ErrorCode::ApiClientNotFound,
        ErrorCode::ApiClientNameTaken,
        ErrorCode::ApiClientLimit,
        ErrorCode::ApiClientDisabled,
        ErrorCode::RealtimeTooManySockets,
        ErrorCode::FileSaveFailed,
        ErrorCode::ReauthRequired,
        ErrorCode::ServerUnreachable,
        ErrorCode::NotXwmsServer,
        ErrorCode::Unknown,
    ];

    /// The stable string form, e.g. `auth.locked`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "request.invalid",
            ErrorCode::NotFound => "request.not_found",
            ErrorCode::MethodNotAllowed => "request.method_not_allowed",
            ErrorCode::PayloadTooLarge => "request.too_large",
            ErrorCode::Internal => "server.internal",
            ErrorCode::Unavailable => "server.unavailable",
            ErrorCode::Offline => "network.offline",
            ErrorCode::Timeout => "network.timeout",
            ErrorCode::BadResponse => "network.bad_response",
            ErrorCode::InvalidUrl => "settings.invalid_url",
            ErrorCode::UnsupportedScheme => "settings.unsupported_scheme",
            ErrorCode::UrlHasCredentials => "settings.url_has_credentials",
            ErrorCode::SettingsStorage => "settings.storage",
            ErrorCode::KeychainUnavailable => "keychain.unavailable",
            ErrorCode::FieldRequired => "field.required",
            ErrorCode::FieldTooLong => "field.too_long",
            ErrorCode::FieldInvalid => "field.invalid",
            ErrorCode::EmailInvalid => "email.invalid",
            ErrorCode::PasswordTooShort => "password.too_short",
            ErrorCode::PasswordTooLong => "password.too_long",
            ErrorCode::PasswordMissingUpper => "password.missing_upper",
            ErrorCode::PasswordMissingLower => "password.missing_lower",
            ErrorCode::PasswordMissingDigit => "password.missing_digit",
            ErrorCode::PasswordTooCommon => "password.too_common",
            ErrorCode::InvalidCredentials => "auth.invalid_credentials",
            ErrorCode::EmailUnverified => "auth.email_unverified",
            ErrorCode::Locked => "auth.locked",
            ErrorCode::Throttled => "auth.throttled",
            ErrorCode::Unauthorized => "auth.unauthorized",
            ErrorCode::SessionExpired => "auth.session_expired",
            ErrorCode::SessionRevoked => "auth.session_revoked",
            ErrorCode::PasswordIncorrect => "auth.password_incorrect",
            ErrorCode::CodeNone => "code.none",
            ErrorCode::CodeExpired => "code.expired",
            ErrorCode::CodeTooSoon => "code.too_soon",
            ErrorCode::CodeTooManyAttempts => "code.too_many_attempts",
            ErrorCode::CodeIncorrect => "code.incorrect",
            ErrorCode::CodeResendTooSoon => "code.resend_too_soon",
            ErrorCode::UsernameTaken => "account.username_taken",
            ErrorCode::UsernameReserved => "account.username_reserved",
            ErrorCode::TimezoneInvalid => "account.timezone_invalid",
            ErrorCode::RateLimited => "request.rate_limited",
            ErrorCode::Busy => "server.busy",
            ErrorCode::HelpNotFound => "help.not_found",
            ErrorCode::HelpCacheFailed => "help.cache_failed",
            ErrorCode::TwoFactorAlreadyEnabled => "two_factor.already_enabled",
            ErrorCode::TwoFactorNotEnabled => "two_factor.not_enabled",
            ErrorCode::TwoFactorSetupMissing => "two_factor.setup_missing",
            ErrorCode::TwoFactorCodeIncorrect => "two_factor.code_incorrect",
            ErrorCode::TwoFactorCodeUsed => "two_factor.code_used",
            ErrorCode::TwoFactorChallengeExpired => "two_factor.challenge_expired",
            ErrorCode::SessionNotFound => "session.not_found",
            ErrorCode::SessionIsCurrent => "session.is_current",
            ErrorCode::SecurityEventNotFound => "security_event.not_found",
            ErrorCode::ApiClientNotFound => "api_client.not_found",
            ErrorCode::ApiClientNameTaken => "api_client.name_taken",
            ErrorCode::ApiClientLimit => "api_client.limit",
            ErrorCode::ApiClientDisabled => "api_client.disabled",
            ErrorCode::RealtimeTooManySockets => "realtime.too_many_sockets",
            ErrorCode::FileSaveFailed => "file.save_failed",
            ErrorCode::ReauthRequired => "auth.reauth_required",
            ErrorCode::ServerUnreachable => "settings.server_unreachable",
            ErrorCode::NotXwmsServer => "settings.not_xwms_server",
            ErrorCode::Unknown => "unknown",
        }
    }

    /// The default English message; the server sends it, clients prefer their own translation.
    pub fn default_message(&self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "The request could not be understood.",
            ErrorCode::NotFound => "Not found.",
            ErrorCode::MethodNotAllowed => "This method is not allowed here.",
            ErrorCode::PayloadTooLarge => "The request is too large.",
            ErrorCode::Internal => "Something went wrong on our side. Please try again.",
            ErrorCode::Unavailable => "The service is temporarily unavailable.",
            ErrorCode::Offline => "The server cannot be reached.",
            ErrorCode::Timeout => "The server did not answer in time.",
            ErrorCode::BadResponse => "The server sent an answer this app does not understand.",
            ErrorCode::InvalidUrl => "This is not a valid web address.",
            ErrorCode::UnsupportedScheme => "The address must start with http:// or https://.",
            ErrorCode::UrlHasCredentials => "The address must not contain a user name or password.",
            ErrorCode::SettingsStorage => "Your settings could not be saved.",
            ErrorCode::KeychainUnavailable => "The system keychain is not available.",
            ErrorCode::FieldRequired => "This field is required.",
            ErrorCode::FieldTooLong => "This field is too long.",
            ErrorCode::FieldInvalid => "This field contains characters that are not allowed.",
            ErrorCode::EmailInvalid => "This is not a valid email address.",
            ErrorCode::PasswordTooShort => "The password must be at least 8 characters.",
            ErrorCode::PasswordTooLong => "The password is too long (at most 256 characters).",
            ErrorCode::PasswordMissingUpper => "The password needs an upper-case letter.",
            ErrorCode::PasswordMissingLower => "The password needs a lower-case letter.",
            ErrorCode::PasswordMissingDigit => "The password needs a digit.",
            ErrorCode::PasswordTooCommon => "This password is too common. Choose one that is harder to guess.",
            ErrorCode::InvalidCredentials => "The email address or password is incorrect.",
            ErrorCode::EmailUnverified => "Your email address is not verified yet. Enter the code we mailed you, or ask for a new one.",
            ErrorCode::Locked => "Your account is temporarily locked to protect it. We mailed you a code to unlock it.",
            ErrorCode::Throttled => "Too many attempts. Please wait a moment and try again.",
            ErrorCode::Unauthorized => "Please sign in.",
            ErrorCode::SessionExpired => "Your session has expired. Please sign in again.",
            ErrorCode::SessionRevoked => "You were signed out. Please sign in again.",
            ErrorCode::PasswordIncorrect => "The password is incorrect.",
            ErrorCode::CodeNone => "No code has been requested.",
            ErrorCode::CodeExpired => "The verification code has expired.",
            ErrorCode::CodeTooSoon => "Please wait before trying again.",
            ErrorCode::CodeTooManyAttempts => "Too many attempts. Please request a new code.",
            ErrorCode::CodeIncorrect => "Incorrect code.",
            ErrorCode::CodeResendTooSoon => "A code was sent recently. Please wait before asking for a new one.",
            ErrorCode::UsernameTaken => "This username is already taken.",
            ErrorCode::UsernameReserved => "This username is reserved. Please contact support for the available options.",
            ErrorCode::TimezoneInvalid => "This time zone is not known.",
            ErrorCode::RateLimited => "Too many requests. Please slow down.",
            ErrorCode::Busy => "The server is busy. Please try again in a moment.",
            ErrorCode::HelpNotFound => "This help article does not exist (any more).",
            ErrorCode::HelpCacheFailed => "The offline help could not be read or saved.",
            ErrorCode::TwoFactorAlreadyEnabled => "Two-step verification is already on.",
            ErrorCode::TwoFactorNotEnabled => "Two-step verification is not on.",
            ErrorCode::TwoFactorSetupMissing => "The set-up has expired or was not started. Please start again.",
            ErrorCode::TwoFactorCodeIncorrect => "The code is incorrect. Check that your device's clock is right and try the newest code.",
            ErrorCode::TwoFactorCodeUsed => "This code was already used. Wait for the next code in your app.",
            ErrorCode::TwoFactorChallengeExpired => "The sign-in took too long. Please sign in again.",
            ErrorCode::SessionNotFound => "This session does not exist or has already ended.",
            ErrorCode::SessionIsCurrent => "This is the device you are using. Sign out instead.",
            ErrorCode::SecurityEventNotFound => "This security event does not exist.",
            ErrorCode::ApiClientNotFound => "This API client does not exist (any more).",
            ErrorCode::ApiClientNameTaken => "You already have an API client with this name.",
            ErrorCode::ApiClientLimit => "You have the maximum number of API clients. Delete one first.",
            ErrorCode::ApiClientDisabled => "This API client is disabled.",
            ErrorCode::RealtimeTooManySockets => "Too many live connections for this session. Close another window of the app and try again.",
            ErrorCode::FileSaveFailed => "The file could not be saved.",
            ErrorCode::ReauthRequired => "Confirm your password to continue.",
            ErrorCode::ServerUnreachable => "The server at this address did not answer. Check the address and try again.",
            ErrorCode::NotXwmsServer => "This address does not belong to an XWMS server.",
            ErrorCode::Unknown => "Something went wrong.",
        }
    }

    /// The HTTP status a server answers with for this code.
    pub fn http_status(&self) -> u16 {
        match self {
            ErrorCode::InvalidRequest => 400,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::FieldRequired => 400,
            ErrorCode::FieldTooLong => 400,
            ErrorCode::FieldInvalid => 400,
            ErrorCode::EmailInvalid => 400,
            ErrorCode::PasswordTooShort => 400,
            ErrorCode::PasswordTooLong => 400,
            ErrorCode::PasswordMissingUpper => 400,
            ErrorCode::PasswordMissingLower => 400,
            ErrorCode::PasswordMissingDigit => 400,
            ErrorCode::PasswordTooCommon => 400,
            ErrorCode::InvalidCredentials => 401,
            ErrorCode::EmailUnverified => 403,
            ErrorCode::Locked => 423,
            ErrorCode::Throttled => 429,
            ErrorCode::Unauthorized => 401,
            ErrorCode::SessionExpired => 401,
            ErrorCode::SessionRevoked => 401,
            ErrorCode::PasswordIncorrect => 403,
            ErrorCode::CodeNone => 400,
            ErrorCode::CodeExpired => 400,
            ErrorCode::CodeTooSoon => 429,
            ErrorCode::CodeTooManyAttempts => 400,
            ErrorCode::CodeIncorrect => 400,
            ErrorCode::CodeResendTooSoon => 429,
            ErrorCode::UsernameTaken => 409,
            ErrorCode::UsernameReserved => 409,
            ErrorCode::TimezoneInvalid => 400,
            ErrorCode::RateLimited => 429,
            ErrorCode::Busy => 503,
            ErrorCode::HelpNotFound => 404,
            ErrorCode::TwoFactorAlreadyEnabled => 409,
            ErrorCode::TwoFactorNotEnabled => 409,
            ErrorCode::TwoFactorSetupMissing => 400,
            ErrorCode::TwoFactorCodeIncorrect => 400,
            ErrorCode::TwoFactorCodeUsed => 400,
            ErrorCode::TwoFactorChallengeExpired => 401,
            ErrorCode::SessionNotFound => 404,
            ErrorCode::SessionIsCurrent => 409,
            ErrorCode::SecurityEventNotFound => 404,
            ErrorCode::ApiClientNotFound => 404,
            ErrorCode::ApiClientNameTaken => 409,
            ErrorCode::ApiClientLimit => 409,
            ErrorCode::ApiClientDisabled => 403,
            ErrorCode::RealtimeTooManySockets => 429,
            ErrorCode::ReauthRequired => 403,
            ErrorCode::ServerUnreachable => 400,
            ErrorCode::NotXwmsServer => 400,
            ErrorCode::Unavailable => 503,
            _ => 500,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as it crosses a boundary (HTTP or IPC): a stable code, a human message, and the
/// facts a screen needs to help (the field at fault, when to retry, tries left).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<crate::auth::ErrorData>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_form_matches_serde_for_every_code() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, code);
        }
    }

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {}", code);
        }
    }

    #[test]
    fn error_body_data_is_optional_on_the_wire() {
        let plain: ErrorBody =
            serde_json::from_str(r#"{"code":"auth.locked","message":"m"}"#).unwrap();
        assert_eq!(plain.data, None);
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"code":"auth.locked","message":"m"}"#
        );
        let with: ErrorBody = serde_json::from_str(
            r#"{"code":"code.incorrect","message":"m","data":{"attempts_left":3}}"#,
        )
        .unwrap();
        assert_eq!(with.data.unwrap().attempts_left, Some(3));
    }

    #[test]
    fn unknown_codes_from_newer_servers_decode() {
        let code: ErrorCode = serde_json::from_str("\"auth.something_new\"").unwrap();
        assert_eq!(code, ErrorCode::Unknown);
    }

    #[test]
    fn client_side_codes_are_not_http_success() {
        for code in ErrorCode::ALL {
            assert!(code.http_status() >= 400);
        }
    }
}
