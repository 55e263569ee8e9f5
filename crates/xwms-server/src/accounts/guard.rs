//! Sign-in guards: failure counters and locks per email address and *failure budget*
//! (`sign_in_guards`), and every attempt per client (`sign_in_failures`; its `ip` column holds the
//! client's limit key, the IPv4 address or IPv6 `/64`, [`super::ClientMeta::limit_key`]). The
//! decisions are in [`super::policy`].
//!
//! # The state machine (R21, R22)
//!
//! ```text
//!             reserve (gate open, same transaction)
//!   request ───────────────────────────────────────► in flight ──► right ──► released (row deleted)
//!      │  gate closed: auth.throttled / auth.locked      │                   (a lock that began
//!      ▼  (nothing counted, no hash)                     │                    meanwhile still wins)
//!   refused                                              └──► wrong ──► judged failure
//!                                                                       (policy.after_failure:
//!                                                                        delay, lock, hard stop)
//! ```
//!
//! - An attempt is **reserved** before its password is hashed, in the same transaction that reads
//!   the gate: a `sign_in_failures` row with `pending = 1`. The gate counts reservations younger
//!   than [`ATTEMPTS`]`.reservation_ttl` as failures, so 200 parallel guesses get exactly the
//!   free failures the policy allows one at a time, and the rest `auth.throttled` without a hash.
//!   The per-address throttle counts the same rows.
//! - **Budgets**: each email address has one budget for unknown installations (`''`) and one
//!   per *trusted device*: an installation that signed in to this account before and presented its
//!   device token (see [`super::devices`]), unless it was denied with "Not me". Failures, the
//!   unusual-activity window and locks are per budget, so strangers (who have no device token)
//!   lock only the unknown budget and the owner's own installations keep signing in. The owner's
//!   own typos on a trusted device count against that device's budget only.
//!   Re-authentication of a signed-in person uses its own budget ([`REAUTH_BUDGET`]).
//! - A success clears its own budget. Proof of mailbox ownership (the unlock code, a password
//!   reset) and a password change clear every budget of the address and close the
//!   unusual-activity window (`account_window = 0`), so old failures from other addresses cannot
//!   lock it again at once.

use rusqlite::{params, Connection, OptionalExtension};
use time::OffsetDateTime;

use super::policy::{GuardState, LockReason, ATTEMPTS, IP_THROTTLE, LOCKOUT};
use crate::clock::{from_millis, to_millis};

/// The budget of installations without a valid device token.
pub const UNKNOWN_BUDGET: &str = "";
/// The budget for re-entering the password while signed in (only a session holder reaches it).
pub const REAUTH_BUDGET: &str = "~reauthentication";

/// One failure budget of one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardKey<'a> {
    pub email_key: &'a str,
    pub budget: &'a str,
}

impl<'a> GuardKey<'a> {
    #[cfg(test)]
    pub(crate) fn unknown(email_key: &'a str) -> GuardKey<'a> {
        GuardKey {
            email_key,
            budget: UNKNOWN_BUDGET,
        }
    }
}

/// The stored state of `key` with its attempts in flight.
pub fn load(
    conn: &Connection,
    key: GuardKey<'_>,
    now: OffsetDateTime,
) -> rusqlite::Result<GuardState> {
    let mut state = conn
        .prepare_cached(
            "SELECT failures, last_failure_at, locked_until, hard_locked FROM sign_in_guards
             WHERE email_key = ?1 AND budget = ?2",
        )?
        .query_row(params![key.email_key, key.budget], |row| {
            Ok(GuardState {
                failures: row.get(0)?,
                last_failure_at: row.get::<_, Option<i64>>(1)?.map(from_millis),
                locked_until: row.get::<_, Option<i64>>(2)?.map(from_millis),
                hard_locked: row.get(3)?,
                ..GuardState::default()
            })
        })
        .optional()?
        .unwrap_or_default();
    let since = to_millis(now - ATTEMPTS.reservation_ttl);
    let (in_flight, newest): (u32, Option<i64>) = conn
        .prepare_cached(
            "SELECT count(*), max(at) FROM sign_in_failures
             WHERE email_key = ?1 AND budget = ?2 AND pending = 1 AND at > ?3",
        )?
        .query_row(params![key.email_key, key.budget, since], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    state.in_flight = in_flight;
    state.last_started_at = newest.map(from_millis);
    Ok(state)
}

pub fn save(
    conn: &Connection,
    key: GuardKey<'_>,
    state: &GuardState,
    reason: Option<LockReason>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sign_in_guards (email_key, budget, failures, last_failure_at, locked_until, hard_locked, lock_reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (email_key, budget) DO UPDATE SET failures = ?3, last_failure_at = ?4,
             locked_until = ?5, hard_locked = ?6, lock_reason = coalesce(?7, lock_reason)",
    )?
    .execute(params![
        key.email_key,
        key.budget,
        state.failures,
        state.last_failure_at.map(to_millis),
        state.locked_until.map(to_millis),
        state.hard_locked,
        reason.map(LockReason::as_str),
    ])
    .map(|_| ())
}

/// Forgets the failures of one budget and lifts its lock (after a success on it).
pub fn clear_budget(conn: &Connection, key: GuardKey<'_>) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM sign_in_guards WHERE email_key = ?1 AND budget = ?2")?
        .execute(params![key.email_key, key.budget])
        .map(|_| ())
}

/// Forgets the failures and lifts every lock of `email_key`, and closes its unusual-activity
/// window (after proof of mailbox ownership or a password change).
pub fn clear(conn: &Connection, email_key: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM sign_in_guards WHERE email_key = ?1")?
        .execute([email_key])?;
    conn.prepare_cached(
        "UPDATE sign_in_failures SET account_window = 0 WHERE email_key = ?1 AND pending = 0",
    )?
    .execute([email_key])
    .map(|_| ())
}

/// Whether any budget of `email_key` is locked now.
pub fn any_locked(
    conn: &Connection,
    email_key: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM sign_in_guards WHERE email_key = ?1
             AND (hard_locked = 1 OR coalesce(locked_until, 0) > ?2))",
    )?
    .query_row(params![email_key, to_millis(now)], |row| row.get(0))
}

