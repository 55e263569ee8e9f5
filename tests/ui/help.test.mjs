// Browser tests of the Help center (issue 4), against the built UI in Chromium. The Rust side
// is played by harness.mjs, which serves the small fixture of help-fixture.mjs (the real
// content and its search engine are Rust's, tested there). Run `npm run build` first.

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
  tid,
  waitAttr,
  waitForValue,
  waitText,
} from "./harness.mjs";

const withApp = browserSuite();

const h1 = "main h1";
const hash = (page) => page.evaluate(() => location.hash);
const focused = (page) => page.evaluate(() => document.activeElement?.getAttribute("data-testid") ?? null);
const ids = (page, id) => page.$$eval(tid(id), (els) => els.map((e) => e.getAttribute("data-id")));
const current = (page) =>
  page.$$eval("nav a[aria-current=page]", (links) => links.map((a) => a.getAttribute("data-testid")));
const noOverflow = async (page, what) =>
  assert.equal(
    await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
    0,
    `no horizontal scrolling: ${what}`,
  );

async function goOffline(page) {
  await page.evaluate((s) => window.__TEST_IPC__.setConnection(s), offlineState());
  await emitEvent(page, "connection-changed", offlineState());
  await waitAttr(page, tid("connection-status"), "data-status", "offline");
}

async function goOnline(page) {
  await page.evaluate((s) => window.__TEST_IPC__.setConnection(s), onlineState());
  await emitEvent(page, "connection-changed", onlineState());
  await waitAttr(page, tid("connection-status"), "data-status", "online");
}

