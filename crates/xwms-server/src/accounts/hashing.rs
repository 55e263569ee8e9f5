//! Password hashing: argon2id at OWASP's minimum cost or above (R7), on tokio's blocking pool.
//!
//! # Bounded work and memory (R24)
//!
//! - At most one hash per CPU core runs at a time (a *permit*), and each permit owns one
//!   argon2 memory buffer that is allocated once and reused for every hash it runs, so the
//!   memory for hashing stays at `permits × memory_kib` (2 × 19 MiB on a 2-core machine) however
//!   many requests come and go (freed buffers are not handed back to the allocator each time).
//! - Requests that find every permit busy wait in one of two *lanes*: checking a password
//!   (sign-in, re-authentication) or making a new hash (sign-up, password reset and change).
//!   Each lane holds at most [`HashQueuePolicy::waiters_per_permit`] × permits waiters; a
//!   request that finds its lane full is answered at once with `server.busy` (HTTP 503 with
//!   `Retry-After`), and so is a waiter that waited [`HashQueuePolicy::max_wait`]. Nobody waits
//!   without end.
//! - New hashes take at most `permits - 1` permits at a time (when there are two or more), so
//!   one core always serves password checks: a flood of sign-ups or resets never makes a
//!   sign-in wait behind the new-hash lane.
//!
//! The permits are taken first come, first served (tokio's semaphore is fair).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use xwms_api::Secret;

use super::policy::{HashQueuePolicy, HASH_QUEUE};
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
    /// argon2's smallest parameters, for this crate's unit tests (other crates' tests use
    /// `xwms_testkit::TEST_HASH_COST`).
    #[cfg(test)]
    pub(crate) const INSECURE_FAST_FOR_TESTS: HashCost = HashCost {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    fn params(&self) -> Result<Params, HashError> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|err| HashError::Failed(format!("argon2 parameters: {err}")))
    }
}

/// Why a hash did not happen.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Too many requests wait for a permit already, or this one waited too long: `server.busy`.
    #[error("the password hasher is busy")]
    Busy { retry_after_seconds: u32 },
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// Which queue a request waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Checking a password: sign-in and re-authentication.
    Check,
    /// A new hash: sign-up, password reset and change.
    NewHash,
}

#[derive(Debug, Default)]
struct LaneState {
    waiting: AtomicUsize,
    peak_waiting: AtomicUsize,
    busy: AtomicU64,
}

/// What a running hash holds.
struct Permit {
    _gate: Option<OwnedSemaphorePermit>,
    _permit: OwnedSemaphorePermit,
}

/// argon2 memory, one buffer per permit, reused.
#[derive(Debug, Default)]
struct MemoryPool {
    free: Mutex<Vec<Vec<Block>>>,
    allocated: AtomicUsize,
}

impl MemoryPool {
    fn take(&self, blocks: usize) -> Vec<Block> {
        let buffer = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match buffer {
            Some(mut buffer) => {
                if buffer.len() < blocks {
                    // A stored hash with more memory than the current cost: grow once.
                    buffer.resize(blocks, Block::default());
                }
                buffer
            }
            None => {
                self.allocated.fetch_add(1, Ordering::SeqCst);
                vec![Block::default(); blocks]
            }
        }
    }

    fn give_back(&self, buffer: Vec<Block>) {
        self.free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(buffer);
    }
}

/// Hashes and verifies passwords; cheap to share (`Arc`).
pub struct PasswordHasher {
    cost: HashCost,
    permit_count: usize,
    permits: Arc<Semaphore>,
    /// New hashes hold one of these as well: `permits - 1` of them (at least 1).
    new_hash_permits: Arc<Semaphore>,
    queue: HashQueuePolicy,
    lanes: [LaneState; 2],
    memory: Arc<MemoryPool>,
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

/// Computes the raw argon2 output of `password` into `out` with `memory` as the work area.
fn raw_hash(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut [Block],
) -> Result<(), HashError> {
    let blocks = params.block_count();
    let work = memory
        .get_mut(..blocks)
        .ok_or_else(|| HashError::Failed("argon2 memory too small".into()))?;
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, out, work)
        .map_err(|err| HashError::Failed(err.to_string()))
}

