//! Agent mode's actions (issue 12): the append-only audit log (written with the action, read
//! per case by agents and across cases by admins, exported by the CLI), the requester's
//! context, and the account actions with their reasons, audit records and mails.

use serde_json::{json, Value};
use xwms_api::ErrorCode;
use xwms_server::mail::MailKind;

use crate::support::{harness, Harness, PASSWORD};

const CONVERSATIONS: &str = "/api/support/conversations";

/// A verified, signed-in account with `role`; its access token and id.
async fn member(h: &Harness, email: &'static str, role: &'static str) -> (String, String) {
    h.verified_user(email, PASSWORD).await;
    h.query(move |c| {
        c.execute(
            "UPDATE users SET role = ?1 WHERE email_key = ?2",
            [role, email],
        )
    })
    .await;
    let token = h.sign_in(email, PASSWORD).await.access_token;
    (token.expose().to_owned(), user_id(h, email).await)
}

async fn user_id(h: &Harness, email: &'static str) -> String {
    h.query(move |c| {
        c.query_row("SELECT id FROM users WHERE email_key = ?1", [email], |r| {
            r.get(0)
        })
    })
    .await
}

async fn start(h: &Harness, token: &str, client: u32, subject: &str) -> String {
    let answer = h
        .post_auth(
            CONVERSATIONS,
            token,
            json!({
                "topic": "question",
                "subject": subject,
                "message": {"client_msg_id": format!("00000000-0000-4000-8000-{client:012x}"), "body": "Hello"},
            }),
        )
        .await;
    answer.ok(200);
    answer.data()["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn context_path(id: &str) -> String {
    format!("/api/agent/conversations/{id}/context")
}

async fn audit_count(h: &Harness) -> i64 {
    h.query(|c| c.query_row("SELECT count(*) FROM agent_audit", [], |r| r.get(0)))
        .await
}

/// Tries to change or remove every audit row; the database must refuse both.
async fn assert_append_only(h: &Harness) {
    let before = audit_count(h).await;
    assert!(before > 0, "there are audit rows to protect");
    for sql in [
        "UPDATE agent_audit SET reason = 'changed'",
        "UPDATE agent_audit SET agent_id = 'someone-else' WHERE id = (SELECT min(id) FROM agent_audit)",
        "DELETE FROM agent_audit",
        "DELETE FROM agent_audit WHERE id = (SELECT max(id) FROM agent_audit)",
    ] {
        let refused = h
            .query(move |c| Ok(c.execute(sql, []).map_err(|e| e.to_string())))
            .await;
        let err = refused.expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(audit_count(h).await, before);
    let changed: i64 = h
        .query(|c| {
            c.query_row(
                "SELECT count(*) FROM agent_audit WHERE reason = 'changed'",
                [],
                |r| r.get(0),
            )
        })
        .await;
    assert_eq!(changed, 0);
}

#[tokio::test]
async fn context_shows_the_account_and_is_audited_and_the_log_is_append_only() {
    let h = harness();
    let person = h.signed_in("person@example.com").await.access_token;
    let person = person.expose().to_owned();
    let person_id = user_id(&h, "person@example.com").await;
    let (agent, agent_id) = member(&h, "agent@example.com", "agent").await;
    let (admin, _) = member(&h, "admin@example.com", "admin").await;
    let first = start(&h, &person, 1, "First question").await;
    let report = h
        .post_auth(
            CONVERSATIONS,
            &person,
            json!({
                "topic": "security_report",
                "subject": "Someone changed my address",
                "message": {"client_msg_id": "00000000-0000-4000-8000-0000000000ff", "body": "Help"},
            }),
        )
        .await;
    report.ok(200);
    let report = report.data()["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.advance(1);
    let second = start(&h, &person, 2, "Second question").await;

    // A person may not look.
    h.get_auth(&context_path(&first), &person)
        .await
        .err(ErrorCode::NotAgent);
    h.get_auth(&context_path("no-such-conversation"), &agent)
        .await
        .err(ErrorCode::ConversationNotFound);
    assert_eq!(audit_count(&h).await, 0, "refused looks write nothing");

    let answer = h.get_auth(&context_path(&first), &agent).await;
    answer.ok(200);
    let data = answer.data();
    assert_eq!(data["conversation_id"], first.as_str());
    assert_eq!(data["guest"], false);
    assert!(data["recovery"].is_null());
    let account = &data["account"];
    assert_eq!(account["user_id"], person_id.as_str());
    assert_eq!(account["email"], "person@example.com");
    assert_eq!(account["email_verified"], true);
    assert_eq!(account["two_factor"], false);
    assert_eq!(account["locked"], false);
    assert_eq!(account["account_age_days"], 0);
    let sign_ins = account["recent_sign_ins"].as_array().unwrap();
    assert_eq!(sign_ins.len(), 1);
    assert_eq!(sign_ins[0]["ended"], false);
    assert!(!sign_ins[0]["device_name"].as_str().unwrap().is_empty());
    // The security report first (high priority), though the other question is newer.
    let others = account["other_conversations"].as_array().unwrap();
    assert_eq!(others.len(), 2, "{others:?}");
    assert_eq!(others[0]["id"], report.as_str());
    assert_eq!(others[0]["high_priority"], true);
    assert_eq!(others[1]["id"], second.as_str());
    assert_eq!(others[1]["subject"], "Second question");
    assert_eq!(others[1]["status"], "new");
    assert_eq!(others[1]["high_priority"], false);

    // A lock shows with its end.
    h.query(|c| {
        c.execute(
            "INSERT INTO sign_in_guards (email_key, budget, failures, locked_until) VALUES ('person@example.com', '', 5, 1893456000000)",
            [],
        )
    })
    .await;
    let answer = h.get_auth(&context_path(&first), &agent).await;
    assert_eq!(answer.data()["account"]["locked"], true);
    assert_eq!(
        answer.data()["account"]["locked_until"],
        "2030-01-01T00:00:00Z"
    );

    // Two looks, two records, in this case's log; an agent reads them, a person does not.
    let log = h
        .get_auth(&format!("/api/agent/audit?conversation={first}"), &agent)
        .await;
    log.ok(200);
    let records = log.data()["records"].as_array().unwrap().clone();
    assert_eq!(records.len(), 2);
    for record in &records {
        assert_eq!(record["action"], "context.viewed");
        assert_eq!(record["agent_id"], agent_id.as_str());
        assert_eq!(record["agent_name"], "Test Person");
        assert_eq!(record["account_id"], person_id.as_str());
        assert_eq!(record["conversation_id"], first.as_str());
        assert_eq!(record["at"], "2026-05-06T07:11:10Z");
    }
    h.get_auth(&format!("/api/agent/audit?conversation={second}"), &agent)
        .await
        .ok(200);
    h.get_auth(&format!("/api/agent/audit?conversation={first}"), &person)
        .await
        .err(ErrorCode::NotAgent);
    h.get_auth("/api/agent/audit?conversation=nope", &agent)
        .await
        .err(ErrorCode::ConversationNotFound);

    // Across cases: admins only.
    for query in ["", "?account=x", "?since=2026-01-01T00:00:00Z"] {
        h.get_auth(&format!("/api/agent/audit{query}"), &agent)
            .await
            .err(ErrorCode::AdminOnly);
    }
    let all = h
        .get_auth(&format!("/api/agent/audit?account={person_id}"), &admin)
        .await;
    all.ok(200);
    assert_eq!(all.data()["records"].as_array().unwrap().len(), 2);
    let none = h
        .get_auth("/api/agent/audit?since=2026-05-07T00:00:00Z", &admin)
        .await;
    assert_eq!(none.data()["records"].as_array().unwrap().len(), 0);
    let one = h.get_auth("/api/agent/audit?limit=1", &admin).await;
    assert_eq!(one.data()["records"].as_array().unwrap().len(), 1);
    for bad in ["since=yesterday", "limit=0", "limit=501", "limit=x"] {
        let answer = h.get_auth(&format!("/api/agent/audit?{bad}"), &admin).await;
        answer.err_field(ErrorCode::FieldInvalid, bad.split('=').next().unwrap());
    }

    assert_append_only(&h).await;
}

#[tokio::test]
async fn a_guest_case_shows_the_recovery_request_and_the_account_it_names() {
    let h = harness();
    h.verified_user("anna@example.com", PASSWORD).await;
    let anna_id = user_id(&h, "anna@example.com").await;
    let (agent, _) = member(&h, "agent@example.com", "agent").await;
    let answer = h
        .post(
            "/api/auth/recovery-requests",
            json!({
                "email": "anna@example.com", "name": "Anna", "contact_email": "anna.private@example.org",
                "lost": ["password", "second_factor"], "details": "Lost my phone",
            }),
        )
        .await;
    answer.ok(202);
    let reference = answer.data()["reference"].as_str().unwrap().to_owned();
    let case: String = h
        .query(move |c| {
            c.query_row(
                "SELECT id FROM support_conversations WHERE reference = ?1",
                [reference],
                |r| r.get(0),
            )
        })
        .await;
    let answer = h.get_auth(&context_path(&case), &agent).await;
    answer.ok(200);
    let data: &Value = answer.data();
    assert_eq!(data["guest"], true);
    assert_eq!(data["recovery"]["email"], "anna@example.com");
    assert_eq!(
        data["recovery"]["contact_email"],
        "anna.private@example.org"
    );
    assert_eq!(
        data["recovery"]["lost"],
        json!(["password", "second_factor"])
    );
    assert_eq!(data["recovery"]["details"], "Lost my phone");
    assert_eq!(data["account"]["user_id"], anna_id.as_str());

    // A request naming no account: the request only.
    let answer = h
        .post(
            "/api/auth/recovery-requests",
            json!({
                "email": "nobody@example.com", "name": "Nobody", "contact_email": "nobody@example.org",
                "lost": ["password"], "details": "",
            }),
        )
        .await;
    let reference = answer.data()["reference"].as_str().unwrap().to_owned();
    let case: String = h
        .query(move |c| {
            c.query_row(
                "SELECT id FROM support_conversations WHERE reference = ?1",
                [reference],
                |r| r.get(0),
            )
        })
        .await;
    let answer = h.get_auth(&context_path(&case), &agent).await;
    assert_eq!(answer.data()["recovery"]["email"], "nobody@example.com");
    assert!(answer.data()["account"].is_null());
    let log = h
        .get_auth(&format!("/api/agent/audit?conversation={case}"), &agent)
        .await;
    let records = log.data()["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert!(records[0]["account_id"].is_null());
}

#[tokio::test]
async fn audit_export_prints_json_lines_since_a_time() {
    let h = harness();
    let person = h.signed_in("person@example.com").await.access_token;
    let (agent, _) = member(&h, "agent@example.com", "agent").await;
    let first = start(&h, person.expose(), 1, "One").await;
    h.get_auth(&context_path(&first), &agent).await.ok(200);
    h.advance(600);
    h.get_auth(&context_path(&first), &agent).await.ok(200);
    let dir = h.dir.path().to_owned();
    let export = |since: &str| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_xwms-server"));
        for var in xwms_server::config::env::ALL_SETTINGS {
            command.env_remove(var);
        }
        command
            .args(["audit", "export", "--since", since, "--data-dir"])
            .arg(&dir)
            .output()
            .unwrap()
    };
    let all = export("2026-01-01T00:00:00Z");
    assert!(
        all.status.success(),
        "{}",
        String::from_utf8_lossy(&all.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(all.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["action"], "context.viewed");
    assert_eq!(lines[0]["conversation_id"], first.as_str());
    assert!(lines[0]["id"].as_i64() < lines[1]["id"].as_i64());

    let later = export("2026-05-06T07:15:00Z");
    let text = String::from_utf8(later.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");

    let bad = export("yesterday");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("RFC 3339"));
}

fn unlock_path(user_id: &str) -> String {
    format!("/api/agent/accounts/{user_id}/unlock")
}

#[tokio::test]
async fn unlock_needs_an_agent_and_a_reason_lifts_the_lock_at_once_and_is_audited() {
    let h = harness();
    h.verified_user("person@example.com", PASSWORD).await;
    let person_id = user_id(&h, "person@example.com").await;
    // Ten wrong passwords lock the account; then even the right one is refused.
    for _ in 0..10 {
        h.advance(61);
        h.sign_in_answer("person@example.com", "Wrong-Password-1")
            .await;
    }
    h.sign_in_answer("person@example.com", PASSWORD)
        .await
        .err(ErrorCode::Locked);
    let (agent, agent_id) = member(&h, "agent@example.com", "agent").await;
    let (user, _) = member(&h, "user@example.com", "user").await;
    let before_mail = h.mailbox.count();

    let body = |reason: &str| json!({ "reason": reason });
    h.post_auth(&unlock_path(&person_id), &user, body("Verified by phone"))
        .await
        .err(ErrorCode::NotAgent);
    h.post_auth(&unlock_path(&person_id), &agent, body(""))
        .await
        .err_field(ErrorCode::FieldRequired, "reason");
    h.post_auth(&unlock_path(&person_id), &agent, body("   "))
        .await
        .err_field(ErrorCode::FieldRequired, "reason");
    h.post_auth(&unlock_path(&person_id), &agent, body(&"x".repeat(501)))
        .await
        .err_field(ErrorCode::FieldTooLong, "reason");
    h.post_auth(&unlock_path(&person_id), &agent, body("line\u{7}bell"))
        .await
        .err_field(ErrorCode::FieldInvalid, "reason");
    h.post_auth(&unlock_path(&person_id), &agent, json!({}))
        .await
        .err(ErrorCode::InvalidRequest);
    h.post_auth(&unlock_path("no-such-account"), &agent, body("Checked"))
        .await
        .err(ErrorCode::NotFound);
    h.post_auth(
        &unlock_path(&person_id),
        &agent,
        json!({"reason": "Checked", "conversation_id": "nope"}),
    )
    .await
    .err(ErrorCode::ConversationNotFound);
    assert_eq!(audit_count(&h).await, 0, "a refused action writes nothing");
    h.sign_in_answer("person@example.com", PASSWORD)
        .await
        .err(ErrorCode::Locked);

    let answer = h
        .post_auth(
            &unlock_path(&person_id),
            &agent,
            body(&format!("  {}  ", "y".repeat(500))),
        )
        .await;
    answer.ok(200);
    let audit_id = answer.data()["audit_id"].as_i64().unwrap();
    // The owner signs in again right away.
    h.sign_in("person@example.com", PASSWORD).await;

    let mail = h
        .last_mail("person@example.com", MailKind::AccountUnlockedBySupport)
        .await
        .expect("the owner is told");
    assert!(mail.text.contains("lifted the lock"), "{}", mail.text);
    assert!(h.mailbox.count() > before_mail);
    let (action, agent_of, account, reason, details): (String, String, String, String, String) = h
        .query(move |c| {
            c.query_row(
                "SELECT action, agent_id, account_id, reason, details FROM agent_audit WHERE id = ?1",
                [audit_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
        })
        .await;
    assert_eq!(action, "account.unlocked");
    assert_eq!(agent_of, agent_id);
    assert_eq!(account, person_id);
    assert_eq!(reason, "y".repeat(500), "stored trimmed");
    assert_eq!(details, r#"{"was_locked":"true"}"#);
    let unlocked: i64 = h
        .query(move |c| {
            c.query_row(
                "SELECT count(*) FROM security_events WHERE user_id = ?1 AND kind = 'account_unlocked'",
                [person_id],
                |r| r.get(0),
            )
        })
        .await;
    assert_eq!(unlocked, 1);
    assert_append_only(&h).await;
}

fn action_path(user_id: &str, action: &str) -> String {
    format!("/api/agent/accounts/{user_id}/{action}")
}

#[tokio::test]
async fn suspension_refuses_sign_in_lets_the_person_appeal_and_lifting_it_lets_them_back() {
    let h = harness();
    let old = h.signed_in("person@example.com").await;
    let old_access = old.access_token.expose().to_owned();
    let person_id = user_id(&h, "person@example.com").await;
    let (agent, _) = member(&h, "agent@example.com", "agent").await;
    let (user, _) = member(&h, "user@example.com", "user").await;
    let suspend = action_path(&person_id, "suspend");

    // The agent role and a reason are required; the reason code must be known.
    h.post_auth(
        &suspend,
        &user,
        json!({"reason": "Spam", "reason_code": "spam"}),
    )
    .await
    .err(ErrorCode::NotAgent);
    h.post_auth(
        &suspend,
        &agent,
        json!({"reason": "", "reason_code": "spam"}),
    )
    .await
    .err_field(ErrorCode::FieldRequired, "reason");
    h.post_auth(
        &suspend,
        &agent,
        json!({"reason": "Spam", "reason_code": "unknown"}),
    )
    .await
    .err_field(ErrorCode::FieldInvalid, "reason_code");
    h.post_auth(&suspend, &agent, json!({"reason": "Spam"}))
        .await
        .err(ErrorCode::InvalidRequest);
    for action in ["suspension/lift", "suspension/keep"] {
        h.post_auth(
            &action_path(&person_id, action),
            &user,
            json!({"reason": "R"}),
        )
        .await
        .err(ErrorCode::NotAgent);
        h.post_auth(
            &action_path(&person_id, action),
            &agent,
            json!({"reason": " "}),
        )
        .await
        .err_field(ErrorCode::FieldRequired, "reason");
    }
    assert_eq!(audit_count(&h).await, 0);
    h.get_auth("/api/account", &old_access).await.ok(200);

    let done = h
        .post_auth(
            &suspend,
            &agent,
            json!({"reason": "Sent 400 spam messages", "reason_code": "spam"}),
        )
        .await;
    done.ok(200);

    // The old session ended; its token says why, on every authenticated route.
    for path in [
        "/api/account",
        "/api/support/conversations",
        "/api/account/security",
    ] {
        let answer = h.get_auth(path, &old_access).await;
        answer.err(ErrorCode::Suspended);
        assert_eq!(answer.data()["suspension_reason"], "spam");
    }
    h.post(
        "/api/auth/refresh",
        json!({"refresh_token": old.refresh_token.expose()}),
    )
    .await
    .err(ErrorCode::SessionRevoked);
    let mail = h
        .last_mail("person@example.com", MailKind::AccountSuspended)
        .await
        .expect("the person is told");
    assert!(
        mail.text.contains("because of sending spam"),
        "{}",
        mail.text
    );
    assert!(
        !mail.text.contains("400 spam messages"),
        "the agent's reason stays internal"
    );

    // A wrong password learns nothing; the right one learns the suspension and may appeal.
    h.sign_in_answer("person@example.com", "Wrong-Password-1")
        .await
        .err(ErrorCode::InvalidCredentials);
    let refused = h.sign_in_answer("person@example.com", PASSWORD).await;
    refused.err(ErrorCode::Suspended);
    assert_eq!(refused.data()["suspension_reason"], "spam");
    let appeal_token = refused.data()["appeal_token"].as_str().unwrap().to_owned();
    assert!(appeal_token.starts_with("xwms_at_"));

    let appeal = |token: String, n: u32, text: &'static str| {
        let h = &h;
        async move {
            h.post_auth(
                "/api/support/appeals",
                &token,
                json!({"client_msg_id": format!("00000000-0000-4000-8000-{n:012x}"), "body": text}),
            )
            .await
        }
    };
    appeal("xwms_at_wrong".into(), 1, "Hello")
        .await
        .err(ErrorCode::Unauthorized);
    let opened = appeal(appeal_token.clone(), 1, "It was my brother, not me").await;
    opened.ok(200);
    let case = opened.data()["conversation"]["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        opened.data()["conversation"]["conversation"]["topic"],
        "suspension_appeal"
    );
    let guest = opened.data()["token"].as_str().unwrap().to_owned();
    // The guest token works on the guest routes; a second appeal joins the open case.
    h.get_auth("/api/support/guest/conversation", &guest)
        .await
        .ok(200);
    let again = appeal(appeal_token.clone(), 2, "Please look again").await;
    again.ok(200);
    assert_eq!(
        again.data()["conversation"]["conversation"]["id"],
        case.as_str()
    );
    assert_eq!(
        again.data()["conversation"]["messages"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The agent sees the appeal with the account behind it, and keeps, then lifts.
    let list = h.get_auth("/api/agent/conversations", &agent).await;
    assert!(list.data()["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == case.as_str()));
    let context = h.get_auth(&context_path(&case), &agent).await;
    assert_eq!(context.data()["account"]["user_id"], person_id.as_str());
    h.post_auth(
        &action_path(&person_id, "suspension/keep"),
        &agent,
        json!({"reason": "Evidence is clear", "conversation_id": case}),
    )
    .await
    .ok(200);
    assert!(h
        .last_mail("person@example.com", MailKind::SuspensionKept)
        .await
        .is_some());
    h.sign_in_answer("person@example.com", PASSWORD)
        .await
        .err(ErrorCode::Suspended);
    h.post_auth(
        &action_path(&person_id, "suspension/lift"),
        &agent,
        json!({"reason": "Second look: the brother's device", "conversation_id": case}),
    )
    .await
    .ok(200);
    assert!(h
        .last_mail("person@example.com", MailKind::SuspensionLifted)
        .await
        .is_some());
    let back = h.sign_in("person@example.com", PASSWORD).await;
    h.get_auth("/api/account", back.access_token.expose())
        .await
        .ok(200);
    // The appeal token died with the suspension.
    appeal(appeal_token, 3, "Thanks")
        .await
        .err(ErrorCode::Unauthorized);

    // The case's log holds the decisions with their reasons.
    let log = h
        .get_auth(&format!("/api/agent/audit?conversation={case}"), &agent)
        .await;
    let actions: Vec<(String, String)> = log.data()["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_owned(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("context.viewed".to_owned(), String::new()),
            ("suspension.kept".to_owned(), "Evidence is clear".to_owned()),
            (
                "suspension.lifted".to_owned(),
                "Second look: the brother's device".to_owned()
            ),
        ]
    );
    let suspended: (String, String) = h
        .query(move |c| {
            c.query_row(
                "SELECT reason, details FROM agent_audit WHERE action = 'account.suspended'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await;
    assert_eq!(suspended.0, "Sent 400 spam messages");
    assert_eq!(
        suspended.1,
        r#"{"reason_code":"spam","sessions_ended":"1"}"#
    );
    assert_append_only(&h).await;
}

#[tokio::test]
async fn recovery_ends_every_session_removes_two_factor_and_mails_a_one_time_reset_code() {
    let h = harness();
    let old = h.signed_in("anna@example.com").await;
    let old_access = old.access_token.expose().to_owned();
    crate::two_factor::enable(&h, &old_access).await;
    let anna_id = user_id(&h, "anna@example.com").await;
    let (agent, _) = member(&h, "agent@example.com", "agent").await;
    let (user, _) = member(&h, "user@example.com", "user").await;
    let answer = h
        .post(
            "/api/auth/recovery-requests",
            json!({
                "email": "anna@example.com", "name": "Anna", "contact_email": "anna.private@example.org",
                "lost": ["password", "second_factor"], "details": "Phone stolen",
            }),
        )
        .await;
    let reference = answer.data()["reference"].as_str().unwrap().to_owned();
    let case: String = h
        .query(move |c| {
            c.query_row(
                "SELECT id FROM support_conversations WHERE reference = ?1",
                [reference],
                |r| r.get(0),
            )
        })
        .await;
    let path = action_path(&anna_id, "recovery");
    h.post_auth(&path, &user, json!({"reason": "Checked"}))
        .await
        .err(ErrorCode::NotAgent);
    h.post_auth(
        &path,
        &agent,
        json!({"reason": "", "remove_two_factor": true}),
    )
    .await
    .err_field(ErrorCode::FieldRequired, "reason");
    h.get_auth("/api/account", &old_access).await.ok(200);
    let done = h
        .post_auth(
            &path,
            &agent,
            json!({"reason": "Checked ID and the last sign-in device", "conversation_id": case, "remove_two_factor": true}),
        )
        .await;
    done.ok(200);

    // Every old session is gone.
    h.get_auth("/api/account", &old_access)
        .await
        .err(ErrorCode::SessionRevoked);
    h.post(
        "/api/auth/refresh",
        json!({"refresh_token": old.refresh_token.expose()}),
    )
    .await
    .err(ErrorCode::SessionRevoked);

    // The mail carries the code and reset key; the person sets a new password with them, once.
    let mail = h
        .last_mail("anna@example.com", MailKind::SupportRecoveryCode)
        .await
        .expect("the code is mailed");
    let code = mail.code().expect("a code");
    let key = mail
        .text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Reset key: "))
        .expect("the reset key")
        .to_owned();
    let reset = |code: String| {
        let key = key.clone();
        let h = &h;
        async move {
            h.post(
                "/api/auth/password/reset",
                json!({"email": "anna@example.com", "code": code, "challenge_id": key, "new_password": crate::support::OTHER_PASSWORD}),
            )
            .await
        }
    };
    reset(code.clone()).await.ok(200);
    let again = reset(code).await;
    assert!(
        again.status.is_client_error(),
        "a code works once: {}",
        again.body
    );
    h.sign_in_answer("anna@example.com", PASSWORD)
        .await
        .err(ErrorCode::InvalidCredentials);
    // Two-step verification was removed: the new password alone signs in.
    h.sign_in("anna@example.com", crate::support::OTHER_PASSWORD)
        .await;

    let log = h
        .get_auth(&format!("/api/agent/audit?conversation={case}"), &agent)
        .await;
    let records = log.data()["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["action"], "account.recovery_started");
    assert_eq!(records[0]["account_id"], anna_id.as_str());
    assert_eq!(records[0]["details"]["two_factor_removed"], "true");
    assert_eq!(records[0]["details"]["sessions_ended"], "1");
    assert_append_only(&h).await;
}
