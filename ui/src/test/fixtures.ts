// Shared test data and helpers for the component tests (jsdom).
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { setLanguage } from "$lib/i18n/index.svelte";
import type { ConnectionState, PasswordCheck, ServerSummary, Settings, UserProfile } from "$lib/ipc";
import { account } from "$lib/stores/account.svelte";
import { flow } from "$lib/stores/auth.svelte";
import { connection } from "$lib/stores/connection.svelte";
import { settings } from "$lib/stores/settings.svelte";
import { reauth } from "$lib/stores/reauth.svelte";
import { setTheme } from "$lib/theme.svelte";

export const SERVER: ServerSummary = {
  name: "XWMS",
  description: "XWMS account service",
  version: "1.4.2",
  timezone: "Europe/Amsterdam",
  locale: "en",
  time: "2026-11-25T09:30:00+01:00",
  help_version: null,
};

export function online(overrides: Partial<ConnectionState> = {}): ConnectionState {
  return {
    status: "online",
    server_url: "http://127.0.0.1:8787/",
    server: { ...SERVER },
    checked_at: "2026-11-25T08:30:05Z",
    error: null,
    ...overrides,
  };
}

export function offline(overrides: Partial<ConnectionState> = {}): ConnectionState {
  return {
    status: "offline",
    server_url: "http://127.0.0.1:8787/",
    server: null,
    checked_at: "2026-11-25T08:31:10Z",
    error: { code: "network.offline", message: "connection refused" },
    ...overrides,
  };
}

export const SETTINGS: Settings = { server_url: "http://127.0.0.1:8787/", language: "en", theme: "light" };

export const PROFILE: UserProfile = {
  sub: "usr_01HZX3Q7",
  name: "Anna de Vries",
  username: "anna",
  email: "anna@example.com",
  email_verified: true,
  timezone: "Europe/Amsterdam",
  region: "NL",
  language: "en",
  created_at: "2024-03-14T09:15:00Z",
  is_agent: false,
};

/** The password rule as the Rust side checks it (with a tiny list of common passwords). */
export function checkPassword(password: string): PasswordCheck {
  const chars = [...password].length;
  const parts = [
    ["long_enough", chars >= 8, "password.too_short"],
    ["not_too_long", chars <= 256, "password.too_long"],
    ["has_upper", /\p{Lu}/u.test(password), "password.missing_upper"],
    ["has_lower", /\p{Ll}/u.test(password), "password.missing_lower"],
    ["has_digit", /[0-9]/.test(password), "password.missing_digit"],
    ["not_common", !["password1", "qwerty123"].includes(password.toLowerCase()), "password.too_common"],
  ] as const;
  const check = Object.fromEntries(parts.map(([part, holds]) => [part, holds])) as Omit<PasswordCheck, "first_error">;
  return { ...check, first_error: parts.find(([, holds]) => !holds)?.[2] ?? null };
}

/** A refusal from the Rust side: what a command handler throws. */
export function refusal(code: string, data: Record<string, unknown> | null = null) {
  return () => {
    throw { code, message: `internal detail: ${code}`, data };
  };
}

export type Call = { cmd: string; args: Record<string, unknown> };

/**
 * Mocks the Rust side through @tauri-apps/api/mocks (the same `invoke` the generated bindings
 * call). `handlers` answer commands; a handler that throws plays a failed command.
 */
export function mockBackend(handlers: Record<string, (args: Record<string, unknown>) => unknown> = {}): Call[] {
  const calls: Call[] = [];
  mockIPC(
    (cmd, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args: a });
      const handler = handlers[cmd];
      if (handler) return handler(a);
      switch (cmd) {
        case "get_settings":
          return { ...SETTINGS };
        case "save_settings":
          return a.settings;
        case "change_server":
          return { ...SETTINGS, server_url: a.serverUrl };
        case "connection_state":
        case "check_connection":
          return online();
        case "check_password":
          return checkPassword(String(a.password ?? ""));
        case "restore_session":
          return null;
        // A signed-in shell asks for pending new-sign-in alerts: none by default.
        case "security_events":
          return { events: [], next_before: null };
        default:
          return null;
      }
    },
    { shouldMockEvents: true },
  );
  return calls;
}

/** Puts every store back to its start state. */
export function resetStores(): void {
  clearMocks();
  connection.reset();
  account.reset();
  flow.reset();
  settings.current = { ...SETTINGS };
  settings.loaded = false;
  settings.loadError = null;
  reauth.cancel();
  setLanguage("en");
  setTheme("system");
}

/** Sets the location hash and waits until the router has seen it (hashchange is async). */
export async function goTo(hash: string): Promise<void> {
  if (window.location.hash === hash) return;
  const seen = new Promise<void>((ok) => window.addEventListener("hashchange", () => ok(), { once: true }));
  window.location.hash = hash;
  await seen;
}
