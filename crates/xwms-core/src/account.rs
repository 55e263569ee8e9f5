//! A person's XWMS account as this app holds it: signing up, in and out, the session, and
//! the account's settings.
//!
//! Tokens live only in the OS keychain ([`SecretStore`]): one entry per installation and
//! server holds the session id and the rotating refresh token; the short-lived access token is
//! kept in memory only. Every secret is a [`Secret`] (redacted in logs, zeroed on drop).
//!
//! Session rules:
//! - At start, [`AccountSession::restore_session`] reads the keychain and refreshes.
//! - A refresh rotates the refresh token: the new one is saved to the keychain before it is
//!   used, so a crash never leaves the keychain holding a spent token.
//! - An access token that is about to expire, or that the server refuses, is refreshed once,
//!   transparently; refreshes are serialised, so two calls never spend one refresh token twice
//!   (which the server would treat as theft and answer by revoking the session).
//! - When the server says the session is over (revoked, expired, or a re-used refresh token),
//!   the keychain entry is removed and [`AccountEvent::SessionEnded`] tells the app why, so it
//!   can return to sign-in with a clear message.
//! - While signed in, [`AccountSession::run_realtime`] (one task, started by
//!   [`crate::client::Client::start`]; a second returns at once) holds the realtime channel
//!   open: a session revoked elsewhere ends here at once, without a poll, and new-sign-in
//!   alerts and security changes arrive as [`AccountEvent`]s (`account/live_updates.rs`).
//! - Signing out is local at once and always reaches the server: offline, the revoke waits in
//!   a distinct keychain entry and is sent when the server answers (`account/sign_out.rs`).
//! - Sensitive changes answer `auth.reauth_required` outside the server's 10-minute
//!   re-authentication window: [`AccountSession::reauthenticate`] reopens it.
//! - The security center (2FA, sessions, the timeline, API clients) is in `account/security.rs`;
//!   a second-factor challenge stays in this struct and never crosses IPC.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::{broadcast, watch};
use xwms_api::auth::{
    paths, CodeSent, DeviceInfo, EmailChangeRequest, EmailCodeRequest, EmailConfirmRequest,
    EmailRequest, PasswordChangeRequest, PasswordChanged, ProfileUpdate, RecoveryFiled,
    RecoveryRequest, RefreshRequest, ResetPasswordRequest, SessionTokens, SignInRequest,
    SignInResponse, SignUpRequest, UserProfile,
};
use xwms_api::security::SecurityEventInfo;
use xwms_api::{ErrorBody, ErrorCode};

pub use crate::two_factor_setup::{recovery_codes_text, TwoFactorEnrolment};

/// Checks a password against the XWMS rule, part by part (live feedback while typing; the
/// server checks the same rule).
pub fn check_password(password: &Secret) -> xwms_api::password::PasswordCheck {
    xwms_api::password::check_password(password.expose())
}

use crate::api_client::{to_json, ApiClient, NoData};
use crate::secret::Secret;
use crate::token_store::SecretStore;
use crate::CoreError;

/// Refresh the access token when it has less than this left (clock skew, slow requests).
pub const ACCESS_REFRESH_MARGIN: time::Duration = time::Duration::seconds(30);
/// File in the data dir holding this installation's random id (not a secret).
pub const INSTALLATION_ID_FILE: &str = "installation-id";

/// Who is signing in: the app's name as the server records it with the session
/// (`XWMS-Desktop`, `xwms-cli`) and the keychain service its tokens are filed under.
#[derive(Debug, Clone)]
pub struct AppIdentity {
    pub app: String,
    pub keychain_service: String,
}

/// The answer to a correct email and password, as the app sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum SignInOutcome {
    /// Signed in; the session is saved in the keychain.
    SignedIn { account: UserProfile },
    /// A second factor is needed first (the challenge stays in the core).
    SecondFactor {
        methods: Vec<xwms_api::security::SecondFactorMethod>,
    },
}

/// What the account session tells the app without being asked.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountEvent {
    /// The server ended the session (revoked, expired, refresh token re-used); the keychain
    /// entry is gone. `reason` says why, in the person's terms.
    SessionEnded { reason: ErrorBody },
    /// Signed in, signed out, or the account's details changed.
    AccountChanged(Option<UserProfile>),
    /// Someone signed in to this account from a device or network never seen before, on
    /// another session (from the realtime channel): "This was me" or "Not me".
    NewSignIn(SecurityEventInfo),
    /// The account's sessions, 2FA, credentials or timeline changed (from the realtime
    /// channel, and after this app's own security actions): refresh what is shown.
    SecurityChanged,
}

