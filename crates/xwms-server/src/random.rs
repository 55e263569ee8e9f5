//! Randomness, injected (DESIGN.md rule 5): production draws from the operating system
//! ([`OsRandom`]); tests use [`SeededRandom`], so ids, tokens and codes are reproducible.
//!
//! Everything secret the server makes comes from here: session tokens (256 bits), emailed codes
//! (6 digits, uniform), user and session ids (128 bits), password salts and recovery references.

use std::sync::Mutex;

use base64::Engine;
use sha2::{Digest, Sha256};

/// A source of random bytes.
pub trait Random: Send + Sync + 'static {
    fn fill(&self, dest: &mut [u8]);
}

/// The operating system's CSPRNG (`getrandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, dest: &mut [u8]) {
        // Failing to read the OS random source leaves no safe way to go on.
        getrandom::fill(dest).expect("the operating system's random source is readable");
    }
}

/// Deterministic bytes from a seed (SHA-256 of seed and a counter): for tests only, never for
/// anything that must be unpredictable.
#[derive(Debug)]
pub struct SeededRandom {
    seed: u64,
    counter: Mutex<u64>,
}

impl SeededRandom {
    pub fn new(seed: u64) -> SeededRandom {
        SeededRandom {
            seed,
            counter: Mutex::new(0),
        }
    }
}

impl Random for SeededRandom {
    fn fill(&self, dest: &mut [u8]) {
        let mut counter = self.counter.lock().unwrap_or_else(|p| p.into_inner());
        for chunk in dest.chunks_mut(32) {
            let block = Sha256::new()
                .chain_update(self.seed.to_le_bytes())
                .chain_update(counter.to_le_bytes())
                .finalize();
            chunk.copy_from_slice(&block[..chunk.len()]);
            *counter += 1;
        }
    }
}

/// Random bytes of a fixed size.
pub fn bytes<const N: usize>(random: &dyn Random) -> [u8; N] {
    let mut out = [0u8; N];
    random.fill(&mut out);
    out
}

/// A 128-bit id as 32 lower-case hex digits (user `sub`, session id).
pub fn id(random: &dyn Random) -> String {
    hex::encode(bytes::<16>(random))
}

/// An opaque bearer token: `prefix` and 256 random bits in URL-safe base64. The prefix
/// (`xwms_at_`, `xwms_rt_`) tells a person or a secret scanner what leaked.
pub fn token(random: &dyn Random, prefix: &str) -> String {
    let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes::<32>(random));
    format!("{prefix}{body}")
}

/// A uniformly drawn 6-digit code, `000000`..=`999999`.
pub(crate) fn six_digit_code(random: &dyn Random) -> String {
    // 4_294_000_000 is the largest multiple of 1_000_000 below 2^32: drawing below it and
    // taking the remainder keeps every code equally likely.
    const LIMIT: u32 = 4_294_000_000;
    loop {
        let n = u32::from_le_bytes(bytes::<4>(random));
        if n < LIMIT {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// Characters of a reference a person reads out or types: no 0/O, 1/I/L.
pub(crate) const REFERENCE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// `REC-` and 6 characters of [`REFERENCE_ALPHABET`], e.g. `REC-7K2M9Q`.
pub fn reference(random: &dyn Random, prefix: &str) -> String {
    let n = REFERENCE_ALPHABET.len();
    // Largest multiple of n below 256, so every character is equally likely.
    let limit = (256 / n * n) as u8;
    let mut out = String::from(prefix);
    while out.len() < prefix.len() + 6 {
        let byte = bytes::<1>(random)[0];
        if byte < limit {
            out.push(REFERENCE_ALPHABET[usize::from(byte) % n] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn seeded_random_is_reproducible_and_differs_by_seed() {
        let a = SeededRandom::new(7);
        let b = SeededRandom::new(7);
        let c = SeededRandom::new(8);
        let (x, y, z) = (id(&a), id(&b), id(&c));
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert_ne!(id(&a), x, "each draw is new");
    }

    #[test]
    fn tokens_carry_256_bits_after_their_prefix() {
        let t = token(&OsRandom, "xwms_at_");
        let body = t.strip_prefix("xwms_at_").unwrap();
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .unwrap();
        assert_eq!(raw.len() * 8, 256);
        assert_ne!(t, token(&OsRandom, "xwms_at_"));
    }

    #[test]
    fn codes_are_six_digits_and_spread_over_the_range() {
        let random = SeededRandom::new(1);
        let mut first_digits = HashSet::new();
        for _ in 0..2000 {
            let code = six_digit_code(&random);
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
            first_digits.insert(code.as_bytes()[0]);
        }
        assert_eq!(first_digits.len(), 10, "leading zeros occur too");
    }

    #[test]
    fn references_use_only_unambiguous_characters() {
        let random = SeededRandom::new(2);
        for _ in 0..500 {
            let r = reference(&random, "REC-");
            assert_eq!(r.len(), 10, "{r}");
            assert!(
                r[4..].bytes().all(|b| REFERENCE_ALPHABET.contains(&b)),
                "{r}"
            );
            assert!(!r[4..].contains(['0', 'O', '1', 'I', 'L']), "{r}");
        }
    }
}
