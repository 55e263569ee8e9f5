// Create account: errors land next to their field (or for the form, with the wait), and
// nothing typed is lost.
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import App from "../../../App.svelte";
import { flow } from "$lib/stores/auth.svelte";
import { goTo, mockBackend, refusal, resetStores } from "../../../test/fixtures";

beforeEach(async () => {
  resetStores();
  await goTo("#/signup");
});

const h1 = () => screen.getByRole("heading", { level: 1 }).textContent;
const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;

async function fill(name: string, email: string, password: string) {
  await waitFor(() => expect(h1()).toBe("Create your XWMS account"));
  await fireEvent.input(input("signup-name"), { target: { value: name } });
  await fireEvent.input(input("signup-email"), { target: { value: email } });
  await fireEvent.input(input("signup-password"), { target: { value: password } });
  await waitFor(() => expect(screen.getByTestId("password-rule-long_enough").dataset.state).not.toBe("pending"));
}

function values() {
  return ["signup-name", "signup-email", "signup-password"].map((id) => input(id).value);
}

describe("create account", () => {
  it("shows a server error next to the field it names, and keeps every value", async () => {
    mockBackend({ sign_up: refusal("email.invalid", { field: "email" }) });
    render(App);
    await fill("Bram Jansen", "bram@localhost", "Bramble-77");
    await fireEvent.click(screen.getByTestId("signup-submit"));
    const error = await screen.findByTestId("signup-email-error");
    expect(error.textContent?.trim()).toBe("This is not a valid email address.");
    expect(input("signup-email").getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(input("signup-email"));
    expect(screen.queryByTestId("signup-name-error")).toBeNull();
    expect(values()).toEqual(["Bram Jansen", "bram@localhost", "Bramble-77"]);

    // Editing another field leaves it; editing the field itself clears it.
    await fireEvent.input(input("signup-name"), { target: { value: "Bram J." } });
    expect(screen.getByTestId("signup-email-error")).toBeTruthy();
    await fireEvent.input(input("signup-email"), { target: { value: "bram@example.com" } });
    await waitFor(() => expect(screen.queryByTestId("signup-email-error")).toBeNull());
    expect(input("signup-email").hasAttribute("aria-invalid")).toBe(false);
  });

  it("places a password code from the server at the password, even without a field", async () => {
    mockBackend({ sign_up: refusal("password.too_common") });
    render(App);
    await fill("Bram Jansen", "bram@example.com", "Bramble-77");
    await fireEvent.click(screen.getByTestId("signup-submit"));
    expect((await screen.findByTestId("signup-password-error")).textContent?.trim()).toBe(
      "This password is too common. Choose one that is harder to guess.",
    );
    expect(values()).toEqual(["Bram Jansen", "bram@example.com", "Bramble-77"]);
  });

  it("shows a form-wide error with the wait from retry_after_seconds", async () => {
    mockBackend({ sign_up: refusal("request.rate_limited", { retry_after_seconds: 12 }) });
    render(App);
    await fill("Bram Jansen", "bram@example.com", "Bramble-77");
    await fireEvent.click(screen.getByTestId("signup-submit"));
    const error = await screen.findByTestId("signup-error");
    expect(error.textContent).toContain("Too many requests. Please slow down.");
    expect(screen.getByTestId("signup-error-retry").textContent).toContain("Try again in 12 s.");
    expect(values()).toEqual(["Bram Jansen", "bram@example.com", "Bramble-77"]);
  });

  it("does not send a password that breaks the rule, and says which part", async () => {
    const calls = mockBackend();
    render(App);
    await fill("Bram Jansen", "bram@example.com", "bramble77");
    await fireEvent.click(screen.getByTestId("signup-submit"));
    expect((await screen.findByTestId("signup-password-error")).textContent?.trim()).toBe(
      "The password needs an upper-case letter.",
    );
    expect(calls.some((c) => c.cmd === "sign_up")).toBe(false);
  });

  it("never judges a just-changed password by the answer for the old one", async () => {
    const calls = mockBackend({ sign_up: (a) => ({ email: a.email, expires_in_seconds: 300, resend_after_seconds: 46 }) });
    render(App);
    await fill("Bram Jansen", "bram@example.com", "bramble77");
    // Fixed and sent at once, before the checklist has caught up.
    await fireEvent.input(input("signup-password"), { target: { value: "Bramble-77" } });
    await fireEvent.click(screen.getByTestId("signup-submit"));
    await waitFor(() => expect(calls.some((c) => c.cmd === "sign_up")).toBe(true));
    expect(screen.queryByTestId("signup-password-error")).toBeNull();
  });

  it("asks for the name first when it is empty", async () => {
    mockBackend();
    render(App);
    await fill("", "bram@example.com", "Bramble-77");
    await fireEvent.click(screen.getByTestId("signup-submit"));
    expect((await screen.findByTestId("signup-name-error")).textContent?.trim()).toBe("This field is required.");
    expect(document.activeElement).toBe(input("signup-name"));
  });

  it("goes on to Verify email with the code's timing", async () => {
    const calls = mockBackend({
      sign_up: (a) => ({ email: a.email, expires_in_seconds: 300, resend_after_seconds: 46 }),
    });
    render(App);
    await fill("Bram Jansen", " bram@example.com ", "Bramble-77");
    await fireEvent.click(screen.getByTestId("signup-submit"));
    await waitFor(() => expect(h1()).toBe("Verify your email address"));
    expect(calls.find((c) => c.cmd === "sign_up")?.args).toEqual({
      name: "Bram Jansen",
      email: "bram@example.com",
      password: "Bramble-77",
    });
    expect(screen.getByTestId("verify-lead").textContent).toContain("bram@example.com");
    expect(screen.getByTestId("resend-countdown").textContent?.trim()).toMatch(/^Send a new code in 4[56] s$/);
    expect(screen.getByTestId("code-expiry").textContent).toContain("valid for 5 minutes");
    expect(flow.pending.verify?.email).toBe("bram@example.com");
  });
});
