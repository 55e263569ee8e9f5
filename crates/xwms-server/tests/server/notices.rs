//! Notices and security events for credential changes (R1, R11): a replayed TOTP code is
//! recorded; turning 2FA on, new recovery codes, a recovery code used to sign in, an API client
//! created and an API secret replaced each mail exactly one notice in the person's language and
//! record an event; names that could become links never reach a mail.

use serde_json::{json, Value};
use xwms_api::security::paths;
use xwms_api::ErrorCode;
use xwms_server::accounts::events;
use xwms_server::mail::{MailKind, OutgoingMail};
use xwms_server::Clock;

use crate::support::{device, harness, totp_code, Harness, PASSWORD};

/// Signs up, verifies and signs in a person with `name` and `language`; returns the access
/// token and the account id.
async fn person(h: &Harness, email: &str, name: &str, language: &str) -> (String, String) {
    let challenge = crate::support::challenge(
        h.post(
            "/api/auth/signup",
            json!({"name": name, "email": email, "password": PASSWORD, "language": language}),
        )
        .await
        .ok(202),
    );
    let code = h.code(email, MailKind::VerifyEmail).await;
    h.post(
        "/api/auth/verify-email",
        json!({"email": email, "code": code, "challenge_id": challenge}),
    )
    .await
    .ok(200);
    h.advance(60);
    let answer = h
        .post(
            "/api/auth/signin",
            json!({"email": email, "password": PASSWORD, "device": device("install-1")}),
        )
        .await;
    answer.ok(200);
    (
        answer.data()["access_token"].as_str().unwrap().to_owned(),
        answer.data()["user"]["sub"].as_str().unwrap().to_owned(),
    )
}

