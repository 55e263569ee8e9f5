//! Sign-in, sessions and tokens, lockout and unlock, throttles: on an injected clock.

use axum::http::Method;
use base64::Engine;
use serde_json::json;
use time::Duration;
use xwms_api::auth::{SecondFactorChallenge, SessionTokens};
use xwms_api::{ErrorCode, Secret};
use xwms_server::accounts::sessions::token_hash;
use xwms_server::accounts::{events, ClientMeta, SecondFactor, SignInAttempt, User};
use xwms_server::mail::MailKind;

use crate::support::{
    challenge, device, device_info, harness, harness_with, Answer, Harness, NOW, OTHER_PASSWORD,
    PASSWORD,
};

const EMAIL: &str = "anna@example.com";

async fn fail(h: &Harness, email: &str) -> Answer {
    h.sign_in_answer(email, OTHER_PASSWORD).await
}

async fn refresh(h: &Harness, token: &Secret) -> Answer {
    h.post(
        "/api/auth/refresh",
        json!({"refresh_token": token.expose()}),
    )
    .await
}

fn tokens_of(answer: &Answer) -> SessionTokens {
    answer.ok(200);
    serde_json::from_value(answer.data().clone()).unwrap()
}

async fn event_kinds(h: &Harness, user_id: &str) -> Vec<String> {
    let id = user_id.to_owned();
    h.query(move |c| events::list(c, &id))
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[tokio::test]
async fn sign_in_opens_a_session_with_device_facts_and_hashed_256_bit_tokens() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    let answer = h
        .call(
            Method::POST,
            "/api/auth/signin",
            Some(json!({"email": "ANNA@example.com", "password": PASSWORD, "device": device("inst-7")})),
        )
        .peer("192.0.2.10")
        .header("user-agent", "XWMS-Desktop/0.1.0 (linux)")
        .send()
        .await;
    answer.ok(200);
    assert_eq!(answer.data()["result"], "signed_in");
    let tokens = tokens_of(&answer);
    let now = NOW + Duration::seconds(60);
    assert_eq!(
        tokens.access_expires_at,
        xwms_server::clock::rfc3339(now + Duration::minutes(15))
    );
    assert_eq!(
        tokens.refresh_expires_at,
        xwms_server::clock::rfc3339(now + Duration::days(30))
    );
    for (token, prefix) in [
        (&tokens.access_token, "xwms_at_"),
        (&tokens.refresh_token, "xwms_rt_"),
    ] {
        let body = token.expose().strip_prefix(prefix).expect("prefixed token");
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .unwrap();
        assert_eq!(raw.len() * 8, 256);
    }
    assert_ne!(tokens.access_token, tokens.refresh_token);

    let session = tokens.session_id.clone();
    let (name, os, app, version, install, ip, agent): (String, String, String, String, String, String, String) = h
        .query(move |c| {
            c.query_row(
                "SELECT device_name, device_os, app, app_version, installation_id, ip, user_agent FROM sessions WHERE id = ?1",
                [session],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
            )
        })
        .await;
    assert_eq!(
        (
            name.as_str(),
            os.as_str(),
            app.as_str(),
            version.as_str(),
            install.as_str(),
            ip.as_str(),
            agent.as_str()
        ),
        (
            "anna-laptop",
            "linux",
            "XWMS-Desktop",
            "0.1.0",
            "inst-7",
            "192.0.2.10",
            "XWMS-Desktop/0.1.0 (linux)"
        )
    );

    // Only hashes are stored.
    let access = tokens.access_token.expose().to_owned();
    let refresh = tokens.refresh_token.expose().to_owned();
    let (stored, dump): (Vec<String>, String) = h
        .query(|c| {
            let mut stmt = c.prepare("SELECT hash FROM tokens")?;
            let hashes = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            let dump = c.query_row(
                "SELECT group_concat(hash || kind || session_id) FROM tokens",
                [],
                |r| r.get(0),
            )?;
            Ok((hashes, dump))
        })
        .await;
    assert!(stored.contains(&token_hash(&access)) && stored.contains(&token_hash(&refresh)));
    assert!(!dump.contains(&access[8..]) && !dump.contains(&refresh[8..]));

    let me = h.get_auth("/api/account", &access).await;
    me.ok(200);
    assert_eq!(me.data()["email"], EMAIL);
}

