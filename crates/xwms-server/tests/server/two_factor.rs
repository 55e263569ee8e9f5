//! Two-step verification: set-up, enabling, the second step of sign-in with TOTP and recovery
//! codes, replay, lockout, regeneration and disabling, on an injected clock.

use serde_json::{json, Value};
use xwms_api::security::paths;
use xwms_api::ErrorCode;
use xwms_server::accounts::events;
use xwms_server::mail::MailKind;
use xwms_server::Clock;

use crate::support::{harness, totp_code, Answer, Harness, OTHER_PASSWORD, PASSWORD};

const EMAIL: &str = "anna@example.com";

/// Turns 2FA on for the session of `token`; returns the secret and the recovery codes.
pub async fn enable(h: &Harness, token: &str) -> (String, Vec<String>) {
    let setup = h
        .post_auth(
            paths::TWO_FACTOR_SETUP,
            token,
            json!({"password": PASSWORD}),
        )
        .await;
    setup.ok(200);
    let secret = setup.data()["secret"].as_str().unwrap().to_owned();
    let code = totp_code(&secret, h.clock.now());
    let enabled = h
        .post_auth(paths::TWO_FACTOR_ENABLE, token, json!({"code": code}))
        .await;
    enabled.ok(200);
    let codes = enabled.data()["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

/// Signs in with the password; returns the challenge.
pub async fn challenge(h: &Harness) -> String {
    let answer = h.sign_in_answer(EMAIL, PASSWORD).await;
    answer.ok(200);
    assert_eq!(answer.data()["result"], "second_factor", "{}", answer.body);
    assert_eq!(answer.data()["methods"], json!(["totp", "recovery_code"]));
    answer.data()["challenge"].as_str().unwrap().to_owned()
}

pub async fn second_factor(h: &Harness, challenge: &str, method: &str, code: &str) -> Answer {
    h.post(
        paths::SIGN_IN_SECOND_FACTOR,
        json!({"challenge": challenge, "method": method, "code": code}),
    )
    .await
}

async fn kinds(h: &Harness, user: &str) -> Vec<String> {
    let id = user.to_owned();
    h.query(move |c| events::list(c, &id))
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

async fn failures(h: &Harness) -> i64 {
    h.query(|c| {
        c.query_row(
            "SELECT coalesce((SELECT failures FROM sign_in_guards WHERE email_key = 'anna@example.com'), 0)",
            [],
            |r| r.get(0),
        )
    })
    .await
}

async fn sessions(h: &Harness) -> i64 {
    h.query(|c| c.query_row("SELECT count(*) FROM sessions", [], |r| r.get(0)))
        .await
}

#[tokio::test]
async fn setup_gives_a_standard_secret_and_enable_needs_a_code_of_it() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let token = tokens.access_token.expose();
    h.post_auth(
        paths::TWO_FACTOR_SETUP,
        token,
        json!({"password": OTHER_PASSWORD}),
    )
    .await
    .err_field(ErrorCode::PasswordIncorrect, "password");
    h.post_auth(paths::TWO_FACTOR_ENABLE, token, json!({"code": "123456"}))
        .await
        .err(ErrorCode::TwoFactorSetupMissing);
    let setup = h
        .post_auth(
            paths::TWO_FACTOR_SETUP,
            token,
            json!({"password": PASSWORD}),
        )
        .await;
    setup.ok(200);
    let data = setup.data();
    let secret = data["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32 without padding");
    assert_eq!(
        data["otpauth_uri"],
        format!("otpauth://totp/XWMS:anna%40example.com?secret={secret}&issuer=XWMS&algorithm=SHA1&digits=6&period=30")
    );
    assert_eq!(
        (
            &data["issuer"],
            &data["account_name"],
            &data["digits"],
            &data["period_seconds"],
            &data["algorithm"]
        ),
        (
            &json!("XWMS"),
            &json!(EMAIL),
            &json!(6),
            &json!(30),
            &json!("SHA1")
        )
    );
    assert_eq!(data["expires_at"], "2026-05-06T07:19:09Z", "10 minutes");
    h.post_auth(paths::TWO_FACTOR_ENABLE, token, json!({"code": "000000"}))
        .await
        .err_field(ErrorCode::TwoFactorCodeIncorrect, "code");
    // Ten minutes later the pending secret is gone.
    h.advance(600);
    let late = totp_code(secret, h.clock.now());
    h.post_auth(paths::TWO_FACTOR_ENABLE, token, json!({"code": late}))
        .await
        .err(ErrorCode::TwoFactorSetupMissing);

    let tokens = h.sign_in(EMAIL, PASSWORD).await;
    let token = tokens.access_token.expose();
    let (_, codes) = enable(&h, token).await;
    assert_eq!(codes.len(), 10);
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10);
    for code in &codes {
        assert!(
            code.len() == 9
                && &code[4..5] == "-"
                && code
                    .chars()
                    .all(|c| c == '-' || c.is_ascii_lowercase() || c.is_ascii_digit()),
            "{code}"
        );
    }
    h.post_auth(
        paths::TWO_FACTOR_SETUP,
        token,
        json!({"password": PASSWORD}),
    )
    .await
    .err(ErrorCode::TwoFactorAlreadyEnabled);
    h.post_auth(paths::TWO_FACTOR_ENABLE, token, json!({"code": "123456"}))
        .await
        .err(ErrorCode::TwoFactorAlreadyEnabled);
    assert!(kinds(&h, &tokens.user.sub)
        .await
        .contains(&"two_factor_enabled".to_owned()));
    let overview = h.get_auth(paths::SECURITY, token).await;
    overview.ok(200);
    assert_eq!(overview.data()["two_factor"]["enabled"], true);
    assert_eq!(overview.data()["two_factor"]["recovery_codes_left"], 10);
    assert_eq!(
        overview.data()["two_factor"]["enabled_at"],
        "2026-05-06T07:19:09Z"
    );
}

#[tokio::test]
async fn sign_in_needs_the_code_once_per_step() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let (secret, _) = enable(&h, tokens.access_token.expose()).await;
    let before = sessions(&h).await;
    let challenge1 = challenge(&h).await;
    assert!(challenge1.starts_with("xwms_2fa_"), "{challenge1}");
    assert_eq!(
        sessions(&h).await,
        before,
        "no session before the second step"
    );
    // The step of the enabling code is used already.
    let code = totp_code(&secret, h.clock.now());
    second_factor(&h, &challenge1, "totp", &code)
        .await
        .err_field(ErrorCode::TwoFactorCodeUsed, "code");
    assert_eq!(failures(&h).await, 0, "a replay is not a guess");
    h.advance(30);
    let code = totp_code(&secret, h.clock.now());
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let signed = second_factor(&h, &challenge1, "totp", &spaced).await;
    signed.ok(200);
    assert_eq!(signed.data()["user"]["email"], EMAIL);
    let access = signed.data()["access_token"].as_str().unwrap().to_owned();
    h.get_auth("/api/account", &access).await.ok(200);
    // The session has the device facts of the password step.
    let list = h.get_auth(paths::SESSIONS, &access).await;
    assert_eq!(list.data()["sessions"][0]["device_name"], "anna-laptop");
    assert_eq!(list.data()["sessions"][0]["current"], true);
    // A challenge works once.
    second_factor(&h, &challenge1, "totp", &code)
        .await
        .err(ErrorCode::TwoFactorChallengeExpired);
    // The same code again, on a new challenge: refused; the previous step's code too.
    let challenge2 = challenge(&h).await;
    second_factor(&h, &challenge2, "totp", &code)
        .await
        .err(ErrorCode::TwoFactorCodeUsed);
    let previous = totp_code(&secret, h.clock.now() - time::Duration::seconds(30));
    second_factor(&h, &challenge2, "totp", &previous)
        .await
        .err(ErrorCode::TwoFactorCodeUsed);
    // Two steps on, the code of the step before the current one is still fine (drift, typing).
    h.advance(75);
    let previous = totp_code(&secret, h.clock.now() - time::Duration::seconds(30));
    second_factor(&h, &challenge2, "totp", &previous)
        .await
        .ok(200);
}

