//! `xwms` as a person runs it: the real binary against the real xwms-server on loopback.

use std::net::SocketAddr;
use std::sync::Arc;

use assert_cmd::Command;
use xwms_api::auth::{paths, CodeSent, EmailCodeRequest, SignUpRequest};
use xwms_core::api_client::{ApiClient, NoData};
use xwms_core::secret::Secret;
use xwms_server::config::Settings;
use xwms_server::server::Server;
use xwms_server::testing::{MailKind, TestServer, TestServerOptions};
use xwms_server::SystemClock;

/// Starts the real server (demo data, temp SQLite file) on a free loopback port.
fn start_server() -> (
    SocketAddr,
    tempfile::TempDir,
    tokio::sync::oneshot::Sender<()>,
) {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("server"),
        demo: true,
        name: "XWMS Demo".into(),
        timezone: "Europe/Amsterdam".into(),
        locale: "en".into(),
    };
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let server = Server::bind(&settings, Arc::new(SystemClock))
                .await
                .unwrap();
            addr_tx.send(server.local_addr()).unwrap();
            server
                .serve(async move {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
        });
    });
    (addr_rx.recv().unwrap(), dir, stop_tx)
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
        ("fr_FR.UTF-8", "Cette adresse web n'est pas valide."),
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

/// The real server with accounts (`xwms_server::testing`: in-memory mailbox, fast test hash
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
            let _: CodeSent = api
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
