//! Checks of what people type, each with the stable code and the request field it is about.
//! Every limit is a named constant; each check has a table of cases.

use std::str::FromStr;

use xwms_api::auth::DeviceInfo;
use xwms_api::ErrorCode;

use crate::error::ApiError;

pub const NAME_MAX_CHARS: usize = 100;
/// RFC 5321's limit on a forward path, in practice the longest address.
pub const EMAIL_MAX_CHARS: usize = 254;
pub const USERNAME_MIN_CHARS: usize = 3;
pub const USERNAME_MAX_CHARS: usize = 30;
/// Each device fact a client sends (name, OS, app, version, installation id).
pub const DEVICE_FIELD_MAX_CHARS: usize = 100;
/// The longest time zone name looked up (the longest IANA name is 32 characters).
pub const TIMEZONE_MAX_CHARS: usize = 64;
/// A stored `User-Agent` is cut to this many characters.
pub const USER_AGENT_MAX_CHARS: usize = 512;
/// The free-text details of a recovery request.
pub const DETAILS_MAX_CHARS: usize = 4000;

pub use xwms_api::Language;

/// An email address as typed (trimmed) and its lookup key (lower-cased): addresses are unique
/// without regard to case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub address: String,
    pub key: String,
}

impl Email {
    pub fn key_of(address: &str) -> String {
        address.trim().to_lowercase()
    }
}

/// The characters refused in text a person types, as inclusive ranges: C0/C1 controls (exactly
/// `char::is_control`), the invisible characters U+200B–200F, line and paragraph separators, and
/// the bidirectional overrides and isolates that make text display differently from what it is.
/// Declared once: the check below and the OpenAPI patterns ([`forbidden_class`]) come from it.
pub const FORBIDDEN_CHARS: &[(char, char)] = &[
    ('\u{0}', '\u{1F}'),
    ('\u{7F}', '\u{9F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2066}', '\u{2069}'),
    ('\u{FEFF}', '\u{FEFF}'),
];

fn is_forbidden_char(c: char) -> bool {
    FORBIDDEN_CHARS
        .iter()
        .any(|&(from, to)| (from..=to).contains(&c))
}

/// [`FORBIDDEN_CHARS`] without `allowed`, as the inside of a regular expression character
/// class (`\u0000-\u001F...`), for the patterns of the OpenAPI document.
pub fn forbidden_class(allowed: &[char]) -> String {
    let mut class = String::new();
    let mut push = |from: u32, to: u32| {
        if from == to {
            class.push_str(&format!("\\u{from:04X}"));
        } else if from < to {
            class.push_str(&format!("\\u{from:04X}-\\u{to:04X}"));
        }
    };
    for &(from, to) in FORBIDDEN_CHARS {
        let mut start = from as u32;
        for c in (from as u32)..=(to as u32) {
            if allowed.iter().any(|&a| a as u32 == c) {
                push(start, c.wrapping_sub(1));
                start = c + 1;
            }
        }
        push(start, to as u32);
    }
    class
}

/// Whether `text` holds a character that is not allowed in a name or other text a person
/// types (see `is_forbidden_char`), with one exception: the zero-width joiner (U+200D) and
/// non-joiner (U+200C) are part of how Persian and Indic names (`مهر‌ناز`) and emoji sequences
/// (`👩‍💻`) are written, so they are allowed *inside a word*: between two characters that are
/// neither white space, nor a joiner, nor forbidden themselves. At the edges of a word, in a
/// row, or next to a space they only hide what the text is, and are refused. Bidirectional
/// overrides and isolates (U+202A–202E, U+2066–2069), controls, line separators, the other
/// invisible characters (U+200B, U+200E, U+200F, U+FEFF) stay refused everywhere.
pub fn has_forbidden_char(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let is_joiner = |c: char| matches!(c, '\u{200C}' | '\u{200D}');
    let in_word = |c: Option<&char>| {
        c.is_some_and(|&c| !c.is_whitespace() && !is_joiner(c) && !is_forbidden_char(c))
    };
    chars.iter().enumerate().any(|(i, &c)| {
        if is_joiner(c) {
            !(i > 0 && in_word(chars.get(i - 1)) && in_word(chars.get(i + 1)))
        } else {
            is_forbidden_char(c)
        }
    })
}

