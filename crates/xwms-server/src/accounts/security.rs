//! The security page: the overview checklist, the timeline of security events with its
//! new-sign-in alerts ("This was me" / "Not me"), and the list of sessions.

use rusqlite::named_params;
use serde_json::json;
use time::OffsetDateTime;
use xwms_api::auth::Reauthenticated;
use xwms_api::security::{
    software_label, PasswordRequest, RevokeReason, SecurityEventInfo, SecurityEventPage,
    SecurityOverview, SessionInfo, SessionList, SessionsRevoked,
};
use xwms_api::ErrorCode;

use super::events::{self, AlertStatus, Kind};
use super::policy::TIMELINE;
use super::sessions::{self, Authenticated, ACTIVE};
use super::{two_factor, users, Accounts, ClientMeta};
use crate::clock::rfc3339;
use crate::error::ApiError;

fn session_info(row: sessions::SessionRow, current: &str) -> SessionInfo {
    SessionInfo {
        device_type: sessions::device_type(&row.app, &row.os),
        software: software_label(&row.os, &row.app, &row.app_version),
        current: row.id == current,
        id: row.id,
        device_name: row.device_name,
        os: row.os,
        app: row.app,
        app_version: row.app_version,
        ip: row.ip,
        user_agent: row.user_agent,
        created_at: rfc3339(row.created_at),
        last_active_at: rfc3339(row.last_active_at),
    }
}

/// The `before` and `limit` of a timeline request, checked (`field.invalid`).
pub fn page_query(
    before: Option<&str>,
    limit: Option<&str>,
) -> Result<(Option<i64>, u32), ApiError> {
    let before = before
        .map(|b| {
            b.parse::<i64>().ok().filter(|b| *b > 0).ok_or_else(|| {
                ApiError::with_message(
                    ErrorCode::FieldInvalid,
                    "`before` must be an event id (a positive whole number).",
                )
                .with_field("before")
            })
        })
        .transpose()?;
    let limit = match limit {
        None => TIMELINE.default_limit,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=TIMELINE.max_limit).contains(l))
            .ok_or_else(|| {
                ApiError::with_message(
                    ErrorCode::FieldInvalid,
                    format!(
                        "`limit` must be a whole number from 1 to {}.",
                        TIMELINE.max_limit
                    ),
                )
                .with_field("limit")
            })?,
    };
    Ok((before, limit))
}

impl Accounts {
    /// `GET /api/account/security`.
    pub async fn security_overview(
        &self,
        auth: &Authenticated,
    ) -> Result<SecurityOverview, ApiError> {
        let id = auth.user_id.clone();
        self.read(move |conn, now| {
            let Some(user) = users::by_id(conn, &id)? else {
                return Ok(Err(ApiError::new(ErrorCode::Unauthorized)));
            };
            let facts = users::password_facts(conn, &id)?;
            let active = sessions::active(conn, &id, now)?;
            let (born_after, active_after) = sessions::active_bounds(now);
            let unrecognised: u32 = conn
                .prepare_cached(&format!(
                    "SELECT count(*) FROM security_events e JOIN sessions s ON s.id = e.session_id
                     WHERE e.user_id = :user AND e.alert_status = 'pending' AND {ACTIVE}"
                ))?
                .query_row(
                    named_params! {":user": id, ":born_after": born_after, ":active_after": active_after},
                    |r| r.get(0),
                )?;
            Ok(Ok(SecurityOverview {
                email_verified: user.email_verified,
                password_meets_rule: facts.meets_rule,
                password_changed_at: facts.changed_at.map(rfc3339),
                two_factor: two_factor::status(conn, &id)?,
                active_sessions: u32::try_from(active.len()).unwrap_or(u32::MAX),
                unrecognised_sessions: unrecognised,
            }))
        })
        .await?
    }

