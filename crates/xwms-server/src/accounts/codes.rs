//! Emailed 6-digit codes: issued with the resend rule, stored as a salted SHA-256, compared in
//! constant time, judged by [`CodePolicy::judge`].

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use xwms_api::ErrorCode;

use super::policy::{
    CodePolicy, CodeState, CodeVerdict, CHANGE_EMAIL_CODE, RESET_PASSWORD_CODE, UNLOCK_CODE,
    VERIFY_EMAIL_CODE,
};
use crate::clock::{from_millis, to_millis};
use crate::error::ApiError;
use crate::random::{self, Random};

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    Unlock,
    ResetPassword,
    ChangeEmail,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::Unlock => "unlock",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
        }
    }

    pub fn policy(self) -> CodePolicy {
        match self {
            Purpose::VerifyEmail => VERIFY_EMAIL_CODE,
            Purpose::Unlock => UNLOCK_CODE,
            Purpose::ResetPassword => RESET_PASSWORD_CODE,
            Purpose::ChangeEmail => CHANGE_EMAIL_CODE,
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

pub fn load(
    conn: &Connection,
    purpose: Purpose,
    subject: &str,
) -> rusqlite::Result<Option<PendingCode>> {
    conn.prepare_cached(
        "SELECT user_id, email, decoy, sent_at, tries, last_try_at, code_salt, code_hash, new_email,
                pending_name, pending_password_hash
         FROM email_codes WHERE purpose = ?1 AND subject = ?2",
    )?
    .query_row(params![purpose.as_str(), subject], |row| {
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
        })
    })
    .optional()
}

/// Issues a decoy code for an address with no account (or none in this state): never mailed,
/// never accepted, but it takes the same slot, so every follow-up answer (`code.incorrect`,
/// `code.resend_too_soon`, ...) is the same as for a real address (R9). `Err(wait)` as
/// [`issue`].
pub fn issue_decoy(
    conn: &Connection,
    random: &dyn Random,
    now: OffsetDateTime,
    purpose: Purpose,
    subject: &str,
    email: &str,
) -> rusqlite::Result<Result<(), u32>> {
    let decoy = Target {
        email: email.to_string(),
        decoy: true,
        ..Target::default()
    };
    Ok(issue(conn, random, now, purpose, subject, decoy)?.map(|_| ()))
}

/// Issues a new code for `subject`, replacing the pending one, unless one was sent less than
/// `resend_after` ago: then `Err(seconds to wait)`. `Ok(code)` is the code to mail (not for a
/// decoy).
pub fn issue(
    conn: &Connection,
    random: &dyn Random,
    now: OffsetDateTime,
    purpose: Purpose,
    subject: &str,
    target: Target,
) -> rusqlite::Result<Result<String, u32>> {
    let policy = purpose.policy();
    let last_sent = load(conn, purpose, subject)?.map(|c| c.state.sent_at);
    if let Some(wait) = policy.resend_wait(last_sent, now) {
        return Ok(Err(wait));
    }
    let code = random::six_digit_code(random);
    let salt = random::bytes::<16>(random);
    let hash = digest(&salt, purpose, subject, &code);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO email_codes
             (purpose, subject, user_id, email, code_salt, code_hash, decoy, sent_at, expires_at,
              tries, last_try_at, new_email, pending_name, pending_password_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, NULL, ?10, ?11, ?12)",
    )?
    .execute(params![
        purpose.as_str(),
        subject,
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
    ])?;
    Ok(Ok(code))
}

