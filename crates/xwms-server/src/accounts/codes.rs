//! Emailed 6-digit codes: bound to the request that asked for them (R5), issued with the resend
//! rule, stored as a salted SHA-256, compared in constant time, judged by [`CodePolicy::judge`].
//!
//! # Challenges
//!
//! Starting a flow (sign-up, forgot password, unlock, email change) creates a *challenge*: an
//! opaque id (256 random bits) given only to the client that asked, kept here as a SHA-256, with
//! its own code row. A mailed code works only together with its challenge id, so a stranger who
//! knows the address can neither burn the owner's code with wrong tries nor use a code mailed
//! for someone else's request. Several challenges may be pending per purpose and address
//! ([`CodePolicy::max_pending`], the oldest dropped), so a stranger asking for a code does not
//! void the one the mailbox owner is typing. A challenge that arrives within the resend period
//! is stored but its code is not mailed (`mailed = 0`); a resend mails a fresh code for it.
//! Wrong tries are also capped per purpose and address per day across every code, per client
//! network and in all ([`CodePolicy::tries_per_day_per_network`], [`CodePolicy::tries_per_day`]),
//! so re-issuing codes never gives unlimited guesses, and one stranger cannot use up the tries
//! the owner needs. When the pending challenges are more than [`CodePolicy::max_pending`], a
//! code that was never mailed goes first, then the oldest.
//! A try with an unknown challenge id is `code.none` and counts nowhere: nothing was guessed.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use xwms_api::ErrorCode;

use super::policy::{
    CodePolicy, CodeState, CodeVerdict, CHANGE_EMAIL_CODE, RESET_PASSWORD_CODE, UNLOCK_CODE,
    VERIFY_EMAIL_CODE,
};
use super::sessions::token_hash;
use crate::clock::{from_millis, to_millis};
use crate::error::ApiError;
use crate::random::{self, Random};

const CHALLENGE_PREFIX: &str = "xwc_";

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    Unlock,
    ResetPassword,
    ChangeEmail,
    /// Signing in on an installation the person denied ("Not me"); bound to the sign-in
    /// challenge.
    ConfirmDevice,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::Unlock => "unlock",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
            Purpose::ConfirmDevice => "confirm_device",
        }
    }

    pub fn policy(self) -> CodePolicy {
        match self {
            Purpose::VerifyEmail => VERIFY_EMAIL_CODE,
            Purpose::Unlock => UNLOCK_CODE,
            Purpose::ResetPassword => RESET_PASSWORD_CODE,
            Purpose::ChangeEmail => CHANGE_EMAIL_CODE,
            Purpose::ConfirmDevice => UNLOCK_CODE,
        }
    }
}

/// A pending code as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingCode {
    pub user_id: Option<String>,
    pub email: String,
    pub decoy: bool,
    pub state: CodeState,
    challenge_hash: String,
    salt: Vec<u8>,
    hash: Vec<u8>,
    pub new_email: Option<String>,
    pub pending_name: Option<String>,
    pub pending_password_hash: Option<String>,
}

impl std::fmt::Debug for PendingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingCode")
            .field("user_id", &self.user_id)
            .field("decoy", &self.decoy)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Who a new code is for.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub user_id: Option<String>,
    /// Where it is mailed.
    pub email: String,
    /// Never mailed, never accepted.
    pub decoy: bool,
    pub new_email: Option<String>,
    pub pending_name: Option<String>,
    pub pending_password_hash: Option<String>,
}

/// A started challenge: the id for the client, and the code to mail now (`None` while the
/// resend period of an earlier code runs, and for a decoy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub challenge_id: String,
    pub code: Option<String>,
}

fn digest(salt: &[u8], purpose: Purpose, subject: &str, code: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(salt)
        .chain_update(purpose.as_str())
        .chain_update([0])
        .chain_update(subject)
        .chain_update([0])
        .chain_update(code)
        .finalize()
        .into()
}

