//! The XWMS help center's content and search, shared by the server and the app's offline cache
//! so both give the same answers.
//!
//! - [`content`]: the source files in `content/help/` (parsed, validated, bundled into the build).
//! - [`markup`]: the answers' one markup, links to app screens or web addresses.
//! - [`words`] (folding, splitting), [`synonyms`] and [`analyze`]: text → search terms, per
//!   language (each uses only the ones before it).
//! - [`search`]: the inverted index and its ranking.
//! - [`Catalog`]: categories, articles and their index together, the read model both sides serve.

pub mod analyze;
mod bundled;
pub mod content;
pub mod markup;
pub mod search;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod synonyms;
pub mod words;

use std::collections::BTreeMap;

use xwms_api::help::{HelpArticle, HelpCategory, Language, SearchHit};

pub use content::Content;
pub use search::SearchIndex;

/// Results of one search, at most.
pub const MAX_SEARCH_LIMIT: usize = 50;

/// Categories and articles of every language with their search index. Immutable: a change
/// builds a new catalog (see the benchmark for the cost at 10,000 articles).
pub struct Catalog {
    categories: Vec<HelpCategory>,
    articles: Vec<HelpArticle>,
    index: SearchIndex,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("categories", &self.categories.len())
            .field("articles", &self.articles.len())
            .finish()
    }
}

impl Catalog {
    /// Builds the catalog; articles are kept in (language, category order, order, id) order.
    pub fn new(mut categories: Vec<HelpCategory>, mut articles: Vec<HelpArticle>) -> Catalog {
        categories.sort_by(|a, b| (a.lang, a.order, &a.slug).cmp(&(b.lang, b.order, &b.slug)));
        let category_order: BTreeMap<&str, u32> = categories
            .iter()
            .map(|c| (c.slug.as_str(), c.order))
            .collect();
        let rank = |a: &HelpArticle| {
            category_order
                .get(a.category.as_str())
                .copied()
                .unwrap_or(u32::MAX)
        };
        articles.sort_by(|a, b| {
            (a.lang, rank(a), &a.category, a.order, &a.id).cmp(&(
                b.lang,
                rank(b),
                &b.category,
                b.order,
                &b.id,
            ))
        });
        let documents: Vec<search::Document> = articles
            .iter()
            .map(|a| search::Document {
                lang: a.lang,
                title: a.title.clone(),
                tags: a.tags.clone(),
                body: markup::plain(&a.body),
            })
            .collect();
        let index = SearchIndex::build(&documents);
        Catalog {
            categories,
            articles,
            index,
        }
    }

    /// The catalog of the content compiled into this build, at `version`.
    pub fn bundled(version: u32) -> Catalog {
        let content = Content::bundled();
        Catalog::new(content.wire_categories(), content.wire_articles(version))
    }

    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
    }

    /// Every article of every language.
    pub fn all_articles(&self) -> &[HelpArticle] {
        &self.articles
    }

    /// Every category of every language.
    pub fn all_categories(&self) -> &[HelpCategory] {
        &self.categories
    }

    pub fn categories(&self, lang: Language) -> Vec<HelpCategory> {
        self.categories
            .iter()
            .filter(|c| c.lang == lang)
            .cloned()
            .collect()
    }

    pub fn category(&self, lang: Language, slug: &str) -> Option<&HelpCategory> {
        self.categories
            .iter()
            .find(|c| c.lang == lang && c.slug == slug)
    }

    /// The articles of a category, in order; with `tag`, only those carrying it.
    pub fn category_articles(
        &self,
        lang: Language,
        slug: &str,
        tag: Option<&str>,
    ) -> Vec<&HelpArticle> {
        self.articles
            .iter()
            .filter(|a| a.lang == lang && a.category == slug)
            .filter(|a| tag.is_none_or(|t| a.tags.iter().any(|x| x == t)))
            .collect()
    }

    /// The tags of a category's articles, the most used first.
    pub fn category_tags(&self, lang: Language, slug: &str) -> Vec<String> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for a in self.category_articles(lang, slug, None) {
            for t in &a.tags {
                *counts.entry(t.as_str()).or_default() += 1;
            }
        }
        let mut tags: Vec<(&str, usize)> = counts.into_iter().collect();
        tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        tags.into_iter().map(|(t, _)| t.to_string()).collect()
    }

    /// An article by id, or by its slug in `lang`.
    pub fn article(&self, lang: Language, key: &str) -> Option<&HelpArticle> {
        self.articles
            .iter()
            .find(|a| a.lang == lang && a.id == key)
            .or_else(|| {
                self.articles
                    .iter()
                    .find(|a| a.lang == lang && a.slug == key)
            })
    }

    /// The articles marked popular, in order, at most `limit`.
    pub fn popular(&self, lang: Language, limit: usize) -> Vec<&HelpArticle> {
        self.articles
            .iter()
            .filter(|a| a.lang == lang && a.popular)
            .take(limit)
            .collect()
    }

    /// Questions related to an article: the closest by the search engine (its question and
    /// tags as the query) within its category, then the others of the category that share
    /// the most tags or stand nearest in its order.
    pub fn related(&self, lang: Language, key: &str, limit: usize) -> Vec<&HelpArticle> {
        let Some(of) = self.article(lang, key) else {
            return Vec::new();
        };
        let query = format!("{} {} ", of.title, of.tags.join(" "));
        let mut out: Vec<&HelpArticle> = self
            .index
            .search(lang, &query, limit + 1)
            .into_iter()
            .map(|m| &self.articles[m.doc])
            .filter(|a| a.id != of.id && a.category == of.category)
            .take(limit)
            .collect();
        for a in content::related(&self.articles, of, limit) {
            if out.len() >= limit {
                break;
            }
            if !out.iter().any(|x| x.id == a.id) {
                out.push(a);
            }
        }
        out
    }

    /// The best `limit` (at most [`MAX_SEARCH_LIMIT`]) answers to `query` in `lang`.
    pub fn search(&self, lang: Language, query: &str, limit: usize) -> Vec<SearchHit> {
        self.index
            .search(lang, query, limit.min(MAX_SEARCH_LIMIT))
            .into_iter()
            .map(|m| {
                let a = &self.articles[m.doc];
                SearchHit {
                    id: a.id.clone(),
                    lang: a.lang,
                    slug: a.slug.clone(),
                    category: a.category.clone(),
                    title: a.title.clone(),
                    snippet: m.snippet,
                    highlights: m.highlights,
                    score: m.score,
                }
            })
            .collect()
    }
}
