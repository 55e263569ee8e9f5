//! The help center's search engine: an in-memory inverted index per language, shared by the
//! server (`GET /api/help/search`) and the app's offline cache, so both answer alike.
//!
//! - **Terms** come from [`crate::analyze`] (folding, stemming, stop words, synonym concepts).
//! - **Ranking** is BM25F over three fields, weighted title 3 : tags 2.5 : body 1, times a
//!   coordination factor that favours articles matching more of the query's words.
//! - **While typing** the last word also matches every indexed term it begins (`authen` →
//!   `authent…`); any word of three letters or more that is not a known term does too.
//! - **Typos**: a word that is not a known term matches known terms at edit distance 1 (words
//!   of 4–7 letters) or 2 (8 and more), transpositions counting as one edit, found through an
//!   index of every term with one letter deleted (the SymSpell idea) instead of a scan.
//! - **Any input is safe**: a query is cut to [`MAX_QUERY_CHARS`] characters and
//!   [`MAX_QUERY_WORDS`] words; nothing in it is syntax, so quotes, `*`, parentheses or
//!   `AND` are just text; a query without words answers an empty list.
//! - **Snippet**: the passage of the body with the most matched words, their offsets given so
//!   a screen can highlight them without parsing markup.

use std::collections::{HashMap, HashSet};

use xwms_api::help::Language;

use crate::analyze::{Analyzer, Term, CONCEPT_MARK};

/// Characters of a query looked at; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 256;
/// Words of a query looked at.
pub const MAX_QUERY_WORDS: usize = 16;
/// A snippet is about this many characters.
pub const SNIPPET_CHARS: usize = 180;
/// Prefix expansions per word, at most (the most frequent terms win).
const MAX_PREFIX_TERMS: usize = 24;
/// Terms looked at for one prefix, at most.
const MAX_PREFIX_SCAN: usize = 256;

const FIELD_WEIGHTS: [f32; 3] = [3.0, 2.5, 1.0];
const K1: f32 = 1.2;
const B: f32 = 0.6;

/// What the index needs of a document.
#[derive(Debug, Clone)]
pub struct Document {
    pub lang: Language,
    pub title: String,
    pub tags: Vec<String>,
    /// Plain text (links already reduced to their labels).
    pub body: String,
}

/// One result: which document (its position in the list given to [`SearchIndex::build`]),
/// how well it matched, and the snippet.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub doc: usize,
    pub score: f32,
    pub snippet: String,
    pub highlights: Vec<[u32; 2]>,
}

#[derive(Debug, Clone, Copy)]
struct Posting {
    doc: u32,
    tf: [u8; 3],
}

#[derive(Debug, Clone, Copy)]
struct BodyTerm {
    term: u32,
    start: u32,
    end: u32,
}

#[derive(Debug, Default)]
struct TermEntry {
    postings: Vec<Posting>,
}

struct LangIndex {
    analyzer: Analyzer,
    /// Position in the build list of each document of this language.
    docs: Vec<usize>,
    lengths: Vec<[u16; 3]>,
    /// Per document and field: 1 / (1 - B + B * length / average length), for BM25F.
    inv_norm: Vec<[f32; 3]>,
    avg_len: [f32; 3],
    /// Per document: the body's terms with their character offsets, so snippets are cut and
    /// highlighted without analysing the text again.
    body_terms: Vec<Box<[BodyTerm]>>,
    term_ids: HashMap<Box<str>, u32>,
    /// Term id → its text.
    texts: Vec<Box<str>>,
    terms: Vec<TermEntry>,
    /// Every word term (no concepts), sorted, for prefix lookups.
    sorted: Vec<(Box<str>, u32)>,
    /// Term with one character deleted → terms.
    deletes: HashMap<Box<str>, Vec<u32>>,
}

/// The index over a list of documents in any of the three languages.
pub struct SearchIndex {
    langs: Vec<LangIndex>,
    bodies: Vec<String>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("documents", &self.bodies.len())
            .finish()
    }
}

