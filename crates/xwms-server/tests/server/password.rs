//! Forgot password, reset through the mailbox, and change while signed in.

use serde_json::json;
use xwms_api::ErrorCode;
use xwms_server::accounts::events;
use xwms_server::mail::MailKind;

use crate::support::{challenge, harness, Harness, OTHER_PASSWORD, PASSWORD};

const EMAIL: &str = "anna@example.com";
const NEW_PASSWORD: &str = "Windmill-Harbour-9";

async fn forgot(h: &Harness, email: &str) -> crate::support::Answer {
    h.post("/api/auth/password/forgot", json!({"email": email}))
        .await
}

async fn reset(
    h: &Harness,
    email: &str,
    challenge: &str,
    code: &str,
    password: &str,
) -> crate::support::Answer {
    h.post(
        "/api/auth/password/reset",
        json!({"email": email, "code": code, "challenge_id": challenge, "new_password": password}),
    )
    .await
}

#[tokio::test]
async fn forgot_password_answers_the_same_for_every_address() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    h.deliver().await;
    let before = h.mailbox.count();
    let hashes = h.hashes();
    let known = forgot(&h, EMAIL).await;
    let unknown = forgot(&h, "nobody@example.com").await;
    assert_eq!(h.hashes(), hashes, "no hashing either way");
    known.ok(202);
    let (known_c, unknown_c) = (challenge(&known), challenge(&unknown));
    assert_eq!(
        known.data(),
        &json!({"email": EMAIL, "expires_in_seconds": 600, "resend_after_seconds": 46, "challenge_id": known_c})
    );
    assert_eq!(known.status, unknown.status);
    assert_eq!(known_c.len(), unknown_c.len());
    assert_ne!(known_c, unknown_c);
    assert_eq!(
        String::from_utf8(known.bytes.clone())
            .unwrap()
            .replace(EMAIL, "A")
            .replace(&known_c, "C"),
        String::from_utf8(unknown.bytes.clone())
            .unwrap()
            .replace("nobody@example.com", "A")
            .replace(&unknown_c, "C"),
        "byte-identical apart from the address sent and the random challenge"
    );
    h.deliver().await;
    let new: Vec<_> = h.mailbox.all().into_iter().skip(before).collect();
    assert_eq!(new.len(), 1);
    assert!(new[0].is(MailKind::ResetCode) && new[0].to == EMAIL);
    assert!(
        new[0].text.contains("valid for 10 minutes"),
        "{}",
        new[0].text
    );
    // Repeats within 46 s are refused for both alike.
    let a = forgot(&h, EMAIL).await;
    let b = forgot(&h, "nobody@example.com").await;
    a.err(ErrorCode::CodeResendTooSoon);
    assert_eq!((a.status, &a.bytes), (b.status, &b.bytes));
}

#[tokio::test]
async fn reset_sets_the_new_password_ends_every_session_and_mails_a_notice() {
    let h = harness();
    let first = h.signed_in(EMAIL).await;
    let second = h.sign_in(EMAIL, PASSWORD).await;
    let c = challenge(forgot(&h, EMAIL).await.ok(202));
    let code = h.code(EMAIL, MailKind::ResetCode).await;

    // The rule applies (field new_password) and refusing it does not use up the code.
    reset(&h, EMAIL, &c, &code, "password1")
        .await
        .err_field(ErrorCode::PasswordMissingUpper, "new_password");
    reset(&h, EMAIL, &c, &code, "Password1")
        .await
        .err_field(ErrorCode::PasswordTooCommon, "new_password");
    // The right code without its challenge is no code (and uses up nothing).
    reset(&h, EMAIL, "xwc_made_up", &code, NEW_PASSWORD)
        .await
        .err_field(ErrorCode::CodeNone, "code");
    reset(&h, EMAIL, &c, &code, NEW_PASSWORD).await.ok(200);

    for tokens in [&first, &second] {
        h.get_auth("/api/account", tokens.access_token.expose())
            .await
            .err(ErrorCode::SessionRevoked);
    }
    h.advance(5);
    h.sign_in_answer(EMAIL, PASSWORD)
        .await
        .err(ErrorCode::InvalidCredentials);
    h.sign_in(EMAIL, NEW_PASSWORD).await;
    let notice = h.last_mail(EMAIL, MailKind::PasswordReset).await.unwrap();
    assert!(
        notice.text.contains("All sessions were signed out"),
        "{}",
        notice.text
    );
    // Single use.
    h.advance(5);
    reset(&h, EMAIL, &c, &code, "Another-Pass-123")
        .await
        .err(ErrorCode::CodeNone);
    let id = first.user.sub.clone();
    let events = h.query(move |c| events::list(c, &id)).await;
    let reset_event = events.iter().find(|e| e.kind == "password_reset").unwrap();
    assert_eq!(reset_event.details["sessions_revoked"], 2);
}

