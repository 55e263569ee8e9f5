//! Sign-up, email verification and resend: the published code rules on an injected clock, and
//! no user enumeration.

use serde_json::json;
use xwms_api::ErrorCode;
use xwms_server::accounts::events;
use xwms_server::mail::MailKind;

use crate::support::{challenge, harness, Harness, OTHER_PASSWORD, PASSWORD};

async fn verify(h: &Harness, email: &str, challenge: &str, code: &str) -> crate::support::Answer {
    h.post(
        "/api/auth/verify-email",
        json!({"email": email, "code": code, "challenge_id": challenge}),
    )
    .await
}

async fn resend(h: &Harness, email: &str, challenge: &str) -> crate::support::Answer {
    h.post(
        "/api/auth/verify-email/resend",
        json!({"email": email, "challenge_id": challenge}),
    )
    .await
}

#[tokio::test]
async fn sign_up_mails_a_code_and_the_code_activates_the_account() {
    let h = harness();
    let answer = h.sign_up("Bram Jansen", "Bram@Example.com", PASSWORD).await;
    answer.ok(202);
    let c = challenge(&answer);
    assert!(c.starts_with("xwc_") && c.len() > 40, "{c}");
    assert_eq!(
        answer.data(),
        &json!({"email": "Bram@Example.com", "expires_in_seconds": 300, "resend_after_seconds": 46, "challenge_id": c})
    );
    let mail = h
        .last_mail("bram@example.com", MailKind::VerifyEmail)
        .await
        .unwrap();
    assert_eq!(mail.subject, "Your XWMS verification code");
    assert!(mail.text.starts_with("Hello Bram Jansen,"), "{}", mail.text);
    let code = mail.code().unwrap();

    // Inactive until verified: the right password answers email_unverified.
    h.sign_in_answer("bram@example.com", PASSWORD)
        .await
        .err(ErrorCode::EmailUnverified);

    verify(&h, "BRAM@example.com", &c, &code).await.ok(200);
    let tokens = h.sign_in("bram@example.com", PASSWORD).await;
    assert!(tokens.user.email_verified);
    assert_eq!(tokens.user.name, "Bram Jansen");
    assert_eq!(tokens.user.email, "Bram@Example.com");
    assert_eq!(
        (tokens.user.timezone.as_str(), tokens.user.language.as_str()),
        ("UTC", "en")
    );

    let id = tokens.user.sub.clone();
    let kinds: Vec<String> = h
        .query(move |c| events::list(c, &id))
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["account_created", "email_verified", "signed_in"]);
    // The code is used up.
    h.advance(10);
    verify(&h, "bram@example.com", &c, &code)
        .await
        .err(ErrorCode::CodeNone);
}

#[tokio::test]
async fn a_code_expires_after_five_minutes() {
    let h = harness();
    let c = challenge(h.sign_up("A", "a@example.com", PASSWORD).await.ok(202));
    let code = h.code("a@example.com", MailKind::VerifyEmail).await;
    h.advance(300);
    verify(&h, "a@example.com", &c, &code)
        .await
        .err_field(ErrorCode::CodeExpired, "code");
    // 4:59 would still have worked: a fresh code, one second short of its end.
    resend(&h, "a@example.com", &c).await.ok(202);
    let code = h.code("a@example.com", MailKind::VerifyEmail).await;
    h.advance(299);
    verify(&h, "a@example.com", &c, &code).await.ok(200);
}

