// The security center: the 2FA wizard, the checklist, sign-in alerts, the timeline.
import { emit } from "@tauri-apps/api/event";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import App from "../../App.svelte";
import SecurityScreen from "./SecurityScreen.svelte";
import { safeSvg } from "$lib/components/security/TwoFactorWizard.svelte";
import { setLanguage } from "$lib/i18n/index.svelte";
import { account } from "$lib/stores/account.svelte";
import { security } from "$lib/stores/security.svelte";
import { goTo, mockBackend, PROFILE, refusal, resetStores } from "../../test/fixtures";
import { ALERT, CODES, ENROLMENT, event, overview, QR_SVG } from "../../test/security-fixtures";

beforeEach(async () => {
  resetStores();
  security.reset();
  account.setProfile({ ...PROFILE });
  await goTo("#/security");
});

const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;
const text = (id: string) => screen.getByTestId(id).textContent?.replace(/\s+/g, " ").trim();
const page = (events = [event()], next_before: string | null = null) => ({ events, next_before });

describe("two-step verification wizard", () => {
  it("goes from password to app, QR and key, code, and recovery codes", async () => {
    let enabled = false;
    const calls = mockBackend({
      security_overview: () =>
        overview({ two_factor: enabled ? { enabled: true, enabled_at: "2026-11-25T09:31:00Z", recovery_codes_left: 10 } : { enabled: false, enabled_at: null, recovery_codes_left: 0 } }),
      security_events: () => page(),
      start_two_factor: (a) => (a.password === "Tulip-Harbour-42" ? ENROLMENT : refusal("auth.password_incorrect", { field: "password" })()),
      enable_two_factor: (a) => {
        if (a.code !== "287082") return refusal("two_factor.code_incorrect")();
        enabled = true;
        return CODES;
      },
      save_recovery_codes: () => "/home/anna/Downloads/xwms-recovery-codes-2026-11-25.txt",
    });
    render(SecurityScreen);
    await waitFor(() => expect(text("twofa-status")).toBe("Off"));
    await fireEvent.click(screen.getByTestId("security-2fa-enable"));
    await waitFor(() => expect(document.activeElement).toBe(input("twofa-password")));

    // Step 1: a wrong password stays, at its field.
    await fireEvent.input(input("twofa-password"), { target: { value: "wrong-one" } });
    await fireEvent.click(screen.getByTestId("twofa-start"));
    await waitFor(() => expect(text("twofa-password-error")).toBe("The password is incorrect."));
    expect(input("twofa-password").value).toBe("wrong-one");
    await fireEvent.input(input("twofa-password"), { target: { value: "Tulip-Harbour-42" } });
    await fireEvent.click(screen.getByTestId("twofa-start"));

    // Step 2: the app, its hint, the QR code as drawn, the key in groups.
    await waitFor(() => expect(screen.getByTestId("twofa-wizard").dataset.step).toBe("2"));
    const qr = screen.getByTestId("totp-qr");
    expect(qr.querySelector("svg")?.getAttribute("viewBox")).toBe("0 0 29 29");
    expect(qr.querySelector("svg path")?.getAttribute("d")).toBe("M4 4h7v7H4zM18 4h7v7h-7zM4 18h7v7H4z");
    expect(qr.getAttribute("role")).toBe("img");
    expect(screen.getByTestId("totp-key").dataset.key).toBe(ENROLMENT.secret);
    expect([...screen.getByTestId("totp-key").querySelectorAll(".group")].map((g) => g.textContent)).toEqual(ENROLMENT.secret_groups.split(" "));
    expect(text("twofa-app-hint")).toContain("Google Authenticator");
    await fireEvent.click(screen.getByTestId("twofa-app-iphone"));
    await waitFor(() => expect(text("twofa-app-hint")).toContain("Settings › Passwords"));
    await fireEvent.click(screen.getByTestId("twofa-next"));

    // Step 3: a wrong code stays, selected.
    await waitFor(() => expect(document.activeElement).toBe(input("twofa-code")));
    await fireEvent.input(input("twofa-code"), { target: { value: "111 111" } });
    await fireEvent.click(screen.getByTestId("twofa-confirm"));
    await waitFor(() => expect(screen.getByTestId("twofa-code-error").dataset.code).toBe("two_factor.code_incorrect"));
    expect(input("twofa-code").value).toBe("111111");
    expect(document.activeElement).toBe(input("twofa-code"));
    await fireEvent.input(input("twofa-code"), { target: { value: "287082" } });
    await fireEvent.click(screen.getByTestId("twofa-confirm"));

    // Step 4: the ten codes, once; save to file says where.
    await waitFor(() => expect(screen.getAllByTestId("recovery-code")).toHaveLength(10));
    expect(screen.getAllByTestId("recovery-code").map((c) => c.textContent)).toEqual(CODES.codes);
    await fireEvent.click(screen.getByTestId("recovery-save"));
    await waitFor(() => expect(text("recovery-saved")).toContain("/home/anna/Downloads/xwms-recovery-codes-2026-11-25.txt"));
    expect(calls.find((c) => c.cmd === "save_recovery_codes")?.args).toEqual({ codes: CODES.codes, generatedAt: CODES.generated_at });
    await fireEvent.click(screen.getByTestId("recovery-done"));
    await waitFor(() => expect(text("twofa-status")).toBe("On"));
    expect(screen.queryByTestId("recovery-codes")).toBeNull();
    expect(text("twofa-codes-left")).toBe("10 recovery codes left.");
    expect(screen.getByTestId("twofa-enabled")).toBeTruthy();
  });

  it("starts again from the password when the setup expired", async () => {
    mockBackend({
      security_overview: () => overview(),
      security_events: () => page(),
      start_two_factor: () => ENROLMENT,
      enable_two_factor: refusal("two_factor.setup_missing"),
    });
    render(SecurityScreen);
    await waitFor(() => screen.getByTestId("security-2fa-enable"));
    await fireEvent.click(screen.getByTestId("security-2fa-enable"));
    await fireEvent.input(input("twofa-password"), { target: { value: "Tulip-Harbour-42" } });
    await fireEvent.click(screen.getByTestId("twofa-start"));
    await waitFor(() => screen.getByTestId("twofa-next"));
    await fireEvent.click(screen.getByTestId("twofa-next"));
    await waitFor(() => screen.getByTestId("twofa-code"));
    await fireEvent.input(input("twofa-code"), { target: { value: "123456" } });
    await fireEvent.click(screen.getByTestId("twofa-confirm"));
    await waitFor(() => expect(screen.getByTestId("twofa-wizard").dataset.step).toBe("1"));
    expect(text("twofa-error")).toBe("The setup has expired. Please start again.");
  });

  it("turns off with password and code, keeping both on a wrong code", async () => {
    let on = true;
    const calls = mockBackend({
      security_overview: () => overview({ two_factor: on ? { enabled: true, enabled_at: "2026-10-01T08:00:00Z", recovery_codes_left: 2 } : { enabled: false, enabled_at: null, recovery_codes_left: 0 } }),
      security_events: () => page(),
      disable_two_factor: (a) => {
        if (a.code !== "654321") return refusal("two_factor.code_incorrect")();
        on = false;
        return null;
      },
    });
    render(SecurityScreen);
    await waitFor(() => expect(text("twofa-status")).toBe("On"));
    expect(screen.getByTestId("twofa-codes-low")).toBeTruthy();
    expect(screen.getByTestId("checklist-recovery_codes").dataset.state).toBe("todo");
    await fireEvent.click(screen.getByTestId("twofa-disable"));
    const dialog = await screen.findByTestId("disable-dialog");
    expect(dialog.getAttribute("role")).toBe("dialog");
    await fireEvent.input(within(dialog).getByTestId("confirm-password"), { target: { value: "Tulip-Harbour-42" } });
    await fireEvent.input(within(dialog).getByTestId("twofa-off-code"), { target: { value: "000000" } });
    await fireEvent.click(within(dialog).getByTestId("confirm-submit"));
    await waitFor(() => expect(screen.getByTestId("twofa-off-code-error").dataset.code).toBe("two_factor.code_incorrect"));
    expect(input("confirm-password").value).toBe("Tulip-Harbour-42");
    expect(input("twofa-off-code").value).toBe("000000");
    await fireEvent.input(input("twofa-off-code"), { target: { value: "654321" } });
    await fireEvent.click(screen.getByTestId("confirm-submit"));
    await waitFor(() => expect(text("twofa-status")).toBe("Off"));
    expect(screen.queryByTestId("disable-dialog")).toBeNull();
    expect(calls.filter((c) => c.cmd === "disable_two_factor").at(-1)?.args).toEqual({ password: "Tulip-Harbour-42", code: "654321" });
  });

  it("shows only plain SVG", () => {
    expect(safeSvg(QR_SVG)).toBe(QR_SVG);
    expect(safeSvg('<?xml version="1.0"?>\n' + QR_SVG)).toBe(QR_SVG);
    expect(safeSvg('<svg><script>alert(1)</script></svg>')).toBeNull();
    expect(safeSvg('<svg onload="x()"></svg>')).toBeNull();
    expect(safeSvg('<svg><a href="https://evil.example">x</a></svg>')).toBeNull();
    expect(safeSvg("<img src=x>")).toBeNull();
  });
});

