//! Live support on this computer: the person's conversations with the support team, over the
//! routes of [`xwms_api::support`], with an offline outbox that delivers each message exactly
//! once.
//!
//! Rules:
//! - **Sending is one INSERT first.** [`Support::send`] and [`Support::start_conversation`]
//!   give the message a client id (a UUID v4 made here) and write it to the outbox
//!   (`support.sqlite3`, [`store`]) before any network. The background sender
//!   ([`Support::run_outbox`], started by [`crate::client::Client::start`]) sends the outbox
//!   strictly in the order it was written and deletes an item only after the server
//!   acknowledged it. The server answers a client id it has seen with the stored message, so
//!   a process killed between the answer and the delete sends it again harmlessly: nothing
//!   is lost and nothing is doubled.
//! - **Offline is not failure.** A message waits ("sending") while the server cannot be
//!   reached or the session is not usable; the sender backs off (1 s doubling to 30 s) and
//!   wakes at once when the connection comes back or a session starts. Only a refusal that
//!   sending again cannot fix (too long, conversation closed, …) makes it "failed", with the
//!   code and the text kept; [`Support::retry`] puts it back in the queue.
//! - **A conversation started offline** is queued too, keyed by its first message's client
//!   id (its local id until the server names it); the messages written after it wait for it.
//! - **Catch-up.** The last event-log seq applied is kept in the same file; the realtime
//!   channel opens with `?after=SEQ` and replays what was missed; `support_reload` fetches
//!   the list again. No polling while the channel is up.
//! - **Offline reading.** The last conversation list and each conversation opened are cached
//!   in the same file and shown, with their age, when the server cannot be reached.
//! - Seqs and sizes cross to TypeScript as numbers (exact below 2^53).
//! - **Signing out forgets**: when the session ends (signed out, ended by the server, another
//!   server), what this app kept for that server (outbox, conversations, seq) is removed, so
//!   the next person who signs in here never sends or sees it. A person who signs out with
//!   messages still queued gives them up ([`Support::queued_count`] tells how many).
//! - Attachments are uploaded at once (they need the server), checked here first with the
//!   server's limits (size, PNG/JPEG/PDF by content); their ids then travel with the message.
//!   Files for a conversation not started yet are uploaded the same way, bound to nothing
//!   ([`Support::attach_new`]), and travel with the queued start; the server binds them to its
//!   first message (it keeps them [`xwms_api::support::UPLOAD_KEEP_HOURS`] hours).

pub mod store;
pub mod text;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, Notify};
use xwms_api::security::RealtimeEvent;
use xwms_api::support::{
    paths, AttachmentInfo, AuthorKind, ConversationDetail, ConversationList, ConversationSummary,
    DeflectionRequest, GuestAccess, GuestAccessRequest, GuestCodeRequest, MessageAuthor,
    MessageDraft, MessageKind, NewConversation, RatingRequest, ReadRequest, SupportAvailability,
    SupportEvent, SupportMessage, SupportTopic, ATTACHMENTS_PER_MESSAGE, ATTACHMENT_MAX_BYTES,
    MESSAGE_MAX_CHARS, SUBJECT_MAX_CHARS, TYPING_EVERY_SECONDS,
};
use xwms_api::{ErrorBody, ErrorCode};

use crate::account::AccountSession;
use crate::api_client::{path_with_id, to_json, NoData};
use crate::connection::{now_rfc3339, ConnectionMonitor, ConnectionStatus};
use crate::realtime_socket::{Backoff, Incoming, RealtimeSocket, PING_INTERVAL, SILENCE_LIMIT};
use crate::secret::Secret;
use crate::CoreError;
pub use store::{OutboxItem, SupportStore};

/// Where a message shown stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// In the outbox: written here, not yet acknowledged (also while offline).
    Sending,
    /// Stored by the server.
    Sent,
    /// Refused by the server for a reason sending again will not fix (`error` says which).
    Failed,
}

/// A message as the conversation screen shows it: the server's, or one still in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ShownMessage {
    pub client_msg_id: String,
    /// The server's id and seq, once sent.
    pub id: Option<String>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub seq: Option<i64>,
    pub kind: MessageKind,
    pub author: MessageAuthor,
    pub body: String,
    pub attachments: Vec<AttachmentInfo>,
    /// RFC 3339: when the server stored it, or when it was written here.
    pub created_at: String,
    pub state: MessageState,
    /// Why it failed.
    pub error: Option<ErrorBody>,
}

impl ShownMessage {
    fn sent(message: SupportMessage) -> Self {
        Self {
            client_msg_id: message.client_msg_id,
            id: Some(message.id),
            seq: Some(message.seq),
            kind: message.kind,
            author: message.author,
            body: message.body,
            attachments: message.attachments,
            created_at: message.created_at,
            state: MessageState::Sent,
            error: None,
        }
    }

    fn queued(item: &OutboxItem) -> Self {
        Self {
            client_msg_id: item.client_msg_id.clone(),
            id: None,
            seq: None,
            kind: MessageKind::Text,
            author: MessageAuthor {
                kind: AuthorKind::Person,
                name: String::new(),
            },
            body: item.body.clone(),
            attachments: item.attachments.clone(),
            created_at: item.created_at.clone(),
            state: if item.failed.is_some() {
                MessageState::Failed
            } else {
                MessageState::Sending
            },
            error: item.failed.clone(),
        }
    }
}

/// A conversation started here that the server has not created yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct QueuedConversation {
    /// Its local id: the client id of its first message.
    pub local_id: String,
    pub topic: SupportTopic,
    pub subject: String,
    pub created_at: String,
    pub state: MessageState,
    pub error: Option<ErrorBody>,
}

/// The support home: the conversations, and those still queued here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SupportHome {
    pub conversations: Vec<ConversationSummary>,
    pub queued: Vec<QueuedConversation>,
    pub unread_total: u32,
    /// Set when the server could not be reached: the list is the copy from this moment
    /// (RFC 3339), read-only.
    pub cached_at: Option<String>,
}

