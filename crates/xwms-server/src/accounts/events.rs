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
    pub const SIGN_IN_FAILED: &str = "sign_in_failed";
    pub const NEW_NETWORK: &str = "new_network";
    pub const TWO_FACTOR_ENABLED: &str = "two_factor_enabled";
    pub const TWO_FACTOR_DISABLED: &str = "two_factor_disabled";
    pub const RECOVERY_CODES_REGENERATED: &str = "recovery_codes_regenerated";
    pub const RECOVERY_CODE_USED: &str = "recovery_code_used";
    pub const SECOND_FACTOR_FAILED: &str = "second_factor_failed";
    /// A TOTP code of a time step already used (or older) was entered again (R1).
    pub const TWO_FACTOR_CODE_REPLAYED: &str = "two_factor_code_replayed";
    pub const SESSION_REVOKED: &str = "session_revoked";
    pub const SESSIONS_REVOKED: &str = "sessions_revoked";
    pub const ALERT_CONFIRMED: &str = "alert_confirmed";
    pub const API_CLIENT_CREATED: &str = "api_client_created";
    pub const API_CLIENT_SECRET_REGENERATED: &str = "api_client_secret_regenerated";
    pub const API_CLIENT_DISABLED: &str = "api_client_disabled";
    pub const API_CLIENT_ENABLED: &str = "api_client_enabled";
    pub const API_CLIENT_DELETED: &str = "api_client_deleted";

    /// New-sign-in alerts: the person answers "This was me" or "Not me".
    pub const ALERTS: [&str; 2] = [NEW_DEVICE, NEW_NETWORK];
}

/// The answer to a new-sign-in alert, as stored in `security_events.alert_status`.
pub mod alert_status {
    pub const PENDING: &str = "pending";
    pub const CONFIRMED: &str = "confirmed";
    pub const DENIED: &str = "denied";
}

/// One stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityEvent {
    pub kind: String,
    pub ip: String,
    pub at: OffsetDateTime,
    pub details: Value,
}

/// Records an event; `details.session_id`, when present, names the session it is about. An
/// event of an alert kind ([`kind::ALERTS`]) starts as a pending alert. Returns its id.
pub fn record(
    conn: &Connection,
    user_id: &str,
    kind: &str,
    ip: &str,
    at: OffsetDateTime,
    details: Value,
) -> rusqlite::Result<i64> {
    let session_id = details["session_id"].as_str().map(str::to_owned);
    let alert = kind::ALERTS
        .contains(&kind)
        .then_some(alert_status::PENDING);
    conn.prepare_cached(
        "INSERT INTO security_events (user_id, kind, ip, at, details, session_id, alert_status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        user_id,
        kind,
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
