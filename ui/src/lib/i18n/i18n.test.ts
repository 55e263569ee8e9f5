import { afterEach, describe, expect, it } from "vitest";
import { en } from "./en";
import enErrors from "./errors/en.json";
import { fr } from "./fr";
import {
  dictionaries,
  errorText,
  isKnownErrorCode,
  locale,
  matchLocale,
  refreshSystemLanguage,
  setLanguage,
  t,
  tn,
} from "./index.svelte";
import { nl } from "./nl";
import type { ErrorCode } from "$lib/ipc";

afterEach(() => setLanguage("en"));

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("dictionaries", () => {
  const enKeys = Object.keys(en).sort();

  it.each([
    ["nl", nl],
    ["fr", fr],
  ] as const)("%s has exactly the keys of en", (_name, dict) => {
    expect(Object.keys(dict).sort()).toEqual(enKeys);
  });

  it.each(Object.entries(dictionaries))("%s has no empty or padded strings", (_name, dict) => {
    for (const [key, value] of Object.entries(dict)) {
      expect(typeof value, key).toBe("string");
      expect(value.trim(), key).not.toBe("");
      expect(value, key).toBe(value.trim());
    }
  });

  it.each(Object.entries(dictionaries))("%s uses the same placeholders as en", (_name, dict) => {
    for (const key of enKeys) {
      const k = key as keyof typeof en;
      expect(placeholders(dict[k]), key).toEqual(placeholders(en[k]));
    }
  });

  it("really translates: most Dutch and French texts differ from English", () => {
    for (const dict of [nl, fr]) {
      const same = enKeys.filter((k) => dict[k as keyof typeof en] === en[k as keyof typeof en]);
      // Brand names and words shared by the languages (Help, Online, Sessions, Version...).
      expect(same.length, same.join(", ")).toBeLessThan(enKeys.length / 8);
    }
  });
});

describe("t()", () => {
  it("translates into the current language and fills placeholders", () => {
    expect(t("panel.online", { name: "XWMS" })).toBe("Connected to XWMS.");
    setLanguage("nl");
    expect(locale()).toBe("nl");
    expect(t("panel.online", { name: "XWMS" })).toBe("Verbonden met XWMS.");
    expect(document.documentElement.lang).toBe("nl");
    setLanguage("fr");
    expect(t("nav.settings")).toBe("Paramètres");
    expect(document.documentElement.lang).toBe("fr");
  });

  it("follows navigator.language for System, falling back to English", () => {
    const original = Object.getOwnPropertyDescriptor(Navigator.prototype, "language");
    const setNavigatorLanguage = (value: string) =>
      Object.defineProperty(navigator, "language", { value, configurable: true });
    try {
      setLanguage("system");
      setNavigatorLanguage("nl-BE");
      refreshSystemLanguage();
      expect(locale()).toBe("nl");
      setNavigatorLanguage("de-DE");
      refreshSystemLanguage();
      expect(locale()).toBe("en");
      setNavigatorLanguage("fr-CA");
      window.dispatchEvent(new Event("languagechange"));
      expect(locale()).toBe("fr");
    } finally {
      delete (navigator as unknown as Record<string, unknown>).language;
      if (original) expect(navigator.language).toBeTypeOf("string");
      refreshSystemLanguage();
    }
  });

  it("maps language tags", () => {
    expect(matchLocale("nl-NL")).toBe("nl");
    expect(matchLocale("fr")).toBe("fr");
    expect(matchLocale("en_GB")).toBe("en");
    expect(matchLocale("zh-CN")).toBe("en");
    expect(matchLocale(undefined)).toBe("en");
  });
});

describe("tn()", () => {
  it("chooses the plural form by the language's rules", () => {
    expect(tn("attempts.left", 1)).toBe("1 attempt left.");
    expect(tn("attempts.left", 3)).toBe("3 attempts left.");
    setLanguage("nl");
    expect(tn("attempts.left", 1)).toBe("Nog 1 poging.");
    expect(tn("attempts.left", 0)).toBe("Nog 0 pogingen.");
    setLanguage("fr");
    // French counts 0 and 1 as singular.
    expect(tn("attempts.left", 0)).toBe("Encore 0 tentative.");
    expect(tn("attempts.left", 2)).toBe("Encore 2 tentatives.");
  });
});

describe("errorText()", () => {
  // Every code the Rust side sends (the bindings' `ErrorCode` union, less the fallback) has its
  // text in errors/en.json (nl and fr are typed against en): one without is a type error here.
  const EVERY_CODE: Record<Exclude<ErrorCode, "unknown">, string> = enErrors;

  it.each(Object.keys(EVERY_CODE).filter((code) => code !== "unknown"))("has its own message for %s in en, nl and fr", (code) => {
    expect(isKnownErrorCode(code)).toBe(true);
    const texts = (["en", "nl", "fr"] as const).map((l) => {
      setLanguage(l);
      return errorText({ code });
    });
    setLanguage("en");
    expect(texts[0]).not.toBe(t("error.generic"));
    expect(new Set(texts).size).toBe(3);
  });

  it("uses XWMS's published wording for code errors", () => {
    expect(errorText({ code: "code.none" })).toBe("No code has been requested.");
    expect(errorText({ code: "code.expired" })).toBe("The verification code has expired.");
    expect(errorText({ code: "code.too_soon" })).toBe("Please wait before trying again.");
    expect(errorText({ code: "code.too_many_attempts" })).toBe("Too many attempts. Please request a new code.");
    expect(errorText({ code: "code.incorrect" })).toBe("Incorrect code.");
  });

  it("gives the generic message for unknown codes, never the raw text", () => {
    expect(errorText({ code: "disk.exploded", message: "/home/secret" } as never)).toBe(
      "Something went wrong. Please try again.",
    );
    expect(errorText({ code: "toString" })).toBe("Something went wrong. Please try again.");
    expect(errorText({ code: "generic" })).toBe("Something went wrong. Please try again.");
    expect(isKnownErrorCode("generic")).toBe(false);
    expect(errorText(null)).toBe("Something went wrong. Please try again.");
    setLanguage("nl");
    expect(errorText({ code: "nope" })).toBe("Er ging iets mis. Probeer het opnieuw.");
  });
});
