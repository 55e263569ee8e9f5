//! The server's SQLite store: one file, `<data-dir>/xwms.sqlite3`.
//!
//! # One connection behind a mutex, used from `spawn_blocking`
//!
//! SQLite lets one writer in at a time whatever the number of connections, and the server's
//! queries are short, so a single connection serialised by a mutex is the simplest sound
//! choice: no pool dependency, no "database is locked" between our own connections, and
//! transactions cannot interleave. Every use runs on tokio's blocking pool through
//! [`Store::call`], so a slow disk never stalls the async workers. If reads ever become the
//! bottleneck, `call` is the one place to swap in a pool of read connections (WAL allows
//! readers beside the writer).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::migrations;

/// File name of the database inside the data folder.
pub const DB_FILE: &str = "xwms.sqlite3";
/// How long a statement waits for a lock held by another process before failing.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store is closed")]
    Closed,
    #[error("cannot create the data folder {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Migration(#[from] migrations::MigrationError),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("store task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A test failpoint stopped the work where a crash would (see `Outbox::with_failpoint`).
    #[error("interrupted by a test failpoint")]
    Interrupted,
}

/// A cheap-to-clone handle on the database.
#[derive(Clone)]
pub struct Store {
    /// `None` once [`Store::close`] ran: every later call answers [`StoreError::Closed`].
    conn: Arc<Mutex<Option<Connection>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) `<data_dir>/xwms.sqlite3` and brings its schema up to date.
    /// The folder is created readable by its owner only. Blocking: call it from a blocking
    /// context (see [`crate::server::Server::bind`]).
    pub fn open_in(data_dir: &Path) -> Result<Store, StoreError> {
        create_private_dir(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_owned(),
            source,
        })?;
        Store::open(&data_dir.join(DB_FILE))
    }

    /// Opens the database file at `path` and brings its schema up to date. Blocking.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        migrations::run(&mut conn)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(Some(conn))),
        })
    }

    /// Runs `work` with the connection on the blocking pool.
    pub async fn call<R, F>(&self, work: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = lock(&conn);
            let conn = guard.as_mut().ok_or(StoreError::Closed)?;
            Ok(work(conn)?)
        })
        .await?
    }

    /// Runs `work` with the connection on this thread (for command-line tools, not handlers).
    pub fn blocking<R>(
        &self,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<R>,
    ) -> Result<R, StoreError> {
        let mut guard = lock(&self.conn);
        let conn = guard.as_mut().ok_or(StoreError::Closed)?;
        Ok(work(conn)?)
    }

    /// Runs `work` in one transaction on the blocking pool: committed when `work` returns `Ok`,
    /// rolled back when it fails, so a request never leaves half its writes behind. It begins
    /// `IMMEDIATE` (takes the write lock at once), so a read-then-write inside cannot race another
    /// process.
    ///
    /// A denial that must still be recorded (a wrong code counts as a try) is an `Ok` value that
    /// carries the denial: see `crate::accounts`.
    pub async fn transaction<R, F>(&self, work: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> rusqlite::Result<R> + Send + 'static,
    {
        self.call(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let result = work(&tx)?;
            tx.commit()?;
            Ok(result)
        })
        .await
    }

    /// The cheapest real round trip: `SELECT 1` on the connection.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.call(|conn| conn.query_row("SELECT 1", [], |row| row.get::<_, i64>(0)))
            .await
            .map(|_| ())
    }

    /// Closes the connection (SQLite checkpoints the WAL into the main file). Later calls
    /// answer [`StoreError::Closed`], which the API reports as `server.unavailable`.
    pub fn close(&self) {
        if let Some(conn) = lock(&self.conn).take() {
            if let Err((_, err)) = conn.close() {
                tracing::warn!(error = %err, "closing the database failed");
            }
        }
    }
}

/// A panic while the lock was held poisons it; the connection itself is still sound (an open
/// `Transaction` rolls back when the panic drops it), so keep using it.
fn lock(conn: &Mutex<Option<Connection>>) -> MutexGuard<'_, Option<Connection>> {
    conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(
            mode,
            "SQLite refused WAL mode; using its current journal mode"
        );
    }
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_a_file_in_wal_mode_with_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("nested/data");
        let store = Store::open_in(&data_dir).unwrap();
        assert!(data_dir.join(DB_FILE).is_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&data_dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let (mode, fk) = store
            .call(|conn| {
                let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
                Ok((mode, fk))
            })
            .await
            .unwrap();
        assert_eq!((mode.as_str(), fk), ("wal", 1));
        store.ping().await.unwrap();
    }

    #[tokio::test]
    async fn a_failed_transaction_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).unwrap();
        let failed = store
            .transaction(|tx| {
                tx.execute("INSERT INTO server_meta (key, value) VALUES ('a', '1')", [])?;
                tx.execute("INSERT INTO no_such_table VALUES (1)", [])
            })
            .await;
        assert!(failed.is_err());
        let rows: i64 = store
            .call(|c| {
                c.query_row(
                    "SELECT count(*) FROM server_meta WHERE key = 'a'",
                    [],
                    |r| r.get(0),
                )
            })
            .await
            .unwrap();
        assert_eq!(rows, 0);
        store
            .transaction(|tx| {
                tx.execute("INSERT INTO server_meta (key, value) VALUES ('a', '1')", [])
            })
            .await
            .unwrap();
        let rows: i64 = store
            .call(|c| {
                c.query_row(
                    "SELECT count(*) FROM server_meta WHERE key = 'a'",
                    [],
                    |r| r.get(0),
                )
            })
            .await
            .unwrap();
        assert_eq!(rows, 1);
    }

    #[tokio::test]
    async fn a_closed_store_answers_closed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).unwrap();
        store.close();
        assert!(matches!(store.ping().await, Err(StoreError::Closed)));
    }
}