/// One word of a query, with the terms that stand for it and their weights.
#[derive(Debug)]
struct Unit {
    alternatives: Vec<(u32, f32)>,
}

fn deletions(term: &str) -> Vec<String> {
    let chars: Vec<char> = term.chars().collect();
    (0..chars.len())
        .map(|skip| {
            chars
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, c)| c)
                .collect()
        })
        .collect()
}

impl LangIndex {
    fn new(lang: Language) -> Self {
        Self {
            analyzer: Analyzer::new(lang),
            docs: Vec::new(),
            lengths: Vec::new(),
            inv_norm: Vec::new(),
            avg_len: [1.0; 3],
            body_terms: Vec::new(),
            term_ids: HashMap::new(),
            texts: Vec::new(),
            terms: Vec::new(),
            sorted: Vec::new(),
            deletes: HashMap::new(),
        }
    }

    fn add(&mut self, position: usize, doc: &Document) {
        let local = self.docs.len() as u32;
        self.docs.push(position);
        let tags = doc.tags.join(" , ");
        let mut counts: HashMap<u32, [u8; 3]> = HashMap::new();
        let mut lengths = [0u16; 3];
        let mut body_terms = Vec::new();
        for (field, text) in [&doc.title, &tags, &doc.body].into_iter().enumerate() {
            for term in self.analyzer.terms(text) {
                lengths[field] = lengths[field].saturating_add(1);
                let id = self.intern(term.text);
                let tf = counts.entry(id).or_default();
                tf[field] = tf[field].saturating_add(1);
                if field == 2 {
                    body_terms.push(BodyTerm {
                        term: id,
                        start: term.start,
                        end: term.end,
                    });
                }
            }
        }
        self.lengths.push(lengths);
        self.body_terms.push(body_terms.into_boxed_slice());
        let mut counts: Vec<(u32, [u8; 3])> = counts.into_iter().collect();
        counts.sort_unstable_by_key(|(id, _)| *id);
        for (id, tf) in counts {
            self.terms[id as usize]
                .postings
                .push(Posting { doc: local, tf });
        }
    }

    fn intern(&mut self, text: String) -> u32 {
        if let Some(id) = self.term_ids.get(text.as_str()) {
            return *id;
        }
        let id = self.terms.len() as u32;
        let text = text.into_boxed_str();
        self.texts.push(text.clone());
        self.term_ids.insert(text, id);
        self.terms.push(TermEntry::default());
        id
    }

    fn finish(&mut self) {
        let n = self.docs.len().max(1) as f32;
        for field in 0..3 {
            let total: u64 = self.lengths.iter().map(|l| l[field] as u64).sum();
            self.avg_len[field] = (total as f32 / n).max(1.0);
        }
        self.inv_norm = self
            .lengths
            .iter()
            .map(|len| {
                let mut inv = [0.0; 3];
                for f in 0..3 {
                    inv[f] = 1.0 / (1.0 - B + B * len[f] as f32 / self.avg_len[f]);
                }
                inv
            })
            .collect();
        self.sorted = self
            .term_ids
            .iter()
            .filter(|(t, _)| !t.starts_with(CONCEPT_MARK))
            .map(|(t, id)| (t.clone(), *id))
            .collect();
        self.sorted.sort_unstable();
        let mut deletes: HashMap<Box<str>, Vec<u32>> = HashMap::new();
        for (term, id) in &self.sorted {
            if term.chars().count() < 4 {
                continue;
            }
            for d in deletions(term) {
                deletes.entry(d.into_boxed_str()).or_default().push(*id);
            }
        }
        self.deletes = deletes;
    }

    fn df(&self, id: u32) -> usize {
        self.terms[id as usize].postings.len()
    }