/// The keychain entry: what a restart needs to resume the session.
#[derive(Serialize, Deserialize)]
struct StoredSession {
    session_id: String,
    refresh_token: Secret,
    refresh_expires_at: String,
}

/// The session in memory.
struct Live {
    session_id: String,
    refresh_token: Secret,
    refresh_expires_at: String,
    /// None until the first refresh after a restart (or while offline).
    access_token: Option<Secret>,
    access_expires_at: Option<OffsetDateTime>,
    user: Option<UserProfile>,
    /// Bumped on every refresh, so a caller can tell that someone else already refreshed.
    generation: u64,
}

impl Live {
    fn from_tokens(tokens: SessionTokens, generation: u64) -> Self {
        let SessionTokens {
            session_id,
            access_token,
            access_expires_at,
            refresh_token,
            refresh_expires_at,
            user,
            // Saved under its own keychain entry by `start_session`.
            device_token: _,
        } = tokens;
        Self {
            session_id,
            refresh_token,
            refresh_expires_at,
            access_token: Some(access_token),
            access_expires_at: parse_time(&access_expires_at),
            user: Some(user),
            generation,
        }
    }

    fn stored(&self) -> StoredSession {
        StoredSession {
            session_id: self.session_id.clone(),
            refresh_token: self.refresh_token.clone(),
            refresh_expires_at: self.refresh_expires_at.clone(),
        }
    }

    fn usable_access(&self, now: OffsetDateTime) -> Option<Secret> {
        let token = self.access_token.as_ref()?;
        match self.access_expires_at {
            Some(exp) if exp - ACCESS_REFRESH_MARGIN > now => Some(token.clone()),
            // Unknown expiry: use it; the server's refusal triggers the refresh.
            None => Some(token.clone()),
            Some(_) => None,
        }
    }
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Errors by which the server says "this session no longer counts".
fn ends_session(e: &CoreError) -> bool {
    matches!(
        e.code,
        ErrorCode::Unauthorized | ErrorCode::SessionExpired | ErrorCode::SessionRevoked
    )
}

type Now = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// One person's session with one XWMS server, for one app installation.
pub struct AccountSession {
    api: RwLock<ApiClient>,
    store: Arc<dyn SecretStore>,
    identity: AppIdentity,
    device: DeviceInfo,
    language: RwLock<Option<String>>,
    session: tokio::sync::Mutex<Option<Live>>,
    /// A pending second-factor challenge (kept here; it never crosses IPC).
    challenge: Mutex<Option<Secret>>,
    /// The challenge ids of mailed codes, by purpose and address (the server accepts a code only
    /// with the challenge of the request that asked for it). In memory: after a restart a new
    /// code is asked for.
    code_challenges: Mutex<std::collections::HashMap<(CodePurpose, String), String>>,
    /// The address of the sign-in in progress (its device token is saved under it).
    signing_in_email: Mutex<Option<String>>,
    events: broadcast::Sender<AccountEvent>,
    /// Bumped whenever the session held changes identity (sign-in, restore, session end,
    /// sign-out, another server): the realtime channel reconnects or stops on it.
    session_changes: watch::Sender<u64>,
    /// Whether the realtime channel is open (after the server's `ready`).
    realtime: watch::Sender<bool>,
    /// Whether a realtime task runs (only one may).
    realtime_task: std::sync::atomic::AtomicBool,
    /// Serialises sending queued sign-outs (`account/sign_out.rs`).
    outbox: tokio::sync::Mutex<()>,
    /// Wakes the sign-out outbox after a sign-out was queued.
    outbox_nudge: tokio::sync::Notify,
    /// Whether sign-outs may wait in the queue (true until the queue was first read).
    sign_outs_waiting: std::sync::atomic::AtomicBool,
    /// Where the realtime channel resumes the support event log (`?after=SEQ`; negative:
    /// not known, the channel brings only new events). Kept by [`crate::support`].
    support_after: std::sync::atomic::AtomicI64,
    /// The support events the realtime channel brings, for [`crate::support`].
    support_events: broadcast::Sender<xwms_api::security::RealtimeEvent>,
    now: Now,
}

impl AccountSession {
    /// A signed-out session for the server at `server_url`. `data_dir` holds this
    /// installation's id (created on first use).
    pub fn new(
        server_url: &str,
        data_dir: &Path,
        identity: AppIdentity,
        store: Arc<dyn SecretStore>,
    ) -> Result<Self, CoreError> {
        let api = ApiClient::new(server_url, &identity.app)?;
        let device = DeviceInfo {
            name: device_name(),
            os: std::env::consts::OS.to_string(),
            app: identity.app.clone(),
            app_version: crate::CLIENT_VERSION.to_string(),
            installation_id: installation_id(data_dir),
        };
        let (events, _) = broadcast::channel(32);
        Ok(Self {
            api: RwLock::new(api),
            store,
            identity,
            device,
            language: RwLock::new(None),
            session: tokio::sync::Mutex::new(None),
            challenge: Mutex::new(None),
            code_challenges: Mutex::default(),
            signing_in_email: Mutex::new(None),
            events,
            session_changes: watch::Sender::new(0),
            realtime: watch::Sender::new(false),
            realtime_task: std::sync::atomic::AtomicBool::new(false),
            outbox: tokio::sync::Mutex::new(()),
            outbox_nudge: tokio::sync::Notify::new(),
            sign_outs_waiting: std::sync::atomic::AtomicBool::new(true),
            support_after: std::sync::atomic::AtomicI64::new(-1),
            support_events: broadcast::channel(256).0,
            now: Arc::new(OffsetDateTime::now_utc),
        })
    }

