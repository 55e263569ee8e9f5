//! The realtime channel's transport: a WebSocket to `/api/realtime` (`ws://` for an `http://`
//! server, `wss://` with rustls and the web PKI roots for `https://`), authenticated with the
//! session's access token, carrying [`RealtimeEvent`]s as JSON text frames.
//!
//! The session logic (when to connect, what an event does) is
//! [`crate::account::AccountSession::run_realtime`]; this module only connects, reads and
//! decides how long to wait before the next try ([`Backoff`]).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::header::HeaderValue;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use url::Url;
use xwms_api::security::{paths, RealtimeEvent};
use xwms_api::ErrorCode;

use crate::secret::Secret;
use crate::CoreError;

/// How long the WebSocket handshake may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The client pings this often, so a dead connection (a laptop waking up, a proxy dropping
/// idle sockets) is noticed.
pub const PING_INTERVAL: Duration = Duration::from_secs(20);
/// Nothing at all from the server for this long (not even a pong): the socket is dead.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(60);

/// Waits between reconnection attempts: `first`, doubling up to `max`, each jittered down to
/// between half and all of it so that many clients do not return at the same moment after a
/// server restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    /// 1 s doubling to 30 s.
    fn default() -> Self {
        Self {
            first: Duration::from_secs(1),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The wait after `failures` failed attempts in a row (0: the first retry), with `jitter`
    /// in `[0, 1)` (randomness passed in, so the rule is tested exactly).
    pub fn delay(&self, failures: u32, jitter: f64) -> Duration {
        let full = self
            .first
            .saturating_mul(2u32.saturating_pow(failures.min(31)))
            .min(self.max);
        let jitter = jitter.clamp(0.0, 1.0);
        full.mul_f64(0.5 + jitter / 2.0)
    }

    /// [`Backoff::delay`] with jitter from the OS random source.
    pub fn delay_now(&self, failures: u32) -> Duration {
        let mut bytes = [0u8; 4];
        let jitter = match getrandom::fill(&mut bytes) {
            Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
            Err(_) => 0.5,
        };
        self.delay(failures, jitter)
    }
}

/// The channel's URL for the server at `base`: `ws://` for `http://`, `wss://` for `https://`.
pub fn realtime_url(base: &Url) -> Result<Url, CoreError> {
    channel_url(base, paths::REALTIME)
}

/// The URL of the WebSocket at `path` (`/api/realtime`, or a guest case's channel) of the
/// server at `base`.
pub fn channel_url(base: &Url, path: &str) -> Result<Url, CoreError> {
    let mut url = base
        .join(path.trim_start_matches('/'))
        .map_err(|e| CoreError::new(ErrorCode::InvalidUrl).with_detail(e.to_string()))?;
    let scheme = match base.scheme() {
        "http" => "ws",
        "https" => "wss",
        _ => return Err(CoreError::new(ErrorCode::UnsupportedScheme)),
    };
    url.set_scheme(scheme)
        .map_err(|_| CoreError::new(ErrorCode::UnsupportedScheme))?;
    Ok(url)
}

/// An open realtime channel.
pub(crate) struct RealtimeSocket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// What reading the channel gave.
pub(crate) enum Incoming {
    Event(Box<RealtimeEvent>),
    /// A frame that is not an event this version knows (ignored; newer servers may send more).
    Other,
    /// The server closed the channel, or the connection broke.
    Closed,
}

impl RealtimeSocket {
    /// Opens the channel with `token`. A refusal carries the server's error code (e.g.
    /// `auth.unauthorized` for a token the server no longer accepts), so the caller can
    /// refresh and try again like any other call; an unreachable server is `network.offline`.
    pub(crate) async fn connect(
        base: &Url,
        token: &Secret,
        user_agent: &str,
        support_after: Option<i64>,
    ) -> Result<RealtimeSocket, CoreError> {
        Self::connect_to(base, paths::REALTIME, token, user_agent, support_after).await
    }

    /// [`RealtimeSocket::connect`] to the channel at `path` (a guest case's:
    /// `xwms_api::support::paths::GUEST_REALTIME`, with the guest token).
    pub(crate) async fn connect_to(
        base: &Url,
        path: &str,
        token: &Secret,
        user_agent: &str,
        support_after: Option<i64>,
    ) -> Result<RealtimeSocket, CoreError> {
        let mut url = channel_url(base, path)?;
        if let Some(seq) = support_after {
            // Replays the support events after `seq` first (crate::support).
            url.set_query(Some(&format!("after={seq}")));
        }
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| CoreError::new(ErrorCode::InvalidUrl).with_detail(e.to_string()))?;
        let mut bearer =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                CoreError::new(ErrorCode::Unauthorized)
                    .with_detail("access token is not a valid header value")
            })?;
        bearer.set_sensitive(true);
        let headers = request.headers_mut();
        headers.insert(reqwest::header::AUTHORIZATION, bearer);
        if let Ok(agent) = HeaderValue::from_str(user_agent) {
            headers.insert(reqwest::header::USER_AGENT, agent);
        }
        let connecting = tokio_tungstenite::connect_async(request);
        match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Err(_) => Err(CoreError::new(ErrorCode::Timeout).with_detail("realtime handshake")),
            Ok(Err(e)) => Err(handshake_error(e)),
            Ok(Ok((ws, _response))) => Ok(RealtimeSocket { ws }),
        }
    }

    /// The next frame; pings are answered (by tungstenite) and skipped.
    pub(crate) async fn next(&mut self) -> Incoming {
        loop {
            match self.ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Incoming::Closed,
                Some(Ok(Message::Text(text))) => {
                    return match serde_json::from_str::<RealtimeEvent>(text.as_str()) {
                        Ok(event) => Incoming::Event(Box::new(event)),
                        Err(e) => {
                            tracing::debug!(error = %e, "realtime: a frame this version does not know");
                            Incoming::Other
                        }
                    }
                }
                Some(Ok(Message::Pong(_))) => return Incoming::Other,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Sends a ping (the answer arrives as [`Incoming::Other`]).
    pub(crate) async fn ping(&mut self) -> Result<(), CoreError> {
        self.ws
            .send(Message::Ping(Vec::new().into()))
            .await
            .map_err(|e| CoreError::new(ErrorCode::Offline).with_detail(e.to_string()))
    }

    /// Closes the channel politely (best effort).
    pub(crate) async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.ws.close(None)).await;
    }
}

