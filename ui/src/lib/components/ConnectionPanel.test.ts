import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import ConnectionPanel from "./ConnectionPanel.svelte";
import { setLanguage } from "$lib/i18n/index.svelte";
import { connection } from "$lib/stores/connection.svelte";
import { mockBackend, offline, online, resetStores } from "../../test/fixtures";

beforeEach(resetStores);

describe("ConnectionPanel", () => {
  it("shows the server's name, version and time zone when online", () => {
    connection.apply(online());
    render(ConnectionPanel);
    expect(screen.getByTestId("server-name").textContent).toBe("XWMS");
    expect(screen.getByTestId("server-version").textContent).toBe("1.4.2");
    expect(screen.getByTestId("server-timezone").textContent).toBe("Europe/Amsterdam");
    expect(screen.getByTestId("server-url").textContent).toBe("http://127.0.0.1:8787/");
    expect(screen.getByTestId("connection-message").textContent).toBe("Connected to XWMS.");
    expect(screen.getByTestId("connection-panel").dataset.status).toBe("online");
    expect(screen.queryByText("Last known server details")).toBeNull();
    const time = screen.getByTestId("last-checked").querySelector("time");
    expect(time?.getAttribute("datetime")).toBe("2026-11-25T08:30:05Z");
    expect(time?.textContent).toMatch(/2026/);
  });

  it("says calmly that it is offline and keeps the last known facts, greyed", async () => {
    connection.apply(online());
    render(ConnectionPanel);
    connection.apply(offline());
    await waitFor(() =>
      expect(screen.getByTestId("connection-message").textContent).toBe(
        "Offline — XWMS Desktop will reconnect automatically.",
      ),
    );
    expect(screen.getByTestId("server-name").textContent).toBe("XWMS");
    expect(screen.getByTestId("server-version").textContent).toBe("1.4.2");
    expect(screen.getByTestId("server-timezone").textContent).toBe("Europe/Amsterdam");
    expect(screen.getByTestId("server-name").closest(".fact")?.classList.contains("stale")).toBe(true);
    expect(screen.getByText("Last known server details")).toBeTruthy();
    expect(screen.getByText("Last attempt: The XWMS server cannot be reached.")).toBeTruthy();
    // Offline is a normal state, not an error: nothing is announced as an alert.
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("forgets the last known facts when the server address changes", () => {
    connection.apply(online());
    connection.apply(offline({ server_url: "https://other.example/" }));
    render(ConnectionPanel);
    expect(screen.queryByTestId("server-name")).toBeNull();
    expect(screen.getByText(/No server details yet/)).toBeTruthy();
  });

  it("shows Checking… before the first answer", () => {
    render(ConnectionPanel);
    expect(screen.getByTestId("connection-panel").dataset.status).toBe("unknown");
    expect(screen.getByTestId("last-checked").textContent?.trim()).toBe("Not yet");
  });

  it("Check now asks the Rust side and shows the answer", async () => {
    const calls = mockBackend({ check_connection: () => online() });
    connection.apply(offline());
    render(ConnectionPanel);
    expect(screen.queryByTestId("server-name")).toBeNull();
    await fireEvent.click(screen.getByTestId("check-now"));
    await waitFor(() => expect(screen.getByTestId("server-name").textContent).toBe("XWMS"));
    expect(calls.map((c) => c.cmd)).toEqual(["check_connection"]);
  });

  it("follows the language", async () => {
    connection.apply(offline());
    render(ConnectionPanel);
    setLanguage("fr");
    await waitFor(() =>
      expect(screen.getByTestId("connection-message").textContent).toBe(
        "Hors ligne — XWMS Desktop se reconnectera automatiquement.",
      ),
    );
    expect(screen.getByTestId("check-now").textContent?.trim()).toBe("Vérifier maintenant");
  });
});
