//! The signed-in person's account: profile, settings, email change, and that every
//! authenticated route refuses missing, unknown, expired and revoked tokens.

use axum::http::Method;
use serde_json::{json, Value};
use xwms_api::auth::paths;
use xwms_api::ErrorCode;
use xwms_server::mail::MailKind;

use crate::support::{
    bearer_routes, challenge, harness, takes_body, valid_body, Harness, OTHER_PASSWORD, PASSWORD,
};

const EMAIL: &str = "anna@example.com";

async fn patch(h: &Harness, token: &str, body: Value) -> crate::support::Answer {
    h.patch_auth(paths::PROFILE, token, body).await
}

#[tokio::test]
async fn the_profile_is_read_and_changed_field_by_field() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let token = tokens.access_token.expose();
    let me = h.get_auth(paths::ACCOUNT, token).await;
    me.ok(200);
    assert_eq!(me.data()["sub"], tokens.user.sub.as_str());
    assert_eq!(me.data()["username"], Value::Null);
    assert_eq!(me.data()["created_at"], "2026-05-06T07:08:09Z");
    assert_eq!(me.data()["is_agent"], false);

    let answer = patch(
        &h,
        token,
        json!({"name": " Anna de Vries ", "username": "Anna.dV", "timezone": "europe/amsterdam", "region": "nl", "language": "nl"}),
    )
    .await;
    answer.ok(200);
    assert_eq!(answer.data()["name"], "Anna de Vries");
    assert_eq!(answer.data()["username"], "anna.dv");
    assert_eq!(answer.data()["timezone"], "Europe/Amsterdam");
    assert_eq!(answer.data()["region"], "NL");
    assert_eq!(answer.data()["language"], "nl");
    // Absent fields stay; an empty username removes it; an empty region clears it.
    let answer = patch(&h, token, json!({"username": "", "region": ""})).await;
    assert_eq!(answer.data()["username"], Value::Null);
    assert_eq!(answer.data()["region"], "");
    assert_eq!(answer.data()["timezone"], "Europe/Amsterdam");
    assert_eq!(
        h.get_auth(paths::ACCOUNT, token).await.data()["language"],
        "nl"
    );
}

#[tokio::test]
async fn profile_errors_name_the_field_and_write_nothing() {
    let h = harness();
    let token = h.signed_in(EMAIL).await.access_token.expose().to_owned();
    let other = h
        .signed_in("bram@example.com")
        .await
        .access_token
        .expose()
        .to_owned();
    patch(&h, &other, json!({"username": "bram"})).await.ok(200);

    #[rustfmt::skip]
    let table: &[(Value, ErrorCode, &str)] = &[
        (json!({"name": ""}),                         ErrorCode::FieldRequired,    "name"),
        (json!({"name": "x".repeat(101)}),            ErrorCode::FieldTooLong,     "name"),
        (json!({"name": "A\u{0007}"}),                ErrorCode::FieldInvalid,     "name"),
        (json!({"username": "ab"}),                   ErrorCode::FieldInvalid,     "username"),
        (json!({"username": "a".repeat(31)}),         ErrorCode::FieldTooLong,     "username"),
        (json!({"username": "anna!"}),                ErrorCode::FieldInvalid,     "username"),
        (json!({"username": "Bram"}),                 ErrorCode::UsernameTaken,    "username"),
        (json!({"username": "support"}),              ErrorCode::UsernameReserved, "username"),
        (json!({"username": "xwms_anna"}),            ErrorCode::UsernameReserved, "username"),
        (json!({"timezone": "Mars/Olympus_Mons"}),    ErrorCode::TimezoneInvalid,  "timezone"),
        (json!({"region": "XX"}),                     ErrorCode::FieldInvalid,     "region"),
        (json!({"language": "de"}),                   ErrorCode::FieldInvalid,     "language"),
        // One bad field stops the whole update.
        (json!({"name": "Changed", "timezone": "Nowhere"}), ErrorCode::TimezoneInvalid, "timezone"),
    ];
    for (body, code, field) in table {
        let answer = patch(&h, &token, body.clone()).await;
        answer.err_field(code, field);
    }
    let reserved = patch(&h, &token, json!({"username": "admin"})).await;
    assert!(reserved.body["message"]
        .as_str()
        .unwrap()
        .contains("contact support"));
    let me = h.get_auth(paths::ACCOUNT, &token).await;
    assert_eq!(me.data()["name"], "Test Person", "nothing half-written");
    assert_eq!(me.data()["username"], Value::Null);
    // Taking one's own username again is fine.
    patch(&h, &other, json!({"username": "bram"})).await.ok(200);
}

