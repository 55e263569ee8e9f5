//! The re-authentication window ("sudo mode", R13/R14) on the injected clock: removing another
//! session and changing API credentials need the password within the last 10 minutes.

use axum::http::Method;
use serde_json::json;
use xwms_api::auth::paths;
use xwms_api::security::paths as sp;
use xwms_api::ErrorCode;

use crate::support::{device, harness, Harness, OTHER_PASSWORD, PASSWORD};

/// A second session of `email` (another installation), signed in now.
async fn second_session(h: &Harness, email: &str) -> xwms_api::auth::SessionTokens {
    let answer = h
        .post(
            paths::SIGN_IN,
            json!({"email": email, "password": PASSWORD, "device": device("install-2")}),
        )
        .await;
    answer.ok(200);
    serde_json::from_value(answer.data().clone()).unwrap()
}

async fn remove(h: &Harness, token: &str, id: &str) -> crate::support::Answer {
    h.call(Method::DELETE, &sp::with_id(sp::SESSION, id), None)
        .token(token)
        .send()
        .await
}

#[tokio::test]
async fn a_token_removes_another_session_only_with_a_recent_password() {
    let h = harness();
    let older = h.signed_in("sudo@example.com").await;
    h.advance(60);
    let newer = second_session(&h, "sudo@example.com").await;
    let token = newer.access_token.expose();

    // Ten minutes after its sign-in the newer session may no longer end the older one.
    h.advance(10 * 60);
    remove(&h, token, &older.session_id)
        .await
        .err(ErrorCode::ReauthRequired);
    let listed = h.get_auth(sp::SESSIONS, token).await;
    assert_eq!(listed.data()["sessions"].as_array().unwrap().len(), 2);

    // A wrong password is refused on its field; the right one opens the window.
    h.post_auth(
        paths::REAUTHENTICATE,
        token,
        json!({"password": OTHER_PASSWORD}),
    )
    .await
    .err_field(ErrorCode::PasswordIncorrect, "password");
    let answer = h
        .post_auth(paths::REAUTHENTICATE, token, json!({"password": PASSWORD}))
        .await;
    answer.ok(200);
    let until = answer.data()["reauthenticated_until"].as_str().unwrap();
    let now = crate::support::NOW + time::Duration::seconds(60 + 60 + 10 * 60);
    assert_eq!(
        until,
        xwms_server::clock::rfc3339(now + time::Duration::minutes(10)),
        "ten minutes from now"
    );
    remove(&h, token, &older.session_id).await.ok(200);
    let listed = h.get_auth(sp::SESSIONS, token).await;
    assert_eq!(listed.data()["sessions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_window_is_ten_minutes_on_the_clock_and_a_password_in_the_request_counts() {
    let h = harness();
    let tokens = h.signed_in("window@example.com").await;
    let token = tokens.access_token.expose();
    let create = |name: &'static str| {
        let token = token.to_owned();
        let h = &h;
        async move {
            h.post_auth(sp::API_CLIENTS, &token, json!({"name": name}))
                .await
        }
    };
    // Signing in counts: 9:59 after it is fine, 10:00 is not.
    h.advance(9 * 60 + 59);
    create("at 9:59").await.ok(201);
    h.advance(1);
    create("at 10:00").await.err(ErrorCode::ReauthRequired);

    // A right password in a request that takes one (here: a 2FA set-up) counts too.
    h.post_auth(sp::TWO_FACTOR_SETUP, token, json!({"password": PASSWORD}))
        .await
        .ok(200);
    create("after the set-up").await.ok(201);
    // ... and a wrong one does not (nor does a refresh: a new access token is no password).
    h.advance(10 * 60);
    let refreshed = h
        .post(
            paths::REFRESH,
            json!({"refresh_token": tokens.refresh_token.expose()}),
        )
        .await;
    refreshed.ok(200);
    let token = refreshed.data()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    h.post_auth(
        sp::TWO_FACTOR_SETUP,
        &token,
        json!({"password": OTHER_PASSWORD}),
    )
    .await
    .err(ErrorCode::PasswordIncorrect);
    h.post_auth(
        sp::API_CLIENTS,
        &token,
        json!({"name": "after a wrong password"}),
    )
    .await
    .err(ErrorCode::ReauthRequired);
}
