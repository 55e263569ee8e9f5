//! XWMS's password rule, shared by the server (which enforces it) and the clients (which show
//! live feedback as a person types). Policy as data: the numbers are named here, once.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// Fewest characters (XWMS publishes 8).
pub const MIN_CHARS: usize = 8;
/// Most characters accepted; never truncated (NIST SP 800-63B asks for at least 64).
pub const MAX_CHARS: usize = 256;

/// The 20,000 most common passwords (lower-cased, first 20,000 distinct entries of the ranked
/// list in `@zxcvbn-ts/language-common` 4.1.3, MIT licence). Compared case-insensitively, so
/// `Password1` is refused when `password1` is listed.
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().filter(|l| !l.is_empty()).collect())
}

/// How many passwords the common list holds.
pub fn common_password_count() -> usize {
    common_passwords().len()
}

/// Each part of the rule, for live feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordCheck {
    pub long_enough: bool,
    pub not_too_long: bool,
    pub has_upper: bool,
    pub has_lower: bool,
    pub has_digit: bool,
    pub not_common: bool,
}

impl PasswordCheck {
    pub fn ok(&self) -> bool {
        self.long_enough
            && self.not_too_long
            && self.has_upper
            && self.has_lower
            && self.has_digit
            && self.not_common
    }

    /// The first broken part as a stable error code, in the order a person fixes them.
    pub fn first_error(&self) -> Option<ErrorCode> {
        if !self.long_enough {
            Some(ErrorCode::PasswordTooShort)
        } else if !self.not_too_long {
            Some(ErrorCode::PasswordTooLong)
        } else if !self.has_upper {
            Some(ErrorCode::PasswordMissingUpper)
        } else if !self.has_lower {
            Some(ErrorCode::PasswordMissingLower)
        } else if !self.has_digit {
            Some(ErrorCode::PasswordMissingDigit)
        } else if !self.not_common {
            Some(ErrorCode::PasswordTooCommon)
        } else {
            None
        }
    }
}

/// Checks `password` against the rule. Length counts characters (not bytes); any character is
/// allowed, including spaces and emoji.
pub fn check_password(password: &str) -> PasswordCheck {
    let chars = password.chars().count();
    PasswordCheck {
        long_enough: chars >= MIN_CHARS,
        not_too_long: chars <= MAX_CHARS,
        has_upper: password.chars().any(char::is_uppercase),
        has_lower: password.chars().any(char::is_lowercase),
        has_digit: password.chars().any(|c| c.is_ascii_digit()),
        not_common: !common_passwords().contains(password.to_lowercase().as_str()),
    }
}

/// `Ok(())` or the first broken part's code.
pub fn validate_password(password: &str) -> Result<(), ErrorCode> {
    match check_password(password).first_error() {
        None => Ok(()),
        Some(code) => Err(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_table() {
        let cases: &[(&str, Result<(), ErrorCode>)] = &[
            ("", Err(ErrorCode::PasswordTooShort)),
            ("Ab1defg", Err(ErrorCode::PasswordTooShort)),
            ("Ab1defgh", Ok(())),
            ("ab1defgh", Err(ErrorCode::PasswordMissingUpper)),
            ("AB1DEFGH", Err(ErrorCode::PasswordMissingLower)),
            ("Abcdefgh", Err(ErrorCode::PasswordMissingDigit)),
            ("Password1", Err(ErrorCode::PasswordTooCommon)),
            ("PASSword1", Err(ErrorCode::PasswordTooCommon)),
            ("Qwerty123", Err(ErrorCode::PasswordTooCommon)),
            ("Ünïcödé9x", Ok(())),
            ("correct Horse 9 battery staple", Ok(())),
            ("Émile2024 🦊 keeps", Ok(())),
        ];
        for (pw, want) in cases {
            assert_eq!(validate_password(pw), *want, "{pw:?}");
        }
    }

    #[test]
    fn length_counts_characters_and_is_never_truncated() {
        let seven_emoji = "🦊🦊🦊🦊🦊Aa"; // 7 chars, many bytes
        assert_eq!(
            validate_password(seven_emoji),
            Err(ErrorCode::PasswordTooShort)
        );
        let max = format!("Aa1{}", "x".repeat(MAX_CHARS - 3));
        assert_eq!(validate_password(&max), Ok(()));
        let over = format!("{max}y");
        assert_eq!(validate_password(&over), Err(ErrorCode::PasswordTooLong));
        // 64 characters always fit (NIST).
        const { assert!(MAX_CHARS >= 64) };
    }

    #[test]
    fn ships_at_least_ten_thousand_common_passwords() {
        assert!(
            common_password_count() >= 10_000,
            "{}",
            common_password_count()
        );
    }
}
