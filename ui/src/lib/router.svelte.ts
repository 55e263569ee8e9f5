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
  | "settings"
  // Signing in and getting back in.
  | "sign"
  | "signup"
  | "verify-email"
  | "locked"
  | "forgot-password"
  | "reset-password"
  | "recover"
  | "recovery-request"
  | "second-factor";

/** Screens that need a signed-in person; a signed-out person is sent to sign-in, then back. */
export const SIGNED_IN_SCREENS: ReadonlySet<Screen> = new Set<Screen>(["account", "security"]);

/** Screens of the sign-in family: shown in the sign-in layout, part of the Account section. */
export const AUTH_SCREENS: ReadonlySet<Screen> = new Set<Screen>([
  "sign",
  "signup",
  "verify-email",
  "locked",
  "forgot-password",
  "reset-password",
  "recover",
  "recovery-request",
  "second-factor",
]);

export const DEFAULT_PATH = "/help";

export const ROUTES: Readonly<Record<string, Screen>> = {
  "/help": "help",
  "/account": "account",
  "/security": "security",
  "/sessions": "sessions",
  "/support": "support",
  "/agent": "agent",
  "/settings": "settings",
  // XWMS route names: /sign is the entry point (with "Recover account" on its left side),
  // /login the same sign-in for existing users, /signup creates an account.
  "/sign": "sign",
  "/login": "sign",
  "/signup": "signup",
  "/verify-email": "verify-email",
  "/locked": "locked",
  "/unlock": "locked",
  "/forgot-password": "forgot-password",
  "/reset-password": "reset-password",
  "/recover": "recover",
  "/recovery-request": "recovery-request",
  "/second-factor": "second-factor",
  // Contact goes to support.
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
