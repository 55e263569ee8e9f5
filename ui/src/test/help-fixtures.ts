// A tiny help center for the component tests: a fixture written for the tests (not the real
// content in content/help, whose search is Rust's and tested there).
import type { AnswerSpan, CategoryPage, HelpArticleView, HelpCategory, Language, HelpStatus, SearchHit } from "$lib/ipc";

type Handlers = Record<string, (args: Record<string, unknown>) => unknown>;

const CATEGORIES: HelpCategory[] = [
  { slug: "account-security", lang: "en", title: "Account & Security", subtitle: "Sign-in, 2FA and recovery.", order: 1, article_count: 3 },
  { slug: "account-security", lang: "nl", title: "Account & beveiliging", subtitle: "Inloggen, 2FA en herstel.", order: 1, article_count: 3 },
];

/** A link of an answer, as the Rust side parses it. */
const link = (label: string, target: string): AnswerSpan => ({ kind: "link", label, target, external: target.startsWith("https://") });

/** An article; its answer written as the Rust side hands it over (text and links), its body the markup. */
function article(lang: Language, id: string, title: string, spans: (string | AnswerSpan)[], tags: string[], order: number, popular = false): HelpArticleView {
  const answer = spans.map((s): AnswerSpan => (typeof s === "string" ? { kind: "text", text: s } : s));
  const body = answer.map((s) => (s.kind === "text" ? s.text : `[${s.label}](${s.target})`)).join("");
  return { id, lang, slug: id, category: "account-security", title, body, tags, popular, order, version: 1, answer };
}

export const ARTICLES: HelpArticleView[] = [
  article("en", "forgot-password", "I forgot my password. How do I reset it?", ["Open the ", link("sign-in page", "/login"), " and choose Forgot password."], ["password", "reset"], 1, true),
  article("en", "change-password", "How do I change my password?", ["Go to ", link("Security", "/account/security"), " and choose a new password. Read the ", link("terms", "/terms"), "."], ["password", "security"], 2, true),
  article("en", "active-sessions", "Where can I see my active sessions?", ["Open ", link("Sessions", "/account/sessions"), " or visit ", link("xwms.nl", "https://xwms.nl/sign"), "."], ["sessions"], 3),
  article("nl", "forgot-password", "Ik ben mijn wachtwoord vergeten. Wat nu?", ["Open de ", link("inlogpagina", "/login"), " en kies Wachtwoord vergeten."], ["wachtwoord"], 1, true),
  article("nl", "change-password", "Hoe wijzig ik mijn wachtwoord?", ["Ga naar ", link("Beveiliging", "/account/security"), "."], ["wachtwoord"], 2, true),
];

export function helpStatus(overrides: Partial<HelpStatus> = {}): HelpStatus {
  return {
    version: 3,
    source: "server",
    synced_at: "2026-11-25T08:00:00Z",
    article_count: ARTICLES.length,
    pending_feedback: 0,
    notice: null,
    ...overrides,
  };
}

const notFound = () => {
  throw { code: "help.not_found", message: "internal detail: no such article" };
};

/** Handlers for `mockBackend` that answer the help commands from the fixture. */
export function helpHandlers(overrides: Handlers = {}): Handlers {
  const find = (lang: unknown, key: unknown) =>
    ARTICLES.find((a) => a.lang === lang && (a.id === key || a.slug === key));
  return {
    help_status: () => helpStatus(),
    help_dismiss_notice: () => null,
    help_categories: ({ lang }) => CATEGORIES.filter((c) => c.lang === lang),
    help_popular: ({ lang }) => ARTICLES.filter((a) => a.lang === lang && a.popular),
    help_category: ({ lang, slug, tag }): CategoryPage => {
      const category = CATEGORIES.find((c) => c.lang === lang && c.slug === slug);
      if (!category) notFound();
      const all = ARTICLES.filter((a) => a.lang === lang && a.category === slug);
      const tags = [...new Set(all.flatMap((a) => a.tags))];
      const articles = tag ? all.filter((a) => a.tags.includes(String(tag))) : all;
      return { category: category as HelpCategory, tags, articles };
    },
    help_article: ({ lang, key }) => find(lang, key) ?? notFound(),
    help_related: ({ lang, key }) => ARTICLES.filter((a) => a.lang === lang && a.id !== key).slice(0, 5),
    help_search: ({ lang, query }): SearchHit[] => {
      const q = String(query).toLowerCase();
      return ARTICLES.filter((a) => a.lang === lang && a.title.toLowerCase().includes(q)).map((a) => {
        const start = Array.from(a.title.toLowerCase()).join("").indexOf(q);
        return {
          id: a.id,
          lang: a.lang,
          slug: a.slug,
          category: a.category,
          title: a.title,
          snippet: a.title,
          highlights: start >= 0 ? [[Array.from(a.title.slice(0, start)).length, Array.from(a.title.slice(0, start)).length + Array.from(q).length]] : [],
          score: 1,
        };
      });
    },
    help_feedback: () => null,
    help_sync: () => ({ version: 4, unchanged: false, full: false, changed: 1, deleted: 0 }),
    ...overrides,
  };
}
