// Hash router: `#/help`, `#/settings`, ... The route table also holds the route names that
// XWMS help texts use (`/sign`, `/login`, `/contact`, `/terms`, ...), so a link in a help
// answer opens the matching screen. The help center has sub-pages with a parameter,
// `#/help/category/<slug>` (optionally `?tag=<tag>`) and `#/help/article/<id>`.

export type Screen =
  | "help"
  | "help-category"
  | "help-article"
  | "terms"
  | "privacy"
  | "account"
  | "security"
  | "sessions"
  | "api-credentials"
  | "support"
  | "support-new"
  | "support-conversation"
  | "support-guest"
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
export const SIGNED_IN_SCREENS: ReadonlySet<Screen> = new Set<Screen>([
  "account",
  "security",
  "sessions",
  "api-credentials",
]);

/**
 * Support screens that need a signed-in person; signed out, the Support home says so (and
 * offers signing in, or following a recovery case without an account).
 */
export const SUPPORT_SIGNED_IN_SCREENS: ReadonlySet<Screen> = new Set<Screen>(["support-new", "support-conversation"]);

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

/** Screens that belong to the Help section: the sidebar's Help item stays current on them. */
export const HELP_SCREENS: ReadonlySet<Screen> = new Set<Screen>(["help", "help-category", "help-article", "terms", "privacy"]);

/** Screens that belong to the Support section. */
export const SUPPORT_SCREENS: ReadonlySet<Screen> = new Set<Screen>(["support", "support-new", "support-conversation", "support-guest"]);

/** The sidebar item a screen belongs to (itself for most screens). */
export function sectionOf(screen: Screen): Screen {
  if (SUPPORT_SCREENS.has(screen)) return "support";
  return HELP_SCREENS.has(screen) ? "help" : screen;
}

export const DEFAULT_PATH = "/help";

export const ROUTES: Readonly<Record<string, Screen>> = {
  "/help": "help",
  "/account": "account",
  "/security": "security",
  "/sessions": "sessions",
  // XWMS's web routes for the same screens, as help answers use them.
  "/account/security": "security",
  "/account/sessions": "sessions",
  // API credentials (client id and secret for integrations): a page of the security center.
  "/api-credentials": "api-credentials",
  "/account/api-credentials": "api-credentials",
  "/support": "support",
  "/support/new": "support-new",
  "/support/guest": "support-guest",
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
  // Contact starts a conversation with support.
  "/contact": "support-new",
  // XWMS publishes its terms and privacy statement on its website; these screens say so and
  // open them in the system browser.
  "/terms": "terms",
  "/privacy": "privacy",
};

/** Routes with one parameter (the last path segment). Ids and slugs are lower-case kebab. */
const PARAM_ROUTES: readonly { prefix: string; screen: Screen }[] = [
  { prefix: "/help/category/", screen: "help-category" },
  { prefix: "/help/article/", screen: "help-article" },
  { prefix: "/support/conversation/", screen: "support-conversation" },
];

/** The path part of a location hash: `#/sessions?x=1` → `/sessions`. */
export function pathFromHash(hash: string): string {
  const raw = hash.replace(/^#/, "").split(/[?#]/)[0] ?? "";
  const path = raw.startsWith("/") ? raw : `/${raw}`;
  return path.length > 1 ? path.replace(/\/+$/, "").toLowerCase() : path;
}

/** The query part of a location hash: `#/help/category/x?tag=a%20b` → `tag=a b`. */
export function queryFromHash(hash: string): URLSearchParams {
  const raw = hash.replace(/^#/, "");
  const at = raw.indexOf("?");
  return new URLSearchParams(at === -1 ? "" : raw.slice(at + 1).split("#")[0]);
}

function decodeSegment(segment: string): string | null {
  try {
    const value = decodeURIComponent(segment);
    return value && !value.includes("/") ? value : null;
  } catch {
    return null;
  }
}

/** The screen and parameter of a path, or undefined for an unknown path. */
export function matchPath(path: string): { screen: Screen; param: string | null } | undefined {
  if (Object.hasOwn(ROUTES, path)) return { screen: ROUTES[path] as Screen, param: null };
  for (const route of PARAM_ROUTES) {
    if (!path.startsWith(route.prefix)) continue;
    const rest = path.slice(route.prefix.length);
    const param = rest.includes("/") ? null : decodeSegment(rest);
    if (param) return { screen: route.screen, param };
  }
  return undefined;
}

export function screenFor(path: string): Screen | undefined {
  return matchPath(path)?.screen;
}

/** Screens reached with a parameter have no link of their own: their link goes to Help. */
const SCREEN_PATHS: Partial<Record<Screen, string>> = {
  "help-category": "/help",
  "help-article": "/help",
  "support-new": "/support/new",
  "support-guest": "/support/guest",
  "support-conversation": "/support",
};

export function hrefFor(screen: Screen): string {
  return `#${SCREEN_PATHS[screen] ?? `/${screen}`}`;
}

/** Link to a help category, optionally filtered by one of its tags. */
export function helpCategoryHref(slug: string, tag?: string | null): string {
  const query = tag ? `?${new URLSearchParams({ tag }).toString()}` : "";
  return `#/help/category/${encodeURIComponent(slug)}${query}`;
}

/** Link to a help article by its id. */
export function helpArticleHref(id: string): string {
  return `#/help/article/${encodeURIComponent(id)}`;
}

function currentHash(): string {
  return typeof location === "undefined" ? `#${DEFAULT_PATH}` : location.hash;
}

const state = $state({ hash: currentHash() });
const path = $derived(pathFromHash(state.hash));
const match = $derived(matchPath(path));
const query = $derived(queryFromHash(state.hash));

/** The screen for the current location, or undefined for an unknown path. */
export function currentScreen(): Screen | undefined {
  return match?.screen;
}

/** The current route's parameter: the category slug, the article id, the conversation id. */
export function routeParam(): string | null {
  return match?.param ?? null;
}

/** The current route's parameter as written (conversation ids keep their case). */
export function routeParamExact(): string | null {
  if (!match?.param) return null;
  const raw = state.hash.replace(/^#/, "").split(/[?#]/)[0]?.replace(/\/+$/, "") ?? "";
  return decodeSegment(raw.slice(raw.lastIndexOf("/") + 1)) ?? match.param;
}

/** The current location as a `#/...` link, query included. */
export function currentHref(): string {
  return state.hash;
}

/** A value from the current location's query (`?tag=...`), or null. */
export function routeQuery(name: string): string | null {
  return query.get(name);
}

/** Replaces the current location by `href` (a `#/...` link) without a history entry. */
export function replaceHref(href: string): void {
  history.replaceState(history.state, "", href);
  state.hash = href;
}

export function navigate(screen: Screen): void {
  location.hash = hrefFor(screen);
}

/** Replaces the current location (no history entry), for redirects. */
export function redirect(screen: Screen): void {
  replaceHref(hrefFor(screen));
}

let navigated = false;

/** True once the person has gone to another location (the app is not on its first screen). */
export function hasNavigated(): boolean {
  return navigated;
}

/**
 * After going to another page, moves the focus to `target` when the focus was lost (the link
 * that led here is gone), so keyboard and screen reader users go on from the new page. On
 * the app's first screen nothing is focused: the skip link comes first.
 */
export function focusIfLost(target: HTMLElement | null | undefined): void {
  const lost = !document.activeElement || document.activeElement === document.body;
  if (navigated && lost) target?.focus();
}

if (typeof window !== "undefined") {
  window.addEventListener("hashchange", () => {
    navigated = true;
    state.hash = currentHash();
  });
}
