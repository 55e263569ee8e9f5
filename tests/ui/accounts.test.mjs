// Browser tests of the account screens (issue 3), against the built UI in Chromium, with the
// Rust side played by the in-page XWMS stand-in of harness.mjs (accounts, mailed codes,
// lockout). Run `npm run build` first, then `npm run test:ui`.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ANNA,
  DEFAULT_SETTINGS,
  SCREENSHOTS,
  ipcCalls,
  browserSuite,
  openApp,
  screenshot,
  tid,
  waitAttr,
  waitForValue,
  waitText,
} from "./harness.mjs";

const withApp = browserSuite();

const h1 = "main h1";
const value = (page, id) => page.inputValue(tid(id));
const focused = (page) => page.evaluate(() => document.activeElement?.getAttribute("data-testid") ?? null);
const lastCode = (page, to, kind) => page.evaluate(([t, k]) => window.__TEST_IPC__.lastCode(t, k), [to, kind]);
const ruleStates = (page) =>
  page.$$eval("[data-testid=password-rules] li", (items) =>
    Object.fromEntries(items.map((li) => [li.dataset.testid?.replace("password-rule-", ""), li.dataset.state])),
  );
const noInternals = async (page) =>
  assert.ok(!(await page.textContent("body"))?.includes("internal detail"), "the Rust side's message is never shown");

async function signIn(page, email, password) {
  await waitText(page, h1, "Sign in");
  if (await page.locator(tid("signin-email")).count()) {
    await page.fill(tid("signin-email"), email);
    await page.click(tid("signin-next"));
  }
  await page.fill(tid("signin-password"), password);
  await page.click(tid("signin-submit"));
}

