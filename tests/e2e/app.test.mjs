// End to end on the real app: the real xwms-server on a loopback port, the real built app in a
// real window (Xvfb), driven through tauri-driver + WebKitWebDriver.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  ARTIFACTS, ROOT, click, fill, go, launchApp, screenshot, startDriver, startServer, textOf, waitForAttr, waitForText,
} from "./harness.mjs";

let server, driverProc, app, serverVersion;
const appData = mkdtempSync(join(tmpdir(), "xwms-e2e-app-"));

before(async () => {
  server = await startServer();
  const info = await (await fetch(`${server.url}/api/info`)).json();
  serverVersion = info.data.application.version;
  driverProc = await startDriver({ XWMS_SERVER_URL: server.url, XWMS_DATA_DIR: appData, LANG: "en_US.UTF-8" });
  app = await launchApp(driverProc.url);
});

after(async () => {
  await app?.quit().catch(() => {});
  await driverProc?.stop();
  await server?.stop();
});

test("the window shows the server's name, version and time zone", async () => {
  const name = await waitForText(app, "server-name", (t) => t.length > 0);
  assert.equal(name, "XWMS Demo");
  assert.equal(await waitForText(app, "server-version", (t) => t.includes(serverVersion)), serverVersion);
  assert.match(await textOf(app, "server-timezone"), /\w+\/\w+|UTC/);
  await waitForAttr(app, '[data-testid="connection-status"]', "data-status", "online");
  const file = await screenshot(app, join(ARTIFACTS, "app-online.png"));
  mkdirSync(join(ROOT, "docs"), { recursive: true });
  copyFileSync(file, join(ROOT, "docs", "screenshot.png"));
});

test("stopping the server shows offline; restarting it recovers by itself", async () => {
  const { port, dataDir } = server;
  await server.stop();
  await waitForAttr(app, '[data-testid="connection-status"]', "data-status", "offline", 20000);
  // The last known facts stay on screen while offline.
  assert.equal(await textOf(app, "server-name"), "XWMS Demo");
  await screenshot(app, join(ARTIFACTS, "app-offline.png"));

  server = await startServer({ port, dataDir });
  await waitForAttr(app, '[data-testid="connection-status"]', "data-status", "online", 20000);
  assert.equal(await textOf(app, "server-version"), serverVersion);
});

test("a bad server URL gets a clear error and keeps what was typed", async () => {
  await go(app, "/settings");
  const input = await fill(app, "server-url-input", "ftp://example.com");
  await click(app, "server-url-save");
  const error = await waitForText(app, "server-url-error", (t) => t.length > 0);
  assert.match(error, /http:\/\/|https:\/\//);
  assert.equal(await input.getAttribute("value"), "ftp://example.com");
  // The saved server is unchanged: still online against it.
  await waitForAttr(app, '[data-testid="connection-status"]', "data-status", "online");
});
