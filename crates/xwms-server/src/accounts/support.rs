//! Live support: conversations between a person and the support team, the event log the
//! realtime channel replays, exactly-once sending, attachments and guest cases (the contract is
//! `xwms_api::support`).
//!
//! - **Who.** A person sees only their own conversations; an account with the support role
//!   (`users.role` `agent` or `admin`) reads and answers every conversation through the same
//!   routes. Anyone else's conversation answers `support.not_found`, so its existence is not
//!   revealed. A guest (a recovery request filed without signing in) reaches one case with a
//!   guest token ([`Accounts::guest_access`]).
//! - **Exactly once.** `support_messages` holds `UNIQUE (author_id, client_msg_id)`; a send is
//!   an `INSERT .. ON CONFLICT DO NOTHING`, and a conflict answers the stored message. Only a
//!   fresh insert is checked further (state, attachments, the rate), and a refused one is
//!   deleted again in the same transaction, so nothing of it stays.
//! - **Event log.** Every change appends a row to `support_events` in the transaction that makes
//!   it; its seq is the message's seq. The connected person and every connected agent hear the
//!   event after commit, in commit order (`Accounts::write` publishes under the store's lock).

use std::collections::HashMap;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use time::{Duration, OffsetDateTime};
use xwms_api::security::RealtimeEvent;
use xwms_api::support::{
    AttachmentInfo, AuthorKind, ConversationDetail, ConversationList, ConversationStatus,
    ConversationSummary, DeflectionRequest, MessageAuthor, MessageDraft, MessageKind,
    NewConversation, RatingRequest, SupportAvailability, SupportChangeKind, SupportEvent,
    SupportMessage, SupportTopic, ATTACHMENTS_PER_MESSAGE, ATTACHMENT_MAX_BYTES, LOG_KEEP_DAYS,
    MESSAGE_MAX_CHARS, REOPEN_WITHIN_DAYS, SUBJECT_MAX_CHARS, UPLOADS_PENDING_MAX,
    UPLOADS_PENDING_MAX_BYTES, UPLOAD_KEEP_HOURS,
};
use xwms_api::{ErrorCode, Language};

use super::limits::{self, Scope};
use super::live_sessions::Notice;
use super::policy::SUPPORT;
use super::users::{self, User};
use super::validate;
use super::{Accounts, Authenticated, Ctx};
use crate::clock::{from_millis, rfc3339, to_millis};
use crate::error::ApiError;
use crate::random;

/// A file's name, at most this many characters.
pub(crate) const FILE_NAME_MAX_CHARS: usize = 200;
/// A case reference as typed (`SUP-…`, `REC-…`), at most this many characters.
pub(crate) const REFERENCE_MAX_CHARS: usize = 32;

/// The type of a file by its first bytes: PNG, JPEG or PDF only.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// A file name as stored. The whole name is checked as the OpenAPI document states it (one
/// line of 1 to 200 characters, `routes::rules`), then only its last path segment is kept; a
/// name that is all path (`a/`, `..`) is stored as `attachment`.
fn file_name(raw: Option<&str>) -> Result<String, ApiError> {
    let raw = validate::label("name", raw.unwrap_or_default(), FILE_NAME_MAX_CHARS)?;
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    Ok(match last {
        "" | "." | ".." => "attachment".to_owned(),
        name => name.to_owned(),
    })
}

/// A file's checks before it is stored, the same for every upload route: at most 5 MB, a PNG,
/// JPEG or PDF by its bytes, and its name. Answers the stored name and the content type.
fn checked_file(name: Option<&str>, bytes: &[u8]) -> Result<(String, &'static str), ApiError> {
    if bytes.len() > ATTACHMENT_MAX_BYTES {
        return Err(ApiError::new(ErrorCode::AttachmentTooLarge));
    }
    let content_type = sniff(bytes).ok_or_else(|| ApiError::new(ErrorCode::AttachmentType))?;
    Ok((file_name(name)?, content_type))
}

/// Uploads older than this are neither counted, nor bound, and are pruned.
fn upload_keep() -> Duration {
    Duration::hours(i64::from(UPLOAD_KEEP_HOURS))
}

/// Moves the uploads of `account_id` named in `ids` (and still kept) into
/// `support_attachments` of `conversation_id`, not sent yet, under the same ids. Ids that are
/// not such an upload are left alone; sending the message then refuses them.
fn bind_uploads(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    conversation_id: &str,
    account_id: &str,
    ids: &[String],
) -> rusqlite::Result<()> {
    let since = to_millis(ctx.now - upload_keep());
    for upload in ids {
        let moved = tx.execute(
            "INSERT INTO support_attachments (id, conversation_id, uploader_id, file_name, content_type, size_bytes, bytes, created_at)
             SELECT id, ?1, account_id, file_name, content_type, size_bytes, bytes, created_at
             FROM support_uploads WHERE id = ?2 AND account_id = ?3 AND created_at >= ?4",
            params![conversation_id, upload, account_id, since],
        )?;
        if moved > 0 {
            tx.execute("DELETE FROM support_uploads WHERE id = ?1", [upload])?;
        }
    }
    Ok(())
}

/// Removes uploads never bound within [`UPLOAD_KEEP_HOURS`].
pub fn prune_uploads(conn: &Connection, now: OffsetDateTime) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM support_uploads WHERE created_at < ?1",
        [to_millis(now - upload_keep())],
    )
}

/// An attachment to download.
#[derive(Debug, Clone)]
pub struct AttachmentFile {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Prefix of a conversation's reference (guest cases keep their `REC-` reference).
pub const REFERENCE_PREFIX: &str = "SUP-";
/// A rating's comment, at most this many characters.
pub const RATING_COMMENT_MAX_CHARS: usize = 2_000;
/// An article id of a deflection, at most this many characters.
pub(crate) const ARTICLE_ID_MAX_CHARS: usize = 200;
/// The preview of a conversation in lists, at most this many characters.
const PREVIEW_CHARS: usize = 120;
/// `server_meta` key: the highest seq pruned from the event log.
const PRUNED_SEQ_KEY: &str = "support_pruned_seq";

/// Which side of a conversation the caller is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Person,
    Agent,
}

/// Who writes: the stored author id, the side and the display name.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    pub author_id: String,
    pub side: Side,
    pub name: String,
}

/// Typing signals seen last, per author and conversation (never stored).
#[derive(Default)]
pub(crate) struct TypingGate {
    last: Mutex<HashMap<(String, String), OffsetDateTime>>,
}

impl TypingGate {
    /// Whether a typing signal of `author` in `conversation` may go out at `now`.
    fn admit(&self, author: &str, conversation: &str, now: OffsetDateTime) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.len() > 10_000 {
            last.retain(|_, at| now - *at < SUPPORT.typing_min_interval * 4);
        }
        let key = (author.to_owned(), conversation.to_owned());
        match last.get(&key) {
            Some(at) if now - *at < SUPPORT.typing_min_interval => false,
            _ => {
                last.insert(key, now);
                true
            }
        }
    }
}

/// A conversation row.
#[derive(Debug, Clone)]
pub(crate) struct Conversation {
    pub id: String,
    pub reference: String,
    pub person_id: Option<String>,
    pub topic: SupportTopic,
    pub subject: String,
    pub status: ConversationStatus,
    pub language: Language,
    pub guest: bool,
    pub agent_name: Option<String>,
    pub rating: Option<u8>,
    pub person_read_seq: i64,
    pub agent_read_seq: i64,
    pub last_seq: i64,
    pub closed_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

const CONVERSATION_COLUMNS: &str = "id, reference, person_id, topic, \
    subject, status, language, guest, agent_name, rating, person_read_seq, agent_read_seq, \
    last_seq, closed_at, created_at, updated_at";

fn conversation_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Conversation> {
    let topic: String = row.get(3)?;
    let status: String = row.get(5)?;
    let language: String = row.get(6)?;
    Ok(Conversation {
        id: row.get(0)?,
        reference: row.get(1)?,
        person_id: row.get(2)?,
        topic: SupportTopic::from_wire(&topic),
        subject: row.get(4)?,
        status: ConversationStatus::from_wire(&status),
        language: Language::parse(&language).unwrap_or_default(),
        guest: row.get(7)?,
        agent_name: row.get(8)?,
        rating: row.get(9)?,
        person_read_seq: row.get(10)?,
        agent_read_seq: row.get(11)?,
        last_seq: row.get(12)?,
        closed_at: row.get::<_, Option<i64>>(13)?.map(from_millis),
        created_at: from_millis(row.get(14)?),
        updated_at: from_millis(row.get(15)?),
    })
}

pub(crate) fn conversation(conn: &Connection, id: &str) -> rusqlite::Result<Option<Conversation>> {
    conn.prepare_cached(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM support_conversations WHERE id = ?1"
    ))?
    .query_row([id], conversation_row)
    .optional()
}

