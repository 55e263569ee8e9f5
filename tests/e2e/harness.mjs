// Shared pieces of the end-to-end tests: the real xwms-server on a loopback port, and the real
// app driven through tauri-driver + WebKitWebDriver (run inside scripts/desktop-session.sh,
// which provides Xvfb, D-Bus and an unlocked keychain).
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Builder, By, Key, until } from "selenium-webdriver";

export const ROOT = resolve(import.meta.dirname, "../..");
const TARGET = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");
export const APP = process.env.XWMS_APP_BINARY ?? join(TARGET, "release", "xwms-desktop");
// The server from the test build (`cargo test` builds it; argon2 is optimised even in debug
// builds, so sign-in runs at the production hash cost at full speed).
export const SERVER = process.env.XWMS_SERVER_BINARY ?? join(TARGET, "debug", "xwms-server");
export const ARTIFACTS = join(ROOT, "tests", "e2e", "artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Starts maildev (a real SMTP server with a mailbox API) on free loopback ports. */
export async function startMailbox() {
  const smtp = await freePort();
  const web = await freePort();
  const child = spawn(join(ROOT, "node_modules", ".bin", "maildev"),
    ["--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--smtp", String(smtp), "--web", String(web)],
    { stdio: ["ignore", "ignore", "inherit"] });
  const api = `http://127.0.0.1:${web}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${api}/email`)).ok) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const mails = async (to) => (await (await fetch(`${api}/email`)).json())
    .filter((m) => (m.to ?? m.envelope?.to ?? []).some((a) => a.address?.toLowerCase() === to.toLowerCase()));
  return {
    smtpUrl: `smtp://127.0.0.1:${smtp}`,
    mails,
    /** Waits for a mail to `to` newer than the `after` count, and returns the 6-digit code in it. */
    async nextCode(to, after, timeout = 20000) {
      const end = Date.now() + timeout;
      while (Date.now() < end) {
        const list = await mails(to);
        if (list.length > after) {
          const mail = list[list.length - 1];
          const m = (mail.text ?? "").match(/\b(\d{6})\b/);
          if (m) return m[1];
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`no new mail with a code for ${to}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((ok) => child.once("exit", ok));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Starts xwms-server and resolves once it printed its address. */
export async function startServer({ dataDir, port = 0, args = [], env = {} } = {}) {
  dataDir ??= mkdtempSync(join(tmpdir(), "xwms-e2e-server-"));
  const child = spawn(SERVER, ["serve", "--demo", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, XWMS_LOG: "warn", ...env },
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = await new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`server did not start: ${stderr}`)), 20000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.once("exit", (code) => fail(new Error(`server exited (${code}): ${stderr}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((ok) => child.once("exit", ok));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * The app processes started with this data folder (XWMS_DATA_DIR), found through /proc, so a
 * test can make sure none outlives it.
 */
export function appProcesses(dataDir) {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")[0];
      if (!cmd.endsWith("xwms-desktop")) continue;
      const env = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (env.includes(`XWMS_DATA_DIR=${dataDir}`)) pids.push(Number(entry));
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return pids;
}

/** Kills every app process of `dataDir` at once with `signal` (a crash: `SIGKILL`). */
export async function killApps(dataDir, signal = "SIGKILL") {
  for (const pid of appProcesses(dataDir)) {
    try { process.kill(pid, signal); } catch { /* already gone */ }
  }
  for (let i = 0; i < 50 && appProcesses(dataDir).length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Ends every app process of `dataDir` still running (after `quit()`, which may leave one). */
export async function stopApps(dataDir) {
  for (const signal of ["SIGTERM", "SIGKILL"]) {
    const pids = appProcesses(dataDir);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try { process.kill(pid, signal); } catch { /* already gone */ }
    }
    for (let i = 0; i < 30 && appProcesses(dataDir).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts tauri-driver (stopped with SIGTERM, so WebKitWebDriver frees its port). Its output,
 * and the app's, goes to a log file in the artifacts: a pipe to this test process would keep
 * the test runner waiting for as long as any app process held it open.
 */
export async function startDriver(env) {
  const port = await freePort();
  const nativePort = await freePort();
  const log = openSync(join(ARTIFACTS, "tauri-driver.log"), "a");
  const child = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", log, log],
    env: { ...process.env, ...env },
  });
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/status`);
      if (r.ok || r.status < 500) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.once("exit", ok));
        child.kill("SIGTERM");
        await exited;
      }
      if (env?.XWMS_DATA_DIR) await stopApps(env.XWMS_DATA_DIR);
    },
  };
}

/** Launches the real app through WebDriver. */
export async function launchApp(driverUrl) {
  return new Builder()
    .usingServer(driverUrl)
    .withCapabilities({ browserName: "wry", "tauri:options": { application: APP } })
    .build();
}

/** The element's text; WebKitWebDriver gives "" for some styled inline text, so fall back to textContent. */
async function visibleText(el) {
  return (await el.getText()) || ((await el.getAttribute("textContent")) ?? "").trim();
}

export async function textOf(driver, testId, timeout = 15000) {
  const el = await driver.wait(until.elementLocated(By.css(`[data-testid="${testId}"]`)), timeout);
  return visibleText(el);
}

/** Waits until the element's text satisfies `pred`; returns the text. */
export async function waitForText(driver, testId, pred, timeout = 15000) {
  let last = "";
  await driver.wait(async () => {
    try {
      last = await visibleText(driver.findElement(By.css(`[data-testid="${testId}"]`)));
      return pred(last);
    } catch {
      return false;
    }
  }, timeout, `waiting for ${testId}; last text: ${JSON.stringify(last)}`);
  return last;
}

/**
 * Runs `step` again when WebKitWebDriver reports a stale element: Svelte may replace a node between
 * finding it and using it (or even while `findElements` builds its handles), which is a re-render,
 * not a failure of the app.
 */
async function retryStale(step, tries = 5) {
  for (let i = 1; ; i++) {
    try {
      return await step();
    } catch (e) {
      if (e?.name !== "StaleElementReferenceError" || i >= tries) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Replaces an input's text the way a person does (select all, type), so frameworks see input events. */
export async function fill(driver, testId, text) {
  return retryStale(async () => {
    const el = await driver.wait(until.elementLocated(By.css(`[data-testid="${testId}"]`)), 15000);
    await driver.wait(until.elementIsVisible(el), 15000);
    await driver.executeScript("arguments[0].select?.()", el);
    await el.sendKeys(Key.BACK_SPACE);
    if (text) await el.sendKeys(text);
    return el;
  });
}

export async function click(driver, testId, timeout = 15000) {
  return retryStale(async () => {
    const el = await driver.wait(until.elementLocated(By.css(`[data-testid="${testId}"]`)), timeout);
    await driver.wait(until.elementIsEnabled(el), timeout);
    await el.click();
    return el;
  });
}

/** True when an element with this test id is on the page and shown. */
export async function shown(driver, testId) {
  return retryStale(async () => {
    const els = await driver.findElements(By.css(`[data-testid="${testId}"]`));
    for (const el of els) if (await el.isDisplayed().catch(() => false)) return true;
    return false;
  });
}

export async function waitShown(driver, testId, timeout = 15000) {
  await driver.wait(() => shown(driver, testId), timeout, `waiting for ${testId} to show`);
}

export async function go(driver, path) {
  await driver.executeScript(`location.hash = ${JSON.stringify("#" + path)}`);
}

export async function waitForAttr(driver, css, attr, want, timeout = 15000) {
  let last = null;
  await driver.wait(async () => {
    try {
      last = await driver.findElement(By.css(css)).getAttribute(attr);
      return last === want;
    } catch {
      return false;
    }
  }, timeout, `waiting for ${css}[${attr}=${want}]; last: ${last}`);
}

/** A screenshot after two animation frames (otherwise WebKit may hand back the previous frame). */
export async function screenshot(driver, file) {
  await driver.executeAsyncScript("const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));");
  const png = await driver.takeScreenshot();
  writeFileSync(file, Buffer.from(png, "base64"));
  return file;
}

export { By, Key, until };
