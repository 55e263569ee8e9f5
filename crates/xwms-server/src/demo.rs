//! Demo data for `--demo`: a server someone can try without setting anything up.
//!
//! [`seed`] is idempotent: it runs on every start in demo mode and adds only what is missing.
//! Later features add their demo records (users, help articles, tickets) here, inside the same
//! transaction.

use rusqlite::{Connection, OptionalExtension};
use time::OffsetDateTime;

use crate::clock::rfc3339;

/// The server name in demo mode when no name is configured.
pub const SERVER_NAME: &str = "XWMS Demo";

/// What [`seed`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// False when the demo data was already there.
    pub first_time: bool,
    /// When the demo data was first seeded (RFC 3339).
    pub seeded_at: String,
}

/// Seeds the demo data that is missing and records when the demo was first seeded.
pub fn seed(conn: &mut Connection, now: OffsetDateTime) -> rusqlite::Result<Seeded> {
    let tx = conn.transaction()?;
    let inserted = tx.execute(
        "INSERT INTO server_meta (key, value) VALUES ('demo_seeded_at', ?1) ON CONFLICT (key) DO NOTHING",
        [rfc3339(now)],
    )?;
    let seeded_at = seeded_at(&tx)?.expect("demo_seeded_at was just written or already there");
    tx.commit()?;
    Ok(Seeded {
        first_time: inserted == 1,
        seeded_at,
    })
}

/// When the demo data was first seeded, if ever.
pub fn seeded_at(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT value FROM server_meta WHERE key = 'demo_seeded_at'",
        [],
        |row| row.get(0),
    )
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn seeding_twice_keeps_the_first_seed() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("demo.sqlite3")).unwrap();
        crate::migrations::run(&mut conn).unwrap();
        assert_eq!(seeded_at(&conn).unwrap(), None);

        let first = seed(&mut conn, datetime!(2026-01-01 10:00 UTC)).unwrap();
        assert_eq!(
            first,
            Seeded {
                first_time: true,
                seeded_at: "2026-01-01T10:00:00Z".into()
            }
        );
        let again = seed(&mut conn, datetime!(2026-02-01 10:00 UTC)).unwrap();
        assert_eq!(
            again,
            Seeded {
                first_time: false,
                seeded_at: "2026-01-01T10:00:00Z".into()
            }
        );
        let rows: i64 = conn
            .query_row(
                "SELECT count(*) FROM server_meta WHERE key = 'demo_seeded_at'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rows, 1);
    }
}