/// A PHC string of `password` under `params` with `salt`, computed in `memory`; the same string
/// as argon2's own `hash_password_with_salt`.
fn hash_with_memory(
    params: &Params,
    password: &[u8],
    salt: &[u8],
    memory: &mut [Block],
) -> Result<String, HashError> {
    let failed = |err: argon2::password_hash::phc::Error| HashError::Failed(err.to_string());
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    raw_hash(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        password,
        salt,
        &mut out,
        memory,
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| HashError::Failed(e.to_string()))?,
        salt: Some(Salt::new(salt).map_err(failed)?),
        hash: Some(Output::new(&out).map_err(failed)?),
    };
    Ok(phc.to_string())
}

/// The parameters a stored PHC string was made with, checked before any memory is used.
fn stored_params(phc: &str) -> Result<(PasswordHash, Algorithm, Version, Params), HashError> {
    let stored = |err: String| HashError::Failed(format!("stored hash: {err}"));
    let hash = PasswordHash::new(phc).map_err(|e| stored(e.to_string()))?;
    let algorithm = Algorithm::new(hash.algorithm).map_err(|e| stored(e.to_string()))?;
    let version = hash
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|e| stored(e.to_string()))?
        .unwrap_or_default();
    let params = Params::try_from(&hash).map_err(|e| stored(e.to_string()))?;
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err(stored("no salt or no hash".into()));
    }
    Ok((hash, algorithm, version, params))
}

/// Whether `password` matches the stored hash, computed in `memory` (compared in constant time).
fn verify_with_memory(
    stored: &(PasswordHash, Algorithm, Version, Params),
    password: &[u8],
    memory: &mut [Block],
) -> Result<bool, HashError> {
    let (hash, algorithm, version, params) = stored;
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return Err(HashError::Failed("stored hash: no salt or no hash".into()));
    };
    let mut out = vec![0u8; expected.len()];
    raw_hash(
        *algorithm,
        *version,
        params.clone(),
        password,
        salt,
        &mut out,
        memory,
    )?;
    let computed = Output::new(&out).map_err(|e| HashError::Failed(e.to_string()))?;
    Ok(computed == *expected)
}

impl PasswordHasher {
    /// A hasher allowing one hash per CPU core at a time.
    pub fn new(cost: HashCost, random: Arc<dyn Random>) -> PasswordHasher {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PasswordHasher::with_permits(cost, random, cores)
    }

    pub fn with_permits(cost: HashCost, random: Arc<dyn Random>, permits: usize) -> PasswordHasher {
        PasswordHasher::with_queue(cost, random, permits, HASH_QUEUE)
    }

