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

  it("calls the account commands with the argument names Tauri expects (camelCase)", async () => {
    const seen: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      return null;
    });
    const request = { email: "a@x.nl", name: "A", contact_email: "b@y.nl", lost: ["password" as const], details: "d" };
    await ipc.checkPassword("Pw1");
    await ipc.signUp("Anna", "a@x.nl", "Pw1");
    await ipc.verifyEmail("a@x.nl", "123456");
    await ipc.resendVerification("a@x.nl");
    await ipc.signIn("a@x.nl", "Pw1");
    await ipc.unlockAccount("a@x.nl", "123456");
    await ipc.resendUnlock("a@x.nl");
    await ipc.forgotPassword("a@x.nl");
    await ipc.resetPassword("a@x.nl", "123456", "Pw2");
    await ipc.fileRecoveryRequest(request);
    await ipc.restoreSession();
    await ipc.currentAccount();
    await ipc.signOut();
    await ipc.updateProfile({ timezone: "Asia/Tokyo" });
    await ipc.changeEmail("n@x.nl", "Pw1");
    await ipc.confirmEmailChange("654321");
    await ipc.changePassword("Pw1", "Pw2", true);
    expect(seen).toEqual([
      ["check_password", { password: "Pw1" }],
      ["sign_up", { name: "Anna", email: "a@x.nl", password: "Pw1" }],
      ["verify_email", { email: "a@x.nl", code: "123456" }],
      ["resend_verification", { email: "a@x.nl" }],
      ["sign_in", { email: "a@x.nl", password: "Pw1" }],
      ["unlock_account", { email: "a@x.nl", code: "123456" }],
      ["resend_unlock", { email: "a@x.nl" }],
      ["forgot_password", { email: "a@x.nl" }],
      ["reset_password", { email: "a@x.nl", code: "123456", newPassword: "Pw2" }],
      ["file_recovery_request", { request }],
      ["restore_session", {}],
      ["current_account", {}],
      ["sign_out", {}],
      ["update_profile", { update: { timezone: "Asia/Tokyo" } }],
      ["change_email", { newEmail: "n@x.nl", password: "Pw1" }],
      ["confirm_email_change", { code: "654321" }],
      ["change_password", { currentPassword: "Pw1", newPassword: "Pw2", signOutOthers: true }],
    ]);
  });

  it("calls the help commands with the argument names Tauri expects", async () => {
    const seen: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      seen.push([cmd, args]);
      if (cmd === "help_article") throw { code: "help.not_found", message: "no such article" };
      return cmd === "help_dismiss_notice" ? undefined : [];
    });
    await ipc.helpStatus();
    expect(await ipc.helpDismissNotice()).toEqual({ status: "ok", data: null });
    await ipc.helpCategories("nl");
    await ipc.helpCategory("fr", "account-security", "mot de passe");
    await ipc.helpCategory("en", "account-security", null);
    await ipc.helpPopular("en", 8);
    expect(await ipc.helpArticle("en", "nope")).toEqual({
      status: "error",
      error: { code: ipc.HELP_NOT_FOUND, message: "no such article" },
    });
    await ipc.helpRelated("en", "forgot-password", 5);
    await ipc.helpSearch("nl", "wachtwoord", 8);
    await ipc.helpFeedback("en", "forgot-password", false);
    await ipc.helpSync();
    expect(seen).toEqual([
      ["help_status", {}],
      ["help_dismiss_notice", {}],
      ["help_categories", { lang: "nl" }],
      ["help_category", { lang: "fr", slug: "account-security", tag: "mot de passe" }],
      ["help_category", { lang: "en", slug: "account-security", tag: null }],
      ["help_popular", { lang: "en", limit: 8 }],
      ["help_article", { lang: "en", key: "nope" }],
      ["help_related", { lang: "en", key: "forgot-password", limit: 5 }],
      ["help_search", { lang: "nl", query: "wachtwoord", limit: 8 }],
      ["help_feedback", { lang: "en", key: "forgot-password", helpful: false }],
      ["help_sync", {}],
    ]);
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
