// Live support's shared state: the person's conversations (for the Support home and the
// sidebar's unread count), whether an agent is online, who is typing where, and a change
// counter the open conversation reloads on. The Rust side keeps the conversations (and a
// local copy for offline use) and sends `support-changed` after every change it sees.

import { ipc } from "$lib/ipc";
import { account } from "$lib/stores/account.svelte";
import type { AppError, ConversationSummary, QueuedConversation, SupportAvailability, SupportHome, SupportUpdate } from "$lib/ipc";
import { sortConversations, TYPING_EXPIRES_MS } from "$lib/support";

type Typing = { name: string; until: number };

class SupportStore {
  conversations = $state<ConversationSummary[]>([]);
  /** Conversations started here and not yet created on the server (offline, or refused). */
  queued = $state<QueuedConversation[]>([]);
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
    return ipc.onSupportChanged((update) => this.handle(update));
  }

  /** One `support-changed` update. */
  handle(update: SupportUpdate): void {
    switch (update.type) {
      case "typing":
        this.setTyping(update.conversation_id, update.author.name);
        return;
      case "availability":
        this.availability = { answer_within_days: this.availability?.answer_within_days ?? 2, agents_online: update.agents_online };
        return;
      case "changed":
        this.changed(update.event.conversation_id);
        this.clearTyping(update.event.conversation_id);
        return;
      case "outbox": {
        // A queued conversation was created: it changed ids, every screen looks again.
        const same = !update.conversation_id || update.conversation_id === update.local_id;
        this.changed(same ? update.local_id : null);
        return;
      }
      case "reload":
        this.changed(null);
        return;
    }
  }

  /** A conversation changed (null: any may have): the list and the open one are read again. */
  changed(conversationId: string | null): void {
    this.changedId = conversationId;
    this.changes += 1;
    // The list is the signed-in person's; a guest case's changes (signed out) reach only
    // its own screen, through `changes`.
    if (account.profile) void this.load();
  }

  /** Reads the conversation list (the local copy when offline). */
  load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const r = await ipc.supportList();
        if (r.status === "error") this.loadError = r.error;
        else if (r.data) this.apply(r.data);
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  apply(list: SupportHome): void {
    this.conversations = sortConversations(list.conversations);
    this.queued = list.queued;
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
    const r = await ipc.supportAvailability();
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
    this.queued = [];
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
