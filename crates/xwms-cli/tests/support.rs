//! `xwms support` as a person runs it: the real binary, its outbox in a real SQLite file, the
//! real server on loopback (stopped and started again on the same data), `kill -9`.
//!
//! The CLI keeps its session in the OS keychain, so these run inside a desktop session with a
//! real Secret Service (`scripts/desktop-session.sh`, as scripts/test.sh does).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use xwms_testkit::{TestServer, TestServerOptions, AGENT, ANNA};

fn xwms(data_dir: &Path, server: &str) -> Command {
    let mut cmd = Command::cargo_bin("xwms").unwrap();
    cmd.env("XWMS_SERVER_URL", server)
        .env("XWMS_DATA_DIR", data_dir)
        .env("LANG", "en_US.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("XWMS_TEST_ABORT_AFTER_ACK");
    cmd
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{:?}: {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn start(data: &Path, listen: SocketAddr) -> TestServer {
    TestServer::start_with(TestServerOptions {
        data_dir: Some(data.to_path_buf()),
        listen,
        ..TestServerOptions::default()
    })
}

/// Rows in the CLI's outbox (the support file in its data folder).
fn outbox_rows(dir: &Path) -> Vec<String> {
    let path: PathBuf = dir.join("support.sqlite3");
    if !path.exists() {
        return Vec::new();
    }
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT body FROM outbox ORDER BY ord")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The conversation's text messages as the server holds them, read by the demo agent
/// through the API: (body, client id).
fn on_server(server: &str, id: &str) -> Vec<(String, String)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let api = xwms_core::api_client::ApiClient::new(server, "support-test").unwrap();
        let answer: xwms_api::auth::SignInResponse = api
            .post(
                xwms_api::auth::paths::SIGN_IN,
                &serde_json::json!({
                    "email": AGENT.email,
                    "password": AGENT.password,
                    "device": {
                        "name": "test", "os": "linux", "app": "support-test",
                        "app_version": "1", "installation_id": "support-test-agent"
                    }
                }),
                None,
            )
            .await
            .unwrap();
        let xwms_api::auth::SignInResponse::SignedIn(tokens) = answer else {
            panic!("the agent has no second factor");
        };
        let token = tokens.access_token;
        let path = xwms_core::api_client::path_with_id(xwms_api::support::paths::CONVERSATION, id)
            .unwrap();
        let detail: xwms_api::support::ConversationDetail =
            api.get_authed(&path, &token).await.unwrap();
        detail
            .messages
            .into_iter()
            .filter(|m| m.kind == xwms_api::support::MessageKind::Text)
            .map(|m| (m.body, m.client_msg_id))
            .collect()
    })
}

#[test]
#[ignore = "needs an unlocked Secret Service; run by scripts/test.sh"]
fn support_commands_and_an_outbox_that_survives_kill_9_and_a_kill_after_the_ack() {
    let temp = tempfile::tempdir().unwrap();
    let data = temp.path().join("server");
    let server = start(&data, SocketAddr::from(([127, 0, 0, 1], 0)));
    let addr = server.addr();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let cli = || xwms(dir.path(), &url);

    ok(&cli()
        .args(["login", "--email", ANNA.email, "--password-stdin"])
        .write_stdin(format!("{}\n", ANNA.password))
        .output()
        .unwrap());

    // new: prints the id; list shows it; send and show.
    let text = ok(&cli()
        .args([
            "support",
            "new",
            "--topic",
            "question",
            "--subject",
            "Kill test",
            "first",
        ])
        .output()
        .unwrap());
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("Conversation started: "))
        .unwrap_or_else(|| panic!("{text}"))
        .trim()
        .to_string();
    let list = ok(&cli().args(["support", "list"]).output().unwrap());
    assert!(
        list.lines()
            .any(|l| l.starts_with(&id) && l.contains("Kill test")),
        "{list}"
    );
    let sent = ok(&cli()
        .args(["support", "send", &id, "second"])
        .output()
        .unwrap());
    assert!(sent.contains("Sent"), "{sent}");
    let shown = ok(&cli().args(["support", "show", &id]).output().unwrap());
    assert!(
        shown.contains("You: first") && shown.contains("You: second"),
        "{shown}"
    );
    let out = cli()
        .args([
            "support",
            "new",
            "--topic",
            "billing",
            "--subject",
            "x",
            "y",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown topic is a usage error"
    );

    // The server goes DOWN: four sends are queued (exit 0, "queued"), the fifth waits for
    // delivery and is killed with SIGKILL while it waits.
    server.stop();
    for i in 1..=4 {
        let text = ok(&cli()
            .args(["support", "send", &id, &format!("offline {i}")])
            .output()
            .unwrap());
        assert!(text.contains("wait in the outbox"), "{text}");
    }
    let mut waiting = std::process::Command::new(assert_cmd::cargo::cargo_bin("xwms"))
        .args(["support", "send", &id, "offline 5", "--wait"])
        .env("XWMS_SERVER_URL", &url)
        .env("XWMS_DATA_DIR", dir.path())
        .env("LANG", "en_US.UTF-8")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while outbox_rows(dir.path()).len() < 5 {
        assert!(Instant::now() < deadline, "the fifth message is queued");
        std::thread::sleep(Duration::from_millis(20));
    }
    waiting.kill().unwrap(); // SIGKILL
    let status = waiting.wait().unwrap();
    assert!(!status.success());
    assert_eq!(
        outbox_rows(dir.path()),
        [
            "offline 1",
            "offline 2",
            "offline 3",
            "offline 4",
            "offline 5"
        ]
    );

    // The server is back (same data, same address): the next command sends the outbox.
    let server = start(&data, addr);
    ok(&cli().args(["support", "list"]).output().unwrap());
    assert!(outbox_rows(dir.path()).is_empty());
    let held = on_server(&url, &id);
    let bodies: Vec<&str> = held.iter().map(|(b, _)| b.as_str()).collect();
    assert_eq!(
        bodies,
        [
            "first",
            "second",
            "offline 1",
            "offline 2",
            "offline 3",
            "offline 4",
            "offline 5"
        ],
        "exactly five, once each, in order"
    );

    // A kill between the server's ack and the outbox delete: the process aborts right after
    // the ack (the test hook), the message is still in the outbox and already on the server.
    let out = cli()
        .env("XWMS_TEST_ABORT_AFTER_ACK", "1")
        .args(["support", "send", &id, "after the ack"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "aborted");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("aborting after the server's ack"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(outbox_rows(dir.path()), ["after the ack"], "not deleted");
    let held = on_server(&url, &id);
    assert_eq!(held.iter().filter(|(b, _)| b == "after the ack").count(), 1);
    // The next run sends it again with the same client id: the server answers with the
    // stored message and stores nothing; the outbox is empty.
    ok(&cli().args(["support", "list"]).output().unwrap());
    assert!(outbox_rows(dir.path()).is_empty());
    let held = on_server(&url, &id);
    assert_eq!(held.len(), 8);
    assert_eq!(held.iter().filter(|(b, _)| b == "after the ack").count(), 1);
    let mut ids: Vec<&str> = held.iter().map(|(_, c)| c.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8, "no client id twice");

    // A message the server refuses for good is shown as failed, with its code.
    let long = "x".repeat(10_001);
    let out = cli()
        .args(["support", "send", &id, &long])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[support.message_too_long]"));

    ok(&cli().args(["logout"]).output().unwrap());
    drop(server);
}
