//! A mail handed to SMTP is never sent again: not after a crash between the hand-off and the
//! "sent" write, and not after a connection that broke off with the outcome unknown. Counted at
//! a real SMTP server on loopback ([`SmtpCatcher`]) and a scripted one.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use xwms_server::accounts::Language;
use xwms_server::mail::outbox::{enqueue, Delivery};
use xwms_server::mail::{
    parse_mailbox, render, MailFacts, MailKind, Outbox, SmtpMailer, DEFAULT_FROM,
};
use xwms_server::store::{Store, StoreError};
use xwms_server::{Clock, ManualClock};
use xwms_testkit::SmtpCatcher;

use crate::support::NOW;

async fn queue(store: &Store, clock: &ManualClock, to: &str) -> i64 {
    let mail = render(
        MailKind::PasswordChanged,
        to,
        Language::En,
        &MailFacts {
            name: "Anna".into(),
            when: "2026-05-06 09:08 CEST".into(),
            ..MailFacts::default()
        },
    );
    let now = clock.now();
    store
        .transaction(move |tx| enqueue(tx, now, &mail))
        .await
        .unwrap()
}

fn smtp(url: &str) -> Arc<SmtpMailer> {
    Arc::new(SmtpMailer::new(url, parse_mailbox(DEFAULT_FROM).unwrap()).unwrap())
}