    /// `GET /api/account/security/events`.
    pub async fn security_events(
        &self,
        auth: &Authenticated,
        before: Option<i64>,
        limit: u32,
    ) -> Result<SecurityEventPage, ApiError> {
        let id = auth.user_id.clone();
        self.read(move |conn, now| events::page(conn, &id, before, limit, now))
            .await
    }

    /// `POST .../events/{id}/confirm` ("This was me") and `.../deny` ("Not me": the alert's
    /// session ends at once). Only the person's own alerts; `security_event.not_found` for
    /// anything else. A denied alert stays denied.
    pub async fn answer_alert(
        &self,
        auth: &Authenticated,
        event_id: &str,
        deny: bool,
        client: &ClientMeta,
    ) -> Result<SecurityEventInfo, ApiError> {
        let not_found = || ApiError::new(ErrorCode::SecurityEventNotFound);
        let event_id = event_id.parse::<i64>().map_err(|_| not_found())?;
        let (auth, ip) = (auth.clone(), client.ip.clone());
        self.write(move |tx, ctx| {
            let Some(event) = events::event_info(tx, &auth.user_id, event_id, ctx.now)? else {
                return Ok(Err(not_found()));
            };
            if !event.alert {
                return Ok(Err(not_found()));
            }
            if event.alert_status == Some(AlertStatus::Denied) {
                return Ok(Ok(event));
            }
            let status = if deny {
                AlertStatus::Denied
            } else {
                AlertStatus::Confirmed
            };
            tx.prepare_cached("UPDATE security_events SET alert_status = ?2 WHERE id = ?1")?
                .execute(rusqlite::params![event_id, status.as_str()])?;
            let installation = match &event.session_id {
                Some(session) => super::devices::installation_of_session(tx, session)?,
                None => None,
            };
            if let Some(installation) = &installation {
                if deny {
                    super::devices::deny(tx, &auth.user_id, installation, ctx.now)?;
                } else {
                    super::devices::undeny(tx, &auth.user_id, installation)?;
                }
            }
            if deny {
                let session = event.session_id.clone().unwrap_or_default();
                let ended = ctx.revoke_session(tx, &auth.user_id, &session, RevokeReason::NotMe)?;
                events::record(
                    tx,
                    &auth.user_id,
                    Kind::SessionRevoked,
                    &ip,
                    ctx.now,
                    json!({ "session_id": session, "reason": RevokeReason::NotMe, "alert": event_id, "ended": ended, "by_session": auth.session_id }),
                )?;
            } else {
                events::record(
                    tx,
                    &auth.user_id,
                    Kind::AlertConfirmed,
                    &ip,
                    ctx.now,
                    json!({ "alert": event_id, "by_session": auth.session_id }),
                )?;
            }
            ctx.security_changed(&auth.user_id);
            Ok(events::event_info(tx, &auth.user_id, event_id, ctx.now)?.ok_or_else(not_found))
        })
        .await?
    }

    /// `GET /api/account/sessions`: current first, then by last activity.
    pub async fn session_list(&self, auth: &Authenticated) -> Result<SessionList, ApiError> {
        let auth = auth.clone();
        let rows = self
            .read(move |conn, now| sessions::active(conn, &auth.user_id, now).map(|r| (r, auth)))
            .await?;
        let (rows, auth) = rows;
        let mut sessions: Vec<SessionInfo> = rows
            .into_iter()
            .map(|row| session_info(row, &auth.session_id))
            .collect();
        sessions.sort_by_key(|s| !s.current);
        Ok(SessionList { sessions })
    }