#[tokio::test]
async fn five_seconds_between_tries_and_dead_after_five_wrong_ones() {
    let h = harness();
    let c = challenge(h.sign_up("A", "a@example.com", PASSWORD).await.ok(202));
    let code = h.code("a@example.com", MailKind::VerifyEmail).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    let first = verify(&h, "a@example.com", &c, wrong).await;
    first.err_field(ErrorCode::CodeIncorrect, "code");
    assert_eq!(first.data()["attempts_left"], 4);

    let soon = verify(&h, "a@example.com", &c, &code).await;
    soon.err(ErrorCode::CodeTooSoon);
    assert_eq!(soon.retry_after(), Some(5));
    assert_eq!(soon.headers["retry-after"], "5");
    h.advance(4);
    assert_eq!(
        verify(&h, "a@example.com", &c, &code)
            .await
            .err(ErrorCode::CodeTooSoon)
            .retry_after(),
        Some(1)
    );

    for left in [3, 2, 1, 0] {
        h.advance(5);
        let answer = verify(&h, "a@example.com", &c, wrong).await;
        answer.err(ErrorCode::CodeIncorrect);
        assert_eq!(answer.data()["attempts_left"], left);
    }
    h.advance(5);
    verify(&h, "a@example.com", &c, &code)
        .await
        .err(ErrorCode::CodeTooManyAttempts);

    // A new code (after the resend wait) works again.
    h.advance(46);
    resend(&h, "a@example.com", &c).await.ok(202);
    let fresh = h.code("a@example.com", MailKind::VerifyEmail).await;
    assert_ne!(fresh, code);
    verify(&h, "a@example.com", &c, &fresh).await.ok(200);
}

#[tokio::test]
async fn resend_is_refused_for_46_seconds_and_replaces_the_code() {
    let h = harness();
    let c = challenge(h.sign_up("A", "a@example.com", PASSWORD).await.ok(202));
    let first = h.code("a@example.com", MailKind::VerifyEmail).await;

    let refused = resend(&h, "a@example.com", &c).await;
    refused.err(ErrorCode::CodeResendTooSoon);
    assert_eq!(refused.retry_after(), Some(46));
    h.advance(45);
    assert_eq!(
        resend(&h, "a@example.com", &c)
            .await
            .err(ErrorCode::CodeResendTooSoon)
            .retry_after(),
        Some(1)
    );
    h.advance(1);
    let sent = resend(&h, "a@example.com", &c).await;
    sent.ok(202);
    assert_eq!(sent.data()["resend_after_seconds"], 46);
    assert_eq!(challenge(&sent), c, "a resend keeps the challenge");
    let second = h.code("a@example.com", MailKind::VerifyEmail).await;
    assert_ne!(first, second);
    assert_eq!(h.mailbox.to("a@example.com").len(), 2);

    verify(&h, "a@example.com", &c, &first)
        .await
        .err(ErrorCode::CodeIncorrect);
    h.advance(5);
    verify(&h, "a@example.com", &c, &second).await.ok(200);
}

#[tokio::test]
async fn sign_up_answers_the_same_for_a_known_address_after_the_same_work() {
    let h = harness();
    h.verified_user("known@example.com", PASSWORD).await;
    h.deliver().await;
    let mails_before = h.mailbox.count();

    let hashes = h.hashes();
    let known = h
        .sign_up("Someone", "known@example.com", OTHER_PASSWORD)
        .await;
    let known_work = h.hashes() - hashes;
    let hashes = h.hashes();
    let unknown = h
        .sign_up("Someone", "unknown@example.com", OTHER_PASSWORD)
        .await;
    let unknown_work = h.hashes() - hashes;

    assert_eq!(known.status, unknown.status);
    let (known_c, unknown_c) = (challenge(&known), challenge(&unknown));
    assert_eq!(known_c.len(), unknown_c.len());
    let known_bytes = String::from_utf8(known.bytes.clone()).unwrap();
    let unknown_bytes = String::from_utf8(unknown.bytes.clone()).unwrap();
    assert_eq!(
        known_bytes
            .replace("known@example.com", "ADDRESS")
            .replace(&known_c, "CHALLENGE"),
        unknown_bytes
            .replace("unknown@example.com", "ADDRESS")
            .replace(&unknown_c, "CHALLENGE"),
        "byte-identical apart from the address sent and the random challenge"
    );
    let without_length = |headers: &axum::http::HeaderMap| {
        let mut headers = headers.clone();
        headers.remove("content-length");
        headers
    };
    assert_eq!(
        without_length(&known.headers),
        without_length(&unknown.headers)
    );
    assert_eq!((known_work, unknown_work), (1, 1), "one password hash each");

    // The owner gets a notice, not a code; the new address gets a code.
    h.deliver().await;
    let new_mail: Vec<_> = h.mailbox.all().into_iter().skip(mails_before).collect();
    let kinds: Vec<(&str, &str)> = new_mail
        .iter()
        .map(|m| (m.to.as_str(), m.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("known@example.com", "account_exists"),
            ("unknown@example.com", "verify_email")
        ]
    );
    assert_eq!(new_mail[0].code(), None);

    // Every follow-up answers alike too: a wrong code, a quick resend, a late resend.
    for (email, c) in [
        ("known@example.com", &known_c),
        ("unknown@example.com", &unknown_c),
    ] {
        let a = verify(&h, email, c, "123456").await;
        a.err(ErrorCode::CodeIncorrect);
        assert_eq!(a.data()["attempts_left"], 4);
        resend(&h, email, c).await.err(ErrorCode::CodeResendTooSoon);
    }
    h.advance(46);
    let a = resend(&h, "known@example.com", &known_c).await;
    let b = resend(&h, "unknown@example.com", &unknown_c).await;
    assert_eq!(
        (a.status, a.data()["expires_in_seconds"].clone()),
        (b.status, b.data()["expires_in_seconds"].clone())
    );
    // And the password of the existing account did not change.
    h.sign_in("known@example.com", PASSWORD).await;
}