    /// `permits` hashes at a time, waiters bounded by `queue`.
    pub fn with_queue(
        cost: HashCost,
        random: Arc<dyn Random>,
        permits: usize,
        queue: HashQueuePolicy,
    ) -> PasswordHasher {
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
        let dummy = format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            cost.memory_kib,
            cost.iterations,
            cost.parallelism,
            b64.encode(random::bytes::<16>(random.as_ref())),
            b64.encode(random::bytes::<32>(random.as_ref())),
        );
        let permits = permits.max(1);
        PasswordHasher {
            cost,
            permit_count: permits,
            permits: Arc::new(Semaphore::new(permits)),
            new_hash_permits: Arc::new(Semaphore::new((permits - 1).max(1))),
            queue,
            lanes: Default::default(),
            memory: Arc::default(),
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

    /// How many hashes may run at once.
    pub fn permits(&self) -> usize {
        self.permit_count
    }

    /// How many requests may wait in each lane.
    pub fn max_waiting(&self) -> usize {
        self.queue.waiters_per_permit * self.permit_count
    }

    /// How many hashes and verifications ran so far (for tests that check equal work).
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::SeqCst)
    }

    /// The most hashes that ran at the same moment so far.
    pub fn peak_concurrency(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// The most requests that waited in `lane` at the same moment so far.
    pub fn peak_waiting(&self, lane: Lane) -> usize {
        self.lane(lane).peak_waiting.load(Ordering::SeqCst)
    }

    /// How many requests in `lane` were answered `server.busy` so far.
    pub fn busy_answers(&self, lane: Lane) -> u64 {
        self.lane(lane).busy.load(Ordering::SeqCst)
    }

    /// How many argon2 memory buffers were ever allocated (at most one per permit).
    pub fn buffers_allocated(&self) -> usize {
        self.memory.allocated.load(Ordering::SeqCst)
    }

    /// Takes every permit until the returned value is dropped, as if that many hashes were
    /// running: for tests of the `server.busy` answer.
    pub async fn occupy_all_permits(&self) -> OwnedSemaphorePermit {
        let count = u32::try_from(self.permit_count).unwrap_or(u32::MAX);
        Arc::clone(&self.permits)
            .acquire_many_owned(count)
            .await
            .expect("the hasher's semaphore is never closed")
    }

    fn lane(&self, lane: Lane) -> &LaneState {
        &self.lanes[match lane {
            Lane::Check => 0,
            Lane::NewHash => 1,
        }]
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) with a fresh 128-bit salt.
    pub async fn hash(&self, password: &Secret) -> Result<String, HashError> {
        let salt = random::bytes::<16>(self.random.as_ref());
        let params = self.cost.params()?;
        let password = password.clone();
        self.run(Lane::NewHash, params.block_count(), move |memory| {
            hash_with_memory(&params, password.expose().as_bytes(), &salt, memory)
        })
        .await
    }

    /// Whether `password` matches the stored `phc` hash (its own parameters are used).
    pub async fn verify(&self, password: &Secret, phc: &str) -> Result<bool, HashError> {
        let stored = stored_params(phc)?;
        let blocks = stored.3.block_count();
        let password = password.clone();
        self.run(Lane::Check, blocks, move |memory| {
            verify_with_memory(&stored, password.expose().as_bytes(), memory)
        })
        .await
    }

    /// The same work as [`PasswordHasher::verify`] against an account, for an email without one.
    pub async fn verify_dummy(&self, password: &Secret) -> Result<(), HashError> {
        let dummy = self.dummy.clone();
        self.verify(password, &dummy).await.map(|_| ())
    }

    /// A permit at once, or after waiting in `lane` if the lane has room; `Busy` otherwise.
    async fn permit(&self, lane: Lane) -> Result<Permit, HashError> {
        let gate = match lane {
            Lane::Check => None,
            Lane::NewHash => Some(&self.new_hash_permits),
        };
        let gate_now = match gate {
            None => Ok(None),
            Some(gate) => Arc::clone(gate).try_acquire_owned().map(Some),
        };
        if let Ok(gate_now) = gate_now {
            if let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() {
                return Ok(Permit {
                    _gate: gate_now,
                    _permit: permit,
                });
            }
        }
        let state = self.lane(lane);
        let busy = || {
            state.busy.fetch_add(1, Ordering::SeqCst);
            HashError::Busy {
                retry_after_seconds: self.queue.retry_after_seconds,
            }
        };
        let waiting = state.waiting.fetch_add(1, Ordering::SeqCst) + 1;
        if waiting > self.max_waiting() {
            state.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(busy());
        }
        state.peak_waiting.fetch_max(waiting, Ordering::SeqCst);
        // Counted out again however the wait ends (also when the request is dropped).
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let guard = Waiting(&state.waiting);
        let both = async {
            let gate = match gate {
                None => None,
                Some(gate) => Some(Arc::clone(gate).acquire_owned().await?),
            };
            let permit = Arc::clone(&self.permits).acquire_owned().await?;
            Ok::<_, tokio::sync::AcquireError>(Permit {
                _gate: gate,
                _permit: permit,
            })
        };
        let acquired = tokio::time::timeout(self.queue.max_wait, both).await;
        drop(guard);
        match acquired {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(HashError::Failed("the hasher is closed".into())),
            Err(_) => Err(busy()),
        }
    }

    async fn run<R: Send + 'static>(
        &self,
        lane: Lane,
        blocks: usize,
        work: impl FnOnce(&mut [Block]) -> Result<R, HashError> + Send + 'static,
    ) -> Result<R, HashError> {
        let permit = self.permit(lane).await?;
        self.runs.fetch_add(1, Ordering::SeqCst);
        let (in_flight, peak, memory) = (
            Arc::clone(&self.in_flight),
            Arc::clone(&self.peak),
            Arc::clone(&self.memory),
        );
        tokio::task::spawn_blocking(move || {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let mut buffer = memory.take(blocks);
            let result = work(&mut buffer);
            memory.give_back(buffer);
            in_flight.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            result
        })
        .await
        .map_err(|err| HashError::Failed(format!("hash task: {err}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;
    use argon2::password_hash::PasswordHasher as _;
    use std::time::Duration;

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

    #[test]
    fn the_reused_buffer_gives_the_same_phc_string_as_argon2_itself() {
        // The string argon2's own hasher made before the buffers were reused, for the same
        // password and salt, at the production cost and at the test cost.
        for cost in [HashCost::PRODUCTION, HashCost::INSECURE_FAST_FOR_TESTS] {
            let params = cost.params().unwrap();
            let salt = [7u8; 16];
            let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
                .hash_password_with_salt(b"Correct horse 9", &salt)
                .unwrap()
                .to_string();
            // A dirty buffer, larger than needed, as a reused one is.
            let mut memory = vec![Block::default(); params.block_count() + 64];
            for block in &mut memory {
                block.as_mut()[0] = 0xdead_beef;
            }
            let ours = hash_with_memory(&params, b"Correct horse 9", &salt, &mut memory).unwrap();
            assert_eq!(ours, theirs);
            let again = hash_with_memory(&params, b"Correct horse 9", &salt, &mut memory).unwrap();
            assert_eq!(again, theirs, "a used buffer gives the same hash");
        }
    }

    #[tokio::test]
    async fn hashes_made_by_argon2_itself_still_verify() {
        let h = hasher(HashCost::INSECURE_FAST_FOR_TESTS);
        for cost in [HashCost::PRODUCTION, HashCost::INSECURE_FAST_FOR_TESTS] {
            let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, cost.params().unwrap())
                .hash_password_with_salt(b"Old password 1", &[9u8; 16])
                .unwrap()
                .to_string();
            assert!(h
                .verify(&Secret::new("Old password 1"), &old)
                .await
                .unwrap());
            assert!(!h
                .verify(&Secret::new("Old password 2"), &old)
                .await
                .unwrap());
        }
        // A stored argon2i hash (another algorithm) is checked with its own algorithm.
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            HashCost::INSECURE_FAST_FOR_TESTS.params().unwrap(),
        )
        .hash_password_with_salt(b"Old password 1", &[9u8; 16])
        .unwrap()
        .to_string();
        assert!(h
            .verify(&Secret::new("Old password 1"), &argon2i)
            .await
            .unwrap());
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
        assert!(h
            .verify(&Secret::new("x"), "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ")
            .await
            .is_err());
        assert_eq!(h.runs(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_hashes_never_exceed_the_permits_and_reuse_one_buffer_each() {
        // Slow enough (a few ms each) that unbounded hashes would overlap.
        let cost = HashCost {
            memory_kib: 4096,
            iterations: 1,
            parallelism: 1,
        };
        let h = Arc::new(PasswordHasher::with_queue(
            cost,
            Arc::new(SeededRandom::new(4)),
            2,
            HashQueuePolicy {
                waiters_per_permit: 8,
                ..HASH_QUEUE
            },
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
        assert!(
            (1..=2).contains(&h.buffers_allocated()),
            "{} buffers for 16 hashes on 2 permits",
            h.buffers_allocated()
        );
        assert!(h.peak_waiting(Lane::NewHash) <= 16);
        assert_eq!(h.busy_answers(Lane::NewHash), 0);
    }

    async fn until(mut done: impl FnMut() -> bool) {
        while !done() {
            tokio::task::yield_now().await;
        }
    }

    /// The queue, on tokio's paused clock: a full lane answers at once, a waiter gives up after
    /// the maximum wait, and the other lane still has room.
    #[tokio::test(start_paused = true)]
    async fn a_full_lane_is_busy_at_once_and_a_waiter_gives_up_after_the_maximum_wait() {
        let queue = HashQueuePolicy {
            waiters_per_permit: 2,
            max_wait: Duration::from_secs(5),
            retry_after_seconds: 2,
        };
        let h = Arc::new(PasswordHasher::with_queue(
            HashCost::INSECURE_FAST_FOR_TESTS,
            Arc::new(SeededRandom::new(5)),
            1,
            queue,
        ));
        // Every permit busy.
        let held = Arc::clone(&h.permits).acquire_owned().await.unwrap();
        let pw = Secret::new("Correct horse 9");
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (h, pw) = (Arc::clone(&h), pw.clone());
                tokio::spawn(async move { h.hash(&pw).await })
            })
            .collect();
        until(|| h.lane(Lane::NewHash).waiting.load(Ordering::SeqCst) == 2).await;
        // The lane is full: answered at once.
        let start = tokio::time::Instant::now();
        match h.hash(&pw).await {
            Err(HashError::Busy {
                retry_after_seconds,
            }) => assert_eq!(retry_after_seconds, 2),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            tokio::time::Instant::now(),
            start,
            "no wait for a full lane"
        );
        // The other lane still queues.
        let checker = {
            let h = Arc::clone(&h);
            let phc = h.dummy.clone();
            tokio::spawn(async move { h.verify(&Secret::new("x"), &phc).await })
        };
        until(|| h.lane(Lane::Check).waiting.load(Ordering::SeqCst) == 1).await;
        // Nobody frees the permit: every waiter gives up after 5 s.
        for waiter in waiters {
            assert!(matches!(waiter.await.unwrap(), Err(HashError::Busy { .. })));
        }
        assert!(matches!(
            checker.await.unwrap(),
            Err(HashError::Busy { .. })
        ));
        assert_eq!(tokio::time::Instant::now() - start, Duration::from_secs(5));
        assert_eq!(h.busy_answers(Lane::NewHash), 3);
        assert_eq!(h.busy_answers(Lane::Check), 1);
        assert_eq!(h.peak_waiting(Lane::NewHash), 2);
        assert_eq!(h.runs(), 0);
        // Once the permit is free, hashing works again and the queue is empty.
        drop(held);
        assert!(h.hash(&pw).await.is_ok());
        assert_eq!(h.lane(Lane::NewHash).waiting.load(Ordering::SeqCst), 0);
    }

    /// With 2 permits, new hashes use at most one: a password check finds a free core while a
    /// new hash runs and another waits.
    #[tokio::test(start_paused = true)]
    async fn one_core_stays_free_for_password_checks_during_a_flood_of_new_hashes() {
        let h = Arc::new(PasswordHasher::with_permits(
            HashCost::INSECURE_FAST_FOR_TESTS,
            Arc::new(SeededRandom::new(7)),
            2,
        ));
        // A new hash is running: it holds the new-hash gate and one permit.
        let gate = Arc::clone(&h.new_hash_permits)
            .acquire_owned()
            .await
            .unwrap();
        let running = Arc::clone(&h.permits).acquire_owned().await.unwrap();
        let waiter = {
            let h = Arc::clone(&h);
            tokio::spawn(async move { h.hash(&Secret::new("Correct horse 9")).await })
        };
        until(|| h.lane(Lane::NewHash).waiting.load(Ordering::SeqCst) == 1).await;
        assert_eq!(
            h.permits.available_permits(),
            1,
            "the waiting new hash took no core"
        );
        // A password check runs at once on the free core.
        let start = tokio::time::Instant::now();
        h.verify_dummy(&Secret::new("x")).await.unwrap();
        assert_eq!(tokio::time::Instant::now(), start);
        assert_eq!(h.peak_waiting(Lane::Check), 0);
        assert_eq!(h.runs(), 1);
        drop((gate, running));
        assert!(waiter.await.unwrap().is_ok());
        assert_eq!(h.runs(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_gets_the_permit_when_it_frees_up_in_time() {
        let h = Arc::new(PasswordHasher::with_permits(
            HashCost::INSECURE_FAST_FOR_TESTS,
            Arc::new(SeededRandom::new(6)),
            1,
        ));
        let held = Arc::clone(&h.permits).acquire_owned().await.unwrap();
        let waiter = {
            let h = Arc::clone(&h);
            tokio::spawn(async move { h.hash(&Secret::new("Correct horse 9")).await })
        };
        until(|| h.lane(Lane::NewHash).waiting.load(Ordering::SeqCst) == 1).await;
        tokio::time::advance(HASH_QUEUE.max_wait - Duration::from_millis(10)).await;
        drop(held);
        assert!(waiter.await.unwrap().is_ok());
        assert_eq!(h.busy_answers(Lane::NewHash), 0);
    }
}
