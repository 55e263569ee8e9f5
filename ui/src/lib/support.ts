// Live support as the screens use it: the wire types of `xwms_api::support` (one copy, the
// same names and fields), the support commands of the Rust side, its support events, and the
// few pure rules the screens share (order, "Seen", link splitting, attachment checks).
//
// The commands go through the same `invoke` the generated bindings use, each settled into a
// `Result` like every other call in `$lib/ipc`.

import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { settle, type Result } from "$lib/ipc";
import type { Language } from "$lib/ipc";

export type SupportTopic =
  | "question"
  | "account_recovery"
  | "account_deletion"
  | "suspension_appeal"
  | "security_report"
  | "mail_not_arriving"
  | "other"
  | "unknown";
export type ConversationStatus = "new" | "open" | "waiting_for_you" | "resolved" | "closed" | "unknown";
export type AuthorKind = "person" | "agent" | "system" | "unknown";
export type MessageKind = "text" | "agent_joined" | "resolved" | "closed" | "reopened" | "unknown";

/** The seven topics a person chooses from, in the order the form offers them. */
export const TOPICS: readonly SupportTopic[] = [
  "question",
  "account_recovery",
  "account_deletion",
  "suspension_appeal",
  "security_report",
  "mail_not_arriving",
  "other",
];

export type AttachmentInfo = { id: string; file_name: string; content_type: string; size_bytes: number };
export type SupportMessage = {
  id: string;
  conversation_id: string;
  seq: number;
  client_msg_id: string;
  kind: MessageKind;
  author: { kind: AuthorKind; name: string };
  body: string;
  attachments: AttachmentInfo[];
  created_at: string;
};
export type ConversationSummary = {
  id: string;
  reference: string;
  topic: SupportTopic;
  subject: string;
  status: ConversationStatus;
  language: Language;
  created_at: string;
  updated_at: string;
  last_seq: number;
  preview: string;
  unread: number;
  last_read_seq: number;
  other_last_read_seq: number;
  agent_name: string | null;
  rating: number | null;
  reopen_until: string | null;
  guest: boolean;
};

/** A message written here and not yet acknowledged by the server (the outbox). */
export type OutboxState = "sending" | "failed";
export type PendingMessage = {
  client_msg_id: string;
  conversation_id: string;
  body: string;
  attachments: AttachmentInfo[];
  state: OutboxState;
  created_at: string;
};

export type ConversationDetail = {
  conversation: ConversationSummary;
  messages: SupportMessage[];
  /** Messages still in the outbox (queued offline, or refused and waiting for Retry). */
  pending?: PendingMessage[];
};
export type ConversationList = {
  conversations: ConversationSummary[];
  unread_total: number;
  last_seq: number;
  /** When the list came from the local copy (offline): when it was last fetched. */
  cached_at?: string | null;
};
export type SupportAvailability = { agents_online: number; answer_within_days: number };
export type GuestAccess = { expires_at: string; conversation: ConversationDetail };

/** A file to attach, as the person picked or pasted it. */
export type AttachmentUpload = { file_name: string; content_type: string; bytes: number[] };

export const ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024;
export const ATTACHMENT_TYPES: readonly string[] = ["image/png", "image/jpeg", "application/pdf"];
export const ATTACHMENTS_PER_MESSAGE = 5;
export const MESSAGE_MAX_CHARS = 10_000;
export const SUBJECT_MAX_CHARS = 200;
export const TYPING_EVERY_MS = 3_000;
export const TYPING_EXPIRES_MS = 8_000;
export const REOPEN_WITHIN_DAYS = 7;

function call<T>(cmd: string, args?: Record<string, unknown>): Promise<Result<T>> {
  return settle(() => invoke<T>(cmd, args));
}

/** The support commands of the Rust side. */
export const supportIpc = {
  conversations: () => call<ConversationList>("support_conversations"),
  conversation: (id: string) => call<ConversationDetail>("support_conversation", { id }),
  start: (topic: SupportTopic, subject: string, body: string, attachments: AttachmentUpload[]) =>
    call<ConversationDetail>("support_start", { topic, subject, body, attachments }),
  send: (conversationId: string, body: string, attachments: AttachmentUpload[]) =>
    call<PendingMessage | SupportMessage>("support_send", { conversationId, body, attachments }),
  retry: (clientMsgId: string) => call<null>("support_retry", { clientMsgId }),
  markRead: (id: string, seq: number) => call<null>("support_mark_read", { id, seq }),
  typing: (id: string) => call<null>("support_typing", { id }),
  close: (id: string) => call<ConversationSummary>("support_close", { id }),
  rate: (id: string, rating: number, comment: string) => call<ConversationSummary>("support_rate", { id, rating, comment }),
  availability: () => call<SupportAvailability>("support_availability"),
  deflect: (articleId: string, topic: SupportTopic | null) => call<null>("support_deflect", { articleId, topic }),
  guestCode: (reference: string) => call<null>("support_guest_code", { reference }),
  guestOpen: (reference: string, code: string) => call<GuestAccess>("support_guest_open", { reference, code }),
  guestConversation: () => call<ConversationDetail>("support_guest_conversation"),
  guestSend: (body: string) => call<PendingMessage | SupportMessage>("support_guest_send", { body }),
};

// ---- Events ----------------------------------------------------------------------------------

