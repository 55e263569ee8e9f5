//! Two-step verification: an authenticator app (TOTP, [`super::totp`]) with single-use recovery
//! codes.
//!
//! Turning it on is two steps: `setup` (password again) makes a pending secret valid
//! [`TWO_FACTOR`]`.setup_lifetime`; `enable` with a code of that secret turns it on and answers
//! the first set of recovery codes. While it is on, a right password at sign-in answers a
//! challenge ([`TotpSecondFactor`]): an opaque token (256 random bits, only its SHA-256 is
//! stored) valid [`TWO_FACTOR`]`.challenge_lifetime`, bound to the device facts and client of the
//! password step (the second step must come from the same IP address and user agent; the
//! session opens with the facts of the first). A wrong code counts as a failed sign-in of the
//! address and the client IP, exactly like a wrong password, so the progressive lockout caps
//! code guessing; the failure count is only cleared once the second factor is met.
//!
//! At rest ([`crate::secrets`]): the secret and the pending secret are sealed blobs (an AEAD
//! under the server key, bound to the account id), opened only to check a code; a blob that
//! does not open (another account's, another key's) fails closed: 2FA stays on and every code is
//! wrong. Recovery codes are kept as an HMAC with the server's pepper.

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde_json::json;
use time::OffsetDateTime;
use xwms_api::auth::{CodeRequest, DeviceInfo, SecondFactorChallenge, SessionTokens};
use xwms_api::security::{
    totp as totp_params, PasswordRequest, RecoveryCodes, SecondFactorMethod, SecondFactorRequest,
    TwoFactorDisableRequest, TwoFactorSetup, TwoFactorStatus,
};
use xwms_api::{ErrorCode, Secret};

use super::codes::Purpose;
use super::events::{self, Kind};
use super::guard::GuardKey;
use super::policy::{LOCKOUT, TWO_FACTOR};
use super::sessions::{token_hash, Authenticated};
use super::signin::{device_text, gate_error, locked_error, open_session, record_failure};
use super::totp::{self, TotpVerdict};
use super::users::{self, User};
use super::{guard, Accounts, ClientMeta, Ctx, SecondFactor, SignInAttempt};

use crate::clock::{from_millis, rfc3339, to_millis};
use crate::error::ApiError;
use crate::mail::templates::format_when;
use crate::mail::{MailFacts, MailKind};
use crate::random::{self, Random};
use crate::secrets::SecretKeys;

/// The budget of re-entering the password or a code while signed in.
fn reauth_key(user: &User) -> GuardKey<'_> {
    GuardKey {
        email_key: &user.email_key,
        budget: guard::REAUTH_BUDGET,
    }
}

/// Prefix of a sign-in challenge.
pub const CHALLENGE_PREFIX: &str = "xwms_2fa_";

/// Letters and digits of a recovery code.
pub const RECOVERY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The stored two-step state of an account; `secret` and `pending_secret` are sealed blobs
/// ([`SecretKeys::open`]).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TwoFactorRow {
    pub secret: Option<Vec<u8>>,
    pub enabled_at: Option<OffsetDateTime>,
    pub last_step: Option<u64>,
    pub pending_secret: Option<Vec<u8>>,
    pub pending_expires_at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for TwoFactorRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorRow")
            .field("enabled", &self.secret.is_some())
            .field("last_step", &self.last_step)
            .finish_non_exhaustive()
    }
}

impl TwoFactorRow {
    pub fn enabled(&self) -> bool {
        self.secret.is_some()
    }
}

pub fn load(conn: &Connection, user_id: &str) -> rusqlite::Result<TwoFactorRow> {
    Ok(conn
        .prepare_cached(
            "SELECT secret, enabled_at, last_step, pending_secret, pending_expires_at
             FROM two_factor WHERE user_id = ?1",
        )?
        .query_row([user_id], |row| {
            Ok(TwoFactorRow {
                secret: row.get(0)?,
                enabled_at: row.get::<_, Option<i64>>(1)?.map(from_millis),
                last_step: row
                    .get::<_, Option<i64>>(2)?
                    .and_then(|s| u64::try_from(s).ok()),
                pending_secret: row.get(3)?,
                pending_expires_at: row.get::<_, Option<i64>>(4)?.map(from_millis),
            })
        })
        .optional()?
        .unwrap_or_default())
}

