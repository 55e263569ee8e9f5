//! Watches whether the XWMS server answers, and what it is.
//!
//! Offline is a normal state: the monitor keeps trying on its own, quickly at first and then
//! every few seconds, and reports `online` again as soon as the server answers. Listeners are
//! woken only when something a person sees changes (status, server facts, error code), not on
//! every successful poll.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{watch, Notify};
use xwms_api::{ErrorBody, InfoData};

use crate::api_client::{ApiClient, RetryPolicy, Timeouts};
use crate::CoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum ConnectionStatus {
    /// Not checked yet.
    Unknown,
    Online,
    Offline,
}

/// What the app shows of the server it talks to (from `GET /api/info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ServerSummary {
    pub name: String,
    pub description: String,
    pub version: String,
    pub timezone: String,
    pub locale: String,
    /// Server time at the last check, RFC 3339.
    pub time: String,
    /// The server's help content version, when it reports one.
    pub help_version: Option<u32>,
}

impl From<InfoData> for ServerSummary {
    fn from(info: InfoData) -> Self {
        let help_version = info.help.map(|h| h.version);
        let a = info.application;
        Self {
            name: a.name,
            description: a.description,
            version: a.version,
            timezone: a.timezone,
            locale: a.locale,
            time: a.time,
            help_version,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ConnectionState {
    pub status: ConnectionStatus,
    pub server_url: String,
    /// The last known facts of the server; kept while offline so the app can still show them.
    pub server: Option<ServerSummary>,
    /// When the server was last checked, RFC 3339 (UTC).
    pub checked_at: Option<String>,
    /// Why the last check failed, when offline.
    pub error: Option<ErrorBody>,
}

impl ConnectionState {
    fn unknown(server_url: &str) -> Self {
        Self {
            status: ConnectionStatus::Unknown,
            server_url: server_url.to_string(),
            server: None,
            checked_at: None,
            error: None,
        }
    }

    /// True when a person would see a difference (the check time alone is not one).
    fn visibly_differs(&self, other: &Self) -> bool {
        self.status != other.status
            || self.server_url != other.server_url
            || self
                .server
                .as_ref()
                .map(|s| (&s.name, &s.version, &s.timezone, s.help_version))
                != other
                    .server
                    .as_ref()
                    .map(|s| (&s.name, &s.version, &s.timezone, s.help_version))
            || self.error.as_ref().map(|e| &e.code) != other.error.as_ref().map(|e| &e.code)
    }
}

/// How often the monitor checks.
#[derive(Debug, Clone)]
pub struct PollPolicy {
    /// Between checks while online.
    pub online_interval: Duration,
    /// First wait after going offline; doubled on each failure up to `offline_max`.
    pub offline_first: Duration,
    pub offline_max: Duration,
    /// Timeout of one check.
    pub timeout: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        Self {
            online_interval: Duration::from_secs(10),
            offline_first: Duration::from_millis(500),
            offline_max: Duration::from_secs(3),
            timeout: Duration::from_secs(3),
        }
    }
}

pub struct ConnectionMonitor {
    client: RwLock<ApiClient>,
    state: watch::Sender<ConnectionState>,
    wake: Notify,
    policy: PollPolicy,
    product: String,
}

impl ConnectionMonitor {
    pub fn new(
        server_url: &str,
        product: &str,
        policy: PollPolicy,
    ) -> Result<Arc<Self>, CoreError> {
        let client = Self::client_for(server_url, product, &policy)?;
        let (state, _) = watch::channel(ConnectionState::unknown(client.base_url().as_str()));
        Ok(Arc::new(Self {
            client: RwLock::new(client),
            state,
            wake: Notify::new(),
            policy,
            product: product.to_string(),
        }))
    }

    fn client_for(
        server_url: &str,
        product: &str,
        policy: &PollPolicy,
    ) -> Result<ApiClient, CoreError> {
        ApiClient::with_options(
            server_url,
            product,
            Timeouts {
                connect: policy.timeout,
                request: policy.timeout,
            },
            RetryPolicy::none(),
        )
    }

    pub fn current(&self) -> ConnectionState {
        self.state.borrow().clone()
    }

    /// Receives the state each time it visibly changes.
    pub fn subscribe(&self) -> watch::Receiver<ConnectionState> {
        self.state.subscribe()
    }

    /// Points the monitor at another server: the state starts over as `unknown` and a check
    /// runs at once.
    pub fn set_server(&self, server_url: &str) -> Result<(), CoreError> {
        let client = Self::client_for(server_url, &self.product, &self.policy)?;
        let url = client.base_url().to_string();
        *self.client.write().expect("client lock") = client;
        self.state.send_replace(ConnectionState::unknown(&url));
        self.wake.notify_one();
        Ok(())
    }

    /// Asks the running monitor to check at once (something else just failed to reach the
    /// server), with the fast retries of a fresh failure.
    pub fn recheck(&self) {
        self.wake.notify_one();
    }

    /// Checks the server now and returns the new state.
    pub async fn check_now(&self) -> ConnectionState {
        let client = self.client.read().expect("client lock").clone();
        let url = client.base_url().to_string();
        let result = client.info().await;
        let checked_at = now_rfc3339();
        self.state.send_if_modified(|state| {
            if state.server_url != url {
                return false; // the server changed while we were asking the old one
            }
            let next = match result {
                Ok(info) => ConnectionState {
                    status: ConnectionStatus::Online,
                    server_url: url.clone(),
                    server: Some(info.into()),
                    checked_at: Some(checked_at),
                    error: None,
                },
                Err(e) => {
                    tracing::debug!(code = %e.code, detail = ?e.detail, "server check failed");
                    ConnectionState {
                        status: ConnectionStatus::Offline,
                        server_url: url.clone(),
                        server: state.server.clone(),
                        checked_at: Some(checked_at),
                        error: Some(e.to_body()),
                    }
                }
            };
            let changed = next.visibly_differs(state);
            *state = next;
            changed
        });
        self.current()
    }

    /// Runs forever: checks, waits according to the policy (or until woken), checks again.
    pub async fn run(self: Arc<Self>) {
        let mut offline_wait = self.policy.offline_first;
        loop {
            let state = self.check_now().await;
            let wait = match state.status {
                ConnectionStatus::Online => {
                    offline_wait = self.policy.offline_first;
                    self.policy.online_interval
                }
                _ => {
                    let w = offline_wait;
                    offline_wait = (offline_wait * 2).min(self.policy.offline_max);
                    w
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => { offline_wait = self.policy.offline_first; }
            }
        }
    }
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    async fn switchable_server(up: Arc<AtomicBool>) -> String {
        use axum::{http::StatusCode as S, routing::get, Router};
        let app = Router::new().route(
            "/api/info",
            get(move || {
                let up = up.clone();
                async move {
                    if up.load(Ordering::SeqCst) {
                        (S::OK, r#"{"status":"success","message":"ok","data":{"application":{"name":"XWMS Test","description":"d","version":"1.2.3","locale":"en","timezone":"Europe/Amsterdam","time":"2026-11-25T10:00:00Z"},"client":{"ip":"127.0.0.1","user_agent":"t"},"api":{"documentation":"/api/openapi.json","endpoints":{}}}}"#)
                    } else {
                        (S::SERVICE_UNAVAILABLE, r#"{"status":"error","message":"down","code":"server.unavailable","data":null}"#)
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/")
    }

    #[tokio::test]
    async fn goes_offline_keeps_last_facts_and_recovers() {
        let up = Arc::new(AtomicBool::new(true));
        let url = switchable_server(up.clone()).await;
        let monitor = ConnectionMonitor::new(&url, "test", PollPolicy::default()).unwrap();
        assert_eq!(monitor.current().status, ConnectionStatus::Unknown);
        let mut rx = monitor.subscribe();

        let s = monitor.check_now().await;
        assert_eq!(s.status, ConnectionStatus::Online);
        assert_eq!(s.server.as_ref().unwrap().name, "XWMS Test");
        assert!(rx.has_changed().unwrap());
        rx.borrow_and_update();

        // A second identical check is not a visible change.
        monitor.check_now().await;
        assert!(!rx.has_changed().unwrap());

        up.store(false, Ordering::SeqCst);
        let s = monitor.check_now().await;
        assert_eq!(s.status, ConnectionStatus::Offline);
        assert_eq!(
            s.error.as_ref().unwrap().code,
            xwms_api::ErrorCode::Unavailable
        );
        assert_eq!(
            s.server.as_ref().unwrap().version,
            "1.2.3",
            "last known facts kept"
        );
        assert!(rx.has_changed().unwrap());
        rx.borrow_and_update();

        up.store(true, Ordering::SeqCst);
        assert_eq!(monitor.check_now().await.status, ConnectionStatus::Online);
        assert!(rx.has_changed().unwrap());
    }

    #[tokio::test]
    async fn run_loop_recovers_by_itself() {
        let up = Arc::new(AtomicBool::new(false));
        let url = switchable_server(up.clone()).await;
        let policy = PollPolicy {
            online_interval: Duration::from_millis(20),
            offline_first: Duration::from_millis(5),
            offline_max: Duration::from_millis(20),
            timeout: Duration::from_secs(2),
        };
        let monitor = ConnectionMonitor::new(&url, "test", policy).unwrap();
        let mut rx = monitor.subscribe();
        tokio::spawn(monitor.clone().run());
        rx.wait_for(|s| s.status == ConnectionStatus::Offline)
            .await
            .unwrap();
        up.store(true, Ordering::SeqCst);
        let s = tokio::time::timeout(
            Duration::from_secs(5),
            rx.wait_for(|s| s.status == ConnectionStatus::Online),
        )
        .await
        .expect("recovers without being asked")
        .unwrap()
        .clone();
        assert_eq!(s.server.unwrap().timezone, "Europe/Amsterdam");
    }

    #[tokio::test]
    async fn set_server_starts_over_unknown() {
        let up = Arc::new(AtomicBool::new(true));
        let url = switchable_server(up).await;
        let monitor = ConnectionMonitor::new(&url, "test", PollPolicy::default()).unwrap();
        monitor.check_now().await;
        monitor.set_server("http://127.0.0.1:1/").unwrap();
        let s = monitor.current();
        assert_eq!(s.status, ConnectionStatus::Unknown);
        assert_eq!(s.server, None);
        assert_eq!(s.server_url, "http://127.0.0.1:1/");
        assert!(monitor.set_server("nope").is_err());
    }
}