#[tokio::test]
async fn the_owner_notice_is_not_repeated_within_the_resend_period() {
    let h = harness();
    h.verified_user("known@example.com", PASSWORD).await;
    for _ in 0..3 {
        h.sign_up("X", "known@example.com", OTHER_PASSWORD)
            .await
            .ok(202);
    }
    h.deliver().await;
    assert_eq!(
        h.mailbox
            .to("known@example.com")
            .iter()
            .filter(|m| m.is(MailKind::AccountExists))
            .count(),
        1
    );
}

#[tokio::test]
async fn verifying_an_address_without_any_code_answers_code_none() {
    let h = harness();
    verify(&h, "nobody@example.com", "xwc_none", "123456")
        .await
        .err_field(ErrorCode::CodeNone, "code");
}

/// Issue 9: a later sign-up for an unverified address once rebound the mailed code to the later
/// password, so whoever signed up last owned the account the mailbox owner verified. Each sign-up
/// now has its own challenge and code; the mailbox owner's code activates only their own
/// registration, whatever came before or after it.
#[tokio::test]
async fn a_later_sign_up_never_changes_what_an_earlier_code_activates() {
    let h = harness();
    // The owner signs up; a stranger signs up the same address within 46 s and again later.
    let owner = challenge(h.sign_up("Owner", "a@example.com", PASSWORD).await.ok(202));
    let owner_code = h.code("a@example.com", MailKind::VerifyEmail).await;
    let quick = challenge(
        h.sign_up("Stranger", "a@example.com", OTHER_PASSWORD)
            .await
            .ok(202),
    );
    assert_ne!(quick, owner);
    h.deliver().await;
    assert_eq!(h.mailbox.to("a@example.com").len(), 1, "46 s rule");
    h.advance(46);
    let stranger = challenge(
        h.sign_up("Stranger", "a@example.com", OTHER_PASSWORD)
            .await
            .ok(202),
    );
    let stranger_code = h.code("a@example.com", MailKind::VerifyEmail).await;
    assert_ne!(stranger_code, owner_code);
    // The stranger has a challenge but not the mailbox; the owner's code does not work with it.
    verify(&h, "a@example.com", &stranger, &owner_code)
        .await
        .err(ErrorCode::CodeIncorrect);
    verify(&h, "a@example.com", &quick, &owner_code)
        .await
        .err(ErrorCode::CodeIncorrect);
    h.advance(5);
    // The owner's code still activates the owner's registration.
    verify(&h, "a@example.com", &owner, &owner_code)
        .await
        .ok(200);
    h.advance(1);
    h.sign_in_answer("a@example.com", OTHER_PASSWORD)
        .await
        .err(ErrorCode::InvalidCredentials);
    let tokens = h.sign_in("a@example.com", PASSWORD).await;
    assert_eq!(tokens.user.name, "Owner");
    // Verified: every other registration's code is void.
    verify(&h, "a@example.com", &stranger, &stranger_code)
        .await
        .err(ErrorCode::CodeNone);
}