#[tokio::test]
async fn an_email_change_needs_the_password_and_the_code_sent_to_the_new_address() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let token = tokens.access_token.expose();
    let change = |new: &str, password: &str| {
        h.post_auth(
            paths::CHANGE_EMAIL,
            token,
            json!({"new_email": new, "password": password}),
        )
    };
    change("ANNA@example.com", PASSWORD)
        .await
        .err_field(ErrorCode::FieldInvalid, "new_email");
    change("not-an-address", PASSWORD)
        .await
        .err_field(ErrorCode::EmailInvalid, "new_email");
    change("new@example.com", OTHER_PASSWORD)
        .await
        .err_field(ErrorCode::PasswordIncorrect, "password");

    let answer = change("New@Example.com", PASSWORD).await;
    answer.ok(202);
    let c = challenge(&answer);
    assert_eq!(
        answer.data(),
        &json!({"email": "New@Example.com", "expires_in_seconds": 600, "resend_after_seconds": 46, "challenge_id": c})
    );
    let code = h.code("new@example.com", MailKind::EmailChangeCode).await;
    let notice = h
        .mailbox
        .last(EMAIL, MailKind::EmailChangeRequested)
        .unwrap();
    assert!(notice.text.contains("New@Example.com"), "{}", notice.text);
    change("other@example.com", PASSWORD)
        .await
        .err(ErrorCode::CodeResendTooSoon);

    let confirm = |code: &str| {
        h.post_auth(
            paths::CONFIRM_EMAIL,
            token,
            json!({"code": code, "challenge_id": c}),
        )
    };
    // The code works only with the challenge of the change request.
    h.post_auth(
        paths::CONFIRM_EMAIL,
        token,
        json!({"code": code, "challenge_id": "xwc_made_up"}),
    )
    .await
    .err_field(ErrorCode::CodeNone, "code");
    h.post_auth(paths::CONFIRM_EMAIL, token, json!({"code": code}))
        .await
        .err(ErrorCode::InvalidRequest);
    let wrong = if code == "123456" { "654321" } else { "123456" };
    confirm(wrong).await.err(ErrorCode::CodeIncorrect);
    confirm(&code).await.err(ErrorCode::CodeTooSoon);
    h.advance(5);
    let answer = confirm(&code).await;
    answer.ok(200);
    assert_eq!(answer.data()["email"], "New@Example.com");
    assert_eq!(answer.data()["email_verified"], true);
    let changed = h.last_mail(EMAIL, MailKind::EmailChanged).await.unwrap();
    assert!(changed.text.contains("New@Example.com"), "{}", changed.text);
    confirm(&code).await.err(ErrorCode::CodeNone);

    h.advance(60);
    h.sign_in_answer(EMAIL, PASSWORD)
        .await
        .err(ErrorCode::InvalidCredentials);
    h.sign_in("new@example.com", PASSWORD).await;
}

#[tokio::test]
async fn the_email_change_code_expires_after_ten_minutes() {
    let h = harness();
    let token = h.signed_in(EMAIL).await.access_token.expose().to_owned();
    let c = challenge(
        h.post_auth(
            paths::CHANGE_EMAIL,
            &token,
            json!({"new_email": "new@example.com", "password": PASSWORD}),
        )
        .await
        .ok(202),
    );
    let code = h.code("new@example.com", MailKind::EmailChangeCode).await;
    h.advance(600);
    // The access token lived 15 minutes; refresh-free: sign in again for a live token.
    let token = h
        .sign_in(EMAIL, PASSWORD)
        .await
        .access_token
        .expose()
        .to_owned();
    h.post_auth(
        paths::CONFIRM_EMAIL,
        &token,
        json!({"code": code, "challenge_id": c}),
    )
    .await
    .err(ErrorCode::CodeExpired);
}