#[tokio::test]
async fn an_unknown_address_answers_exactly_like_a_wrong_password_after_the_same_work() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    let before = h.hashes();
    let known = fail(&h, EMAIL).await;
    let known_work = h.hashes() - before;
    let before = h.hashes();
    let unknown = fail(&h, "nobody@example.com").await;
    let unknown_work = h.hashes() - before;
    known.err(ErrorCode::InvalidCredentials);
    assert_eq!(
        (known.status, &known.bytes),
        (unknown.status, &unknown.bytes)
    );
    assert_eq!(known.headers, unknown.headers);
    assert_eq!((known_work, unknown_work), (1, 1));

    // Ten failures lock both alike, with identical answers, and the known owner gets the code.
    for _ in 1..9 {
        h.advance(61);
        let a = fail(&h, EMAIL).await;
        let b = fail(&h, "nobody@example.com").await;
        assert_eq!((a.status, &a.bytes), (b.status, &b.bytes));
    }
    h.advance(61);
    let a = fail(&h, EMAIL).await;
    let b = fail(&h, "nobody@example.com").await;
    a.err(ErrorCode::Locked);
    // The lock carries the challenge of the unlock code (a decoy one for the unknown address):
    // random, so the answers are identical apart from it.
    let (a_c, b_c) = (challenge(&a), challenge(&b));
    assert_ne!(a_c, b_c);
    assert_eq!(a_c.len(), b_c.len());
    assert_eq!(
        (
            a.status,
            String::from_utf8(a.bytes.clone())
                .unwrap()
                .replace(&a_c, "C")
        ),
        (
            b.status,
            String::from_utf8(b.bytes.clone())
                .unwrap()
                .replace(&b_c, "C")
        )
    );
    assert!(h.last_mail(EMAIL, MailKind::UnlockCode).await.is_some());
    assert!(h.mailbox.to("nobody@example.com").is_empty());
    // Unlock attempts and resends answer alike too.
    h.advance(1);
    let a = h
        .post(
            "/api/auth/unlock",
            json!({"email": EMAIL, "code": "000001", "challenge_id": a_c}),
        )
        .await;
    let b = h
        .post(
            "/api/auth/unlock",
            json!({"email": "nobody@example.com", "code": "000001", "challenge_id": b_c}),
        )
        .await;
    a.err(ErrorCode::CodeIncorrect);
    assert_eq!((a.status, &a.bytes), (b.status, &b.bytes));
    let a = h
        .post(
            "/api/auth/unlock/resend",
            json!({"email": EMAIL, "challenge_id": a_c}),
        )
        .await;
    let b = h
        .post(
            "/api/auth/unlock/resend",
            json!({"email": "nobody@example.com", "challenge_id": b_c}),
        )
        .await;
    a.err(ErrorCode::CodeResendTooSoon);
    assert_eq!((a.status, &a.bytes), (b.status, &b.bytes));
}

#[tokio::test]
async fn access_tokens_live_fifteen_minutes_and_refresh_rotates() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let access = tokens.access_token.expose();
    h.advance(15 * 60 - 1);
    h.get_auth("/api/account", access).await.ok(200);
    h.advance(1);
    h.get_auth("/api/account", access)
        .await
        .err(ErrorCode::SessionExpired);

    let next = tokens_of(&refresh(&h, &tokens.refresh_token).await);
    assert_eq!(next.session_id, tokens.session_id);
    assert_ne!(next.refresh_token, tokens.refresh_token);
    assert_eq!(
        next.refresh_expires_at, tokens.refresh_expires_at,
        "the absolute end stays"
    );
    assert_eq!(next.user.email, EMAIL);
    h.get_auth("/api/account", next.access_token.expose())
        .await
        .ok(200);

    // The second refresh token rotates again; the third one is live.
    let third = tokens_of(&refresh(&h, &next.refresh_token).await);
    h.get_auth("/api/account", third.access_token.expose())
        .await
        .ok(200);
}

