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

use std::sync::Arc;

use rusqlite::Transaction;
use time::OffsetDateTime;
use xwms_api::auth::{DeviceInfo, SecondFactorChallenge};

use crate::clock::Clock;
use crate::error::ApiError;
use crate::mail::{self, MailFacts, MailKind, Outbox};
use crate::random::Random;
use crate::store::Store;

pub mod codes;
pub mod events;
pub mod guard;
pub mod hashing;
pub mod housekeeping;
pub mod policy;
pub mod sessions;
pub mod users;
pub mod validate;

mod account;
mod password;
mod recovery;
mod signin;
mod signup;

pub use hashing::{HashCost, PasswordHasher};
pub use sessions::Authenticated;
pub use users::User;
pub use validate::Language;

/// What the server knows about the caller of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientMeta {
    /// The peer address (`unknown` without a socket, as in in-process tests). Forwarded headers
    /// are not trusted.
    pub ip: String,
    pub user_agent: String,
    /// From `Accept-Language`, when it names en, nl or fr.
    pub language: Option<Language>,
}

/// The seam for a second factor (the security-center issue adds TOTP here).
///
/// After a correct password, sign-in asks [`SecondFactor::challenge`]: `None` signs the person in
/// at once; `Some(challenge)` answers `SignInResponse::SecondFactor` instead, and the route that
/// checks the second factor opens the session with [`Accounts::complete_sign_in`]. Password
/// reset never skips this step (R10): it does not sign anyone in.
pub trait SecondFactor: Send + Sync + 'static {
    fn challenge(
        &self,
        tx: &Transaction<'_>,
        user: &User,
        device: &DeviceInfo,
        client: &ClientMeta,
        now: OffsetDateTime,
    ) -> rusqlite::Result<Option<SecondFactorChallenge>>;
}

/// No account has a second factor yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSecondFactor;

impl SecondFactor for NoSecondFactor {
    fn challenge(
        &self,
        _tx: &Transaction<'_>,
        _user: &User,
        _device: &DeviceInfo,
        _client: &ClientMeta,
        _now: OffsetDateTime,
    ) -> rusqlite::Result<Option<SecondFactorChallenge>> {
        Ok(None)
    }
}

/// The account service; one per server, shared through `AppState`.
pub struct Accounts {
    store: Store,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    hasher: PasswordHasher,
    outbox: Arc<Outbox>,
    second_factor: Arc<dyn SecondFactor>,
}

/// What a write transaction may use besides the connection.
pub(crate) struct Ctx {
    pub now: OffsetDateTime,
    pub random: Arc<dyn Random>,
    pub second_factor: Arc<dyn SecondFactor>,
}

impl Ctx {
    pub fn random(&self) -> &dyn Random {
        self.random.as_ref()
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
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        hasher: PasswordHasher,
        outbox: Arc<Outbox>,
        second_factor: Arc<dyn SecondFactor>,
    ) -> Accounts {
        Accounts {
            store,
            clock,
            random,
            hasher,
            outbox,
            second_factor,
        }
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

    /// Runs `work` in one transaction and wakes the mail sender afterwards.
    async fn write<R, F>(&self, work: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>, &Ctx) -> rusqlite::Result<R> + Send + 'static,
    {
        let ctx = Ctx {
            now: self.now(),
            random: Arc::clone(&self.random),
            second_factor: Arc::clone(&self.second_factor),
        };
        let result = self.store.transaction(move |tx| work(tx, &ctx)).await?;
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
        tracing::error!(error = %err, "password hashing failed");
        ApiError::new(xwms_api::ErrorCode::Internal)
    }
}