/// One conversation as its screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ConversationView {
    /// The id to use for this conversation from now on: the server's, or the local id while
    /// it is queued.
    pub id: String,
    /// `None` while the conversation itself is queued.
    pub conversation: Option<ConversationSummary>,
    pub queued: Option<QueuedConversation>,
    /// In order: the server's messages, then those in the outbox.
    pub messages: Vec<ShownMessage>,
    /// Set when shown from the copy of that moment (offline).
    pub cached_at: Option<String>,
}

/// A guest case opened with its reference and mailed code (no sign-in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GuestCase {
    pub reference: String,
    /// RFC 3339: when the access ends (ask for a new code then).
    pub expires_at: String,
    pub conversation: ConversationDetail,
}

/// What the support side reports (forwarded to the UI as `ClientEvent::Support`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SupportUpdate {
    /// A conversation changed (a message, a status, a read marker), live or replayed.
    Changed { event: Box<SupportEvent> },
    /// The other side is typing (show it for `TYPING_EXPIRES_SECONDS`).
    Typing {
        conversation_id: String,
        author: MessageAuthor,
    },
    /// Too much was missed: the lists were fetched again; screens fetch what they show.
    Reload,
    /// How many agents are online changed.
    Availability { agents_online: u32 },
    /// The live channel of the open guest case opened (`true`) or dropped (`false`: the core
    /// reconnects by itself, with backoff; the screen may offer "try again").
    GuestConnection { connected: bool },
    /// The open guest case closed for good (`support.guest_expired`: ask for a new code).
    GuestEnded { error: ErrorBody },
    /// A message of the outbox was sent or failed. `conversation_id` is the server's id of its
    /// conversation; `local_id` the id it was queued under (the same unless the conversation
    /// was queued too).
    Outbox {
        client_msg_id: String,
        local_id: String,
        conversation_id: Option<String>,
        state: MessageState,
        error: Option<ErrorBody>,
    },
}

/// A new UUID v4 (random), as the client id of a message.
pub fn new_client_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Whether sending again later may succeed (offline, busy, signed out for now): such an
/// error leaves a message queued, any other makes it failed.
pub fn is_transient(code: &ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Offline
            | ErrorCode::Timeout
            | ErrorCode::BadResponse
            | ErrorCode::Unavailable
            | ErrorCode::Internal
            | ErrorCode::Busy
            | ErrorCode::RateLimited
            | ErrorCode::MessageRateLimited
            | ErrorCode::Unauthorized
            | ErrorCode::SessionExpired
            | ErrorCode::SessionRevoked
            | ErrorCode::KeychainUnavailable
            | ErrorCode::SettingsStorage
    )
}

/// Whether the server could not be reached (or not properly): only then do the screens show
/// the cached copy. Signed out is not offline: the copy is not shown then.
pub fn is_offline(code: &ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Offline
            | ErrorCode::Timeout
            | ErrorCode::BadResponse
            | ErrorCode::Unavailable
            | ErrorCode::Internal
            | ErrorCode::Busy
    )
}

/// Checks a message's body and attachments with the server's limits.
pub fn check_message(body: &str, attachments: usize) -> Result<(), CoreError> {
    if body.trim().is_empty() && attachments == 0 {
        return Err(CoreError::new(ErrorCode::MessageEmpty));
    }
    if body.chars().count() > MESSAGE_MAX_CHARS {
        return Err(CoreError::new(ErrorCode::MessageTooLong));
    }
    if attachments > ATTACHMENTS_PER_MESSAGE {
        return Err(CoreError::new(ErrorCode::FieldTooLong).with_detail("too many attachments"));
    }
    Ok(())
}

/// The content type of an attachment, judged by its first bytes like the server does
/// (PNG, JPEG, PDF), and its size.
pub fn check_attachment(bytes: &[u8]) -> Result<&'static str, CoreError> {
    if bytes.len() > ATTACHMENT_MAX_BYTES {
        return Err(CoreError::new(ErrorCode::AttachmentTooLarge));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(b"%PDF-") {
        Ok("application/pdf")
    } else {
        Err(CoreError::new(ErrorCode::AttachmentType))
    }
}

/// A file name from elsewhere as a safe stem for this computer: no folders, no dots at the
/// start, no control or reserved characters, at most 100 characters; the extension comes
/// from the content type, never from the name.
pub fn safe_file_stem(file_name: &str) -> String {
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or("");
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    };
    let cleaned: String = stem
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*' | '/' | '\\') {
                '_'
            } else {
                c
            }
        })
        .take(100)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_string();
    if cleaned.is_empty() {
        "attachment".to_string()
    } else {
        cleaned
    }
}

/// The file extension for an attachment's (checked) content type.
pub fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        _ => "pdf",
    }
}

fn cache_key(conversation_id: &str) -> String {
    format!("conversation:{conversation_id}")
}

const LIST_KEY: &str = "list";

/// The guest case open in this process (its token never leaves the core).
struct GuestSlot {
    reference: String,
    token: Secret,
    conversation_id: String,
    /// The newest seq of the case applied here: its live channel resumes after it.
    last_seq: i64,
    /// Which opening this is (a live task of an earlier one ends).
    generation: u64,
    /// The task holding the case's live channel.
    live: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for GuestSlot {
    fn drop(&mut self) {
        if let Some(live) = self.live.take() {
            live.abort();
        }
    }
}

/// The person's support conversations with the account's server.
pub struct Support {
    account: Arc<AccountSession>,
    store: SupportStore,
    /// Serialises outbox passes (the background sender and a direct flush).
    flushing: tokio::sync::Mutex<()>,
    /// Wakes the background sender after something was queued.
    nudge: Notify,
    updates: broadcast::Sender<SupportUpdate>,
    /// When "typing" was last sent, per conversation.
    typing_sent: Mutex<HashMap<String, Instant>>,
    guest: Mutex<Option<GuestSlot>>,
    /// Counts guest cases opened (see [`GuestSlot::generation`]).
    guest_openings: std::sync::atomic::AtomicU64,
    /// The wait between reconnections of a guest case's live channel (tests shorten it).
    guest_backoff: Backoff,
    /// The conversation the app's window shows now, if any (see [`Support::set_viewing`]).
    viewing: Mutex<Option<String>>,
    /// The clock of the typing throttle (tests move it).
    now: Arc<dyn Fn() -> Instant + Send + Sync>,
}

impl Support {
    /// Opens the support store in `data_dir` for the account's server, and hands the
    /// realtime channel the seq to resume from.
    pub fn open(data_dir: &Path, account: Arc<AccountSession>) -> Result<Self, CoreError> {
        let store = SupportStore::open(data_dir)?;
        if let Some(seq) = store.last_seq(&scope(&account))? {
            account.reset_support_after(seq);
        }
        Ok(Self {
            account,
            store,
            flushing: tokio::sync::Mutex::new(()),
            nudge: Notify::new(),
            updates: broadcast::channel(256).0,
            typing_sent: Mutex::new(HashMap::new()),
            guest: Mutex::new(None),
            guest_openings: std::sync::atomic::AtomicU64::new(0),
            guest_backoff: Backoff::default(),
            viewing: Mutex::new(None),
            now: Arc::new(Instant::now),
        })
    }

