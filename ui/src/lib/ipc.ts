// The one place the UI talks to the Rust side. Everything else imports from here, never from
// `./bindings` (which tauri-specta regenerates), so adapting to a change in the generated
// bindings happens in this file only.
//
// Every call resolves to a `Result`: a command that fails, or an IPC bridge that is missing
// (the UI opened in a plain browser), becomes `{ status: "error", error: AppError }` instead
// of a rejected promise, so screens never have to guess which calls can throw.

import { commands, events } from "./bindings";
import type { ConnectionState, Settings } from "./bindings";

export type {
  ConnectionState,
  ConnectionStatus,
  Language,
  ServerSummary,
  Settings,
  Theme,
} from "./bindings";

/**
 * An error as it crosses IPC: a stable machine code and a message for logs (the Rust side
 * calls it `ErrorBody`). The UI shows a localized text for the code, never `message`.
 */
export type AppError = { code: string; message: string };

export type Result<T, E = AppError> = { status: "ok"; data: T } | { status: "error"; error: E };

/** Error code used when the IPC bridge itself failed (not a code the Rust side sends). */
export const IPC_FAILURE = "ipc.failure";

function toAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && typeof (e as AppError).code === "string") {
    const err = e as AppError;
    return { code: err.code, message: typeof err.message === "string" ? err.message : "" };
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

export function getSettings(): Promise<Result<Settings>> {
  return settle<Settings>(() => commands.getSettings());
}

export function saveSettings(settings: Settings): Promise<Result<Settings>> {
  return settle<Settings>(() => commands.saveSettings(settings));
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

/**
 * Subscribes to the Rust side's `connection-changed` event. Resolves to an unsubscribe
 * function; when the bridge is missing it resolves to a no-op instead of rejecting.
 */
export async function onConnectionChanged(
  handler: (state: ConnectionState) => void,
): Promise<() => void> {
  try {
    const unlisten = await events.connectionChanged.listen((e) => handler(e.payload));
    return () => {
      void Promise.resolve(unlisten()).catch(() => {});
    };
  } catch {
    return () => {};
  }
}
