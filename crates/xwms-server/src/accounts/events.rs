//! Security events: what happened to an account, recorded, and read back as the person's
//! security timeline shows them ([`event_info`], [`page`]).
//!
//! Dependency direction: the flows that record and show events (`signin`, `security`,
//! `two_factor`, …) use this module; it uses only [`super::sessions`] (whether an event's
//! session is still active), never them.

use rusqlite::{named_params, params, Connection, OptionalExtension, Row};
use serde_json::Value;
use time::OffsetDateTime;
use xwms_api::security::{device_label, SecurityEventInfo, SecurityEventPage};

use super::sessions::{self, ACTIVE};
use crate::clock::{from_millis, rfc3339, to_millis};

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
// --- the timeline as the security page shows it

const EVENT_COLUMNS: &str = "e.id, e.kind, e.ip, e.at, e.details, e.session_id, e.alert_status,
     s.device_name, s.device_os, s.app, s.id IS NOT NULL AND coalesce(";

fn event_select(filter: &str) -> String {
    format!(
        "SELECT {EVENT_COLUMNS}{ACTIVE}, 0)
         FROM security_events e LEFT JOIN sessions s ON s.id = e.session_id
         WHERE e.user_id = :user AND {filter}"
    )
}

fn non_empty(value: &Value) -> Option<String> {
    value.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

fn event_from_row(row: &Row<'_>) -> rusqlite::Result<SecurityEventInfo> {
    let details: String = row.get(4)?;
    let details: Value = serde_json::from_str(&details).unwrap_or(Value::Null);
    let kind = Kind::from_wire(&row.get::<_, String>(1)?);
    let from_session = |index: usize| -> rusqlite::Result<Option<String>> {
        Ok(row
            .get::<_, Option<String>>(index)?
            .filter(|s| !s.is_empty()))
    };
    let device = non_empty(&details["device"]).or(from_session(7)?);
    let os = non_empty(&details["os"]).or(from_session(8)?);
    let app = non_empty(&details["app"]).or(from_session(9)?);
    Ok(SecurityEventInfo {
        id: row.get::<_, i64>(0)?.to_string(),
        alert: kind.is_alert(),
        kind,
        at: rfc3339(from_millis(row.get(3)?)),
        ip: row.get(2)?,
        device_label: device_label(device.as_deref(), os.as_deref(), app.as_deref()),
        device,
        os,
        app,
        session_id: row.get(5)?,
        alert_status: row
            .get::<_, Option<String>>(6)?
            .map(|s| AlertStatus::from_wire(&s)),
        session_active: row.get(10)?,
    })
}

/// One event of `user_id` as the timeline shows it.
pub fn event_info(
    conn: &Connection,
    user_id: &str,
    event_id: i64,
    now: OffsetDateTime,
) -> rusqlite::Result<Option<SecurityEventInfo>> {
    let (born_after, active_after) = sessions::active_bounds(now);
    conn.prepare_cached(&event_select("e.id = :id"))?
        .query_row(
            named_params! {":user": user_id, ":id": event_id, ":born_after": born_after, ":active_after": active_after},
            event_from_row,
        )
        .optional()
}

/// A page of the timeline, newest first: events older than `before` (an event id), at most
/// `limit`.
pub fn page(
    conn: &Connection,
    user_id: &str,
    before: Option<i64>,
    limit: u32,
    now: OffsetDateTime,
) -> rusqlite::Result<SecurityEventPage> {
    let (born_after, active_after) = sessions::active_bounds(now);
    let mut stmt = conn.prepare_cached(&format!(
        "{} ORDER BY e.id DESC LIMIT :limit",
        event_select("(:before IS NULL OR e.id < :before)")
    ))?;
    let rows = stmt.query_map(
        named_params! {
            ":user": user_id,
            ":before": before,
            ":limit": i64::from(limit) + 1,
            ":born_after": born_after,
            ":active_after": active_after,
        },
        event_from_row,
    )?;
    let mut events = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    let more = events.len() > limit as usize;
    events.truncate(limit as usize);
    let next_before = if more {
        events.last().map(|e| e.id.clone())
    } else {
        None
    };
    Ok(SecurityEventPage {
        events,
        next_before,
    })
}
