// Browser tests of the built UI (dist/) in Debian's Chromium, with the Rust side mocked at
// the Tauri IPC boundary (see harness.mjs). Run `npm run build` first, then `npm run test:ui`.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ANNA,
  DEFAULT_SETTINGS,
  SCREENSHOTS,
  emitEvent,
  ipcCalls,
  browserSuite,
  offlineState,
  onlineState,
  openApp,
  screenshot,
  waitAttr,
  waitForValue,
  waitText,
} from "./harness.mjs";

const withApp = browserSuite();

const heading = (page) => page.evaluate(() => document.querySelector("main h1")?.textContent?.trim());
const bodyBackground = (page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

const NAV_EN = [
  ["help", "Help"],
  ["account", "Account"],
  ["security", "Security"],
  ["sessions", "Sessions"],
  ["api-credentials", "API credentials"],
  ["support", "Support"],
  ["settings", "Settings"],
];

async function assertCurrent(page, screen) {
  const current = await page.$$eval("nav a[aria-current]", (links) =>
    links.map((a) => [a.getAttribute("data-testid"), a.getAttribute("aria-current")]),
  );
  assert.deepEqual(current, [[`nav-${screen}`, "page"]], "exactly the active item has aria-current=page");
}

describe("app shell", () => {
  it("starts on Help with the connection panel, using only IPC", async () => {
    await withApp({}, async ({ page }) => {
      await waitText(page, "main h1", "Help");
      assert.equal(await page.evaluate(() => location.hash), "#/help");
      await waitText(page, "[data-testid=server-name]", "XWMS");
      await waitText(page, "[data-testid=server-version]", "1.4.2");
      await waitText(page, "[data-testid=server-timezone]", "Europe/Amsterdam");
      await waitText(page, "[data-testid=server-url]", "http://127.0.0.1:8787/");
      await waitAttr(page, "[data-testid=connection-status]", "data-status", "online");
      const cmds = (await ipcCalls(page)).map((c) => c.cmd);
      assert.ok(cmds.includes("get_settings") && cmds.includes("connection_state"), cmds.join(","));
      assert.ok(cmds.includes("plugin:event|listen"));
      assert.ok(!cmds.includes("check_connection"), "the UI does not poll by itself");
      assert.equal(await page.title(), "Help · XWMS Desktop");
      await screenshot(page, "help-en-light");
    });
  });

  it("navigates to every item by click, updating heading and aria-current", async () => {
    await withApp({ session: ANNA.profile.email }, async ({ page }) => {
      for (const [screen, label] of [...NAV_EN.slice(1), NAV_EN[0]]) {
        await page.click(`[data-testid=nav-${screen}]`);
        await waitText(page, "main h1", label);
        assert.equal(await page.evaluate(() => location.hash), `#/${screen}`);
        await assertCurrent(page, screen);
        const lead = await page.textContent("[data-testid=screen-lead]");
        assert.ok(lead && lead.trim().length > 20, `${screen} has a description`);
      }
    });
  });

  it("navigates to every item by keyboard, with a visible focus ring", async () => {
    await withApp({ session: ANNA.profile.email }, async ({ page }) => {
      await waitText(page, "main h1", "Help");
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement?.className), "skip-link");
      for (const [screen, label] of NAV_EN) {
        await page.keyboard.press("Tab");
        assert.equal(
          await page.evaluate(() => document.activeElement?.getAttribute("data-testid")),
          `nav-${screen}`,
          "Tab reaches the next nav item",
        );
        const outline = await page.evaluate(() => {
          const s = getComputedStyle(/** @type {Element} */ (document.activeElement));
          return `${s.outlineStyle} ${s.outlineWidth}`;
        });
        assert.notEqual(outline.split(" ")[0], "none", "focus ring visible");
        assert.notEqual(outline.split(" ")[1], "0px", "focus ring visible");
        if (screen === "security") await screenshot(page, "keyboard-focus-en-light");
        await page.keyboard.press("Enter");
        await waitText(page, "main h1", label);
        await assertCurrent(page, screen);
      }
      // Then the signed-in person and Sign out at the foot of the sidebar, then the content.
      for (const id of ["sidebar-identity", "sidebar-sign-out"]) {
        await page.keyboard.press("Tab");
        assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), id);
      }
      await page.keyboard.press("Tab");
      assert.equal(
        await page.evaluate(() => document.activeElement?.getAttribute("data-testid")),
        "server-url-input",
      );
    });
  });

  it("skip link moves focus to the main content", async () => {
    await withApp({}, async ({ page }) => {
      await page.keyboard.press("Tab");
      const visible = await page.evaluate(() => document.querySelector(".skip-link")?.getBoundingClientRect().top ?? -1);
      assert.ok(visible >= 0, "skip link is on screen when focused");
      await page.keyboard.press("Enter");
      assert.equal(await page.evaluate(() => document.activeElement?.id), "main-content");
      assert.equal(await page.evaluate(() => location.hash), "#/help", "the router is not disturbed");
    });
  });

  it("hides Agent and maps XWMS route names", async () => {
    await withApp({ hash: "#/agent" }, async ({ page }) => {
      await waitText(page, "main h1", "Help");
      assert.equal(await page.evaluate(() => location.hash), "#/help");
      assert.equal(await page.locator("[data-testid=nav-agent]").count(), 0);
      const routes = [
        // Signed out, Support says a conversation needs an account (support.test.mjs goes further).
        ["#/support", "Support", "support"],
        ["#/terms", "Terms and conditions", "help"],
        ["#/privacy", "Privacy statement", "help"],
        // Sessions and API credentials need a signed-in person (security.test.mjs opens them).
        ["#/no-such-screen", "Help", "help"],
      ];
      for (const [hash, label, screen] of routes) {
        await page.evaluate((h) => (location.hash = h), hash);
        await waitText(page, "main h1", label);
        await assertCurrent(page, screen);
      }
      // The sign-in family: the side panel marks the step, the sidebar's Sign in is current.
      const auth = [
        ["#/sign", "Sign in", "sign"],
        ["#/login", "Sign in", "sign"],
        ["#/signup", "Create your XWMS account", "signup"],
        ["#/recover", "Recover your account", "recover"],
      ];
      for (const [hash, label, item] of auth) {
        await page.evaluate((h) => (location.hash = h), hash);
        await waitText(page, "main h1", label);
        const current = await page.$$eval("[aria-current=page]", (els) => els.map((e) => e.getAttribute("data-testid")));
        assert.deepEqual(current, ["sidebar-sign-in", `auth-nav-${item}`]);
      }
      // Account needs a signed-in person.
      await page.evaluate(() => (location.hash = "#/account"));
      await waitText(page, "main h1", "Sign in");
      assert.equal(await page.evaluate(() => location.hash), "#/sign");
    });
  });
});

