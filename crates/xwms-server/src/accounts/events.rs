//! Security events: what happened to an account, for the person's security timeline (the
//! security-center issue shows them).

use rusqlite::{params, Connection};
use serde_json::Value;
use time::OffsetDateTime;

use crate::clock::{from_millis, to_millis};

/// Event kinds, as stored: the wire's [`Kind`] (its `as_str`).
pub use xwms_api::security::{AlertStatus, SecurityEventKind as Kind};

/// One stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityEvent {
    pub kind: String,
    pub ip: String,
    pub at: OffsetDateTime,
    pub details: Value,
}

/// Records an event; `details.session_id`, when present, names the session it is about. An
/// event of an alert kind ([`Kind::ALERTS`]) starts as a pending alert. Returns its id.
pub fn record(
    conn: &Connection,
    user_id: &str,
    kind: Kind,
    ip: &str,
    at: OffsetDateTime,
    details: Value,
) -> rusqlite::Result<i64> {
    let session_id = details["session_id"].as_str().map(str::to_owned);
    let alert = kind.is_alert().then_some(AlertStatus::Pending.as_str());
    conn.prepare_cached(
        "INSERT INTO security_events (user_id, kind, ip, at, details, session_id, alert_status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        user_id,
        kind.as_str(),
        ip,
        to_millis(at),
        details.to_string(),
        session_id,
        alert
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The events of an account, oldest first.
pub fn list(conn: &Connection, user_id: &str) -> rusqlite::Result<Vec<SecurityEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, ip, at, details FROM security_events WHERE user_id = ?1 ORDER BY at, id",
    )?;
    let rows = stmt.query_map([user_id], |row| {
        let details: String = row.get(3)?;
        Ok(SecurityEvent {
            kind: row.get(0)?,
            ip: row.get(1)?,
            at: from_millis(row.get(2)?),
            details: serde_json::from_str(&details).unwrap_or(Value::Null),
        })
    })?;
    rows.collect()
}
