use serde::{Deserialize, Serialize};

/// Declares [`ErrorCode`] from one table: each code once, with its wire string, the HTTP status
/// a server answers with, and its default (English) message. A row without a status or message
/// does not match the macro, so a forgotten field fails to compile instead of becoming a 500.
macro_rules! error_codes {
    (
        $(
            $(#[doc = $doc:literal])*
            $variant:ident = $wire:tt, $status:literal, $message:literal;
        )*
        @other $unknown:ident = $uwire:tt, $ustatus:literal, $umessage:literal;
    ) => {
        /// Stable machine codes. The string form (`area.reason`) is the contract: it never changes once
        /// shipped, and clients translate it into the person's language. Codes unknown to this version
        /// decode as [`ErrorCode::Unknown`] so that older clients keep working against newer servers.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        pub enum ErrorCode {
            $(
                $(#[doc = $doc])*
                #[serde(rename = $wire)]
                $variant,
            )*
            /// A code this client version does not know.
            #[serde(rename = $uwire)]
            $unknown,
        }

        impl ErrorCode {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)* ErrorCode::$unknown];

            /// The stable string form, e.g. `auth.locked`.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)*
                    ErrorCode::$unknown => $uwire,
                }
            }

            /// The code of a wire string; one this version does not know is `Unknown`.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $($wire => ErrorCode::$variant,)*
                    _ => ErrorCode::$unknown,
                }
            }

            /// The default English message; the server sends it, clients prefer their own
            /// translation.
            pub fn default_message(&self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $message,)*
                    ErrorCode::$unknown => $umessage,
                }
            }

            /// The HTTP status a server answers with for this code (500 for codes that only
            /// arise on the client or inside the server).
            pub fn http_status(&self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                    ErrorCode::$unknown => $ustatus,
                }
            }
        }
    };
}