#[tokio::test]
async fn the_reset_code_lives_ten_minutes_and_dies_after_five_wrong_tries() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    let c = challenge(forgot(&h, EMAIL).await.ok(202));
    let code = h.code(EMAIL, MailKind::ResetCode).await;
    let wrong = if code == "999999" { "999998" } else { "999999" };
    reset(&h, EMAIL, &c, wrong, NEW_PASSWORD)
        .await
        .err(ErrorCode::CodeIncorrect);
    reset(&h, EMAIL, &c, &code, NEW_PASSWORD)
        .await
        .err(ErrorCode::CodeTooSoon);
    for _ in 0..4 {
        h.advance(5);
        reset(&h, EMAIL, &c, wrong, NEW_PASSWORD)
            .await
            .err(ErrorCode::CodeIncorrect);
    }
    h.advance(5);
    reset(&h, EMAIL, &c, &code, NEW_PASSWORD)
        .await
        .err(ErrorCode::CodeTooManyAttempts);

    h.advance(60);
    let c = challenge(forgot(&h, EMAIL).await.ok(202));
    let code = h.code(EMAIL, MailKind::ResetCode).await;
    h.advance(599);
    reset(&h, EMAIL, &c, wrong, NEW_PASSWORD)
        .await
        .err(ErrorCode::CodeIncorrect);
    h.advance(1);
    reset(&h, EMAIL, &c, &code, NEW_PASSWORD)
        .await
        .err(ErrorCode::CodeExpired);
    reset(&h, "nobody@example.com", &c, &code, NEW_PASSWORD)
        .await
        .err(ErrorCode::CodeNone);
}

#[tokio::test]
async fn a_reset_through_the_mailbox_lifts_a_lock() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    for _ in 0..10 {
        h.advance(61);
        h.sign_in_answer(EMAIL, OTHER_PASSWORD).await;
    }
    h.sign_in_answer(EMAIL, PASSWORD)
        .await
        .err(ErrorCode::Locked);
    h.advance(46);
    let c = challenge(forgot(&h, EMAIL).await.ok(202));
    let code = h.code(EMAIL, MailKind::ResetCode).await;
    reset(&h, EMAIL, &c, &code, NEW_PASSWORD).await.ok(200);
    h.sign_in(EMAIL, NEW_PASSWORD).await;
}

#[tokio::test]
async fn a_reset_also_verifies_an_unverified_address() {
    let h = harness();
    h.sign_up("A", "a@example.com", PASSWORD).await.ok(202);
    h.advance(46);
    let c = challenge(forgot(&h, "a@example.com").await.ok(202));
    let code = h.code("a@example.com", MailKind::ResetCode).await;
    reset(&h, "a@example.com", &c, &code, NEW_PASSWORD)
        .await
        .ok(200);
    assert!(
        h.sign_in("a@example.com", NEW_PASSWORD)
            .await
            .user
            .email_verified
    );
}

#[tokio::test]
async fn change_password_needs_the_current_one_and_can_end_other_sessions() {
    let h = harness();
    let me = h.signed_in(EMAIL).await;
    let other = h.sign_in(EMAIL, PASSWORD).await;
    let third = h.sign_in(EMAIL, PASSWORD).await;
    let token = me.access_token.expose();
    let change = |current: &str, new: &str, others: bool| {
        h.post_auth(
            "/api/account/password",
            token,
            json!({"current_password": current, "new_password": new, "sign_out_others": others}),
        )
    };

    change(PASSWORD, "short1A", false)
        .await
        .err_field(ErrorCode::PasswordTooShort, "new_password");
    let hashes = h.hashes();
    change(OTHER_PASSWORD, NEW_PASSWORD, false)
        .await
        .err_field(ErrorCode::PasswordIncorrect, "current_password");
    assert_eq!(
        h.hashes() - hashes,
        1,
        "a wrong current password costs one verification, no new hash"
    );

    let answer = change(PASSWORD, NEW_PASSWORD, true).await;
    answer.ok(200);
    assert_eq!(answer.data(), &json!({"sessions_revoked": 2}));
    h.get_auth("/api/account", token).await.ok(200);
    for tokens in [&other, &third] {
        h.get_auth("/api/account", tokens.access_token.expose())
            .await
            .err(ErrorCode::SessionRevoked);
    }
    assert!(h
        .last_mail(EMAIL, MailKind::PasswordChanged)
        .await
        .is_some());
    h.sign_in_answer(EMAIL, PASSWORD)
        .await
        .err(ErrorCode::InvalidCredentials);
    h.sign_in(EMAIL, NEW_PASSWORD).await;

    // Without sign_out_others, nothing else ends.
    let fourth = h.sign_in(EMAIL, NEW_PASSWORD).await;
    let answer = change(NEW_PASSWORD, PASSWORD, false).await;
    assert_eq!(answer.data(), &json!({"sessions_revoked": 0}));
    h.get_auth("/api/account", fourth.access_token.expose())
        .await
        .ok(200);
}

#[tokio::test]
async fn wrong_current_passwords_count_towards_the_lockout() {
    let h = harness();
    let me = h.signed_in(EMAIL).await;
    let token = me.access_token.expose();
    for n in 1..=10 {
        h.advance(61);
        let answer = h
            .post_auth(
                "/api/account/password",
                token,
                json!({"current_password": OTHER_PASSWORD, "new_password": NEW_PASSWORD}),
            )
            .await;
        if n < 10 {
            answer.err(ErrorCode::PasswordIncorrect);
        } else {
            answer.err(ErrorCode::Locked);
        }
    }
    let locked = h
        .post_auth(
            "/api/account/password",
            token,
            json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
        )
        .await;
    locked.err(ErrorCode::Locked);
    // Throttled between: after 5 failures the next try must wait.
    let h = harness();
    let me = h.signed_in(EMAIL).await;
    for _ in 0..5 {
        h.post_auth(
            "/api/account/email",
            me.access_token.expose(),
            json!({"new_email": "new@example.com", "password": OTHER_PASSWORD}),
        )
        .await
        .err_field(ErrorCode::PasswordIncorrect, "password");
    }
    h.post_auth(
        "/api/account/email",
        me.access_token.expose(),
        json!({"new_email": "new@example.com", "password": PASSWORD}),
    )
    .await
    .err(ErrorCode::Throttled);
}
