//! The app's settings, persisted as JSON in the app data dir.
//!
//! Writes are atomic (temp file + rename), so a crash never leaves half a file. A settings
//! file that cannot be parsed is kept aside as `settings.json.bad` and defaults are used: the
//! app must always start.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;
use xwms_api::ErrorCode;
use xwms_api::Language;

use crate::CoreError;

/// Where the reference server listens by default.
pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:8787/";
/// Longest server URL accepted.
pub const MAX_URL_LEN: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum LanguageSetting {
    /// Follow the operating system's language.
    #[default]
    System,
    En,
    Nl,
    Fr,
}

impl LanguageSetting {
    /// The language to speak: the one chosen, or for `System` the OS locale (`LC_ALL`,
    /// `LC_MESSAGES`, `LANG`; English when none is Dutch or French).
    pub fn resolve(self) -> Language {
        match self {
            LanguageSetting::En => Language::En,
            LanguageSetting::Nl => Language::Nl,
            LanguageSetting::Fr => Language::Fr,
            LanguageSetting::System => ["LC_ALL", "LC_MESSAGES", "LANG"]
                .iter()
                .filter_map(|k| std::env::var(k).ok())
                .find(|v| !v.is_empty())
                .and_then(|v| Language::from_tag(&v))
                .unwrap_or_default(),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "system" => Some(Self::System),
            "en" => Some(Self::En),
            "nl" => Some(Self::Nl),
            "fr" => Some(Self::Fr),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Follow the operating system's light/dark preference.
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Settings {
    /// Base URL of the XWMS server, normalised by [`validate_server_url`].
    pub server_url: String,
    pub language: LanguageSetting,
    pub theme: Theme,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            server_url: DEFAULT_SERVER_URL.to_string(),
            language: LanguageSetting::System,
            theme: Theme::System,
        }
    }
}

/// Checks a server URL a person typed and returns it normalised.
///
/// Accepted: absolute `http` or `https` URLs with a host and no user name or password.
/// Surrounding whitespace is ignored. Query and fragment are dropped; the path is kept (a
/// server may live under a prefix) and always ends in `/` so API paths join below it.
pub fn validate_server_url(input: &str) -> Result<Url, CoreError> {
    let trimmed = input.trim();
    if trimmed.is_empty()
        || trimmed.len() > MAX_URL_LEN
        || trimmed.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(CoreError::new(ErrorCode::InvalidUrl));
    }
    let mut url = match Url::parse(trimmed) {
        Ok(url) => url,
        // "example.com" or "127.0.0.1:8787": the scheme is what is missing.
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            return Err(CoreError::new(ErrorCode::UnsupportedScheme))
        }
        Err(e) => return Err(CoreError::new(ErrorCode::InvalidUrl).with_detail(e.to_string())),
    };
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(CoreError::new(ErrorCode::UnsupportedScheme));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(CoreError::new(ErrorCode::InvalidUrl));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(CoreError::new(ErrorCode::UrlHasCredentials));
    }
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Loads and saves [`Settings`] in one JSON file.
#[derive(Debug, Clone)]
pub struct SettingsStore {
    path: PathBuf,
}

impl SettingsStore {
    /// A store whose file is `settings.json` in `data_dir`.
    pub fn in_dir(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join("settings.json"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved settings, or defaults when there are none or they cannot be read.
    pub fn load(&self) -> Settings {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Settings::default(),
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "settings unreadable; using defaults");
                return Settings::default();
            }
        };
        match serde_json::from_slice::<Settings>(&bytes) {
            Ok(s) if validate_server_url(&s.server_url).is_ok() => s,
            Ok(s) => Settings {
                server_url: DEFAULT_SERVER_URL.to_string(),
                ..s
            },
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "settings corrupt; kept aside, using defaults");
                let _ = std::fs::rename(&self.path, self.path.with_extension("json.bad"));
                Settings::default()
            }
        }
    }

    /// Validates and saves; returns what was saved (with the URL normalised). Nothing is
    /// written when validation fails.
    pub fn save(&self, settings: &Settings) -> Result<Settings, CoreError> {
        let url = validate_server_url(&settings.server_url)?;
        let saved = Settings {
            server_url: url.to_string(),
            ..settings.clone()
        };
        let storage = |e: std::io::Error| {
            CoreError::new(ErrorCode::SettingsStorage).with_detail(e.to_string())
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(storage)?;
        let tmp = self.path.with_extension("json.tmp");
        let json = serde_json::to_vec_pretty(&saved).expect("settings serialise");
        std::fs::write(&tmp, json).map_err(storage)?;
        std::fs::rename(&tmp, &self.path).map_err(storage)?;
        Ok(saved)
    }
}

