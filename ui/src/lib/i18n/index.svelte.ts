// Reactive translation state. `t()` and `locale()` read rune state, so any template or
// `$derived` that calls them re-renders when the language changes.

import type { Language } from "$lib/ipc";
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

const state = $state<{ setting: Language; system: Locale }>({
  setting: "system",
  system: matchLocale(systemTag()),
});

/** The language the UI shows now. */
export function locale(): Locale {
  return state.setting === "system" ? state.system : state.setting;
}

/** The language setting ("system" or a fixed language). */
export function languageSetting(): Language {
  return state.setting;
}

function syncDocument(): void {
  if (typeof document !== "undefined") document.documentElement.lang = locale();
}

export function setLanguage(setting: Language): void {
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

const ERROR_KEYS: Record<string, MessageKey> = {
  "settings.invalid_url": "error.settings.invalid_url",
  "settings.unsupported_scheme": "error.settings.unsupported_scheme",
  "settings.url_has_credentials": "error.settings.url_has_credentials",
  "settings.storage": "error.settings.storage",
  "network.offline": "error.network.offline",
  "network.timeout": "error.network.timeout",
  "network.bad_response": "error.network.bad_response",
  "server.internal": "error.server.internal",
  "server.unavailable": "error.server.unavailable",
  "request.invalid": "error.request.invalid",
};

/** True when `code` has its own localized message. */
export function isKnownErrorCode(code: string): boolean {
  return Object.hasOwn(ERROR_KEYS, code);
}

/**
 * The message a person sees for an error code. Unknown codes get the generic message: the
 * Rust side's `message` is for logs and is never shown.
 */
export function errorText(error: { code: string } | null | undefined): string {
  const key = error && Object.hasOwn(ERROR_KEYS, error.code) ? ERROR_KEYS[error.code] : undefined;
  return t(key ?? "error.generic");
}

/** Formats an ISO 8601 timestamp as date and time in the current language. */
export function formatDateTime(iso: string | null | undefined): string | null {
  if (!iso) return null;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "medium" }).format(date);
}