describe("sign-up to sign-out", () => {
  it("creates an account with live password feedback, verifies it, signs in, edits the profile and signs out", async () => {
    await withApp({ hash: "#/sign" }, async ({ page }) => {
      await waitText(page, h1, "Sign in");
      await screenshot(page, "account-sign-en-light");
      await page.click(tid("link-signup"));
      await waitText(page, h1, "Create your XWMS account");
      await page.fill(tid("signup-name"), "Bram Jansen");
      await page.fill(tid("signup-email"), "bram@example.com");

      // Live feedback, part by part, while typing.
      await page.focus(tid("signup-password"));
      await page.keyboard.type("bram");
      await waitAttr(page, tid("password-rule-has_lower"), "data-state", "met");
      assert.deepEqual(await ruleStates(page), {
        long_enough: "unmet",
        has_upper: "unmet",
        has_lower: "met",
        has_digit: "unmet",
        not_common: "met",
      });
      await page.keyboard.type("ble7");
      await waitAttr(page, tid("password-rule-has_digit"), "data-state", "met");
      assert.equal((await ruleStates(page)).long_enough, "met");
      assert.equal((await ruleStates(page)).has_upper, "unmet");
      await screenshot(page, "account-signup-rules-en-light");

      // A password that breaks the rule is not sent; the field says which part.
      await page.click(tid("signup-submit"));
      await waitText(page, tid("signup-password-error"), "The password needs an upper-case letter.");
      assert.equal(await focused(page), "signup-password");
      assert.ok(!(await ipcCalls(page)).some((c) => c.cmd === "sign_up"));

      // Show/hide, and paste is welcome.
      await page.click(tid("signup-password-toggle"));
      assert.equal(await page.getAttribute(tid("signup-password"), "type"), "text");
      await page.click(tid("signup-password-toggle"));
      assert.equal(await page.getAttribute(tid("signup-password"), "type"), "password");
      await page.fill(tid("signup-password"), "Bramble-77");
      await waitAttr(page, tid("password-rules"), "data-complete", "true");
      await page.click(tid("signup-submit"));

      // Verify email: code entry, countdown, expiry.
      await waitText(page, h1, "Verify your email address");
      await waitText(page, tid("verify-lead"), "We sent a 6-digit code to bram@example.com. Enter it to activate your account.");
      assert.equal(await focused(page), "code-input");
      assert.equal(await page.getAttribute(tid("code-input"), "inputmode"), "numeric");
      assert.equal(await page.getAttribute(tid("code-input"), "autocomplete"), "one-time-code");
      const first = Number(await page.getAttribute(tid("resend-countdown"), "data-seconds"));
      assert.ok(first >= 45 && first <= 46, `countdown starts at 46 s, saw ${first}`);
      assert.equal(await page.isDisabled(tid("resend-button")), true);
      await page.waitForTimeout(1300);
      const later = Number(await page.getAttribute(tid("resend-countdown"), "data-seconds"));
      assert.ok(later < first, "the countdown runs");
      assert.match((await page.textContent(tid("code-expiry"))) ?? "", /valid for 5 minutes, until/);
      await screenshot(page, "account-verify-en-light");

      // A wrong code: said at the field with the tries left, and kept.
      await page.fill(tid("code-input"), "000000");
      await page.click(tid("verify-submit"));
      await waitText(page, tid("code-error"), "Incorrect code. 4 attempts left.");
      assert.equal(await value(page, "code-input"), "000000");
      assert.equal(await page.getAttribute(tid("code-input"), "aria-invalid"), "true");
      await noInternals(page);

      // The mailed code, pasted with a space, is cleaned to its digits.
      const code = await lastCode(page, "bram@example.com", "verify");
      assert.match(code, /^\d{6}$/);
      await page.fill(tid("code-input"), `${code.slice(0, 3)} ${code.slice(3)}`);
      assert.equal(await value(page, "code-input"), code);
      await page.click(tid("verify-submit"));

      // Back at sign-in with a success message, the address already known.
      await waitText(page, h1, "Sign in");
      await waitText(page, tid("auth-notice"), "Your email address is verified. Sign in to start using your account.");
      await waitText(page, tid("signin-as"), "bram@example.com");
      assert.equal(await focused(page), "signin-password");
      await screenshot(page, "account-sign-verified-en-light");
      await page.fill(tid("signin-password"), "Bramble-77");
      await page.click(tid("signin-submit"));

      // Signed in: Account → Profile.
      await waitText(page, h1, "Account");
      await waitText(page, tid("sidebar-name"), "Bram Jansen");
      await waitText(page, tid("sidebar-email"), "bram@example.com");
      await waitText(page, tid("profile-email"), "bram@example.com");
      assert.equal(await value(page, "profile-name"), "Bram Jansen");

      // A reserved username: the message points to support; nothing typed is lost.
      await page.fill(tid("profile-name"), "Bram J. Jansen");
      await page.fill(tid("profile-username"), "admin");
      await page.click(tid("profile-save"));
      await waitText(
        page,
        tid("profile-username-error"),
        "This username is reserved. Please contact support for the available options. Contact support",
      );
      assert.equal(await page.getAttribute(tid("profile-contact-support"), "href"), "#/support/new?topic=question");
      assert.equal(await value(page, "profile-name"), "Bram J. Jansen");
      assert.equal(await value(page, "profile-username"), "admin");
      assert.equal(await focused(page), "profile-username");
      await screenshot(page, "account-profile-error-en-light");

      await page.fill(tid("profile-username"), "bramj");
      await page.click(tid("profile-save"));
      await waitText(page, tid("profile-saved"), "Saved");
      await waitText(page, tid("sidebar-name"), "Bram J. Jansen");
      const saved = await page.evaluate(() => window.__TEST_IPC__.account("bram@example.com"));
      assert.equal(saved.name, "Bram J. Jansen");
      assert.equal(saved.username, "bramj");
      await screenshot(page, "account-profile-en-light");

      // Sign out.
      await page.click(tid("sign-out"));
      await waitText(page, h1, "Sign in");
      await waitText(page, tid("auth-notice"), "You have signed out.");
      await waitText(page, tid("sidebar-sign-in"), "Sign in");
      assert.ok((await ipcCalls(page)).some((c) => c.cmd === "sign_out"));

      // Account now sends to sign-in, and back after signing in.
      await page.click(tid("nav-account"));
      await waitText(page, h1, "Sign in");
      await signIn(page, "bram@example.com", "Bramble-77");
      await waitText(page, h1, "Account");
    });
  });
});