/// A syntactically valid address (`email.invalid` otherwise; empty is `field.required`).
pub fn email(field: &str, raw: &str) -> Result<Email, ApiError> {
    let address = raw.trim();
    if address.is_empty() {
        return Err(ApiError::field(ErrorCode::FieldRequired, field));
    }
    let invalid = || ApiError::field(ErrorCode::EmailInvalid, field);
    if address.chars().count() > EMAIL_MAX_CHARS
        || address
            .chars()
            .any(|c| is_forbidden_char(c) || c.is_whitespace())
    {
        return Err(invalid());
    }
    let (local, domain) = address.rsplit_once('@').ok_or_else(invalid)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.chars().count() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    // The mail library must be able to send to it too.
    if !local_ok || !domain_ok || lettre::Address::from_str(address).is_err() {
        return Err(invalid());
    }
    Ok(Email {
        address: address.to_owned(),
        key: Email::key_of(address),
    })
}

/// A person's name: 1 to 100 characters after trimming, no control characters.
pub fn name(field: &str, raw: &str) -> Result<String, ApiError> {
    label(field, raw, NAME_MAX_CHARS)
}

/// A one-line name of something: 1 to `max_chars` characters after trimming, no control
/// characters.
pub fn label(field: &str, raw: &str, max_chars: usize) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ApiError::field(ErrorCode::FieldRequired, field));
    }
    if name.chars().count() > max_chars {
        return Err(ApiError::field(ErrorCode::FieldTooLong, field));
    }
    if has_forbidden_char(name) {
        return Err(ApiError::field(ErrorCode::FieldInvalid, field));
    }
    Ok(name.to_owned())
}

/// Usernames nobody may take: they could pass for staff or the service itself. Compared after
/// dropping `.`, `_`, `-` and trailing digits, so `admin_2` and `sup.port` are reserved too;
/// anything containing `xwms` is reserved as well.
pub const RESERVED_USERNAMES: &[&str] = &[
    "abuse",
    "account",
    "accounts",
    "admin",
    "administrator",
    "anonymous",
    "api",
    "billing",
    "contact",
    "help",
    "helpdesk",
    "hostmaster",
    "info",
    "login",
    "mod",
    "moderator",
    "noreply",
    "null",
    "official",
    "owner",
    "postmaster",
    "privacy",
    "root",
    "security",
    "service",
    "settings",
    "signin",
    "signup",
    "staff",
    "superuser",
    "support",
    "sysadmin",
    "system",
    "team",
    "terms",
    "undefined",
    "webmaster",
];

pub fn is_reserved_username(username: &str) -> bool {
    let squeezed: String = username
        .chars()
        .filter(|c| !matches!(c, '.' | '_' | '-'))
        .collect();
    let stem = squeezed.trim_end_matches(|c: char| c.is_ascii_digit());
    squeezed.contains("xwms") || RESERVED_USERNAMES.contains(&stem)
}

/// A username: 3 to 30 of `a-z 0-9 . _ -` (upper case is folded to lower case). An empty value
/// removes the username (`None`).
pub fn username(raw: &str) -> Result<Option<String>, ApiError> {
    const FIELD: &str = "username";
    let username = raw.trim().to_lowercase();
    if username.is_empty() {
        return Ok(None);
    }
    if username.chars().count() > USERNAME_MAX_CHARS {
        return Err(ApiError::field(ErrorCode::FieldTooLong, FIELD));
    }
    if username.chars().count() < USERNAME_MIN_CHARS
        || !username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        return Err(ApiError::with_message(
            ErrorCode::FieldInvalid,
            format!(
                "A username is {USERNAME_MIN_CHARS} to {USERNAME_MAX_CHARS} of a-z, 0-9, '.', '_' and '-'."
            ),
        )
        .with_field(FIELD));
    }
    if is_reserved_username(&username) {
        return Err(ApiError::field(ErrorCode::UsernameReserved, FIELD));
    }
    Ok(Some(username))
}