#[tokio::test]
async fn a_rotated_refresh_token_used_again_revokes_the_whole_session() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let next = tokens_of(&refresh(&h, &tokens.refresh_token).await);

    refresh(&h, &tokens.refresh_token)
        .await
        .err(ErrorCode::SessionRevoked);
    // Everything of that session stops at once: the live access token and the live refresh token.
    h.get_auth("/api/account", next.access_token.expose())
        .await
        .err(ErrorCode::SessionRevoked);
    refresh(&h, &next.refresh_token)
        .await
        .err(ErrorCode::SessionRevoked);
    let kinds = event_kinds(&h, &tokens.user.sub).await;
    assert!(
        kinds.contains(&"refresh_token_reused".to_owned()),
        "{kinds:?}"
    );
    let reason: String = h
        .query(move |c| {
            c.query_row(
                "SELECT revoke_reason FROM sessions WHERE id = ?1",
                [&tokens.session_id],
                |r| r.get(0),
            )
        })
        .await;
    assert_eq!(reason, "refresh_token_reused");
}

#[tokio::test]
async fn sessions_end_after_thirty_days_and_after_seven_idle_days() {
    // Absolute: refreshing every six days keeps it alive until day 30, not after.
    let h = harness();
    let mut tokens = h.signed_in(EMAIL).await;
    for _ in 0..4 {
        h.advance(6 * 24 * 3600);
        tokens = tokens_of(&refresh(&h, &tokens.refresh_token).await);
    }
    h.advance(6 * 24 * 3600 - 1);
    tokens = tokens_of(&refresh(&h, &tokens.refresh_token).await);
    h.advance(1);
    refresh(&h, &tokens.refresh_token)
        .await
        .err(ErrorCode::SessionExpired);

    // Idle: seven days without a request.
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    h.advance(7 * 24 * 3600 - 1);
    tokens_of(&refresh(&h, &tokens.refresh_token).await);
    let tokens = h.sign_in(EMAIL, PASSWORD).await;
    h.advance(7 * 24 * 3600);
    refresh(&h, &tokens.refresh_token)
        .await
        .err(ErrorCode::SessionExpired);
}

#[tokio::test]
async fn tokens_of_the_wrong_kind_or_unknown_are_unauthorized() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    refresh(&h, &tokens.access_token)
        .await
        .err(ErrorCode::Unauthorized);
    h.get_auth("/api/account", tokens.refresh_token.expose())
        .await
        .err(ErrorCode::Unauthorized);
    refresh(&h, &Secret::new("xwms_rt_nope"))
        .await
        .err(ErrorCode::Unauthorized);
    h.get_auth("/api/account", "xwms_at_nope")
        .await
        .err(ErrorCode::Unauthorized);
    h.call(Method::GET, "/api/account", None)
        .send()
        .await
        .err(ErrorCode::Unauthorized);
    h.call(Method::GET, "/api/account", None)
        .header(
            "authorization",
            &format!("Basic {}", tokens.access_token.expose()),
        )
        .send()
        .await
        .err(ErrorCode::Unauthorized);
}

#[tokio::test]
async fn sign_out_ends_the_session_server_side() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let other = h.sign_in(EMAIL, PASSWORD).await;
    h.post_auth("/api/auth/signout", tokens.access_token.expose(), json!({}))
        .await
        .ok(200);
    h.get_auth("/api/account", tokens.access_token.expose())
        .await
        .err(ErrorCode::SessionRevoked);
    refresh(&h, &tokens.refresh_token)
        .await
        .err(ErrorCode::SessionRevoked);
    h.post_auth("/api/auth/signout", tokens.access_token.expose(), json!({}))
        .await
        .err(ErrorCode::SessionRevoked);
    // Other sessions are untouched.
    h.get_auth("/api/account", other.access_token.expose())
        .await
        .ok(200);
    assert!(event_kinds(&h, &tokens.user.sub)
        .await
        .contains(&"signed_out".to_owned()));
}

