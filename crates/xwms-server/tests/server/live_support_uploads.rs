//! Live support: files attached to the first message of a new conversation. They are uploaded
//! before the conversation exists (`POST /api/support/attachments`), owned by the account and
//! bound to nothing, and the start binds them to its first message, exactly once.

use std::sync::Arc;

use axum::http::Method;
use serde_json::{json, Value};
use xwms_api::support::{
    paths, ATTACHMENTS_PER_MESSAGE, ATTACHMENT_MAX_BYTES, UPLOADS_PENDING_MAX,
    UPLOADS_PENDING_MAX_BYTES, UPLOAD_KEEP_HOURS,
};
use xwms_api::ErrorCode;

use crate::support::{harness, Answer, Harness, PASSWORD};

const CONVERSATIONS: &str = "/api/support/conversations";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const PDF: &[u8] = b"%PDF-1.7 the report";

fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

fn start_with(client_id: u32, ids: &[&str]) -> Value {
    json!({
        "topic": "question",
        "subject": "The app shows an error",
        "message": {
            "client_msg_id": uuid(client_id),
            "body": "Here is the screenshot of the error.",
            "attachment_ids": ids,
        },
    })
}

async fn upload(h: &Harness, token: &str, name: &str, bytes: &[u8]) -> Answer {
    h.call(
        Method::POST,
        &format!("{}?name={name}", paths::UPLOADS),
        None,
    )
    .token(token)
    .header("content-type", "application/octet-stream")
    .raw(bytes.to_vec())
    .send()
    .await
}

async fn uploaded(h: &Harness, token: &str, name: &str, bytes: &[u8]) -> String {
    let answer = upload(h, token, name, bytes).await;
    answer.ok(200);
    answer.data()["id"].as_str().unwrap().to_owned()
}

async fn account(h: &Harness, email: &str) -> String {
    h.signed_in(email).await.access_token.expose().to_owned()
}

async fn agent(h: &Harness) -> String {
    h.verified_user("agent@example.com", PASSWORD).await;
    h.query(|c| {
        c.execute(
            "UPDATE users SET role = 'agent' WHERE email_key = 'agent@example.com'",
            [],
        )
    })
    .await;
    h.sign_in("agent@example.com", PASSWORD)
        .await
        .access_token
        .expose()
        .to_owned()
}

async fn count(h: &Harness, sql: &'static str) -> i64 {
    h.query(move |c| c.query_row(sql, [], |r| r.get(0))).await
}

