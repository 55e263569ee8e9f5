//! Pruning what no rule needs any more, so decoy codes and failure records cannot pile up.

use rusqlite::{params, Connection};
use time::{Duration, OffsetDateTime};

use crate::clock::to_millis;

/// How long dead codes, failure records and expired tokens are kept (for investigation).
pub const KEEP_DEAD: Duration = Duration::days(1);
/// How long the record of a sent mail (without its bodies) is kept.
pub const KEEP_SENT_MAIL: Duration = Duration::days(30);
/// Failures of an address that is not locked are forgotten after this long without a new one
/// (a hard stop is never forgotten: only the mailbox lifts it).
pub const FORGET_FAILURES_AFTER: Duration = Duration::days(7);

/// What [`prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub codes: usize,
    pub failures: usize,
    pub tokens: usize,
    pub guards: usize,
    pub mail: usize,
    pub challenges: usize,
    pub rate_events: usize,
    /// Support events older than `support::LOG_KEEP_DAYS`, expired guest codes and tokens,
    /// uploads never bound within `support::UPLOAD_KEEP_HOURS`.
    pub support: usize,
}

pub fn prune(conn: &Connection, now: OffsetDateTime) -> rusqlite::Result<Pruned> {
    let dead = to_millis(now - KEEP_DEAD);
    Ok(Pruned {
        codes: conn.execute("DELETE FROM email_codes WHERE expires_at < ?1", [dead])?
            + conn.execute("DELETE FROM code_tries WHERE at < ?1", [dead])?,
        failures: conn.execute("DELETE FROM sign_in_failures WHERE at < ?1", [dead])?,
        tokens: conn.execute("DELETE FROM tokens WHERE expires_at < ?1", [dead])?,
        guards: conn.execute(
            "DELETE FROM sign_in_guards WHERE hard_locked = 0 AND coalesce(locked_until, 0) < ?1
                 AND coalesce(last_failure_at, 0) < ?2",
            params![to_millis(now), to_millis(now - FORGET_FAILURES_AFTER)],
        )?,
        mail: conn.execute(
            "DELETE FROM mail_outbox WHERE sent_at IS NOT NULL AND sent_at < ?1",
            [to_millis(now - KEEP_SENT_MAIL)],
        )?,
        challenges: super::two_factor::prune_challenges(conn, now)?,
        rate_events: super::limits::prune(conn, now)?,
        support: super::support::prune_events(conn, now)?
            + super::support::prune_uploads(conn, now)?
            + conn.execute(
                "DELETE FROM support_guest_codes WHERE expires_at < ?1",
                [dead],
            )?
            + conn.execute(
                "DELETE FROM support_guest_tokens WHERE expires_at < ?1",
                [dead],
            )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::guard;
    use crate::accounts::policy::GuardState;
    use time::macros::datetime;

    #[test]
    fn prunes_only_what_no_rule_needs() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::migrations::run(&mut conn).unwrap();
        let now = datetime!(2026-05-06 07:00 UTC);
        let old = to_millis(now - Duration::days(2));
        let fresh = to_millis(now - Duration::hours(1));
        for (subject, expires) in [("old", old), ("fresh", fresh)] {
            conn.execute(
                "INSERT INTO email_codes (purpose, subject, challenge_hash, email, code_salt, code_hash, sent_at, expires_at)
                 VALUES ('unlock', ?1, 'c', 'x@example.com', x'00', x'00', ?2, ?2)",
                params![subject, expires],
            )
            .unwrap();
        }
        for (ip, at) in [("a", old), ("b", fresh)] {
            let key = guard::GuardKey::unknown("k");
            guard::judge_failure(&conn, None, key, ip, crate::clock::from_millis(at)).unwrap();
        }
        let stale = GuardState {
            failures: 3,
            last_failure_at: Some(now - Duration::days(8)),
            ..GuardState::default()
        };
        let hard = GuardState {
            hard_locked: true,
            ..stale
        };
        let recent = GuardState {
            last_failure_at: Some(now - Duration::days(1)),
            ..stale
        };
        guard::save(&conn, guard::GuardKey::unknown("stale"), &stale, None).unwrap();
        guard::save(&conn, guard::GuardKey::unknown("hard"), &hard, None).unwrap();
        guard::save(&conn, guard::GuardKey::unknown("recent"), &recent, None).unwrap();

        let pruned = prune(&conn, now).unwrap();
        assert_eq!((pruned.codes, pruned.failures, pruned.guards), (1, 1, 1));
        assert_eq!(
            guard::load(&conn, guard::GuardKey::unknown("hard"), now).unwrap(),
            hard,
            "a hard stop is kept"
        );
        assert_eq!(
            guard::load(&conn, guard::GuardKey::unknown("recent"), now).unwrap(),
            recent
        );
        assert_eq!(
            guard::load(&conn, guard::GuardKey::unknown("stale"), now).unwrap(),
            GuardState::default()
        );
        assert_eq!(prune(&conn, now).unwrap(), Pruned::default());
    }

    #[test]
    fn prunes_uploads_never_bound_within_a_day() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::migrations::run(&mut conn).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        let now = datetime!(2026-05-06 07:00 UTC);
        for (id, age) in [("old", 25), ("fresh", 23)] {
            conn.execute(
                "INSERT INTO support_uploads (id, account_id, file_name, content_type, size_bytes, bytes, created_at)
                 VALUES (?1, 'u', 'a.png', 'image/png', 1, x'00', ?2)",
                params![id, to_millis(now - Duration::hours(age))],
            )
            .unwrap();
        }
        assert_eq!(prune(&conn, now).unwrap().support, 1);
        let left: String = conn
            .query_row("SELECT id FROM support_uploads", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, "fresh");
    }
}
