// Sessions and API credentials.
import { emit } from "@tauri-apps/api/event";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import ApiCredentialsScreen from "./ApiCredentialsScreen.svelte";
import SessionsScreen from "./SessionsScreen.svelte";
import ReauthDialog from "$lib/components/ReauthDialog.svelte";
import { account } from "$lib/stores/account.svelte";
import { security } from "$lib/stores/security.svelte";
import { mockBackend, PROFILE, refusal, resetStores } from "../../test/fixtures";
import { apiClient, OTHER_SESSIONS, session } from "../../test/security-fixtures";

beforeEach(() => {
  resetStores();
  security.reset();
  account.setProfile({ ...PROFILE });
});

const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;
const text = (id: string) => screen.getByTestId(id).textContent?.replace(/\s+/g, " ").trim();
const rows = () => screen.queryAllByTestId("session-row");

describe("sessions", () => {
  it("lists this device first, without a remove button, and removes another after confirming", async () => {
    let list = [session(), ...OTHER_SESSIONS];
    const calls = mockBackend({
      list_sessions: () => ({ sessions: list }),
      revoke_session: (a) => {
        list = list.filter((s) => s.id !== a.id);
        return null;
      },
    });
    render(SessionsScreen);
    await waitFor(() => expect(rows()).toHaveLength(3));
    const [me, phone] = rows();
    expect(me?.dataset.current).toBe("true");
    expect(within(me!).getByTestId("session-this-device").textContent).toBe("This device");
    expect(within(me!).queryByTestId("session-remove")).toBeNull();
    expect(within(phone!).getByTestId("session-ip").textContent).toBe("198.51.100.4");
    expect(text("sessions-count")).toBe("3 active sessions");

    await fireEvent.click(within(phone!).getByTestId("session-remove"));
    const dialog = await screen.findByTestId("remove-session-dialog");
    expect(dialog.textContent).toContain("iPhone is signed out at once");
    // Cancel keeps it.
    await fireEvent.click(within(dialog).getByTestId("confirm-cancel"));
    expect(screen.queryByTestId("remove-session-dialog")).toBeNull();
    expect(calls.some((c) => c.cmd === "revoke_session")).toBe(false);

    await fireEvent.click(within(rows()[1]!).getByTestId("session-remove"));
    await fireEvent.click(within(await screen.findByTestId("remove-session-dialog")).getByTestId("confirm-submit"));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(calls.find((c) => c.cmd === "revoke_session")?.args).toEqual({ id: "ses_phone" });
    expect(text("sessions-done")).toBe("iPhone was signed out.");
  });

  it("removes every other session with the password, keeping it on a wrong one", async () => {
    let list = [session(), ...OTHER_SESSIONS];
    mockBackend({
      list_sessions: () => ({ sessions: list }),
      revoke_other_sessions: (a) => {
        if (a.password !== "Tulip-Harbour-42") return refusal("auth.password_incorrect", { field: "password" })();
        list = list.filter((s) => s.current);
        return { sessions_revoked: 2 };
      },
    });
    render(SessionsScreen);
    await waitFor(() => expect(rows()).toHaveLength(3));
    await fireEvent.click(screen.getByTestId("sessions-remove-others"));
    await waitFor(() => expect(document.activeElement).toBe(input("confirm-password")));
    await fireEvent.input(input("confirm-password"), { target: { value: "nope" } });
    await fireEvent.click(screen.getByTestId("confirm-submit"));
    await waitFor(() => expect(text("confirm-password-error")).toBe("The password is incorrect."));
    expect(input("confirm-password").value).toBe("nope");
    await fireEvent.input(input("confirm-password"), { target: { value: "Tulip-Harbour-42" } });
    await fireEvent.click(screen.getByTestId("confirm-submit"));
    await waitFor(() => expect(text("sessions-done")).toBe("2 other sessions were signed out."));
    expect(rows()).toHaveLength(1);
    expect(screen.getByTestId("sessions-empty")).toBeTruthy();
    expect(screen.queryByTestId("sessions-remove-others")).toBeNull();
  });

  it("refreshes when the security state changes elsewhere", async () => {
    let list = [session(), ...OTHER_SESSIONS];
    mockBackend({ list_sessions: () => ({ sessions: list }) });
    await security.start();
    render(SessionsScreen);
    await waitFor(() => expect(rows()).toHaveLength(3));
    list = [session()];
    await emit("security-changed", null);
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.getByTestId("sessions-empty")).toBeTruthy();
  });
});

