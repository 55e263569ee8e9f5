//! Live updates of a signed-in session: what the server pushes over the realtime channel
//! (session ends, new-sign-in alerts, security changes) and what it does here. The socket
//! itself is [`crate::realtime_socket`], which knows nothing of sessions.
//!
//! Rules:
//! - One task per app ([`AccountSession::run_realtime`], started by
//!   [`crate::client::Client::start`]); a second one returns at once. It idles while signed
//!   out and connects after a sign-in, a restore or a switch to another server.
//! - It connects with the session's usable access token through the same refresh rules as
//!   every other call (a refused token is refreshed once; refused again, the session ends).
//! - `session_revoked` for this session ends it at once: forgotten here and in the keychain,
//!   [`AccountEvent::SessionEnded`] with `auth.session_revoked`. No poll needed.
//! - A dropped socket or an offline server is normal: it tries again after
//!   [`Backoff`](crate::realtime_socket::Backoff) (1 s doubling to 30 s, jittered), quietly. When it
//!   is back for the same session, [`AccountEvent::SecurityChanged`] is sent, since events may
//!   have been missed in between.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::watch;
use xwms_api::security::RealtimeEvent;
use xwms_api::ErrorCode;

use super::{AccountEvent, AccountSession};
use crate::i18n;
use crate::realtime_socket::{Backoff, Incoming, RealtimeSocket, PING_INTERVAL, SILENCE_LIMIT};
use crate::CoreError;
use xwms_api::Language;

/// The one running realtime task's claim on its session; released when the task ends or is
/// aborted (dropped with its future).
struct RealtimeTask<'a>(&'a AtomicBool);

impl<'a> RealtimeTask<'a> {
    fn claim(flag: &'a AtomicBool) -> Option<Self> {
        flag.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .ok()
            .map(|_| RealtimeTask(flag))
    }
}

impl Drop for RealtimeTask<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// How one connection ended.
enum Ended {
    /// Signed out, or the session ended: wait for the next sign-in.
    SignedOut,
    /// Another session (or server) now: connect again at once.
    SessionSwitched,
    /// The socket dropped or could not be opened; `was_open`: it had been ready.
    Dropped { was_open: bool },
}

impl AccountSession {
    /// Holds the realtime channel open while signed in. Spawn it once (the app does at start,
    /// next to the connection monitor); it runs for as long as the process does, idling while
    /// signed out. Abort its task to stop it earlier.
    pub async fn run_realtime(self: Arc<Self>) {
        self.run_realtime_with(Backoff::default()).await
    }

