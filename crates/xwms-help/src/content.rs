//! Help-center source content: the files in `content/help/` at the root of the repository,
//! from which both the server's seed and the app's bundled offline snapshot are built.
//!
//! ```text
//! content/help/categories.toml            [[category]] slug, order, [category.en] title, subtitle, …
//! content/help/<category>/<NN>-<id>.toml  id, category, order, popular, [en] [nl] [fr]: title, slug, tags, body
//! ```
//! Other files at the top (such as the search-quality set) are not content. [`Content::validate`]
//! checks what a parse cannot: every article in all three languages, unique ids and slugs,
//! known categories, and links that point to a known screen or a well-formed web address.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use xwms_api::help::{HelpArticle, HelpCategory, Language};

use crate::markup;

/// The name of the categories file.
pub const CATEGORIES_FILE: &str = "categories.toml";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryText {
    pub title: String,
    pub subtitle: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategorySource {
    pub slug: String,
    pub order: u32,
    pub en: Option<CategoryText>,
    pub nl: Option<CategoryText>,
    pub fr: Option<CategoryText>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleText {
    pub title: String,
    pub slug: String,
    pub tags: Vec<String>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleSource {
    pub id: String,
    pub category: String,
    pub order: u32,
    #[serde(default)]
    pub popular: bool,
    pub en: Option<ArticleText>,
    pub nl: Option<ArticleText>,
    pub fr: Option<ArticleText>,
    /// The file it came from, for messages.
    #[serde(skip)]
    pub file: String,
}

impl CategorySource {
    pub fn text(&self, lang: Language) -> Option<&CategoryText> {
        match lang {
            Language::En => self.en.as_ref(),
            Language::Nl => self.nl.as_ref(),
            Language::Fr => self.fr.as_ref(),
        }
    }
}

impl ArticleSource {
    pub fn text(&self, lang: Language) -> Option<&ArticleText> {
        match lang {
            Language::En => self.en.as_ref(),
            Language::Nl => self.nl.as_ref(),
            Language::Fr => self.fr.as_ref(),
        }
    }

    /// The article in `lang` as the wire has it, at content `version`.
    pub fn to_wire(&self, lang: Language, version: u32) -> Option<HelpArticle> {
        let t = self.text(lang)?;
        Some(HelpArticle {
            id: self.id.clone(),
            lang,
            slug: t.slug.clone(),
            category: self.category.clone(),
            title: t.title.clone(),
            body: t.body.clone(),
            tags: t.tags.clone(),
            popular: self.popular,
            order: self.order,
            version,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesFile {
    category: Vec<CategorySource>,
}

/// A file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} has no {CATEGORIES_FILE}")]
    NoCategories(String),
}

/// A whole content set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Content {
    pub categories: Vec<CategorySource>,
    pub articles: Vec<ArticleSource>,
}

fn parse_toml<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, ContentError> {
    toml::from_str(text).map_err(|e| ContentError::Parse {
        file: file.to_string(),
        message: e.to_string(),
    })
}

fn valid_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 120
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

impl Content {
    /// Parses files given as (path relative to the content folder, text): `categories.toml`
    /// and `<category>/<name>.toml`; anything else is ignored.
    pub fn parse<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Content, ContentError> {
        let mut categories = None;
        let mut articles = Vec::new();
        for (name, text) in files {
            let name = name.replace('\\', "/");
            if name == CATEGORIES_FILE {
                let file: CategoriesFile = parse_toml(&name, text)?;
                categories = Some(file.category);
            } else if name.ends_with(".toml") && name.matches('/').count() == 1 {
                let mut article: ArticleSource = parse_toml(&name, text)?;
                article.file = name.clone();
                articles.push(article);
            }
        }
        let mut categories =
            categories.ok_or_else(|| ContentError::NoCategories("the content".into()))?;
        categories.sort_by(|a, b| (a.order, &a.slug).cmp(&(b.order, &b.slug)));
        articles.sort_by(|a, b| (&a.category, a.order, &a.id).cmp(&(&b.category, b.order, &b.id)));
        Ok(Content {
            categories,
            articles,
        })
    }

    /// Reads a content folder (as `xwms-server help import DIR` does).
    pub fn load_dir(dir: &Path) -> Result<Content, ContentError> {
        let io = |path: &Path, source| ContentError::Io {
            path: path.display().to_string(),
            source,
        };
        if !dir.join(CATEGORIES_FILE).is_file() {
            return Err(ContentError::NoCategories(dir.display().to_string()));
        }
        let mut files: Vec<(String, String)> = Vec::new();
        let top = std::fs::read_to_string(dir.join(CATEGORIES_FILE))
            .map_err(|e| io(&dir.join(CATEGORIES_FILE), e))?;
        files.push((CATEGORIES_FILE.to_string(), top));
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| io(dir, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| io(dir, e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            let mut inner: Vec<_> = std::fs::read_dir(&path)
                .map_err(|e| io(&path, e))?
                .collect::<Result<_, _>>()
                .map_err(|e| io(&path, e))?;
            inner.sort_by_key(|e| e.file_name());
            for file in inner {
                let p = file.path();
                if p.extension().is_some_and(|x| x == "toml") && p.is_file() {
                    let text = std::fs::read_to_string(&p).map_err(|e| io(&p, e))?;
                    let rel = format!(
                        "{}/{}",
                        entry.file_name().to_string_lossy(),
                        file.file_name().to_string_lossy()
                    );
                    files.push((rel, text));
                }
            }
        }
        Content::parse(files.iter().map(|(a, b)| (a.as_str(), b.as_str())))
    }

    /// The content compiled into this build from `content/help/`: the app's offline snapshot
    /// and the server's seed.
    pub fn bundled() -> &'static Content {
        static BUNDLED: std::sync::OnceLock<Content> = std::sync::OnceLock::new();
        BUNDLED.get_or_init(|| {
            Content::parse(crate::bundled::FILES.iter().copied())
                .expect("the bundled help content parses (checked by the content tests)")
        })
    }

    /// Everything wrong with this content, one line each; empty when it is valid.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut slugs_seen = HashSet::new();
        for c in &self.categories {
            if !valid_key(&c.slug) {
                problems.push(format!(
                    "category {:?}: slug must be lower-case a-z, 0-9 and -",
                    c.slug
                ));
            }
            if !slugs_seen.insert(&c.slug) {
                problems.push(format!("category {:?} is defined twice", c.slug));
            }
            for lang in Language::ALL {
                match c.text(lang) {
                    None => problems.push(format!("category {}: no {lang} text", c.slug)),
                    Some(t) if t.title.trim().is_empty() || t.subtitle.trim().is_empty() => {
                        problems.push(format!(
                            "category {}: empty {lang} title or subtitle",
                            c.slug
                        ))
                    }
                    _ => {}
                }
            }
        }
        let mut ids = HashSet::new();
        let mut slugs: HashMap<(Language, &str), &str> = HashMap::new();
        let mut titles: HashMap<(Language, String), &str> = HashMap::new();
        for a in &self.articles {
            let at = format!("{} ({})", a.id, a.file);
            if !valid_key(&a.id) {
                problems.push(format!("{at}: id must be lower-case a-z, 0-9 and -"));
            }
            if !ids.insert(a.id.as_str()) {
                problems.push(format!("{at}: id used by another article"));
            }
            if !self.categories.iter().any(|c| c.slug == a.category) {
                problems.push(format!("{at}: unknown category {:?}", a.category));
            }
            for lang in Language::ALL {
                let Some(t) = a.text(lang) else {
                    problems.push(format!("{at}: no {lang} translation"));
                    continue;
                };
                if t.title.trim().is_empty() || t.body.trim().is_empty() {
                    problems.push(format!("{at} [{lang}]: empty title or body"));
                }
                if !valid_key(&t.slug) {
                    problems.push(format!(
                        "{at} [{lang}]: slug {:?} must be lower-case a-z, 0-9 and -",
                        t.slug
                    ));
                }
                if let Some(other) = slugs.insert((lang, t.slug.as_str()), a.id.as_str()) {
                    problems.push(format!(
                        "{at} [{lang}]: slug {:?} also used by {other}",
                        t.slug
                    ));
                }
                if let Some(other) =
                    titles.insert((lang, t.title.trim().to_lowercase()), a.id.as_str())
                {
                    problems.push(format!("{at} [{lang}]: same title as {other}"));
                }
                if t.tags.is_empty()
                    || t.tags
                        .iter()
                        .any(|tag| tag.trim().is_empty() || tag.to_lowercase() != *tag)
                {
                    problems.push(format!(
                        "{at} [{lang}]: tags must be present, non-empty and lower case"
                    ));
                }
                for p in markup::problems(&t.body) {
                    problems.push(format!("{at} [{lang}]: {p}"));
                }
                for p in markup::problems(&t.title) {
                    problems.push(format!("{at} [{lang}] title: {p}"));
                }
            }
        }
        problems
    }

    /// Every category in every language, with its article counts.
    pub fn wire_categories(&self) -> Vec<HelpCategory> {
        let mut counts: BTreeMap<(&str, Language), u32> = BTreeMap::new();
        for a in &self.articles {
            for lang in Language::ALL {
                if a.text(lang).is_some() {
                    *counts.entry((a.category.as_str(), lang)).or_default() += 1;
                }
            }
        }
        let mut out = Vec::new();
        for lang in Language::ALL {
            for c in &self.categories {
                if let Some(t) = c.text(lang) {
                    out.push(HelpCategory {
                        slug: c.slug.clone(),
                        lang,
                        title: t.title.clone(),
                        subtitle: t.subtitle.clone(),
                        order: c.order,
                        article_count: counts.get(&(c.slug.as_str(), lang)).copied().unwrap_or(0),
                    });
                }
            }
        }
        out
    }

    /// Every article in every language, at content `version`.
    pub fn wire_articles(&self, version: u32) -> Vec<HelpArticle> {
        Language::ALL
            .iter()
            .flat_map(|lang| {
                self.articles
                    .iter()
                    .filter_map(move |a| a.to_wire(*lang, version))
            })
            .collect()
    }
}

/// Questions related to `of`: others of its category and language, those sharing the most
/// tags first, then the nearest in the category's order.
pub fn related<'a>(all: &'a [HelpArticle], of: &HelpArticle, limit: usize) -> Vec<&'a HelpArticle> {
    let tags: HashSet<&str> = of.tags.iter().map(String::as_str).collect();
    let mut candidates: Vec<(usize, u32, &HelpArticle)> = all
        .iter()
        .filter(|a| a.lang == of.lang && a.category == of.category && a.id != of.id)
        .map(|a| {
            let shared = a.tags.iter().filter(|t| tags.contains(t.as_str())).count();
            (shared, a.order.abs_diff(of.order), a)
        })
        .collect();
    candidates.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.id.cmp(&y.2.id)));
    candidates
        .into_iter()
        .take(limit)
        .map(|(_, _, a)| a)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATS: &str = r#"
[[category]]
slug = "account-security"
order = 1
[category.en]
title = "Account & Security"
subtitle = "s"
[category.nl]
title = "Account & beveiliging"
subtitle = "s"
[category.fr]
title = "Compte"
subtitle = "s"
"#;

    fn article(id: &str, extra: &str) -> String {
        let mut s = format!("id = \"{id}\"\ncategory = \"account-security\"\norder = 1\n");
        for lang in ["en", "nl", "fr"] {
            s.push_str(&format!(
                "[{lang}]\ntitle = \"{id} {lang}?\"\nslug = \"{id}-{lang}\"\ntags = [\"t\"]\nbody = \"See [support](/support).{extra}\"\n"
            ));
        }
        s
    }

    #[test]
    fn good_content_validates() {
        let a = article("one", "");
        let b = article("two", "");
        let c = Content::parse([
            ("categories.toml", CATS),
            ("account-security/01-one.toml", a.as_str()),
            ("account-security/02-two.toml", b.as_str()),
            ("search-quality.toml", "not content"),
        ])
        .unwrap();
        assert_eq!(c.articles.len(), 2);
        assert_eq!(c.validate(), Vec::<String>::new());
        assert_eq!(c.wire_articles(3).len(), 6);
        let cats = c.wire_categories();
        assert_eq!(cats.len(), 3);
        assert!(cats.iter().all(|c| c.article_count == 2));
    }

    #[test]
    fn each_rule_is_checked() {
        let a = article("one", "");
        let dup = article("one", "");
        let bad_link = article("three", " [x](/nowhere)");
        let missing = "id = \"four\"\ncategory = \"billing\"\norder = 1\n[en]\ntitle = \"t\"\nslug = \"Bad Slug\"\ntags = []\nbody = \"b\"\n";
        let c = Content::parse([
            ("categories.toml", CATS),
            ("a/1.toml", a.as_str()),
            ("a/2.toml", dup.as_str()),
            ("a/3.toml", bad_link.as_str()),
            ("a/4.toml", missing),
        ])
        .unwrap();
        let problems = c.validate().join("\n");
        for expected in [
            "id used by another article",
            "also used by one",
            "points to neither a known screen",
            "unknown category \"billing\"",
            "no nl translation",
            "no fr translation",
            "slug \"Bad Slug\"",
            "tags must be present",
        ] {
            assert!(
                problems.contains(expected),
                "{expected:?} missing from:\n{problems}"
            );
        }
    }

    #[test]
    fn parse_errors_name_the_file() {
        let err = Content::parse([("categories.toml", CATS), ("a/1.toml", "id = ")]).unwrap_err();
        assert!(err.to_string().starts_with("a/1.toml:"), "{err}");
        let err = Content::parse([("a/1.toml", "x = 1")]).unwrap_err();
        assert!(matches!(
            err,
            ContentError::Parse { .. } | ContentError::NoCategories(_)
        ));
    }
}
