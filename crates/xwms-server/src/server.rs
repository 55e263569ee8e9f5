//! Starting and stopping: open the store, bind the socket, serve until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::accounts::policy::CONNECTIONS;
use crate::clock::Clock;
use crate::config::Settings;
use crate::mail::{FileMailer, Mailer};
use crate::state::{AppState, ServerInfo, Services};
use crate::store::{Store, StoreError};
use crate::{accounts, app, demo};

/// Folder of `<data-dir>` where mail is written when no SMTP server is configured.
pub const OUTBOX_DIR: &str = "outbox";
/// How long requests in flight may take to finish once the server is told to stop.
pub(crate) const SHUTDOWN_DRAIN: std::time::Duration = std::time::Duration::from_secs(30);
/// How often expired codes, failure records and tokens are pruned.
pub(crate) const HOUSEKEEPING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database in {dir}: {source}")]
    Store {
        dir: std::path::PathBuf,
        source: StoreError,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Keys(#[from] crate::secrets::KeyError),
    #[error("cannot seed the demo accounts: {0}")]
    Demo(#[from] accounts::hashing::HashError),
}

/// The mailer of a server without SMTP: `.eml` files in `<data-dir>/outbox`.
pub fn outbox_folder_mailer(settings: &Settings) -> Arc<dyn Mailer> {
    let from = crate::mail::parse_mailbox(crate::mail::DEFAULT_FROM)
        .expect("the default sender is a valid mailbox");
    Arc::new(FileMailer::new(settings.data_dir.join(OUTBOX_DIR), from))
}

/// A server with its store open and its socket bound, not yet serving.
pub struct Server {
    listener: TcpListener,
    state: AppState,
}

impl Server {
    /// Opens (and migrates) the store in `settings.data_dir`, seeds the demo data in demo mode,
    /// and binds `settings.listen`, with the production [`Services`] and mail written to
    /// `<data-dir>/outbox` (see [`Server::bind_with`] to choose).
    pub async fn bind(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Server, StartError> {
        let mailer = outbox_folder_mailer(settings);
        Server::bind_with(settings, Services::new(clock, mailer)).await
    }

    /// [`Server::bind`] with the given time, randomness, hash cost, mailer and second factor.
    pub async fn bind_with(settings: &Settings, services: Services) -> Result<Server, StartError> {
        let clock = Arc::clone(&services.clock);
        let random = Arc::clone(&services.random);
        let store_error = |source| StartError::Store {
            dir: settings.data_dir.clone(),
            source,
        };
        let data_dir = settings.data_dir.clone();
        let key_path = services
            .secret_key_file
            .clone()
            .unwrap_or_else(|| settings.data_dir.join(crate::secrets::KEY_FILE));
        let (store, keys) =
            tokio::task::spawn_blocking(move || open_with_keys(&data_dir, &key_path))
                .await
                .map_err(|err| store_error(err.into()))?
                .map_err(|err| match err {
                    OpenError::Store(source) => store_error(source),
                    OpenError::Keys(err) => StartError::Keys(err),
                })?;
        tracing::info!(via = %services.mailer.describe(), "mail");
        let state = AppState::new(
            store.clone(),
            services,
            ServerInfo::from_settings(settings),
            Arc::new(keys),
        );
        if settings.demo {
            let now = clock.now();
            let missing = store
                .call(|conn| demo::missing_accounts(conn))
                .await
                .map_err(store_error)?;
            let users =
                demo::users_for(&missing, state.accounts.hasher(), random.as_ref(), now).await?;
            let seed_random = Arc::clone(&random);
            let seeded = store
                .call(move |conn| demo::seed(conn, seed_random.as_ref(), now, &users))
                .await
                .map_err(store_error)?;
            tracing::info!(first_time = seeded.first_time, seeded_at = %seeded.seeded_at, "demo data ready");
        }
        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartError::Bind {
                    addr: settings.listen,
                    source,
                })?;
        Ok(Server { listener, state })
    }

    /// The address actually bound (the real port when `listen` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has a local address")
    }

    /// The state the server serves (its store, accounts and outbox).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Believe `X-Forwarded-For` from these reverse proxies (see [`crate::net`]).
    pub fn trust_proxies(&mut self, proxies: crate::net::TrustedProxies) {
        self.state.proxies = Arc::new(proxies);
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish and closes the
    /// store. Meanwhile a background task sends queued mail and another prunes expired records.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let store = self.state.store.clone();
        let mail_task = tokio::spawn(Arc::clone(&self.state.outbox).run());
        let housekeeping_task =
            tokio::spawn(housekeeping(store.clone(), Arc::clone(&self.state.clock)));
        let support_mail_task = tokio::spawn(support_mail(Arc::clone(&self.state.accounts)));
        crate::connections::serve(
            self.listener,
            app(self.state),
            CONNECTIONS,
            shutdown,
            SHUTDOWN_DRAIN,
        )
        .await;
        mail_task.abort();
        housekeeping_task.abort();
        support_mail_task.abort();
        let _ = mail_task.await;
        let _ = housekeeping_task.await;
        let _ = support_mail_task.await;
        store.close();
        tracing::info!("stopped");
        Ok(())
    }
}

enum OpenError {
    Store(StoreError),
    Keys(crate::secrets::KeyError),
}

/// Opens (and migrates) the store, then loads the server key (made on first start) and seals
/// what is still plain ([`crate::secrets::load_and_prepare`]). Blocking.
fn open_with_keys(
    data_dir: &std::path::Path,
    key_path: &std::path::Path,
) -> Result<(Store, crate::secrets::SecretKeys), OpenError> {
    let store = Store::open_in(data_dir).map_err(OpenError::Store)?;
    let mut keys = None;
    store
        .blocking(|conn| {
            keys = Some(crate::secrets::load_and_prepare(conn, key_path));
            Ok(())
        })
        .map_err(OpenError::Store)?;
    match keys {
        Some(Ok(keys)) => Ok((store, keys)),
        Some(Err(err)) => {
            store.close();
            Err(OpenError::Keys(err))
        }
        None => unreachable!("the closure ran"),
    }
}

async fn housekeeping(store: Store, clock: Arc<dyn Clock>) {
    loop {
        let now = clock.now();
        match store
            .call(move |conn| accounts::housekeeping::prune(conn, now))
            .await
        {
            Ok(pruned) => tracing::debug!(?pruned, "pruned expired records"),
            Err(err) => tracing::warn!(error = %err, "pruning expired records failed"),
        }
        tokio::time::sleep(HOUSEKEEPING_INTERVAL).await;
    }
}

/// Mails support replies a person has not seen in time (`accounts::support`).
async fn support_mail(accounts: Arc<accounts::Accounts>) {
    loop {
        match accounts.mail_unseen_replies().await {
            Ok(0) => {}
            Ok(mailed) => tracing::info!(mailed, "mailed unseen support replies"),
            Err(err) => tracing::warn!(error = ?err, "mailing unseen support replies failed"),
        }
        tokio::time::sleep(accounts::support::UNSEEN_MAIL_EVERY).await;
    }
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled: a signal sent right after the server printed
/// "listening on" (a script stopping it at once) still stops it cleanly.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let listen = |kind: SignalKind, name: &'static str| match signal(kind) {
            Ok(signal) => Some(signal),
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for {name}");
                None
            }
        };
        let interrupt = listen(SignalKind::interrupt(), "Ctrl-C");
        let terminate = listen(SignalKind::terminate(), "SIGTERM");
        async move {
            let wait = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    }
}
