import { describe, expect, it } from "vitest";
import {
  helpArticleHref,
  helpCategoryHref,
  hrefFor,
  matchPath,
  pathFromHash,
  queryFromHash,
  screenFor,
  sectionOf,
} from "./router.svelte";

describe("router", () => {
  it("maps the help sub-pages with their parameter", () => {
    expect(matchPath(pathFromHash("#/help/article/forgot-password"))).toEqual({ screen: "help-article", param: "forgot-password" });
    expect(matchPath(pathFromHash("#/help/category/account-security?tag=password"))).toEqual({
      screen: "help-category",
      param: "account-security",
    });
    expect(matchPath("/help/article/")).toBeUndefined();
    expect(matchPath("/help/article/a/b")).toBeUndefined();
    expect(matchPath("/help/article/%E0%A4%A")).toBeUndefined();
    expect(matchPath("/help")).toEqual({ screen: "help", param: null });
  });

  it("maps XWMS's web routes", () => {
    expect(screenFor("/account/security")).toBe("security");
    expect(screenFor("/account/sessions")).toBe("sessions");
    expect(screenFor("/terms")).toBe("terms");
    expect(screenFor("/privacy")).toBe("privacy");
    expect(screenFor("/account")).toBe("account");
    expect(screenFor("/nope")).toBeUndefined();
  });

  it("keeps the query's case and decodes it", () => {
    expect(queryFromHash("#/help/category/x?tag=Mot%20de%20passe%20oubli%C3%A9").get("tag")).toBe("Mot de passe oublié");
    expect(queryFromHash("#/help").get("tag")).toBeNull();
    expect(helpCategoryHref("account-security", "mot de passe")).toBe("#/help/category/account-security?tag=mot+de+passe");
    expect(queryFromHash(helpCategoryHref("x", "a&b=c")).get("tag")).toBe("a&b=c");
    expect(helpCategoryHref("account-security")).toBe("#/help/category/account-security");
    expect(helpArticleHref("forgot-password")).toBe("#/help/article/forgot-password");
  });

  it("keeps the sidebar's Help item for every help page", () => {
    for (const s of ["help", "help-category", "help-article", "terms", "privacy"] as const) expect(sectionOf(s)).toBe("help");
    expect(sectionOf("sessions")).toBe("sessions");
    expect(hrefFor("help-article")).toBe("#/help");
    expect(hrefFor("terms")).toBe("#/terms");
  });
});
