//! Links a person follows out of the app.

use url::Url;
use xwms_api::ErrorCode;

use crate::CoreError;

/// Checks a link before it is handed to the system browser or mail client: only `https`,
/// `http` and `mailto` leave the app; `file:`, `javascript:`, custom schemes and anything
/// unparseable are refused with `settings.unsupported_scheme` / `settings.invalid_url`.
pub fn external_url(input: &str) -> Result<Url, CoreError> {
    let url = Url::parse(input.trim())
        .map_err(|e| CoreError::new(ErrorCode::InvalidUrl).with_detail(e.to_string()))?;
    match url.scheme() {
        "https" | "http" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(url),
        "mailto" => Ok(url),
        "https" | "http" => Err(CoreError::new(ErrorCode::InvalidUrl)),
        _ => Err(CoreError::new(ErrorCode::UnsupportedScheme)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_links_leave_the_app() {
        assert!(external_url("https://xwms.nl/sign").is_ok());
        assert!(external_url("mailto:support@xwms.nl").is_ok());
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "xwms://x",
            "vbscript:x",
            "smb://host/share",
        ] {
            assert_eq!(
                external_url(bad).unwrap_err().code,
                ErrorCode::UnsupportedScheme,
                "{bad}"
            );
        }
        assert_eq!(
            external_url("/account").unwrap_err().code,
            ErrorCode::InvalidUrl
        );
    }
}
