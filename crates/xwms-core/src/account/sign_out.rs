//! Sign-out that always reaches the server.
//!
//! Rules:
//! - Signing out (or leaving a server for another) is local at once: the session is dropped
//!   from memory and its keychain entry, and the app shows "signed out" before any request.
//! - What the server needs to end the session is kept until it has: a distinct keychain entry
//!   (`sign-out:<installation-id>`) lists, per server, only the session id, the refresh token
//!   and its end. Nothing else of the session stays; the access token lives in memory only.
//!   The entry is written before the session entry is removed, so a crash in between loses
//!   nothing.
//! - Sending: with the access token still in memory, `POST /api/auth/signout`; otherwise the
//!   refresh token buys a fresh access token first (the rotated refresh token is saved before
//!   it is used, like every refresh) and that signs out. A server that answers "this session is
//!   over" (revoked, expired, unknown token) counts as done, so sending twice revokes once
//!   (R26). A network failure keeps the entry: [`AccountSession::run_sign_out_outbox`] sends it
//!   when the connection monitor sees the server answer again, and every 30 s while any waits
//!   (a server left behind in Settings is not monitored). An entry past its refresh token's end
//!   is dropped: the server ended that session by itself.
//! - Sends are serialised (one outbox lock), so two senders never spend one refresh token
//!   twice (which the server would take for theft).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;
use xwms_api::auth::{paths, RefreshRequest, SessionTokens};
use xwms_api::ErrorCode;

use super::{ends_session, parse_time, AccountSession, Live};
use crate::api_client::{ApiClient, NoData};
use crate::connection::{ConnectionMonitor, ConnectionStatus};
use crate::secret::Secret;
use crate::CoreError;

/// How often queued sign-outs are tried while any waits (besides each time the monitored
/// server comes back).
pub const SIGN_OUT_RETRY: Duration = Duration::from_secs(30);

/// One session to end on one server.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct PendingSignOut {
    pub server_url: String,
    pub session_id: String,
    pub refresh_token: Secret,
    pub refresh_expires_at: String,
}

/// What one send attempt did.
enum Sent {
    /// The server ended it (now or before).
    Done,
    /// Not reached (offline, or an answer that settles nothing): try again later.
    Later(CoreError),
}

impl AccountSession {
    /// The keychain account holding this installation's queued sign-outs.
    pub fn sign_out_keychain_account(&self) -> String {
        format!("sign-out:{}", self.device.installation_id)
    }

    async fn load_pending(&self) -> Result<Vec<PendingSignOut>, CoreError> {
        let store = self.store.clone();
        let account = self.sign_out_keychain_account();
        let secret = tokio::task::spawn_blocking(move || store.load(&account))
            .await
            .map_err(|e| {
                CoreError::new(ErrorCode::KeychainUnavailable).with_detail(e.to_string())
            })??;
        Ok(secret
            .and_then(|s| serde_json::from_str::<Vec<PendingSignOut>>(s.expose()).ok())
            .unwrap_or_default())
    }

    pub(super) async fn save_pending(&self, pending: Vec<PendingSignOut>) -> Result<(), CoreError> {
        let store = self.store.clone();
        let account = self.sign_out_keychain_account();
        let done = pending.is_empty();
        self.sign_outs_waiting.store(!done, Ordering::SeqCst);
        tokio::task::spawn_blocking(move || {
            if done {
                store.delete(&account)
            } else {
                let json = serde_json::to_string(&pending).expect("sign-outs serialise");
                store.save(&account, &Secret::new(json))
            }
        })
        .await
        .map_err(|e| CoreError::new(ErrorCode::KeychainUnavailable).with_detail(e.to_string()))?
    }

    /// Signs `live` (a session with the server at `server_url`, already out of memory) out:
    /// queued durably, its session entry removed, then sent once now. Errors only when it
    /// could neither be sent nor queued (the keychain refused).
    pub(super) async fn end_on_server(
        &self,
        server_url: &str,
        session_account: &str,
        live: Live,
    ) -> Result<(), CoreError> {
        let _outbox = self.outbox.lock().await;
        let entry = PendingSignOut {
            server_url: server_url.to_string(),
            session_id: live.session_id.clone(),
            refresh_token: live.refresh_token.clone(),
            refresh_expires_at: live.refresh_expires_at.clone(),
        };
        let queued = match self.load_pending().await {
            Ok(mut pending) => {
                pending.retain(|p| p.session_id != entry.session_id);
                pending.push(entry.clone());
                self.save_pending(pending).await
            }
            Err(e) => Err(e),
        };
        let (store, account) = (self.store.clone(), session_account.to_string());
        let removed = tokio::task::spawn_blocking(move || store.delete(&account)).await;
        if !matches!(removed, Ok(Ok(()))) {
            tracing::warn!("could not remove the session's keychain entry");
        }
        let access = live.access_token.clone();
        match (self.send_one(&entry, access).await, queued) {
            (Sent::Done, Ok(())) => self.settle(&entry.session_id).await,
            (Sent::Done, Err(_)) => {}
            (Sent::Later(e), Ok(())) => {
                tracing::info!(code = %e.code, "sign-out queued until the server answers");
                self.outbox_nudge.notify_one();
            }
            // Neither sent nor kept: say so.
            (Sent::Later(_), Err(e)) => return Err(e),
        }
        Ok(())
    }