/// The app's data dir: the same folder the desktop app uses (Tauri's `app_data_dir` for the
/// identifier `nl.xwms.desktop`), so the CLI and the app share settings. `XWMS_DATA_DIR`
/// overrides it (tests, several instances side by side).
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XWMS_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join(APP_IDENTIFIER)
}

/// The desktop app's bundle identifier.
pub const APP_IDENTIFIER: &str = "nl.xwms.desktop";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_url_table() {
        let ok = [
            ("http://127.0.0.1:8787", "http://127.0.0.1:8787/"),
            ("  https://xwms.nl  ", "https://xwms.nl/"),
            ("https://example.com/xwms", "https://example.com/xwms/"),
            ("https://example.com/x/?q=1#frag", "https://example.com/x/"),
            ("http://[::1]:8080/", "http://[::1]:8080/"),
        ];
        for (input, want) in ok {
            assert_eq!(
                validate_server_url(input).unwrap().as_str(),
                want,
                "{input}"
            );
        }
        let bad = [
            ("", ErrorCode::InvalidUrl),
            ("   ", ErrorCode::InvalidUrl),
            ("not a url", ErrorCode::InvalidUrl),
            ("127.0.0.1:8787", ErrorCode::UnsupportedScheme),
            ("localhost", ErrorCode::UnsupportedScheme),
            ("ftp://example.com", ErrorCode::UnsupportedScheme),
            ("file:///etc/passwd", ErrorCode::UnsupportedScheme),
            ("javascript:alert(1)", ErrorCode::UnsupportedScheme),
            ("http://", ErrorCode::InvalidUrl),
            ("http://user:pw@example.com", ErrorCode::UrlHasCredentials),
            ("http://user@example.com", ErrorCode::UrlHasCredentials),
            ("http://exa\nmple.com", ErrorCode::InvalidUrl),
            ("http://exa mple.com", ErrorCode::InvalidUrl),
        ];
        for (input, code) in bad {
            assert_eq!(
                validate_server_url(input).unwrap_err().code,
                code,
                "{input:?}"
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(
            validate_server_url(&long).unwrap_err().code,
            ErrorCode::InvalidUrl
        );
    }

    #[test]
    fn save_and_load_round_trip_in_a_real_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(&dir.path().join("nested"));
        assert_eq!(store.load(), Settings::default());
        let saved = store
            .save(&Settings {
                server_url: "http://localhost:9000".into(),
                language: LanguageSetting::Nl,
                theme: Theme::Dark,
            })
            .unwrap();
        assert_eq!(saved.server_url, "http://localhost:9000/");
        assert_eq!(store.load(), saved);
    }

    #[test]
    fn invalid_url_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        let good = store.save(&Settings::default()).unwrap();
        let err = store
            .save(&Settings {
                server_url: "ftp://nope".into(),
                ..good.clone()
            })
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::UnsupportedScheme);
        assert_eq!(store.load(), good);
    }

    #[test]
    fn corrupt_file_is_kept_aside_and_defaults_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::in_dir(dir.path());
        std::fs::write(store.path(), b"{not json").unwrap();
        assert_eq!(store.load(), Settings::default());
        assert!(dir.path().join("settings.json.bad").exists());
    }
}