describe("help search", () => {
  it("finds answers while typing, opens one, follows its links into the app and back", async () => {
    await withApp({ session: ANNA.profile.email }, async ({ page }) => {
      await waitText(page, h1, "Help");
      await waitForValue(page, () => document.querySelectorAll("[data-testid=help-category]").length, null, 2, "topics");
      // The server's details stay on Help home.
      await waitText(page, tid("server-name"), "XWMS");
      assert.equal(await page.locator(tid("help-result")).count(), 0, "no list for an empty query");

      await page.click(tid("help-search"));
      await page.keyboard.type("password");
      await waitForValue(page, () => document.querySelectorAll("[data-testid=help-result]").length > 0, null, true, "results");
      const found = await ids(page, "help-result");
      assert.deepEqual(found.slice(0, 2).sort(), ["change-password", "forgot-password"]);
      const marks = await page.$$eval(`${tid("help-result")} mark`, (ms) => [...new Set(ms.map((m) => m.textContent))]);
      assert.deepEqual(marks, ["password"]);
      const searches = (await ipcCalls(page)).filter((c) => c.cmd === "help_search");
      assert.deepEqual(searches.at(-1)?.args, { lang: "en", query: "password", limit: 8 });
      assert.ok(searches.length < "password".length, `typing is debounced (${searches.length} searches)`);
      await screenshot(page, "help-search-en-light");

      // Keyboard: ↓ ↓ ↑ chooses, Enter opens.
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("ArrowUp");
      await waitAttr(page, `${tid("help-result")}[data-id="${found[0]}"]`, "aria-selected", "true");
      assert.equal(await focused(page), "help-search", "the focus stays in the search box");
      await page.keyboard.press("Enter");
      await waitForValue(page, () => location.hash, null, `#/help/article/${found[0]}`, "article opened");

      await page.evaluate(() => (location.hash = "#/help/article/change-password"));
      await waitText(page, tid("help-article-title"), "How do I change my password?");
      await waitText(page, tid("help-article-body"), "Go to Security, enter your current password and choose a new one. Still stuck? Ask support.");
      await assertHelpCurrent(page);
      assert.equal(await page.title(), "Help · XWMS Desktop");

      // An answer's link to an app route opens that screen; Back returns to the answer.
      await page.click(`${tid("help-link")}[data-target="/account/security"]`);
      await waitText(page, h1, "Security");
      assert.equal(await hash(page), "#/account/security");
      assert.deepEqual(await current(page), ["nav-security"]);
      await page.goBack();
      await waitText(page, tid("help-article-title"), "How do I change my password?");
      // "/support" in an answer starts a conversation, on the answer's topic.
      await page.click(`${tid("help-link")}[data-target="/support"]`);
      await waitText(page, h1, "New conversation");
      assert.equal(await hash(page), "#/support/new?topic=question");
      assert.deepEqual(await current(page), ["nav-support"]);
      await page.goBack();
      await waitText(page, tid("help-article-title"), "How do I change my password?");

      // Escape clears the search.
      await page.click(tid("help-back"));
      await waitText(page, h1, "Help");
      assert.equal(await focused(page), "help-search", "back on Help, the search box has the focus");
      await page.keyboard.type("sessions");
      await waitForValue(page, () => document.querySelectorAll("[data-testid=help-result]").length > 0, null, true, "results");
      await page.keyboard.press("Escape");
      assert.equal(await page.inputValue(tid("help-search")), "");
      await waitForValue(page, () => document.querySelectorAll("[data-testid=help-result]").length, null, 0, "cleared");
    });
  });

  it("marks the matched words by code point, after emoji and accents", async () => {
    await withApp({ settings: { ...DEFAULT_SETTINGS, language: "fr" } }, async ({ page }) => {
      await page.fill(tid("help-search"), "téléphone");
      await waitForValue(page, () => document.querySelectorAll("[data-testid=help-result]").length, null, 1, "one result");
      assert.equal(await page.getAttribute(tid("help-result"), "data-id"), "enable-2fa");
      // The French snippet starts with 🔐 (two UTF-16 units, one code point): the mark must still
      // cover exactly the word.
      const marks = await page.$$eval(`${tid("help-result")} mark`, (ms) => ms.map((m) => m.textContent));
      assert.deepEqual(marks, ["téléphone"]);
      await page.fill(tid("help-search"), "etapes");
      await waitForValue(page, () => document.querySelector("[data-testid=help-result] mark")?.textContent ?? null, null, "étapes", "accent-folded match, marked as written");
    });
  });

  it("says so when nothing matches, with a way to support", async () => {
    await withApp({}, async ({ page }) => {
      await page.fill(tid("help-search"), "zebra crossing");
      await waitText(page, `${tid("help-no-results")} .none-title`, "No answers found for “zebra crossing”.");
      await page.click(`${tid("help-no-results")} a`);
      await waitText(page, h1, "Support");
    });
  });
});

/** The sidebar's Help item is current, and only it. */
async function assertHelpCurrent(page) {
  assert.deepEqual(await current(page), ["nav-help"]);
}