const COLUMNS: &str = "user_id, email, decoy, sent_at, tries, last_try_at, code_salt, code_hash,
    new_email, pending_name, pending_password_hash, challenge_hash";

fn row_to_code(row: &rusqlite::Row<'_>) -> rusqlite::Result<PendingCode> {
    Ok(PendingCode {
        user_id: row.get(0)?,
        email: row.get(1)?,
        decoy: row.get(2)?,
        state: CodeState {
            sent_at: from_millis(row.get(3)?),
            tries: row.get(4)?,
            last_try_at: row.get::<_, Option<i64>>(5)?.map(from_millis),
        },
        salt: row.get(6)?,
        hash: row.get(7)?,
        new_email: row.get(8)?,
        pending_name: row.get(9)?,
        pending_password_hash: row.get(10)?,
        challenge_hash: row.get(11)?,
    })
}

/// The pending code of one challenge.
pub fn load(
    conn: &Connection,
    purpose: Purpose,
    subject: &str,
    challenge_id: &str,
) -> rusqlite::Result<Option<PendingCode>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM email_codes WHERE purpose = ?1 AND subject = ?2 AND challenge_hash = ?3"
    ))?
    .query_row(
        params![purpose.as_str(), subject, token_hash(challenge_id)],
        row_to_code,
    )
    .optional()
}

/// When the last code for `purpose` and `subject` was mailed.
fn last_mailed(
    conn: &Connection,
    purpose: Purpose,
    subject: &str,
) -> rusqlite::Result<Option<OffsetDateTime>> {
    let at: Option<i64> = conn
        .prepare_cached(
            "SELECT max(sent_at) FROM email_codes WHERE purpose = ?1 AND subject = ?2 AND mailed = 1",
        )?
        .query_row(params![purpose.as_str(), subject], |row| row.get(0))?;
    Ok(at.map(from_millis))
}

/// Seconds until a code for `purpose` and `subject` may be mailed again (the 46 s rule), if any.
pub fn resend_wait(
    conn: &Connection,
    purpose: Purpose,
    subject: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<Option<u32>> {
    Ok(purpose
        .policy()
        .resend_wait(last_mailed(conn, purpose, subject)?, now))
}

/// Writes a fresh code for the challenge `challenge_hash` (replacing its previous code).
#[allow(clippy::too_many_arguments)]
fn write_code(
    conn: &Connection,
    random: &dyn Random,
    now: OffsetDateTime,
    purpose: Purpose,
    subject: &str,
    challenge_hash: &str,
    target: &Target,
    mailed: bool,
) -> rusqlite::Result<String> {
    let policy = purpose.policy();
    let code = random::six_digit_code(random);
    let salt = random::bytes::<16>(random);
    let hash = digest(&salt, purpose, subject, &code);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO email_codes
             (purpose, subject, challenge_hash, user_id, email, code_salt, code_hash, decoy, sent_at,
              expires_at, tries, last_try_at, new_email, pending_name, pending_password_hash, mailed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, NULL, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        purpose.as_str(),
        subject,
        challenge_hash,
        target.user_id,
        target.email,
        &salt[..],
        &hash[..],
        target.decoy,
        to_millis(now),
        to_millis(policy.expires_at(now)),
        target.new_email,
        target.pending_name,
        target.pending_password_hash,
        mailed,
    ])?;
    Ok(code)
}

/// Starts a challenge for `subject`: always a new challenge id, with its own code; the code is
/// returned for mailing unless one was mailed for this purpose and address less than
/// `resend_after` ago (then it waits for a resend) or the target is a decoy. Beyond
/// `max_pending` challenges the oldest is dropped.
pub fn start(
    conn: &Connection,
    random: &dyn Random,
    now: OffsetDateTime,
    purpose: Purpose,
    subject: &str,
    target: Target,
) -> rusqlite::Result<Started> {
    let challenge_id = random::token(random, CHALLENGE_PREFIX);
    start_bound(conn, random, now, purpose, subject, target, challenge_id)
}

