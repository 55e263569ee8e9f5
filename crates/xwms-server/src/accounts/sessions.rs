//! Sessions and their tokens (R12, R15).
//!
//! A token is `xwms_at_` or `xwms_rt_` and 256 random bits; only its SHA-256 is stored. An
//! access token lives [`SESSIONS`]`.access_lifetime`; a refresh token is single use and is
//! exchanged for a new pair at each refresh; presenting an exchanged one again revokes the whole
//! session (someone holds a copy). A session ends after `absolute_lifetime` whatever happens, and
//! after `idle_lifetime` without requests.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use xwms_api::auth::DeviceInfo;
use xwms_api::security::{DeviceType, RevokeReason};
use xwms_api::ErrorCode;

use super::policy::{SessionState, SessionVerdict, NETWORKS, REAUTH, SESSIONS};
use super::ClientMeta;
use crate::clock::{from_millis, to_millis};
use crate::error::ApiError;
use crate::random::{self, Random};

pub const ACCESS_PREFIX: &str = "xwms_at_";
pub const REFRESH_PREFIX: &str = "xwms_rt_";

/// The caller of an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    pub user_id: String,
    pub session_id: String,
}

/// A new token pair (the tokens themselves are only ever here and in the answer).
pub struct Issued {
    pub session_id: String,
    pub access_token: String,
    pub access_expires_at: OffsetDateTime,
    pub refresh_token: String,
    pub refresh_expires_at: OffsetDateTime,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

/// Hex SHA-256 of a token: how tokens are stored and looked up.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn issue_pair(
    conn: &Connection,
    random: &dyn Random,
    now: OffsetDateTime,
    session_id: &str,
    session_created_at: OffsetDateTime,
) -> rusqlite::Result<Issued> {
    let ends_at = SESSIONS.ends_at(session_created_at);
    let access_token = random::token(random, ACCESS_PREFIX);
    let refresh_token = random::token(random, REFRESH_PREFIX);
    let access_expires_at = (now + SESSIONS.access_lifetime).min(ends_at);
    let mut insert = conn.prepare_cached(
        "INSERT INTO tokens (hash, session_id, kind, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    insert.execute(params![
        token_hash(&access_token),
        session_id,
        "access",
        to_millis(now),
        to_millis(access_expires_at)
    ])?;
    insert.execute(params![
        token_hash(&refresh_token),
        session_id,
        "refresh",
        to_millis(now),
        to_millis(ends_at)
    ])?;
    Ok(Issued {
        session_id: session_id.to_owned(),
        access_token,
        access_expires_at,
        refresh_token,
        refresh_expires_at: ends_at,
    })
}

/// Opens a session for `user_id` and issues its first tokens. Signing in proves the password,
/// so a new session starts re-authenticated (see [`REAUTH`]).
pub fn open(
    conn: &Connection,
    random: &dyn Random,
    now: OffsetDateTime,
    user_id: &str,
    device: &DeviceInfo,
    client: &ClientMeta,
) -> rusqlite::Result<Issued> {
    let session_id = random::id(random);
    conn.prepare_cached(
        "INSERT INTO sessions (id, user_id, device_name, device_os, app, app_version, installation_id,
                               ip, user_agent, created_at, last_active_at, network, reauthenticated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?10)",
    )?
    .execute(params![
        session_id,
        user_id,
        device.name,
        device.os,
        device.app,
        device.app_version,
        device.installation_id,
        client.ip,
        client.user_agent,
        to_millis(now),
        NETWORKS.network_of(&client.ip)
    ])?;
    issue_pair(conn, random, now, &session_id, now)
}

