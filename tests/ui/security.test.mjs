// The security center in Chromium, under the app's CSP: turning on two-step verification
// (QR code and key, code, recovery codes), signing in with the second step, sessions, API
// credentials and the new-sign-in alert. Screenshots in light and dark.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ANNA, browserSuite, screenshot, tid, waitAttr, waitText } from "./harness.mjs";

const withApp = browserSuite();
const signedIn = { session: ANNA.profile.email, otherSessions: 3 };
const count = (page, sel) => page.locator(sel).count();

describe("security center", () => {
  it("turns on two-step verification, then signs in with a code", async () => {
    await withApp({ ...signedIn, hash: "#/account/security" }, async ({ page }) => {
      await page.waitForSelector(tid("security-checklist"));
      await waitText(page, tid("twofa-status"), "Off");
      await screenshot(page, "security-overview-en-light");
      await page.click(tid("security-2fa-enable"));
      await page.fill(tid("twofa-password"), "wrong");
      await page.click(tid("twofa-start"));
      await waitAttr(page, tid("twofa-password-error"), "data-code", "auth.password_incorrect");
      await page.fill(tid("twofa-password"), ANNA.password);
      await page.click(tid("twofa-start"));
      await page.waitForSelector(`${tid("totp-qr")} svg`);
      await page.click(tid("twofa-app-microsoft"));
      const box = await page.locator(tid("totp-qr")).boundingBox();
      assert.ok(box && box.width >= 200 && box.height >= 200, `QR code large enough: ${JSON.stringify(box)}`);
      assert.equal(await page.getAttribute(tid("totp-key"), "data-key"), "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
      await screenshot(page, "security-2fa-qr-en-light");
      await page.click(tid("twofa-next"));
      const code = await page.evaluate(() => window.__TEST_IPC__.totpCode);
      await page.fill(tid("twofa-code"), "000000");
      await page.click(tid("twofa-confirm"));
      await waitAttr(page, tid("twofa-code-error"), "data-code", "two_factor.code_incorrect");
      assert.equal(await page.inputValue(tid("twofa-code")), "000000");
      await page.fill(tid("twofa-code"), code);
      await page.click(tid("twofa-confirm"));
      await page.waitForSelector(tid("recovery-codes"));
      const codes = await page.locator(tid("recovery-code")).allTextContents();
      assert.equal(codes.length, 10);
      await page.click(tid("recovery-save"));
      await page.waitForSelector(tid("recovery-saved"));
      await screenshot(page, "security-2fa-codes-en-light");
      await page.click(tid("recovery-done"));
      await waitText(page, tid("twofa-status"), "On");
      await page.waitForSelector(`${tid("timeline-event")}[data-kind="two_factor_enabled"]`);

      // Sign out and back in: the second step, first a wrong code, then a recovery code.
      await page.click(tid("nav-account"));
      await page.click(tid("sign-out"));
      await page.waitForSelector(tid("signin-email"));
      await page.fill(tid("signin-email"), ANNA.profile.email);
      await page.click(tid("signin-next"));
      await page.fill(tid("signin-password"), ANNA.password);
      await page.click(tid("signin-submit"));
      await page.waitForSelector(tid("second-factor-code"));
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "second-factor-code");
      await page.fill(tid("second-factor-code"), "123456");
      await page.click(tid("second-factor-submit"));
      await waitAttr(page, tid("second-factor-code-error"), "data-code", "two_factor.code_incorrect");
      await screenshot(page, "second-factor-error-en-light");
      await page.click(tid("second-factor-use-recovery"));
      await page.fill(tid("second-factor-code"), codes[0].toUpperCase());
      await page.click(tid("second-factor-submit"));
      await page.waitForSelector(tid("profile-name"));
    });
  });

  it("lists sessions, removes one and all others, and shows the empty state (dark)", async () => {
    await withApp({ ...signedIn, hash: "#/account/sessions", colorScheme: "dark", settings: { server_url: "http://127.0.0.1:8787/", language: "en", theme: "dark" } }, async ({ page }) => {
      await page.waitForSelector(tid("sessions-list"));
      assert.equal(await count(page, tid("session-row")), 4);
      assert.equal(await page.getAttribute(`${tid("session-row")}:first-child`, "data-current"), "true");
      assert.equal(await count(page, `${tid("session-row")}[data-current="true"] ${tid("session-remove")}`), 0);
      await screenshot(page, "sessions-en-dark");
      await page.locator(tid("session-remove")).first().click();
      await page.waitForSelector(tid("remove-session-dialog"));
      await screenshot(page, "sessions-remove-dialog-en-dark");
      await page.click(tid("confirm-submit"));
      await waitText(page, tid("sessions-count"), "3 active sessions");
      await page.click(tid("sessions-remove-others"));
      await page.fill(tid("confirm-password"), ANNA.password);
      await page.click(tid("confirm-submit"));
      await page.waitForSelector(tid("sessions-empty"));
      await waitText(page, tid("sessions-done"), "2 other sessions were signed out.");
      await screenshot(page, "sessions-empty-en-dark");
    });
  });

  it("creates API credentials and shows the secret once", async () => {
    await withApp({ ...signedIn, hash: "#/account/api-credentials" }, async ({ page }) => {
      await page.waitForSelector(tid("api-empty"));
      await page.fill(tid("api-client-name"), "Invoice export");
      await page.click(tid("api-client-create"));
      await page.waitForSelector(tid("api-secret-value"));
      assert.match(await page.textContent(tid("api-secret-value")), /^xwms_cs_/);
      await screenshot(page, "api-credentials-secret-en-light");
      await page.click(tid("api-secret-done"));
      await page.fill(tid("api-client-name"), "invoice EXPORT");
      await page.click(tid("api-client-create"));
      await waitAttr(page, tid("api-client-name-error"), "data-code", "api_client.name_taken");
      assert.equal(await page.inputValue(tid("api-client-name")), "invoice EXPORT");
      await page.click(tid("api-client-toggle"));
      await waitAttr(page, tid("api-client-row"), "data-enabled", "false");
      await screenshot(page, "api-credentials-en-light");
    });
  });

  it("alerts on a new sign-in on any screen; Not me secures the account", async () => {
    await withApp({ ...signedIn, hash: "#/help", colorScheme: "dark", settings: { server_url: "http://127.0.0.1:8787/", language: "nl", theme: "dark" } }, async ({ page }) => {
      await page.waitForSelector(tid("sidebar-name"));
      await page.evaluate(() => window.__TEST_IPC__.newSignIn());
      await page.waitForSelector(tid("alert-banner"));
      await screenshot(page, "alert-banner-nl-dark");
      await page.click(tid("alert-not-me"));
      await page.waitForSelector(tid("alert-denied"));
      assert.equal(await page.evaluate(() => document.activeElement?.id), "current-password");
      const sessions = await page.evaluate(() => window.__TEST_IPC__.sessions().map((s) => s.id));
      assert.ok(!sessions.includes("ses_new"));
      assert.equal(await count(page, tid("alert-banner")), 0);
      await page.waitForSelector(`${tid("timeline-event")}[data-kind="new_device"][data-alert="denied"]`);
      await screenshot(page, "security-after-not-me-nl-dark");
    });
  });
});

