// Code entry and the resend countdown, on fake timers (no real waiting).
import { fireEvent, render, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import CodeField, { normalizeCode } from "./CodeField.svelte";
import ErrorMessage from "./ErrorMessage.svelte";
import ResendCode from "./ResendCode.svelte";
import { setLanguage } from "$lib/i18n/index.svelte";
import type { CodeSent, Result } from "$lib/ipc";
import type { PendingCode } from "$lib/stores/auth.svelte";
import { resetStores } from "../../test/fixtures";

const T0 = new Date("2026-11-25T09:00:00Z").getTime();

beforeEach(() => {
  resetStores();
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => vi.useRealTimers());

/** Moves the clock and lets Svelte render. */
async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await tick();
}

const text = (id: string) => screen.getByTestId(id).textContent?.replace(/\s+/g, " ").trim();

describe("code field", () => {
  it("keeps digits only, so a pasted code with spaces or words still fits", () => {
    expect(normalizeCode("123 456")).toBe("123456");
    expect(normalizeCode("Your code: 654-321.")).toBe("654321");
    expect(normalizeCode("12345678")).toBe("123456");
    expect(normalizeCode("abc")).toBe("");
  });

  it("is one numeric input for one-time codes, and cleans what is pasted", async () => {
    render(CodeField, { props: { id: "c", pending: null } });
    const input = screen.getByTestId("code-input") as HTMLInputElement;
    expect(input.getAttribute("inputmode")).toBe("numeric");
    expect(input.getAttribute("autocomplete")).toBe("one-time-code");
    expect(input.hasAttribute("maxlength")).toBe(false); // a pasted "123 456" must not be cut
    expect(document.querySelector("label[for=c]")?.textContent).toBe("6-digit code");
    await fireEvent.input(input, { target: { value: "123 456" } });
    expect(input.value).toBe("123456");
    await fireEvent.input(input, { target: { value: "98x7" } });
    expect(input.value).toBe("987");
  });

  it("says until when the code is valid, in the current language, and when it has expired", async () => {
    const pending: PendingCode = { email: "a@example.com", expiresAt: T0 + 300_000, resendAt: T0 + 46_000, lifetimeSeconds: 300 };
    render(CodeField, { props: { id: "c", pending } });
    const until = new Intl.DateTimeFormat("en", { timeStyle: "short" }).format(new Date(T0 + 300_000));
    expect(text("code-expiry")).toBe(`The code is valid for 5 minutes, until ${until}.`);
    setLanguage("nl");
    await tick();
    const nlUntil = new Intl.DateTimeFormat("nl", { timeStyle: "short" }).format(new Date(T0 + 300_000));
    expect(text("code-expiry")).toBe(`De code is 5 minuten geldig, tot ${nlUntil}.`);
    setLanguage("en");
    await advance(299_000);
    expect(screen.getByTestId("code-expiry").dataset.expired).toBe("false");
    await advance(1_500);
    expect(screen.getByTestId("code-expiry").dataset.expired).toBe("true");
    expect(text("code-expiry")).toBe("This code has expired. Ask for a new one.");
  });
});

describe("resend countdown", () => {
  function sent(email = "a@example.com"): Result<CodeSent> {
    return { status: "ok", data: { email, expires_in_seconds: 300, resend_after_seconds: 46, challenge_id: "xwc_test" } };
  }

  it("counts down visibly from 46 s and only then allows a new code", async () => {
    const onresend = vi.fn(async () => sent());
    render(ResendCode, { props: { resendAt: T0 + 46_000, onresend } });
    const button = screen.getByTestId("resend-button") as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(text("resend-countdown")).toBe("Send a new code in 46 s");

    await advance(1_000);
    expect(text("resend-countdown")).toBe("Send a new code in 45 s");
    await advance(33_000);
    expect(text("resend-countdown")).toBe("Send a new code in 12 s");
    await fireEvent.click(button);
    expect(onresend).not.toHaveBeenCalled();

    await advance(12_000);
    expect(screen.queryByTestId("resend-countdown")).toBeNull();
    expect(button.disabled).toBe(false);
    expect(button.textContent?.trim()).toBe("Send a new code");

    await fireEvent.click(button);
    await advance(0);
    expect(onresend).toHaveBeenCalledTimes(1);
    expect(text("resend-status")).toBe("A new code is on its way to a@example.com.");
    // And the wait starts again.
    expect(button.disabled).toBe(true);
    expect(text("resend-countdown")).toBe("Send a new code in 46 s");
  });

  it("restarts the countdown from retry_after_seconds when the server refuses", async () => {
    const onresend = vi.fn(
      async (): Promise<Result<CodeSent>> => ({
        status: "error",
        error: { code: "code.resend_too_soon", message: "x", data: { retry_after_seconds: 20 } },
      }),
    );
    render(ResendCode, { props: { resendAt: 0, onresend } });
    await fireEvent.click(screen.getByTestId("resend-button"));
    await advance(0);
    expect(text("resend-error")).toContain("A code was sent recently. Please wait before asking for a new one.");
    expect(text("resend-countdown")).toBe("Send a new code in 20 s");
    await advance(20_000);
    expect((screen.getByTestId("resend-button") as HTMLButtonElement).disabled).toBe(false);
  });

  it("counts in Dutch and French too", async () => {
    setLanguage("fr");
    render(ResendCode, { props: { resendAt: T0 + 46_000, onresend: async () => sent() } });
    expect(text("resend-countdown")).toBe("Envoyer un nouveau code dans 46 s");
    setLanguage("nl");
    await advance(2_000);
    expect(text("resend-countdown")).toBe("Nieuwe code sturen over 44 s");
  });
});

describe("error message", () => {
  it("shows the localized text, tries left, and a wait that counts down", async () => {
    render(ErrorMessage, {
      props: {
        testid: "err",
        error: { code: "auth.throttled", message: "internal", data: { retry_after_seconds: 12, attempts_left: 2 } },
      },
    });
    const el = screen.getByTestId("err");
    expect(el.getAttribute("role")).toBe("alert");
    expect(text("err-attempts")).toBe("2 attempts left.");
    expect(el.textContent).toContain("Too many attempts. Please wait a moment and try again.");
    expect(el.textContent).not.toContain("internal");
    expect(screen.getByTestId("err-retry").querySelector("[aria-hidden=true]")?.textContent).toBe("Try again in 12 s.");
    await advance(5_000);
    expect(screen.getByTestId("err-retry").querySelector("[aria-hidden=true]")?.textContent).toBe("Try again in 7 s.");
    // Screen readers heard the wait once; they are not told every second.
    expect(screen.getByTestId("err-retry").querySelector(".visually-hidden")?.textContent).toBe("Try again in 12 s.");
    await advance(7_000);
    expect(text("err-retry")).toBe("You can try again now.");
  });
});
