//! Agent mode, the queue side (the contract is `xwms_api::agent`): who is on the support team,
//! the queue and its counts, told live to every agent.

use std::collections::HashMap;

use rusqlite::{params, Connection};
use rusqlite::{OptionalExtension, Transaction};
use time::OffsetDateTime;
use xwms_api::agent::{
    AgentQueue, Assignment, InternalNote, NoteDraft, NoteList, PresenceKind, QueueCounts, QueueRow,
    QueueView, Requester, SavedReply, SavedReplyDraft, SavedReplyList, TeamMember,
    MIN_WAIT_MAX_SECONDS, SAVED_REPLY_TITLE_MAX_CHARS, VIEWING_EXPIRES_SECONDS,
};
use xwms_api::security::RealtimeEvent;
use xwms_api::support::MESSAGE_MAX_CHARS;
use xwms_api::support::{ConversationStatus, SupportTopic};
use xwms_api::{ErrorCode, Language};

use super::live_sessions::Notice;
use super::support;
use super::users;
use super::validate;
use super::{Accounts, Authenticated, Ctx};
use crate::clock::{from_millis, rfc3339, to_millis};
use crate::error::ApiError;
use crate::random;

/// A signed-in member of the support team (role `agent` or `admin`), checked at this request.
#[derive(Debug, Clone)]
pub struct TeamCaller {
    pub auth: Authenticated,
    pub id: String,
    /// The full name.
    pub name: String,
}

/// What `GET /api/agent/queue` filters on (checked).
#[derive(Debug, Clone)]
pub struct QueueFilter {
    pub view: QueueView,
    pub topic: Option<SupportTopic>,
    pub language: Option<Language>,
    pub min_wait_seconds: u32,
}

impl QueueFilter {
    /// The filter of the raw query parameters; `field.invalid` names the first bad one.
    pub fn parse(
        view: Option<&str>,
        topic: Option<&str>,
        language: Option<&str>,
        min_wait: Option<&str>,
    ) -> Result<QueueFilter, ApiError> {
        let invalid = |field: &str| ApiError::field(ErrorCode::FieldInvalid, field);
        let view = match view {
            None => QueueView::Unassigned,
            Some(raw) => match QueueView::from_wire(raw) {
                QueueView::Unknown => return Err(invalid("view")),
                view => view,
            },
        };
        let topic = match topic {
            None => None,
            Some(raw) => match SupportTopic::from_wire(raw) {
                SupportTopic::Unknown => return Err(invalid("topic")),
                topic => Some(topic),
            },
        };
        let language = match language {
            None => None,
            Some(raw) => Some(Language::parse(raw).ok_or_else(|| invalid("language"))?),
        };
        let min_wait_seconds = match min_wait {
            None => 0,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|s| *s <= MIN_WAIT_MAX_SECONDS)
                .ok_or_else(|| invalid("min_wait"))?,
        };
        Ok(QueueFilter {
            view,
            topic,
            language,
            min_wait_seconds,
        })
    }
}

/// SQL: the conversation `c` is not over.
const ACTIVE: &str = "c.status NOT IN ('resolved', 'closed')";

/// SQL condition of a view (`?1` is the caller's id).
fn view_condition(view: QueueView) -> &'static str {
    match view {
        QueueView::Unassigned => "c.status NOT IN ('resolved', 'closed') AND c.assignee_id IS NULL",
        QueueView::Mine => "c.status NOT IN ('resolved', 'closed') AND c.assignee_id = ?1",
        QueueView::Open => "c.status IN ('new', 'open')",
        QueueView::Waiting => "c.status = 'waiting_for_you'",
        QueueView::Resolved | QueueView::Unknown => "c.status IN ('resolved', 'closed')",
    }
}

/// SQL: since when the side whose turn it is has not answered (milliseconds). Waiting for the
/// team: the person's first message after the team's last one; waiting for the person: the
/// team's last message; over: when it ended.
const WAITING_SINCE: &str = "CASE
    WHEN c.status IN ('new', 'open') THEN COALESCE(
        (SELECT min(m.created_at) FROM support_messages m
         WHERE m.conversation_id = c.id AND m.author_kind = 'person'
           AND m.seq > COALESCE((SELECT max(t.seq) FROM support_messages t
                                 WHERE t.conversation_id = c.id AND t.author_kind = 'agent'), 0)),
        c.created_at)
    WHEN c.status = 'waiting_for_you' THEN COALESCE(
        (SELECT max(m.created_at) FROM support_messages m
         WHERE m.conversation_id = c.id AND m.author_kind = 'agent'),
        c.updated_at)
    ELSE COALESCE(c.closed_at, c.updated_at)