pub fn is_enabled(conn: &Connection, user_id: &str) -> rusqlite::Result<bool> {
    Ok(load(conn, user_id)?.enabled())
}

fn unix(at: OffsetDateTime) -> u64 {
    u64::try_from(at.unix_timestamp()).unwrap_or(0)
}

fn set_last_step(conn: &Connection, user_id: &str, step: u64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE two_factor SET last_step = ?2 WHERE user_id = ?1")?
        .execute(params![user_id, i64::try_from(step).unwrap_or(i64::MAX)])
        .map(|_| ())
}

/// The account's status, for the security overview.
pub fn status(conn: &Connection, user_id: &str) -> rusqlite::Result<TwoFactorStatus> {
    let row = load(conn, user_id)?;
    let left: u32 = conn
        .prepare_cached(
            "SELECT count(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL",
        )?
        .query_row([user_id], |r| r.get(0))?;
    Ok(TwoFactorStatus {
        enabled: row.enabled(),
        enabled_at: row.enabled_at.filter(|_| row.enabled()).map(rfc3339),
        recovery_codes_left: if row.enabled() { left } else { 0 },
    })
}

// --- recovery codes

/// A recovery code without its dash, lower case, or `None` when it cannot be one.
fn normalise_recovery_code(code: &str) -> Option<String> {
    let code: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    (code.len() == TWO_FACTOR.recovery_code_chars
        && code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)))
    .then_some(code)
}

/// Opens a sealed secret of `user_id`; a blob that does not open is logged and fails closed.
fn open_secret(keys: &SecretKeys, user_id: &str, blob: &[u8]) -> Option<Vec<u8>> {
    let plain = keys.open(user_id, blob);
    if plain.is_none() {
        tracing::error!(
            user_id,
            "a stored TOTP secret does not open with the server key (copied from another account, or changed?); every code is refused"
        );
    }
    plain
}

/// A uniformly drawn `xxxx-xxxx`.
pub fn recovery_code(random: &dyn Random) -> String {
    let n = RECOVERY_ALPHABET.len();
    let limit = u8::try_from(256 / n * n).unwrap_or(u8::MAX);
    let half = TWO_FACTOR.recovery_code_chars / 2;
    let mut out = String::new();
    let mut drawn = 0;
    while drawn < TWO_FACTOR.recovery_code_chars {
        let byte = random::bytes::<1>(random)[0];
        if byte < limit {
            if drawn == half {
                out.push('-');
            }
            out.push(char::from(RECOVERY_ALPHABET[usize::from(byte) % n]));
            drawn += 1;
        }
    }
    out
}

/// A new set of recovery codes for `user_id`, replacing the old set.
fn new_recovery_codes(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    user_id: &str,
) -> rusqlite::Result<RecoveryCodes> {
    tx.prepare_cached("DELETE FROM recovery_codes WHERE user_id = ?1")?
        .execute([user_id])?;
    let mut codes = vec![];
    let mut insert =
        tx.prepare_cached("INSERT OR IGNORE INTO recovery_codes (user_id, hash) VALUES (?1, ?2)")?;
    while codes.len() < totp_params::RECOVERY_CODES {
        let code = recovery_code(ctx.random());
        let normalised = normalise_recovery_code(&code).expect("a drawn code is well-formed");
        let hash = ctx.keys.recovery_hash(user_id, &normalised);
        if insert.execute(params![user_id, hash])? == 1 {
            codes.push(Secret::new(code));
        }
    }
    tx.prepare_cached("UPDATE two_factor SET codes_generated_at = ?2 WHERE user_id = ?1")?
        .execute(params![user_id, to_millis(ctx.now)])?;
    Ok(RecoveryCodes {
        codes,
        generated_at: rfc3339(ctx.now),
    })
}