/// An IANA time zone of the bundled database, in its canonical spelling
/// (`europe/amsterdam` → `Europe/Amsterdam`).
pub fn timezone(raw: &str) -> Result<String, ApiError> {
    let wanted = raw.trim();
    let invalid = || ApiError::field(ErrorCode::TimezoneInvalid, "timezone");
    if wanted.is_empty() || wanted.len() > TIMEZONE_MAX_CHARS {
        return Err(invalid());
    }
    let db = jiff::tz::db();
    db.available()
        .find(|name| name.as_str().eq_ignore_ascii_case(wanted))
        .map(|name| name.as_str().to_owned())
        .filter(|name| db.get(name).is_ok())
        .ok_or_else(invalid)
}

/// ISO 3166-1 alpha-2 country codes (249 officially assigned).
pub const REGIONS: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// An ISO 3166-1 alpha-2 region (upper-cased), or empty for none.
pub fn region(raw: &str) -> Result<String, ApiError> {
    let region = raw.trim().to_ascii_uppercase();
    if region.is_empty() || REGIONS.contains(&region.as_str()) {
        Ok(region)
    } else {
        Err(ApiError::with_message(
            ErrorCode::FieldInvalid,
            "`region` must be an ISO 3166-1 two-letter country code, or empty.",
        )
        .with_field("region"))
    }
}

/// `en`, `nl` or `fr`.
pub fn language(field: &str, raw: &str) -> Result<Language, ApiError> {
    Language::parse(raw.trim()).ok_or_else(|| {
        ApiError::with_message(
            ErrorCode::FieldInvalid,
            "The language must be en, nl or fr.",
        )
        .with_field(field)
    })
}

/// An optional `language` of a request body; absent means "from Accept-Language, else en".
pub fn optional_language(
    raw: Option<&str>,
    fallback: Option<Language>,
) -> Result<Language, ApiError> {
    match raw {
        Some(raw) => language("language", raw),
        None => Ok(fallback.unwrap_or_default()),
    }
}

/// What a client says about itself: each fact at most 100 characters, no control characters.
pub fn device(device: &DeviceInfo) -> Result<DeviceInfo, ApiError> {
    let fact = |field: &str, value: &str| -> Result<String, ApiError> {
        let value = value.trim();
        let field = format!("device.{field}");
        if value.chars().count() > DEVICE_FIELD_MAX_CHARS {
            return Err(ApiError::field(ErrorCode::FieldTooLong, field));
        }
        if has_forbidden_char(value) {
            return Err(ApiError::field(ErrorCode::FieldInvalid, field));
        }
        Ok(value.to_owned())
    };
    Ok(DeviceInfo {
        name: fact("name", &device.name)?,
        os: fact("os", &device.os)?,
        app: fact("app", &device.app)?,
        app_version: fact("app_version", &device.app_version)?,
        installation_id: fact("installation_id", &device.installation_id)?,
    })
}

/// Free text a person writes (recovery details): line breaks and tabs are fine, other control
/// characters are not.
pub fn free_text(field: &str, raw: &str, max_chars: usize) -> Result<String, ApiError> {
    let text = raw.trim();
    if text.chars().count() > max_chars {
        return Err(ApiError::field(ErrorCode::FieldTooLong, field));
    }
    if has_forbidden_char(&text.replace(['\n', '\r', '\t'], " ")) {
        return Err(ApiError::field(ErrorCode::FieldInvalid, field));
    }
    Ok(text.to_owned())
}

