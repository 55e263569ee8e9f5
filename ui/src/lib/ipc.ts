// The one place the UI talks to the Rust side: a thin generic layer over the commands and
// events tauri-specta generates in `./bindings` from `src-tauri/commands/`. Everything else
// imports from here, never from `./bindings`.
//
// Every call resolves to a `Result`: a command that fails, or an IPC bridge that is missing
// (the UI opened in a plain browser), becomes `{ status: "error", error: AppError }` instead
// of a rejected promise, so screens never have to guess which calls can throw.

import { commands, events } from "./bindings";
import type {
  ConnectionState,
  ErrorCode,
  ErrorData,
  HelpStatus,
  SecondFactorMethod,
  SecurityEventInfo,
  SupportUpdate,
  UserProfile,
} from "./bindings";

export type {
  AnswerSpan,
  AppLink,
  AuthorKind,
  ApiClientInfo,
  ApiClientList,
  ApiClientSecret,
  AlertStatus,
  ApiClientUpdate,
  CategoryPage,
  CodeSent,
  ConnectionState,
  ConnectionStatus,
  DeviceType,
  ErrorCode,
  ErrorData,
  HelpArticle,
  HelpArticleView,
  HelpCategory,
  HelpNotice,
  HelpSource,
  HelpStatus,
  Language,
  LanguageSetting,
  PasswordChanged,
  PasswordCheck,
  ProfileUpdate,
  RecoveryCodes,
  RecoveryFiled,
  RecoveryRequest,
  SearchHit,
  SecondFactorMethod,
  SecurityEventInfo,
  SecurityEventKind,
  SecurityEventPage,
  SecurityOverview,
  ServerSummary,
  SessionInfo,
  SessionList,
  Reauthenticated,
  SessionsRevoked,
  Settings,
  AttachmentInfo,
  ConversationDetail,
  ConversationStatus,
  ConversationSummary,
  ConversationView,
  GuestCase,
  MessageState,
  QueuedConversation,
  ShownMessage,
  SupportAvailability,
  SupportHome,
  SupportMessage,
  SupportTopic,
  SupportUpdate,
  SignInOutcome,
  SyncReport,
  Theme,
  TwoFactorEnrolment,
  TwoFactorStatus,
  UserProfile,
} from "./bindings";
/** What a person can say they lost, in a recovery request (`RecoveryRequest.lost`). */
export type LostItem = "password" | "second_factor" | "email_access";

/** Payload of `session-ended`: why the session ended (`auth.session_revoked`, ...). */
export type SessionEnded = { reason: AppError };

/**
 * An error as it crosses IPC: a stable machine code, a message for logs and optional facts
 * (the Rust side calls it `ErrorBody`). The UI shows a localized text for the code, never
 * `message`.
 */
export type AppError = { code: AppErrorCode; message: string; data?: ErrorData | null };

/**
 * The code of an `AppError`: one of the Rust side's `ErrorCode`s, or one the UI makes itself
 * (the bridge failed; a form check that has no Rust twin). A misspelt code is a type error.
 */
export type AppErrorCode = ErrorCode | typeof IPC_FAILURE | "recovery.lost_required";

/** A code family (`"code."`, `"password."`): what comes before the dot of a code. */
export type AppErrorFamily = AppErrorCode extends infer C ? (C extends `${infer F}.${string}` ? `${F}.` : never) : never;

export type Result<T, E = AppError> = { status: "ok"; data: T } | { status: "error"; error: E };

/** Error code used when the IPC bridge itself failed (not a code the Rust side sends). */
export const IPC_FAILURE = "ipc.failure";

function toErrorData(value: unknown): ErrorData | null {
  if (!value || typeof value !== "object") return null;
  const v = value as Record<string, unknown>;
  const data: ErrorData = {};
  if (typeof v.field === "string") data.field = v.field;
  if (typeof v.retry_after_seconds === "number") data.retry_after_seconds = v.retry_after_seconds;
  if (typeof v.attempts_left === "number") data.attempts_left = v.attempts_left;
  return Object.keys(data).length ? data : null;
}

function toAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && typeof (e as AppError).code === "string") {
    const err = e as AppError;
    const out: AppError = { code: err.code, message: typeof err.message === "string" ? err.message : "" };
    const data = toErrorData(err.data);
    if (data) out.data = data;
    return out;
  }
  return { code: IPC_FAILURE, message: e instanceof Error ? e.message : String(e) };
}

function isResult(value: unknown): value is Result<unknown, unknown> {
  if (!value || typeof value !== "object" || !("status" in value)) return false;
  const v = value as { status: unknown };
  return (v.status === "ok" && "data" in v) || (v.status === "error" && "error" in v);
}

/**
 * Runs a generated command. A command whose Rust function returns `Result` comes back as a
 * `Result`; one that cannot fail comes back as the plain value; either way, and also when the
 * call throws, the caller gets a `Result<T, AppError>`.
 */
export async function settle<T>(call: () => Promise<T | Result<T, unknown>>): Promise<Result<T, AppError>> {
  try {
    const r = await call();
    if (isResult(r)) {
      return r.status === "ok"
        ? { status: "ok", data: r.data as T }
        : { status: "error", error: toAppError(r.error) };
    }
    return { status: "ok", data: (r === undefined ? null : r) as T };
  } catch (e) {
    return { status: "error", error: toAppError(e) };
  }
}