describe("language", () => {
  it("switches to Dutch and to French at once, and saves the choice", async () => {
    await withApp({ hash: "#/settings" }, async ({ page }) => {
      await waitText(page, "main h1", "Settings");
      const enChecked = await page.textContent("[data-testid=last-checked]");

      await page.selectOption("[data-testid=language-select]", "nl");
      await waitText(page, "main h1", "Instellingen");
      assert.equal(await page.getAttribute("html", "lang"), "nl");
      await waitText(page, "[data-testid=nav-security]", "Beveiliging");
      await waitText(page, "[data-testid=nav-support]", "Ondersteuning");
      await waitText(page, "[data-testid=server-url-save]", "Opslaan");
      await waitText(page, "[data-testid=check-now]", "Nu controleren");
      const nlChecked = await page.textContent("[data-testid=last-checked]");
      const nlExpected = await page.evaluate(() =>
        new Intl.DateTimeFormat("nl", { dateStyle: "medium", timeStyle: "medium" }).format(
          new Date("2026-11-25T08:30:05Z"),
        ),
      );
      assert.equal(nlChecked?.trim(), nlExpected, "dates follow the language");
      assert.notEqual(nlChecked, enChecked);
      assert.equal(await page.title(), "Instellingen · XWMS Desktop");
      await screenshot(page, "settings-nl-light");

      await page.selectOption("[data-testid=language-select]", "fr");
      await waitText(page, "main h1", "Paramètres");
      assert.equal(await page.getAttribute("html", "lang"), "fr");
      await waitText(page, "[data-testid=nav-help]", "Aide");
      await waitText(page, "[data-testid=nav-security]", "Sécurité");
      await waitText(page, "[data-testid=server-url-save]", "Enregistrer");
      await waitText(page, "[data-testid=connection-status] .status-text", "En ligne");
      await screenshot(page, "settings-fr-light");

      await page.selectOption("[data-testid=language-select]", "system");
      await waitText(page, "main h1", "Settings");
      assert.equal(await page.getAttribute("html", "lang"), "en");

      await page.waitForFunction(() => window.__TEST_IPC__.calls.filter((c) => c.cmd === "save_settings").length === 3);
      const saved = (await ipcCalls(page)).filter((c) => c.cmd === "save_settings").map((c) => c.args.settings.language);
      assert.deepEqual(saved, ["nl", "fr", "system"]);
    });
  });

  it("follows the system language when set to System", async () => {
    await withApp({ settings: { ...DEFAULT_SETTINGS, language: "system" }, locale: "fr-FR" }, async ({ page }) => {
      await waitText(page, "main h1", "Aide");
      assert.equal(await page.getAttribute("html", "lang"), "fr");
    });
  });

  it("starts in the saved language", async () => {
    await withApp({ settings: { ...DEFAULT_SETTINGS, language: "nl" }, hash: "#/security", session: ANNA.profile.email }, async ({ page }) => {
      await waitText(page, "main h1", "Beveiliging");
      assert.equal(await page.getAttribute("html", "lang"), "nl");
      await screenshot(page, "security-nl-light");
      // The window's minimum size (tauri.conf.json: 760 × 520) still lays out cleanly.
      await page.setViewportSize({ width: 760, height: 520 });
      await page.click("[data-testid=nav-settings]");
      await waitText(page, "main h1", "Instellingen");
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, "no horizontal scrolling at the minimum window size");
      await screenshot(page, "settings-nl-light-min-size");
      await page.click("[data-testid=nav-help]");
      await screenshot(page, "help-nl-light-min-size");
    });
  });
});