/// The side `user` is on in `conversation`, if they may see it at all.
fn side_of(conversation: &Conversation, user: &User) -> Option<Side> {
    if conversation.person_id.as_deref() == Some(user.id.as_str()) {
        Some(Side::Person)
    } else if user.is_agent {
        Some(Side::Agent)
    } else {
        None
    }
}

fn writer_for(user: &User, side: Side) -> Writer {
    Writer {
        author_id: user.id.clone(),
        side,
        name: match side {
            Side::Person => user.name.clone(),
            // An agent signs with their first name.
            Side::Agent => user
                .name
                .split_whitespace()
                .next()
                .unwrap_or(&user.name)
                .to_owned(),
        },
    }
}

/// The author id a guest writes under in their case; also the key its realtime
/// connections are registered under (`LiveSessions`), which no account id can be.
pub(crate) fn guest_author(conversation_id: &str) -> String {
    format!("guest:{conversation_id}")
}

/// The "session" a guest token's realtime sockets count under (its hash, never the token).
pub(crate) fn guest_socket_id(token: &str) -> String {
    format!("guest-token:{}", super::sessions::token_hash(token))
}

/// Who hears the person's side of `conversation` live: its account, or for a guest case the
/// guest connections of that one case.
fn audience(conversation: &Conversation) -> String {
    match &conversation.person_id {
        Some(person) => person.clone(),
        None => guest_author(&conversation.id),
    }
}

fn reopen_until(conversation: &Conversation) -> Option<OffsetDateTime> {
    match conversation.status {
        ConversationStatus::Resolved | ConversationStatus::Closed => conversation
            .closed_at
            .map(|at| at + Duration::days(i64::from(REOPEN_WITHIN_DAYS))),
        _ => None,
    }
}

/// The conversation as `side` sees it.
pub(crate) fn summary(
    conn: &Connection,
    conversation: &Conversation,
    side: Side,
) -> rusqlite::Result<ConversationSummary> {
    let (mine, other, other_kind) = match side {
        Side::Person => (
            conversation.person_read_seq,
            conversation.agent_read_seq,
            AuthorKind::Agent,
        ),
        Side::Agent => (
            conversation.agent_read_seq,
            conversation.person_read_seq,
            AuthorKind::Person,
        ),
    };
    let unread: u32 = conn
        .prepare_cached(
            "SELECT count(*) FROM support_messages
             WHERE conversation_id = ?1 AND seq > ?2 AND author_kind = ?3",
        )?
        .query_row(params![conversation.id, mine, other_kind.as_str()], |row| {
            row.get(0)
        })?;
    let preview: String = conn
        .prepare_cached(
            "SELECT body FROM support_messages WHERE conversation_id = ?1 AND kind = 'text'
             ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([&conversation.id], |row| row.get(0))
        .optional()?
        .unwrap_or_default();
    Ok(ConversationSummary {
        id: conversation.id.clone(),
        reference: conversation.reference.clone(),
        topic: conversation.topic,
        subject: conversation.subject.clone(),
        status: conversation.status,
        language: conversation.language,
        created_at: rfc3339(conversation.created_at),
        updated_at: rfc3339(conversation.updated_at),
        last_seq: conversation.last_seq,
        preview: preview.chars().take(PREVIEW_CHARS).collect(),
        unread,
        last_read_seq: mine,
        other_last_read_seq: other,
        agent_name: conversation.agent_name.clone(),
        rating: conversation.rating,
        reopen_until: reopen_until(conversation).map(rfc3339),
        guest: conversation.guest,
        viewer: match side {
            Side::Person => AuthorKind::Person,
            Side::Agent => AuthorKind::Agent,
        },
    })
}

const MESSAGE_COLUMNS: &str =
    "id, conversation_id, seq, client_msg_id, kind, author_kind, author_name, body, created_at";

fn message_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SupportMessage> {
    let kind: String = row.get(4)?;
    let author_kind: String = row.get(5)?;
    Ok(SupportMessage {
        id: row.get(0)?,
        conversation_id: row.get(1)?,
        seq: row.get(2)?,
        client_msg_id: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
        kind: MessageKind::from_wire(&kind),
        author: MessageAuthor {
            kind: AuthorKind::from_wire(&author_kind),
            name: row.get(6)?,
        },
        body: row.get(7)?,
        attachments: vec![],
        created_at: rfc3339(from_millis(row.get(8)?)),
    })
}

fn with_attachments(
    conn: &Connection,
    mut message: SupportMessage,
) -> rusqlite::Result<SupportMessage> {
    message.attachments = conn
        .prepare_cached(
            "SELECT id, file_name, content_type, size_bytes FROM support_attachments
             WHERE message_id = ?1 ORDER BY created_at, id",
        )?
        .query_map([&message.id], |row| {
            Ok(AttachmentInfo {
                id: row.get(0)?,
                file_name: row.get(1)?,
                content_type: row.get(2)?,
                size_bytes: row.get::<_, i64>(3)?.try_into().unwrap_or(0),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(message)
}

fn message_by_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<SupportMessage>> {
    let message = conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM support_messages WHERE id = ?1"
        ))?
        .query_row([id], message_row)
        .optional()?;
    message.map(|m| with_attachments(conn, m)).transpose()
}

fn message_by_seq(conn: &Connection, seq: i64) -> rusqlite::Result<Option<SupportMessage>> {
    let message = conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM support_messages WHERE seq = ?1"
        ))?
        .query_row([seq], message_row)
        .optional()?;
    message.map(|m| with_attachments(conn, m)).transpose()
}

fn messages_after(
    conn: &Connection,
    conversation_id: &str,
    after: i64,
) -> rusqlite::Result<Vec<SupportMessage>> {
    let messages: Vec<SupportMessage> = conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM support_messages
             WHERE conversation_id = ?1 AND seq > ?2 ORDER BY seq"
        ))?
        .query_map(params![conversation_id, after], message_row)?
        .collect::<rusqlite::Result<_>>()?;
    messages
        .into_iter()
        .map(|m| with_attachments(conn, m))
        .collect()
}

pub(crate) fn detail(
    conn: &Connection,
    conversation: &Conversation,
    side: Side,
    after: i64,
) -> rusqlite::Result<ConversationDetail> {
    Ok(ConversationDetail {
        conversation: summary(conn, conversation, side)?,
        messages: messages_after(conn, &conversation.id, after)?,
    })
}

/// Appends one event to the log and makes it the conversation's newest; its seq.
fn append_event(
    tx: &Transaction<'_>,
    conversation: &Conversation,
    kind: SupportChangeKind,
    now: OffsetDateTime,
) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO support_events (account_id, conversation_id, kind, created_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        conversation.person_id,
        conversation.id,
        kind.as_str(),
        to_millis(now)
    ])?;
    let seq = tx.last_insert_rowid();
    let touch = if kind == SupportChangeKind::Read {
        "UPDATE support_conversations SET last_seq = ?1 WHERE id = ?2"
    } else {
        "UPDATE support_conversations SET last_seq = ?1, updated_at = ?3 WHERE id = ?2"
    };
    if kind == SupportChangeKind::Read {
        tx.execute(touch, params![seq, conversation.id])?;
    } else {
        tx.execute(touch, params![seq, conversation.id, to_millis(now)])?;
    }
    Ok(seq)
}

/// Tells the person and the agents about the event `seq` (after commit).
fn announce(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    conversation_id: &str,
    seq: i64,
    kind: SupportChangeKind,
) -> rusqlite::Result<()> {
    let Some(conversation) = conversation(tx, conversation_id)? else {
        return Ok(());
    };
    let message = if kind == SupportChangeKind::Message {
        message_by_seq(tx, seq)?
    } else {
        None
    };
    let event = |side| -> rusqlite::Result<RealtimeEvent> {
        Ok(RealtimeEvent::Support {
            event: Box::new(SupportEvent {
                seq,
                conversation_id: conversation_id.to_owned(),
                kind,
                message: message.clone(),
                conversation: summary(tx, &conversation, side)?,
            }),
        })
    };
    ctx.notify(Notice::Support {
        person_id: Some(audience(&conversation)),
        for_person: Some(Box::new(event(Side::Person)?)),
        for_agents: Some(Box::new(event(Side::Agent)?)),
    });
    if kind != SupportChangeKind::Read {
        ctx.notify(super::agent_queue::queue_notice(tx)?);
    }
    Ok(())
}

