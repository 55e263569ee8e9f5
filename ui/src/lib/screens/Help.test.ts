// The Help center screens: home (search, status, topics), a topic with its tag filter, and
// an article (answer links, feedback, not found, language), with the Rust side mocked.
import { emit } from "@tauri-apps/api/event";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it } from "vitest";
import HelpArticleScreen from "./HelpArticleScreen.svelte";
import HelpCategoryScreen from "./HelpCategoryScreen.svelte";
import HelpScreen from "./HelpScreen.svelte";
import LegalScreen from "./LegalScreen.svelte";
import { formatDateTime } from "$lib/format.svelte";
import { setLanguage } from "$lib/i18n/index.svelte";
import { connection } from "$lib/stores/connection.svelte";
import { helpHandlers, helpStatus } from "../../test/help-fixtures";
import { goTo, mockBackend, offline, online, refusal, resetStores } from "../../test/fixtures";

beforeEach(async () => {
  resetStores();
  connection.apply(online());
  await goTo("");
});

const text = (el: Element | null | undefined) => el?.textContent?.replace(/\s+/g, " ").trim();
const search = () => screen.getByTestId("help-search") as HTMLInputElement;
const results = () => screen.queryAllByTestId("help-result");

async function typeQuery(value: string): Promise<void> {
  await fireEvent.input(search(), { target: { value } });
}

