//! Text analysis for search: the same steps for the articles and for what a person types, so
//! both meet on the same terms.
//!
//! 1. **Fold**: Unicode NFKD, combining marks dropped, lower case: `Sécurité` → `securite`,
//!    so a query typed without accents finds accented text and the other way round.
//! 2. **Split** into words: runs of letters and digits in any script (`two-factor` is two
//!    words, `2fa` one); everything else (punctuation, emoji, operators) separates.
//! 3. **Synonyms** ([`synonyms`]): a word or phrase of a group (`two factor`, `2fa`, `mfa`,
//!    `authenticator`) also yields the group's concept term, on both sides; that is how
//!    "log in" finds "sign in".
//! 4. **Stop words** of the language are dropped, then every word is **stemmed** with the
//!    language's Snowball stemmer (`passwords` → `password`, `verificatie` → `verificati`).
//!
//! Steps 1 and 2 live in [`crate::words`], which both this module and [`synonyms`] use
//! (dependency direction: `analyze` → `synonyms` → `words`; `words` uses neither).
//!
//! Terms are folded before stemming: stemming the folded form gives the same stem for `securite`
//! and `sécurité`, which matters more here than the stemmer's finer accent rules.

use rust_stemmers::{Algorithm, Stemmer};
use xwms_api::help::Language;

use crate::synonyms;
use crate::words::words;

/// Concept terms start with this character, which folding never produces in a word.
pub const CONCEPT_MARK: char = '=';

/// One term of analysed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// A stem, or a concept (`=2fa`).
    pub text: String,
    /// The folded word this came from (the phrase's words joined by a space for a concept).
    pub folded: String,
    /// Character offsets in the original text.
    pub start: u32,
    pub end: u32,
}

impl Term {
    pub fn is_concept(&self) -> bool {
        self.text.starts_with(CONCEPT_MARK)
    }
}

/// The analyser of one language. Cheap to build; holds its stemmer.
pub struct Analyzer {
    lang: Language,
    stemmer: Stemmer,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("lang", &self.lang)
            .finish()
    }
}

impl Analyzer {
    pub fn new(lang: Language) -> Self {
        let algorithm = match lang {
            Language::En => Algorithm::English,
            Language::Nl => Algorithm::Dutch,
            Language::Fr => Algorithm::French,
        };
        Self {
            lang,
            stemmer: Stemmer::create(algorithm),
        }
    }

    pub fn lang(&self) -> Language {
        self.lang
    }

    /// The stem of one folded word.
    pub fn stem(&self, folded: &str) -> String {
        self.stemmer.stem(folded).into_owned()
    }

    pub fn is_stop_word(&self, folded: &str) -> bool {
        stop_words(self.lang).binary_search(&folded).is_ok()
    }

    /// Every term of `text`, in order: the stems of its words that are not stop words, and
    /// the concepts of the synonym phrases it contains (right after the phrase's words).
    pub fn terms(&self, text: &str) -> Vec<Term> {
        let words = words(text);
        let mut out = Vec::with_capacity(words.len() + 2);
        for (i, word) in words.iter().enumerate() {
            if !self.is_stop_word(&word.folded) && keep(&word.folded) {
                out.push(Term {
                    text: self.stem(&word.folded),
                    folded: word.folded.clone(),
                    start: word.start,
                    end: word.end,
                });
            }
            for (len, concept) in synonyms::ending_at(self.lang, &words, i) {
                let first = &words[i + 1 - len];
                out.push(Term {
                    text: format!("{CONCEPT_MARK}{concept}"),
                    folded: words[i + 1 - len..=i]
                        .iter()
                        .map(|w| w.folded.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    start: first.start,
                    end: word.end,
                });
            }
        }
        out
    }
}

/// Single letters carry no meaning in a search (digits do: `2` in "2 step").
fn keep(folded: &str) -> bool {
    let mut chars = folded.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => c.is_ascii_digit(),
        (Some(_), Some(_)) => true,
        _ => false,
    }
}

/// Stop words per language, folded and sorted (binary search).
fn stop_words(lang: Language) -> &'static [&'static str] {
    match lang {
        Language::En => EN_STOP,
        Language::Nl => NL_STOP,
        Language::Fr => FR_STOP,
    }
}

const EN_STOP: &[&str] = &[
    "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can",
    "could", "did", "do", "does", "for", "from", "had", "has", "have", "how", "i", "if", "im",
    "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "should", "so", "that",
    "the", "their", "them", "then", "there", "these", "this", "to", "us", "was", "we", "were",
    "what", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
];

const NL_STOP: &[&str] = &[
    "aan", "als", "bij", "dat", "de", "deze", "die", "dit", "een", "en", "er", "hem", "het", "hoe",
    "ik", "in", "is", "je", "jij", "kan", "kun", "kunt", "me", "met", "mijn", "moet", "naar", "of",
    "om", "op", "te", "u", "uw", "van", "voor", "waar", "waarom", "wat", "we", "wij", "wil",
    "wordt", "ze", "zijn",
];

const FR_STOP: &[&str] = &[
    "a", "au", "aux", "ce", "ces", "comment", "d", "dans", "de", "des", "du", "elle", "en", "est",
    "et", "il", "j", "je", "l", "la", "le", "les", "leur", "ma", "mais", "me", "mes", "mon", "ne",
    "nous", "on", "ou", "par", "pour", "pourquoi", "puis", "qu", "que", "quel", "quelle", "qui",
    "sa", "se", "ses", "son", "sur", "ta", "te", "tu", "un", "une", "vos", "votre", "vous",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::{fold, MAX_WORD_CHARS};

    fn texts(lang: Language, text: &str) -> Vec<String> {
        Analyzer::new(lang)
            .terms(text)
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn stop_word_lists_are_sorted_and_folded() {
        for list in [EN_STOP, NL_STOP, FR_STOP] {
            let mut sorted = list.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted, list, "sorted, no duplicates");
            for w in list {
                assert_eq!(&fold(w), w);
            }
        }
    }

    #[test]
    fn accented_and_plain_spelling_meet() {
        for lang in Language::ALL {
            assert_eq!(texts(lang, "sécurité"), texts(lang, "securite"));
        }
        assert_eq!(
            texts(Language::En, "passwords"),
            texts(Language::En, "password")
        );
        assert_eq!(
            texts(Language::Nl, "wachtwoorden"),
            texts(Language::Nl, "wachtwoord")
        );
        assert_eq!(
            texts(Language::Fr, "sessions actives"),
            texts(Language::Fr, "session active")
        );
    }

    #[test]
    fn stop_words_and_single_letters_are_dropped() {
        let words: Vec<String> = texts(Language::En, "How do I reset my password?")
            .into_iter()
            .filter(|t| !t.starts_with(CONCEPT_MARK))
            .collect();
        assert_eq!(words, ["reset", "password"]);
        assert!(texts(Language::Fr, "l'email").iter().all(|t| t != "l"));
    }

    #[test]
    fn long_and_strange_input_is_safe() {
        let a = Analyzer::new(Language::En);
        let long = "x".repeat(10_000);
        let terms = a.terms(&long);
        assert_eq!(terms.len(), 1);
        assert!(terms[0].folded.chars().count() <= MAX_WORD_CHARS);
        for text in [
            "",
            "   ",
            "\"\" OR *",
            "((a AND b)",
            "مرحبا بالعالم",
            "שלום",
            "🙂🙃",
            "\u{0301}",
        ] {
            let _ = a.terms(text);
        }
    }
}
