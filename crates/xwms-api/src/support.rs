//! Live support over HTTP: conversations between a person and the support team, with an
//! event log the realtime channel replays, exactly-once sending, attachments and guest cases.
//!
//! Ours to define (xwms-contract.md); the server documents it in its OpenAPI document.
//!
//! - **Who.** Every `/api/support/...` route needs `Authorization: Bearer <access token>`,
//!   except the guest routes (`/api/support/guest/...`), which take the token from
//!   [`GuestAccess`]. A person sees only their own conversations. Until agent mode exists, an
//!   account with the support role (the demo's `support@xwms.example`) uses the same routes to
//!   read and answer any conversation, and [`paths::AGENT_CONVERSATIONS`] to list them all.
//! - **Exactly once.** Every message carries a client-generated [`MessageDraft::client_msg_id`]
//!   (a UUID). The server stores at most one message per (author, client id): sending the same
//!   id again answers with the stored message (same id, same seq) and stores nothing. Creating
//!   a conversation is keyed by its first message's client id the same way.
//! - **Event log.** Every change to a conversation (a message, a status change, a read marker)
//!   is an event with a `seq` that increases over the whole log, so it increases for each
//!   account and each conversation too. A message's `seq` is the seq of the event that created
//!   it. The realtime channel (`GET /api/realtime?after=SEQ`) first replays the account's
//!   events after `SEQ`, then sends new ones as they happen; when `SEQ` is older than the log
//!   keeps ([`LOG_KEEP_DAYS`]), it sends [`crate::security::RealtimeEvent::SupportReload`]
//!   instead and the client fetches the lists again. Typing is never stored and has no seq.
//! - **Status.** `new` (no agent answered yet) → `waiting_for_you` (an agent answered) →
//!   `open` (the person answered) → `resolved` (an agent marked it done) or `closed` (the
//!   person closed it). A reply within [`REOPEN_WITHIN_DAYS`] of resolving or closing reopens
//!   it (`open`); later, the reply is refused with `support.conversation_closed` and the person
//!   starts a new conversation.

use serde::{Deserialize, Serialize};

use crate::{Language, Secret};

/// Route paths, one place for server and clients. `{id}` and `{attachment_id}` are path
/// parameters.
pub mod paths {
    /// `GET` → [`super::ConversationList`] (the caller's, unread first);
    /// `POST` [`super::NewConversation`] → [`super::ConversationDetail`].
    pub const CONVERSATIONS: &str = "/api/support/conversations";
    /// `GET ?after=SEQ` → [`super::ConversationDetail`] with the messages after `SEQ` (all
    /// without it).
    pub const CONVERSATION: &str = "/api/support/conversations/{id}";
    /// `POST` [`super::MessageDraft`] → [`super::SupportMessage`] (the stored one when the
    /// client id was sent before).
    pub const MESSAGES: &str = "/api/support/conversations/{id}/messages";
    /// `POST` [`super::ReadRequest`] → no data: the caller has seen everything up to that seq.
    pub const READ: &str = "/api/support/conversations/{id}/read";
    /// `POST` → no data: the caller is typing (send at most every [`super::TYPING_EVERY_SECONDS`]).
    pub const TYPING: &str = "/api/support/conversations/{id}/typing";
    /// `POST` → [`super::ConversationSummary`]: the person closes it; an agent marks it resolved.
    pub const CLOSE: &str = "/api/support/conversations/{id}/close";
    /// `POST` [`super::RatingRequest`] → [`super::ConversationSummary`]: once resolved or closed.
    pub const RATING: &str = "/api/support/conversations/{id}/rating";
    /// `POST` the file's bytes as the body, `Content-Type` of the file and `?name=FILE_NAME` →
    /// [`super::AttachmentInfo`]; attached by naming its id in [`super::MessageDraft::attachment_ids`].
    pub const ATTACHMENTS: &str = "/api/support/conversations/{id}/attachments";
    /// `GET` → the file, `Content-Disposition: attachment`, to the conversation's participants.
    pub const ATTACHMENT: &str = "/api/support/conversations/{id}/attachments/{attachment_id}";
    /// `POST` the file's bytes like [`ATTACHMENTS`] → [`super::AttachmentInfo`]: an upload of
    /// the caller's not bound to any conversation yet, for the first message of a new one
    /// ([`super::NewConversation`]'s `message.attachment_ids`). Kept for
    /// [`super::UPLOAD_KEEP_HOURS`]; at most [`super::UPLOADS_PENDING_MAX`] files and
    /// [`super::UPLOADS_PENDING_MAX_BYTES`] bytes wait per account.
    pub const UPLOADS: &str = "/api/support/attachments";
    /// `GET` → [`super::SupportAvailability`]: whether an agent is online now.
    pub const AVAILABILITY: &str = "/api/support/availability";
    /// `POST` [`super::DeflectionRequest`] → no data: a suggested help article answered the
    /// question, so no conversation was started (counted, nothing else stored).
    pub const DEFLECTIONS: &str = "/api/support/deflections";
    /// `GET` → [`super::ConversationList`]: every conversation, for accounts with the support
    /// role (`403 support.not_agent` for anyone else).
    pub const AGENT_CONVERSATIONS: &str = "/api/agent/conversations";
    /// `POST` [`super::GuestCodeRequest`] → no data, always the same answer: mails a 6-digit
    /// code to the contact address of the recovery request with this reference, if one exists.
    pub const GUEST_CODE: &str = "/api/support/guest/code";
    /// `POST` [`super::GuestAccessRequest`] → [`super::GuestAccess`]: the reference and the
    /// mailed code open the case without signing in.
    pub const GUEST_ACCESS: &str = "/api/support/guest/access";
    /// `GET ?after=SEQ` with `Authorization: Bearer <guest token>` → [`super::ConversationDetail`].
    pub const GUEST_CONVERSATION: &str = "/api/support/guest/conversation";
    /// `POST` [`super::MessageDraft`] with the guest token → [`super::SupportMessage`].
    pub const GUEST_MESSAGES: &str = "/api/support/guest/conversation/messages";
    /// `POST` [`super::ReadRequest`] with the guest token → no data: the guest has seen the case
    /// up to that seq (the same rule as [`READ`]).
    pub const GUEST_READ: &str = "/api/support/guest/conversation/read";
    /// `POST` with the guest token → no data: the guest is typing (as [`TYPING`]).
    pub const GUEST_TYPING: &str = "/api/support/guest/conversation/typing";
    /// `GET ?after=SEQ` WebSocket with the guest token: the realtime channel of that one case
    /// (its `support` events, the agents' `support_typing` in it, `support_availability`;
    /// nothing else). The first frame is `ready` with the case's conversation id.
    pub const GUEST_REALTIME: &str = "/api/support/guest/realtime";
}

