import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import * as ipc from "./ipc";

afterEach(() => clearMocks());

describe("ipc wrapper", () => {
  it("passes the command names and arguments the Rust side expects", async () => {
    const seen: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return cmd === "save_settings" ? (args as { settings: unknown }).settings : null;
    });
    const s = { server_url: "https://x.example/", language: "nl", theme: "dark" } as const;
    await ipc.getSettings();
    await ipc.saveSettings(s);
    await ipc.connectionState();
    await ipc.checkConnection();
    await ipc.openExternal("https://xwms.nl");
    expect(seen).toEqual([
      ["get_settings", {}],
      ["save_settings", { settings: s }],
      ["connection_state", {}],
      ["check_connection", {}],
      ["open_external", { url: "https://xwms.nl" }],
    ]);
  });

  it("turns a refused command into an error result with the code", async () => {
    mockIPC(() => {
      throw { code: "settings.invalid_url", message: "relative URL without a base" };
    });
    expect(await ipc.saveSettings({ server_url: "x", language: "en", theme: "light" })).toEqual({
      status: "error",
      error: { code: "settings.invalid_url", message: "relative URL without a base" },
    });
  });

  it("never throws, also for commands that cannot fail in Rust or a missing bridge", async () => {
    mockIPC(() => {
      throw new Error("bridge gone");
    });
    const r = await ipc.connectionState();
    expect(r).toEqual({ status: "error", error: { code: ipc.IPC_FAILURE, message: "bridge gone" } });
    clearMocks();
    delete (window as unknown as Record<string, unknown>).__TAURI_INTERNALS__;
    const missing = await ipc.getSettings();
    expect(missing.status).toBe("error");
  });

  it("delivers connection-changed events and stops on unsubscribe", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const { emit } = await import("@tauri-apps/api/event");
    const got: string[] = [];
    const stop = await ipc.onConnectionChanged((s) => got.push(s.status));
    await emit("connection-changed", { status: "online", server_url: "", server: null, checked_at: null, error: null });
    stop();
    await new Promise((ok) => setTimeout(ok, 0));
    await emit("connection-changed", { status: "offline", server_url: "", server: null, checked_at: null, error: null });
    expect(got).toEqual(["online"]);
  });
});
