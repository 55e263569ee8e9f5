//! The one language type: the languages XWMS speaks (the help center, mail, the account's
//! setting, the apps' texts). The app's own setting adds "follow the system" on top of it
//! (`xwms_core::settings::LanguageSetting`).

use serde::{Deserialize, Serialize};

/// English, Dutch or French; on the wire `en`, `nl`, `fr`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Nl,
    Fr,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::En, Language::Nl, Language::Fr];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Nl => "nl",
            Language::Fr => "fr",
        }
    }

    /// Exactly `en`, `nl` or `fr`.
    pub fn parse(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.as_str() == code)
    }

    /// A language tag or locale: `en`, `nl`, `fr` in any case, also `nl-BE` or `fr_FR.UTF-8`;
    /// anything else is `None`.
    pub fn from_tag(text: &str) -> Option<Language> {
        let head = text.get(..2)?.to_ascii_lowercase();
        let rest = &text[2..];
        if !(rest.is_empty() || rest.starts_with(['-', '_', '.'])) {
            return None;
        }
        Language::parse(&head)
    }

    /// The first supported language of an `Accept-Language` header, by preference (`q`).
    pub fn from_accept_language(header: &str) -> Option<Language> {
        let mut choices: Vec<(f32, Language)> = header
            .split(',')
            .filter_map(|item| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim().to_ascii_lowercase();
                let primary = tag.split(['-', '_']).next()?;
                let language = Language::parse(primary)?;
                let q = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0).then_some((q, language))
            })
            .collect();
        // Stable: equal weights keep the header's order.
        choices.sort_by(|a, b| b.0.total_cmp(&a.0));
        choices.first().map(|(_, language)| *language)
    }

    /// Position in [`Language::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
