//! The XWMS client as the desktop app holds it: settings, the connection to the server they
//! name, and the account session with that server. The Tauri commands are thin wrappers
//! around these methods.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::account::{AccountEvent, AccountSession, AppIdentity};
use crate::connection::{ConnectionMonitor, ConnectionState, PollPolicy};
use crate::files::SavedFiles;
use crate::help::{HelpCache, HelpStatus, HelpSyncer, SyncReport};
use crate::secret::Secret;
use crate::settings::{validate_server_url, LanguageSetting, Settings, SettingsStore};
use crate::support::{Support, SupportUpdate};
use crate::token_store::{SecretStore, TokenStore, DEFAULT_SERVICE};
use crate::CoreError;
use xwms_api::ErrorCode;
use xwms_api::Language;

pub struct Client {
    store: SettingsStore,
    settings: Mutex<Settings>,
    connection: Arc<ConnectionMonitor>,
    account: Arc<AccountSession>,
    help: Arc<HelpCache>,
    support: Arc<Support>,
    product: String,
    /// Everything the background work reports, as one stream ([`Client::start`]).
    events: broadcast::Sender<ClientEvent>,
    started: AtomicBool,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    saved_files: SavedFiles,
}

/// What the client's background work reports (see [`Client::start`]): the shell forwards
/// each to the UI (and shows a notification for a new sign-in).
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// The server went online or offline, or its facts changed.
    Connection(ConnectionState),
    /// The session or account changed, an alert or a security change arrived.
    Account(AccountEvent),
    /// The offline help changed.
    Help(HelpStatus),
    /// A support conversation changed, someone types, or the outbox sent or failed a message.
    Support(SupportUpdate),
}

/// The language code (`en`, `nl`, `fr`) the server writes a person's mail in.
pub fn mail_language(language: LanguageSetting) -> String {
    language.resolve().as_str().to_string()
}