describe("security checklist and timeline", () => {
  it("lists what is done and what to fix, and labels every event kind", async () => {
    const events = [
      event({ id: "e1", kind: "two_factor_enabled" }),
      event({ id: "e2", kind: "password_changed" }),
      // A kind from a newer server: the Rust side decodes it as `unknown`.
      event({ id: "e3", kind: "unknown" }),
    ];
    mockBackend({
      security_overview: () => overview({ email_verified: false, password_meets_rule: null, unrecognised_sessions: 1, active_sessions: 3 }),
      security_events: (a) => (a.before ? page([event({ id: "e4", kind: "account_created", at: "2024-03-14T09:15:00Z" })]) : page(events, "e3")),
    });
    render(SecurityScreen);
    await waitFor(() => expect(screen.getByTestId("checklist-email").dataset.state).toBe("todo"));
    expect(screen.getByTestId("checklist-password").dataset.state).toBe("unknown");
    expect(screen.getByTestId("checklist-two_factor").dataset.state).toBe("todo");
    expect(text("checklist-sessions")).toContain("1 sign-in you have not confirmed yet");
    expect(text("checklist-score")).toBe("0 of 3 done");
    await waitFor(() => expect(screen.getAllByTestId("timeline-event")).toHaveLength(3));
    expect(screen.getAllByTestId("timeline-label").map((l) => l.textContent)).toEqual([
      "Two-step verification turned on",
      "Password changed",
      "Account activity",
    ]);
    expect(screen.getAllByTestId("timeline-time")[0]?.textContent).toBe(
      new Intl.DateTimeFormat("en-NL", { dateStyle: "medium", timeStyle: "medium", timeZone: "Europe/Amsterdam" }).format(new Date(events[0]!.at)),
    );
    await fireEvent.click(screen.getByTestId("timeline-load-older"));
    await waitFor(() => expect(screen.getAllByTestId("timeline-event")).toHaveLength(4));
    expect(screen.getAllByTestId("timeline-event")[3]?.dataset.kind).toBe("account_created");
    expect(screen.queryByTestId("timeline-load-older")).toBeNull();
    // "Turn on" in the checklist opens the wizard.
    await fireEvent.click(screen.getByTestId("checklist-fix-two_factor"));
    await waitFor(() => expect(screen.getByTestId("twofa-wizard")).toBeTruthy());
  });

  it("speaks Dutch and French", async () => {
    mockBackend({ security_overview: () => overview(), security_events: () => page([event({ kind: "new_device" })]) });
    setLanguage("nl");
    render(SecurityScreen);
    await waitFor(() => expect(text("twofa-status")).toBe("Uit"));
    await waitFor(() => expect(screen.getAllByTestId("timeline-label")[0]?.textContent).toBe("Ingelogd vanaf een nieuw apparaat"));
    setLanguage("fr");
    await waitFor(() => expect(text("twofa-status")).toBe("Désactivée"));
  });
});