#[tokio::test]
async fn the_mailbox_owner_may_keep_a_later_registration() {
    let h = harness();
    h.sign_up("First Name", "a@example.com", PASSWORD)
        .await
        .ok(202);
    h.advance(46);
    let second = challenge(
        h.sign_up("Second Name", "a@example.com", OTHER_PASSWORD)
            .await
            .ok(202),
    );
    let code = h.code("a@example.com", MailKind::VerifyEmail).await;
    verify(&h, "a@example.com", &second, &code).await.ok(200);
    h.advance(1);
    h.sign_in_answer("a@example.com", PASSWORD)
        .await
        .err(ErrorCode::InvalidCredentials);
    let tokens = h.sign_in("a@example.com", OTHER_PASSWORD).await;
    assert_eq!(tokens.user.name, "Second Name");
}

#[tokio::test]
async fn a_verification_resend_without_a_known_challenge_mails_nothing() {
    let h = harness();
    h.sign_up("A", "a@example.com", PASSWORD).await.ok(202);
    h.advance(60);
    let answer = resend(&h, "a@example.com", "xwc_made_up").await;
    answer.ok(202);
    assert_ne!(
        challenge(&answer),
        "xwc_made_up",
        "a decoy challenge, not an echo"
    );
    h.advance(46);
    h.post(
        "/api/auth/verify-email/resend",
        json!({"email": "a@example.com"}),
    )
    .await
    .ok(202);
    h.deliver().await;
    assert_eq!(
        h.mailbox.to("a@example.com").len(),
        1,
        "only the sign-up's code"
    );
}

#[tokio::test]
async fn an_unverified_sign_in_with_the_right_password_sends_a_fresh_code_under_the_resend_rule() {
    let h = harness();
    h.sign_up("A", "a@example.com", PASSWORD).await.ok(202);
    // Right after sign-up: no new code yet (46 s rule), and the answer says when one can come.
    let answer = h.sign_in_answer("a@example.com", PASSWORD).await;
    answer.err(ErrorCode::EmailUnverified);
    assert_eq!(answer.retry_after(), Some(46));
    h.deliver().await;
    assert_eq!(h.mailbox.to("a@example.com").len(), 1);

    h.advance(46);
    let answer = h.sign_in_answer("a@example.com", PASSWORD).await;
    answer.err(ErrorCode::EmailUnverified);
    // The one who knows the password gets the challenge of the code just mailed.
    let c = answer.data()["challenge_id"].as_str().unwrap().to_owned();
    h.deliver().await;
    assert_eq!(h.mailbox.to("a@example.com").len(), 2);
    let code = h.code("a@example.com", MailKind::VerifyEmail).await;
    verify(&h, "a@example.com", &c, &code).await.ok(200);
    // A wrong password reveals nothing about verification.
    h.sign_in_answer("a@example.com", OTHER_PASSWORD)
        .await
        .err(ErrorCode::InvalidCredentials);
}

#[tokio::test]
async fn mail_comes_in_the_language_asked_for() {
    let h = harness();
    h.post(
        "/api/auth/signup",
        json!({"name": "Émile", "email": "emile@example.com", "password": PASSWORD, "language": "fr"}),
    )
    .await
    .ok(202);
    let mail = h
        .last_mail("emile@example.com", MailKind::VerifyEmail)
        .await
        .unwrap();
    assert_eq!(mail.language, "fr");
    assert_eq!(mail.subject, "Votre code de vérification XWMS");
    assert!(mail.text.starts_with("Bonjour Émile,"));
    assert!(mail.html.contains("lang=\"fr\""));

    // Without `language`, Accept-Language decides.
    let c = challenge(
        h.call(
            axum::http::Method::POST,
            "/api/auth/signup",
            Some(json!({"name": "Sanne", "email": "sanne@example.com", "password": PASSWORD})),
        )
        .header("accept-language", "nl-NL,nl;q=0.9,en;q=0.8")
        .send()
        .await
        .ok(202),
    );
    let mail = h
        .last_mail("sanne@example.com", MailKind::VerifyEmail)
        .await
        .unwrap();
    assert_eq!(mail.subject, "Uw XWMS-verificatiecode");
    // The account takes that language.
    let code = mail.code().unwrap();
    verify(&h, "sanne@example.com", &c, &code).await.ok(200);
    assert_eq!(
        h.sign_in("sanne@example.com", PASSWORD).await.user.language,
        "nl"
    );
}
