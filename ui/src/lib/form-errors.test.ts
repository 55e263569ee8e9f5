import { describe, expect, it } from "vitest";
import { errorField, FormErrors, localError, looksLikeEmail } from "./form-errors.svelte";

describe("errorField()", () => {
  const fields = ["email", "password", "new_password"];

  it("uses the field the Rust side names", () => {
    expect(errorField({ code: "field.required", message: "", data: { field: "email" } }, fields)).toBe("email");
    expect(errorField({ code: "password.too_short", message: "", data: { field: "new_password" } }, fields, { "password.": "password" })).toBe(
      "new_password",
    );
  });

  it("places a code by exact code, then by family, when no field is named", () => {
    const byCode = { "auth.password_incorrect": "password", "password.": "new_password" };
    expect(errorField({ code: "auth.password_incorrect", message: "" }, fields, byCode)).toBe("password");
    expect(errorField({ code: "password.too_common", message: "" }, fields, byCode)).toBe("new_password");
    expect(errorField({ code: "auth.throttled", message: "" }, fields, byCode)).toBeNull();
  });

  it("ignores a field this form does not have", () => {
    expect(errorField({ code: "field.invalid", message: "", data: { field: "username" } }, fields)).toBeNull();
    expect(errorField(null, fields)).toBeNull();
  });
});

describe("FormErrors", () => {
  it("shows an error next to its field, or for the whole form", () => {
    const errors = new FormErrors(["email", "password"], { "email.": "email" });
    errors.set({ code: "email.invalid", message: "" });
    expect(errors.for("email")?.code).toBe("email.invalid");
    expect(errors.for("password")).toBeNull();
    expect(errors.form).toBeNull();
    errors.set({ code: "request.rate_limited", message: "", data: { retry_after_seconds: 30 } });
    expect(errors.field).toBeNull();
    expect(errors.form?.data?.retry_after_seconds).toBe(30);
    errors.clear();
    expect(errors.form).toBeNull();
  });

  it("makes local errors look like the Rust side's", () => {
    expect(localError("field.required", "name")).toEqual({ code: "field.required", message: "", data: { field: "name" } });
  });

  it("accepts plausible addresses only", () => {
    expect(looksLikeEmail("anna@example.com")).toBe(true);
    expect(looksLikeEmail(" anna@example.com ")).toBe(true);
    expect(looksLikeEmail("anna.example.com")).toBe(false);
    expect(looksLikeEmail("an na@example.com")).toBe(false);
    expect(looksLikeEmail("")).toBe(false);
  });
});
