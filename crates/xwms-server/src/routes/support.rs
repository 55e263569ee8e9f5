//! `/api/support/...` and `/api/agent/...`: live support (the contract is
//! `xwms_api::support`). Thin: each handler unpacks the request and calls one `Accounts` method.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use xwms_api::support::{
    AttachmentInfo, ConversationDetail, ConversationList, ConversationSummary, DeflectionRequest,
    GuestAccess, GuestAccessRequest, GuestCodeRequest, MessageDraft, NewConversation,
    RatingRequest, ReadRequest, SupportAvailability, SupportMessage,
};
use xwms_api::{Envelope, ErrorCode};

use crate::accounts::{Authenticated, ClientMeta};
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
///
/// `message.attachment_ids` names your uploads to `POST /api/support/attachments` (at most 5);
/// they become the first message's attachments. An id that is not your upload, already bound
/// or older than 24 hours is refused (`support.attachment_not_found`).
#[utoipa::path(
    post,
    path = "/api/support/conversations",
    tag = "support",
    security(("bearer" = [])),
    request_body = NewConversation,
    responses(
        (status = 200, description = "The conversation with its first message", body = Envelope<ConversationDetail>),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (topic, subject, client_msg_id: a UUID, attachment_ids: at most 5), `support.message_too_long`, `support.message_empty`, `request.invalid`", body = ErrorEnvelope),
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

#[derive(Debug, Deserialize)]
pub(super) struct NameQuery {
    name: Option<String>,
}

/// Upload a file to attach to a message: the raw bytes as the body, `?name=` its file name.
///
/// PNG, JPEG and PDF only, checked by the file's first bytes (not its name or `Content-Type`);
/// at most 5 MB. Attach it by naming its id in the next message's `attachment_ids`.
#[utoipa::path(
    post,
    path = "/api/support/conversations/{id}/attachments",
    tag = "support",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The conversation id"),
        ("name" = String, Query, description = "The file's name"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses(
        (status = 200, description = "Stored, not sent yet", body = Envelope<AttachmentInfo>),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (name)", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`", body = ErrorEnvelope),
        (status = 413, description = "`support.attachment_too_large`", body = ErrorEnvelope),
        (status = 415, description = "`support.attachment_type`", body = ErrorEnvelope),
    )
)]
pub(super) async fn upload_attachment(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Query(query): Query<NameQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Envelope<AttachmentInfo>>, ApiError> {
    let bytes = upload_body(body)?;
    let info = state
        .accounts
        .upload_attachment(&auth, &id, query.name.as_deref(), bytes.to_vec())
        .await?;
    Ok(ok("Uploaded.", info))
}

/// An upload's body, or why it could not be read (over the limit: `support.attachment_too_large`).
fn upload_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(ErrorCode::AttachmentTooLarge)
        } else {
            ApiError::with_message(ErrorCode::InvalidRequest, rejection.body_text())
        }
    })
}

