//! `/api/agent/...` of agent mode's actions (the contract is `xwms_api::agent_actions`): the
//! audit log, the requester's context and the account actions. Thin: each handler unpacks the
//! request and calls one `Accounts` method.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use time::OffsetDateTime;
use xwms_api::agent_actions::{
    ActionDone, ActionReason, AppealDraft, AuditList, RecoveryAction, RequesterContext,
    SuspendRequest, AUDIT_LIMIT_MAX,
};
use xwms_api::support::{GuestAccess, MessageDraft};
use xwms_api::{Envelope, ErrorCode};

use crate::accounts::agent_actions::AuditFilter;
use crate::accounts::Authenticated;
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::ApiJson;
use crate::AppState;

fn ok<T>(message: &str, data: T) -> Json<Envelope<T>> {
    Json(Envelope::success(message, data))
}

#[derive(Debug, Deserialize)]
pub(super) struct AuditQuery {
    conversation: Option<String>,
    account: Option<String>,
    since: Option<String>,
    limit: Option<String>,
}

/// `?since=`: an RFC 3339 date and time.
pub(crate) fn since_of(raw: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    raw.map(|raw| {
        OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339).map_err(|_| {
            ApiError::with_message(
                ErrorCode::FieldInvalid,
                "`since` must be a date and time in RFC 3339 form.",
            )
            .with_field("since")
        })
    })
    .transpose()
}

/// `?limit=`: 1 to [`AUDIT_LIMIT_MAX`].
fn limit_of(raw: Option<&str>) -> Result<Option<u32>, ApiError> {
    raw.map(|raw| {
        raw.parse::<u32>()
            .ok()
            .filter(|l| (1..=AUDIT_LIMIT_MAX).contains(l))
            .ok_or_else(|| {
                ApiError::with_message(
                    ErrorCode::FieldInvalid,
                    format!("`limit` must be a whole number from 1 to {AUDIT_LIMIT_MAX}."),
                )
                .with_field("limit")
            })
    })
    .transpose()
}

/// The support team's audit log, oldest first. With `conversation`, the records of that case
/// (any agent); without it, records across cases (admins only).
#[utoipa::path(
    get,
    path = "/api/agent/audit",
    tag = "agent",
    security(("bearer" = [])),
    params(
        ("conversation" = Option<String>, Query, description = "A conversation id: only the records of that case (any agent)"),
        ("account" = Option<String>, Query, description = "An account id: only records about that account"),
        ("since" = Option<String>, Query, description = "RFC 3339: only records made at or after this time"),
        ("limit" = Option<u32>, Query, description = "1 to 500; default 500"),
    ),
    responses(
        (status = 200, description = "The records, oldest first", body = Envelope<AuditList>),
        (status = 400, description = "`field.invalid` (since, limit)", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`; `agent.admin_only` (no `conversation`, and the caller is not an admin)", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found` (no conversation with that id)", body = ErrorEnvelope),
    )
)]
pub(super) async fn audit(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Envelope<AuditList>>, ApiError> {
    let filter = AuditFilter {
        since: since_of(query.since.as_deref())?,
        limit: limit_of(query.limit.as_deref())?,
        conversation: query.conversation,
        account: query.account,
    };
    let list = state.accounts.agent_audit(&auth, filter).await?;
    Ok(ok("The audit log.", list))
}

/// Who is asking in a conversation: the account (verified address, two-step verification,
/// lock, age, recent sign-ins and security events, other conversations) or, for a guest case,
/// the recovery request and the account it names. Every look is written to the audit log
/// (`context.viewed`).
#[utoipa::path(
    get,
    path = "/api/agent/conversations/{id}/context",
    tag = "agent",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversation id")),
    responses(
        (status = 200, description = "The requester's context", body = Envelope<RequesterContext>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn context(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Envelope<RequesterContext>>, ApiError> {
    let context = state.accounts.requester_context(&auth, &id).await?;
    Ok(ok("The requester's context.", context))
}

/// Lifts every sign-in lock of the account: its owner can sign in again at once. The owner is
/// mailed; the action is audited with its reason.
#[utoipa::path(
    post,
    path = "/api/agent/accounts/{user_id}/unlock",
    tag = "agent",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The account id")),
    request_body = ActionReason,
    responses(
        (status = 200, description = "Unlocked (also when it was not locked)", body = Envelope<ActionDone>),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (reason), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`request.not_found` (no such account), `support.not_found` (no such conversation)", body = ErrorEnvelope),
    )
)]
pub(super) async fn unlock(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(user_id): Path<String>,
    ApiJson(req): ApiJson<ActionReason>,
) -> Result<Json<Envelope<ActionDone>>, ApiError> {
    let done = state.accounts.agent_unlock(&auth, &user_id, req).await?;
    Ok(ok("The account is unlocked.", done))
}

/// Suspends the account: every session ends at once, sign-in and every authenticated route
/// answer `403 auth.suspended` (with the reason code), and the person is mailed why and how to
/// appeal. Audited with the reason.
#[utoipa::path(
    post,
    path = "/api/agent/accounts/{user_id}/suspend",
    tag = "agent",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The account id")),
    request_body = SuspendRequest,
    responses(
        (status = 200, description = "Suspended", body = Envelope<ActionDone>),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (reason, reason_code), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`request.not_found` (no such account), `support.not_found` (no such conversation)", body = ErrorEnvelope),
    )
)]
pub(super) async fn suspend(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(user_id): Path<String>,
    ApiJson(req): ApiJson<SuspendRequest>,
) -> Result<Json<Envelope<ActionDone>>, ApiError> {
    let done = state.accounts.agent_suspend(&auth, &user_id, req).await?;
    Ok(ok("The account is suspended.", done))
}