describe("API credentials", () => {
  it("creates a client and shows its secret once; a taken name stays in the field", async () => {
    let clients = [apiClient()];
    mockBackend({
      list_api_clients: () => ({ clients }),
      create_api_client: (a) => {
        if (a.name === "Invoice export") return refusal("api_client.name_taken", { field: "name" })();
        const client = apiClient({ id: "cli_2", name: String(a.name), client_id: "xwms_ci_77aa" });
        clients = [client, ...clients];
        return { client, client_secret: "xwms_cs_s3cr3t" };
      },
    });
    render(ApiCredentialsScreen);
    await waitFor(() => expect(screen.getAllByTestId("api-client-row")).toHaveLength(1));
    await fireEvent.input(input("api-client-name"), { target: { value: "Invoice export" } });
    await fireEvent.click(screen.getByTestId("api-client-create"));
    await waitFor(() => expect(text("api-client-name-error")).toBe("You already have an API client with this name."));
    expect(input("api-client-name").value).toBe("Invoice export");
    expect(document.activeElement).toBe(input("api-client-name"));

    await fireEvent.input(input("api-client-name"), { target: { value: "Backup job" } });
    await fireEvent.click(screen.getByTestId("api-client-create"));
    await waitFor(() => expect(text("api-secret-value")).toBe("xwms_cs_s3cr3t"));
    expect(text("api-secret-once")).toContain("you won't see it again");
    expect(text("api-secret-client-id")).toBe("xwms_ci_77aa");
    expect(input("api-client-name").value).toBe("");
    expect(screen.getAllByTestId("api-client-row")).toHaveLength(2);
    await fireEvent.click(screen.getByTestId("api-secret-done"));
    expect(screen.queryByTestId("api-secret")).toBeNull();
    expect(document.body.textContent).not.toContain("xwms_cs_s3cr3t");
  });

  it("regenerates after confirming, disables, enables and deletes", async () => {
    let client = apiClient();
    const calls = mockBackend({
      list_api_clients: () => ({ clients: client ? [client] : [] }),
      regenerate_api_client_secret: () => ({ client, client_secret: "xwms_cs_new" }),
      update_api_client: (a) => (client = { ...client, enabled: Boolean((a.update as { enabled: boolean }).enabled) }),
      delete_api_client: () => {
        client = undefined as never;
        return null;
      },
    });
    render(ApiCredentialsScreen);
    await waitFor(() => screen.getByTestId("api-client-row"));
    await fireEvent.click(screen.getByTestId("api-client-regenerate"));
    const dialog = await screen.findByTestId("regenerate-secret-dialog");
    expect(dialog.textContent).toContain("stops working at once");
    await fireEvent.click(within(dialog).getByTestId("confirm-submit"));
    await waitFor(() => expect(text("api-secret-value")).toBe("xwms_cs_new"));

    await fireEvent.click(screen.getByTestId("api-client-toggle"));
    await waitFor(() => expect(screen.getByTestId("api-client-row").dataset.enabled).toBe("false"));
    expect(calls.find((c) => c.cmd === "update_api_client")?.args).toEqual({ id: "cli_1", update: { enabled: false } });
    expect(text("api-client-toggle")).toBe("Enable");
    await fireEvent.click(screen.getByTestId("api-client-toggle"));
    await waitFor(() => expect(screen.getByTestId("api-client-row").dataset.enabled).toBe("true"));

    await fireEvent.click(screen.getByTestId("api-client-delete"));
    await fireEvent.click(within(await screen.findByTestId("delete-client-dialog")).getByTestId("confirm-submit"));
    await waitFor(() => expect(screen.queryByTestId("api-client-row")).toBeNull());
    expect(text("api-done")).toBe("“Invoice export” was deleted.");
    expect(screen.queryByTestId("api-secret")).toBeNull();
  });
});

describe("re-authentication", () => {
  it("asks for the password on auth.reauth_required and removes the session after it", async () => {
    let list = [session(), ...OTHER_SESSIONS];
    let confirmedAt: string | null = null;
    const calls = mockBackend({
      list_sessions: () => ({ sessions: list }),
      revoke_session: (a) => {
        if (!confirmedAt) return refusal("auth.reauth_required")();
        list = list.filter((s) => s.id !== a.id);
        return null;
      },
      reauthenticate: (a) => {
        if (a.password !== "Tulip-Harbour-42") return refusal("auth.password_incorrect", { field: "password" })();
        confirmedAt = "2026-11-25T10:10:00Z";
        return { reauthenticated_until: confirmedAt };
      },
    });
    render(SessionsScreen);
    render(ReauthDialog);
    await waitFor(() => expect(rows()).toHaveLength(3));
    await fireEvent.click(within(rows()[1]!).getByTestId("session-remove"));
    await fireEvent.click(within(await screen.findByTestId("remove-session-dialog")).getByTestId("confirm-submit"));

    // The server wants the password: the dialog asks for it; a wrong one stays on the field.
    const dialog = await screen.findByTestId("reauth-dialog");
    expect(dialog.textContent).toContain("Confirm your password");
    const field = within(dialog).getByTestId("confirm-password") as HTMLInputElement;
    await fireEvent.input(field, { target: { value: "nope" } });
    await fireEvent.click(within(dialog).getByTestId("confirm-submit"));
    await waitFor(() => expect(within(dialog).getByTestId("confirm-password-error").textContent?.trim()).toBe("The password is incorrect."));
    expect(rows()).toHaveLength(3);

    // The right one: the removal is tried again, once, and done.
    await fireEvent.input(field, { target: { value: "Tulip-Harbour-42" } });
    await fireEvent.click(within(dialog).getByTestId("confirm-submit"));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(screen.queryByTestId("reauth-dialog")).toBeNull();
    expect(calls.filter((c) => c.cmd === "revoke_session")).toHaveLength(2);
    expect(calls.filter((c) => c.cmd === "reauthenticate").map((c) => c.args)).toEqual([
      { password: "nope" },
      { password: "Tulip-Harbour-42" },
    ]);
  });

  it("cancelled, the action is not retried and says why", async () => {
    const calls = mockBackend({
      list_api_clients: () => ({ clients: [apiClient()] }),
      delete_api_client: refusal("auth.reauth_required"),
    });
    render(ApiCredentialsScreen);
    render(ReauthDialog);
    await fireEvent.click(await screen.findByTestId("api-client-delete"));
    await fireEvent.click(within(await screen.findByTestId("delete-client-dialog")).getByTestId("confirm-submit"));
    const dialog = await screen.findByTestId("reauth-dialog");
    await fireEvent.click(within(dialog).getByTestId("confirm-cancel"));
    await waitFor(() => expect(screen.queryByTestId("reauth-dialog")).toBeNull());
    await waitFor(() => expect(document.body.textContent).toContain("Confirm your password to continue."));
    expect(calls.filter((c) => c.cmd === "delete_api_client")).toHaveLength(1);
    expect(calls.some((c) => c.cmd === "reauthenticate")).toBe(false);
  });
});