fn attachment_ids(message: &Value) -> Vec<String> {
    let mut ids: Vec<String> = message["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn uploads_become_the_first_messages_attachments_served_to_its_participants() {
    let h = harness();
    let person = account(&h, "person@example.com").await;
    let agent = agent(&h).await;
    let shot = upload(&h, &person, "C:\\Users\\me\\error.png", PNG).await;
    shot.ok(200);
    assert_eq!(shot.data()["file_name"], "error.png");
    assert_eq!(shot.data()["content_type"], "image/png");
    assert_eq!(shot.data()["size_bytes"], PNG.len() as u64);
    let shot = shot.data()["id"].as_str().unwrap().to_owned();
    let report = uploaded(&h, &person, "report.pdf", PDF).await;

    let started = h
        .post_auth(CONVERSATIONS, &person, start_with(1, &[&shot, &report]))
        .await;
    started.ok(200);
    let id = started.data()["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = &started.data()["messages"][0];
    let mut expected = vec![shot.clone(), report.clone()];
    expected.sort();
    assert_eq!(attachment_ids(first), expected);
    assert_eq!(
        count(&h, "SELECT count(*) FROM support_uploads").await,
        0,
        "bound, so no longer waiting"
    );

    // Served to the person and to the agent, always as a download; the same on a fresh read.
    let path = format!("{CONVERSATIONS}/{id}/attachments/{shot}");
    for token in [&person, &agent] {
        let file = h.get_auth(&path, token).await;
        assert_eq!(file.status, 200);
        assert_eq!(file.bytes, PNG);
        assert_eq!(file.headers["content-type"], "image/png");
        assert!(file.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"error.png\""));
    }
    let read = h.get_auth(&format!("{CONVERSATIONS}/{id}"), &agent).await;
    assert_eq!(attachment_ids(&read.data()["messages"][0]), expected);

    // Another account: neither the conversation nor its files exist.
    let stranger = account(&h, "stranger@example.com").await;
    h.get_auth(&path, &stranger)
        .await
        .err(ErrorCode::ConversationNotFound);

    // Once bound, an upload cannot be bound again, not even by its owner.
    h.post_auth(CONVERSATIONS, &person, start_with(2, &[&shot]))
        .await
        .err_field(ErrorCode::AttachmentNotFound, "attachment_ids");
}

#[tokio::test]
async fn another_account_can_neither_bind_nor_read_an_upload() {
    let h = harness();
    let person = account(&h, "person@example.com").await;
    let stranger = account(&h, "stranger@example.com").await;
    let shot = uploaded(&h, &person, "error.png", PNG).await;

    h.post_auth(CONVERSATIONS, &stranger, start_with(1, &[&shot]))
        .await
        .err_field(ErrorCode::AttachmentNotFound, "attachment_ids");
    // The refused start left nothing behind: no conversation, the upload still the person's.
    assert_eq!(
        count(&h, "SELECT count(*) FROM support_conversations").await,
        0
    );
    // Nor can a reply name it (in the stranger's own conversation, or the person's).
    let own = h
        .post_auth(CONVERSATIONS, &stranger, start_with(2, &[]))
        .await;
    own.ok(200);
    let own_id = own.data()["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.post_auth(
        &format!("{CONVERSATIONS}/{own_id}/messages"),
        &stranger,
        json!({"client_msg_id": uuid(3), "body": "", "attachment_ids": [shot]}),
    )
    .await
    .err(ErrorCode::AttachmentNotFound);

    // A start that names a good upload and a bad id is refused whole, and rolls back: the good
    // upload stays waiting and binds on the next start.
    h.post_auth(CONVERSATIONS, &person, start_with(4, &[&shot, "nope"]))
        .await
        .err(ErrorCode::AttachmentNotFound);
    assert_eq!(count(&h, "SELECT count(*) FROM support_uploads").await, 1);
    assert_eq!(
        count(&h, "SELECT count(*) FROM support_attachments").await,
        0
    );
    let started = h
        .post_auth(CONVERSATIONS, &person, start_with(5, &[&shot]))
        .await;
    started.ok(200);
    assert_eq!(attachment_ids(&started.data()["messages"][0]), vec![shot]);
}

#[tokio::test]
async fn fifty_parallel_identical_starts_open_one_conversation_and_bind_once() {
    let h = harness();
    let person = account(&h, "person@example.com").await;
    let mut ids = vec![];
    for n in 0..3 {
        ids.push(uploaded(&h, &person, &format!("shot-{n}.png"), PNG).await);
    }
    let body = start_with(7, &ids.iter().map(String::as_str).collect::<Vec<_>>());
    let h = Arc::new(h);
    let mut tasks = vec![];
    for _ in 0..50 {
        let (h, person, body) = (Arc::clone(&h), person.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let answer = h.post_auth(CONVERSATIONS, &person, body).await;
            answer.ok(200);
            (
                answer.data()["conversation"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                answer.data()["messages"][0].clone(),
            )
        }));
    }
    let mut expected = ids.clone();
    expected.sort();
    let mut conversations = vec![];
    for task in tasks {
        let (id, first) = task.await.unwrap();
        assert_eq!(
            attachment_ids(&first),
            expected,
            "every answer: the same files"
        );
        conversations.push(id);
    }
    conversations.dedup();
    assert_eq!(
        conversations.len(),
        1,
        "every answer names one conversation"
    );
    assert_eq!(
        count(&h, "SELECT count(*) FROM support_conversations").await,
        1
    );
    assert_eq!(
        count(&h, "SELECT count(*) FROM support_attachments").await,
        3
    );
    assert_eq!(
        count(
            &h,
            "SELECT count(DISTINCT message_id) FROM support_attachments WHERE message_id IS NOT NULL"
        )
        .await,
        1,
        "all three on the one first message"
    );
    assert_eq!(count(&h, "SELECT count(*) FROM support_uploads").await, 0);

    // The same start once more, now naming a new upload: the stored conversation, unchanged;
    // the new upload is not taken.
    let later = uploaded(&h, &person, "later.png", PNG).await;
    let again = h
        .post_auth(CONVERSATIONS, &person, start_with(7, &[&later]))
        .await;
    again.ok(200);
    assert_eq!(
        again.data()["conversation"]["id"].as_str(),
        Some(conversations[0].as_str())
    );
    assert_eq!(attachment_ids(&again.data()["messages"][0]), expected);
    assert_eq!(count(&h, "SELECT count(*) FROM support_uploads").await, 1);
}

