//! `/api/agent/...`: agent mode, the queue side (the contract is `xwms_api::agent`). Every
//! handler takes [`Agent`] first, so the guard runs before anything else is read.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use xwms_api::agent::{
    help_article_link, AgentQueue, AlreadyClaimed, AssignRequest, Assignment, CannedAnswer,
    CannedAnswers, InternalNote, NoteDraft, NoteList, PresenceKind, SavedReply, SavedReplyDraft,
    SavedReplyList,
};
use xwms_api::{Envelope, ErrorCode};

use crate::accounts::agent_queue::{QueueFilter, TeamCaller};
use crate::accounts::Authenticated;
use crate::error::{ApiError, DoneEnvelope, ErrorEnvelope};
use crate::extract::ApiJson;
use crate::AppState;

/// A signed-in member of the support team: `401` without a valid token, `403
/// support.not_agent` for anyone without the agent or admin role.
pub(crate) struct Agent(pub TeamCaller);

impl FromRequestParts<AppState> for Agent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let auth = Authenticated::from_request_parts(parts, state).await?;
        state.accounts.team_caller(auth).await.map(Agent)
    }
}

fn ok<T>(message: &str, data: T) -> Json<Envelope<T>> {
    Json(Envelope::success(message, data))
}

#[derive(Debug, Deserialize)]
pub(super) struct QueueQuery {
    view: Option<String>,
    topic: Option<String>,
    language: Option<String>,
    min_wait: Option<String>,
}

/// The support queue: one view, the longest waiting first, with the counts of every view.
#[utoipa::path(
    get,
    path = "/api/agent/queue",
    tag = "agent",
    security(("bearer" = [])),
    params(
        ("view" = Option<String>, Query, description = "unassigned (default), mine, open (waiting for the team), waiting (waiting for the person) or resolved"),
        ("topic" = Option<String>, Query, description = "Only conversations on this topic"),
        ("language" = Option<String>, Query, description = "Only conversations in this language"),
        ("min_wait" = Option<u32>, Query, description = "Only conversations waiting at least this many seconds"),
    ),
    responses(
        (status = 200, description = "The queue", body = Envelope<AgentQueue>),
        (status = 400, description = "`field.invalid` (view, topic, language, min_wait)", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
    )
)]
pub(super) async fn queue(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Query(query): Query<QueueQuery>,
) -> Result<Json<Envelope<AgentQueue>>, ApiError> {
    let filter = QueueFilter::parse(
        query.view.as_deref(),
        query.topic.as_deref(),
        query.language.as_deref(),
        query.min_wait.as_deref(),
    )?;
    let queue = state.accounts.agent_queue(&agent, filter).await?;
    Ok(ok("The queue.", queue))
}

