// Hash router: `#/help`, `#/settings`, ... The route table also holds the route names that
// XWMS help texts use (`/sign`, `/login`, `/contact`, `/terms`, ...), so a link in a help
// answer opens the matching screen.

export type Screen =
  | "help"
  | "account"
  | "security"
  | "sessions"
  | "support"
  | "agent"
  | "settings";

export const DEFAULT_PATH = "/help";

export const ROUTES: Readonly<Record<string, Screen>> = {
  "/help": "help",
  "/account": "account",
  "/security": "security",
  "/sessions": "sessions",
  "/support": "support",
  "/agent": "agent",
  "/settings": "settings",
  // XWMS route names. Sign-in lives in the account screen; contact goes to support.
  "/sign": "account",
  "/signup": "account",
  "/login": "account",
  "/contact": "support",
  // XWMS publishes its terms and privacy statement on the web; until they are shown in the
  // app, these open Help.
  "/terms": "help",
  "/privacy": "help",
};

/** The path part of a location hash: `#/sessions?x=1` → `/sessions`. */
export function pathFromHash(hash: string): string {
  const raw = hash.replace(/^#/, "").split(/[?#]/)[0] ?? "";
  const path = raw.startsWith("/") ? raw : `/${raw}`;
  return path.length > 1 ? path.replace(/\/+$/, "").toLowerCase() : path;
}

export function screenFor(path: string): Screen | undefined {
  return Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
}

export function hrefFor(screen: Screen): string {
  return `#/${screen}`;
}

function currentPath(): string {
  return typeof location === "undefined" ? DEFAULT_PATH : pathFromHash(location.hash);
}

const state = $state({ path: currentPath() });

/** The screen for the current location, or undefined for an unknown path. */
export function currentScreen(): Screen | undefined {
  return screenFor(state.path);
}

export function navigate(screen: Screen): void {
  location.hash = hrefFor(screen);
}

/** Replaces the current location (no history entry), for redirects. */
export function redirect(screen: Screen): void {
  history.replaceState(history.state, "", hrefFor(screen));
  state.path = `/${screen}`;
}

if (typeof window !== "undefined") {
  window.addEventListener("hashchange", () => {
    state.path = currentPath();
  });
}
