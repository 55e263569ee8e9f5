//! For tests, in this crate and in others (xwms-core, xwms-cli, the app): the real server
//! in-process on a loopback port with a mailbox tests can read, and a real SMTP server to receive
//! the mail a server sends over SMTP.
//!
//! ```no_run
//! use std::time::Duration;
//! use xwms_server::testing::{MailKind, TestServer};
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

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine;

pub use crate::accounts::HashCost;
pub use crate::clock::{Clock, FixedClock, ManualClock, SystemClock};
pub use crate::demo::{AGENT, ANNA};
pub use crate::mail::{find_code, MailKind, MemoryMailer, OutgoingMail};
pub use crate::random::SeededRandom;

use crate::config::Settings;
use crate::mail::{Mailer, SmtpMailer};
use crate::server::Server;
use crate::state::Services;

/// How a [`TestServer`] is made.
#[derive(Clone)]
pub struct TestServerOptions {
    /// Seed the demo accounts ([`ANNA`], [`AGENT`]). Default: yes.
    pub demo: bool,
    /// Default: the system clock. Pass a [`ManualClock`] (and keep a clone) to move time.
    pub clock: Arc<dyn Clock>,
    /// Default: [`HashCost::INSECURE_FAST_FOR_TESTS`].
    pub hash_cost: HashCost,
    /// Hashes at a time. Default: one per CPU core, as in production.
    pub hash_permits: Option<usize>,
    /// Send mail over SMTP to this URL (e.g. [`SmtpCatcher::url`]) instead of keeping it in
    /// [`TestServer::mailbox`].
    pub smtp_url: Option<String>,
    pub name: String,
    pub timezone: String,
    pub locale: String,
}

impl Default for TestServerOptions {
    fn default() -> Self {
        TestServerOptions {
            demo: true,
            clock: Arc::new(SystemClock),
            hash_cost: HashCost::INSECURE_FAST_FOR_TESTS,
            hash_permits: None,
            smtp_url: None,
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
    data: tempfile::TempDir,
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
        let data = tempfile::tempdir().expect("a temp folder for the test server");
        let settings = Settings {
            listen: "127.0.0.1:0".parse().expect("a loopback address"),
            data_dir: data.path().join("server"),
            demo: options.demo,
            name: options.name,
            timezone: options.timezone,
            locale: options.locale,
        };
        let mailbox = MemoryMailer::new();
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
                            let from = crate::mail::parse_mailbox(crate::mail::DEFAULT_FROM)
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
                    let services = Services::new(clock, mailer)
                        .with_hash_cost(hash_cost)
                        .with_hash_queue(hash_permits, crate::accounts::policy::HASH_QUEUE);
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
            data,
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
    pub fn data_dir(&self) -> std::path::PathBuf {
        self.data.path().join("server")
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
    pub fn import_help(&self, content: &xwms_help::Content) -> crate::help::ImportReport {
        crate::help::import_content(&self.data_dir(), content).expect("help content imported")
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

/// A message an [`SmtpCatcher`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message as sent (headers and MIME body), line ends `\r\n`, dots unstuffed.
    pub data: String,
}

impl ReceivedMessage {
    /// A top-level header's value (first occurrence, unfolded), by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push(' ');
                    v.push_str(line.trim());
                    continue;
                }
                break;
            }
            if let Some((key, v)) = line.split_once(':') {
                if key.eq_ignore_ascii_case(name) {
                    value = Some(v.trim().to_owned());
                }
            }
        }
        value
    }

    /// The decoded body of the first part of `content_type` (e.g. `text/plain`).
    pub fn part(&self, content_type: &str) -> Option<String> {
        let lower = self.data.to_ascii_lowercase();
        let start = lower.find(&format!("content-type: {content_type}"))?;
        let head_end = start + lower[start..].find("\r\n\r\n")?;
        let head = &lower[start..head_end];
        let body_start = head_end + 4;
        let body_end = body_start
            + self.data[body_start..]
                .find("\r\n--")
                .unwrap_or(self.data.len() - body_start);
        let body = &self.data[body_start..body_end];
        if head.contains("content-transfer-encoding: quoted-printable") {
            let bytes = quoted_printable::decode(body, quoted_printable::ParseMode::Robust).ok()?;
            String::from_utf8(bytes).ok()
        } else if head.contains("content-transfer-encoding: base64") {
            let compact: String = body.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .ok()?;
            String::from_utf8(bytes).ok()
        } else {
            Some(body.to_owned())
        }
    }