async fn state_of(store: &Store, id: i64) -> (Option<i64>, Option<i64>, Option<i64>) {
    store
        .call(move |c| {
            c.query_row(
                "SELECT sending_at, sent_at, uncertain_at FROM mail_outbox WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_handed_to_smtp_before_a_crash_is_not_sent_again() {
    let catcher = SmtpCatcher::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(NOW);
    let count = |to: &str| {
        catcher
            .messages()
            .iter()
            .filter(|m| m.rcpt_to.iter().any(|r| r == to))
            .count()
    };

    // First run: two mails queued; the process dies right after SMTP took the first one,
    // before it could write that it was sent.
    let (first, second) = {
        let store = Store::open_in(dir.path()).unwrap();
        let first = queue(&store, &clock, "first@example.com").await;
        let second = queue(&store, &clock, "second@example.com").await;
        let outbox = Outbox::new(store.clone(), Arc::new(clock.clone()), smtp(&catcher.url()))
            .with_failpoint(Box::new(|_| true));
        assert!(matches!(
            outbox.deliver_due().await,
            Err(StoreError::Interrupted)
        ));
        let (sending, sent, _) = state_of(&store, first).await;
        assert!(
            sending.is_some() && sent.is_none(),
            "in flight when it died"
        );
        store.close();
        (first, second)
    };
    assert_eq!(count("first@example.com"), 1);

    // Second run on the same database file.
    clock.advance_secs(60);
    let store = Store::open_in(dir.path()).unwrap();
    let outbox = Arc::new(Outbox::new(
        store.clone(),
        Arc::new(clock.clone()),
        smtp(&catcher.url()),
    ));
    assert_eq!(outbox.recover_interrupted().await.unwrap(), 1);
    let delivery = outbox.deliver_due().await.unwrap();
    assert_eq!(
        (delivery.sent, delivery.failed, delivery.uncertain),
        (1, 0, 0),
        "only the mail that was never handed over"
    );
    clock.advance(time::Duration::hours(3));
    assert_eq!(outbox.deliver_due().await.unwrap(), Delivery::default());
    assert_eq!(outbox.pending().await.unwrap(), 0);

    assert_eq!(count("first@example.com"), 1, "never twice");
    assert_eq!(count("second@example.com"), 1);
    assert_eq!(catcher.messages().len(), 2);
    let (_, sent, uncertain) = state_of(&store, first).await;
    assert!(sent.is_none() && uncertain.is_some(), "kept as uncertain");
    let (_, sent, uncertain) = state_of(&store, second).await;
    assert!(sent.is_some() && uncertain.is_none());
}

/// A scripted SMTP server on loopback: takes each message (counting it) and then, on every
/// connection, answers the end of DATA with `after_data` (`None`: drops the connection without
/// a reply).
fn scripted_smtp(after_data: Option<&'static str>) -> (String, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let received = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&received);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let counter = Arc::clone(&counter);
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let _ = writer.write_all(b"220 scripted ESMTP\r\n");
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-scripted\r\n250 8BITMIME\r\n",
                        "DATA" => b"354 go ahead\r\n",
                        "QUIT" => b"221 bye\r\n",
                        _ => b"250 OK\r\n",
                    };
                    let _ = writer.write_all(reply);
                    if verb == "DATA" {
                        loop {
                            line.clear();
                            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" {
                                break;
                            }
                        }
                        counter.fetch_add(1, Ordering::SeqCst);
                        match after_data {
                            Some(reply) => {
                                let _ = writer.write_all(format!("{reply}\r\n").as_bytes());
                            }
                            None => {
                                let _ = writer.shutdown(std::net::Shutdown::Both);
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_lost_after_the_message_is_not_retried_but_a_refusal_is() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(NOW);
    let store = Store::open_in(dir.path()).unwrap();

    // The server took the whole message, then the connection dropped: maybe delivered.
    let (url, received) = scripted_smtp(None);
    let outbox = Outbox::new(store.clone(), Arc::new(clock.clone()), smtp(&url));
    let id = queue(&store, &clock, "lost@example.com").await;
    let delivery = outbox.deliver_due().await.unwrap();
    assert_eq!((delivery.sent, delivery.uncertain), (0, 1));
    clock.advance(time::Duration::hours(3));
    assert_eq!(outbox.deliver_due().await.unwrap(), Delivery::default());
    assert_eq!(received.load(Ordering::SeqCst), 1, "not handed over twice");
    assert!(state_of(&store, id).await.2.is_some());

    // The server refused it (451): known not taken, so it is tried again later.
    let (url, received) = scripted_smtp(Some("451 try again later"));
    let outbox = Outbox::new(store.clone(), Arc::new(clock.clone()), smtp(&url));
    let id = queue(&store, &clock, "refused@example.com").await;
    let delivery = outbox.deliver_due().await.unwrap();
    assert_eq!((delivery.failed, delivery.uncertain), (1, 0));
    clock.advance(time::Duration::minutes(1));
    assert_eq!(outbox.deliver_due().await.unwrap().failed, 1);
    assert_eq!(
        received.load(Ordering::SeqCst),
        2,
        "retried after a refusal"
    );
    let (sending, sent, uncertain) = state_of(&store, id).await;
    assert_eq!((sending, sent, uncertain), (None, None, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internationalised_domain_is_sent_as_punycode_and_a_non_ascii_local_part_refused() {
    use xwms_testkit::{TestServer, TestServerOptions};
    let catcher = SmtpCatcher::start().unwrap();
    let server = TestServer::start_with(TestServerOptions {
        smtp_url: Some(catcher.url()),
        ..TestServerOptions::default()
    });
    let client = reqwest::Client::new();
    let signup = |email: &'static str| {
        client
            .post(format!("{}/api/auth/signup", server.url()))
            .json(&serde_json::json!({"name": "Jürgen", "email": email, "password": crate::support::PASSWORD}))
            .send()
    };
    assert_eq!(signup("jurgen@bücher.example").await.unwrap().status(), 202);
    let (message, catcher) = tokio::task::spawn_blocking(move || {
        let m = catcher.wait_for(
            "jurgen@xn--bcher-kva.example",
            0,
            std::time::Duration::from_secs(20),
        );
        (m, catcher)
    })
    .await
    .unwrap();
    let message = message.expect("delivered to the punycode address");
    assert_eq!(message.rcpt_to, ["jurgen@xn--bcher-kva.example"]);
    assert_eq!(
        message.header("To").as_deref(),
        Some("jurgen@xn--bcher-kva.example")
    );
    let head = message.data.split("\r\n\r\n").next().unwrap();
    assert!(head.is_ascii(), "{head}");
    assert!(message.code().is_some());

    // A local part that is not ASCII is refused when the address is entered.
    let refused = signup("jürgen@example.com").await.unwrap();
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "email.invalid", "{body}");
    assert_eq!(body["data"]["field"], "email", "{body}");
    assert_eq!(catcher.messages().len(), 1);
}

/// Starts the real executable on `data_dir`, sending mail to `smtp_url`; answers the child and
/// its base URL.
#[cfg(unix)]
fn start_executable(data_dir: &std::path::Path, smtp_url: &str) -> (std::process::Child, String) {
    use std::process::Command;
    let mut command = Command::new(env!("CARGO_BIN_EXE_xwms-server"));
    for var in xwms_server::config::env::ALL_SETTINGS {
        command.env_remove(var);
    }
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(["--smtp-url", smtp_url]);
    crate::support::spawn_listening(&mut command)
}

#[cfg(unix)]
#[test]
fn a_server_killed_while_smtp_holds_the_mail_does_not_send_it_again_after_restart() {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    // An SMTP server that takes the message and then never answers the end of DATA: the
    // executable is killed (SIGKILL) while it waits for the "250 OK".
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let holding_url = format!("smtp://{}", listener.local_addr().unwrap());
    let (took_tx, took_rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let took = took_tx.clone();
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let _ = writer.write_all(b"220 holding ESMTP\r\n");
                let (mut line, mut rcpt) = (String::new(), String::new());
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    if verb == "RCPT" {
                        rcpt = line.trim_end().to_owned();
                    }
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-holding\r\n250 8BITMIME\r\n",
                        "DATA" => b"354 go ahead\r\n",
                        _ => b"250 OK\r\n",
                    };
                    let _ = writer.write_all(reply);
                    if verb == "DATA" {
                        while reader.read_line(&mut line).unwrap_or(0) > 0
                            && !line.ends_with("\r\n.\r\n")
                        {}
                        let _ = took.send(std::mem::take(&mut rcpt));
                        // Hold the connection, never answering.
                        let mut rest = String::new();
                        while reader.read_line(&mut rest).unwrap_or(0) > 0 {}
                        return;
                    }
                }
            });
        }
    });

    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sign_up = |base: &str, email: &str| {
        let status = runtime.block_on(async {
            reqwest::Client::new()
                .post(format!("{base}/api/auth/signup"))
                .json(&serde_json::json!({"name": "Kim", "email": email, "password": crate::support::PASSWORD}))
                .send()
                .await
                .unwrap()
                .status()
        });
        assert_eq!(status, 202);
    };

    // First life: the verification mail is handed over, then the process is killed.
    let (mut child, base) = start_executable(dir.path(), &holding_url);
    sign_up(&base, "first@example.com");
    let rcpt = took_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the SMTP server took the message");
    assert!(rcpt.contains("first@example.com"), "{rcpt}");
    child.kill().unwrap();
    child.wait().unwrap();
    let db = rusqlite::Connection::open(xwms_testkit::database_path(dir.path())).unwrap();
    let row = |email: &str| -> (Option<i64>, Option<i64>, Option<i64>) {
        db.query_row(
            "SELECT sending_at, sent_at, uncertain_at FROM mail_outbox WHERE recipient = ?1",
            [email],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    let (sending, sent, uncertain) = row("first@example.com");
    assert!(
        sending.is_some() && sent.is_none() && uncertain.is_none(),
        "killed between the hand-off and the sent write"
    );

    // Second life, same data folder, a normal SMTP server.
    let catcher = SmtpCatcher::start().unwrap();
    let (mut child, base) = start_executable(dir.path(), &catcher.url());
    sign_up(&base, "second@example.com");
    let second = catcher.wait_for("second@example.com", 0, Duration::from_secs(30));
    let deadline = Instant::now() + Duration::from_secs(10);
    while row("first@example.com").2.is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(second.is_some(), "the new mail is sent after the restart");
    assert!(
        catcher
            .messages()
            .iter()
            .all(|m| m.rcpt_to != ["first@example.com"]),
        "the mail handed over before the crash was sent again"
    );
    assert_eq!(catcher.messages().len(), 1);
    let (_, sent, uncertain) = row("first@example.com");
    assert!(sent.is_none() && uncertain.is_some(), "marked uncertain");
    assert!(
        took_rx.try_recv().is_err(),
        "nothing more reached the first SMTP server"
    );
}
