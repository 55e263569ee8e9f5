//! For tests only, in every crate of the workspace: the real xwms-server in-process on a
//! loopback port at a cheap password-hash cost ([`TEST_HASH_COST`]), with a mailbox tests can
//! read ([`MemoryMailer`]), and a real SMTP server to receive the mail a server sends over SMTP
//! ([`SmtpCatcher`]). None of this is in the server's library or binary: the server offers only
//! its public start-up API ([`Settings`], [`Services`], [`Server`]), which this crate drives.
//!
//! ```no_run
//! use std::time::Duration;
//! use xwms_testkit::{MailKind, TestServer};
//!
//! let server = TestServer::start(); // demo data, fast hashing, mail kept in memory
//! let url = server.url();          // e.g. http://127.0.0.1:41234
//! // ... sign up as new@example.com through the client under test ...
//! let code = server
//!     .mailbox()
//!     .wait_for("new@example.com", MailKind::VerifyEmail, 0, Duration::from_secs(10))
//!     .and_then(|mail| mail.code())
//!     .expect("a verification code");
//! ```
//!
//! The server runs on its own thread with its own tokio runtime, so it works from plain
//! `#[test]` functions as well as from async ones; dropping the [`TestServer`] stops it and
//! deletes its data folder.

mod mailbox;
mod smtp;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

pub use mailbox::MemoryMailer;
pub use smtp::{ReceivedMessage, SmtpCatcher};
pub use xwms_server::mail::{find_code, MailKind, OutgoingMail};
pub use xwms_server::random::SeededRandom;
pub use xwms_server::{
    Clock, FixedClock, HashCost, ManualClock, Server, Services, Settings, SystemClock, AGENT, ANNA,
};

use xwms_server::mail::{Mailer, SmtpMailer};

/// argon2's smallest parameters, so suites that sign in hundreds of times stay fast. Never use
/// it for a server anyone signs in to.
pub const TEST_HASH_COST: HashCost = HashCost {
    memory_kib: 8,
    iterations: 1,
    parallelism: 1,
};

/// How a [`TestServer`] is made.
#[derive(Clone)]
pub struct TestServerOptions {
    /// Seed the demo accounts ([`ANNA`], [`AGENT`]). Default: yes.
    pub demo: bool,
    /// Default: the system clock. Pass a [`ManualClock`] (and keep a clone) to move time.
    pub clock: Arc<dyn Clock>,
    /// Default: [`TEST_HASH_COST`].
    pub hash_cost: HashCost,
    /// Hashes at a time. Default: one per CPU core, as in production.
    pub hash_permits: Option<usize>,
    /// Send mail over SMTP to this URL (e.g. [`SmtpCatcher::url`]) instead of keeping it in
    /// [`TestServer::mailbox`].
    pub smtp_url: Option<String>,
    /// Default: mail goes to a new, empty mailbox. Pass a clone of one to share it between
    /// servers (a server restarted on the same data).
    pub mailbox: Option<MemoryMailer>,
    /// Default: `127.0.0.1:0`, a free port.
    pub listen: SocketAddr,
    /// Default: a fresh temp folder, deleted with the server. Pass a folder (and the `listen`
    /// address of a server that stopped) to start a server again on the same data.
    pub data_dir: Option<PathBuf>,
    pub name: String,
    pub timezone: String,
    pub locale: String,
}

impl Default for TestServerOptions {
    fn default() -> Self {
        TestServerOptions {
            demo: true,
            clock: Arc::new(SystemClock),
            hash_cost: TEST_HASH_COST,
            hash_permits: None,
            smtp_url: None,
            mailbox: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            name: "XWMS Test".into(),
            timezone: "Europe/Amsterdam".into(),
            locale: "en".into(),
        }
    }
}

/// The real xwms-server on `127.0.0.1:<free port>` with a fresh SQLite file in a temp folder.
pub struct TestServer {
    addr: SocketAddr,
    mailbox: MemoryMailer,
    data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Demo data, fast hashing, the system clock, mail in [`TestServer::mailbox`].
    pub fn start() -> TestServer {
        TestServer::start_with(TestServerOptions::default())
    }