impl Drop for Client {
    fn drop(&mut self) {
        self.stop();
    }
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
        let account = Arc::new(AccountSession::new(
            &settings.server_url,
            data_dir,
            AppIdentity {
                app: product.to_string(),
                keychain_service: DEFAULT_SERVICE.to_string(),
            },
            secrets,
        )?);
        account.set_language(Some(mail_language(settings.language)));
        let help = Arc::new(HelpCache::open(data_dir)?);
        let support = Arc::new(Support::open(data_dir, Arc::clone(&account))?);
        let (events, _) = broadcast::channel(64);
        Ok(Self {
            store,
            settings: Mutex::new(settings),
            connection,
            account,
            help,
            support,
            product: product.to_string(),
            events,
            started: AtomicBool::new(false),
            tasks: Mutex::new(Vec::new()),
            saved_files: SavedFiles::default(),
        })
    }

    /// Starts the client's background work, once, on the current tokio runtime (see
    /// [`Client::start_on`]).
    pub fn start(&self) -> broadcast::Receiver<ClientEvent> {
        self.start_on(&tokio::runtime::Handle::current())
    }

    /// Starts the client's background work on `runtime`, once: the connection monitor, the
    /// realtime channel, the help sync (with its feedback outbox) and the sign-out outbox, and
    /// returns the one stream of what they report. Idempotent: a second call starts nothing
    /// and only subscribes (two realtime tasks would deliver every alert twice). The tasks
    /// stop when the client is dropped.
    pub fn start_on(&self, runtime: &tokio::runtime::Handle) -> broadcast::Receiver<ClientEvent> {
        let receiver = self.events.subscribe();
        if self.started.swap(true, Ordering::SeqCst) {
            return receiver;
        }
        let mut tasks = self.tasks.lock().expect("tasks lock");
        tasks.push(runtime.spawn(Arc::clone(&self.connection).run()));
        tasks.push(runtime.spawn(Arc::clone(&self.account).run_realtime()));
        tasks.push(runtime.spawn(HelpSyncer::run(
            Arc::clone(&self.help),
            self.connection.subscribe(),
            self.product.clone(),
        )));
        tasks
            .push(runtime.spawn(
                Arc::clone(&self.account).run_sign_out_outbox(Arc::clone(&self.connection)),
            ));
        tasks.push(
            runtime.spawn(Arc::clone(&self.support).run_outbox(Arc::clone(&self.connection))),
        );
        tasks.push(runtime.spawn(Arc::clone(&self.support).run_events()));
        // One stream out of the four sources.
        let (events, mut changes) = (self.events.clone(), self.connection.subscribe());
        tasks.push(runtime.spawn(async move {
            while changes.changed().await.is_ok() {
                let state = changes.borrow_and_update().clone();
                let _ = events.send(ClientEvent::Connection(state));
            }
        }));
        let (events, mut account) = (self.events.clone(), self.account.subscribe());
        tasks.push(runtime.spawn(async move {
            use broadcast::error::RecvError;
            loop {
                match account.recv().await {
                    Ok(event) => {
                        let _ = events.send(ClientEvent::Account(event));
                    }
                    Err(RecvError::Lagged(n)) => tracing::warn!("{n} account events dropped"),
                    Err(RecvError::Closed) => break,
                }
            }
        }));
        let (events, mut help) = (self.events.clone(), self.help.subscribe());
        tasks.push(runtime.spawn(async move {
            use broadcast::error::RecvError;
            loop {
                match help.recv().await {
                    Ok(status) => {
                        let _ = events.send(ClientEvent::Help(status));
                    }
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                }
            }
        }));
        let (events, mut support) = (self.events.clone(), self.support.subscribe());
        tasks.push(runtime.spawn(async move {
            use broadcast::error::RecvError;
            loop {
                match support.recv().await {
                    Ok(update) => {
                        let _ = events.send(ClientEvent::Support(update));
                    }
                    Err(RecvError::Lagged(n)) => tracing::warn!("{n} support updates dropped"),
                    Err(RecvError::Closed) => break,
                }
            }
        }));
        receiver
    }

    /// Stops the background work started by [`Client::start`] (the app calls it on exit; a
    /// dropped client stops too). What the outboxes hold stays on disk or in the keychain and
    /// is sent after the next start.
    pub fn stop(&self) {
        for task in self.tasks.lock().expect("tasks lock").drain(..) {
            task.abort();
        }
    }

    /// The person's account with the current server (its background work runs from
    /// [`Client::start`]).
    pub fn account(&self) -> &Arc<AccountSession> {
        &self.account
    }

    /// Live support: conversations, the outbox, guest cases.
    pub fn support(&self) -> &Arc<Support> {
        &self.support
    }

    /// The help center, offline first.
    pub fn help(&self) -> &Arc<HelpCache> {
        &self.help
    }

    /// An API client for the current server (for one-off calls such as a help sync).
    fn api(&self) -> Result<crate::api_client::ApiClient, CoreError> {
        crate::api_client::ApiClient::new(&self.settings().server_url, &self.product)
    }

    /// "Was this helpful?": queued in the offline help at once (so it is never lost), then
    /// sent with everything else queued if the server answers; offline it waits for the help
    /// sync of the next connection. Fails only for an article that does not exist.
    pub async fn help_feedback(
        &self,
        lang: Language,
        key: &str,
        helpful: bool,
    ) -> Result<(), CoreError> {
        self.help.queue_feedback(key, lang, helpful)?;
        if let Ok(api) = self.api() {
            if let Err(e) = self.help.flush_feedback(&api).await {
                tracing::info!(code = %e.code, "help feedback queued until online");
            }
        }
        Ok(())
    }

    /// Syncs the offline help with the current server now.
    pub async fn help_sync(&self) -> Result<SyncReport, CoreError> {
        let api = self.api()?;
        self.help.sync(&api).await
    }

    /// Writes the recovery codes, as the text the person can print or store (in the app's
    /// language), to a new file `xwms-recovery-codes-<date>.txt` in `dir` (their Downloads
    /// folder); a taken name gets a suffix, and the file is readable by its owner only.
    pub async fn save_recovery_codes(
        &self,
        dir: &Path,
        codes: &[Secret],
        generated_at: &str,
    ) -> Result<std::path::PathBuf, CoreError> {
        let account = self
            .account
            .current_account()
            .await
            .map(|a| a.email)
            .unwrap_or_default();
        let lang = self.settings().language.resolve();
        let text = crate::account::recovery_codes_text(codes, &account, generated_at, lang);
        let date = generated_at.get(..10).unwrap_or("codes");
        self.saved_files
            .save_new(dir, &format!("xwms-recovery-codes-{date}"), text.as_bytes())
            .map_err(|e| {
                CoreError::new(ErrorCode::FileSaveFailed)
                    .with_detail(format!("could not save in {}: {e}", dir.display()))
            })
    }

    /// Saves attachment `attachment_id` of conversation `id` as a new file in `dir` (the
    /// Downloads folder): named after `file_name` (made safe), with the extension of its
    /// checked content type; a taken name gets a suffix. "Show in folder" reveals it.
    pub async fn save_support_attachment(
        &self,
        dir: &Path,
        id: &str,
        attachment_id: &str,
        file_name: &str,
    ) -> Result<std::path::PathBuf, CoreError> {
        let (bytes, content_type) = self.support.download_attachment(id, attachment_id).await?;
        let stem = crate::support::safe_file_stem(file_name);
        let extension = crate::support::extension_for(content_type);
        self.saved_files
            .save_new_as(dir, &stem, extension, &bytes)
            .map_err(|e| {
                CoreError::new(ErrorCode::FileSaveFailed)
                    .with_detail(format!("could not save in {}: {e}", dir.display()))
            })
    }

    /// Whether the app saved the file at `path` in this run ("Show in folder" reveals only
    /// those).
    pub fn saved_file(&self, path: &Path) -> bool {
        self.saved_files.contains(path)
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().expect("settings lock").clone()
    }

    /// Validates and saves. A new server URL is first checked (its `/api/info` must answer as
    /// an XWMS server: `settings.server_unreachable` or `settings.not_xwms_server` otherwise,
    /// and nothing changes); then the connection starts over against it and the account is
    /// signed out of the old server (the sign-out queued until that server answers, see
    /// [`AccountSession::sign_out`]). On error nothing changes, on disk or in memory.
    pub async fn save_settings(&self, next: &Settings) -> Result<Settings, CoreError> {
        let current_url = self.settings().server_url;
        if let Ok(url) = validate_server_url(&next.server_url) {
            if url.as_str() != current_url {
                self.check_server(url.as_str()).await?;
            }
        }
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
            self.support.server_changed()?;
        }
        Ok(saved)
    }

    /// Moves the app to the XWMS server at `server_url` (the other settings stay): checked,
    /// saved, and signed out of the old server, as [`Client::save_settings`] does.
    pub async fn change_server(&self, server_url: &str) -> Result<Settings, CoreError> {
        let next = Settings {
            server_url: server_url.to_string(),
            ..self.settings()
        };
        self.save_settings(&next).await
    }

    /// Whether `server_url` is an XWMS server that answers: its facts from `/api/info`, or
    /// `settings.invalid_url` (and the other URL codes), `settings.server_unreachable` (no
    /// answer), `settings.not_xwms_server` (an answer that is not XWMS's `/api/info`).
    pub async fn check_server(
        &self,
        server_url: &str,
    ) -> Result<crate::connection::ServerSummary, CoreError> {
        let url = validate_server_url(server_url)?;
        let policy = PollPolicy::default();
        let api = crate::api_client::ApiClient::with_options(
            url.as_str(),
            &self.product,
            crate::api_client::Timeouts {
                connect: policy.timeout,
                request: policy.timeout,
            },
            crate::api_client::RetryPolicy::none(),
        )?;
        match api.info().await {
            Ok(info) => Ok(info.into()),
            Err(e) => {
                let code = match e.code {
                    ErrorCode::Offline
                    | ErrorCode::Timeout
                    | ErrorCode::Unavailable
                    | ErrorCode::Internal => ErrorCode::ServerUnreachable,
                    _ => ErrorCode::NotXwmsServer,
                };
                let detail = format!("{}: {}", e.code, e.detail.unwrap_or(e.message));
                Err(CoreError::new(code).with_detail(detail))
            }
        }
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

    #[tokio::test]
    async fn stop_ends_every_background_task() {
        let dir = tempfile::tempdir().unwrap();
        let c = open(dir.path(), Some("http://127.0.0.1:9/"));
        let _events = c.start();
        let running: Vec<tokio::task::AbortHandle> = c
            .tasks
            .lock()
            .unwrap()
            .iter()
            .map(|t| t.abort_handle())
            .collect();
        assert!(running.len() >= 4, "{} tasks", running.len());
        assert!(running.iter().all(|t| !t.is_finished()));
        c.stop();
        tokio::time::timeout(std::time::Duration::from_secs(5), async {
            while !running.iter().all(|t| t.is_finished()) {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("every task ends after stop");
    }

    #[test]
    fn mail_language_follows_the_setting() {
        assert_eq!(mail_language(LanguageSetting::Nl), "nl");
        assert_eq!(mail_language(LanguageSetting::Fr), "fr");
        assert_eq!(mail_language(LanguageSetting::En), "en");
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
    async fn a_bad_or_unreachable_url_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let c = open(dir.path(), None);
        let before = c.settings();
        let err = c
            .save_settings(&Settings {
                server_url: "not a url".into(),
                language: LanguageSetting::Fr,
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

        // An address where nothing answers is refused, and nothing changes.
        let err = c
            .save_settings(&Settings {
                server_url: "http://127.0.0.1:1".into(),
                language: LanguageSetting::Nl,
                theme: Theme::Light,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::ServerUnreachable);
        assert_eq!(c.settings(), before);
        assert_eq!(c.connection_state().server_url, before.server_url);
    }
}

/// The client's background work against the real server in-process on loopback.
#[cfg(test)]
mod started {
    use std::time::Duration;

    use xwms_testkit::{TestServer, ANNA};

    use super::*;
    use crate::account::SignInOutcome;
    use crate::secret::Secret;
    use crate::token_store::MemoryStore;

    fn identity() -> AppIdentity {
        AppIdentity {
            app: "xwms-core-test".into(),
            keychain_service: "nl.xwms.test".into(),
        }
    }

    /// Anna signed in on another installation (its own data folder and keychain) of `url`.
    async fn signed_in_elsewhere(url: &str) -> (AccountSession, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let session = AccountSession::new(
            url,
            dir.path(),
            identity(),
            Arc::new(MemoryStore::default()),
        )
        .unwrap();
        session
            .sign_in(ANNA.email, Secret::new(ANNA.password))
            .await
            .unwrap();
        (session, dir)
    }

    /// The next `NewSignIn` on `events`, within 10 s; every other event is skipped.
    async fn next_alert(
        events: &mut broadcast::Receiver<ClientEvent>,
    ) -> xwms_api::security::SecurityEventInfo {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Err(_) => panic!("no NewSignIn within 10 s"),
                Ok(Ok(ClientEvent::Account(AccountEvent::NewSignIn(event)))) => return event,
                Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                Ok(Err(broadcast::error::RecvError::Closed)) => panic!("stream closed"),
            }
        }
    }

    #[tokio::test]
    async fn started_twice_the_client_delivers_each_alert_once() {
        let server = tokio::task::spawn_blocking(TestServer::start)
            .await
            .unwrap();
        let url = format!("{}/", server.url());
        let dir = tempfile::tempdir().unwrap();
        let client = Client::open_with_store(
            dir.path(),
            "test",
            Some(&url),
            Arc::new(MemoryStore::default()),
        )
        .unwrap();
        let mut events = client.start();
        let mut second = client.start(); // a no-op: nothing starts twice
        while !client.account().realtime_task_running() {
            tokio::task::yield_now().await; // the client's own task claims the channel
        }
        // The shell's old mistake, a realtime task spawned by hand next to the client's: it
        // returns at once instead of opening a second socket.
        tokio::time::timeout(
            Duration::from_secs(5),
            Arc::clone(client.account()).run_realtime(),
        )
        .await
        .expect("a second realtime task returns at once");

        let outcome = client
            .account()
            .sign_in(ANNA.email, Secret::new(ANNA.password))
            .await
            .unwrap();
        assert!(matches!(outcome, SignInOutcome::SignedIn { .. }));
        let mut open = client.account().subscribe_realtime();
        tokio::time::timeout(Duration::from_secs(10), open.wait_for(|c| *c))
            .await
            .expect("the channel opens")
            .unwrap();

        // Three sign-ins from new installations: three alerts, each exactly once (a duplicate
        // of an alert would arrive before the next sign-in's alert).
        let mut others = Vec::new();
        let mut alerts = Vec::new();
        for _ in 0..3 {
            let (other, other_dir) = signed_in_elsewhere(&url).await;
            let id = other.session_id().await.unwrap();
            loop {
                let alert = next_alert(&mut events).await;
                let this_one = alert.session_id.as_deref() == Some(id.as_str());
                alerts.push(alert.session_id.unwrap_or_default());
                if this_one {
                    break;
                }
            }
            others.push((other, other_dir, id));
        }
        let ids: Vec<String> = others.iter().map(|(_, _, id)| id.clone()).collect();
        assert_eq!(alerts, ids, "one NewSignIn per alert, in order");
        // The second subscriber saw the same stream, not a second copy of the work.
        let mut seen = Vec::new();
        while let Ok(event) = second.try_recv() {
            if let ClientEvent::Account(AccountEvent::NewSignIn(e)) = event {
                seen.push(e.session_id.unwrap_or_default());
            }
        }
        assert_eq!(seen[..2], ids[..2]);
        drop(client);
        drop(server);
    }

    /// A web server that is not XWMS (`/api/info` is a plain 404 page).
    async fn not_xwms() -> String {
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/")
    }

    #[tokio::test]
    async fn changing_the_server_checks_it_and_signs_out_of_the_old_one() {
        let old = tokio::task::spawn_blocking(TestServer::start)
            .await
            .unwrap();
        let new = tokio::task::spawn_blocking(TestServer::start)
            .await
            .unwrap();
        let (old_url, new_url) = (format!("{}/", old.url()), format!("{}/", new.url()));
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemoryStore::default());
        let client =
            Client::open_with_store(dir.path(), "test", Some(&old_url), store.clone()).unwrap();
        let _events = client.start();
        client
            .account()
            .sign_in(ANNA.email, Secret::new(ANNA.password))
            .await
            .unwrap();
        let app_session = client.account().session_id().await.unwrap();
        let (other, _other_dir) = signed_in_elsewhere(&old_url).await;

        // Refused, with nothing changed: an address where nothing answers, one that is not XWMS.
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        for (url, code) in [
            (format!("http://{free}/"), ErrorCode::ServerUnreachable),
            (not_xwms().await, ErrorCode::NotXwmsServer),
            ("not a url".to_string(), ErrorCode::InvalidUrl),
        ] {
            let err = client.change_server(&url).await.unwrap_err();
            assert_eq!(err.code, code, "{url}");
            assert_eq!(client.settings().server_url, old_url);
            assert_eq!(
                client.account().session_id().await,
                Some(app_session.clone())
            );
        }
        assert_eq!(
            client.check_server(&new_url).await.unwrap().name,
            "XWMS Test"
        );

        // A real XWMS server: saved, signed out here, and the old server's session ended.
        let saved = client.change_server(&new_url).await.unwrap();
        assert_eq!(saved.server_url, new_url);
        assert_eq!(client.connection_state().server_url, new_url);
        assert!(!client.account().is_signed_in().await);
        let listed = other.sessions().await.unwrap().sessions;
        assert!(
            listed.iter().all(|s| s.id != app_session),
            "the old server's session is revoked"
        );
        assert_eq!(store.len(), 0, "no session or queued sign-out left behind");
    }
}
