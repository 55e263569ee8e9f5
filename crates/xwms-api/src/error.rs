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

/// An error as it crosses a boundary (HTTP or IPC): a stable code and a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
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
