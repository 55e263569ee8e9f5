// Test harness for the browser tests: serves the built UI (dist/) the way the app's webview
// gets it (same CSP), drives Debian's Chromium through playwright-core, and stands in for the
// Rust side by mocking Tauri's IPC inside the page.
//
// Nothing here builds the UI: run `npm run build` first.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { chromium } from "playwright-core";
import { HELP_FIXTURE } from "./help-fixture.mjs";
import { ANNA, DEFAULT_SETTINGS, HELP_STATUS, onlineState } from "./fixtures.mjs";

export * from "./fixtures.mjs";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const DIST = join(ROOT, "dist");
export const SCREENSHOTS = join(ROOT, "tests", "ui", "screenshots");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

/** The app's Content-Security-Policy, read from tauri.conf.json when it is there. */
export function appCsp() {
  const conf = join(ROOT, "tauri.conf.json");
  if (existsSync(conf)) {
    const csp = JSON.parse(readFileSync(conf, "utf8"))?.app?.security?.csp;
    if (typeof csp === "string") return csp;
    if (csp && typeof csp === "object") {
      return Object.entries(csp)
        .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(" ") : v}`)
        .join("; ");
    }
  }
  return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src ipc: http://ipc.localhost";
}

/** Serves dist/ on 127.0.0.1 at a random port. Resolves to { url, close }. */
export async function serveDist() {
  if (!existsSync(join(DIST, "index.html"))) {
    throw new Error("dist/index.html is missing: run `npm run build` before `npm run test:ui`");
  }
  const csp = appCsp();
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      const file = normalize(join(DIST, path === "/" ? "index.html" : path));
      if (!file.startsWith(DIST + sep)) throw new Error("outside dist");
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "content-security-policy": csp,
        "cache-control": "no-store",
      });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((ok) => server.close(() => ok(undefined))),
  };
}

export function launchChromium() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Runs in the page before any of its scripts: a stand-in for the Rust side.
 * Emulates what `@tauri-apps/api/mocks` `mockIPC(handler, { shouldMockEvents: true })` sets
 * up: `window.__TAURI_INTERNALS__` with `invoke`, `transformCallback`, `unregisterCallback`
 * and `runCallback`, and the event plugin's `plugin:event|listen` / `unlisten` / `emit`.
 * The test drives it through `window.__TEST_IPC__`: `emit(event, payload)` fires an event
 * the way the Rust side does, `calls` records every invoke, `setConnection(state)` changes
 * what the connection commands answer.
 *
 * The account commands play a small XWMS server in memory (accounts, mailed codes, lockout)
 * that follows the rules of issue 3: 6-digit codes, 5 minutes (10 for a reset or an email
 * change), 5 tries, resend refused for 46 s, no user enumeration. Mail lands in
 * `__TEST_IPC__.mail`; `lastCode(to)` reads the latest code, `advance(seconds)` moves the
 * clock, `endSession(code)` ends the session the way the Rust side does (`session-ended`).
 *
 * The help commands serve the small fixture of help-fixture.mjs from memory (a stand-in for
 * the Rust side's offline cache: a naive word search, not the real engine). "Was this
 * helpful?" answers land in `__TEST_IPC__.help.feedback`; `help_sync` fails with
 * `network.offline` unless the connection is online.
 *
 * @param {{ settings: object, connection: object, checkResult?: object, saveError?: object,
 *   accounts: object[], session: string | null, restoreError?: object | null, otherSessions: number,
 *   help: { fixture: object, status: object } }} init
 */
function installIpcMock(init) {
  const callbacks = new Map();
  const listeners = new Map(); // event name -> handler ids
  const calls = [];
  let settings = structuredClone(init.settings);
  let connection = structuredClone(init.connection);
  let nextCheck = init.checkResult ? structuredClone(init.checkResult) : null;
  let saveError = init.saveError ? structuredClone(init.saveError) : null;
  // Addresses where "no server answers" (change_server refuses them).
  const unreachable = new Set(init.unreachable ?? []);

  // ---- A small XWMS server in memory, for the account commands --------------------------
  const CODE_SECONDS = { verify: 300, unlock: 300, reset: 600, email: 600 };
  const RESEND_SECONDS = 46;
  const MAX_TRIES = 5;
  const LOCK_AFTER = 5;
  const COMMON = new Set(["password1", "qwerty123", "welcome1", "letmein1", "iloveyou1", "abc12345", "passw0rd"]);
  const RESERVED = new Set(["admin", "support", "xwms", "root"]);
  let clockOffset = 0;
  const now = () => Date.now() + clockOffset;
  const accounts = new Map();
  const mail = [];
  const recoveryRequests = [];
  let codeSeq = 0;
  let session = init.session ?? null;
  let restoreError = init.restoreError ?? null;
  let otherSessions = init.otherSessions ?? 2;
  // The re-authentication window: when closed, sensitive changes answer auth.reauth_required.
  let reauthOpen = !init.reauthRequired;
  function requireRecentPassword() {
    if (!reauthOpen) fail("auth.reauth_required");
  }
  let pendingEmailChange = null;
  let pendingSecondFactor = null;
  // The 2FA state below belongs to the first account (the one tests sign in with).
  const ownerOf2fa = init.accounts?.[0]?.profile.email ?? null;

  for (const a of init.accounts ?? []) {
    accounts.set(a.profile.email.toLowerCase(), {
      profile: structuredClone(a.profile),
      password: a.password,
      verified: a.verified ?? true,
      locked: a.locked ?? false,
      methods: a.methods ?? [],
      failures: 0,
      codes: {},
    });
  }

  function fail(code, data) {
    throw { code, message: `internal detail for ${code}`, data: data ?? null };
  }
  function checkPassword(pw) {
    const chars = [...pw].length;
    const parts = [
      ["long_enough", chars >= 8, "password.too_short"],
      ["not_too_long", chars <= 256, "password.too_long"],
      ["has_upper", /\p{Lu}/u.test(pw), "password.missing_upper"],
      ["has_lower", /\p{Ll}/u.test(pw), "password.missing_lower"],
      ["has_digit", /[0-9]/.test(pw), "password.missing_digit"],
      ["not_common", !COMMON.has(pw.toLowerCase()), "password.too_common"],
    ];
    const check = Object.fromEntries(parts.map(([part, holds]) => [part, holds]));
    return { ...check, first_error: parts.find(([, holds]) => !holds)?.[2] ?? null };
  }
  function requirePassword(pw, field) {
    const { first_error } = checkPassword(pw ?? "");
    if (first_error) fail(first_error, { field });
  }
  function requireEmail(value, field) {
    if (!value || !String(value).trim()) fail("field.required", { field });
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(String(value).trim())) fail("email.invalid", { field });
    return String(value).trim();
  }
  function sendCode(account, kind, to) {
    const last = account?.codes[kind];
    if (last && now() - last.sentAt < RESEND_SECONDS * 1000) {
      fail("code.resend_too_soon", { retry_after_seconds: Math.ceil((last.sentAt + RESEND_SECONDS * 1000 - now()) / 1000) });
    }
    codeSeq += 1;
    const code = String(100000 + ((codeSeq * 271_829 + 314_159) % 900_000));
    if (account) account.codes[kind] = { code, sentAt: now(), expiresAt: now() + CODE_SECONDS[kind] * 1000, tries: 0 };
    mail.push({ to, kind, code });
    return { email: to, expires_in_seconds: CODE_SECONDS[kind], resend_after_seconds: RESEND_SECONDS, challenge_id: `xwc_${kind}` };
  }
  function useCode(account, kind, code) {
    const pending = account?.codes[kind];
    if (!pending) fail("code.none", { field: "code" });
    if (now() > pending.expiresAt) fail("code.expired", { field: "code" });
    if (pending.tries >= MAX_TRIES) fail("code.too_many_attempts", { field: "code" });
    if (pending.code !== code) {
      pending.tries += 1;
      if (pending.tries >= MAX_TRIES) fail("code.too_many_attempts", { field: "code" });
      fail("code.incorrect", { field: "code", attempts_left: MAX_TRIES - pending.tries });
    }
    delete account.codes[kind];
  }
  const find = (email) => accounts.get(String(email ?? "").trim().toLowerCase());
  function signedIn() {
    const a = session ? find(session) : null;
    if (!a) fail("auth.unauthorized");
    return a;
  }

  const accountCommands = {
    check_password: ({ password }) => checkPassword(password ?? ""),
    sign_up({ name, email, password }) {
      if (!name || !String(name).trim()) fail("field.required", { field: "name" });
      const address = requireEmail(email, "email");
      requirePassword(password, "password");
      const existing = find(address);
      if (existing) {
        // No enumeration: the same answer; the owner gets a notice instead of a code.
        mail.push({ to: address, kind: "signup-notice", code: null });
        return { email: address, expires_in_seconds: CODE_SECONDS.verify, resend_after_seconds: RESEND_SECONDS, challenge_id: "xwc_verify" };
      }
      const account = {
        profile: {
          sub: `usr_${accounts.size + 1}`,
          name: String(name).trim(),
          username: null,
          email: address,
          email_verified: false,
          timezone: "Europe/Amsterdam",
          region: "NL",
          language: "en",
          created_at: new Date(now()).toISOString(),
          is_agent: false,
        },
        password,
        verified: false,
        locked: false,
        methods: [],
        failures: 0,
        codes: {},
      };
      accounts.set(address.toLowerCase(), account);
      return sendCode(account, "verify", address);
    },
    verify_email({ email, code }) {
      const a = find(email);
      if (!a) fail("code.none", { field: "code" });
      useCode(a, "verify", code);
      a.verified = true;
      a.profile.email_verified = true;
      return null;
    },
    resend_verification({ email }) {
      const a = find(email);
      return sendCode(a && !a.verified ? a : null, "verify", requireEmail(email, "email"));
    },
    sign_in({ email, password }) {
      const address = requireEmail(email, "email");
      if (!password) fail("field.required", { field: "password" });
      const a = find(address);
      if (!a) fail("auth.invalid_credentials");
      if (a.locked) fail("auth.locked");
      if (a.password !== password) {
        a.failures += 1;
        if (a.failures >= LOCK_AFTER) {
          a.locked = true;
          a.codes.unlock = undefined;
          sendCode(a, "unlock", a.profile.email);
          fail("auth.locked");
        }
        if (a.failures === LOCK_AFTER - 1) fail("auth.throttled", { retry_after_seconds: 3 });
        fail("auth.invalid_credentials");
      }
      if (!a.verified) fail("auth.email_unverified");
      a.failures = 0;
      if (a.methods.length || (sec.enabled && a.profile.email === ownerOf2fa)) {
        pendingSecondFactor = a;
        return { result: "second_factor", methods: a.methods.length ? [...a.methods] : ["totp", "recovery_code"] };
      }
      session = a.profile.email;
      return { result: "signed_in", account: structuredClone(a.profile) };
    },
    unlock_account({ email, code }) {
      const a = find(email);
      if (!a) fail("code.none", { field: "code" });
      useCode(a, "unlock", code);
      a.locked = false;
      a.failures = 0;
      return null;
    },
    resend_unlock({ email }) {
      const a = find(email);
      return sendCode(a && a.locked ? a : null, "unlock", requireEmail(email, "email"));
    },
    forgot_password({ email }) {
      const address = requireEmail(email, "email");
      return sendCode(find(address) ?? null, "reset", address);
    },
    reset_password({ email, code, newPassword }) {
      const a = find(email);
      if (!a) fail("code.none", { field: "code" });
      const pending = a.codes.reset;
      if (!pending || pending.code !== code) useCode(a, "reset", code);
      requirePassword(newPassword, "new_password");
      delete a.codes.reset;
      a.password = newPassword;
      a.locked = false;
      a.failures = 0;
      if (session && find(session) === a) session = null;
      return null;
    },
    file_recovery_request({ request }) {
      requireEmail(request.email, "email");
      if (!request.name || !request.name.trim()) fail("field.required", { field: "name" });
      requireEmail(request.contact_email, "contact_email");
      if (!request.lost?.length) fail("field.required", { field: "lost" });
      if (!request.details || !request.details.trim()) fail("field.required", { field: "details" });
      recoveryRequests.push(structuredClone(request));
      return { reference: "REC-7K2M9Q", answer_within_days: 3 };
    },
    restore_session() {
      if (restoreError) fail(restoreError.code);
      const a = session ? find(session) : null;
      return a ? structuredClone(a.profile) : null;
    },
    current_account: () => structuredClone(signedIn().profile),
    sign_out() {
      session = null;
      return null;
    },
    update_profile({ update }) {
      const a = signedIn();
      if (update.name !== undefined && !update.name.trim()) fail("field.required", { field: "name" });
      if (update.username !== undefined) {
        const u = update.username.trim().toLowerCase();
        if (RESERVED.has(u)) fail("account.username_reserved", { field: "username" });
        if ([...accounts.values()].some((o) => o !== a && o.profile.username?.toLowerCase() === u)) {
          fail("account.username_taken", { field: "username" });
        }
      }
      if (update.timezone !== undefined) {
        try {
          new Intl.DateTimeFormat("en", { timeZone: update.timezone });
        } catch {
          fail("account.timezone_invalid", { field: "timezone" });
        }
      }
      for (const key of ["name", "username", "timezone", "region", "language"]) {
        if (update[key] !== undefined) a.profile[key] = update[key];
      }
      return structuredClone(a.profile);
    },
    change_email({ newEmail, password }) {
      const a = signedIn();
      const address = requireEmail(newEmail, "new_email");
      if (a.password !== password) fail("auth.password_incorrect", { field: "password" });
      pendingEmailChange = address;
      return sendCode(a, "email", address);
    },
    confirm_email_change({ code }) {
      const a = signedIn();
      useCode(a, "email", code);
      accounts.delete(a.profile.email.toLowerCase());
      mail.push({ to: a.profile.email, kind: "email-changed-notice", code: null });
      a.profile.email = pendingEmailChange;
      a.profile.email_verified = true;
      accounts.set(pendingEmailChange.toLowerCase(), a);
      session = pendingEmailChange;
      return structuredClone(a.profile);
    },
    change_password({ currentPassword, newPassword, signOutOthers }) {
      const a = signedIn();
      if (!currentPassword) fail("field.required", { field: "current_password" });
      if (a.password !== currentPassword) fail("auth.password_incorrect", { field: "current_password" });
      requirePassword(newPassword, "new_password");
      a.password = newPassword;
      const revoked = signOutOthers ? otherSessions : 0;
      if (signOutOthers) otherSessions = 0;
      return { sessions_revoked: revoked };
    },
  };

  // ---- The security center: 2FA, sessions, the timeline and its alerts, API clients ------
  // TOTP here is a stand-in: the pending or enabled secret accepts the code `TOTP_CODE`
  // (tests read it as `__TEST_IPC__.totpCode`); the real RFC 6238 check is tested in Rust and
  // end to end. Sessions: this device plus `otherSessions` others.
  const TOTP_CODE = "287082";
  const QR_SVG =
    '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="240" height="240" viewBox="0 0 21 21" shape-rendering="crispEdges"><rect width="21" height="21" fill="#ffffff"/><path fill="#000000" d="M0 0h7v7H0zM1 1v5h5V1zM2 2h3v3H2zM14 0h7v7h-7zM15 1v5h5V1zM16 2h3v3h-3zM0 14h7v7H0zM1 15v5h5v-5zM2 16h3v3H2zM8 0h1v2H8zM10 1h2v1h-2zM9 3h3v1H9zM8 5h2v3H8zM11 6h2v2h-2zM0 8h2v1H0zM3 9h3v2H3zM8 9h5v1H8zM14 8h3v2h-3zM18 9h3v1h-3zM9 11h2v3H9zM12 12h3v1h-3zM16 11h2v3h-2zM19 12h2v2h-2zM8 15h4v1H8zM13 14h1v3h-1zM15 15h3v2h-3zM9 17h3v2H9zM8 19h1v2H8zM14 18h2v3h-2zM17 18h4v1h-4zM18 20h3v1h-3z"/></svg>';
  const sec = { enabled: false, enabledAt: null, pending: false, codes: [], events: [], clients: [], seq: 0 };
  const iso = () => new Date(now()).toISOString();
  const makeSessions = () => [
    { id: "ses_this", device_type: "desktop", device_name: "This computer", os: "Linux", app: "XWMS-Desktop", app_version: "0.1.0", software: "Linux · XWMS-Desktop 0.1.0", ip: "192.0.2.10", user_agent: "XWMS-Desktop/0.1.0", created_at: "2026-11-20T08:00:00Z", last_active_at: iso(), current: true },
    { id: "ses_phone", device_type: "mobile", device_name: "iPhone 15", os: "iOS 18.1", app: "XWMS", app_version: "3.2.0", software: "iOS 18.1 · XWMS 3.2.0", ip: "198.51.100.4", user_agent: "XWMS/3.2.0", created_at: "2026-11-02T17:20:00Z", last_active_at: "2026-11-24T18:05:00Z", current: false },
    { id: "ses_cli", device_type: "cli", device_name: "build-server", os: "Debian 13", app: "xwms-cli", app_version: "0.1.0", software: "Debian 13 · xwms-cli 0.1.0", ip: "203.0.113.9", user_agent: "xwms-cli/0.1.0", created_at: "2026-10-11T07:00:00Z", last_active_at: "2026-11-10T07:00:00Z", current: false },
    { id: "ses_tablet", device_type: "other", device_name: "Tablet", os: "Android 15", app: "Chrome", app_version: "131", software: "Android 15 · Chrome 131", ip: "198.51.100.77", user_agent: "Chrome/131", created_at: "2026-09-01T10:00:00Z", last_active_at: "2026-10-01T10:00:00Z", current: false },
  ];
  let sessions = makeSessions().slice(0, 1 + Math.min(otherSessions, 3));
  function record(kind, extra = {}) {
    sec.seq += 1;
    sec.events.unshift({ id: `evt_${String(sec.seq).padStart(4, "0")}`, kind, at: iso(), ip: "192.0.2.10", device: "This computer", os: "Linux", app: "XWMS-Desktop", device_label: "This computer · Linux", session_id: "ses_this", alert: false, alert_status: null, session_active: true, ...extra });
  }
  for (const [kind, at] of [["account_created", "2024-03-14T09:15:00Z"], ["email_verified", "2024-03-14T09:18:00Z"], ["password_changed", "2026-10-02T12:00:00Z"], ["signed_in", "2026-11-20T08:00:00Z"]]) {
    record(kind);
    sec.events[0].at = at;
  }
  function securityChanged() {
    emit("security-changed", null);
  }
  const requirePasswordOf = (a, password, field = "password") => {
    if (!password) fail("field.required", { field });
    if (a.password !== password) fail("auth.password_incorrect", { field });
  };
  const newCodes = () => {
    const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
    let seed = 1_234_567 + sec.seq * 7919;
    const next = () => alphabet[(seed = (seed * 48271) % 2_147_483_647) % alphabet.length];
    sec.codes = Array.from({ length: 10 }, () => {
      const x = Array.from({ length: 8 }, next).join("");
      return `${x.slice(0, 4)}-${x.slice(4)}`;
    });
    return { codes: [...sec.codes], generated_at: iso() };
  };
  const findClient = (id) => sec.clients.find((c) => c.id === id) ?? fail("api_client.not_found");
  const secretFor = (c) => ({ client: structuredClone(c), client_secret: `xwms_cs_${c.id}_${sec.seq}${Math.floor(now() % 100000)}` });
  const securityCommands = {
    complete_second_factor({ method, code }) {
      const a = pendingSecondFactor;
      if (!a) fail("two_factor.challenge_expired");
      const c = String(code ?? "").trim().toLowerCase();
      const ok = method === "totp" ? c.replace(/\s/g, "") === TOTP_CODE : sec.codes.includes(c.includes("-") ? c : `${c.slice(0, 4)}-${c.slice(4)}`);
      if (!ok) fail("two_factor.code_incorrect", { field: "code" });
      if (method !== "totp") sec.codes = sec.codes.filter((x) => x !== c);
      pendingSecondFactor = null;
      session = a.profile.email;
      return structuredClone(a.profile);
    },
    security_overview() {
      const a = signedIn();
      return {
        email_verified: a.verified,
        password_meets_rule: checkPassword(a.password).first_error === null,
        password_changed_at: "2026-10-02T12:00:00Z",
        two_factor: { enabled: sec.enabled, enabled_at: sec.enabledAt, recovery_codes_left: sec.enabled ? sec.codes.length : 0 },
        active_sessions: sessions.length,
        unrecognised_sessions: sec.events.filter((e) => e.alert && e.alert_status === "pending" && e.session_active).length,
      };
    },
    security_events({ before, limit }) {
      signedIn();
      const start = before ? sec.events.findIndex((e) => e.id === before) + 1 : 0;
      const page = sec.events.slice(start, start + limit);
      const more = start + limit < sec.events.length;
      return { events: structuredClone(page), next_before: more ? page[page.length - 1].id : null };
    },
    confirm_sign_in({ eventId }) {
      const e = sec.events.find((x) => x.id === eventId) ?? fail("security_event.not_found");
      e.alert_status = "confirmed";
      securityChanged();
      return structuredClone(e);
    },
    deny_sign_in({ eventId }) {
      const e = sec.events.find((x) => x.id === eventId) ?? fail("security_event.not_found");
      e.alert_status = "denied";
      e.session_active = false;
      sessions = sessions.filter((s) => s.id !== e.session_id);
      record("session_revoked");
      securityChanged();
      return structuredClone(e);
    },
    start_two_factor({ password }) {
      const a = signedIn();
      requirePasswordOf(a, password);
      if (sec.enabled) fail("two_factor.already_enabled");
      sec.pending = true;
      const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
      return {
        secret,
        secret_groups: secret.match(/.{4}/g).join(" "),
        otpauth_uri: `otpauth://totp/XWMS:${encodeURIComponent(a.profile.email)}?secret=${secret}&issuer=XWMS&algorithm=SHA1&digits=6&period=30`,
        qr_svg: QR_SVG,
        issuer: "XWMS",
        account_name: a.profile.email,
        digits: 6,
        period_seconds: 30,
        algorithm: "SHA1",
        expires_at: new Date(now() + 10 * 60_000).toISOString(),
      };
    },
    enable_two_factor({ code }) {
      signedIn();
      if (!sec.pending) fail("two_factor.setup_missing");
      if (String(code) !== TOTP_CODE) fail("two_factor.code_incorrect", { field: "code" });
      sec.pending = false;
      sec.enabled = true;
      sec.enabledAt = iso();
      record("two_factor_enabled");
      securityChanged();
      return newCodes();
    },
    disable_two_factor({ password, code }) {
      const a = signedIn();
      requirePasswordOf(a, password);
      if (!sec.enabled) fail("two_factor.not_enabled");
      if (String(code).trim() !== TOTP_CODE && !sec.codes.includes(String(code).trim().toLowerCase())) fail("two_factor.code_incorrect", { field: "code" });
      sec.enabled = false;
      sec.enabledAt = null;
      sec.codes = [];
      record("two_factor_disabled");
      securityChanged();
      return null;
    },
    regenerate_recovery_codes({ password }) {
      const a = signedIn();
      requirePasswordOf(a, password);
      if (!sec.enabled) fail("two_factor.not_enabled");
      record("recovery_codes_regenerated");
      securityChanged();
      return newCodes();
    },
    save_recovery_codes: ({ generatedAt }) => `/home/anna/Downloads/xwms-recovery-codes-${String(generatedAt).slice(0, 10)}.txt`,
    show_in_folder: () => null,
    list_sessions: () => (signedIn(), { sessions: structuredClone(sessions) }),
    revoke_session({ id }) {
      signedIn();
      requireRecentPassword();
      const s = sessions.find((x) => x.id === id) ?? fail("session.not_found");
      if (s.current) fail("session.is_current");
      sessions = sessions.filter((x) => x.id !== id);
      record("session_revoked");
      securityChanged();
      return null;
    },
    reauthenticate({ password }) {
      const a = signedIn();
      requirePasswordOf(a, password);
      reauthOpen = true;
      return { reauthenticated_until: new Date(now() + 600_000).toISOString() };
    },
    revoke_other_sessions({ password }) {
      const a = signedIn();
      requirePasswordOf(a, password);
      reauthOpen = true;
      const n = sessions.filter((x) => !x.current).length;
      sessions = sessions.filter((x) => x.current);
      record("sessions_revoked");
      securityChanged();
      return { sessions_revoked: n };
    },
    list_api_clients: () => (signedIn(), { clients: structuredClone(sec.clients) }),
    create_api_client({ name }) {
      signedIn();
      requireRecentPassword();
      const n = String(name ?? "").trim();
      if (!n) fail("field.required", { field: "name" });
      if (sec.clients.some((c) => c.name.toLowerCase() === n.toLowerCase())) fail("api_client.name_taken", { field: "name" });
      sec.seq += 1;
      const c = { id: `cli_${sec.seq}`, name: n, client_id: `xwms_ci_${(sec.seq * 48271).toString(16)}a7c3`, created_at: iso(), last_used_at: null, secret_created_at: iso(), enabled: true };
      sec.clients.unshift(c);
      record("api_client_created");
      securityChanged();
      return secretFor(c);
    },
    update_api_client({ id, update }) {
      signedIn();
      if (update.enabled != null) requireRecentPassword();
      const c = findClient(id);
      if (update.name != null) c.name = update.name;
      if (update.enabled != null && update.enabled !== c.enabled) {
        record(update.enabled ? "api_client_enabled" : "api_client_disabled");
      }
      if (update.enabled != null) c.enabled = update.enabled;
      securityChanged();
      return structuredClone(c);
    },
    regenerate_api_client_secret({ id }) {
      signedIn();
      requireRecentPassword();
      const c = findClient(id);
      sec.seq += 1;
      c.secret_created_at = iso();
      record("api_client_secret_regenerated");
      securityChanged();
      return secretFor(c);
    },
    delete_api_client({ id }) {
      signedIn();
      requireRecentPassword();
      findClient(id);
      sec.clients = sec.clients.filter((c) => c.id !== id);
      record("api_client_deleted");
      securityChanged();
      return null;
    },
  };

  // ---- The help center: the fixture, served the way the Rust side's cache does -----------
  const LANGS = ["en", "nl", "fr"];
  const fold = (ch) => ch.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  const slugify = (text) =>
    [...text].map(fold).join("").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  // The answer comes as the Rust side hands it over, text and links; the body is its markup.
  const spansOf = (answer) => answer.map((s) => (typeof s === "string" ? { kind: "text", text: s } : s));
  const markupOf = (answer) => answer.map((s) => (s.kind === "text" ? s.text : `[${s.label}](${s.target})`)).join("");
  const plain = (answer) => answer.map((s) => (s.kind === "text" ? s.text : s.label)).join("");
  const helpArticles = [];
  const helpCategories = [];
  for (const lang of LANGS) {
    for (const c of init.help.fixture.categories) {
      helpCategories.push({ slug: c.slug, lang, title: c[lang].title, subtitle: c[lang].subtitle, order: c.order });
    }
    for (const a of init.help.fixture.articles) {
      const text = a.langs[lang];
      if (!text) continue;
      helpArticles.push({
        id: a.id,
        lang,
        slug: slugify(text.title),
        category: a.category,
        title: text.title,
        body: markupOf(spansOf(text.answer)),
        answer: spansOf(text.answer),
        tags: [...a.tags[lang]],
        popular: a.popular,
        order: a.order,
        version: 1,
      });
    }
  }
  let helpStatus = structuredClone(init.help.status);
  const helpFeedback = [];
  const notFound = () => fail("help.not_found");
  const inLang = (lang) => helpArticles.filter((a) => a.lang === lang);
  const byOrder = (a, b) => a.order - b.order;
  const findArticle = (lang, key) =>
    inLang(lang).find((a) => a.id === key || a.slug === key) ?? notFound();
  function helpChanged() {
    helpStatus.article_count = helpArticles.length;
    emit("help-changed", structuredClone(helpStatus));
  }
  /** Where the word list `words` (folded code points) occurs in `chars`. */
  function occurrences(chars, word) {
    const found = [];
    for (let i = 0; i + word.length <= chars.length; i++) {
      if (word.every((w, j) => chars[i + j] === w)) found.push([i, i + word.length]);
    }
    return found;
  }
  function search(lang, query, limit) {
    const words = query
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => [...w].length >= 2)
      .map((w) => [...w].map(fold));
    if (!words.length) return [];
    const hits = [];
    for (const a of inLang(lang)) {
      const title = [...a.title].map(fold);
      const body = [...plain(a.answer)].map(fold);
      const tags = a.tags.map((t) => [...t].map(fold));
      let score = 0;
      for (const w of words) {
        score += occurrences(title, w).length * 3 + occurrences(body, w).length;
        score += tags.filter((t) => occurrences(t, w).length).length * 2;
      }
      if (!score) continue;
      const snippetChars = [...plain(a.answer)];
      const snippet = snippetChars.join("");
      const highlights = words.flatMap((w) => occurrences(body, w));
      hits.push({ id: a.id, lang, slug: a.slug, category: a.category, title: a.title, snippet, highlights, score });
    }
    return hits.sort((x, y) => y.score - x.score || x.id.localeCompare(y.id)).slice(0, limit);
  }
  const helpCommands = {
    help_status: () => ({ ...structuredClone(helpStatus), article_count: helpArticles.length }),
    help_dismiss_notice() {
      helpStatus.notice = null;
      helpChanged();
      return null;
    },
    help_categories: ({ lang }) =>
      helpCategories
        .filter((c) => c.lang === lang)
        .map((c) => ({ ...c, article_count: inLang(lang).filter((a) => a.category === c.slug).length }))
        .sort(byOrder),
    help_category({ lang, slug, tag }) {
      const category = helpCategories.find((c) => c.lang === lang && c.slug === slug) ?? notFound();
      const all = inLang(lang).filter((a) => a.category === slug).sort(byOrder);
      const counts = new Map();
      for (const a of all) for (const t of a.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
      const tags = [...counts.entries()].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).map(([t]) => t);
      const articles = tag ? all.filter((a) => a.tags.includes(tag)) : all;
      return { category: { ...category, article_count: all.length }, tags, articles: structuredClone(articles) };
    },
    help_popular: ({ lang, limit }) => structuredClone(inLang(lang).filter((a) => a.popular).sort(byOrder).slice(0, limit)),
    help_article: ({ lang, key }) => structuredClone(findArticle(lang, key)),
    help_related({ lang, key, limit }) {
      const a = findArticle(lang, key);
      return structuredClone(
        inLang(lang)
          .filter((o) => o.id !== a.id)
          .map((o) => ({ o, shared: o.tags.filter((t) => a.tags.includes(t)).length + (o.category === a.category ? 1 : 0) }))
          .filter((x) => x.shared > 0)
          .sort((x, y) => y.shared - x.shared || byOrder(x.o, y.o))
          .slice(0, limit)
          .map((x) => x.o),
      );
    },
    help_search: ({ lang, query, limit }) => search(lang, String(query ?? ""), limit),
    help_feedback({ lang, key, helpful }) {
      const a = findArticle(lang, key);
      const sent = connection.status === "online";
      helpFeedback.push({ id: a.id, lang, helpful, sent });
      if (!sent) helpStatus.pending_feedback += 1;
      helpChanged();
      return null;
    },
    help_sync() {
      if (connection.status !== "online") fail("network.offline");
      helpStatus = { ...helpStatus, source: "server", synced_at: new Date(now()).toISOString(), pending_feedback: 0 };
      helpChanged();
      return { version: helpStatus.version, unchanged: true, full: false, changed: 0, deleted: 0 };
    },
  };

  // ---- Live support, in memory (a stand-in for the Rust side's support commands) ---------
  // Conversations from `init.support.conversations` (ConversationDetail objects); sending
  // stores the message at once when online (seq from one counter, like the server's event
  // log), and keeps it in the outbox ("sending") while offline. `support_send` with a body
  // of "fail" plays a refused message (outbox state "failed") that Retry delivers.
  const supportInit = init.support ?? {};
  let supportSeq = 100;
  const conversations = new Map((supportInit.conversations ?? []).map((d) => [d.conversation.id, structuredClone(d)]));
  const outbox = [];
  const deflections = [];
  let agentsOnline = supportInit.agentsOnline ?? 1;
  const supportSummary = (d) => {
    const c = d.conversation;
    const text = d.messages.filter((m) => m.kind === "text");
    c.preview = (text.at(-1)?.body ?? "").slice(0, 120);
    c.last_seq = d.messages.at(-1)?.seq ?? c.last_seq;
    c.unread = d.messages.filter((m) => m.author.kind !== "person" && m.kind === "text" && m.seq > c.last_read_seq).length;
    return structuredClone(c);
  };
  const supportConversation = (id) => conversations.get(id) ?? fail("support.not_found");
  const supportChanged = (id, message = null) => {
    const d = conversations.get(id);
    emit("support-changed", { type: "changed", event: { seq: supportSeq, conversation_id: id, kind: message ? "message" : "read", message, conversation: d ? supportSummary(d) : null } });
  };
  const outboxChanged = (p, state) =>
    emit("support-changed", { type: "outbox", client_msg_id: p.client_msg_id, local_id: p.conversation_id, conversation_id: p.conversation_id, state, error: null });
  const sent = (m) => ({ ...structuredClone(m), state: "sent", error: null });
  function storeMessage(d, clientMsgId, body, author = { kind: "person", name: ANNA_NAME }) {
    const m = {
      id: `msg_${++supportSeq}`,
      conversation_id: d.conversation.id,
      seq: supportSeq,
      client_msg_id: clientMsgId,
      kind: "text",
      author,
      body,
      attachments: [],
      created_at: iso(),
    };
    d.messages.push(m);
    d.conversation.updated_at = m.created_at;
    if (author.kind === "person" && ["resolved", "closed"].includes(d.conversation.status)) d.conversation.status = "open";
    else if (author.kind === "person" && d.conversation.status === "waiting_for_you") d.conversation.status = "open";
    return m;
  }
  const ANNA_NAME = "Anna de Vries";
  const supportCommands = {
    support_list() {
      const list = [...conversations.values()].map(supportSummary);
      list.sort((a, b) => Number(b.unread > 0) - Number(a.unread > 0) || Date.parse(b.updated_at) - Date.parse(a.updated_at));
      const cached_at = connection.status === "online" ? null : (supportInit.cachedAt ?? iso());
      return { conversations: list, queued: [], unread_total: list.reduce((n, c) => n + c.unread, 0), cached_at };
    },
    support_open({ id }) {
      const d = supportConversation(id);
      const pending = outbox.filter((p) => p.conversation_id === id).map((p) => ({
        client_msg_id: p.client_msg_id, id: null, seq: null, kind: "text", author: { kind: "person", name: ANNA_NAME },
        body: p.body, attachments: [], created_at: p.created_at, state: p.state, error: p.state === "failed" ? { code: "support.rate_limited", message: "" } : null,
      }));
      return {
        id,
        conversation: supportSummary(d),
        queued: null,
        messages: [...d.messages.map(sent), ...pending],
        cached_at: connection.status === "online" ? null : (supportInit.cachedAt ?? iso()),
      };
    },
    support_availability: () => ({ agents_online: agentsOnline, answer_within_days: 2 }),
    support_start({ topic, subject, body, attachments }) {
      const id = `conv_${++supportSeq}`;
      const d = {
        conversation: {
          id, reference: `SUP-${supportSeq}X`, topic, subject, status: "new", language: "en", created_at: iso(), updated_at: iso(),
          last_seq: 0, preview: "", unread: 0, last_read_seq: 0, other_last_read_seq: 0, viewer: "person", agent_name: null, rating: null,
          reopen_until: null, guest: false,
        },
        messages: [],
      };
      conversations.set(id, d);
      storeMessage(d, `client-${supportSeq}`, body).attachments = attachments ?? [];
      supportChanged(id);
      return { id, conversation: supportSummary(d), queued: null, messages: d.messages.map(sent), cached_at: null };
    },
    support_send({ id, body, attachments }) {
      const d = supportConversation(id);
      const p = { client_msg_id: `client-${++supportSeq}`, conversation_id: id, body, attachments: [], state: "sending", created_at: iso() };
      const shownP = (state) => ({ client_msg_id: p.client_msg_id, id: null, seq: null, kind: "text", author: { kind: "person", name: ANNA_NAME }, body, attachments: attachments ?? [], created_at: p.created_at, state, error: null });
      if (body === "fail") {
        outbox.push({ ...p, state: "failed" });
        setTimeout(() => outboxChanged(p, "failed"), 0);
        return shownP("sending");
      }
      if (connection.status !== "online") {
        outbox.push(p);
        return shownP("sending");
      }
      const m = storeMessage(d, p.client_msg_id, body);
      m.attachments = attachments ?? [];
      setTimeout(() => outboxChanged(p, "sent"), 0);
      return shownP("sending");
    },
    support_attach_pasted({ name, bytes }) {
      if (bytes.length > 5 * 1024 * 1024) fail("support.attachment_too_large");
      return { id: `att_${++supportSeq}`, file_name: name, content_type: "image/png", size_bytes: bytes.length };
    },
    support_attach_new_pasted({ name, bytes }) {
      if (bytes.length > 5 * 1024 * 1024) fail("support.attachment_too_large");
      return { id: `upload_${++supportSeq}`, file_name: name, content_type: "image/png", size_bytes: bytes.length };
    },
    support_discard({ clientMsgId }) {
      const i = outbox.findIndex((p) => p.client_msg_id === clientMsgId);
      if (i !== -1) outbox.splice(i, 1);
      return null;
    },
    support_retry({ clientMsgId }) {
      const i = outbox.findIndex((p) => p.client_msg_id === clientMsgId);
      if (i === -1) return null;
      const [p] = outbox.splice(i, 1);
      storeMessage(supportConversation(p.conversation_id), p.client_msg_id, "Delivered on retry");
      setTimeout(() => outboxChanged(p, "sent"), 0);
      return null;
    },
    support_mark_read({ id, seq }) {
      supportConversation(id).conversation.last_read_seq = seq;
      return null;
    },
    support_typing: () => true,
    support_viewing: () => null,
    support_close({ id }) {
      const d = supportConversation(id);
      d.conversation.status = "closed";
      d.conversation.reopen_until = new Date(now() + 7 * 86400000).toISOString();
      d.messages.push({ id: `msg_${++supportSeq}`, conversation_id: id, seq: supportSeq, client_msg_id: "", kind: "closed", author: { kind: "system", name: "" }, body: "", attachments: [], created_at: iso() });
      return supportSummary(d);
    },
    support_rate({ id, rating }) {
      const d = supportConversation(id);
      d.conversation.rating = rating;
      return supportSummary(d);
    },
    support_deflect({ articleId, topic }) {
      deflections.push({ articleId, topic });
      return null;
    },
    support_guest_code: () => null,
    support_guest_open({ reference, code }) {
      const d = [...conversations.values()].find((x) => x.conversation.reference === reference);
      if (!d || code !== "123456") fail("code.invalid");
      return { reference, expires_at: new Date(now() + 3600000).toISOString(), conversation: structuredClone(d) };
    },
    support_guest_conversation() {
      const d = [...conversations.values()].find((x) => x.conversation.guest) ?? fail("support.guest_expired");
      return structuredClone(d);
    },
    support_guest_send({ body, clientMsgId: args_clientMsgId }) {
      const d = [...conversations.values()].find((x) => x.conversation.guest) ?? fail("support.guest_expired");
      return structuredClone(storeMessage(d, String(args_clientMsgId ?? `client-${++supportSeq}`), body));
    },
    support_guest_mark_read({ seq }) {
      const d = [...conversations.values()].find((x) => x.conversation.guest) ?? fail("support.guest_expired");
      d.conversation.last_read_seq = Math.max(d.conversation.last_read_seq, Math.min(Number(seq), d.conversation.last_seq));
      return null;
    },
    support_guest_typing: () => true,
    support_guest_leave: () => null,
  };
  const supportAgentSays = (id, body, name = "Sam") => {
    const m = storeMessage(supportConversation(id), "", body, { kind: "agent", name });
    // As the core reports it: the stored message travels with the event.
    supportChanged(id, structuredClone(m));
    return m;
  };

  function transformCallback(callback, once = false) {
    const id = window.crypto.getRandomValues(new Uint32Array(1))[0];
    callbacks.set(id, (data) => {
      if (once) callbacks.delete(id);
      return callback && callback(data);
    });
    return id;
  }
  function unregisterCallback(id) {
    callbacks.delete(id);
  }
  function runCallback(id, data) {
    const cb = callbacks.get(id);
    if (cb) cb(data);
  }
  function emit(event, payload) {
    for (const id of [...(listeners.get(event) ?? [])]) {
      runCallback(id, { event, id, payload });
    }
  }

  // Mirrors validate_server_url in crates/xwms-core/src/settings.rs.
  function validateUrl(input) {
    const trimmed = String(input).trim();
    if (!trimmed || /\s/.test(trimmed)) return { code: "settings.invalid_url" };
    if (!/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) return { code: "settings.unsupported_scheme" };
    let url;
    try {
      url = new URL(trimmed);
    } catch {
      return { code: "settings.invalid_url" };
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return { code: "settings.unsupported_scheme" };
    if (!url.hostname) return { code: "settings.invalid_url" };
    if (url.username || url.password) return { code: "settings.url_has_credentials" };
    url.search = "";
    url.hash = "";
    if (!url.pathname.endsWith("/")) url.pathname += "/";
    return { url: url.href };
  }

  async function invoke(cmd, args = {}) {
    calls.push({ cmd, args: structuredClone(args) });
    switch (cmd) {
      case "plugin:event|listen": {
        const ids = listeners.get(args.event) ?? [];
        ids.push(args.handler);
        listeners.set(args.event, ids);
        return args.handler;
      }
      case "plugin:event|unlisten": {
        const ids = listeners.get(args.event) ?? [];
        const i = ids.indexOf(args.eventId);
        if (i !== -1) ids.splice(i, 1);
        return null;
      }
      case "plugin:event|emit":
        emit(args.event, args.payload);
        return null;
      case "get_settings":
        return structuredClone(settings);
      case "save_settings": {
        if (saveError) throw { ...saveError };
        const checked = validateUrl(args.settings.server_url);
        if (checked.code) throw { code: checked.code, message: `internal detail for ${checked.code}` };
        settings = { ...args.settings, server_url: checked.url };
        return structuredClone(settings);
      }
      case "change_server": {
        if (saveError) throw { ...saveError };
        const checked = validateUrl(args.serverUrl);
        if (checked.code) throw { code: checked.code, message: `internal detail for ${checked.code}` };
        if (unreachable.has(checked.url)) throw { code: "settings.server_unreachable", message: "internal detail: connect refused" };
        settings = { ...settings, server_url: checked.url };
        // Signed out of the old server (the Rust side queues the revoke when needed).
        if (session) {
          session = null;
          emit("account-changed", null);
        }
        return structuredClone(settings);
      }
      case "connection_state":
        return structuredClone(connection);
      case "check_connection":
        if (nextCheck) {
          connection = nextCheck;
          nextCheck = null;
        }
        return structuredClone(connection);
      case "open_external":
        return null;
      default:
        if (Object.hasOwn(accountCommands, cmd)) return accountCommands[cmd](args);
        if (Object.hasOwn(helpCommands, cmd)) return helpCommands[cmd](args);
        if (Object.hasOwn(securityCommands, cmd)) return securityCommands[cmd](args);
        if (Object.hasOwn(supportCommands, cmd)) return supportCommands[cmd](args);
        throw { code: "request.invalid", message: `unknown command ${cmd}` };
    }
  }

  window.__TAURI_INTERNALS__ = {
    invoke,
    transformCallback,
    unregisterCallback,
    runCallback,
    callbacks,
    metadata: {
      currentWindow: { label: "main" },
      currentWebview: { windowLabel: "main", label: "main" },
    },
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = {
    unregisterListener: (_event, id) => unregisterCallback(id),
  };
  window.__TEST_IPC__ = {
    calls,
    emit,
    listenerCount: (event) => (listeners.get(event) ?? []).length,
    setConnection(state) {
      connection = state;
    },
    setNextCheck(state) {
      nextCheck = state;
    },
    setSaveError(error) {
      saveError = error;
    },
    mail,
    recoveryRequests,
    /** The latest code mailed to `to` (optionally of one kind: verify, unlock, reset, email). */
    lastCode(to, kind) {
      const m = [...mail].reverse().find((x) => x.to.toLowerCase() === to.toLowerCase() && x.code && (!kind || x.kind === kind));
      return m ? m.code : null;
    },
    advance(seconds) {
      clockOffset += seconds * 1000;
    },
    /** Ends the session the way the Rust side does when the server says so. */
    endSession(code) {
      session = null;
      emit("session-ended", { reason: { code, message: `internal detail for ${code}`, data: null } });
    },
    account(email) {
      const a = find(email);
      return a ? { ...structuredClone(a.profile), password: a.password, locked: a.locked, verified: a.verified } : null;
    },
    setRestoreError(error) {
      restoreError = error;
    },
    /** The code the stand-in authenticator app shows. */
    totpCode: TOTP_CODE,
    /** A sign-in from a new device: recorded as a pending alert and sent as `new-sign-in`. */
    newSignIn(device = "Firefox", os = "Windows 11", ip = "203.0.113.50") {
      const s = { id: "ses_new", device_type: "desktop", device_name: device, os, app: "Web", app_version: "", software: `${os} · Web`, ip, user_agent: device, created_at: iso(), last_active_at: iso(), current: false };
      sessions.push(s);
      record("new_device", { device, os, app: null, device_label: `${device} · ${os}`, ip, session_id: "ses_new", alert: true, alert_status: "pending" });
      emit("new-sign-in", structuredClone(sec.events[0]));
      securityChanged();
    },
    sessions: () => structuredClone(sessions),
    support: {
      deflections,
      outbox: () => structuredClone(outbox),
      conversation: (id) => structuredClone(conversations.get(id) ?? null),
      agentSays: supportAgentSays,
      agentReads(id) {
        const d = supportConversation(id);
        d.conversation.other_last_read_seq = supportSeq;
        supportChanged(id);
      },
      typing: (id, name = "Sam") => emit("support-changed", { type: "typing", conversation_id: id, author: { kind: "agent", name } }),
      setAgentsOnline(n) {
        agentsOnline = n;
        emit("support-changed", { type: "availability", agents_online: n });
      },
    },
    help: {
      feedback: helpFeedback,
      status: () => structuredClone(helpStatus),
    },
  };
  // tauri.conf.json sets `freezePrototype: true`; the webview then runs with a frozen
  // Object.prototype, so the tests do too.
  Object.freeze(Object.prototype);
}

/**
 * Opens the app in a fresh browser context with the IPC mock installed.
 * Records requests that leave the app's origin, console errors and page errors, so a test
 * can assert the UI makes no network requests of its own and runs cleanly under the CSP.
 */
export async function openApp(browser, baseUrl, options = {}) {
  const {
    settings = DEFAULT_SETTINGS,
    connection = onlineState(),
    checkResult,
    saveError,
    unreachable = [],
    reauthRequired = false,
    accounts = [ANNA],
    session = null,
    restoreError = null,
    otherSessions = 2,
    helpStatus = {},
    helpFixture = HELP_FIXTURE,
    support = {},
    hash = "",
    colorScheme = "light",
    locale = "en-US",
    timezoneId = "Europe/Amsterdam",
  } = options;
  const context = await browser.newContext({
    viewport: { width: 1100, height: 720 },
    deviceScaleFactor: 1,
    colorScheme,
    locale,
    timezoneId,
  });
  const page = await context.newPage();
  const problems = [];
  const foreignRequests = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") problems.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("request", (req) => {
    if (!req.url().startsWith(baseUrl + "/")) foreignRequests.push(req.url());
  });
  await page.addInitScript(installIpcMock, {
    settings,
    connection,
    checkResult,
    saveError,
    unreachable,
    reauthRequired,
    accounts,
    session,
    restoreError,
    otherSessions,
    help: { fixture: helpFixture, status: { ...HELP_STATUS, ...helpStatus } },
    support,
  });
  await page.goto(`${baseUrl}/${hash}`);
  // The app is ready once it has subscribed to connection changes and loaded settings.
  await page.waitForFunction(
    () =>
      window.__TEST_IPC__.listenerCount("connection-changed") > 0 &&
      window.__TEST_IPC__.calls.some((c) => c.cmd === "get_settings") &&
      window.__TEST_IPC__.calls.some((c) => c.cmd === "connection_state") &&
      window.__TEST_IPC__.calls.some((c) => c.cmd === "restore_session"),
  );
  return { context, page, problems, foreignRequests };
}