describe("lockout", () => {
  it("slows down, locks after repeated wrong passwords, and the mailbox owner unlocks at once", async () => {
    await withApp({ hash: "#/login" }, async ({ page }) => {
      await waitText(page, h1, "Sign in");
      await page.fill(tid("signin-email"), ANNA.profile.email);
      await page.click(tid("signin-next"));
      for (let i = 1; i <= 3; i++) {
        await page.fill(tid("signin-password"), `Wrong-${i}`);
        await page.click(tid("signin-submit"));
        await waitText(page, tid("signin-password-error"), "The email address or password is incorrect.");
        assert.equal(await value(page, "signin-password"), `Wrong-${i}`, "the typed password stays");
      }
      await page.fill(tid("signin-password"), "Wrong-4");
      await page.click(tid("signin-submit"));
      await waitForValue(
        page,
        () => document.querySelector("[data-testid=signin-error]")?.textContent?.includes("Too many attempts") ?? false,
        null,
        true,
        "throttled",
      );
      assert.match((await page.textContent(tid("signin-error-retry"))) ?? "", /Try again in [1-3] s\./);
      await screenshot(page, "account-sign-throttled-en-light");
      await waitText(page, tid("signin-error-retry"), "You can try again now.", 6000);

      await page.fill(tid("signin-password"), "Wrong-5");
      await page.click(tid("signin-submit"));
      await waitText(page, h1, "Your account is locked for now");
      assert.equal(await page.evaluate(() => location.hash), "#/locked");
      assert.match((await page.textContent(tid("locked-explainer"))) ?? "", /anna@example\.com/);
      assert.equal(await focused(page), "code-input");
      await screenshot(page, "account-locked-en-light");

      // A resend right after the lock mail is refused with the wait, which counts down.
      await page.click(tid("resend-button"));
      await waitForValue(page, () => document.querySelector("[data-testid=resend-error]") !== null, null, true, "resend refused");
      const wait = Number(await page.getAttribute(tid("resend-countdown"), "data-seconds"));
      assert.ok(wait > 40 && wait <= 46, `wait from retry_after_seconds, saw ${wait}`);
      assert.equal(await page.isDisabled(tid("resend-button")), true);

      await noInternals(page);

      // The code mailed with the lock unlocks at once.
      await page.fill(tid("code-input"), await lastCode(page, ANNA.profile.email, "unlock"));
      await page.click(tid("unlock-submit"));
      await waitText(page, h1, "Sign in");
      await waitText(page, tid("auth-notice"), "Your account is unlocked. You can sign in again.");
      await page.fill(tid("signin-password"), ANNA.password);
      await page.click(tid("signin-submit"));
      await waitText(page, h1, "Account");
      await waitText(page, tid("sidebar-name"), "Anna de Vries");
    });
  });
});

describe("forgot password", () => {
  it("mails a code, sets a new password under the rule, says old sessions were signed out, and the old password is refused", async () => {
    await withApp({ hash: "#/sign" }, async ({ page }) => {
      await page.fill(tid("signin-email"), ANNA.profile.email);
      await page.click(tid("signin-next"));
      await page.click(tid("link-forgot"));
      await waitText(page, h1, "Forgot your password?");
      assert.equal(await value(page, "forgot-email"), ANNA.profile.email, "the address comes along");
      await page.click(tid("forgot-submit"));

      await waitText(page, h1, "Choose a new password");
      assert.match((await page.textContent(tid("reset-lead"))) ?? "", /anna@example\.com/);
      assert.match((await page.textContent(tid("code-expiry"))) ?? "", /valid for 10 minutes/);
      assert.equal(await page.isDisabled(tid("resend-button")), true);

      const code = await lastCode(page, ANNA.profile.email, "reset");
      await page.fill(tid("code-input"), code);
      await page.fill(tid("reset-password"), "qwerty123");
      await waitAttr(page, tid("password-rule-not_common"), "data-state", "unmet");
      await page.click(tid("reset-submit"));
      await waitText(page, tid("reset-password-error"), "The password needs an upper-case letter.");
      await page.fill(tid("reset-password"), "Qwerty123");
      await waitAttr(page, tid("password-rule-has_upper"), "data-state", "met");
      assert.equal(await page.locator(tid("reset-password-error")).count(), 0, "editing the field clears its error");
      await screenshot(page, "account-reset-en-light");

      // A wrong code keeps the new password typed.
      await page.fill(tid("code-input"), code === "111111" ? "222222" : "111111");
      await page.fill(tid("reset-password"), "Harbour-Lights-8");
      await page.click(tid("reset-submit"));
      await waitText(page, tid("code-error"), "Incorrect code. 4 attempts left.");
      assert.equal(await value(page, "reset-password"), "Harbour-Lights-8");

      await page.fill(tid("code-input"), code);
      await page.click(tid("reset-submit"));
      await waitText(page, h1, "Sign in");
      await waitText(
        page,
        tid("auth-notice"),
        "Your password has been changed. For your safety, every device that was signed in has been signed out. Sign in with your new password.",
      );
      await page.fill(tid("signin-password"), ANNA.password);
      await page.click(tid("signin-submit"));
      await waitText(page, tid("signin-password-error"), "The email address or password is incorrect.");
      await page.fill(tid("signin-password"), "Harbour-Lights-8");
      await page.click(tid("signin-submit"));
      await waitText(page, h1, "Account");
    });
  });
});

