//! Sessions, the security timeline with its alerts, the overview and API credentials.

use axum::http::Method;
use base64::Engine;
use serde_json::{json, Value};
use xwms_api::security::paths;
use xwms_api::ErrorCode;
use xwms_server::mail::MailKind;

use crate::support::{device, harness, Answer, Harness, OTHER_PASSWORD, PASSWORD};

const EMAIL: &str = "anna@example.com";

/// Signs in from `installation` at peer `ip`; returns the access token and session id.
async fn sign_in_from(
    h: &Harness,
    installation: &str,
    ip: &str,
    app: &str,
    os: &str,
) -> (String, String) {
    let mut dev = device(installation);
    dev["app"] = json!(app);
    dev["os"] = json!(os);
    let mut call = h.call(
        Method::POST,
        "/api/auth/signin",
        Some(json!({"email": EMAIL, "password": PASSWORD, "device": dev})),
    );
    if ip != "unknown" {
        call = call.peer(ip);
    }
    let answer = call.send().await;
    answer.ok(200);
    (
        answer.data()["access_token"].as_str().unwrap().to_owned(),
        answer.data()["session_id"].as_str().unwrap().to_owned(),
    )
}

async fn delete(h: &Harness, path: &str, token: &str) -> Answer {
    h.call(Method::DELETE, path, None).token(token).send().await
}