// ---- Commands ----------------------------------------------------------------------------------

/** Second-factor methods (`SecondFactorChallenge.methods`). */
export const METHOD_TOTP: SecondFactorMethod = "totp";
export const METHOD_RECOVERY_CODE: SecondFactorMethod = "recovery_code";
/** A code mailed to the account: asked of an installation the person denied ("Not me"). */
export const METHOD_EMAIL_CODE: SecondFactorMethod = "email_code";

/** Error code of an article or category that does not exist (in that language). */
export const HELP_NOT_FOUND: ErrorCode = "help.not_found";

type Commands = typeof commands;
/** What a generated command resolves to when it succeeds (its `Result`'s data, or the value). */
type Success<R> = Awaited<R> extends { status: "ok"; data: infer D } | { status: "error"; error: unknown }
  ? D
  : Awaited<R> extends void
    ? null
    : Awaited<R>;
/** Every command of the Rust side (see `commands` in ./bindings for each one's documentation). */
export type Ipc = {
  [K in keyof Commands]: (...args: Parameters<Commands[K]>) => Promise<Result<Success<ReturnType<Commands[K]>>>>;
};

/**
 * The Rust side's commands, each returning a `Result` that never rejects. Generated from
 * `commands` in ./bindings (which tauri-specta writes from `src-tauri/commands/`): a new
 * command appears here with its types, nothing to add by hand.
 */
const commandCalls = Object.fromEntries(
  Object.entries(commands).map(([name, call]) => [
    name,
    (...args: unknown[]) => settle(() => (call as (...a: unknown[]) => Promise<unknown>)(...args)),
  ]),
) as Ipc;

// ---- Events ----------------------------------------------------------------------------------

type Unlisten = () => void;

type Event<T> = { listen: (cb: (e: { payload: T }) => void) => Promise<() => void> };

/** Listens to a generated event; when the bridge is missing, a no-op unsubscribe. */
async function subscribe<T>(event: Event<T>, handler: (payload: T) => void): Promise<Unlisten> {
  try {
    const unlisten = await event.listen((e) => handler(e.payload));
    return () => {
      void Promise.resolve(unlisten()).catch(() => {});
    };
  } catch {
    return () => {};
  }
}

/**
 * Subscribes to the Rust side's `connection-changed` event. Resolves to an unsubscribe
 * function; when the bridge is missing it resolves to a no-op instead of rejecting.
 */
export function onConnectionChanged(handler: (state: ConnectionState) => void): Promise<Unlisten> {
  return subscribe(events.connectionChanged, handler);
}

/** `session-ended`: the session was revoked or expired; the reason is an error code. */
export function onSessionEnded(handler: (ended: SessionEnded) => void): Promise<Unlisten> {
  return subscribe(events.sessionEnded, (p) => handler({ reason: toAppError(p?.reason) }));
}

/** `help-changed`: the offline help was synced, feedback was queued or sent, a notice read. */
export function onHelpChanged(handler: (status: HelpStatus) => void): Promise<Unlisten> {
  return subscribe(events.helpChanged, handler);
}

/** `account-changed`: the signed-in account changed, or `null` after signing out. */
export function onAccountChanged(handler: (account: UserProfile | null) => void): Promise<Unlisten> {
  return subscribe(events.accountChanged, handler);
}

/** `new-sign-in`: a sign-in from a new device or network (an alert to confirm or deny). */
export function onNewSignIn(handler: (event: SecurityEventInfo) => void): Promise<Unlisten> {
  return subscribe(events.newSignIn, handler);
}

/** `security-changed`: sessions, 2FA, credentials or the timeline changed; refresh. */
export function onSecurityChanged(handler: () => void): Promise<Unlisten> {
  return subscribe(events.securityChanged, () => handler());
}

/**
 * `support-changed`: a support conversation changed, someone types, the lists were reloaded,
 * availability changed, or the outbox sent or failed a message.
 */
export function onSupportChanged(handler: (update: SupportUpdate) => void): Promise<Unlisten> {
  return subscribe(events.supportChanged, handler);
}

/**
 * `app-link-opened`: an `xwms://` link or a support notification asks for a screen; take it
 * with `takeAppLink` (see `$lib/app-links`).
 */
export function onAppLinkOpened(handler: () => void): Promise<Unlisten> {
  return subscribe(events.appLinkOpened, () => handler());
}

/**
 * The IPC surface as the screens use it: `ipc.signIn(email, password)`, `ipc.onNewSignIn(…)`.
 */
export const ipc = {
  ...commandCalls,
  onConnectionChanged,
  onSessionEnded,
  onHelpChanged,
  onAccountChanged,
  onNewSignIn,
  onSecurityChanged,
  onSupportChanged,
  onAppLinkOpened,
  METHOD_TOTP,
  METHOD_RECOVERY_CODE,
  METHOD_EMAIL_CODE,
  HELP_NOT_FOUND,
  IPC_FAILURE,
};
