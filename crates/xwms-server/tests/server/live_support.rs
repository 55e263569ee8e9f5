//! Live support (issue 11): conversations, exactly-once messages, status rules, the event log
//! replayed over a real WebSocket, typing, limits and who may see what.

use std::sync::Arc;

use axum::http::Method;
use serde_json::{json, Value};
use xwms_api::security::RealtimeEvent;
use xwms_api::support::{
    SupportChangeKind, ATTACHMENT_MAX_BYTES, MESSAGE_MAX_CHARS, SUBJECT_MAX_CHARS,
};
use xwms_api::ErrorCode;
use xwms_testkit::{TestServer, TestServerOptions, AGENT, ANNA};

use crate::realtime::{next, Frame, Socket};
use crate::support::{harness, Harness, PASSWORD};

const CONVERSATIONS: &str = "/api/support/conversations";

fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

fn new_conversation(client_id: u32, text: &str) -> Value {
    json!({
        "topic": "question",
        "subject": "Cannot change my address",
        "message": {"client_msg_id": uuid(client_id), "body": text},
    })
}

fn draft(client_id: u32, text: &str) -> Value {
    json!({"client_msg_id": uuid(client_id), "body": text})
}

/// A signed-in person and a signed-in agent on one harness.
async fn person_and_agent(h: &Harness) -> (String, String) {
    let person = h.signed_in("person@example.com").await.access_token;
    h.verified_user("agent@example.com", PASSWORD).await;
    h.query(|c| {
        c.execute(
            "UPDATE users SET role = 'agent' WHERE email_key = 'agent@example.com'",
            [],
        )
    })
    .await;
    let agent = h.sign_in("agent@example.com", PASSWORD).await.access_token;
    (person.expose().to_owned(), agent.expose().to_owned())
}