async fn events(h: &Harness, token: &str) -> Vec<Value> {
    let answer = h.get_auth(paths::SECURITY_EVENTS, token).await;
    answer.ok(200);
    answer.data()["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sessions_list_current_first_with_their_device_type() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    let (_, desktop) = sign_in_from(&h, "i-desktop", "192.0.2.1", "XWMS-Desktop", "macos").await;
    h.advance(120);
    let (_, cli) = sign_in_from(&h, "i-cli", "192.0.2.1", "xwms-cli", "linux").await;
    h.advance(120);
    let (_, phone) = sign_in_from(&h, "i-phone", "192.0.2.1", "XWMS", "ios").await;
    h.advance(120);
    let (token, web) = sign_in_from(&h, "i-other", "192.0.2.1", "curl", "linux").await;
    let answer = h.get_auth(paths::SESSIONS, &token).await;
    answer.ok(200);
    let list = answer.data()["sessions"].as_array().unwrap();
    let row: Vec<(String, String, bool)> = list
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["device_type"].as_str().unwrap().to_owned(),
                s["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        row,
        vec![
            (web, "other".into(), true),
            (phone, "mobile".into(), false),
            (cli, "cli".into(), false),
            (desktop, "desktop".into(), false),
        ]
    );
    assert_eq!(list[0]["ip"], "192.0.2.1");
    assert_eq!(list[0]["app_version"], "0.1.0");
}

#[tokio::test]
async fn removing_sessions_one_by_one_or_all_others() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let token = tokens.access_token.expose().to_owned();
    let (other_token, other) = sign_in_from(&h, "i-2", "unknown", "XWMS-Desktop", "linux").await;
    delete(
        &h,
        &paths::with_id(paths::SESSION, &tokens.session_id),
        &token,
    )
    .await
    .err(ErrorCode::SessionIsCurrent);
    delete(&h, &paths::with_id(paths::SESSION, "nope"), &token)
        .await
        .err(ErrorCode::SessionNotFound);
    // Someone else's session is not found either.
    let bram = h.signed_in("bram@example.com").await;
    delete(
        &h,
        &paths::with_id(paths::SESSION, &bram.session_id),
        &token,
    )
    .await
    .err(ErrorCode::SessionNotFound);
    delete(&h, &paths::with_id(paths::SESSION, &other), &token)
        .await
        .ok(200);
    h.get_auth("/api/account", &other_token)
        .await
        .err(ErrorCode::SessionRevoked);
    delete(&h, &paths::with_id(paths::SESSION, &other), &token)
        .await
        .err(ErrorCode::SessionNotFound);
    let removed = events(&h, &token).await;
    assert_eq!(removed[0]["kind"], "session_revoked");
    assert_eq!(removed[0]["session_id"], json!(other));
    assert_eq!(removed[0]["session_active"], false);
    assert_eq!(
        removed[0]["device"], "anna-laptop",
        "the removed session's device"
    );

    let (third, _) = sign_in_from(&h, "i-3", "unknown", "XWMS-Desktop", "linux").await;
    let (fourth, _) = sign_in_from(&h, "i-4", "unknown", "xwms-cli", "linux").await;
    h.post_auth(
        paths::REVOKE_OTHER_SESSIONS,
        &token,
        json!({"password": OTHER_PASSWORD}),
    )
    .await
    .err_field(ErrorCode::PasswordIncorrect, "password");
    let answer = h
        .post_auth(
            paths::REVOKE_OTHER_SESSIONS,
            &token,
            json!({"password": PASSWORD}),
        )
        .await;
    answer.ok(200);
    assert_eq!(answer.data()["sessions_revoked"], 2);
    for t in [&third, &fourth] {
        h.get_auth("/api/account", t)
            .await
            .err(ErrorCode::SessionRevoked);
    }
    h.get_auth("/api/account", &token).await.ok(200);
    let list = h.get_auth(paths::SESSIONS, &token).await;
    assert_eq!(list.data()["sessions"].as_array().unwrap().len(), 1);
    let kinds: Vec<String> = events(&h, &token)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds[0], "sessions_revoked");
    assert!(kinds.contains(&"sign_in_failed".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn a_sign_in_from_a_new_network_is_an_alert_with_a_mail() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    let (token, _) = sign_in_from(&h, "i-1", "192.0.2.10", "XWMS-Desktop", "linux").await;
    // The same /24, the same installation: nothing new.
    sign_in_from(&h, "i-1", "192.0.2.200", "XWMS-Desktop", "linux").await;
    h.deliver().await;
    assert!(h.mailbox.last(EMAIL, MailKind::NewNetworkSignIn).is_none());
    // Another /24: a new network.
    let (_, roaming) = sign_in_from(&h, "i-1", "198.51.100.7", "XWMS-Desktop", "linux").await;
    let mail = h
        .last_mail(EMAIL, MailKind::NewNetworkSignIn)
        .await
        .unwrap();
    assert!(mail.text.contains("198.51.100.7"), "{}", mail.text);
    // IPv6 in the same /48 is one network.
    sign_in_from(&h, "i-1", "2001:db8:5:1::1", "XWMS-Desktop", "linux").await;
    h.deliver().await;
    let before = h.mailbox.count();
    sign_in_from(&h, "i-1", "2001:db8:5:2::9", "XWMS-Desktop", "linux").await;
    h.deliver().await;
    assert_eq!(h.mailbox.count(), before, "same /48");
    // A new installation is a new-device alert (one alert per sign-in).
    let (_, laptop) = sign_in_from(&h, "i-2", "192.0.2.10", "XWMS-Desktop", "linux").await;
    assert!(h
        .last_mail(EMAIL, MailKind::NewDeviceSignIn)
        .await
        .is_some());

    let timeline = events(&h, &token).await;
    let alerts: Vec<&Value> = timeline.iter().filter(|e| e["alert"] == true).collect();
    let summary: Vec<(String, String, String)> = alerts
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().into(),
                e["session_id"].as_str().unwrap().into(),
                e["alert_status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(summary.len(), 3, "{summary:?}");
    assert_eq!(
        summary[0],
        ("new_device".into(), laptop.clone(), "pending".into())
    );
    assert_eq!(
        summary[2],
        ("new_network".into(), roaming.clone(), "pending".into())
    );
    assert_eq!(alerts[0]["device"], "anna-laptop");
    assert_eq!(alerts[0]["os"], "linux");
    assert_eq!(alerts[0]["app"], "XWMS-Desktop");
    assert_eq!(alerts[0]["session_active"], true);
    let overview = h.get_auth(paths::SECURITY, &token).await;
    assert_eq!(overview.data()["unrecognised_sessions"], 3);
}

#[tokio::test]
async fn this_was_me_and_not_me() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let token = tokens.access_token.expose().to_owned();
    let (stranger, stranger_session) =
        sign_in_from(&h, "i-evil", "203.0.113.5", "XWMS-Desktop", "windows").await;
    let (friend, _) = sign_in_from(&h, "i-mine", "unknown", "XWMS-Desktop", "linux").await;
    let timeline = events(&h, &token).await;
    let alert_of = |session: &str| {
        timeline
            .iter()
            .find(|e| e["alert"] == true && e["session_id"] == session)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let evil = alert_of(&stranger_session);
    let plain = timeline.iter().find(|e| e["kind"] == "signed_in").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let hr = &h;
    let post = move |path: &str, id: &str, t: &str| {
        let path = paths::with_id(path, id);
        let t = t.to_owned();
        async move { hr.post_auth(&path, &t, json!({})).await }
    };
    post(paths::SECURITY_EVENT_CONFIRM, &plain, &token)
        .await
        .err(ErrorCode::SecurityEventNotFound);
    post(paths::SECURITY_EVENT_DENY, "999999", &token)
        .await
        .err(ErrorCode::SecurityEventNotFound);
    post(paths::SECURITY_EVENT_DENY, "x", &token)
        .await
        .err(ErrorCode::SecurityEventNotFound);
    let bram = h.signed_in("bram@example.com").await;
    post(
        paths::SECURITY_EVENT_DENY,
        &evil,
        bram.access_token.expose(),
    )
    .await
    .err(ErrorCode::SecurityEventNotFound);

    let denied = post(paths::SECURITY_EVENT_DENY, &evil, &token).await;
    denied.ok(200);
    assert_eq!(denied.data()["alert_status"], "denied");
    assert_eq!(denied.data()["session_active"], false);
    h.get_auth("/api/account", &stranger)
        .await
        .err(ErrorCode::SessionRevoked);
    // Denied stays denied.
    let again = post(paths::SECURITY_EVENT_CONFIRM, &evil, &token).await;
    assert_eq!(again.data()["alert_status"], "denied");

    let timeline = events(&h, &token).await;
    let mine = timeline
        .iter()
        .find(|e| e["alert"] == true && e["alert_status"] == "pending")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let confirmed = post(paths::SECURITY_EVENT_CONFIRM, &mine, &token).await;
    confirmed.ok(200);
    assert_eq!(confirmed.data()["alert_status"], "confirmed");
    h.get_auth("/api/account", &friend).await.ok(200);
    let overview = h.get_auth(paths::SECURITY, &token).await;
    assert_eq!(overview.data()["unrecognised_sessions"], 0);
    let revoked = events(&h, &token)
        .await
        .into_iter()
        .find(|e| e["kind"] == "session_revoked")
        .unwrap();
    assert_eq!(revoked["session_id"], json!(stranger_session));
}

#[tokio::test]
async fn the_timeline_pages_newest_first() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let token = tokens.access_token.expose().to_owned();
    for _ in 0..4 {
        h.sign_in_answer(EMAIL, OTHER_PASSWORD)
            .await
            .err(ErrorCode::InvalidCredentials);
    }
    let all = events(&h, &token).await;
    assert!(all.len() >= 7, "{all:?}");
    assert_eq!(all[0]["kind"], "sign_in_failed");
    assert_eq!(all.last().unwrap()["kind"], "account_created");
    let ids: Vec<i64> = all
        .iter()
        .map(|e| e["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    let mut seen = vec![];
    let mut before: Option<String> = None;
    loop {
        let uri = match &before {
            Some(b) => format!("{}?limit=3&before={b}", paths::SECURITY_EVENTS),
            None => format!("{}?limit=3", paths::SECURITY_EVENTS),
        };
        let page = h.get_auth(&uri, &token).await;
        page.ok(200);
        let events = page.data()["events"].as_array().unwrap();
        assert!(events.len() <= 3);
        seen.extend(events.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
        match page.data()["next_before"].as_str() {
            Some(next) => before = Some(next.to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = all
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, expected);
    for bad in ["limit=0", "limit=201", "limit=x", "before=abc", "before=-1"] {
        let field = bad.split('=').next().unwrap();
        h.get_auth(&format!("{}?{bad}", paths::SECURITY_EVENTS), &token)
            .await
            .err_field(ErrorCode::FieldInvalid, field);
    }
    h.get_auth(&format!("{}?limit=200", paths::SECURITY_EVENTS), &token)
        .await
        .ok(200);
}

#[tokio::test]
async fn the_overview_knows_the_password_and_the_sessions() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let token = tokens.access_token.expose().to_owned();
    let overview = h.get_auth(paths::SECURITY, &token).await;
    overview.ok(200);
    assert_eq!(
        overview.data(),
        &json!({
            "email_verified": true,
            "password_meets_rule": true,
            "password_changed_at": null,
            "two_factor": {"enabled": false, "enabled_at": null, "recovery_codes_left": 0},
            "active_sessions": 1,
            "unrecognised_sessions": 0,
        })
    );
    // A password from before a stricter rule: the server learns it at the next sign-in.
    let id = tokens.user.sub.clone();
    let weak = h
        .state
        .accounts
        .hasher()
        .hash(&xwms_api::Secret::new("password1"))
        .await
        .unwrap();
    h.query(move |c| {
        c.execute(
            "UPDATE users SET password_hash = ?2 WHERE id = ?1",
            rusqlite::params![id, weak],
        )
    })
    .await;
    h.sign_in_answer(EMAIL, "password1").await.ok(200);
    let overview = h.get_auth(paths::SECURITY, &token).await;
    assert_eq!(overview.data()["password_meets_rule"], false);
    assert_eq!(overview.data()["active_sessions"], 2);
    h.post_auth(
        "/api/account/password",
        &token,
        json!({"current_password": "password1", "new_password": OTHER_PASSWORD}),
    )
    .await
    .ok(200);
    let overview = h.get_auth(paths::SECURITY, &token).await;
    assert_eq!(overview.data()["password_meets_rule"], true);
    assert_eq!(
        overview.data()["password_changed_at"],
        "2026-05-06T07:09:09Z"
    );
}

fn basic(client_id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"))
    )
}

async fn identity(h: &Harness, client_id: &str, secret: &str) -> Answer {
    h.call(Method::GET, paths::CLIENT_IDENTITY, None)
        .header("authorization", &basic(client_id, secret))
        .send()
        .await
}

#[tokio::test]
async fn api_clients_with_secrets_shown_once() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let token = tokens.access_token.expose().to_owned();
    let create = |name: Value| h.post_auth(paths::API_CLIENTS, &token, json!({"name": name}));
    let made = create(json!("  Backup script ")).await;
    made.ok(201);
    let client = made.data()["client"].clone();
    let secret = made.data()["client_secret"].as_str().unwrap().to_owned();
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    let id = client["id"].as_str().unwrap().to_owned();
    assert!(client_id.starts_with("xwms_ci_"), "{client_id}");
    assert!(
        secret.starts_with("xwms_cs_") && secret.len() == 8 + 43,
        "{secret}"
    );
    assert_eq!(client["name"], "Backup script");
    assert_eq!(client["enabled"], true);
    assert_eq!(client["last_used_at"], Value::Null);
    let stored: String = {
        let id = id.clone();
        h.query(move |c| {
            c.query_row(
                "SELECT secret_hash FROM api_clients WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
        })
        .await
    };
    assert!(!stored.contains(&secret[8..]), "only a hash is kept");

    create(json!("backup SCRIPT"))
        .await
        .err_field(ErrorCode::ApiClientNameTaken, "name");
    create(json!(" "))
        .await
        .err_field(ErrorCode::FieldRequired, "name");
    create(json!("n".repeat(81)))
        .await
        .err_field(ErrorCode::FieldTooLong, "name");
    create(json!("bad\u{7}"))
        .await
        .err_field(ErrorCode::FieldInvalid, "name");
    create(json!("n".repeat(80))).await.ok(201);

    let who = identity(&h, &client_id, &secret).await;
    who.ok(200);
    assert_eq!(
        who.data(),
        &json!({"client_id": client_id, "name": "Backup script", "owner": tokens.user.sub})
    );
    let list = h.get_auth(paths::API_CLIENTS, &token).await;
    assert_eq!(list.data()["clients"].as_array().unwrap().len(), 2);
    assert_eq!(
        list.data()["clients"][0]["last_used_at"],
        "2026-05-06T07:09:09Z"
    );
    assert!(!list.body.to_string().contains(&secret));
    identity(&h, &client_id, "xwms_cs_wrong")
        .await
        .err(ErrorCode::Unauthorized);
    identity(&h, "xwms_ci_unknown", &secret)
        .await
        .err(ErrorCode::Unauthorized);
    h.call(Method::GET, paths::CLIENT_IDENTITY, None)
        .send()
        .await
        .err(ErrorCode::Unauthorized);

    // A new secret: the old one stops working at once.
    let path = paths::with_id(paths::API_CLIENT_SECRET, &id);
    let renewed = h.post_auth(&path, &token, json!({})).await;
    renewed.ok(200);
    let new_secret = renewed.data()["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    identity(&h, &client_id, &secret)
        .await
        .err(ErrorCode::Unauthorized);
    identity(&h, &client_id, &new_secret).await.ok(200);

    // Disable, rename, enable, delete.
    let one = paths::with_id(paths::API_CLIENT, &id);
    let off = h.patch_auth(&one, &token, json!({"enabled": false})).await;
    off.ok(200);
    assert_eq!(off.data()["enabled"], false);
    identity(&h, &client_id, &new_secret)
        .await
        .err(ErrorCode::ApiClientDisabled);
    identity(&h, &client_id, &secret)
        .await
        .err(ErrorCode::Unauthorized);
    h.patch_auth(&one, &token, json!({"name": "n".repeat(80).to_uppercase()}))
        .await
        .err_field(ErrorCode::ApiClientNameTaken, "name");
    let renamed = h
        .patch_auth(&one, &token, json!({"name": "Nightly", "enabled": true}))
        .await;
    renamed.ok(200);
    assert_eq!(
        (&renamed.data()["name"], &renamed.data()["enabled"]),
        (&json!("Nightly"), &json!(true))
    );
    identity(&h, &client_id, &new_secret).await.ok(200);
    let bram = h.signed_in("bram@example.com").await;
    for answer in [
        h.patch_auth(&one, bram.access_token.expose(), json!({"enabled": false}))
            .await,
        h.post_auth(&path, bram.access_token.expose(), json!({}))
            .await,
        delete(&h, &one, bram.access_token.expose()).await,
    ] {
        answer.err(ErrorCode::ApiClientNotFound);
    }
    delete(&h, &one, &token).await.ok(200);
    delete(&h, &one, &token)
        .await
        .err(ErrorCode::ApiClientNotFound);
    identity(&h, &client_id, &new_secret)
        .await
        .err(ErrorCode::Unauthorized);

    let kinds: Vec<String> = events(&h, &token)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    for kind in [
        "api_client_created",
        "api_client_secret_regenerated",
        "api_client_disabled",
        "api_client_enabled",
        "api_client_deleted",
    ] {
        assert!(kinds.contains(&kind.to_owned()), "{kind}: {kinds:?}");
    }
}

#[tokio::test]
async fn at_most_twenty_api_clients() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let token = tokens.access_token.expose();
    for n in 0..20 {
        h.post_auth(paths::API_CLIENTS, token, json!({"name": format!("c{n}")}))
            .await
            .ok(201);
    }
    h.post_auth(paths::API_CLIENTS, token, json!({"name": "one more"}))
        .await
        .err(ErrorCode::ApiClientLimit);
}
