//! `/api/support/...` and `/api/agent/...`: live support (the contract is
//! `xwms_api::support`). Thin: each handler unpacks the request and calls one `Accounts` method.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use xwms_api::support::{
    ConversationDetail, ConversationList, ConversationSummary, DeflectionRequest, MessageDraft,
    NewConversation, RatingRequest, ReadRequest, SupportAvailability, SupportMessage,
};
use xwms_api::{Envelope, ErrorCode};

use crate::accounts::Authenticated;
use crate::error::{ApiError, DoneEnvelope, ErrorEnvelope};
use crate::extract::ApiJson;
use crate::AppState;

fn ok<T>(message: &str, data: T) -> Json<Envelope<T>> {
    Json(Envelope::success(message, data))
}

fn done(message: &str) -> Json<Envelope<()>> {
    Json(Envelope {
        status: xwms_api::Status::Success,
        message: message.to_owned(),
        code: None,
        data: None,
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct AfterQuery {
    after: Option<String>,
}

/// `?after=SEQ`: a seq, 0 or more (0 when absent).
pub(crate) fn after_seq(raw: Option<&str>) -> Result<i64, ApiError> {
    match raw {
        None => Ok(0),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|seq| *seq >= 0)
            .ok_or_else(|| ApiError::field(ErrorCode::FieldInvalid, "after")),
    }
}

/// Your support conversations: unread first, then the most recently updated.
#[utoipa::path(
    get,
    path = "/api/support/conversations",
    tag = "support",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Your conversations, the unread total and the newest seq of your event log", body = Envelope<ConversationList>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
    )
)]
pub(super) async fn conversations(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<Envelope<ConversationList>>, ApiError> {
    let list = state.accounts.support_conversations(&auth).await?;
    Ok(ok("Your conversations.", list))
}

/// Start a conversation with the support team: a topic, a subject and the first message.
///
/// Idempotent on the first message's `client_msg_id`: sending the same request again answers
/// the conversation it created and creates nothing.
#[utoipa::path(
    post,
    path = "/api/support/conversations",
    tag = "support",
    security(("bearer" = [])),
    request_body = NewConversation,
    responses(
        (status = 200, description = "The conversation with its first message", body = Envelope<ConversationDetail>),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (topic, subject, client_msg_id: a UUID), `support.message_too_long`, `support.message_empty`, `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 404, description = "`support.attachment_not_found`", body = ErrorEnvelope),
        (status = 429, description = "`support.rate_limited` (`retry_after_seconds`)", body = ErrorEnvelope),
    )
)]
pub(super) async fn create_conversation(
    State(state): State<AppState>,
    auth: Authenticated,
    ApiJson(req): ApiJson<NewConversation>,
) -> Result<Json<Envelope<ConversationDetail>>, ApiError> {
    let detail = state.accounts.open_support_conversation(&auth, req).await?;
    Ok(ok("Your conversation was started.", detail))
}

/// One conversation with its messages in seq order (only those after `?after=SEQ`).
///
/// The person it belongs to and the support team may read it; for anyone else it does not
/// exist (`404 support.not_found`).
#[utoipa::path(
    get,
    path = "/api/support/conversations/{id}",
    tag = "support",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The conversation id"),
        ("after" = Option<i64>, Query, description = "Only messages with a seq above this"),
    ),
    responses(
        (status = 200, description = "The conversation", body = Envelope<ConversationDetail>),
        (status = 400, description = "`field.invalid` (after)", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn conversation(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Query(query): Query<AfterQuery>,
) -> Result<Json<Envelope<ConversationDetail>>, ApiError> {
    let after = after_seq(query.after.as_deref())?;
    let detail = state
        .accounts
        .support_conversation(&auth, &id, after)
        .await?;
    Ok(ok("The conversation.", detail))
}

/// Send a message, exactly once: the same `client_msg_id` again answers the stored message
/// (same id and seq) and stores nothing.
///
/// A person's reply within 7 days of resolving or closing reopens the conversation; later it
/// is refused (`support.conversation_closed`). An agent's first reply adds "agent joined".
#[utoipa::path(
    post,
    path = "/api/support/conversations/{id}/messages",
    tag = "support",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversation id")),
    request_body = MessageDraft,
    responses(
        (status = 200, description = "The stored message", body = Envelope<SupportMessage>),
        (status = 400, description = "`field.invalid` (client_msg_id: a UUID; body; attachment_ids), `support.message_too_long`, `support.message_empty`, `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`, `support.attachment_not_found`", body = ErrorEnvelope),
        (status = 409, description = "`support.conversation_closed`: start a new conversation", body = ErrorEnvelope),
        (status = 429, description = "`support.rate_limited` (`retry_after_seconds`)", body = ErrorEnvelope),
    )
)]
pub(super) async fn send_message(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<MessageDraft>,
) -> Result<Json<Envelope<SupportMessage>>, ApiError> {
    let message = state
        .accounts
        .send_support_message(&auth, &id, draft)
        .await?;
    Ok(ok("Sent.", message))
}

/// The caller has seen everything up to `last_read_seq` (the marker never moves back).
#[utoipa::path(
    post,
    path = "/api/support/conversations/{id}/read",
    tag = "support",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversation id")),
    request_body = ReadRequest,
    responses(
        (status = 200, description = "Marked", body = DoneEnvelope),
        (status = 400, description = "`request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn read(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReadRequest>,
) -> Result<Json<Envelope<()>>, ApiError> {
    state
        .accounts
        .mark_support_read(&auth, &id, req.last_read_seq)
        .await?;
    Ok(done("Marked as read."))
}

/// The caller is typing: the other side hears `support_typing` on the realtime channel.
/// Never stored; at most one signal every 2 seconds per conversation.
#[utoipa::path(
    post,
    path = "/api/support/conversations/{id}/typing",
    tag = "support",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversation id")),
    responses(
        (status = 200, description = "Told", body = DoneEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`", body = ErrorEnvelope),
        (status = 429, description = "`support.rate_limited`: sent too often", body = ErrorEnvelope),
    )
)]
pub(super) async fn typing(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Envelope<()>>, ApiError> {
    state.accounts.support_typing(&auth, &id).await?;
    Ok(done("Typing."))
}

/// The person closes the conversation; an agent marks it resolved.
#[utoipa::path(
    post,
    path = "/api/support/conversations/{id}/close",
    tag = "support",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversation id")),
    responses(
        (status = 200, description = "The conversation, closed or resolved", body = Envelope<ConversationSummary>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn close(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Envelope<ConversationSummary>>, ApiError> {
    let summary = state
        .accounts
        .close_support_conversation(&auth, &id)
        .await?;
    Ok(ok("The conversation was closed.", summary))
}

/// The person rates a resolved or closed conversation (1 to 5, an optional comment).
#[utoipa::path(
    post,
    path = "/api/support/conversations/{id}/rating",
    tag = "support",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversation id")),
    request_body = RatingRequest,
    responses(
        (status = 200, description = "The conversation with its rating", body = Envelope<ConversationSummary>),
        (status = 400, description = "`field.invalid` (rating), `field.too_long` (comment), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`", body = ErrorEnvelope),
        (status = 409, description = "`support.rating_not_allowed`: not resolved or closed yet", body = ErrorEnvelope),
    )
)]
pub(super) async fn rating(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RatingRequest>,
) -> Result<Json<Envelope<ConversationSummary>>, ApiError> {
    let summary = state
        .accounts
        .rate_support_conversation(&auth, &id, req)
        .await?;
    Ok(ok("Thank you for your rating.", summary))
}

/// Whether an agent has the app open now (else questions are answered by mail and in the app).
#[utoipa::path(
    get,
    path = "/api/support/availability",
    tag = "support",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Agents online now", body = Envelope<SupportAvailability>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
    )
)]
pub(super) async fn availability(
    State(state): State<AppState>,
    _auth: Authenticated,
) -> Json<Envelope<SupportAvailability>> {
    ok(
        "Support availability.",
        state.accounts.support_availability(),
    )
}

/// A suggested help article answered the question: counted per article and topic; no
/// conversation is started.
#[utoipa::path(
    post,
    path = "/api/support/deflections",
    tag = "support",
    security(("bearer" = [])),
    request_body = DeflectionRequest,
    responses(
        (status = 200, description = "Counted", body = DoneEnvelope),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (article_id, topic), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
    )
)]
pub(super) async fn deflection(
    State(state): State<AppState>,
    _auth: Authenticated,
    ApiJson(req): ApiJson<DeflectionRequest>,
) -> Result<Json<Envelope<()>>, ApiError> {
    state.accounts.record_deflection(req).await?;
    Ok(done("Glad that helped."))
}

/// Every conversation, for the support team.
#[utoipa::path(
    get,
    path = "/api/agent/conversations",
    tag = "support",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every conversation, unread first", body = Envelope<ConversationList>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
    )
)]
pub(super) async fn agent_conversations(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<Envelope<ConversationList>>, ApiError> {
    let list = state.accounts.agent_conversations(&auth).await?;
    Ok(ok("Every conversation.", list))
}
