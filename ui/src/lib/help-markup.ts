// The help center's text markup, turned into plain segments that Svelte renders as text
// nodes (never as HTML).
//
// An answer is plain text with links `[label](target)`; a target is an app route (`/sign`,
// `/account/security`, ...) or a web address (`https://...`, `http://...`). Anything else,
// such as a bracket without its partner or a link to an unsupported kind of target, stays
// text. Search snippets come with highlight ranges counted in Unicode code points; those
// become marked and unmarked segments.

export type TextSegment = { text: string };
export type LinkSegment = { label: string; target: string; external: boolean };
export type Segment = TextSegment | LinkSegment;

export function isLink(segment: Segment): segment is LinkSegment {
  return "target" in segment;
}

const LINK = /\[([^[\]\n]+)\]\(([^()\s]+)\)/g;
const APP_ROUTE = /^\/[A-Za-z0-9/_-]*$/;
const WEB_URL = /^https?:\/\/[^\s/?#]+[^\s]*$/i;

/** `internal` for an app route, `external` for a web address, `null` for anything else. */
export function linkKind(target: string): "internal" | "external" | null {
  if (APP_ROUTE.test(target) && !target.startsWith("//")) return "internal";
  if (WEB_URL.test(target)) return "external";
  return null;
}

function pushText(out: Segment[], text: string): void {
  if (!text) return;
  const last = out[out.length - 1];
  if (last && !isLink(last)) last.text += text;
  else out.push({ text });
}

/** Splits an answer into text and links. Joining the texts and labels gives the readable text. */
export function parseMarkup(body: string): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const m of body.matchAll(LINK)) {
    const index = m.index ?? 0;
    pushText(out, body.slice(at, index));
    const label = m[1] ?? "";
    const target = m[2] ?? "";
    const kind = linkKind(target);
    if (kind && label.trim()) out.push({ label, target, external: kind === "external" });
    else pushText(out, label.trim() ? label : m[0]);
    at = index + m[0].length;
  }
  pushText(out, body.slice(at));
  return out;
}

/** The href an app route gets in the hash router: `/account/security` → `#/account/security`. */
export function routeHref(target: string): string {
  return `#${target}`;
}

export type MarkSegment = { text: string; mark: boolean };

/**
 * Splits `text` at the `[start, end)` ranges (Unicode code points, as the search engine
 * counts them) into marked and unmarked segments. Ranges may be unsorted or overlap; parts
 * outside the text are ignored.
 */
export function highlightSegments(text: string, ranges: readonly (readonly [number, number])[]): MarkSegment[] {
  const chars = Array.from(text);
  const spans = ranges
    .map(([s, e]) => [Math.max(0, Math.floor(s)), Math.min(chars.length, Math.floor(e))] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const [s, e] of spans) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  const out: MarkSegment[] = [];
  let at = 0;
  for (const [s, e] of merged) {
    if (s > at) out.push({ text: chars.slice(at, s).join(""), mark: false });
    out.push({ text: chars.slice(s, e).join(""), mark: true });
    at = e;
  }
  if (at < chars.length) out.push({ text: chars.slice(at).join(""), mark: false });
  return out;
}
