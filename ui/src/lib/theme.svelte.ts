// Theme: the setting ("system" | "light" | "dark") and the theme actually shown. The shown
// theme lands on <html data-theme="light|dark">, which switches the CSS custom properties in
// app.css. With "system", a change of the OS colour scheme applies at once.

import type { Theme } from "$lib/ipc";

export type ResolvedTheme = "light" | "dark";

const DARK_QUERY = "(prefers-color-scheme: dark)";

function systemPrefersDark(): boolean {
  return typeof window !== "undefined" && typeof window.matchMedia === "function"
    ? window.matchMedia(DARK_QUERY).matches
    : false;
}

const state = $state<{ setting: Theme; systemDark: boolean }>({
  setting: "system",
  systemDark: systemPrefersDark(),
});

export function themeSetting(): Theme {
  return state.setting;
}

export function resolvedTheme(): ResolvedTheme {
  if (state.setting === "system") return state.systemDark ? "dark" : "light";
  return state.setting;
}

function syncDocument(): void {
  if (typeof document === "undefined") return;
  const root = document.documentElement;
  const shown = resolvedTheme();
  root.dataset.theme = shown;
  root.style.colorScheme = shown;
}

export function setTheme(setting: Theme): void {
  state.setting = setting;
  syncDocument();
}

if (typeof window !== "undefined" && typeof window.matchMedia === "function") {
  const query = window.matchMedia(DARK_QUERY);
  query.addEventListener("change", (e) => {
    state.systemDark = e.matches;
    syncDocument();
  });
}
syncDocument();
