//! The realtime channel (`GET /api/realtime`): who is connected, and telling them at once when
//! their session ends, when a new device signs in to their account, or when what the security
//! page shows changed.
//!
//! [`LiveSessions`] maps each person to the WebSocket connections of their sessions, each with
//! a bounded queue ([`REALTIME`]`.queue`). Account flows do not push anything themselves: they
//! collect [`Notice`]s in their transaction, and `Accounts::write` hands them to
//! [`LiveSessions::publish`] only after the transaction committed, so nobody is told about a
//! change that was rolled back. A connection whose queue is full is dropped (its client
//! reconnects and reloads); one whose session ends gets `session_revoked` and is closed.
//! Besides, every connection checks its session again at each keep-alive ping, so a session
//! that ends by expiry, or by another server process on the same database, closes its socket
//! within [`REALTIME`]`.keep_alive`.
//!
//! Limits: a session may hold [`REALTIME`]`.max_sockets_per_session` sockets and an account
//! [`REALTIME`]`.max_sockets_per_account`; one more is refused before the upgrade
//! ([`LiveSessions::connect`], `429 realtime.too_many_sockets`). The server reads nothing from
//! clients but control frames, so a frame or message over [`REALTIME`]`.max_inbound_bytes`
//! closes the socket (set on the upgrade, see `routes::security::realtime`).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use tokio::sync::mpsc;
use xwms_api::security::{RealtimeEvent, RevokeReason, SecurityEventInfo};

use crate::accounts::policy::REALTIME;
use crate::accounts::sessions::SessionStatus;
use crate::accounts::{Accounts, Authenticated};

/// What a committed change tells connected sessions.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// The session ended (for any reason): its sockets get `session_revoked` and close; the
    /// person's other sessions get `security_changed`.
    SessionEnded {
        user_id: String,
        session_id: String,
        reason: RevokeReason,
    },
    /// Sessions, 2FA, credentials or the timeline of the person changed.
    SecurityChanged { user_id: String },
    /// A sign-in from a new device or network: the person's other sessions get `new_sign_in`.
    NewSignIn {
        user_id: String,
        session_id: String,
        event: SecurityEventInfo,
    },
}

/// A frame for one connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Push {
    Event(RealtimeEvent),
    /// Send this, then close the socket.
    Last(RealtimeEvent),
}

struct Connection {
    id: u64,
    session_id: String,
    queue: mpsc::Sender<Push>,
}

/// The connected sessions of every person (see the module docs).
#[derive(Default)]
pub struct LiveSessions {
    by_user: Mutex<HashMap<String, Vec<Connection>>>,
    next_id: AtomicU64,
}

/// The session or account has as many realtime sockets as allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManySockets;

/// A registered connection; dropping it unregisters it.
pub struct Registration {
    live: Arc<LiveSessions>,
    user_id: String,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut by_user = self.live.lock();
        if let Some(connections) = by_user.get_mut(&self.user_id) {
            connections.retain(|c| c.id != self.id);
            if connections.is_empty() {
                by_user.remove(&self.user_id);
            }
        }
    }
}