async fn start(h: &Harness, token: &str) -> String {
    let answer = h
        .post_auth(
            CONVERSATIONS,
            token,
            new_conversation(1, "Hello, I need help"),
        )
        .await;
    answer.ok(200);
    answer.data()["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn messages_path(id: &str) -> String {
    format!("{CONVERSATIONS}/{id}/messages")
}

#[tokio::test]
async fn two_hundred_parallel_identical_sends_store_one_message_also_after_a_restart() {
    let h = harness();
    let (person, _) = person_and_agent(&h).await;
    let id = start(&h, &person).await;
    let h = Arc::new(h);
    let mut tasks = vec![];
    for _ in 0..200 {
        let (h, person, id) = (Arc::clone(&h), person.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            let answer = h
                .post_auth(&messages_path(&id), &person, draft(7, "Are you there?"))
                .await;
            answer.ok(200);
            (
                answer.data()["id"].as_str().unwrap().to_owned(),
                answer.data()["seq"].as_i64().unwrap(),
            )
        }));
    }
    let mut answers = vec![];
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "every answer names the same message");
    let rows: i64 = h
        .query(|c| {
            c.query_row(
                "SELECT count(*) FROM support_messages WHERE body = 'Are you there?'",
                [],
                |r| r.get(0),
            )
        })
        .await;
    assert_eq!(rows, 1);
    let events: i64 = h
        .query(|c| c.query_row("SELECT count(*) FROM support_events", [], |r| r.get(0)))
        .await;
    assert_eq!(events, 2, "the first message and this one");

    // A restart on the same file: the repeat still answers the stored message.
    let h = Arc::into_inner(h).unwrap().reopen();
    let person = h
        .sign_in("person@example.com", PASSWORD)
        .await
        .access_token
        .expose()
        .to_owned();
    let again = h
        .post_auth(&messages_path(&id), &person, draft(7, "Are you there?"))
        .await;
    again.ok(200);
    assert_eq!(
        (
            again.data()["id"].as_str().unwrap(),
            again.data()["seq"].as_i64().unwrap()
        ),
        (answers[0].0.as_str(), answers[0].1)
    );
    // Creating the conversation again with its first message's client id creates nothing.
    let created = h
        .post_auth(
            CONVERSATIONS,
            &person,
            new_conversation(1, "Hello, I need help"),
        )
        .await;
    created.ok(200);
    assert_eq!(created.data()["conversation"]["id"], id.as_str());
    let list = h.get_auth(CONVERSATIONS, &person).await;
    assert_eq!(list.data()["conversations"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn someone_elses_conversation_does_not_exist_for_them() {
    let h = harness();
    let (person, agent) = person_and_agent(&h).await;
    let id = start(&h, &person).await;
    let stranger = h
        .signed_in("stranger@example.com")
        .await
        .access_token
        .expose()
        .to_owned();
    let base = format!("{CONVERSATIONS}/{id}");
    h.get_auth(&base, &stranger)
        .await
        .err(ErrorCode::ConversationNotFound);
    h.post_auth(&messages_path(&id), &stranger, draft(9, "hi"))
        .await
        .err(ErrorCode::ConversationNotFound);
    for action in ["read", "close", "typing"] {
        h.post_auth(
            &format!("{base}/{action}"),
            &stranger,
            json!({"last_read_seq": 1}),
        )
        .await
        .err(ErrorCode::ConversationNotFound);
    }
    h.post_auth(&format!("{base}/rating"), &stranger, json!({"rating": 5}))
        .await
        .err(ErrorCode::ConversationNotFound);
    let theirs = h.get_auth(CONVERSATIONS, &stranger).await;
    assert_eq!(theirs.data()["conversations"], json!([]));
    // The agent sees it, in the same route and in the agent list; the person gets 403 there.
    h.get_auth(&base, &agent).await.ok(200);
    let all = h.get_auth("/api/agent/conversations", &agent).await;
    assert_eq!(all.data()["conversations"][0]["id"], id.as_str());
    h.get_auth("/api/agent/conversations", &person)
        .await
        .err(ErrorCode::NotAgent);
}

#[tokio::test]
async fn limits_and_their_codes() {
    let h = harness();
    let (person, _) = person_and_agent(&h).await;
    let id = start(&h, &person).await;
    let path = messages_path(&id);
    h.post_auth(
        &path,
        &person,
        json!({"client_msg_id": "not-a-uuid", "body": "x"}),
    )
    .await
    .err_field(ErrorCode::FieldInvalid, "client_msg_id");
    h.post_auth(&path, &person, draft(2, &"a".repeat(MESSAGE_MAX_CHARS + 1)))
        .await
        .err(ErrorCode::MessageTooLong);
    h.post_auth(&path, &person, draft(2, &"a".repeat(MESSAGE_MAX_CHARS)))
        .await
        .ok(200);
    h.post_auth(&path, &person, draft(3, "   "))
        .await
        .err(ErrorCode::MessageEmpty);
    let mut long_subject = new_conversation(4, "hi");
    long_subject["subject"] = json!("s".repeat(SUBJECT_MAX_CHARS + 1));
    h.post_auth(CONVERSATIONS, &person, long_subject)
        .await
        .err_field(ErrorCode::FieldTooLong, "subject");
    h.post_auth(
        &path,
        &person,
        json!({"client_msg_id": uuid(5), "body": "", "attachment_ids": ["nope"]}),
    )
    .await
    .err(ErrorCode::AttachmentNotFound);

    // The per-account rate: the window fills (2 sent so far), then 429; a repeat of a stored
    // client id still answers the stored message.
    let max = xwms_server::accounts::policy::SUPPORT
        .messages_per_account
        .max;
    for n in 2..max {
        h.post_auth(&path, &person, draft(100 + n, "more"))
            .await
            .ok(200);
    }
    let refused = h
        .post_auth(&path, &person, draft(99_999, "one too many"))
        .await;
    refused.err(ErrorCode::MessageRateLimited);
    assert!(refused.retry_after().is_some());
    h.post_auth(&path, &person, draft(102, "more"))
        .await
        .ok(200);
    let stored: i64 = h
        .query(|c| {
            c.query_row(
                "SELECT count(*) FROM support_messages WHERE body = 'one too many'",
                [],
                |r| r.get(0),
            )
        })
        .await;
    assert_eq!(stored, 0, "a refused message is not stored");
}

#[tokio::test]
async fn status_follows_the_replies_and_a_reply_reopens_within_seven_days() {
    let h = harness();
    let (person, agent) = person_and_agent(&h).await;
    let id = start(&h, &person).await;
    let base = format!("{CONVERSATIONS}/{id}");
    let status = |a: &crate::support::Answer| a.data()["conversation"]["status"].clone();
    assert_eq!(status(&h.get_auth(&base, &person).await), "new");

    h.post_auth(&messages_path(&id), &agent, draft(50, "Happy to help"))
        .await
        .ok(200);
    let detail = h.get_auth(&base, &person).await;
    assert_eq!(status(&detail), "waiting_for_you");
    assert_eq!(detail.data()["conversation"]["agent_name"], "Test");
    assert_eq!(detail.data()["conversation"]["unread"], 1);
    let kinds: Vec<&str> = detail.data()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["text", "agent_joined", "text"]);
    let seqs: Vec<i64> = detail.data()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // ?after=SEQ gives only what came later.
    let later = h
        .get_auth(&format!("{base}?after={}", seqs[1]), &person)
        .await;
    assert_eq!(later.data()["messages"].as_array().unwrap().len(), 1);

    // Read marker: unread drops to 0; the agent sees "Seen".
    let last = detail.data()["conversation"]["last_seq"].as_i64().unwrap();
    h.post_auth(
        &format!("{base}/read"),
        &person,
        json!({"last_read_seq": last}),
    )
    .await
    .ok(200);
    let detail = h.get_auth(&base, &person).await;
    assert_eq!(detail.data()["conversation"]["unread"], 0);
    let seen = h.get_auth(&base, &agent).await;
    assert_eq!(seen.data()["conversation"]["other_last_read_seq"], last);
    // Read events are not messages: a marker up to the newest seq (a read event) moves nothing
    // and logs nothing, so two open windows never answer each other's read events for ever.
    let now_last = |d: &serde_json::Value| d["conversation"]["last_seq"].as_i64().unwrap();
    let read_event_seq = now_last(h.get_auth(&base, &person).await.data());
    assert!(read_event_seq > last, "the read marker is an event");
    for who in [&agent, &person, &agent] {
        h.post_auth(
            &format!("{base}/read"),
            who,
            json!({"last_read_seq": read_event_seq}),
        )
        .await
        .ok(200);
    }
    assert_eq!(
        now_last(h.get_auth(&base, &person).await.data()),
        read_event_seq,
        "a read marker past the newest message wrote an event"
    );

    h.post_auth(&messages_path(&id), &person, draft(51, "Thanks"))
        .await
        .ok(200);
    assert_eq!(status(&h.get_auth(&base, &person).await), "open");

    // Rating before the end is refused; the agent resolves; the person rates.
    h.post_auth(&format!("{base}/rating"), &person, json!({"rating": 5}))
        .await
        .err(ErrorCode::RatingNotAllowed);
    let resolved = h
        .post_auth(&format!("{base}/close"), &agent, json!({}))
        .await;
    assert_eq!(resolved.data()["status"], "resolved");
    h.post_auth(&format!("{base}/rating"), &person, json!({"rating": 6}))
        .await
        .err_field(ErrorCode::FieldInvalid, "rating");
    let rated = h
        .post_auth(&format!("{base}/rating"), &person, json!({"rating": 4}))
        .await;
    assert_eq!(rated.data()["rating"], 4);

    // Six days later a reply reopens it.
    h.advance(6 * 86_400);
    let person = h
        .sign_in("person@example.com", PASSWORD)
        .await
        .access_token
        .expose()
        .to_owned();
    h.post_auth(&messages_path(&id), &person, draft(52, "One more thing"))
        .await
        .ok(200);
    let detail = h.get_auth(&base, &person).await;
    assert_eq!(status(&detail), "open");
    let kinds: Vec<&str> = detail.data()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        &kinds[kinds.len() - 3..],
        ["resolved", "reopened", "text"],
        "{kinds:?}"
    );

    // Closed by the person, and 8 days later a reply is refused.
    let closed = h
        .post_auth(&format!("{base}/close"), &person, json!({}))
        .await;
    assert_eq!(closed.data()["status"], "closed");
    assert!(closed.data()["reopen_until"].is_string());
    h.advance(8 * 86_400);
    let person = h.sign_in("person@example.com", PASSWORD).await.access_token;
    h.post_auth(&messages_path(&id), person.expose(), draft(53, "Hello?"))
        .await
        .err(ErrorCode::ConversationClosed);
}

