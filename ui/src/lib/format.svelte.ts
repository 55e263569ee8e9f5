// Dates and times, one place for the whole app. They follow the current language and, when
// someone is signed in, their account's time zone and region (`setFormatPreferences`, called
// by the account store). Signed out, the system's time zone applies.

import { locale } from "$lib/i18n/index.svelte";

const prefs = $state<{ timeZone: string | undefined; region: string | undefined }>({
  timeZone: undefined,
  region: undefined,
});

/** True when `zone` is an IANA time zone this runtime knows. */
export function isValidTimeZone(zone: string | null | undefined): zone is string {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function isRegion(region: string | null | undefined): region is string {
  return !!region && /^[A-Z]{2}$/.test(region);
}

/** Uses the account's time zone and region; `null` (signed out) goes back to the system's. */
export function setFormatPreferences(p: { timezone?: string | null; region?: string | null } | null): void {
  prefs.timeZone = isValidTimeZone(p?.timezone) ? p.timezone : undefined;
  prefs.region = isRegion(p?.region) ? p.region : undefined;
}

/** The time zone dates are shown in (the system's when none is set). */
export function displayTimeZone(): string {
  return prefs.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The BCP 47 tag formats use: the language, with the account's region (`nl-BE`). */
export function formatLocale(): string {
  const lang = locale();
  if (!prefs.region) return lang;
  const tag = `${lang}-${prefs.region}`;
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([tag]).length ? tag : lang;
  } catch {
    return lang;
  }
}

function toDate(value: string | number | Date | null | undefined): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function format(value: string | number | Date | null | undefined, options: Intl.DateTimeFormatOptions): string | null {
  const date = toDate(value);
  if (!date) return null;
  return new Intl.DateTimeFormat(formatLocale(), { ...options, timeZone: prefs.timeZone }).format(date);
}

/** Date and time, e.g. "25 Nov 2026, 09:30:05". */
export function formatDateTime(value: string | number | Date | null | undefined): string | null {
  return format(value, { dateStyle: "medium", timeStyle: "medium" });
}

/** A date only, e.g. "25 November 2026". */
export function formatDate(value: string | number | Date | null | undefined): string | null {
  return format(value, { dateStyle: "long" });
}

/** A time of day without seconds, e.g. "09:35". */
export function formatTime(value: string | number | Date | null | undefined): string | null {
  return format(value, { timeStyle: "short" });
}

const RELATIVE_STEPS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
  ["week", 4.35],
  ["month", 12],
  ["year", Number.POSITIVE_INFINITY],
];

/**
 * How long ago (or how far ahead) `value` is, in the current language: "just now" under a
 * minute, then "5 minutes ago", "yesterday", "3 weeks ago", ...
 */
export function formatRelative(value: string | number | Date | null | undefined, now: number = Date.now()): string | null {
  const date = toDate(value);
  if (!date) return null;
  const rtf = new Intl.RelativeTimeFormat(formatLocale(), { numeric: "auto" });
  let amount = (date.getTime() - now) / 1000;
  if (Math.abs(amount) < 45) return rtf.format(0, "second");
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(amount) < size) return rtf.format(Math.round(amount), unit);
    amount /= size;
  }
  return null;
}