/// Records that the owner of `session_id` proved the password at `now`; returns until when
/// that counts.
pub fn mark_reauthenticated(
    conn: &Connection,
    session_id: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<OffsetDateTime> {
    conn.prepare_cached("UPDATE sessions SET reauthenticated_at = ?2 WHERE id = ?1")?
        .execute(params![session_id, to_millis(now)])?;
    Ok(REAUTH.until(now))
}

/// `auth.reauth_required` unless the owner of `session_id` proved the password within
/// [`REAUTH`]'s window before `now`.
pub fn require_recent_password(
    conn: &Connection,
    session_id: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<Result<(), ApiError>> {
    let proved: Option<i64> = conn
        .prepare_cached("SELECT reauthenticated_at FROM sessions WHERE id = ?1")?
        .query_row([session_id], |row| row.get(0))
        .optional()?
        .flatten();
    Ok(if REAUTH.is_recent(proved.map(from_millis), now) {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::ReauthRequired))
    })
}

/// Whether `user_id` signed in before from this app installation, and did not deny it ("Not me").
pub fn knows_installation(
    conn: &Connection,
    user_id: &str,
    installation_id: &str,
) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM sessions WHERE user_id = ?1 AND installation_id = ?2)
             AND NOT EXISTS (SELECT 1 FROM known_devices
                 WHERE user_id = ?1 AND installation_id = ?2 AND denied_at IS NOT NULL)",
    )?
    .query_row(params![user_id, installation_id], |row| row.get(0))
}

/// Whether `user_id` signed in before from the network of `ip` (see [`NETWORKS`]); sessions
/// from before networks were recorded count by their exact address.
pub fn knows_network(conn: &Connection, user_id: &str, ip: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM sessions WHERE user_id = ?1 AND (network = ?2 OR (network = '' AND ip = ?3)))",
    )?
    .query_row(params![user_id, NETWORKS.network_of(ip), ip], |row| row.get(0))
}

pub fn has_sessions(conn: &Connection, user_id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM sessions WHERE user_id = ?1)")?
        .query_row([user_id], |row| row.get(0))
}

struct TokenRow {
    kind: String,
    expires_at: OffsetDateTime,
    rotated: bool,
    session_id: String,
    user_id: String,
    session: SessionState,
}

fn load_token(conn: &Connection, token: &str) -> rusqlite::Result<Option<TokenRow>> {
    conn.prepare_cached(
        "SELECT t.kind, t.expires_at, t.rotated_at IS NOT NULL, s.id, s.user_id, s.created_at,
                s.last_active_at, s.revoked_at IS NOT NULL
         FROM tokens t JOIN sessions s ON s.id = t.session_id
         WHERE t.hash = ?1",
    )?
    .query_row([token_hash(token)], |row| {
        Ok(TokenRow {
            kind: row.get(0)?,
            expires_at: from_millis(row.get(1)?),
            rotated: row.get(2)?,
            session_id: row.get(3)?,
            user_id: row.get(4)?,
            session: SessionState {
                created_at: from_millis(row.get(5)?),
                last_active_at: from_millis(row.get(6)?),
                revoked: row.get(7)?,
            },
        })
    })
    .optional()
}

fn denial(verdict: SessionVerdict) -> Option<ApiError> {
    match verdict {
        SessionVerdict::Valid => None,
        SessionVerdict::Expired => Some(ApiError::new(ErrorCode::SessionExpired)),
        SessionVerdict::Revoked => Some(ApiError::new(ErrorCode::SessionRevoked)),
    }
}

fn touch(
    conn: &Connection,
    session_id: &str,
    last: OffsetDateTime,
    now: OffsetDateTime,
) -> rusqlite::Result<()> {
    if now - last >= SESSIONS.activity_resolution {
        conn.prepare_cached("UPDATE sessions SET last_active_at = ?2 WHERE id = ?1")?
            .execute(params![session_id, to_millis(now)])?;
    }
    Ok(())
}

/// Checks an access token and records the session's activity.
pub fn authenticate(
    conn: &Connection,
    now: OffsetDateTime,
    token: &str,
) -> rusqlite::Result<Result<Authenticated, ApiError>> {
    let Some(row) = load_token(conn, token)? else {
        return Ok(Err(ApiError::new(ErrorCode::Unauthorized)));
    };
    if row.kind != "access" {
        return Ok(Err(ApiError::new(ErrorCode::Unauthorized)));
    }
    // A suspended account's sessions have ended; its tokens say why.
    if let Some(reason) = super::agent_actions::suspension_of(conn, &row.user_id)? {
        return Ok(Err(super::agent_actions::suspended_error(reason, None)));
    }
    if let Some(denied) = denial(SESSIONS.judge(&row.session, row.expires_at, now)) {
        return Ok(Err(denied));
    }
    touch(conn, &row.session_id, row.session.last_active_at, now)?;
    Ok(Ok(Authenticated {
        user_id: row.user_id,
        session_id: row.session_id,
    }))
}

