//! Agent mode (issue 12), the queue side: roles set by the server operator's CLI, the guard on
//! every `/api/agent/` route, the queue, claiming, internal notes and presence.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use axum::http::Method;
use serde_json::json;
use xwms_api::agent::Role;
use xwms_api::ErrorCode;
use xwms_server::accounts::roles;
use xwms_server::ManualClock;

use crate::support::{harness, harness_in, Harness, NOW, PASSWORD};

const EXE: &str = env!("CARGO_BIN_EXE_xwms-server");

/// `xwms-server ARGS` with `stdin` as its standard input.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(EXE);
    for var in xwms_server::config::env::ALL_SETTINGS {
        command.env_remove(var);
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Makes the verified account `email` a member of the support team (through the same function
/// as `xwms-server user role`) and signs it in; its access token.
async fn agent(h: &Harness, email: &str) -> String {
    with_role(h, email, Role::Agent).await
}

async fn with_role(h: &Harness, email: &str, role: Role) -> String {
    h.verified_user(email, PASSWORD).await;
    roles::set_role(h.dir.path(), email, role).unwrap();
    h.sign_in(email, PASSWORD)
        .await
        .access_token
        .expose()
        .to_owned()
}

#[tokio::test]
async fn the_cli_adds_verified_accounts_with_a_role_and_changes_roles() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let add = |email: &str, role: &str, password: &str| {
        run(
            &[
                "user",
                "add",
                "--email",
                email,
                "--name",
                "Ana Lopez",
                "--role",
                role,
                "--data-dir",
                &data,
            ],
            &format!("{password}\n"),
        )
    };

    let added = add("Ana@Example.com", "agent", PASSWORD);
    assert!(added.status.success(), "{}", text(&added.stderr));
    let said = text(&added.stdout);
    assert!(
        said.starts_with("added Ana@Example.com (Ana Lopez) as agent: a verified account, id "),
        "{said}"
    );
    assert!(!said.contains(PASSWORD) && !text(&added.stderr).contains(PASSWORD));

    // The same address again, a weak password, an unknown role: refused, nothing stored.
    let again = add("ana@example.com", "user", PASSWORD);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("exists already"),
        "{}",
        text(&again.stderr)
    );
    let weak = add("weak@example.com", "user", "short");
    assert_eq!(weak.status.code(), Some(2));
    assert!(
        text(&weak.stderr).contains("password"),
        "{}",
        text(&weak.stderr)
    );
    let root = add("root@example.com", "root", PASSWORD);
    assert_eq!(root.status.code(), Some(2));
    // The password is never an argument.
    let argv = run(
        &[
            "user",
            "add",
            "--email",
            "argv@example.com",
            "--name",
            "A",
            "--password",
            PASSWORD,
            "--data-dir",
            &data,
        ],
        "",
    );
    assert_eq!(argv.status.code(), Some(2));
    // `--password-stdin` reads it from stdin as well.
    let piped = run(
        &[
            "user",
            "add",
            "--email",
            "piped@example.com",
            "--name",
            "Piet",
            "--password-stdin",
            "--data-dir",
            &data,
        ],
        &format!("{PASSWORD}\r\n"),
    );
    assert!(piped.status.success(), "{}", text(&piped.stderr));
    assert!(text(&piped.stdout).contains("as user"));

    let role =
        |email: &str, role: &str| run(&["user", "role", email, role, "--data-dir", &data], "");
    let promoted = role("ANA@example.com", "admin");
    assert!(promoted.status.success(), "{}", text(&promoted.stderr));
    assert_eq!(
        text(&promoted.stdout).trim(),
        "Ana@Example.com was agent, is now admin"
    );
    let same = role("ana@example.com", "admin");
    assert_eq!(
        text(&same.stdout).trim(),
        "Ana@Example.com is admin already; nothing changed"
    );
    let nobody = role("nobody@example.com", "agent");
    assert_eq!(nobody.status.code(), Some(1));
    assert!(text(&nobody.stderr).contains("no account"));
    assert_eq!(role("ana@example.com", "root").status.code(), Some(2));

    // The accounts work: verified (signing in needs no code), with their roles.
    let h = harness_in(dir, ManualClock::new(NOW), |s| s);
    let rows: Vec<(String, String, bool)> = h
        .query(|c| {
            c.prepare("SELECT email_key, role, email_verified FROM users ORDER BY email_key")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .await;
    assert_eq!(
        rows,
        [
            ("ana@example.com".into(), "admin".into(), true),
            ("piped@example.com".into(), "user".into(), true),
        ]
    );
    let ana = h.sign_in("ana@example.com", PASSWORD).await;
    assert!(ana.user.is_agent);
    let token = ana.access_token.expose().to_owned();
    h.get_auth("/api/agent/conversations", &token).await.ok(200);
    let piet = h.sign_in("piped@example.com", PASSWORD).await;
    assert!(!piet.user.is_agent);

    // A role change takes effect at the account's next request, without signing in again.
    let demoted = run(
        &[
            "user",
            "role",
            "ana@example.com",
            "user",
            "--data-dir",
            h.dir.path().to_str().unwrap(),
        ],
        "",
    );
    assert!(demoted.status.success(), "{}", text(&demoted.stderr));
    h.get_auth("/api/agent/conversations", &token)
        .await
        .err(ErrorCode::NotAgent);
}

#[tokio::test]
async fn set_role_refuses_the_unknown_role_and_changes_nothing() {
    let h = harness();
    h.verified_user("p@example.com", PASSWORD).await;
    assert!(matches!(
        roles::set_role(h.dir.path(), "p@example.com", Role::Unknown),
        Err(roles::RoleError::Invalid { field: "role", .. })
    ));
    let change = roles::set_role(h.dir.path(), "p@example.com", Role::Agent).unwrap();
    assert_eq!((change.before, change.after), (Role::User, Role::Agent));
}

/// (method, path) of every route under `/api/agent/`, from the route table (so a new agent
/// route is checked without anyone listing it here).
fn agent_routes() -> Vec<(Method, &'static str)> {
    xwms_server::ROUTES
        .iter()
        .filter(|route| route.path.starts_with(xwms_api::agent::paths::PREFIX))
        .map(|route| (route.method.clone(), route.path))
        .collect()
}

#[tokio::test]
async fn every_agent_route_refuses_people_and_callers_without_a_token() {
    let h = harness();
    let routes = agent_routes();
    assert!(
        routes.contains(&(Method::GET, xwms_api::support::paths::AGENT_CONVERSATIONS)),
        "{routes:?}"
    );
    let person = h
        .signed_in("person@example.com")
        .await
        .access_token
        .expose()
        .to_owned();
    let agent = agent(&h, "agent@example.com").await;
    let admin = with_role(&h, "admin@example.com", Role::Admin).await;
    for (method, path) in &routes {
        let body =
            crate::support::takes_body(method, path).then(|| crate::support::valid_body(path));
        let call = || h.call(method.clone(), path, body.clone());
        call().send().await.err(ErrorCode::Unauthorized);
        call().token(&person).send().await.err(ErrorCode::NotAgent);
        // The document says so too.
        let document: serde_json::Value =
            serde_json::from_str(&xwms_server::openapi_json()).unwrap();
        let responses = &document["paths"][path][method.as_str().to_lowercase()]["responses"];
        assert!(
            responses["401"].is_object() && responses["403"].is_object(),
            "{method} {path}: {responses}"
        );
        // An agent passes the guard (whatever the route then answers, it is not a refusal of
        // who they are, nor a server error); a route for admins only says so with its own
        // code. An admin passes every guard.
        let answer = call().token(&agent).send().await;
        let refused_as_person = answer.status.as_u16() == 401
            || (answer.status.as_u16() == 403 && answer.body["code"] != "agent.admin_only");
        assert!(
            !refused_as_person && !answer.status.is_server_error(),
            "{method} {path}: {} {}",
            answer.status,
            answer.body
        );
        let answer = call().token(&admin).send().await;
        assert!(
            !matches!(answer.status.as_u16(), 401 | 403) && !answer.status.is_server_error(),
            "admin {method} {path}: {} {}",
            answer.status,
            answer.body
        );
    }
}

fn uuid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

/// `person` starts a conversation on `topic`; its id.
async fn start(h: &Harness, person: &str, topic: &str, client_id: u32) -> String {
    let answer = h
        .post_auth(
            "/api/support/conversations",
            person,
            json!({
                "topic": topic,
                "subject": format!("About {topic}"),
                "message": {"client_msg_id": uuid(client_id), "body": "Hello, I need help"},
            }),
        )
        .await;
    answer.ok(200);
    answer.data()["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn user_id(h: &Harness, email: &'static str) -> String {
    h.query(move |c| {
        c.query_row("SELECT id FROM users WHERE email_key = ?1", [email], |r| {
            r.get(0)
        })
    })
    .await
}

fn ids(answer: &crate::support::Answer) -> Vec<String> {
    answer.data()["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every frame waiting on a registration's queue, as text.
fn drain(queue: &mut tokio::sync::mpsc::Receiver<impl std::fmt::Debug>) -> Vec<String> {
    let mut heard = vec![];
    while let Ok(push) = queue.try_recv() {
        heard.push(format!("{push:?}"));
    }
    heard
}

#[tokio::test]
async fn a_security_report_comes_first_in_the_queue_even_when_others_waited_longer() {
    let h = harness();
    let anna = h.signed_in("anna@example.com").await.access_token;
    let anna = anna.expose().to_owned();
    let bob = h.signed_in("bob@example.com").await.access_token;
    let bob = bob.expose().to_owned();
    let ana = agent(&h, "ana@example.com").await;
    let question = start(&h, &anna, "question", 1).await;
    h.advance(600);
    let report = start(&h, &bob, "security_report", 2).await;
    h.advance(10);
    let later = start(&h, &anna, "other", 3).await;
    h.advance(10);
    let queue = h.get_auth("/api/agent/queue", &ana).await;
    queue.ok(200);
    assert_eq!(
        ids(&queue),
        [report.as_str(), question.as_str(), later.as_str()]
    );
}

#[tokio::test]
async fn the_queue_lists_views_longest_waiting_first_with_filters_and_counts() {
    let h = harness();
    let anna = h.signed_in("anna@example.com").await.access_token;
    let anna = anna.expose().to_owned();
    let bob = h.signed_in("bob@example.com").await.access_token;
    let bob = bob.expose().to_owned();
    let ana = agent(&h, "ana@example.com").await;
    let ana_id = user_id(&h, "ana@example.com").await;
    let (_agent_registration, mut agent_socket) = h
        .state
        .live
        .connect_as(&ana_id, "ana-socket", true)
        .unwrap();
    let anna_id = user_id(&h, "anna@example.com").await;
    let (_person_registration, mut person_socket) =
        h.state.live.connect(&anna_id, "anna-socket").unwrap();

    let first = start(&h, &anna, "question", 1).await;
    // Every agent hears the new counts; the person does not.
    let heard = drain(&mut agent_socket);
    assert!(
        heard.iter().any(|e| e.contains(
            "AgentQueue { counts: QueueCounts { unassigned: 1, mine: 0, open: 1, waiting: 0, resolved: 0 } }"
        )),
        "{heard:?}"
    );
    h.advance(100);
    let second = start(&h, &bob, "account_recovery", 2).await;
    h.advance(20);

    let queue = h.get_auth("/api/agent/queue", &ana).await;
    queue.ok(200);
    assert_eq!(ids(&queue), [first.as_str(), second.as_str()]);
    let row = &queue.data()["rows"][0];
    assert_eq!(row["topic"], "question");
    assert_eq!(row["subject"], "About question");
    assert_eq!(row["requester"]["name"], "Test Person");
    assert_eq!(row["requester"]["language"], "en");
    assert_eq!(row["status"], "new");
    assert_eq!(row["assignee"], serde_json::Value::Null);
    assert_eq!(row["waiting_seconds"], 120);
    assert_eq!(row["unread_for_agent"], 1);
    assert_eq!(queue.data()["rows"][1]["waiting_seconds"], 20);
    assert_eq!(
        queue.data()["counts"],
        json!({"unassigned": 2, "mine": 0, "open": 2, "waiting": 0, "resolved": 0})
    );

    // Filters.
    let only = |query: &'static str| {
        let ana = ana.clone();
        let h = &h;
        async move {
            ids(h
                .get_auth(&format!("/api/agent/queue?{query}"), &ana)
                .await
                .ok(200))
        }
    };
    assert_eq!(only("topic=account_recovery").await, [second.as_str()]);
    assert_eq!(only("min_wait=60").await, [first.as_str()]);
    assert_eq!(only("language=nl").await, Vec::<String>::new());
    assert_eq!(
        only("view=open&language=en").await,
        [first.as_str(), second.as_str()]
    );

    // An agent answers the first: it now waits for the person, since the answer.
    h.advance(30);
    h.post_auth(
        &format!("/api/support/conversations/{first}/messages"),
        &ana,
        json!({"client_msg_id": uuid(3), "body": "Let me look"}),
    )
    .await
    .ok(200);
    h.advance(5);
    assert_eq!(only("view=open").await, [second.as_str()]);
    let waiting = h.get_auth("/api/agent/queue?view=waiting", &ana).await;
    assert_eq!(ids(&waiting), [first.as_str()]);
    assert_eq!(waiting.data()["rows"][0]["waiting_seconds"], 5);
    assert_eq!(waiting.data()["rows"][0]["unread_for_agent"], 0);
    assert_eq!(only("view=mine").await, Vec::<String>::new());
    assert_eq!(only("view=resolved").await, Vec::<String>::new());
    let heard = drain(&mut agent_socket);
    assert!(
        heard.iter().any(|e| e.contains(
            "AgentQueue { counts: QueueCounts { unassigned: 2, mine: 0, open: 1, waiting: 1, resolved: 0 } }"
        )),
        "{heard:?}"
    );

    // The person waits again from their next message; resolving ends it.
    h.post_auth(
        &format!("/api/support/conversations/{first}/close"),
        &ana,
        json!({}),
    )
    .await
    .ok(200);
    assert_eq!(only("view=resolved").await, [first.as_str()]);
    assert_eq!(only("").await, [second.as_str()]);

    // Nothing of the queue reaches the person's socket.
    let person_heard = drain(&mut person_socket);
    assert!(!person_heard.is_empty());
    assert!(
        person_heard.iter().all(|e| !e.contains("AgentQueue")),
        "{person_heard:?}"
    );

    // Bad parameters name themselves.
    for (query, field) in [
        ("view=all", "view"),
        ("view=unknown", "view"),
        ("topic=nope", "topic"),
        ("language=xx", "language"),
        ("min_wait=-1", "min_wait"),
        ("min_wait=99999999", "min_wait"),
    ] {
        h.get_auth(&format!("/api/agent/queue?{query}"), &ana)
            .await
            .err_field(ErrorCode::FieldInvalid, field);
    }
}

#[tokio::test]
async fn of_two_agents_claiming_a_hundred_times_at_once_exactly_one_wins() {
    let h = harness();
    let person = h.signed_in("anna@example.com").await.access_token;
    let person = person.expose().to_owned();
    let ana = agent(&h, "ana@example.com").await;
    let ben = agent(&h, "ben@example.com").await;
    let id = start(&h, &person, "question", 1).await;
    let claim = format!("/api/agent/conversations/{id}/claim");

    let calls = (0..200).map(|i| {
        let token = if i % 2 == 0 { &ana } else { &ben };
        h.post_auth(&claim, token, json!({}))
    });
    let answers = futures_util::future::join_all(calls).await;
    let winners: Vec<_> = answers.iter().filter(|a| a.status == 200).collect();
    assert_eq!(winners.len(), 1, "exactly one claim wins");
    let holder = winners[0].data()["assignee"].clone();
    let losers: Vec<_> = answers.iter().filter(|a| a.status != 200).collect();
    assert_eq!(losers.len(), 199);
    for lost in losers {
        lost.err(ErrorCode::AlreadyClaimed);
        assert_eq!(lost.status, 409);
        assert_eq!(lost.body["data"]["holder"], holder, "{}", lost.body);
    }
    let holder_id = holder["id"].as_str().unwrap().to_owned();
    let stored: Option<String> = h
        .query({
            let id = id.clone();
            move |c| {
                c.query_row(
                    "SELECT assignee_id FROM support_conversations WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
            }
        })
        .await;
    assert_eq!(stored.as_deref(), Some(holder_id.as_str()));

    // The person sees "agent joined" once, also after the holder answers.
    let ana_id = user_id(&h, "ana@example.com").await;
    let ben_id = user_id(&h, "ben@example.com").await;
    let (winner, other, other_id) = if holder_id == ana_id {
        (&ana, &ben, ben_id)
    } else {
        assert_eq!(holder_id, ben_id);
        (&ben, &ana, ana_id)
    };
    h.post_auth(
        &format!("/api/support/conversations/{id}/messages"),
        winner,
        json!({"client_msg_id": uuid(9), "body": "I am on it"}),
    )
    .await
    .ok(200);
    let detail = h
        .get_auth(&format!("/api/support/conversations/{id}"), &person)
        .await;
    let kinds: Vec<&str> = detail.data()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["text", "agent_joined", "text"]);

    // The queue shows who holds it; it is in the holder's "mine", nobody's "unassigned".
    let mine = h.get_auth("/api/agent/queue?view=mine", winner).await;
    assert_eq!(ids(&mine), [id.as_str()]);
    assert_eq!(mine.data()["rows"][0]["assignee"], holder);
    assert_eq!(mine.data()["counts"]["mine"], 1);
    assert_eq!(mine.data()["counts"]["unassigned"], 0);
    let theirs = h.get_auth("/api/agent/queue?view=mine", other).await;
    assert_eq!(ids(&theirs), Vec::<String>::new());

    // Assigning hands it over, to members of the team only; no second "agent joined".
    let person_id = user_id(&h, "anna@example.com").await;
    let assign = format!("/api/agent/conversations/{id}/assign");
    h.post_auth(&assign, winner, json!({"agent_id": person_id}))
        .await
        .err_field(ErrorCode::FieldInvalid, "agent_id");
    h.post_auth(&assign, winner, json!({"agent_id": "nobody"}))
        .await
        .err_field(ErrorCode::FieldInvalid, "agent_id");
    let handed = h
        .post_auth(&assign, winner, json!({"agent_id": other_id}))
        .await;
    handed.ok(200);
    assert_eq!(handed.data()["assignee"]["id"], other_id.as_str());
    assert_eq!(
        ids(&h.get_auth("/api/agent/queue?view=mine", other).await),
        [id.as_str()]
    );
    let detail = h
        .get_auth(&format!("/api/support/conversations/{id}"), &person)
        .await;
    let joined = detail.data()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "agent_joined")
        .count();
    assert_eq!(joined, 1);
    // Claiming what someone holds, or a conversation that does not exist.
    h.post_auth(&claim, winner, json!({}))
        .await
        .err(ErrorCode::AlreadyClaimed);
    h.post_auth("/api/agent/conversations/nope/claim", winner, json!({}))
        .await
        .err(ErrorCode::ConversationNotFound);
    h.post_auth(
        "/api/agent/conversations/nope/assign",
        winner,
        json!({"agent_id": other_id}),
    )
    .await
    .err(ErrorCode::ConversationNotFound);
}

#[tokio::test]
async fn internal_notes_reach_agents_only_and_never_the_person() {
    const MARKER: &str = "NOTE-MARKER-7f3a9c";
    let h = harness();
    let person = h.signed_in("anna@example.com").await.access_token;
    let person = person.expose().to_owned();
    let ana = agent(&h, "ana@example.com").await;
    let _ben = agent(&h, "ben@example.com").await;
    let anna_id = user_id(&h, "anna@example.com").await;
    let ben_id = user_id(&h, "ben@example.com").await;
    let (_p, mut person_socket) = h.state.live.connect(&anna_id, "anna-socket").unwrap();
    let (_b, mut ben_socket) = h
        .state
        .live
        .connect_as(&ben_id, "ben-socket", true)
        .unwrap();

    let id = start(&h, &person, "security_report", 1).await;
    // An agent reply the person will not read, so the unseen-reply mail is due later.
    h.post_auth(
        &format!("/api/support/conversations/{id}/messages"),
        &ana,
        json!({"client_msg_id": uuid(2), "body": "We are looking into it"}),
    )
    .await
    .ok(200);
    let conversation = format!("/api/support/conversations/{id}");
    let list_before = h.get_auth("/api/support/conversations", &person).await;
    let detail_before = h.get_auth(&conversation, &person).await;
    drain(&mut ben_socket);

    let notes = format!("/api/agent/conversations/{id}/notes");
    let note = json!({"client_msg_id": uuid(3), "body": format!("Checked the logs: {MARKER}")});
    let saved = h.post_auth(&notes, &ana, note.clone()).await;
    saved.ok(200);
    assert_eq!(saved.data()["author"]["name"], "Test Person");
    // The same client id again: the stored note, nothing new.
    let again = h.post_auth(&notes, &ana, note).await;
    assert_eq!(again.data()["id"], saved.data()["id"]);
    let count: i64 = h
        .query(|c| c.query_row("SELECT count(*) FROM support_notes", [], |r| r.get(0)))
        .await;
    assert_eq!(count, 1);
    // Bad notes.
    h.post_auth(
        &notes,
        &ana,
        json!({"client_msg_id": uuid(4), "body": "  "}),
    )
    .await
    .err(ErrorCode::MessageEmpty);
    h.post_auth(&notes, &ana, json!({"client_msg_id": "x", "body": "b"}))
        .await
        .err_field(ErrorCode::FieldInvalid, "client_msg_id");
    h.post_auth(
        "/api/agent/conversations/nope/notes",
        &ana,
        json!({"client_msg_id": uuid(5), "body": "b"}),
    )
    .await
    .err(ErrorCode::ConversationNotFound);

    // The team sees it: in the notes view and live on another agent's socket (once).
    let listed = h.get_auth(&notes, &ana).await;
    listed.ok(200);
    assert!(String::from_utf8_lossy(&listed.bytes).contains(MARKER));
    let heard = drain(&mut ben_socket);
    assert_eq!(
        heard.iter().filter(|e| e.contains(MARKER)).count(),
        1,
        "{heard:?}"
    );

    // The person: nothing in any answer, and the answers did not even change.
    let list_after = h.get_auth("/api/support/conversations", &person).await;
    assert_eq!(list_after.bytes, list_before.bytes, "list, unread, preview");
    let detail_after = h.get_auth(&conversation, &person).await;
    assert_eq!(detail_after.bytes, detail_before.bytes, "detail");
    let mut person_bytes = vec![list_after.bytes.clone(), detail_after.bytes.clone()];
    for after in [0, 1, 2, 3, 4, 5, 6] {
        let answer = h
            .get_auth(&format!("{conversation}?after={after}"), &person)
            .await;
        answer.ok(200);
        person_bytes.push(answer.bytes.clone());
    }
    // The person's socket: live frames, and the replay from seq 0.
    let live = drain(&mut person_socket);
    assert!(!live.is_empty());
    person_bytes.extend(live.into_iter().map(String::into_bytes));
    let replay = h.state.accounts.support_replay(&anna_id, 0).await.unwrap();
    let replay = format!("{replay:?}");
    assert!(replay.contains("We are looking into it"), "{replay}");
    person_bytes.push(replay.into_bytes());
    // Mail: the unseen reply is mailed, without the note.
    h.advance(11 * 60);
    assert_eq!(h.state.accounts.mail_unseen_replies().await.unwrap(), 1);
    h.deliver().await;
    let mails = h.mailbox.all();
    assert!(mails.iter().any(|m| m.to == "anna@example.com"));
    for mail in &mails {
        person_bytes.push(format!("{} {} {}", mail.subject, mail.text, mail.html).into_bytes());
    }
    for bytes in &person_bytes {
        assert!(
            !String::from_utf8_lossy(bytes).contains(MARKER),
            "the note reached the person: {}",
            String::from_utf8_lossy(bytes)
        );
    }
    // Nor can the person read the notes route.
    h.get_auth(&notes, &person).await.err(ErrorCode::NotAgent);
}

#[tokio::test]
async fn viewing_and_typing_reach_the_other_agents_only_and_are_never_stored() {
    let h = harness();
    let person = h.signed_in("anna@example.com").await.access_token;
    let person = person.expose().to_owned();
    let ana = agent(&h, "ana@example.com").await;
    let _ben = agent(&h, "ben@example.com").await;
    let (anna_id, ana_id, ben_id) = (
        user_id(&h, "anna@example.com").await,
        user_id(&h, "ana@example.com").await,
        user_id(&h, "ben@example.com").await,
    );
    let id = start(&h, &person, "question", 1).await;
    let (_p, mut person_socket) = h.state.live.connect(&anna_id, "anna-socket").unwrap();
    let (_a, mut ana_socket) = h
        .state
        .live
        .connect_as(&ana_id, "ana-socket", true)
        .unwrap();
    let (_b, mut ben_socket) = h
        .state
        .live
        .connect_as(&ben_id, "ben-socket", true)
        .unwrap();
    drain(&mut person_socket);
    drain(&mut ana_socket);
    drain(&mut ben_socket);
    let stored = || {
        h.query(|c| {
            c.query_row(
                "SELECT (SELECT count(*) FROM support_events) + (SELECT count(*) FROM support_messages)
                    + (SELECT count(*) FROM support_notes)",
                [],
                |r| r.get::<_, i64>(0),
            )
        })
    };
    let before = stored().await;

    for (route, kind, seconds) in [("viewing", "Viewing", 30), ("typing", "Typing", 8)] {
        h.post_auth(
            &format!("/api/agent/conversations/{id}/{route}"),
            &ana,
            json!({}),
        )
        .await
        .ok(200);
        let heard = drain(&mut ben_socket);
        assert_eq!(heard.len(), 1, "{heard:?}");
        assert!(
            heard[0].contains(&format!("AgentPresence {{ conversation_id: \"{id}\"")),
            "{heard:?}"
        );
        assert!(heard[0].contains(&format!("kind: {kind}, expires_in_seconds: {seconds}")));
        assert!(heard[0].contains(&ana_id), "{heard:?}");
        assert_eq!(
            drain(&mut ana_socket),
            Vec::<String>::new(),
            "not to oneself"
        );
        assert_eq!(
            drain(&mut person_socket),
            Vec::<String>::new(),
            "never the person"
        );
        h.post_auth(
            &format!("/api/agent/conversations/nope/{route}"),
            &ana,
            json!({}),
        )
        .await
        .err(ErrorCode::ConversationNotFound);
    }
    assert_eq!(stored().await, before, "never stored");
    // The person still sees an agent typing through the support route, as before.
    h.post_auth(
        &format!("/api/support/conversations/{id}/typing"),
        &ana,
        json!({}),
    )
    .await
    .ok(200);
    let person_heard = drain(&mut person_socket);
    assert!(
        person_heard.iter().any(|e| e.contains("SupportTyping")),
        "{person_heard:?}"
    );
}

#[tokio::test]
async fn canned_answers_come_from_the_help_search_in_the_conversations_language() {
    let h = harness();
    let person = h.signed_in("anna@example.com").await.access_token;
    let person = person.expose().to_owned();
    let ana = agent(&h, "ana@example.com").await;
    let id = start(&h, &person, "question", 1).await;

    let canned = h
        .get_auth("/api/agent/canned?q=password&language=nl", &ana)
        .await;
    canned.ok(200);
    assert_eq!(canned.data()["language"], "nl");
    let answers = canned.data()["answers"].as_array().unwrap().clone();
    assert!(!answers.is_empty());
    // The same engine and order as the help center's search.
    let search = h
        .get_auth("/api/help/search?q=password&lang=nl", &ana)
        .await;
    let hits: Vec<&str> = search
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["id"].as_str().unwrap())
        .collect();
    let ids: Vec<&str> = answers
        .iter()
        .map(|a| a["article_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, hits[..ids.len()]);
    for answer in &answers {
        let article_id = answer["article_id"].as_str().unwrap();
        assert_eq!(answer["link"], format!("xwms://help/{article_id}"));
        let article = h
            .get_auth(&format!("/api/help/articles/{article_id}?lang=nl"), &ana)
            .await;
        assert_eq!(answer["title"], article.data()["title"]);
        let short = answer["short_answer"].as_str().unwrap();
        assert!(!short.is_empty() && short.chars().count() <= 280, "{short}");
        assert!(!short.contains("]("), "plain text: {short}");
    }

    // Without a language: the conversation's, else English.
    h.query({
        let id = id.clone();
        move |c| {
            c.execute(
                "UPDATE support_conversations SET language = 'fr' WHERE id = ?1",
                [id],
            )
        }
    })
    .await;
    let french = h
        .get_auth(
            &format!("/api/agent/canned?q=password&conversation={id}"),
            &ana,
        )
        .await;
    assert_eq!(french.data()["language"], "fr");
    assert!(!french.data()["answers"].as_array().unwrap().is_empty());
    let english = h.get_auth("/api/agent/canned?q=password", &ana).await;
    assert_eq!(english.data()["language"], "en");
    let empty = h.get_auth("/api/agent/canned?q=", &ana).await;
    assert_eq!(empty.data()["answers"], json!([]));
    h.get_auth("/api/agent/canned?q=x&language=de", &ana)
        .await
        .err_field(ErrorCode::FieldInvalid, "language");
    h.get_auth("/api/agent/canned?q=x&conversation=nope", &ana)
        .await
        .err(ErrorCode::ConversationNotFound);
}

#[tokio::test]
async fn saved_replies_are_shared_by_the_team_per_language() {
    let h = harness();
    let ana = agent(&h, "ana@example.com").await;
    let ben = agent(&h, "ben@example.com").await;
    let saved = h
        .post_auth(
            "/api/agent/saved-replies",
            &ana,
            json!({"title": "Reset link", "body": "Use Forgot password.", "language": "en"}),
        )
        .await;
    saved.ok(200);
    let id = saved.data()["id"].as_str().unwrap().to_owned();
    h.post_auth(
        "/api/agent/saved-replies",
        &ana,
        json!({"title": "Herstellink", "body": "Gebruik Wachtwoord vergeten.", "language": "nl"}),
    )
    .await
    .ok(200);
    // Ben sees both; by language only the one.
    let all = h.get_auth("/api/agent/saved-replies", &ben).await;
    let titles: Vec<&str> = all.data()["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Herstellink", "Reset link"]);
    let dutch = h
        .get_auth("/api/agent/saved-replies?language=nl", &ben)
        .await;
    assert_eq!(dutch.data()["replies"].as_array().unwrap().len(), 1);
    assert_eq!(dutch.data()["replies"][0]["language"], "nl");
    // Bad input.
    h.post_auth(
        "/api/agent/saved-replies",
        &ana,
        json!({"title": " ", "body": "b", "language": "en"}),
    )
    .await
    .err_field(ErrorCode::FieldRequired, "title");
    h.post_auth(
        "/api/agent/saved-replies",
        &ana,
        json!({"title": "t", "body": "", "language": "en"}),
    )
    .await
    .err(ErrorCode::MessageEmpty);
    h.get_auth("/api/agent/saved-replies?language=xx", &ben)
        .await
        .err_field(ErrorCode::FieldInvalid, "language");
    // Anyone on the team deletes; a second delete finds nothing.
    let path = format!("/api/agent/saved-replies/{id}");
    h.call(Method::DELETE, &path, None)
        .token(&ben)
        .send()
        .await
        .ok(200);
    h.call(Method::DELETE, &path, None)
        .token(&ben)
        .send()
        .await
        .err(ErrorCode::NotFound);
    let left = h.get_auth("/api/agent/saved-replies", &ana).await;
    assert_eq!(left.data()["replies"].as_array().unwrap().len(), 1);
}
