//! The XWMS client as the desktop app holds it: settings, the connection to the server they
//! name, and the account session with that server. The Tauri commands are thin wrappers
//! around these methods.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::account::{AccountSession, AppIdentity};
use crate::connection::{ConnectionMonitor, ConnectionState, PollPolicy};
use crate::help::HelpCache;
use crate::i18n::Lang;
use crate::settings::{validate_server_url, Language, Settings, SettingsStore};
use crate::token_store::{SecretStore, TokenStore, DEFAULT_SERVICE};
use crate::CoreError;

pub struct Client {
    store: SettingsStore,
    settings: Mutex<Settings>,
    connection: Arc<ConnectionMonitor>,
    account: Arc<AccountSession>,
    help: Arc<HelpCache>,
}

/// The language code (`en`, `nl`, `fr`) the server writes a person's mail in.
pub fn mail_language(language: Language) -> String {
    match Lang::resolve(language) {
        Lang::En => "en",
        Lang::Nl => "nl",
        Lang::Fr => "fr",
    }
    .to_string()
}

impl Client {
    /// Opens the client whose settings live in `data_dir`, with its tokens in the OS keychain
    /// under [`DEFAULT_SERVICE`]. When `server_override` is a valid URL (the `XWMS_SERVER_URL`
    /// of a launch) it replaces the saved server URL and is saved; an invalid one is ignored
    /// with a warning, so a bad launch flag never stops the app.
    pub fn open(
        data_dir: &Path,
        product: &str,
        server_override: Option<&str>,
    ) -> Result<Self, CoreError> {
        Self::open_with_store(
            data_dir,
            product,
            server_override,
            Arc::new(TokenStore::new(DEFAULT_SERVICE)),
        )
    }

    /// [`Client::open`] with the secret store given (the keychain in the product).
    pub fn open_with_store(
        data_dir: &Path,
        product: &str,
        server_override: Option<&str>,
        secrets: Arc<dyn SecretStore>,
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
        let account = AccountSession::new(
            &settings.server_url,
            data_dir,
            AppIdentity {
                app: product.to_string(),
                keychain_service: DEFAULT_SERVICE.to_string(),
            },
            secrets,
        )?;
        account.set_language(Some(mail_language(settings.language)));
        let help = Arc::new(HelpCache::open(data_dir)?);
        Ok(Self {
            store,
            settings: Mutex::new(settings),
            connection,
            account: Arc::new(account),
            help,
        })
    }

    /// The person's account with the current server. Shared, so the app can spawn its
    /// realtime channel: `spawn(Arc::clone(client.account()).run_realtime())`.
    pub fn account(&self) -> &Arc<AccountSession> {
        &self.account
    }

    /// The help center, offline first.
    pub fn help(&self) -> &Arc<HelpCache> {
        &self.help
    }

    /// An API client for the current server (for one-off calls such as a help sync).
    pub fn api(&self, product: &str) -> Result<crate::api_client::ApiClient, CoreError> {
        crate::api_client::ApiClient::new(&self.settings().server_url, product)
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().expect("settings lock").clone()
    }

    /// Validates and saves; on a new server URL the connection starts over against it and
    /// the account session is signed out of the old server (its keychain entry stays for a
    /// return). On error nothing changes, on disk or in memory.
    pub async fn save_settings(&self, next: &Settings) -> Result<Settings, CoreError> {
        let (saved, server_changed) = {
            let mut current = self.settings.lock().expect("settings lock");
            let saved = self.store.save(next)?;
            let changed = saved.server_url != current.server_url;
            if changed {
                self.connection.set_server(&saved.server_url)?;
            }
            *current = saved.clone();
            (saved, changed)
        };
        self.account
            .set_language(Some(mail_language(saved.language)));
        if server_changed {
            self.account.set_server(&saved.server_url).await?;
        }
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
    use crate::settings::Theme;
    use xwms_api::ErrorCode;

    fn open(dir: &Path, server_override: Option<&str>) -> Client {
        Client::open_with_store(
            dir,
            "test",
            server_override,
            Arc::new(crate::token_store::MemoryStore::default()),
        )
        .unwrap()
    }

    #[test]
    fn mail_language_follows_the_setting() {
        assert_eq!(mail_language(Language::Nl), "nl");
        assert_eq!(mail_language(Language::Fr), "fr");
        assert_eq!(mail_language(Language::En), "en");
    }

    #[test]
    fn override_is_saved_and_bad_override_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let c = open(dir.path(), Some("http://127.0.0.1:9999"));
        assert_eq!(c.settings().server_url, "http://127.0.0.1:9999/");
        assert!(c
            .account()
            .keychain_account()
            .ends_with(":http://127.0.0.1:9999/"));
        drop(c);
        let c = open(dir.path(), Some("ftp://bad"));
        assert_eq!(
            c.settings().server_url,
            "http://127.0.0.1:9999/",
            "kept the saved one"
        );
    }

    #[tokio::test]
    async fn bad_url_changes_nothing_and_new_url_resets_connection() {
        let dir = tempfile::tempdir().unwrap();
        let c = open(dir.path(), None);
        let before = c.settings();
        let err = c
            .save_settings(&Settings {
                server_url: "not a url".into(),
                language: Language::Fr,
                theme: Theme::Dark,
            })
            .await
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
            .await
            .unwrap();
        assert_eq!(c.connection_state().server_url, saved.server_url);
        assert!(c
            .account()
            .keychain_account()
            .ends_with(":http://127.0.0.1:1/"));
        assert_eq!(c.connection_state().status, ConnectionStatus::Unknown);
        assert_eq!(c.check_connection().await.status, ConnectionStatus::Offline);
    }
}
