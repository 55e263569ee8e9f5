// Reactive translation state. `t()` and `locale()` read rune state, so any template or
// `$derived` that calls them re-renders when the language changes.

import type { LanguageSetting } from "$lib/ipc";
import { en, type MessageKey, type Messages } from "./en";
import { fr } from "./fr";
import { nl } from "./nl";

export type Locale = "en" | "nl" | "fr";
export type { MessageKey, Messages };

export const LOCALES: readonly Locale[] = ["en", "nl", "fr"];

export const dictionaries: Record<Locale, Messages> = { en, nl, fr };

/** Language names in their own language, as shown in the language picker. */
export const LANGUAGE_NAMES: Record<Locale, string> = {
  en: "English",
  nl: "Nederlands",
  fr: "Français",
};

/** Maps a BCP 47 tag such as `nl-BE` to a supported locale; anything else becomes English. */
export function matchLocale(tag: string | undefined | null): Locale {
  const primary = (tag ?? "").toLowerCase().split(/[-_]/)[0];
  return (LOCALES as readonly string[]).includes(primary ?? "") ? (primary as Locale) : "en";
}

function systemTag(): string | undefined {
  return typeof navigator === "undefined" ? undefined : navigator.language;
}

const state = $state<{ setting: LanguageSetting; system: Locale }>({
  setting: "system",
  system: matchLocale(systemTag()),
});

/** The language the UI shows now. */
export function locale(): Locale {
  return state.setting === "system" ? state.system : state.setting;
}

/** The language setting ("system" or a fixed language). */
export function languageSetting(): LanguageSetting {
  return state.setting;
}

function syncDocument(): void {
  if (typeof document !== "undefined") document.documentElement.lang = locale();
}

export function setLanguage(setting: LanguageSetting): void {
  state.setting = setting;
  syncDocument();
}

/** Re-reads navigator.language; call when the system language may have changed. */
export function refreshSystemLanguage(): void {
  state.system = matchLocale(systemTag());
  syncDocument();
}

if (typeof window !== "undefined") {
  window.addEventListener("languagechange", refreshSystemLanguage);
  syncDocument();
}

export type Params = Record<string, string | number>;

function interpolate(text: string, params?: Params): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** Translates `key` into the current language, filling `{placeholders}` from `params`. */
export function t(key: MessageKey, params?: Params): string {
  const text = dictionaries[locale()][key] || en[key];
  return interpolate(text, params);
}

/** Keys that come in plural forms: `base.one` and `base.other`. */
export type PluralKey = MessageKey extends infer K ? (K extends `${infer B}.one` ? B : never) : never;

/**
 * Translates a message that depends on a count, choosing `.one` or `.other` by the current
 * language's plural rules (French counts 0 as "one"). `{count}` is filled in.
 */
export function tn(key: PluralKey, count: number, params?: Params): string {
  const form = new Intl.PluralRules(locale()).select(count) === "one" ? "one" : "other";
  return t(`${key}.${form}` as MessageKey, { ...params, count });
}

function errorKey(code: string): MessageKey | undefined {
  const key = `error.${code}`;
  return Object.hasOwn(en, key) && code !== "generic" ? (key as MessageKey) : undefined;
}

/** True when `code` has its own localized message. */
export function isKnownErrorCode(code: string): boolean {
  return errorKey(code) !== undefined;
}

/**
 * The message a person sees for an error code. Unknown codes get the generic message: the
 * Rust side's `message` is for logs and is never shown.
 */
export function errorText(error: { code: string } | null | undefined): string {
  const key = error ? errorKey(error.code) : undefined;
  return t(key ?? "error.generic");
}
