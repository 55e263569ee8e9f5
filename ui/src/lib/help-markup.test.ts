import { describe, expect, it } from "vitest";
import { highlightSegments, linkKind, parseMarkup, routeHref } from "./help-markup";

describe("parseMarkup", () => {
  it("splits text and links to app routes and web addresses", () => {
    expect(parseMarkup("Open the [login page](/login), then [Security](/account/security). See [xwms.nl](https://xwms.nl/sign).")).toEqual([
      { text: "Open the " },
      { label: "login page", target: "/login", external: false },
      { text: ", then " },
      { label: "Security", target: "/account/security", external: false },
      { text: ". See " },
      { label: "xwms.nl", target: "https://xwms.nl/sign", external: true },
      { text: "." },
    ]);
  });

  it("handles a link at the start, at the end, and two in a row", () => {
    expect(parseMarkup("[a](/sign)[b](http://example.com/x?y=1)")).toEqual([
      { label: "a", target: "/sign", external: false },
      { label: "b", target: "http://example.com/x?y=1", external: true },
    ]);
    expect(parseMarkup("")).toEqual([]);
    expect(parseMarkup("Plain text only.")).toEqual([{ text: "Plain text only." }]);
  });

  it.each([
    "An [unclosed bracket and (/sign) text",
    "A ] stray bracket [x] (/sign)",
    "Missing target [label]() here",
    "Space inside [label] (/sign) is no link",
    "Nested [[label]](/sign) stays text",
    "Parens (like this) and [brackets] stay as they are",
    "A [label](/sign with space) target",
  ])("keeps broken markup as text: %s", (body) => {
    const segments = parseMarkup(body);
    const text = segments.map((s) => ("text" in s ? s.text : `[${s.label}](${s.target})`)).join("");
    expect(text).toBe(body);
  });

  it("turns a link with a target that is neither a route nor a web address into its label", () => {
    for (const target of ["javascript:void0", "data:text/html,x", "mailto:a@b.c", "//evil.example", "relative/path", "ftp://x.y"]) {
      expect(parseMarkup(`Click [here](${target}) now`)).toEqual([{ text: "Click here now" }]);
    }
  });

  it("keeps a script-like target with parentheses as text", () => {
    const body = "Click [here](javascript:alert(1)) now";
    expect(parseMarkup(body)).toEqual([{ text: body }]);
  });

  it("never produces HTML: markup-looking text stays text", () => {
    const body = `<img src=x onerror="alert(1)"> and [<b>bold</b>](/support) & "quotes"`;
    const segments = parseMarkup(body);
    expect(segments).toEqual([
      { text: `<img src=x onerror="alert(1)"> and ` },
      { label: "<b>bold</b>", target: "/support", external: false },
      { text: ` & "quotes"` },
    ]);
    // Segments are plain data: strings, and a boolean for the kind of link.
    for (const s of segments) for (const v of Object.values(s)) expect(["string", "boolean"]).toContain(typeof v);
  });

  it("keeps line breaks and non-ASCII text", () => {
    expect(parseMarkup("Réinitialisez 🔑\n[ici](/reset-password) — merci")).toEqual([
      { text: "Réinitialisez 🔑\n" },
      { label: "ici", target: "/reset-password", external: false },
      { text: " — merci" },
    ]);
  });

  it("classifies targets and builds in-app links", () => {
    expect(linkKind("/account/sessions")).toBe("internal");
    expect(linkKind("https://xwms.nl/terms")).toBe("external");
    expect(linkKind("https://")).toBeNull();
    expect(routeHref("/account/security")).toBe("#/account/security");
  });
});

describe("highlightSegments", () => {
  const marked = (text: string, ranges: [number, number][]) =>
    highlightSegments(text, ranges)
      .map((s) => (s.mark ? `<${s.text}>` : s.text))
      .join("");

  it("marks the ranges", () => {
    expect(marked("reset your password", [[0, 5], [11, 19]])).toBe("<reset> your <password>");
    expect(highlightSegments("abc", [])).toEqual([{ text: "abc", mark: false }]);
    expect(highlightSegments("", [[0, 3]])).toEqual([]);
  });

  it("counts in code points: accents and emoji", () => {
    // "é" is one code point (precomposed); "🔑" is one code point but two UTF-16 units.
    expect(marked("Mot de passe oublié 🔑 réinitialiser", [[13, 19], [22, 35]])).toBe("Mot de passe <oublié> 🔑 <réinitialiser>");
    expect(marked("🔑🔒 clé sécurité", [[1, 2], [3, 6]])).toBe("🔑<🔒> <clé> sécurité");
    expect(marked("👩‍💻 dev", [[0, 3]])).toBe("<👩‍💻> dev");
    // Never splits a surrogate pair.
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    expect(highlightSegments("a🔑b", [[1, 2]])).toEqual([
      { text: "a", mark: false },
      { text: "🔑", mark: true },
      { text: "b", mark: false },
    ]);
    for (const s of highlightSegments("🔑🔒🔑", [[1, 2]])) expect(lone.test(s.text)).toBe(false);
  });

  it("merges overlaps, sorts, and ignores ranges outside the text", () => {
    expect(marked("abcdefgh", [[4, 6], [1, 3], [2, 5]])).toBe("a<bcdef>gh");
    expect(marked("abc", [[2, 99], [-5, 1], [3, 3], [5, 2]])).toBe("<a>b<c>");
    expect(marked("abcd", [[1, 2], [2, 3]])).toBe("a<bc>d");
  });
});
