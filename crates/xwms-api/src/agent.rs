//! Agent mode: the support team's side of live support (the person's side is
//! [`crate::support`]).
//!
//! Ours to define (xwms-contract.md); the server documents it in its OpenAPI document.
//!
//! - **Who.** An account's [`Role`] is `user`, `agent` or `admin`; the server's operator sets it
//!   (`xwms-server user add …` / `xwms-server user role EMAIL ROLE`). Every route under
//!   `/api/agent/` needs `Authorization: Bearer <access token>` (`401` without one) of an
//!   account with the `agent` or `admin` role (`403 support.not_agent` for anyone else).
//! - **Queue.** [`paths::QUEUE`] lists conversations by [`QueueView`], the longest waiting
//!   first, with the [`QueueCounts`] of every view. Every agent's realtime channel gets
//!   [`crate::security::RealtimeEvent::AgentQueue`] with fresh counts whenever a conversation is
//!   created, claimed, answered or changes status; a person never gets it.

use serde::{Deserialize, Serialize};

use crate::support::{ConversationStatus, SupportTopic};
use crate::Language;

/// Route paths, one place for server and clients. `{id}` is a path parameter.
pub mod paths {
    /// Every route of agent mode starts with this.
    pub const PREFIX: &str = "/api/agent/";
    /// `GET ?view=&topic=&language=&min_wait=` → [`super::AgentQueue`].
    pub const QUEUE: &str = "/api/agent/queue";
    /// `POST` → [`super::Assignment`]: the caller takes an unassigned conversation; `409
    /// agent.already_claimed` with [`super::AlreadyClaimed`] as the error's data when someone
    /// holds it.
    pub const CLAIM: &str = "/api/agent/conversations/{id}/claim";
    /// `POST` [`super::AssignRequest`] → [`super::Assignment`]: hands the conversation to
    /// another member of the team (or back to the caller).
    pub const ASSIGN: &str = "/api/agent/conversations/{id}/assign";
    /// `GET` → [`super::NoteList`]; `POST` [`super::NoteDraft`] → [`super::InternalNote`] (the
    /// stored one when the client id was sent before). Internal notes are for the support team
    /// only: no person or guest answer, socket event or mail ever carries them.
    pub const NOTES: &str = "/api/agent/conversations/{id}/notes";
    /// `POST` → no data: the caller has the conversation open; other agents get
    /// [`crate::security::RealtimeEvent::AgentPresence`] (`viewing`, lasting
    /// [`super::VIEWING_EXPIRES_SECONDS`]; send again to renew). Never stored, never sent to
    /// the person.
    pub const VIEWING: &str = "/api/agent/conversations/{id}/viewing";
    /// `POST` → no data: the caller is typing (a reply or a note); other agents get
    /// `AgentPresence` (`typing`, lasting `support::TYPING_EXPIRES_SECONDS`). The person sees an
    /// agent typing only through `support::paths::TYPING`, as before.
    pub const TYPING: &str = "/api/agent/conversations/{id}/typing";
    /// `GET ?q=&language=&conversation=` → [`super::CannedAnswers`]: help articles to answer
    /// with, found by the help center's search, in `language` (default: the language of
    /// `conversation`, else `en`).
    pub const CANNED: &str = "/api/agent/canned";
    /// `GET ?language=` → [`super::SavedReplyList`] (the team's, in that language or all);
    /// `POST` [`super::SavedReplyDraft`] → [`super::SavedReply`].
    pub const SAVED_REPLIES: &str = "/api/agent/saved-replies";
    /// `DELETE` → no data (`404 request.not_found` when it is gone already).
    pub const SAVED_REPLY: &str = "/api/agent/saved-replies/{id}";
}

/// A saved reply's title, at most this many characters.
pub const SAVED_REPLY_TITLE_MAX_CHARS: usize = 200;

/// The in-app link to a help article (`xwms_core::links::AppLink::HelpArticle` opens it).
pub fn help_article_link(article_id: &str) -> String {
    format!("xwms://help/{article_id}")
}

/// A canned answer's `short_answer`, at most this many characters.
pub const SHORT_ANSWER_MAX_CHARS: usize = 280;

/// "Viewing" shows for this long after the last signal.
pub const VIEWING_EXPIRES_SECONDS: u32 = 30;

wire_enum! {
    /// What another agent is doing in a conversation.
    pub enum PresenceKind {
        Viewing = "viewing",
        Typing = "typing",
        @other Unknown = "unknown",
    }
}

/// `?min_wait=` of the queue, at most this many seconds (30 days).
pub const MIN_WAIT_MAX_SECONDS: u32 = 30 * 24 * 60 * 60;

wire_enum! {
    /// A view of the queue.
    pub enum QueueView {
        /// Not resolved or closed, and no agent holds it.
        Unassigned = "unassigned",
        /// Not resolved or closed, held by the caller.
        Mine = "mine",
        /// Waiting for the support team: `new` or `open`.
        Open = "open",
        /// Waiting for the person: `waiting_for_you`.
        Waiting = "waiting",
        /// `resolved` or `closed`.
        Resolved = "resolved",
        @other Unknown = "unknown",
    }
}

wire! {
    /// How many conversations each [`QueueView`] holds (`mine` for the agent it is sent to).
    #[derive(Default, Eq)]
    pub struct QueueCounts {
        pub unassigned: u32,
        pub mine: u32,
        pub open: u32,
        pub waiting: u32,
        pub resolved: u32,
    }
}

