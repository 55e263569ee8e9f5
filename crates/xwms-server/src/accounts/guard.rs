//! Sign-in guards: failure counters and locks per email address (`sign_in_guards`), and failed
//! sign-ins per client (`sign_in_failures`; its `ip` column holds the client's limit key, the
//! IPv4 address or IPv6 `/64`, [`super::ClientMeta::limit_key`]). The decisions are in
//! [`super::policy`].

use rusqlite::{params, Connection, OptionalExtension};
use time::OffsetDateTime;

use super::policy::{GuardState, LockReason, IP_THROTTLE, LOCKOUT};
use crate::clock::{from_millis, to_millis};

pub fn load(conn: &Connection, email_key: &str) -> rusqlite::Result<GuardState> {
    Ok(conn
        .prepare_cached(
            "SELECT failures, last_failure_at, locked_until, hard_locked FROM sign_in_guards WHERE email_key = ?1",
        )?
        .query_row([email_key], |row| {
            Ok(GuardState {
                failures: row.get(0)?,
                last_failure_at: row.get::<_, Option<i64>>(1)?.map(from_millis),
                locked_until: row.get::<_, Option<i64>>(2)?.map(from_millis),
                hard_locked: row.get(3)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}

pub fn save(
    conn: &Connection,
    email_key: &str,
    state: &GuardState,
    reason: Option<LockReason>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sign_in_guards (email_key, failures, last_failure_at, locked_until, hard_locked, lock_reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (email_key) DO UPDATE SET failures = ?2, last_failure_at = ?3, locked_until = ?4,
             hard_locked = ?5, lock_reason = coalesce(?6, lock_reason)",
    )?
    .execute(params![
        email_key,
        state.failures,
        state.last_failure_at.map(to_millis),
        state.locked_until.map(to_millis),
        state.hard_locked,
        reason.map(LockReason::as_str),
    ])
    .map(|_| ())
}

/// Forgets the failures and lifts any lock of `email_key` (after a success, an unlock code or a
/// password reset).
pub fn clear(conn: &Connection, email_key: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM sign_in_guards WHERE email_key = ?1")?
        .execute([email_key])
        .map(|_| ())
}

/// Seconds `ip` must wait before its next sign-in, if it failed too often lately.
pub fn ip_wait(conn: &Connection, ip: &str, now: OffsetDateTime) -> rusqlite::Result<Option<u32>> {
    let since = to_millis(now - IP_THROTTLE.window);
    let (count, oldest): (u32, Option<i64>) = conn
        .prepare_cached("SELECT count(*), min(at) FROM sign_in_failures WHERE ip = ?1 AND at > ?2")?
        .query_row(params![ip, since], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(IP_THROTTLE.wait(count, oldest.map(from_millis), now))
}

pub fn record_ip_failure(
    conn: &Connection,
    ip: &str,
    email_key: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO sign_in_failures (ip, email_key, at) VALUES (?1, ?2, ?3)")?
        .execute(params![ip, email_key, to_millis(now)])
        .map(|_| ())
}

/// How many different addresses failed against `email_key` within the unusual-activity window.
pub fn distinct_ips(
    conn: &Connection,
    email_key: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<u32> {
    let since = to_millis(now - LOCKOUT.unusual_window);
    conn.prepare_cached(
        "SELECT count(DISTINCT ip) FROM sign_in_failures WHERE email_key = ?1 AND at > ?2",
    )?
    .query_row(params![email_key, since], |row| row.get(0))
}