/// [`start`] with a challenge id the caller already gave the client (a sign-in challenge).
pub fn start_bound(
    conn: &Connection,
    random: &dyn Random,
    now: OffsetDateTime,
    purpose: Purpose,
    subject: &str,
    target: Target,
    challenge_id: String,
) -> rusqlite::Result<Started> {
    let policy = purpose.policy();
    let may_mail = policy
        .resend_wait(last_mailed(conn, purpose, subject)?, now)
        .is_none();
    let code = write_code(
        conn,
        random,
        now,
        purpose,
        subject,
        &token_hash(&challenge_id),
        &target,
        may_mail,
    )?;
    conn.prepare_cached(
        "DELETE FROM email_codes WHERE purpose = ?1 AND subject = ?2 AND challenge_hash NOT IN
             (SELECT challenge_hash FROM email_codes WHERE purpose = ?1 AND subject = ?2
              ORDER BY mailed DESC, sent_at DESC, rowid DESC LIMIT ?3)",
    )?
    .execute(params![purpose.as_str(), subject, policy.max_pending])?;
    Ok(Started {
        challenge_id,
        code: (may_mail && !target.decoy).then_some(code),
    })
}

/// Starts a decoy challenge for an address with no account (or none in this state): never
/// mailed, never accepted, but it answers every follow-up (`code.incorrect`,
/// `code.resend_too_soon`, ...) like a real one (R9).
pub fn start_decoy(
    conn: &Connection,
    random: &dyn Random,
    now: OffsetDateTime,
    purpose: Purpose,
    subject: &str,
    email: &str,
) -> rusqlite::Result<Started> {
    let decoy = Target {
        email: email.to_string(),
        decoy: true,
        ..Target::default()
    };
    start(conn, random, now, purpose, subject, decoy)
}

/// What a resend did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resent {
    /// A new code for the challenge, to mail (its old code is void); `None` for a decoy.
    Code(Option<String>, Box<PendingCode>),
    /// No such challenge (expired, dropped, or never given): nothing was sent.
    Unknown,
    /// A code was mailed less than `resend_after` ago: wait this many seconds.
    TooSoon(u32),
}

/// A new code for an existing challenge (the 46 s rule applies per purpose and address).
pub fn resend(
    conn: &Connection,
    random: &dyn Random,
    now: OffsetDateTime,
    purpose: Purpose,
    subject: &str,
    challenge_id: &str,
) -> rusqlite::Result<Resent> {
    if let Some(wait) = purpose
        .policy()
        .resend_wait(last_mailed(conn, purpose, subject)?, now)
    {
        return Ok(Resent::TooSoon(wait));
    }
    let Some(pending) = load(conn, purpose, subject, challenge_id)? else {
        return Ok(Resent::Unknown);
    };
    let target = Target {
        user_id: pending.user_id.clone(),
        email: pending.email.clone(),
        decoy: pending.decoy,
        new_email: pending.new_email.clone(),
        pending_name: pending.pending_name.clone(),
        pending_password_hash: pending.pending_password_hash.clone(),
    };
    let code = write_code(
        conn,
        random,
        now,
        purpose,
        subject,
        &pending.challenge_hash,
        &target,
        true,
    )?;
    Ok(Resent::Code(
        (!pending.decoy).then_some(code),
        Box::new(pending),
    ))
}

