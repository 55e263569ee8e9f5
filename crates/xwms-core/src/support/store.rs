//! The support file on this computer (`support.sqlite3` in the data folder): the outbox of
//! messages not yet acknowledged by the server, the last event-log seq seen, and the last
//! conversation list and conversations opened (shown read-only while offline).
//!
//! Every row belongs to one scope (the app's keychain service and the server's normalised
//! URL): the outbox of one server is never sent to another, nor by another app's session.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use xwms_api::support::{AttachmentInfo, SupportTopic};
use xwms_api::{ErrorBody, ErrorCode};

use crate::CoreError;

/// File of the support store in the data folder.
pub const STORE_FILE: &str = "support.sqlite3";

/// Schema versions (`PRAGMA user_version`), applied in order.
const MIGRATIONS: &[&str] = &[
    // 1: the outbox, what conversations queued offline became, the seq, the cache.
    "CREATE TABLE outbox (
         ord INTEGER PRIMARY KEY AUTOINCREMENT,
         server TEXT NOT NULL,
         client_msg_id TEXT NOT NULL UNIQUE,
         conversation_id TEXT,
         pending_conversation TEXT,
         new_topic TEXT,
         new_subject TEXT,
         body TEXT NOT NULL,
         attachments TEXT NOT NULL,
         created_at TEXT NOT NULL,
         failed TEXT) STRICT;
     CREATE TABLE created (
         server TEXT NOT NULL, local_id TEXT NOT NULL, conversation_id TEXT NOT NULL,
         PRIMARY KEY (server, local_id)) STRICT;
     CREATE TABLE seq (server TEXT PRIMARY KEY NOT NULL, last_seq INTEGER NOT NULL) STRICT;
     CREATE TABLE cache (
         server TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL, cached_at TEXT NOT NULL,
         PRIMARY KEY (server, key)) STRICT;",
];

/// A message waiting in the outbox (or refused for good: `failed`).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub ord: i64,
    pub client_msg_id: String,
    /// The conversation it goes to; `None` while that conversation waits in the outbox too.
    pub conversation_id: Option<String>,
    /// The local id (its first message's client id) of the conversation queued here that it
    /// was written to (kept after the server created it).
    pub pending_conversation: Option<String>,
    /// Set for the first message of a conversation started here: it creates the conversation.
    pub new_conversation: Option<(SupportTopic, String)>,
    pub body: String,
    pub attachments: Vec<AttachmentInfo>,
    pub created_at: String,
    /// Why the server refused it for good (sending it again would not help).
    pub failed: Option<ErrorBody>,
}

impl OutboxItem {
    /// The id the screens first knew its conversation by: the local id of a conversation
    /// queued here (even once created), else the server's.
    pub fn local_conversation_id(&self) -> String {
        self.pending_conversation
            .clone()
            .or_else(|| self.conversation_id.clone())
            .unwrap_or_else(|| self.client_msg_id.clone())
    }
}

/// Why opening the store failed.
enum Opening {
    /// Not a database, corrupt, or a schema this app does not know: moved aside.
    Unreadable(String),
    Failed(CoreError),
}

impl From<rusqlite::Error> for Opening {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode as Sqlite;
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, Sqlite::NotADatabase | Sqlite::DatabaseCorrupt) =>
            {
                Opening::Unreadable(e.to_string())
            }
            _ => Opening::Failed(storage(e)),
        }
    }
}

impl Opening {
    fn into_error(self) -> CoreError {
        match self {
            Opening::Unreadable(detail) => storage(detail),
            Opening::Failed(e) => e,
        }
    }
}

pub struct SupportStore {
    conn: Mutex<Connection>,
    path: PathBuf,
}

fn storage(e: impl std::fmt::Display) -> CoreError {
    CoreError::new(ErrorCode::SettingsStorage).with_detail(format!("support store: {e}"))
}

