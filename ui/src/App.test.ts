import { emit } from "@tauri-apps/api/event";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import App from "./App.svelte";
import { mockBackend, offline, online, resetStores, SETTINGS } from "./test/fixtures";

beforeEach(() => {
  resetStores();
  window.location.hash = "";
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
    expect(labels).toEqual(["Help", "Account", "Security", "Sessions", "Support", "Settings"]);
    for (const [id, title] of [
      ["nav-sessions", "Sessions"],
      ["nav-settings", "Settings"],
      ["nav-account", "Account"],
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
      ["#/contact", "Support"],
      ["#/login", "Account"],
      ["#/signup", "Account"],
      ["#/sign", "Account"],
      ["#/terms", "Help"],
      ["#/privacy", "Help"],
      ["#/whatever", "Help"],
    ]) {
      window.location.hash = hash as string;
      await waitFor(() => expect(h1()).toBe(title));
    }
    await waitFor(() => expect(window.location.hash).toBe("#/help"));
  });

  it("offers Agent only to support staff", async () => {
    mockBackend();
    window.location.hash = "#/agent";
    const { unmount } = render(App);
    await waitFor(() => expect(h1()).toBe("Help"));
    expect(screen.queryByTestId("nav-agent")).toBeNull();
    unmount();

    window.location.hash = "#/agent";
    render(App, { props: { isAgent: true } });
    await waitFor(() => expect(h1()).toBe("Agent"));
    expect(screen.getByTestId("nav-agent").getAttribute("aria-current")).toBe("page");
  });

  it("skip link focuses the main content", async () => {
    mockBackend();
    render(App);
    await fireEvent.click(screen.getByText("Skip to content"));
    expect(document.activeElement?.id).toBe("main-content");
  });
});