/// Upload a file for a conversation you are about to start: the raw bytes as the body, `?name=`
/// its file name.
///
/// Checked like an upload to a conversation (PNG, JPEG or PDF by the first bytes, at most
/// 5 MB). The file is yours and bound to nothing until you start a conversation whose first
/// message names its id in `message.attachment_ids`; then it is that message's attachment.
/// Kept for 24 hours; at most 15 files and 50 MB wait per account (`support.uploads_full`).
#[utoipa::path(
    post,
    path = "/api/support/attachments",
    tag = "support",
    security(("bearer" = [])),
    params(
        ("name" = String, Query, description = "The file's name"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    responses(
        (status = 200, description = "Stored, bound to no conversation yet", body = Envelope<AttachmentInfo>),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (name)", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 409, description = "`support.uploads_full`", body = ErrorEnvelope),
        (status = 413, description = "`support.attachment_too_large`", body = ErrorEnvelope),
        (status = 415, description = "`support.attachment_type`", body = ErrorEnvelope),
    )
)]
pub(super) async fn upload_pending(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(query): Query<NameQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Envelope<AttachmentInfo>>, ApiError> {
    let bytes = upload_body(body)?;
    let info = state
        .accounts
        .upload_pending(&auth, query.name.as_deref(), bytes.to_vec())
        .await?;
    Ok(ok("Uploaded.", info))
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded`.
fn disposition(file_name: &str) -> HeaderValue {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// Download an attachment (to the conversation's participants), always as a download:
/// `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`.
#[utoipa::path(
    get,
    path = "/api/support/conversations/{id}/attachments/{attachment_id}",
    tag = "support",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The conversation id"),
        ("attachment_id" = String, Path, description = "The attachment id"),
    ),
    responses(
        (status = 200, description = "The file (`image/png`, `image/jpeg` or `application/pdf`)", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`, `support.attachment_not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn download_attachment(
    State(state): State<AppState>,
    auth: Authenticated,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let file = state
        .accounts
        .attachment(&auth, &id, &attachment_id)
        .await?;
    let mut response = file.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(&file.content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(CONTENT_DISPOSITION, disposition(&file.file_name));
    Ok(response)
}

/// The guest token of `Authorization: Bearer <token>`.
fn guest_token(headers: &axum::http::HeaderMap) -> Result<String, ApiError> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))
}

/// Ask for a code that opens a guest case (a recovery request filed without signing in).
///
/// Always the same answer: when a case has this reference, a 6-digit code (valid 30 minutes)
/// is mailed to the contact address of its request, in the request's language. At most 5
/// codes per reference and 10 per client address an hour.
#[utoipa::path(
    post,
    path = "/api/support/guest/code",
    tag = "support",
    request_body = GuestCodeRequest,
    responses(
        (status = 200, description = "If the case exists, a code was mailed", body = DoneEnvelope),
        (status = 400, description = "`field.invalid` (reference), `request.invalid`", body = ErrorEnvelope),
        (status = 429, description = "`request.rate_limited` (`retry_after_seconds`)", body = ErrorEnvelope),
    )
)]
pub(super) async fn guest_code(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(req): ApiJson<GuestCodeRequest>,
) -> Result<Json<Envelope<()>>, ApiError> {
    state.accounts.guest_code(&req.reference, &client).await?;
    Ok(done(
        "If this case exists, a code was sent to the address on the request.",
    ))
}

/// Open a guest case with its reference and the mailed code: a guest token for this one case
/// (12 hours). A code allows 5 wrong tries.
#[utoipa::path(
    post,
    path = "/api/support/guest/access",
    tag = "support",
    request_body = GuestAccessRequest,
    responses(
        (status = 200, description = "The guest token and the case", body = Envelope<GuestAccess>),
        (status = 400, description = "`code.incorrect` (also for an unknown reference), `code.too_many_attempts`, `request.invalid`", body = ErrorEnvelope),
    )
)]
pub(super) async fn guest_access(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<GuestAccessRequest>,
) -> Result<Json<Envelope<GuestAccess>>, ApiError> {
    let access = state
        .accounts
        .guest_access(&req.reference, req.code.expose())
        .await?;
    Ok(ok("Your case.", access))
}

/// The guest case, with its messages (only those after `?after=SEQ`).
#[utoipa::path(
    get,
    path = "/api/support/guest/conversation",
    tag = "support",
    security(("guest" = [])),
    params(("after" = Option<i64>, Query, description = "Only messages with a seq above this")),
    responses(
        (status = 200, description = "The case", body = Envelope<ConversationDetail>),
        (status = 400, description = "`field.invalid` (after)", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `support.guest_expired`: ask for a new code", body = ErrorEnvelope),
    )
)]
pub(super) async fn guest_conversation(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(query): Query<AfterQuery>,
) -> Result<Json<Envelope<ConversationDetail>>, ApiError> {
    let token = guest_token(&headers)?;
    let after = after_seq(query.after.as_deref())?;
    let detail = state.accounts.guest_conversation(&token, after).await?;
    Ok(ok("Your case.", detail))
}

/// Reply in the guest case, exactly once per `client_msg_id` (as a signed-in person does).
#[utoipa::path(
    post,
    path = "/api/support/guest/conversation/messages",
    tag = "support",
    security(("guest" = [])),
    request_body = MessageDraft,
    responses(
        (status = 200, description = "The stored message", body = Envelope<SupportMessage>),
        (status = 400, description = "`field.invalid` (client_msg_id: a UUID; body), `support.message_too_long`, `support.message_empty`, `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `support.guest_expired`: ask for a new code", body = ErrorEnvelope),
        (status = 404, description = "`support.attachment_not_found`", body = ErrorEnvelope),
        (status = 409, description = "`support.conversation_closed`", body = ErrorEnvelope),
        (status = 429, description = "`support.rate_limited`", body = ErrorEnvelope),
    )
)]
pub(super) async fn guest_message(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiJson(draft): ApiJson<MessageDraft>,
) -> Result<Json<Envelope<SupportMessage>>, ApiError> {
    let token = guest_token(&headers)?;
    let message = state.accounts.guest_message(&token, draft).await?;
    Ok(ok("Sent.", message))
}

