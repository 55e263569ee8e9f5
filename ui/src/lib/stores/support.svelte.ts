// Live support's shared state: the person's conversations (for the Support home and the
// sidebar's unread count), whether an agent is online, who is typing where, and a change
// counter the open conversation reloads on. The Rust side keeps the conversations (and a
// local copy for offline use) and sends `support-changed` after every change it sees.

import type { AppError } from "$lib/ipc";
import {
  sortConversations,
  supportEvents,
  supportIpc,
  TYPING_EXPIRES_MS,
  conversationHref,
  type ConversationList,
  type ConversationSummary,
  type SupportAvailability,
} from "$lib/support";

type Typing = { name: string; until: number };

class SupportStore {
  conversations = $state<ConversationSummary[]>([]);
  unreadTotal = $state(0);
  /** True once a list was read (from the server or the local copy). */
  loaded = $state(false);
  /** When the list shown was fetched from the server (the local copy's time when offline). */
  fetchedAt = $state<string | null>(null);
  /** True when the list shown is the local copy (the server did not answer). */
  fromCache = $state(false);
  loadError = $state<AppError | null>(null);
  availability = $state<SupportAvailability | null>(null);
  /** Conversation id → who types there, until when (ms). */
  typing = $state<Record<string, Typing>>({});
  /** Bumped on every support change: `$effect(() => { void support.changes; reload(); })`. */
  changes = $state(0);
  /** The conversation changed last (by `support-changed`), if the event said. */
  changedId = $state<string | null>(null);
  private timers = new Map<string, ReturnType<typeof setTimeout>>();
  private loading: Promise<void> | null = null;

  /** Listens to the support events; returns the function that stops. */
  async start(): Promise<() => void> {
    const stops = await Promise.all([
      supportEvents.onChanged((p) => {
        this.changedId = p?.conversation_id ?? null;
        if (p?.conversation_id) this.clearTyping(p.conversation_id);
        this.changes += 1;
        void this.load();
      }),
      supportEvents.onTyping((p) => this.setTyping(p.conversation_id, p.name)),
      supportEvents.onAvailability((p) => {
        this.availability = { answer_within_days: this.availability?.answer_within_days ?? 2, agents_online: p.agents_online };
      }),
      supportEvents.onOpen((p) => {
        location.hash = conversationHref(p.conversation_id);
      }),
    ]);
    return () => stops.forEach((stop) => stop());
  }

  /** Reads the conversation list (the local copy when offline). */
  load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const r = await supportIpc.conversations();
        if (r.status === "error") this.loadError = r.error;
        else if (r.data) this.apply(r.data);
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  apply(list: ConversationList): void {
    this.conversations = sortConversations(list.conversations);
    this.unreadTotal = list.unread_total;
    this.fromCache = Boolean(list.cached_at);
    this.fetchedAt = list.cached_at ?? new Date().toISOString();
    this.loadError = null;
    this.loaded = true;
  }

  /** One conversation changed (read here, sent, closed): the list shows it at once. */
  update(summary: ConversationSummary): void {
    const rest = this.conversations.filter((c) => c.id !== summary.id);
    this.conversations = sortConversations([summary, ...rest]);
    this.unreadTotal = this.conversations.reduce((n, c) => n + c.unread, 0);
  }

  async loadAvailability(): Promise<void> {
    const r = await supportIpc.availability();
    if (r.status === "ok" && r.data) this.availability = r.data;
  }

  setTyping(conversationId: string, name: string, now = Date.now()): void {
    this.typing = { ...this.typing, [conversationId]: { name, until: now + TYPING_EXPIRES_MS } };
    clearTimeout(this.timers.get(conversationId));
    this.timers.set(
      conversationId,
      setTimeout(() => this.clearTyping(conversationId), TYPING_EXPIRES_MS),
    );
  }

  clearTyping(conversationId: string): void {
    clearTimeout(this.timers.get(conversationId));
    this.timers.delete(conversationId);
    if (!(conversationId in this.typing)) return;
    const next = { ...this.typing };
    delete next[conversationId];
    this.typing = next;
  }

  /** Who types in this conversation now, or null. */
  typingIn(conversationId: string): string | null {
    return this.typing[conversationId]?.name ?? null;
  }

  reset(): void {
    this.timers.forEach((t) => clearTimeout(t));
    this.timers.clear();
    this.conversations = [];
    this.unreadTotal = 0;
    this.loaded = false;
    this.fetchedAt = null;
    this.fromCache = false;
    this.loadError = null;
    this.availability = null;
    this.typing = {};
    this.changes = 0;
    this.changedId = null;
    this.loading = null;
  }
}

export const support = new SupportStore();
