// The security center's shared state: new-sign-in alerts still waiting for "This was me" or
// "Not me" (shown as a banner above every screen and on the Security page), and a change
// counter that screens showing sessions, 2FA, credentials or the timeline refresh on
// (`security-changed` from the Rust side, or a change made here).

import { ipc } from "$lib/ipc";
import type { AppError, Result, SecurityEventInfo } from "$lib/ipc";
import { navigate } from "$lib/router.svelte";

/** An alert that still needs an answer: a new-sign-in event, pending, its session active. */
export function isPendingAlert(e: SecurityEventInfo): boolean {
  return e.alert && (e.alert_status ?? "pending") === "pending" && e.session_active;
}

class SecurityStore {
  /** Pending alerts, newest first. */
  alerts = $state<SecurityEventInfo[]>([]);
  /** Bumped on every change: `$effect(() => { void security.changes; reload(); })`. */
  changes = $state(0);
  /** The alert being answered (its buttons are busy). */
  answering = $state<string | null>(null);
  error = $state<AppError | null>(null);
  /** After "Not me": the Security page opens the password form. */
  securePassword = $state(false);

  /** Listens to `new-sign-in` and `security-changed`; returns the function that stops. */
  async start(): Promise<() => void> {
    const stops = await Promise.all([
      ipc.onNewSignIn((event) => {
        this.addAlert(event);
        this.changed();
      }),
      ipc.onSecurityChanged(() => this.changed()),
    ]);
    return () => stops.forEach((stop) => stop());
  }

  /** Something changed: screens reload, and the pending alerts are read again. */
  changed(): void {
    this.changes += 1;
  }

  /** Alerts that came as `new-sign-in`: kept when a timeline read that started earlier lacks them. */
  private pushed = new Set<string>();

  addAlert(event: SecurityEventInfo): void {
    if (!isPendingAlert(event)) return;
    this.pushed.add(event.id);
    this.alerts = [event, ...this.alerts.filter((a) => a.id !== event.id)];
  }

  /** Reads the pending alerts from the timeline (at start, and after a change). */
  async loadAlerts(): Promise<void> {
    const r = await ipc.securityEvents(null, 50);
    if (r.status === "ok") this.setFromEvents(r.data.events);
  }

  /** The pending alerts among `events` (newest first) replace the list. */
  setFromEvents(events: SecurityEventInfo[]): void {
    const seen = new Set(events.map((e) => e.id));
    const kept = this.alerts.filter((a) => this.pushed.has(a.id) && !seen.has(a.id));
    this.alerts = [...kept, ...events.filter(isPendingAlert)];
  }

  /** "This was me". */
  async confirm(id: string): Promise<Result<SecurityEventInfo>> {
    return this.answer(id, () => ipc.confirmSignIn(id));
  }

  /** "Not me — secure my account": that session is removed; then the password form opens. */
  async deny(id: string): Promise<Result<SecurityEventInfo>> {
    const r = await this.answer(id, () => ipc.denySignIn(id));
    if (r.status === "ok") {
      this.securePassword = true;
      navigate("security");
    }
    return r;
  }

  private async answer(id: string, call: () => Promise<Result<SecurityEventInfo>>): Promise<Result<SecurityEventInfo>> {
    if (this.answering) return { status: "error", error: { code: "request.invalid", message: "busy" } };
    this.answering = id;
    this.error = null;
    const r = await call();
    this.answering = null;
    if (r.status === "ok") {
      this.pushed.delete(id);
      this.alerts = this.alerts.filter((a) => a.id !== id);
      this.changed();
    } else {
      this.error = r.error;
    }
    return r;
  }

  reset(): void {
    this.pushed.clear();
    this.alerts = [];
    this.changes = 0;
    this.answering = null;
    this.error = null;
    this.securePassword = false;
  }
}

export const security = new SecurityStore();