/// Lifts the account's suspension (the person can sign in again and is mailed when it was
/// suspended). Audited with the reason.
#[utoipa::path(
    post,
    path = "/api/agent/accounts/{user_id}/suspension/lift",
    tag = "agent",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The account id")),
    request_body = ActionReason,
    responses(
        (status = 200, description = "Lifted (also when it was not suspended)", body = Envelope<ActionDone>),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (reason), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`request.not_found` (no such account), `support.not_found` (no such conversation)", body = ErrorEnvelope),
    )
)]
pub(super) async fn lift_suspension(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(user_id): Path<String>,
    ApiJson(req): ApiJson<ActionReason>,
) -> Result<Json<Envelope<ActionDone>>, ApiError> {
    let done = state
        .accounts
        .agent_decide_suspension(&auth, &user_id, req, false)
        .await?;
    Ok(ok("The suspension is lifted.", done))
}

/// An appeal was reviewed and the suspension stays: the person is mailed (when the account is
/// suspended). Audited with the reason.
#[utoipa::path(
    post,
    path = "/api/agent/accounts/{user_id}/suspension/keep",
    tag = "agent",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The account id")),
    request_body = ActionReason,
    responses(
        (status = 200, description = "Kept", body = Envelope<ActionDone>),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (reason), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`request.not_found` (no such account), `support.not_found` (no such conversation)", body = ErrorEnvelope),
    )
)]
pub(super) async fn keep_suspension(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(user_id): Path<String>,
    ApiJson(req): ApiJson<ActionReason>,
) -> Result<Json<Envelope<ActionDone>>, ApiError> {
    let done = state
        .accounts
        .agent_decide_suspension(&auth, &user_id, req, true)
        .await?;
    Ok(ok("The suspension stays.", done))
}

/// A suspended person's appeal, with the appeal token that came with `auth.suspended` at
/// sign-in: opens the account's appeal case (topic `suspension_appeal`; a second appeal while
/// one is open adds the message to it) and answers a guest token for the guest routes.
#[utoipa::path(
    post,
    path = "/api/support/appeals",
    tag = "support",
    security(("appeal" = [])),
    request_body = AppealDraft,
    responses(
        (status = 200, description = "The appeal case with a guest token", body = Envelope<GuestAccess>),
        (status = 400, description = "`field.invalid` (client_msg_id: a UUID; body), `support.message_too_long`, `support.message_empty`, `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`: no, an unknown or expired appeal token, or the account is no longer suspended", body = ErrorEnvelope),
        (status = 409, description = "`support.conversation_closed`", body = ErrorEnvelope),
        (status = 429, description = "`support.rate_limited`", body = ErrorEnvelope),
    )
)]
pub(super) async fn appeal(
    State(state): State<AppState>,
    AppealToken(token): AppealToken,
    ApiJson(draft): ApiJson<AppealDraft>,
) -> Result<Json<Envelope<GuestAccess>>, ApiError> {
    let draft = MessageDraft {
        client_msg_id: draft.client_msg_id,
        body: draft.body,
        attachment_ids: Vec::new(),
    };
    let access = state.accounts.suspension_appeal(&token, draft).await?;
    Ok(ok("Your appeal is with our support team.", access))
}

/// The bearer appeal token, read before the body: no token is `auth.unauthorized` whatever the
/// body holds.
pub(super) struct AppealToken(String);

impl axum::extract::FromRequestParts<AppState> for AppealToken {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &AppState,
    ) -> Result<Self, ApiError> {
        parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .map(AppealToken)
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))
    }
}

/// Ownership verified by the agent: every session ends, two-step verification is removed if
/// asked, and a one-time password-reset code with its reset key is mailed to the account's
/// address (used with `POST /api/auth/reset-password`). Audited with the reason.
#[utoipa::path(
    post,
    path = "/api/agent/accounts/{user_id}/recovery",
    tag = "agent",
    security(("bearer" = [])),
    params(("user_id" = String, Path, description = "The account id")),
    request_body = RecoveryAction,
    responses(
        (status = 200, description = "Recovery started; the code is mailed", body = Envelope<ActionDone>),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (reason), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`request.not_found` (no such account), `support.not_found` (no such conversation)", body = ErrorEnvelope),
        (status = 429, description = "`code.resend_too_soon`: a reset code went out moments ago (`retry_after_seconds`)", body = ErrorEnvelope),
    )
)]
pub(super) async fn recovery(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(user_id): Path<String>,
    ApiJson(req): ApiJson<RecoveryAction>,
) -> Result<Json<Envelope<ActionDone>>, ApiError> {
    let done = state.accounts.agent_recovery(&auth, &user_id, req).await?;
    Ok(ok("Recovery started: the code is on its way.", done))
}