/// Uses up a recovery code; returns the codes left, or `None` when it is not an unused code of
/// the account. The code is looked for under the current pepper and, after a key rotation, the
/// previous one.
fn use_recovery_code(
    conn: &Connection,
    keys: &SecretKeys,
    user_id: &str,
    code: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<Option<u32>> {
    let Some(normalised) = normalise_recovery_code(code) else {
        return Ok(None);
    };
    let mut used = 0;
    for hash in keys.recovery_hashes(user_id, &normalised) {
        used += conn
            .prepare_cached(
                "UPDATE recovery_codes SET used_at = ?3 WHERE user_id = ?1 AND hash = ?2 AND used_at IS NULL",
            )?
            .execute(params![user_id, hash, to_millis(now)])?;
        if used > 0 {
            break;
        }
    }
    if used == 0 {
        return Ok(None);
    }
    conn.prepare_cached(
        "SELECT count(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL",
    )?
    .query_row([user_id], |r| r.get(0))
    .map(Some)
}

/// Records a replayed TOTP code (R1): refused, not counted as a guess, but shown in the
/// person's timeline.
fn record_replay(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    user_id: &str,
    ip: &str,
    details: serde_json::Value,
) -> rusqlite::Result<()> {
    let mut details = details;
    details["method"] = json!(SecondFactorMethod::Totp);
    events::record(
        tx,
        user_id,
        Kind::TwoFactorCodeReplayed,
        ip,
        ctx.now,
        details,
    )?;
    ctx.security_changed(user_id);
    Ok(())
}

/// What a second factor entered came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checked {
    Totp,
    /// The mailed code of a denied installation's sign-in.
    EmailCode,
    RecoveryCode {
        left: u32,
    },
    Used,
    Wrong,
}

/// Checks `code` as `method` against the account's enabled second factor, using it up when
/// right (the TOTP step is stored; a recovery code is spent).
fn check_code(
    conn: &Connection,
    keys: &SecretKeys,
    user_id: &str,
    method_name: SecondFactorMethod,
    code: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<Checked> {
    let row = load(conn, user_id)?;
    let Some(sealed) = row.secret else {
        return Ok(Checked::Wrong);
    };
    if method_name == SecondFactorMethod::RecoveryCode {
        return Ok(match use_recovery_code(conn, keys, user_id, code, now)? {
            Some(left) => Checked::RecoveryCode { left },
            None => Checked::Wrong,
        });
    }
    let Some(secret) = open_secret(keys, user_id, &sealed) else {
        return Ok(Checked::Wrong);
    };
    Ok(
        match totp::verify(&secret, code, unix(now), row.last_step) {
            TotpVerdict::Accept { step } => {
                set_last_step(conn, user_id, step)?;
                Checked::Totp
            }
            TotpVerdict::Used => Checked::Used,
            TotpVerdict::Incorrect => Checked::Wrong,
        },
    )
}

/// Which method a code given without one is: six digits are a TOTP code, anything else a
/// recovery code.
fn method_of(code: &str) -> SecondFactorMethod {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == totp_params::DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit()) {
        SecondFactorMethod::Totp
    } else {
        SecondFactorMethod::RecoveryCode
    }
}

// --- sign-in challenges

/// A pending second step of sign-in.
struct Challenge {
    user_id: String,
    device: DeviceInfo,
    ip: String,
    user_agent: String,
    failures_before: u32,
    budget: String,
}

