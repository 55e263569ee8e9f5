// Live support as the screens use it: the few rules the screens share (order, "Seen", link
// splitting, attachment checks, drafts, links). The commands and types are the generated
// ones (`ipc.supportList`, `ConversationView`, ...), from `$lib/ipc`.

import type { AttachmentInfo, AuthorKind, ConversationSummary, ShownMessage, SupportMessage, SupportTopic } from "$lib/ipc";

export type { SupportTopic };

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

// The limits of `xwms_api::support`.
export const ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024;
export const ATTACHMENT_TYPES: readonly string[] = ["image/png", "image/jpeg", "application/pdf"];
export const ATTACHMENTS_PER_MESSAGE = 5;
export const MESSAGE_MAX_CHARS = 10_000;
export const SUBJECT_MAX_CHARS = 200;
export const TYPING_EVERY_MS = 3_000;
export const TYPING_EXPIRES_MS = 8_000;

/** A message as the guest case has it (all stored by the server), shown like the others. */
export function shown(m: SupportMessage): ShownMessage {
  return { ...m, id: m.id, seq: m.seq, state: "sent", error: null };
}

/** A new client id for a message (kept until the server acknowledged it). */
export function newClientMsgId(): string {
  return crypto.randomUUID();
}

// ---- Rules the screens share ------------------------------------------------------------------

/** Unread first, then the most recently updated (the server sends it so; a cached list too). */
export function sortConversations(list: ConversationSummary[]): ConversationSummary[] {
  return [...list].sort((a, b) => {
    const unread = Number(b.unread > 0) - Number(a.unread > 0);
    return unread || Date.parse(b.updated_at) - Date.parse(a.updated_at);
  });
}

/**
 * The client id of the viewer's last message the other side has read ("Seen" goes under it).
 * The viewer is the person, or an agent answering through the same screens.
 */
export function seenMessageId(
  messages: ShownMessage[],
  otherLastReadSeq: number | null,
  viewer: AuthorKind = "person",
): string | null {
  let seen: string | null = null;
  for (const m of messages) {
    if (m.kind === "text" && m.author.kind === viewer && m.seq !== null && m.seq <= (otherLastReadSeq ?? 0)) {
      seen = m.client_msg_id;
    }
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

/** A picked or pasted file's name and bytes, as `support_attach_pasted` takes them. */
export async function fileBytes(file: File): Promise<{ name: string; bytes: number[] }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const ext = file.type === "application/pdf" ? "pdf" : file.type === "image/jpeg" ? "jpg" : "png";
  return { name: file.name || `pasted.${ext}`, bytes: Array.from(bytes) };
}

export type { AttachmentInfo, ConversationSummary };

/**
 * The topic a help article's "Contact support" starts with, from the article's id (English
 * and the same in every language: `delete-account`, `appeal-suspension`, ...).
 */
export function topicForHelp(articleId: string): SupportTopic {
  const k = articleId.toLowerCase();
  if (/delet/.test(k)) return "account_deletion";
  if (/suspen|appeal/.test(k)) return "suspension_appeal";
  if (/recover|verif/.test(k)) return "account_recovery";
  if (/compromis|security-issue|vulnerab|unauthori|phish/.test(k)) return "security_report";
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