describe("recover account", () => {
  it("guides to the reset path or to a recovery request, and says what happens next", async () => {
    await withApp({ hash: "#/sign" }, async ({ page }) => {
      await page.click(tid("auth-nav-recover"));
      await waitText(page, h1, "Recover your account");
      await screenshot(page, "account-recover-en-light");
      assert.equal(await page.getAttribute(tid("recover-choice-mailbox"), "href"), "#/forgot-password");
      assert.equal(await page.getAttribute(tid("recover-choice-follow"), "href"), "#/support/guest");
      await page.click(tid("recover-choice-lost"));
      await waitText(page, h1, "Ask support to recover your account");

      // Nothing filled: the first missing field says so.
      await page.click(tid("recovery-submit"));
      await waitText(page, tid("recovery-email-error"), "This field is required.");
      await page.fill(tid("recovery-email"), ANNA.profile.email);
      await page.fill(tid("recovery-name"), "Anna de Vries");
      await page.fill(tid("recovery-contact"), "anna.devries@elders.example");
      await page.click(tid("recovery-submit"));
      await waitText(page, tid("recovery-lost-error"), "Choose at least one.");
      await page.check(tid("recovery-lost-second_factor"));
      await page.check(tid("recovery-lost-email_access"));
      await page.click(tid("recovery-submit"));
      // The stand-in requires details; the error lands at the textarea, the rest is kept.
      await waitText(page, tid("recovery-details-error"), "This field is required.");
      assert.equal(await value(page, "recovery-contact"), "anna.devries@elders.example");
      assert.equal(await page.isChecked(tid("recovery-lost-email_access")), true);
      await page.fill(tid("recovery-details"), "Created in March 2024, last signed in from Utrecht on Monday.");
      await screenshot(page, "account-recovery-form-en-light");
      await page.click(tid("recovery-submit"));

      await waitText(page, h1, "Your request has been sent");
      await waitText(page, tid("recovery-reference"), "REC-7K2M9Q");
      const steps = await page.$$eval("[data-testid=recovery-next-steps] li", (li) => li.map((x) => x.textContent?.trim()));
      assert.deepEqual(steps, [
        "The support team replies to anna.devries@elders.example within 3 working days.",
        "They will never ask for your password or for a code we sent you.",
        "Keep your reference REC-7K2M9Q: with it and a code we mail you, you follow your case and reply to the support team here in the app.",
      ]);
      // The reference opens the guest case (support.test.mjs follows it further).
      assert.equal(await page.getAttribute(tid("recovery-follow-case"), "href"), "#/support/guest?reference=REC-7K2M9Q");
      const filed = await page.evaluate(() => window.__TEST_IPC__.recoveryRequests);
      assert.deepEqual(filed, [
        {
          email: "anna@example.com",
          name: "Anna de Vries",
          contact_email: "anna.devries@elders.example",
          lost: ["second_factor", "email_access"],
          details: "Created in March 2024, last signed in from Utrecht on Monday.",
        },
      ]);
      await screenshot(page, "account-recovery-filed-en-light");
    });
  });
});

