//! Folding and splitting text into words: steps 1 and 2 of [`crate::analyze`].
//!
//! The bottom of the analysis: [`crate::analyze`] and [`crate::synonyms`] both build on it and
//! it uses neither (dependency direction: `analyze` → `synonyms` → `words`).

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// A word as typed, after folding, with where it stands in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Folded, not stemmed.
    pub folded: String,
    /// Offsets in the original text, in characters (code points): `[start, end)`.
    pub start: u32,
    pub end: u32,
}

/// Longest word considered, in characters; longer runs are cut (nobody searches for them, and
/// it bounds the work per word).
pub const MAX_WORD_CHARS: usize = 40;

/// Folds one character into zero or more: lower case, no accents (`É` → `e`, `ß` → `ss`,
/// `ﬁ` → `fi`).
fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    for d in std::iter::once(c).nfkd() {
        if is_combining_mark(d) {
            continue;
        }
        match d {
            'ß' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            _ => out.extend(d.to_lowercase()),
        }
    }
}

/// Folds a whole string (see the module's step 1).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// The words of `text`, folded, with their character offsets. Apostrophes split words
/// (`l'authentification` → `l`, `authentification`), as do hyphens.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0u32;
    let mut chars_in_word = 0usize;
    let mut position = 0u32;
    let mut folded = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            if current.is_empty() {
                start = position;
                chars_in_word = 0;
            }
            if chars_in_word < MAX_WORD_CHARS {
                folded.clear();
                fold_char(c, &mut folded);
                // A character that folds to nothing alphanumeric (rare) is skipped.
                current.extend(folded.chars().filter(|c| c.is_alphanumeric()));
                chars_in_word += 1;
            }
        } else if !current.is_empty() && !is_combining_mark(c) {
            // A combining mark inside a word (a decomposed accent) does not end it.
            out.push(Word {
                folded: std::mem::take(&mut current),
                start,
                end: position,
            });
        }
        position += 1;
    }
    if !current.is_empty() {
        out.push(Word {
            folded: current,
            start,
            end: position,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_accents_and_case() {
        assert_eq!(
            fold("Sécurité À ÇA Ñandú Straße ﬁn"),
            "securite a ca nandu strasse fin"
        );
        assert_eq!(fold("ĳ"), "ij");
    }

    #[test]
    fn words_split_on_punctuation_and_keep_offsets() {
        let w = words("Two-factor (2FA) l'authentification — 🔐 émoji");
        let folded: Vec<_> = w.iter().map(|w| w.folded.as_str()).collect();
        assert_eq!(
            folded,
            ["two", "factor", "2fa", "l", "authentification", "emoji"]
        );
        assert_eq!((w[2].start, w[2].end), (12, 15));
        // Offsets count characters, not bytes: "🔐 " is 2 characters.
        let e = &w[5];
        let text: Vec<char> = "Two-factor (2FA) l'authentification — 🔐 émoji"
            .chars()
            .collect();
        assert_eq!(
            text[e.start as usize..e.end as usize]
                .iter()
                .collect::<String>(),
            "émoji"
        );
    }
}
