// Accounts end to end in the real app window: the real xwms-server (production hash cost)
// mailing through a real SMTP server (maildev) whose mailbox the test reads.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  ARTIFACTS, click, fill, go, launchApp, screenshot, shown, startDriver, startMailbox, startServer,
  waitForText, waitShown,
} from "./harness.mjs";

let mailbox, server, driverProc, app;
const appData = mkdtempSync(join(tmpdir(), "xwms-e2e-accounts-"));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  mailbox = await startMailbox();
  server = await startServer({ args: ["--smtp-url", mailbox.smtpUrl] });
  driverProc = await startDriver({ XWMS_SERVER_URL: server.url, XWMS_DATA_DIR: appData, LANG: "en_US.UTF-8" });
  app = await launchApp(driverProc.url);
  await waitShown(app, "connection-status");
});

after(async () => {
  await app?.quit().catch(() => {});
  await driverProc?.stop();
  await server?.stop();
  await mailbox?.stop();
});

async function signIn(email, password) {
  await go(app, "/sign");
  await app.wait(async () => (await shown(app, "signin-email")) || (await shown(app, "signin-password")), 15000);
  if (!(await shown(app, "signin-email")) && (await shown(app, "signin-back"))) await click(app, "signin-back");
  await fill(app, "signin-email", email);
  await click(app, "signin-next");
  await fill(app, "signin-password", password);
  await click(app, "signin-submit");
}

/** Signs out and waits until the app has moved to the sign-in screen (it goes there itself). */
async function signOut() {
  await click(app, "sidebar-sign-out");
  await waitShown(app, "sidebar-sign-in");
  await app.wait(async () => (await shown(app, "signin-email")) || (await shown(app, "signin-password")), 15000);
}

const email = `e2e-${Date.now()}@example.com`;
let password = "Gr33n-Tea-Lantern";

test("sign up, verify with the mailed code, sign in, edit profile and time zone, sign out, sign in again", async () => {
  await go(app, "/signup");
  await fill(app, "signup-name", "Eva Tester");
  await fill(app, "signup-email", email);
  await fill(app, "signup-password", password);
  await click(app, "signup-submit");

  await waitShown(app, "code-input");
  const code = await mailbox.nextCode(email, 0);
  await fill(app, "code-input", code);
  await click(app, "verify-submit");

  await signIn(email, password);
  assert.equal(await waitForText(app, "sidebar-name", (t) => t.length > 0), "Eva Tester");
  await screenshot(app, join(ARTIFACTS, "accounts-signed-in.png"));

  await go(app, "/account");
  await fill(app, "profile-name", "Eva Example");
  await click(app, "profile-save");
  await waitShown(app, "profile-saved");
  assert.equal(await waitForText(app, "sidebar-name", (t) => t === "Eva Example"), "Eva Example");

  await go(app, "/settings");
  await fill(app, "timezone-input", "Asia/Tokyo");
  await waitShown(app, "timezone-options");
  const input = await app.findElement({ css: '[data-testid="timezone-input"]' });
  await input.sendKeys("\uE007"); // Enter picks the highlighted zone
  await waitShown(app, "regional-saved");
  const account = await (await fetch(`${server.url}/api/account`)).json();
  assert.equal(account.code, "auth.unauthorized", "the account API needs a token");
  await screenshot(app, join(ARTIFACTS, "accounts-settings.png"));

  await signOut();
  await signIn(email, password);
  assert.equal(await waitForText(app, "sidebar-name", (t) => t.length > 0), "Eva Example");
  await go(app, "/settings");
  assert.match(await (await app.findElement({ css: '[data-testid="timezone-input"]' })).getAttribute("value"), /Asia ?\/ ?Tokyo/);
  await signOut();
});

test("forgot password, reset with the mailed code, the old password is refused", async () => {
  const before = (await mailbox.mails(email)).length;
  await go(app, "/forgot-password");
  await fill(app, "forgot-email", email);
  await click(app, "forgot-submit");
  await waitShown(app, "code-input");
  const code = await mailbox.nextCode(email, before);
  await fill(app, "code-input", code);
  const old = password;
  password = "Blue-Kettle-2027";
  await fill(app, "reset-password", password);
  await click(app, "reset-submit");
  await waitShown(app, "auth-notice");

  await signIn(email, old);
  assert.match(await waitForText(app, "signin-password-error", (t) => t.length > 0), /incorrect/i);
  await signIn(email, password);
  assert.equal(await waitForText(app, "sidebar-name", (t) => t.length > 0), "Eva Example");
  await signOut();
});

test("repeated wrong passwords lock the account; the mailed code unlocks it at once", async () => {
  const before = (await mailbox.mails(email)).length;
  await go(app, "/sign");
  await fill(app, "signin-email", email);
  await click(app, "signin-next");
  // Wrong passwords until the account locks; waits out the progressive slow-down on the way.
  const end = Date.now() + 90000;
  while (!(await shown(app, "locked-explainer"))) {
    assert.ok(Date.now() < end, "the account never locked");
    if (await shown(app, "signin-password")) {
      await fill(app, "signin-password", "Wrong-Password-1");
      const submit = await app.findElement({ css: '[data-testid="signin-submit"]' });
      if (await submit.isEnabled()) await submit.click();
    }
    await sleep(700);
  }
  await screenshot(app, join(ARTIFACTS, "accounts-locked.png"));
  const code = await mailbox.nextCode(email, before);
  await fill(app, "code-input", code);
  await click(app, "unlock-submit");
  await waitShown(app, "auth-notice");
  await signIn(email, password);
  assert.equal(await waitForText(app, "sidebar-name", (t) => t.length > 0), "Eva Example");
});