describe("sessions", () => {
  it("restores the session at start; session-ended returns to sign-in with a clear banner, and back after", async () => {
    await withApp({ hash: "#/security", session: ANNA.profile.email }, async ({ page }) => {
      await waitText(page, h1, "Security");
      await waitText(page, tid("sidebar-name"), "Anna de Vries");
      await page.fill(tid("current-password"), "typed but not sent");
      await page.evaluate(() => window.__TEST_IPC__.endSession("auth.session_revoked"));
      await waitText(page, h1, "Sign in");
      await waitText(page, tid("session-banner"), "You were signed out on another device. Please sign in again.");
      assert.equal(await page.getAttribute(tid("session-banner"), "role"), "alert");
      assert.equal(await page.locator(tid("sidebar-name")).count(), 0);
      await noInternals(page);
      await screenshot(page, "account-session-ended-en-light");
      await signIn(page, ANNA.profile.email, ANNA.password);
      await waitText(page, h1, "Security");

      await page.evaluate(() => window.__TEST_IPC__.endSession("auth.session_expired"));
      await waitText(page, tid("session-banner"), "Your session expired. Please sign in again.");
    });
  });

  it("asks for the second step when the account has one", async () => {
    const withTotp = { ...ANNA, methods: ["totp", "recovery_code"] };
    await withApp({ hash: "#/sign", accounts: [withTotp] }, async ({ page }) => {
      await signIn(page, ANNA.profile.email, ANNA.password);
      await waitText(page, h1, "Two-step verification");
      await page.waitForSelector(tid("second-factor-use-recovery"));
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "second-factor-code");
      assert.equal(await page.locator(tid("sidebar-sign-in")).count(), 1, "not signed in");
      await screenshot(page, "account-second-factor-en-light");
    });
  });

  it("offers Agent only to support staff", async () => {
    const agent = { ...ANNA, profile: { ...ANNA.profile, is_agent: true } };
    await withApp({ hash: "#/agent", session: ANNA.profile.email, accounts: [agent] }, async ({ page }) => {
      await waitText(page, h1, "Agent");
      await waitText(page, tid("nav-agent"), "Agent");
    });
  });
});

describe("security", () => {
  it("changes the password (signing out other sessions) and the email address", async () => {
    await withApp({ hash: "#/security", session: ANNA.profile.email }, async ({ page }) => {
      await waitText(page, h1, "Security");
      assert.equal(await page.isChecked(tid("sign-out-others")), true, "on by default");

      await page.fill(tid("current-password"), "Not-my-password-1");
      await page.fill(tid("new-password"), "Lantern-Bridge-5");
      await page.click(tid("change-password-submit"));
      await waitText(page, tid("current-password-error"), "The password is incorrect.");
      assert.equal(await value(page, "new-password"), "Lantern-Bridge-5");
      assert.equal(await focused(page), "current-password");

      await page.fill(tid("current-password"), ANNA.password);
      await page.click(tid("change-password-submit"));
      await waitText(page, tid("password-changed"), "Your password has been changed. 2 other sessions were signed out.");
      assert.equal(await value(page, "current-password"), "", "cleared after success");
      assert.equal(await value(page, "new-password"), "");
      const call = (await ipcCalls(page)).filter((c) => c.cmd === "change_password").at(-1);
      assert.deepEqual(call?.args, { currentPassword: ANNA.password, newPassword: "Lantern-Bridge-5", signOutOthers: true });

      await page.fill(tid("new-email"), "anna@newmail.example");
      await page.fill(tid("email-password"), "Lantern-Bridge-5");
      await page.click(tid("change-email-submit"));
      await waitText(
        page,
        tid("email-code-sent"),
        "We sent a 6-digit code to anna@newmail.example. Enter it to confirm the new address.",
      );
      assert.match((await page.textContent(tid("email-code-expiry"))) ?? "", /valid for 10 minutes/);
      await screenshot(page, "account-security-en-light");
      await page.fill(tid("email-code-input"), await lastCode(page, "anna@newmail.example", "email"));
      await page.click(tid("email-code-submit"));
      await waitText(page, tid("email-changed"), "Your email address is now anna@newmail.example. We let your previous address know.");
      await waitText(page, tid("sidebar-email"), "anna@newmail.example");
    });
  });
});

