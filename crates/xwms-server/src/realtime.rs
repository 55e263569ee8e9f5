//! The realtime channel's sockets (`GET /api/realtime`): telling connected sessions at once when
//! their session ends, when a new device signs in to their account, or when what the security
//! page shows changed.
//!
//! Who is connected, and what a committed change tells them, is
//! [`LiveSessions`](crate::accounts::live_sessions::LiveSessions) (in `accounts`, which fills it);
//! this module only serves one registered connection's socket. Dependency direction:
//! `realtime` → `accounts` (→ `accounts::live_sessions`), never the reverse.
//! Every connection checks its session again at each keep-alive ping, so a session
//! that ends by expiry, or by another server process on the same database, closes its socket
//! within [`REALTIME`]`.keep_alive`.
//!
//! Limits: a socket over the per-session or per-account count is refused before the upgrade
//! (`LiveSessions::connect`, `429 realtime.too_many_sockets`). The server reads nothing from
//! clients but control frames, so a frame or message over [`REALTIME`]`.max_inbound_bytes`
//! closes the socket (set on the upgrade, see `routes::security::realtime`).

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use tokio::sync::mpsc;
use xwms_api::security::RealtimeEvent;

use crate::accounts::live_sessions::{Push, Registration};
use crate::accounts::policy::REALTIME;
use crate::accounts::sessions::SessionStatus;
use crate::accounts::support::Replay;
use crate::accounts::{Accounts, Authenticated};

/// WebSocket close code when the session ended (application range 4000-4999).
pub const CLOSE_SESSION_ENDED: u16 = 4001;
/// WebSocket close code when the server dropped a connection that fell behind.
pub const CLOSE_TOO_SLOW: u16 = 4008;

fn text(event: &RealtimeEvent) -> Message {
    Message::Text(
        serde_json::to_string(event)
            .expect("a realtime event serialises")
            .into(),
    )
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Sends one frame, giving up on a client that does not take it within the keep-alive time.
async fn send(socket: &mut WebSocket, message: Message) -> bool {
    matches!(
        tokio::time::timeout(REALTIME.keep_alive, socket.send(message)).await,
        Ok(Ok(()))
    )
}

/// Sends a close frame and waits (briefly) for the client's answer, so the close handshake
/// completes before the connection drops.
async fn finish(socket: &mut WebSocket, code: u16, reason: &'static str) {
    if !send(socket, close(code, reason)).await {
        return;
    }
    let _ = tokio::time::timeout(REALTIME.keep_alive, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// What the session's state means for its socket; `None` while it is active.
fn ended_frame(session_id: &str, status: SessionStatus) -> Option<Option<RealtimeEvent>> {
    match status {
        SessionStatus::Active => None,
        SessionStatus::Revoked { reason } => Some(Some(RealtimeEvent::SessionRevoked {
            session_id: session_id.to_owned(),
            reason,
        })),
        SessionStatus::Ended => Some(None),
    }
}

/// Whose socket it is: a signed-in session, or a guest token of one support case.
#[derive(Debug, Clone)]
pub enum Listener {
    /// `GET /api/realtime` with an access token.
    Session(Authenticated),
    /// `GET /api/support/guest/realtime` with a guest token: hears only its case's support
    /// events, typing and agent availability (registered under the case's guest key).
    Guest {
        token: String,
        conversation_id: String,
    },
}

impl Listener {
    /// The id `ready` names: the session, or for a guest the case's conversation.
    fn ready_id(&self) -> String {
        match self {
            Listener::Session(auth) => auth.session_id.clone(),
            Listener::Guest {
                conversation_id, ..
            } => conversation_id.clone(),
        }
    }

    /// Whether the session (or the guest token) still holds.
    async fn status(&self, accounts: &Accounts) -> SessionStatus {
        match self {
            Listener::Session(auth) => accounts.session_status(&auth.session_id).await,
            Listener::Guest { token, .. } => match accounts.guest_case_id(token).await {
                Ok(_) => SessionStatus::Active,
                Err(_) => SessionStatus::Ended,
            },
        }
    }

    /// The support events after `after` this listener may hear.
    async fn replay(&self, accounts: &Accounts, after: i64) -> Vec<RealtimeEvent> {
        let replay = match self {
            Listener::Session(auth) => accounts.support_replay(&auth.user_id, after).await,
            Listener::Guest {
                conversation_id, ..
            } => accounts.guest_replay(conversation_id, after).await,
        };
        match replay {
            Ok(Replay::Events { events, .. }) => events,
            Ok(Replay::Reload) | Err(_) => vec![RealtimeEvent::SupportReload],
        }
    }
}

/// Serves one upgraded connection of `listener`, registered before the upgrade as
/// `registration`, until the session (or guest token) ends or either side closes.
///
/// With `after` (`?after=SEQ`), the support events after it are replayed right after `ready`;
/// live support events already replayed (seq at or below the last replayed) are dropped.
pub async fn serve(
    mut socket: WebSocket,
    listener: Listener,
    accounts: Arc<Accounts>,
    registration: (Registration, mpsc::Receiver<Push>),
    after: Option<i64>,
) {
    let (_registration, mut queue) = registration;
    let mut replay = after;
    let mut replayed_through = i64::MIN;
    let ready_id = listener.ready_id();
    // The session may have ended between the token check and the registration.
    let mut status = Some(listener.status(&accounts).await);
    let mut first = Some(RealtimeEvent::Ready {
        session_id: ready_id.clone(),
    });
    let mut keep_alive = tokio::time::interval(REALTIME.keep_alive);
    keep_alive.tick().await;
    loop {
        if let Some(ended) = status.take().and_then(|s| ended_frame(&ready_id, s)) {
            if let Some(frame) = ended {
                send(&mut socket, text(&frame)).await;
            }
            finish(&mut socket, CLOSE_SESSION_ENDED, "session ended").await;
            return;
        }
        if let Some(ready) = first.take() {
            if !send(&mut socket, text(&ready)).await {
                return;
            }
        }
        if let Some(after) = replay.take() {
            // The connection was registered before this read, so anything committed after it
            // is in the queue too and is dropped there by its seq.
            let frames = listener.replay(&accounts, after).await;
            replayed_through = frames
                .iter()
                .filter_map(|frame| match frame {
                    RealtimeEvent::Support { event } => Some(event.seq),
                    _ => None,
                })
                .fold(after, i64::max);
            for frame in &frames {
                if !send(&mut socket, text(frame)).await {
                    return;
                }
            }
        }
        tokio::select! {
            push = queue.recv() => match push {
                Some(Push::Event(RealtimeEvent::Support { event })) if event.seq <= replayed_through => {
                    tracing::trace!(seq = event.seq, "support event already replayed");
                }
                Some(Push::Event(event)) => {
                    if !send(&mut socket, text(&event)).await {
                        return;
                    }
                }
                Some(Push::Last(event)) => {
                    send(&mut socket, text(&event)).await;
                    finish(&mut socket, CLOSE_SESSION_ENDED, "session ended").await;
                    return;
                }
                None => {
                    finish(&mut socket, CLOSE_TOO_SLOW, "too slow").await;
                    return;
                }
            },
            incoming = socket.recv() => match incoming {
                // Pongs and anything the client says are not needed; pings are answered by the
                // WebSocket layer.
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            _ = keep_alive.tick() => {
                if !send(&mut socket, Message::Ping(Default::default())).await {
                    return;
                }
                status = Some(listener.status(&accounts).await);
            }
        }
    }
}
