import { afterEach, describe, expect, it } from "vitest";
import { setLanguage } from "$lib/i18n/index.svelte";
import { displayTimeZone, formatDate, formatDateTime, formatLocale, formatTime, setFormatPreferences } from "./format.svelte";

afterEach(() => {
  setLanguage("en");
  setFormatPreferences(null);
});

const ISO = "2026-11-25T08:30:05Z";
const fmt = (locale: string, options: Intl.DateTimeFormatOptions) =>
  new Intl.DateTimeFormat(locale, options).format(new Date(ISO));

describe("formatDateTime()", () => {
  it("formats in the current language", () => {
    const en = formatDateTime(ISO);
    setLanguage("nl");
    const nlText = formatDateTime(ISO);
    setLanguage("fr");
    const frText = formatDateTime(ISO);
    expect(en).toBe(fmt("en", { dateStyle: "medium", timeStyle: "medium" }));
    expect(nlText).toBe(fmt("nl", { dateStyle: "medium", timeStyle: "medium" }));
    expect(frText).toBe(fmt("fr", { dateStyle: "medium", timeStyle: "medium" }));
    expect(new Set([en, nlText, frText]).size).toBe(3);
  });

  it("returns null for missing or broken timestamps", () => {
    expect(formatDateTime(null)).toBeNull();
    expect(formatDateTime("")).toBeNull();
    expect(formatDateTime("not a date")).toBeNull();
  });
});

describe("the account's time zone and region", () => {
  it("shows times in the account's time zone", () => {
    setFormatPreferences({ timezone: "Asia/Tokyo", region: "JP" });
    expect(displayTimeZone()).toBe("Asia/Tokyo");
    expect(formatTime(ISO)).toBe(fmt("en-JP", { timeStyle: "short", timeZone: "Asia/Tokyo" }));
    expect(formatTime(ISO)).toContain("17:30");
    setFormatPreferences({ timezone: "America/New_York", region: "US" });
    expect(formatTime(ISO)).toBe(fmt("en-US", { timeStyle: "short", timeZone: "America/New_York" }));
    expect(formatTime(ISO)).toContain("3:30");
    // 08:30 UTC on 25 November is still the 25th in Tokyo and New York, but 26th in Kiritimati.
    setFormatPreferences({ timezone: "Pacific/Kiritimati", region: "KI" });
    expect(formatDate("2026-11-25T12:00:00Z")).toContain("26");
  });

  it("uses the language with the account's region", () => {
    setFormatPreferences({ timezone: "Europe/Brussels", region: "BE" });
    setLanguage("nl");
    expect(formatLocale()).toBe("nl-BE");
    expect(formatDate(ISO)).toBe(fmt("nl-BE", { dateStyle: "long", timeZone: "Europe/Brussels" }));
    setLanguage("fr");
    expect(formatLocale()).toBe("fr-BE");
  });

  it("ignores a time zone or region it does not know, and goes back to the system's when signed out", () => {
    setFormatPreferences({ timezone: "Mars/Olympus_Mons", region: "not a region" });
    expect(displayTimeZone()).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(formatLocale()).toBe("en");
    expect(formatDateTime(ISO)).toBe(fmt("en", { dateStyle: "medium", timeStyle: "medium" }));
    setFormatPreferences({ timezone: "Asia/Tokyo", region: "JP" });
    setFormatPreferences(null);
    expect(formatLocale()).toBe("en");
    expect(formatDateTime(ISO)).toBe(fmt("en", { dateStyle: "medium", timeStyle: "medium" }));
  });
});
