// Support conversations as the Rust side hands them to the UI (`xwms_api::support` types).
import type { ConversationSummary, ConversationView, ShownMessage } from "$lib/ipc";

export function conversation(overrides: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    id: "conv_mail",
    reference: "SUP-4H7K2M",
    topic: "mail_not_arriving",
    subject: "The verification mail never arrives",
    status: "waiting_for_you",
    language: "en",
    created_at: "2026-11-24T09:00:00Z",
    updated_at: "2026-11-25T08:10:00Z",
    last_seq: 14,
    preview: "Could you check your spam folder?",
    unread: 0,
    last_read_seq: 14,
    other_last_read_seq: 0,
    viewer: "person",
    agent_name: "Sam",
    rating: null,
    reopen_until: null,
    guest: false,
    ...overrides,
  };
}

export function message(seq: number, overrides: Partial<ShownMessage> = {}): ShownMessage {
  return {
    id: `msg_${seq}`,
    seq,
    client_msg_id: `client-${seq}`,
    kind: "text",
    author: { kind: "person", name: "Anna de Vries" },
    body: `Message ${seq}`,
    attachments: [],
    created_at: `2026-11-25T08:${String(seq).padStart(2, "0")}:00Z`,
    state: "sent",
    error: null,
    ...overrides,
  };
}

const sam = { kind: "agent" as const, name: "Sam" };

/** A conversation: Anna asked, Sam joined and answered, Anna replied. */
export function detail(overrides: Partial<ConversationSummary> = {}, extra: ShownMessage[] = []): ConversationView {
  const c = conversation(overrides);
  return {
    id: c.id,
    conversation: c,
    queued: null,
    cached_at: null,
    messages: [
      message(10, { body: "I signed up but the mail with the code never came." }),
      message(11, { kind: "agent_joined", author: sam, body: "", client_msg_id: "" }),
      message(12, { author: sam, body: "Could you check your spam folder? See https://xwms.example/help/mail." }),
      message(13, { body: "Nothing there either." }),
      ...extra,
    ],
  };
}

export const LIST = [
  conversation(),
  conversation({
    id: "conv_delete",
    reference: "SUP-9Q2W4E",
    topic: "account_deletion",
    subject: "Delete my old account",
    status: "resolved",
    updated_at: "2026-11-20T10:00:00Z",
    preview: "Your account has been deleted.",
  }),
  conversation({
    id: "conv_new",
    reference: "SUP-1A2B3C",
    topic: "question",
    subject: "Two-step sign-in on a new phone",
    status: "waiting_for_you",
    updated_at: "2026-11-23T10:00:00Z",
    preview: "Yes: open Security, then…",
    unread: 2,
  }),
];