    /// [`AccountSession::run_realtime`] with another wait between attempts (tests).
    ///
    /// Idempotent: while one realtime task runs for this session, another returns at once
    /// (two tasks would open two sockets and deliver every alert twice).
    pub async fn run_realtime_with(self: Arc<Self>, backoff: Backoff) {
        let Some(_running) = RealtimeTask::claim(&self.realtime_task) else {
            tracing::debug!("realtime: a task already runs for this session");
            return;
        };
        let mut changes = self.session_changes.subscribe();
        let mut failures: u32 = 0;
        // The session whose channel was open before (a reconnection resumes it).
        let mut opened_for: Option<String> = None;
        loop {
            changes.borrow_and_update();
            let Some(session_id) = self.session_id().await else {
                failures = 0;
                opened_for = None;
                if changes.changed().await.is_err() {
                    return;
                }
                continue;
            };
            let resumed = opened_for.as_deref() == Some(session_id.as_str());
            let ended = self
                .realtime_connection(&session_id, resumed, &mut changes)
                .await;
            self.realtime.send_replace(false);
            match ended {
                Ended::SignedOut | Ended::SessionSwitched => {
                    failures = 0;
                    opened_for = None;
                }
                Ended::Dropped { was_open } => {
                    if was_open {
                        failures = 0;
                        opened_for = Some(session_id);
                    }
                    let wait = backoff.delay_now(failures);
                    failures = failures.saturating_add(1);
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        changed = changes.changed() => {
                            if changed.is_err() {
                                return;
                            }
                            failures = 0;
                        }
                    }
                }
            }
        }
    }

    /// Whether a realtime task runs for this session (at most one does).
    pub fn realtime_task_running(&self) -> bool {
        self.realtime_task.load(Ordering::SeqCst)
    }

    /// Whether the realtime channel is open now.
    pub fn realtime_connected(&self) -> bool {
        *self.realtime.borrow()
    }

    /// Follows whether the realtime channel is open.
    pub fn subscribe_realtime(&self) -> watch::Receiver<bool> {
        self.realtime.subscribe()
    }

    /// One connection of `session_id`, from the handshake until it ends; `resumed`: this
    /// session's channel was open before (what happened in between is unknown).
    async fn realtime_connection(
        &self,
        session_id: &str,
        resumed: bool,
        changes: &mut watch::Receiver<u64>,
    ) -> Ended {
        let agent = crate::api_client::user_agent(&self.identity.app);
        let after = self.support_after();
        let connected = self
            .authed(|api, token| {
                let agent = agent.clone();
                async move { RealtimeSocket::connect(api.base_url(), &token, &agent, after).await }
            })
            .await;
        let mut socket = match connected {
            Ok(socket) => socket,
            Err(e) => {
                if self.session_id().await.as_deref() != Some(session_id) {
                    // The session ended on the refusal (already told), or another began.
                    return if self.is_signed_in().await {
                        Ended::SessionSwitched
                    } else {
                        Ended::SignedOut
                    };
                }
                tracing::debug!(code = %e.code, detail = ?e.detail, "realtime: not connected");
                return Ended::Dropped { was_open: false };
            }
        };
        let mut was_open = false;
        let mut ping = tokio::time::interval(PING_INTERVAL);
        ping.reset();
        let mut last_heard = tokio::time::Instant::now();
        loop {
            tokio::select! {
                incoming = socket.next() => {
                    last_heard = tokio::time::Instant::now();
                    match incoming {
                        Incoming::Closed => return Ended::Dropped { was_open },
                        Incoming::Other => {}
                        Incoming::Event(event) => {
                            if let Some(ended) = self.on_realtime_event(*event, session_id, resumed, &mut was_open).await {
                                socket.close().await;
                                return ended;
                            }
                        }
                    }
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() > SILENCE_LIMIT || socket.ping().await.is_err() {
                        tracing::debug!("realtime: the server went silent");
                        return Ended::Dropped { was_open };
                    }
                }
                changed = changes.changed() => {
                    if changed.is_err() {
                        return Ended::SignedOut;
                    }
                    match self.session_id().await {
                        Some(id) if id == session_id => {}
                        Some(_) => {
                            socket.close().await;
                            return Ended::SessionSwitched;
                        }
                        None => {
                            socket.close().await;
                            return Ended::SignedOut;
                        }
                    }
                }
            }
        }
    }

    /// Acts on one event; `Some` when the connection is over.
    async fn on_realtime_event(
        &self,
        event: RealtimeEvent,
        session_id: &str,
        resumed: bool,
        was_open: &mut bool,
    ) -> Option<Ended> {
        match event {
            RealtimeEvent::Ready { .. } => {
                *was_open = true;
                self.realtime.send_replace(true);
                if resumed {
                    self.emit(AccountEvent::SecurityChanged);
                }
                None
            }
            RealtimeEvent::NewSignIn { event } => {
                self.emit(AccountEvent::NewSignIn(event));
                None
            }
            RealtimeEvent::SecurityChanged => {
                self.emit(AccountEvent::SecurityChanged);
                None
            }
            // Support events: the support module's (crate::support applies them).
            event @ (RealtimeEvent::Support { .. }
            | RealtimeEvent::SupportTyping { .. }
            | RealtimeEvent::SupportReload
            | RealtimeEvent::SupportAvailability { .. }
            | RealtimeEvent::AgentQueue { .. }
            | RealtimeEvent::AgentNote { .. }
            | RealtimeEvent::AgentPresence { .. }) => {
                if let RealtimeEvent::Support { event } = &event {
                    // Resume after it next time even if nobody applies it (no support task).
                    self.set_support_after(event.seq);
                }
                let _ = self.support_events.send(event);
                None
            }
            RealtimeEvent::SessionRevoked {
                session_id: revoked,
                reason,
            } => {
                if revoked != session_id {
                    return None;
                }
                let mut slot = self.session.lock().await;
                if slot.as_ref().is_some_and(|l| l.session_id == revoked) {
                    *slot = None;
                    let lang = Language::from_tag(self.language().as_deref().unwrap_or("en"))
                        .unwrap_or_default();
                    let error = CoreError::new(ErrorCode::SessionRevoked)
                        .with_message(i18n::session_ended_message(reason, lang))
                        .with_detail(format!("realtime: session revoked ({reason})"));
                    self.end_session(&error).await;
                }
                Some(Ended::SignedOut)
            }
        }
    }
}