    /// Replaces the clock used to judge token expiry (tests).
    pub fn with_clock(mut self, now: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        self.now = Arc::new(now);
        self
    }

    /// What this installation tells the server when it signs in.
    pub fn device(&self) -> &DeviceInfo {
        &self.device
    }

    /// The language of the mails the server sends (`en`, `nl`, `fr`; None: the server's).
    pub fn set_language(&self, language: Option<String>) {
        *self.language.write().expect("language lock") = language;
    }

    /// Receives [`AccountEvent`]s.
    pub fn subscribe(&self) -> broadcast::Receiver<AccountEvent> {
        self.events.subscribe()
    }

    fn emit(&self, event: AccountEvent) {
        let _ = self.events.send(event);
    }

    /// Tells the realtime channel that the session held is another one (or none).
    fn session_changed(&self) {
        self.session_changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The app's name as the server records it (its User-Agent product).
    pub(crate) fn app_name(&self) -> &str {
        &self.identity.app
    }

    pub(crate) fn api(&self) -> ApiClient {
        self.api.read().expect("api lock").clone()
    }

    /// The server this session talks to (normalised, ending in `/`).
    pub fn server_url(&self) -> String {
        self.api().base_url().to_string()
    }

    /// The keychain account of this installation's session with the current server.
    pub fn keychain_account(&self) -> String {
        format!(
            "session:{}:{}",
            self.device.installation_id,
            self.api().base_url()
        )
    }

    /// The keychain service the tokens are filed under.
    pub fn keychain_service(&self) -> &str {
        &self.identity.keychain_service
    }

    /// Points the session at another server. A session held with the old one is signed out
    /// there (queued until that server answers, see `account/sign_out.rs`); the app is signed
    /// out until a sign-in with the new server (or a session saved for it earlier is restored).
    pub async fn set_server(&self, server_url: &str) -> Result<(), CoreError> {
        let api = ApiClient::new(server_url, &self.identity.app)?;
        let mut guard = self.session.lock().await;
        let old_server = self.server_url();
        let old_account = self.keychain_account();
        *self.api.write().expect("api lock") = api;
        let previous = guard.take();
        drop(guard);
        self.session_changed();
        if let Some(live) = previous {
            self.emit(AccountEvent::AccountChanged(None));
            if let Err(e) = self.end_on_server(&old_server, &old_account, live).await {
                tracing::warn!(code = %e.code, "could not queue the sign-out of the old server");
            }
        }
        Ok(())
    }

    // ----- mailed-code challenges and device tokens -----

    fn remember_challenge(&self, purpose: CodePurpose, email: &str, challenge_id: &str) {
        if challenge_id.is_empty() {
            return;
        }
        self.code_challenges
            .lock()
            .expect("challenges lock")
            .insert((purpose, email_key(email)), challenge_id.to_owned());
    }

    fn challenge_for(&self, purpose: CodePurpose, email: &str) -> String {
        self.code_challenges
            .lock()
            .expect("challenges lock")
            .get(&(purpose, email_key(email)))
            .cloned()
            .unwrap_or_default()
    }

    /// Remembers the challenge an answer (or an error's data) carries.
    fn note_sent(
        &self,
        purpose: CodePurpose,
        email: &str,
        result: Result<CodeSent, CoreError>,
    ) -> Result<CodeSent, CoreError> {
        match &result {
            Ok(sent) => self.remember_challenge(purpose, email, &sent.challenge_id),
            Err(e) => self.note_error_challenge(email, e),
        }
        result
    }

    fn note_error_challenge(&self, email: &str, e: &CoreError) {
        let purpose = match e.code {
            ErrorCode::EmailUnverified => CodePurpose::VerifyEmail,
            ErrorCode::Locked => CodePurpose::Unlock,
            _ => return,
        };
        if let Some(id) = e.data.as_ref().and_then(|d| d.challenge_id.as_deref()) {
            self.remember_challenge(purpose, email, id);
        }
    }

    /// The keychain account of this installation's device token for `email` at the current
    /// server (kept across sign-outs: it is what makes this installation a trusted device).
    fn device_token_account(&self, email: &str) -> String {
        format!(
            "device:{}:{}:{}",
            self.device.installation_id,
            self.api().base_url(),
            email_key(email)
        )
    }

    async fn load_device_token(&self, email: &str) -> Option<Secret> {
        let (store, account) = (self.store.clone(), self.device_token_account(email));
        match tokio::task::spawn_blocking(move || store.load(&account)).await {
            Ok(Ok(token)) => token,
            Ok(Err(e)) => {
                tracing::warn!(code = %e.code, "could not read the device token");
                None
            }
            Err(_) => None,
        }
    }

    async fn save_device_token(&self, email: &str, token: Secret) {
        let (store, account) = (self.store.clone(), self.device_token_account(email));
        match tokio::task::spawn_blocking(move || store.save(&account, &token)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(code = %e.code, "could not save the device token"),
            Err(_) => {}
        }
    }

    // ----- keychain -----

    async fn keychain<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn SecretStore, &str) -> Result<T, CoreError> + Send + 'static,
    ) -> Result<T, CoreError> {
        let store = self.store.clone();
        let account = self.keychain_account();
        tokio::task::spawn_blocking(move || op(store.as_ref(), &account))
            .await
            .map_err(|e| {
                CoreError::new(ErrorCode::KeychainUnavailable).with_detail(e.to_string())
            })?
    }