describe("theme", () => {
  it("switches to dark from the theme select and saves it", async () => {
    await withApp({ hash: "#/settings" }, async ({ page }) => {
      await waitText(page, "main h1", "Settings");
      const light = await bodyBackground(page);
      await page.selectOption("[data-testid=theme-select]", "dark");
      await waitAttr(page, "html", "data-theme", "dark");
      const dark = await bodyBackground(page);
      assert.notEqual(dark, light);
      assert.equal(dark, "rgb(17, 20, 25)");
      await page.waitForFunction(() => window.__TEST_IPC__.calls.some((c) => c.cmd === "save_settings"));
      const saved = (await ipcCalls(page)).filter((c) => c.cmd === "save_settings").map((c) => c.args.settings.theme);
      assert.deepEqual(saved, ["dark"]);
      await screenshot(page, "settings-en-dark");
      await page.click("[data-testid=nav-help]");
      await waitText(page, "main h1", "Help");
      await screenshot(page, "help-en-dark");
    });
  });

  it("follows the OS colour scheme live when set to System", async () => {
    await withApp(
      { settings: { ...DEFAULT_SETTINGS, theme: "system", language: "fr" }, colorScheme: "dark", hash: "#/sessions" },
      async ({ page }) => {
        await waitAttr(page, "html", "data-theme", "dark");
        assert.equal(await bodyBackground(page), "rgb(17, 20, 25)");
        await screenshot(page, "sessions-fr-dark");
        await page.emulateMedia({ colorScheme: "light" });
        await waitAttr(page, "html", "data-theme", "light");
        assert.equal(await bodyBackground(page), "rgb(245, 246, 249)");
        await screenshot(page, "sessions-fr-light");
      },
    );
  });
});

