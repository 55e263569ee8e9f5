//! Starting and stopping: open the store, bind the socket, serve until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::Settings;
use crate::state::{AppState, ServerInfo};
use crate::store::{Store, StoreError};
use crate::{app, demo};

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
}

/// A server with its store open and its socket bound, not yet serving.
pub struct Server {
    listener: TcpListener,
    state: AppState,
}

impl Server {
    /// Opens (and migrates) the store in `settings.data_dir`, seeds the demo data in demo mode,
    /// and binds `settings.listen`.
    pub async fn bind(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Server, StartError> {
        let store_error = |source| StartError::Store {
            dir: settings.data_dir.clone(),
            source,
        };
        let data_dir = settings.data_dir.clone();
        let store = tokio::task::spawn_blocking(move || Store::open_in(&data_dir))
            .await
            .map_err(|err| store_error(err.into()))?
            .map_err(store_error)?;
        if settings.demo {
            let now = clock.now();
            let seeded = store
                .call(move |conn| demo::seed(conn, now))
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
        Ok(Server {
            listener,
            state: AppState::new(store, clock, ServerInfo::from_settings(settings)),
        })
    }

    /// The address actually bound (the real port when `listen` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has a local address")
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish and closes the
    /// store.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let store = self.state.store.clone();
        let service = app(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(self.listener, service)
            .with_graceful_shutdown(async move {
                shutdown.await;
                tracing::info!("shutting down");
            })
            .await;
        store.close();
        tracing::info!("stopped");
        result
    }
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