END";

/// The counts of every view, `mine` for `agent_id`.
pub(crate) fn counts(conn: &Connection, agent_id: &str) -> rusqlite::Result<QueueCounts> {
    conn.prepare_cached(&format!(
        "SELECT
           COALESCE(sum({ACTIVE} AND c.assignee_id IS NULL), 0),
           COALESCE(sum({ACTIVE} AND c.assignee_id = ?1), 0),
           COALESCE(sum(c.status IN ('new', 'open')), 0),
           COALESCE(sum(c.status = 'waiting_for_you'), 0),
           COALESCE(sum(c.status IN ('resolved', 'closed')), 0)
         FROM support_conversations c"
    ))?
    .query_row([agent_id], |row| {
        Ok(QueueCounts {
            unassigned: row.get(0)?,
            mine: row.get(1)?,
            open: row.get(2)?,
            waiting: row.get(3)?,
            resolved: row.get(4)?,
        })
    })
}

/// What every agent's realtime channel hears after a change to the queue: the shared counts
/// and each agent's own `mine`.
pub(crate) fn queue_notice(conn: &Connection) -> rusqlite::Result<Notice> {
    let shared = counts(conn, "")?;
    let mine: HashMap<String, u32> = conn
        .prepare_cached(&format!(
            "SELECT c.assignee_id, count(*) FROM support_conversations c
             WHERE {ACTIVE} AND c.assignee_id IS NOT NULL GROUP BY c.assignee_id"
        ))?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Notice::AgentQueue {
        counts: QueueCounts { mine: 0, ..shared },
        mine,
    })
}