    async fn save_stored(&self, stored: StoredSession) -> Result<(), CoreError> {
        let json = serde_json::to_string(&stored).expect("stored session serialises");
        let secret = Secret::new(json);
        self.keychain(move |s, a| s.save(a, &secret)).await
    }

    async fn load_stored(&self) -> Result<Option<StoredSession>, CoreError> {
        let Some(secret) = self.keychain(|s, a| s.load(a)).await? else {
            return Ok(None);
        };
        match serde_json::from_str::<StoredSession>(secret.expose()) {
            Ok(stored) => Ok(Some(stored)),
            Err(_) => {
                tracing::warn!("keychain entry is not a session; removing it");
                self.forget_stored().await;
                Ok(None)
            }
        }
    }

    async fn forget_stored(&self) {
        if let Err(e) = self.keychain(|s, a| s.delete(a)).await {
            tracing::warn!(code = %e.code, detail = ?e.detail, "could not remove the keychain entry");
        }
    }

    // ----- session core -----

    /// Refreshes the session held in `slot` (the caller holds the session lock). On success
    /// the new refresh token is in the keychain before anything uses it. When the server says
    /// the session is over, it is forgotten here and in the keychain, and `SessionEnded` is
    /// sent; other failures (offline) leave everything as it was.
    async fn refresh_locked(&self, slot: &mut Option<Live>) -> Result<(), CoreError> {
        let Some(live) = slot.as_ref() else {
            return Err(CoreError::new(ErrorCode::Unauthorized));
        };
        let request = RefreshRequest {
            refresh_token: live.refresh_token.clone(),
        };
        let generation = live.generation + 1;
        let old_user = live.user.clone();
        match self
            .api()
            .post::<_, SessionTokens>(paths::REFRESH, &request, None)
            .await
        {
            Ok(tokens) => {
                let next = Live::from_tokens(tokens, generation);
                if let Err(e) = self.save_stored(next.stored()).await {
                    // The server already rotated: keep going in memory; a restart will ask
                    // the person to sign in again.
                    tracing::warn!(code = %e.code, detail = ?e.detail, "could not save the rotated refresh token");
                }
                let user = next.user.clone();
                *slot = Some(next);
                if old_user.is_some() && user != old_user {
                    self.emit(AccountEvent::AccountChanged(user));
                }
                Ok(())
            }
            Err(e) if ends_session(&e) => {
                *slot = None;
                self.end_session(&e).await;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    async fn end_session(&self, reason: &CoreError) {
        tracing::info!(code = %reason.code, "the server ended the session");
        self.forget_stored().await;
        self.session_changed();
        self.emit(AccountEvent::SessionEnded {
            reason: reason.to_body(),
        });
        self.emit(AccountEvent::AccountChanged(None));
    }

    /// A usable access token, refreshing first when it is missing or about to expire.
    async fn access_token(&self) -> Result<(Secret, u64), CoreError> {
        let mut slot = self.session.lock().await;
        let now = (self.now)();
        let live = slot
            .as_ref()
            .ok_or_else(|| CoreError::new(ErrorCode::Unauthorized))?;
        if let Some(token) = live.usable_access(now) {
            return Ok((token, live.generation));
        }
        self.refresh_locked(&mut slot).await?;
        let live = slot.as_ref().expect("refreshed session");
        let token = live.access_token.clone().expect("refreshed access token");
        Ok((token, live.generation))
    }

    /// After the server refused the access token of `generation`: refresh, unless another
    /// call already did.
    async fn access_token_after_refusal(&self, generation: u64) -> Result<Secret, CoreError> {
        let mut slot = self.session.lock().await;
        let live = slot
            .as_ref()
            .ok_or_else(|| CoreError::new(ErrorCode::Unauthorized))?;
        if live.generation == generation {
            self.refresh_locked(&mut slot).await?;
        }
        slot.as_ref()
            .and_then(|l| l.access_token.clone())
            .ok_or_else(|| CoreError::new(ErrorCode::Unauthorized))
    }

    /// Runs an authenticated call; when the server refuses the token, refreshes once and
    /// tries again (safe for a POST too: a refused token means nothing was done).
    async fn authed<T, F, Fut>(&self, call: F) -> Result<T, CoreError>
    where
        F: Fn(ApiClient, Secret) -> Fut,
        Fut: Future<Output = Result<T, CoreError>>,
    {
        let (token, generation) = self.access_token().await?;
        match call(self.api(), token).await {
            Err(e) if ends_session(&e) => {
                let token = self.access_token_after_refusal(generation).await?;
                match call(self.api(), token).await {
                    Err(e) if ends_session(&e) => {
                        // Even a fresh token is refused: the session is gone.
                        let mut slot = self.session.lock().await;
                        if slot.take().is_some() {
                            self.end_session(&e).await;
                        }
                        Err(e)
                    }
                    other => other,
                }
            }
            other => other,
        }
    }

    /// The support event log's resume point for the next realtime connection.
    pub(crate) fn set_support_after(&self, seq: i64) {
        self.support_after
            .fetch_max(seq, std::sync::atomic::Ordering::SeqCst);
    }

    /// Forgets the support resume point (another account or server).
    pub(crate) fn reset_support_after(&self, seq: i64) {
        self.support_after
            .store(seq, std::sync::atomic::Ordering::SeqCst);
    }

    pub(crate) fn support_after(&self) -> Option<i64> {
        let seq = self.support_after.load(std::sync::atomic::Ordering::SeqCst);
        (seq >= 0).then_some(seq)
    }

    /// The support events of the realtime channel (`Support*` variants only).
    pub(crate) fn subscribe_support(
        &self,
    ) -> broadcast::Receiver<xwms_api::security::RealtimeEvent> {
        self.support_events.subscribe()
    }

    /// An authenticated download of a file's bytes.
    pub(crate) async fn authed_bytes(&self, path: &str) -> Result<Vec<u8>, CoreError> {
        self.authed(|api, token| async move { api.get_bytes(path, &token).await })
            .await
    }

    /// An authenticated upload of raw bytes with their content type (never retried).
    pub(crate) async fn authed_upload<T: DeserializeOwned>(
        &self,
        path: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<T, CoreError> {
        self.authed(|api, token| {
            let bytes = bytes.clone();
            async move { api.upload(path, bytes, content_type, &token).await }
        })
        .await
    }

    pub(crate) async fn authed_send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, CoreError> {
        self.authed(|api, token| {
            let method = method.clone();
            let body = body.clone();
            async move { api.request(method, path, body, Some(&token)).await }
        })
        .await
    }

    async fn remember_user(&self, user: &UserProfile) {
        let mut slot = self.session.lock().await;
        if let Some(live) = slot.as_mut() {
            if live.user.as_ref() != Some(user) {
                live.user = Some(user.clone());
                self.emit(AccountEvent::AccountChanged(Some(user.clone())));
            }
        }
    }

    // ----- signed out -----

    fn language(&self) -> Option<String> {
        self.language.read().expect("language lock").clone()
    }

    /// Creates an account; the server mails a 6-digit code to verify the address.
    pub async fn sign_up(
        &self,
        name: &str,
        email: &str,
        password: Secret,
    ) -> Result<CodeSent, CoreError> {
        let request = SignUpRequest {
            name: name.to_string(),
            email: email.to_string(),
            password,
            language: self.language(),
        };
        let sent = self.api().post(paths::SIGN_UP, &request, None).await;
        self.note_sent(CodePurpose::VerifyEmail, email, sent)
    }

    /// Verifies the email address with the mailed code.
    pub async fn verify_email(&self, email: &str, code: Secret) -> Result<(), CoreError> {
        let request = EmailCodeRequest {
            email: email.to_string(),
            code,
            challenge_id: self.challenge_for(CodePurpose::VerifyEmail, email),
        };
        self.api()
            .post::<_, NoData>(paths::VERIFY_EMAIL, &request, None)
            .await
            .map(drop)
    }

    fn email_request(&self, purpose: CodePurpose, email: &str) -> EmailRequest {
        let challenge = self.challenge_for(purpose, email);
        EmailRequest {
            email: email.to_string(),
            language: self.language(),
            challenge_id: (!challenge.is_empty()).then_some(challenge),
        }
    }

    /// Mails a new verification code (replacing the pending one of this sign-up).
    pub async fn resend_verification(&self, email: &str) -> Result<CodeSent, CoreError> {
        let request = self.email_request(CodePurpose::VerifyEmail, email);
        let sent = self
            .api()
            .post(paths::RESEND_VERIFICATION, &request, None)
            .await;
        self.note_sent(CodePurpose::VerifyEmail, email, sent)
    }

    /// Signs in with email and password. On success the session is saved in the keychain;
    /// when the keychain refuses, the new session is revoked again and the app stays signed
    /// out (tokens never fall back to a file).
    pub async fn sign_in(&self, email: &str, password: Secret) -> Result<SignInOutcome, CoreError> {
        let request = SignInRequest {
            email: email.to_string(),
            password,
            device: self.device.clone(),
            device_token: self.load_device_token(email).await,
        };
        let api = self.api();
        let answer: SignInResponse = match api.post(paths::SIGN_IN, &request, None).await {
            Ok(answer) => answer,
            Err(e) => {
                self.note_error_challenge(email, &e);
                return Err(e);
            }
        };
        *self.signing_in_email.lock().expect("email lock") = Some(email.to_owned());
        match answer {
            SignInResponse::SignedIn(tokens) => {
                let user = self.start_session(&api, *tokens).await?;
                Ok(SignInOutcome::SignedIn { account: user })
            }
            SignInResponse::SecondFactor(challenge) => {
                let methods = challenge.methods.clone();
                *self.challenge.lock().expect("challenge lock") = Some(challenge.challenge);
                Ok(SignInOutcome::SecondFactor { methods })
            }
        }
    }

    /// Holds and saves the session of a completed sign-in (password, or password and second
    /// factor). When the keychain refuses, the new session is revoked again and the app stays
    /// signed out (tokens never fall back to a file). A session held before is ended on the
    /// server too.
    async fn start_session(
        &self,
        api: &ApiClient,
        tokens: SessionTokens,
    ) -> Result<UserProfile, CoreError> {
        let mut tokens = tokens;
        let signing_in = self.signing_in_email.lock().expect("email lock").take();
        if let (Some(token), Some(email)) = (tokens.device_token.take(), signing_in) {
            self.save_device_token(&email, token).await;
        }
        let mut slot = self.session.lock().await;
        let generation = slot.as_ref().map_or(0, |l| l.generation + 1);
        let live = Live::from_tokens(tokens, generation);
        if let Err(e) = self.save_stored(live.stored()).await {
            if let Some(token) = &live.access_token {
                let _ = api
                    .post::<_, NoData>(paths::SIGN_OUT, &serde_json::json!({}), Some(token))
                    .await;
            }
            return Err(e);
        }
        let user = live.user.clone().expect("signed-in user");
        if let Some(previous) = slot.replace(live) {
            // Signed in again over a session: end the old one on the server too.
            if let Some(token) = previous.access_token {
                let _ = api
                    .post::<_, NoData>(paths::SIGN_OUT, &serde_json::json!({}), Some(&token))
                    .await;
            }
        }
        drop(slot);
        *self.challenge.lock().expect("challenge lock") = None;
        self.session_changed();
        self.emit(AccountEvent::AccountChanged(Some(user.clone())));
        Ok(user)
    }

    /// Unlocks a locked account with the mailed code.
    pub async fn unlock_account(&self, email: &str, code: Secret) -> Result<(), CoreError> {
        let request = EmailCodeRequest {
            email: email.to_string(),
            code,
            challenge_id: self.challenge_for(CodePurpose::Unlock, email),
        };
        self.api()
            .post::<_, NoData>(paths::UNLOCK, &request, None)
            .await
            .map(drop)
    }

    /// Mails a new unlock code.
    pub async fn resend_unlock(&self, email: &str) -> Result<CodeSent, CoreError> {
        let request = self.email_request(CodePurpose::Unlock, email);
        let sent = self.api().post(paths::RESEND_UNLOCK, &request, None).await;
        self.note_sent(CodePurpose::Unlock, email, sent)
    }

    /// Mails a password reset code (the same answer whether the address has an account).
    pub async fn forgot_password(&self, email: &str) -> Result<CodeSent, CoreError> {
        let request = self.email_request(CodePurpose::ResetPassword, email);
        let sent = self
            .api()
            .post(paths::FORGOT_PASSWORD, &request, None)
            .await;
        self.note_sent(CodePurpose::ResetPassword, email, sent)
    }

    /// Sets a new password with the mailed reset code.
    pub async fn reset_password(
        &self,
        email: &str,
        code: Secret,
        new_password: Secret,
    ) -> Result<(), CoreError> {
        let request = ResetPasswordRequest {
            email: email.to_string(),
            code,
            challenge_id: self.challenge_for(CodePurpose::ResetPassword, email),
            new_password,
        };
        self.api()
            .post::<_, NoData>(paths::RESET_PASSWORD, &request, None)
            .await
            .map(drop)
    }

    /// Files an account recovery request for support.
    pub async fn file_recovery_request(
        &self,
        request: &RecoveryRequest,
    ) -> Result<RecoveryFiled, CoreError> {
        self.api()
            .post(paths::RECOVERY_REQUEST, request, None)
            .await
    }

    // ----- the session -----

    /// Resumes the session saved in the keychain, if any, by refreshing it.
    ///
    /// `Ok(None)`: nothing saved (signed out). `Ok(Some)`: signed in. `Err` with
    /// `auth.session_*`/`auth.unauthorized`: the server ended the session; the keychain entry
    /// is removed and `SessionEnded` sent. Any other `Err` (offline): the saved session is
    /// kept and the next call tries again.
    pub async fn restore_session(&self) -> Result<Option<UserProfile>, CoreError> {
        let mut slot = self.session.lock().await;
        if let Some(live) = slot.as_ref() {
            if let Some(user) = &live.user {
                return Ok(Some(user.clone()));
            }
        } else {
            let Some(stored) = self.load_stored().await? else {
                return Ok(None);
            };
            *slot = Some(Live {
                session_id: stored.session_id,
                refresh_token: stored.refresh_token,
                refresh_expires_at: stored.refresh_expires_at,
                access_token: None,
                access_expires_at: None,
                user: None,
                generation: 0,
            });
            self.session_changed();
        }
        self.refresh_locked(&mut slot).await?;
        let user = slot.as_ref().and_then(|l| l.user.clone());
        if let Some(user) = &user {
            self.emit(AccountEvent::AccountChanged(Some(user.clone())));
        }
        Ok(user)
    }

    /// True while a session is held (possibly not yet refreshed after an offline start).
    pub async fn is_signed_in(&self) -> bool {
        self.session.lock().await.is_some()
    }

    /// The id of the current session, if any.
    pub async fn session_id(&self) -> Option<String> {
        self.session
            .lock()
            .await
            .as_ref()
            .map(|l| l.session_id.clone())
    }

    /// The signed-in account, fresh from the server.
    pub async fn current_account(&self) -> Result<UserProfile, CoreError> {
        let user: UserProfile = self.authed_send(Method::GET, paths::ACCOUNT, None).await?;
        self.remember_user(&user).await;
        Ok(user)
    }

    /// Changes name, username, time zone, region or language.
    pub async fn update_profile(&self, update: &ProfileUpdate) -> Result<UserProfile, CoreError> {
        let user: UserProfile = self
            .authed_send(Method::PATCH, paths::PROFILE, Some(to_json(update)?))
            .await?;
        self.remember_user(&user).await;
        Ok(user)
    }

    /// Starts an email change: the password is re-entered, a code goes to the new address.
    pub async fn change_email(
        &self,
        new_email: &str,
        password: Secret,
    ) -> Result<CodeSent, CoreError> {
        let request = EmailChangeRequest {
            new_email: new_email.to_string(),
            password,
        };
        let sent = self
            .authed_send(Method::POST, paths::CHANGE_EMAIL, Some(to_json(&request)?))
            .await;
        self.note_sent(CodePurpose::ChangeEmail, "", sent)
    }

    /// Confirms the email change with the code sent to the new address.
    pub async fn confirm_email_change(&self, code: Secret) -> Result<UserProfile, CoreError> {
        let request = EmailConfirmRequest {
            code,
            challenge_id: self.challenge_for(CodePurpose::ChangeEmail, ""),
        };
        let user: UserProfile = self
            .authed_send(Method::POST, paths::CONFIRM_EMAIL, Some(to_json(&request)?))
            .await?;
        self.remember_user(&user).await;
        Ok(user)
    }

    /// Changes the password (the current one is required); optionally ends every other
    /// session.
    pub async fn change_password(
        &self,
        current_password: Secret,
        new_password: Secret,
        sign_out_others: bool,
    ) -> Result<PasswordChanged, CoreError> {
        let request = PasswordChangeRequest {
            current_password,
            new_password,
            sign_out_others,
        };
        self.authed_send(
            Method::POST,
            paths::CHANGE_PASSWORD,
            Some(to_json(&request)?),
        )
        .await
    }

    /// Signs out. At once here: the session leaves memory and its keychain entry, and
    /// `AccountChanged(None)` tells the app. On the server: the revoke is sent now, and when
    /// the server cannot be reached it is queued durably and sent when it answers (see
    /// `account/sign_out.rs`), so a sign-out always ends the server's session. Errors only
    /// when the keychain cannot hold the queued sign-out.
    pub async fn sign_out(&self) -> Result<(), CoreError> {
        *self.challenge.lock().expect("challenge lock") = None;
        let mut slot = self.session.lock().await;
        let Some(live) = slot.take() else {
            drop(slot);
            self.forget_stored().await;
            return Ok(());
        };
        drop(slot);
        self.session_changed();
        self.emit(AccountEvent::AccountChanged(None));
        let (server, account) = (self.server_url(), self.keychain_account());
        self.end_on_server(&server, &account, live).await
    }
}

/// This computer's name, as the person knows it (`anna-laptop`).
/// What a mailed code is for (the key of its remembered challenge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum CodePurpose {
    VerifyEmail,
    Unlock,
    ResetPassword,
    ChangeEmail,
}

/// How the server compares addresses (case-insensitive).
fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn device_name() -> String {
    let name = gethostname::gethostname()
        .to_string_lossy()
        .trim()
        .to_string();
    if name.is_empty() {
        "unknown".to_string()
    } else {
        name.chars().take(100).collect()
    }
}

/// This installation's random id, created on first use in `data_dir` (not a secret: it only
/// lets the server tell a new installation from a known one).
pub fn installation_id(data_dir: &Path) -> String {
    let path: PathBuf = data_dir.join(INSTALLATION_ID_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let id = text.trim();
        if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return id.to_string();
        }
    }
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = path.with_extension("tmp");
    let written = std::fs::create_dir_all(data_dir)
        .and_then(|_| std::fs::write(&tmp, &id))
        .and_then(|_| std::fs::rename(&tmp, &path));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "could not save the installation id");
    }
    id
}

mod live_updates;
mod security;
mod sign_out;

pub use sign_out::SIGN_OUT_RETRY;

#[cfg(test)]
mod tests;
