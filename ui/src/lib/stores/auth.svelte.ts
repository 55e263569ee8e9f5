// What the sign-in screens share while a person moves between them: the address they are
// working with, the codes mailed to it (with when a new one may be asked for), a message to
// show on arrival, why a session ended, and where to go back to after signing in.
// Nothing secret is kept here: no password, no code, no token.

import type { MessageKey, Params } from "$lib/i18n/index.svelte";
import type { AppError, AppErrorCode, CodeSent, SecondFactorMethod } from "$lib/ipc";
import { currentScreen, navigate, SIGNED_IN_SCREENS, type Screen } from "$lib/router.svelte";

export type CodePurpose = "verify" | "unlock" | "reset" | "email";

/** A code that was mailed: to where, until when it works, and when a new one may be asked. */
export type PendingCode = {
  email: string;
  /** ms since the epoch */
  expiresAt: number;
  /** ms since the epoch */
  resendAt: number;
  lifetimeSeconds: number;
};

/** A message for the next screen ("Your email address is verified. Sign in …"). */
export type Notice = { key: MessageKey; params?: Params };

class AuthFlow {
  /** The address the person is signing in, signing up or recovering with. */
  email = $state("");
  pending = $state<Partial<Record<CodePurpose, PendingCode>>>({});
  /** Shown once on the sign-in screen. */
  notice = $state<Notice | null>(null);
  /** Why the person was signed out (`auth.session_revoked`, ...), shown on sign-in. */
  banner = $state<AppError | null>(null);
  /** The banner says the session could not be restored (rather than that it ended). */
  restoreFailed = $state(false);
  /** A screen to open after signing in. */
  returnTo = $state<Screen | null>(null);
  /** The second-factor methods the server offered. */
  methods = $state<SecondFactorMethod[]>([]);
  /** An error code that explains why a screen was opened (`auth.email_unverified`). */
  reason = $state<AppErrorCode | null>(null);
  /** Sign-in opens at the password step (the address is already known). */
  startAtPassword = false;
  private arriving = false;

  /** Remembers a mailed code. */
  codeSent(purpose: CodePurpose, sent: CodeSent, now = Date.now()): void {
    this.email = sent.email;
    this.pending = {
      ...this.pending,
      [purpose]: {
        email: sent.email,
        expiresAt: now + sent.expires_in_seconds * 1000,
        resendAt: now + sent.resend_after_seconds * 1000,
        lifetimeSeconds: sent.expires_in_seconds,
      },
    };
  }

  /** The code mailed for `purpose` to `email`, if any. */
  pendingFor(purpose: CodePurpose, email: string): PendingCode | null {
    const p = this.pending[purpose];
    return p && p.email.toLowerCase() === email.trim().toLowerCase() ? p : null;
  }

  forget(purpose: CodePurpose): void {
    const { [purpose]: _gone, ...rest } = this.pending;
    this.pending = rest;
  }

  /** Opens `screen` as the next step of a flow: it puts the focus on its first field. */
  go(screen: Screen): void {
    this.arriving = true;
    navigate(screen);
  }

  /** True once after `go()`: the screen just opened should take the focus. */
  takeArrival(): boolean {
    const arriving = this.arriving;
    this.arriving = false;
    return arriving;
  }

  /** The session ended (revoked elsewhere, or expired): back to sign-in with the reason. */
  sessionEnded(reason: AppError): void {
    this.banner = reason;
    this.restoreFailed = false;
    this.notice = null;
    const here = currentScreen();
    if (here && SIGNED_IN_SCREENS.has(here)) this.returnTo = here;
    navigate("sign");
  }

  /** Where to go after signing in (and forgets it). */
  takeReturn(): Screen {
    const to = this.returnTo ?? "account";
    this.returnTo = null;
    return to;
  }

  reset(): void {
    this.email = "";
    this.pending = {};
    this.notice = null;
    this.banner = null;
    this.restoreFailed = false;
    this.returnTo = null;
    this.methods = [];
    this.reason = null;
    this.startAtPassword = false;
    this.arriving = false;
  }
}

export const flow = new AuthFlow();
