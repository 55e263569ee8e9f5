//! Time-based one-time codes (RFC 6238) as authenticator apps make them: HMAC-SHA1, 6 digits,
//! 30-second steps ([`xwms_api::security::totp`]), computed by the `totp-rs` crate.
//!
//! [`verify`] accepts a code of the current step or of the [`TWO_FACTOR`]`.steps_back` steps
//! before it, never one of a later step, and never one of a step at or before the last accepted
//! one (RFC 6238 section 5.2: a code works once). Codes are compared in constant time (totp-rs
//! compares tokens with `constant_time_eq`), and every step of the window is computed whatever
//! matches, so the time taken does not tell which step matched.

use totp_rs::{Algorithm, Builder, Totp};
use xwms_api::security::totp::{DIGITS, ISSUER, PERIOD_SECONDS};

use super::policy::TWO_FACTOR;

/// The outcome of one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpVerdict {
    /// Right, for this time step (store it as the last accepted one).
    Accept { step: u64 },
    /// Right, but of a step at or before the last accepted one: `two_factor.code_used`.
    Used,
    /// `two_factor.code_incorrect`.
    Incorrect,
}

fn totp(secret: &[u8], digits: u32) -> Totp {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(u8::try_from(digits).unwrap_or(6))
        .with_secret(secret.to_vec())
        .with_skew(0)
        .with_step_duration(u64::from(PERIOD_SECONDS))
        .build_noncompliant()
}

/// The time step of `unix_seconds`.
pub fn step_of(unix_seconds: u64) -> u64 {
    unix_seconds / u64::from(PERIOD_SECONDS)
}

/// Checks a 6-digit `code` (spaces allowed) at `unix_seconds`.
pub fn verify(secret: &[u8], code: &str, unix_seconds: u64, last_step: Option<u64>) -> TotpVerdict {
    verify_digits(secret, DIGITS, code, unix_seconds, last_step)
}

/// [`verify`] for codes of `digits` digits (RFC 6238's test vectors have 8).
pub fn verify_digits(
    secret: &[u8],
    digits: u32,
    code: &str,
    unix_seconds: u64,
    last_step: Option<u64>,
) -> TotpVerdict {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let totp = totp(secret, digits);
    let current = step_of(unix_seconds);
    let mut matched = None;
    for step in current.saturating_sub(TWO_FACTOR.steps_back)..=current {
        if totp
            .check(&code, step * u64::from(PERIOD_SECONDS))
            .is_some()
        {
            matched = Some(step);
        }
    }
    match matched {
        None => TotpVerdict::Incorrect,
        Some(step) if last_step.is_some_and(|last| step <= last) => TotpVerdict::Used,
        Some(step) => TotpVerdict::Accept { step },
    }
}

/// The code of `unix_seconds` (what an authenticator app shows; for tests and benchmarks).
pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    totp(secret, DIGITS).generate(unix_seconds).to_string()
}

/// `secret` in base32 without padding, as authenticator apps take it.
pub fn base32(secret: &[u8]) -> String {
    totp_rs::Secret::from(secret.to_vec())
        .to_base32()
        .trim_end_matches('=')
        .to_owned()
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The `otpauth://` URI an authenticator app reads from a QR code.
pub fn otpauth_uri(secret: &[u8], account_name: &str) -> String {
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm={algorithm}&digits={DIGITS}&period={PERIOD_SECONDS}",
        issuer = encode(ISSUER),
        account = encode(account_name),
        secret = base32(secret),
        algorithm = xwms_api::security::totp::ALGORITHM,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA1 rows (secret "12345678901234567890", 8 digits).
    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        let secret = b"12345678901234567890";
        #[rustfmt::skip]
        let table: [(u64, &str); 6] = [
            (59,          "94287082"),
            (1111111109,  "07081804"),
            (1111111111,  "14050471"),
            (1234567890,  "89005924"),
            (2000000000,  "69279037"),
            (20000000000, "65353130"),
        ];
        for (time, code) in table {
            assert_eq!(
                verify_digits(secret, 8, code, time, None),
                TotpVerdict::Accept { step: time / 30 },
                "T = {time}"
            );
            let mut wrong = code.as_bytes().to_vec();
            wrong[7] = if wrong[7] == b'0' { b'1' } else { b'0' };
            assert_eq!(
                verify_digits(secret, 8, std::str::from_utf8(&wrong).unwrap(), time, None),
                TotpVerdict::Incorrect,
                "T = {time}"
            );
        }
    }

    #[test]
    fn step_window_and_replay_table() {
        let secret = [7u8; 20];
        let t0: u64 = 1_778_051_289; // 2026-05-06T07:08:09Z
        let step = step_of(t0);
        let code_of = |s: u64| code_at(&secret, s * 30);
        #[rustfmt::skip]
        let table: &[(&str, u64, u64, Option<u64>, TotpVerdict)] = &[
            // name,                          code of step, at,        last accepted, verdict
            ("current step",                  step,      t0,           None,             TotpVerdict::Accept { step }),
            ("current step, last step of it", step,      t0 + 29 - t0 % 30, None,        TotpVerdict::Accept { step }),
            ("previous step",                 step - 1,  t0,           None,             TotpVerdict::Accept { step: step - 1 }),
            ("two steps back",                step - 2,  t0,           None,             TotpVerdict::Incorrect),
            ("next step (clock ahead)",       step + 1,  t0,           None,             TotpVerdict::Incorrect),
            ("replay of the accepted step",   step,      t0,           Some(step),       TotpVerdict::Used),
            ("previous after current",        step - 1,  t0,           Some(step),       TotpVerdict::Used),
            ("previous after previous",       step - 1,  t0,           Some(step - 1),   TotpVerdict::Used),
            ("current after previous",        step,      t0,           Some(step - 1),   TotpVerdict::Accept { step }),
            ("30 s later, the old code",      step,      t0 + 30,      Some(step),       TotpVerdict::Used),
            ("30 s later, the new code",      step + 1,  t0 + 30,      Some(step),       TotpVerdict::Accept { step: step + 1 }),
            ("60 s later, the old code",      step,      t0 + 60,      None,             TotpVerdict::Incorrect),
        ];
        for (name, code_step, at, last, want) in table {
            assert_eq!(
                verify(&secret, &code_of(*code_step), *at, *last),
                *want,
                "{name}"
            );
        }
        let code = code_of(step);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(
            verify(&secret, &spaced, t0, None),
            TotpVerdict::Accept { step },
            "spaces are allowed"
        );
        for junk in ["", "12345", "1234567", "abcdef", "+12345"] {
            assert_eq!(
                verify(&secret, junk, t0, None),
                TotpVerdict::Incorrect,
                "{junk}"
            );
        }
    }

    #[test]
    fn the_otpauth_uri_carries_the_parameters() {
        let secret = [0u8; 20];
        assert_eq!(base32(&secret).len(), 32);
        assert_eq!(
            otpauth_uri(&secret, "anna+x@example.com"),
            "otpauth://totp/XWMS:anna%2Bx%40example.com?secret=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&issuer=XWMS&algorithm=SHA1&digits=6&period=30"
        );
    }
}
