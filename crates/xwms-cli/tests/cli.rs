//! `xwms` as a person runs it: the real binary against the real xwms-server on loopback.

use std::net::SocketAddr;
use std::sync::Arc;

use assert_cmd::Command;
use xwms_api::auth::{paths, CodeSent, EmailCodeRequest, SignUpRequest};
use xwms_core::api_client::{ApiClient, NoData};
use xwms_core::secret::Secret;
use xwms_testkit::{HashCost, MailKind, SystemClock, TestServer, TestServerOptions};

/// Starts the real server (demo data, production hash cost, temp SQLite file) on a free loopback
/// port; returns its address, a folder for the CLI's data, and the server (stopped on drop).
fn start_server() -> (SocketAddr, tempfile::TempDir, TestServer) {
    let server = TestServer::start_with(TestServerOptions {
        name: "XWMS Demo".into(),
        hash_cost: HashCost::PRODUCTION,
        ..TestServerOptions::default()
    });
    (server.addr(), tempfile::tempdir().unwrap(), server)
}

fn xwms(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("xwms").unwrap();
    cmd.env_remove("XWMS_SERVER_URL")
        .env("XWMS_DATA_DIR", data_dir)
        .env("LANG", "en_US.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    cmd
}

#[test]
fn info_prints_name_version_and_time_zone() {
    let (addr, dir, _stop) = start_server();
    let out = xwms(dir.path())
        .args(["info", "--server", &format!("http://{addr}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("XWMS Demo\n"), "{text}");
    assert!(text.contains("Europe/Amsterdam"), "{text}");
    assert!(text.contains(env!("CARGO_PKG_VERSION")), "{text}");
}

#[test]
fn info_json_is_the_servers_info() {
    let (addr, dir, _stop) = start_server();
    let out = xwms(dir.path())
        .args(["info", "--json", "--server", &format!("http://{addr}/")])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["application"]["name"], "XWMS Demo");
    assert_eq!(v["application"]["timezone"], "Europe/Amsterdam");
    assert_eq!(v["client"]["ip"], "127.0.0.1");
    assert!(v["client"]["user_agent"]
        .as_str()
        .unwrap()
        .starts_with("xwms-cli/"));
}

#[test]
fn data_dir_is_accepted_after_the_subcommand_and_server_comes_from_env() {
    let (addr, dir, _stop) = start_server();
    let out = xwms(std::path::Path::new("/nonexistent"))
        .env("XWMS_SERVER_URL", format!("http://{addr}"))
        .args(["info", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unreachable_server_is_a_clear_error_with_code_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = xwms(dir.path())
        .args(["info", "--server", &format!("http://{free}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("[network.offline]"), "{err}");
    assert!(err.contains("cannot be reached"), "{err}");
}

#[test]
fn errors_are_in_the_persons_language() {
    let dir = tempfile::tempdir().unwrap();
    for (lang, text) in [
        ("nl_NL.UTF-8", "Dit is geen geldig webadres."),
        ("fr_FR.UTF-8", "Ce n'est pas une adresse web valide."),
    ] {
        let out = xwms(dir.path())
            .env("LANG", lang)
            .args(["info", "--server", "http://exa mple"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("[settings.invalid_url]") && err.contains(text),
            "{lang}: {err}"
        );
    }
}

#[test]
fn bad_flags_are_a_usage_error_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["info", "--bogus"][..],
        &["nope"][..],
        &[][..],
        &["info", "--json=maybe"][..],
    ] {
        let out = xwms(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Usage"),
            "{args:?}"
        );
    }
}

// ----- accounts -----

/// The real server with accounts (`xwms_testkit`: in-memory mailbox, fast test hash
/// cost).
struct AccountsServer {
    url: String,
    server: TestServer,
}

fn start_accounts_server() -> AccountsServer {
    let server = TestServer::start_with(TestServerOptions {
        demo: false,
        ..TestServerOptions::default()
    });
    AccountsServer {
        url: format!("{}/", server.url()),
        server,
    }
}

impl AccountsServer {
    /// Signs up and verifies an account through the API, as the app would.
    fn verified_account(&self, email: &str, password: &str) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let api = ApiClient::new(&self.url, "cli-test").unwrap();
            let mail = self.server.mailbox();
            let since = mail.count();
            let sent: CodeSent = api
                .post(
                    paths::SIGN_UP,
                    &SignUpRequest {
                        name: "Cas".into(),
                        email: email.into(),
                        password: Secret::new(password),
                        language: None,
                    },
                    None,
                )
                .await
                .unwrap();
            let code = mail
                .wait_for_async(
                    email,
                    MailKind::VerifyEmail,
                    since,
                    std::time::Duration::from_secs(10),
                )
                .await
                .and_then(|m| m.code())
                .unwrap();
            let _: NoData = api
                .post(
                    paths::VERIFY_EMAIL,
                    &EmailCodeRequest {
                        email: email.into(),
                        code: Secret::new(code),
                        challenge_id: sent.challenge_id,
                    },
                    None,
                )
                .await
                .unwrap();
        });
    }
}

#[test]
fn login_with_a_wrong_password_is_a_coded_error_with_exit_1() {
    let server = start_accounts_server();
    server.verified_account("cas@example.com", "Canal-Boat-88");
    let dir = tempfile::tempdir().unwrap();
    let out = xwms(dir.path())
        .env("LANG", "fr_FR.UTF-8")
        .args([
            "login",
            "--server",
            &server.url,
            "--email",
            "cas@example.com",
            "--password-stdin",
        ])
        .write_stdin("Not-The-Password-1\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("[auth.invalid_credentials]")
            && err.contains("L'adresse e-mail ou le mot de passe est incorrect."),
        "{err}"
    );
    assert!(!err.contains("Not-The-Password"), "{err}");

    // Quick repeated failures are slowed down: the error says when to try again.
    let throttled = (0..8).find_map(|_| {
        let out = xwms(dir.path())
            .args([
                "login",
                "--server",
                &server.url,
                "--email",
                "cas@example.com",
                "--password-stdin",
            ])
            .write_stdin("Not-The-Password-1\n")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        err.contains("[auth.throttled]").then_some(err)
    });
    let err = throttled.expect("throttled within 9 quick failures");
    assert!(err.contains("Try again in "), "{err}");
}

#[test]
fn account_commands_reject_bad_flags_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["login", "--password-stdin"][..], // needs --email: stdin holds only the password
        &["login", "--bogus"][..],
        &["logout", "--json"][..],
        &["whoami", "--json=maybe"][..],
        &["whoami", "extra"][..],
    ] {
        let out = xwms(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Usage"),
            "{args:?}"
        );
    }
}

/// Reads a keychain entry with libsecret's own tool.
fn secret_tool_lookup(service: &str, account: &str) -> Option<String> {
    let out = std::process::Command::new("secret-tool")
        .args(["lookup", "service", service, "username", account])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
#[ignore = "needs an unlocked Secret Service; run by scripts/test.sh"]
fn login_whoami_logout_through_the_os_keychain() {
    let server = start_accounts_server();
    let email = "cas.keychain@example.com";
    let password = "Windmill-Road-19";
    server.verified_account(email, password);
    let dir = tempfile::tempdir().unwrap();
    let xwms = || {
        let mut cmd = xwms(dir.path());
        cmd.env("XWMS_SERVER_URL", &server.url);
        cmd
    };

    let out = xwms()
        .args(["login", "--email", email, "--password-stdin"])
        .write_stdin(format!("{password}\n"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Signed in as Cas <cas.keychain@example.com>"),
        "{text}"
    );

    // The CLI's own session is in the keychain, under its own service, and not in any file.
    let id = std::fs::read_to_string(dir.path().join("installation-id")).unwrap();
    let key = format!("session:{}:{}", id.trim(), server.url);
    let entry =
        secret_tool_lookup("nl.xwms.cli", &key).expect("the CLI's session is in the keychain");
    let stored: serde_json::Value = serde_json::from_str(&entry).unwrap();
    let refresh = stored["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(
        secret_tool_lookup("nl.xwms.desktop", &key),
        None,
        "not the app's entry"
    );
    for file in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(file.unwrap().path()).unwrap_or_default();
        assert!(!text.contains(&refresh));
    }

    let out = xwms().args(["whoami"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(email) && text.contains("Cas"), "{text}");

    let out = xwms().args(["whoami", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["email"], email);
    assert_eq!(v["email_verified"], true);

    let out = xwms()
        .env("LANG", "nl_NL.UTF-8")
        .args(["logout"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "Uitgelogd.");
    assert_eq!(secret_tool_lookup("nl.xwms.cli", &key), None);

    let out = xwms().args(["whoami"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("[auth.unauthorized]") && err.contains("Please sign in."),
        "{err}"
    );
}

// ----- xwms help: offline from the bundled content, synced from the real server.

fn xwms_bare() -> Command {
    let mut cmd = Command::cargo_bin("xwms").unwrap();
    cmd.env_remove("XWMS_SERVER_URL")
        .env_remove("XWMS_DATA_DIR")
        .env("LANG", "en_US.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    cmd
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn help_search_and_show_work_offline_with_no_server() {
    let dir = tempfile::tempdir().unwrap();
    let hits = json_of(
        &xwms(dir.path())
            .args([
                "help",
                "search",
                "forgot my pasword",
                "--json",
                "--limit",
                "3",
            ])
            .output()
            .unwrap(),
    );
    let hits = hits.as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 3);
    assert_eq!(hits[0]["id"], "forgot-password");
    for key in ["id", "lang", "title", "snippet", "score"] {
        assert!(!hits[0][key].is_null(), "{key} in {}", hits[0]);
    }
    assert_eq!(hits[0]["lang"], "en");

    // --data-dir is global: before or after the subcommand.
    let data = dir.path().to_str().unwrap();
    for args in [
        vec![
            "--data-dir",
            data,
            "help",
            "show",
            "enable-2fa",
            "--lang",
            "fr",
            "--json",
        ],
        vec![
            "help",
            "show",
            "enable-2fa",
            "--json",
            "--lang",
            "fr",
            "--data-dir",
            data,
        ],
    ] {
        let article = json_of(&xwms_bare().args(&args).output().unwrap());
        assert_eq!(article["id"], "enable-2fa");
        assert_eq!(article["lang"], "fr");
        assert_eq!(article["category"], "account-security");
        assert!(article["title"].as_str().unwrap().contains("deux facteurs"));
        assert!(article["body"]
            .as_str()
            .unwrap()
            .contains("](/account/security)"));
        assert!(article["tags"].as_array().is_some_and(|t| !t.is_empty()));
    }
    assert!(
        dir.path().join("help.sqlite3").exists(),
        "the cache is in --data-dir"
    );

    // In Dutch, by the person's language; plain text shows links' targets.
    let out = xwms(dir.path())
        .env("LANG", "nl_NL.UTF-8")
        .args(["help", "show", "forgot-password"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Labels:") && text.contains("wachtwoord"),
        "{text}"
    );
    let out = xwms(dir.path())
        .env("LANG", "fr_FR.UTF-8")
        .args(["help", "search", "zzzzqqq"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        "Aucun article d'aide ne correspond à votre recherche."
    );
    // Strange queries are just text.
    for q in ["\"", "(*)", "🔐", "مرحبا", &"a".repeat(10_000)] {
        let out = xwms(dir.path())
            .args(["help", "search", q, "--json"])
            .output()
            .unwrap();
        assert!(json_of(&out).is_array());
    }
}

#[test]
fn help_errors_and_usage() {
    let dir = tempfile::tempdir().unwrap();
    let out = xwms(dir.path())
        .args(["help", "show", "no-such-article"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[help.not_found]"));
    for args in [
        vec!["help", "search"],
        vec!["help", "search", "x", "--limit", "0"],
        vec!["help", "search", "x", "--limit", "51"],
        vec!["help", "search", "x", "--lang", "de"],
        vec!["help", "frobnicate"],
    ] {
        let out = xwms(dir.path()).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = xwms(dir.path())
        .args(["help", "sync", "--server", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[network.offline]"));
}

#[test]
fn help_sync_reports_what_changed() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let sync = || {
        let out = xwms(dir.path())
            .args(["help", "sync", "--server", &server.url()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(
        sync(),
        "The help now holds the server's content (version 1, 150 articles)."
    );
    assert_eq!(sync(), "The help is up to date (content version 1).");
    let mut content = xwms_help::Content::bundled().clone();
    content.articles[2].en.as_mut().unwrap().title = "How do I switch on 2FA?".into();
    server.import_help(&content);
    assert_eq!(
        sync(),
        "The help was updated to content version 2: 1 changed, 0 removed."
    );
    let hits = json_of(
        &xwms(dir.path())
            .args(["help", "search", "switch on", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(hits[0]["title"], "How do I switch on 2FA?");
}

/// Content with `extra` generated articles besides the real ones.
fn big_content(extra: usize) -> xwms_help::Content {
    use xwms_help::content::{ArticleSource, ArticleText};
    let mut content = xwms_help::Content::bundled().clone();
    let words = [
        "password", "session", "device", "email", "code", "account", "support", "alert",
    ];
    for i in 0..extra {
        let text = |lang: &str| ArticleText {
            title: format!(
                "Generated question {i} ({lang}) about the {}?",
                words[i % words.len()]
            ),
            slug: format!("generated-question-{i}-{lang}"),
            tags: vec![words[i % words.len()].to_string(), "generated".into()],
            body: format!(
                "Generated answer number {i}. It talks about the {} and the {} at some length, \
                 so that syncing thousands of these takes a moment. See [support](/support).",
                words[i % words.len()],
                words[(i + 3) % words.len()]
            ),
        };
        content.articles.push(ArticleSource {
            id: format!("generated-{i:05}"),
            category: "account-security".into(),
            order: 100 + i as u32,
            popular: false,
            en: Some(text("en")),
            nl: Some(text("nl")),
            fr: Some(text("fr")),
            file: format!("account-security/generated-{i}.toml"),
        });
    }
    content
}

/// The cache file's state: (integrity_check, version, article count).
fn cache_state(dir: &std::path::Path) -> (String, String, i64) {
    let conn = rusqlite::Connection::open(dir.join("help.sqlite3")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    let version: String = conn
        .query_row("SELECT value FROM meta WHERE key = 'version'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let count: i64 = conn
        .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
        .unwrap();
    (check, version, count)
}

#[cfg(unix)]
#[test]
fn a_sync_killed_midway_leaves_a_consistent_cache_and_the_next_one_completes() {
    let server = TestServer::start();
    let extra = 3000;
    let report = server.import_help(&big_content(extra));
    let version = report.version.to_string();
    let all = (150 + 3 * extra) as i64;
    let exe = assert_cmd::cargo::cargo_bin("xwms");
    let spawn = |dir: &std::path::Path| {
        std::process::Command::new(&exe)
            .args(["help", "sync", "--server", &server.url(), "--data-dir"])
            .arg(dir)
            .env_remove("XWMS_DATA_DIR")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // How long a whole sync takes here, to kill at points along it.
    let probe = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    assert!(spawn(probe.path()).wait().unwrap().success());
    let whole = started.elapsed();
    assert_eq!(
        cache_state(probe.path()),
        ("ok".into(), version.clone(), all)
    );

    let mut outcomes = Vec::new();
    // The transaction comes early (download, then one transaction), the index rebuild after it.
    for (i, percent) in [3u32, 8, 15, 25, 40, 60].into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        // Install the bundled content first, so the cache exists before the kill.
        xwms_bare()
            .args(["help", "search", "x", "--data-dir"])
            .arg(dir.path())
            .output()
            .unwrap();
        let mut child = spawn(dir.path());
        std::thread::sleep(whole * percent / 100);
        let _ = child.kill();
        let _ = child.wait();
        let (check, v, count) = cache_state(dir.path());
        assert_eq!(check, "ok", "killed at {percent}%");
        assert!(
            (v == "0" && count == 150) || (v == version && count == all),
            "killed at {percent}%: version {v} with {count} articles is half a sync"
        );
        outcomes.push(format!(
            "{percent}%: {}",
            if v == "0" {
                "before commit"
            } else {
                "after commit"
            }
        ));
        // The next sync completes (checked on a few, to keep the test short).
        if i % 2 == 0 {
            let status = spawn(dir.path()).wait().unwrap();
            assert!(status.success());
            assert_eq!(cache_state(dir.path()), ("ok".into(), version.clone(), all));
        }
    }
    println!(
        "whole sync of {all} articles: {whole:?}; kills: {}",
        outcomes.join(", ")
    );
}

// ----- security: sessions and two-step sign-in -----

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// What an authenticator app shows for `secret` (base32) at `unix` seconds.
fn totp_at(secret: &str, unix: u64) -> String {
    let totp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build_noncompliant();
    totp.generate(unix).to_string()
}

/// Now, in Unix seconds, at least 5 s before the next 30-s step begins (waits when closer),
/// so a code of the previous step is still accepted when it reaches the server.
fn unix_well_inside_a_step() -> u64 {
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        if now % 30 < 25 {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

impl AccountsServer {
    /// Signs in through the API from another installation: its access token.
    fn other_session(&self, email: &str, password: &str, name: &str) -> Secret {
        use xwms_api::auth::{DeviceInfo, SignInRequest, SignInResponse};
        block_on(async {
            let api = ApiClient::new(&self.url, "cli-test").unwrap();
            let answer: SignInResponse = api
                .post(
                    paths::SIGN_IN,
                    &SignInRequest {
                        email: email.into(),
                        password: Secret::new(password),
                        device: DeviceInfo {
                            name: name.into(),
                            os: "linux".into(),
                            app: "XWMS-Desktop".into(),
                            app_version: "0.1.0".into(),
                            installation_id: format!("{:0>32}", name.len()),
                        },
                        device_token: None,
                    },
                    None,
                )
                .await
                .unwrap();
            match answer {
                SignInResponse::SignedIn(tokens) => tokens.access_token.clone(),
                SignInResponse::SecondFactor(_) => panic!("no 2FA on this account"),
            }
        })
    }

    /// The error code the server answers `GET /api/account` with for `token` (None: 200).
    fn refusal(&self, token: &Secret) -> Option<String> {
        block_on(async {
            let api = ApiClient::new(&self.url, "cli-test").unwrap();
            api.get_authed::<serde_json::Value>(paths::ACCOUNT, token)
                .await
                .err()
                .map(|e| e.code.to_string())
        })
    }

    /// Turns 2FA on through the API with the code of the step before `unix`: the secret and
    /// the recovery codes.
    fn enable_two_factor(&self, email: &str, password: &str, unix: u64) -> (String, Vec<String>) {
        use xwms_api::auth::CodeRequest;
        use xwms_api::security::{
            paths as security, PasswordRequest, RecoveryCodes, TwoFactorSetup,
        };
        let token = self.other_session(email, password, "enrolling-laptop");
        block_on(async {
            let api = ApiClient::new(&self.url, "cli-test").unwrap();
            let setup: TwoFactorSetup = api
                .post(
                    security::TWO_FACTOR_SETUP,
                    &PasswordRequest {
                        password: Secret::new(password),
                    },
                    Some(&token),
                )
                .await
                .unwrap();
            let secret = setup.secret.expose().to_string();
            let codes: RecoveryCodes = api
                .post(
                    security::TWO_FACTOR_ENABLE,
                    &CodeRequest {
                        code: Secret::new(totp_at(&secret, unix - 30)),
                    },
                    Some(&token),
                )
                .await
                .unwrap();
            let codes = codes.codes.iter().map(|c| c.expose().to_string()).collect();
            (secret, codes)
        })
    }
}

#[test]
fn sessions_commands_reject_bad_flags_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["sessions"][..],
        &["sessions", "revoke"][..],
        &["sessions", "list", "--bogus"][..],
        &["sessions", "revoke-others", "extra"][..],
        &["sessions", "frobnicate"][..],
    ] {
        let out = xwms(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn login_with_two_factor_and_a_wrong_code_is_a_coded_error() {
    let server = start_accounts_server();
    let (email, password) = ("cas.wrong@example.com", "Canal-Boat-88");
    server.verified_account(email, password);
    let now = unix_well_inside_a_step();
    let (secret, _) = server.enable_two_factor(email, password, now);
    let right = totp_at(&secret, now);
    let wrong = if right == "123456" {
        "654321"
    } else {
        "123456"
    };
    let dir = tempfile::tempdir().unwrap();
    for (lang, text) in [
        ("en_US.UTF-8", "The code is incorrect."),
        ("nl_NL.UTF-8", "De code klopt niet."),
        ("fr_FR.UTF-8", "Le code est incorrect."),
    ] {
        let out = xwms(dir.path())
            .env("LANG", lang)
            .args([
                "login",
                "--server",
                &server.url,
                "--email",
                email,
                "--password-stdin",
            ])
            .write_stdin(format!("{password}\n{wrong}\n"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{lang}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("[two_factor.code_incorrect]") && err.contains(text),
            "{lang}: {err}"
        );
        assert!(!err.contains(password) && !err.contains(wrong), "{err}");
    }
    // No code at all on standard input.
    let out = xwms(dir.path())
        .args([
            "login",
            "--server",
            &server.url,
            "--email",
            email,
            "--password-stdin",
        ])
        .write_stdin(format!("{password}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[field.required]"));
}

#[test]
#[ignore = "needs an unlocked Secret Service; run by scripts/test.sh"]
fn login_with_two_factor_totp_and_recovery_code_through_the_os_keychain() {
    let server = start_accounts_server();
    let (email, password) = ("cas.2fa@example.com", "Windmill-Road-19");
    server.verified_account(email, password);
    let now = unix_well_inside_a_step();
    let (secret, recovery) = server.enable_two_factor(email, password, now);
    let dir = tempfile::tempdir().unwrap();
    let login = |second: &str| {
        xwms(dir.path())
            .args([
                "login",
                "--server",
                &server.url,
                "--email",
                email,
                "--password-stdin",
            ])
            .write_stdin(format!("{password}\n{second}\n"))
            .output()
            .unwrap()
    };
    let logout = || {
        let out = xwms(dir.path())
            .args(["logout", "--server", &server.url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };

    // The current code (with a space, as apps show it) signs in; the session is in the keychain.
    let code = totp_at(&secret, now);
    let out = login(&format!("{} {}", &code[..3], &code[3..]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("Signed in as Cas <cas.2fa@example.com>"));
    let out = xwms(dir.path())
        .args(["whoami", "--server", &server.url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    logout();

    // The same code again is a replay.
    let out = login(&code);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("[two_factor.code_used]"), "{err}");

    // A recovery code works, once.
    let out = login(&recovery[0]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    logout();
    let out = login(&recovery[0]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[two_factor.code_incorrect]"));
}

#[test]
#[ignore = "needs an unlocked Secret Service; run by scripts/test.sh"]
fn sessions_list_revoke_and_revoke_others_through_the_os_keychain() {
    let server = start_accounts_server();
    let (email, password) = ("cas.sessions@example.com", "Windmill-Road-19");
    server.verified_account(email, password);
    let dir = tempfile::tempdir().unwrap();
    let xwms = || {
        let mut cmd = xwms(dir.path());
        cmd.env("XWMS_SERVER_URL", &server.url);
        cmd
    };
    let ok = |out: std::process::Output| -> String {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    ok(xwms()
        .args(["login", "--email", email, "--password-stdin"])
        .write_stdin(format!("{password}\n"))
        .output()
        .unwrap());
    let office = server.other_session(email, password, "office-pc");
    let tablet = server.other_session(email, password, "kitchen-tablet");

    // The table: this device first and marked, the others with their device and app.
    let table = ok(xwms().args(["sessions", "list"]).output().unwrap());
    println!("{table}");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    for column in ["Device", "OS", "App", "IP address", "Last active"] {
        assert!(lines[0].contains(column), "{table}");
    }
    assert!(
        lines[1].contains("This device") && lines[1].contains("xwms-cli"),
        "{table}"
    );
    assert!(
        table.contains("office-pc") && table.contains("kitchen-tablet"),
        "{table}"
    );
    assert!(table.contains("127.0.0.1"), "{table}");
    assert_eq!(table.matches("This device").count(), 1, "{table}");
    let stamp = lines[1]
        .split_whitespace()
        .find(|w| w.len() == 10 && w.as_bytes()[4] == b'-')
        .expect("a last-active date");
    assert!(stamp.starts_with("20"), "{table}");
    let nl = ok(xwms()
        .env("LANG", "nl_NL.UTF-8")
        .args(["sessions", "list"])
        .output()
        .unwrap());
    assert!(
        nl.contains("Dit apparaat") && nl.contains("Laatst actief"),
        "{nl}"
    );

    let list = json_of(
        &xwms()
            .args(["sessions", "list", "--json"])
            .output()
            .unwrap(),
    );
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions[0]["current"], true);
    let id_of = |device: &str| {
        sessions
            .iter()
            .find(|s| s["device_name"] == device)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // One other session ends; this one cannot be revoked (sign out instead).
    let out = ok(xwms()
        .args(["sessions", "revoke", &id_of("office-pc")])
        .output()
        .unwrap());
    assert_eq!(out.trim(), "The session was ended.");
    assert_eq!(
        server.refusal(&office).as_deref(),
        Some("auth.session_revoked")
    );
    assert_eq!(server.refusal(&tablet), None);
    let own = sessions[0]["id"].as_str().unwrap();
    let out = xwms().args(["sessions", "revoke", own]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[session.is_current]"));

    // Every other session: the password first.
    let out = xwms()
        .args(["sessions", "revoke-others", "--password-stdin"])
        .write_stdin("Not-The-Password-1\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[auth.password_incorrect]"));
    let out = ok(xwms()
        .env("LANG", "fr_FR.UTF-8")
        .args(["sessions", "revoke-others", "--password-stdin"])
        .write_stdin(format!("{password}\n"))
        .output()
        .unwrap());
    assert_eq!(
        out.trim(),
        "Déconnecté partout ailleurs : 1 session(s) fermée(s)."
    );
    assert_eq!(
        server.refusal(&tablet).as_deref(),
        Some("auth.session_revoked")
    );
    let list = json_of(
        &xwms()
            .args(["sessions", "list", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(list["sessions"].as_array().unwrap().len(), 1);
    ok(xwms().args(["logout"]).output().unwrap());
}

#[test]
#[ignore = "needs an unlocked Secret Service; run by scripts/test.sh"]
fn sessions_revoke_asks_for_the_password_outside_the_reauthentication_window() {
    use xwms_testkit::Clock;
    let clock = xwms_testkit::ManualClock::new(SystemClock.now());
    let server = TestServer::start_with(TestServerOptions {
        demo: false,
        clock: Arc::new(clock.clone()),
        ..TestServerOptions::default()
    });
    let server = AccountsServer {
        url: format!("{}/", server.url()),
        server,
    };
    let (email, password) = ("cas.sudo@example.com", "Windmill-Road-19");
    server.verified_account(email, password);
    let dir = tempfile::tempdir().unwrap();
    let xwms = || {
        let mut cmd = xwms(dir.path());
        cmd.env("XWMS_SERVER_URL", &server.url);
        cmd
    };
    let out = xwms()
        .args(["login", "--email", email, "--password-stdin"])
        .write_stdin(format!("{password}\n"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let office = server.other_session(email, password, "office-pc");
    let list = json_of(
        &xwms()
            .args(["sessions", "list", "--json"])
            .output()
            .unwrap(),
    );
    let office_id = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["device_name"] == "office-pc")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Eleven minutes after signing in: the password again. A wrong one ends nothing.
    clock.advance_secs(11 * 60);
    let out = xwms()
        .args(["sessions", "revoke", &office_id, "--password-stdin"])
        .write_stdin("Wrong-Password-1\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("[auth.password_incorrect]"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.refusal(&office), None, "still signed in");
    let out = xwms()
        .args(["sessions", "revoke", &office_id, "--password-stdin"])
        .write_stdin(format!("{password}\n"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "The session was ended."
    );
    assert_eq!(
        server.refusal(&office).as_deref(),
        Some("auth.session_revoked")
    );
}