    /// # Panics
    /// When the server cannot start (a test cannot go on without it).
    pub fn start_with(options: TestServerOptions) -> TestServer {
        let (data_dir, temp) = match options.data_dir {
            Some(dir) => (dir, None),
            None => {
                let temp = tempfile::tempdir().expect("a temp folder for the test server");
                (temp.path().join("server"), Some(temp))
            }
        };
        let settings = Settings {
            listen: options.listen,
            data_dir: data_dir.clone(),
            demo: options.demo,
            name: options.name,
            timezone: options.timezone,
            locale: options.locale,
        };
        let mailbox = options.mailbox.unwrap_or_default();
        let memory = mailbox.clone();
        let (clock, hash_cost, smtp_url) = (options.clock, options.hash_cost, options.smtp_url);
        let hash_permits = options.hash_permits;
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("xwms-test-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("a tokio runtime for the test server");
                runtime.block_on(async move {
                    // lettre's SMTP pool lives in the runtime: make it here.
                    let mailer: Arc<dyn Mailer> = match smtp_url {
                        Some(url) => {
                            let from =
                                xwms_server::mail::parse_mailbox(xwms_server::mail::DEFAULT_FROM)
                                    .expect("valid sender");
                            match SmtpMailer::new(&url, from) {
                                Ok(mailer) => Arc::new(mailer),
                                Err(err) => {
                                    let _ = addr_tx.send(Err(err.to_string()));
                                    return;
                                }
                            }
                        }
                        None => Arc::new(memory),
                    };
                    let mut services = Services::new(clock, mailer).with_hash_cost(hash_cost);
                    services.hash_permits = hash_permits;
                    let server = match Server::bind_with(&settings, services).await {
                        Ok(server) => server,
                        Err(err) => {
                            let _ = addr_tx.send(Err(err.to_string()));
                            return;
                        }
                    };
                    let _ = addr_tx.send(Ok(server.local_addr()));
                    let _ = server
                        .serve(async move {
                            let _ = stop_rx.await;
                        })
                        .await;
                });
            })
            .expect("a thread for the test server");
        let addr = match addr_rx.recv() {
            Ok(Ok(addr)) => addr,
            Ok(Err(err)) => panic!("the test server did not start: {err}"),
            Err(_) => panic!("the test server thread ended before it started"),
        };
        TestServer {
            addr,
            mailbox,
            data_dir,
            _temp: temp,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Mail the server sent (when not sending over SMTP).
    pub fn mailbox(&self) -> &MemoryMailer {
        &self.mailbox
    }

    /// The server's data folder (its `xwms.sqlite3`).
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone()
    }

    /// Waits (up to 10 s) for the next mail of `kind` to `address` after the first `since` mails
    /// and returns its code.
    pub fn wait_for_code(&self, address: &str, kind: MailKind, since: usize) -> Option<String> {
        self.mailbox
            .wait_for(address, kind, since, Duration::from_secs(10))
            .and_then(|mail| mail.code())
    }

    /// Imports `content` into the running server's help center (as `xwms-server help import`
    /// would); the server serves it from its next help request.
    ///
    /// # Panics
    /// When the content is invalid or the store fails.
    pub fn import_help(&self, content: &xwms_help::Content) -> xwms_server::help::ImportReport {
        xwms_server::help::import_content(&self.data_dir(), content).expect("help content imported")
    }

    /// [`TestServer::import_help`] without the content rules (every article in all three
    /// languages, …): for benchmarks with generated English-only articles.
    ///
    /// # Panics
    /// When the store fails.
    pub fn import_help_unchecked(
        &self,
        content: &xwms_help::Content,
    ) -> xwms_server::help::ImportReport {
        let store = xwms_server::store::Store::open_in(&self.data_dir()).expect("the store opens");
        let report = store
            .blocking(|conn| {
                let tx = conn.transaction()?;
                let report = xwms_server::help::import(&tx, content)?;
                tx.commit()?;
                Ok(report)
            })
            .expect("help content imported");
        store.close();
        report
    }

    /// Stops the server and waits for it to finish.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// The data folder of a [`TestServer`], for tests that inspect its database.
pub fn database_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join(xwms_server::store::DB_FILE)
}