fn challenge_by_hash(
    conn: &Connection,
    hash: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<Option<Challenge>> {
    conn.prepare_cached(
        "SELECT user_id, device_name, device_os, app, app_version, installation_id, ip, user_agent,
                failures_before, budget
         FROM sign_in_challenges WHERE hash = ?1 AND expires_at > ?2",
    )?
    .query_row(params![hash, to_millis(now)], |row| {
        Ok(Challenge {
            user_id: row.get(0)?,
            device: DeviceInfo {
                name: row.get(1)?,
                os: row.get(2)?,
                app: row.get(3)?,
                app_version: row.get(4)?,
                installation_id: row.get(5)?,
            },
            ip: row.get(6)?,
            user_agent: row.get(7)?,
            failures_before: row.get(8)?,
            budget: row.get(9)?,
        })
    })
    .optional()
}

/// Drops every pending sign-in challenge of `user_id` (after a lock, a password change or
/// reset, or turning 2FA off).
pub fn forget_challenges(conn: &Connection, user_id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM sign_in_challenges WHERE user_id = ?1")?
        .execute([user_id])
        .map(|_| ())
}

/// Drops expired challenges (housekeeping).
pub fn prune_challenges(conn: &Connection, now: OffsetDateTime) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM sign_in_challenges WHERE expires_at <= ?1",
        [to_millis(now)],
    )
}

/// The production second factor: accounts with 2FA on get a challenge.
#[derive(Debug, Clone, Copy, Default)]
pub struct TotpSecondFactor;

impl SecondFactor for TotpSecondFactor {
    fn challenge(
        &self,
        tx: &Transaction<'_>,
        random: &dyn Random,
        user: &User,
        attempt: &SignInAttempt<'_>,
        now: OffsetDateTime,
    ) -> rusqlite::Result<Option<SecondFactorChallenge>> {
        let enabled = is_enabled(tx, &user.id)?;
        // An installation the person denied ("Not me") must also prove the mailbox, unless the
        // account's authenticator app is asked for anyway (stronger than a mailed code).
        let denied =
            !enabled && super::devices::is_denied(tx, &user.id, &attempt.device.installation_id)?;
        if !enabled && !denied {
            return Ok(None);
        }
        let challenge = random::token(random, CHALLENGE_PREFIX);
        let device = attempt.device;
        tx.prepare_cached(
            "INSERT INTO sign_in_challenges (hash, user_id, device_name, device_os, app, app_version,
                 installation_id, ip, user_agent, failures_before, created_at, expires_at, budget)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            token_hash(&challenge),
            user.id,
            device.name,
            device.os,
            device.app,
            device.app_version,
            device.installation_id,
            attempt.client.ip,
            attempt.client.user_agent,
            attempt.failures_before,
            to_millis(now),
            to_millis(now + TWO_FACTOR.challenge_lifetime),
            attempt.budget,
        ])?;
        if denied {
            let target = super::codes::Target {
                user_id: Some(user.id.clone()),
                email: user.email.clone(),
                ..super::codes::Target::default()
            };
            let started = super::codes::start_bound(
                tx,
                random,
                now,
                Purpose::ConfirmDevice,
                &user.email_key,
                target,
                challenge.clone(),
            )?;
            if let Some(code) = started.code {
                let facts = MailFacts {
                    name: user.name.clone(),
                    code: Some(code),
                    minutes: super::signup::minutes(Purpose::ConfirmDevice),
                    device: super::signin::device_text(device),
                    ..MailFacts::default()
                };
                crate::mail::outbox::enqueue(
                    tx,
                    now,
                    &crate::mail::render(
                        MailKind::ConfirmDeviceCode,
                        &user.email,
                        user.language,
                        &facts,
                    ),
                )?;
            }
            return Ok(Some(SecondFactorChallenge {
                challenge: Secret::new(challenge),
                methods: vec![SecondFactorMethod::EmailCode],
            }));
        }
        Ok(Some(SecondFactorChallenge {
            challenge: Secret::new(challenge),
            methods: vec![SecondFactorMethod::Totp, SecondFactorMethod::RecoveryCode],
        }))
    }
}

