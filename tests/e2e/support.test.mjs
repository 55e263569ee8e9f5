// Live support end to end in real app windows: the person in one installation, the demo support
// agent (support@xwms.example) in another, against the real xwms-server on loopback; the reply
// notification observed on D-Bus (dunst) and clicked by sending ActionInvoked with dbus-send; the
// offline outbox surviving kill -9 of the app, counted on the server.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  appProcesses, ARTIFACTS, By, click, fill, go, killApps, launchApp, screenshot, shown, startDriver, startMailbox,
  startServer, waitShown,
} from "./harness.mjs";

const email = `help-${Date.now()}@example.com`;
const password = "Quiet-Harbour-42";
const AGENT = { email: "support@xwms.example", password: "XwmsAgent2026" };
const dataA = mkdtempSync(join(tmpdir(), "xwms-e2e-support-a-"));
const dataB = mkdtempSync(join(tmpdir(), "xwms-e2e-support-b-"));
const serverData = mkdtempSync(join(tmpdir(), "xwms-e2e-support-server-"));
let mailbox, server, driverA, driverB, appA, appB, bus, conversationId, agentToken;

/** Notify calls and their answers (the notification ids) on the session bus. */
function watchBus() {
  const child = spawn("dbus-monitor", ["--session",
    "type='method_call',interface='org.freedesktop.Notifications',member='Notify'", "type='method_return'"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  let text = "";
  child.stdout.on("data", (d) => (text += d));
  return {
    /** The id dunst gave the newest Notify call whose text matches `re`, once answered. */
    idOf(re) {
      const messages = text.split(/\n(?=method call|method return|signal|error)/);
      let found = null;
      for (const m of messages) {
        if (m.startsWith("method call") && m.includes("member=Notify") && re.test(m)) {
          // Serials are per sender: the answer goes to the caller and names the call's serial.
          const serial = m.match(/ serial=(\d+)/)?.[1];
          const caller = m.match(/ sender=(\S+)/)?.[1];
          const answer = messages.find((r) => r.startsWith("method return") &&
            r.includes(`destination=${caller} `) && new RegExp(`reply_serial=${serial}\\b`).test(r));
          const id = answer?.match(/uint32 (\d+)/)?.[1];
          if (id) found = Number(id);
        }
      }
      return found;
    },
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

async function signIn(app, who) {
  await go(app, "/sign");
  await app.wait(async () => (await shown(app, "signin-email")) || (await shown(app, "signin-password")), 15000);
  if (!(await shown(app, "signin-email")) && (await shown(app, "signin-back"))) await click(app, "signin-back");
  await fill(app, "signin-email", who.email);
  await click(app, "signin-next");
  await fill(app, "signin-password", who.password);
  await click(app, "signin-submit");
  await app.wait(async () => (await shown(app, "sidebar-sign-out")), 20000, "not signed in");
}

/** The texts of the message bodies shown in the open conversation. */
async function bodies(app) {
  const els = await app.findElements(By.css('[data-testid="support-message-body"]'));
  const out = [];
  for (const el of els) out.push(((await el.getText()) || (await el.getAttribute("textContent")) || "").trim());
  return out;
}

async function waitForBody(app, text, timeout = 20000) {
  await app.wait(async () => (await bodies(app).catch(() => [])).some((b) => b.includes(text)), timeout,
    `no message "${text}" in the window`);
}

/** The person's messages as the server stores them (read as the agent). */
async function serverMessages() {
  const detail = await api(`/api/support/conversations/${conversationId}`, undefined, agentToken);
  assert.equal(detail.status, "success", JSON.stringify(detail));
  return detail.data.messages.filter((m) => m.kind === "text" && m.author.kind === "person").map((m) => m.body);
}

const env = (dataDir) => ({ XWMS_SERVER_URL: server.url, LANG: "en_US.UTF-8", XWMS_DATA_DIR: dataDir });

before(async () => {
  bus = watchBus();
  mailbox = await startMailbox();
  server = await startServer({ dataDir: serverData, args: ["--smtp-url", mailbox.smtpUrl] });
  const signup = await api("/api/auth/signup", { name: "Robin Asks", email, password, language: "en" });
  assert.equal(signup.status, "success", JSON.stringify(signup));
  const code = await mailbox.nextCode(email, 0);
  const verified = await api("/api/auth/verify-email", { email, code, challenge_id: signup.data.challenge_id });
  assert.equal(verified.status, "success", JSON.stringify(verified));
  const agent = await api("/api/auth/signin", {
    email: AGENT.email, password: AGENT.password,
    device: { name: "e2e", os: "linux", app: "e2e-test", app_version: "1", installation_id: "e2e-support-agent-api" },
  });
  agentToken = agent.data?.access_token;
  assert.ok(agentToken, JSON.stringify(agent));
  driverA = await startDriver(env(dataA));
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
  bus?.stop();
});

test("a person starts a conversation; the agent in the other window sees it, types and replies; typing, the reply and 'Seen' cross over live; the reply's notification opens the conversation", async () => {
  await signIn(appA, { email, password });
  await go(appA, "/support/new");
  await waitShown(appA, "support-subject");
  await appA.findElement(By.css('[data-testid="support-topic"] option[value="mail_not_arriving"]')).click();
  await fill(appA, "support-subject", "No reset mail");
  await fill(appA, "support-body", "I asked for a reset code twice and nothing arrived.");
  await click(appA, "support-body-send");
  await waitShown(appA, "support-thread", 20000);
  await waitForBody(appA, "nothing arrived");
  conversationId = decodeURIComponent((await appA.executeScript("return location.hash")).split("/").pop());
  assert.match(conversationId, /\S/);
  assert.deepEqual(await serverMessages(), ["I asked for a reset code twice and nothing arrived."]);

  driverB = await startDriver(env(dataB));
  appB = await launchApp(driverB.url);
  await waitShown(appB, "connection-status");
  await signIn(appB, AGENT);
  await go(appB, `/support/conversation/${conversationId}`);
  await waitForBody(appB, "nothing arrived");

  // Typing crosses over, and is gone again after its 8 s.
  const reply = await appB.findElement(By.css('[data-testid="support-reply"]'));
  await reply.sendKeys("Hello Robin, ");
  await waitShown(appA, "support-typing", 10000);

  // The person looks at another screen: the agent's reply brings a desktop notification.
  await go(appA, "/help");
  await reply.sendKeys("please check your spam folder.");
  await click(appB, "support-reply-send");
  let id = null;
  await appA.wait(() => (id = bus.idOf(/spam folder/)) !== null, 20000, "no reply notification on D-Bus");
  execFileSync("dbus-send", ["--session", "--type=signal", "/org/freedesktop/Notifications",
    "org.freedesktop.Notifications.ActionInvoked", `uint32:${id}`, "string:default"]);
  await waitShown(appA, "support-thread", 15000);
  await waitForBody(appA, "spam folder");
  assert.equal(decodeURIComponent((await appA.executeScript("return location.hash")).split("/").pop()), conversationId);

  // The person has seen the reply: the agent's window says so.
  await waitShown(appB, "support-seen", 20000);
  await screenshot(appA, join(ARTIFACTS, "support-person.png"));
  await screenshot(appB, join(ARTIFACTS, "support-agent.png"));
});

test("the xwms:// link of the reply mail, opened as a mail client would (xdg-open), opens the conversation in the running window", async () => {
  // The app registered itself as the scheme's handler at start (a desktop entry in this
  // session's XDG folders, found by xdg-mime).
  const handler = () => spawnSync("xdg-mime", ["query", "default", "x-scheme-handler/xwms"], { encoding: "utf8" }).stdout.trim();
  await appA.wait(async () => handler() !== "", 15000, "the app did not register xwms://");
  assert.equal(handler(), "xwms-desktop-handler.desktop");

  await go(appA, "/help");
  await waitShown(appA, "help-sync");
  // The link as the unseen-reply mail writes it (the server's tests check the mail).
  const opened = spawnSync("xdg-open", [`xwms://support/${conversationId}`], {
    env: { ...process.env, ...env(dataA) }, encoding: "utf8", timeout: 30000,
  });
  assert.equal(opened.status, 0, `xdg-open: ${opened.stderr}`);
  await waitShown(appA, "support-thread", 15000);
  await waitForBody(appA, "spam folder");
  assert.equal(decodeURIComponent((await appA.executeScript("return location.hash")).split("/").pop()), conversationId);
  // The second start handed the link over and exited: still one app for this profile.
  await appA.wait(async () => appProcesses(dataA).length === 1, 10000, "a second app stayed up");

  // A link that is not one of ours opens nothing and leaves the window where it is.
  await go(appA, "/help");
  await waitShown(appA, "help-sync");
  const hostile = spawnSync("xdg-open", ["xwms://account/delete?confirm=1"], {
    env: { ...process.env, ...env(dataA) }, encoding: "utf8", timeout: 30000,
  });
  assert.equal(hostile.status, 0, `xdg-open: ${hostile.stderr}`);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await appA.executeScript("return location.hash"), "#/help");
  assert.equal(appProcesses(dataA).length, 1);
  await go(appA, `/support/conversation/${conversationId}`);
  await waitShown(appA, "support-thread", 15000);
});

test("kill -9 of the app with 5 messages in its offline outbox: after a restart all 5 reach the server once, in order", async () => {
  await server.stop();
  await waitShown(appA, "support-conversation-offline", 30000).catch(() => {});
  const texts = [1, 2, 3, 4, 5].map((n) => `queued message ${n}`);
  for (const text of texts) {
    await fill(appA, "support-reply", text);
    await click(appA, "support-reply-send");
    await waitForBody(appA, text);
  }
  assert.ok(await shown(appA, "support-sending"), "queued messages show as sending");
  await killApps(dataA, "SIGKILL");
  await driverA.stop();

  server = await startServer({ dataDir: serverData, port: server.port, args: ["--smtp-url", mailbox.smtpUrl] });
  assert.deepEqual(await serverMessages(), ["I asked for a reset code twice and nothing arrived."], "nothing was sent while the server was down");
  driverA = await startDriver(env(dataA));
  appA = await launchApp(driverA.url);
  await appA.wait(async () => (await serverMessages()).length === 6, 30000, "the outbox was not delivered");
  assert.deepEqual(await serverMessages(), ["I asked for a reset code twice and nothing arrived.", ...texts]);
  // Nothing more arrives later (a double would come from a second send of a queued message).
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal((await serverMessages()).length, 6);
});
