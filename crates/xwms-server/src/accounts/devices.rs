//! Trusted devices: the OWASP "device cookie" (R22).
//!
//! Every successful sign-in gives the installation a new *device token* (256 random bits, kept
//! here only as a SHA-256, per account and installation). An installation that presents its
//! current token with the next sign-in is a trusted device: it gets its own failure budget (see
//! [`super::guard`]), so failures by strangers, who have no token, never lock it. "Not me" on a
//! new-sign-in alert denies the installation: its token stops counting, and its sign-ins are new
//! devices again (alerted) until the person confirms one with "This was me".

use rusqlite::{params, Connection, OptionalExtension};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::sessions::token_hash;
use crate::clock::to_millis;
use crate::random::{self, Random};

const DEVICE_TOKEN_PREFIX: &str = "xwd_";

/// Whether `token` is the current device token of `installation_id` for `user_id`, and the
/// installation is not denied.
pub fn is_trusted(
    conn: &Connection,
    user_id: &str,
    installation_id: &str,
    token: Option<&str>,
) -> rusqlite::Result<bool> {
    let Some(token) = token else {
        return Ok(false);
    };
    let stored: Option<String> = conn
        .prepare_cached(
            "SELECT token_hash FROM known_devices
             WHERE user_id = ?1 AND installation_id = ?2 AND denied_at IS NULL",
        )?
        .query_row(params![user_id, installation_id], |row| row.get(0))
        .optional()?;
    Ok(stored
        .is_some_and(|stored| bool::from(stored.as_bytes().ct_eq(token_hash(token).as_bytes()))))
}

/// A new device token for `installation_id` after a successful sign-in (the previous one stops
/// counting). A denied installation stays denied.
pub fn issue(
    conn: &Connection,
    random: &dyn Random,
    now: OffsetDateTime,
    user_id: &str,
    installation_id: &str,
) -> rusqlite::Result<String> {
    let token = random::token(random, DEVICE_TOKEN_PREFIX);
    conn.prepare_cached(
        "INSERT INTO known_devices (user_id, installation_id, token_hash, first_seen_at, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (user_id, installation_id) DO UPDATE SET token_hash = ?3, last_seen_at = ?4",
    )?
    .execute(params![user_id, installation_id, token_hash(&token), to_millis(now)])?;
    Ok(token)
}

/// "Not me": the installation is no longer trusted.
pub fn deny(
    conn: &Connection,
    user_id: &str,
    installation_id: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO known_devices (user_id, installation_id, token_hash, first_seen_at, last_seen_at, denied_at)
         VALUES (?1, ?2, '', ?3, ?3, ?3)
         ON CONFLICT (user_id, installation_id) DO UPDATE SET denied_at = ?3, token_hash = ''",
    )?
    .execute(params![user_id, installation_id, to_millis(now)])
    .map(|_| ())
}

/// "This was me" about a sign-in of a denied installation: trusted again from its next sign-in.
pub fn undeny(conn: &Connection, user_id: &str, installation_id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE known_devices SET denied_at = NULL WHERE user_id = ?1 AND installation_id = ?2",
    )?
    .execute(params![user_id, installation_id])
    .map(|_| ())
}

pub fn is_denied(
    conn: &Connection,
    user_id: &str,
    installation_id: &str,
) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM known_devices
             WHERE user_id = ?1 AND installation_id = ?2 AND denied_at IS NOT NULL)",
    )?
    .query_row(params![user_id, installation_id], |row| row.get(0))
}

/// The installation a session was opened from.
pub fn installation_of_session(
    conn: &Connection,
    session_id: &str,
) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT installation_id FROM sessions WHERE id = ?1")?
        .query_row([session_id], |row| row.get(0))
        .optional()
}
