//! Denied devices (issue 9): "Not me" marks the installation; its next sign-ins need a code
//! mailed to the account (and alert again) until the person says "This was me".

use axum::http::Method;
use serde_json::{json, Value};
use xwms_api::security::paths;
use xwms_api::ErrorCode;
use xwms_server::mail::MailKind;

use crate::support::{device, harness, Answer, Harness, PASSWORD};

const EMAIL: &str = "dora@example.com";

async fn sign_in(h: &Harness, installation: &str) -> Answer {
    h.call(
        Method::POST,
        "/api/auth/signin",
        Some(json!({"email": EMAIL, "password": PASSWORD, "device": device(installation)})),
    )
    .peer("198.51.100.7")
    .send()
    .await
}

async fn alerts(h: &Harness, token: &str) -> Vec<Value> {
    let answer = h.get_auth(paths::SECURITY_EVENTS, token).await;
    answer.ok(200);
    answer.data()["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["alert"] == true)
        .cloned()
        .collect()
}

async fn second_factor_with(h: &Harness, challenge: &str, method: &str, code: &str) -> Answer {
    h.call(
        Method::POST,
        xwms_api::security::paths::SIGN_IN_SECOND_FACTOR,
        Some(json!({"challenge": challenge, "method": method, "code": code})),
    )
    .peer("198.51.100.7")
    .send()
    .await
}

async fn second_factor(h: &Harness, challenge: &str, code: &str) -> Answer {
    second_factor_with(h, challenge, "email_code", code).await
}

#[tokio::test]
async fn a_denied_installation_needs_a_mailed_code_and_alerts_again_until_this_was_me() {
    let h = harness();
    let owner = h.signed_in(EMAIL).await;
    let token = owner.access_token.expose().to_owned();
    sign_in(&h, "i-stranger").await.ok(200);
    let alert = alerts(&h, &token).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.post_auth(
        &paths::with_id(paths::SECURITY_EVENT_DENY, &alert),
        &token,
        json!({}),
    )
    .await
    .ok(200);

    // The right password from the denied installation is not enough any more.
    h.advance(60);
    h.deliver().await;
    let mails = h.mailbox.count();
    let answer = sign_in(&h, "i-stranger").await;
    answer.ok(200);
    assert_eq!(answer.data()["result"], "second_factor", "{}", answer.body);
    assert_eq!(answer.data()["methods"], json!(["email_code"]));
    let challenge = answer.data()["challenge"].as_str().unwrap().to_owned();
    let code = h.code(EMAIL, MailKind::ConfirmDeviceCode).await;
    h.deliver().await;
    assert_eq!(h.mailbox.count(), mails + 1, "one mail with the code");
    // A TOTP or recovery code is no way around it (the account has no 2FA).
    second_factor_with(&h, &challenge, "totp", &code)
        .await
        .err(ErrorCode::TwoFactorCodeIncorrect);
    h.advance(6);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let answer = second_factor(&h, &challenge, wrong).await;
    answer.err(ErrorCode::TwoFactorCodeIncorrect);
    assert_eq!(answer.data()["attempts_left"], 4);
    // The code is bound to this sign-in: another challenge does not take it.
    h.advance(6);
    second_factor(&h, "xwms_2fa_other", &code)
        .await
        .err(ErrorCode::TwoFactorChallengeExpired);

    let before = alerts(&h, &token).await.len();
    let signed_in = second_factor(&h, &challenge, &code).await;
    signed_in.ok(200);
    assert!(signed_in.data()["access_token"].is_string());
    // It alerts again.
    let now = alerts(&h, &token).await;
    assert_eq!(now.len(), before + 1);
    assert_eq!(now[0]["kind"], "new_device");

    // Still denied: the next sign-in needs a code again ...
    h.advance(60);
    let answer = sign_in(&h, "i-stranger").await;
    assert_eq!(answer.data()["result"], "second_factor", "{}", answer.body);
    // ... until the person says "This was me" about it.
    h.post_auth(
        &paths::with_id(
            paths::SECURITY_EVENT_CONFIRM,
            now[0]["id"].as_str().unwrap(),
        ),
        &token,
        json!({}),
    )
    .await
    .ok(200);
    let answer = sign_in(&h, "i-stranger").await;
    assert_eq!(answer.data()["result"], "signed_in", "{}", answer.body);
    // Other installations were never affected.
    let answer = sign_in(&h, "install-1").await;
    assert_eq!(answer.data()["result"], "signed_in", "{}", answer.body);
}
