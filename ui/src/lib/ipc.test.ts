import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { commands } from "./bindings";
import { ipc } from "./ipc";

afterEach(() => clearMocks());

describe("ipc wrapper", () => {
  it("offers every generated command, passing its arguments through under the Rust name", async () => {
    const seen: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return cmd === "help_dismiss_notice" ? undefined : [];
    });
    for (const name of Object.keys(commands)) expect(typeof ipc[name as keyof typeof commands]).toBe("function");
    await ipc.changePassword("Pw1", "Pw2", true);
    await ipc.helpCategory("fr", "account-security", null);
    expect(await ipc.helpDismissNotice()).toEqual({ status: "ok", data: null });
    expect(seen).toEqual([
      ["change_password", { currentPassword: "Pw1", newPassword: "Pw2", signOutOthers: true }],
      ["help_category", { lang: "fr", slug: "account-security", tag: null }],
      ["help_dismiss_notice", {}],
    ]);
  });

  it("turns a refused command that can fail into an error result", async () => {
    mockIPC(() => {
      throw { code: "help.not_found", message: "no such article" };
    });
    expect(await ipc.helpArticle("en", "nope")).toEqual({
      status: "error",
      error: { code: ipc.HELP_NOT_FOUND, message: "no such article" },
    });
  });

  it("delivers help-changed", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const { emit } = await import("@tauri-apps/api/event");
    const got: (string | null)[] = [];
    const stop = await ipc.onHelpChanged((s) => got.push(s.notice));
    await emit("help-changed", { version: 1, source: "bundled", synced_at: null, article_count: 3, pending_feedback: 0, notice: "cache_rebuilt" });
    stop();
    expect(got).toEqual(["cache_rebuilt"]);
  });

  it("keeps the error's data (field, wait, tries left) and drops anything else", async () => {
    mockIPC(() => {
      throw {
        code: "code.incorrect",
        message: "m",
        data: { field: "code", attempts_left: 3, retry_after_seconds: null, secret: "x" },
      };
    });
    expect(await ipc.verifyEmail("a@x.nl", "000000")).toEqual({
      status: "error",
      error: { code: "code.incorrect", message: "m", data: { field: "code", attempts_left: 3 } },
    });
  });

  it("delivers session-ended and account-changed", async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const { emit } = await import("@tauri-apps/api/event");
    const ended: string[] = [];
    const changed: (string | null)[] = [];
    const stop1 = await ipc.onSessionEnded((e) => ended.push(e.reason.code));
    const stop2 = await ipc.onAccountChanged((p) => changed.push(p ? p.email : null));
    await emit("session-ended", { reason: { code: "auth.session_revoked", message: "x" } });
    await emit("account-changed", { email: "a@x.nl" });
    await emit("account-changed", null);
    stop1();
    stop2();
    expect(ended).toEqual(["auth.session_revoked"]);
    expect(changed).toEqual(["a@x.nl", null]);
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