wire! {
    /// A member of the support team as other agents see them.
    #[derive(Eq)]
    pub struct TeamMember {
        /// The account's `sub`.
        pub id: String,
        pub name: String,
    }
}

wire! {
    /// `POST /api/agent/conversations/{id}/assign`.
    #[serde(deny_unknown_fields)]
    pub struct AssignRequest {
        /// The `sub` of an account with the agent or admin role.
        pub agent_id: String,
    }
}

wire! {
    /// The `data` of the `409 agent.already_claimed` error envelope.
    pub struct AlreadyClaimed {
        /// The agent who holds the conversation.
        pub holder: TeamMember,
    }
}

wire! {
    /// Who holds a conversation now.
    pub struct Assignment {
        pub conversation_id: String,
        pub assignee: TeamMember,
    }
}

wire! {
    /// `POST /api/agent/conversations/{id}/notes`.
    #[serde(deny_unknown_fields)]
    pub struct NoteDraft {
        /// A UUID made by the client: the same id again stores nothing new.
        pub client_msg_id: String,
        /// At most `support::MESSAGE_MAX_CHARS` characters, not empty.
        pub body: String,
    }
}

wire! {
    /// An internal note on a conversation, seen by the support team only.
    pub struct InternalNote {
        pub id: String,
        pub conversation_id: String,
        pub client_msg_id: String,
        pub author: TeamMember,
        pub body: String,
        /// RFC 3339.
        pub created_at: String,
    }
}

wire! {
    /// The notes of a conversation, oldest first.
    pub struct NoteList {
        pub notes: Vec<InternalNote>,
    }
}

wire! {
    /// A help article to answer with.
    pub struct CannedAnswer {
        pub article_id: String,
        pub language: crate::help::Language,
        pub title: String,
        /// The answer's first paragraph as plain text (at most [`SHORT_ANSWER_MAX_CHARS`]).
        pub short_answer: String,
        /// `xwms://help/<article id>`: opens the article in the app.
        pub link: String,
    }
}

wire! {
    /// `GET /api/agent/canned`: best first.
    pub struct CannedAnswers {
        pub language: crate::help::Language,
        pub answers: Vec<CannedAnswer>,
    }
}

wire! {
    /// `POST /api/agent/saved-replies`.
    #[serde(deny_unknown_fields)]
    pub struct SavedReplyDraft {
        /// One line, 1 to [`SAVED_REPLY_TITLE_MAX_CHARS`] characters.
        pub title: String,
        /// At most `support::MESSAGE_MAX_CHARS` characters, not empty.
        pub body: String,
        pub language: Language,
    }
}

wire! {
    /// A reply the team saved for reuse (shared by every agent).
    pub struct SavedReply {
        pub id: String,
        pub title: String,
        pub body: String,
        pub language: Language,
        /// Who saved it.
        pub author: TeamMember,
        /// RFC 3339.
        pub created_at: String,
    }
}

wire! {
    /// The saved replies, by title.
    pub struct SavedReplyList {
        pub replies: Vec<SavedReply>,
    }
}

wire! {
    /// Who asked.
    pub struct Requester {
        pub name: String,
        /// The language of the conversation (the person's when they started it).
        pub language: Language,
        /// A guest case (a recovery request, no account signed in).
        pub guest: bool,
    }
}

wire! {
    /// One conversation in the queue.
    pub struct QueueRow {
        pub id: String,
        pub reference: String,
        pub topic: SupportTopic,
        pub subject: String,
        pub requester: Requester,
        pub status: ConversationStatus,
        /// The agent who holds it, if any.
        pub assignee: Option<TeamMember>,
        /// Since when the side whose turn it is has not answered (RFC 3339): for a conversation
        /// waiting for the team, the first message of the person not answered yet.
        pub waiting_since: String,
        /// Seconds from `waiting_since` to now.
        pub waiting_seconds: u32,
        /// Messages of the person no agent has read yet.
        pub unread_for_agent: u32,
        #[cfg_attr(feature = "specta", specta(type = f64))]
        pub last_seq: i64,
    }
}

wire! {
    /// `GET /api/agent/queue`.
    pub struct AgentQueue {
        pub view: QueueView,
        /// The longest waiting first.
        pub rows: Vec<QueueRow>,
        pub counts: QueueCounts,
    }
}

wire_enum! {
    /// What an account may do: `user` (a person), `agent` (the support team: reads and answers
    /// every conversation) or `admin` (an agent who also manages the team).
    pub enum Role {
        User = "user",
        Agent = "agent",
        Admin = "admin",
        @other Unknown = "unknown",
    }
}

impl Role {
    /// Agents and admins are the support team.
    pub fn is_team(self) -> bool {
        matches!(self, Role::Agent | Role::Admin)
    }

    /// The role named `raw` (`user`, `agent`, `admin`), if it is one.
    pub fn parse(raw: &str) -> Option<Role> {
        match Role::from_wire(raw.trim()) {
            Role::Unknown => None,
            role => Some(role),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_only_agents_and_admins_are_the_team() {
        assert_eq!(Role::parse("agent"), Some(Role::Agent));
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("user"), Some(Role::User));
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse("unknown"), None);
        assert!(Role::Agent.is_team() && Role::Admin.is_team());
        assert!(!Role::User.is_team() && !Role::Unknown.is_team());
    }
}