#[tokio::test]
async fn uploads_are_checked_by_content_and_size_and_limited_per_account() {
    let h = harness();
    let person = account(&h, "person@example.com").await;
    // The type comes from the bytes, not the name.
    upload(&h, &person, "shot.png", b"hello, not a picture")
        .await
        .err(ErrorCode::AttachmentType);
    let mut big = PNG.to_vec();
    big.resize(ATTACHMENT_MAX_BYTES + 1, 0);
    upload(&h, &person, "big.png", &big)
        .await
        .err(ErrorCode::AttachmentTooLarge);
    // Too many files on one first message (each one a real upload).
    let mut six = vec![];
    for n in 0..=ATTACHMENTS_PER_MESSAGE {
        six.push(uploaded(&h, &person, &format!("s{n}.png"), PNG).await);
    }
    h.post_auth(
        CONVERSATIONS,
        &person,
        start_with(1, &six.iter().map(String::as_str).collect::<Vec<_>>()),
    )
    .await
    .err_field(ErrorCode::FieldInvalid, "attachment_ids");

    // Hundreds of parallel uploads: exactly the files an account may keep waiting are stored.
    let h = Arc::new(h);
    let mut tasks = vec![];
    for n in 0..200 {
        let (h, person) = (Arc::clone(&h), person.clone());
        tasks.push(tokio::spawn(async move {
            upload(&h, &person, &format!("burst-{n}.png"), PNG).await
        }));
    }
    let (mut stored, mut full) = (six.len(), 0);
    for task in tasks {
        let answer = task.await.unwrap();
        match answer.status.as_u16() {
            200 => stored += 1,
            409 => {
                answer.err(ErrorCode::UploadsFull);
                full += 1;
            }
            other => panic!("{other}: {}", answer.body),
        }
    }
    assert_eq!(stored, UPLOADS_PENDING_MAX);
    assert_eq!(full, 200 - (UPLOADS_PENDING_MAX - six.len()));
    assert_eq!(
        count(&h, "SELECT count(*) FROM support_uploads").await,
        UPLOADS_PENDING_MAX as i64
    );
    // Starting a conversation with some of them makes room again.
    h.post_auth(
        CONVERSATIONS,
        &person,
        start_with(2, &six[..5].iter().map(String::as_str).collect::<Vec<_>>()),
    )
    .await
    .ok(200);
    uploaded(&h, &person, "room.png", PNG).await;

    // Another account has its own allowance; its bytes are limited too.
    let other = account(&h, "other@example.com").await;
    let mut max = PNG.to_vec();
    max.resize(ATTACHMENT_MAX_BYTES, 7);
    let fits = UPLOADS_PENDING_MAX_BYTES / ATTACHMENT_MAX_BYTES;
    assert!(
        fits < UPLOADS_PENDING_MAX,
        "the bytes limit is reached first"
    );
    for n in 0..fits {
        uploaded(&h, &other, &format!("max-{n}.png"), &max).await;
    }
    upload(&h, &other, "one-more.png", PNG)
        .await
        .err(ErrorCode::UploadsFull);
}

#[tokio::test]
async fn unbound_uploads_expire_after_a_day_and_are_pruned() {
    let h = harness();
    let person = account(&h, "person@example.com").await;
    let old = uploaded(&h, &person, "old.png", PNG).await;
    h.advance(i64::from(UPLOAD_KEEP_HOURS - 1) * 3600);
    let person = h
        .sign_in("person@example.com", PASSWORD)
        .await
        .access_token
        .expose()
        .to_owned();
    let fresh = uploaded(&h, &person, "fresh.png", PNG).await;
    h.advance(2 * 3600);
    let person = h
        .sign_in("person@example.com", PASSWORD)
        .await
        .access_token
        .expose()
        .to_owned();
    // More than a day old: no longer bindable, even before the pruning job ran.
    h.post_auth(CONVERSATIONS, &person, start_with(1, &[&old]))
        .await
        .err(ErrorCode::AttachmentNotFound);
    let now = {
        use xwms_server::Clock;
        h.clock.now()
    };
    let pruned = h
        .query(move |c| xwms_server::accounts::support_prune_uploads(c, now))
        .await;
    assert_eq!(pruned, 1, "only the upload older than a day");
    let left: Vec<String> = h
        .query(|c| {
            c.prepare("SELECT id FROM support_uploads")?
                .query_map([], |r| r.get(0))?
                .collect()
        })
        .await;
    assert_eq!(left, vec![fresh.clone()]);
    let started = h
        .post_auth(CONVERSATIONS, &person, start_with(2, &[&fresh]))
        .await;
    started.ok(200);
    assert_eq!(attachment_ids(&started.data()["messages"][0]), vec![fresh]);
}
