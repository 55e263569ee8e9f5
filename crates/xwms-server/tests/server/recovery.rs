//! "Recover account": requests for support, the same answer for every address.

use axum::http::Method;
use serde_json::{json, Value};
use xwms_api::auth::paths;
use xwms_api::ErrorCode;
use xwms_server::accounts::events;
use xwms_server::mail::MailKind;

use crate::support::{harness, Harness, PASSWORD};

fn request(email: &str) -> Value {
    json!({
        "email": email,
        "name": "Anna de Vries",
        "contact_email": "anna.private@example.org",
        "lost": ["second_factor", "password", "password"],
        "details": "Account made in 2024.\nLast sign-in from Utrecht.",
    })
}

async fn file(h: &Harness, body: Value) -> crate::support::Answer {
    h.post(paths::RECOVERY_REQUEST, body).await
}

#[tokio::test]
async fn a_request_is_stored_acknowledged_and_noticed_by_the_account() {
    let h = harness();
    let tokens = h.signed_in("anna@example.com").await;
    let answer = h
        .call(
            Method::POST,
            paths::RECOVERY_REQUEST,
            Some(request("Anna@example.com")),
        )
        .header("accept-language", "nl")
        .peer("192.0.2.44")
        .send()
        .await;
    answer.ok(202);
    assert_eq!(answer.data()["answer_within_days"], 2);
    let reference = answer.data()["reference"].as_str().unwrap().to_owned();
    assert!(
        reference.starts_with("REC-") && reference.len() == 10,
        "{reference}"
    );
    assert!(reference[4..]
        .chars()
        .all(|c| "23456789ABCDEFGHJKMNPQRSTUVWXYZ".contains(c)));

    let ack = h
        .last_mail(
            "anna.private@example.org",
            MailKind::RecoveryAcknowledgement,
        )
        .await
        .unwrap();
    assert!(
        ack.subject.contains(&reference) && ack.language == "nl",
        "{}",
        ack.subject
    );
    assert!(ack.text.contains("2 werkdagen"), "{}", ack.text);
    let notice = h
        .mailbox
        .last("anna@example.com", MailKind::RecoveryNotice)
        .unwrap();
    assert!(notice.text.contains(&reference));

    let r = reference.clone();
    let row: (String, Option<String>, String, String, String, String, String) = h
        .query(move |c| {
            c.query_row(
                "SELECT email, user_id, contact_email, lost, details, status, ip FROM recovery_requests WHERE reference = ?1",
                [r],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?)),
            )
        })
        .await;
    assert_eq!(row.0, "Anna@example.com");
    assert_eq!(row.1.as_deref(), Some(tokens.user.sub.as_str()));
    assert_eq!(row.2, "anna.private@example.org");
    assert_eq!(row.3, r#"["password","second_factor"]"#);
    assert!(row.4.contains("Utrecht"));
    assert_eq!((row.5.as_str(), row.6.as_str()), ("open", "192.0.2.44"));
    let id = tokens.user.sub.clone();
    let kinds: Vec<String> = h
        .query(move |c| events::list(c, &id))
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"recovery_requested".to_owned()));
}

#[tokio::test]
async fn the_answer_is_the_same_whether_or_not_the_account_exists() {
    let h = harness();
    h.verified_user("anna@example.com", PASSWORD).await;
    let known = file(&h, request("anna@example.com")).await;
    let unknown = file(&h, request("nobody@example.com")).await;
    known.ok(202);
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.body["message"], unknown.body["message"]);
    assert_eq!(
        known.data().as_object().unwrap().keys().collect::<Vec<_>>(),
        unknown
            .data()
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>()
    );
    assert_ne!(known.data()["reference"], unknown.data()["reference"]);
    h.deliver().await;
    assert!(h
        .mailbox
        .last("nobody@example.com", MailKind::RecoveryNotice)
        .is_none());
    assert_eq!(
        h.mailbox.to("anna.private@example.org").len(),
        2,
        "both acknowledged"
    );
}

#[tokio::test]
async fn bad_requests_name_the_field_and_store_nothing() {
    let h = harness();
    let with = |key: &str, value: Value| {
        let mut body = request("anna@example.com");
        body[key] = value;
        body
    };
    #[rustfmt::skip]
    let table: Vec<(Value, ErrorCode, &str)> = vec![
        (with("email", json!("nope")),                    ErrorCode::EmailInvalid,  "email"),
        (with("contact_email", json!("a@b")),             ErrorCode::EmailInvalid,  "contact_email"),
        (with("name", json!("")),                         ErrorCode::FieldRequired, "name"),
        (with("lost", json!([])),                         ErrorCode::FieldRequired, "lost"),
        (with("lost", json!(["password", "soul"])),       ErrorCode::FieldInvalid,  "lost"),
        (with("details", json!("x".repeat(4001))),        ErrorCode::FieldTooLong,  "details"),
        (with("details", json!("bell\u{0007}")),          ErrorCode::FieldInvalid,  "details"),
        (with("lost", json!("password")),                 ErrorCode::InvalidRequest, "lost"),
    ];
    for (body, code, field) in table {
        file(&h, body).await.err_field(code, field);
    }
    let rows: i64 = h
        .query(|c| c.query_row("SELECT count(*) FROM recovery_requests", [], |r| r.get(0)))
        .await;
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn five_requests_an_hour_per_address() {
    let h = harness();
    for _ in 0..5 {
        file(&h, request("anna@example.com")).await.ok(202);
        h.advance(60);
    }
    let limited = file(&h, request("anna@example.com")).await;
    limited.err(ErrorCode::RateLimited);
    assert_eq!(limited.retry_after(), Some(3600 - 300));
    h.advance(3600 - 300);
    file(&h, request("anna@example.com")).await.ok(202);
}