#[tokio::test]
async fn failures_slow_sign_in_then_lock_and_the_mailed_code_unlocks_at_once() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    let user = h.sign_in(EMAIL, PASSWORD).await.user;
    // Four failures: no delay.
    for _ in 0..4 {
        fail(&h, EMAIL).await.err(ErrorCode::InvalidCredentials);
    }
    // From the fifth, the wait doubles: 1, 2, 4, 8, 16 s ...
    fail(&h, EMAIL).await.err(ErrorCode::InvalidCredentials);
    let mut lock_challenge = None;
    for (failures, wait) in [(5, 1), (6, 2), (7, 4), (8, 8), (9, 16)] {
        let throttled = h.sign_in_answer(EMAIL, PASSWORD).await;
        throttled.err(ErrorCode::Throttled);
        assert_eq!(
            throttled.retry_after(),
            Some(wait),
            "after {failures} failures"
        );
        assert_eq!(throttled.headers["retry-after"], wait.to_string().as_str());
        h.advance(wait as i64);
        let answer = fail(&h, EMAIL).await;
        if failures < 9 {
            answer.err(ErrorCode::InvalidCredentials);
        } else {
            // The tenth failure locks the account and mails an unlock code; the answer carries
            // the challenge that code belongs to.
            answer.err(ErrorCode::Locked);
            assert_eq!(answer.retry_after(), Some(15 * 60));
            lock_challenge = Some(challenge(&answer));
        }
    }
    let lock_challenge = lock_challenge.unwrap();
    let mail = h.last_mail(EMAIL, MailKind::UnlockCode).await.unwrap();
    assert_eq!(mail.language, "en");
    let code = mail.code().unwrap();
    // Even the right password is refused while locked.
    h.advance(120);
    h.sign_in_answer(EMAIL, PASSWORD)
        .await
        .err(ErrorCode::Locked);

    // The code works only with the challenge of the lock that mailed it.
    h.post(
        "/api/auth/unlock",
        json!({"email": EMAIL, "code": code, "challenge_id": "xwc_made_up"}),
    )
    .await
    .err_field(ErrorCode::CodeNone, "code");
    h.post(
        "/api/auth/unlock",
        json!({"email": EMAIL, "code": code, "challenge_id": lock_challenge}),
    )
    .await
    .ok(200);
    // Access is back at once, and the counters start over.
    let tokens = h.sign_in(EMAIL, PASSWORD).await;
    assert_eq!(tokens.user.sub, user.sub);
    for _ in 0..4 {
        fail(&h, EMAIL).await.err(ErrorCode::InvalidCredentials);
    }
    let kinds = event_kinds(&h, &user.sub).await;
    assert!(
        kinds.contains(&"account_locked".to_owned())
            && kinds.contains(&"account_unlocked".to_owned()),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn a_temporary_lock_ends_by_itself_after_fifteen_minutes() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    for _ in 0..10 {
        h.advance(61);
        fail(&h, EMAIL).await;
    }
    h.advance(15 * 60 - 1);
    h.sign_in_answer(EMAIL, PASSWORD)
        .await
        .err(ErrorCode::Locked);
    h.advance(1);
    // 10 failures so far: the doubling wait (32 s) counts from the last failure, long past.
    let tokens = h.sign_in(EMAIL, PASSWORD).await;
    // A success after many failures is a security event and a notice (R11).
    let mail = h
        .last_mail(EMAIL, MailKind::SignInAfterFailures)
        .await
        .unwrap();
    assert!(
        mail.text.contains("after 10 failed attempts"),
        "{}",
        mail.text
    );
    assert!(event_kinds(&h, &tokens.user.sub)
        .await
        .contains(&"sign_in_after_failures".to_owned()));
}

#[tokio::test]
async fn one_hundred_failures_stop_hard_until_the_mailbox_code_lifts_it() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    for n in 1..=100 {
        h.advance(16 * 60);
        let answer = fail(&h, EMAIL).await;
        if n % 10 == 0 {
            answer.err(ErrorCode::Locked);
        } else {
            answer.err(ErrorCode::InvalidCredentials);
        }
    }
    let locked = h.sign_in_answer(EMAIL, PASSWORD).await;
    locked.err(ErrorCode::Locked);
    assert_eq!(locked.retry_after(), None, "a hard stop has no end");
    h.advance(365 * 24 * 3600);
    h.sign_in_answer(EMAIL, PASSWORD)
        .await
        .err(ErrorCode::Locked);

    // The owner asks for a new code (a new challenge) and unlocks: the lock never keeps the
    // mailbox owner out.
    let c = challenge(
        h.post("/api/auth/unlock/resend", json!({"email": EMAIL}))
            .await
            .ok(202),
    );
    let code = h.code(EMAIL, MailKind::UnlockCode).await;
    h.post(
        "/api/auth/unlock",
        json!({"email": EMAIL, "code": code, "challenge_id": c}),
    )
    .await
    .ok(200);
    h.sign_in(EMAIL, PASSWORD).await;
}

