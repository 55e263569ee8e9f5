//! The black-box abuse suite (issue 9): the real `xwms-server` executable (the release build in
//! `scripts/test.sh`: `XWMS_SERVER_BIN`), with the production password hash, on loopback,
//! attacked as an outsider would: hundreds of parallel requests, from several addresses
//! (127.0.0.2, .3, ... are other clients). Ignored in the plain `cargo test` run; the test command
//! runs them with `-- --ignored abuse::`.
//!
//! Each test counts what the server did from its own database file (`sign_in_failures`: one
//! judged row per full password check that failed), so a rule that breaks shows up as a number.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use xwms_testkit::SmtpCatcher;

const ANNA: &str = "anna@example.com";
const ANNA_PASSWORD: &str = "XwmsDemo2026";

/// The server executable under attack: the release build when the test command names it.
fn server_exe() -> PathBuf {
    std::env::var_os("XWMS_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_xwms-server")))
}

pub struct LiveServer {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
    pub smtp: SmtpCatcher,
}

impl LiveServer {
    /// `xwms-server serve --demo` on a free loopback port, mail to a real SMTP catcher.
    pub fn start() -> LiveServer {
        let dir = tempfile::tempdir().unwrap();
        let smtp = SmtpCatcher::start().unwrap();
        let mut command = Command::new(server_exe());
        for var in xwms_server::config::env::ALL_SETTINGS {
            command.env_remove(var);
        }
        command
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--smtp-url"])
            .arg(smtp.url())
            .arg("--data-dir")
            .arg(dir.path())
            .env("XWMS_LOG", "warn");
        let (child, url) = crate::support::spawn_listening(&mut command);
        LiveServer {
            child,
            url,
            dir,
            smtp,
        }
    }

    /// A client whose requests come from `ip` (a loopback address).
    pub fn client(&self, ip: &str) -> reqwest::Client {
        reqwest::Client::builder()
            .local_address(ip.parse::<IpAddr>().unwrap())
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap()
    }

