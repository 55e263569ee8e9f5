// Where an error belongs on a form. The Rust side names the field at fault in `data.field`
// (request field names: `email`, `password`, `new_password`, ...); codes that always concern
// one field (`password.too_short`, `code.incorrect`) are placed by code when it does not. An
// error that belongs to no field of the form is shown for the whole form.

import { untrack } from "svelte";
import type { AppError, AppErrorCode, AppErrorFamily } from "$lib/ipc";

/** Where errors go by code (`auth.password_incorrect`) or code family (`password.`). */
export type ByCode = Readonly<Partial<Record<AppErrorCode | AppErrorFamily, string>>>;

/**
 * The field of `fields` that `error` belongs to, or null. `byCode` maps a code
 * (`auth.password_incorrect`) or a code family (`password.`) to a field.
 */
export function errorField(
  error: AppError | null | undefined,
  fields: readonly string[],
  byCode: ByCode = {},
): string | null {
  if (!error) return null;
  const named = error.data?.field;
  if (named && fields.includes(named)) return named;
  if (Object.hasOwn(byCode, error.code)) return byCode[error.code] ?? null;
  const family = `${error.code.split(".")[0]}.` as AppErrorFamily;
  if (Object.hasOwn(byCode, family)) return byCode[family] ?? null;
  return null;
}

/** An error made on this side (a required field left empty), shaped like one from Rust. */
export function localError(code: AppErrorCode, field?: string): AppError {
  return { code, message: "", data: field ? { field } : null };
}

/** The error state of one form: the last error, and where it shows. */
export class FormErrors {
  error = $state<AppError | null>(null);

  constructor(
    private readonly fields: readonly string[],
    private readonly byCode: ByCode = {},
  ) {}

  /** The field the current error belongs to, or null. */
  get field(): string | null {
    return errorField(this.error, this.fields, this.byCode);
  }

  /** The error to show next to `name`, if it belongs there. */
  for(name: string): AppError | null {
    return this.error && this.field === name ? this.error : null;
  }

  /** The error to show for the whole form (one that belongs to no field). */
  get form(): AppError | null {
    return this.error && this.field === null ? this.error : null;
  }

  /**
   * Once the person edits a field, its error goes (the form-wide error stays). Call while
   * the component initialises: `errors.clearOnEdit({ email: () => email })`.
   */
  clearOnEdit(values: Readonly<Record<string, () => unknown>>): void {
    for (const [field, read] of Object.entries(values)) {
      let first = true;
      $effect(() => {
        read();
        if (first) {
          first = false;
          return;
        }
        untrack(() => {
          if (this.field === field) this.error = null;
        });
      });
    }
  }

  set(error: AppError | null): void {
    this.error = error;
  }

  clear(): void {
    this.error = null;
  }
}

/** A plausible email address: something@something, no spaces. The server decides for real. */
export function looksLikeEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+$/.test(value.trim());
}