/// A message's body, at most this many characters.
pub const MESSAGE_MAX_CHARS: usize = 10_000;
/// A subject, at most this many characters.
pub const SUBJECT_MAX_CHARS: usize = 200;
/// An attachment, at most this many bytes.
pub const ATTACHMENT_MAX_BYTES: usize = 5 * 1024 * 1024;
/// Attachments per message.
pub const ATTACHMENTS_PER_MESSAGE: usize = 5;
/// An upload not bound to a conversation ([`paths::UPLOADS`]) can be bound for this many
/// hours; then it is pruned.
pub const UPLOAD_KEEP_HOURS: u32 = 24;
/// Uploads waiting to be bound, per account, at most this many files…
pub const UPLOADS_PENDING_MAX: usize = 15;
/// …and at most this many bytes together (two full messages).
pub const UPLOADS_PENDING_MAX_BYTES: usize = 2 * ATTACHMENTS_PER_MESSAGE * ATTACHMENT_MAX_BYTES;
/// A reply within this many days of resolving or closing reopens the conversation.
pub const REOPEN_WITHIN_DAYS: u32 = 7;
/// A client sends "typing" at most this often while the person types.
pub const TYPING_EVERY_SECONDS: u32 = 3;
/// "Typing" shows for this long after the last signal.
pub const TYPING_EXPIRES_SECONDS: u32 = 8;
/// The event log keeps events this long; a resume from an older seq gets `support_reload`.
pub const LOG_KEEP_DAYS: u32 = 30;
/// A reply the person has not seen within this many minutes is mailed to them (once).
pub const MAIL_UNSEEN_AFTER_MINUTES: u32 = 10;
/// A guest code is valid this long.
pub const GUEST_CODE_MINUTES: u32 = 30;

wire_enum! {
    /// What a conversation is about; chosen by the person, used to route it in the queue.
    pub enum SupportTopic {
        Question = "question",
        /// Recovering an account or proving ownership when the self-service steps fail.
        AccountRecovery = "account_recovery",
        AccountDeletion = "account_deletion",
        SuspensionAppeal = "suspension_appeal",
        /// A security problem: an unauthorised change, a suspicious mail, a vulnerability.
        /// Mail about these conversations never contains message text.
        SecurityReport = "security_report",
        MailNotArriving = "mail_not_arriving",
        Other = "other",
        @other Unknown = "unknown",
    }
}

impl SupportTopic {
    /// Mail about a conversation on this topic carries no message text.
    pub fn is_security_sensitive(self) -> bool {
        matches!(
            self,
            SupportTopic::SecurityReport
                | SupportTopic::AccountRecovery
                | SupportTopic::SuspensionAppeal
        )
    }
}

wire_enum! {
    /// Where a conversation stands (see the module documentation for the transitions).
    pub enum ConversationStatus {
        New = "new",
        Open = "open",
        WaitingForYou = "waiting_for_you",
        Resolved = "resolved",
        Closed = "closed",
        @other Unknown = "unknown",
    }
}