    /// Known terms within `max` edits of `word`.
    fn near(&self, word: &str, max: usize) -> Vec<(u32, usize)> {
        let mut probes = vec![word.to_string()];
        let first = deletions(word);
        if max >= 2 {
            for d in &first {
                probes.extend(deletions(d));
            }
        }
        probes.extend(first);
        let mut candidates: HashSet<u32> = HashSet::new();
        for p in &probes {
            if let Some(id) = self.term_ids.get(p.as_str()) {
                candidates.insert(*id);
            }
            if let Some(ids) = self.deletes.get(p.as_str()) {
                candidates.extend(ids.iter().copied());
            }
        }
        let mut out: Vec<(u32, usize)> = candidates
            .into_iter()
            .filter_map(|id| {
                let term = self.term_text(id);
                let d = strsim::osa_distance(word, term);
                (d > 0 && d <= max).then_some((id, d))
            })
            .collect();
        out.sort_unstable_by_key(|(id, d)| (*d, std::cmp::Reverse(self.df(*id)), *id));
        out.truncate(8);
        out
    }

    fn term_text(&self, id: u32) -> &str {
        &self.texts[id as usize]
    }

    fn prefixed(&self, prefix: &str) -> Vec<u32> {
        let start = self.sorted.partition_point(|(t, _)| &**t < prefix);
        // A short prefix can begin thousands of terms: look at the first few hundred only.
        let mut ids: Vec<u32> = self.sorted[start..]
            .iter()
            .take_while(|(t, _)| t.starts_with(prefix))
            .take(MAX_PREFIX_SCAN)
            .map(|(_, id)| *id)
            .collect();
        if ids.len() > MAX_PREFIX_TERMS {
            ids.sort_unstable_by_key(|id| std::cmp::Reverse(self.df(*id)));
            ids.truncate(MAX_PREFIX_TERMS);
        }
        ids
    }

    /// The query's words as units of alternative terms.
    fn units(&self, query: &str) -> Vec<Unit> {
        let typing = !query.ends_with(|c: char| c.is_whitespace());
        let terms: Vec<Term> = self.analyzer.terms(query);
        let last_word_end = terms
            .iter()
            .filter(|t| !t.is_concept())
            .map(|t| t.end)
            .max();
        let mut units: Vec<Unit> = Vec::new();
        let mut concept_spans: Vec<(u32, u32, u32)> = Vec::new();
        for term in terms.iter().filter(|t| t.is_concept()) {
            if let Some(id) = self.term_ids.get(term.text.as_str()) {
                concept_spans.push((term.start, term.end, *id));
            }
        }
        for term in terms.iter().filter(|t| !t.is_concept()) {
            if units.len() >= MAX_QUERY_WORDS {
                break;
            }
            let mut alternatives: Vec<(u32, f32)> = Vec::new();
            let exact = self.term_ids.get(term.text.as_str()).copied();
            if let Some(id) = exact {
                alternatives.push((id, 1.0));
            }
            // A concept covering this word stands for it too (its phrase may span words: the
            // unit of its last word carries it, the others are then left out below).
            let concept = concept_spans
                .iter()
                .find(|(s, e, _)| *s <= term.start && term.end <= *e)
                .copied();
            if let Some((_, _, id)) = concept {
                alternatives.push((id, 0.9));
            }
            let chars = term.folded.chars().count();
            let is_last = Some(term.end) == last_word_end && typing;
            if (is_last && chars >= 2) || (exact.is_none() && chars >= 3) {
                for id in self.prefixed(&term.folded) {
                    if Some(id) != exact {
                        alternatives.push((id, 0.7));
                    }
                }
            }
            if exact.is_none() && concept.is_none() && chars >= 4 {
                let max = if chars >= 8 { 2 } else { 1 };
                let mut near = self.near(&term.text, max);
                if term.folded != term.text {
                    near.extend(self.near(&term.folded, max));
                }
                for (id, d) in near {
                    if !alternatives.iter().any(|(a, _)| *a == id) {
                        alternatives.push((id, if d == 1 { 0.6 } else { 0.4 }));
                    }
                }
            }
            if let Some((s, e, _)) = concept {
                // Words of one phrase form one unit.
                if let Some(prev) = units.last_mut() {
                    let prev_in_same_phrase = terms
                        .iter()
                        .rfind(|t| !t.is_concept() && t.end < term.start)
                        .is_some_and(|t| s <= t.start && t.end <= e);
                    if prev_in_same_phrase {
                        for alt in alternatives {
                            if !prev.alternatives.iter().any(|(a, _)| *a == alt.0) {
                                prev.alternatives.push(alt);
                            }
                        }
                        continue;
                    }
                }
            }
            units.push(Unit { alternatives });
        }
        // A phrase made only of stop words ("log in" has none, but "se connecter" keeps one
        // word) can leave a concept without a word unit: give it its own.
        for (s, e, id) in &concept_spans {
            let covered = terms
                .iter()
                .any(|t| !t.is_concept() && *s <= t.start && t.end <= *e);
            if !covered && units.len() < MAX_QUERY_WORDS {
                units.push(Unit {
                    alternatives: vec![(*id, 1.0)],
                });
            }
        }
        units
    }

