import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import App from "../../../App.svelte";
import { setLanguage } from "$lib/i18n/index.svelte";
import { account } from "$lib/stores/account.svelte";
import { flow } from "$lib/stores/auth.svelte";
import { goTo, mockBackend, PROFILE, refusal, resetStores, SETTINGS } from "../../../test/fixtures";

beforeEach(async () => {
  resetStores();
  await goTo("#/sign");
});

const h1 = () => screen.getByRole("heading", { level: 1 }).textContent;
const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;

async function toPasswordStep(email = "anna@example.com") {
  await waitFor(() => expect(h1()).toBe("Sign in"));
  await fireEvent.input(input("signin-email"), { target: { value: email } });
  await fireEvent.click(screen.getByTestId("signin-next"));
  await waitFor(() => expect(screen.getByTestId("signin-password")).toBeTruthy());
}

describe("sign in, in two steps", () => {
  it("asks the email first, then the password; Back keeps the email", async () => {
    const calls = mockBackend();
    render(App);
    await waitFor(() => expect(h1()).toBe("Sign in"));
    expect(screen.queryByTestId("signin-password")).toBeNull();
    expect(screen.getByTestId("link-signup").getAttribute("href")).toBe("#/signup");
    expect(screen.getByTestId("auth-nav-recover").getAttribute("href")).toBe("#/recover");

    await toPasswordStep("  anna@example.com ");
    expect(screen.queryByTestId("signin-email")).toBeNull();
    expect(screen.getByTestId("signin-as").textContent).toBe("anna@example.com");
    expect(document.activeElement).toBe(input("signin-password"));
    expect(screen.getByTestId("link-forgot").getAttribute("href")).toBe("#/forgot-password");

    await fireEvent.click(screen.getByTestId("signin-back"));
    await waitFor(() => expect(input("signin-email").value).toBe("anna@example.com"));
    expect(document.activeElement).toBe(input("signin-email"));
    expect(calls.some((c) => c.cmd === "sign_in")).toBe(false);
  });

  it("checks the address before going on", async () => {
    mockBackend();
    render(App);
    await waitFor(() => expect(h1()).toBe("Sign in"));
    await fireEvent.click(screen.getByTestId("signin-next"));
    expect((await screen.findByTestId("signin-email-error")).textContent?.trim()).toBe("This field is required.");
    await fireEvent.input(input("signin-email"), { target: { value: "anna.example.com" } });
    await fireEvent.click(screen.getByTestId("signin-next"));
    await waitFor(() =>
      expect(screen.getByTestId("signin-email-error").textContent?.trim()).toBe("This is not a valid email address."),
    );
    expect(input("signin-email").getAttribute("aria-invalid")).toBe("true");
    expect(screen.queryByTestId("signin-password")).toBeNull();
  });

  it("signs in and opens the screen the person wanted, with the person in the sidebar", async () => {
    await goTo("#/security");
    const calls = mockBackend({ sign_in: () => ({ result: "signed_in", account: PROFILE }) });
    render(App);
    // Security needs a signed-in person: sign-in first.
    await waitFor(() => expect(h1()).toBe("Sign in"));
    expect(window.location.hash).toBe("#/sign");
    await toPasswordStep();
    await fireEvent.input(input("signin-password"), { target: { value: "Tulip-Harbour-42" } });
    await fireEvent.click(screen.getByTestId("signin-submit"));
    await waitFor(() => expect(h1()).toBe("Security"));
    // The focus follows to the new screen's heading.
    expect(document.activeElement).toBe(screen.getByRole("heading", { level: 1 }));
    expect(calls.find((c) => c.cmd === "sign_in")?.args).toEqual({ email: "anna@example.com", password: "Tulip-Harbour-42" });
    expect(screen.getByTestId("sidebar-name").textContent).toBe("Anna de Vries");
    expect(screen.getByTestId("sidebar-email").textContent).toBe("anna@example.com");
    expect(account.status).toBe("signed_in");
  });

  it("keeps the typed password and says why when the server refuses", async () => {
    mockBackend({ sign_in: refusal("auth.invalid_credentials") });
    render(App);
    await toPasswordStep();
    await fireEvent.input(input("signin-password"), { target: { value: "not-it" } });
    await fireEvent.click(screen.getByTestId("signin-submit"));
    const error = await screen.findByTestId("signin-password-error");
    expect(error.textContent?.trim()).toBe("The email address or password is incorrect.");
    expect(error.getAttribute("role")).toBe("alert");
    expect(input("signin-password").value).toBe("not-it");
    expect(input("signin-password").getAttribute("aria-describedby")).toContain("signin-password-error");
    expect(document.activeElement).toBe(input("signin-password"));
    expect(document.body.textContent).not.toContain("internal detail");
  });

  it("shows how long to wait when sign-in is slowed down", async () => {
    mockBackend({ sign_in: refusal("auth.throttled", { retry_after_seconds: 12 }) });
    render(App);
    await toPasswordStep();
    await fireEvent.input(input("signin-password"), { target: { value: "x" } });
    await fireEvent.click(screen.getByTestId("signin-submit"));
    const error = await screen.findByTestId("signin-error");
    expect(error.textContent).toContain("Too many attempts. Please wait a moment and try again.");
    expect(screen.getByTestId("signin-error-retry").textContent).toContain("Try again in 12 s.");
  });

  it("goes back to the email step when the server faults the address", async () => {
    mockBackend({ sign_in: refusal("email.invalid", { field: "email" }) });
    render(App);
    await toPasswordStep("anna@localhost");
    await fireEvent.input(input("signin-password"), { target: { value: "secret" } });
    await fireEvent.click(screen.getByTestId("signin-submit"));
    await waitFor(() =>
      expect(screen.getByTestId("signin-email-error").textContent?.trim()).toBe("This is not a valid email address."),
    );
    expect(input("signin-email").value).toBe("anna@localhost");
  });

  it("sends an unverified address to Verify email, and a locked account to Account locked", async () => {
    let code = "auth.email_unverified";
    mockBackend({ sign_in: () => refusal(code)() });
    const { unmount } = render(App);
    await toPasswordStep("new@example.com");
    await fireEvent.input(input("signin-password"), { target: { value: "Whatever-1" } });
    await fireEvent.click(screen.getByTestId("signin-submit"));
    await waitFor(() => expect(h1()).toBe("Verify your email address"));
    expect(window.location.hash).toBe("#/verify-email");
    expect(screen.getByTestId("verify-lead").textContent).toContain("new@example.com");
    expect(screen.getByTestId("verify-reason").textContent).toContain("Your email address is not verified yet.");
    expect(document.activeElement).toBe(screen.getByTestId("code-input"));
    unmount();

    code = "auth.locked";
    await goTo("#/sign");
    render(App);
    await toPasswordStep("anna@example.com");
    await fireEvent.input(input("signin-password"), { target: { value: "Whatever-1" } });
    await fireEvent.click(screen.getByTestId("signin-submit"));
    await waitFor(() => expect(h1()).toBe("Your account is locked for now"));
    expect(screen.getByTestId("locked-explainer").textContent).toContain("anna@example.com");
  });

  it("goes on to the second step, with the code field focused", async () => {
    mockBackend({ sign_in: () => ({ result: "second_factor", methods: ["totp", "recovery_code"] }) });
    render(App);
    await toPasswordStep();
    await fireEvent.input(input("signin-password"), { target: { value: "Tulip-Harbour-42" } });
    await fireEvent.click(screen.getByTestId("signin-submit"));
    await waitFor(() => expect(h1()).toBe("Two-step verification"));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("second-factor-code")));
    expect(screen.getByTestId("second-factor-use-recovery")).toBeTruthy();
    expect(account.status).toBe("signed_out");
  });

  it("works in Dutch and French", async () => {
    mockBackend({ get_settings: () => ({ ...SETTINGS, language: "nl" }) });
    render(App);
    await waitFor(() => expect(h1()).toBe("Inloggen"));
    expect(screen.getByTestId("signin-next").textContent?.trim()).toBe("Volgende");
    expect(screen.getByTestId("auth-nav-recover").textContent?.trim()).toBe("Account herstellen");
    setLanguage("fr");
    await waitFor(() => expect(h1()).toBe("Se connecter"));
    expect(screen.getByTestId("signin-next").textContent?.trim()).toBe("Suivant");
    expect(flow.email).toBe("");
  });
});