/** Every IPC call the page made so far, in order. */
export function ipcCalls(page) {
  return page.evaluate(() => window.__TEST_IPC__.calls.map((c) => ({ cmd: c.cmd, args: c.args })));
}

export function emitEvent(page, event, payload) {
  return page.evaluate(([e, p]) => window.__TEST_IPC__.emit(e, p), [event, payload]);
}

export async function screenshot(page, name) {
  // Two animation frames so the capture shows the latest render.
  await page.evaluate(
    () => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => ok(undefined)))),
  );
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/**
 * Waits until `read(arg)` (run in the page) returns `expected`; on timeout fails with the
 * last value seen, so a failure says what the page showed instead.
 */
export async function waitForValue(page, read, arg, expected, what, timeout = 5000) {
  const deadline = Date.now() + timeout;
  let actual = await page.evaluate(read, arg);
  while (actual !== expected && Date.now() < deadline) {
    await new Promise((ok) => setTimeout(ok, 25));
    actual = await page.evaluate(read, arg);
  }
  assert.equal(actual, expected, what);
}

/** Waits until the element's text (trimmed, whitespace collapsed) is `expected`. */
export function waitText(page, selector, expected, timeout) {
  return waitForValue(
    page,
    (sel) => document.querySelector(sel)?.textContent?.replace(/\s+/g, " ").trim() ?? null,
    selector,
    expected,
    `text of ${selector}`,
    timeout,
  );
}