describe("re-authentication", () => {
  it("asks for the password when the server wants it, then removes the session", async () => {
    await withApp({ ...signedIn, hash: "#/account/sessions", reauthRequired: true }, async ({ page }) => {
      await page.waitForSelector(tid("sessions-list"));
      assert.equal(await count(page, tid("session-row")), 4);
      await page.locator(tid("session-remove")).first().click();
      await page.waitForSelector(tid("remove-session-dialog"));
      await page.click(`${tid("remove-session-dialog")} ${tid("confirm-submit")}`);
      await page.waitForSelector(tid("reauth-dialog"));
      await waitText(page, `${tid("reauth-dialog")} h2`, "Confirm your password");
      await page.fill(`${tid("reauth-dialog")} ${tid("confirm-password")}`, "wrong");
      await page.click(`${tid("reauth-dialog")} ${tid("confirm-submit")}`);
      await waitAttr(page, tid("confirm-password-error"), "data-code", "auth.password_incorrect");
      await screenshot(page, "reauth-dialog-en-light");
      await page.fill(`${tid("reauth-dialog")} ${tid("confirm-password")}`, ANNA.password);
      await page.click(`${tid("reauth-dialog")} ${tid("confirm-submit")}`);
      await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 3, tid("session-row"));
      assert.equal(await count(page, tid("reauth-dialog")), 0);
      const calls = await page.evaluate(() => window.__TEST_IPC__.calls.map((c) => c.cmd));
      assert.equal(calls.filter((c) => c === "revoke_session").length, 2, "tried again once");
      assert.equal(calls.filter((c) => c === "reauthenticate").length, 2);
    });
  });
});