/// Take a conversation nobody holds. Of several claims at once exactly one wins; the others
/// answer `409 agent.already_claimed` with the holder in the error's `data.holder`. The person
/// sees "agent joined" when the first agent takes the conversation.
#[utoipa::path(
    post,
    path = "/api/agent/conversations/{id}/claim",
    tag = "agent",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversation id")),
    responses(
        (status = 200, description = "The caller holds it now", body = Envelope<Assignment>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`", body = ErrorEnvelope),
        (status = 409, description = "`agent.already_claimed`, its data the holder", body = Envelope<AlreadyClaimed>),
    )
)]
pub(super) async fn claim(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(match state.accounts.claim_conversation(&agent, id).await? {
        Ok(assignment) => ok("Claimed.", assignment).into_response(),
        Err(holder) => {
            let message = ErrorCode::AlreadyClaimed.default_message();
            let envelope = Envelope::error_with(
                ErrorCode::AlreadyClaimed,
                message,
                AlreadyClaimed { holder },
            );
            (StatusCode::CONFLICT, Json(envelope)).into_response()
        }
    })
}

/// Hand a conversation to a member of the support team (an account with the agent or admin
/// role), whoever holds it now.
#[utoipa::path(
    post,
    path = "/api/agent/conversations/{id}/assign",
    tag = "agent",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversation id")),
    request_body = AssignRequest,
    responses(
        (status = 200, description = "Assigned", body = Envelope<Assignment>),
        (status = 400, description = "`field.invalid` (agent_id: not a member of the support team), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn assign(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AssignRequest>,
) -> Result<Json<Envelope<Assignment>>, ApiError> {
    let assignment = state
        .accounts
        .assign_conversation(&agent, id, req.agent_id)
        .await?;
    Ok(ok("Assigned.", assignment))
}

/// Add an internal note: seen by the support team only (never by the person, in no answer,
/// event or mail). Sending the same `client_msg_id` again answers the stored note.
#[utoipa::path(
    post,
    path = "/api/agent/conversations/{id}/notes",
    tag = "agent",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversation id")),
    request_body = NoteDraft,
    responses(
        (status = 200, description = "The stored note", body = Envelope<InternalNote>),
        (status = 400, description = "`field.invalid` (client_msg_id), `field.too_long`, `support.message_empty`, `support.message_too_long`, `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn add_note(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Path(id): Path<String>,
    ApiJson(draft): ApiJson<NoteDraft>,
) -> Result<Json<Envelope<InternalNote>>, ApiError> {
    let note = state.accounts.add_note(&agent, id, draft).await?;
    Ok(ok("Note saved.", note))
}

/// The internal notes of a conversation, oldest first (support team only).
#[utoipa::path(
    get,
    path = "/api/agent/conversations/{id}/notes",
    tag = "agent",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversation id")),
    responses(
        (status = 200, description = "The notes", body = Envelope<NoteList>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn notes(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Path(id): Path<String>,
) -> Result<Json<Envelope<NoteList>>, ApiError> {
    let notes = state.accounts.notes(&agent, id).await?;
    Ok(ok("The notes.", notes))
}

fn done(message: &str) -> Json<Envelope<()>> {
    Json(Envelope {
        status: xwms_api::Status::Success,
        message: message.to_owned(),
        code: None,
        data: None,
    })
}

/// The caller has the conversation open: the other agents see "viewing" for 30 seconds (send
/// again to renew). Never stored; the person never hears it.
#[utoipa::path(
    post,
    path = "/api/agent/conversations/{id}/viewing",
    tag = "agent",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversation id")),
    responses(
        (status = 200, description = "Told", body = DoneEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn viewing(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Path(id): Path<String>,
) -> Result<Json<Envelope<()>>, ApiError> {
    state
        .accounts
        .agent_presence(&agent, id, PresenceKind::Viewing)
        .await?;
    Ok(done("Viewing."))
}

/// The caller is typing in the conversation: the other agents see "typing" for 8 seconds.
/// Never stored; the person never hears it (they see an agent typing through the support
/// typing route only).
#[utoipa::path(
    post,
    path = "/api/agent/conversations/{id}/typing",
    tag = "agent",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The conversation id")),
    responses(
        (status = 200, description = "Told", body = DoneEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn typing(
    State(state): State<AppState>,
    Agent(agent): Agent,
    Path(id): Path<String>,
) -> Result<Json<Envelope<()>>, ApiError> {
    state
        .accounts
        .agent_presence(&agent, id, PresenceKind::Typing)
        .await?;
    Ok(done("Typing."))
}

#[derive(Debug, Deserialize)]
pub(super) struct CannedQuery {
    q: Option<String>,
    language: Option<String>,
    conversation: Option<String>,
}

/// How many canned answers one search gives.
const CANNED_LIMIT: usize = 8;

/// Help articles to answer with, from the help center's search (the same engine as
/// `/api/help/search`): title, first paragraph and the in-app link, in the requested language
/// or else the conversation's.
#[utoipa::path(
    get,
    path = "/api/agent/canned",
    tag = "agent",
    security(("bearer" = [])),
    params(
        ("q" = Option<String>, Query, description = "What to search for; empty answers an empty list"),
        ("language" = Option<String>, Query, description = "en, nl or fr (default: the conversation's language, else en)"),
        ("conversation" = Option<String>, Query, description = "The conversation being answered"),
    ),
    responses(
        (status = 200, description = "Best first", body = Envelope<CannedAnswers>),
        (status = 400, description = "`field.invalid` (language)", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`support.not_found` (conversation)", body = ErrorEnvelope),
    )
)]
pub(super) async fn canned(
    State(state): State<AppState>,
    Agent(_agent): Agent,
    Query(query): Query<CannedQuery>,
) -> Result<Json<Envelope<CannedAnswers>>, ApiError> {
    use xwms_api::help::Language as HelpLanguage;
    let language = match (&query.language, query.conversation) {
        (Some(raw), _) => HelpLanguage::ALL
            .iter()
            .copied()
            .find(|l| l.as_str() == raw)
            .ok_or_else(|| ApiError::field(ErrorCode::FieldInvalid, "language"))?,
        (None, Some(id)) => {
            let language = state.accounts.conversation_language(id).await?;
            HelpLanguage::from_tag(language.as_str()).unwrap_or(HelpLanguage::En)
        }
        (None, None) => HelpLanguage::En,
    };
    let q = query.q.unwrap_or_default();
    let catalog = state.help.catalog().await?;
    let answers = tokio::task::spawn_blocking(move || {
        catalog
            .search(language, &q, CANNED_LIMIT)
            .into_iter()
            .filter_map(|hit| {
                let article = catalog.article(language, &hit.id)?;
                Some(CannedAnswer {
                    article_id: article.id.clone(),
                    language,
                    title: article.title.clone(),
                    short_answer: crate::accounts::agent_queue::short_answer(&article.body),
                    link: help_article_link(&article.id),
                })
            })
            .collect()
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::Internal))?;
    Ok(ok("Canned answers.", CannedAnswers { language, answers }))
}

#[derive(Debug, Deserialize)]
pub(super) struct LanguageQuery {
    language: Option<String>,
}

/// The team's saved replies, by title (only those in `language` when given).
#[utoipa::path(
    get,
    path = "/api/agent/saved-replies",
    tag = "agent",
    security(("bearer" = [])),
    params(("language" = Option<String>, Query, description = "Only replies in this language")),
    responses(
        (status = 200, description = "The saved replies", body = Envelope<SavedReplyList>),
        (status = 400, description = "`field.invalid` (language)", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
    )
)]
pub(super) async fn saved_replies(
    State(state): State<AppState>,
    Agent(_agent): Agent,
    Query(query): Query<LanguageQuery>,
) -> Result<Json<Envelope<SavedReplyList>>, ApiError> {
    let language = match query.language.as_deref() {
        None => None,
        Some(raw) => Some(
            xwms_api::Language::parse(raw)
                .ok_or_else(|| ApiError::field(ErrorCode::FieldInvalid, "language"))?,
        ),
    };
    let list = state.accounts.saved_replies(language).await?;
    Ok(ok("The saved replies.", list))
}

/// Save a reply for the whole team.
#[utoipa::path(
    post,
    path = "/api/agent/saved-replies",
    tag = "agent",
    security(("bearer" = [])),
    request_body = SavedReplyDraft,
    responses(
        (status = 200, description = "Saved", body = Envelope<SavedReply>),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (title, body), `support.message_empty`, `support.message_too_long`, `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
    )
)]
pub(super) async fn save_reply(
    State(state): State<AppState>,
    Agent(agent): Agent,
    ApiJson(draft): ApiJson<SavedReplyDraft>,
) -> Result<Json<Envelope<SavedReply>>, ApiError> {
    let reply = state.accounts.save_reply(&agent, draft).await?;
    Ok(ok("Saved.", reply))
}

/// Delete a saved reply (any member of the team may).
#[utoipa::path(
    delete,
    path = "/api/agent/saved-replies/{id}",
    tag = "agent",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The saved reply's id")),
    responses(
        (status = 200, description = "Deleted", body = DoneEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`support.not_agent`", body = ErrorEnvelope),
        (status = 404, description = "`request.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn delete_saved_reply(
    State(state): State<AppState>,
    Agent(_agent): Agent,
    Path(id): Path<String>,
) -> Result<Json<Envelope<()>>, ApiError> {
    state.accounts.delete_saved_reply(id).await?;
    Ok(done("Deleted."))
}
