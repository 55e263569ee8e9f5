import { afterEach, describe, expect, it } from "vitest";
import { dictionaries, setLanguage, t } from "$lib/i18n/index.svelte";
import type { SecurityEventKind } from "$lib/ipc";
import { eventLabel } from "./security-labels";

afterEach(() => setLanguage("en"));

// Every kind the server records (the bindings' `SecurityEventKind` union, less the fallback):
// leaving one out or listing one it does not have is a type error.
const EVERY_KIND: Record<Exclude<SecurityEventKind, "unknown">, true> = {
  account_created: true,
  email_verified: true,
  signed_in: true,
  sign_in_after_failures: true,
  new_device: true,
  account_locked: true,
  account_unlocked: true,
  password_changed: true,
  password_reset: true,
  email_change_requested: true,
  email_changed: true,
  profile_updated: true,
  refresh_token_reused: true,
  signed_out: true,
  recovery_requested: true,
  sign_in_failed: true,
  new_network: true,
  two_factor_enabled: true,
  two_factor_disabled: true,
  recovery_codes_regenerated: true,
  recovery_code_used: true,
  second_factor_failed: true,
  two_factor_code_replayed: true,
  session_revoked: true,
  sessions_revoked: true,
  alert_confirmed: true,
  api_client_created: true,
  api_client_secret_regenerated: true,
  api_client_disabled: true,
  api_client_enabled: true,
  api_client_deleted: true,
};

describe("eventLabel()", () => {
  it.each(Object.keys(EVERY_KIND) as Exclude<SecurityEventKind, "unknown">[])(
    "labels %s in en, nl and fr",
    (kind) => {
      for (const [lang, dict] of Object.entries(dictionaries)) {
        expect(Object.hasOwn(dict, `timeline.kind.${kind}`), `${lang} timeline.kind.${kind}`).toBe(true);
        setLanguage(lang as keyof typeof dictionaries);
        expect(eventLabel(kind)).not.toBe(t("timeline.kind.other"));
      }
    },
  );

  it("labels \"This was me\" as a confirmed sign-in, not as account activity", () => {
    expect(eventLabel("alert_confirmed")).toBe("Sign-in confirmed as you");
  });

  it("gives a kind this version does not know the generic label", () => {
    expect(eventLabel("unknown")).toBe("Account activity");
    setLanguage("nl");
    expect(eventLabel("unknown")).toBe("Accountactiviteit");
  });
});
