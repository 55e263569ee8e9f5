//! The XWMS client as the desktop app and the CLI hold it: settings plus the connection to the
//! server they name. The Tauri commands are thin wrappers around these methods.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::connection::{ConnectionMonitor, ConnectionState, PollPolicy};
use crate::settings::{validate_server_url, Settings, SettingsStore};
use crate::CoreError;

pub struct Client {
    store: SettingsStore,
    settings: Mutex<Settings>,
    connection: Arc<ConnectionMonitor>,
}

impl Client {
    /// Opens the client whose settings live in `data_dir`. When `server_override` is a valid
    /// URL (the `XWMS_SERVER_URL` of a launch) it replaces the saved server URL and is saved;
    /// an invalid one is ignored with a warning, so a bad launch flag never stops the app.
    pub fn open(
        data_dir: &Path,
        product: &str,
        server_override: Option<&str>,
    ) -> Result<Self, CoreError> {
        let store = SettingsStore::in_dir(data_dir);
        let mut settings = store.load();
        if let Some(url) = server_override.filter(|u| !u.trim().is_empty()) {
            match validate_server_url(url) {
                Ok(url) if url.as_str() != settings.server_url => {
                    settings = store.save(&Settings {
                        server_url: url.to_string(),
                        ..settings
                    })?;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(code = %e.code, "ignoring invalid server URL override"),
            }
        }
        let connection =
            ConnectionMonitor::new(&settings.server_url, product, PollPolicy::default())?;
        Ok(Self {
            store,
            settings: Mutex::new(settings),
            connection,
        })
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().expect("settings lock").clone()
    }

    /// Validates and saves; on a new server URL the connection starts over against it.
    /// On error nothing changes, on disk or in memory.
    pub fn save_settings(&self, next: &Settings) -> Result<Settings, CoreError> {
        let mut current = self.settings.lock().expect("settings lock");
        let saved = self.store.save(next)?;
        if saved.server_url != current.server_url {
            self.connection.set_server(&saved.server_url)?;
        }
        *current = saved.clone();
        Ok(saved)
    }

    pub fn connection(&self) -> &Arc<ConnectionMonitor> {
        &self.connection
    }

    pub fn connection_state(&self) -> ConnectionState {
        self.connection.current()
    }

    pub async fn check_connection(&self) -> ConnectionState {
        self.connection.check_now().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::ConnectionStatus;
    use crate::settings::{Language, Theme};
    use xwms_api::ErrorCode;

    #[test]
    fn override_is_saved_and_bad_override_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let c = Client::open(dir.path(), "test", Some("http://127.0.0.1:9999")).unwrap();
        assert_eq!(c.settings().server_url, "http://127.0.0.1:9999/");
        drop(c);
        let c = Client::open(dir.path(), "test", Some("ftp://bad")).unwrap();
        assert_eq!(
            c.settings().server_url,
            "http://127.0.0.1:9999/",
            "kept the saved one"
        );
    }

    #[tokio::test]
    async fn bad_url_changes_nothing_and_new_url_resets_connection() {
        let dir = tempfile::tempdir().unwrap();
        let c = Client::open(dir.path(), "test", None).unwrap();
        let before = c.settings();
        let err = c
            .save_settings(&Settings {
                server_url: "not a url".into(),
                language: Language::Fr,
                theme: Theme::Dark,
            })
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidUrl);
        assert_eq!(c.settings(), before);
        assert_eq!(
            SettingsStore::in_dir(dir.path()).load(),
            Settings::default()
        );

        let saved = c
            .save_settings(&Settings {
                server_url: "http://127.0.0.1:1".into(),
                language: Language::Nl,
                theme: Theme::Light,
            })
            .unwrap();
        assert_eq!(c.connection_state().server_url, saved.server_url);
        assert_eq!(c.connection_state().status, ConnectionStatus::Unknown);
        assert_eq!(c.check_connection().await.status, ConnectionStatus::Offline);
    }
}
