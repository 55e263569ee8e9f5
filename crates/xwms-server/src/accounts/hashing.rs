//! Password hashing: argon2id at OWASP's minimum cost or above (R7), on tokio's blocking pool,
//! with at most one hash per CPU core at a time so memory stays bounded under load
//! (`permits × memory_kib`: 2 × 19 MiB on a 2-core machine).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use tokio::sync::Semaphore;
use xwms_api::Secret;

use crate::random::{self, Random};

/// argon2id parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashCost {
    /// OWASP Password Storage Cheat Sheet's minimum for argon2id: m=19 MiB, t=2, p=1.
    pub const OWASP_MINIMUM: HashCost = HashCost {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
    /// What the server uses.
    pub const PRODUCTION: HashCost = HashCost::OWASP_MINIMUM;
    /// argon2's smallest parameters: for tests only, so suites that sign in hundreds of times stay
    /// fast. Never use it for a server anyone signs in to.
    pub const INSECURE_FAST_FOR_TESTS: HashCost = HashCost {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    fn argon2(&self) -> Result<Argon2<'static>, HashError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|err| HashError(format!("argon2 parameters: {err}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes and verifies passwords; cheap to share (`Arc`).
pub struct PasswordHasher {
    cost: HashCost,
    permits: Arc<Semaphore>,
    random: Arc<dyn Random>,
    runs: AtomicU64,
    in_flight: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    /// A well-formed hash of no one's password, verified when an email has no account so that
    /// the answer takes the same work (R9).
    dummy: String,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("cost", &self.cost)
            .field("permits", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher allowing one hash per CPU core at a time.
    pub fn new(cost: HashCost, random: Arc<dyn Random>) -> PasswordHasher {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PasswordHasher::with_permits(cost, random, cores)
    }

    pub fn with_permits(cost: HashCost, random: Arc<dyn Random>, permits: usize) -> PasswordHasher {
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
        let dummy = format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            cost.memory_kib,
            cost.iterations,
            cost.parallelism,
            b64.encode(random::bytes::<16>(random.as_ref())),
            b64.encode(random::bytes::<32>(random.as_ref())),
        );
        PasswordHasher {
            cost,
            permits: Arc::new(Semaphore::new(permits.max(1))),
            random,
            runs: AtomicU64::new(0),
            in_flight: Arc::default(),
            peak: Arc::default(),
            dummy,
        }
    }

    pub fn cost(&self) -> HashCost {
        self.cost
    }

    /// How many hashes and verifications ran so far (for tests that check equal work).
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::SeqCst)
    }

    /// The most hashes that ran at the same moment so far.
    pub fn peak_concurrency(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) with a fresh 128-bit salt.
    pub async fn hash(&self, password: &Secret) -> Result<String, HashError> {
        let salt = random::bytes::<16>(self.random.as_ref());
        let argon2 = self.cost.argon2()?;
        let password = password.clone();
        self.run(move || {
            argon2
                .hash_password_with_salt(password.expose().as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|err| HashError(err.to_string()))
        })
        .await
    }

    /// Whether `password` matches the stored `phc` hash (its own parameters are used).
    pub async fn verify(&self, password: &Secret, phc: &str) -> Result<bool, HashError> {
        let password = password.clone();
        let phc = phc.to_owned();
        self.run(move || {
            let hash = argon2::password_hash::phc::PasswordHash::new(&phc)
                .map_err(|err| HashError(format!("stored hash: {err}")))?;
            match Argon2::default().verify_password(password.expose().as_bytes(), &hash) {
                Ok(()) => Ok(true),
                Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
                Err(err) => Err(HashError(err.to_string())),
            }
        })
        .await
    }

    /// The same work as [`PasswordHasher::verify`] against an account, for an email without one.
    pub async fn verify_dummy(&self, password: &Secret) -> Result<(), HashError> {
        let dummy = self.dummy.clone();
        self.verify(password, &dummy).await.map(|_| ())
    }

    async fn run<R: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<R, HashError> + Send + 'static,
    ) -> Result<R, HashError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| HashError("the hasher is closed".into()))?;
        self.runs.fetch_add(1, Ordering::SeqCst);
        let (in_flight, peak) = (Arc::clone(&self.in_flight), Arc::clone(&self.peak));
        tokio::task::spawn_blocking(move || {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let result = work();
            in_flight.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            result
        })
        .await
        .map_err(|err| HashError(format!("hash task: {err}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;

    fn hasher(cost: HashCost) -> PasswordHasher {
        PasswordHasher::new(cost, Arc::new(SeededRandom::new(3)))
    }

    #[test]
    fn production_cost_is_at_least_owasp_minimum_and_the_test_cost_is_named_so() {
        let p = HashCost::PRODUCTION;
        assert!(p.memory_kib >= 19_456 && p.iterations >= 2 && p.parallelism >= 1);
        assert!(HashCost::INSECURE_FAST_FOR_TESTS.memory_kib < p.memory_kib);
    }

    #[tokio::test]
    async fn production_hash_is_argon2id_with_owasp_parameters_and_verifies() {
        let h = hasher(HashCost::PRODUCTION);
        let pw = Secret::new("Correct horse 9");
        let phc = h.hash(&pw).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(h.verify(&pw, &phc).await.unwrap());
        assert!(!h
            .verify(&Secret::new("Correct horse 8"), &phc)
            .await
            .unwrap());
        assert_eq!(h.runs(), 3);
    }

    #[tokio::test]
    async fn the_dummy_costs_the_same_as_a_real_hash_and_never_matches() {
        let h = hasher(HashCost::INSECURE_FAST_FOR_TESTS);
        assert!(
            h.dummy.starts_with("$argon2id$v=19$m=8,t=1,p=1$"),
            "{}",
            h.dummy
        );
        h.verify_dummy(&Secret::new("anything")).await.unwrap();
        assert_eq!(h.runs(), 1);
        assert!(!h.verify(&Secret::new(""), &h.dummy).await.unwrap());
    }

    #[tokio::test]
    async fn a_broken_stored_hash_is_an_error_not_a_match() {
        let h = hasher(HashCost::INSECURE_FAST_FOR_TESTS);
        assert!(h.verify(&Secret::new("x"), "not a hash").await.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_hashes_never_exceed_the_permits() {
        // Slow enough (a few ms each) that unbounded hashes would overlap.
        let cost = HashCost {
            memory_kib: 4096,
            iterations: 1,
            parallelism: 1,
        };
        let h = Arc::new(PasswordHasher::with_permits(
            cost,
            Arc::new(SeededRandom::new(4)),
            2,
        ));
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let h = Arc::clone(&h);
                tokio::spawn(
                    async move { h.hash(&Secret::new(format!("Pw{i}abcdef"))).await.unwrap() },
                )
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(h.permits.available_permits(), 2);
        assert_eq!(h.runs(), 16);
        assert!(
            (1..=2).contains(&h.peak_concurrency()),
            "{}",
            h.peak_concurrency()
        );
    }
}
