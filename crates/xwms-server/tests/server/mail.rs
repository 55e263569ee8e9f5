//! Mail on real parts: the real server sends through lettre's SMTP transport to a real SMTP
//! server on loopback, and without SMTP writes `.eml` files to `<data-dir>/outbox`.

use std::time::Duration;

use serde_json::json;
use xwms_server::config::Settings;
use xwms_server::server::{Server, OUTBOX_DIR};
use xwms_server::FixedClock;
use xwms_testkit::{SmtpCatcher, TestServer, TestServerOptions};

use crate::support::{device, PASSWORD};

async fn post(url: &str, path: &str, body: serde_json::Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{url}{path}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_over_real_smtp_and_verify_with_the_received_code() {
    let smtp = SmtpCatcher::start().unwrap();
    let server = TestServer::start_with(TestServerOptions {
        smtp_url: Some(smtp.url()),
        ..TestServerOptions::default()
    });
    let url = server.url();
    let answer = post(
        &url,
        "/api/auth/signup",
        json!({"name": "Sanne Bakker", "email": "sanne@example.com", "password": PASSWORD, "language": "nl"}),
    )
    .await;
    assert_eq!(answer.status(), 202);
    let sent: serde_json::Value = answer.json().await.unwrap();
    let challenge = sent["data"]["challenge_id"].as_str().unwrap().to_owned();

    let message = tokio::task::spawn_blocking(move || {
        let m = smtp.wait_for("sanne@example.com", 0, Duration::from_secs(20));
        (m, smtp)
    })
    .await
    .unwrap();
    let (message, _smtp) = message;
    let message = message.expect("the SMTP server received the verification mail");
    assert_eq!(message.mail_from, "no-reply@xwms.localhost");
    assert_eq!(message.rcpt_to, ["sanne@example.com"]);
    assert_eq!(
        message.header("From").as_deref(),
        Some("XWMS <no-reply@xwms.localhost>")
    );
    assert!(message
        .header("Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));
    let text = message.text().unwrap();
    assert!(text.starts_with("Hallo Sanne Bakker,"), "{text}");
    assert!(text.contains("5 minuten geldig"), "{text}");
    let html = message.part("text/html").unwrap();
    assert!(html.contains("<html lang=\"nl\">"), "{html}");
    let code = message.code().expect("a 6-digit code in the text part");
    assert!(html.contains(&code));

    let verified = post(
        &url,
        "/api/auth/verify-email",
        json!({"email": "sanne@example.com", "code": code, "challenge_id": challenge}),
    )
    .await;
    assert_eq!(verified.status(), 200);
    let signed_in = post(
        &url,
        "/api/auth/signin",
        json!({"email": "sanne@example.com", "password": PASSWORD, "device": device("smtp-test")}),
    )
    .await;
    assert_eq!(signed_in.status(), 200);
    let body: serde_json::Value = signed_in.json().await.unwrap();
    assert_eq!(body["data"]["user"]["language"], "nl");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_process_test_server_has_demo_accounts_and_a_readable_mailbox() {
    let server = TestServer::start();
    let url = server.url();
    let signed_in = post(
        &url,
        "/api/auth/signin",
        json!({"email": "anna@example.com", "password": "XwmsDemo2026", "device": device("t")}),
    )
    .await;
    assert_eq!(signed_in.status(), 200);
    let body: serde_json::Value = signed_in.json().await.unwrap();
    assert_eq!(body["data"]["user"]["name"], "Anna de Vries");
    assert_eq!(body["data"]["user"]["timezone"], "Europe/Amsterdam");
    assert_eq!(body["data"]["user"]["language"], "nl");
    let agent = post(
        &url,
        "/api/auth/signin",
        json!({"email": "support@xwms.example", "password": "XwmsAgent2026", "device": device("t")}),
    )
    .await;
    let body: serde_json::Value = agent.json().await.unwrap();
    assert_eq!(body["data"]["user"]["is_agent"], true);

    let since = server.mailbox().count();
    let forgot = post(
        &url,
        "/api/auth/password/forgot",
        json!({"email": "anna@example.com"}),
    )
    .await;
    assert_eq!(forgot.status(), 202);
    let sent: serde_json::Value = forgot.json().await.unwrap();
    let challenge = sent["data"]["challenge_id"].as_str().unwrap().to_owned();
    let mailbox = server.mailbox().clone();
    let code = tokio::task::spawn_blocking(move || {
        mailbox
            .wait_for(
                "anna@example.com",
                xwms_server::mail::MailKind::ResetCode,
                since,
                Duration::from_secs(10),
            )
            .and_then(|m| m.code())
    })
    .await
    .unwrap()
    .expect("the background sender delivered the reset code");
    let reset = post(
        &url,
        "/api/auth/password/reset",
        json!({"email": "anna@example.com", "code": code, "challenge_id": challenge, "new_password": "Fresh-Tulips-2026"}),
    )
    .await;
    assert_eq!(reset.status(), 200);
    server.stop();
}

#[tokio::test]
async fn without_smtp_mail_is_written_to_the_outbox_folder() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("data"),
        demo: false,
        name: "Outbox XWMS".into(),
        timezone: "UTC".into(),
        locale: "en".into(),
    };
    let server = Server::bind(
        &settings,
        std::sync::Arc::new(FixedClock(crate::support::NOW)),
    )
    .await
    .unwrap();
    let url = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(async {
        let _ = stopped.await;
    }));
    // The production hash cost: one sign-up is enough.
    let answer = post(
        &url,
        "/api/auth/signup",
        json!({"name": "Piet", "email": "piet@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(answer.status(), 202);
    let outbox = dir.path().join("data").join(OUTBOX_DIR);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let file = loop {
        let found = std::fs::read_dir(&outbox)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with("-verify_email.eml"));
        if let Some(file) = found {
            break file;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no .eml file in {}",
            outbox.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("To: piet@example.com"), "{text}");
    assert!(
        text.contains("Subject: Your XWMS verification code"),
        "{text}"
    );
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
}