/// The queue of `agent_id` at `now`.
pub(crate) fn queue(
    conn: &Connection,
    agent_id: &str,
    filter: &QueueFilter,
    now: OffsetDateTime,
) -> rusqlite::Result<AgentQueue> {
    let sql = format!(
        "SELECT * FROM (
           SELECT c.id, c.reference, c.topic, c.subject, c.person_name, c.language, c.guest,
                  c.status, c.assignee_id, a.name, c.last_seq,
                  (SELECT count(*) FROM support_messages m WHERE m.conversation_id = c.id
                     AND m.seq > c.agent_read_seq AND m.author_kind = 'person') AS unread,
                  {WAITING_SINCE} AS waiting_since
           FROM support_conversations c LEFT JOIN users a ON a.id = c.assignee_id
           WHERE {} AND (?2 IS NULL OR c.topic = ?2) AND (?3 IS NULL OR c.language = ?3)
         ) WHERE waiting_since <= ?4
         ORDER BY waiting_since, id",
        view_condition(filter.view)
    );
    let latest = to_millis(now) - i64::from(filter.min_wait_seconds) * 1000;
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(
            params![
                agent_id,
                filter.topic.map(|t| t.as_str()),
                filter.language.map(|l| l.as_str()),
                latest
            ],
            |row| {
                let language: String = row.get(5)?;
                let assignee: Option<String> = row.get(8)?;
                let assignee_name: Option<String> = row.get(9)?;
                let since = from_millis(row.get(12)?);
                Ok(QueueRow {
                    id: row.get(0)?,
                    reference: row.get(1)?,
                    topic: SupportTopic::from_wire(&row.get::<_, String>(2)?),
                    subject: row.get(3)?,
                    requester: Requester {
                        name: row.get(4)?,
                        language: Language::parse(&language).unwrap_or_default(),
                        guest: row.get(6)?,
                    },
                    status: ConversationStatus::from_wire(&row.get::<_, String>(7)?),
                    assignee: assignee.map(|id| TeamMember {
                        id,
                        name: assignee_name.unwrap_or_default(),
                    }),
                    waiting_since: rfc3339(since),
                    waiting_seconds: u32::try_from((now - since).whole_seconds().max(0))
                        .unwrap_or(u32::MAX),
                    unread_for_agent: row.get(11)?,
                    last_seq: row.get(10)?,
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // Security reports first, each group longest waiting first (a stable sort keeps the SQL's
    // order within a group).
    let mut rows = rows;
    rows.sort_by_key(|row| !xwms_api::agent_actions::is_high_priority(row.topic));
    Ok(AgentQueue {
        view: filter.view,
        rows,
        counts: counts(conn, agent_id)?,
    })
}

impl Accounts {
    /// The caller as a member of the support team; `support.not_agent` for anyone else. The
    /// role is read at every request, so a changed role counts at once.
    pub async fn team_caller(&self, auth: Authenticated) -> Result<TeamCaller, ApiError> {
        self.read(move |conn, _| {
            Ok(
                super::agent_actions::agent_of(conn, &auth)?.map(|agent| TeamCaller {
                    auth,
                    id: agent.id,
                    name: agent.name,
                }),
            )
        })
        .await?
    }

    /// `GET /api/agent/queue`.
    pub async fn agent_queue(
        &self,
        agent: &TeamCaller,
        filter: QueueFilter,
    ) -> Result<AgentQueue, ApiError> {
        let agent_id = agent.id.clone();
        self.read(move |conn, now| queue(conn, &agent_id, &filter, now))
            .await
    }
}

/// The member of the support team with the account `id`, if it is one.
fn team_member(conn: &Connection, id: &str) -> rusqlite::Result<Option<users::User>> {
    Ok(users::by_id(conn, id)?.filter(|user| user.is_agent))
}

/// Who holds the conversation `id` now, if anyone.
fn holder(conn: &Connection, id: &str) -> rusqlite::Result<Option<TeamMember>> {
    conn.query_row(
        "SELECT u.id, u.name FROM support_conversations c JOIN users u ON u.id = c.assignee_id
         WHERE c.id = ?1",
        [id],
        |row| {
            Ok(TeamMember {
                id: row.get(0)?,
                name: row.get(1)?,
            })
        },
    )
    .optional()
}

/// `assignee` now holds `conversation`: they join it if no agent did yet, and every agent
/// hears the new counts.
fn taken(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    conversation: &support::Conversation,
    assignee: &users::User,
) -> rusqlite::Result<Assignment> {
    support::agent_joins(tx, ctx, conversation, &support::agent_signature(assignee))?;
    ctx.notify(queue_notice(tx)?);
    Ok(Assignment {
        conversation_id: conversation.id.clone(),
        assignee: TeamMember {
            id: assignee.id.clone(),
            name: assignee.name.clone(),
        },
    })
}

impl Accounts {
    /// `POST /api/agent/conversations/{id}/claim`: one conditional UPDATE decides, so of any
    /// number of claims at once exactly one wins; the others get `Err` with who holds it
    /// (`agent.already_claimed`).
    pub async fn claim_conversation(
        &self,
        agent: &TeamCaller,
        id: String,
    ) -> Result<Result<Assignment, TeamMember>, ApiError> {
        let agent_id = agent.id.clone();
        self.write(move |tx, ctx| {
            let Some(me) = team_member(tx, &agent_id)? else {
                return Ok(Err(ApiError::new(ErrorCode::NotAgent)));
            };
            let Some(conversation) = support::conversation(tx, &id)? else {
                return Ok(Err(ApiError::new(ErrorCode::ConversationNotFound)));
            };
            let won = tx.execute(
                "UPDATE support_conversations SET assignee_id = ?1
                 WHERE id = ?2 AND assignee_id IS NULL",
                params![agent_id, id],
            )? == 1;
            if !won {
                let holder = holder(tx, &id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
                return Ok(Ok(Err(holder)));
            }
            taken(tx, ctx, &conversation, &me).map(|taken| Ok(Ok(taken)))
        })
        .await?
    }

    /// `POST /api/agent/conversations/{id}/assign`: hands the conversation to `agent_id`, who
    /// must be on the support team (`field.invalid` otherwise); checked in the same UPDATE.
    pub async fn assign_conversation(
        &self,
        _agent: &TeamCaller,
        id: String,
        agent_id: String,
    ) -> Result<Assignment, ApiError> {
        self.write(move |tx, ctx| {
            let Some(conversation) = support::conversation(tx, &id)? else {
                return Ok(Err(ApiError::new(ErrorCode::ConversationNotFound)));
            };
            let assigned = tx.execute(
                "UPDATE support_conversations SET assignee_id = ?1
                 WHERE id = ?2 AND EXISTS (SELECT 1 FROM users
                     WHERE id = ?1 AND role IN ('agent', 'admin'))",
                params![agent_id, id],
            )? == 1;
            let assignee = match team_member(tx, &agent_id)? {
                Some(user) if assigned => user,
                _ => return Ok(Err(ApiError::field(ErrorCode::FieldInvalid, "agent_id"))),
            };
            taken(tx, ctx, &conversation, &assignee).map(Ok)
        })
        .await?
    }
}

const NOTE_COLUMNS: &str =
    "id, conversation_id, client_msg_id, author_id, author_name, body, created_at";

fn note_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<InternalNote> {
    Ok(InternalNote {
        id: row.get(0)?,
        conversation_id: row.get(1)?,
        client_msg_id: row.get(2)?,
        author: TeamMember {
            id: row.get(3)?,
            name: row.get(4)?,
        },
        body: row.get(5)?,
        created_at: rfc3339(from_millis(row.get(6)?)),
    })
}

/// A checked note: its client id and body.
fn check_note(draft: NoteDraft) -> Result<(String, String), ApiError> {
    let client_msg_id = support::client_msg_id(&draft.client_msg_id)?;
    if draft.body.chars().count() > MESSAGE_MAX_CHARS {
        return Err(ApiError::field(ErrorCode::MessageTooLong, "body"));
    }
    let body = validate::free_text("body", &draft.body, MESSAGE_MAX_CHARS)?;
    if body.is_empty() {
        return Err(ApiError::field(ErrorCode::MessageEmpty, "body"));
    }
    Ok((client_msg_id, body))
}

impl Accounts {
    /// `POST /api/agent/conversations/{id}/notes`: exactly once per (author, client id), like
    /// messages. The note goes to agents' connections only; it is stored apart from the
    /// messages and the event log.
    pub async fn add_note(
        &self,
        agent: &TeamCaller,
        id: String,
        draft: NoteDraft,
    ) -> Result<InternalNote, ApiError> {
        let (client_msg_id, body) = check_note(draft)?;
        let (agent_id, agent_name) = (agent.id.clone(), agent.name.clone());
        self.write(move |tx, ctx| {
            let Some(conversation) = support::conversation(tx, &id)? else {
                return Ok(Err(ApiError::new(ErrorCode::ConversationNotFound)));
            };
            let note_id = random::id(ctx.random());
            let inserted = tx.execute(
                &format!(
                    "INSERT INTO support_notes ({NOTE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (author_id, client_msg_id) DO NOTHING"
                ),
                params![
                    note_id,
                    id,
                    client_msg_id,
                    agent_id,
                    agent_name,
                    body,
                    to_millis(ctx.now)
                ],
            )? == 1;
            let note = tx.query_row(
                &format!(
                    "SELECT {NOTE_COLUMNS} FROM support_notes
                     WHERE author_id = ?1 AND client_msg_id = ?2"
                ),
                params![agent_id, client_msg_id],
                note_row,
            )?;
            if inserted {
                ctx.notify(Notice::AgentsOnly {
                    except: conversation.person_id.clone().into_iter().collect(),
                    event: Box::new(RealtimeEvent::AgentNote { note: note.clone() }),
                });
            }
            Ok(Ok(note))
        })
        .await?
    }

    /// `GET /api/agent/conversations/{id}/notes`: oldest first.
    pub async fn notes(&self, _agent: &TeamCaller, id: String) -> Result<NoteList, ApiError> {
        self.read(move |conn, _| {
            if support::conversation(conn, &id)?.is_none() {
                return Ok(Err(ApiError::new(ErrorCode::ConversationNotFound)));
            }
            let notes = conn
                .prepare_cached(&format!(
                    "SELECT {NOTE_COLUMNS} FROM support_notes WHERE conversation_id = ?1
                     ORDER BY created_at, rowid"
                ))?
                .query_map([&id], note_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(Ok(NoteList { notes }))
        })
        .await?
    }
}

impl Accounts {
    /// `POST /api/agent/conversations/{id}/viewing` and `.../typing`: tells the other agents'
    /// connections (never the person's, never stored).
    pub async fn agent_presence(
        &self,
        agent: &TeamCaller,
        id: String,
        kind: PresenceKind,
    ) -> Result<(), ApiError> {
        let agent = agent.clone();
        let expires_in_seconds = match kind {
            PresenceKind::Typing => xwms_api::support::TYPING_EXPIRES_SECONDS,
            PresenceKind::Viewing | PresenceKind::Unknown => VIEWING_EXPIRES_SECONDS,
        };
        let person = self
            .read(move |conn, _| Ok(support::conversation(conn, &id)?.map(|c| (c.id, c.person_id))))
            .await?;
        let Some((conversation_id, person_id)) = person else {
            return Err(ApiError::new(ErrorCode::ConversationNotFound));
        };
        let mut except = vec![agent.id.clone()];
        except.extend(person_id);
        self.live().publish(vec![Notice::AgentsOnly {
            except,
            event: Box::new(RealtimeEvent::AgentPresence {
                conversation_id,
                agent: TeamMember {
                    id: agent.id,
                    name: agent.name,
                },
                kind,
                expires_in_seconds,
            }),
        }]);
        Ok(())
    }
}

impl Accounts {
    /// The language conversation `id` is held in (`support.not_found` when there is none).
    pub async fn conversation_language(&self, id: String) -> Result<Language, ApiError> {
        self.read(move |conn, _| {
            Ok(support::conversation(conn, &id)?
                .map(|c| c.language)
                .ok_or_else(|| ApiError::new(ErrorCode::ConversationNotFound)))
        })
        .await?
    }
}

/// The first paragraph of an answer as plain text, at most `SHORT_ANSWER_MAX_CHARS` (cut at a
/// word, with an ellipsis).
pub fn short_answer(body: &str) -> String {
    let plain = xwms_help::markup::plain(body);
    let first = plain
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty())
        .unwrap_or_default();
    let max = xwms_api::agent::SHORT_ANSWER_MAX_CHARS;
    if first.chars().count() <= max {
        return first.to_owned();
    }
    let cut: String = first.chars().take(max - 1).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(at) if at > 0 => cut[..at].trim_end().to_owned(),
        _ => cut,
    };
    format!("{cut}…")
}

const SAVED_REPLY_COLUMNS: &str = "id, language, title, body, author_id, author_name, created_at";

fn saved_reply_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SavedReply> {
    let language: String = row.get(1)?;
    Ok(SavedReply {
        id: row.get(0)?,
        language: Language::parse(&language).unwrap_or_default(),
        title: row.get(2)?,
        body: row.get(3)?,
        author: TeamMember {
            id: row.get(4)?,
            name: row.get(5)?,
        },
        created_at: rfc3339(from_millis(row.get(6)?)),
    })
}

impl Accounts {
    /// `GET /api/agent/saved-replies`: the team's, by title; only `language` when given.
    pub async fn saved_replies(
        &self,
        language: Option<Language>,
    ) -> Result<SavedReplyList, ApiError> {
        self.read(move |conn, _| {
            let replies = conn
                .prepare_cached(&format!(
                    "SELECT {SAVED_REPLY_COLUMNS} FROM support_saved_replies
                     WHERE ?1 IS NULL OR language = ?1 ORDER BY title, id"
                ))?
                .query_map([language.map(|l| l.as_str())], saved_reply_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(SavedReplyList { replies })
        })
        .await
    }

    /// `POST /api/agent/saved-replies`.
    pub async fn save_reply(
        &self,
        agent: &TeamCaller,
        draft: SavedReplyDraft,
    ) -> Result<SavedReply, ApiError> {
        let title = validate::label("title", &draft.title, SAVED_REPLY_TITLE_MAX_CHARS)?;
        if draft.body.chars().count() > MESSAGE_MAX_CHARS {
            return Err(ApiError::field(ErrorCode::MessageTooLong, "body"));
        }
        let body = validate::free_text("body", &draft.body, MESSAGE_MAX_CHARS)?;
        if body.is_empty() {
            return Err(ApiError::field(ErrorCode::MessageEmpty, "body"));
        }
        let language = draft.language;
        let (author_id, author_name) = (agent.id.clone(), agent.name.clone());
        self.write(move |tx, ctx| {
            let id = random::id(ctx.random());
            tx.execute(
                &format!(
                    "INSERT INTO support_saved_replies ({SAVED_REPLY_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                ),
                params![
                    id,
                    language.as_str(),
                    title,
                    body,
                    author_id,
                    author_name,
                    to_millis(ctx.now)
                ],
            )?;
            tx.query_row(
                &format!("SELECT {SAVED_REPLY_COLUMNS} FROM support_saved_replies WHERE id = ?1"),
                [id],
                saved_reply_row,
            )
        })
        .await
    }

    /// `DELETE /api/agent/saved-replies/{id}`: any member of the team may.
    pub async fn delete_saved_reply(&self, id: String) -> Result<(), ApiError> {
        let deleted = self
            .write(move |tx, _| tx.execute("DELETE FROM support_saved_replies WHERE id = ?1", [id]))
            .await?;
        if deleted == 0 {
            return Err(ApiError::new(ErrorCode::NotFound));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_answer_is_the_first_paragraph_in_plain_text_cut_at_a_word() {
        assert_eq!(
            short_answer("Open [Settings](/settings) first.\n\nThen more."),
            "Open Settings first."
        );
        let long = "word ".repeat(100);
        let short = short_answer(&long);
        assert!(short.chars().count() <= xwms_api::agent::SHORT_ANSWER_MAX_CHARS);
        assert!(short.ends_with("word…"), "{short}");
    }
}