impl LiveSessions {
    pub fn new() -> LiveSessions {
        LiveSessions::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Vec<Connection>>> {
        self.by_user.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a connection of `session_id`; frames for it arrive on the receiver. Refused
    /// when the session or the account already has as many sockets as [`REALTIME`] allows
    /// (the registration ends when it is dropped, so a socket that closes frees its place).
    pub fn connect(
        self: &Arc<Self>,
        user_id: &str,
        session_id: &str,
    ) -> Result<(Registration, mpsc::Receiver<Push>), TooManySockets> {
        let mut by_user = self.lock();
        let connections = by_user.entry(user_id.to_owned()).or_default();
        let of_session = connections
            .iter()
            .filter(|c| c.session_id == session_id)
            .count();
        if of_session >= REALTIME.max_sockets_per_session
            || connections.len() >= REALTIME.max_sockets_per_account
        {
            if connections.is_empty() {
                by_user.remove(user_id);
            }
            return Err(TooManySockets);
        }
        let (queue, receiver) = mpsc::channel(REALTIME.queue);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        connections.push(Connection {
            id,
            session_id: session_id.to_owned(),
            queue,
        });
        drop(by_user);
        let registration = Registration {
            live: Arc::clone(self),
            user_id: user_id.to_owned(),
            id,
        };
        Ok((registration, receiver))
    }

    /// How many connections are registered.
    pub fn connections(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    /// Delivers what committed changes mean to the connections concerned.
    pub fn publish(&self, notices: Vec<Notice>) {
        if notices.is_empty() {
            return;
        }
        let mut by_user = self.lock();
        let mut ended: HashSet<String> = HashSet::new();
        let mut changed: Vec<String> = vec![];
        for notice in &notices {
            match notice {
                Notice::SessionEnded {
                    user_id,
                    session_id,
                    reason,
                } => {
                    ended.insert(session_id.clone());
                    if !changed.contains(user_id) {
                        changed.push(user_id.clone());
                    }
                    if let Some(connections) = by_user.get_mut(user_id) {
                        let last = Push::Last(RealtimeEvent::SessionRevoked {
                            session_id: session_id.clone(),
                            reason: *reason,
                        });
                        // Each connection of the session gets the frame; all are unregistered
                        // (their socket closes after the frame).
                        connections.retain(|c| {
                            if &c.session_id == session_id {
                                let _ = c.queue.try_send(last.clone());
                                false
                            } else {
                                true
                            }
                        });
                    }
                }
                Notice::SecurityChanged { user_id } => {
                    if !changed.contains(user_id) {
                        changed.push(user_id.clone());
                    }
                }
                Notice::NewSignIn {
                    user_id,
                    session_id,
                    event,
                } => {
                    if let Some(connections) = by_user.get_mut(user_id) {
                        let push = Push::Event(RealtimeEvent::NewSignIn {
                            event: event.clone(),
                        });
                        connections
                            .retain(|c| &c.session_id == session_id || deliver(c, push.clone()));
                    }
                }
            }
        }
        for user_id in changed {
            if let Some(connections) = by_user.get_mut(&user_id) {
                connections.retain(|c| {
                    ended.contains(&c.session_id)
                        || deliver(c, Push::Event(RealtimeEvent::SecurityChanged))
                });
            }
        }
        by_user.retain(|_, connections| !connections.is_empty());
    }
}

/// Queues `push`; false (drop the connection) when its queue is full or its socket is gone.
fn deliver(connection: &Connection, push: Push) -> bool {
    match connection.queue.try_send(push) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::debug!(session = %connection.session_id, "realtime queue full; closing the connection");
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

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

/// Serves one upgraded connection of `auth`'s session, registered before the upgrade as
/// `registration`, until the session ends or either side closes.
pub async fn serve(
    mut socket: WebSocket,
    auth: Authenticated,
    accounts: Arc<Accounts>,
    registration: (Registration, mpsc::Receiver<Push>),
) {
    let (_registration, mut queue) = registration;
    // The session may have ended between the token check and the registration.
    let mut status = Some(accounts.session_status(&auth.session_id).await);
    let mut first = Some(RealtimeEvent::Ready {
        session_id: auth.session_id.clone(),
    });
    let mut keep_alive = tokio::time::interval(REALTIME.keep_alive);
    keep_alive.tick().await;
    loop {
        if let Some(ended) = status.take().and_then(|s| ended_frame(&auth.session_id, s)) {
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
        tokio::select! {
            push = queue.recv() => match push {
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
                status = Some(accounts.session_status(&auth.session_id).await);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(user: &str, session: &str) -> Notice {
        Notice::SessionEnded {
            user_id: user.into(),
            session_id: session.into(),
            reason: RevokeReason::Removed,
        }
    }

    #[tokio::test]
    async fn an_ended_session_gets_its_last_frame_and_the_others_a_change() {
        let live = Arc::new(LiveSessions::new());
        let (_a, mut a) = live.connect("anna", "s1").unwrap();
        let (_b, mut b) = live.connect("anna", "s2").unwrap();
        let (_c, mut c) = live.connect("bram", "s3").unwrap();
        assert_eq!(live.connections(), 3);
        live.publish(vec![ended("anna", "s2")]);
        assert_eq!(
            a.recv().await,
            Some(Push::Event(RealtimeEvent::SecurityChanged))
        );
        assert_eq!(
            b.recv().await,
            Some(Push::Last(RealtimeEvent::SessionRevoked {
                session_id: "s2".into(),
                reason: RevokeReason::Removed
            }))
        );
        assert_eq!(b.recv().await, None, "unregistered after its last frame");
        assert!(c.try_recv().is_err(), "another person hears nothing");
        assert_eq!(live.connections(), 2);
    }

    #[tokio::test]
    async fn a_full_queue_drops_the_connection_and_registrations_clean_up() {
        let live = Arc::new(LiveSessions::new());
        let (_a, mut a) = live.connect("anna", "s1").unwrap();
        for _ in 0..REALTIME.queue + 1 {
            live.publish(vec![Notice::SecurityChanged {
                user_id: "anna".into(),
            }]);
        }
        assert_eq!(live.connections(), 0, "dropped when its queue overflowed");
        for _ in 0..REALTIME.queue {
            assert!(a.recv().await.is_some());
        }
        assert_eq!(a.recv().await, None);
        let (registration, _b) = live.connect("anna", "s1").unwrap();
        assert_eq!(live.connections(), 1);
        drop(registration);
        assert_eq!(live.connections(), 0);
    }

    #[tokio::test]
    async fn sockets_are_limited_per_session_and_per_account() {
        let live = Arc::new(LiveSessions::new());
        let mut held = vec![];
        for _ in 0..REALTIME.max_sockets_per_session {
            held.push(live.connect("anna", "s1").unwrap());
        }
        assert_eq!(live.connect("anna", "s1").err(), Some(TooManySockets));
        // Another session of the same account may still connect, up to the account's limit.
        let mut session = 2;
        while held.len() < REALTIME.max_sockets_per_account {
            match live.connect("anna", &format!("s{session}")) {
                Ok(connection) => held.push(connection),
                Err(TooManySockets) => session += 1,
            }
        }
        assert_eq!(
            live.connect("anna", "s-new").err(),
            Some(TooManySockets),
            "the account is full"
        );
        assert!(live.connect("bram", "s9").is_ok(), "another account is not");
        // Closing one frees its place.
        held.remove(0);
        assert!(live.connect("anna", "s1").is_ok());
    }
}
