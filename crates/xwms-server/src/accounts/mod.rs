//! Accounts: sign-up with a verified address, sign-in with sessions and rotating tokens,
//! lockout and unlock, forgot password, account recovery, profile and settings.
//!
//! The rules live here; HTTP handlers (`crate::routes`) only unpack requests and call
//! [`Accounts`]. Time comes from the injected [`Clock`], randomness from the injected
//! [`Random`], and every number that decides an outcome is in [`policy`].
//!
//! # Shape of a flow
//!
//! A flow validates its input first (nothing is written for a bad request), does any password
//! hashing outside the database, and then writes everything in one transaction
//! ([`Store::transaction`]) together with the mail it causes (the [`Outbox`]). A denial that must
//! be recorded (a wrong code counts as a try; a wrong password counts as a failure) commits its
//! record and returns the denial as the inner `Err` of `rusqlite::Result<Result<T, ApiError>>`.
//!
//! # No user enumeration (R9)
//!
//! Sign-up, sign-in, forgot password, resends and recovery answer the same status and body
//! whether or not an address has an account, after the same password-hash work. Codes and
//! lockout state are keyed by the address, not the account: an address without an account gets
//! a *decoy* code (never mailed, never accepted) and its own failure counter, so every later
//! answer (`code.incorrect`, `code.resend_too_soon`, `auth.throttled`, `auth.locked`, ...)
//! matches too.

use std::sync::{Arc, Mutex};

use rusqlite::Transaction;
use time::OffsetDateTime;
use xwms_api::auth::{DeviceInfo, SecondFactorChallenge};
use xwms_api::security::RevokeReason;

use crate::clock::Clock;
use crate::error::ApiError;
use crate::mail::{self, MailFacts, MailKind, Outbox};
use crate::random::Random;
use crate::secrets::SecretKeys;
use crate::store::Store;
use live_sessions::{LiveSessions, Notice};

pub mod agent_actions;
pub mod agent_queue;
pub(crate) mod api_clients;
pub(crate) mod codes;
pub(crate) mod devices;
pub mod events;
pub(crate) mod guard;
pub(crate) mod hashing;
pub(crate) mod housekeeping;
pub(crate) mod limits;
pub(crate) mod live_sessions;
pub mod policy;
pub mod roles;
pub(crate) mod security;
pub mod sessions;
pub mod totp;
pub(crate) mod two_factor;
pub(crate) mod users;
pub mod validate;

mod account;
mod password;
mod recovery;
mod signin;
mod signup;
pub(crate) mod support;

pub use hashing::{HashCost, PasswordHasher};
pub use recovery::LOST_OPTIONS;
pub use sessions::Authenticated;
pub use support::prune_events as support_prune_events;
pub use support::prune_uploads as support_prune_uploads;
pub use users::User;
pub use xwms_api::Language;

/// What the server knows about the caller of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientMeta {
    /// The client's address: the socket's peer, or what a trusted reverse proxy forwarded
    /// ([`crate::net`]); `unknown` without a socket, as in in-process tests. Shown to people and
    /// stored with events; limits use [`ClientMeta::limit_key`].
    pub ip: String,
    pub user_agent: String,
    /// From `Accept-Language`, when it names en, nl or fr.
    pub language: Option<Language>,
}

impl ClientMeta {
    /// What every per-address limit counts by: the IPv4 address, or the IPv6 `/64`
    /// ([`policy::LIMIT_KEYS`]).
    pub fn limit_key(&self) -> String {
        policy::LIMIT_KEYS.key_of(&self.ip)
    }
}

/// The seam for a second factor.
///
/// After a correct password, sign-in asks [`SecondFactor::challenge`]: `None` signs the person in
/// at once; `Some(challenge)` answers `SignInResponse::SecondFactor` instead, and
/// `POST /api/auth/signin/second-factor` opens the session once the challenge is met
/// ([`Accounts::sign_in_second_factor`]). Password reset never skips this step (R10): it does
/// not sign anyone in. Production uses [`two_factor::TotpSecondFactor`].
pub trait SecondFactor: Send + Sync + 'static {
    fn challenge(
        &self,
        tx: &Transaction<'_>,
        random: &dyn Random,
        user: &User,
        attempt: &SignInAttempt<'_>,
        now: OffsetDateTime,
    ) -> rusqlite::Result<Option<SecondFactorChallenge>>;
}

/// The facts of a sign-in whose password was right, for [`SecondFactor::challenge`].
#[derive(Debug, Clone, Copy)]
pub struct SignInAttempt<'a> {
    pub device: &'a DeviceInfo,
    pub client: &'a ClientMeta,
    /// Failed sign-ins before this one (the notice after many failures is sent when the
    /// session opens).
    pub failures_before: u32,
    /// The failure budget the password was checked in (see [`guard`]); the second step counts in
    /// the same one.
    pub budget: &'a str,
}

/// The account service; one per server, shared through `AppState`.
pub struct Accounts {
    store: Store,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    hasher: PasswordHasher,
    outbox: Arc<Outbox>,
    second_factor: Arc<dyn SecondFactor>,
    live: Arc<LiveSessions>,
    keys: Arc<SecretKeys>,
    /// When each author last said "typing" in each conversation (never stored).
    typing: support::TypingGate,
}

/// What a write transaction may use besides the connection.
pub(crate) struct Ctx {
    pub now: OffsetDateTime,
    pub random: Arc<dyn Random>,
    pub second_factor: Arc<dyn SecondFactor>,
    /// Seals TOTP secrets and peppers recovery codes ([`crate::secrets`]).
    pub keys: Arc<SecretKeys>,
    /// Told to connected sessions once the transaction committed.
    notices: Arc<Mutex<Vec<Notice>>>,
}

