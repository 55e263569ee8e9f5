import { describe, expect, it } from "vitest";
import { highlightSegments } from "./highlight";

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