    /// `DELETE /api/account/sessions/{id}`: ends one other session of the person.
    pub async fn remove_session(
        &self,
        auth: &Authenticated,
        session_id: &str,
        client: &ClientMeta,
    ) -> Result<(), ApiError> {
        if session_id == auth.session_id {
            return Err(ApiError::new(ErrorCode::SessionIsCurrent));
        }
        // Without it, whoever holds any session (a newer one too) could end the others.
        self.require_recent_password(auth).await?;
        let (auth, ip, session_id) = (auth.clone(), client.ip.clone(), session_id.to_owned());
        self.write(move |tx, ctx| {
            if !sessions::is_active_of(tx, &auth.user_id, &session_id, ctx.now)? {
                return Ok(Err(ApiError::new(ErrorCode::SessionNotFound)));
            }
            ctx.revoke_session(tx, &auth.user_id, &session_id, RevokeReason::Removed)?;
            events::record(
                tx,
                &auth.user_id,
                Kind::SessionRevoked,
                &ip,
                ctx.now,
                json!({ "session_id": session_id, "reason": RevokeReason::Removed, "by_session": auth.session_id }),
            )?;
            Ok(Ok(()))
        })
        .await?
    }

    /// `POST /api/account/sessions/revoke-others`: after the password, every other session ends.
    pub async fn revoke_other_sessions(
        &self,
        auth: &Authenticated,
        req: PasswordRequest,
        client: &ClientMeta,
    ) -> Result<SessionsRevoked, ApiError> {
        let user = self.current_user(auth).await?;
        self.reauthenticate_session(auth, &user, &req.password, client, "password")
            .await?;
        let (auth, ip) = (auth.clone(), client.ip.clone());
        self.write(move |tx, ctx| {
            let revoked = ctx.revoke_sessions(
                tx,
                &auth.user_id,
                Some(&auth.session_id),
                RevokeReason::RemovedWithOthers,
            )?;
            events::record(
                tx,
                &auth.user_id,
                Kind::SessionsRevoked,
                &ip,
                ctx.now,
                json!({ "by_session": auth.session_id, "sessions_revoked": revoked }),
            )?;
            Ok(SessionsRevoked {
                sessions_revoked: revoked,
            })
        })
        .await
    }

    /// `POST /api/auth/reauthenticate`: the password of the signed-in person (under the
    /// lockout rules; wrong: `auth.password_incorrect` on `password`) opens this session's
    /// re-authentication window ([`super::policy::REAUTH`]).
    pub async fn reauthenticate_now(
        &self,
        auth: &Authenticated,
        req: PasswordRequest,
        client: &ClientMeta,
    ) -> Result<Reauthenticated, ApiError> {
        let user = self.current_user(auth).await?;
        let until = self
            .reauthenticate_session(auth, &user, &req.password, client, "password")
            .await?;
        Ok(Reauthenticated {
            reauthenticated_until: rfc3339(until),
        })
    }

    /// Checks the password in a request that takes one (as [`Accounts::reauthenticate`]);
    /// a right one also counts as re-authentication of this session. Returns until when.
    pub(crate) async fn reauthenticate_session(
        &self,
        auth: &Authenticated,
        user: &users::User,
        password: &xwms_api::Secret,
        client: &ClientMeta,
        field: &'static str,
    ) -> Result<OffsetDateTime, ApiError> {
        self.reauthenticate(user, password, client, field).await?;
        self.password_proved(auth).await
    }

    /// Records that this session's owner just proved the password (a request that took it
    /// succeeded); returns until when that counts.
    pub async fn password_proved(&self, auth: &Authenticated) -> Result<OffsetDateTime, ApiError> {
        let id = auth.session_id.clone();
        self.write(move |tx, ctx| sessions::mark_reauthenticated(tx, &id, ctx.now))
            .await
    }

    /// `auth.reauth_required` unless this session proved the password within [`super::policy::REAUTH`]'s
    /// window (removing another session, 2FA and API credential changes).
    pub async fn require_recent_password(&self, auth: &Authenticated) -> Result<(), ApiError> {
        let id = auth.session_id.clone();
        self.read(move |conn, now| sessions::require_recent_password(conn, &id, now))
            .await?
    }

    /// Where a session stands (for the realtime channel).
    pub async fn session_status(&self, session_id: &str) -> sessions::SessionStatus {
        let id = session_id.to_owned();
        self.read(move |conn, now| sessions::status(conn, &id, now))
            .await
            .unwrap_or(sessions::SessionStatus::Ended)
    }
}