impl Accounts {
    /// `POST /api/auth/signin/second-factor`: the code for a sign-in challenge opens the session.
    pub async fn sign_in_second_factor(
        &self,
        req: SecondFactorRequest,
        client: &ClientMeta,
    ) -> Result<SessionTokens, ApiError> {
        let method_name = match req.method {
            SecondFactorMethod::Unknown => {
                return Err(ApiError::with_message(
                    ErrorCode::FieldInvalid,
                    "`method` must be totp, recovery_code or email_code.",
                )
                .with_field("method"))
            }
            known => known,
        };
        let challenge_token = req.challenge.expose().to_owned();
        let hash = token_hash(req.challenge.expose());
        let client = client.clone();
        self.write(move |tx, ctx| {
            let expired = || Ok(Err(ApiError::new(ErrorCode::TwoFactorChallengeExpired)));
            let Some(challenge) = challenge_by_hash(tx, &hash, ctx.now)? else {
                return expired();
            };
            if challenge.ip != client.ip || challenge.user_agent != client.user_agent {
                return expired();
            }
            let Some(user) = users::by_id(tx, &challenge.user_id)? else {
                return expired();
            };
            let key = GuardKey {
                email_key: &user.email_key,
                budget: &challenge.budget,
            };
            // Gate, check and judgement in this one transaction: attempts cannot overlap.
            if let Some(wait) = guard::ip_wait(tx, &client.limit_key(), ctx.now)? {
                return Ok(Err(ApiError::retry_after(ErrorCode::Throttled, wait)));
            }
            if let Some(denied) = gate_error(LOCKOUT.gate(&guard::load(tx, key, ctx.now)?, ctx.now))
            {
                return Ok(Err(denied));
            }
            let mut wrong_code = None;
            let checked = if method_name == SecondFactorMethod::EmailCode {
                match super::codes::attempt(
                    tx,
                    ctx.now,
                    Purpose::ConfirmDevice,
                    &user.email_key,
                    &challenge_token,
                    req.code.expose(),
                    &client.limit_key(),
                )? {
                    Ok(_) => Checked::EmailCode,
                    // The mailed code's answers in this route's own terms: wrong (with the
                    // tries left), wait, or sign in again (a new code is mailed then).
                    Err(e) => match e.code {
                        ErrorCode::CodeIncorrect => {
                            let mut wrong =
                                ApiError::field(ErrorCode::TwoFactorCodeIncorrect, "code");
                            wrong.data = e.data;
                            wrong_code = Some(wrong);
                            Checked::Wrong
                        }
                        ErrorCode::CodeTooSoon => {
                            let wait = e.data.and_then(|d| d.retry_after_seconds).unwrap_or(5);
                            return Ok(Err(ApiError::retry_after(ErrorCode::Throttled, wait)));
                        }
                        _ => return Ok(Err(ApiError::new(ErrorCode::TwoFactorChallengeExpired))),
                    },
                }
            } else {
                check_code(
                    tx,
                    &ctx.keys,
                    &user.id,
                    method_name,
                    req.code.expose(),
                    ctx.now,
                )?
            };
            match checked {
                Checked::Used => {
                    record_replay(
                        tx,
                        ctx,
                        &user.id,
                        &client.ip,
                        json!({ "during": "sign_in" }),
                    )?;
                    Ok(Err(ApiError::field(ErrorCode::TwoFactorCodeUsed, "code")))
                }
                Checked::Wrong => {
                    events::record(
                        tx,
                        &user.id,
                        Kind::SecondFactorFailed,
                        &client.ip,
                        ctx.now,
                        json!({ "method": method_name, "during": "sign_in" }),
                    )?;
                    ctx.security_changed(&user.id);
                    match record_failure(
                        tx,
                        ctx,
                        key,
                        Some(&user),
                        &client.ip,
                        &client.limit_key(),
                        None,
                    )? {
                        Some((_, state, _)) => {
                            forget_challenges(tx, &user.id)?;
                            Ok(Err(locked_error(
                                LOCKOUT.gate(&state, ctx.now).retry_after(),
                            )))
                        }
                        None => Ok(Err(wrong_code.unwrap_or_else(|| {
                            ApiError::field(ErrorCode::TwoFactorCodeIncorrect, "code")
                        }))),
                    }
                }
                checked @ (Checked::Totp | Checked::RecoveryCode { .. } | Checked::EmailCode) => {
                    tx.prepare_cached("DELETE FROM sign_in_challenges WHERE hash = ?1")?
                        .execute([&hash])?;
                    guard::clear_budget(tx, key)?;
                    let bound = ClientMeta {
                        ip: challenge.ip.clone(),
                        user_agent: challenge.user_agent.clone(),
                        language: client.language,
                    };
                    let tokens = open_session(
                        tx,
                        ctx,
                        &user,
                        &challenge.device,
                        &bound,
                        challenge.failures_before,
                    )?;
                    if let Checked::RecoveryCode { left } = checked {
                        events::record(
                            tx,
                            &user.id,
                            Kind::RecoveryCodeUsed,
                            &client.ip,
                            ctx.now,
                            json!({ "session_id": tokens.session_id, "codes_left": left }),
                        )?;
                        let facts = MailFacts {
                            device: device_text(&challenge.device),
                            codes_left: left,
                            ..MailFacts::default()
                        };
                        ctx.notice(tx, MailKind::RecoveryCodeUsed, &user, &client.ip, facts)?;
                    }
                    Ok(Ok(tokens))
                }
            }
        })
        .await?
    }