describe("Help home", () => {
  it("shows instant results with the matched words marked", async () => {
    const calls = mockBackend(helpHandlers());
    render(HelpScreen);
    expect(screen.getByLabelText("Search the help")).toBe(search());
    expect(results()).toHaveLength(0);

    await typeQuery("password");
    await waitFor(() => expect(results()).toHaveLength(2));
    const [first] = results();
    expect(first?.dataset.id).toBe("forgot-password");
    expect(first?.querySelector(".result-title")?.textContent).toBe("I forgot my password. How do I reset it?");
    expect([...(first?.querySelectorAll("mark") ?? [])].map((m) => m.textContent)).toEqual(["password"]);
    expect(calls.filter((c) => c.cmd === "help_search").at(-1)?.args).toEqual({ lang: "en", query: "password", limit: 8 });
    expect(screen.queryByTestId("help-no-results")).toBeNull();

    // Empty again: no list.
    await typeQuery("  ");
    await waitFor(() => expect(results()).toHaveLength(0));
    expect(screen.queryByTestId("help-no-results")).toBeNull();
  });

  it("waits for a pause in typing before searching", async () => {
    const calls = mockBackend(helpHandlers());
    render(HelpScreen);
    for (const q of ["p", "pa", "pas", "pass"]) await typeQuery(q);
    await waitFor(() => expect(results().length).toBeGreaterThan(0));
    expect(calls.filter((c) => c.cmd === "help_search").map((c) => c.args.query)).toEqual(["pass"]);
  });

  it("says so when nothing matches, pointing to support", async () => {
    mockBackend(helpHandlers());
    render(HelpScreen);
    await typeQuery("zebra crossing");
    await waitFor(() => expect(screen.getByTestId("help-no-results")).toBeTruthy());
    const none = screen.getByTestId("help-no-results");
    expect(text(none)).toContain("No answers found for “zebra crossing”.");
    expect(none.querySelector("a")?.getAttribute("href")).toBe("#/support/new");
  });

  it("moves through the results with the arrow keys, opens with Enter and clears with Escape", async () => {
    mockBackend(helpHandlers());
    render(HelpScreen);
    await typeQuery("password");
    await waitFor(() => expect(results()).toHaveLength(2));
    const selected = () => results().map((r) => r.getAttribute("aria-selected"));
    const input = search();
    expect(input.getAttribute("aria-expanded")).toBe("true");
    expect(selected()).toEqual(["false", "false"]);

    await fireEvent.keyDown(input, { key: "ArrowDown" });
    expect(selected()).toEqual(["true", "false"]);
    expect(input.getAttribute("aria-activedescendant")).toBe(results()[0]?.id);
    await fireEvent.keyDown(input, { key: "ArrowDown" });
    expect(selected()).toEqual(["false", "true"]);
    await fireEvent.keyDown(input, { key: "ArrowDown" });
    expect(selected()).toEqual(["true", "false"]);
    await fireEvent.keyDown(input, { key: "ArrowUp" });
    expect(selected()).toEqual(["false", "true"]);

    await fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(window.location.hash).toBe("#/help/article/change-password"));

    await fireEvent.keyDown(input, { key: "Escape" });
    expect(input.value).toBe("");
    await waitFor(() => expect(results()).toHaveLength(0));
    expect(input.getAttribute("aria-expanded")).toBe("false");
  });

  it("does not open a result of an older query while the new one is still being searched", async () => {
    mockBackend(helpHandlers());
    render(HelpScreen);
    await typeQuery("password");
    await waitFor(() => expect(results()).toHaveLength(2));
    await typeQuery("sessions");
    await fireEvent.keyDown(search(), { key: "Enter" });
    expect(window.location.hash).toBe("");
    await waitFor(() => expect(results().map((r) => r.dataset.id)).toEqual(["active-sessions"]));
    await fireEvent.keyDown(search(), { key: "Enter" });
    await waitFor(() => expect(window.location.hash).toBe("#/help/article/active-sessions"));
  });

  it("lists topics and popular questions in the app's language", async () => {
    const calls = mockBackend(helpHandlers());
    render(HelpScreen);
    await waitFor(() => expect(screen.getAllByTestId("help-category")).toHaveLength(1));
    const category = screen.getByTestId("help-category");
    expect(category.dataset.slug).toBe("account-security");
    expect(category.getAttribute("href")).toBe("#/help/category/account-security");
    expect(text(category)).toBe("Account & Security Sign-in, 2FA and recovery. 3 questions");
    expect(screen.getAllByTestId("help-popular").map((a) => a.dataset.id)).toEqual(["forgot-password", "change-password"]);
    expect(calls.find((c) => c.cmd === "help_popular")?.args).toEqual({ lang: "en", limit: 8 });

    setLanguage("nl");
    await waitFor(() => expect(text(screen.getByTestId("help-category"))).toContain("Account & beveiliging"));
    expect(text(screen.getAllByTestId("help-popular")[0])).toBe("Ik ben mijn wachtwoord vergeten. Wat nu?");
  });

  it("shows when the help was updated, and that bundled help was not synced yet", async () => {
    mockBackend(helpHandlers());
    const { unmount } = render(HelpScreen);
    await waitFor(() => expect(screen.getByTestId("help-updated")).toBeTruthy());
    expect(text(screen.getByTestId("help-updated"))).toBe(`Updated ${formatDateTime("2026-11-25T08:00:00Z")}`);
    expect(screen.getByTestId("help-updated").querySelector("time")?.getAttribute("datetime")).toBe("2026-11-25T08:00:00Z");
    unmount();

    mockBackend(helpHandlers({ help_status: () => helpStatus({ source: "bundled", synced_at: null, version: 0 }) }));
    render(HelpScreen);
    await waitFor(() =>
      expect(text(screen.getByTestId("help-updated"))).toBe(
        "This help comes with the app and has not been synced with the server yet.",
      ),
    );
  });

  it("shows the offline badge only while offline, and keeps the connection panel", async () => {
    mockBackend(helpHandlers());
    render(HelpScreen);
    expect(screen.queryByTestId("help-offline-badge")).toBeNull();
    expect(screen.getByTestId("server-name").textContent).toBe("XWMS");
    connection.apply(offline());
    await waitFor(() => expect(text(screen.getByTestId("help-offline-badge"))).toBe("Offline — showing saved help"));
    connection.apply(online());
    await waitFor(() => expect(screen.queryByTestId("help-offline-badge")).toBeNull());
  });

  it("syncs on request, disabled while running, and says why it failed", async () => {
    let finish: ((v: unknown) => void) | undefined;
    const calls = mockBackend(
      helpHandlers({
        help_sync: () =>
          new Promise((_, fail) => (finish = () => fail({ code: "network.offline", message: "internal detail" }))),
      }),
    );
    render(HelpScreen);
    const button = screen.getByTestId("help-sync") as HTMLButtonElement;
    expect(text(button)).toBe("Sync now");
    await fireEvent.click(button);
    await waitFor(() => expect(button.disabled).toBe(true));
    expect(text(button)).toBe("Syncing…");
    finish?.(null);
    await waitFor(() => expect(button.disabled).toBe(false));
    expect(text(screen.getByRole("alert"))).toBe("The help could not be synced. The XWMS server cannot be reached.");
    expect(calls.filter((c) => c.cmd === "help_sync")).toHaveLength(1);
  });

  it("reloads topics after a sync that brought new content", async () => {
    const calls = mockBackend(helpHandlers());
    render(HelpScreen);
    await waitFor(() => expect(screen.getAllByTestId("help-category")).toHaveLength(1));
    const before = calls.filter((c) => c.cmd === "help_categories").length;
    await fireEvent.click(screen.getByTestId("help-sync"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "help_categories").length).toBeGreaterThan(before));
    await waitFor(() => expect(screen.getByText("The help is up to date.")).toBeTruthy());
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("shows the rebuilt-cache notice until it is dismissed, and follows help-changed", async () => {
    const calls = mockBackend(helpHandlers({ help_status: () => helpStatus({ notice: "cache_rebuilt" }) }));
    render(HelpScreen);
    await waitFor(() => expect(screen.getByTestId("help-notice")).toBeTruthy());
    expect(text(screen.getByTestId("help-notice"))).toContain(
      "The saved help was damaged and has been restored; it will be brought up to date when you are online.",
    );
    await fireEvent.click(screen.getByTestId("help-notice-dismiss"));
    await waitFor(() => expect(screen.queryByTestId("help-notice")).toBeNull());
    expect(calls.some((c) => c.cmd === "help_dismiss_notice")).toBe(true);

    await emit("help-changed", helpStatus({ notice: "cache_rebuilt", source: "bundled", synced_at: null }));
    await waitFor(() => expect(screen.getByTestId("help-notice")).toBeTruthy());
    expect(text(screen.getByTestId("help-updated"))).toContain("has not been synced");
  });
});

