//! Security events: what happened to an account, for the person's security timeline (the
//! security-center issue shows them).

use rusqlite::{params, Connection};
use serde_json::Value;
use time::OffsetDateTime;

use crate::clock::{from_millis, to_millis};

/// Event kinds, as stored.
pub mod kind {
    pub const ACCOUNT_CREATED: &str = "account_created";
    pub const EMAIL_VERIFIED: &str = "email_verified";
    pub const SIGNED_IN: &str = "signed_in";
    pub const SIGN_IN_AFTER_FAILURES: &str = "sign_in_after_failures";
    pub const NEW_DEVICE: &str = "new_device";
    pub const ACCOUNT_LOCKED: &str = "account_locked";
    pub const ACCOUNT_UNLOCKED: &str = "account_unlocked";
    pub const PASSWORD_CHANGED: &str = "password_changed";
    pub const PASSWORD_RESET: &str = "password_reset";
    pub const EMAIL_CHANGE_REQUESTED: &str = "email_change_requested";
    pub const EMAIL_CHANGED: &str = "email_changed";
    pub const PROFILE_UPDATED: &str = "profile_updated";
    pub const REFRESH_TOKEN_REUSED: &str = "refresh_token_reused";
    pub const SIGNED_OUT: &str = "signed_out";
    pub const RECOVERY_REQUESTED: &str = "recovery_requested";
}

/// One stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityEvent {
    pub kind: String,
    pub ip: String,
    pub at: OffsetDateTime,
    pub details: Value,
}

pub fn record(
    conn: &Connection,
    user_id: &str,
    kind: &str,
    ip: &str,
    at: OffsetDateTime,
    details: Value,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO security_events (user_id, kind, ip, at, details) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        user_id,
        kind,
        ip,
        to_millis(at),
        details.to_string()
    ])
    .map(|_| ())
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
