//! The help center over HTTP: paths and bodies.
//!
//! XWMS publishes its help center as web pages (`/{lang}/faq/{category}/{question-slug}`), not
//! as data; this is ours to define (see xwms-contract.md). An article has a stable `id` shared
//! by its translations and a `slug` per language. Its `body` is plain text with one markup
//! only, links: `[label](target)`, where a target is an app route (`/account`, `/support`, …)
//! or an `https://` URL. `xwms_help::markup` parses it, into [`AnswerSpan`]s for the app's
//! screens.
//!
//! Sync is by content version: every change to the content bumps the server's version, and
//! `GET /api/help/sync?since=V` answers only what changed after `V`, or `304 Not Modified`
//! with no body when nothing did.

use serde::{Deserialize, Serialize};

pub use crate::Language;

/// Route paths, one place for server and clients.
pub mod paths {
    pub const CATEGORIES: &str = "/api/help/categories";
    /// `{slug}`: the category's slug.
    pub const CATEGORY_ARTICLES: &str = "/api/help/categories/{slug}/articles";
    /// `{key}`: an article's id or its slug in the asked language.
    pub const ARTICLE: &str = "/api/help/articles/{key}";
    pub const RELATED: &str = "/api/help/articles/{key}/related";
    pub const FEEDBACK: &str = "/api/help/articles/{key}/feedback";
    pub const SEARCH: &str = "/api/help/search";
    pub const SYNC: &str = "/api/help/sync";

    /// `/api/help/articles/<key>`, etc.: a path with its placeholder filled in (URL-encoded).
    pub fn fill(path: &str, value: &str) -> String {
        let encoded: String = value
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        match (path.find('{'), path.find('}')) {
            (Some(start), Some(end)) if start < end => {
                format!("{}{}{}", &path[..start], encoded, &path[end + 1..])
            }
            _ => path.to_string(),
        }
    }
}

wire! {
    /// A category in one language.
    pub struct HelpCategory {
        pub slug: String,
        pub lang: Language,
        pub title: String,
        /// One line under the title.
        pub subtitle: String,
        pub order: u32,
        /// Articles in this category, in this language.
        pub article_count: u32,
    }
}

wire! {
    /// An article in one language.
    pub struct HelpArticle {
        /// Stable id, shared by the article's translations.
        pub id: String,
        pub lang: Language,
        /// URL slug in this language.
        pub slug: String,
        /// The category's slug.
        pub category: String,
        /// The question.
        pub title: String,
        /// The answer: plain text with `[label](target)` links.
        pub body: String,
        pub tags: Vec<String>,
        /// One of the questions people ask most.
        pub popular: bool,
        /// Position in its category.
        pub order: u32,
        /// The content version in which this article last changed.
        pub version: u32,
    }
}

/// A piece of an answer as a screen renders it: text, or a link (parsed from the body by
/// `xwms_help::markup::answer`, so no screen parses markup or ever renders it as HTML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnswerSpan {
    Text {
        text: String,
    },
    Link {
        label: String,
        /// An app route (`/account/security`) or, when `external`, a web address for the
        /// system browser.
        target: String,
        external: bool,
    },
}

wire! {
    /// An article that was removed from the help center (all its fields are gone).
    pub struct HelpDeleted {
        pub id: String,
        pub lang: Language,
    }
}

wire! {
    /// `data` of `GET /api/help/sync?since=V`.
    pub struct HelpSync {
        /// The content version this answer brings the client to.
        pub version: u32,
        /// `true` when the client must replace everything it holds (it asked with `since=0`, or
        /// with a version this server never had); `deleted` is then empty.
        pub full: bool,
        /// Every category (there are few; they are always sent whole).
        pub categories: Vec<HelpCategory>,
        /// Articles added or changed after `since`.
        pub changed: Vec<HelpArticle>,
        /// Articles removed after `since`.
        pub deleted: Vec<HelpDeleted>,
    }
}

wire! {
    /// One search result.
    pub struct SearchHit {
        pub id: String,
        pub lang: Language,
        pub slug: String,
        pub category: String,
        pub title: String,
        /// A passage of the answer (plain text, links shown as their labels).
        pub snippet: String,
        /// The words of `snippet` that matched, as `[start, end)` offsets counted in Unicode
        /// characters (code points).
        pub highlights: Vec<[u32; 2]>,
        /// Relevance; higher is better. Only the order is meaningful.
        pub score: f32,
    }
}

wire! {
    /// `POST /api/help/articles/{key}/feedback`: was this answer helpful?
    #[serde(deny_unknown_fields)]
    pub struct HelpFeedback {
        pub helpful: bool,
        pub lang: Language,
        /// The app installation's id (random, not a secret): one vote per installation per
        /// article counts, and a later vote replaces the earlier one. Without it every vote
        /// counts (older clients).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub installation_id: Option<String>,
    }
}

wire! {
    /// `data` of the feedback answer.
    pub struct HelpFeedbackCounted {
        pub id: String,
        pub helpful: u64,
        pub not_helpful: u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lang_parses_codes_and_locales() {
        assert_eq!(Language::from_tag("nl"), Some(Language::Nl));
        assert_eq!(Language::from_tag("FR"), Some(Language::Fr));
        assert_eq!(Language::from_tag("fr_BE.UTF-8"), Some(Language::Fr));
        assert_eq!(Language::from_tag("en-GB"), Some(Language::En));
        assert_eq!(Language::from_tag("de"), None);
        assert_eq!(Language::from_tag("english"), None);
        assert_eq!(Language::from_tag("e"), None);
        assert_eq!(Language::from_tag("é"), None);
        assert_eq!(serde_json::to_string(&Language::Nl).unwrap(), "\"nl\"");
    }

    #[test]
    fn fill_encodes_the_value() {
        assert_eq!(
            paths::fill(paths::ARTICLE, "forgot-password"),
            "/api/help/articles/forgot-password"
        );
        assert_eq!(
            paths::fill(paths::RELATED, "a b/é"),
            "/api/help/articles/a%20b%2F%C3%A9/related"
        );
    }
}