describe("Help topic", () => {
  it("filters the questions by tag, reflected in the address", async () => {
    await goTo("#/help/category/account-security");
    const calls = mockBackend(helpHandlers());
    render(HelpCategoryScreen);
    await waitFor(() => expect(screen.getByTestId("help-category-title").textContent).toBe("Account & Security"));
    const ids = () => screen.getAllByTestId("help-article-link").map((a) => a.dataset.id);
    expect(ids()).toEqual(["forgot-password", "change-password", "active-sessions"]);
    const tag = (name: string) => screen.getAllByTestId("help-tag").find((b) => b.dataset.tag === name) as HTMLElement;
    expect(screen.getAllByTestId("help-tag").map((b) => b.dataset.tag)).toEqual(["", "password", "reset", "security", "sessions"]);
    expect(tag("").getAttribute("aria-pressed")).toBe("true");
    expect(text(tag(""))).toBe("All");

    await fireEvent.click(tag("security"));
    await waitFor(() => expect(ids()).toEqual(["change-password"]));
    expect(window.location.hash).toBe("#/help/category/account-security?tag=security");
    expect(tag("security").getAttribute("aria-pressed")).toBe("true");
    expect(tag("").getAttribute("aria-pressed")).toBe("false");
    expect(calls.filter((c) => c.cmd === "help_category").at(-1)?.args).toEqual({
      lang: "en",
      slug: "account-security",
      tag: "security",
    });
    expect(screen.getByRole("heading", { level: 2, name: "Questions tagged “security”" })).toBeTruthy();

    // Arrow keys move between the chips; only one is in the Tab order.
    expect(screen.getAllByTestId("help-tag").filter((b) => b.tabIndex === 0)).toEqual([tag("security")]);
    tag("security").focus();
    await fireEvent.keyDown(tag("security"), { key: "ArrowRight" });
    await waitFor(() => expect(document.activeElement).toBe(tag("sessions")));

    await fireEvent.click(tag(""));
    await waitFor(() => expect(ids()).toHaveLength(3));
    expect(window.location.hash).toBe("#/help/category/account-security");
  });

  it("opens with the tag from the address, even one with spaces and accents", async () => {
    await goTo(`#/help/category/account-security?tag=${encodeURIComponent("mot de passe oublié")}`);
    const calls = mockBackend(helpHandlers());
    render(HelpCategoryScreen);
    await waitFor(() => expect(screen.getByTestId("help-no-questions")).toBeTruthy());
    expect(calls.find((c) => c.cmd === "help_category")?.args.tag).toBe("mot de passe oublié");
    const pressed = screen.getAllByTestId("help-tag").filter((b) => b.getAttribute("aria-pressed") === "true");
    expect(pressed.map((b) => b.dataset.tag)).toEqual(["mot de passe oublié"]);
  });

  it("says so for an unknown topic", async () => {
    await goTo("#/help/category/no-such-topic");
    mockBackend(helpHandlers());
    render(HelpCategoryScreen);
    await waitFor(() => expect(screen.getByTestId("help-not-found")).toBeTruthy());
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("This topic could not be found.");
    for (const link of screen.getAllByRole("link", { name: "Back to Help" })) expect(link.getAttribute("href")).toBe("#/help");
  });
});