impl SupportStore {
    /// Opens (or creates) the store. A file that is not a readable support store (corrupt,
    /// or from a newer version) is moved aside as `support.sqlite3.corrupt` and a new one is
    /// made, so the app always starts.
    pub fn open(data_dir: &Path) -> Result<Self, CoreError> {
        std::fs::create_dir_all(data_dir).map_err(storage)?;
        let path = data_dir.join(STORE_FILE);
        match Self::open_at(&path) {
            Ok(store) => Ok(store),
            Err(Opening::Unreadable(detail)) => {
                tracing::warn!(%detail, "support store unreadable: moved aside");
                let aside = data_dir.join(format!("{STORE_FILE}.corrupt"));
                std::fs::rename(&path, &aside).map_err(storage)?;
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(data_dir.join(format!("{STORE_FILE}{suffix}")));
                }
                Self::open_at(&path).map_err(Opening::into_error)
            }
            // Locked, no space, no permission: the file may be fine; it is left alone.
            Err(Opening::Failed(e)) => Err(e),
        }
    }

    fn open_at(path: &Path) -> Result<Self, Opening> {
        let conn = Connection::open(path).map_err(Opening::from)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(Opening::from)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(Opening::from)?;
        // FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on a power cut, and
        // a commit here is the promise "your message will be sent". A person sends a few
        // messages a minute, so one fsync each costs nothing anyone notices.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(Opening::from)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(Opening::from)?;
        if version < 0 || version as usize > MIGRATIONS.len() {
            return Err(Opening::Unreadable(format!(
                "schema version {version} is not one this app knows"
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            conn.execute_batch(&format!(
                "BEGIN; {sql} PRAGMA user_version = {}; COMMIT;",
                i + 1
            ))
            .map_err(Opening::from)?;
        }
        Ok(Self {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues one message (one INSERT, durable when it returns).
    pub fn queue(&self, server: &str, item: &OutboxItem) -> Result<(), CoreError> {
        let attachments = serde_json::to_string(&item.attachments).map_err(storage)?;
        let (topic, subject) = match &item.new_conversation {
            Some((t, s)) => (Some(t.as_str()), Some(s.as_str())),
            None => (None, None),
        };
        self.conn()
            .execute(
                "INSERT INTO outbox (server, client_msg_id, conversation_id, pending_conversation,
                     new_topic, new_subject, body, attachments, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    server,
                    item.client_msg_id,
                    item.conversation_id,
                    item.pending_conversation,
                    topic,
                    subject,
                    item.body,
                    attachments,
                    item.created_at
                ],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// The outbox of `server` in the order the messages were written.
    pub fn outbox(&self, server: &str) -> Result<Vec<OutboxItem>, CoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT ord, client_msg_id, conversation_id, pending_conversation, new_topic,
                        new_subject, body, attachments, created_at, failed
                 FROM outbox WHERE server = ?1 ORDER BY ord",
            )
            .map_err(storage)?;
        let rows = stmt
            .query_map(params![server], |r| {
                let topic: Option<String> = r.get(4)?;
                let subject: Option<String> = r.get(5)?;
                let attachments: String = r.get(7)?;
                let failed: Option<String> = r.get(9)?;
                Ok(OutboxItem {
                    ord: r.get(0)?,
                    client_msg_id: r.get(1)?,
                    conversation_id: r.get(2)?,
                    pending_conversation: r.get(3)?,
                    new_conversation: topic
                        .map(|t| (SupportTopic::from_wire(&t), subject.unwrap_or_default())),
                    body: r.get(6)?,
                    attachments: serde_json::from_str(&attachments).unwrap_or_default(),
                    created_at: r.get(8)?,
                    failed: failed.and_then(|f| serde_json::from_str(&f).ok()),
                })
            })
            .map_err(storage)?;
        rows.collect::<Result<_, _>>().map_err(storage)
    }

    /// The server acknowledged the message: it leaves the outbox.
    pub fn delete(&self, client_msg_id: &str) -> Result<(), CoreError> {
        self.conn()
            .execute(
                "DELETE FROM outbox WHERE client_msg_id = ?1",
                params![client_msg_id],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// The server created the conversation queued as `local_id`: its first message leaves
    /// the outbox and the messages waiting for it now name it, in one transaction.
    pub fn conversation_created(
        &self,
        server: &str,
        local_id: &str,
        conversation_id: &str,
    ) -> Result<(), CoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(storage)?;
        tx.execute(
            "DELETE FROM outbox WHERE client_msg_id = ?1",
            params![local_id],
        )
        .map_err(storage)?;
        tx.execute(
            "UPDATE outbox SET conversation_id = ?2
             WHERE server = ?3 AND pending_conversation = ?1",
            params![local_id, conversation_id, server],
        )
        .map_err(storage)?;
        tx.execute(
            "INSERT OR REPLACE INTO created (server, local_id, conversation_id) VALUES (?1, ?2, ?3)",
            params![server, local_id, conversation_id],
        )
        .map_err(storage)?;
        tx.commit().map_err(storage)
    }

    /// The server's id of the conversation queued here as `local_id`, once created.
    pub fn created_as(&self, server: &str, local_id: &str) -> Result<Option<String>, CoreError> {
        self.conn()
            .query_row(
                "SELECT conversation_id FROM created WHERE server = ?1 AND local_id = ?2",
                params![server, local_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(storage)
    }

    /// The server refused the message for good.
    pub fn mark_failed(&self, client_msg_id: &str, error: &ErrorBody) -> Result<(), CoreError> {
        let json = serde_json::to_string(error).map_err(storage)?;
        self.conn()
            .execute(
                "UPDATE outbox SET failed = ?2 WHERE client_msg_id = ?1",
                params![client_msg_id, json],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// A failed message goes back in the queue (at its place); false when there is none.
    pub fn retry(&self, client_msg_id: &str) -> Result<bool, CoreError> {
        let n = self
            .conn()
            .execute(
                "UPDATE outbox SET failed = NULL WHERE client_msg_id = ?1",
                params![client_msg_id],
            )
            .map_err(storage)?;
        Ok(n > 0)
    }

    /// The last event-log seq applied for `server`.
    pub fn last_seq(&self, server: &str) -> Result<Option<i64>, CoreError> {
        self.conn()
            .query_row(
                "SELECT last_seq FROM seq WHERE server = ?1",
                params![server],
                |r| r.get(0),
            )
            .optional()
            .map_err(storage)
    }

    /// Raises the last seq of `server` to `seq` (never lowers it).
    pub fn note_seq(&self, server: &str, seq: i64) -> Result<(), CoreError> {
        self.conn()
            .execute(
                "INSERT INTO seq (server, last_seq) VALUES (?1, ?2)
                 ON CONFLICT (server) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)",
                params![server, seq],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// Sets the last seq of `server` (after a reload: the list's seq).
    pub fn set_seq(&self, server: &str, seq: i64) -> Result<(), CoreError> {
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO seq (server, last_seq) VALUES (?1, ?2)",
                params![server, seq],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// Removes everything kept for `server` (the scope): outbox, seq, cache.
    pub fn forget(&self, server: &str) -> Result<(), CoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(storage)?;
        for table in ["outbox", "created", "seq", "cache"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE server = ?1"),
                params![server],
            )
            .map_err(storage)?;
        }
        tx.commit().map_err(storage)
    }

    pub fn put_cache<T: serde::Serialize>(
        &self,
        server: &str,
        key: &str,
        value: &T,
        cached_at: &str,
    ) -> Result<(), CoreError> {
        let json = serde_json::to_string(value).map_err(storage)?;
        self.conn()
            .execute(
                "INSERT OR REPLACE INTO cache (server, key, json, cached_at) VALUES (?1, ?2, ?3, ?4)",
                params![server, key, json, cached_at],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// A cached value and when it was stored.
    pub fn cache<T: serde::de::DeserializeOwned>(
        &self,
        server: &str,
        key: &str,
    ) -> Result<Option<(T, String)>, CoreError> {
        let row: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT json, cached_at FROM cache WHERE server = ?1 AND key = ?2",
                params![server, key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(storage)?;
        Ok(row.and_then(|(json, at)| serde_json::from_str(&json).ok().map(|v| (v, at))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, conversation: Option<&str>, pending: Option<&str>) -> OutboxItem {
        OutboxItem {
            ord: 0,
            client_msg_id: id.into(),
            conversation_id: conversation.map(Into::into),
            pending_conversation: pending.map(Into::into),
            new_conversation: None,
            body: format!("body {id}"),
            attachments: Vec::new(),
            created_at: "2026-12-07T10:00:00Z".into(),
            failed: None,
        }
    }

    #[test]
    fn the_outbox_keeps_order_and_a_created_conversation_names_its_waiting_messages() {
        let dir = tempfile::tempdir().unwrap();
        let store = SupportStore::open(dir.path()).unwrap();
        let mut first = item("a", None, None);
        first.new_conversation = Some((SupportTopic::Question, "Help".into()));
        store.queue("s", &first).unwrap();
        store.queue("s", &item("b", None, Some("a"))).unwrap();
        store.queue("s", &item("c", Some("conv-9"), None)).unwrap();
        store.queue("other", &item("d", Some("x"), None)).unwrap();
        // A second INSERT of the same client id is refused: a message is queued once.
        assert!(store.queue("s", &item("c", Some("conv-9"), None)).is_err());
        drop(store);

        let store = SupportStore::open(dir.path()).unwrap();
        let ids: Vec<_> = store
            .outbox("s")
            .unwrap()
            .into_iter()
            .map(|i| i.client_msg_id)
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(
            store.outbox("s").unwrap()[0].new_conversation,
            Some((SupportTopic::Question, "Help".into()))
        );
        store.conversation_created("s", "a", "conv-1").unwrap();
        let left = store.outbox("s").unwrap();
        assert_eq!(left.len(), 2);
        assert_eq!(left[0].conversation_id.as_deref(), Some("conv-1"));
        assert_eq!(left[0].local_conversation_id(), "a");
        assert_eq!(
            store.created_as("s", "a").unwrap().as_deref(),
            Some("conv-1")
        );

        store.note_seq("s", 10).unwrap();
        store.note_seq("s", 4).unwrap();
        assert_eq!(store.last_seq("s").unwrap(), Some(10));
        assert_eq!(store.last_seq("other").unwrap(), None);
    }

    #[test]
    fn an_unreadable_file_is_moved_aside_and_a_new_store_made() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(STORE_FILE),
            b"this is not a database, just junk...",
        )
        .unwrap();
        let store = SupportStore::open(dir.path()).unwrap();
        store.queue("s", &item("a", Some("c"), None)).unwrap();
        assert_eq!(store.outbox("s").unwrap().len(), 1);
        assert!(dir.path().join("support.sqlite3.corrupt").exists());
    }
}