describe("settings: time zone and region", () => {
  it("picks a time zone by searching, and dates across the app follow it", async () => {
    await withApp({ hash: "#/settings", session: ANNA.profile.email }, async ({ page }) => {
      await waitText(page, h1, "Settings");
      const amsterdam = await page.textContent(tid("last-checked"));
      await page.click(tid("timezone-input"));
      await page.keyboard.type("tokyo");
      await waitForValue(
        page,
        () => [...document.querySelectorAll("[data-testid=timezone-options] [role=option]")].map((o) => o.getAttribute("data-zone")).join(","),
        null,
        "Asia/Tokyo",
        "one match",
      );
      await screenshot(page, "account-settings-timezone-en-light");
      await page.keyboard.press("Enter");
      await waitText(page, tid("regional-saved"), "Saved");
      const saved = await page.evaluate(() => window.__TEST_IPC__.account("anna@example.com"));
      assert.equal(saved.timezone, "Asia/Tokyo");
      assert.equal(await page.inputValue(tid("timezone-input")), "Asia/Tokyo");
      await waitText(page, tid("timezone-offset"), "UTC+09:00");

      // "Last checked" now shows Tokyo time (08:30:05 UTC is 17:30:05 there), in the account's region.
      const tokyo = await page.textContent(tid("last-checked"));
      const expected = await page.evaluate(() =>
        new Intl.DateTimeFormat("en-NL", { dateStyle: "medium", timeStyle: "medium", timeZone: "Asia/Tokyo" }).format(
          new Date("2026-11-25T08:30:05Z"),
        ),
      );
      assert.equal(tokyo?.trim(), expected);
      assert.notEqual(tokyo, amsterdam);
      assert.match(tokyo ?? "", /17:30:05/);

      // Keyboard: arrows and Enter; Escape leaves the choice as it was.
      await page.click(tid("timezone-input"));
      await page.keyboard.type("new york");
      await page.keyboard.press("Escape");
      assert.match(await page.inputValue(tid("timezone-input")), /Tokyo/);

      // Region names come localized.
      await page.selectOption(tid("region-select"), "BE");
      await waitText(page, tid("regional-saved"), "Saved");
      assert.equal((await page.evaluate(() => window.__TEST_IPC__.account("anna@example.com"))).region, "BE");
      await page.selectOption(tid("language-select"), "fr");
      await waitText(page, h1, "Paramètres");
      const regionLabel = await page.$eval(tid("region-select"), (s) => s.selectedOptions[0]?.textContent);
      assert.equal(regionLabel, "Belgique");
      // The language also goes to the account.
      await waitForValue(page, () => window.__TEST_IPC__.account("anna@example.com").language, null, "fr", "language saved");
      await page.click(tid("nav-account"));
      const created = await page.textContent(tid("profile-created"));
      const createdFr = await page.evaluate(() =>
        new Intl.DateTimeFormat("fr-BE", { dateStyle: "long", timeZone: "Asia/Tokyo" }).format(new Date("2024-03-14T09:15:00Z")),
      );
      assert.equal(created?.trim(), createdFr);
      await screenshot(page, "account-profile-fr-light");
    });
  });

  it("asks to sign in for the time zone and region when signed out", async () => {
    await withApp({ hash: "#/settings" }, async ({ page }) => {
      await waitText(page, h1, "Settings");
      await waitText(page, tid("regional-settings") + " .signed-out", "Sign in to choose the time zone and region of your account. Sign in");
      await page.click(tid("regional-sign-in"));
      await signIn(page, ANNA.profile.email, ANNA.password);
      await waitText(page, h1, "Settings");
      await waitForValue(page, () => !!document.querySelector("[data-testid=timezone-input]"), null, true, "picker shown");
    });
  });
});

describe("keyboard", () => {
  it("signs in with the keyboard only", async () => {
    await withApp({ hash: "#/sign" }, async ({ page }) => {
      await waitText(page, h1, "Sign in");
      await page.focus(tid("signin-email"));
      await page.keyboard.type(ANNA.profile.email);
      await page.keyboard.press("Enter");
      await waitForValue(page, () => document.activeElement?.getAttribute("data-testid"), null, "signin-password", "focus on password");
      await page.keyboard.type(ANNA.password);
      await page.keyboard.press("Enter");
      await waitText(page, h1, "Account");
    });
  });
});

