// Shared test data and helpers for the component tests (jsdom).
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { setLanguage } from "$lib/i18n/index.svelte";
import type { ConnectionState, ServerSummary, Settings } from "$lib/ipc";
import { connection } from "$lib/stores/connection.svelte";
import { settings } from "$lib/stores/settings.svelte";
import { setTheme } from "$lib/theme.svelte";

export const SERVER: ServerSummary = {
  name: "XWMS",
  description: "XWMS account service",
  version: "1.4.2",
  timezone: "Europe/Amsterdam",
  locale: "en",
  time: "2026-11-25T09:30:00+01:00",
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
        case "connection_state":
        case "check_connection":
          return online();
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
  settings.current = { ...SETTINGS };
  settings.loaded = false;
  settings.loadError = null;
  setLanguage("en");
  setTheme("system");
}