    /// `POST /api/account/2fa/setup`: after the password, a new pending secret (any earlier
    /// pending one is replaced).
    pub async fn two_factor_setup(
        &self,
        auth: &Authenticated,
        req: PasswordRequest,
        client: &ClientMeta,
    ) -> Result<TwoFactorSetup, ApiError> {
        let user = self.current_user(auth).await?;
        let id = user.id.clone();
        if self.read(move |conn, _| is_enabled(conn, &id)).await? {
            return Err(ApiError::new(ErrorCode::TwoFactorAlreadyEnabled));
        }
        self.reauthenticate_session(auth, &user, &req.password, client, "password")
            .await?;
        self.write(move |tx, ctx| {
            guard::clear_budget(tx, reauth_key(&user))?;
            if is_enabled(tx, &user.id)? {
                return Ok(Err(ApiError::new(ErrorCode::TwoFactorAlreadyEnabled)));
            }
            let secret = random::bytes::<{ totp_params::SECRET_BYTES }>(ctx.random());
            let expires_at = ctx.now + TWO_FACTOR.setup_lifetime;
            tx.prepare_cached(
                "INSERT INTO two_factor (user_id, pending_secret, pending_expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (user_id) DO UPDATE SET pending_secret = ?2, pending_expires_at = ?3",
            )?
            .execute(params![
                user.id,
                ctx.keys.seal(&user.id, &secret),
                to_millis(expires_at)
            ])?;
            Ok(Ok(TwoFactorSetup {
                secret: Secret::new(totp::base32(&secret)),
                otpauth_uri: Secret::new(totp::otpauth_uri(&secret, &user.email)),
                issuer: totp_params::ISSUER.to_owned(),
                account_name: user.email.clone(),
                digits: totp_params::DIGITS,
                period_seconds: totp_params::PERIOD_SECONDS,
                algorithm: totp_params::ALGORITHM.to_owned(),
                expires_at: rfc3339(expires_at),
            }))
        })
        .await?
    }