/// What a refresh did.
pub enum Refreshed {
    Issued {
        user_id: String,
        issued: Issued,
    },
    /// A refresh token that was already exchanged: the session is now revoked.
    Reused {
        user_id: String,
        session_id: String,
    },
    Denied(ApiError),
}

/// Exchanges a refresh token for a new pair.
pub fn refresh(
    conn: &Connection,
    random: &dyn Random,
    now: OffsetDateTime,
    token: &str,
) -> rusqlite::Result<Refreshed> {
    let Some(row) = load_token(conn, token)? else {
        return Ok(Refreshed::Denied(ApiError::new(ErrorCode::Unauthorized)));
    };
    if row.kind != "refresh" {
        return Ok(Refreshed::Denied(ApiError::new(ErrorCode::Unauthorized)));
    }
    if row.session.revoked {
        return Ok(Refreshed::Denied(ApiError::new(ErrorCode::SessionRevoked)));
    }
    if row.rotated {
        revoke(conn, &row.session_id, now, RevokeReason::RefreshTokenReused)?;
        return Ok(Refreshed::Reused {
            user_id: row.user_id,
            session_id: row.session_id,
        });
    }
    if let Some(denied) = denial(SESSIONS.judge(&row.session, row.expires_at, now)) {
        return Ok(Refreshed::Denied(denied));
    }
    conn.prepare_cached("UPDATE tokens SET rotated_at = ?2 WHERE hash = ?1")?
        .execute(params![token_hash(token), to_millis(now)])?;
    conn.prepare_cached("UPDATE sessions SET last_active_at = ?2 WHERE id = ?1")?
        .execute(params![row.session_id, to_millis(now)])?;
    let issued = issue_pair(conn, random, now, &row.session_id, row.session.created_at)?;
    Ok(Refreshed::Issued {
        user_id: row.user_id,
        issued,
    })
}

/// Ends a session at once (its tokens stop working); false when it had already ended.
pub fn revoke(
    conn: &Connection,
    session_id: &str,
    now: OffsetDateTime,
    reason: RevokeReason,
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE sessions SET revoked_at = ?2, revoke_reason = ?3 WHERE id = ?1 AND revoked_at IS NULL",
        )?
        .execute(params![session_id, to_millis(now), reason.as_str()])?
        == 1)
}

/// Ends every session of `user_id` except `keep`; returns the ids of those that ended.
pub fn revoke_all(
    conn: &Connection,
    user_id: &str,
    keep: Option<&str>,
    now: OffsetDateTime,
    reason: RevokeReason,
) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "UPDATE sessions SET revoked_at = ?3, revoke_reason = ?4
         WHERE user_id = ?1 AND revoked_at IS NULL AND id IS NOT ?2 AND created_at > ?5
         RETURNING id",
    )?;
    let ids = stmt.query_map(
        params![
            user_id,
            keep,
            to_millis(now),
            reason.as_str(),
            // Sessions past their absolute end are over already.
            to_millis(now - SESSIONS.absolute_lifetime)
        ],
        |row| row.get(0),
    )?;
    ids.collect()
}

/// Where a session stands, for the realtime channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStatus {
    Active,
    Revoked {
        reason: RevokeReason,
    },
    /// Past its absolute or idle end, or deleted.
    Ended,
}