/// Stores a message under a new event; its id and seq.
#[allow(clippy::too_many_arguments)]
fn insert_message(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    conversation_id: &str,
    author_id: &str,
    author_kind: AuthorKind,
    author_name: &str,
    client_msg_id: Option<&str>,
    kind: MessageKind,
    body: &str,
) -> rusqlite::Result<Option<String>> {
    let id = random::id(ctx.random());
    let inserted = tx
        .prepare_cached(
            "INSERT INTO support_messages (id, conversation_id, seq, author_id, author_kind, author_name, client_msg_id, kind, body, created_at)
             VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (author_id, client_msg_id) DO NOTHING",
        )?
        .execute(params![
            id,
            conversation_id,
            author_id,
            author_kind.as_str(),
            author_name,
            client_msg_id,
            kind.as_str(),
            body,
            to_millis(ctx.now)
        ])?;
    Ok((inserted == 1).then_some(id))
}

/// Gives a stored message its event (its seq) and announces it.
fn publish_message(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    conversation_id: &str,
    message_id: &str,
) -> rusqlite::Result<i64> {
    let conversation =
        conversation(tx, conversation_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    let seq = append_event(tx, &conversation, SupportChangeKind::Message, ctx.now)?;
    tx.execute(
        "UPDATE support_messages SET seq = ?1 WHERE id = ?2",
        params![seq, message_id],
    )?;
    announce(tx, ctx, conversation_id, seq, SupportChangeKind::Message)?;
    Ok(seq)
}

/// A status message of the service (agent joined, resolved, closed, reopened).
fn system_message(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    conversation_id: &str,
    kind: MessageKind,
    name: &str,
) -> rusqlite::Result<i64> {
    let id = insert_message(
        tx,
        ctx,
        conversation_id,
        "system",
        AuthorKind::System,
        name,
        None,
        kind,
        "",
    )?
    .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    publish_message(tx, ctx, conversation_id, &id)
}

fn set_status(
    tx: &Transaction<'_>,
    conversation_id: &str,
    status: ConversationStatus,
    closed_at: Option<OffsetDateTime>,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE support_conversations SET status = ?1, closed_at = ?2 WHERE id = ?3",
        params![status.as_str(), closed_at.map(to_millis), conversation_id],
    )
    .map(|_| ())
}

/// The first agent to take `conversation` (by answering, claiming or being assigned) joins it:
/// the person sees "agent joined" with `name` once; later agents change nothing.
pub(crate) fn agent_joins(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    conversation: &Conversation,
    name: &str,
) -> rusqlite::Result<()> {
    let joined = tx.execute(
        "UPDATE support_conversations SET agent_name = ?1 WHERE id = ?2 AND agent_name IS NULL",
        params![name, conversation.id],
    )?;
    if joined == 1 {
        system_message(tx, ctx, &conversation.id, MessageKind::AgentJoined, name)?;
    }
    Ok(())
}

/// The name an agent signs with: their first name.
pub(crate) fn agent_signature(user: &User) -> String {
    writer_for(user, Side::Agent).name
}

/// A client id: a UUID (any case), stored in lower case.
pub fn client_msg_id(raw: &str) -> Result<String, ApiError> {
    let bytes = raw.as_bytes();
    let valid = bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    if !valid {
        return Err(ApiError::with_message(
            ErrorCode::FieldInvalid,
            "client_msg_id must be a UUID.",
        )
        .with_field("client_msg_id"));
    }
    Ok(raw.to_ascii_lowercase())
}

/// A checked draft: its client id, body and attachment ids.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub client_msg_id: String,
    pub body: String,
    pub attachment_ids: Vec<String>,
}

pub(crate) fn check_draft(draft: MessageDraft) -> Result<Draft, ApiError> {
    let client_msg_id = client_msg_id(&draft.client_msg_id)?;
    if draft.body.chars().count() > MESSAGE_MAX_CHARS {
        return Err(ApiError::field(ErrorCode::MessageTooLong, "body"));
    }
    let body = validate::free_text("body", &draft.body, MESSAGE_MAX_CHARS)?;
    if draft.attachment_ids.len() > ATTACHMENTS_PER_MESSAGE {
        return Err(ApiError::with_message(
            ErrorCode::FieldInvalid,
            format!("At most {ATTACHMENTS_PER_MESSAGE} attachments per message."),
        )
        .with_field("attachment_ids"));
    }
    let mut attachment_ids = draft.attachment_ids;
    attachment_ids.sort();
    attachment_ids.dedup();
    if body.is_empty() && attachment_ids.is_empty() {
        return Err(ApiError::field(ErrorCode::MessageEmpty, "body"));
    }
    Ok(Draft {
        client_msg_id,
        body,
        attachment_ids,
    })
}

/// Sends `draft` as `writer` in `conversation_id`, exactly once (see the module docs).
pub(crate) fn send_in(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    conversation_id: &str,
    writer: &Writer,
    draft: &Draft,
) -> rusqlite::Result<Result<SupportMessage, ApiError>> {
    let author_kind = match writer.side {
        Side::Person => AuthorKind::Person,
        Side::Agent => AuthorKind::Agent,
    };
    let Some(id) = insert_message(
        tx,
        ctx,
        conversation_id,
        &writer.author_id,
        author_kind,
        &writer.name,
        Some(&draft.client_msg_id),
        MessageKind::Text,
        &draft.body,
    )?
    else {
        // Sent before: the stored message, nothing new.
        let stored: String = tx.query_row(
            "SELECT id FROM support_messages WHERE author_id = ?1 AND client_msg_id = ?2",
            params![writer.author_id, draft.client_msg_id],
            |row| row.get(0),
        )?;
        return Ok(Ok(
            message_by_id(tx, &stored)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?
        ));
    };
    let refuse = |err: ApiError| -> rusqlite::Result<Result<SupportMessage, ApiError>> {
        tx.execute("DELETE FROM support_messages WHERE id = ?1", [&id])?;
        Ok(Err(err))
    };
    let conversation =
        conversation(tx, conversation_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    let ended = matches!(
        conversation.status,
        ConversationStatus::Resolved | ConversationStatus::Closed
    );
    if ended
        && writer.side == Side::Person
        && reopen_until(&conversation).is_none_or(|until| ctx.now > until)
    {
        return refuse(ApiError::new(ErrorCode::ConversationClosed));
    }
    for attachment in &draft.attachment_ids {
        let unsent: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM support_attachments WHERE id = ?1 AND conversation_id = ?2
                 AND uploader_id = ?3 AND message_id IS NULL)",
            params![attachment, conversation_id, writer.author_id],
            |row| row.get(0),
        )?;
        if !unsent {
            return refuse(ApiError::field(
                ErrorCode::AttachmentNotFound,
                "attachment_ids",
            ));
        }
    }
    let scope = match writer.side {
        Side::Person => Scope::SupportMessage,
        Side::Agent => Scope::SupportAgentMessage,
    };
    if let Some(wait) = limits::wait(tx, scope, &writer.author_id, ctx.now)? {
        return refuse(ApiError::retry_after(ErrorCode::MessageRateLimited, wait));
    }
    let _ = limits::take(tx, scope, &writer.author_id, ctx.now)?;
    if ended {
        system_message(
            tx,
            ctx,
            conversation_id,
            MessageKind::Reopened,
            &writer.name,
        )?;
    }
    if writer.side == Side::Agent {
        agent_joins(tx, ctx, &conversation, &writer.name)?;
    }
    let status = match (writer.side, conversation.status) {
        (Side::Agent, _) => ConversationStatus::WaitingForYou,
        (Side::Person, ConversationStatus::New) => ConversationStatus::New,
        (Side::Person, _) => ConversationStatus::Open,
    };
    set_status(tx, conversation_id, status, None)?;
    for attachment in &draft.attachment_ids {
        tx.execute(
            "UPDATE support_attachments SET message_id = ?1 WHERE id = ?2",
            params![id, attachment],
        )?;
    }
    let seq = publish_message(tx, ctx, conversation_id, &id)?;
    // The writer has seen their own message.
    let marker = match writer.side {
        Side::Person => "person_read_seq",
        Side::Agent => "agent_read_seq",
    };
    tx.execute(
        &format!("UPDATE support_conversations SET {marker} = max({marker}, ?1) WHERE id = ?2"),
        params![seq, conversation_id],
    )?;
    Ok(Ok(
        message_by_id(tx, &id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?
    ))
}

