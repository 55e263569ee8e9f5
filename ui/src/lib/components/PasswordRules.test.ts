import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import PasswordField from "./PasswordField.svelte";
import { setLanguage } from "$lib/i18n/index.svelte";
import { checkPassword, mockBackend, resetStores } from "../../test/fixtures";

beforeEach(resetStores);

const states = () =>
  Object.fromEntries(
    [...screen.getByTestId("password-rules").querySelectorAll("li")].map((li) => [
      li.dataset.testid?.replace("password-rule-", ""),
      li.dataset.state,
    ]),
  );

function renderField() {
  render(PasswordField, { props: { id: "pw", label: "Password", testid: "pw", isNew: true } });
  return screen.getByTestId("pw") as HTMLInputElement;
}

describe("password rule checklist", () => {
  it("starts neutral, then ticks each part as the person types", async () => {
    const calls = mockBackend();
    const input = renderField();
    expect(states()).toEqual({
      long_enough: "pending",
      has_upper: "pending",
      has_lower: "pending",
      has_digit: "pending",
      not_common: "pending",
    });

    await fireEvent.input(input, { target: { value: "abc" } });
    await waitFor(() => expect(states().has_lower).toBe("met"));
    expect(states()).toEqual({
      long_enough: "unmet",
      has_upper: "unmet",
      has_lower: "met",
      has_digit: "unmet",
      not_common: "met",
    });

    await fireEvent.input(input, { target: { value: "Abcdefg9" } });
    await waitFor(() => expect(states().long_enough).toBe("met"));
    expect(Object.values(states())).toEqual(["met", "met", "met", "met", "met"]);
    expect(screen.getByTestId("password-rules").dataset.complete).toBe("true");
    expect(screen.getByTestId("password-rules-summary").textContent?.trim()).toBe(
      "Your password meets every requirement.",
    );
    // The Rust side is asked, with the password typed.
    expect(calls.filter((c) => c.cmd === "check_password").at(-1)?.args).toEqual({ password: "Abcdefg9" });
  });

  it("flags a common password, and tells screen readers what is done and what is missing", async () => {
    mockBackend();
    const input = renderField();
    await fireEvent.input(input, { target: { value: "Password1" } });
    await waitFor(() => expect(states().not_common).toBe("unmet"));
    const item = screen.getByTestId("password-rule-not_common");
    expect(item.textContent?.replace(/\s+/g, " ").trim()).toBe("Still needed: Not a common password");
    expect(screen.getByTestId("password-rule-has_digit").textContent?.replace(/\s+/g, " ").trim()).toBe(
      "Done: A digit",
    );
    expect(screen.getByTestId("password-rules-summary").textContent?.trim()).toBe("4 of 5 requirements met.");
    // The checklist describes the input.
    expect(input.getAttribute("aria-describedby")).toContain("pw-rules");
  });

  it("shows the too-long part only when it is broken", async () => {
    mockBackend();
    const input = renderField();
    expect(screen.queryByTestId("password-rule-not_too_long")).toBeNull();
    await fireEvent.input(input, { target: { value: `Aa1${"x".repeat(300)}` } });
    await waitFor(() => expect(screen.getByTestId("password-rule-not_too_long").dataset.state).toBe("unmet"));
  });

  it("ignores an answer for an older value that arrives late", async () => {
    const answers: ((v: unknown) => void)[] = [];
    mockBackend({ check_password: (a) => new Promise((ok) => answers.push(() => ok(checkPassword(String(a.password))))) });
    const input = renderField();
    await fireEvent.input(input, { target: { value: "abc" } });
    await waitFor(() => expect(answers).toHaveLength(1));
    await fireEvent.input(input, { target: { value: "Abcdefg9" } });
    await waitFor(() => expect(answers).toHaveLength(2));
    answers[1]?.(undefined);
    await waitFor(() => expect(states().long_enough).toBe("met"));
    answers[0]?.(undefined);
    await new Promise((ok) => setTimeout(ok, 20));
    expect(states().long_enough).toBe("met");
  });

  it("goes back to neutral when the field is emptied, and speaks Dutch and French", async () => {
    mockBackend();
    const input = renderField();
    await fireEvent.input(input, { target: { value: "abc" } });
    await waitFor(() => expect(states().has_lower).toBe("met"));
    await fireEvent.input(input, { target: { value: "" } });
    await waitFor(() => expect(states().has_lower).toBe("pending"));
    setLanguage("nl");
    await waitFor(() => expect(screen.getByTestId("password-rule-long_enough").textContent).toContain("Minstens 8 tekens"));
    setLanguage("fr");
    await waitFor(() => expect(screen.getByTestId("password-rule-has_upper").textContent).toContain("Une majuscule"));
  });

  it("shows and hides the password, and allows pasting", async () => {
    mockBackend();
    const input = renderField();
    const toggle = screen.getByTestId("pw-toggle");
    expect(input.type).toBe("password");
    expect(input.autocomplete).toBe("new-password");
    expect(toggle.getAttribute("aria-label")).toBe("Show password");
    await fireEvent.click(toggle);
    expect(input.type).toBe("text");
    expect(toggle.getAttribute("aria-label")).toBe("Hide password");
    await fireEvent.click(toggle);
    expect(input.type).toBe("password");
    const paste = new Event("paste", { bubbles: true, cancelable: true });
    input.dispatchEvent(paste);
    expect(paste.defaultPrevented).toBe(false);
  });
});