    /// Replaces the wait between reconnections of a guest case's live channel (tests).
    pub fn with_guest_backoff(mut self, backoff: Backoff) -> Self {
        self.guest_backoff = backoff;
        self
    }

    /// Replaces the clock of the typing throttle (tests).
    pub fn with_clock(mut self, now: impl Fn() -> Instant + Send + Sync + 'static) -> Self {
        self.now = Arc::new(now);
        self
    }

    /// The account moved to another server: the realtime channel resumes from that server's
    /// seq (or brings only new events when none is kept).
    pub fn server_changed(&self) -> Result<(), CoreError> {
        let seq = self.store.last_seq(&self.server())?.unwrap_or(-1);
        self.account.reset_support_after(seq);
        Ok(())
    }

    pub fn store(&self) -> &SupportStore {
        &self.store
    }

    /// Receives [`SupportUpdate`]s.
    pub fn subscribe(&self) -> broadcast::Receiver<SupportUpdate> {
        self.updates.subscribe()
    }

    fn emit(&self, update: SupportUpdate) {
        let _ = self.updates.send(update);
    }

    /// The scope of the rows in the store: this app's keychain service and the server, so
    /// the command line (its own session, apart from the app's) never sends the app's outbox
    /// with its session, nor the other way round.
    fn server(&self) -> String {
        scope(&self.account)
    }

    /// The server's id for `id` (a local id of a conversation created since), or `id`.
    fn resolve(&self, id: &str) -> Result<String, CoreError> {
        Ok(self
            .store
            .created_as(&self.server(), id)?
            .unwrap_or_else(|| id.to_string()))
    }

    // ----- reading -----

    /// The conversation list, fresh from the server (cached for offline); offline, the last
    /// copy with its age (`cached_at`). Conversations queued here come with it.
    pub async fn list(&self) -> Result<SupportHome, CoreError> {
        let server = self.server();
        let (list, cached_at) = match self
            .account
            .authed_send::<ConversationList>(Method::GET, paths::CONVERSATIONS, None)
            .await
        {
            Ok(list) => {
                self.store
                    .put_cache(&server, LIST_KEY, &list, &now_rfc3339())?;
                if self.store.last_seq(&server)?.is_none() {
                    self.store.set_seq(&server, list.last_seq)?;
                    self.account.reset_support_after(list.last_seq);
                }
                (list, None)
            }
            Err(e) if is_offline(&e.code) => {
                match self.store.cache::<ConversationList>(&server, LIST_KEY)? {
                    Some((list, at)) => (list, Some(at)),
                    None if self.store.outbox(&server)?.is_empty() => return Err(e),
                    None => (
                        ConversationList {
                            conversations: Vec::new(),
                            unread_total: 0,
                            last_seq: 0,
                        },
                        Some(now_rfc3339()),
                    ),
                }
            }
            Err(e) => return Err(e),
        };
        let queued = self
            .store
            .outbox(&server)?
            .into_iter()
            .filter_map(|item| queued_conversation(&item))
            .collect();
        Ok(SupportHome {
            conversations: list.conversations,
            queued,
            unread_total: list.unread_total,
            cached_at,
        })
    }

