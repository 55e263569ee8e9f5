// Test harness for the browser tests: serves the built UI (dist/) the way the app's webview
// gets it (same CSP), drives Debian's Chromium through playwright-core, and stands in for the
// Rust side by mocking Tauri's IPC inside the page.
//
// Nothing here builds the UI: run `npm run build` first.

import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

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
 * @param {{ settings: object, connection: object, checkResult?: object, saveError?: object }} init
 */
function installIpcMock(init) {
  const callbacks = new Map();
  const listeners = new Map(); // event name -> handler ids
  const calls = [];
  let settings = structuredClone(init.settings);
  let connection = structuredClone(init.connection);
  let nextCheck = init.checkResult ? structuredClone(init.checkResult) : null;
  let saveError = init.saveError ? structuredClone(init.saveError) : null;

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
  };
  // tauri.conf.json sets `freezePrototype: true`; the webview then runs with a frozen
  // Object.prototype, so the tests do too.
  Object.freeze(Object.prototype);
}

export const SERVER = {
  name: "XWMS",
  description: "XWMS account service",
  version: "1.4.2",
  timezone: "Europe/Amsterdam",
  locale: "en",
  time: "2026-11-25T09:30:00+01:00",
};

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

export const DEFAULT_SETTINGS = { server_url: "http://127.0.0.1:8787/", language: "en", theme: "light" };

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
  await page.addInitScript(installIpcMock, { settings, connection, checkResult, saveError });
  await page.goto(`${baseUrl}/${hash}`);
  // The app is ready once it has subscribed to connection changes and loaded settings.
  await page.waitForFunction(
    () =>
      window.__TEST_IPC__.listenerCount("connection-changed") > 0 &&
      window.__TEST_IPC__.calls.some((c) => c.cmd === "get_settings") &&
      window.__TEST_IPC__.calls.some((c) => c.cmd === "connection_state"),
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
