//! Versioned schema migrations.
//!
//! [`MIGRATIONS`] is an append-only list: a shipped migration is never edited, a change is a new
//! entry with the next version. [`run`] applies the missing ones in order, each in its own
//! `BEGIN IMMEDIATE` transaction together with its row in `schema_migrations`, so a crash
//! leaves the schema at a whole version and two processes starting at once do not both apply
//! the same step. Running it again on an up-to-date database changes nothing.

use rusqlite::{Connection, TransactionBehavior};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "server_meta",
    // Facts about this installation, key → value: `instance_id` (random, set once here),
    // `demo_seeded_at` (see crate::demo), ...
    sql: "CREATE TABLE server_meta (
              key   TEXT PRIMARY KEY NOT NULL,
              value TEXT NOT NULL
          ) STRICT;
          INSERT INTO server_meta (key, value) VALUES ('instance_id', lower(hex(randomblob(16))));",
}];

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("the database is at schema version {found}, newer than this server knows ({known}); use a newer xwms-server")]
    TooNew { found: i64, known: i64 },
    #[error("migration {version} ({name}) failed: {source}")]
    Failed {
        version: i64,
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error("reading the schema version failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The version of the newest migration this server knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The schema version recorded in the database (0 when none is).
pub fn current_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        [],
        |row| row.get(0),
    )
}

/// Applies every migration the database does not have yet; returns how many it applied.
pub fn run(conn: &mut Connection) -> Result<usize, MigrationError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY NOT NULL,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         ) STRICT;",
    )?;
    let mut applied = 0;
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = current_version(&tx)?;
        if current > latest_version() {
            return Err(MigrationError::TooNew {
                found: current,
                known: latest_version(),
            });
        }
        let Some(next) = MIGRATIONS.iter().find(|m| m.version > current) else {
            return Ok(applied);
        };
        let failed = |source| MigrationError::Failed {
            version: next.version,
            name: next.name,
            source,
        };
        tx.execute_batch(next.sql).map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
            (next.version, next.name),
        )
        .map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::info!(
            version = next.version,
            name = next.name,
            "applied database migration"
        );
        applied += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance_id(conn: &Connection) -> String {
        conn.query_row(
            "SELECT value FROM server_meta WHERE key = 'instance_id'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn versions_start_at_one_and_increase_by_one() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, index as i64 + 1, "{}", migration.name);
        }
    }

    #[test]
    fn running_twice_on_a_file_is_idempotent_and_records_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.sqlite3");

        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(run(&mut conn).unwrap(), MIGRATIONS.len());
        assert_eq!(current_version(&conn).unwrap(), latest_version());
        let id = instance_id(&conn);
        assert_eq!(id.len(), 32);
        drop(conn);

        // A restart: a new connection to the same file.
        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(run(&mut conn).unwrap(), 0);
        assert_eq!(current_version(&conn).unwrap(), latest_version());
        assert_eq!(instance_id(&conn), id, "the instance id survives restarts");
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_database_from_a_newer_server_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?1, 'future')",
            [latest_version() + 1],
        )
        .unwrap();
        assert!(matches!(run(&mut conn), Err(MigrationError::TooNew { .. })));
    }
}