#[tokio::test]
async fn recovery_codes_work_once_and_a_new_set_voids_the_old() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let token = tokens.access_token.expose().to_owned();
    let (_, codes) = enable(&h, &token).await;
    let ch = challenge(&h).await;
    let shouted = codes[0].replace('-', "").to_uppercase();
    second_factor(&h, &ch, "recovery_code", &shouted)
        .await
        .ok(200);
    let ch = challenge(&h).await;
    second_factor(&h, &ch, "recovery_code", &codes[0])
        .await
        .err(ErrorCode::TwoFactorCodeIncorrect);
    let overview = h.get_auth(paths::SECURITY, &token).await;
    assert_eq!(overview.data()["two_factor"]["recovery_codes_left"], 9);
    let all = kinds(&h, &tokens.user.sub).await;
    assert!(all.contains(&"recovery_code_used".to_owned()), "{all:?}");
    assert!(all.contains(&"second_factor_failed".to_owned()), "{all:?}");

    h.post_auth(
        paths::RECOVERY_CODES,
        &token,
        json!({"password": OTHER_PASSWORD}),
    )
    .await
    .err(ErrorCode::PasswordIncorrect);
    let fresh = h
        .post_auth(paths::RECOVERY_CODES, &token, json!({"password": PASSWORD}))
        .await;
    fresh.ok(200);
    let fresh: Vec<String> = serde_json::from_value(fresh.data()["codes"].clone()).unwrap();
    assert_eq!(fresh.len(), 10);
    h.advance(10);
    second_factor(&h, &ch, "recovery_code", &codes[1])
        .await
        .err(ErrorCode::TwoFactorCodeIncorrect);
    h.advance(10);
    second_factor(&h, &ch, "recovery_code", &fresh[3])
        .await
        .ok(200);
    assert!(kinds(&h, &tokens.user.sub)
        .await
        .contains(&"recovery_codes_regenerated".to_owned()));
}

