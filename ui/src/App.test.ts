import { emit } from "@tauri-apps/api/event";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import App from "./App.svelte";
import { account } from "$lib/stores/account.svelte";
import { goTo, mockBackend, offline, online, PROFILE, refusal, resetStores, SETTINGS } from "./test/fixtures";

beforeEach(async () => {
  resetStores();
  await goTo("");
});

const h1 = () => screen.getByRole("heading", { level: 1 }).textContent;

describe("App", () => {
  it("starts on Help in the saved language and theme, and follows connection-changed", async () => {
    const calls = mockBackend({
      get_settings: () => ({ ...SETTINGS, language: "fr", theme: "dark" }),
      connection_state: () => offline(),
    });
    render(App);
    await waitFor(() => expect(h1()).toBe("Aide"));
    expect(window.location.hash).toBe("#/help");
    expect(document.documentElement.lang).toBe("fr");
    expect(document.documentElement.dataset.theme).toBe("dark");
    const status = screen.getByTestId("connection-status");
    await waitFor(() => expect(status.dataset.status).toBe("offline"));
    expect(status.textContent?.trim()).toBe("Hors ligne");

    await emit("connection-changed", online());
    await waitFor(() => expect(status.dataset.status).toBe("online"));
    expect(status.textContent?.trim()).toBe("En ligne");
    expect(screen.getByTestId("server-name").textContent).toBe("XWMS");

    const cmds = calls.map((c) => c.cmd);
    expect(cmds).toContain("get_settings");
    expect(cmds).toContain("connection_state");
    expect(cmds).not.toContain("check_connection");
  });

  it("an event that arrives before the first answer is not overwritten by it", async () => {
    let answer: ((v: unknown) => void) | undefined;
    mockBackend({ connection_state: () => new Promise((ok) => (answer = ok)) });
    render(App);
    // connection_state is asked only after the listener is in place.
    await waitFor(() => expect(answer).toBeDefined());
    await emit("connection-changed", online({ checked_at: "2026-11-25T09:00:00Z" }));
    answer?.(offline({ checked_at: "2026-11-25T08:00:00Z" }));
    await new Promise((ok) => setTimeout(ok, 10));
    expect(screen.getByTestId("connection-status").dataset.status).toBe("online");
  });

  it("navigates with the sidebar and marks the current item", async () => {
    mockBackend();
    render(App);
    const nav = screen.getByRole("navigation", { name: "Main navigation" });
    const labels = [...nav.querySelectorAll("a")].map((a) => a.textContent?.trim());
    expect(labels).toEqual(["Help", "Account", "Security", "Sessions", "API credentials", "Support", "Settings"]);
    for (const [id, title] of [
      ["nav-support", "Support"],
      ["nav-settings", "Settings"],
      ["nav-help", "Help"],
    ]) {
      const link = screen.getByTestId(id as string);
      window.location.hash = link.getAttribute("href") as string;
      await waitFor(() => expect(h1()).toBe(title));
      expect(link.getAttribute("aria-current")).toBe("page");
      expect(nav.querySelectorAll("[aria-current]")).toHaveLength(1);
    }
  });

  it("maps XWMS route names and sends unknown routes to Help", async () => {
    mockBackend();
    render(App);
    for (const [hash, title] of [
      // Contact starts a conversation: signed out, Support says that needs an account.
      ["#/contact", "Support"],
      ["#/login", "Sign in"],
      ["#/signup", "Create your XWMS account"],
      ["#/sign", "Sign in"],
      ["#/recover", "Recover your account"],
      ["#/forgot-password", "Forgot your password?"],
      ["#/unlock", "Your account is locked for now"],
      ["#/terms", "Terms and conditions"],
      ["#/privacy", "Privacy statement"],
      ["#/account/sessions", "Sign in"],
      ["#/account/api-credentials", "Sign in"],
      ["#/whatever", "Help"],
    ]) {
      window.location.hash = hash as string;
      await waitFor(() => expect(h1()).toBe(title));
    }
    await waitFor(() => expect(window.location.hash).toBe("#/help"));
  });

  it("offers Agent only to support staff", async () => {
    mockBackend();
    await goTo("#/agent");
    const { unmount } = render(App);
    await waitFor(() => expect(h1()).toBe("Help"));
    expect(screen.queryByTestId("nav-agent")).toBeNull();
    unmount();

    await goTo("#/agent");
    render(App, { props: { isAgent: true } });
    await waitFor(() => expect(h1()).toBe("Agent"));
    expect(screen.getByTestId("nav-agent").getAttribute("aria-current")).toBe("page");
  });

  it("offers Agent when the restored account is support staff, and not to others", async () => {
    mockBackend({ restore_session: () => ({ ...PROFILE, is_agent: true }) });
    await goTo("#/agent");
    const { unmount } = render(App);
    // The session is restored before deciding: no detour through Help.
    await waitFor(() => expect(h1()).toBe("Agent"));
    expect(window.location.hash).toBe("#/agent");
    unmount();

    resetStores();
    mockBackend({ restore_session: () => PROFILE });
    await goTo("#/help");
    render(App);
    await waitFor(() => expect(screen.getByTestId("sidebar-name").textContent).toBe("Anna de Vries"));
    expect(screen.queryByTestId("nav-agent")).toBeNull();
  });

  it("restores the session at start and shows the person, with sign-out", async () => {
    const calls = mockBackend({ restore_session: () => PROFILE, sign_out: () => null });
    await goTo("#/account");
    render(App);
    await waitFor(() => expect(h1()).toBe("Account"));
    expect((screen.getByTestId("profile-name") as HTMLInputElement).value).toBe("Anna de Vries");
    expect(screen.getByTestId("sidebar-email").textContent).toBe("anna@example.com");
    await fireEvent.click(screen.getByTestId("sidebar-sign-out"));
    await waitFor(() => expect(h1()).toBe("Sign in"));
    expect(screen.getByTestId("auth-notice").textContent?.trim()).toBe("You have signed out.");
    expect(screen.getByTestId("sidebar-sign-in")).toBeTruthy();
    expect(calls.filter((c) => c.cmd === "sign_out")).toHaveLength(1);
  });

  it("sends a signed-out person from Account to sign-in, and back after signing in", async () => {
    mockBackend({ sign_in: () => ({ result: "signed_in", account: PROFILE }) });
    await goTo("#/account");
    render(App);
    await waitFor(() => expect(h1()).toBe("Sign in"));
    expect(window.location.hash).toBe("#/sign");
    await fireEvent.input(screen.getByTestId("signin-email"), { target: { value: "anna@example.com" } });
    await fireEvent.click(screen.getByTestId("signin-next"));
    await fireEvent.input(await screen.findByTestId("signin-password"), { target: { value: "Tulip-Harbour-42" } });
    await fireEvent.click(screen.getByTestId("signin-submit"));
    await waitFor(() => expect(h1()).toBe("Account"));
    expect(window.location.hash).toBe("#/account");
  });

  it.each([
    ["auth.session_revoked", "You were signed out on another device. Please sign in again."],
    ["auth.session_expired", "Your session expired. Please sign in again."],
    ["auth.something_new", "You were signed out. Please sign in again."],
  ])("session-ended (%s) goes to sign-in with a clear banner", async (code, text) => {
    mockBackend({ restore_session: () => PROFILE });
    await goTo("#/security");
    render(App);
    await waitFor(() => expect(h1()).toBe("Security"));
    await emit("session-ended", { reason: { code, message: "refresh token reused", data: null } });
    await waitFor(() => expect(h1()).toBe("Sign in"));
    const banner = screen.getByTestId("session-banner");
    expect(banner.textContent?.trim()).toBe(text);
    expect(banner.getAttribute("role")).toBe("alert");
    expect(document.body.textContent).not.toContain("refresh token reused");
    expect(account.status).toBe("signed_out");
    expect(screen.queryByTestId("sidebar-name")).toBeNull();
  });

  it("says so when the session could not be restored, and tries again on request", async () => {
    let fail = true;
    mockBackend({ restore_session: () => (fail ? refusal("keychain.unavailable")() : PROFILE) });
    await goTo("#/sign");
    render(App);
    await waitFor(() =>
      expect(screen.getByTestId("session-banner").textContent).toContain(
        "Your previous session could not be restored: The system keychain is not available, so XWMS Desktop cannot keep you signed in.",
      ),
    );
    fail = false;
    await fireEvent.click(screen.getByTestId("session-retry"));
    await waitFor(() => expect(screen.getByTestId("sidebar-name").textContent).toBe("Anna de Vries"));
    expect(screen.queryByTestId("session-banner")).toBeNull();
  });

  it("offline at start, restores the session once the server answers, and goes back", async () => {
    let online_ = false;
    const calls = mockBackend({
      connection_state: () => offline(),
      restore_session: () => (online_ ? PROFILE : refusal("network.offline")()),
    });
    await goTo("#/account");
    render(App);
    await waitFor(() => expect(h1()).toBe("Sign in"));
    expect(screen.getByTestId("session-banner").textContent).toContain("The XWMS server cannot be reached.");
    online_ = true;
    await emit("connection-changed", online());
    await waitFor(() => expect(h1()).toBe("Account"));
    expect(calls.filter((c) => c.cmd === "restore_session")).toHaveLength(2);
  });

  it("follows account-changed", async () => {
    mockBackend({ restore_session: () => PROFILE });
    await goTo("#/account");
    render(App);
    await waitFor(() => expect(screen.getByTestId("sidebar-name").textContent).toBe("Anna de Vries"));
    await emit("account-changed", { ...PROFILE, name: "Anna Jansen" });
    await waitFor(() => expect(screen.getByTestId("sidebar-name").textContent).toBe("Anna Jansen"));
    expect((screen.getByTestId("profile-name") as HTMLInputElement).value).toBe("Anna Jansen");
    await emit("account-changed", null);
    await waitFor(() => expect(h1()).toBe("Sign in"));
  });

  it("skip link focuses the main content", async () => {
    mockBackend();
    render(App);
    await fireEvent.click(screen.getByText("Skip to content"));
    expect(document.activeElement?.id).toBe("main-content");
  });
});
