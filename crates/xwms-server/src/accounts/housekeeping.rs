//! Pruning what no rule needs any more, so decoy codes and failure records cannot pile up.

use rusqlite::{params, Connection};
use time::{Duration, OffsetDateTime};

use super::policy::{LOCKOUT, SESSIONS};
use crate::clock::to_millis;

/// How long dead codes, failure records and expired tokens are kept (for investigation).
pub const KEEP_DEAD: Duration = Duration::days(1);
/// How long the record of a sent mail (without its bodies) is kept.
pub const KEEP_SENT_MAIL: Duration = Duration::days(30);

/// What [`prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub codes: usize,
    pub failures: usize,
    pub tokens: usize,
    pub guards: usize,
    pub mail: usize,
}

pub fn prune(conn: &Connection, now: OffsetDateTime) -> rusqlite::Result<Pruned> {
    let dead = to_millis(now - KEEP_DEAD);
    Ok(Pruned {
        codes: conn.execute("DELETE FROM email_codes WHERE expires_at < ?1", [dead])?,
        failures: conn.execute("DELETE FROM sign_in_failures WHERE at < ?1", [dead])?,
        tokens: conn.execute("DELETE FROM tokens WHERE expires_at < ?1", [dead])?,
        // Unlocked guards whose last failure is older than any throttle and lock window.
        guards: conn.execute(
            "DELETE FROM sign_in_guards WHERE hard_locked = 0 AND coalesce(locked_until, 0) < ?1
                 AND coalesce(last_failure_at, 0) < ?2",
            params![
                to_millis(now),
                to_millis(now - LOCKOUT.lock_for - SESSIONS.idle_lifetime)
            ],
        )?,
        mail: conn.execute(
            "DELETE FROM mail_outbox WHERE sent_at IS NOT NULL AND sent_at < ?1",
            [to_millis(now - KEEP_SENT_MAIL)],
        )?,
    })
}