    /// Removes a sent sign-out from the queue (the caller holds the outbox lock).
    async fn settle(&self, session_id: &str) {
        match self.load_pending().await {
            Ok(mut pending) => {
                pending.retain(|p| p.session_id != session_id);
                if let Err(e) = self.save_pending(pending).await {
                    tracing::warn!(code = %e.code, "could not update the sign-out queue");
                }
            }
            Err(e) => tracing::warn!(code = %e.code, "could not read the sign-out queue"),
        }
    }

    /// One attempt to end `entry`'s session on its server.
    async fn send_one(&self, entry: &PendingSignOut, access: Option<Secret>) -> Sent {
        let api = match ApiClient::new(&entry.server_url, &self.identity.app) {
            Ok(api) => api,
            Err(_) => return Sent::Done, // an address that cannot be used again
        };
        let sign_out = |token: Secret| {
            let api = api.clone();
            async move {
                api.post::<_, NoData>(paths::SIGN_OUT, &serde_json::json!({}), Some(&token))
                    .await
            }
        };
        if let Some(token) = access {
            match sign_out(token).await {
                Ok(_) => return Sent::Done,
                // The access token is refused (expired): the refresh token decides below.
                Err(e) if ends_session(&e) => {}
                Err(e) => return Sent::Later(e),
            }
        }
        let request = RefreshRequest {
            refresh_token: entry.refresh_token.clone(),
        };
        match api
            .post::<_, SessionTokens>(paths::REFRESH, &request, None)
            .await
        {
            Ok(tokens) => {
                // Save the rotated refresh token before spending the access token, so a crash
                // here never leaves a spent token in the queue.
                if let Ok(mut pending) = self.load_pending().await {
                    for p in pending
                        .iter_mut()
                        .filter(|p| p.session_id == entry.session_id)
                    {
                        p.refresh_token = tokens.refresh_token.clone();
                        p.refresh_expires_at = tokens.refresh_expires_at.clone();
                    }
                    let _ = self.save_pending(pending).await;
                }
                match sign_out(tokens.access_token).await {
                    Ok(_) => Sent::Done,
                    Err(e) if ends_session(&e) => Sent::Done,
                    Err(e) => Sent::Later(e),
                }
            }
            Err(e) if ends_session(&e) => Sent::Done,
            Err(e) => Sent::Later(e),
        }
    }

    /// Sends every queued sign-out the servers answer for; returns how many still wait.
    pub async fn send_pending_sign_outs(&self) -> Result<usize, CoreError> {
        let _outbox = self.outbox.lock().await;
        let pending = self.load_pending().await?;
        if pending.is_empty() {
            self.sign_outs_waiting.store(false, Ordering::SeqCst);
            return Ok(0);
        }
        let now = (self.now)();
        let mut waiting = 0;
        let mut ids: Vec<String> = pending.into_iter().map(|p| p.session_id).collect();
        ids.dedup();
        for id in ids {
            // Read again: an earlier send may have settled or rotated this one.
            let Some(entry) = self
                .load_pending()
                .await?
                .into_iter()
                .find(|p| p.session_id == id)
            else {
                continue;
            };
            let over = parse_time(&entry.refresh_expires_at).is_some_and(|end| end <= now);
            let done = over || matches!(self.send_one(&entry, None).await, Sent::Done);
            if done {
                self.settle(&entry.session_id).await;
            } else {
                waiting += 1;
            }
        }
        Ok(waiting)
    }

    /// How many sign-outs wait for their server (reads the keychain).
    pub async fn pending_sign_outs(&self) -> Result<usize, CoreError> {
        Ok(self.load_pending().await?.len())
    }

    /// Sends queued sign-outs in the background: at start, whenever the monitored server turns
    /// online (answers again), and every [`SIGN_OUT_RETRY`] while any waits. A sign-out that
    /// just failed asks the monitor to check at once, so its "online" comes from a fresh
    /// answer. Runs until the monitor's state channel closes.
    pub async fn run_sign_out_outbox(
        self: std::sync::Arc<Self>,
        monitor: std::sync::Arc<ConnectionMonitor>,
    ) {
        let mut connection = monitor.subscribe();
        let mut was_online = false;
        let mut due = true;
        loop {
            if due {
                match self.send_pending_sign_outs().await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!("{n} sign-outs wait for their server"),
                    Err(e) => tracing::info!(code = %e.code, "sign-out queue unreadable for now"),
                }
            }
            let waiting = self.sign_outs_waiting.load(Ordering::SeqCst);
            tokio::select! {
                changed = connection.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let online = connection.borrow_and_update().status == ConnectionStatus::Online;
                    due = online && !was_online && self.sign_outs_waiting.load(Ordering::SeqCst);
                    was_online = online;
                }
                _ = self.outbox_nudge.notified() => {
                    // The server did not answer a sign-out: its next "online" counts.
                    was_online = false;
                    due = false;
                    monitor.recheck();
                }
                _ = tokio::time::sleep(SIGN_OUT_RETRY), if waiting => { due = true; }
            }
        }
    }
}