describe("new sign-in alerts", () => {
  it("shows the banner on any screen; This was me confirms it", async () => {
    const calls = mockBackend({
      restore_session: () => PROFILE,
      security_events: () => page([]),
      confirm_sign_in: () => ({ ...ALERT, alert_status: "confirmed" }),
    });
    await goTo("#/help");
    render(App);
    await waitFor(() => expect(account.status).toBe("signed_in"));
    await waitFor(() => expect(calls.some((c) => c.cmd === "security_events")).toBe(true));
    await emit("new-sign-in", ALERT);
    const banner = await screen.findByTestId("alert-banner");
    expect(within(banner).getByTestId("alert-text").textContent).toContain("Firefox · Windows signed in");
    expect(within(banner).getByTestId("alert-text").textContent).toContain("203.0.113.50");
    await fireEvent.click(within(banner).getByTestId("alert-this-was-me"));
    await waitFor(() => expect(screen.queryByTestId("alert-banner")).toBeNull());
    expect(calls.find((c) => c.cmd === "confirm_sign_in")?.args).toEqual({ eventId: "evt_alert" });
  });

  it("Not me removes that session and opens the password form", async () => {
    const calls = mockBackend({
      restore_session: () => PROFILE,
      security_overview: () => overview({ unrecognised_sessions: 1 }),
      security_events: () => page([ALERT]),
      deny_sign_in: () => ({ ...ALERT, alert_status: "denied", session_active: false }),
    });
    await goTo("#/account");
    render(App);
    const banner = await screen.findByTestId("alert-banner");
    await fireEvent.click(within(banner).getByTestId("alert-not-me"));
    await waitFor(() => expect(window.location.hash).toBe("#/security"));
    await waitFor(() => expect(document.activeElement).toBe(input("current-password")));
    expect(screen.getByTestId("alert-denied")).toBeTruthy();
    expect(calls.find((c) => c.cmd === "deny_sign_in")?.args).toEqual({ eventId: "evt_alert" });
    expect(screen.queryByTestId("alert-banner")).toBeNull();
  });
});