/// A failed handshake as a [`CoreError`]: the server's envelope when it answered with one.
fn handshake_error(e: tungstenite::Error) -> CoreError {
    match e {
        tungstenite::Error::Http(response) => {
            let status = response.status();
            match response.body() {
                Some(body) if !body.is_empty() => {
                    match crate::api_client::decode_envelope::<serde_json::Value>(status, body) {
                        Err(e) => e,
                        Ok(_) => CoreError::new(ErrorCode::BadResponse)
                            .with_detail(format!("realtime upgrade refused with HTTP {status}")),
                    }
                }
                _ => {
                    let code = match status.as_u16() {
                        401 => ErrorCode::Unauthorized,
                        404 => ErrorCode::NotFound,
                        429 => ErrorCode::RateLimited,
                        s if s >= 500 => ErrorCode::Unavailable,
                        _ => ErrorCode::BadResponse,
                    };
                    CoreError::new(code)
                        .with_detail(format!("realtime upgrade refused with HTTP {status}"))
                }
            }
        }
        tungstenite::Error::Url(e) => {
            CoreError::new(ErrorCode::InvalidUrl).with_detail(e.to_string())
        }
        other => CoreError::new(ErrorCode::Offline).with_detail(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realtime_url_follows_the_server_scheme_and_path() {
        for (base, want) in [
            ("http://127.0.0.1:8080/", "ws://127.0.0.1:8080/api/realtime"),
            ("https://xwms.nl/", "wss://xwms.nl/api/realtime"),
            ("https://xwms.nl/base/", "wss://xwms.nl/base/api/realtime"),
        ] {
            let base = Url::parse(base).unwrap();
            assert_eq!(realtime_url(&base).unwrap().as_str(), want);
        }
        let ftp = Url::parse("ftp://x/").unwrap();
        assert_eq!(
            realtime_url(&ftp).unwrap_err().code,
            ErrorCode::UnsupportedScheme
        );
    }

    #[test]
    fn backoff_doubles_from_one_second_to_thirty_with_jitter() {
        let b = Backoff::default();
        let s = Duration::from_secs;
        for (failures, jitter, want) in [
            (0, 0.999_999, s(1)),
            (0, 0.0, Duration::from_millis(500)),
            (1, 0.999_999, s(2)),
            (2, 0.999_999, s(4)),
            (3, 0.999_999, s(8)),
            (4, 0.999_999, s(16)),
            (5, 0.999_999, s(30)),
            (5, 0.0, s(15)),
            (40, 0.999_999, s(30)),
            (u32::MAX, 0.5, Duration::from_millis(22_500)),
        ] {
            let got = b.delay(failures, jitter);
            let diff = got.abs_diff(want);
            assert!(
                diff < Duration::from_millis(1),
                "{failures} {jitter}: {got:?}"
            );
        }
        for failures in 0..10 {
            let d = b.delay_now(failures);
            let full = b.delay(failures, 0.999_999_999);
            assert!(d >= full / 2 && d <= full, "{failures}: {d:?}");
        }
    }
}