#[tokio::test]
async fn unlock_resend_follows_the_46_second_rule_and_answers_alike_for_everyone() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    let mut locked = None;
    for _ in 0..10 {
        h.advance(61);
        locked = Some(fail(&h, EMAIL).await);
    }
    let lock_challenge = challenge(locked.as_ref().unwrap().err(ErrorCode::Locked));
    let first = h.code(EMAIL, MailKind::UnlockCode).await;
    let refused = h
        .post(
            "/api/auth/unlock/resend",
            json!({"email": EMAIL, "challenge_id": lock_challenge}),
        )
        .await;
    refused.err(ErrorCode::CodeResendTooSoon);
    assert_eq!(refused.retry_after(), Some(46));
    // A new challenge is under the same rule.
    h.post("/api/auth/unlock/resend", json!({"email": EMAIL}))
        .await
        .err(ErrorCode::CodeResendTooSoon);
    h.advance(46);
    let sent = h
        .post(
            "/api/auth/unlock/resend",
            json!({"email": EMAIL, "language": "nl", "challenge_id": lock_challenge}),
        )
        .await;
    sent.ok(202);
    assert_eq!(
        challenge(&sent),
        lock_challenge,
        "a resend keeps the challenge"
    );
    let mail = h.last_mail(EMAIL, MailKind::UnlockCode).await.unwrap();
    assert_eq!(
        mail.subject,
        "Uw XWMS-account is vergrendeld: ontgrendelcode"
    );
    let second = mail.code().unwrap();
    assert_ne!(second, first);
    let unknown = h
        .post(
            "/api/auth/unlock/resend",
            json!({"email": "x@example.com", "language": "nl"}),
        )
        .await;
    let unknown_challenge = challenge(&unknown);
    assert_eq!(
        String::from_utf8(sent.bytes)
            .unwrap()
            .replace(EMAIL, "A")
            .replace(&lock_challenge, "C"),
        String::from_utf8(unknown.bytes)
            .unwrap()
            .replace("x@example.com", "A")
            .replace(&unknown_challenge, "C"),
        "byte-identical apart from the address sent and the random challenge"
    );
    // The old code of the challenge is void; the resent one unlocks.
    h.post(
        "/api/auth/unlock",
        json!({"email": EMAIL, "code": first, "challenge_id": lock_challenge}),
    )
    .await
    .err(ErrorCode::CodeIncorrect);
    h.advance(5);
    h.post(
        "/api/auth/unlock",
        json!({"email": EMAIL, "code": second, "challenge_id": lock_challenge}),
    )
    .await
    .ok(200);
    // An account that is not locked gets no code: the same answer, no mail.
    h.verified_user("free@example.com", PASSWORD).await;
    h.deliver().await;
    let before = h.mailbox.count();
    h.post(
        "/api/auth/unlock/resend",
        json!({"email": "free@example.com"}),
    )
    .await
    .ok(202);
    h.deliver().await;
    assert_eq!(h.mailbox.count(), before);
}

#[tokio::test]
async fn one_address_failing_thirty_times_in_fifteen_minutes_is_throttled() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    for i in 0..30 {
        h.call(
            Method::POST,
            "/api/auth/signin",
            Some(json!({"email": format!("user{i}@example.com"), "password": OTHER_PASSWORD, "device": device("x")})),
        )
        .peer("198.51.100.7")
        .send()
        .await
        .err(ErrorCode::InvalidCredentials);
        h.advance(10);
    }
    let sign_in_from = |ip: &'static str| {
        h.call(
            Method::POST,
            "/api/auth/signin",
            Some(json!({"email": EMAIL, "password": PASSWORD, "device": device("x")})),
        )
        .peer(ip)
        .send()
    };
    let throttled = sign_in_from("198.51.100.7").await;
    throttled.err(ErrorCode::Throttled);
    assert_eq!(throttled.retry_after(), Some(15 * 60 - 300));
    // Another address is not affected.
    sign_in_from("203.0.113.5").await.ok(200);
    // Once the oldest failure leaves the window, the address may try again.
    h.advance(15 * 60 - 300);
    sign_in_from("198.51.100.7").await.ok(200);
}