describe("languages and themes", () => {
  it("shows the account screens in Dutch", async () => {
    await withApp({ settings: { ...DEFAULT_SETTINGS, language: "nl" }, hash: "#/sign" }, async ({ page }) => {
      await waitText(page, h1, "Inloggen");
      await waitText(page, tid("signin-next"), "Volgende");
      await waitText(page, tid("auth-nav-recover"), "Account herstellen");
      await page.click(tid("signin-next"));
      await waitText(page, tid("signin-email-error"), "Dit veld is verplicht.");
      await screenshot(page, "account-sign-nl-light");
      await page.click(tid("auth-nav-signup"));
      await waitText(page, h1, "Maak uw XWMS-account aan");
      await page.fill(tid("signup-password"), "abc");
      await waitAttr(page, tid("password-rule-has_lower"), "data-state", "met");
      await waitText(page, tid("password-rule-long_enough"), "Nog nodig: Minstens 8 tekens");
      await screenshot(page, "account-signup-nl-light");
      await page.click(tid("auth-nav-recover"));
      await waitText(page, h1, "Uw account herstellen");
      await page.click(tid("recover-choice-lost"));
      await waitText(page, h1, "Vraag support om uw account te herstellen");
      await screenshot(page, "account-recovery-form-nl-light");
      await page.evaluate(() => (location.hash = "#/locked"));
      await waitText(page, h1, "Uw account is tijdelijk vergrendeld");
      await screenshot(page, "account-locked-nl-light");
    });
  });

  it("shows the account screens in French, in dark mode", async () => {
    await withApp(
      { settings: { ...DEFAULT_SETTINGS, language: "fr", theme: "dark" }, hash: "#/signup" },
      async ({ page }) => {
        await waitText(page, h1, "Créez votre compte XWMS");
        await page.fill(tid("signup-name"), "Chloé Martin");
        await page.fill(tid("signup-email"), "chloe@example.com");
        await page.fill(tid("signup-password"), "Chloe2024");
        await waitAttr(page, tid("password-rules"), "data-complete", "true");
        await screenshot(page, "account-signup-fr-dark");
        await page.click(tid("signup-submit"));
        await waitText(page, h1, "Vérifiez votre adresse e-mail");
        await waitForValue(
          page,
          () => /^Envoyer un nouveau code dans \d+ s$/.test(document.querySelector("[data-testid=resend-countdown]")?.textContent?.trim() ?? ""),
          null,
          true,
          "French countdown",
        );
        await page.fill(tid("code-input"), "000000");
        await page.click(tid("verify-submit"));
        await waitText(page, tid("code-error"), "Code incorrect. Encore 4 tentatives.");
        await screenshot(page, "account-verify-fr-dark");
        await page.evaluate(() => (location.hash = "#/recover"));
        await waitText(page, h1, "Récupérer votre compte");
        await screenshot(page, "account-recover-fr-dark");
      },
    );
  });

  it("shows the signed-in screens in Dutch and French, light and dark", async () => {
    await withApp(
      { settings: { ...DEFAULT_SETTINGS, language: "nl", theme: "dark" }, hash: "#/account", session: ANNA.profile.email },
      async ({ page }) => {
        await waitText(page, h1, "Account");
        await waitText(page, tid("sign-out"), "Uitloggen");
        await screenshot(page, "account-profile-nl-dark");
        await page.click(tid("nav-security"));
        await waitText(page, h1, "Beveiliging");
        await waitText(page, tid("change-password-submit"), "Wachtwoord wijzigen");
        await page.fill(tid("new-password"), "Kort1");
        await waitAttr(page, tid("password-rule-long_enough"), "data-state", "unmet");
        await screenshot(page, "account-security-nl-dark");
        await page.click(tid("nav-settings"));
        await waitText(page, h1, "Instellingen");
        await screenshot(page, "account-settings-nl-dark");
        await page.evaluate(() => window.__TEST_IPC__.endSession("auth.session_revoked"));
        await waitText(page, tid("session-banner"), "U bent op een ander apparaat uitgelogd. Log opnieuw in.");
        await screenshot(page, "account-session-ended-nl-dark");
      },
    );
    await withApp(
      { settings: { ...DEFAULT_SETTINGS, language: "fr" }, hash: "#/security", session: ANNA.profile.email },
      async ({ page }) => {
        await waitText(page, h1, "Sécurité");
        await waitText(page, tid("change-password-submit"), "Changer le mot de passe");
        await screenshot(page, "account-security-fr-light");
        await page.evaluate(() => window.__TEST_IPC__.endSession("auth.session_expired"));
        await waitText(page, tid("session-banner"), "Votre session a expiré. Veuillez vous reconnecter.");
        await screenshot(page, "account-session-ended-fr-light");
      },
    );
  });

  it("lays out the sign-in screens at the minimum window size", async () => {
    await withApp({ hash: "#/sign" }, async ({ page }) => {
      await page.setViewportSize({ width: 760, height: 520 });
      for (const hash of ["#/sign", "#/signup", "#/recovery-request"]) {
        await page.evaluate((h) => (location.hash = h), hash);
        await page.waitForTimeout(100);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.equal(overflow, 0, `no horizontal scrolling on ${hash}`);
      }
      await page.evaluate(() => (location.hash = "#/sign"));
      await waitText(page, h1, "Sign in");
      await screenshot(page, "account-sign-en-light-min-size");
    });
  });
});