/// A `User-Agent` header as stored: lossy UTF-8, control characters dropped, at most 512
/// characters.
pub fn user_agent(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .chars()
        .filter(|c| !is_forbidden_char(*c))
        .take(USER_AGENT_MAX_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_chars_are_the_controls_separators_invisibles_and_overrides() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let want = c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{FEFF}');
            assert_eq!(is_forbidden_char(c), want, "{:04X}", c as u32);
        }
        assert_eq!(
            forbidden_class(&[]),
            r"\u0000-\u001F\u007F-\u009F\u200B-\u200F\u2028-\u2029\u202A-\u202E\u2066-\u2069\uFEFF"
        );
        assert_eq!(
            forbidden_class(&['\t', '\n', '\r']),
            r"\u0000-\u0008\u000B-\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u2028-\u2029\u202A-\u202E\u2066-\u2069\uFEFF"
        );
    }

    fn code_of<T: std::fmt::Debug>(result: Result<T, ApiError>) -> Option<ErrorCode> {
        result.err().map(|e| e.code)
    }

    #[test]
    fn email_table() {
        let long_local = format!("{}@example.com", "a".repeat(64));
        let too_long_local = format!("{}@example.com", "a".repeat(65));
        let at_limit = format!(
            "{}@{}.{}.{}.com",
            "a".repeat(64),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(57)
        );
        let over_limit = format!("x{at_limit}");
        assert_eq!(at_limit.len(), 254);
        #[rustfmt::skip]
        let table: &[(&str, Option<ErrorCode>)] = &[
            ("anna@example.com",               None),
            ("  Anna.de.Vries+xwms@Example.NL ", None),
            ("o'brien@mail.example.ie",        None),
            ("no-reply@xwms.localhost",        None),
            ("jörg@müller.de",                 Some(ErrorCode::EmailInvalid)),
            ("info@müller.de",                 None),
            (long_local.as_str(),              None),
            (too_long_local.as_str(),          Some(ErrorCode::EmailInvalid)),
            (at_limit.as_str(),                None),
            (over_limit.as_str(),              Some(ErrorCode::EmailInvalid)),
            ("",                               Some(ErrorCode::FieldRequired)),
            ("   ",                            Some(ErrorCode::FieldRequired)),
            ("anna",                           Some(ErrorCode::EmailInvalid)),
            ("anna@",                          Some(ErrorCode::EmailInvalid)),
            ("@example.com",                   Some(ErrorCode::EmailInvalid)),
            ("anna@example",                   Some(ErrorCode::EmailInvalid)),
            ("anna@@example.com",              Some(ErrorCode::EmailInvalid)),
            ("anna@exa mple.com",              Some(ErrorCode::EmailInvalid)),
            ("anna@example.com\n",             None),
            ("an\nna@example.com",             Some(ErrorCode::EmailInvalid)),
            ("anna\u{0}@example.com",          Some(ErrorCode::EmailInvalid)),
            (".anna@example.com",              Some(ErrorCode::EmailInvalid)),
            ("an..na@example.com",             Some(ErrorCode::EmailInvalid)),
            ("anna@-example.com",              Some(ErrorCode::EmailInvalid)),
            ("anna@example..com",              Some(ErrorCode::EmailInvalid)),
            ("anna@127.0.0.1",                 Some(ErrorCode::EmailInvalid)),
            ("\"anna\"@example.com",           Some(ErrorCode::EmailInvalid)),
            ("anna@example.com>",              Some(ErrorCode::EmailInvalid)),
            ("Anna <anna@example.com>",        Some(ErrorCode::EmailInvalid)),
        ];
        for (raw, want) in table {
            let got = email("email", raw);
            assert_eq!(code_of(got.clone()), *want, "{raw:?}");
            if let Err(err) = got {
                assert_eq!(err.data.unwrap().field.as_deref(), Some("email"), "{raw:?}");
            }
        }
        let e = email("email", "  Anna@Example.COM ").unwrap();
        assert_eq!(
            (e.address.as_str(), e.key.as_str()),
            ("Anna@Example.COM", "anna@example.com")
        );
    }

    #[test]
    fn name_table() {
        let hundred = "é".repeat(100);
        let over = "é".repeat(101);
        #[rustfmt::skip]
        let table: &[(&str, Result<&str, ErrorCode>)] = &[
            ("Anna de Vries",       Ok("Anna de Vries")),
            ("  Émile Zola  ",      Ok("Émile Zola")),
            ("李小龍",               Ok("李小龍")),
            (hundred.as_str(),      Ok(hundred.as_str())),
            (over.as_str(),         Err(ErrorCode::FieldTooLong)),
            ("",                    Err(ErrorCode::FieldRequired)),
            (" \t ",                Err(ErrorCode::FieldRequired)),
            ("Anna\nde Vries",      Err(ErrorCode::FieldInvalid)),
            ("Anna\u{7}",           Err(ErrorCode::FieldInvalid)),
            ("Anna\u{202E}seirV",   Err(ErrorCode::FieldInvalid)),
            ("Anna\u{200B}",        Err(ErrorCode::FieldInvalid)),
            // Joiners inside a word: Persian and Indic names, emoji sequences.
            ("مهر\u{200C}ناز",       Ok("مهر\u{200C}ناز")),
            ("क्\u{200D}ष",           Ok("क्\u{200D}ष")),
            ("👩\u{200D}💻",          Ok("👩\u{200D}💻")),
            ("Sam 👨\u{200D}👩\u{200D}👧", Ok("Sam 👨\u{200D}👩\u{200D}👧")),
            // ... but not at a word's edge, in a row, next to a space or a forbidden character.
            ("\u{200D}Anna",        Err(ErrorCode::FieldInvalid)),
            ("Anna\u{200C}",        Err(ErrorCode::FieldInvalid)),
            ("An\u{200D}\u{200D}na", Err(ErrorCode::FieldInvalid)),
            ("Anna \u{200C}Vries",  Err(ErrorCode::FieldInvalid)),
            ("Anna\u{200C} Vries",  Err(ErrorCode::FieldInvalid)),
            ("An\u{200D}\u{202E}na", Err(ErrorCode::FieldInvalid)),
            // Bidi overrides and isolates, other invisibles, controls: never.
            ("Anna\u{202A}x",       Err(ErrorCode::FieldInvalid)),
            ("Anna\u{202D}x",       Err(ErrorCode::FieldInvalid)),
            ("Anna\u{2066}x\u{2069}", Err(ErrorCode::FieldInvalid)),
            ("Anna\u{2068}x",       Err(ErrorCode::FieldInvalid)),
            ("An\u{200E}na",        Err(ErrorCode::FieldInvalid)),
            ("An\u{FEFF}na",        Err(ErrorCode::FieldInvalid)),
            ("An\u{85}na",          Err(ErrorCode::FieldInvalid)),
            ("An\u{2028}na",        Err(ErrorCode::FieldInvalid)),
        ];
        for (raw, want) in table {
            let want = want.clone().map(str::to_owned);
            assert_eq!(name("name", raw).map_err(|e| e.code), want, "{raw:?}");
        }
    }

    #[test]
    fn username_table() {
        #[rustfmt::skip]
        let table: &[(&str, Result<Option<&str>, ErrorCode>)] = &[
            ("anna",            Ok(Some("anna"))),
            ("Anna.de_Vries-2", Ok(Some("anna.de_vries-2"))),
            ("abc",             Ok(Some("abc"))),
            ("",                Ok(None)),
            ("ab",              Err(ErrorCode::FieldInvalid)),
            (&"a".repeat(30),   Ok(Some("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))),
            (&"a".repeat(31),   Err(ErrorCode::FieldTooLong)),
            ("anna vries",      Err(ErrorCode::FieldInvalid)),
            ("anna@home",       Err(ErrorCode::FieldInvalid)),
            ("änna",            Err(ErrorCode::FieldInvalid)),
            ("admin",           Err(ErrorCode::UsernameReserved)),
            ("Support",         Err(ErrorCode::UsernameReserved)),
            ("xwms",            Err(ErrorCode::UsernameReserved)),
            ("the-xwms-team",   Err(ErrorCode::UsernameReserved)),
            ("root",            Err(ErrorCode::UsernameReserved)),
            ("security",        Err(ErrorCode::UsernameReserved)),
            ("help",            Err(ErrorCode::UsernameReserved)),
            ("staff",           Err(ErrorCode::UsernameReserved)),
            ("moderator",       Err(ErrorCode::UsernameReserved)),
            ("system",          Err(ErrorCode::UsernameReserved)),
            ("admin_2",         Err(ErrorCode::UsernameReserved)),
            ("sup.port",        Err(ErrorCode::UsernameReserved)),
            ("administrators1", Ok(Some("administrators1"))),
            ("helpful",         Ok(Some("helpful"))),
        ];
        for (raw, want) in table {
            let got = username(raw).map_err(|e| e.code);
            let want = want.clone().map(|o| o.map(str::to_owned));
            assert_eq!(got, want, "{raw:?}");
        }
    }

    #[test]
    fn timezone_table() {
        #[rustfmt::skip]
        let table: &[(&str, Option<&str>)] = &[
            ("Europe/Amsterdam",    Some("Europe/Amsterdam")),
            ("europe/amsterdam",    Some("Europe/Amsterdam")),
            ("UTC",                 Some("UTC")),
            ("America/Argentina/Buenos_Aires", Some("America/Argentina/Buenos_Aires")),
            ("Asia/Kolkata",        Some("Asia/Kolkata")),
            ("Europe/Atlantis",     None),
            ("CEST",                None),
            ("+02:00",              None),
            ("",                    None),
            ("../../etc/passwd",    None),
        ];
        for (raw, want) in table {
            let got = timezone(raw);
            match want {
                Some(name) => assert_eq!(got.unwrap(), *name, "{raw:?}"),
                None => assert_eq!(got.unwrap_err().code, ErrorCode::TimezoneInvalid, "{raw:?}"),
            }
        }
    }

    #[test]
    fn region_table() {
        assert_eq!(REGIONS.len(), 249);
        let mut sorted = REGIONS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), REGIONS.len(), "no duplicates");
        #[rustfmt::skip]
        let table: &[(&str, Option<&str>)] = &[
            ("NL", Some("NL")), ("nl", Some("NL")), ("", Some("")), ("BE", Some("BE")), ("FR", Some("FR")),
            ("XX", None), ("NLD", None), ("N", None), ("EU", None), ("UK", None),
        ];
        for (raw, want) in table {
            assert_eq!(region(raw).ok().as_deref(), *want, "{raw:?}");
        }
    }

    #[test]
    fn language_table() {
        #[rustfmt::skip]
        let table = [("en", Some(Language::En)), ("nl", Some(Language::Nl)), ("fr", Some(Language::Fr)), ("de", None), ("EN", None), ("", None)];
        for (raw, want) in table {
            assert_eq!(language("language", raw).ok(), want, "{raw:?}");
        }
        #[rustfmt::skip]
        let headers = [
            ("nl-NL,nl;q=0.9,en-US;q=0.8", Some(Language::Nl)),
            ("de-DE,fr;q=0.5,en;q=0.7",    Some(Language::En)),
            ("fr-BE",                      Some(Language::Fr)),
            ("de,es",                      None),
            ("en;q=0,nl;q=0.1",            Some(Language::Nl)),
            ("",                           None),
        ];
        for (header, want) in headers {
            assert_eq!(Language::from_accept_language(header), want, "{header:?}");
        }
    }

    #[test]
    fn device_facts_are_bounded_and_clean() {
        let ok = DeviceInfo {
            name: " anna-laptop ".into(),
            os: "linux".into(),
            app: "XWMS-Desktop".into(),
            app_version: "0.1.0".into(),
            installation_id: "3f1c".into(),
        };
        assert_eq!(device(&ok).unwrap().name, "anna-laptop");
        let long = DeviceInfo {
            app: "x".repeat(101),
            ..ok.clone()
        };
        let err = device(&long).unwrap_err();
        assert_eq!(
            (err.code, err.data.unwrap().field.as_deref()),
            (ErrorCode::FieldTooLong, Some("device.app"))
        );
        let control = DeviceInfo {
            os: "linux\r\nX-Injected: 1".into(),
            ..ok
        };
        assert_eq!(device(&control).unwrap_err().code, ErrorCode::FieldInvalid);
    }

    #[test]
    fn free_text_keeps_line_breaks_only() {
        assert_eq!(
            free_text("details", "line 1\nline 2\tx", 100).unwrap(),
            "line 1\nline 2\tx"
        );
        assert_eq!(
            free_text("details", "a\u{1b}[31m", 100).unwrap_err().code,
            ErrorCode::FieldInvalid
        );
        assert_eq!(
            free_text("details", &"a".repeat(101), 100)
                .unwrap_err()
                .code,
            ErrorCode::FieldTooLong
        );
        assert_eq!(user_agent(b"curl/8\r\n\xff"), "curl/8\u{FFFD}");
        assert_eq!(user_agent(&[b'a'; 600]).len(), USER_AGENT_MAX_CHARS);
    }
}
