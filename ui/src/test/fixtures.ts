// Shared test data and helpers for the component tests (jsdom).
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { setLanguage } from "$lib/i18n/index.svelte";
import type { PasswordCheck, Settings, UserProfile } from "$lib/ipc";
import { ANNA, DEFAULT_SETTINGS, offlineState, onlineState } from "../../../tests/ui/fixtures.mjs";
import { account } from "$lib/stores/account.svelte";
import { flow } from "$lib/stores/auth.svelte";
import { connection } from "$lib/stores/connection.svelte";
import { settings } from "$lib/stores/settings.svelte";
import { reauth } from "$lib/stores/reauth.svelte";
import { setTheme } from "$lib/theme.svelte";

// The same starting data as the browser tests' stand-in (one copy, typed there).
export { SERVER } from "../../../tests/ui/fixtures.mjs";
export const online = onlineState;
export const offline = offlineState;
export const SETTINGS: Settings = DEFAULT_SETTINGS;
export const PROFILE: UserProfile = ANNA.profile;

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
