// @ts-check
// The stand-in's starting data, typed with the app's generated bindings (`npm run check`
// type-checks this file), so a change to a wire type that the fixtures no longer match fails
// the type check instead of a browser test far away.

/** @typedef {import("../../ui/src/lib/bindings").ConnectionState} ConnectionState */

/** @type {import("../../ui/src/lib/bindings").ServerSummary} */
export const SERVER = {
  name: "XWMS",
  description: "XWMS account service",
  version: "1.4.2",
  timezone: "Europe/Amsterdam",
  locale: "en",
  time: "2026-11-25T09:30:00+01:00",
  help_version: 3,
};

/**
 * @param {Partial<ConnectionState>} [overrides]
 * @returns {ConnectionState}
 */
export function onlineState(overrides = {}) {
  return {
    status: "online",
    server_url: "http://127.0.0.1:8787/",
    server: { ...SERVER },
    checked_at: "2026-11-25T08:30:05Z",
    error: null,
    ...overrides,
  };
}

/**
 * @param {Partial<ConnectionState>} [overrides]
 * @returns {ConnectionState}
 */
export function offlineState(overrides = {}) {
  return {
    status: "offline",
    server_url: "http://127.0.0.1:8787/",
    server: null,
    checked_at: "2026-11-25T08:31:10Z",
    error: { code: "network.offline", message: "connection refused (os error 111)" },
    ...overrides,
  };
}

/**
 * The offline help as the Rust side reports it: synced with the server an hour ago.
 * @type {import("../../ui/src/lib/bindings").HelpStatus}
 */
export const HELP_STATUS = {
  version: 3,
  source: "server",
  synced_at: "2026-11-25T07:45:00Z",
  article_count: 0,
  pending_feedback: 0,
  notice: null,
};

/** @type {import("../../ui/src/lib/bindings").Settings} */
export const DEFAULT_SETTINGS = { server_url: "http://127.0.0.1:8787/", language: "en", theme: "light" };

/**
 * A verified account the tests can sign in with.
 * @type {{ password: string, profile: import("../../ui/src/lib/bindings").UserProfile }}
 */
export const ANNA = {
  password: "Tulip-Harbour-42",
  profile: {
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
  },
};