describe("Help article", () => {
  it("renders the answer's links as links, with tags and related questions", async () => {
    await goTo("#/help/article/change-password");
    const calls = mockBackend(helpHandlers());
    render(HelpArticleScreen);
    await waitFor(() => expect(screen.getByTestId("help-article-title").textContent).toBe("How do I change my password?"));
    const body = screen.getByTestId("help-article-body");
    expect(text(body)).toBe("Go to Security and choose a new password. Read the terms.");
    expect(body.querySelectorAll("*:not(a):not(span):not(svg):not(path)")).toHaveLength(0);
    const links = screen.getAllByTestId("help-link");
    expect(links.map((a) => [a.dataset.target, a.getAttribute("href"), a.textContent])).toEqual([
      ["/account/security", "#/account/security", "Security"],
      ["/terms", "#/terms", "terms"],
    ]);
    const tags = screen.getAllByTestId("help-article-tag");
    expect(tags.map((a) => a.getAttribute("href"))).toEqual([
      "#/help/category/account-security?tag=password",
      "#/help/category/account-security?tag=security",
    ]);
    expect(screen.getAllByTestId("help-related").map((a) => a.dataset.id)).toEqual(["forgot-password", "active-sessions"]);
    expect(screen.getByTestId("help-breadcrumb-category").getAttribute("href")).toBe("#/help/category/account-security");
    expect(calls.find((c) => c.cmd === "help_related")?.args).toEqual({ lang: "en", key: "change-password", limit: 5 });
  });

  it("opens a web address in the system browser, not in the app", async () => {
    await goTo("#/help/article/active-sessions");
    const calls = mockBackend(helpHandlers());
    render(HelpArticleScreen);
    await waitFor(() => expect(screen.getAllByTestId("help-link")).toHaveLength(2));
    const external = screen.getAllByTestId("help-link")[1] as HTMLAnchorElement;
    expect(external.dataset.target).toBe("https://xwms.nl/sign");
    const click = new MouseEvent("click", { bubbles: true, cancelable: true });
    external.dispatchEvent(click);
    expect(click.defaultPrevented).toBe(true);
    await waitFor(() => expect(calls.find((c) => c.cmd === "open_external")?.args).toEqual({ url: "https://xwms.nl/sign" }));
  });

  it("thanks for feedback, and says it is sent later when offline", async () => {
    await goTo("#/help/article/forgot-password");
    const calls = mockBackend(helpHandlers());
    const { unmount } = render(HelpArticleScreen);
    await waitFor(() => expect(screen.getByTestId("help-feedback-yes")).toBeTruthy());
    await fireEvent.click(screen.getByTestId("help-feedback-yes"));
    await waitFor(() => expect(text(screen.getByTestId("help-feedback-thanks"))).toBe("Thank you for your feedback."));
    expect(screen.queryByTestId("help-feedback-yes")).toBeNull();
    expect(calls.find((c) => c.cmd === "help_feedback")?.args).toEqual({ lang: "en", key: "forgot-password", helpful: true });
    unmount();

    connection.apply(offline());
    render(HelpArticleScreen);
    await waitFor(() => expect(screen.getByTestId("help-feedback-no")).toBeTruthy());
    await fireEvent.click(screen.getByTestId("help-feedback-no"));
    await waitFor(() =>
      expect(text(screen.getByTestId("help-feedback-thanks"))).toBe(
        "Thank you for your feedback. It will be sent when you are back online.",
      ),
    );
    expect(calls.filter((c) => c.cmd === "help_feedback").at(-1)?.args).toEqual({
      lang: "en",
      key: "forgot-password",
      helpful: false,
    });
  });

  it("keeps the buttons and says why when feedback could not be stored", async () => {
    await goTo("#/help/article/forgot-password");
    mockBackend(helpHandlers({ help_feedback: refusal("help.cache_failed") }));
    render(HelpArticleScreen);
    await waitFor(() => expect(screen.getByTestId("help-feedback-yes")).toBeTruthy());
    await fireEvent.click(screen.getByTestId("help-feedback-yes"));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("The saved help could not be read or saved. Please try again."));
    expect(screen.getByTestId("help-feedback-yes")).toBeTruthy();
    expect(screen.queryByTestId("help-feedback-thanks")).toBeNull();
  });

  it("shows a clear not-found state for an unknown article", async () => {
    await goTo("#/help/article/no-such-question");
    mockBackend(helpHandlers());
    render(HelpArticleScreen);
    await waitFor(() => expect(screen.getByTestId("help-not-found")).toBeTruthy());
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("This question could not be found.");
    expect(screen.getByTestId("help-not-found-back").getAttribute("href")).toBe("#/help");
    expect(document.body.textContent).not.toContain("internal detail");
  });

  it("reloads the same article in the new language", async () => {
    await goTo("#/help/article/forgot-password");
    const calls = mockBackend(helpHandlers());
    render(HelpArticleScreen);
    await waitFor(() => expect(screen.getByTestId("help-article-title").textContent).toBe("I forgot my password. How do I reset it?"));
    setLanguage("nl");
    await waitFor(() => expect(screen.getByTestId("help-article-title").textContent).toBe("Ik ben mijn wachtwoord vergeten. Wat nu?"));
    expect(text(screen.getByTestId("help-article-body"))).toBe("Open de inlogpagina en kies Wachtwoord vergeten.");
    expect(text(screen.getByTestId("help-feedback-yes"))).toBe("Ja");
    expect(calls.filter((c) => c.cmd === "help_article").map((c) => c.args)).toEqual([
      { lang: "en", key: "forgot-password" },
      { lang: "nl", key: "forgot-password" },
    ]);
  });

  it("shows the next article when a related question is opened", async () => {
    await goTo("#/help/article/forgot-password");
    mockBackend(helpHandlers());
    render(HelpArticleScreen);
    await waitFor(() => expect(screen.getAllByTestId("help-related").length).toBeGreaterThan(0));
    await goTo(screen.getAllByTestId("help-related")[0]?.getAttribute("href") ?? "");
    await waitFor(() => expect(screen.getByTestId("help-article-title").textContent).toBe("How do I change my password?"));
  });
});

describe("Legal", () => {
  it.each([
    ["terms", "Terms and conditions", "https://xwms.nl/terms"],
    ["privacy", "Privacy statement", "https://xwms.nl/privacy"],
  ] as const)("%s says where the text is and opens it in the browser", async (kind, title, url) => {
    const calls = mockBackend();
    render(LegalScreen, { props: { kind } });
    expect(screen.getByTestId("legal-title").textContent).toBe(title);
    expect(document.body.textContent).toContain("publishes");
    await fireEvent.click(screen.getByTestId("legal-open"));
    await waitFor(() => expect(calls.find((c) => c.cmd === "open_external")?.args).toEqual({ url }));
    expect(screen.getByTestId("legal-back").getAttribute("href")).toBe("#/help");
  });
});
