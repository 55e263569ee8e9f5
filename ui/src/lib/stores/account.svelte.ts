// Who is signed in. At start the Rust side restores the session from the OS keychain
// (`restore_session`); `session-ended` and `account-changed` keep this up to date. Tokens never
// reach the UI: it only sees the profile.

import { setFormatPreferences } from "$lib/format.svelte";
import { ipc } from "$lib/ipc";
import type { AppError, AppErrorCode, Result, UserProfile } from "$lib/ipc";
import { currentScreen, navigate } from "$lib/router.svelte";
import { flow } from "./auth.svelte";

/** `unknown` until the session has been restored (or not). */
export type AccountStatus = "unknown" | "signed_in" | "signed_out";

const SESSION_CODES = new Set<AppErrorCode>(["auth.session_expired", "auth.session_revoked", "auth.unauthorized"]);

class AccountStore {
  status = $state<AccountStatus>("unknown");
  profile = $state<UserProfile | null>(null);
  signingOut = $state(false);
  /** The session could not be restored for a passing reason (offline): try again later. */
  restorePending = $state(false);
  private restoring = false;
  signOutError = $state<AppError | null>(null);

  /** Support staff see the Agent screen. */
  get isAgent(): boolean {
    return this.profile?.is_agent ?? false;
  }

  /** Sets (or clears) the signed-in account; dates follow its time zone and region. */
  setProfile(profile: UserProfile | null): void {
    this.profile = profile;
    this.status = profile ? "signed_in" : "signed_out";
    setFormatPreferences(profile);
  }

  /**
   * Listens for `session-ended` and `account-changed`, then restores the session. An event
   * that arrives before the answer wins over it. Returns the function that stops listening.
   */
  async start(): Promise<() => void> {
    let decided = false;
    const stops = await Promise.all([
      ipc.onSessionEnded(({ reason }) => {
        decided = true;
        this.setProfile(null);
        flow.sessionEnded(reason);
      }),
      ipc.onAccountChanged((profile) => {
        decided = true;
        this.setProfile(profile);
      }),
    ]);
    const r = await ipc.restoreSession();
    if (!decided) this.applyRestore(r);
    return () => stops.forEach((stop) => stop());
  }

  private applyRestore(r: Result<UserProfile | null>): void {
    if (r.status === "ok") {
      this.restorePending = false;
      this.setProfile(r.data);
      return;
    }
    this.setProfile(null);
    // An ended session is said as such (`session-ended` says it too); anything else as "could
    // not be restored". Offline, the Rust side keeps the saved session: try again later.
    flow.banner = r.error;
    flow.restoreFailed = !SESSION_CODES.has(r.error.code);
    this.restorePending = r.error.code.startsWith("network.");
  }

  /**
   * Tries to restore the session again (the connection is back, or the person asked). After
   * success the banner goes, and a person sent to sign-in goes back where they were.
   */
  async retryRestore(): Promise<void> {
    if (this.restoring || this.status === "signed_in") return;
    this.restoring = true;
    const r = await ipc.restoreSession();
    this.restoring = false;
    // Someone may have signed in meanwhile.
    if ((this.status as AccountStatus) === "signed_in") return;
    if (r.status === "ok" && r.data) {
      this.restorePending = false;
      flow.banner = null;
      flow.restoreFailed = false;
      this.setProfile(r.data);
      if (currentScreen() === "sign" && flow.returnTo) navigate(flow.takeReturn());
    } else if (r.status === "ok") {
      this.restorePending = false;
      flow.banner = null;
      flow.restoreFailed = false;
    } else {
      this.applyRestore(r);
    }
  }

  /** Signs out here (the Rust side revokes the session on the server and forgets the tokens). */
  async signOut(): Promise<Result<null>> {
    this.signingOut = true;
    this.signOutError = null;
    const r = await ipc.signOut();
    this.signingOut = false;
    if (r.status === "ok") {
      this.setProfile(null);
      this.restorePending = false;
      flow.banner = null;
      flow.restoreFailed = false;
      flow.notice = { key: "notice.signedOut" };
    } else {
      this.signOutError = r.error;
    }
    return r;
  }

  /** Back to the start state (used by tests). */
  reset(): void {
    this.status = "unknown";
    this.profile = null;
    this.signingOut = false;
    this.signOutError = null;
    this.restorePending = false;
    this.restoring = false;
    setFormatPreferences(null);
  }
}

export const account = new AccountStore();