    /// The plain-text body.
    pub fn text(&self) -> Option<String> {
        self.part("text/plain")
    }

    /// The 6-digit code in the plain-text body.
    pub fn code(&self) -> Option<String> {
        find_code(&self.text()?.replace("\r\n", "\n"))
    }
}

#[derive(Default)]
struct Inbox {
    messages: Mutex<Vec<ReceivedMessage>>,
    arrived: Condvar,
}

/// A small but real SMTP server (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) on
/// `127.0.0.1:<free port>`, keeping what it receives. For tests that check the real SMTP path
/// (lettre, MIME, quoted-printable) end to end.
pub struct SmtpCatcher {
    addr: SocketAddr,
    inbox: Arc<Inbox>,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SmtpCatcher {
    pub fn start() -> std::io::Result<SmtpCatcher> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let inbox = Arc::new(Inbox::default());
        let stopping = Arc::new(AtomicBool::new(false));
        let (inbox2, stopping2) = (Arc::clone(&inbox), Arc::clone(&stopping));
        let thread = std::thread::Builder::new()
            .name("smtp-catcher".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stopping2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let inbox = Arc::clone(&inbox2);
                    std::thread::spawn(move || {
                        let _ = smtp_session(stream, &inbox);
                    });
                }
            })?;
        Ok(SmtpCatcher {
            addr,
            inbox,
            stopping,
            thread: Some(thread),
        })
    }

    /// `smtp://127.0.0.1:<port>` (plain SMTP), for `--smtp-url`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.inbox
            .messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits for a message to `address` (case-insensitive) among those after the first `since`.
    pub fn wait_for(
        &self,
        address: &str,
        since: usize,
        timeout: Duration,
    ) -> Option<ReceivedMessage> {
        let deadline = Instant::now() + timeout;
        let mut messages = self
            .inbox
            .messages
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(m) = messages
                .iter()
                .skip(since)
                .find(|m| m.rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(address)))
            {
                return Some(m.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            messages = self
                .inbox
                .arrived
                .wait_timeout(messages, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

impl Drop for SmtpCatcher {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn path_of(argument: &str) -> String {
    let start = argument.find('<').map_or(0, |i| i + 1);
    let end = argument[start..]
        .find('>')
        .map_or(argument.len(), |i| start + i);
    argument[start..end].to_owned()
}

fn smtp_session(stream: TcpStream, inbox: &Inbox) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut reply = |text: &str| writer.write_all(format!("{text}\r\n").as_bytes());
    reply("220 xwms-test-smtp ESMTP ready")?;
    let (mut from, mut to) = (String::new(), Vec::<String>::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => reply("250-xwms-test-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8")?,
            "HELO" => reply("250 xwms-test-smtp")?,
            "MAIL" => {
                from = path_of(&command);
                to.clear();
                reply("250 OK")?;
            }
            "RCPT" => {
                to.push(path_of(&command));
                reply("250 OK")?;
            }
            "DATA" => {
                reply("354 End data with <CR><LF>.<CR><LF>")?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(unstuffed);
                }
                inbox
                    .messages
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(ReceivedMessage {
                        mail_from: std::mem::take(&mut from),
                        rcpt_to: std::mem::take(&mut to),
                        data,
                    });
                inbox.arrived.notify_all();
                reply("250 OK queued")?;
            }
            "RSET" => {
                from.clear();
                to.clear();
                reply("250 OK")?;
            }
            "NOOP" => reply("250 OK")?,
            "QUIT" => {
                reply("221 Bye")?;
                return Ok(());
            }
            _ => reply("502 Command not implemented")?,
        }
    }
}

/// The data folder of a [`TestServer`], for tests that inspect its database.
pub fn database_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join(crate::store::DB_FILE)
}