/// One try of `given` for `subject`: `Ok(code)` (and the code is used up) or the denial, with
/// the try counted when it was a real try.
pub fn attempt(
    conn: &Connection,
    now: OffsetDateTime,
    purpose: Purpose,
    subject: &str,
    given: &str,
) -> rusqlite::Result<Result<PendingCode, ApiError>> {
    let policy = purpose.policy();
    let pending = load(conn, purpose, subject)?;
    // The same hashing work whether or not a code is pending.
    let (salt, expected) = match &pending {
        Some(p) => (p.salt.clone(), p.hash.clone()),
        None => (vec![0; 16], vec![0; 32]),
    };
    let computed = digest(&salt, purpose, subject, given.trim());
    let equal: bool = computed.ct_eq(expected.as_slice()).into();
    let matches = equal && pending.as_ref().is_some_and(|p| !p.decoy);
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
                "UPDATE email_codes SET tries = tries + 1, last_try_at = ?3 WHERE purpose = ?1 AND subject = ?2",
            )?
            .execute(params![purpose.as_str(), subject, to_millis(now)])?;
            ApiError::field(ErrorCode::CodeIncorrect, "code").with_attempts_left(attempts_left)
        }
    };
    Ok(Err(denial))
}

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

    const T0: OffsetDateTime = datetime!(2026-05-06 07:00 UTC);

    fn conn() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::migrations::run(&mut conn).unwrap();
        conn
    }

    fn stored_hash(conn: &Connection) -> Vec<u8> {
        conn.query_row("SELECT code_hash FROM email_codes", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn the_code_is_stored_only_as_a_salted_hash() {
        let conn = conn();
        let random = SeededRandom::new(1);
        let target = Target {
            email: "a@example.com".into(),
            ..Target::default()
        };
        let code = issue(&conn, &random, T0, Purpose::Unlock, "a@example.com", target)
            .unwrap()
            .unwrap();
        let hash = stored_hash(&conn);
        assert_eq!(hash.len(), 32);
        assert!(!hash.windows(6).any(|w| w == code.as_bytes()));
        let dump: String = conn
            .query_row("SELECT group_concat(quote(code_salt) || quote(code_hash) || email) FROM email_codes", [], |r| r.get(0))
            .unwrap();
        assert!(!dump.contains(&code));
    }

    #[test]
    fn a_new_code_replaces_the_pending_one_after_46_seconds() {
        let conn = conn();
        let random = SeededRandom::new(2);
        let target = || Target {
            email: "a@example.com".into(),
            ..Target::default()
        };
        let first = issue(&conn, &random, T0, Purpose::VerifyEmail, "a", target())
            .unwrap()
            .unwrap();
        let at = |s| T0 + time::Duration::seconds(s);
        assert_eq!(
            issue(&conn, &random, at(45), Purpose::VerifyEmail, "a", target()).unwrap(),
            Err(1)
        );
        let second = issue(&conn, &random, at(46), Purpose::VerifyEmail, "a", target())
            .unwrap()
            .unwrap();
        assert_ne!(first, second);
        let e = attempt(&conn, at(47), Purpose::VerifyEmail, "a", &first)
            .unwrap()
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::CodeIncorrect, "the old code is void");
        assert!(attempt(&conn, at(52), Purpose::VerifyEmail, "a", &second)
            .unwrap()
            .is_ok());
        let e = attempt(&conn, at(60), Purpose::VerifyEmail, "a", &second)
            .unwrap()
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::CodeNone, "single use");
    }

    #[test]
    fn codes_are_bound_to_purpose_and_subject() {
        let conn = conn();
        let random = SeededRandom::new(3);
        let target = || Target {
            email: "a@example.com".into(),
            ..Target::default()
        };
        let code = issue(&conn, &random, T0, Purpose::Unlock, "a", target())
            .unwrap()
            .unwrap();
        let e = attempt(&conn, T0, Purpose::ResetPassword, "a", &code)
            .unwrap()
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::CodeNone);
        issue(&conn, &random, T0, Purpose::Unlock, "b", target())
            .unwrap()
            .unwrap();
        let e = attempt(&conn, T0, Purpose::Unlock, "b", &code)
            .unwrap()
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::CodeIncorrect);
    }

    #[test]
    fn a_decoy_answers_like_a_real_code_but_never_accepts() {
        let conn = conn();
        let random = SeededRandom::new(4);
        let decoy = Target {
            email: "x@example.com".into(),
            decoy: true,
            ..Target::default()
        };
        let code = issue(&conn, &random, T0, Purpose::ResetPassword, "x", decoy)
            .unwrap()
            .unwrap();
        let e = attempt(&conn, T0, Purpose::ResetPassword, "x", &code)
            .unwrap()
            .unwrap_err();
        assert_eq!(
            (e.code, e.data.unwrap().attempts_left),
            (ErrorCode::CodeIncorrect, Some(4))
        );
    }
}