#[tokio::test]
async fn wrong_codes_count_like_wrong_passwords_and_lock_the_account() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let (secret, _) = enable(&h, tokens.access_token.expose()).await;
    let mut ch = challenge(&h).await;
    for n in 1..=9 {
        let answer = second_factor(&h, &ch, "totp", "000000").await;
        answer.err(ErrorCode::TwoFactorCodeIncorrect);
        assert_eq!(failures(&h).await, n);
        if n == 5 {
            // Throttled like passwords from the fifth failure on (not counted).
            second_factor(&h, &ch, "totp", "000000")
                .await
                .err(ErrorCode::Throttled);
            // Entering the password again does not reset the count.
            h.advance(17);
            ch = challenge(&h).await;
            assert_eq!(failures(&h).await, 5);
        }
        // Past each throttle delay (at most 16 s here), within the challenge's 5 minutes.
        if n >= 5 {
            h.advance(17);
        }
    }
    second_factor(&h, &ch, "totp", "000000")
        .await
        .err(ErrorCode::Locked);
    assert!(h.last_mail(EMAIL, MailKind::UnlockCode).await.is_some());
    let right = totp_code(&secret, h.clock.now());
    second_factor(&h, &ch, "totp", &right)
        .await
        .err(ErrorCode::TwoFactorChallengeExpired);
    h.sign_in_answer(EMAIL, PASSWORD)
        .await
        .err(ErrorCode::Locked);
    let all = kinds(&h, &tokens.user.sub).await;
    assert_eq!(
        all.iter().filter(|k| *k == "second_factor_failed").count(),
        10
    );
    assert!(all.contains(&"account_locked".to_owned()));
    // The lock ends after 15 minutes; a right code then clears the failures.
    h.advance(15 * 60);
    let ch = challenge(&h).await;
    second_factor(&h, &ch, "totp", &totp_code(&secret, h.clock.now()))
        .await
        .ok(200);
    assert_eq!(failures(&h).await, 0);
}

