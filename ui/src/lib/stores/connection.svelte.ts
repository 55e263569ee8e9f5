// Connection to the XWMS server as the Rust side reports it. The Rust side polls the server
// and emits `connection-changed`; the UI only listens, and checks on request ("Check now").
// The last server details seen while online are kept, so they can still be shown (greyed)
// while offline.

import { ipc } from "$lib/ipc";
import type { AppError, ConnectionState, ServerSummary } from "$lib/ipc";

function initialState(): ConnectionState {
  return { status: "unknown", server_url: "", server: null, checked_at: null, error: null };
}

class ConnectionStore {
  state = $state<ConnectionState>(initialState());
  /** Server details from the last time this server answered, for the same server address. */
  lastKnown = $state<ServerSummary | null>(null);
  checking = $state(false);
  /** Set when a "Check now" request itself failed (not when the server is offline). */
  checkError = $state<AppError | null>(null);
  private lastKnownUrl = "";

  apply(next: ConnectionState): void {
    if (next.server) {
      this.lastKnown = next.server;
      this.lastKnownUrl = next.server_url;
    } else if (next.server_url !== this.lastKnownUrl) {
      this.lastKnown = null;
    }
    this.state = next;
  }

  /** Server details to show: the current ones, or else the last known ones. */
  get server(): ServerSummary | null {
    return this.state.server ?? this.lastKnown;
  }

  /** True when the details shown are not confirmed by a server that is online now. */
  get serverIsStale(): boolean {
    return this.state.status !== "online" && this.server !== null;
  }

  async checkNow(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    this.checkError = null;
    try {
      const r = await ipc.checkConnection();
      if (r.status === "ok") this.apply(r.data);
      else this.checkError = r.error;
    } finally {
      this.checking = false;
    }
  }

  /**
   * Starts following the connection: listens for `connection-changed` first, then asks for
   * the current state, so no change is missed in between (an event that arrives before the
   * answer wins over it). Returns the function that stops listening.
   */
  async start(): Promise<() => void> {
    let eventSeen = false;
    const stop = await ipc.onConnectionChanged((next) => {
      eventSeen = true;
      this.apply(next);
    });
    const r = await ipc.connectionState();
    if (r.status === "ok" && !eventSeen) this.apply(r.data);
    return stop;
  }

  /** Back to the start state (used by tests). */
  reset(): void {
    this.state = initialState();
    this.lastKnown = null;
    this.lastKnownUrl = "";
    this.checking = false;
    this.checkError = null;
  }
}

export const connection = new ConnectionStore();