wire_enum! {
    /// Who wrote a message.
    pub enum AuthorKind {
        /// The person the conversation belongs to (signed in or as a guest).
        Person = "person",
        /// Someone of the support team.
        Agent = "agent",
        /// The service itself: status changes such as "an agent joined".
        System = "system",
        @other Unknown = "unknown",
    }
}

wire_enum! {
    /// What a message is: text, or a change shown in the conversation's flow.
    pub enum MessageKind {
        Text = "text",
        /// An agent joined the conversation (`author.name` is the agent).
        AgentJoined = "agent_joined",
        Resolved = "resolved",
        Closed = "closed",
        Reopened = "reopened",
        @other Unknown = "unknown",
    }
}

wire! {
    pub struct MessageAuthor {
        pub kind: AuthorKind,
        /// The display name: the person's name, or the agent's first name.
        pub name: String,
    }
}

wire! {
    pub struct AttachmentInfo {
        pub id: String,
        pub file_name: String,
        /// `image/png`, `image/jpeg` or `application/pdf` (checked by content, not by name).
        pub content_type: String,
        #[cfg_attr(feature = "specta", specta(type = f64))]
        pub size_bytes: u64,
    }
}

wire! {
    pub struct SupportMessage {
        pub id: String,
        pub conversation_id: String,
        /// The seq of the event that stored it: increasing within a conversation.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        pub seq: i64,
        /// The client id it was sent with (empty for system messages).
        pub client_msg_id: String,
        pub kind: MessageKind,
        pub author: MessageAuthor,
        /// Plain text; never HTML. Empty for other kinds than `text`.
        pub body: String,
        pub attachments: Vec<AttachmentInfo>,
        /// RFC 3339, UTC.
        pub created_at: String,
    }
}

wire! {
    pub struct ConversationSummary {
        pub id: String,
        /// What the person quotes: `SUP-…`, or the `REC-…` reference of a recovery request.
        pub reference: String,
        pub topic: SupportTopic,
        pub subject: String,
        pub status: ConversationStatus,
        /// The language the person wrote in (and gets mail in).
        pub language: Language,
        /// RFC 3339, UTC.
        pub created_at: String,
        /// RFC 3339, UTC: the last message or status change.
        pub updated_at: String,
        /// The seq of the conversation's newest event.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        pub last_seq: i64,
        /// The first characters of the newest text message.
        pub preview: String,
        /// Messages from the other side after the caller's read marker.
        pub unread: u32,
        /// The caller's read marker.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        pub last_read_seq: i64,
        /// The other side's read marker: the caller's messages up to it were seen ("Seen").
        #[cfg_attr(feature = "specta", specta(type = f64))]
        pub other_last_read_seq: i64,
        /// The agent who joined, if one has.
        pub agent_name: Option<String>,
        /// 1–5, once rated.
        pub rating: Option<u8>,
        /// Until when a reply reopens it (RFC 3339), when resolved or closed.
        pub reopen_until: Option<String>,
        /// Whether this is a guest case (a recovery request filed without signing in).
        pub guest: bool,
        /// The side the caller is on: `person`, or `agent` for the support team (who use the
        /// same routes until agent mode exists). `last_read_seq`, `unread` and "You" are this
        /// side's; `other_last_read_seq` is the other side's.
        pub viewer: AuthorKind,
    }
}

wire! {
    pub struct ConversationDetail {
        pub conversation: ConversationSummary,
        /// In seq order; only those after `?after=SEQ` when it was given.
        pub messages: Vec<SupportMessage>,
    }
}

wire! {
    pub struct ConversationList {
        /// Unread first, then the most recently updated.
        pub conversations: Vec<ConversationSummary>,
        /// Sum of `unread`, for the sidebar's count.
        pub unread_total: u32,
        /// The newest seq of the caller's event log: resume the realtime channel after it.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        pub last_seq: i64,
    }
}