export function waitAttr(page, selector, name, expected, timeout) {
  return waitForValue(
    page,
    ([sel, n]) => document.querySelector(sel)?.getAttribute(n) ?? null,
    [selector, name],
    expected,
    `${name} of ${selector}`,
    timeout,
  );
}

/** `[data-testid=x]` */
export const tid = (id) => `[data-testid="${id}"]`;

/**
 * One browser per test file: serves the built UI and starts Chromium before the file's tests
 * (closing both after), and returns `withApp(options, fn)`, which opens the app, runs `fn`,
 * and then checks the page stayed clean: no console errors or warnings (a CSP violation is
 * one), no uncaught errors, no request outside the app.
 * @returns {(options: Parameters<typeof openApp>[2], fn: (app: Awaited<ReturnType<typeof openApp>>) => Promise<void>) => Promise<void>}
 */
export function browserSuite() {
  /** @type {Awaited<ReturnType<typeof serveDist>>} */
  let server;
  /** @type {import("playwright-core").Browser} */
  let browser;
  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await serveDist();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  return async function withApp(options, fn) {
    const app = await openApp(browser, server.url, options);
    try {
      await fn(app);
      assert.deepEqual(app.problems, [], "console errors or page errors");
      assert.deepEqual(app.foreignRequests, [], "requests outside the app's origin");
    } finally {
      await app.context.close();
    }
  };
}