#[tokio::test]
async fn typing_reaches_the_other_side_is_not_stored_and_is_limited() {
    let h = harness();
    let (person, agent) = person_and_agent(&h).await;
    let id = start(&h, &person).await;
    let agent_id: String = h
        .query(|c| {
            c.query_row(
                "SELECT id FROM users WHERE email_key = 'agent@example.com'",
                [],
                |r| r.get(0),
            )
        })
        .await;
    let (_registration, mut agent_queue) = h
        .state
        .live
        .connect_as(&agent_id, "agent-session", true)
        .unwrap();
    let events_before: i64 = h
        .query(|c| c.query_row("SELECT count(*) FROM support_events", [], |r| r.get(0)))
        .await;
    let typing = format!("{CONVERSATIONS}/{id}/typing");
    h.post_auth(&typing, &person, json!({})).await.ok(200);
    let mut heard = vec![];
    while let Ok(push) = agent_queue.try_recv() {
        heard.push(format!("{push:?}"));
    }
    assert!(
        heard
            .iter()
            .any(|text| text.contains("SupportTyping") && text.contains(&id)),
        "the agent hears typing: {heard:?}"
    );
    // Again at once: refused; two seconds later: fine.
    h.post_auth(&typing, &person, json!({}))
        .await
        .err(ErrorCode::MessageRateLimited);
    h.advance(2);
    h.post_auth(&typing, &person, json!({})).await.ok(200);
    let events_after: i64 = h
        .query(|c| c.query_row("SELECT count(*) FROM support_events", [], |r| r.get(0)))
        .await;
    assert_eq!(events_before, events_after, "typing is never stored");
    // Availability counts the agent's connection.
    let available = h.get_auth("/api/support/availability", &agent).await;
    assert_eq!(available.data()["agents_online"], 1);
}

