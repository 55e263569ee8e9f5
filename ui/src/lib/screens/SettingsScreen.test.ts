import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import SettingsScreen from "./SettingsScreen.svelte";
import { settings } from "$lib/stores/settings.svelte";
import { resolvedTheme } from "$lib/theme.svelte";
import { account } from "$lib/stores/account.svelte";
import { mockBackend, PROFILE, resetStores, SETTINGS } from "../../test/fixtures";

beforeEach(resetStores);

function refuse(code: string) {
  return () => {
    throw { code, message: `internal detail: ${code}` };
  };
}

async function submitUrl(value: string) {
  const input = screen.getByTestId("server-url-input") as HTMLInputElement;
  await fireEvent.input(input, { target: { value } });
  await fireEvent.click(screen.getByTestId("server-url-save"));
  return input;
}

describe("server address", () => {
  it("shows the localized error under the field and keeps what was typed", async () => {
    mockBackend({ change_server: refuse("settings.unsupported_scheme") });
    render(SettingsScreen);
    const input = await submitUrl("ftp://files.example.com");
    const error = await screen.findByTestId("server-url-error");
    expect(error.textContent?.trim()).toBe("The address must start with http:// or https://.");
    expect(error.getAttribute("role")).toBe("alert");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-describedby")).toContain("server-url-error");
    expect(input.value).toBe("ftp://files.example.com");
    expect(settings.current.server_url).toBe(SETTINGS.server_url);
    expect(document.body.textContent).not.toContain("internal detail");
  });

  it.each([
    ["settings.invalid_url", "This is not a valid web address."],
    ["settings.url_has_credentials", "The address must not contain a user name or password."],
    ["settings.storage", "Your settings could not be saved. Please try again."],
    ["settings.server_unreachable", "The server at this address did not answer. Check the address and try again."],
    ["settings.not_xwms_server", "This address does not belong to an XWMS server."],
    ["something.unheard_of", "Something went wrong. Please try again."],
  ])("translates %s and never says Saved", async (code, text) => {
    mockBackend({ change_server: refuse(code) });
    render(SettingsScreen);
    await submitUrl("https://example.com");
    expect((await screen.findByTestId("server-url-error")).textContent?.trim()).toBe(text);
    expect(screen.getByTestId("server-url-saved").textContent).not.toContain("Saved");
    expect(settings.current.server_url).toBe(SETTINGS.server_url);
  });

  it("confirms a change and clears an earlier error", async () => {
    let fail = true;
    const calls = mockBackend({
      change_server: (args) => {
        if (fail) refuse("settings.invalid_url")();
        return { ...SETTINGS, server_url: `${args.serverUrl as string}/` };
      },
    });
    render(SettingsScreen);
    await submitUrl("nope");
    await screen.findByTestId("server-url-error");
    fail = false;
    const input = await submitUrl("https://accounts.example.com");
    await waitFor(() => expect(screen.getByTestId("server-url-saved").textContent).toContain("Saved"));
    expect(screen.queryByTestId("server-url-error")).toBeNull();
    expect(input.hasAttribute("aria-invalid")).toBe(false);
    expect(input.value).toBe("https://accounts.example.com/");
    expect(settings.current.server_url).toBe("https://accounts.example.com/");
    const changed = calls.filter((c) => c.cmd === "change_server").map((c) => c.args.serverUrl);
    expect(changed.at(-1)).toBe("https://accounts.example.com");
    expect(calls.some((c) => c.cmd === "save_settings")).toBe(false);
    // A new address is checked at once.
    await waitFor(() => expect(calls.some((c) => c.cmd === "check_connection")).toBe(true));
  });

  it("signed in, asks first: you will be signed out of the old server", async () => {
    account.setProfile({ ...PROFILE });
    const calls = mockBackend({
      change_server: (args) => ({ ...SETTINGS, server_url: `${args.serverUrl as string}/` }),
    });
    render(SettingsScreen);
    await submitUrl("https://other.example.com");
    const dialog = await screen.findByTestId("change-server-dialog");
    expect(dialog.textContent).toContain(`You will be signed out of ${SETTINGS.server_url}.`);
    // Cancel changes nothing.
    await fireEvent.click(within(dialog).getByTestId("confirm-cancel"));
    expect(screen.queryByTestId("change-server-dialog")).toBeNull();
    expect(calls.some((c) => c.cmd === "change_server")).toBe(false);
    // Confirmed: changed.
    await fireEvent.click(screen.getByTestId("server-url-save"));
    await fireEvent.click(within(await screen.findByTestId("change-server-dialog")).getByTestId("confirm-submit"));
    await waitFor(() => expect(settings.current.server_url).toBe("https://other.example.com/"));
    expect(calls.filter((c) => c.cmd === "change_server")).toHaveLength(1);
  });

  it("saving the same address asks nothing and changes nothing", async () => {
    account.setProfile({ ...PROFILE });
    const calls = mockBackend();
    render(SettingsScreen);
    await submitUrl("http://127.0.0.1:8787");
    expect(screen.queryByTestId("change-server-dialog")).toBeNull();
    expect(calls.some((c) => c.cmd === "change_server" || c.cmd === "save_settings")).toBe(false);
  });
});

describe("language and theme", () => {
  it("switches the language at once and saves it", async () => {
    const calls = mockBackend();
    render(SettingsScreen);
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Settings");

    await fireEvent.change(screen.getByTestId("language-select"), { target: { value: "nl" } });
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Instellingen"));
    expect(document.documentElement.lang).toBe("nl");
    expect(screen.getByTestId("server-url-save").textContent?.trim()).toBe("Opslaan");
    expect(screen.getByLabelText("Thema")).toBeTruthy();

    await fireEvent.change(screen.getByTestId("language-select"), { target: { value: "fr" } });
    await waitFor(() => expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Paramètres"));
    expect(document.documentElement.lang).toBe("fr");
    const options = [...(screen.getByTestId("theme-select") as HTMLSelectElement).options].map((o) => o.text);
    expect(options).toEqual(["Système", "Clair", "Sombre"]);
    const languages = [...(screen.getByTestId("language-select") as HTMLSelectElement).options].map((o) => o.text);
    expect(languages).toEqual(["Système", "English", "Nederlands", "Français"]);

    await waitFor(() =>
      expect(calls.filter((c) => c.cmd === "save_settings").map((c) => (c.args.settings as typeof SETTINGS).language)).toEqual([
        "nl",
        "fr",
      ]),
    );
    expect(settings.current.language).toBe("fr");
  });

  it("switches the theme at once and saves it", async () => {
    const calls = mockBackend();
    render(SettingsScreen);
    await fireEvent.change(screen.getByTestId("theme-select"), { target: { value: "dark" } });
    expect(resolvedTheme()).toBe("dark");
    expect(document.documentElement.dataset.theme).toBe("dark");
    await waitFor(() => expect(settings.current.theme).toBe("dark"));
    expect(calls.find((c) => c.cmd === "save_settings")?.args.settings).toEqual({ ...SETTINGS, theme: "dark" });
  });

  it("keeps both choices when language and theme change in quick succession", async () => {
    const calls = mockBackend();
    render(SettingsScreen);
    await fireEvent.change(screen.getByTestId("language-select"), { target: { value: "nl" } });
    await fireEvent.change(screen.getByTestId("theme-select"), { target: { value: "dark" } });
    await waitFor(() => expect(calls.filter((c) => c.cmd === "save_settings")).toHaveLength(2));
    expect(calls.filter((c) => c.cmd === "save_settings").at(-1)?.args.settings).toEqual({
      ...SETTINGS,
      language: "nl",
      theme: "dark",
    });
  });
});