    pub async fn post(&self, client: &reqwest::Client, path: &str, body: Value) -> Value {
        client
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Runs a query on the server's own database file (WAL: readable while it runs).
    pub fn query<T>(
        &self,
        sql: &str,
        map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> T {
        let conn = rusqlite::Connection::open_with_flags(
            self.dir.path().join("xwms.sqlite3"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn.query_row(sql, [], map).unwrap()
    }

    /// Full password checks that failed for `email` (judged, not in flight).
    pub fn judged_failures(&self, email: &str) -> u32 {
        self.query(
            &format!(
                "SELECT count(*) FROM sign_in_failures WHERE email_key = '{email}' AND pending = 0"
            ),
            |r| r.get(0),
        )
    }

    /// The 6-digit code of the first mail with a code to `to` after the first `since` messages
    /// (notices without a code are skipped).
    pub fn code_after(&self, to: &str, since: usize) -> String {
        let mut since = since;
        loop {
            let mail = self
                .smtp
                .wait_for(to, since, Duration::from_secs(20))
                .unwrap_or_else(|| panic!("no mail with a code to {to}"));
            if let Some(code) = mail.code() {
                return code;
            }
            since = self
                .smtp
                .messages()
                .iter()
                .position(|m| m.data == mail.data)
                .map_or(since + 1, |i| i + 1);
        }
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn device(installation: &str) -> Value {
    json!({"name": "attacker-box", "os": "linux", "app": "curl", "app_version": "8", "installation_id": installation})
}

fn code_of(answer: &Value) -> &str {
    answer["code"].as_str().unwrap_or("success")
}

/// How many failures the lockout policy lets one client make one after another, as fast as the
/// gate allows, within `elapsed`: the free failures, then one after each growing delay.
fn serial_allowance(elapsed: Duration) -> u32 {
    use xwms_server::accounts::policy::LOCKOUT;
    let mut allowed = LOCKOUT.free_failures;
    let mut waited = time::Duration::ZERO;
    loop {
        let next = LOCKOUT.delay_after(allowed);
        if waited + next > time::Duration::try_from(elapsed).unwrap() {
            return allowed;
        }
        waited += next;
        allowed += 1;
    }
}

/// R21: 200 parallel wrong passwords for one account get no more full password checks than one
/// client going one at a time could have had in the same time (the gate was read before the slow
/// hash and the failure written after it: 89 of 200 were checked).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "black-box abuse suite: scripts/test.sh runs it against the release build"]
async fn abuse_parallel_guesses_get_no_more_checks_than_serial_ones() {
    let server = LiveServer::start();
    let client = server.client("127.0.0.1");
    let started = Instant::now();
    let answers = futures_util::future::join_all((0..200).map(|i| {
        let (server, client) = (&server, client.clone());
        async move {
            server
                .post(
                    &client,
                    "/api/auth/signin",
                    json!({"email": ANNA, "password": format!("Guess-{i}-Wrong"), "device": device(&format!("bot-{i}"))}),
                )
                .await
        }
    }))
    .await;
    let elapsed = started.elapsed();
    let mut counts = std::collections::BTreeMap::<String, u32>::new();
    for answer in &answers {
        *counts.entry(code_of(answer).to_owned()).or_default() += 1;
    }
    let judged = server.judged_failures(ANNA);
    let allowance = serial_allowance(elapsed);
    println!(
        "200 parallel wrong passwords in {:.2} s: {counts:?}; full checks {judged}, serial allowance {allowance}",
        elapsed.as_secs_f64()
    );
    assert_eq!(counts.get("success"), None);
    let wrong = counts.get("auth.invalid_credentials").copied().unwrap_or(0);
    assert!(
        (1..=allowance).contains(&wrong),
        "{wrong} wrong-password answers, serial allowance {allowance}"
    );
    assert!(judged <= allowance, "{judged} full checks > {allowance}");
    assert_eq!(
        counts.values().sum::<u32>(),
        200,
        "every request answered: {counts:?}"
    );
}

async fn sign_in(
    server: &LiveServer,
    ip: &str,
    password: &str,
    installation: &str,
    token: Option<&str>,
) -> Value {
    let mut body = json!({"email": ANNA, "password": password, "device": device(installation)});
    if let Some(token) = token {
        body["device_token"] = json!(token);
    }
    server
        .post(&server.client(ip), "/api/auth/signin", body)
        .await
}

/// R22: one wrong password from each of five addresses locked the account for everyone, the
/// owner too; after an unlock, one more failure locked it again. Now strangers lock only the
/// budget of unknown installations: the owner's own installation (its device token) still signs
/// in, and the unlock closes the unusual-activity window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "black-box abuse suite: scripts/test.sh runs it against the release build"]
async fn abuse_strangers_on_five_addresses_do_not_lock_the_owner_out() {
    let server = LiveServer::start();
    // The owner's laptop signed in before: it holds a device token.
    let first = sign_in(&server, "127.0.0.1", ANNA_PASSWORD, "owner-laptop", None).await;
    assert_eq!(first["data"]["result"], "signed_in", "{first}");
    let token = first["data"]["device_token"].as_str().unwrap().to_owned();

    let mut last = Value::Null;
    for n in 2..=6 {
        last = sign_in(
            &server,
            &format!("127.0.0.{n}"),
            "Not-Her-Password-1",
            &format!("stranger-{n}"),
            None,
        )
        .await;
    }
    assert_eq!(
        code_of(&last),
        "auth.locked",
        "five addresses: unusual activity: {last}"
    );
    // A stranger with the right password from an unknown installation is locked out too.
    let stranger = sign_in(&server, "127.0.0.7", ANNA_PASSWORD, "stranger-7", None).await;
    assert_eq!(code_of(&stranger), "auth.locked", "{stranger}");
    // A made-up or stolen-looking token is not a trusted device.
    let forged = sign_in(
        &server,
        "127.0.0.7",
        ANNA_PASSWORD,
        "owner-laptop",
        Some("xwd_forged"),
    )
    .await;
    assert_eq!(code_of(&forged), "auth.locked", "{forged}");

    // The owner's own installation signs in.
    let owner = sign_in(
        &server,
        "127.0.0.1",
        ANNA_PASSWORD,
        "owner-laptop",
        Some(&token),
    )
    .await;
    assert_eq!(owner["data"]["result"], "signed_in", "{owner}");
    let token = owner["data"]["device_token"].as_str().unwrap().to_owned();
    // The token rotated: the old one no longer counts (a copy taken earlier is worthless).
    assert_ne!(token, first["data"]["device_token"].as_str().unwrap());

    // The mailed unlock code (with the challenge of the locking answer) lifts the lock and
    // closes the window: one more failure from a sixth address does not lock again.
    let challenge = last["data"]["challenge_id"].as_str().unwrap().to_owned();
    let code = server.code_after(ANNA, 0);
    let unlocked = server
        .post(
            &server.client("127.0.0.1"),
            "/api/auth/unlock",
            json!({"email": ANNA, "code": code, "challenge_id": challenge}),
        )
        .await;
    assert_eq!(unlocked["status"], "success", "{unlocked}");
    let after = sign_in(
        &server,
        "127.0.0.8",
        "Not-Her-Password-1",
        "stranger-8",
        None,
    )
    .await;
    assert_eq!(code_of(&after), "auth.invalid_credentials", "{after}");
    let stranger = sign_in(&server, "127.0.0.9", ANNA_PASSWORD, "new-phone", None).await;
    assert_eq!(stranger["data"]["result"], "signed_in", "{stranger}");
}

/// R5: emailed codes were keyed by (purpose, address) only, so anyone could burn the owner's
/// code with five wrong tries. A code now works only with the challenge id its request got:
/// without it, a hundred tries burn nothing and the owner's code still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "black-box abuse suite: scripts/test.sh runs it against the release build"]
async fn abuse_codes_cannot_be_burnt_without_their_challenge() {
    let server = LiveServer::start();
    let owner = server.client("127.0.0.1");
    let sent = server
        .post(&owner, "/api/auth/password/forgot", json!({"email": ANNA}))
        .await;
    let challenge = sent["data"]["challenge_id"].as_str().unwrap().to_owned();
    let code = server.code_after(ANNA, 0);

    // From ten addresses (each under its own limit of new passwords per hour), all at once.
    let answers = futures_util::future::join_all((0..100).map(|i| {
        let server = &server;
        let attacker = server.client(&format!("127.0.0.{}", 2 + i % 10));
        async move {
            server
                .post(
                    &attacker,
                    "/api/auth/password/reset",
                    json!({"email": ANNA, "code": format!("{:06}", i), "challenge_id": format!("xwc_guess{i}"), "new_password": "Attacker-Owns-1"}),
                )
                .await
        }
    }))
    .await;
    let mut counts = std::collections::BTreeMap::<String, u32>::new();
    for answer in &answers {
        *counts.entry(code_of(answer).to_owned()).or_default() += 1;
    }
    println!("100 parallel resets without the challenge: {counts:?}");
    // Judged `code.none` (nothing pending for that challenge), or turned away before the hash
    // by the address limit or the full hash queue; never a try against the owner's code.
    assert!(
        counts
            .keys()
            .all(|c| ["code.none", "request.rate_limited", "server.busy"].contains(&c.as_str())),
        "{counts:?}"
    );
    assert!(
        counts.get("code.none").copied().unwrap_or(0) >= 10,
        "{counts:?}"
    );
    let tries: u32 = server.query("SELECT count(*) FROM code_tries", |r| r.get(0));
    assert_eq!(tries, 0, "no try was counted against the owner's code");

    let reset = server
        .post(
            &owner,
            "/api/auth/password/reset",
            json!({"email": ANNA, "code": code, "challenge_id": challenge, "new_password": "Owner-Keeps-It-9"}),
        )
        .await;
    assert_eq!(reset["status"], "success", "{reset}");
}
