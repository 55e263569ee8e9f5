//! Live support: conversations with the support team, the outbox, guest cases. Each command
//! calls one method of [`xwms_core::support::Support`].

use std::path::PathBuf;

use tauri::{AppHandle, Manager, State};
use xwms_api::support::{
    AttachmentInfo, ConversationDetail, ConversationSummary, SupportAvailability, SupportMessage,
    SupportTopic,
};
use xwms_api::ErrorCode;
use xwms_core::client::Client;
use xwms_core::secret::Secret;
use xwms_core::support::{ConversationView, GuestCase, ShownMessage, SupportHome};

use super::{IpcError, IpcResult};

/// My conversations (unread first) and those queued here; offline, the last copy.
#[tauri::command]
#[specta::specta]
pub async fn support_list(client: State<'_, Client>) -> IpcResult<SupportHome> {
    Ok(client.support().list().await?)
}

/// One conversation with its messages (sent, sending, failed); offline, the last copy.
#[tauri::command]
#[specta::specta]
pub async fn support_open(client: State<'_, Client>, id: String) -> IpcResult<ConversationView> {
    Ok(client.support().open_conversation(&id).await?)
}

/// Starts a conversation (queued first; works offline) with files uploaded before by
/// `support_attach_new_pasted`.
#[tauri::command]
#[specta::specta]
pub fn support_start(
    client: State<'_, Client>,
    topic: SupportTopic,
    subject: String,
    body: String,
    attachments: Vec<AttachmentInfo>,
) -> IpcResult<ConversationView> {
    Ok(client
        .support()
        .start_conversation(topic, &subject, &body, attachments)?)
}

/// Sends a message (queued first; works offline) with attachments uploaded before.
#[tauri::command]
#[specta::specta]
pub fn support_send(
    client: State<'_, Client>,
    id: String,
    body: String,
    attachments: Vec<AttachmentInfo>,
) -> IpcResult<ShownMessage> {
    Ok(client.support().send(&id, &body, attachments)?)
}

/// Puts a failed message back in the queue.
#[tauri::command]
#[specta::specta]
pub fn support_retry(client: State<'_, Client>, client_msg_id: String) -> IpcResult<()> {
    Ok(client.support().retry(&client_msg_id)?)
}

/// Removes a failed message from the outbox.
#[tauri::command]
#[specta::specta]
pub fn support_discard(client: State<'_, Client>, client_msg_id: String) -> IpcResult<()> {
    Ok(client.support().discard(&client_msg_id)?)
}

/// The person has seen the conversation up to `seq`.
#[tauri::command]
#[specta::specta]
pub async fn support_mark_read(client: State<'_, Client>, id: String, seq: f64) -> IpcResult<()> {
    Ok(client.support().mark_read(&id, seq as i64).await?)
}

/// The window shows conversation `id` now, or none (`null`): a reply there needs no desktop
/// notification while the window is focused.
#[tauri::command]
#[specta::specta]
pub fn support_viewing(client: State<'_, Client>, id: Option<String>) {
    client.support().set_viewing(id);
}