describe("help topics and answers", () => {
  it("filters a topic by tag, kept in the address, and links tags from an answer", async () => {
    await withApp({}, async ({ page }) => {
      await page.click(`${tid("help-category")}[data-slug="account-security"]`);
      await waitText(page, tid("help-category-title"), "Account & Security (fixture)");
      await assertHelpCurrent(page);
      assert.deepEqual(await ids(page, "help-article-link"), ["forgot-password", "change-password", "active-sessions", "enable-2fa"]);
      const tags = await page.$$eval(tid("help-tag"), (bs) => bs.map((b) => [b.getAttribute("data-tag"), b.getAttribute("aria-pressed")]));
      assert.deepEqual(tags[0], ["", "true"], "All comes first and is pressed");
      assert.deepEqual(
        tags.map(([t]) => t).slice(1).sort(),
        ["2fa", "devices", "password", "reset", "security", "sessions"],
      );

      await page.click(`${tid("help-tag")}[data-tag="security"]`);
      await waitAttr(page, `${tid("help-tag")}[data-tag="security"]`, "aria-pressed", "true");
      await waitForValue(page, () => document.querySelectorAll("[data-testid=help-article-link]").length, null, 3, "filtered");
      assert.deepEqual(await ids(page, "help-article-link"), ["change-password", "active-sessions", "enable-2fa"]);
      assert.equal(await hash(page), "#/help/category/account-security?tag=security");
      assert.equal(await page.getAttribute(`${tid("help-tag")}[data-tag=""]`, "aria-pressed"), "false");
      await screenshot(page, "help-category-en-light");

      // Keyboard: the pressed chip is in the Tab order; arrows move, Enter/Space choose.
      await page.focus(`${tid("help-tag")}[data-tag="security"]`);
      await page.keyboard.press("Home");
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-tag")), "");
      await page.keyboard.press("Enter");
      await waitForValue(page, () => document.querySelectorAll("[data-testid=help-article-link]").length, null, 4, "all again");
      assert.equal(await hash(page), "#/help/category/account-security");

      // The address alone opens the filtered topic (a reload keeps it).
      await page.evaluate(() => (location.hash = "#/help/category/account-security?tag=sessions"));
      await waitAttr(page, `${tid("help-tag")}[data-tag="sessions"]`, "aria-pressed", "true");
      await page.reload();
      await waitAttr(page, `${tid("help-tag")}[data-tag="sessions"]`, "aria-pressed", "true");
      assert.deepEqual(await ids(page, "help-article-link"), ["active-sessions"]);

      // An answer's tag opens its topic filtered by that tag.
      await page.click(`${tid("help-article-link")}[data-id="active-sessions"]`);
      await waitText(page, tid("help-article-title"), "Where can I see my active sessions?");
      await page.click(`${tid("help-article-tag")}[data-tag="devices"]`);
      await waitAttr(page, `${tid("help-tag")}[data-tag="devices"]`, "aria-pressed", "true");
      assert.equal(await hash(page), "#/help/category/account-security?tag=devices");
    });
  });

  it("shows an answer with related questions, opens web links in the browser, and takes feedback", async () => {
    await withApp({ hash: "#/help/article/active-sessions", settings: { ...DEFAULT_SETTINGS, theme: "dark" } }, async ({ page }) => {
      await waitText(page, tid("help-article-title"), "Where can I see my active sessions?");
      await waitForValue(page, () => document.querySelectorAll("[data-testid=help-related]").length > 0, null, true, "related");
      const related = await ids(page, "help-related");
      assert.ok(!related.includes("active-sessions") && related.length <= 5, related.join(","));
      assert.ok(related.includes("change-password"));
      await waitText(page, tid("help-breadcrumb-category"), "Account & Security (fixture)");
      await screenshot(page, "help-article-en-dark");

      // A web address goes to the system browser (open_external), never into the webview.
      await page.click(`${tid("help-link")}[data-target="https://xwms.nl/sign"]`);
      await page.waitForFunction(() => window.__TEST_IPC__.calls.some((c) => c.cmd === "open_external"));
      const opened = (await ipcCalls(page)).filter((c) => c.cmd === "open_external").map((c) => c.args.url);
      assert.deepEqual(opened, ["https://xwms.nl/sign"]);
      assert.equal(await hash(page), "#/help/article/active-sessions");

      // Feedback online: thanks.
      await page.click(tid("help-feedback-yes"));
      await waitText(page, tid("help-feedback-thanks"), "Thank you for your feedback.");
      assert.equal(await page.locator(tid("help-feedback-yes")).count(), 0);

      // A related question: the page starts over, feedback too; offline, it is sent later.
      await page.click(`${tid("help-related")}[data-id="change-password"]`);
      await waitText(page, tid("help-article-title"), "How do I change my password?");
      assert.equal(await focused(page), "help-article-title", "the focus moves to the new question");
      await goOffline(page);
      await page.click(tid("help-feedback-no"));
      await waitText(page, tid("help-feedback-thanks"), "Thank you for your feedback. It will be sent when you are back online.");
      await screenshot(page, "help-article-feedback-offline-en-dark");
      const feedback = await page.evaluate(() => window.__TEST_IPC__.help.feedback);
      assert.deepEqual(feedback, [
        { id: "active-sessions", lang: "en", helpful: true, sent: true },
        { id: "change-password", lang: "en", helpful: false, sent: false },
      ]);
      await goOnline(page);
      await waitText(page, tid("help-feedback-thanks"), "Thank you for your feedback.");
    });
  });

  it("shows a clear not-found state for an unknown article", async () => {
    await withApp({ hash: "#/help/article/no-such-question" }, async ({ page }) => {
      await waitText(page, h1, "This question could not be found.");
      assert.equal(await page.locator(tid("help-not-found")).count(), 1);
      await assertHelpCurrent(page);
      assert.ok(!(await page.textContent("body"))?.includes("internal detail"));
      await page.click(tid("help-not-found-back"));
      await waitText(page, h1, "Help");
    });
  });
});