/// Turns 2FA on; returns the secret and the recovery codes.
async fn enable(h: &Harness, token: &str) -> (String, Vec<String>) {
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

async fn challenge(h: &Harness, email: &str) -> String {
    let answer = h
        .post(
            "/api/auth/signin",
            json!({"email": email, "password": PASSWORD, "device": device("install-2")}),
        )
        .await;
    answer.ok(200);
    assert_eq!(answer.data()["result"], "second_factor", "{}", answer.body);
    answer.data()["challenge"].as_str().unwrap().to_owned()
}

async fn events_of(h: &Harness, user_id: &str, kind: &str) -> Vec<events::SecurityEvent> {
    let (id, kind) = (user_id.to_owned(), kind.to_owned());
    h.query(move |c| events::list(c, &id))
        .await
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

/// The mail of `kind` to `email`, after delivering the queue.
async fn mails(h: &Harness, email: &str, kind: MailKind) -> Vec<OutgoingMail> {
    h.deliver().await;
    h.mailbox
        .to(email)
        .into_iter()
        .filter(|m| m.is(kind))
        .collect()
}

#[tokio::test]
async fn a_replayed_totp_code_is_refused_and_recorded() {
    let h = harness();
    let email = "replay@example.com";
    let (token, user) = person(&h, email, "Rita Replay", "en").await;
    let (secret, _) = enable(&h, &token).await;
    assert!(events_of(&h, &user, "two_factor_code_replayed")
        .await
        .is_empty());

    // The step the enabling code used, at sign-in.
    let challenge = challenge(&h, email).await;
    let used = totp_code(&secret, h.clock.now());
    let second = |code: String| {
        h.post(
            paths::SIGN_IN_SECOND_FACTOR,
            json!({"challenge": challenge, "method": "totp", "code": code}),
        )
    };
    second(used.clone())
        .await
        .err_field(ErrorCode::TwoFactorCodeUsed, "code");
    let replays = events_of(&h, &user, "two_factor_code_replayed").await;
    assert_eq!(replays.len(), 1);
    assert_eq!(replays[0].details["during"], "sign_in");
    assert_eq!(replays[0].details["method"], "totp");
    // Accepted once, then the same step and the one before are replays too.
    h.advance(30);
    let now = totp_code(&secret, h.clock.now());
    second(now.clone()).await.ok(200);
    let challenge2 = self::challenge(&h, email).await;
    for code in [now.clone(), used] {
        h.post(
            paths::SIGN_IN_SECOND_FACTOR,
            json!({"challenge": challenge2, "method": "totp", "code": code}),
        )
        .await
        .err_field(ErrorCode::TwoFactorCodeUsed, "code");
    }
    assert_eq!(
        events_of(&h, &user, "two_factor_code_replayed").await.len(),
        3
    );
    // Turning 2FA off with a used code: refused and recorded as well.
    h.post_auth(
        paths::TWO_FACTOR_DISABLE,
        &token,
        json!({"password": PASSWORD, "code": now}),
    )
    .await
    .err_field(ErrorCode::TwoFactorCodeUsed, "code");
    let replays = events_of(&h, &user, "two_factor_code_replayed").await;
    assert_eq!(replays.len(), 4);
    assert_eq!(replays[3].details["during"], "disable");
    // The person sees it in the timeline.
    let timeline = h.get_auth(paths::SECURITY_EVENTS, &token).await;
    timeline.ok(200);
    let kinds: Vec<&Value> = timeline.data()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["kind"])
        .collect();
    assert!(
        kinds.contains(&&json!("two_factor_code_replayed")),
        "{kinds:?}"
    );
}

/// What each language's notice must say (a phrase of its subject).
fn subject_phrase(kind: MailKind, language: &str) -> &'static str {
    match (kind, language) {
        (MailKind::TwoFactorEnabled, "en") => "was turned on",
        (MailKind::TwoFactorEnabled, "nl") => "is aangezet",
        (MailKind::TwoFactorEnabled, "fr") => "a été activée",
        (MailKind::RecoveryCodesRegenerated, "en") => "New recovery codes",
        (MailKind::RecoveryCodesRegenerated, "nl") => "nieuwe herstelcodes",
        (MailKind::RecoveryCodesRegenerated, "fr") => "nouveaux codes de récupération",
        (MailKind::RecoveryCodeUsed, "en") => "A recovery code was used",
        (MailKind::RecoveryCodeUsed, "nl") => "met een herstelcode",
        (MailKind::RecoveryCodeUsed, "fr") => "Un code de récupération",
        (MailKind::ApiClientCreated, "en") => "A new API client",
        (MailKind::ApiClientCreated, "nl") => "nieuwe API-client",
        (MailKind::ApiClientCreated, "fr") => "nouveau client API",
        (MailKind::ApiClientSecretRegenerated, "en") => "was replaced",
        (MailKind::ApiClientSecretRegenerated, "nl") => "is vervangen",
        (MailKind::ApiClientSecretRegenerated, "fr") => "a été remplacé",
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn each_credential_change_mails_one_notice_in_the_persons_language() {
    for language in ["en", "nl", "fr"] {
        let h = harness();
        let email = format!("notice-{language}@example.com");
        let (token, user) = person(&h, &email, "Noor de Vries", language).await;
        let check = |kind: MailKind, mails: Vec<OutgoingMail>| {
            assert_eq!(mails.len(), 1, "{language} {kind:?}: exactly one notice");
            let mail = &mails[0];
            assert_eq!(mail.language, language);
            assert!(
                mail.subject.contains(subject_phrase(kind, language)),
                "{language} {kind:?}: {}",
                mail.subject
            );
            let greeting = match language {
                "en" => "Hello Noor de Vries,",
                "nl" => "Hallo Noor de Vries,",
                _ => "Bonjour Noor de Vries,",
            };
            assert!(mail.text.starts_with(greeting), "{}", mail.text);
            assert!(mail.text.contains("2026-05-06"), "{}", mail.text);
            mail.clone()
        };

        // 2FA on: one notice (not also one for its first recovery codes).
        let (secret, codes) = enable(&h, &token).await;
        check(
            MailKind::TwoFactorEnabled,
            mails(&h, &email, MailKind::TwoFactorEnabled).await,
        );
        assert!(mails(&h, &email, MailKind::RecoveryCodesRegenerated)
            .await
            .is_empty());
        assert_eq!(events_of(&h, &user, "two_factor_enabled").await.len(), 1);

        // New recovery codes.
        h.advance(30);
        let fresh = h
            .post_auth(paths::RECOVERY_CODES, &token, json!({"password": PASSWORD}))
            .await;
        fresh.ok(200);
        check(
            MailKind::RecoveryCodesRegenerated,
            mails(&h, &email, MailKind::RecoveryCodesRegenerated).await,
        );
        assert_eq!(
            events_of(&h, &user, "recovery_codes_regenerated")
                .await
                .len(),
            1
        );
        // The old set is void: its code does not sign in and sends nothing.
        let challenge = challenge(&h, &email).await;
        h.post(
            paths::SIGN_IN_SECOND_FACTOR,
            json!({"challenge": challenge, "method": "recovery_code", "code": codes[0]}),
        )
        .await
        .err_field(ErrorCode::TwoFactorCodeIncorrect, "code");
        assert!(mails(&h, &email, MailKind::RecoveryCodeUsed)
            .await
            .is_empty());

        // A recovery code used to sign in: one notice that says how many are left.
        let new_code = fresh.data()["codes"][0].as_str().unwrap().to_owned();
        h.post(
            paths::SIGN_IN_SECOND_FACTOR,
            json!({"challenge": challenge, "method": "recovery_code", "code": new_code}),
        )
        .await
        .ok(200);
        let used = check(
            MailKind::RecoveryCodeUsed,
            mails(&h, &email, MailKind::RecoveryCodeUsed).await,
        );
        let left = match language {
            "en" => "you have 9 recovery codes left",
            "nl" => "u heeft nog 9 herstelcodes",
            _ => "il vous reste 9 codes de récupération",
        };
        assert!(used.text.contains(left), "{}", used.text);
        assert!(
            used.text.contains("anna-laptop"),
            "the device: {}",
            used.text
        );
        assert_eq!(events_of(&h, &user, "recovery_code_used").await.len(), 1);
        // A TOTP sign-in sends no such notice.
        h.advance(30);
        let challenge = self::challenge(&h, &email).await;
        h.post(
            paths::SIGN_IN_SECOND_FACTOR,
            json!({"challenge": challenge, "method": "totp", "code": totp_code(&secret, h.clock.now())}),
        )
        .await
        .ok(200);
        assert_eq!(mails(&h, &email, MailKind::RecoveryCodeUsed).await.len(), 1);

        // An API client created, then its secret replaced.
        let created = h
            .post_auth(paths::API_CLIENTS, &token, json!({"name": "deploy bot"}))
            .await;
        created.ok(201);
        let client = created.data()["client"].clone();
        let client_id = client["client_id"].as_str().unwrap();
        let mail = check(
            MailKind::ApiClientCreated,
            mails(&h, &email, MailKind::ApiClientCreated).await,
        );
        assert!(
            mail.text.contains("deploy bot") && mail.text.contains(client_id),
            "{}",
            mail.text
        );
        assert!(
            !mail
                .text
                .contains(created.data()["client_secret"].as_str().unwrap()),
            "never the secret"
        );
        let path = paths::with_id(paths::API_CLIENT_SECRET, client["id"].as_str().unwrap());
        let rotated = h.post_auth(&path, &token, json!({})).await;
        rotated.ok(200);
        let mail = check(
            MailKind::ApiClientSecretRegenerated,
            mails(&h, &email, MailKind::ApiClientSecretRegenerated).await,
        );
        assert!(mail.text.contains(client_id), "{}", mail.text);
        assert!(!mail
            .text
            .contains(rotated.data()["client_secret"].as_str().unwrap()));
        assert_eq!(events_of(&h, &user, "api_client_created").await.len(), 1);
        assert_eq!(
            events_of(&h, &user, "api_client_secret_regenerated")
                .await
                .len(),
            1
        );
        // Renaming or disabling sends none of these.
        let one = paths::with_id(paths::API_CLIENT, client["id"].as_str().unwrap());
        h.patch_auth(&one, &token, json!({"enabled": false}))
            .await
            .ok(200);
        assert_eq!(mails(&h, &email, MailKind::ApiClientCreated).await.len(), 1);
        assert_eq!(
            mails(&h, &email, MailKind::ApiClientSecretRegenerated)
                .await
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn names_that_look_like_links_never_reach_a_mail() {
    for name in ["www.evil.example", "http://x.y", "Claim at evil.example"] {
        let h = harness();
        let email = "links@example.com";
        let (token, _) = person(&h, email, name, "en").await;
        enable(&h, &token).await;
        let created = h
            .post_auth(paths::API_CLIENTS, &token, json!({"name": name}))
            .await;
        created.ok(201);
        let client_id = created.data()["client"]["client_id"]
            .as_str()
            .unwrap()
            .to_owned();
        h.deliver().await;
        let all = h.mailbox.to(email);
        assert!(all.len() >= 3, "verify, 2FA on, API client: {all:?}");
        for mail in &all {
            for part in [&mail.subject, &mail.text, &mail.html] {
                assert!(
                    !part.contains("evil") && !part.contains("x.y"),
                    "{name} reached {}: {part}",
                    mail.kind
                );
            }
            assert!(mail.text.starts_with("Hello,\n"), "{}", mail.text);
        }
        let api = mails(&h, email, MailKind::ApiClientCreated).await;
        assert!(api[0].text.contains(&client_id), "{}", api[0].text);
    }
    // A plain name is kept, and escaped in the HTML part.
    let h = harness();
    let (token, _) = person(&h, "plain@example.com", "Jan <b>& Co</b>", "nl").await;
    enable(&h, &token).await;
    let mail = mails(&h, "plain@example.com", MailKind::TwoFactorEnabled).await;
    assert!(mail[0].text.starts_with("Hallo Jan <b>& Co</b>,"));
    assert!(
        mail[0]
            .html
            .contains("Hallo Jan &lt;b&gt;&amp; Co&lt;/b&gt;,"),
        "{}",
        mail[0].html
    );
    assert!(!mail[0].html.contains("<b>"));
}
