// Shared pieces of the end-to-end tests: the real xwms-server on a loopback port, and the real
// app driven through tauri-driver + WebKitWebDriver (run inside scripts/desktop-session.sh,
// which provides Xvfb, D-Bus and an unlocked keychain).
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Builder, By, until } from "selenium-webdriver";

export const ROOT = resolve(import.meta.dirname, "../..");
const TARGET = process.env.CARGO_TARGET_DIR ?? join(ROOT, "target");
export const APP = process.env.XWMS_APP_BINARY ?? join(TARGET, "release", "xwms-desktop");
export const SERVER = process.env.XWMS_SERVER_BINARY ?? join(TARGET, "release", "xwms-server");
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

/** Starts xwms-server and resolves once it printed its address. */
export async function startServer({ dataDir, port = 0, args = [] } = {}) {
  dataDir ??= mkdtempSync(join(tmpdir(), "xwms-e2e-server-"));
  const child = spawn(SERVER, ["serve", "--demo", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, XWMS_LOG: "warn" },
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

/** Starts tauri-driver (stopped with SIGTERM, so WebKitWebDriver frees its port). */
export async function startDriver(env) {
  const port = await freePort();
  const nativePort = await freePort();
  const child = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    stdio: ["ignore", "inherit", "inherit"],
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
      if (child.exitCode !== null) return;
      const exited = new Promise((ok) => child.once("exit", ok));
      child.kill("SIGTERM");
      await exited;
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

export async function textOf(driver, testId, timeout = 15000) {
  const el = await driver.wait(until.elementLocated(By.css(`[data-testid="${testId}"]`)), timeout);
  return el.getText();
}

/** Waits until the element's text satisfies `pred`; returns the text. */
export async function waitForText(driver, testId, pred, timeout = 15000) {
  let last = "";
  await driver.wait(async () => {
    try {
      last = await driver.findElement(By.css(`[data-testid="${testId}"]`)).getText();
      return pred(last);
    } catch {
      return false;
    }
  }, timeout, `waiting for ${testId}; last text: ${JSON.stringify(last)}`);
  return last;
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

export { By, until };
