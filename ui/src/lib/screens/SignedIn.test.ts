// The signed-in screens: Profile, Security (password and email) and time zone in Settings.
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import AccountScreen from "./AccountScreen.svelte";
import SecurityScreen from "./SecurityScreen.svelte";
import SettingsScreen from "./SettingsScreen.svelte";
import { setLanguage } from "$lib/i18n/index.svelte";
import type { ProfileUpdate } from "$lib/ipc";
import { account } from "$lib/stores/account.svelte";
import { mockBackend, PROFILE, refusal, resetStores } from "../../test/fixtures";

beforeEach(() => {
  resetStores();
  account.setProfile({ ...PROFILE });
});

const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;
const text = (id: string) => screen.getByTestId(id).textContent?.replace(/\s+/g, " ").trim();

describe("profile", () => {
  it("saves only what changed, and shows the created date in the account's region", async () => {
    const calls = mockBackend({ update_profile: (a) => ({ ...PROFILE, ...(a.update as ProfileUpdate) }) });
    render(AccountScreen);
    expect(text("profile-created")).toBe(
      new Intl.DateTimeFormat("en-NL", { dateStyle: "long", timeZone: "Europe/Amsterdam" }).format(new Date(PROFILE.created_at)),
    );
    await fireEvent.input(input("profile-name"), { target: { value: "Anna Jansen" } });
    await fireEvent.click(screen.getByTestId("profile-save"));
    await waitFor(() => expect(text("profile-saved")).toBe("Saved"));
    expect(calls.find((c) => c.cmd === "update_profile")?.args).toEqual({ update: { name: "Anna Jansen" } });
    expect(account.profile?.name).toBe("Anna Jansen");
  });

  it("keeps both fields when the username is taken, and says so at the username", async () => {
    mockBackend({ update_profile: refusal("account.username_taken", { field: "username" }) });
    render(AccountScreen);
    await fireEvent.input(input("profile-name"), { target: { value: "Anna J." } });
    await fireEvent.input(input("profile-username"), { target: { value: "bram" } });
    await fireEvent.click(screen.getByTestId("profile-save"));
    await waitFor(() => expect(text("profile-username-error")).toBe("This username is already taken."));
    expect(screen.queryByTestId("profile-contact-support")).toBeNull();
    expect(input("profile-name").value).toBe("Anna J.");
    expect(input("profile-username").value).toBe("bram");
  });
});

describe("security", () => {
  it.each([
    [0, "Your password has been changed. No other session was signed out."],
    [1, "Your password has been changed. 1 other session was signed out."],
    [3, "Your password has been changed. 3 other sessions were signed out."],
  ])("says how many sessions were signed out (%i)", async (revoked, message) => {
    const calls = mockBackend({ change_password: () => ({ sessions_revoked: revoked }) });
    render(SecurityScreen);
    expect((screen.getByTestId("sign-out-others") as HTMLInputElement).checked).toBe(true);
    await fireEvent.input(input("current-password"), { target: { value: "Tulip-Harbour-42" } });
    await fireEvent.input(input("new-password"), { target: { value: "Lantern-Bridge-5" } });
    await waitFor(() => expect(screen.getByTestId("password-rules").dataset.complete).toBe("true"));
    await fireEvent.click(screen.getByTestId("change-password-submit"));
    await waitFor(() => expect(text("password-changed")).toBe(message));
    expect(calls.find((c) => c.cmd === "change_password")?.args).toEqual({
      currentPassword: "Tulip-Harbour-42",
      newPassword: "Lantern-Bridge-5",
      signOutOthers: true,
    });
    expect(input("current-password").value).toBe("");
  });

  it("puts a wrong current password at its field and keeps both passwords", async () => {
    mockBackend({ change_password: refusal("auth.password_incorrect") });
    render(SecurityScreen);
    await fireEvent.click(screen.getByTestId("sign-out-others"));
    await fireEvent.input(input("current-password"), { target: { value: "nope" } });
    await fireEvent.input(input("new-password"), { target: { value: "Lantern-Bridge-5" } });
    await fireEvent.click(screen.getByTestId("change-password-submit"));
    await waitFor(() => expect(text("current-password-error")).toBe("The password is incorrect."));
    expect(input("current-password").value).toBe("nope");
    expect(input("new-password").value).toBe("Lantern-Bridge-5");
    expect(document.activeElement).toBe(input("current-password"));
  });

  it("changes the email with a code sent to the new address", async () => {
    const calls = mockBackend({
      change_email: (a) => ({ email: a.newEmail, expires_in_seconds: 600, resend_after_seconds: 46 }),
      confirm_email_change: () => ({ ...PROFILE, email: "anna@new.example" }),
    });
    render(SecurityScreen);
    await fireEvent.input(input("new-email"), { target: { value: "anna@new.example" } });
    await fireEvent.input(input("email-password"), { target: { value: "Tulip-Harbour-42" } });
    await fireEvent.click(screen.getByTestId("change-email-submit"));
    await waitFor(() => expect(text("email-code-sent")).toContain("anna@new.example"));
    expect(text("email-code-expiry")).toContain("valid for 10 minutes");
    await fireEvent.input(input("email-code-input"), { target: { value: "123456" } });
    await fireEvent.click(screen.getByTestId("email-code-submit"));
    await waitFor(() => expect(text("email-changed")).toContain("Your email address is now anna@new.example."));
    expect(account.profile?.email).toBe("anna@new.example");
    expect(calls.find((c) => c.cmd === "change_email")?.args).toEqual({ newEmail: "anna@new.example", password: "Tulip-Harbour-42" });
  });
});

describe("time zone picker", () => {
  it("filters as one types, moves with the arrows and saves on Enter", async () => {
    const calls = mockBackend({ update_profile: (a) => ({ ...PROFILE, ...(a.update as ProfileUpdate) }) });
    render(SettingsScreen);
    const box = input("timezone-input");
    expect(box.getAttribute("role")).toBe("combobox");
    expect(box.value).toBe("Europe/Amsterdam");
    expect(screen.getByTestId("timezone-offset").textContent).toMatch(/^UTC\+0[12]:00$/);
    await fireEvent.focus(box);
    await fireEvent.input(box, { target: { value: "new" } });
    expect(box.getAttribute("aria-expanded")).toBe("true");
    const zones = () => [...screen.getByTestId("timezone-options").querySelectorAll("[role=option]")].map((o) => o.getAttribute("data-zone"));
    expect(zones()).toContain("America/New_York");
    expect(zones().every((z) => z?.toLowerCase().includes("new"))).toBe(true);
    await fireEvent.input(box, { target: { value: "new york" } });
    expect(zones()).toEqual(["America/New_York"]);
    await fireEvent.keyDown(box, { key: "ArrowDown" });
    expect(box.getAttribute("aria-activedescendant")).toBe("timezone-option-0");
    await fireEvent.keyDown(box, { key: "Enter" });
    await waitFor(() => expect(calls.find((c) => c.cmd === "update_profile")?.args).toEqual({ update: { timezone: "America/New_York" } }));
    await waitFor(() => expect(account.profile?.timezone).toBe("America/New_York"));
    expect(box.getAttribute("aria-expanded")).toBe("false");
    expect(box.value).toBe("America/New_York");
  });

  it("names the regions in the current language", async () => {
    mockBackend();
    setLanguage("nl");
    render(SettingsScreen);
    const select = screen.getByTestId("region-select") as HTMLSelectElement;
    expect(select.selectedOptions[0]?.textContent).toBe("Nederland");
    setLanguage("fr");
    await waitFor(() => expect(select.selectedOptions[0]?.textContent).toBe("Pays-Bas"));
  });
});