describe("settings", () => {
  it("shows a localized error for a bad server address and keeps what was typed", async () => {
    await withApp({ hash: "#/settings" }, async ({ page }) => {
      const input = "[data-testid=server-url-input]";
      await waitForValue(page, (s) => /** @type {HTMLInputElement | null} */ (document.querySelector(s))?.value, input, "http://127.0.0.1:8787/", "stored URL shown");

      await page.fill(input, "ftp://files.example.com");
      await page.click("[data-testid=server-url-save]");
      await waitText(page, "[data-testid=server-url-error]", "The address must start with http:// or https://.");
      assert.equal(await page.getAttribute("[data-testid=server-url-error]", "role"), "alert");
      assert.equal(await page.getAttribute(input, "aria-invalid"), "true");
      assert.equal(await page.inputValue(input), "ftp://files.example.com");
      const describedBy = await page.getAttribute(input, "aria-describedby");
      assert.ok(describedBy?.split(" ").includes("server-url-error"), "error is tied to the field");
      assert.ok(!(await page.textContent("body"))?.includes("internal detail"), "raw message never shown");
      await screenshot(page, "settings-error-en-light");

      // The error follows the language, and the typed text survives the switch.
      await page.selectOption("[data-testid=language-select]", "nl");
      await waitText(page, "[data-testid=server-url-error]", "Het adres moet beginnen met http:// of https://.");
      assert.equal(await page.inputValue(input), "ftp://files.example.com");
      await page.selectOption("[data-testid=language-select]", "en");

      await page.fill(input, "https://user:secret@accounts.example.com");
      await page.press(input, "Enter");
      await waitText(page, "[data-testid=server-url-error]", "The address must not contain a user name or password.");
      assert.equal(await page.inputValue(input), "https://user:secret@accounts.example.com");

      await page.fill(input, "http://");
      await page.click("[data-testid=server-url-save]");
      await waitText(page, "[data-testid=server-url-error]", "This is not a valid web address.");

      await page.fill(input, "https://accounts.example.com");
      await page.click("[data-testid=server-url-save]");
      await waitText(page, "[data-testid=server-url-saved]", "Saved");
      assert.equal(await page.locator("[data-testid=server-url-error]").count(), 0);
      assert.equal(await page.getAttribute(input, "aria-invalid"), null);
      assert.equal(await page.inputValue(input), "https://accounts.example.com/");
      await page.waitForFunction(() => window.__TEST_IPC__.calls.some((c) => c.cmd === "check_connection"));
      await screenshot(page, "settings-saved-en-light");
    });
  });

  it("changing the server while signed in asks first and refuses an address where nothing answers", async () => {
    await withApp(
      { hash: "#/settings", session: ANNA.profile.email, unreachable: ["https://down.example.com/"] },
      async ({ page }) => {
        const input = "[data-testid=server-url-input]";
        await waitForValue(page, (s) => /** @type {HTMLInputElement | null} */ (document.querySelector(s))?.value, input, "http://127.0.0.1:8787/", "stored URL shown");
        await page.fill(input, "https://down.example.com");
        await page.click("[data-testid=server-url-save]");
        await page.waitForSelector("[data-testid=change-server-dialog]");
        await waitText(page, "[data-testid=change-server-dialog] .modal-body", "You will be signed out of http://127.0.0.1:8787/. The new address is checked first.");
        await screenshot(page, "settings-change-server-en-light");
        await page.click("[data-testid=change-server-dialog] [data-testid=confirm-submit]");
        await waitText(page, "[data-testid=server-url-error]", "The server at this address did not answer. Check the address and try again.");
        assert.equal(await page.textContent("[data-testid=server-url-saved]"), "");
        assert.equal(await page.inputValue(input), "https://down.example.com");

        await page.fill(input, "https://accounts.example.com");
        await page.click("[data-testid=server-url-save]");
        await page.click("[data-testid=change-server-dialog] [data-testid=confirm-submit]");
        await waitText(page, "[data-testid=server-url-saved]", "Saved");
        assert.equal(await page.inputValue(input), "https://accounts.example.com/");
        const calls = await page.evaluate(() => window.__TEST_IPC__.calls.filter((c) => c.cmd === "change_server").map((c) => c.args.serverUrl));
        assert.deepEqual(calls, ["https://down.example.com", "https://accounts.example.com"]);
      },
    );
  });

  it("shows a storage failure with the generic wording for unknown codes", async () => {
    await withApp(
      { hash: "#/settings", saveError: { code: "something.new", message: "disk on fire at /home/x" } },
      async ({ page }) => {
        await page.fill("[data-testid=server-url-input]", "https://accounts.example.com");
        await page.click("[data-testid=server-url-save]");
        await waitText(page, "[data-testid=server-url-error]", "Something went wrong. Please try again.");
        await page.evaluate(() => window.__TEST_IPC__.setSaveError({ code: "settings.storage", message: "EACCES" }));
        await page.click("[data-testid=server-url-save]");
        await waitText(page, "[data-testid=server-url-error]", "Your settings could not be saved. Please try again.");
        assert.equal(await page.inputValue("[data-testid=server-url-input]"), "https://accounts.example.com");
      },
    );
  });
});

