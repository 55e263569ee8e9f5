//! What every handler can reach, and what a server is built from.

use std::sync::Arc;

use crate::accounts::live_sessions::LiveSessions;
use crate::accounts::policy::{HashQueuePolicy, HASH_QUEUE};
use crate::accounts::two_factor::TotpSecondFactor;
use crate::accounts::{Accounts, HashCost, PasswordHasher, SecondFactor};
use crate::clock::Clock;
use crate::config::Settings;
use crate::help::HelpCenter;
use crate::mail::{Mailer, Outbox};
use crate::net::TrustedProxies;
use crate::random::{OsRandom, Random};
use crate::secrets::SecretKeys;
use crate::store::Store;

/// Shared state of the router; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub server: Arc<ServerInfo>,
    pub accounts: Arc<Accounts>,
    pub outbox: Arc<Outbox>,
    pub help: Arc<HelpCenter>,
    /// The realtime channel's connections.
    pub live: Arc<LiveSessions>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (none by default).
    pub proxies: Arc<TrustedProxies>,
}

/// How this server describes itself in `GET /api/info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    pub name: String,
    pub locale: String,
    pub timezone: String,
}

impl ServerInfo {
    pub fn from_settings(settings: &Settings) -> ServerInfo {
        ServerInfo {
            name: settings.name.clone(),
            locale: settings.locale.clone(),
            timezone: settings.timezone.clone(),
        }
    }
}

/// The injected parts of a server: time, randomness, the password hash cost, where mail goes,
/// and the second-factor step. Production uses [`Services::new`]; tests swap parts.
#[derive(Clone)]
pub struct Services {
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub hash_cost: HashCost,
    /// Hashes at a time; `None`: one per CPU core.
    pub hash_permits: Option<usize>,
    /// The bound on requests waiting for a hash.
    pub hash_queue: HashQueuePolicy,
    pub mailer: Arc<dyn Mailer>,
    pub second_factor: Arc<dyn SecondFactor>,
    /// The server key's file; `None`: `<data-dir>/secret.key` ([`crate::secrets`]).
    pub secret_key_file: Option<std::path::PathBuf>,
}

impl Services {
    /// Production parts: the OS's randomness, [`HashCost::PRODUCTION`], TOTP and recovery codes
    /// as the second factor.
    pub fn new(clock: Arc<dyn Clock>, mailer: Arc<dyn Mailer>) -> Services {
        Services {
            clock,
            random: Arc::new(OsRandom),
            hash_cost: HashCost::PRODUCTION,
            hash_permits: None,
            hash_queue: HASH_QUEUE,
            mailer,
            second_factor: Arc::new(TotpSecondFactor),
            secret_key_file: None,
        }
    }

    pub fn with_random(mut self, random: Arc<dyn Random>) -> Services {
        self.random = random;
        self
    }

    pub fn with_hash_cost(mut self, cost: HashCost) -> Services {
        self.hash_cost = cost;
        self
    }

    /// `permits` hashes at a time (default: one per CPU core), at most `queue` waiting.
    pub fn with_hash_queue(mut self, permits: Option<usize>, queue: HashQueuePolicy) -> Services {
        self.hash_permits = permits;
        self.hash_queue = queue;
        self
    }

    /// The server key from this file instead of `<data-dir>/secret.key`.
    pub fn with_secret_key_file(mut self, path: std::path::PathBuf) -> Services {
        self.secret_key_file = Some(path);
        self
    }

    pub fn with_second_factor(mut self, second_factor: Arc<dyn SecondFactor>) -> Services {
        self.second_factor = second_factor;
        self
    }
}

impl AppState {
    /// The state over an open store; `keys` are the server's secret keys, loaded and checked
    /// against the store ([`crate::secrets::load_and_prepare`]).
    pub fn new(
        store: Store,
        services: Services,
        server: ServerInfo,
        keys: Arc<SecretKeys>,
    ) -> AppState {
        let outbox = Arc::new(Outbox::new(
            store.clone(),
            Arc::clone(&services.clock),
            services.mailer,
        ));
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let hasher = PasswordHasher::with_queue(
            services.hash_cost,
            Arc::clone(&services.random),
            services.hash_permits.unwrap_or(cores),
            services.hash_queue,
        );
        let live = Arc::new(LiveSessions::new());
        let accounts = Arc::new(Accounts::new(
            store.clone(),
            Arc::clone(&services.clock),
            services.random,
            hasher,
            Arc::clone(&outbox),
            services.second_factor,
            Arc::clone(&live),
            keys,
        ));
        AppState {
            help: Arc::new(HelpCenter::new(store.clone())),
            store,
            clock: services.clock,
            server: Arc::new(server),
            accounts,
            outbox,
            live,
            proxies: Arc::new(TrustedProxies::default()),
        }
    }
}
