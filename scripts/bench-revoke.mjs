// Benchmark: time from "remove session" to the other app showing sign-in, over N runs (50 by
// default), in the real app window against the real server. Prints p50/p95/max.
//
//   scripts/desktop-session.sh node scripts/bench-revoke.mjs [runs]
//
// Each run: the app signs in through its window; this script (signed in as the same person
// over the API, like a second device) removes the app's session with
// DELETE /api/account/sessions/{id}; a MutationObserver in the window records the moment the
// sign-in form appears (Date.now() in the webview and here read the same system clock).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { click, fill, go, launchApp, shown, startDriver, startMailbox, startServer, waitForText, waitShown } from "../tests/e2e/harness.mjs";

const runs = Number(process.argv[2] ?? 50);
const email = `bench-${Date.now()}@example.com`;
const password = "Quiet-Harbour-42";
const device = { name: "bench", os: "linux", app: "bench", app_version: "1", installation_id: "bench-remover" };

const mailbox = await startMailbox();
const server = await startServer({ args: ["--smtp-url", mailbox.smtpUrl] });
async function api(method, path, body, token) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (json.status !== "success") throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json.data;
}

const { challenge_id } = await api("POST", "/api/auth/signup", { name: "Bench", email, password, language: "en" });
await api("POST", "/api/auth/verify-email", { email, challenge_id, code: await mailbox.nextCode(email, 0) });
const remover = await api("POST", "/api/auth/signin", { email, password, device });
const token = remover.access_token;

const dataDir = mkdtempSync(join(tmpdir(), "xwms-bench-revoke-"));
const driver = await startDriver({ XWMS_SERVER_URL: server.url, XWMS_DATA_DIR: dataDir, LANG: "en_US.UTF-8" });
const app = await launchApp(driver.url);
const samples = [];
try {
  await waitShown(app, "connection-status");
  for (let i = 0; i < runs; i++) {
    await go(app, "/sign");
    await app.wait(async () => (await shown(app, "signin-email")) || (await shown(app, "signin-password")), 15000);
    if (!(await shown(app, "signin-email")) && (await shown(app, "signin-back"))) await click(app, "signin-back");
    await fill(app, "signin-email", email);
    await click(app, "signin-next");
    await fill(app, "signin-password", password);
    await click(app, "signin-submit");
    await waitForText(app, "sidebar-name", (t) => t.length > 0);
    // Give the app's realtime channel time to connect (it opens right after sign-in).
    await new Promise((r) => setTimeout(r, 1500));
    const { sessions } = await api("GET", "/api/account/sessions", undefined, token);
    const target = sessions.find((s) => !s.current && s.app === "XWMS-Desktop");
    await app.executeScript(`
      window.__signinAt = 0;
      const seen = () => { if (!window.__signinAt && document.querySelector('[data-testid="signin-email"]')) window.__signinAt = Date.now(); };
      new MutationObserver(seen).observe(document.body, { subtree: true, childList: true });`);
    const t0 = Date.now();
    const res = await fetch(`${server.url}/api/account/sessions/${target.id}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`DELETE: ${res.status} ${await res.text()}`);
    let at = 0;
    const end = Date.now() + 15000;
    while (!at && Date.now() < end) {
      at = await app.executeScript("return window.__signinAt");
      if (!at) await new Promise((r) => setTimeout(r, 20));
    }
    if (!at) throw new Error(`run ${i}: the app did not return to sign-in within 15 s`);
    samples.push(at - t0);
  }
} finally {
  await app.quit().catch(() => {});
  await driver.stop();
  await server.stop();
  await mailbox.stop();
}
samples.sort((a, b) => a - b);
const q = (p) => samples[Math.min(samples.length - 1, Math.ceil(p * samples.length) - 1)];
console.log(`remove session → other app shows sign-in, ${samples.length} runs: p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${samples.at(-1)} ms, min ${samples[0]} ms`);