error_codes! {
    /// The request body or query could not be understood.
    InvalidRequest = "request.invalid", 400, "The request could not be understood.";
    /// No such route or resource.
    NotFound = "request.not_found", 404, "Not found.";
    /// The route exists but not for this HTTP method.
    MethodNotAllowed = "request.method_not_allowed", 405, "This method is not allowed here.";
    /// The request body is larger than the server accepts.
    PayloadTooLarge = "request.too_large", 413, "The request is too large.";
    /// Something failed on the server; details are only in the server log.
    Internal = "server.internal", 500, "Something went wrong on our side. Please try again.";
    /// The server is starting or stopping, or its store is unavailable.
    Unavailable = "server.unavailable", 503, "The service is temporarily unavailable.";
    /// The server could not be reached (client side).
    Offline = "network.offline", 500, "The server cannot be reached.";
    /// The server did not answer in time (client side).
    Timeout = "network.timeout", 500, "The server did not answer in time.";
    /// The server answered something that is not an XWMS envelope (client side).
    BadResponse = "network.bad_response", 500, "The server sent an answer this app does not understand.";
    /// The server URL is not a valid URL.
    InvalidUrl = "settings.invalid_url", 500, "This is not a valid web address.";
    /// The server URL is not http or https.
    UnsupportedScheme = "settings.unsupported_scheme", 500, "The address must start with http:// or https://.";
    /// The server URL embeds a user name or password.
    UrlHasCredentials = "settings.url_has_credentials", 500, "The address must not contain a user name or password.";
    /// The settings file could not be read or written.
    SettingsStorage = "settings.storage", 500, "Your settings could not be saved.";
    /// The OS keychain is not available or refused the operation.
    KeychainUnavailable = "keychain.unavailable", 500, "The system keychain is not available.";
    /// This field is required.
    FieldRequired = "field.required", 400, "This field is required.";
    /// This field is too long.
    FieldTooLong = "field.too_long", 400, "This field is too long.";
    /// This field contains characters that are not allowed.
    FieldInvalid = "field.invalid", 400, "This field contains characters that are not allowed.";
    /// This is not a valid email address.
    EmailInvalid = "email.invalid", 400, "This is not a valid email address.";
    /// The password must be at least 8 characters.
    PasswordTooShort = "password.too_short", 400, "The password must be at least 8 characters.";
    /// The password is too long (at most 256 characters).
    PasswordTooLong = "password.too_long", 400, "The password is too long (at most 256 characters).";
    /// The password needs an upper-case letter.
    PasswordMissingUpper = "password.missing_upper", 400, "The password needs an upper-case letter.";
    /// The password needs a lower-case letter.
    PasswordMissingLower = "password.missing_lower", 400, "The password needs a lower-case letter.";
    /// The password needs a digit.
    PasswordMissingDigit = "password.missing_digit", 400, "The password needs a digit.";
    /// This password is too common. Choose one that is harder to guess.
    PasswordTooCommon = "password.too_common", 400, "This password is too common. Choose one that is harder to guess.";
    /// The email address or password is incorrect.
    InvalidCredentials = "auth.invalid_credentials", 401, "The email address or password is incorrect.";
    /// Your email address is not verified yet. Enter the code we mailed you, or ask for a new one.
    EmailUnverified = "auth.email_unverified", 403, "Your email address is not verified yet. Enter the code we mailed you, or ask for a new one.";
    /// The account is suspended by the support team; `data.suspension_reason` says why and, at
    /// sign-in, `data.appeal_token` opens an appeal.
    Suspended = "auth.suspended", 403, "Your account is suspended by the support team. The mail we sent you explains why and how to appeal.";
    /// Your account is temporarily locked to protect it. We mailed you a code to unlock it.
    Locked = "auth.locked", 423, "Your account is temporarily locked to protect it. We mailed you a code to unlock it.";
    /// Too many attempts. Please wait a moment and try again.
    Throttled = "auth.throttled", 429, "Too many attempts. Please wait a moment and try again.";
    /// Please sign in.
    Unauthorized = "auth.unauthorized", 401, "Please sign in.";
    /// Your session has expired. Please sign in again.
    SessionExpired = "auth.session_expired", 401, "Your session has expired. Please sign in again.";
    /// You were signed out. Please sign in again.
    SessionRevoked = "auth.session_revoked", 401, "You were signed out. Please sign in again.";
    /// The password is incorrect.
    PasswordIncorrect = "auth.password_incorrect", 403, "The password is incorrect.";
    /// No code has been requested.
    CodeNone = "code.none", 400, "No code has been requested.";
    /// The verification code has expired.
    CodeExpired = "code.expired", 400, "The verification code has expired.";
    /// Please wait before trying again.
    CodeTooSoon = "code.too_soon", 429, "Please wait before trying again.";
    /// Too many attempts. Please request a new code.
    CodeTooManyAttempts = "code.too_many_attempts", 400, "Too many attempts. Please request a new code.";
    /// Incorrect code.
    CodeIncorrect = "code.incorrect", 400, "Incorrect code.";
    /// A code was sent recently. Please wait before asking for a new one.
    CodeResendTooSoon = "code.resend_too_soon", 429, "A code was sent recently. Please wait before asking for a new one.";
    /// This username is already taken.
    UsernameTaken = "account.username_taken", 409, "This username is already taken.";
    /// This username is reserved. Please contact support for the available options.
    UsernameReserved = "account.username_reserved", 409, "This username is reserved. Please contact support for the available options.";
    /// This time zone is not known.
    TimezoneInvalid = "account.timezone_invalid", 400, "This time zone is not known.";
    /// Too many requests. Please slow down.
    RateLimited = "request.rate_limited", 429, "Too many requests. Please slow down.";
    /// The server is busy. Please try again in a moment.
    Busy = "server.busy", 503, "The server is busy. Please try again in a moment.";
    /// This help article or category does not exist (any more).
    HelpNotFound = "help.not_found", 404, "This help article does not exist (any more).";
    /// The offline help could not be read or saved.
    HelpCacheFailed = "help.cache_failed", 500, "The offline help could not be read or saved.";
    /// Two-step verification is already on.
    TwoFactorAlreadyEnabled = "two_factor.already_enabled", 409, "Two-step verification is already on.";
    /// Two-step verification is not on.
    TwoFactorNotEnabled = "two_factor.not_enabled", 409, "Two-step verification is not on.";
    /// The set-up has expired or was not started. Please start again.
    TwoFactorSetupMissing = "two_factor.setup_missing", 400, "The set-up has expired or was not started. Please start again.";
    /// The code is incorrect. Check that your device's clock is right and try the newest code.
    TwoFactorCodeIncorrect = "two_factor.code_incorrect", 400, "The code is incorrect. Check that your device's clock is right and try the newest code.";
    /// This code was already used. Wait for the next code in your app.
    TwoFactorCodeUsed = "two_factor.code_used", 400, "This code was already used. Wait for the next code in your app.";
    /// The sign-in took too long. Please sign in again.
    TwoFactorChallengeExpired = "two_factor.challenge_expired", 401, "The sign-in took too long. Please sign in again.";
    /// This session does not exist or has already ended.
    SessionNotFound = "session.not_found", 404, "This session does not exist or has already ended.";
    /// This is the device you are using. Sign out instead.
    SessionIsCurrent = "session.is_current", 409, "This is the device you are using. Sign out instead.";
    /// This security event does not exist.
    SecurityEventNotFound = "security_event.not_found", 404, "This security event does not exist.";
    /// This API client does not exist (any more).
    ApiClientNotFound = "api_client.not_found", 404, "This API client does not exist (any more).";
    /// You already have an API client with this name.
    ApiClientNameTaken = "api_client.name_taken", 409, "You already have an API client with this name.";
    /// You have the maximum number of API clients. Delete one first.
    ApiClientLimit = "api_client.limit", 409, "You have the maximum number of API clients. Delete one first.";
    /// This API client is disabled.
    ApiClientDisabled = "api_client.disabled", 403, "This API client is disabled.";
    /// Too many live connections for this session or account.
    RealtimeTooManySockets = "realtime.too_many_sockets", 429, "Too many live connections for this session. Close another window of the app and try again.";
    /// The file could not be saved.
    FileSaveFailed = "file.save_failed", 500, "The file could not be saved.";
    /// Confirm your password to continue (a sensitive change needs the password within the
    /// last 10 minutes).
    ReauthRequired = "auth.reauth_required", 403, "Confirm your password to continue.";
    /// The server at this address did not answer.
    ServerUnreachable = "settings.server_unreachable", 400, "The server at this address did not answer. Check the address and try again.";
    /// This address does not belong to an XWMS server.
    NotXwmsServer = "settings.not_xwms_server", 400, "This address does not belong to an XWMS server.";
    // Any code this version does not know decodes as this one.
    /// No such conversation for this caller (another account's conversation answers the same).
    ConversationNotFound = "support.not_found", 404, "This conversation does not exist or is not yours.";
    /// A reply to a conversation resolved or closed more than 7 days ago.
    ConversationClosed = "support.conversation_closed", 409, "This conversation was closed more than 7 days ago. Please start a new one.";
    /// A message over 10,000 characters.
    MessageTooLong = "support.message_too_long", 400, "The message is too long (at most 10,000 characters).";
    /// A message with neither text nor attachments.
    MessageEmpty = "support.message_empty", 400, "Write a message or attach a file.";
    /// More messages than the per-account rate allows.
    MessageRateLimited = "support.rate_limited", 429, "You are sending messages too quickly. Please wait a moment.";
    /// An attachment over 5 MB.
    AttachmentTooLarge = "support.attachment_too_large", 413, "The file is too large (at most 5 MB).";
    /// An attachment that is not a PNG, JPEG or PDF by its content.
    AttachmentType = "support.attachment_type", 415, "Only PNG and JPEG images and PDF files can be attached.";
    /// An attachment id that is unknown, of another conversation, or already sent.
    AttachmentNotFound = "support.attachment_not_found", 404, "This attachment does not exist (any more).";
    /// More uploads waiting for a new conversation than an account may keep
    /// (`support::UPLOADS_PENDING_MAX` files or `support::UPLOADS_PENDING_MAX_BYTES` bytes).
    UploadsFull = "support.uploads_full", 409, "Too many files are waiting to be sent. Start your conversation with the files already added, or try again tomorrow.";
    /// Rating a conversation that is still open, or a rating outside 1–5.
    RatingNotAllowed = "support.rating_not_allowed", 409, "You can rate a conversation once it is resolved or closed.";
    /// A support-team route called by an account without the support role.
    NotAgent = "support.not_agent", 403, "This is only for the support team.";
    /// A support-team route that only an admin may use, called by an agent.
    AdminOnly = "agent.admin_only", 403, "Only an administrator can do this.";
    /// A guest token that is unknown or expired.
    GuestAccessExpired = "support.guest_expired", 401, "This access to your case has expired. Ask for a new code.";
    /// Claiming a conversation another agent holds already (`holder` in the data says who).
    AlreadyClaimed = "agent.already_claimed", 409, "Another agent has already taken this conversation.";
    @other Unknown = "unknown", 500, "Something went wrong.";
}

decode_via_from_wire!(ErrorCode);

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
    pub code: ErrorCode,
    pub message: String,
    // Boxed: the facts are rare, and an error travels in every `Result` (clippy's
    // `result_large_err`); the wire form is the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Box<crate::auth::ErrorData>>,
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