/// Seconds the client address `ip` must wait before its next attempt, if it failed (or has
/// attempts in flight) too often lately.
pub fn ip_wait(conn: &Connection, ip: &str, now: OffsetDateTime) -> rusqlite::Result<Option<u32>> {
    let since = to_millis(now - IP_THROTTLE.window);
    let stale = to_millis(now - ATTEMPTS.reservation_ttl);
    let (count, oldest): (u32, Option<i64>) = conn
        .prepare_cached(
            "SELECT count(*), min(at) FROM sign_in_failures
             WHERE ip = ?1 AND at > ?2 AND (pending = 0 OR at > ?3)",
        )?
        .query_row(params![ip, since, stale], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    Ok(IP_THROTTLE.wait(count, oldest.map(from_millis), now))
}

/// Reserves one attempt (counted before it is judged); returns the reservation's id for
/// [`release`] or [`judge_failure`].
pub fn reserve(
    conn: &Connection,
    key: GuardKey<'_>,
    ip: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO sign_in_failures (ip, email_key, budget, at, pending) VALUES (?1, ?2, ?3, ?4, 1)",
    )?
    .execute(params![ip, key.email_key, key.budget, to_millis(now)])?;
    Ok(conn.last_insert_rowid())
}

/// The reserved attempt succeeded: it no longer counts.
pub fn release(conn: &Connection, reservation: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM sign_in_failures WHERE id = ?1")?
        .execute([reservation])
        .map(|_| ())
}

/// The reserved attempt failed (or, without a reservation, records a failure at once).
pub fn judge_failure(
    conn: &Connection,
    reservation: Option<i64>,
    key: GuardKey<'_>,
    ip: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<()> {
    let updated = match reservation {
        Some(id) => conn
            .prepare_cached("UPDATE sign_in_failures SET pending = 0, at = ?2 WHERE id = ?1")?
            .execute(params![id, to_millis(now)])?,
        None => 0,
    };
    if updated == 0 {
        conn.prepare_cached(
            "INSERT INTO sign_in_failures (ip, email_key, budget, at, pending) VALUES (?1, ?2, ?3, ?4, 0)",
        )?
        .execute(params![ip, key.email_key, key.budget, to_millis(now)])?;
    }
    Ok(())
}

/// How many different client addresses failed against this budget within the unusual-activity
/// window (since the last mailbox proof).
pub fn distinct_ips(
    conn: &Connection,
    key: GuardKey<'_>,
    now: OffsetDateTime,
) -> rusqlite::Result<u32> {
    let since = to_millis(now - LOCKOUT.unusual_window);
    conn.prepare_cached(
        "SELECT count(DISTINCT ip) FROM sign_in_failures
         WHERE email_key = ?1 AND budget = ?2 AND at > ?3 AND pending = 0 AND account_window = 1",
    )?
    .query_row(params![key.email_key, key.budget, since], |row| row.get(0))
}