/// Wrong tries for `purpose` and `subject` within the daily window (from `network` only, or from
/// everyone), and the oldest.
fn tries_today(
    conn: &Connection,
    purpose: Purpose,
    subject: &str,
    network: Option<&str>,
    now: OffsetDateTime,
) -> rusqlite::Result<(u32, Option<OffsetDateTime>)> {
    let since = to_millis(now - purpose.policy().tries_per_day.window);
    let (count, oldest): (u32, Option<i64>) = conn
        .prepare_cached(
            "SELECT count(*), min(at) FROM code_tries
             WHERE purpose = ?1 AND subject = ?2 AND at > ?3 AND (?4 IS NULL OR network = ?4)",
        )?
        .query_row(params![purpose.as_str(), subject, since, network], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    Ok((count, oldest.map(from_millis)))
}

/// Seconds until `network` may try a code for `purpose` and `subject` again, when a daily cap
/// is reached; and the tries left today otherwise.
fn daily_cap(
    conn: &Connection,
    purpose: Purpose,
    subject: &str,
    network: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<Result<u32, u32>> {
    let policy = purpose.policy();
    let (mine, my_oldest) = tries_today(conn, purpose, subject, Some(network), now)?;
    let (all, oldest) = tries_today(conn, purpose, subject, None, now)?;
    if let Some(wait) = policy.tries_per_day_per_network.wait(mine, my_oldest, now) {
        return Ok(Err(wait));
    }
    if let Some(wait) = policy.tries_per_day.wait(all, oldest, now) {
        return Ok(Err(wait));
    }
    Ok(Ok(
        (policy.tries_per_day_per_network.max - mine).min(policy.tries_per_day.max - all)
    ))
}

/// One try of `given` for the challenge `challenge_id` of `subject` by a client of `network` (its
/// limit key): `Ok(code)` (and every code of this purpose and address is used up) or the denial,
/// with the try counted when it was a real try.
pub fn attempt(
    conn: &Connection,
    now: OffsetDateTime,
    purpose: Purpose,
    subject: &str,
    challenge_id: &str,
    given: &str,
    network: &str,
) -> rusqlite::Result<Result<PendingCode, ApiError>> {
    let policy = purpose.policy();
    let pending = load(conn, purpose, subject, challenge_id)?;
    // The same hashing work whether or not a code is pending.
    let (salt, expected) = match &pending {
        Some(p) => (p.salt.clone(), p.hash.clone()),
        None => (vec![0; 16], vec![0; 32]),
    };
    let computed = digest(&salt, purpose, subject, given.trim());
    let equal: bool = computed.ct_eq(expected.as_slice()).into();
    let matches = equal && pending.as_ref().is_some_and(|p| !p.decoy);
    if pending.is_some() {
        if let Err(wait) = daily_cap(conn, purpose, subject, network, now)? {
            return Ok(Err(ApiError::retry_after(
                ErrorCode::CodeTooManyAttempts,
                wait,
            )
            .with_field("code")));
        }
    }
    let verdict = policy.judge(pending.as_ref().map(|p| &p.state), matches, now);
    let denial = match verdict {
        CodeVerdict::Accept => {
            discard(conn, purpose, subject)?;
            return Ok(Ok(pending.expect("an accepted code was pending")));
        }
        CodeVerdict::None => ApiError::field(ErrorCode::CodeNone, "code"),
        CodeVerdict::Expired => ApiError::field(ErrorCode::CodeExpired, "code"),
        CodeVerdict::TooManyAttempts => ApiError::field(ErrorCode::CodeTooManyAttempts, "code"),
        CodeVerdict::TooSoon {
            retry_after_seconds,
        } => ApiError::retry_after(ErrorCode::CodeTooSoon, retry_after_seconds).with_field("code"),
        CodeVerdict::Incorrect { attempts_left } => {
            conn.prepare_cached(
                "UPDATE email_codes SET tries = tries + 1, last_try_at = ?4
                 WHERE purpose = ?1 AND subject = ?2 AND challenge_hash = ?3",
            )?
            .execute(params![
                purpose.as_str(),
                subject,
                token_hash(challenge_id),
                to_millis(now)
            ])?;
            conn.prepare_cached(
                "INSERT INTO code_tries (purpose, subject, network, at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![purpose.as_str(), subject, network, to_millis(now)])?;
            let left_today = daily_cap(conn, purpose, subject, network, now)?.unwrap_or(0);
            ApiError::field(ErrorCode::CodeIncorrect, "code")
                .with_attempts_left(attempts_left.min(left_today))
        }
    };
    Ok(Err(denial))
}

/// Voids every pending code of `purpose` for `subject`.
pub fn discard(conn: &Connection, purpose: Purpose, subject: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM email_codes WHERE purpose = ?1 AND subject = ?2")?
        .execute(params![purpose.as_str(), subject])
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;
    use time::macros::datetime;
    use time::Duration;

    const T0: OffsetDateTime = datetime!(2026-05-06 07:00 UTC);

    fn at(s: i64) -> OffsetDateTime {
        T0 + Duration::seconds(s)
    }

    fn conn() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::migrations::run(&mut conn).unwrap();
        conn
    }

    fn target() -> Target {
        Target {
            email: "a@example.com".into(),
            ..Target::default()
        }
    }

    #[test]
    fn the_code_and_challenge_are_stored_only_as_hashes() {
        let conn = conn();
        let random = SeededRandom::new(1);
        let started = start(
            &conn,
            &random,
            T0,
            Purpose::Unlock,
            "a@example.com",
            target(),
        )
        .unwrap();
        let code = started.code.unwrap();
        let dump: String = conn
            .query_row(
                "SELECT group_concat(quote(code_salt) || quote(code_hash) || email || challenge_hash) FROM email_codes",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!dump.contains(&code));
        assert!(!dump.contains(&started.challenge_id));
    }

    #[test]
    fn a_code_works_only_with_its_challenge_and_a_wrong_challenge_counts_nowhere() {
        let conn = conn();
        let random = SeededRandom::new(2);
        let owner = start(&conn, &random, T0, Purpose::Unlock, "a", target()).unwrap();
        let code = owner.code.clone().unwrap();
        // A stranger without the challenge id: every try is code.none and burns nothing.
        for i in 0..50 {
            let e = attempt(
                &conn,
                at(i * 6),
                Purpose::Unlock,
                "a",
                "xwc_guess",
                "000000",
                "net",
            )
            .unwrap()
            .unwrap_err();
            assert_eq!(e.code, ErrorCode::CodeNone);
        }
        let e = attempt(
            &conn,
            at(300 - 1),
            Purpose::Unlock,
            "a",
            "xwc_guess",
            &code,
            "net",
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::CodeNone,
            "the right code without its challenge"
        );
        assert!(attempt(
            &conn,
            at(299),
            Purpose::Unlock,
            "a",
            &owner.challenge_id,
            &code,
            "net"
        )
        .unwrap()
        .is_ok());
    }

    #[test]
    fn a_strangers_requests_do_not_void_the_owners_code() {
        let conn = conn();
        let random = SeededRandom::new(3);
        let owner = start(&conn, &random, T0, Purpose::ResetPassword, "a", target()).unwrap();
        let code = owner.code.clone().unwrap();
        let stranger = start(&conn, &random, at(1), Purpose::ResetPassword, "a", target()).unwrap();
        assert_eq!(
            stranger.code, None,
            "within the resend period nothing more is mailed"
        );
        assert!(attempt(
            &conn,
            at(2),
            Purpose::ResetPassword,
            "a",
            &owner.challenge_id,
            &code,
            "net"
        )
        .unwrap()
        .is_ok());
        // Used: every code of the purpose and address is void now.
        let e = attempt(
            &conn,
            at(9),
            Purpose::ResetPassword,
            "a",
            &owner.challenge_id,
            &code,
            "net",
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::CodeNone);

        // Strangers' requests within the resend period are never mailed and go first: the owner's
        // mailed code survives any number of them.
        let owner = start(
            &conn,
            &random,
            at(100),
            Purpose::ResetPassword,
            "a",
            target(),
        )
        .unwrap();
        let code = owner.code.clone().unwrap();
        for i in 1..=20 {
            start(
                &conn,
                &random,
                at(100 + i),
                Purpose::ResetPassword,
                "a",
                target(),
            )
            .unwrap();
        }
        let pending: u32 = conn
            .query_row("SELECT count(*) FROM email_codes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(pending, 5, "at most five pending");
        assert!(attempt(
            &conn,
            at(130),
            Purpose::ResetPassword,
            "a",
            &owner.challenge_id,
            &code,
            "net"
        )
        .unwrap()
        .is_ok());
        // Only mailed codes (one per 46 s) newer than it push it out, after five of them.
        let owner = start(
            &conn,
            &random,
            at(200),
            Purpose::ResetPassword,
            "a",
            target(),
        )
        .unwrap();
        for i in 1..=4 {
            start(
                &conn,
                &random,
                at(200 + 46 * i),
                Purpose::ResetPassword,
                "a",
                target(),
            )
            .unwrap();
        }
        let e = attempt(
            &conn,
            at(390),
            Purpose::ResetPassword,
            "a",
            &owner.challenge_id,
            "1",
            "net",
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::CodeIncorrect,
            "still pending beside four newer"
        );
        start(
            &conn,
            &random,
            at(200 + 46 * 5),
            Purpose::ResetPassword,
            "a",
            target(),
        )
        .unwrap();
        let e = attempt(
            &conn,
            at(440),
            Purpose::ResetPassword,
            "a",
            &owner.challenge_id,
            "1",
            "net",
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::CodeNone,
            "dropped after five newer mailed codes"
        );
    }

    #[test]
    fn a_resend_replaces_the_challenges_code_after_46_seconds() {
        let conn = conn();
        let random = SeededRandom::new(4);
        let first = start(&conn, &random, T0, Purpose::VerifyEmail, "a", target()).unwrap();
        let old = first.code.clone().unwrap();
        assert_eq!(
            resend(
                &conn,
                &random,
                at(45),
                Purpose::VerifyEmail,
                "a",
                &first.challenge_id
            )
            .unwrap(),
            Resent::TooSoon(1)
        );
        let Resent::Code(Some(new), _) = resend(
            &conn,
            &random,
            at(46),
            Purpose::VerifyEmail,
            "a",
            &first.challenge_id,
        )
        .unwrap() else {
            panic!("a new code")
        };
        assert_ne!(old, new);
        let e = attempt(
            &conn,
            at(47),
            Purpose::VerifyEmail,
            "a",
            &first.challenge_id,
            &old,
            "net",
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::CodeIncorrect, "the old code is void");
        assert!(attempt(
            &conn,
            at(52),
            Purpose::VerifyEmail,
            "a",
            &first.challenge_id,
            &new,
            "net"
        )
        .unwrap()
        .is_ok());
        assert_eq!(
            resend(
                &conn,
                &random,
                at(200),
                Purpose::VerifyEmail,
                "a",
                "xwc_unknown"
            )
            .unwrap(),
            Resent::Unknown
        );
    }

    #[test]
    fn tries_are_capped_per_day_across_reissued_codes() {
        // (One network here; `a_stranger_cannot_use_up_the_owners_daily_tries` covers several.)
        let conn = conn();
        let random = SeededRandom::new(5);
        let mut now = T0;
        let mut wrong = 0;
        let mut refused_at = None;
        // A new challenge every 46 s, five wrong tries each: the daily cap stops it at 20.
        'outer: for round in 0..10 {
            let started = start(&conn, &random, now, Purpose::Unlock, "a", target()).unwrap();
            for _ in 0..5 {
                now += Duration::seconds(6);
                let e = attempt(
                    &conn,
                    now,
                    Purpose::Unlock,
                    "a",
                    &started.challenge_id,
                    "x",
                    "net",
                )
                .unwrap()
                .unwrap_err();
                match e.code {
                    ErrorCode::CodeIncorrect => wrong += 1,
                    ErrorCode::CodeTooManyAttempts
                        if e.data
                            .as_ref()
                            .and_then(|d| d.retry_after_seconds)
                            .is_some() =>
                    {
                        refused_at = Some(round);
                        break 'outer;
                    }
                    other => panic!("{other:?}"),
                }
            }
            now += Duration::seconds(46);
        }
        assert_eq!(wrong, 10, "ten a day from one network");
        assert_eq!(refused_at, Some(2));
        // The next day the address gets tries again.
        let started = start(
            &conn,
            &random,
            now + Duration::days(1),
            Purpose::Unlock,
            "a",
            target(),
        )
        .unwrap();
        let e = attempt(
            &conn,
            now + Duration::days(1),
            Purpose::Unlock,
            "a",
            &started.challenge_id,
            "x",
            "net",
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::CodeIncorrect);
    }

    #[test]
    fn a_stranger_cannot_use_up_the_owners_daily_tries() {
        let conn = conn();
        let random = SeededRandom::new(8);
        let mut now = T0;
        // A stranger starts challenges for the owner's address and guesses from one network until
        // refused for the day.
        let mut refused = false;
        while !refused {
            let started =
                start(&conn, &random, now, Purpose::ResetPassword, "a", target()).unwrap();
            for _ in 0..5 {
                now += Duration::seconds(6);
                let e = attempt(
                    &conn,
                    now,
                    Purpose::ResetPassword,
                    "a",
                    &started.challenge_id,
                    "x",
                    "stranger",
                )
                .unwrap()
                .unwrap_err();
                if e.code == ErrorCode::CodeTooManyAttempts
                    && e.data
                        .as_ref()
                        .and_then(|d| d.retry_after_seconds)
                        .is_some()
                {
                    refused = true;
                    break;
                }
            }
            now += Duration::seconds(46);
        }
        // The owner's own code, from the owner's network, still works.
        let owner = start(&conn, &random, now, Purpose::ResetPassword, "a", target()).unwrap();
        let code = owner.code.unwrap();
        assert!(attempt(
            &conn,
            now,
            Purpose::ResetPassword,
            "a",
            &owner.challenge_id,
            &code,
            "owner"
        )
        .unwrap()
        .is_ok());
        // Fifty wrong tries in all, from however many networks, close the address for the day.
        let mut now = now + Duration::minutes(1);
        let mut closed_after = None;
        for n in 0..10 {
            let started =
                start(&conn, &random, now, Purpose::ResetPassword, "a", target()).unwrap();
            for t in 0..5 {
                now += Duration::seconds(6);
                let e = attempt(
                    &conn,
                    now,
                    Purpose::ResetPassword,
                    "a",
                    &started.challenge_id,
                    "x",
                    &format!("net{n}"),
                )
                .unwrap()
                .unwrap_err();
                if e.data
                    .as_ref()
                    .and_then(|d| d.retry_after_seconds)
                    .is_some()
                {
                    closed_after.get_or_insert(n * 5 + t);
                }
            }
            now += Duration::seconds(46);
        }
        assert_eq!(
            closed_after,
            Some(40),
            "10 from the stranger + 40 more = 50"
        );
    }

    #[test]
    fn codes_are_bound_to_purpose_and_subject() {
        let conn = conn();
        let random = SeededRandom::new(6);
        let started = start(&conn, &random, T0, Purpose::Unlock, "a", target()).unwrap();
        let code = started.code.unwrap();
        let e = attempt(
            &conn,
            T0,
            Purpose::ResetPassword,
            "a",
            &started.challenge_id,
            &code,
            "net",
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::CodeNone);
        let e = attempt(
            &conn,
            T0,
            Purpose::Unlock,
            "b",
            &started.challenge_id,
            &code,
            "net",
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::CodeNone);
    }

    #[test]
    fn a_decoy_answers_like_a_real_code_but_never_accepts() {
        let conn = conn();
        let random = SeededRandom::new(7);
        let started = start_decoy(
            &conn,
            &random,
            T0,
            Purpose::ResetPassword,
            "x",
            "x@example.com",
        )
        .unwrap();
        assert_eq!(started.code, None, "never mailed");
        let e = attempt(
            &conn,
            T0,
            Purpose::ResetPassword,
            "x",
            &started.challenge_id,
            "123456",
            "net",
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(
            (e.code, e.data.unwrap().attempts_left),
            (ErrorCode::CodeIncorrect, Some(4))
        );
    }
}
