// The help center in the real app against the real server: search, open an answer, follow its
// links to the app's screens, switch language, and "Was this helpful?" given offline reaches
// the server once it is back.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  ARTIFACTS, By, click, fill, go, launchApp, screenshot, shown, startDriver, startServer, waitForAttr, waitForText, waitShown,
} from "./harness.mjs";

let server, driverProc, app;
const appData = mkdtempSync(join(tmpdir(), "xwms-e2e-help-"));

before(async () => {
  server = await startServer();
  driverProc = await startDriver({ XWMS_SERVER_URL: server.url, XWMS_DATA_DIR: appData, LANG: "en_US.UTF-8" });
  app = await launchApp(driverProc.url);
});

after(async () => {
  await app?.quit().catch(() => {});
  await driverProc?.stop();
  await server?.stop();
});

/** Clicks the first element with this test id whose `attr` is `value`. */
async function clickWhere(testId, attr, value, timeout = 15000) {
  const css = `[data-testid="${testId}"][${attr}="${value}"]`;
  await app.wait(async () => (await app.findElements(By.css(css))).length > 0, timeout, `waiting for ${css}`);
  await app.findElement(By.css(css)).click();
}

async function feedbackTotals(id) {
  // Posting "not helpful" tells the totals; the app only ever says "helpful" here.
  const r = await fetch(`${server.url}/api/help/articles/${id}/feedback`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ helpful: false, lang: "en" }),
  });
  return (await r.json()).data;
}

test("search finds the answer while typing, with typos, and opens it", async () => {
  await go(app, "/help");
  await fill(app, "help-search", "forgot my pasword");
  await clickWhere("help-result", "data-id", "forgot-password");
  const title = await waitForText(app, "help-article-title", (t) => t.length > 0);
  assert.match(title, /password/i);
  assert.match(await waitForText(app, "help-article-body", (t) => t.length > 0), /Forgot password/);
  await screenshot(app, join(ARTIFACTS, "help-article.png"));
});

test("links in an answer open the app's screens", async () => {
  await go(app, "/help/article/delete-account");
  await waitForText(app, "help-article-title", (t) => t.length > 0);
  await clickWhere("help-link", "data-target", "/contact");
  await waitForAttr(app, "main", "data-screen", "support");

  await go(app, "/help/article/active-sessions");
  await waitForText(app, "help-article-title", (t) => t.length > 0);
  await clickWhere("help-link", "data-target", "/account");
  // Signed out, /account asks to sign in first; after signing in the account screen opens.
  await app.wait(async () => (await shown(app, "signin-email")) || (await shown(app, "signin-password")), 15000);
  if (!(await shown(app, "signin-email")) && (await shown(app, "signin-back"))) await click(app, "signin-back");
  await fill(app, "signin-email", "anna@example.com");
  await click(app, "signin-next");
  await fill(app, "signin-password", "XwmsDemo2026");
  await click(app, "signin-submit");
  await waitForAttr(app, "main", "data-screen", "account", 20000);
  await waitShown(app, "profile-name");
});

test("switching the language shows the help in Dutch and French", async () => {
  for (const [lang, word] of [["nl", /wachtwoord/i], ["fr", /mot de passe/i], ["en", /password/i]]) {
    await go(app, "/settings");
    await app.wait(async () => (await app.findElements(By.css('[data-testid="language-select"]'))).length > 0, 15000);
    await app.findElement(By.css(`[data-testid="language-select"] option[value="${lang}"]`)).click();
    await go(app, "/help/article/forgot-password");
    await waitForText(app, "help-article-title", (t) => word.test(t), 15000);
  }
});

test("feedback given while the server is down is sent when it is back", async () => {
  const before = await feedbackTotals("enable-2fa");
  const { port, dataDir } = server;
  await server.stop();
  await waitForAttr(app, '[data-testid="connection-status"]', "data-status", "offline", 20000).catch(() => {});
  // Help home says it shows the saved help while offline.
  await go(app, "/help");
  await waitShown(app, "help-offline-badge", 20000);
  await go(app, "/help/article/enable-2fa");
  await waitForText(app, "help-article-title", (t) => t.length > 0);
  await click(app, "help-feedback-yes");
  // Thanked at once, and told it goes out when back online.
  await waitForText(app, "help-feedback-thanks", (t) => /online/i.test(t));
  await screenshot(app, join(ARTIFACTS, "help-offline-feedback.png"));

  server = await startServer({ port, dataDir });
  let totals;
  await app.wait(async () => {
    await new Promise((r) => setTimeout(r, 500));
    totals = await feedbackTotals("enable-2fa");
    return totals.helpful === before.helpful + 1;
  }, 30000, "the queued feedback reaches the server");
  assert.equal(totals.helpful, before.helpful + 1);
  await go(app, "/help");
  await app.wait(async () => !(await shown(app, "help-offline-badge")), 20000);
});