wire! {
    /// A message to send. `client_msg_id` makes sending it again harmless.
    #[serde(deny_unknown_fields)]
    pub struct MessageDraft {
        /// A UUID the client generated when the person pressed Send, kept with the message
        /// until the server acknowledged it.
        pub client_msg_id: String,
        /// 1 to [`MESSAGE_MAX_CHARS`] characters (may be empty when it has attachments).
        pub body: String,
        /// Ids of attachments uploaded to this conversation and not yet sent; for the first
        /// message of a [`NewConversation`], ids of the caller's uploads to [`paths::UPLOADS`]
        /// not bound yet (they become this message's attachments).
        #[serde(default)]
        pub attachment_ids: Vec<String>,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct NewConversation {
        pub topic: SupportTopic,
        /// 1 to [`SUBJECT_MAX_CHARS`] characters.
        pub subject: String,
        /// The first message; its client id also makes creating the conversation idempotent
        /// (sent again, the uploads it named stay bound once, to the first message).
        pub message: MessageDraft,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct ReadRequest {
        #[cfg_attr(feature = "specta", specta(type = f64))]
        #[serde(deserialize_with = "integral::i64")]
        pub last_read_seq: i64,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct RatingRequest {
        /// 1 (poor) to 5 (excellent).
        #[serde(deserialize_with = "integral::u8")]
        pub rating: u8,
        /// Optional, at most 2,000 characters.
        #[serde(default)]
        pub comment: String,
    }
}

wire! {
    pub struct SupportAvailability {
        /// Agents with the app open now.
        pub agents_online: u32,
        /// Working days within which a question is answered when no agent is online.
        pub answer_within_days: u32,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct DeflectionRequest {
        /// The help article that answered the question.
        pub article_id: String,
        /// The topic the person had chosen, if any (counted per article and topic).
        #[serde(default)]
        pub topic: Option<SupportTopic>,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct GuestCodeRequest {
        /// The recovery request's reference, e.g. `REC-7K2M9Q`.
        pub reference: String,
    }
}

wire! {
    #[serde(deny_unknown_fields)]
    pub struct GuestAccessRequest {
        pub reference: String,
        /// The 6 digits mailed to the request's contact address.
        pub code: Secret,
    }
}

wire! {
    pub struct GuestAccess {
        /// Bearer token for the guest routes of this one case.
        pub token: Secret,
        /// RFC 3339: when the token stops working (ask for a new code then).
        pub expires_at: String,
        pub conversation: ConversationDetail,
    }
}

wire_enum! {
    /// What changed in a support event (see [`crate::security::RealtimeEvent::Support`]).
    pub enum SupportChangeKind {
        Message = "message",
        Status = "status",
        Read = "read",
        @other Unknown = "unknown",
    }
}

wire! {
    /// One entry of the event log, as the realtime channel sends it.
    pub struct SupportEvent {
        #[cfg_attr(feature = "specta", specta(type = f64))]
        pub seq: i64,
        pub conversation_id: String,
        pub kind: SupportChangeKind,
        /// For `message`: the new message.
        pub message: Option<SupportMessage>,
        /// The conversation as it is after the change (status, counts, read markers).
        pub conversation: ConversationSummary,
    }
}

/// Whole numbers as JSON allows them: `3` and `3.0` are the same integer (JSON Schema says
/// so, and some encoders write the second); `3.5` or out of range is refused.
mod integral {
    use serde::{de::Error, Deserialize, Deserializer};

    fn whole<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i128, D::Error> {
        let value = serde_json::Number::deserialize(deserializer)?;
        if let Some(n) = value.as_i64() {
            return Ok(i128::from(n));
        }
        if let Some(n) = value.as_u64() {
            return Ok(i128::from(n));
        }
        match value.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i128),
            _ => Err(D::Error::custom("expected a whole number")),
        }
    }

    pub fn i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        i64::try_from(whole(deserializer)?).map_err(|_| D::Error::custom("out of range"))
    }

    pub fn u8<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u8, D::Error> {
        u8::try_from(whole(deserializer)?).map_err(|_| D::Error::custom("out of range"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_may_be_written_with_a_zero_fraction() {
        let read: ReadRequest = serde_json::from_str(r#"{"last_read_seq": 64395.0}"#).unwrap();
        assert_eq!(read.last_read_seq, 64395);
        let rating: RatingRequest = serde_json::from_str(r#"{"rating": 3.0}"#).unwrap();
        assert_eq!(rating.rating, 3);
        assert!(serde_json::from_str::<RatingRequest>(r#"{"rating": 3.5}"#).is_err());
        assert!(serde_json::from_str::<RatingRequest>(r#"{"rating": 300}"#).is_err());
    }

    #[test]
    fn security_topics_keep_message_text_out_of_mail() {
        assert!(SupportTopic::SecurityReport.is_security_sensitive());
        assert!(SupportTopic::AccountRecovery.is_security_sensitive());
        assert!(!SupportTopic::Question.is_security_sensitive());
        assert!(!SupportTopic::MailNotArriving.is_security_sensitive());
    }

    #[test]
    fn a_topic_or_status_from_a_newer_server_decodes_as_unknown() {
        let topic: SupportTopic = serde_json::from_str("\"billing\"").unwrap();
        assert_eq!(topic, SupportTopic::Unknown);
        let status: ConversationStatus = serde_json::from_str("\"snoozed\"").unwrap();
        assert_eq!(status, ConversationStatus::Unknown);
        assert_eq!(
            serde_json::to_string(&ConversationStatus::WaitingForYou).unwrap(),
            "\"waiting_for_you\""
        );
    }
}
