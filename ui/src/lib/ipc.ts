// The one place the UI talks to the Rust side. Everything else imports from here, never from
// `./bindings` (which tauri-specta regenerates), so adapting to a change in the generated
// bindings happens in this file only.
//
// Every call resolves to a `Result`: a command that fails, or an IPC bridge that is missing
// (the UI opened in a plain browser), becomes `{ status: "error", error: AppError }` instead
// of a rejected promise, so screens never have to guess which calls can throw.

import { commands, events } from "./bindings";
import type {
  ApiClientInfo,
  ApiClientList,
  ApiClientSecret,
  ApiClientUpdate,
  CategoryPage,
  CodeSent,
  ConnectionState,
  ErrorCode,
  ErrorData,
  HelpArticle,
  HelpCategory,
  HelpLang,
  HelpStatus,
  PasswordChanged,
  PasswordCheck,
  ProfileUpdate,
  RecoveryCodes,
  RecoveryFiled,
  RecoveryRequest,
  SearchHit,
  SecondFactorMethod,
  SecurityEventInfo,
  SecurityEventPage,
  SecurityOverview,
  SessionList,
  Reauthenticated,
  SessionsRevoked,
  Settings,
  SignInOutcome,
  SyncReport,
  TwoFactorEnrolment,
  UserProfile,
} from "./bindings";