#[tokio::test]
async fn failures_from_five_addresses_are_unusual_activity_and_lock() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    for (i, ip) in [
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.3",
        "192.0.2.4",
        "192.0.2.5",
    ]
    .iter()
    .enumerate()
    {
        let answer = h
            .call(
                Method::POST,
                "/api/auth/signin",
                Some(json!({"email": EMAIL, "password": OTHER_PASSWORD, "device": device("x")})),
            )
            .peer(ip)
            .send()
            .await;
        if i < 4 {
            answer.err(ErrorCode::InvalidCredentials);
        } else {
            answer.err(ErrorCode::Locked);
        }
    }
    assert!(h.last_mail(EMAIL, MailKind::UnlockCode).await.is_some());
}

#[tokio::test]
async fn a_new_installation_is_a_security_event_with_a_notice() {
    let h = harness();
    let first = h.signed_in(EMAIL).await;
    h.deliver().await;
    assert!(
        h.mailbox.last(EMAIL, MailKind::NewDeviceSignIn).is_none(),
        "the first sign-in is not news"
    );
    h.sign_in(EMAIL, PASSWORD).await;
    h.deliver().await;
    assert!(
        h.mailbox.last(EMAIL, MailKind::NewDeviceSignIn).is_none(),
        "same installation"
    );
    let answer = h
        .post(
            "/api/auth/signin",
            json!({"email": EMAIL, "password": PASSWORD, "device": device("install-2")}),
        )
        .await;
    answer.ok(200);
    let mail = h.last_mail(EMAIL, MailKind::NewDeviceSignIn).await.unwrap();
    assert!(
        mail.text
            .contains("anna-laptop (linux, XWMS-Desktop 0.1.0)"),
        "{}",
        mail.text
    );
    assert!(event_kinds(&h, &first.user.sub)
        .await
        .contains(&"new_device".to_owned()));
}

/// A second factor that asks every account (the seam itself; the TOTP step is in two_factor.rs).
struct AlwaysAsk;

impl SecondFactor for AlwaysAsk {
    fn challenge(
        &self,
        _tx: &rusqlite::Transaction<'_>,
        _random: &dyn xwms_server::random::Random,
        user: &User,
        _attempt: &SignInAttempt<'_>,
        _now: time::OffsetDateTime,
    ) -> rusqlite::Result<Option<SecondFactorChallenge>> {
        Ok(Some(SecondFactorChallenge {
            challenge: Secret::new(format!("challenge-for-{}", user.id)),
            methods: vec![xwms_api::security::SecondFactorMethod::Totp],
        }))
    }
}

#[tokio::test]
async fn the_second_factor_seam_answers_a_challenge_instead_of_a_session() {
    let h = harness_with(|s| s.with_second_factor(std::sync::Arc::new(AlwaysAsk)));
    h.verified_user(EMAIL, PASSWORD).await;
    let answer = h.sign_in_answer(EMAIL, PASSWORD).await;
    answer.ok(200);
    assert_eq!(answer.data()["result"], "second_factor");
    assert_eq!(answer.data()["methods"], json!(["totp"]));
    let sessions: i64 = h
        .query(|c| c.query_row("SELECT count(*) FROM sessions", [], |r| r.get(0)))
        .await;
    assert_eq!(sessions, 0, "no session before the second factor");
    // A wrong password still never reaches the seam.
    fail(&h, EMAIL).await.err(ErrorCode::InvalidCredentials);

    // After a second-factor check, the session opens.
    let sub = answer.data()["challenge"]
        .as_str()
        .unwrap()
        .trim_start_matches("challenge-for-")
        .to_owned();
    let tokens = h
        .state
        .accounts
        .complete_sign_in(&sub, device_info("install-1"), &ClientMeta::default())
        .await
        .unwrap();
    h.get_auth("/api/account", tokens.access_token.expose())
        .await
        .ok(200);
}
