// The second step of sign-in: a code from the authenticator app, or a recovery code.
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import SecondFactorScreen from "./SecondFactorScreen.svelte";
import { account } from "$lib/stores/account.svelte";
import { flow } from "$lib/stores/auth.svelte";
import { goTo, mockBackend, PROFILE, refusal, resetStores } from "../../../test/fixtures";

beforeEach(async () => {
  resetStores();
  await goTo("#/second-factor");
  flow.methods = ["totp", "recovery_code"];
});

const code = () => screen.getByTestId("second-factor-code") as HTMLInputElement;
const text = (id: string) => screen.getByTestId(id).textContent?.replace(/\s+/g, " ").trim();

describe("second factor", () => {
  it("focuses the code field, takes a pasted code and signs in", async () => {
    const calls = mockBackend({ complete_second_factor: () => PROFILE });
    render(SecondFactorScreen);
    expect(document.activeElement).toBe(code());
    expect(code().getAttribute("autocomplete")).toBe("one-time-code");
    expect(code().getAttribute("inputmode")).toBe("numeric");
    await fireEvent.input(code(), { target: { value: "Your code: 123 456" } });
    expect(code().value).toBe("123456");
    await fireEvent.click(screen.getByTestId("second-factor-submit"));
    await waitFor(() => expect(account.status).toBe("signed_in"));
    expect(calls.find((c) => c.cmd === "complete_second_factor")?.args).toEqual({ method: "totp", code: "123456" });
    await waitFor(() => expect(window.location.hash).toBe("#/account"));
    expect(flow.methods).toEqual([]);
  });

  it.each([
    ["two_factor.code_incorrect", "The code is incorrect. Check that your device's clock is right and try the newest code."],
    ["two_factor.code_used", "This code was already used. Wait for the next code in your app."],
  ])("keeps the code, selected, on %s", async (errorCode, message) => {
    mockBackend({ complete_second_factor: refusal(errorCode) });
    render(SecondFactorScreen);
    await fireEvent.input(code(), { target: { value: "654321" } });
    await fireEvent.click(screen.getByTestId("second-factor-submit"));
    await waitFor(() => expect(text("second-factor-code-error")).toBe(message));
    expect(code().value).toBe("654321");
    expect(code().getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(code());
    expect(account.status).not.toBe("signed_in");
  });

  it("checks the length before asking the server", async () => {
    const calls = mockBackend();
    render(SecondFactorScreen);
    await fireEvent.input(code(), { target: { value: "123" } });
    await fireEvent.click(screen.getByTestId("second-factor-submit"));
    await waitFor(() => expect(screen.getByTestId("second-factor-code-error")).toBeTruthy());
    expect(calls.some((c) => c.cmd === "complete_second_factor")).toBe(false);
  });

  it("switches to a recovery code and sends it as one", async () => {
    const calls = mockBackend({ complete_second_factor: () => PROFILE });
    render(SecondFactorScreen);
    await fireEvent.click(screen.getByTestId("second-factor-use-recovery"));
    await waitFor(() => expect(screen.getByLabelText("Recovery code")).toBeTruthy());
    expect(document.activeElement).toBe(code());
    expect(text("second-factor-lead")).toContain("recovery codes");
    await fireEvent.input(code(), { target: { value: " K7M2-9XQ4 " } });
    await fireEvent.click(screen.getByTestId("second-factor-submit"));
    await waitFor(() => expect(account.status).toBe("signed_in"));
    expect(calls.find((c) => c.cmd === "complete_second_factor")?.args).toEqual({ method: "recovery_code", code: "K7M2-9XQ4" });
  });

  it("goes back to sign-in with a message when the challenge expired", async () => {
    mockBackend({ complete_second_factor: refusal("two_factor.challenge_expired") });
    render(SecondFactorScreen);
    await fireEvent.input(code(), { target: { value: "123456" } });
    await fireEvent.click(screen.getByTestId("second-factor-submit"));
    await waitFor(() => expect(window.location.hash).toBe("#/sign"));
    expect(flow.notice?.key).toBe("notice.challengeExpired");
    expect(flow.methods).toEqual([]);
  });

  it("counts down a throttle and keeps the code", async () => {
    mockBackend({ complete_second_factor: refusal("auth.throttled", { retry_after_seconds: 12 }) });
    render(SecondFactorScreen);
    await fireEvent.input(code(), { target: { value: "111111" } });
    await fireEvent.click(screen.getByTestId("second-factor-submit"));
    await waitFor(() => expect(screen.getByTestId("second-factor-error-retry").dataset.remaining).toBe("12"));
    expect(text("second-factor-error")).toContain("Too many attempts");
    expect(code().value).toBe("111111");
  });

  it("sends a locked account to the unlock screen", async () => {
    mockBackend({ complete_second_factor: refusal("auth.locked") });
    render(SecondFactorScreen);
    await fireEvent.input(code(), { target: { value: "111111" } });
    await fireEvent.click(screen.getByTestId("second-factor-submit"));
    await waitFor(() => expect(window.location.hash).toBe("#/locked"));
  });

  it("says to sign in first when opened without a challenge", async () => {
    flow.methods = [];
    mockBackend();
    render(SecondFactorScreen);
    expect(screen.getByTestId("second-factor-no-challenge")).toBeTruthy();
    expect(screen.queryByTestId("second-factor-code")).toBeNull();
  });

  it("asks a denied device for the mailed code, without a recovery switch", async () => {
    flow.methods = ["email_code"];
    const calls = mockBackend({ complete_second_factor: () => PROFILE });
    render(SecondFactorScreen);
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Confirm it's you");
    expect(text("second-factor-lead")).toContain("We mailed a 6-digit code");
    expect(screen.queryByTestId("second-factor-use-recovery")).toBeNull();
    expect(document.activeElement).toBe(code());
    await fireEvent.input(code(), { target: { value: "654 321" } });
    await fireEvent.click(screen.getByTestId("second-factor-submit"));
    await waitFor(() => expect(account.status).toBe("signed_in"));
    expect(calls.find((c) => c.cmd === "complete_second_factor")?.args).toEqual({ method: "email_code", code: "654321" });
  });
});