export type {
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
  HelpCategory,
  HelpLang,
  HelpNotice,
  HelpSource,
  HelpStatus,
  Language,
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
async function settle<T>(call: () => Promise<T | Result<T, unknown>>): Promise<Result<T, AppError>> {
  try {
    const r = await call();
    if (isResult(r)) {
      return r.status === "ok"
        ? { status: "ok", data: r.data as T }
        : { status: "error", error: toAppError(r.error) };
    }
    return { status: "ok", data: r as T };
  } catch (e) {
    return { status: "error", error: toAppError(e) };
  }
}

// ---- Settings and connection -----------------------------------------------------------------

export function getSettings(): Promise<Result<Settings>> {
  return settle<Settings>(() => commands.getSettings());
}

export function saveSettings(settings: Settings): Promise<Result<Settings>> {
  return settle<Settings>(() => commands.saveSettings(settings));
}

/** Moves the app to another XWMS server (checked first; signs out of the old one). */
export function changeServer(serverUrl: string): Promise<Result<Settings>> {
  return settle<Settings>(() => commands.changeServer(serverUrl));
}

export function connectionState(): Promise<Result<ConnectionState>> {
  return settle<ConnectionState>(() => commands.connectionState());
}

export function checkConnection(): Promise<Result<ConnectionState>> {
  return settle<ConnectionState>(() => commands.checkConnection());
}

export function openExternal(url: string): Promise<Result<null>> {
  return settle<null>(() => commands.openExternal(url));
}

// ---- Accounts --------------------------------------------------------------------------------

/** Checks a password against the rule, locally (no network). */
export function checkPassword(password: string): Promise<Result<PasswordCheck>> {
  return settle<PasswordCheck>(() => commands.checkPassword(password));
}

export function signUp(name: string, email: string, password: string): Promise<Result<CodeSent>> {
  return settle<CodeSent>(() => commands.signUp(name, email, password));
}

export function verifyEmail(email: string, code: string): Promise<Result<null>> {
  return settle<null>(() => commands.verifyEmail(email, code));
}

export function resendVerification(email: string): Promise<Result<CodeSent>> {
  return settle<CodeSent>(() => commands.resendVerification(email));
}

export function signIn(email: string, password: string): Promise<Result<SignInOutcome>> {
  return settle<SignInOutcome>(() => commands.signIn(email, password));
}

export function unlockAccount(email: string, code: string): Promise<Result<null>> {
  return settle<null>(() => commands.unlockAccount(email, code));
}

export function resendUnlock(email: string): Promise<Result<CodeSent>> {
  return settle<CodeSent>(() => commands.resendUnlock(email));
}

export function forgotPassword(email: string): Promise<Result<CodeSent>> {
  return settle<CodeSent>(() => commands.forgotPassword(email));
}

export function resetPassword(email: string, code: string, newPassword: string): Promise<Result<null>> {
  return settle<null>(() => commands.resetPassword(email, code, newPassword));
}

export function fileRecoveryRequest(request: RecoveryRequest): Promise<Result<RecoveryFiled>> {
  return settle<RecoveryFiled>(() => commands.fileRecoveryRequest(request));
}

/** The session kept in the keychain, refreshed; `null` when nobody is signed in. */
export function restoreSession(): Promise<Result<UserProfile | null>> {
  return settle<UserProfile | null>(() => commands.restoreSession());
}

export function currentAccount(): Promise<Result<UserProfile>> {
  return settle<UserProfile>(() => commands.currentAccount());
}

export function signOut(): Promise<Result<null>> {
  return settle<null>(() => commands.signOut());
}

export function updateProfile(update: ProfileUpdate): Promise<Result<UserProfile>> {
  return settle<UserProfile>(() => commands.updateProfile(update));
}

export function changeEmail(newEmail: string, password: string): Promise<Result<CodeSent>> {
  return settle<CodeSent>(() => commands.changeEmail(newEmail, password));
}

export function confirmEmailChange(code: string): Promise<Result<UserProfile>> {
  return settle<UserProfile>(() => commands.confirmEmailChange(code));
}

export function changePassword(
  currentPassword: string,
  newPassword: string,
  signOutOthers: boolean,
): Promise<Result<PasswordChanged>> {
  return settle<PasswordChanged>(() => commands.changePassword(currentPassword, newPassword, signOutOthers));
}

// ---- Security center -------------------------------------------------------------------------

/** Second-factor methods (`SecondFactorChallenge.methods`). */
export const METHOD_TOTP: SecondFactorMethod = "totp";
export const METHOD_RECOVERY_CODE: SecondFactorMethod = "recovery_code";
/** A code mailed to the account: asked of an installation the person denied ("Not me"). */
export const METHOD_EMAIL_CODE: SecondFactorMethod = "email_code";

/** The second step of sign-in: a code from the authenticator app or a recovery code. */
export function completeSecondFactor(method: SecondFactorMethod, code: string): Promise<Result<UserProfile>> {
  return settle<UserProfile>(() => commands.completeSecondFactor(method, code));
}

export function securityOverview(): Promise<Result<SecurityOverview>> {
  return settle<SecurityOverview>(() => commands.securityOverview());
}

/** A page of the security timeline, newest first; `before` from the previous page. */
export function securityEvents(before: string | null, limit: number): Promise<Result<SecurityEventPage>> {
  return settle<SecurityEventPage>(() => commands.securityEvents(before, limit));
}

export function confirmSignIn(eventId: string): Promise<Result<SecurityEventInfo>> {
  return settle<SecurityEventInfo>(() => commands.confirmSignIn(eventId));
}

export function denySignIn(eventId: string): Promise<Result<SecurityEventInfo>> {
  return settle<SecurityEventInfo>(() => commands.denySignIn(eventId));
}

export function startTwoFactor(password: string): Promise<Result<TwoFactorEnrolment>> {
  return settle<TwoFactorEnrolment>(() => commands.startTwoFactor(password));
}

export function enableTwoFactor(code: string): Promise<Result<RecoveryCodes>> {
  return settle<RecoveryCodes>(() => commands.enableTwoFactor(code));
}

export function disableTwoFactor(password: string, code: string): Promise<Result<null>> {
  return settle<null>(() => commands.disableTwoFactor(password, code));
}

export function regenerateRecoveryCodes(password: string): Promise<Result<RecoveryCodes>> {
  return settle<RecoveryCodes>(() => commands.regenerateRecoveryCodes(password));
}

/** Writes the codes to a new file in Downloads; resolves to its path. */
export function saveRecoveryCodes(codes: string[], generatedAt: string): Promise<Result<string>> {
  return settle<string>(() => commands.saveRecoveryCodes(codes, generatedAt));
}

/** Shows a file the app saved in the system's file manager. */
export function showInFolder(path: string): Promise<Result<null>> {
  return settle<null>(() => commands.showInFolder(path));
}

export function listSessions(): Promise<Result<SessionList>> {
  return settle<SessionList>(() => commands.listSessions());
}

export function revokeSession(id: string): Promise<Result<null>> {
  return settle<null>(() => commands.revokeSession(id));
}

/** Confirms the password for the next 10 minutes of sensitive changes. */
export function reauthenticate(password: string): Promise<Result<Reauthenticated>> {
  return settle<Reauthenticated>(() => commands.reauthenticate(password));
}

export function revokeOtherSessions(password: string): Promise<Result<SessionsRevoked>> {
  return settle<SessionsRevoked>(() => commands.revokeOtherSessions(password));
}

export function listApiClients(): Promise<Result<ApiClientList>> {
  return settle<ApiClientList>(() => commands.listApiClients());
}

export function createApiClient(name: string): Promise<Result<ApiClientSecret>> {
  return settle<ApiClientSecret>(() => commands.createApiClient(name));
}

export function updateApiClient(id: string, update: ApiClientUpdate): Promise<Result<ApiClientInfo>> {
  return settle<ApiClientInfo>(() => commands.updateApiClient(id, update));
}

export function regenerateApiClientSecret(id: string): Promise<Result<ApiClientSecret>> {
  return settle<ApiClientSecret>(() => commands.regenerateApiClientSecret(id));
}

export function deleteApiClient(id: string): Promise<Result<null>> {
  return settle<null>(() => commands.deleteApiClient(id));
}

// ---- Help center (served from the offline cache: works without a server) --------------------

/** Error code of an article or category that does not exist (in that language). */
export const HELP_NOT_FOUND: ErrorCode = "help.not_found";

export function helpStatus(): Promise<Result<HelpStatus>> {
  return settle<HelpStatus>(() => commands.helpStatus());
}

/** The person has read the help's notice ("the saved help was rebuilt"). */
export function helpDismissNotice(): Promise<Result<null>> {
  return settle<null>(async () => {
    await commands.helpDismissNotice();
    return null;
  });
}

export function helpCategories(lang: HelpLang): Promise<Result<HelpCategory[]>> {
  return settle<HelpCategory[]>(() => commands.helpCategories(lang));
}

/** A category with its tags and articles; with `tag`, only the articles that have it. */
export function helpCategory(lang: HelpLang, slug: string, tag: string | null): Promise<Result<CategoryPage>> {
  return settle<CategoryPage>(() => commands.helpCategory(lang, slug, tag));
}

export function helpPopular(lang: HelpLang, limit: number): Promise<Result<HelpArticle[]>> {
  return settle<HelpArticle[]>(() => commands.helpPopular(lang, limit));
}

/** An article by id or slug; `help.not_found` when there is none. */
export function helpArticle(lang: HelpLang, key: string): Promise<Result<HelpArticle>> {
  return settle<HelpArticle>(() => commands.helpArticle(lang, key));
}

export function helpRelated(lang: HelpLang, key: string, limit: number): Promise<Result<HelpArticle[]>> {
  return settle<HelpArticle[]>(() => commands.helpRelated(lang, key, limit));
}

export function helpSearch(lang: HelpLang, query: string, limit: number): Promise<Result<SearchHit[]>> {
  return settle<SearchHit[]>(() => commands.helpSearch(lang, query, limit));
}

/** "Was this helpful?": queued by the Rust side and sent when online (ok even offline). */
export function helpFeedback(lang: HelpLang, key: string, helpful: boolean): Promise<Result<null>> {
  return settle<null>(() => commands.helpFeedback(lang, key, helpful));
}

export function helpSync(): Promise<Result<SyncReport>> {
  return settle<SyncReport>(() => commands.helpSync());
}

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