/// Opens a conversation with its first message. `person` is the signed-in person, or `None`
/// for a guest case (then `guest` holds its reference, contact address and recovery id).
pub(crate) struct Opening<'a> {
    pub person: Option<&'a User>,
    pub person_name: &'a str,
    pub contact_email: &'a str,
    pub language: Language,
    pub topic: SupportTopic,
    pub subject: &'a str,
    pub reference: Option<&'a str>,
    pub recovery_id: Option<i64>,
    pub draft: &'a Draft,
}

/// Creates the conversation, or answers the one its first message's client id created before.
pub(crate) fn open_conversation(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    opening: &Opening<'_>,
) -> rusqlite::Result<Result<Conversation, ApiError>> {
    let id = random::id(ctx.random());
    let reference = match opening.reference {
        Some(reference) => reference.to_owned(),
        None => loop {
            let candidate = random::reference(ctx.random(), REFERENCE_PREFIX);
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM support_conversations WHERE reference = ?1)",
                [&candidate],
                |row| row.get(0),
            )?;
            if !taken {
                break candidate;
            }
        },
    };
    let now = to_millis(ctx.now);
    tx.execute(
        "INSERT INTO support_conversations (id, reference, person_id, recovery_id, person_name, contact_email, topic, subject, status, language, guest, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'new', ?9, ?10, ?11, ?11)",
        params![
            id,
            reference,
            opening.person.map(|p| p.id.clone()),
            opening.recovery_id,
            opening.person_name,
            opening.contact_email,
            opening.topic.as_str(),
            opening.subject,
            opening.language.as_str(),
            opening.person.is_none(),
            now
        ],
    )?;
    let writer = Writer {
        author_id: match opening.person {
            Some(person) => person.id.clone(),
            None => guest_author(&id),
        },
        side: Side::Person,
        name: opening.person_name.to_owned(),
    };
    let stored: Option<String> = tx
        .query_row(
            "SELECT conversation_id FROM support_messages WHERE author_id = ?1 AND client_msg_id = ?2",
            params![writer.author_id, opening.draft.client_msg_id],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(existing) = stored {
        // Created before by this first message: that conversation, nothing new.
        tx.execute("DELETE FROM support_conversations WHERE id = ?1", [&id])?;
        return Ok(Ok(
            conversation(tx, &existing)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?
        ));
    }
    // The person's uploads the first message names become this conversation's attachments; a
    // refused message rolls the move back, so they stay theirs to start with again.
    tx.execute_batch("SAVEPOINT bind_uploads")?;
    if let Some(person) = opening.person {
        bind_uploads(tx, ctx, &id, &person.id, &opening.draft.attachment_ids)?;
    }
    if let Err(err) = send_in(tx, ctx, &id, &writer, opening.draft)? {
        tx.execute_batch("ROLLBACK TO bind_uploads; RELEASE bind_uploads")?;
        tx.execute("DELETE FROM support_conversations WHERE id = ?1", [&id])?;
        return Ok(Err(err));
    }
    tx.execute_batch("RELEASE bind_uploads")?;
    Ok(Ok(
        conversation(tx, &id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?
    ))
}

/// What a realtime connection replays when it opens with `?after=SEQ`.
#[derive(Debug, Clone, PartialEq)]
pub enum Replay {
    /// The events after `SEQ`, in order, and the last seq among them (`SEQ` when none).
    Events {
        events: Vec<RealtimeEvent>,
        last_seq: i64,
    },
    /// `SEQ` is older than the log keeps: the client reloads.
    Reload,
}

fn pruned_seq(conn: &Connection) -> rusqlite::Result<i64> {
    Ok(conn
        .query_row(
            "SELECT value FROM server_meta WHERE key = ?1",
            [PRUNED_SEQ_KEY],
            |row| row.get::<_, String>(0),
        )
        .optional()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// The newest seq of `user`'s event log (every event for an agent).
fn log_seq(conn: &Connection, user: &User) -> rusqlite::Result<i64> {
    let newest: Option<i64> = if user.is_agent {
        conn.query_row("SELECT max(seq) FROM support_events", [], |row| row.get(0))?
    } else {
        conn.query_row(
            "SELECT max(seq) FROM support_events WHERE account_id = ?1",
            [&user.id],
            |row| row.get(0),
        )?
    };
    Ok(newest.unwrap_or(0).max(pruned_seq(conn)?))
}

/// Removes events older than [`LOG_KEEP_DAYS`] (remembering the highest seq removed).
pub fn prune_events(conn: &Connection, now: OffsetDateTime) -> rusqlite::Result<usize> {
    let before = to_millis(now - Duration::days(i64::from(LOG_KEEP_DAYS)));
    let newest: Option<i64> = conn.query_row(
        "SELECT max(seq) FROM support_events WHERE created_at < ?1",
        [before],
        |row| row.get(0),
    )?;
    let Some(newest) = newest else {
        return Ok(0);
    };
    conn.execute(
        "INSERT INTO server_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
        params![PRUNED_SEQ_KEY, newest.to_string()],
    )?;
    conn.execute("DELETE FROM support_events WHERE seq <= ?1", [newest])
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::ConversationNotFound)
}

fn caller(conn: &Connection, auth: &Authenticated) -> rusqlite::Result<User> {
    users::by_id(conn, &auth.user_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

/// The conversation `id` and the caller's side in it; `support.not_found` when it is not theirs.
fn reach(
    conn: &Connection,
    auth: &Authenticated,
    id: &str,
) -> rusqlite::Result<Result<(User, Conversation, Side), ApiError>> {
    let user = caller(conn, auth)?;
    let Some(conversation) = conversation(conn, id)? else {
        return Ok(Err(not_found()));
    };
    Ok(match side_of(&conversation, &user) {
        Some(side) => Ok((user, conversation, side)),
        None => Err(not_found()),
    })
}

/// Moves `side`'s read marker of `conversation` to `last_read_seq` (never back) and announces
/// it; the same rule for a signed-in person, an agent and a guest.
fn mark_read(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    conversation: &Conversation,
    side: Side,
    last_read_seq: i64,
) -> rusqlite::Result<()> {
    let id = &conversation.id;
    let (marker, current) = match side {
        Side::Person => ("person_read_seq", conversation.person_read_seq),
        Side::Agent => ("agent_read_seq", conversation.agent_read_seq),
    };
    // A marker counts messages, never other events: clamped to the newest message, a
    // read marker sent after the other side's read event (whose seq is newer than any
    // message) moves nothing and writes no event. Otherwise two open windows would
    // answer each other's read events with new ones for ever.
    let newest_message: i64 = tx.query_row(
        "SELECT COALESCE(MAX(seq), 0) FROM support_messages WHERE conversation_id = ?1",
        params![id],
        |row| row.get(0),
    )?;
    let to = last_read_seq.min(newest_message);
    if to <= current {
        return Ok(());
    }
    tx.execute(
        &format!("UPDATE support_conversations SET {marker} = ?1 WHERE id = ?2"),
        params![to, id],
    )?;
    let seq = append_event(tx, conversation, SupportChangeKind::Read, ctx.now)?;
    announce(tx, ctx, id, seq, SupportChangeKind::Read)
}

fn list(conn: &Connection, user: &User, all: bool) -> rusqlite::Result<ConversationList> {
    let rows: Vec<Conversation> = if all {
        conn.prepare_cached(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM support_conversations ORDER BY updated_at DESC"
        ))?
        .query_map([], conversation_row)?
        .collect::<rusqlite::Result<_>>()?
    } else {
        conn.prepare_cached(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM support_conversations WHERE person_id = ?1 ORDER BY updated_at DESC"
        ))?
        .query_map([&user.id], conversation_row)?
        .collect::<rusqlite::Result<_>>()?
    };
    let mut conversations = vec![];
    for row in &rows {
        let side = side_of(row, user).unwrap_or(Side::Agent);
        conversations.push(summary(conn, row, side)?);
    }
    // Unread first, then the most recently updated (the query's order, kept by a stable sort).
    conversations.sort_by_key(|c| c.unread == 0);
    let unread_total = conversations.iter().map(|c| c.unread).sum();
    Ok(ConversationList {
        conversations,
        unread_total,
        last_seq: log_seq(conn, user)?,
    })
}

impl Accounts {
    /// `GET /api/support/conversations`: the caller's conversations.
    pub async fn support_conversations(
        &self,
        auth: &Authenticated,
    ) -> Result<ConversationList, ApiError> {
        let auth = auth.clone();
        self.read(move |conn, _| {
            let user = caller(conn, &auth)?;
            list(conn, &user, false)
        })
        .await
    }

    /// `GET /api/agent/conversations`: every conversation, for the support team.
    pub async fn agent_conversations(
        &self,
        auth: &Authenticated,
    ) -> Result<ConversationList, ApiError> {
        let auth = auth.clone();
        self.read(move |conn, _| {
            let user = caller(conn, &auth)?;
            if !user.is_agent {
                return Ok(Err(ApiError::new(ErrorCode::NotAgent)));
            }
            list(conn, &user, true).map(Ok)
        })
        .await?
    }

    /// `POST /api/support/conversations`.
    pub async fn open_support_conversation(
        &self,
        auth: &Authenticated,
        req: NewConversation,
    ) -> Result<ConversationDetail, ApiError> {
        if req.topic == SupportTopic::Unknown {
            return Err(ApiError::field(ErrorCode::FieldInvalid, "topic"));
        }
        let subject = validate::label("subject", &req.subject, SUBJECT_MAX_CHARS)?;
        if subject.is_empty() {
            return Err(ApiError::field(ErrorCode::FieldRequired, "subject"));
        }
        let draft = check_draft(req.message)?;
        let topic = req.topic;
        let auth = auth.clone();
        self.write(move |tx, ctx| {
            let user = caller(tx, &auth)?;
            let opening = Opening {
                person: Some(&user),
                person_name: &user.name,
                contact_email: &user.email,
                language: user.language,
                topic,
                subject: &subject,
                reference: None,
                recovery_id: None,
                draft: &draft,
            };
            Ok(match open_conversation(tx, ctx, &opening)? {
                Ok(conversation) => Ok(detail(tx, &conversation, Side::Person, 0)?),
                Err(err) => Err(err),
            })
        })
        .await?
    }

    /// `GET /api/support/conversations/{id}?after=SEQ`.
    pub async fn support_conversation(
        &self,
        auth: &Authenticated,
        id: &str,
        after: i64,
    ) -> Result<ConversationDetail, ApiError> {
        let (auth, id) = (auth.clone(), id.to_owned());
        self.read(move |conn, _| {
            Ok(match reach(conn, &auth, &id)? {
                Ok((_, conversation, side)) => Ok(detail(conn, &conversation, side, after)?),
                Err(err) => Err(err),
            })
        })
        .await?
    }

    /// `POST /api/support/conversations/{id}/messages`.
    pub async fn send_support_message(
        &self,
        auth: &Authenticated,
        id: &str,
        draft: MessageDraft,
    ) -> Result<SupportMessage, ApiError> {
        let draft = check_draft(draft)?;
        let (auth, id) = (auth.clone(), id.to_owned());
        self.write(move |tx, ctx| {
            let (user, _, side) = match reach(tx, &auth, &id)? {
                Ok(found) => found,
                Err(err) => return Ok(Err(err)),
            };
            send_in(tx, ctx, &id, &writer_for(&user, side), &draft)
        })
        .await?
    }

    /// `POST /api/support/conversations/{id}/read`.
    pub async fn mark_support_read(
        &self,
        auth: &Authenticated,
        id: &str,
        last_read_seq: i64,
    ) -> Result<(), ApiError> {
        let (auth, id) = (auth.clone(), id.to_owned());
        self.write(move |tx, ctx| {
            let (_, conversation, side) = match reach(tx, &auth, &id)? {
                Ok(found) => found,
                Err(err) => return Ok(Err(err)),
            };
            mark_read(tx, ctx, &conversation, side, last_read_seq)?;
            Ok(Ok(()))
        })
        .await?
    }

    /// `POST /api/support/conversations/{id}/close`: the person closes, an agent resolves.
    pub async fn close_support_conversation(
        &self,
        auth: &Authenticated,
        id: &str,
    ) -> Result<ConversationSummary, ApiError> {
        let (auth, id) = (auth.clone(), id.to_owned());
        self.write(move |tx, ctx| {
            let (user, conversation, side) = match reach(tx, &auth, &id)? {
                Ok(found) => found,
                Err(err) => return Ok(Err(err)),
            };
            let (status, kind) = match side {
                Side::Person => (ConversationStatus::Closed, MessageKind::Closed),
                Side::Agent => (ConversationStatus::Resolved, MessageKind::Resolved),
            };
            if conversation.status != status {
                set_status(tx, &id, status, Some(ctx.now))?;
                system_message(tx, ctx, &id, kind, &writer_for(&user, side).name)?;
            }
            let conversation =
                self::conversation(tx, &id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            Ok(Ok(summary(tx, &conversation, side)?))
        })
        .await?
    }

    /// `POST /api/support/conversations/{id}/rating`: the person rates a finished conversation.
    pub async fn rate_support_conversation(
        &self,
        auth: &Authenticated,
        id: &str,
        req: RatingRequest,
    ) -> Result<ConversationSummary, ApiError> {
        if !(1..=5).contains(&req.rating) {
            return Err(
                ApiError::with_message(ErrorCode::FieldInvalid, "rating must be 1 to 5.")
                    .with_field("rating"),
            );
        }
        let comment = validate::free_text("comment", &req.comment, RATING_COMMENT_MAX_CHARS)?;
        let (auth, id) = (auth.clone(), id.to_owned());
        self.write(move |tx, ctx| {
            let (_, conversation, side) = match reach(tx, &auth, &id)? {
                Ok(found) => found,
                Err(err) => return Ok(Err(err)),
            };
            let finished = matches!(
                conversation.status,
                ConversationStatus::Resolved | ConversationStatus::Closed
            );
            if side != Side::Person || !finished {
                return Ok(Err(ApiError::new(ErrorCode::RatingNotAllowed)));
            }
            tx.execute(
                "UPDATE support_conversations SET rating = ?1, rating_comment = ?2 WHERE id = ?3",
                params![req.rating, comment, id],
            )?;
            let seq = append_event(tx, &conversation, SupportChangeKind::Status, ctx.now)?;
            announce(tx, ctx, &id, seq, SupportChangeKind::Status)?;
            let conversation =
                self::conversation(tx, &id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            Ok(Ok(summary(tx, &conversation, side)?))
        })
        .await?
    }

    /// `POST /api/support/conversations/{id}/typing`: tells the other side, stores nothing.
    pub async fn support_typing(&self, auth: &Authenticated, id: &str) -> Result<(), ApiError> {
        let (auth2, id2) = (auth.clone(), id.to_owned());
        let (user, conversation, side) = self
            .read(move |conn, _| reach(conn, &auth2, &id2))
            .await??;
        self.tell_typing(&conversation, &writer_for(&user, side))
    }

    /// Tells the other side of `conversation` that `writer` is typing (at most one signal per
    /// [`SUPPORT`]`.typing_min_interval`); stores nothing.
    fn tell_typing(&self, conversation: &Conversation, writer: &Writer) -> Result<(), ApiError> {
        if !self
            .typing
            .admit(&writer.author_id, &conversation.id, self.now())
        {
            return Err(ApiError::retry_after(ErrorCode::MessageRateLimited, 1));
        }
        let event = RealtimeEvent::SupportTyping {
            conversation_id: conversation.id.clone(),
            author: MessageAuthor {
                kind: match writer.side {
                    Side::Person => AuthorKind::Person,
                    Side::Agent => AuthorKind::Agent,
                },
                name: writer.name.clone(),
            },
        };
        let (for_person, for_agents) = match writer.side {
            Side::Person => (None, Some(Box::new(event))),
            Side::Agent => (Some(Box::new(event)), None),
        };
        self.live.publish(vec![Notice::Support {
            person_id: Some(audience(conversation)),
            for_person,
            for_agents,
        }]);
        Ok(())
    }

    /// `GET /api/support/availability`.
    pub fn support_availability(&self) -> SupportAvailability {
        SupportAvailability {
            agents_online: self.live.agents_online(),
            answer_within_days: SUPPORT.answer_within_days,
        }
    }

    /// `POST /api/support/deflections`: a help article answered the question.
    pub async fn record_deflection(&self, req: DeflectionRequest) -> Result<(), ApiError> {
        let article = validate::label("article_id", &req.article_id, ARTICLE_ID_MAX_CHARS)?;
        if article.is_empty() {
            return Err(ApiError::field(ErrorCode::FieldRequired, "article_id"));
        }
        let topic = match req.topic {
            Some(SupportTopic::Unknown) => {
                return Err(ApiError::field(ErrorCode::FieldInvalid, "topic"))
            }
            Some(topic) => topic.as_str(),
            None => "",
        };
        self.write(move |tx, _| {
            tx.execute(
                "INSERT INTO support_deflections (article_id, topic, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (article_id, topic) DO UPDATE SET count = count + 1",
                params![article, topic],
            )
            .map(|_| ())
        })
        .await
    }

    /// `POST /api/support/conversations/{id}/attachments?name=`: stores a PNG, JPEG or PDF
    /// (checked by its bytes) for the caller to attach to a message.
    pub async fn upload_attachment(
        &self,
        auth: &Authenticated,
        id: &str,
        name: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<AttachmentInfo, ApiError> {
        let (file_name, content_type) = checked_file(name, &bytes)?;
        let (auth, id) = (auth.clone(), id.to_owned());
        self.write(move |tx, ctx| {
            let (user, _, _) = match reach(tx, &auth, &id)? {
                Ok(found) => found,
                Err(err) => return Ok(Err(err)),
            };
            let attachment = random::id(ctx.random());
            let size = bytes.len();
            tx.execute(
                "INSERT INTO support_attachments (id, conversation_id, uploader_id, file_name, content_type, size_bytes, bytes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    attachment,
                    id,
                    user.id,
                    file_name,
                    content_type,
                    i64::try_from(size).unwrap_or(i64::MAX),
                    bytes,
                    to_millis(ctx.now)
                ],
            )?;
            Ok(Ok(AttachmentInfo {
                id: attachment,
                file_name,
                content_type: content_type.to_owned(),
                size_bytes: size as u64,
            }))
        })
        .await?
    }

    /// `POST /api/support/attachments?name=`: stores a file like
    /// [`Accounts::upload_attachment`], owned by the caller and bound to no conversation yet,
    /// for the first message of a new one. Refused with `support.uploads_full` when the caller
    /// already has [`UPLOADS_PENDING_MAX`] files or [`UPLOADS_PENDING_MAX_BYTES`] bytes waiting.
    pub async fn upload_pending(
        &self,
        auth: &Authenticated,
        name: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<AttachmentInfo, ApiError> {
        let (file_name, content_type) = checked_file(name, &bytes)?;
        let auth = auth.clone();
        self.write(move |tx, ctx| {
            let user = caller(tx, &auth)?;
            let (count, total): (i64, i64) = tx.query_row(
                "SELECT count(*), coalesce(sum(size_bytes), 0) FROM support_uploads
                 WHERE account_id = ?1 AND created_at >= ?2",
                params![user.id, to_millis(ctx.now - upload_keep())],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            let size = bytes.len();
            let count = usize::try_from(count).unwrap_or(usize::MAX);
            let total = usize::try_from(total).unwrap_or(usize::MAX);
            if count >= UPLOADS_PENDING_MAX
                || total.saturating_add(size) > UPLOADS_PENDING_MAX_BYTES
            {
                return Ok(Err(ApiError::new(ErrorCode::UploadsFull)));
            }
            let upload = random::id(ctx.random());
            tx.execute(
                "INSERT INTO support_uploads (id, account_id, file_name, content_type, size_bytes, bytes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    upload,
                    user.id,
                    file_name,
                    content_type,
                    i64::try_from(size).unwrap_or(i64::MAX),
                    bytes,
                    to_millis(ctx.now)
                ],
            )?;
            Ok(Ok(AttachmentInfo {
                id: upload,
                file_name,
                content_type: content_type.to_owned(),
                size_bytes: size as u64,
            }))
        })
        .await?
    }

    /// `GET /api/support/conversations/{id}/attachments/{attachment_id}`: to the conversation's
    /// participants (an attachment not sent yet: to its uploader only).
    pub async fn attachment(
        &self,
        auth: &Authenticated,
        id: &str,
        attachment_id: &str,
    ) -> Result<AttachmentFile, ApiError> {
        let (auth, id, attachment_id) = (auth.clone(), id.to_owned(), attachment_id.to_owned());
        self.read(move |conn, _| {
            let (user, _, _) = match reach(conn, &auth, &id)? {
                Ok(found) => found,
                Err(err) => return Ok(Err(err)),
            };
            let file = conn
                .query_row(
                    "SELECT file_name, content_type, bytes FROM support_attachments
                     WHERE id = ?1 AND conversation_id = ?2 AND (message_id IS NOT NULL OR uploader_id = ?3)",
                    params![attachment_id, id, user.id],
                    |row| {
                        Ok(AttachmentFile {
                            file_name: row.get(0)?,
                            content_type: row.get(1)?,
                            bytes: row.get(2)?,
                        })
                    },
                )
                .optional()?;
            Ok(file.ok_or_else(|| ApiError::new(ErrorCode::AttachmentNotFound)))
        })
        .await?
    }

    /// Whether `user_id` belongs to the support team.
    pub async fn is_agent(&self, user_id: &str) -> Result<bool, ApiError> {
        let user_id = user_id.to_owned();
        self.read(move |conn, _| Ok(users::by_id(conn, &user_id)?.is_some_and(|u| u.is_agent)))
            .await
    }

    /// What a realtime connection of `user_id` opened with `?after=SEQ` replays.
    pub async fn support_replay(&self, user_id: &str, after: i64) -> Result<Replay, ApiError> {
        let user_id = user_id.to_owned();
        self.read(move |conn, _| {
            let Some(user) = users::by_id(conn, &user_id)? else {
                return Ok(Replay::Events {
                    events: vec![],
                    last_seq: after,
                });
            };
            if after < pruned_seq(conn)? {
                return Ok(Replay::Reload);
            }
            let rows: Vec<(i64, String, String)> = if user.is_agent {
                conn.prepare_cached(
                    "SELECT seq, conversation_id, kind FROM support_events WHERE seq > ?1 ORDER BY seq",
                )?
                .query_map([after], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?
            } else {
                conn.prepare_cached(
                    "SELECT seq, conversation_id, kind FROM support_events
                     WHERE account_id = ?1 AND seq > ?2 ORDER BY seq",
                )?
                .query_map(params![user.id, after], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<_>>()?
            };
            replay_events(conn, rows, after, |row| {
                side_of(row, &user).unwrap_or(Side::Agent)
            })
        })
        .await
    }

    /// What the guest socket of case `conversation_id` opened with `?after=SEQ` replays: the
    /// events of that one case only.
    pub async fn guest_replay(
        &self,
        conversation_id: &str,
        after: i64,
    ) -> Result<Replay, ApiError> {
        let conversation_id = conversation_id.to_owned();
        self.read(move |conn, _| {
            if after < pruned_seq(conn)? {
                return Ok(Replay::Reload);
            }
            let rows: Vec<(i64, String, String)> = conn
                .prepare_cached(
                    "SELECT seq, conversation_id, kind FROM support_events
                     WHERE conversation_id = ?1 AND seq > ?2 ORDER BY seq",
                )?
                .query_map(params![conversation_id, after], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            replay_events(conn, rows, after, |_| Side::Person)
        })
        .await
    }
}

/// The replayed frames of the log rows `(seq, conversation id, kind)` after `after`, each
/// conversation as `side_for` it sees it.
fn replay_events(
    conn: &Connection,
    rows: Vec<(i64, String, String)>,
    after: i64,
    side_for: impl Fn(&Conversation) -> Side,
) -> rusqlite::Result<Replay> {
    let mut summaries: HashMap<String, ConversationSummary> = HashMap::new();
    let mut events = vec![];
    let mut last_seq = after;
    for (seq, conversation_id, kind) in rows {
        let kind = SupportChangeKind::from_wire(&kind);
        if !summaries.contains_key(&conversation_id) {
            let Some(row) = conversation(conn, &conversation_id)? else {
                continue;
            };
            summaries.insert(
                conversation_id.clone(),
                summary(conn, &row, side_for(&row))?,
            );
        }
        let message = if kind == SupportChangeKind::Message {
            message_by_seq(conn, seq)?
        } else {
            None
        };
        events.push(RealtimeEvent::Support {
            event: Box::new(SupportEvent {
                seq,
                conversation_id: conversation_id.clone(),
                kind,
                message,
                conversation: summaries[&conversation_id].clone(),
            }),
        });
        last_seq = seq;
    }
    Ok(Replay::Events { events, last_seq })
}

/// Prefix of a guest token.
pub const GUEST_TOKEN_PREFIX: &str = "xwms_gt_";

/// A random version-4 UUID (the client id of a message the server writes for a guest case).
fn uuid(random: &dyn crate::random::Random) -> String {
    uuid::Builder::from_random_bytes(random::bytes::<16>(random))
        .into_uuid()
        .to_string()
}

fn code_hash(conversation_id: &str, code: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(
        format!("{conversation_id}:{code}").as_bytes(),
    ))
}

/// The subject of a guest case, in the request's language.
fn recovery_subject(language: Language) -> &'static str {
    match language {
        Language::En => "Account recovery",
        Language::Nl => "Accountherstel",
        Language::Fr => "Récupération de compte",
    }
}

/// The first message of a guest case whose request gave no details.
fn recovery_without_details(language: Language) -> &'static str {
    match language {
        Language::En => "I cannot sign in and ask for my account to be recovered.",
        Language::Nl => "Ik kan niet inloggen en vraag om herstel van mijn account.",
        Language::Fr => "Je ne peux pas me connecter et je demande la récupération de mon compte.",
    }
}

/// Opens the guest case of a recovery request just filed (in its transaction).
#[allow(clippy::too_many_arguments)]
pub(crate) fn open_guest_case(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    recovery_id: i64,
    reference: &str,
    name: &str,
    contact_email: &str,
    language: Language,
    details: &str,
) -> rusqlite::Result<Result<Conversation, ApiError>> {
    let body = if details.is_empty() {
        recovery_without_details(language)
    } else {
        details
    };
    let draft = Draft {
        client_msg_id: uuid(ctx.random()),
        body: body.chars().take(MESSAGE_MAX_CHARS).collect(),
        attachment_ids: vec![],
    };
    open_conversation(
        tx,
        ctx,
        &Opening {
            person: None,
            person_name: name,
            contact_email,
            language,
            topic: SupportTopic::AccountRecovery,
            subject: recovery_subject(language),
            reference: Some(reference),
            recovery_id: Some(recovery_id),
            draft: &draft,
        },
    )
}

/// The guest case a guest token opens; `auth.unauthorized` for an unknown token,
/// `support.guest_expired` for an expired one.
fn guest_case(
    conn: &Connection,
    token: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<Result<Conversation, ApiError>> {
    let found: Option<(String, i64)> = conn
        .query_row(
            "SELECT conversation_id, expires_at FROM support_guest_tokens WHERE token_hash = ?1",
            [super::sessions::token_hash(token)],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let Some((id, expires_at)) = found else {
        return Ok(Err(ApiError::new(ErrorCode::Unauthorized)));
    };
    if from_millis(expires_at) <= now {
        return Ok(Err(ApiError::new(ErrorCode::GuestAccessExpired)));
    }
    Ok(conversation(conn, &id)?.ok_or_else(|| ApiError::new(ErrorCode::Unauthorized)))
}

impl Accounts {
    /// `POST /api/support/guest/code`: mails a code to the contact address of the guest case
    /// with this reference, if there is one; the answer is the same either way.
    pub async fn guest_code(
        &self,
        reference: &str,
        client: &super::ClientMeta,
    ) -> Result<(), ApiError> {
        // One line, as the document states it (`routes::rules`).
        let reference =
            validate::label("reference", reference, REFERENCE_MAX_CHARS)?.to_ascii_uppercase();
        let limit_key = client.limit_key();
        self.write(move |tx, ctx| {
            for (scope, key) in [
                (Scope::GuestCodePerAddress, limit_key.as_str()),
                (Scope::GuestCodePerReference, reference.as_str()),
            ] {
                if let Some(wait) = limits::wait(tx, scope, key, ctx.now)? {
                    return Ok(Err(ApiError::retry_after(ErrorCode::RateLimited, wait)));
                }
            }
            let _ = limits::take(tx, Scope::GuestCodePerAddress, &limit_key, ctx.now)?;
            let _ = limits::take(tx, Scope::GuestCodePerReference, &reference, ctx.now)?;
            let case: Option<(String, String, String, String)> = tx
                .query_row(
                    "SELECT id, contact_email, person_name, language FROM support_conversations
                     WHERE reference = ?1 AND guest = 1",
                    [&reference],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()?;
            let Some((id, contact, name, language)) = case else {
                return Ok(Ok(()));
            };
            let code = random::six_digit_code(ctx.random());
            let minutes = xwms_api::support::GUEST_CODE_MINUTES;
            tx.execute(
                "INSERT INTO support_guest_codes (conversation_id, code_hash, expires_at, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    id,
                    code_hash(&id, &code),
                    to_millis(ctx.now + Duration::minutes(i64::from(minutes))),
                    to_millis(ctx.now)
                ],
            )?;
            let facts = crate::mail::MailFacts {
                name,
                code: Some(code),
                minutes,
                reference: reference.clone(),
                ..crate::mail::MailFacts::default()
            };
            let language = Language::parse(&language).unwrap_or_default();
            ctx.mail(tx, crate::mail::MailKind::SupportGuestCode, &contact, language, &facts)?;
            Ok(Ok(()))
        })
        .await?
    }

    /// `POST /api/support/guest/access`: the reference and the newest mailed code open the case.
    pub async fn guest_access(
        &self,
        reference: &str,
        code: &str,
    ) -> Result<xwms_api::support::GuestAccess, ApiError> {
        let reference = reference.trim().to_ascii_uppercase();
        let code = code.trim().to_owned();
        self.write(move |tx, ctx| {
            let incorrect = || Ok(Err(ApiError::field(ErrorCode::CodeIncorrect, "code")));
            let id: Option<String> = tx
                .query_row(
                    "SELECT id FROM support_conversations WHERE reference = ?1 AND guest = 1",
                    [&reference],
                    |row| row.get(0),
                )
                .optional()?;
            let Some(id) = id else {
                return incorrect();
            };
            let newest: Option<(i64, String, u32)> = tx
                .query_row(
                    "SELECT id, code_hash, tries FROM support_guest_codes
                     WHERE conversation_id = ?1 AND used = 0 AND expires_at > ?2
                     ORDER BY created_at DESC, id DESC LIMIT 1",
                    params![id, to_millis(ctx.now)],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()?;
            let Some((code_id, hash, tries)) = newest else {
                return incorrect();
            };
            if tries >= SUPPORT.guest_code_max_tries {
                return Ok(Err(ApiError::new(ErrorCode::CodeTooManyAttempts)));
            }
            let right: bool = subtle::ConstantTimeEq::ct_eq(
                code_hash(&id, &code).as_bytes(),
                hash.as_bytes(),
            )
            .into();
            if !right {
                tx.execute(
                    "UPDATE support_guest_codes SET tries = tries + 1 WHERE id = ?1",
                    [code_id],
                )?;
                return incorrect();
            }
            tx.execute(
                "UPDATE support_guest_codes SET used = 1 WHERE id = ?1",
                [code_id],
            )?;
            let token = random::token(ctx.random(), GUEST_TOKEN_PREFIX);
            let expires_at = ctx.now + SUPPORT.guest_token_lifetime;
            tx.execute(
                "INSERT INTO support_guest_tokens (token_hash, conversation_id, expires_at) VALUES (?1, ?2, ?3)",
                params![super::sessions::token_hash(&token), id, to_millis(expires_at)],
            )?;
            let case = conversation(tx, &id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            Ok(Ok(xwms_api::support::GuestAccess {
                token: xwms_api::Secret::new(token),
                expires_at: rfc3339(expires_at),
                conversation: detail(tx, &case, Side::Person, 0)?,
            }))
        })
        .await?
    }

    /// `GET /api/support/guest/conversation?after=SEQ` with a guest token.
    pub async fn guest_conversation(
        &self,
        token: &str,
        after: i64,
    ) -> Result<ConversationDetail, ApiError> {
        let token = token.to_owned();
        self.read(move |conn, now| {
            Ok(match guest_case(conn, &token, now)? {
                Ok(case) => Ok(detail(conn, &case, Side::Person, after)?),
                Err(err) => Err(err),
            })
        })
        .await?
    }

    /// `POST /api/support/guest/conversation/messages` with a guest token.
    pub async fn guest_message(
        &self,
        token: &str,
        draft: MessageDraft,
    ) -> Result<SupportMessage, ApiError> {
        let draft = check_draft(draft)?;
        let token = token.to_owned();
        self.write(move |tx, ctx| {
            let case = match guest_case(tx, &token, ctx.now)? {
                Ok(case) => case,
                Err(err) => return Ok(Err(err)),
            };
            let name: String = tx.query_row(
                "SELECT person_name FROM support_conversations WHERE id = ?1",
                [&case.id],
                |row| row.get(0),
            )?;
            let writer = Writer {
                author_id: guest_author(&case.id),
                side: Side::Person,
                name,
            };
            send_in(tx, ctx, &case.id, &writer, &draft)
        })
        .await?
    }

    /// `POST /api/support/guest/conversation/read` with a guest token: the same rule as a
    /// signed-in person's read marker.
    pub async fn guest_read(&self, token: &str, last_read_seq: i64) -> Result<(), ApiError> {
        let token = token.to_owned();
        self.write(move |tx, ctx| {
            let case = match guest_case(tx, &token, ctx.now)? {
                Ok(case) => case,
                Err(err) => return Ok(Err(err)),
            };
            mark_read(tx, ctx, &case, Side::Person, last_read_seq)?;
            Ok(Ok(()))
        })
        .await?
    }

    /// `POST /api/support/guest/conversation/typing` with a guest token: the agents hear it.
    pub async fn guest_typing(&self, token: &str) -> Result<(), ApiError> {
        let token = token.to_owned();
        let (case, name) = self
            .read(move |conn, now| {
                Ok(match guest_case(conn, &token, now)? {
                    Ok(case) => {
                        let name: String = conn.query_row(
                            "SELECT person_name FROM support_conversations WHERE id = ?1",
                            [&case.id],
                            |row| row.get(0),
                        )?;
                        Ok((case, name))
                    }
                    Err(err) => Err(err),
                })
            })
            .await??;
        let writer = Writer {
            author_id: guest_author(&case.id),
            side: Side::Person,
            name,
        };
        self.tell_typing(&case, &writer)
    }

    /// The case a guest token opens now (for its realtime socket): its conversation id, or
    /// `auth.unauthorized` / `support.guest_expired` as on the other guest routes.
    pub async fn guest_case_id(&self, token: &str) -> Result<String, ApiError> {
        let token = token.to_owned();
        self.read(move |conn, now| Ok(guest_case(conn, &token, now)?.map(|case| case.id)))
            .await?
    }
}

/// How often the server looks for replies to mail ([`Accounts::mail_unseen_replies`]).
pub const UNSEEN_MAIL_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

impl Accounts {
    /// Mails each person whose conversation has an agent reply they have not seen within
    /// [`xwms_api::support::MAIL_UNSEEN_AFTER_MINUTES`]: once per burst (nothing more until they
    /// have read up to what was mailed), with a link to the conversation in the app and, except
    /// for security topics, a short preview. Returns how many mails were queued.
    pub async fn mail_unseen_replies(&self) -> Result<usize, ApiError> {
        self.write(|tx, ctx| {
            let cutoff = ctx.now
                - Duration::minutes(i64::from(xwms_api::support::MAIL_UNSEEN_AFTER_MINUTES));
            let due: Vec<String> = tx
                .prepare(
                    "SELECT c.id FROM support_conversations c
                     WHERE c.mailed_seq <= c.person_read_seq AND EXISTS (
                         SELECT 1 FROM support_messages m WHERE m.conversation_id = c.id
                             AND m.author_kind = 'agent' AND m.seq > c.person_read_seq
                             AND m.created_at <= ?1)",
                )?
                .query_map([to_millis(cutoff)], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut mailed = 0;
            for id in due {
                let Some(case) = conversation(tx, &id)? else {
                    continue;
                };
                let (newest, body): (i64, String) = tx.query_row(
                    "SELECT seq, body FROM support_messages WHERE conversation_id = ?1
                         AND author_kind = 'agent' ORDER BY seq DESC LIMIT 1",
                    [&id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )?;
                tx.execute(
                    "UPDATE support_conversations SET mailed_seq = ?1 WHERE id = ?2",
                    params![newest, id],
                )?;
                let (to, name, language) = match &case.person_id {
                    Some(person) => match users::by_id(tx, person)? {
                        Some(user) => (user.email, user.name, user.language),
                        None => continue,
                    },
                    None => tx.query_row(
                        "SELECT contact_email, person_name FROM support_conversations WHERE id = ?1",
                        [&id],
                        |row| Ok((row.get(0)?, row.get(1)?, case.language)),
                    )?,
                };
                let preview = if case.topic.is_security_sensitive() {
                    String::new()
                } else {
                    let mut preview: String =
                        body.chars().take(SUPPORT.mail_preview_chars).collect();
                    if body.chars().count() > SUPPORT.mail_preview_chars {
                        preview.push('…');
                    }
                    preview
                };
                let facts = crate::mail::MailFacts {
                    name,
                    reference: case.reference.clone(),
                    link: format!("xwms://support/{id}"),
                    preview,
                    ..crate::mail::MailFacts::default()
                };
                ctx.mail(tx, crate::mail::MailKind::SupportReply, &to, language, &facts)?;
                mailed += 1;
            }
            Ok(mailed)
        })
        .await
    }
}

/// One message of a demo conversation ([`seed_case`]): who (`None`: the service), what, when.
pub(crate) struct SeedMessage {
    pub side: Option<Side>,
    pub kind: MessageKind,
    pub body: &'static str,
    pub ago: Duration,
}

/// A conversation as it would be after these messages (for the demo: `crate::demo`), with its
/// events in the log. `unread_from_agent`: the person has not read the last agent message.
#[allow(clippy::too_many_arguments)]
pub(crate) fn seed_case(
    tx: &Transaction<'_>,
    random: &dyn crate::random::Random,
    now: OffsetDateTime,
    person: &User,
    agent: &User,
    topic: SupportTopic,
    subject: &str,
    status: ConversationStatus,
    messages: &[SeedMessage],
    unread_from_agent: bool,
    rating: Option<u8>,
) -> rusqlite::Result<String> {
    let id = random::id(random);
    let reference = random::reference(random, REFERENCE_PREFIX);
    let start = messages.first().map_or(now, |m| now - m.ago);
    tx.execute(
        "INSERT INTO support_conversations (id, reference, person_id, person_name, contact_email, topic, subject, status, language, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'new', ?8, ?9, ?9)",
        params![
            id,
            reference,
            person.id,
            person.name,
            person.email,
            topic.as_str(),
            subject,
            person.language.as_str(),
            to_millis(start)
        ],
    )?;
    let agent_writer = writer_for(agent, Side::Agent);
    let (mut last_seq, mut last_agent_seq, mut before_last_agent) = (0, 0, 0);
    for message in messages {
        let at = now - message.ago;
        tx.execute(
            "INSERT INTO support_events (account_id, conversation_id, kind, created_at) VALUES (?1, ?2, 'message', ?3)",
            params![person.id, id, to_millis(at)],
        )?;
        let seq = tx.last_insert_rowid();
        let (author_id, author_kind, name, client_id) = match message.side {
            Some(Side::Person) => (
                person.id.clone(),
                AuthorKind::Person,
                person.name.clone(),
                Some(uuid(random)),
            ),
            Some(Side::Agent) => (
                agent.id.clone(),
                AuthorKind::Agent,
                agent_writer.name.clone(),
                Some(uuid(random)),
            ),
            None => (
                "system".to_owned(),
                AuthorKind::System,
                agent_writer.name.clone(),
                None,
            ),
        };
        tx.execute(
            "INSERT INTO support_messages (id, conversation_id, seq, author_id, author_kind, author_name, client_msg_id, kind, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                random::id(random),
                id,
                seq,
                author_id,
                author_kind.as_str(),
                name,
                client_id,
                message.kind.as_str(),
                message.body,
                to_millis(at)
            ],
        )?;
        if message.side == Some(Side::Agent) {
            before_last_agent = last_seq;
            last_agent_seq = seq;
        }
        last_seq = seq;
    }
    let person_read = if unread_from_agent && last_agent_seq > 0 {
        before_last_agent
    } else {
        last_seq
    };
    let ended = matches!(
        status,
        ConversationStatus::Resolved | ConversationStatus::Closed
    );
    let updated = messages.last().map_or(now, |m| now - m.ago);
    tx.execute(
        "UPDATE support_conversations SET status = ?1, agent_name = ?2, person_read_seq = ?3,
             agent_read_seq = ?4, last_seq = ?4, mailed_seq = ?4, closed_at = ?5, updated_at = ?6, rating = ?7
         WHERE id = ?8",
        params![
            status.as_str(),
            (last_agent_seq > 0).then(|| agent_writer.name.clone()),
            person_read,
            last_seq,
            ended.then(|| to_millis(updated)),
            to_millis(updated),
            rating,
            id
        ],
    )?;
    Ok(id)
}