/// The person types (sent at most every 3 s; more calls return at once).
#[tauri::command]
#[specta::specta]
pub async fn support_typing(client: State<'_, Client>, id: String) -> IpcResult<bool> {
    Ok(client.support().typing(&id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn support_close(
    client: State<'_, Client>,
    id: String,
) -> IpcResult<ConversationSummary> {
    Ok(client.support().close(&id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn support_rate(
    client: State<'_, Client>,
    id: String,
    rating: u8,
    comment: String,
) -> IpcResult<ConversationSummary> {
    Ok(client.support().rate(&id, rating, &comment).await?)
}

/// Whether an agent is online now.
#[tauri::command]
#[specta::specta]
pub async fn support_availability(client: State<'_, Client>) -> IpcResult<SupportAvailability> {
    Ok(client.support().availability().await?)
}

/// "This answered it": a suggested help article answered the question.
#[tauri::command]
#[specta::specta]
pub async fn support_deflect(
    client: State<'_, Client>,
    article_id: String,
    topic: Option<SupportTopic>,
) -> IpcResult<()> {
    Ok(client.support().deflect(&article_id, topic).await?)
}

/// Uploads a picked file (PNG, JPEG, PDF, at most 5 MB) to the conversation.
#[tauri::command]
#[specta::specta]
pub async fn support_attach(
    client: State<'_, Client>,
    id: String,
    path: PathBuf,
) -> IpcResult<AttachmentInfo> {
    Ok(client.support().attach(&id, &path).await?)
}

/// Uploads a pasted image to the conversation.
#[tauri::command]
#[specta::specta]
pub async fn support_attach_pasted(
    client: State<'_, Client>,
    id: String,
    name: String,
    bytes: Vec<u8>,
) -> IpcResult<AttachmentInfo> {
    Ok(client.support().attach_bytes(&id, &name, bytes).await?)
}

/// Uploads a picked or pasted file for a conversation not started yet (it goes with
/// `support_start`).
#[tauri::command]
#[specta::specta]
pub async fn support_attach_new_pasted(
    client: State<'_, Client>,
    name: String,
    bytes: Vec<u8>,
) -> IpcResult<AttachmentInfo> {
    Ok(client.support().attach_new_bytes(&name, bytes).await?)
}

/// Saves an attachment of the conversation to the Downloads folder (a new file; the type
/// checked by content). Returns its path ("Show in folder" reveals it).
#[tauri::command]
#[specta::specta]
pub async fn support_save_attachment(
    app: AppHandle,
    id: String,
    attachment_id: String,
    file_name: String,
) -> IpcResult<String> {
    let dir = app.path().download_dir().map_err(|e| {
        IpcError::logged(
            ErrorCode::FileSaveFailed,
            format!("no downloads folder: {e}"),
        )
    })?;
    let path = app
        .state::<Client>()
        .save_support_attachment(&dir, &id, &attachment_id, &file_name)
        .await?;
    Ok(path.to_string_lossy().into_owned())
}

/// Mails a code for the guest case with this reference (always the same answer).
#[tauri::command]
#[specta::specta]
pub async fn support_guest_code(client: State<'_, Client>, reference: String) -> IpcResult<()> {
    Ok(client.support().guest_code(&reference).await?)
}

/// Opens the guest case with its reference and the mailed code.
#[tauri::command]
#[specta::specta]
pub async fn support_guest_open(
    client: State<'_, Client>,
    reference: String,
    code: Secret,
) -> IpcResult<GuestCase> {
    Ok(client.support().guest_open(&reference, code).await?)
}

/// The open guest case, fresh.
#[tauri::command]
#[specta::specta]
pub async fn support_guest_conversation(
    client: State<'_, Client>,
) -> IpcResult<ConversationDetail> {
    Ok(client.support().guest_conversation().await?)
}

/// Replies in the open guest case; `client_msg_id` (from a failed try) makes a retry harmless.
#[tauri::command]
#[specta::specta]
pub async fn support_guest_send(
    client: State<'_, Client>,
    body: String,
    client_msg_id: Option<String>,
) -> IpcResult<SupportMessage> {
    Ok(client.support().guest_send(&body, client_msg_id).await?)
}

/// The guest has seen the open case up to `seq` (the agent sees "Seen").
#[tauri::command]
#[specta::specta]
pub async fn support_guest_mark_read(client: State<'_, Client>, seq: f64) -> IpcResult<()> {
    Ok(client.support().guest_mark_read(seq as i64).await?)
}

/// The guest is typing (sent at most every 3 seconds; true when it went out).
#[tauri::command]
#[specta::specta]
pub async fn support_guest_typing(client: State<'_, Client>) -> IpcResult<bool> {
    Ok(client.support().guest_typing().await?)
}

/// The guest leaves the case: its live channel closes and the access is forgotten.
#[tauri::command]
#[specta::specta]
pub fn support_guest_leave(client: State<'_, Client>) {
    client.support().guest_leave();
}