#[tokio::test]
async fn moving_to_an_address_that_has_an_account_mails_its_owner_and_never_confirms() {
    let h = harness();
    h.verified_user("taken@example.com", PASSWORD).await;
    let token = h.signed_in(EMAIL).await.access_token.expose().to_owned();
    let answer = h
        .post_auth(
            paths::CHANGE_EMAIL,
            &token,
            json!({"new_email": "taken@example.com", "password": PASSWORD}),
        )
        .await;
    answer.ok(202);
    // Answered like any change: a challenge, but its code is never mailed.
    let c = challenge(&answer);
    let mail = h
        .last_mail("taken@example.com", MailKind::EmailInUse)
        .await
        .unwrap();
    assert_eq!(mail.code(), None);
    assert!(h
        .mailbox
        .last("taken@example.com", MailKind::EmailChangeCode)
        .is_none());
    h.post_auth(
        paths::CONFIRM_EMAIL,
        &token,
        json!({"code": "123456", "challenge_id": c}),
    )
    .await
    .err(ErrorCode::CodeIncorrect);
}

#[tokio::test]
async fn every_authenticated_route_refuses_missing_unknown_expired_and_revoked_tokens() {
    let h = harness();
    // Every route that takes a bearer token in the OpenAPI document (derived from ROUTES, so a
    // new route cannot be forgotten), with a body that would be valid.
    let secured = bearer_routes();
    assert!(secured.len() >= 23, "{secured:?}");
    for (method, path) in [
        (Method::GET, paths::ACCOUNT),
        (Method::POST, paths::SIGN_OUT),
        (Method::GET, xwms_api::security::paths::REALTIME),
        (Method::DELETE, xwms_api::security::paths::SESSION),
    ] {
        assert!(secured.contains(&(method.clone(), path)), "{method} {path}");
    }
    let authenticated_routes = || {
        secured.iter().map(|(method, path)| {
            let body = takes_body(method, path).then(|| valid_body(path));
            (method.clone(), *path, body)
        })
    };

    let revoked = h.signed_in(EMAIL).await;
    h.post_auth(paths::SIGN_OUT, revoked.access_token.expose(), json!({}))
        .await
        .ok(200);
    let expired = h.sign_in(EMAIL, PASSWORD).await;
    h.advance(15 * 60);
    for (method, path, body) in authenticated_routes() {
        let call = |token: Option<&str>| {
            let c = h.call(method.clone(), path, body.clone());
            match token {
                Some(t) => c.token(t),
                None => c,
            }
        };
        call(None).send().await.err(ErrorCode::Unauthorized);
        call(Some("xwms_at_unknown"))
            .send()
            .await
            .err(ErrorCode::Unauthorized);
        call(Some(expired.refresh_token.expose()))
            .send()
            .await
            .err(ErrorCode::Unauthorized);
        call(Some(expired.access_token.expose()))
            .send()
            .await
            .err(ErrorCode::SessionExpired);
        call(Some(revoked.access_token.expose()))
            .send()
            .await
            .err(ErrorCode::SessionRevoked);
    }
    // Nothing changed.
    let fresh = h.sign_in(EMAIL, PASSWORD).await;
    assert_eq!(fresh.user.name, "Test Person");
}

#[tokio::test]
async fn activity_is_recorded_on_authenticated_requests() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    async fn last_active(h: &Harness, session: &str) -> i64 {
        let session = session.to_owned();
        h.query(move |c| {
            c.query_row(
                "SELECT last_active_at FROM sessions WHERE id = ?1",
                [session],
                |r| r.get(0),
            )
        })
        .await
    }
    let session = tokens.session_id.as_str();
    let start = last_active(&h, session).await;
    h.advance(30);
    h.get_auth(paths::ACCOUNT, tokens.access_token.expose())
        .await
        .ok(200);
    assert_eq!(
        last_active(&h, session).await,
        start,
        "written at most once a minute"
    );
    h.advance(30);
    h.get_auth(paths::ACCOUNT, tokens.access_token.expose())
        .await
        .ok(200);
    assert_eq!(last_active(&h, session).await, start + 60_000);
}