    /// `POST /api/account/2fa/enable`: a code of the pending secret turns 2FA on; answers the
    /// first recovery codes.
    pub async fn two_factor_enable(
        &self,
        auth: &Authenticated,
        req: CodeRequest,
        client: &ClientMeta,
    ) -> Result<RecoveryCodes, ApiError> {
        // No separate re-authentication check: the set-up this confirms took the password,
        // and its pending secret lives no longer than the re-authentication window.
        let (auth, ip) = (auth.clone(), client.ip.clone());
        self.write(move |tx, ctx| {
            let row = load(tx, &auth.user_id)?;
            if row.enabled() {
                return Ok(Err(ApiError::new(ErrorCode::TwoFactorAlreadyEnabled)));
            }
            let pending = row
                .pending_secret
                .filter(|_| row.pending_expires_at.is_some_and(|at| ctx.now < at));
            let Some(secret) =
                pending.and_then(|sealed| open_secret(&ctx.keys, &auth.user_id, &sealed))
            else {
                return Ok(Err(ApiError::new(ErrorCode::TwoFactorSetupMissing)));
            };
            let TotpVerdict::Accept { step } =
                totp::verify(&secret, req.code.expose(), unix(ctx.now), None)
            else {
                return Ok(Err(ApiError::field(
                    ErrorCode::TwoFactorCodeIncorrect,
                    "code",
                )));
            };
            tx.prepare_cached(
                "UPDATE two_factor SET secret = pending_secret, enabled_at = ?2, last_step = ?3,
                     pending_secret = NULL, pending_expires_at = NULL
                 WHERE user_id = ?1",
            )?
            .execute(params![
                auth.user_id,
                to_millis(ctx.now),
                i64::try_from(step).unwrap_or(i64::MAX)
            ])?;
            let codes = new_recovery_codes(tx, ctx, &auth.user_id)?;
            events::record(
                tx,
                &auth.user_id,
                Kind::TwoFactorEnabled,
                &ip,
                ctx.now,
                json!({ "session_id": auth.session_id }),
            )?;
            if let Some(user) = users::by_id(tx, &auth.user_id)? {
                ctx.notice(
                    tx,
                    MailKind::TwoFactorEnabled,
                    &user,
                    &ip,
                    MailFacts::default(),
                )?;
            }
            ctx.security_changed(&auth.user_id);
            Ok(Ok(codes))
        })
        .await?
    }

    /// `POST /api/account/2fa/disable`: the password and a current code (or a recovery code)
    /// turn 2FA off; a notice is mailed. A wrong code counts like a wrong password.
    pub async fn two_factor_disable(
        &self,
        auth: &Authenticated,
        req: TwoFactorDisableRequest,
        client: &ClientMeta,
    ) -> Result<(), ApiError> {
        let user = self.current_user(auth).await?;
        let id = user.id.clone();
        if !self.read(move |conn, _| is_enabled(conn, &id)).await? {
            return Err(ApiError::new(ErrorCode::TwoFactorNotEnabled));
        }
        self.reauthenticate_session(auth, &user, &req.password, client, "password")
            .await?;
        let (auth, ip, limit_key) = (auth.clone(), client.ip.clone(), client.limit_key());
        self.write(move |tx, ctx| {
            let code = req.code.expose();
            let method_name = method_of(code);
            match check_code(tx, &ctx.keys, &user.id, method_name, code, ctx.now)? {
                Checked::Used => {
                    record_replay(
                        tx,
                        ctx,
                        &user.id,
                        &ip,
                        json!({ "during": "disable", "session_id": auth.session_id }),
                    )?;
                    Ok(Err(ApiError::field(ErrorCode::TwoFactorCodeUsed, "code")))
                }
                Checked::Wrong => {
                    if !is_enabled(tx, &user.id)? {
                        return Ok(Err(ApiError::new(ErrorCode::TwoFactorNotEnabled)));
                    }
                    events::record(
                        tx,
                        &user.id,
                        Kind::SecondFactorFailed,
                        &ip,
                        ctx.now,
                        json!({ "method": method_name, "during": "disable", "session_id": auth.session_id }),
                    )?;
                    ctx.security_changed(&user.id);
                    Ok(Err(match record_failure(tx, ctx, reauth_key(&user), Some(&user), &ip, &limit_key, None)? {
                        Some((_, state, _)) => locked_error(LOCKOUT.gate(&state, ctx.now).retry_after()),
                        None => ApiError::field(ErrorCode::TwoFactorCodeIncorrect, "code"),
                    }))
                }
                // `check_code` never answers a mailed code.
                Checked::EmailCode => Ok(Err(ApiError::field(
                    ErrorCode::TwoFactorCodeIncorrect,
                    "code",
                ))),
                Checked::Totp | Checked::RecoveryCode { .. } => {
                    guard::clear_budget(tx, reauth_key(&user))?;
                    tx.prepare_cached("DELETE FROM two_factor WHERE user_id = ?1")?
                        .execute([&user.id])?;
                    tx.prepare_cached("DELETE FROM recovery_codes WHERE user_id = ?1")?
                        .execute([&user.id])?;
                    forget_challenges(tx, &user.id)?;
                    events::record(
                        tx,
                        &user.id,
                        Kind::TwoFactorDisabled,
                        &ip,
                        ctx.now,
                        json!({ "session_id": auth.session_id, "method": method_name }),
                    )?;
                    let facts = MailFacts {
                        name: user.name.clone(),
                        when: format_when(ctx.now, &user.timezone),
                        ip: ip.clone(),
                        ..MailFacts::default()
                    };
                    ctx.mail(tx, MailKind::TwoFactorDisabled, &user.email, user.language, &facts)?;
                    ctx.security_changed(&user.id);
                    Ok(Ok(()))
                }
            }
        })
        .await?
    }

