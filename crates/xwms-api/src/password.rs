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

/// Each part of the rule, for live feedback, and the first broken one as the error a form
/// shows (the clients show this; they never work it out themselves).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordCheck {
    pub long_enough: bool,
    pub not_too_long: bool,
    pub has_upper: bool,
    pub has_lower: bool,
    pub has_digit: bool,
    pub not_common: bool,
    /// The first broken part as a stable error code, in the order a person fixes them (what
    /// the server answers for this password); `None` when every part holds.
    pub first_error: Option<ErrorCode>,
}

impl PasswordCheck {
    pub fn ok(&self) -> bool {
        self.first_error.is_none()
    }
}

/// Checks `password` against the rule. Length counts characters (not bytes); any character is
/// allowed, including spaces and emoji.
pub fn check_password(password: &str) -> PasswordCheck {
    let chars = password.chars().count();
    let mut check = PasswordCheck {
        long_enough: chars >= MIN_CHARS,
        not_too_long: chars <= MAX_CHARS,
        has_upper: password.chars().any(char::is_uppercase),
        has_lower: password.chars().any(char::is_lowercase),
        has_digit: password.chars().any(|c| c.is_ascii_digit()),
        not_common: !common_passwords().contains(password.to_lowercase().as_str()),
        first_error: None,
    };
    check.first_error = [
        (check.long_enough, ErrorCode::PasswordTooShort),
        (check.not_too_long, ErrorCode::PasswordTooLong),
        (check.has_upper, ErrorCode::PasswordMissingUpper),
        (check.has_lower, ErrorCode::PasswordMissingLower),
        (check.has_digit, ErrorCode::PasswordMissingDigit),
        (check.not_common, ErrorCode::PasswordTooCommon),
    ]
    .into_iter()
    .find_map(|(holds, code)| (!holds).then_some(code));
    check
}

/// `Ok(())` or the first broken part's code.
pub fn validate_password(password: &str) -> Result<(), ErrorCode> {
    match check_password(password).first_error {
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
    fn the_check_carries_its_first_error_as_the_code_string() {
        let broken = serde_json::to_value(check_password("abcdefgh1")).unwrap();
        assert_eq!(broken["first_error"], "password.missing_upper");
        assert_eq!(broken["has_upper"], false);
        let fine = serde_json::to_value(check_password("Ab1defgh")).unwrap();
        assert!(fine["first_error"].is_null());
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