pub fn status(
    conn: &Connection,
    session_id: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<SessionStatus> {
    let row = conn
        .prepare_cached(
            "SELECT created_at, last_active_at, revoked_at IS NOT NULL, coalesce(revoke_reason, '')
             FROM sessions WHERE id = ?1",
        )?
        .query_row([session_id], |row| {
            Ok((
                SessionState {
                    created_at: from_millis(row.get(0)?),
                    last_active_at: from_millis(row.get(1)?),
                    revoked: row.get(2)?,
                },
                row.get::<_, String>(3)?,
            ))
        })
        .optional()?;
    let Some((state, reason)) = row else {
        return Ok(SessionStatus::Ended);
    };
    Ok(
        match SESSIONS.judge(&state, SESSIONS.ends_at(state.created_at), now) {
            SessionVerdict::Valid => SessionStatus::Active,
            SessionVerdict::Revoked => SessionStatus::Revoked {
                reason: RevokeReason::from_wire(&reason),
            },
            SessionVerdict::Expired => SessionStatus::Ended,
        },
    )
}

/// The SQL condition "session `s` is active at `?now`" (not revoked, within its absolute and
/// idle lifetime), with the two bounds as named parameters `:born_after` and `:active_after`.
pub const ACTIVE: &str =
    "s.revoked_at IS NULL AND s.created_at > :born_after AND s.last_active_at > :active_after";

/// The values of [`ACTIVE`]'s parameters at `now`.
pub fn active_bounds(now: OffsetDateTime) -> (i64, i64) {
    (
        to_millis(now - SESSIONS.absolute_lifetime),
        to_millis(now - SESSIONS.idle_lifetime),
    )
}

/// One stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    pub device_name: String,
    pub os: String,
    pub app: String,
    pub app_version: String,
    pub ip: String,
    pub user_agent: String,
    pub created_at: OffsetDateTime,
    pub last_active_at: OffsetDateTime,
}

/// The active sessions of `user_id`, most recently active first.
pub fn active(
    conn: &Connection,
    user_id: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<Vec<SessionRow>> {
    let (born_after, active_after) = active_bounds(now);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT s.id, s.device_name, s.device_os, s.app, s.app_version, s.ip, s.user_agent,
                s.created_at, s.last_active_at
         FROM sessions s WHERE s.user_id = :user AND {ACTIVE}
         ORDER BY s.last_active_at DESC, s.created_at DESC"
    ))?;
    let rows = stmt.query_map(
        rusqlite::named_params! {":user": user_id, ":born_after": born_after, ":active_after": active_after},
        |row| {
            Ok(SessionRow {
                id: row.get(0)?,
                device_name: row.get(1)?,
                os: row.get(2)?,
                app: row.get(3)?,
                app_version: row.get(4)?,
                ip: row.get(5)?,
                user_agent: row.get(6)?,
                created_at: from_millis(row.get(7)?),
                last_active_at: from_millis(row.get(8)?),
            })
        },
    )?;
    rows.collect()
}

/// Whether `session_id` is an active session of `user_id`.
pub fn is_active_of(
    conn: &Connection,
    user_id: &str,
    session_id: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<bool> {
    let (born_after, active_after) = active_bounds(now);
    conn.prepare_cached(&format!(
        "SELECT EXISTS (SELECT 1 FROM sessions s WHERE s.id = :id AND s.user_id = :user AND {ACTIVE})"
    ))?
    .query_row(
        rusqlite::named_params! {":id": session_id, ":user": user_id, ":born_after": born_after, ":active_after": active_after},
        |row| row.get(0),
    )
}

/// What kind of device a session is on, from its app and OS: `Desktop` for XWMS-Desktop on
/// Linux, Windows or macOS, `Cli` for xwms-cli, `Mobile` on Android or iOS, else `Other`.
pub fn device_type(app: &str, os: &str) -> DeviceType {
    let (app, os) = (app.to_ascii_lowercase(), os.to_ascii_lowercase());
    let mobile = ["android", "ios", "ipados"].contains(&os.as_str());
    let desktop_os = ["linux", "windows", "macos"].contains(&os.as_str());
    if app == "xwms-cli" {
        DeviceType::Cli
    } else if mobile {
        DeviceType::Mobile
    } else if app == "xwms-desktop" && desktop_os {
        DeviceType::Desktop
    } else {
        DeviceType::Other
    }
}