    /// `POST /api/account/2fa/recovery-codes`: after the password, a new set; the old set stops
    /// working.
    pub async fn regenerate_recovery_codes(
        &self,
        auth: &Authenticated,
        req: PasswordRequest,
        client: &ClientMeta,
    ) -> Result<RecoveryCodes, ApiError> {
        let user = self.current_user(auth).await?;
        let id = user.id.clone();
        if !self.read(move |conn, _| is_enabled(conn, &id)).await? {
            return Err(ApiError::new(ErrorCode::TwoFactorNotEnabled));
        }
        self.reauthenticate_session(auth, &user, &req.password, client, "password")
            .await?;
        let (auth, ip) = (auth.clone(), client.ip.clone());
        self.write(move |tx, ctx| {
            guard::clear_budget(tx, reauth_key(&user))?;
            if !is_enabled(tx, &user.id)? {
                return Ok(Err(ApiError::new(ErrorCode::TwoFactorNotEnabled)));
            }
            let codes = new_recovery_codes(tx, ctx, &user.id)?;
            events::record(
                tx,
                &user.id,
                Kind::RecoveryCodesRegenerated,
                &ip,
                ctx.now,
                json!({ "session_id": auth.session_id }),
            )?;
            ctx.notice(
                tx,
                MailKind::RecoveryCodesRegenerated,
                &user,
                &ip,
                MailFacts::default(),
            )?;
            ctx.security_changed(&user.id);
            Ok(Ok(codes))
        })
        .await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;

    #[test]
    fn recovery_codes_are_xxxx_dash_xxxx_and_normalise() {
        let random = SeededRandom::new(3);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..500 {
            let code = recovery_code(&random);
            assert_eq!(code.len(), 9, "{code}");
            assert_eq!(&code[4..5], "-", "{code}");
            assert!(seen.insert(code.clone()));
            let bare = code.replace('-', "");
            assert_eq!(
                normalise_recovery_code(&code).as_deref(),
                Some(bare.as_str())
            );
            assert_eq!(
                normalise_recovery_code(&code.to_uppercase()).as_deref(),
                Some(bare.as_str()),
                "any case"
            );
            assert_eq!(
                normalise_recovery_code(&bare).as_deref(),
                Some(bare.as_str()),
                "dash optional"
            );
        }
        for bad in ["", "abcd-efg", "abcd-efghi", "abcd_efgh", "äbcd-efgh"] {
            assert_eq!(normalise_recovery_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_code_without_a_method_is_totp_when_it_is_six_digits() {
        assert_eq!(method_of("123456"), SecondFactorMethod::Totp);
        assert_eq!(method_of("123 456"), SecondFactorMethod::Totp);
        assert_eq!(method_of("abcd-1234"), SecondFactorMethod::RecoveryCode);
        assert_eq!(method_of("12345678"), SecondFactorMethod::RecoveryCode);
    }
}
