//! Links a person follows out of the app, and `xwms://` links that open a screen in it.

use serde::{Deserialize, Serialize};
use url::Url;
use xwms_api::ErrorCode;

use crate::CoreError;

/// The URL scheme the app registers with the operating system (`tauri.conf.json`,
/// `plugins.deep-link.desktop.schemes`): mail and help answers link back into the app with it.
pub const APP_SCHEME: &str = "xwms";

/// The longest `xwms://` link the app looks at; anything longer is refused unread.
const APP_LINK_MAX: usize = 256;

/// Where an `xwms://` link opens the app. A link only *opens a screen*: whatever a web page or
/// a mail makes the system hand to the app, it never signs in, sends, changes or deletes
/// anything, and the screen it opens checks access as if the person had navigated there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AppLink {
    /// `xwms://support/<conversation id>`: a support conversation (the unseen-reply mail,
    /// a reply notification).
    SupportConversation { conversation_id: String },
    /// `xwms://help/<article id>`: a help article (support's answers quote them).
    HelpArticle { article_id: String },
}

impl AppLink {
    /// The link in its `xwms://` form, as [`app_link`] reads it back.
    pub fn to_url(&self) -> String {
        match self {
            AppLink::SupportConversation { conversation_id } => {
                format!("{APP_SCHEME}://support/{conversation_id}")
            }
            AppLink::HelpArticle { article_id } => format!("{APP_SCHEME}://help/{article_id}"),
        }
    }
}

/// Reads an `xwms://` link the operating system handed to the app (a click in a mail or a
/// browser). Strict, because anyone can make a person's browser open one: only the two
/// shapes of [`AppLink`], an id of 1 to 64 letters, digits, `-` or `_`, no user, password,
/// port or query; a fragment is ignored. Anything else is `settings.invalid_url` (not ours
/// at all: `settings.unsupported_scheme`).
pub fn app_link(input: &str) -> Result<AppLink, CoreError> {
    let invalid = || CoreError::new(ErrorCode::InvalidUrl);
    if input.len() > APP_LINK_MAX {
        return Err(invalid());
    }
    let url = Url::parse(input.trim())
        .map_err(|e| CoreError::new(ErrorCode::InvalidUrl).with_detail(e.to_string()))?;
    if url.scheme() != APP_SCHEME {
        return Err(CoreError::new(ErrorCode::UnsupportedScheme));
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.port().is_some()
        || url.query().is_some()
    {
        return Err(invalid());
    }
    let path = url.path().strip_suffix('/').unwrap_or(url.path());
    let id = path
        .strip_prefix('/')
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .ok_or_else(invalid)?
        .to_owned();
    match url.host_str().map(str::to_ascii_lowercase).as_deref() {
        Some("support") => Ok(AppLink::SupportConversation {
            conversation_id: id,
        }),
        Some("help") => Ok(AppLink::HelpArticle { article_id: id }),
        _ => Err(invalid()),
    }
}

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
    fn app_links_open_a_conversation_or_an_article() {
        let support = AppLink::SupportConversation {
            conversation_id: "0f3a9c2e4b5d6e7f8091a2b3c4d5e6f7".into(),
        };
        assert_eq!(app_link(&support.to_url()).unwrap(), support);
        assert_eq!(
            app_link("xwms://support/0f3a9c2e4b5d6e7f8091a2b3c4d5e6f7/").unwrap(),
            support
        );
        assert_eq!(
            app_link("XWMS://Support/0f3a9c2e4b5d6e7f8091a2b3c4d5e6f7#reply").unwrap(),
            support,
            "scheme and host are case-insensitive, the fragment is ignored"
        );
        let help = AppLink::HelpArticle {
            article_id: "forgot-password".into(),
        };
        assert_eq!(app_link(&help.to_url()).unwrap(), help);
    }

    #[test]
    fn anything_else_a_page_could_hand_the_app_is_refused() {
        for bad in [
            "xwms://support/",
            "xwms://support",
            "xwms://support/a/b",
            "xwms://support/..%2F..%2Fetc",
            "xwms://support/%00",
            "xwms://support/abc?send=hello",
            "xwms://user:pw@support/abc",
            "xwms://support:8080/abc",
            "xwms://account/delete",
            "xwms://help/<script>",
            "xwms:support/abc",
            "xwms:///support/abc",
            "not a link",
        ] {
            assert_eq!(
                app_link(bad).unwrap_err().code,
                ErrorCode::InvalidUrl,
                "{bad}"
            );
        }
        let long = format!("xwms://support/{}", "a".repeat(65));
        assert_eq!(app_link(&long).unwrap_err().code, ErrorCode::InvalidUrl);
        let huge = format!("xwms://help/{}", "a".repeat(300));
        assert_eq!(app_link(&huge).unwrap_err().code, ErrorCode::InvalidUrl);
        for other in [
            "https://xwms.nl/support/abc",
            "file:///etc/passwd",
            "javascript:x",
        ] {
            assert_eq!(
                app_link(other).unwrap_err().code,
                ErrorCode::UnsupportedScheme,
                "{other}"
            );
        }
    }

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