    /// One conversation with its messages and those still in the outbox; offline, the copy
    /// from when it was last opened. `id` may be the local id of a conversation queued here.
    pub async fn open_conversation(&self, id: &str) -> Result<ConversationView, CoreError> {
        let server = self.server();
        let id = self.resolve(id)?;
        let outbox = self.store.outbox(&server)?;
        if let Some(first) = outbox.iter().find(|i| i.client_msg_id == id) {
            if let Some(queued) = queued_conversation(first) {
                let messages = outbox
                    .iter()
                    .filter(|i| {
                        i.client_msg_id == id || i.pending_conversation.as_deref() == Some(&id)
                    })
                    .map(ShownMessage::queued)
                    .collect();
                return Ok(ConversationView {
                    id: id.clone(),
                    conversation: None,
                    queued: Some(queued),
                    messages,
                    cached_at: None,
                });
            }
        }
        let path = path_with_id(paths::CONVERSATION, &id)?;
        let (detail, cached_at) = match self
            .account
            .authed_send::<ConversationDetail>(Method::GET, &path, None)
            .await
        {
            Ok(detail) => {
                self.store
                    .put_cache(&server, &cache_key(&id), &detail, &now_rfc3339())?;
                (detail, None)
            }
            Err(e) if is_offline(&e.code) => {
                match self
                    .store
                    .cache::<ConversationDetail>(&server, &cache_key(&id))?
                {
                    Some((detail, at)) => (detail, Some(at)),
                    None => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        Ok(self.view(detail, cached_at, &outbox))
    }

    fn view(
        &self,
        detail: ConversationDetail,
        cached_at: Option<String>,
        outbox: &[OutboxItem],
    ) -> ConversationView {
        let id = detail.conversation.id.clone();
        let mut messages: Vec<ShownMessage> = detail
            .messages
            .into_iter()
            .map(ShownMessage::sent)
            .collect();
        for item in outbox
            .iter()
            .filter(|i| i.conversation_id.as_deref() == Some(id.as_str()))
        {
            // Acknowledged but not yet deleted here: the server's copy is shown.
            if !messages
                .iter()
                .any(|m| m.client_msg_id == item.client_msg_id)
            {
                messages.push(ShownMessage::queued(item));
            }
        }
        ConversationView {
            id,
            conversation: Some(detail.conversation),
            queued: None,
            messages,
            cached_at,
        }
    }

    // ----- writing -----

    /// Queues a message to conversation `id` (the server's id or a queued conversation's
    /// local id) and wakes the sender; it is in the outbox on disk when this returns.
    pub fn send(
        &self,
        id: &str,
        body: &str,
        attachments: Vec<AttachmentInfo>,
    ) -> Result<ShownMessage, CoreError> {
        check_message(body, attachments.len())?;
        let item = self.queue_item(id, body, attachments)?;
        self.nudge.notify_one();
        Ok(ShownMessage::queued(&item))
    }

    fn queue_item(
        &self,
        id: &str,
        body: &str,
        attachments: Vec<AttachmentInfo>,
    ) -> Result<OutboxItem, CoreError> {
        let server = self.server();
        let id = self.resolve(id)?;
        let waits_for_new = self
            .store
            .outbox(&server)?
            .iter()
            .any(|i| i.client_msg_id == id && i.new_conversation.is_some());
        let item = OutboxItem {
            ord: 0,
            client_msg_id: new_client_id(),
            conversation_id: (!waits_for_new).then(|| id.clone()),
            pending_conversation: waits_for_new.then(|| id.clone()),
            new_conversation: None,
            body: body.to_string(),
            attachments,
            created_at: now_rfc3339(),
            failed: None,
        };
        self.store.queue(&server, &item)?;
        Ok(item)
    }

    /// Starts a conversation: queued like a message (offline too) and created by the sender.
    /// The view's `id` is the local id until the server names it (see
    /// [`SupportUpdate::Outbox`]).
    /// `attachments` are uploads of [`Support::attach_new`]: they go with the first message.
    pub fn start_conversation(
        &self,
        topic: SupportTopic,
        subject: &str,
        body: &str,
        attachments: Vec<AttachmentInfo>,
    ) -> Result<ConversationView, CoreError> {
        let subject = subject.trim();
        if subject.is_empty() {
            return Err(CoreError::new(ErrorCode::FieldRequired).with_detail("subject"));
        }
        if subject.chars().count() > SUBJECT_MAX_CHARS {
            return Err(CoreError::new(ErrorCode::FieldTooLong).with_detail("subject"));
        }
        check_message(body, attachments.len())?;
        let id = new_client_id();
        let item = OutboxItem {
            ord: 0,
            client_msg_id: id.clone(),
            conversation_id: None,
            pending_conversation: None,
            new_conversation: Some((topic, subject.to_string())),
            body: body.to_string(),
            attachments,
            created_at: now_rfc3339(),
            failed: None,
        };
        self.store.queue(&self.server(), &item)?;
        self.nudge.notify_one();
        Ok(ConversationView {
            id,
            conversation: None,
            queued: queued_conversation(&item),
            messages: vec![ShownMessage::queued(&item)],
            cached_at: None,
        })
    }

    /// Puts a failed message back in the queue.
    pub fn retry(&self, client_msg_id: &str) -> Result<(), CoreError> {
        if !self.store.retry(client_msg_id)? {
            return Err(CoreError::new(ErrorCode::NotFound).with_detail("not in the outbox"));
        }
        self.nudge.notify_one();
        Ok(())
    }

    /// Removes a message from the outbox without sending it (a failed one the person gives
    /// up on).
    pub fn discard(&self, client_msg_id: &str) -> Result<(), CoreError> {
        self.store.delete(client_msg_id)
    }

    /// Marks conversation `id` read up to `seq`.
    pub async fn mark_read(&self, id: &str, seq: i64) -> Result<(), CoreError> {
        let path = path_with_id(paths::READ, &self.resolve(id)?)?;
        let body = to_json(&ReadRequest { last_read_seq: seq })?;
        self.account
            .authed_send::<NoData>(Method::POST, &path, Some(body))
            .await
            .map(drop)
    }

    /// "The person is typing": sent at most once every [`TYPING_EVERY_SECONDS`] per
    /// conversation (more calls in between return at once); true when it was sent.
    /// The window shows conversation `id` now (`None`: no conversation).
    pub fn set_viewing(&self, id: Option<String>) {
        *self.viewing.lock().expect("viewing lock") = id;
    }

    /// Whether a reply in conversation `id` needs a desktop notification: not when the window
    /// is focused and shows that very conversation; yes when it is not focused, or when the
    /// person is looking at another screen (a reply should not wait until they come back to
    /// Support). Never for the open guest case: its screen shows the reply live, and a click
    /// could only open a conversation that needs a sign-in (the unseen-reply mail tells the
    /// guest who went away).
    pub fn notify_reply(&self, id: &str, window_focused: bool) -> bool {
        if self
            .guest
            .lock()
            .expect("guest lock")
            .as_ref()
            .is_some_and(|g| g.conversation_id == id)
        {
            return false;
        }
        let viewing = self.viewing.lock().expect("viewing lock");
        !(window_focused && viewing.as_deref() == Some(id))
    }

    pub async fn typing(&self, id: &str) -> Result<bool, CoreError> {
        let id = self.resolve(id)?;
        if !self.typing_due(&id) {
            return Ok(false);
        }
        let path = path_with_id(paths::TYPING, &id)?;
        self.account
            .authed_send::<NoData>(Method::POST, &path, Some(b"{}".to_vec()))
            .await?;
        Ok(true)
    }

    /// The person closes conversation `id`.
    pub async fn close(&self, id: &str) -> Result<ConversationSummary, CoreError> {
        let path = path_with_id(paths::CLOSE, &self.resolve(id)?)?;
        self.account
            .authed_send(Method::POST, &path, Some(b"{}".to_vec()))
            .await
    }

    /// Rates a resolved or closed conversation (1–5).
    pub async fn rate(
        &self,
        id: &str,
        rating: u8,
        comment: &str,
    ) -> Result<ConversationSummary, CoreError> {
        let path = path_with_id(paths::RATING, &self.resolve(id)?)?;
        let body = to_json(&RatingRequest {
            rating,
            comment: comment.to_string(),
        })?;
        self.account
            .authed_send(Method::POST, &path, Some(body))
            .await
    }

    /// Whether an agent is online now.
    pub async fn availability(&self) -> Result<SupportAvailability, CoreError> {
        self.account
            .authed_send(Method::GET, paths::AVAILABILITY, None)
            .await
    }

    /// "This answered it": a help article answered the question; no conversation started.
    pub async fn deflect(
        &self,
        article_id: &str,
        topic: Option<SupportTopic>,
    ) -> Result<(), CoreError> {
        let body = to_json(&DeflectionRequest {
            article_id: article_id.to_string(),
            topic,
        })?;
        self.account
            .authed_send::<NoData>(Method::POST, paths::DEFLECTIONS, Some(body))
            .await
            .map(drop)
    }

    /// Uploads the file at `path` to conversation `id` (checked here first: at most 5 MB,
    /// PNG, JPEG or PDF by content). Needs the server; the answer's id goes with
    /// [`Support::send`].
    pub async fn attach(&self, id: &str, file: &Path) -> Result<AttachmentInfo, CoreError> {
        let (name, bytes) = read_attachment(file)?;
        self.attach_bytes(id, &name, bytes).await
    }

    /// Uploads the file at `path` for a conversation not started yet, checked like
    /// [`Support::attach`]. Needs the server; the answer goes with
    /// [`Support::start_conversation`], which binds it to the first message.
    pub async fn attach_new(&self, file: &Path) -> Result<AttachmentInfo, CoreError> {
        let (name, bytes) = read_attachment(file)?;
        self.attach_new_bytes(&name, bytes).await
    }

    /// Uploads `bytes` (a picked or pasted file) as `name` for a conversation not started yet.
    pub async fn attach_new_bytes(
        &self,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<AttachmentInfo, CoreError> {
        let content_type = check_attachment(&bytes)?;
        self.account
            .authed_upload(&with_name(paths::UPLOADS, name), bytes, content_type)
            .await
    }

    /// Uploads `bytes` (a pasted image) as `name` to conversation `id`, checked like
    /// [`Support::attach`].
    pub async fn attach_bytes(
        &self,
        id: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<AttachmentInfo, CoreError> {
        let content_type = check_attachment(&bytes)?;
        let path = with_name(&path_with_id(paths::ATTACHMENTS, &self.resolve(id)?)?, name);
        self.account.authed_upload(&path, bytes, content_type).await
    }

    /// The bytes of attachment `attachment_id` of conversation `id` (participants only),
    /// checked again by content here: only a PNG, JPEG or PDF is handed on.
    pub async fn download_attachment(
        &self,
        id: &str,
        attachment_id: &str,
    ) -> Result<(Vec<u8>, &'static str), CoreError> {
        let path = path_with_id(paths::ATTACHMENT, &self.resolve(id)?)?;
        let path = path.replace(
            "{attachment_id}",
            &percent_encoding::utf8_percent_encode(
                attachment_id,
                percent_encoding::NON_ALPHANUMERIC,
            )
            .to_string(),
        );
        let bytes = self.account.authed_bytes(&path).await?;
        let content_type = check_attachment(&bytes)?;
        Ok((bytes, content_type))
    }

    // ----- guest cases -----

    /// Mails a code for the case with `reference` to the address on its recovery request.
    pub async fn guest_code(&self, reference: &str) -> Result<(), CoreError> {
        self.account
            .api()
            .post::<_, NoData>(
                paths::GUEST_CODE,
                &GuestCodeRequest {
                    reference: reference.trim().to_string(),
                },
                None,
            )
            .await
            .map(drop)
    }

    /// Opens the case with its reference and the mailed code (no sign-in); the access stays
    /// in the core until it expires, another case is opened or [`Support::guest_leave`].
    /// While it is open, its live channel is held ([`Support::run_guest`]): replies, status,
    /// "Seen" and typing arrive as [`SupportUpdate`]s, as for a signed-in person.
    pub async fn guest_open(
        self: &Arc<Self>,
        reference: &str,
        code: Secret,
    ) -> Result<GuestCase, CoreError> {
        let reference = reference.trim().to_string();
        let access: GuestAccess = self
            .account
            .api()
            .post(
                paths::GUEST_ACCESS,
                &GuestAccessRequest {
                    reference: reference.clone(),
                    code,
                },
                None,
            )
            .await?;
        let generation = self
            .guest_openings
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        {
            let mut slot = self.guest.lock().expect("guest lock");
            *slot = Some(GuestSlot {
                reference: reference.clone(),
                token: access.token.clone(),
                conversation_id: access.conversation.conversation.id.clone(),
                last_seq: access.conversation.conversation.last_seq,
                generation,
                live: None,
            });
            if let Some(slot) = slot.as_mut() {
                slot.live = Some(tokio::spawn(Arc::clone(self).run_guest(generation)));
            }
        }
        Ok(GuestCase {
            reference,
            expires_at: access.expires_at,
            conversation: access.conversation,
        })
    }

    /// The guest leaves the case: its live channel closes and the access is forgotten.
    pub fn guest_leave(&self) {
        self.guest.lock().expect("guest lock").take();
    }

    /// Whether a guest case is open here.
    pub fn guest_is_open(&self) -> bool {
        self.guest.lock().expect("guest lock").is_some()
    }

    fn guest_token(&self) -> Result<(String, Secret), CoreError> {
        self.guest
            .lock()
            .expect("guest lock")
            .as_ref()
            .map(|g| (g.reference.clone(), g.token.clone()))
            .ok_or_else(|| CoreError::new(ErrorCode::GuestAccessExpired))
    }

    /// The open guest case, fresh.
    pub async fn guest_conversation(&self) -> Result<ConversationDetail, CoreError> {
        let (_, token) = self.guest_token()?;
        let detail: ConversationDetail = self
            .account
            .api()
            .get_authed(paths::GUEST_CONVERSATION, &token)
            .await
            .inspect_err(|e| self.guest_refused(e))?;
        self.guest_seen_seq(&detail.conversation.id, detail.conversation.last_seq);
        Ok(detail)
    }

    /// The guest has seen the case up to `seq` (the same rule as [`Support::mark_read`]).
    pub async fn guest_mark_read(&self, seq: i64) -> Result<(), CoreError> {
        let (_, token) = self.guest_token()?;
        let body = ReadRequest { last_read_seq: seq };
        self.account
            .api()
            .post::<_, NoData>(paths::GUEST_READ, &body, Some(&token))
            .await
            .inspect_err(|e| self.guest_refused(e))
            .map(drop)
    }

    /// "The guest is typing": sent at most once every [`TYPING_EVERY_SECONDS`] (more calls in
    /// between return at once); true when it was sent.
    pub async fn guest_typing(&self) -> Result<bool, CoreError> {
        let (_, token) = self.guest_token()?;
        let conversation_id = self
            .guest
            .lock()
            .expect("guest lock")
            .as_ref()
            .map(|g| g.conversation_id.clone())
            .unwrap_or_default();
        if !self.typing_due(&format!("guest:{conversation_id}")) {
            return Ok(false);
        }
        self.account
            .api()
            .post::<_, NoData>(paths::GUEST_TYPING, &serde_json::json!({}), Some(&token))
            .await
            .inspect_err(|e| self.guest_refused(e))?;
        Ok(true)
    }

    /// Whether a typing signal for `key` may go now (then it counts as sent).
    fn typing_due(&self, key: &str) -> bool {
        let mut sent = self.typing_sent.lock().expect("typing lock");
        let every = Duration::from_secs(u64::from(TYPING_EVERY_SECONDS));
        let now = (self.now)();
        if sent
            .get(key)
            .is_some_and(|at| now.saturating_duration_since(*at) < every)
        {
            return false;
        }
        sent.insert(key.to_string(), now);
        true
    }

    /// A guest call refused because the access ended: the case closes here and the screen
    /// is told ([`SupportUpdate::GuestEnded`]).
    fn guest_refused(&self, e: &CoreError) {
        if matches!(
            e.code,
            ErrorCode::GuestAccessExpired | ErrorCode::Unauthorized
        ) && self.guest.lock().expect("guest lock").take().is_some()
        {
            self.emit(SupportUpdate::GuestEnded { error: e.to_body() });
        }
    }

    /// Notes that the guest case `conversation_id` is known here up to `seq`.
    fn guest_seen_seq(&self, conversation_id: &str, seq: i64) {
        if let Some(slot) = self.guest.lock().expect("guest lock").as_mut() {
            if slot.conversation_id == conversation_id {
                slot.last_seq = slot.last_seq.max(seq);
            }
        }
    }

    /// Holds the live channel of guest case opening `generation` until it is left, replaced
    /// or its access ends: reconnects with backoff and resumes after the last seq applied
    /// (no polling while it is up), and reports its events as [`SupportUpdate`]s.
    async fn run_guest(self: Arc<Self>, generation: u64) {
        let agent = crate::api_client::user_agent(self.account.app_name());
        let mut failures: u32 = 0;
        // What the screen was told last.
        let mut connected: Option<bool> = None;
        loop {
            let current = self
                .guest
                .lock()
                .expect("guest lock")
                .as_ref()
                .filter(|g| g.generation == generation)
                .map(|g| (g.token.clone(), g.last_seq));
            let Some((token, after)) = current else {
                return;
            };
            let base = self.account.api().base_url().clone();
            match RealtimeSocket::connect_to(
                &base,
                paths::GUEST_REALTIME,
                &token,
                &agent,
                Some(after),
            )
            .await
            {
                Err(e)
                    if matches!(
                        e.code,
                        ErrorCode::GuestAccessExpired | ErrorCode::Unauthorized
                    ) =>
                {
                    self.guest_refused(&e);
                    return;
                }
                Err(e) => {
                    tracing::debug!(code = %e.code, "guest case: live channel not connected");
                }
                Ok(mut socket) => {
                    let mut ping = tokio::time::interval(PING_INTERVAL);
                    ping.reset();
                    let mut last_heard = tokio::time::Instant::now();
                    loop {
                        tokio::select! {
                            incoming = socket.next() => {
                                last_heard = tokio::time::Instant::now();
                                match incoming {
                                    Incoming::Closed => break,
                                    Incoming::Other => {}
                                    Incoming::Event(event) => {
                                        if matches!(*event, RealtimeEvent::Ready { .. }) {
                                            failures = 0;
                                            connected = Some(true);
                                            self.emit(SupportUpdate::GuestConnection { connected: true });
                                        } else if let Err(e) = self.apply_guest(*event).await {
                                            tracing::warn!(code = %e.code, "guest case: event not applied");
                                        }
                                    }
                                }
                            }
                            _ = ping.tick() => {
                                if last_heard.elapsed() > SILENCE_LIMIT || socket.ping().await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                }
            }
            // Dropped, or not reached (told once, not at every try).
            if connected != Some(false) {
                connected = Some(false);
                self.emit(SupportUpdate::GuestConnection { connected: false });
            }
            let wait = self.guest_backoff.delay_now(failures);
            failures = failures.saturating_add(1);
            tokio::time::sleep(wait).await;
        }
    }

    /// Applies one event of the guest case's live channel.
    async fn apply_guest(&self, event: RealtimeEvent) -> Result<(), CoreError> {
        match event {
            RealtimeEvent::Support { event } => {
                self.guest_seen_seq(&event.conversation_id, event.seq);
                self.emit(SupportUpdate::Changed { event });
            }
            RealtimeEvent::SupportTyping {
                conversation_id,
                author,
            } => self.emit(SupportUpdate::Typing {
                conversation_id,
                author,
            }),
            RealtimeEvent::SupportAvailability { agents_online } => {
                self.emit(SupportUpdate::Availability { agents_online })
            }
            RealtimeEvent::SupportReload => {
                // Too much was missed: the case is read again and resumes from its seq.
                self.guest_conversation().await?;
                self.emit(SupportUpdate::Reload);
            }
            _ => {}
        }
        Ok(())
    }

    /// Replies in the open guest case (sent at once, with a client id, so a retry of the same
    /// call by the caller is harmless).
    pub async fn guest_send(
        &self,
        body: &str,
        client_msg_id: Option<String>,
    ) -> Result<SupportMessage, CoreError> {
        check_message(body, 0)?;
        let (_, token) = self.guest_token()?;
        let draft = MessageDraft {
            client_msg_id: client_msg_id.unwrap_or_else(new_client_id),
            body: body.to_string(),
            attachment_ids: Vec::new(),
        };
        self.account
            .api()
            .post(paths::GUEST_MESSAGES, &draft, Some(&token))
            .await
            .inspect_err(|e| self.guest_refused(e))
    }

    // ----- the outbox sender -----

    /// Sends what the outbox holds for the current server, in order, until it is empty or
    /// the server cannot be reached. `Ok(n)`: n messages acknowledged and none left that could
    /// go now; `Err`: a transient error stopped the pass (the rest waits).
    pub async fn flush(&self) -> Result<u32, CoreError> {
        let _pass = self.flushing.lock().await;
        let server = self.server();
        let mut sent = 0;
        'pass: loop {
            let items = self.store.outbox(&server)?;
            for item in items.iter().filter(|i| i.failed.is_none()) {
                if let Some((topic, subject)) = &item.new_conversation {
                    let request = NewConversation {
                        topic: *topic,
                        subject: subject.clone(),
                        message: draft(item),
                    };
                    let result = self
                        .account
                        .authed_send::<ConversationDetail>(
                            Method::POST,
                            paths::CONVERSATIONS,
                            Some(to_json(&request)?),
                        )
                        .await;
                    match result {
                        Ok(detail) => {
                            test_hook_after_ack();
                            let id = detail.conversation.id.clone();
                            self.store
                                .conversation_created(&server, &item.client_msg_id, &id)?;
                            self.store.put_cache(
                                &server,
                                &cache_key(&id),
                                &detail,
                                &now_rfc3339(),
                            )?;
                            sent += 1;
                            self.emit_outbox(item, Some(id), MessageState::Sent, None);
                            // The messages that waited for it now name it: read them again.
                            continue 'pass;
                        }
                        Err(e) => self.refused(item, e)?,
                    }
                } else if let Some(conversation) = &item.conversation_id {
                    let path = path_with_id(paths::MESSAGES, conversation)?;
                    let result = self
                        .account
                        .authed_send::<SupportMessage>(
                            Method::POST,
                            &path,
                            Some(to_json(&draft(item))?),
                        )
                        .await;
                    match result {
                        Ok(_) => {
                            test_hook_after_ack();
                            self.store.delete(&item.client_msg_id)?;
                            sent += 1;
                            self.emit_outbox(
                                item,
                                Some(conversation.clone()),
                                MessageState::Sent,
                                None,
                            );
                        }
                        Err(e) => self.refused(item, e)?,
                    }
                }
                // Otherwise it waits for its conversation, queued earlier (or failed).
            }
            return Ok(sent);
        }
    }

    /// A refusal: transient ones stop the pass; others fail the message for good.
    fn refused(&self, item: &OutboxItem, e: CoreError) -> Result<(), CoreError> {
        if is_transient(&e.code) {
            return Err(e);
        }
        tracing::info!(code = %e.code, "support: a queued message was refused");
        let body = e.to_body();
        self.store.mark_failed(&item.client_msg_id, &body)?;
        self.emit_outbox(
            item,
            item.conversation_id.clone(),
            MessageState::Failed,
            Some(body),
        );
        Ok(())
    }

    fn emit_outbox(
        &self,
        item: &OutboxItem,
        conversation_id: Option<String>,
        state: MessageState,
        error: Option<ErrorBody>,
    ) {
        self.emit(SupportUpdate::Outbox {
            client_msg_id: item.client_msg_id.clone(),
            local_id: item.local_conversation_id(),
            conversation_id,
            state,
            error,
        });
    }

    /// The server's id of the conversation started here as `local_id`, once created.
    pub fn created_as(&self, local_id: &str) -> Result<Option<String>, CoreError> {
        self.store.created_as(&self.server(), local_id)
    }

    /// The outbox item with this client id, while it is there (queued or failed).
    pub fn outbox_item(&self, client_msg_id: &str) -> Result<Option<OutboxItem>, CoreError> {
        Ok(self
            .store
            .outbox(&self.server())?
            .into_iter()
            .find(|i| i.client_msg_id == client_msg_id))
    }

    /// How many messages wait in the outbox (not failed) for this server.
    pub fn queued_count(&self) -> Result<usize, CoreError> {
        Ok(self
            .store
            .outbox(&self.server())?
            .iter()
            .filter(|i| i.failed.is_none())
            .count())
    }

    /// Whether the outbox holds messages that can still go (not failed) for this server.
    pub fn has_queued(&self) -> Result<bool, CoreError> {
        Ok(self
            .store
            .outbox(&self.server())?
            .iter()
            .any(|i| i.failed.is_none()))
    }

    /// The background sender: flushes at start, after each send, when the connection comes
    /// back and when a session starts; after a transient error it waits (1 s doubling to
    /// 30 s, jittered) or until one of those happens. Runs until its task is aborted.
    pub async fn run_outbox(self: Arc<Self>, connection: Arc<ConnectionMonitor>) {
        let backoff = Backoff::default();
        let mut online = connection.subscribe();
        let mut account = self.account.subscribe();
        let mut failures: u32 = 0;
        loop {
            let wait = match self.flush().await {
                Ok(_) => {
                    failures = 0;
                    None
                }
                Err(e) => {
                    tracing::debug!(code = %e.code, "support outbox waits");
                    if matches!(e.code, ErrorCode::Offline | ErrorCode::Timeout) {
                        connection.recheck();
                    }
                    let wait = backoff.delay_now(failures);
                    failures = failures.saturating_add(1);
                    Some(wait)
                }
            };
            let sleep = async {
                match wait {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = self.nudge.notified() => {}
                _ = sleep => {}
                changed = online.changed() => {
                    if changed.is_err() {
                        std::future::pending::<()>().await;
                    }
                    if online.borrow_and_update().status == ConnectionStatus::Online {
                        failures = 0;
                    } else {
                        // Still offline: keep waiting for the backoff or a change.
                        continue;
                    }
                }
                _ = account.recv() => { failures = 0; }
            }
        }
    }

    // ----- live updates -----

    /// Forgets what is kept for the current scope: the outbox, the cached conversations and
    /// the seq (see the module's rules: signing out forgets).
    pub fn forget_account(&self) -> Result<(), CoreError> {
        self.store.forget(&self.server())?;
        self.account.reset_support_after(-1);
        self.emit(SupportUpdate::Reload);
        Ok(())
    }

    /// Applies the support events of the realtime channel (replayed after the seq held, then
    /// live), keeps the seq and the cache, and reports each as a [`SupportUpdate`]; forgets the
    /// account's support data when its session ends. Runs until its task is aborted.
    pub async fn run_events(self: Arc<Self>) {
        use broadcast::error::RecvError;
        let mut events = self.account.subscribe_support();
        let mut account = self.account.subscribe();
        loop {
            let next = tokio::select! {
                next = events.recv() => next,
                changed = account.recv() => {
                    if let Ok(crate::account::AccountEvent::AccountChanged(None)) = changed {
                        if let Err(e) = self.forget_account() {
                            tracing::warn!(code = %e.code, "support data not forgotten");
                        }
                    }
                    continue;
                }
            };
            match next {
                Ok(event) => {
                    if let Err(e) = self.apply(event).await {
                        tracing::warn!(code = %e.code, detail = ?e.detail, "support event not applied");
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!("{n} support events dropped: reloading");
                    let _ = self.reload().await;
                }
                Err(RecvError::Closed) => return,
            }
        }
    }

    /// Applies one realtime event.
    pub async fn apply(&self, event: RealtimeEvent) -> Result<(), CoreError> {
        match event {
            RealtimeEvent::Support { event } => {
                let server = self.server();
                self.cache_event(&server, &event)?;
                if let Some(message) = &event.message {
                    if message.author.kind == AuthorKind::Person
                        && !message.client_msg_id.is_empty()
                    {
                        // Our own message came back: it is stored, whoever sent it.
                        let queued = self.store.outbox(&server)?;
                        if let Some(item) = queued.iter().find(|i| {
                            i.client_msg_id == message.client_msg_id && i.new_conversation.is_none()
                        }) {
                            self.store.delete(&item.client_msg_id)?;
                        }
                    }
                }
                self.store.note_seq(&server, event.seq)?;
                self.account.set_support_after(event.seq);
                self.emit(SupportUpdate::Changed { event });
            }
            RealtimeEvent::SupportTyping {
                conversation_id,
                author,
            } => self.emit(SupportUpdate::Typing {
                conversation_id,
                author,
            }),
            RealtimeEvent::SupportReload => self.reload().await?,
            RealtimeEvent::SupportAvailability { agents_online } => {
                self.emit(SupportUpdate::Availability { agents_online })
            }
            _ => {}
        }
        Ok(())
    }

    /// Fetches the list again and resumes from its seq.
    async fn reload(&self) -> Result<(), CoreError> {
        let server = self.server();
        let list: ConversationList = self
            .account
            .authed_send(Method::GET, paths::CONVERSATIONS, None)
            .await?;
        self.store
            .put_cache(&server, LIST_KEY, &list, &now_rfc3339())?;
        self.store.set_seq(&server, list.last_seq)?;
        self.account.reset_support_after(list.last_seq);
        self.emit(SupportUpdate::Reload);
        Ok(())
    }

    /// Keeps the cached list and conversation in step with an event.
    fn cache_event(&self, server: &str, event: &SupportEvent) -> Result<(), CoreError> {
        let now = now_rfc3339();
        if let Some((mut list, _)) = self.store.cache::<ConversationList>(server, LIST_KEY)? {
            list.conversations.retain(|c| c.id != event.conversation_id);
            list.conversations.insert(0, event.conversation.clone());
            list.unread_total = list.conversations.iter().map(|c| c.unread).sum();
            list.last_seq = list.last_seq.max(event.seq);
            self.store.put_cache(server, LIST_KEY, &list, &now)?;
        }
        let key = cache_key(&event.conversation_id);
        if let Some((mut detail, _)) = self.store.cache::<ConversationDetail>(server, &key)? {
            detail.conversation = event.conversation.clone();
            if let Some(message) = &event.message {
                if !detail.messages.iter().any(|m| m.id == message.id) {
                    detail.messages.push(message.clone());
                    detail.messages.sort_by_key(|m| m.seq);
                }
            }
            self.store.put_cache(server, &key, &detail, &now)?;
        }
        Ok(())
    }
}

fn scope(account: &AccountSession) -> String {
    format!("{} {}", account.keychain_service(), account.server_url())
}

/// A picked file's name and bytes, refused before reading when over the size limit.
fn read_attachment(file: &Path) -> Result<(String, Vec<u8>), CoreError> {
    let unreadable = |e: std::io::Error| {
        CoreError::new(ErrorCode::AttachmentNotFound)
            .with_detail(format!("{}: {e}", file.display()))
    };
    let meta = std::fs::metadata(file).map_err(unreadable)?;
    if meta.len() > ATTACHMENT_MAX_BYTES as u64 {
        return Err(CoreError::new(ErrorCode::AttachmentTooLarge));
    }
    let bytes = std::fs::read(file).map_err(unreadable)?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    Ok((name, bytes))
}

/// An upload route with the file's name as `?name=`.
fn with_name(path: &str, name: &str) -> String {
    let name = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    format!("{path}?name={name}")
}

fn draft(item: &OutboxItem) -> MessageDraft {
    MessageDraft {
        client_msg_id: item.client_msg_id.clone(),
        body: item.body.clone(),
        attachment_ids: item.attachments.iter().map(|a| a.id.clone()).collect(),
    }
}

fn queued_conversation(item: &OutboxItem) -> Option<QueuedConversation> {
    let (topic, subject) = item.new_conversation.clone()?;
    Some(QueuedConversation {
        local_id: item.client_msg_id.clone(),
        topic,
        subject,
        created_at: item.created_at.clone(),
        state: if item.failed.is_some() {
            MessageState::Failed
        } else {
            MessageState::Sending
        },
        error: item.failed.clone(),
    })
}

/// Tests prove that a kill between the server's answer and the outbox delete doubles
/// nothing: with `XWMS_TEST_ABORT_AFTER_ACK=1` (debug builds only) the process aborts right
/// after the first acknowledgement, before the delete.
fn test_hook_after_ack() {
    #[cfg(debug_assertions)]
    if std::env::var_os("XWMS_TEST_ABORT_AFTER_ACK").is_some_and(|v| v == "1") {
        eprintln!("XWMS_TEST_ABORT_AFTER_ACK: aborting after the server's ack");
        std::process::abort();
    }
}

#[cfg(test)]
mod tests;
