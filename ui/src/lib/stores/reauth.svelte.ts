// Re-authentication ("sudo mode"): sensitive changes (removing another session, API
// credentials) answer `auth.reauth_required` when the password was not given in the last 10
// minutes. `reauth.run(action)` then asks for the password (ReauthDialog, mounted once in the
// app), confirms it with the server and runs the action again, once. Cancelled: the action's
// own error comes back, so the screen says "Confirm your password to continue."

import { ipc } from "$lib/ipc";
import type { AppError, ErrorCode, Result } from "$lib/ipc";

export const REAUTH_REQUIRED: ErrorCode = "auth.reauth_required";

class ReauthStore {
  /** Set while the password is asked for. */
  pending = $state<{ resolve: (confirmed: boolean) => void } | null>(null);

  async run<T>(action: () => Promise<Result<T>>): Promise<Result<T>> {
    const first = await action();
    if (first.status === "ok" || first.error.code !== REAUTH_REQUIRED) return first;
    this.pending?.resolve(false);
    const confirmed = await new Promise<boolean>((resolve) => (this.pending = { resolve }));
    return confirmed ? action() : first;
  }

  /** The password from the dialog; ok closes it and lets the waiting action run again. */
  async confirm(password: string): Promise<Result<unknown, AppError>> {
    const r = await ipc.reauthenticate(password);
    if (r.status === "ok") this.finish(true);
    return r;
  }

  cancel(): void {
    this.finish(false);
  }

  private finish(confirmed: boolean): void {
    const pending = this.pending;
    this.pending = null;
    pending?.resolve(confirmed);
  }
}

export const reauth = new ReauthStore();