async fn sign_in_as(client: &reqwest::Client, url: &str, email: &str, password: &str) -> String {
    let answer: Value = client
        .post(format!("{url}/api/auth/signin"))
        .json(
            &json!({"email": email, "password": password, "device": crate::support::device(email)}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["data"]["access_token"].as_str().unwrap().to_owned()
}

/// Opens `/api/realtime?after=SEQ`.
async fn connect_after(url: &str, token: &str, after: i64) -> Socket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let ws_url = format!(
        "{}/api/realtime?after={after}",
        url.replacen("http://", "ws://", 1)
    );
    let mut request = ws_url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

async fn open_after(url: &str, token: &str, after: i64) -> Socket {
    let mut socket = connect_after(url, token, after).await;
    match next(&mut socket).await {
        Frame::Event(event) if matches!(*event, RealtimeEvent::Ready { .. }) => {}
        other => panic!("expected ready, got {other:?}"),
    }
    socket
}

async fn post(client: &reqwest::Client, url: &str, token: &str, path: &str, body: Value) -> Value {
    client
        .post(format!("{url}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The next support event's (seq, kind).
async fn next_support(socket: &mut Socket) -> (i64, SupportChangeKind, Option<String>) {
    loop {
        match next(socket).await {
            Frame::Event(event) => match *event {
                RealtimeEvent::Support { event } => {
                    return (
                        event.seq,
                        event.kind,
                        event.message.map(|m| m.client_msg_id),
                    )
                }
                RealtimeEvent::SupportReload => panic!("unexpected reload"),
                _ => continue,
            },
            Frame::Closed(code) => panic!("closed: {code:?}"),
        }
    }
}

#[tokio::test]
async fn the_realtime_channel_replays_after_a_seq_without_gap_or_duplicate() {
    let clock = xwms_server::ManualClock::new(crate::support::NOW);
    let server = TestServer::start_with(TestServerOptions {
        clock: Arc::new(clock.clone()),
        ..TestServerOptions::default()
    });
    // The realtime module's `connect` appends the path to this base.
    let url = server.url();
    let client = reqwest::Client::new();
    let anna = sign_in_as(&client, &url, ANNA.email, ANNA.password).await;
    let agent = sign_in_as(&client, &url, AGENT.email, AGENT.password).await;
    let created = post(
        &client,
        &url,
        &anna,
        CONVERSATIONS,
        new_conversation(1, "Hi"),
    )
    .await;
    let id = created["data"]["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first_seq = created["data"]["conversation"]["last_seq"]
        .as_i64()
        .unwrap();
    for n in 0..3 {
        post(
            &client,
            &url,
            &agent,
            &messages_path(&id),
            draft(200 + n, "reply"),
        )
        .await;
    }
    // Anna missed those: resume after the first seq.
    let mut socket = open_after(&url, &anna, first_seq).await;
    let mut seen = vec![];
    // agent_joined + 3 replies were missed.
    for _ in 0..4 {
        seen.push(next_support(&mut socket).await);
    }
    // Live events, sent while (and after) the replay ran, with no duplicate.
    for n in 0..3 {
        post(
            &client,
            &url,
            &agent,
            &messages_path(&id),
            draft(300 + n, "live"),
        )
        .await;
    }
    for _ in 0..3 {
        seen.push(next_support(&mut socket).await);
    }
    let seqs: Vec<i64> = seen.iter().map(|s| s.0).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "in order, no duplicate: {seqs:?}"
    );
    let ids: Vec<String> = seen.iter().filter_map(|s| s.2.clone()).collect();
    let expected: Vec<String> = [200, 201, 202, 300, 301, 302]
        .into_iter()
        .map(uuid)
        .collect();
    let text_ids: Vec<String> = ids.into_iter().filter(|i| !i.is_empty()).collect();
    assert_eq!(text_ids, expected, "no gap");
    // Everything replayed from the log matches the log: no event between them was skipped.
    let all: Vec<i64> = rusqlite::Connection::open(xwms_testkit::database_path(&server.data_dir()))
        .unwrap()
        .prepare("SELECT seq FROM support_events WHERE seq > ?1 ORDER BY seq")
        .unwrap()
        .query_map([first_seq], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(seqs, all);
    drop(socket);

    // 31 days later the log has been pruned: resuming from an old seq says "reload".
    clock.advance(time::Duration::days(31));
    {
        let conn =
            rusqlite::Connection::open(xwms_testkit::database_path(&server.data_dir())).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        let removed =
            xwms_server::accounts::support_prune_events(&conn, clock_now(&clock)).unwrap();
        assert!(removed > 0);
    }
    let anna = sign_in_as(&client, &url, ANNA.email, ANNA.password).await;
    let mut socket = connect_after(&url, &anna, first_seq).await;
    let mut reload = false;
    for _ in 0..2 {
        if let Frame::Event(event) = next(&mut socket).await {
            reload |= *event == RealtimeEvent::SupportReload;
        }
    }
    assert!(reload, "an old seq gets support_reload");
}

fn clock_now(clock: &xwms_server::ManualClock) -> time::OffsetDateTime {
    use xwms_server::Clock;
    clock.now()
}

#[tokio::test]
async fn the_agent_only_route_refuses_people_and_every_support_route_needs_a_token() {
    let h = harness();
    let (person, _) = person_and_agent(&h).await;
    h.get_auth("/api/agent/conversations", &person)
        .await
        .err(ErrorCode::NotAgent);
    for route in xwms_server::ROUTES.iter() {
        if !route.path.starts_with("/api/support/") && !route.path.starts_with("/api/agent/") {
            continue;
        }
        if route.path.starts_with("/api/support/guest/") {
            continue;
        }
        let path = route
            .path
            .replace("{id}", "x")
            .replace("{attachment_id}", "y");
        let answer = h.call(route.method.clone(), &path, None).send().await;
        answer.err(ErrorCode::Unauthorized);
    }
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

#[tokio::test]
async fn attachments_are_checked_by_content_and_size_and_served_only_to_participants() {
    let h = harness();
    let (person, agent) = person_and_agent(&h).await;
    let id = start(&h, &person).await;
    let upload = |name: &str, bytes: Vec<u8>, token: &str| {
        h.call(
            Method::POST,
            &format!("{CONVERSATIONS}/{id}/attachments?name={name}"),
            None,
        )
        .token(token)
        .header("content-type", "image/png")
        .raw(bytes)
        .send()
    };
    // A text file named .png is refused: the type comes from the bytes.
    upload("shot.png", b"hello, not a picture".to_vec(), &person)
        .await
        .err(ErrorCode::AttachmentType);
    // Over 5 MB: 413 (the body limit of this route only is the attachment limit).
    let mut big = PNG.to_vec();
    big.resize(ATTACHMENT_MAX_BYTES + 1, 0);
    upload("big.png", big, &person)
        .await
        .err(ErrorCode::AttachmentTooLarge);
    // Exactly 5 MB is fine.
    let mut max = PNG.to_vec();
    max.resize(ATTACHMENT_MAX_BYTES, 7);
    let stored = upload("max.png", max, &person).await;
    stored.ok(200);
    assert_eq!(stored.data()["content_type"], "image/png");
    assert_eq!(stored.data()["size_bytes"], ATTACHMENT_MAX_BYTES as u64);
    let pdf = upload("../../etc/report.pdf", b"%PDF-1.7 ...".to_vec(), &person).await;
    pdf.ok(200);
    assert_eq!(pdf.data()["file_name"], "report.pdf");
    let attachment = pdf.data()["id"].as_str().unwrap().to_owned();
    let file_path = format!("{CONVERSATIONS}/{id}/attachments/{attachment}");

    // Not sent yet: only its uploader sees it; the agent cannot attach it to their message.
    h.get_auth(&file_path, &agent)
        .await
        .err(ErrorCode::AttachmentNotFound);
    h.post_auth(
        &messages_path(&id),
        &agent,
        json!({"client_msg_id": uuid(60), "body": "", "attachment_ids": [attachment]}),
    )
    .await
    .err(ErrorCode::AttachmentNotFound);
    let sent = h
        .post_auth(
            &messages_path(&id),
            &person,
            json!({"client_msg_id": uuid(61), "body": "", "attachment_ids": [attachment]}),
        )
        .await;
    sent.ok(200);
    assert_eq!(sent.data()["attachments"][0]["id"], attachment.as_str());
    // Once sent it cannot be attached again.
    h.post_auth(
        &messages_path(&id),
        &person,
        json!({"client_msg_id": uuid(62), "body": "again", "attachment_ids": [attachment]}),
    )
    .await
    .err(ErrorCode::AttachmentNotFound);

    let download = h.get_auth(&file_path, &agent).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.headers["content-type"], "application/pdf");
    assert!(download.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"report.pdf\""));
    assert_eq!(download.headers["x-content-type-options"], "nosniff");

    // Another account: the attachment and its conversation do not exist.
    let stranger = h
        .signed_in("stranger@example.com")
        .await
        .access_token
        .expose()
        .to_owned();
    h.get_auth(&file_path, &stranger)
        .await
        .err(ErrorCode::ConversationNotFound);
    upload("x.png", PNG.to_vec(), &stranger)
        .await
        .err(ErrorCode::ConversationNotFound);
}

#[tokio::test]
async fn a_recovery_request_is_a_guest_case_opened_with_a_mailed_code() {
    let h = harness();
    let (_, agent) = person_and_agent(&h).await;
    let filed = h
        .call(
            Method::POST,
            xwms_api::auth::paths::RECOVERY_REQUEST,
            Some(json!({
                "email": "lost@example.com", "name": "Lena Lost", "contact_email": "lena@example.org",
                "lost": ["password", "email_access"], "details": "My phone was stolen."
            })),
        )
        .header("accept-language", "nl")
        .send()
        .await;
    filed.ok(202);
    let reference = filed.data()["reference"].as_str().unwrap().to_owned();
    // In the agents' queue, as a guest case on the recovery topic with the details.
    let queue = h.get_auth("/api/agent/conversations", &agent).await;
    let case = &queue.data()["conversations"][0];
    assert_eq!(case["reference"], reference.as_str());
    assert_eq!(
        (case["guest"].as_bool(), case["topic"].as_str()),
        (Some(true), Some("account_recovery"))
    );
    assert_eq!(case["preview"], "My phone was stolen.");
    let case_id = case["id"].as_str().unwrap().to_owned();
    h.post_auth(
        &messages_path(&case_id),
        &agent,
        draft(70, "Which device did you use last?"),
    )
    .await
    .ok(200);

    // The same answer for a reference that does not exist (and no mail).
    h.post(
        "/api/support/guest/code",
        json!({"reference": "REC-ZZZZZZ"}),
    )
    .await
    .ok(200);
    h.post("/api/support/guest/code", json!({"reference": reference}))
        .await
        .ok(200);
    let mail = h
        .last_mail(
            "lena@example.org",
            xwms_server::mail::MailKind::SupportGuestCode,
        )
        .await
        .expect("a code mailed to the request's contact address");
    assert!(
        mail.subject.contains(&reference) && mail.subject.contains("supportzaak"),
        "in Dutch: {}",
        mail.subject
    );
    let code = mail.code().unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    h.post(
        "/api/support/guest/access",
        json!({"reference": reference, "code": wrong}),
    )
    .await
    .err(ErrorCode::CodeIncorrect);
    h.post(
        "/api/support/guest/access",
        json!({"reference": "REC-ZZZZZZ", "code": code}),
    )
    .await
    .err(ErrorCode::CodeIncorrect);
    let access = h
        .post(
            "/api/support/guest/access",
            json!({"reference": reference, "code": code}),
        )
        .await;
    access.ok(200);
    let token = access.data()["token"].as_str().unwrap().to_owned();
    let messages = access.data()["conversation"]["messages"]
        .as_array()
        .unwrap();
    assert_eq!(
        messages.last().unwrap()["body"],
        "Which device did you use last?"
    );
    // The code worked once.
    h.post(
        "/api/support/guest/access",
        json!({"reference": reference, "code": code}),
    )
    .await
    .err(ErrorCode::CodeIncorrect);

    // The guest reads and replies with the token only, exactly once per client id.
    let reply = json!({"client_msg_id": uuid(71), "body": "My old laptop."});
    let first = h
        .post_auth(
            "/api/support/guest/conversation/messages",
            &token,
            reply.clone(),
        )
        .await;
    first.ok(200);
    let again = h
        .post_auth("/api/support/guest/conversation/messages", &token, reply)
        .await;
    assert_eq!(first.data()["seq"], again.data()["seq"]);
    let seen = h.get_auth("/api/support/guest/conversation", &token).await;
    assert_eq!(seen.data()["conversation"]["status"], "open");
    assert_eq!(
        seen.data()["messages"].as_array().unwrap().last().unwrap()["body"],
        "My old laptop."
    );
    // An access token is not a guest token, and a guest token is not an access token.
    h.get_auth("/api/support/guest/conversation", &agent)
        .await
        .err(ErrorCode::Unauthorized);
    h.get_auth(CONVERSATIONS, &token)
        .await
        .err(ErrorCode::Unauthorized);
    // 12 hours later the token has expired.
    h.advance(12 * 3600);
    h.get_auth("/api/support/guest/conversation", &token)
        .await
        .err(ErrorCode::GuestAccessExpired);
}

#[tokio::test]
async fn guest_codes_are_limited_per_reference() {
    let h = harness();
    let max = xwms_server::accounts::policy::SUPPORT
        .guest_codes_per_reference
        .max;
    for n in 0..max {
        h.call(
            Method::POST,
            "/api/support/guest/code",
            Some(json!({"reference": "REC-AAAAAA"})),
        )
        .peer(&format!("192.0.2.{}", n + 1))
        .send()
        .await
        .ok(200);
    }
    h.call(
        Method::POST,
        "/api/support/guest/code",
        Some(json!({"reference": "REC-AAAAAA"})),
    )
    .peer("192.0.2.200")
    .send()
    .await
    .err(ErrorCode::RateLimited);
}

#[tokio::test]
async fn an_unseen_reply_is_mailed_once_per_burst_and_without_text_for_security_topics() {
    use xwms_server::mail::MailKind;
    let h = harness();
    let (person, agent) = person_and_agent(&h).await;
    let id = start(&h, &person).await;
    let mut security = new_conversation(2, "Someone changed my password");
    security["topic"] = json!("security_report");
    let secure = h.post_auth(CONVERSATIONS, &person, security).await;
    let secure_id = secure.data()["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.post_auth(
        &messages_path(&id),
        &agent,
        draft(80, "Try signing in again now"),
    )
    .await
    .ok(200);
    h.post_auth(
        &messages_path(&secure_id),
        &agent,
        draft(81, "Your reset link is abc123"),
    )
    .await
    .ok(200);
    let accounts = &h.state.accounts;
    h.advance(9 * 60);
    assert_eq!(accounts.mail_unseen_replies().await.unwrap(), 0, "not yet");
    h.advance(2 * 60);
    assert_eq!(accounts.mail_unseen_replies().await.unwrap(), 2);
    h.deliver().await;
    let mails: Vec<_> = h
        .mailbox
        .to("person@example.com")
        .into_iter()
        .filter(|m| m.kind == MailKind::SupportReply.as_str())
        .collect();
    assert_eq!(mails.len(), 2);
    let plain = mails
        .iter()
        .find(|m| m.text.contains(&format!("xwms://support/{id}")))
        .expect("a link to the conversation");
    assert!(
        plain.text.contains("Try signing in again now"),
        "{}",
        plain.text
    );
    let secret = mails
        .iter()
        .find(|m| m.text.contains(&format!("xwms://support/{secure_id}")))
        .expect("a link to the security conversation");
    assert!(
        !secret.text.contains("abc123") && !secret.html.contains("abc123"),
        "{}",
        secret.text
    );

    // Once: another reply in the same unseen burst is not mailed again.
    assert_eq!(accounts.mail_unseen_replies().await.unwrap(), 0);
    let token = h.sign_in("agent@example.com", PASSWORD).await.access_token;
    h.post_auth(&messages_path(&id), token.expose(), draft(82, "Any luck?"))
        .await
        .ok(200);
    h.advance(11 * 60);
    assert_eq!(accounts.mail_unseen_replies().await.unwrap(), 0);
    // Read, then a new reply goes unseen: a new mail.
    let person = h.sign_in("person@example.com", PASSWORD).await.access_token;
    let detail = h
        .get_auth(&format!("{CONVERSATIONS}/{id}"), person.expose())
        .await;
    let last = detail.data()["conversation"]["last_seq"].as_i64().unwrap();
    h.post_auth(
        &format!("{CONVERSATIONS}/{id}/read"),
        person.expose(),
        json!({"last_read_seq": last}),
    )
    .await
    .ok(200);
    h.post_auth(
        &messages_path(&id),
        token.expose(),
        draft(83, "Still there?"),
    )
    .await
    .ok(200);
    h.advance(11 * 60);
    assert_eq!(accounts.mail_unseen_replies().await.unwrap(), 1);
}

#[tokio::test]
async fn the_demo_person_has_conversations_in_different_states() {
    let server = TestServer::start();
    let url = server.url();
    let client = reqwest::Client::new();
    let anna = sign_in_as(&client, &url, ANNA.email, ANNA.password).await;
    let list: Value = client
        .get(format!("{url}{CONVERSATIONS}"))
        .bearer_auth(&anna)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let conversations = list["data"]["conversations"].as_array().unwrap();
    let statuses: Vec<&str> = conversations
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses[0], "waiting_for_you", "unread first: {statuses:?}");
    assert!(
        statuses.contains(&"resolved") && statuses.contains(&"new"),
        "{statuses:?}"
    );
    assert_eq!(list["data"]["unread_total"], 1);
    assert_eq!(conversations[0]["agent_name"], "XWMS");
    // The agent sees them in the queue, and the event log replays them.
    let agent = sign_in_as(&client, &url, AGENT.email, AGENT.password).await;
    let queue: Value = client
        .get(format!("{url}/api/agent/conversations"))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queue["data"]["conversations"].as_array().unwrap().len(), 3);
    let mut socket = open_after(&url, &anna, 0).await;
    let (seq, kind, _) = next_support(&mut socket).await;
    assert_eq!((seq, kind), (1, SupportChangeKind::Message));
}

#[tokio::test]
async fn the_message_rate_holds_under_hundreds_of_parallel_sends() {
    let h = harness();
    let (person, _) = person_and_agent(&h).await;
    let id = start(&h, &person).await;
    let max = xwms_server::accounts::policy::SUPPORT
        .messages_per_account
        .max;
    let h = Arc::new(h);
    let mut tasks = vec![];
    for n in 0..200 {
        let (h, person, id) = (Arc::clone(&h), person.clone(), id.clone());
        tasks.push(tokio::spawn(async move {
            h.post_auth(&messages_path(&id), &person, draft(1_000 + n, "burst"))
                .await
        }));
    }
    let (mut accepted, mut limited) = (0, 0);
    for task in tasks {
        let answer = task.await.unwrap();
        match answer.status.as_u16() {
            200 => accepted += 1,
            429 => {
                answer.err(ErrorCode::MessageRateLimited);
                limited += 1;
            }
            other => panic!("{other}: {}", answer.body),
        }
    }
    // The first message of the conversation counted too.
    assert_eq!((accepted, limited), (max - 1, 200 - (max - 1)));
    let stored: i64 = h
        .query(|c| {
            c.query_row(
                "SELECT count(*) FROM support_messages WHERE body = 'burst'",
                [],
                |r| r.get(0),
            )
        })
        .await;
    assert_eq!(stored, i64::from(max - 1));
}

/// Opens the guest channel `/api/support/guest/realtime` (with `?after=SEQ`); the refusal's
/// status and body when it is refused.
async fn connect_guest(url: &str, token: &str, after: Option<i64>) -> Result<Socket, (u16, Value)> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
    let ws_url = format!(
        "{}{}{query}",
        url.replacen("http://", "ws://", 1),
        xwms_api::support::paths::GUEST_REALTIME
    );
    let mut request = ws_url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err((
            response.status().as_u16(),
            response
                .body()
                .as_ref()
                .map(|b| serde_json::from_slice(b).unwrap_or(Value::Null))
                .unwrap_or(Value::Null),
        )),
        Err(other) => panic!("connecting failed: {other}"),
    }
}

/// The refusal (status, body) of a guest channel opened with `token`.
async fn refused_guest(url: &str, token: &str) -> (u16, Value) {
    match connect_guest(url, token, None).await {
        Ok(_) => panic!("a guest channel with {token} was opened"),
        Err(refusal) => refusal,
    }
}

/// Every frame up to and including the support message with client id `until`.
async fn frames_until(socket: &mut Socket, until: &str) -> Vec<RealtimeEvent> {
    let mut frames = vec![];
    loop {
        match next(socket).await {
            Frame::Event(event) => {
                let last = matches!(&*event, RealtimeEvent::Support { event }
                    if event.message.as_ref().is_some_and(|m| m.client_msg_id == until));
                frames.push(*event);
                if last {
                    return frames;
                }
            }
            Frame::Closed(code) => panic!("closed ({code:?}) after {frames:?}"),
        }
    }
}

/// Files a recovery request for `email` over HTTP and opens its guest case with the mailed
/// code: (case id, guest token, last seq).
async fn open_guest_case_over_http(
    server: &TestServer,
    client: &reqwest::Client,
    email: &str,
    contact: &str,
) -> (String, String, i64) {
    let url = server.url();
    let filed: Value = client
        .post(format!("{url}{}", xwms_api::auth::paths::RECOVERY_REQUEST))
        .json(&json!({
            "email": email, "name": "Anna Guest", "contact_email": contact,
            "lost": ["password"], "details": "I lost my phone."
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reference = filed["data"]["reference"].as_str().unwrap().to_owned();
    let since = server.mailbox().to(contact).len();
    client
        .post(format!("{url}/api/support/guest/code"))
        .json(&json!({"reference": reference}))
        .send()
        .await
        .unwrap();
    let code = server
        .wait_for_code(
            contact,
            xwms_server::mail::MailKind::SupportGuestCode,
            since,
        )
        .expect("a guest code");
    let access: Value = client
        .post(format!("{url}/api/support/guest/access"))
        .json(&json!({"reference": reference, "code": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = &access["data"];
    (
        data["conversation"]["conversation"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        data["token"].as_str().unwrap().to_owned(),
        data["conversation"]["conversation"]["last_seq"]
            .as_i64()
            .unwrap(),
    )
}

#[tokio::test]
async fn a_guest_socket_hears_its_case_only_never_the_accounts_other_conversations_or_security() {
    let clock = xwms_server::ManualClock::new(crate::support::NOW);
    let server = TestServer::start_with(TestServerOptions {
        clock: Arc::new(clock.clone()),
        ..TestServerOptions::default()
    });
    let url = server.url();
    let client = reqwest::Client::new();
    let agent = sign_in_as(&client, &url, AGENT.email, AGENT.password).await;
    // Anna cannot sign in on this computer: she files a recovery request for her own account.
    let (case_id, guest, first_seq) =
        open_guest_case_over_http(&server, &client, ANNA.email, "anna.home@example.org").await;

    // A bad token and an access token are refused with the guest routes' codes.
    let (status, body) = refused_guest(&url, "xwms_gt_not-a-token").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth.unauthorized"))
    );
    let (status, _) = refused_guest(&url, &agent).await;
    assert_eq!(status, 401);

    let mut socket = connect_guest(&url, &guest, Some(first_seq)).await.unwrap();
    assert_eq!(
        next(&mut socket).await,
        Frame::Event(Box::new(RealtimeEvent::Ready {
            session_id: case_id.clone()
        }))
    );

    // Everything that must NOT reach the guest: Anna's own signed-in conversation (a message,
    // the agent's reply and typing in it) and security events of her account (a new sign-in).
    let anna = sign_in_as(&client, &url, ANNA.email, ANNA.password).await;
    let created = post(
        &client,
        &url,
        &anna,
        CONVERSATIONS,
        new_conversation(900, "Private"),
    )
    .await;
    let private_id = created["data"]["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    post(
        &client,
        &url,
        &agent,
        &messages_path(&private_id),
        draft(901, "Private reply"),
    )
    .await;
    post(
        &client,
        &url,
        &agent,
        &format!("{CONVERSATIONS}/{private_id}/typing"),
        json!({}),
    )
    .await;
    // Anna's own socket is the control: the security event does happen, to her account.
    let mut control = crate::realtime::connect(&url, Some(&anna)).await.unwrap();
    assert!(
        matches!(next(&mut control).await, Frame::Event(e) if matches!(*e, RealtimeEvent::Ready { .. }))
    );
    let other_device: Value = client
        .post(format!("{url}/api/auth/signin"))
        .json(&json!({"email": ANNA.email, "password": ANNA.password,
            "device": crate::support::device("anna-second-computer")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other_device["status"], "success", "{other_device}");
    loop {
        match next(&mut control).await {
            Frame::Event(e)
                if matches!(
                    *e,
                    RealtimeEvent::NewSignIn { .. } | RealtimeEvent::SecurityChanged
                ) =>
            {
                break
            }
            Frame::Event(_) => continue,
            Frame::Closed(code) => panic!("the control socket closed: {code:?}"),
        }
    }

    // What must reach the guest: the agent typing and replying in the case.
    let typing = post(
        &client,
        &url,
        &agent,
        &format!("{CONVERSATIONS}/{case_id}/typing"),
        json!({}),
    )
    .await;
    assert_eq!(typing["status"], "success", "{typing}");
    let sent = post(
        &client,
        &url,
        &agent,
        &messages_path(&case_id),
        draft(902, "We can help"),
    )
    .await;
    assert_eq!(sent["status"], "success", "{sent}");

    let check = |frames: &[RealtimeEvent]| {
        let mut heard_reply = false;
        for frame in frames {
            match frame {
                RealtimeEvent::Support { event } => {
                    assert_eq!(
                        event.conversation_id, case_id,
                        "another conversation: {frame:?}"
                    );
                    assert_eq!(event.conversation.id, case_id);
                    heard_reply |= event
                        .message
                        .as_ref()
                        .is_some_and(|m| m.body == "We can help");
                }
                RealtimeEvent::SupportTyping {
                    conversation_id, ..
                } => {
                    assert_eq!(conversation_id, &case_id, "typing elsewhere: {frame:?}");
                }
                RealtimeEvent::SupportAvailability { .. } => {}
                other => panic!("a guest socket must not hear {other:?}"),
            }
        }
        assert!(heard_reply, "the agent's reply: {frames:?}");
    };
    let frames = frames_until(&mut socket, &uuid(902)).await;
    check(&frames);
    assert!(
        frames.iter().any(|f| matches!(f, RealtimeEvent::SupportTyping { author, .. } if author.kind == xwms_api::support::AuthorKind::Agent)),
        "the agent's typing: {frames:?}"
    );
    drop(socket);

    // Reconnecting after the first seq replays the case's events only, in order.
    let mut again = connect_guest(&url, &guest, Some(first_seq)).await.unwrap();
    assert!(
        matches!(next(&mut again).await, Frame::Event(e) if matches!(*e, RealtimeEvent::Ready { .. }))
    );
    let replayed = frames_until(&mut again, &uuid(902)).await;
    check(&replayed);
    let seqs: Vec<i64> = replayed
        .iter()
        .filter_map(|f| match f {
            RealtimeEvent::Support { event } => Some(event.seq),
            _ => None,
        })
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    drop(again);

    // Twelve hours on, the token opens nothing: the same code as the other guest routes.
    clock.advance(time::Duration::hours(12));
    let (status, body) = refused_guest(&url, &guest).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("support.guest_expired"))
    );
}

/// A recovery request's guest case on the harness: (case id, guest token, contact address).
async fn guest_case_on(h: &Harness) -> (String, String, &'static str) {
    let contact = "lena@example.org";
    let filed = h
        .post(
            xwms_api::auth::paths::RECOVERY_REQUEST,
            json!({
                "email": "lost@example.com", "name": "Lena Lost", "contact_email": contact,
                "lost": ["password"], "details": "My phone was stolen."
            }),
        )
        .await;
    filed.ok(202);
    let reference = filed.data()["reference"].as_str().unwrap().to_owned();
    h.post("/api/support/guest/code", json!({"reference": reference}))
        .await
        .ok(200);
    let code = h
        .last_mail(contact, xwms_server::mail::MailKind::SupportGuestCode)
        .await
        .unwrap()
        .code()
        .unwrap();
    let access = h
        .post(
            "/api/support/guest/access",
            json!({"reference": reference, "code": code}),
        )
        .await;
    access.ok(200);
    (
        access.data()["conversation"]["conversation"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        access.data()["token"].as_str().unwrap().to_owned(),
        contact,
    )
}

#[tokio::test]
async fn the_guest_read_marker_clamps_shows_seen_and_guest_typing_reaches_the_agents() {
    let h = harness();
    let (_, agent) = person_and_agent(&h).await;
    let (case_id, guest, _) = guest_case_on(&h).await;
    let reply = h
        .post_auth(&messages_path(&case_id), &agent, draft(10, "Which device?"))
        .await;
    reply.ok(200);
    let reply_seq = reply.data()["seq"].as_i64().unwrap();
    let case_path = format!("{CONVERSATIONS}/{case_id}");
    let seen_by_guest = |answer: &crate::support::Answer| {
        answer.data()["conversation"]["other_last_read_seq"]
            .as_i64()
            .unwrap()
    };
    assert!(seen_by_guest(&h.get_auth(&case_path, &agent).await) < reply_seq);
    let events = || async {
        h.query(|c| {
            c.query_row("SELECT count(*) FROM support_events", [], |r| {
                r.get::<_, i64>(0)
            })
        })
        .await
    };
    let read = "/api/support/guest/conversation/read";
    // Far beyond the newest message: clamped to it.
    let before = events().await;
    h.post_auth(read, &guest, json!({"last_read_seq": reply_seq + 1000}))
        .await
        .ok(200);
    assert_eq!(events().await, before + 1, "one read event");
    assert_eq!(
        seen_by_guest(&h.get_auth(&case_path, &agent).await),
        reply_seq,
        "the agent sees \"Seen\" up to the newest message, not beyond"
    );
    let mine = h.get_auth("/api/support/guest/conversation", &guest).await;
    assert_eq!(mine.data()["conversation"]["last_read_seq"], reply_seq);
    assert_eq!(mine.data()["conversation"]["unread"], 0);
    // Nothing moves: no event (also back, and again after the read event's newer seq).
    let before = events().await;
    for to in [reply_seq, reply_seq - 1, reply_seq + 5] {
        h.post_auth(read, &guest, json!({"last_read_seq": to}))
            .await
            .ok(200);
    }
    assert_eq!(events().await, before, "nothing moved, nothing written");
    // Same refusals as the other guest routes.
    h.post_auth(read, &agent, json!({"last_read_seq": 1}))
        .await
        .err(ErrorCode::Unauthorized);

    // Guest typing: the agents hear it, it is limited and never stored.
    let agent_id: String = h
        .query(|c| {
            c.query_row(
                "SELECT id FROM users WHERE email_key = 'agent@example.com'",
                [],
                |r| r.get(0),
            )
        })
        .await;
    let (_registration, mut agent_queue) = h
        .state
        .live
        .connect_as(&agent_id, "agent-session", true)
        .unwrap();
    let typing = "/api/support/guest/conversation/typing";
    let before = events().await;
    h.post_auth(typing, &guest, json!({})).await.ok(200);
    let mut heard = vec![];
    while let Ok(push) = agent_queue.try_recv() {
        heard.push(format!("{push:?}"));
    }
    assert!(
        heard
            .iter()
            .any(|t| t.contains("SupportTyping") && t.contains(&case_id) && t.contains("Lena")),
        "the agent hears the guest typing: {heard:?}"
    );
    h.post_auth(typing, &guest, json!({}))
        .await
        .err(ErrorCode::MessageRateLimited);
    assert_eq!(events().await, before, "typing is never stored");
    h.advance(12 * 3600);
    h.post_auth(typing, &guest, json!({}))
        .await
        .err(ErrorCode::GuestAccessExpired);
    h.post_auth(read, &guest, json!({"last_read_seq": 1}))
        .await
        .err(ErrorCode::GuestAccessExpired);
}

#[tokio::test]
async fn an_unseen_reply_is_mailed_to_a_guest_again_after_they_read() {
    use xwms_server::mail::MailKind;
    let h = harness();
    let (_, agent) = person_and_agent(&h).await;
    let (case_id, guest, contact) = guest_case_on(&h).await;
    let accounts = &h.state.accounts;
    let replies = |h: &Harness| {
        h.mailbox
            .to(contact)
            .into_iter()
            .filter(|m| m.kind == MailKind::SupportReply.as_str())
            .count()
    };
    h.post_auth(&messages_path(&case_id), &agent, draft(20, "First answer"))
        .await
        .ok(200);
    h.advance(11 * 60);
    assert_eq!(accounts.mail_unseen_replies().await.unwrap(), 1);
    h.deliver().await;
    assert_eq!(replies(&h), 1);
    // The guest views the case: their read marker moves.
    let last = h
        .get_auth("/api/support/guest/conversation", &guest)
        .await
        .data()["conversation"]["last_seq"]
        .as_i64()
        .unwrap();
    h.post_auth(
        "/api/support/guest/conversation/read",
        &guest,
        json!({"last_read_seq": last}),
    )
    .await
    .ok(200);
    // A second reply goes unseen: a second mail, to the request's contact address.
    h.post_auth(&messages_path(&case_id), &agent, draft(21, "Second answer"))
        .await
        .ok(200);
    h.advance(9 * 60);
    assert_eq!(accounts.mail_unseen_replies().await.unwrap(), 0, "not yet");
    h.advance(2 * 60);
    assert_eq!(accounts.mail_unseen_replies().await.unwrap(), 1);
    h.deliver().await;
    assert_eq!(replies(&h), 2);
    assert_eq!(
        accounts.mail_unseen_replies().await.unwrap(),
        0,
        "once per burst"
    );
}

#[tokio::test]
async fn hundreds_of_parallel_guest_reads_and_typings_write_one_event_and_send_one_signal() {
    let h = harness();
    let (_, agent) = person_and_agent(&h).await;
    let (case_id, guest, _) = guest_case_on(&h).await;
    let reply = h
        .post_auth(&messages_path(&case_id), &agent, draft(30, "Hello"))
        .await;
    reply.ok(200);
    let seq = reply.data()["seq"].as_i64().unwrap();
    let events_before: i64 = h
        .query(|c| c.query_row("SELECT count(*) FROM support_events", [], |r| r.get(0)))
        .await;
    let h = Arc::new(h);
    let mut tasks = vec![];
    for n in 0..300 {
        let (h, guest) = (Arc::clone(&h), guest.clone());
        tasks.push(tokio::spawn(async move {
            if n % 2 == 0 {
                let answer = h
                    .post_auth(
                        "/api/support/guest/conversation/read",
                        &guest,
                        json!({"last_read_seq": seq}),
                    )
                    .await;
                answer.ok(200);
                None
            } else {
                let answer = h
                    .post_auth("/api/support/guest/conversation/typing", &guest, json!({}))
                    .await;
                Some(answer.status)
            }
        }));
    }
    let mut typing = vec![];
    for task in tasks {
        if let Some(status) = task.await.unwrap() {
            typing.push(status);
        }
    }
    assert_eq!(
        typing.iter().filter(|s| **s == 200).count(),
        1,
        "one typing signal within the interval: {typing:?}"
    );
    assert!(typing.iter().all(|s| *s == 200 || *s == 429));
    let events_after: i64 = h
        .query(|c| c.query_row("SELECT count(*) FROM support_events", [], |r| r.get(0)))
        .await;
    assert_eq!(
        events_after,
        events_before + 1,
        "one read event, however many reads"
    );
}

#[tokio::test]
async fn a_guest_token_holds_at_most_five_sockets() {
    let server = TestServer::start();
    let url = server.url();
    let client = reqwest::Client::new();
    let (_, guest, _) =
        open_guest_case_over_http(&server, &client, "nobody@example.com", "nobody@example.org")
            .await;
    let mut held = vec![];
    for _ in 0..xwms_server::accounts::policy::REALTIME.max_sockets_per_session {
        held.push(connect_guest(&url, &guest, None).await.unwrap());
    }
    let (status, body) = refused_guest(&url, &guest).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("realtime.too_many_sockets"))
    );
    drop(held);
}