/** `support-changed`: a conversation changed (a message, a status, a read marker, the outbox). */
export type SupportChanged = { conversation_id?: string | null };
/** `support-typing`: someone on the other side is typing in this conversation. */
export type SupportTyping = { conversation_id: string; name: string };
/** `support-open`: the person clicked a notification: open this conversation. */
export type SupportOpen = { conversation_id: string };

async function subscribe<T>(name: string, handler: (payload: T) => void): Promise<() => void> {
  try {
    const stop = await listen<T>(name, (e) => handler(e.payload));
    return () => {
      void Promise.resolve(stop()).catch(() => {});
    };
  } catch {
    return () => {};
  }
}

export const supportEvents = {
  onChanged: (h: (p: SupportChanged) => void) => subscribe("support-changed", h),
  onTyping: (h: (p: SupportTyping) => void) => subscribe("support-typing", h),
  onAvailability: (h: (p: { agents_online: number }) => void) => subscribe("support-availability", h),
  onOpen: (h: (p: SupportOpen) => void) => subscribe("support-open", h),
};

// ---- Rules the screens share ------------------------------------------------------------------

/** Unread first, then the most recently updated (the server sends it so; a cached list too). */
export function sortConversations(list: ConversationSummary[]): ConversationSummary[] {
  return [...list].sort((a, b) => {
    const unread = Number(b.unread > 0) - Number(a.unread > 0);
    return unread || Date.parse(b.updated_at) - Date.parse(a.updated_at);
  });
}

/** The id of the person's last message the other side has read ("Seen" goes under it). */
export function seenMessageId(messages: SupportMessage[], otherLastReadSeq: number): string | null {
  let seen: string | null = null;
  for (const m of messages) {
    if (m.kind === "text" && m.author.kind === "person" && m.seq <= otherLastReadSeq) seen = m.id;
  }
  return seen;
}

/** Plain text split into text and web links (`http(s)://…`); never parsed as HTML. */
export type TextPart = { kind: "text"; text: string } | { kind: "link"; url: string };

export function splitLinks(body: string): TextPart[] {
  const parts: TextPart[] = [];
  const re = /\bhttps?:\/\/[^\s<>"']+/gi;
  let at = 0;
  for (const match of body.matchAll(re)) {
    // A sentence's closing punctuation is not part of the address.
    const url = match[0].replace(/[.,;:!?)\]]+$/, "");
    const start = match.index ?? 0;
    if (start > at) parts.push({ kind: "text", text: body.slice(at, start) });
    parts.push({ kind: "link", url });
    at = start + url.length;
  }
  if (at < body.length) parts.push({ kind: "text", text: body.slice(at) });
  return parts;
}

export type AttachmentProblem = "support.attachment_too_large" | "support.attachment_type";

/** Why a file cannot be attached (the server checks the content again), or null. */
export function attachmentProblem(file: { type: string; size: number }): AttachmentProblem | null {
  if (!ATTACHMENT_TYPES.includes(file.type)) return "support.attachment_type";
  if (file.size > ATTACHMENT_MAX_BYTES) return "support.attachment_too_large";
  return null;
}

/** Reads a picked or pasted file into what `support_send` takes. */
export async function toUpload(file: File): Promise<AttachmentUpload> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return { file_name: file.name || "pasted.png", content_type: file.type, bytes: Array.from(bytes) };
}

/** The topic a help article's "Contact support" starts with, from its category and id. */
export function topicForHelp(...keys: (string | null | undefined)[]): SupportTopic {
  const k = keys.filter(Boolean).join(" ").toLowerCase();
  if (/delet/.test(k)) return "account_deletion";
  if (/suspen|ban|block/.test(k)) return "suspension_appeal";
  if (/recover|verif|lost|locked/.test(k)) return "account_recovery";
  if (/unauthori|hack|phish|vulnerab|suspicious/.test(k)) return "security_report";
  if (/mail/.test(k)) return "mail_not_arriving";
  return "question";
}

/** Link to the new-conversation screen, with a topic chosen already. */
export function newConversationHref(topic?: SupportTopic | null): string {
  return topic ? `#/support/new?topic=${topic}` : "#/support/new";
}

export function conversationHref(id: string): string {
  return `#/support/conversation/${encodeURIComponent(id)}`;
}

export function guestHref(reference?: string | null): string {
  return reference ? `#/support/guest?reference=${encodeURIComponent(reference)}` : "#/support/guest";
}

/** A new conversation's first message as the person left it (kept across navigation and restarts). */
export type Draft = { topic: SupportTopic | null; subject: string; body: string };
const DRAFT_KEY = "xwms.support.draft";

export function loadDraft(key = DRAFT_KEY): Draft | null {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as Draft) : null;
  } catch {
    return null;
  }
}

export function saveDraft(draft: Draft | null, key = DRAFT_KEY): void {
  try {
    if (!draft || (!draft.subject.trim() && !draft.body.trim())) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(draft));
  } catch {
    // No storage: the draft lives as long as the screen.
  }
}

/** The reply box of one conversation, kept the same way. */
export function replyDraftKey(conversationId: string): string {
  return `xwms.support.reply.${conversationId}`;
}

export function loadReply(conversationId: string): string {
  try {
    return localStorage.getItem(replyDraftKey(conversationId)) ?? "";
  } catch {
    return "";
  }
}

export function saveReply(conversationId: string, body: string): void {
  try {
    if (body.trim()) localStorage.setItem(replyDraftKey(conversationId), body);
    else localStorage.removeItem(replyDraftKey(conversationId));
  } catch {
    // As above.
  }
}