/// The guest has seen the case up to `last_read_seq`: the same rule as a signed-in person's
/// read marker (clamped to the newest message, never moves back, no event when nothing moves).
#[utoipa::path(
    post,
    path = "/api/support/guest/conversation/read",
    tag = "support",
    security(("guest" = [])),
    request_body = ReadRequest,
    responses(
        (status = 200, description = "Marked", body = DoneEnvelope),
        (status = 400, description = "`request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `support.guest_expired`: ask for a new code", body = ErrorEnvelope),
    )
)]
pub(super) async fn guest_read(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiJson(req): ApiJson<ReadRequest>,
) -> Result<Json<Envelope<()>>, ApiError> {
    let token = guest_token(&headers)?;
    state.accounts.guest_read(&token, req.last_read_seq).await?;
    Ok(done("Marked as read."))
}

/// The guest is typing: the support team hears `support_typing` on the realtime channel.
/// Never stored; at most one signal every 2 seconds.
#[utoipa::path(
    post,
    path = "/api/support/guest/conversation/typing",
    tag = "support",
    security(("guest" = [])),
    responses(
        (status = 200, description = "Told", body = DoneEnvelope),
        (status = 401, description = "`auth.unauthorized`, `support.guest_expired`: ask for a new code", body = ErrorEnvelope),
        (status = 429, description = "`support.rate_limited`: sent too often", body = ErrorEnvelope),
    )
)]
pub(super) async fn guest_typing(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Json<Envelope<()>>, ApiError> {
    let token = guest_token(&headers)?;
    state.accounts.guest_typing(&token).await?;
    Ok(done("Typing."))
}

/// The realtime channel of a guest case: a WebSocket of `RealtimeEvent` JSON text frames, as
/// `/api/realtime`, for the guest token's one case only.
///
/// The guest token is checked before the upgrade. The first frame is `ready` (its
/// `session_id` is the case's conversation id); then only that case's `support` events
/// (messages, status, read markers), the support team's `support_typing` in it and
/// `support_availability`; never another conversation's events nor anything of an account's
/// security. With `?after=SEQ` the case's events after `SEQ` are replayed first, with no gap
/// and no duplicate (`support_reload` when `SEQ` is older than the log keeps). When the token
/// expires the server closes the socket (close code 4001). The server pings every 25 seconds;
/// a token may hold 5 sockets at once.
#[utoipa::path(
    get,
    path = "/api/support/guest/realtime",
    tag = "support",
    security(("guest" = [])),
    params(
        ("Connection" = String, Header, pattern = "^[Uu]pgrade$", description = "`Upgrade`: a WebSocket handshake (RFC 6455)"),
        ("Upgrade" = String, Header, pattern = "^[Ww]eb[Ss]ocket$", description = "`websocket`"),
        ("Sec-WebSocket-Version" = String, Header, pattern = "^13$", description = "`13`"),
        ("Sec-WebSocket-Key" = String, Header, description = "16 random bytes in base64"),
        ("after" = Option<i64>, Query, description = "Replay the case's support events after this seq first"),
    ),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol (no body); each text frame is then a `RealtimeEvent` (JSON)"),
        (status = 400, description = "`request.invalid`: not a WebSocket upgrade request; `field.invalid` (after)", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `support.guest_expired`: ask for a new code", body = ErrorEnvelope),
        (status = 429, description = "`realtime.too_many_sockets`: the token already has 5 sockets open", body = ErrorEnvelope),
    )
)]
pub(super) async fn guest_realtime(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(query): Query<AfterQuery>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let token = guest_token(&headers)?;
    let after = query
        .after
        .as_deref()
        .map(|raw| after_seq(Some(raw)))
        .transpose()?;
    let conversation_id = state.accounts.guest_case_id(&token).await?;
    // Registered under the case's guest key (which no account id can be), one "session" per
    // token, before the upgrade and before the replay (see `routes::security::realtime`).
    let registration = state
        .live
        .connect_as(
            &crate::accounts::support::guest_author(&conversation_id),
            &crate::accounts::support::guest_socket_id(&token),
            false,
        )
        .map_err(|_| ApiError::new(ErrorCode::RealtimeTooManySockets))?;
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::with_message(ErrorCode::InvalidRequest, rejection.body_text())
    })?;
    let accounts = state.accounts.clone();
    let limit = crate::accounts::policy::REALTIME.max_inbound_bytes;
    let listener = crate::realtime::Listener::Guest {
        token,
        conversation_id,
    };
    Ok(upgrade
        .max_frame_size(limit)
        .max_message_size(limit)
        .on_upgrade(move |socket| {
            crate::realtime::serve(socket, listener, accounts, registration, after)
        }))
}