impl Ctx {
    pub fn random(&self) -> &dyn Random {
        self.random.as_ref()
    }

    fn notify(&self, notice: Notice) {
        self.notices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(notice);
    }

    /// The person's security page should refresh (sent after commit).
    pub fn security_changed(&self, user_id: &str) {
        self.notify(Notice::SecurityChanged {
            user_id: user_id.to_owned(),
        });
    }

    /// A new-sign-in alert for the person's other sessions (sent after commit).
    pub fn new_sign_in(
        &self,
        user_id: &str,
        session_id: &str,
        event: xwms_api::security::SecurityEventInfo,
    ) {
        self.notify(Notice::NewSignIn {
            user_id: user_id.to_owned(),
            session_id: session_id.to_owned(),
            event: Box::new(event),
        });
    }

    /// Ends one session (its tokens stop working; its sockets are told after commit); false
    /// when it had already ended. Every way a session ends goes through here or
    /// [`Ctx::revoke_sessions`].
    pub fn revoke_session(
        &self,
        tx: &Transaction<'_>,
        user_id: &str,
        session_id: &str,
        reason: RevokeReason,
    ) -> rusqlite::Result<bool> {
        let ended = sessions::revoke(tx, session_id, self.now, reason)?;
        if ended {
            self.session_ended(user_id, session_id, reason);
        }
        Ok(ended)
    }

    /// Tells the sockets of a session that ended (after commit).
    pub fn session_ended(&self, user_id: &str, session_id: &str, reason: RevokeReason) {
        self.notify(Notice::SessionEnded {
            user_id: user_id.to_owned(),
            session_id: session_id.to_owned(),
            reason,
        });
    }

    /// Ends every session of `user_id` but `keep`; returns how many ended.
    pub fn revoke_sessions(
        &self,
        tx: &Transaction<'_>,
        user_id: &str,
        keep: Option<&str>,
        reason: RevokeReason,
    ) -> rusqlite::Result<u32> {
        let ended = sessions::revoke_all(tx, user_id, keep, self.now, reason)?;
        for session_id in &ended {
            self.session_ended(user_id, session_id, reason);
        }
        Ok(u32::try_from(ended.len()).unwrap_or(u32::MAX))
    }

    /// Queues a security notice to `user` (their address, language and name; `when` in their
    /// time zone and `ip` filled in) in this transaction.
    pub fn notice(
        &self,
        tx: &Transaction<'_>,
        kind: MailKind,
        user: &User,
        ip: &str,
        facts: MailFacts,
    ) -> rusqlite::Result<()> {
        let facts = MailFacts {
            name: user.name.clone(),
            when: mail::templates::format_when(self.now, &user.timezone),
            ip: ip.to_owned(),
            ..facts
        };
        self.mail(tx, kind, &user.email, user.language, &facts)
    }

    /// Queues a mail in this transaction.
    pub fn mail(
        &self,
        tx: &Transaction<'_>,
        kind: MailKind,
        to: &str,
        language: Language,
        facts: &MailFacts,
    ) -> rusqlite::Result<()> {
        mail::outbox::enqueue(tx, self.now, &mail::render(kind, to, language, facts)).map(|_| ())
    }
}

impl Accounts {
    // One argument per injected part; `AppState::new` is the one caller.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        hasher: PasswordHasher,
        outbox: Arc<Outbox>,
        second_factor: Arc<dyn SecondFactor>,
        live: Arc<LiveSessions>,
        keys: Arc<SecretKeys>,
    ) -> Accounts {
        Accounts {
            store,
            clock,
            random,
            hasher,
            outbox,
            second_factor,
            live,
            keys,
            typing: support::TypingGate::default(),
        }
    }

    /// The connected sessions this service tells about changes.
    pub fn live(&self) -> &Arc<LiveSessions> {
        &self.live
    }

    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Runs `work` in one transaction (`BEGIN IMMEDIATE`, as [`Store::transaction`]), tells
    /// connected sessions what the committed transaction changed (nothing when it rolled back),
    /// then wakes the mail sender.
    async fn write<R, F>(&self, work: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>, &Ctx) -> rusqlite::Result<R> + Send + 'static,
    {
        let notices = Arc::new(Mutex::new(vec![]));
        let ctx = Ctx {
            now: self.now(),
            random: Arc::clone(&self.random),
            second_factor: Arc::clone(&self.second_factor),
            keys: Arc::clone(&self.keys),
            notices: Arc::clone(&notices),
        };
        let live = Arc::clone(&self.live);
        // Published while the store is still held, so connections hear committed changes in
        // commit order (the support event log's seq order: no client sees seq 6 before 5).
        let result = self
            .store
            .call(move |conn| {
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let result = work(&tx, &ctx)?;
                tx.commit()?;
                let notices =
                    std::mem::take(&mut *notices.lock().unwrap_or_else(|p| p.into_inner()));
                live.publish(notices);
                Ok(result)
            })
            .await?;
        self.outbox.wake();
        Ok(result)
    }

    /// Runs a read on the connection.
    async fn read<R, F>(&self, work: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&rusqlite::Connection, OffsetDateTime) -> rusqlite::Result<R> + Send + 'static,
    {
        let now = self.now();
        Ok(self.store.call(move |conn| work(conn, now)).await?)
    }
}

impl From<hashing::HashError> for ApiError {
    fn from(err: hashing::HashError) -> ApiError {
        match err {
            hashing::HashError::Busy {
                retry_after_seconds,
            } => ApiError::retry_after(xwms_api::ErrorCode::Busy, retry_after_seconds),
            hashing::HashError::Failed(_) => {
                tracing::error!(error = %err, "password hashing failed");
                ApiError::new(xwms_api::ErrorCode::Internal)
            }
        }
    }
}
