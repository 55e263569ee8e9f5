// Search snippets come with highlight ranges counted in Unicode code points (as the Rust
// search engine counts them); these become marked and unmarked segments, rendered as text.

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