describe("help status", () => {
  it("offline: a badge, saved help still works, Sync now says why it failed", async () => {
    await withApp({ connection: offlineState() }, async ({ page }) => {
      await waitText(page, tid("help-offline-badge"), "Offline — showing saved help");
      await waitForValue(page, () => document.querySelectorAll("[data-testid=help-popular]").length > 0, null, true, "popular");
      const expected = await page.evaluate(() =>
        new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium" }).format(new Date("2026-11-25T07:45:00Z")),
      );
      await waitText(page, tid("help-updated"), `Updated ${expected}`);
      await page.click(tid("help-sync"));
      await waitText(page, tid("help-sync-error"), "The help could not be synced. The XWMS server cannot be reached.");
      await screenshot(page, "help-offline-sync-en-light");

      await goOnline(page);
      assert.equal(await page.locator(tid("help-offline-badge")).count(), 0);
      await page.click(tid("help-sync"));
      await waitForValue(page, () => document.querySelector("[data-testid=help-sync-error]") === null, null, true, "error gone");
      const synced = await page.evaluate(() => window.__TEST_IPC__.help.status().synced_at);
      const shown = await page.evaluate((iso) => new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium" }).format(new Date(iso)), synced);
      await waitText(page, tid("help-updated"), `Updated ${shown}`);
    });
  });

  it("bundled help and a rebuilt cache: says so, and the notice can be dismissed", async () => {
    await withApp(
      { helpStatus: { source: "bundled", synced_at: null, version: 0, notice: "cache_rebuilt" } },
      async ({ page }) => {
        await waitText(page, tid("help-updated"), "This help comes with the app and has not been synced with the server yet.");
        await waitText(
          page,
          tid("help-notice"),
          "The saved help was damaged and has been restored; it will be brought up to date when you are online. Dismiss",
        );
        await screenshot(page, "help-notice-en-light");
        await page.click(tid("help-notice-dismiss"));
        await waitForValue(page, () => document.querySelector("[data-testid=help-notice]") === null, null, true, "dismissed");
        assert.equal(await page.evaluate(() => window.__TEST_IPC__.help.status().notice), null);
      },
    );
  });
});

describe("help languages", () => {
  it("shows Dutch and French help when the language changes", async () => {
    await withApp({ hash: "#/settings" }, async ({ page }) => {
      await page.selectOption(tid("language-select"), "nl");
      await waitText(page, h1, "Instellingen");
      await page.click(tid("nav-help"));
      await waitText(page, h1, "Help");
      await waitText(page, `${tid("help-category")}[data-slug="account-security"] .category-title`, "Account & beveiliging (fixture)");
      await waitText(page, `${tid("help-popular")}[data-id="forgot-password"]`, "Ik ben mijn wachtwoord vergeten. Hoe stel ik een nieuw in?");
      await page.fill(tid("help-search"), "wachtwoord");
      await waitForValue(page, () => document.querySelectorAll("[data-testid=help-result]").length > 0, null, true, "Dutch results");
      const nlSearch = (await ipcCalls(page)).filter((c) => c.cmd === "help_search").at(-1)?.args;
      assert.deepEqual(nlSearch, { lang: "nl", query: "wachtwoord", limit: 8 });
      await screenshot(page, "help-search-nl-light");
      await page.click(`${tid("help-result")}[data-id="change-password"]`);
      await waitText(page, tid("help-article-title"), "Hoe wijzig ik mijn wachtwoord?");
      await waitText(page, tid("help-feedback-yes"), "Ja");

      await page.click(tid("nav-settings"));
      await page.selectOption(tid("language-select"), "fr");
      await waitText(page, h1, "Paramètres");
      await page.goBack();
      await waitText(page, tid("help-article-title"), "Comment modifier mon mot de passe ?");
      await waitText(
        page,
        tid("help-article-body"),
        "Allez dans Sécurité, saisissez votre mot de passe actuel et choisissez-en un nouveau. Un souci ? Demandez à l'assistance.",
      );
      await waitText(page, tid("help-feedback-no"), "Non");
      await screenshot(page, "help-article-fr-light");
      await page.click(tid("help-back"));
      await waitText(page, h1, "Aide");
      await waitText(page, `${tid("help-category")}[data-slug="using-the-app"] .category-title`, "Utiliser XWMS Desktop (fixture)");
    });
  });
});

describe("help layout", () => {
  it("looks right in dark mode and at the minimum window size", async () => {
    await withApp({ settings: { ...DEFAULT_SETTINGS, theme: "dark" } }, async ({ page }) => {
      await waitForValue(page, () => document.querySelectorAll("[data-testid=help-popular]").length > 0, null, true, "popular");
      await screenshot(page, "help-home-en-dark");
      await page.fill(tid("help-search"), "password");
      await waitForValue(page, () => document.querySelectorAll("[data-testid=help-result]").length > 0, null, true, "results");
      await page.keyboard.press("ArrowDown");
      await screenshot(page, "help-search-en-dark");
      await page.keyboard.press("Escape");

      await page.setViewportSize({ width: 760, height: 520 });
      await noOverflow(page, "Help home");
      await screenshot(page, "help-home-en-dark-min-size");
      await page.evaluate(() => (location.hash = "#/help/category/account-security"));
      await waitText(page, tid("help-category-title"), "Account & Security (fixture)");
      await noOverflow(page, "topic");
      await screenshot(page, "help-category-en-dark-min-size");
      await page.evaluate(() => (location.hash = "#/help/article/forgot-password"));
      await waitText(page, tid("help-article-title"), "I forgot my password. How do I reset it?");
      await noOverflow(page, "article");
      await screenshot(page, "help-article-en-dark-min-size");
    });
  });
});

describe("legal", () => {
  it("terms and privacy say where the full text is and open it in the browser", async () => {
    await withApp({ hash: "#/help/article/contact-support" }, async ({ page }) => {
      await waitText(page, tid("help-article-title"), "How do I contact XWMS support?");
      await page.click(`${tid("help-link")}[data-target="/terms"]`);
      await waitText(page, tid("legal-title"), "Terms and conditions");
      await assertHelpCurrent(page);
      assert.equal(await page.title(), "Terms and conditions · XWMS Desktop");
      await page.click(tid("legal-open"));
      await screenshot(page, "legal-terms-en-light");
      await page.evaluate(() => (location.hash = "#/privacy"));
      await waitText(page, tid("legal-title"), "Privacy statement");
      await page.click(tid("legal-open"));
      await page.waitForFunction(() => window.__TEST_IPC__.calls.filter((c) => c.cmd === "open_external").length === 2);
      const opened = (await ipcCalls(page)).filter((c) => c.cmd === "open_external").map((c) => c.args.url);
      assert.deepEqual(opened, ["https://xwms.nl/terms", "https://xwms.nl/privacy"]);
      await page.click(tid("legal-back"));
      await waitText(page, h1, "Help");
    });
  });
});