describe("connection", () => {
  it("flips offline → online on connection-changed, and keeps last known facts when offline", async () => {
    await withApp({ connection: offlineState() }, async ({ page }) => {
      const status = "[data-testid=connection-status]";
      await waitAttr(page, status, "data-status", "offline");
      await waitText(page, `${status} .status-text`, "Offline");
      await waitText(page, "[data-testid=connection-message]", "Offline — XWMS Desktop will reconnect automatically.");
      assert.equal(await page.locator("[data-testid=server-name]").count(), 0);
      await screenshot(page, "help-offline-first-en-light");

      await emitEvent(page, "connection-changed", onlineState({ checked_at: "2026-11-25T08:32:00Z" }));
      await waitAttr(page, status, "data-status", "online");
      await waitText(page, `${status} .status-text`, "Online");
      await waitText(page, "[data-testid=connection-message]", "Connected to XWMS.");
      await waitText(page, "[data-testid=server-name]", "XWMS");

      await emitEvent(page, "connection-changed", offlineState({ checked_at: "2026-11-25T08:33:00Z" }));
      await waitAttr(page, status, "data-status", "offline");
      await waitText(page, "[data-testid=server-name]", "XWMS");
      await waitText(page, "[data-testid=server-version]", "1.4.2");
      await waitText(page, "[data-testid=server-timezone]", "Europe/Amsterdam");
      const colours = await page.evaluate(() =>
        ["server-name", "server-url"].map((id) => getComputedStyle(/** @type {Element} */ (document.querySelector(`[data-testid=${id}]`))).color),
      );
      assert.notEqual(colours[0], colours[1], "last known server facts are greyed, the address is not");
      await waitText(page, "[data-testid=connection-panel] .caption", "Last known server details");
      await screenshot(page, "help-offline-en-light");
    });
  });

  it("shows Checking… until the first answer, and Check now asks the Rust side", async () => {
    await withApp(
      {
        connection: { status: "unknown", server_url: "http://127.0.0.1:8787/", server: null, checked_at: null, error: null },
        checkResult: onlineState(),
        settings: { ...DEFAULT_SETTINGS, theme: "dark" },
      },
      async ({ page }) => {
        const status = "[data-testid=connection-status]";
        await waitAttr(page, status, "data-status", "unknown");
        await waitText(page, `${status} .status-text`, "Checking…");
        await screenshot(page, "help-unknown-en-dark");
        await page.click("[data-testid=check-now]");
        await waitAttr(page, status, "data-status", "online");
        await waitText(page, "[data-testid=server-name]", "XWMS");
        const cmds = (await ipcCalls(page)).map((c) => c.cmd);
        assert.equal(cmds.filter((c) => c === "check_connection").length, 1);
      },
    );
  });

  it("looks calm when offline in dark mode", async () => {
    await withApp({ connection: offlineState(), settings: { ...DEFAULT_SETTINGS, theme: "dark", language: "fr" } }, async ({ page }) => {
      await emitEvent(page, "connection-changed", onlineState());
      await waitAttr(page, "[data-testid=connection-status]", "data-status", "online");
      await emitEvent(page, "connection-changed", offlineState({ error: { code: "network.timeout", message: "timed out" } }));
      await waitAttr(page, "[data-testid=connection-status]", "data-status", "offline");
      await waitText(page, "[data-testid=connection-message]", "Hors ligne — XWMS Desktop se reconnectera automatiquement.");
      await screenshot(page, "help-offline-fr-dark");
    });
  });
});
