// The security center end to end in real app windows: two app installations (separate data
// folders) signed in as one person against the real xwms-server, mail through a real SMTP
// server (maildev), desktop notifications to a real notification server (dunst, started by
// scripts/desktop-session.sh) observed on D-Bus with dbus-monitor, the QR code read back with a
// real QR reader (zbarimg) and TOTP codes computed by an independent implementation (pyotp).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  ARTIFACTS, By, click, fill, go, launchApp, screenshot, shown, startDriver, startMailbox, startServer,
  until, waitForText, waitShown,
} from "./harness.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const email = `sec-${Date.now()}@example.com`;
const password = "Quiet-Harbour-42";
const dataA = mkdtempSync(join(tmpdir(), "xwms-e2e-sec-a-"));
const dataB = mkdtempSync(join(tmpdir(), "xwms-e2e-sec-b-"));
let mailbox, server, driverA, driverB, appA, appB, monitor;
const notifications = [];

/** Watches Notify calls on the session bus (the app's desktop notifications). */
function watchNotifications() {
  const child = spawn("dbus-monitor", ["--session", "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  let buffer = "";
  child.stdout.on("data", (d) => {
    buffer += d;
    const calls = buffer.split(/\nmethod call /);
    buffer = calls.pop();
    for (const call of calls) notifications.push(call);
  });
  return {
    /** Every Notify call seen so far, including the last (still buffered) one. */
    seen: () => [...notifications, buffer].filter((c) => c.includes("member=Notify")),
    stop: () => child.kill("SIGTERM"),
  };
}

async function api(path, body, token) {
  const res = await fetch(`${server.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

/** A code from pyotp, the independent TOTP implementation, for `secret` at `at` (ms). */
function pyotp(secret, at = Date.now()) {
  return execFileSync("python3", ["-c", "import pyotp,sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))", secret, String(Math.floor(at / 1000))])
    .toString().trim();
}
const step = (at = Date.now()) => Math.floor(at / 30000);

async function signIn(app, { second } = {}) {
  await go(app, "/sign");
  await app.wait(async () => (await shown(app, "signin-email")) || (await shown(app, "signin-password")), 15000);
  if (!(await shown(app, "signin-email")) && (await shown(app, "signin-back"))) await click(app, "signin-back");
  await fill(app, "signin-email", email);
  await click(app, "signin-next");
  await fill(app, "signin-password", password);
  await click(app, "signin-submit");
  if (second) {
    await waitShown(app, "second-factor-code");
    return;
  }
  await waitForText(app, "sidebar-name", (t) => t.length > 0);
}

/** The second-factor screen's error, at the code field or for the whole form. */
async function secondFactorError(app) {
  let text = "";
  await app.wait(async () => {
    for (const id of ["second-factor-code-error", "second-factor-error"]) {
      const els = await app.findElements(By.css(`[data-testid="${id}"]`));
      for (const el of els) {
        text = ((await el.getText()) || (await el.getAttribute("textContent")) || "").trim();
        if (text) return true;
      }
    }
    return false;
  }, 15000, "no error on the second-factor screen");
  return text;
}

async function signOut(app) {
  await click(app, "sidebar-sign-out");
  await waitShown(app, "sidebar-sign-in");
}

before(async () => {
  monitor = watchNotifications();
  mailbox = await startMailbox();
  server = await startServer({ args: ["--smtp-url", mailbox.smtpUrl] });
  // The person signs up over the API (the accounts test covers sign-up in the window).
  const signup = await api("/api/auth/signup", { name: "Sam Secure", email, password, language: "en" });
  assert.equal(signup.status, "success", JSON.stringify(signup));
  const code = await mailbox.nextCode(email, 0);
  const verified = await api("/api/auth/verify-email", { email, code, challenge_id: signup.data.challenge_id });
  assert.equal(verified.status, "success", JSON.stringify(verified));
  const env = { XWMS_SERVER_URL: server.url, LANG: "en_US.UTF-8" };
  driverA = await startDriver({ ...env, XWMS_DATA_DIR: dataA });
  appA = await launchApp(driverA.url);
  await waitShown(appA, "connection-status");
});

after(async () => {
  await appA?.quit().catch(() => {});
  await appB?.quit().catch(() => {});
  await driverA?.stop();
  await driverB?.stop();
  await server?.stop();
  await mailbox?.stop();
  monitor?.stop();
});

test("a sign-in on a second installation alerts the first (desktop notification + alert); 'Remove all other sessions' returns it to sign-in at once", async () => {
  await signIn(appA);
  driverB = await startDriver({ XWMS_SERVER_URL: server.url, LANG: "en_US.UTF-8", XWMS_DATA_DIR: dataB });
  appB = await launchApp(driverB.url);
  await waitShown(appB, "connection-status");
  const mailsBefore = (await mailbox.mails(email)).length;
  await signIn(appB);

  // App A hears of the new sign-in over the realtime channel: an alert in the window and a
  // desktop notification (a Notify call on the session bus, served by dunst).
  await waitShown(appA, "alert-banner", 15000);
  await appA.wait(() => monitor.seen().some((c) => /sign-in/i.test(c)), 15000, "no desktop notification on D-Bus");
  const notice = monitor.seen().find((c) => /sign-in/i.test(c));
  assert.match(notice, /XWMS/);
  // The person is mailed too.
  await appA.wait(async () => (await mailbox.mails(email)).length > mailsBefore, 15000, "no new-device mail");
  await screenshot(appA, join(ARTIFACTS, "security-alert.png"));
  await click(appA, "alert-this-was-me");
  await appA.wait(async () => !(await shown(appA, "alert-banner")), 10000, "the alert stays after 'This was me'");
  // One realtime task in the app (the core owns it): one Notify per alert, not two.
  const signInNotices = monitor.seen().filter((c) => /sign-in/i.test(c));
  assert.equal(signInNotices.length, 1, `one desktop notification per alert, saw ${signInNotices.length}`);

  // B lists both sessions; A's is not "This device" there, B's own cannot be removed.
  await go(appB, "/account/sessions");
  await waitShown(appB, "sessions-list");
  await appB.wait(async () => (await appB.findElements(By.css('[data-testid="session-row"]'))).length === 2, 15000);
  const current = await appB.findElement(By.css('[data-testid="session-row"][data-current="true"]'));
  assert.equal((await current.findElements(By.css('[data-testid="session-remove"]'))).length, 0, "the current session has no remove button");
  await screenshot(appB, join(ARTIFACTS, "security-sessions.png"));

  await click(appB, "sessions-remove-others");
  await fill(appB, "confirm-password", password);
  const clicked = Date.now();
  await click(appB, "confirm-submit");
  // A is told over the realtime channel (no poll) and shows sign-in with a clear message.
  await waitShown(appA, "signin-email", 10000);
  console.log(`# remove-others → other app on sign-in: ${Date.now() - clicked} ms (includes WebDriver polling)`);
  await screenshot(appA, join(ARTIFACTS, "security-signed-out-remotely.png"));
  await appB.wait(async () => (await appB.findElements(By.css('[data-testid="session-row"]'))).length === 1, 15000);
  await appB.quit().catch(() => {});
  appB = undefined;
  await driverB.stop();
  driverB = undefined;
});

let recoveryCodes = [];
let enrolledStep = 0;
let secret = "";

test("turn on 2FA: the QR in the window decodes (zbarimg) to the key shown; pyotp's code confirms; 10 recovery codes", async () => {
  await signIn(appA);
  await go(appA, "/account/security");
  await click(appA, "security-2fa-enable");
  await fill(appA, "twofa-password", password);
  await click(appA, "twofa-start");
  await click(appA, "twofa-app-google");
  const qr = await appA.wait(until.elementLocated(By.css('[data-testid="totp-qr"]')), 15000);
  await appA.wait(until.elementIsVisible(qr), 15000);
  // The whole window as the person sees it, with the QR scrolled into view.
  await appA.executeScript("arguments[0].scrollIntoView({ block: 'center' })", qr);
  const png = await screenshot(appA, join(ARTIFACTS, "security-2fa-qr.png"));
  const uri = execFileSync("zbarimg", ["--raw", "-q", png]).toString().trim();
  const parsed = new URL(uri);
  assert.equal(parsed.protocol, "otpauth:");
  assert.equal(parsed.host, "totp");
  assert.equal(decodeURIComponent(parsed.pathname.slice(1)), `XWMS:${email}`);
  assert.equal(parsed.searchParams.get("issuer"), "XWMS");
  secret = parsed.searchParams.get("secret");
  assert.match(secret, /^[A-Z2-7]{32}$/, "160 bits in base32");
  const typed = (await waitForText(appA, "totp-key", (t) => t.length > 0)).replace(/\s+/g, "");
  assert.equal(typed, secret, "the key shown for typing is the one in the QR");

  await click(appA, "twofa-next");
  enrolledStep = step();
  await fill(appA, "twofa-code", pyotp(secret));
  await click(appA, "twofa-confirm");
  await waitShown(appA, "recovery-codes", 15000);
  const els = await appA.findElements(By.css('[data-testid="recovery-code"]'));
  recoveryCodes = await Promise.all(els.map(async (e) => ((await e.getText()) || (await e.getAttribute("textContent"))).trim()));
  assert.equal(recoveryCodes.length, 10);
  assert.equal(new Set(recoveryCodes).size, 10);
  await screenshot(appA, join(ARTIFACTS, "security-2fa-recovery-codes.png"));
  await click(appA, "recovery-done");
  await waitForText(appA, "twofa-status", (t) => /on/i.test(t));
});

test("sign in with a TOTP code; the same code again is refused; a recovery code works once", async () => {
  await signOut(appA);
  // A code of a later step than the one used to enrol (each step's code is accepted once).
  while (step() <= enrolledStep) await sleep(500);
  const code = pyotp(secret);
  await signIn(appA, { second: true });
  await screenshot(appA, join(ARTIFACTS, "security-second-factor.png"));
  await fill(appA, "second-factor-code", code);
  await click(appA, "second-factor-submit");
  await waitForText(appA, "sidebar-name", (t) => t === "Sam Secure");
  await signOut(appA);

  // The same code again, while it is still within the accepted window (its step or the next).
  await signIn(appA, { second: true });
  await fill(appA, "second-factor-code", code);
  await click(appA, "second-factor-submit");
  assert.match(await secondFactorError(appA), /already used/i);

  // A recovery code instead.
  await signIn(appA, { second: true });
  await click(appA, "second-factor-use-recovery");
  await fill(appA, "second-factor-code", recoveryCodes[0]);
  await click(appA, "second-factor-submit");
  await waitForText(appA, "sidebar-name", (t) => t === "Sam Secure");
  await go(appA, "/account/security");
  await waitForText(appA, "twofa-codes-left", (t) => /\b9\b/.test(t));
  await screenshot(appA, join(ARTIFACTS, "security-overview.png"));
  await signOut(appA);

  // The same recovery code a second time is refused.
  await signIn(appA, { second: true });
  await click(appA, "second-factor-use-recovery");
  await fill(appA, "second-factor-code", recoveryCodes[0]);
  await click(appA, "second-factor-submit");
  assert.ok((await secondFactorError(appA)).length > 0);
  // The typed code stays for correcting.
  const input = await appA.findElement(By.css('[data-testid="second-factor-code"]'));
  assert.equal(await input.getAttribute("value"), recoveryCodes[0]);
});