#[tokio::test]
async fn a_challenge_is_short_lived_and_bound_to_its_client() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let (secret, _) = enable(&h, tokens.access_token.expose()).await;
    h.advance(30);
    let ch = challenge(&h).await;
    let code = totp_code(&secret, h.clock.now());
    second_factor(&h, &ch, "sms", &code)
        .await
        .err_field(ErrorCode::FieldInvalid, "method");
    second_factor(&h, "xwms_2fa_unknown", "totp", &code)
        .await
        .err(ErrorCode::TwoFactorChallengeExpired);
    // From another address or app: not this sign-in.
    h.call(
        axum::http::Method::POST,
        paths::SIGN_IN_SECOND_FACTOR,
        Some(json!({"challenge": ch, "method": "totp", "code": code})),
    )
    .peer("192.0.2.99")
    .send()
    .await
    .err(ErrorCode::TwoFactorChallengeExpired);
    h.call(
        axum::http::Method::POST,
        paths::SIGN_IN_SECOND_FACTOR,
        Some(json!({"challenge": ch, "method": "totp", "code": code})),
    )
    .header("user-agent", "other-app/1")
    .send()
    .await
    .err(ErrorCode::TwoFactorChallengeExpired);
    // Five minutes later it is gone.
    h.advance(300);
    let code = totp_code(&secret, h.clock.now());
    second_factor(&h, &ch, "totp", &code)
        .await
        .err(ErrorCode::TwoFactorChallengeExpired);
    let ch = challenge(&h).await;
    h.advance(299);
    let code = totp_code(&secret, h.clock.now());
    second_factor(&h, &ch, "totp", &code).await.ok(200);
}

#[tokio::test]
async fn disabling_needs_the_password_and_a_code_and_mails_a_notice() {
    let h = harness();
    let tokens = h.signed_in(EMAIL).await;
    let token = tokens.access_token.expose().to_owned();
    let disable = |password: &str, code: &str| {
        h.post_auth(
            paths::TWO_FACTOR_DISABLE,
            &token,
            json!({"password": password, "code": code}),
        )
    };
    disable(PASSWORD, "123456")
        .await
        .err(ErrorCode::TwoFactorNotEnabled);
    h.post_auth(paths::RECOVERY_CODES, &token, json!({"password": PASSWORD}))
        .await
        .err(ErrorCode::TwoFactorNotEnabled);
    let (secret, codes) = enable(&h, &token).await;
    disable(OTHER_PASSWORD, &codes[0])
        .await
        .err_field(ErrorCode::PasswordIncorrect, "password");
    disable(PASSWORD, "000000")
        .await
        .err_field(ErrorCode::TwoFactorCodeIncorrect, "code");
    disable(PASSWORD, &totp_code(&secret, h.clock.now()))
        .await
        .err(ErrorCode::TwoFactorCodeUsed);
    h.advance(30);
    disable(PASSWORD, &totp_code(&secret, h.clock.now()))
        .await
        .ok(200);
    let mail = h
        .last_mail(EMAIL, MailKind::TwoFactorDisabled)
        .await
        .unwrap();
    assert!(mail.text.contains("2026-05-06"), "{}", mail.text);
    assert!(kinds(&h, &tokens.user.sub)
        .await
        .contains(&"two_factor_disabled".to_owned()));
    // Sign-in needs only the password again; a recovery code also turns it off.
    let answer = h.sign_in_answer(EMAIL, PASSWORD).await;
    assert_eq!(answer.data()["result"], "signed_in");
    let (_, codes) = enable(&h, &token).await;
    disable(PASSWORD, &codes[5]).await.ok(200);
    let overview: Value = h.get_auth(paths::SECURITY, &token).await.body;
    assert_eq!(overview["data"]["two_factor"]["enabled"], false);
    assert_eq!(overview["data"]["two_factor"]["recovery_codes_left"], 0);
}