    fn idf(&self, id: u32) -> f32 {
        let n = self.docs.len() as f32;
        let df = self.df(id) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Scores every document matching any unit: (local document, score, units matched as a
    /// bit mask). Dense arrays indexed by document, so a common word costs no hashing.
    fn score(&self, units: &[Unit]) -> Vec<(u32, f32, u32)> {
        let n = self.docs.len();
        let mut score = vec![0f32; n];
        let mut mask = vec![0u32; n];
        let mut touched: Vec<u32> = Vec::new();
        let mut best = vec![0f32; n];
        let mut best_touched: Vec<u32> = Vec::new();
        for (u, unit) in units.iter().enumerate() {
            for &(id, weight) in &unit.alternatives {
                let idf = self.idf(id);
                for p in &self.terms[id as usize].postings {
                    let d = p.doc as usize;
                    let inv = &self.inv_norm[d];
                    let mut tf = 0.0;
                    for f in 0..3 {
                        if p.tf[f] > 0 {
                            tf += FIELD_WEIGHTS[f] * p.tf[f] as f32 * inv[f];
                        }
                    }
                    let s = weight * idf * tf * (K1 + 1.0) / (K1 + tf);
                    let b = &mut best[d];
                    if *b == 0.0 {
                        best_touched.push(p.doc);
                    }
                    // Alternatives of one word add up only partly: the best counts whole,
                    // the others a quarter, so a word never counts as several.
                    *b = if s > *b { s + 0.25 * *b } else { *b + 0.25 * s };
                }
            }
            let bit = 1u32 << u.min(31);
            for d in best_touched.drain(..) {
                let i = d as usize;
                if mask[i] == 0 {
                    touched.push(d);
                }
                score[i] += best[i];
                mask[i] |= bit;
                best[i] = 0.0;
            }
        }
        touched
            .into_iter()
            .map(|d| (d, score[d as usize], mask[d as usize]))
            .collect()
    }
}

impl SearchIndex {
    /// Builds the index over `documents`; results name them by position in this list.
    pub fn build(documents: &[Document]) -> SearchIndex {
        let mut langs: Vec<LangIndex> = Language::ALL.iter().map(|l| LangIndex::new(*l)).collect();
        for (position, doc) in documents.iter().enumerate() {
            langs[doc.lang.index()].add(position, doc);
        }
        for l in &mut langs {
            l.finish();
        }
        SearchIndex {
            langs,
            bodies: documents.iter().map(|d| d.body.clone()).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.bodies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }

    /// The best `limit` documents of `lang` for `query`, best first. Ties keep build order.
    pub fn search(&self, lang: Language, query: &str, limit: usize) -> Vec<Match> {
        if limit == 0 {
            return Vec::new();
        }
        let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
        let index = &self.langs[lang.index()];
        let units = index.units(&query);
        if units.is_empty() {
            return Vec::new();
        }
        let total = units.len() as f32;
        let mut ranked: Vec<(u32, f32)> = index
            .score(&units)
            .into_iter()
            .filter(|(_, s, _)| *s > 0.0)
            .map(|(doc, s, mask)| {
                let matched = mask.count_ones() as f32;
                (doc, s * (0.35 + 0.65 * matched / total))
            })
            .collect();
        let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if ranked.len() > limit {
            ranked.select_nth_unstable_by(limit - 1, order);
            ranked.truncate(limit);
        }
        ranked.sort_unstable_by(order);
        let query_terms: HashSet<u32> = units
            .iter()
            .flat_map(|u| u.alternatives.iter().map(|(id, _)| *id))
            .collect();
        ranked
            .into_iter()
            .map(|(local, score)| {
                let doc = index.docs[local as usize];
                let hits: Vec<[u32; 2]> = index.body_terms[local as usize]
                    .iter()
                    .filter(|t| query_terms.contains(&t.term))
                    .map(|t| [t.start, t.end])
                    .collect();
                let (snippet, highlights) = snippet(&self.bodies[doc], hits);
                Match {
                    doc,
                    score,
                    snippet,
                    highlights,
                }
            })
            .collect()
    }
}

/// The passage of `body` around the most `hits` (character spans of matched terms), with
/// the hits' offsets relative to the passage.
pub fn snippet(body: &str, mut hits: Vec<[u32; 2]>) -> (String, Vec<[u32; 2]>) {
    let chars: Vec<char> = body.chars().collect();
    hits.sort_unstable();
    // Merge overlapping spans (a concept covers its words).
    let mut merged: Vec<[u32; 2]> = Vec::new();
    for h in hits {
        match merged.last_mut() {
            Some(last) if h[0] <= last[1] => last[1] = last[1].max(h[1]),
            _ => merged.push(h),
        }
    }
    let len = chars.len();
    if len <= SNIPPET_CHARS {
        return (body.to_string(), merged);
    }
    // The window of SNIPPET_CHARS with the most hits, starting at a hit (or at 0).
    let mut best_start = 0usize;
    let mut best_count = 0usize;
    for (i, h) in merged.iter().enumerate() {
        let start = (h[0] as usize).saturating_sub(30);
        let count = merged[i..]
            .iter()
            .take_while(|x| (x[1] as usize) <= start + SNIPPET_CHARS)
            .count();
        if count > best_count {
            best_count = count;
            best_start = start;
        }
    }
    // Start and end on word boundaries.
    let mut start = best_start.min(len);
    while start > 0 && !chars[start - 1].is_whitespace() {
        start -= 1;
    }
    let mut end = (start + SNIPPET_CHARS).min(len);
    while end < len && !chars[end].is_whitespace() && end > start {
        end -= 1;
    }
    if end <= start {
        end = (start + SNIPPET_CHARS).min(len);
    }
    let prefix = if start > 0 { "… " } else { "" };
    let suffix = if end < len { " …" } else { "" };
    let shift = prefix.chars().count() as i64 - start as i64;
    let text: String = chars[start..end].iter().collect();
    let highlights = merged
        .into_iter()
        .filter(|h| h[0] as usize >= start && h[1] as usize <= end)
        .map(|h| [(h[0] as i64 + shift) as u32, (h[1] as i64 + shift) as u32])
        .collect();
    (format!("{prefix}{}{suffix}", text.trim_end()), highlights)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(lang: Language, title: &str, tags: &[&str], body: &str) -> Document {
        Document {
            lang,
            title: title.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            body: body.into(),
        }
    }

    fn corpus() -> Vec<Document> {
        vec![
            doc(
                Language::En,
                "How do I reset a forgotten password?",
                &["password", "reset"],
                "Open the login page, enter your email address, click Next, and choose the Forgot password option.",
            ),
            doc(
                Language::En,
                "How do I turn on two-factor authentication?",
                &["2fa", "security"],
                "Go to your account page, open the Security tab, and follow the 2FA setup wizard.",
            ),
            doc(
                Language::En,
                "Where can I see my active sessions?",
                &["sessions", "devices"],
                "Active sessions are listed in your account dashboard.",
            ),
            doc(
                Language::Fr,
                "Comment réinitialiser mon mot de passe ?",
                &["mot de passe"],
                "Ouvrez la page de connexion et choisissez Mot de passe oublié.",
            ),
        ]
    }

    fn top(index: &SearchIndex, lang: Language, q: &str) -> Option<usize> {
        index.search(lang, q, 3).first().map(|m| m.doc)
    }

    #[test]
    fn finds_by_words_synonyms_prefixes_and_typos() {
        let index = SearchIndex::build(&corpus());
        assert_eq!(top(&index, Language::En, "forgot password"), Some(0));
        assert_eq!(top(&index, Language::En, "MFA"), Some(1), "synonym");
        assert_eq!(
            top(&index, Language::En, "authenticator"),
            Some(1),
            "synonym"
        );
        assert_eq!(
            top(&index, Language::En, "sessio"),
            Some(2),
            "prefix while typing"
        );
        assert_eq!(top(&index, Language::En, "pasword"), Some(0), "typo");
        assert_eq!(top(&index, Language::En, "logged in devices"), Some(2));
        assert_eq!(
            top(&index, Language::Fr, "mot de passe oublie"),
            Some(3),
            "no accents"
        );
        assert_eq!(
            top(&index, Language::Fr, "dashboard"),
            None,
            "other language"
        );
    }

    #[test]
    fn any_query_is_safe() {
        let index = SearchIndex::build(&corpus());
        let long = "password ".repeat(1200);
        for q in [
            "",
            " ",
            "\"",
            "\"password",
            "password*",
            "(password",
            "AND OR NOT",
            "NEAR(a b)",
            "🔐🔐",
            "كلمة المرور",
            "סיסמה",
            "\u{202E}drowssap",
            &long,
            "*",
            "'; DROP TABLE x;--",
        ] {
            for lang in Language::ALL {
                let hits = index.search(lang, q, 10);
                assert!(hits.len() <= 10);
            }
        }
        assert!(index.search(Language::En, "", 10).is_empty());
        assert!(!index.search(Language::En, &long, 10).is_empty());
        assert!(index.search(Language::En, "password", 0).is_empty());
    }

    #[test]
    fn snippet_highlights_the_matched_words() {
        let index = SearchIndex::build(&corpus());
        let hit = &index.search(Language::En, "forgot password", 1)[0];
        let chars: Vec<char> = hit.snippet.chars().collect();
        let words: Vec<String> = hit
            .highlights
            .iter()
            .map(|[s, e]| chars[*s as usize..*e as usize].iter().collect())
            .collect();
        assert!(
            words
                .iter()
                .any(|w| w == "Forgot password" || w == "Forgot"),
            "{words:?}"
        );
        assert!(words.iter().any(|w| w.contains("password")), "{words:?}");
    }

    #[test]
    fn long_bodies_give_a_window_around_the_hits() {
        let filler = "Lorem ipsum dolor sit amet. ".repeat(20);
        let body = format!("{filler}Your recovery codes are shown once. {filler}");
        let index = SearchIndex::build(&[doc(Language::En, "Codes", &[], &body)]);
        let hit = &index.search(Language::En, "recovery codes", 1)[0];
        assert!(hit.snippet.starts_with("… "));
        assert!(hit.snippet.ends_with(" …"));
        assert!(hit.snippet.chars().count() <= SNIPPET_CHARS + 4);
        let chars: Vec<char> = hit.snippet.chars().collect();
        let [s, e] = hit.highlights[0];
        let word: String = chars[s as usize..e as usize].iter().collect();
        assert_eq!(word, "recovery");
    }
}
