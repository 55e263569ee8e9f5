//! Every error code the OpenAPI document promises for an endpoint is produced by that endpoint
//! here: the document and the server cannot drift apart.

use std::collections::BTreeSet;
use std::sync::Mutex;

use axum::http::Method;
use serde_json::{json, Value};
use xwms_api::auth::paths;
use xwms_api::ErrorCode;
use xwms_server::mail::MailKind;

use crate::support::{
    challenge, device, harness, harness_with, Answer, Harness, OTHER_PASSWORD, PASSWORD,
};

pub type Seen = BTreeSet<(String, String)>;

/// The security center's paths (their codes are produced in security_codes.rs).
pub fn is_security_center(path: &str) -> bool {
    use xwms_api::security::paths as sp;
    [
        sp::SIGN_IN_SECOND_FACTOR,
        sp::SECURITY,
        sp::SECURITY_EVENTS,
        sp::SECURITY_EVENT_CONFIRM,
        sp::SECURITY_EVENT_DENY,
        sp::TWO_FACTOR_SETUP,
        sp::TWO_FACTOR_ENABLE,
        sp::TWO_FACTOR_DISABLE,
        sp::RECOVERY_CODES,
        sp::SESSIONS,
        sp::SESSION,
        sp::REVOKE_OTHER_SESSIONS,
        sp::API_CLIENTS,
        sp::API_CLIENT,
        sp::API_CLIENT_SECRET,
        sp::CLIENT_IDENTITY,
        sp::REALTIME,
    ]
    .contains(&path)
}

/// (operation, code) pairs the document lists in its response descriptions, for the paths
/// `include` selects.
pub fn documented_for(include: impl Fn(&str) -> bool) -> Seen {
    let document: Value = serde_json::from_str(&xwms_server::openapi_json()).unwrap();
    let mut out = Seen::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        if !include(path) {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let operation = format!("{} {path}", method.to_uppercase());
            // 413, 500 and 503 are the answers every operation can give (the body limit, a
            // failure, a busy store); limits.rs and the store tests produce them. A route's own
            // 503 (`server.busy` before a hash) is still counted.
            for (status, response) in op["responses"]
                .as_object()
                .into_iter()
                .flat_map(|r| r.iter())
            {
                let common = ["413", "500", "503"].contains(&status.as_str());
                let text = response["description"].as_str().unwrap_or_default();
                for (i, token) in text.split('`').enumerate() {
                    if i % 2 == 0 {
                        continue;
                    }
                    for code in ErrorCode::ALL {
                        let matches = match token.strip_suffix(".*") {
                            Some(prefix) => code.as_str().starts_with(&format!("{prefix}.")),
                            None => code.as_str() == token,
                        };
                        let everywhere = matches!(
                            code,
                            ErrorCode::PayloadTooLarge
                                | ErrorCode::Internal
                                | ErrorCode::Unavailable
                        );
                        if matches && !(common && everywhere) {
                            out.insert((operation.clone(), code.as_str().to_owned()));
                        }
                    }
                }
            }
        }
    }
    out
}

/// The account and sign-in routes before the security center (the server routes are tested in
/// routes.rs).
fn documented() -> Seen {
    documented_for(|path| {
        (path.starts_with("/api/auth") || path.starts_with("/api/account"))
            && !is_security_center(path)
    })
}

pub struct Cov<'a> {
    pub h: &'a Harness,
    pub seen: Mutex<Seen>,
}

impl Cov<'_> {
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut call = self.h.call(method.clone(), path, body);
        if let Some(token) = token {
            call = call.token(token);
        }
        self.record(&method, path, call.send().await)
    }

    /// Sends to `path` and records the answer under the documented `template` (`.../{id}`).
    pub async fn send_to(
        &self,
        method: Method,
        template: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut call = self.h.call(method.clone(), path, body);
        if let Some(token) = token {
            call = call.token(token);
        }
        self.record(&method, template, call.send().await)
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        bytes: &str,
    ) -> Answer {
        let mut call = self.h.call(method.clone(), path, None).raw(bytes);
        if let Some(token) = token {
            call = call.token(token);
        }
        self.record(&method, path, call.send().await)
    }

    pub fn record(&self, method: &Method, path: &str, answer: Answer) -> Answer {
        if let Some(code) = answer.code() {
            assert_ne!(answer.status, 500, "{method} {path}: {}", answer.body);
            self.seen
                .lock()
                .unwrap()
                .insert((format!("{method} {path}"), code.to_owned()));
        }
        answer
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, None, Some(body)).await
    }

    pub async fn post_auth(&self, path: &str, token: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch_auth(&self, path: &str, token: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(token), Some(body))
            .await
    }
}

const PASSWORD_CASES: [(&str, ErrorCode); 6] = [
    ("Ab1defg", ErrorCode::PasswordTooShort),
    ("ab1defgh", ErrorCode::PasswordMissingUpper),
    ("AB1DEFGH", ErrorCode::PasswordMissingLower),
    ("Abcdefgh", ErrorCode::PasswordMissingDigit),
    ("Password1", ErrorCode::PasswordTooCommon),
    ("", ErrorCode::PasswordTooShort),
];

fn too_long_password() -> String {
    format!("Aa1{}", "x".repeat(300))
}

type Try<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Answer> + 'a>>;

/// Tries a code wrong (5 s apart) until it is dead, recording every answer.
async fn exhaust<'a>(h: &Harness, wrong_try: impl Fn() -> Try<'a>) {
    for _ in 0..6 {
        h.advance(5);
        let answer = wrong_try().await;
        if answer.code() == Some(ErrorCode::CodeTooManyAttempts.as_str()) {
            return;
        }
        answer.err(ErrorCode::CodeIncorrect);
    }
    panic!("the code did not die after five wrong tries");
}

#[tokio::test]
async fn every_documented_error_code_of_every_endpoint_is_produced() {
    let h = harness();
    let cov = Cov {
        h: &h,
        seen: Mutex::new(Seen::new()),
    };
    let wrong = "000000x";

    // People.
    let anna = h.signed_in("anna@example.com").await;
    let bram = h.signed_in("bram@example.com").await;
    h.patch_auth(
        paths::PROFILE,
        bram.access_token.expose(),
        json!({"username": "bram"}),
    )
    .await
    .ok(200);
    let revoked = h.sign_in("anna@example.com", PASSWORD).await;
    h.post_auth(paths::SIGN_OUT, revoked.access_token.expose(), json!({}))
        .await
        .ok(200);
    let expiring = h.sign_in("anna@example.com", PASSWORD).await;

    // --- sign-up
    let signup = |name: &str, email: &str, password: &str| json!({"name": name, "email": email, "password": password});
    cov.post(paths::SIGN_UP, signup("", "n@example.com", PASSWORD))
        .await
        .err(ErrorCode::FieldRequired);
    cov.post(
        paths::SIGN_UP,
        signup(&"n".repeat(101), "n@example.com", PASSWORD),
    )
    .await
    .err(ErrorCode::FieldTooLong);
    cov.post(paths::SIGN_UP, signup("N\u{1}", "n@example.com", PASSWORD))
        .await
        .err(ErrorCode::FieldInvalid);
    cov.post(paths::SIGN_UP, signup("N", "n@", PASSWORD))
        .await
        .err(ErrorCode::EmailInvalid);
    for (password, code) in PASSWORD_CASES {
        cov.post(paths::SIGN_UP, signup("N", "n@example.com", password))
            .await
            .err_field(code, "password");
    }
    cov.post(
        paths::SIGN_UP,
        signup("N", "n@example.com", &too_long_password()),
    )
    .await
    .err(ErrorCode::PasswordTooLong);
    cov.raw(Method::POST, paths::SIGN_UP, None, "{")
        .await
        .err(ErrorCode::InvalidRequest);

    // --- verify-email and its resend
    let mut pending = vec![];
    for email in ["p1@example.com", "p2@example.com", "p3@example.com"] {
        pending.push(challenge(
            h.sign_up("Pending", email, PASSWORD).await.ok(202),
        ));
    }
    let [p1, p2, p3] = <[String; 3]>::try_from(pending).unwrap();
    let verify = |email: &'static str, c: &str, code: &'static str| {
        cov.post(
            paths::VERIFY_EMAIL,
            json!({"email": email, "code": code, "challenge_id": c}),
        )
    };
    verify("nobody@example.com", "xwc_none", "123456")
        .await
        .err(ErrorCode::CodeNone);
    // A code without its challenge is no code at all (and counts nowhere).
    verify("p1@example.com", "xwc_none", wrong)
        .await
        .err(ErrorCode::CodeNone);
    verify("p1@example.com", &p1, wrong)
        .await
        .err(ErrorCode::CodeIncorrect);
    verify("p1@example.com", &p1, wrong)
        .await
        .err(ErrorCode::CodeTooSoon);
    exhaust(&h, || Box::pin(verify("p1@example.com", &p1, wrong))).await;
    verify("bad", &p1, "123456")
        .await
        .err(ErrorCode::EmailInvalid);
    cov.raw(
        Method::POST,
        paths::VERIFY_EMAIL,
        None,
        r#"{"email": "a@example.com"}"#,
    )
    .await
    .err(ErrorCode::InvalidRequest);
    // The challenge is required with the code.
    cov.raw(
        Method::POST,
        paths::VERIFY_EMAIL,
        None,
        r#"{"email": "a@example.com", "code": "123456"}"#,
    )
    .await
    .err(ErrorCode::InvalidRequest);
    let resend = |body: Value| cov.post(paths::RESEND_VERIFICATION, body);
    resend(json!({"email": "p2@example.com", "challenge_id": p2}))
        .await
        .err(ErrorCode::CodeResendTooSoon);
    resend(json!({"email": "bad"}))
        .await
        .err(ErrorCode::EmailInvalid);
    resend(json!({"email": "p2@example.com", "language": "xx"}))
        .await
        .err(ErrorCode::FieldInvalid);
    resend(json!({"email": 1}))
        .await
        .err(ErrorCode::InvalidRequest);

    // --- sign-in
    let signin = |email: &str, password: &str, device: Value| {
        cov.post(
            paths::SIGN_IN,
            json!({"email": email, "password": password, "device": device}),
        )
    };
    signin("bad", PASSWORD, device("i"))
        .await
        .err(ErrorCode::EmailInvalid);
    let mut long_device = device("i");
    long_device["name"] = json!("n".repeat(101));
    signin("anna@example.com", PASSWORD, long_device)
        .await
        .err(ErrorCode::FieldTooLong);
    let mut control_device = device("i");
    control_device["os"] = json!("linux\u{7}");
    signin("anna@example.com", PASSWORD, control_device)
        .await
        .err(ErrorCode::FieldInvalid);
    cov.raw(Method::POST, paths::SIGN_IN, None, "[]")
        .await
        .err(ErrorCode::InvalidRequest);
    signin("anna@example.com", OTHER_PASSWORD, device("i"))
        .await
        .err(ErrorCode::InvalidCredentials);
    signin("p2@example.com", PASSWORD, device("i"))
        .await
        .err(ErrorCode::EmailUnverified);
    h.verified_user("locked@example.com", PASSWORD).await;
    h.verified_user("slow@example.com", PASSWORD).await;
    for _ in 0..5 {
        signin("slow@example.com", OTHER_PASSWORD, device("i")).await;
    }
    signin("slow@example.com", PASSWORD, device("i"))
        .await
        .err(ErrorCode::Throttled);
    // The failure that locks carries the challenge of the unlock code it mailed.
    let mut lock_challenge = None;
    for _ in 0..10 {
        h.advance(61);
        let answer = signin("locked@example.com", OTHER_PASSWORD, device("i")).await;
        if let Some(c) = answer.data()["challenge_id"].as_str() {
            answer.err(ErrorCode::Locked);
            lock_challenge = Some(c.to_owned());
        }
    }
    let locked = lock_challenge.expect("the lock mailed an unlock code");
    signin("locked@example.com", PASSWORD, device("i"))
        .await
        .err(ErrorCode::Locked);

    // --- unlock and its resend (locked@ has a fresh unlock code)
    let unlock = |email: &'static str, c: &str, code: &'static str| {
        cov.post(
            paths::UNLOCK,
            json!({"email": email, "code": code, "challenge_id": c}),
        )
    };
    unlock("nobody@example.com", "xwc_none", "123456")
        .await
        .err(ErrorCode::CodeNone);
    unlock("locked@example.com", "xwc_none", wrong)
        .await
        .err(ErrorCode::CodeNone);
    unlock("bad", &locked, "123456")
        .await
        .err(ErrorCode::EmailInvalid);
    cov.raw(
        Method::POST,
        paths::UNLOCK,
        None,
        r#"{"email": "a@example.com", "code": 123456}"#,
    )
    .await
    .err(ErrorCode::InvalidRequest);
    cov.post(paths::RESEND_UNLOCK, json!({"email": "locked@example.com"}))
        .await
        .err(ErrorCode::CodeResendTooSoon);
    cov.post(paths::RESEND_UNLOCK, json!({"email": "bad"}))
        .await
        .err(ErrorCode::EmailInvalid);
    cov.post(
        paths::RESEND_UNLOCK,
        json!({"email": "locked@example.com", "language": "de"}),
    )
    .await
    .err(ErrorCode::FieldInvalid);
    cov.post(paths::RESEND_UNLOCK, json!({"mail": "x"}))
        .await
        .err(ErrorCode::InvalidRequest);
    unlock("locked@example.com", &locked, wrong)
        .await
        .err(ErrorCode::CodeIncorrect);
    unlock("locked@example.com", &locked, wrong)
        .await
        .err(ErrorCode::CodeTooSoon);
    exhaust(&h, || {
        Box::pin(unlock("locked@example.com", &locked, wrong))
    })
    .await;
    h.advance(46);
    let resent = cov
        .post(
            paths::RESEND_UNLOCK,
            json!({"email": "locked@example.com", "challenge_id": locked}),
        )
        .await;
    resent.ok(202);
    assert_eq!(challenge(&resent), locked, "a resend keeps the challenge");
    h.advance(300);
    let code = h.code("locked@example.com", MailKind::UnlockCode).await;
    cov.post(
        paths::UNLOCK,
        json!({"email": "locked@example.com", "code": code, "challenge_id": locked}),
    )
    .await
    .err(ErrorCode::CodeExpired);

    // --- forgot and reset
    let forgot = |body: Value| cov.post(paths::FORGOT_PASSWORD, body);
    let reset_challenge = challenge(forgot(json!({"email": "bram@example.com"})).await.ok(202));
    forgot(json!({"email": "bram@example.com"}))
        .await
        .err(ErrorCode::CodeResendTooSoon);
    forgot(json!({"email": "bad"}))
        .await
        .err(ErrorCode::EmailInvalid);
    forgot(json!({"email": "bram@example.com", "language": "es"}))
        .await
        .err(ErrorCode::FieldInvalid);
    forgot(json!({})).await.err(ErrorCode::InvalidRequest);
    let reset = |email: &'static str, c: &str, code: &'static str, password: &str| {
        cov.post(
            paths::RESET_PASSWORD,
            json!({"email": email, "code": code, "challenge_id": c, "new_password": password}),
        )
    };
    let rc = reset_challenge.as_str();
    for (password, code) in PASSWORD_CASES {
        reset("bram@example.com", rc, "123456", password)
            .await
            .err_field(code, "new_password");
    }
    reset("bram@example.com", rc, "123456", &too_long_password())
        .await
        .err(ErrorCode::PasswordTooLong);
    reset("nobody@example.com", "xwc_none", "123456", PASSWORD)
        .await
        .err(ErrorCode::CodeNone);
    reset("bram@example.com", "xwc_none", wrong, PASSWORD)
        .await
        .err(ErrorCode::CodeNone);
    reset("bad", rc, "123456", PASSWORD)
        .await
        .err(ErrorCode::EmailInvalid);
    cov.raw(Method::POST, paths::RESET_PASSWORD, None, "null")
        .await
        .err(ErrorCode::InvalidRequest);
    reset("bram@example.com", rc, wrong, PASSWORD)
        .await
        .err(ErrorCode::CodeIncorrect);
    reset("bram@example.com", rc, wrong, PASSWORD)
        .await
        .err(ErrorCode::CodeTooSoon);
    exhaust(&h, || {
        Box::pin(reset("bram@example.com", rc, wrong, PASSWORD))
    })
    .await;
    h.advance(46);
    let rc = challenge(forgot(json!({"email": "bram@example.com"})).await.ok(202));
    let code = h.code("bram@example.com", MailKind::ResetCode).await;
    h.advance(600);
    cov.post(
        paths::RESET_PASSWORD,
        json!({"email": "bram@example.com", "code": code, "challenge_id": rc, "new_password": PASSWORD}),
    )
    .await
    .err(ErrorCode::CodeExpired);

    // --- verify-email: an expired code
    h.advance(46);
    resend(json!({"email": "p3@example.com", "challenge_id": p3}))
        .await
        .ok(202);
    let code = h.code("p3@example.com", MailKind::VerifyEmail).await;
    h.advance(300);
    cov.post(
        paths::VERIFY_EMAIL,
        json!({"email": "p3@example.com", "code": code, "challenge_id": p3}),
    )
    .await
    .err(ErrorCode::CodeExpired);

    // --- recovery
    let recovery = |email: &str, name: &str, lost: Value, details: &str| {
        cov.post(
            paths::RECOVERY_REQUEST,
            json!({"email": email, "name": name, "contact_email": "c@example.com", "lost": lost, "details": details}),
        )
    };
    recovery("bad", "N", json!(["password"]), "")
        .await
        .err(ErrorCode::EmailInvalid);
    recovery("a@example.com", "", json!(["password"]), "")
        .await
        .err(ErrorCode::FieldRequired);
    recovery("a@example.com", "N", json!(["password"]), &"d".repeat(4001))
        .await
        .err(ErrorCode::FieldTooLong);
    recovery("a@example.com", "N", json!(["memory"]), "")
        .await
        .err(ErrorCode::FieldInvalid);
    cov.raw(
        Method::POST,
        paths::RECOVERY_REQUEST,
        None,
        r#"{"email": "a@example.com"}"#,
    )
    .await
    .err(ErrorCode::InvalidRequest);
    for _ in 0..5 {
        recovery("a@example.com", "N", json!(["password"]), "")
            .await
            .ok(202);
    }
    recovery("a@example.com", "N", json!(["password"]), "")
        .await
        .err(ErrorCode::RateLimited);

    // --- the account routes, with a fresh session (more than 15 minutes have passed)
    let anna_now = h.sign_in("anna@example.com", PASSWORD).await;
    let token = anna_now.access_token.expose();
    let patch = |body: Value| cov.patch_auth(paths::PROFILE, token, body);
    patch(json!({"name": ""}))
        .await
        .err(ErrorCode::FieldRequired);
    patch(json!({"name": "n".repeat(101)}))
        .await
        .err(ErrorCode::FieldTooLong);
    patch(json!({"region": "ZZ"}))
        .await
        .err(ErrorCode::FieldInvalid);
    patch(json!({"timezone": "Moon/Base"}))
        .await
        .err(ErrorCode::TimezoneInvalid);
    patch(json!({"username": "bram"}))
        .await
        .err(ErrorCode::UsernameTaken);
    patch(json!({"username": "admin"}))
        .await
        .err(ErrorCode::UsernameReserved);
    patch(json!({"nickname": "x"}))
        .await
        .err(ErrorCode::InvalidRequest);

    async fn change_email(cov: &Cov<'_>, token: &str, new: &str, password: &str) -> Answer {
        cov.post_auth(
            paths::CHANGE_EMAIL,
            token,
            json!({"new_email": new, "password": password}),
        )
        .await
    }
    change_email(&cov, token, "bad", PASSWORD)
        .await
        .err(ErrorCode::EmailInvalid);
    change_email(&cov, token, "anna@example.com", PASSWORD)
        .await
        .err(ErrorCode::FieldInvalid);
    cov.raw(
        Method::POST,
        paths::CHANGE_EMAIL,
        Some(token),
        r#"{"new_email": "x@example.com"}"#,
    )
    .await
    .err(ErrorCode::InvalidRequest);
    change_email(&cov, token, "new@example.com", OTHER_PASSWORD)
        .await
        .err(ErrorCode::PasswordIncorrect);
    let ec = challenge(
        change_email(&cov, token, "new@example.com", PASSWORD)
            .await
            .ok(202),
    );
    change_email(&cov, token, "new2@example.com", PASSWORD)
        .await
        .err(ErrorCode::CodeResendTooSoon);

    let confirm = |code: &'static str| {
        cov.post_auth(
            paths::CONFIRM_EMAIL,
            token,
            json!({"code": code, "challenge_id": ec}),
        )
    };
    let bram_token = h
        .sign_in("bram@example.com", PASSWORD)
        .await
        .access_token
        .expose()
        .to_owned();
    cov.post_auth(
        paths::CONFIRM_EMAIL,
        &bram_token,
        json!({"code": "123456", "challenge_id": ec}),
    )
    .await
    .err(ErrorCode::CodeNone);
    cov.raw(
        Method::POST,
        paths::CONFIRM_EMAIL,
        Some(token),
        r#"{"code": null}"#,
    )
    .await
    .err(ErrorCode::InvalidRequest);
    confirm(wrong).await.err(ErrorCode::CodeIncorrect);
    confirm(wrong).await.err(ErrorCode::CodeTooSoon);
    exhaust(&h, || Box::pin(confirm(wrong))).await;

    async fn change_password(cov: &Cov<'_>, token: &str, current: &str, new: &str) -> Answer {
        cov.post_auth(
            paths::CHANGE_PASSWORD,
            token,
            json!({"current_password": current, "new_password": new}),
        )
        .await
    }
    for (password, code) in PASSWORD_CASES {
        change_password(&cov, token, PASSWORD, password)
            .await
            .err_field(code, "new_password");
    }
    change_password(&cov, token, PASSWORD, &too_long_password())
        .await
        .err(ErrorCode::PasswordTooLong);
    cov.raw(
        Method::POST,
        paths::CHANGE_PASSWORD,
        Some(token),
        r#"{"current_password": true}"#,
    )
    .await
    .err(ErrorCode::InvalidRequest);
    change_password(&cov, token, OTHER_PASSWORD, "Brand-New-Pass-1")
        .await
        .err(ErrorCode::PasswordIncorrect);
    // Re-authentication: right, wrong, malformed.
    cov.post_auth(paths::REAUTHENTICATE, token, json!({"password": PASSWORD}))
        .await
        .ok(200);
    cov.post_auth(
        paths::REAUTHENTICATE,
        token,
        json!({"password": OTHER_PASSWORD}),
    )
    .await
    .err_field(ErrorCode::PasswordIncorrect, "password");
    cov.raw(
        Method::POST,
        paths::REAUTHENTICATE,
        Some(token),
        r#"{"password": true}"#,
    )
    .await
    .err(ErrorCode::InvalidRequest);

    // Throttled and locked re-authentication (bram: 5 wrong passwords, then 10).
    for _ in 0..5 {
        change_password(&cov, &bram_token, OTHER_PASSWORD, "Brand-New-Pass-1").await;
    }
    change_password(&cov, &bram_token, PASSWORD, "Brand-New-Pass-1")
        .await
        .err(ErrorCode::Throttled);
    change_email(&cov, &bram_token, "b2@example.com", PASSWORD)
        .await
        .err(ErrorCode::Throttled);
    cov.post_auth(
        paths::REAUTHENTICATE,
        &bram_token,
        json!({"password": PASSWORD}),
    )
    .await
    .err(ErrorCode::Throttled);
    for _ in 0..5 {
        h.advance(61);
        change_email(&cov, &bram_token, "b2@example.com", OTHER_PASSWORD).await;
    }
    change_password(&cov, &bram_token, PASSWORD, "Brand-New-Pass-1")
        .await
        .err(ErrorCode::Locked);
    change_email(&cov, &bram_token, "b2@example.com", PASSWORD)
        .await
        .err(ErrorCode::Locked);
    cov.post_auth(
        paths::REAUTHENTICATE,
        &bram_token,
        json!({"password": PASSWORD}),
    )
    .await
    .err(ErrorCode::Locked);

    // The email-change code expires after 10 minutes (a new request after the resend wait).
    h.advance(46);
    let anna_now = h.sign_in("anna@example.com", PASSWORD).await;
    let token = anna_now.access_token.expose();
    let ec = challenge(
        cov.post_auth(
            paths::CHANGE_EMAIL,
            token,
            json!({"new_email": "new3@example.com", "password": PASSWORD}),
        )
        .await
        .ok(202),
    );
    let code = h.code("new3@example.com", MailKind::EmailChangeCode).await;
    h.advance(600);
    let token = h
        .sign_in("anna@example.com", PASSWORD)
        .await
        .access_token
        .expose()
        .to_owned();
    cov.post_auth(
        paths::CONFIRM_EMAIL,
        &token,
        json!({"code": code, "challenge_id": ec}),
    )
    .await
    .err(ErrorCode::CodeExpired);

    // --- the routes that hash: limits per client address before the hash
    // (`request.rate_limited`), and a full hash queue (`server.busy`, in a second harness whose
    // queue has no room at all).
    let (busy_seen, limits_token) = hashing_limits(&cov).await;
    cov.seen.lock().unwrap().extend(busy_seen);
    drop(limits_token);

    // --- tokens: missing, unknown, expired, revoked on every authenticated route, and refresh
    let authenticated: [(Method, &str, Option<Value>); 7] = [
        (Method::GET, paths::ACCOUNT, None),
        (Method::PATCH, paths::PROFILE, Some(json!({}))),
        (
            Method::POST,
            paths::CHANGE_EMAIL,
            Some(json!({"new_email": "z@example.com", "password": PASSWORD})),
        ),
        (
            Method::POST,
            paths::CONFIRM_EMAIL,
            Some(json!({"code": "123456", "challenge_id": "xwc_x"})),
        ),
        (
            Method::POST,
            paths::CHANGE_PASSWORD,
            Some(json!({"current_password": PASSWORD, "new_password": "Zz-123456"})),
        ),
        (Method::POST, paths::SIGN_OUT, None),
        (
            Method::POST,
            paths::REAUTHENTICATE,
            Some(json!({"password": PASSWORD})),
        ),
    ];
    // A suspended account: its right password and its tokens say so (agent_actions.rs tests
    // how suspension comes and goes).
    let suspended = h.signed_in("suspended@example.com").await;
    h.query(|c| {
        c.execute(
            "UPDATE users SET suspended_at = 1, suspension_reason = 'spam' WHERE email_key = 'suspended@example.com'",
            [],
        )
    })
    .await;
    cov.post(
        paths::SIGN_IN,
        json!({"email": "suspended@example.com", "password": PASSWORD, "device": crate::support::device("s")}),
    )
    .await
    .err(ErrorCode::Suspended);
    for (method, path, body) in authenticated {
        cov.send(method.clone(), path, None, body.clone())
            .await
            .err(ErrorCode::Unauthorized);
        cov.send(
            method.clone(),
            path,
            Some(suspended.access_token.expose()),
            body.clone(),
        )
        .await
        .err(ErrorCode::Suspended);
        cov.send(
            method.clone(),
            path,
            Some(expiring.access_token.expose()),
            body.clone(),
        )
        .await
        .err(ErrorCode::SessionExpired);
        cov.send(
            method.clone(),
            path,
            Some(revoked.access_token.expose()),
            body.clone(),
        )
        .await
        .err(ErrorCode::SessionRevoked);
    }
    let refresh = |token: &str| cov.post(paths::REFRESH, json!({"refresh_token": token}));
    refresh("xwms_rt_unknown")
        .await
        .err(ErrorCode::Unauthorized);
    refresh(revoked.refresh_token.expose())
        .await
        .err(ErrorCode::SessionRevoked);
    cov.raw(Method::POST, paths::REFRESH, None, "{}")
        .await
        .err(ErrorCode::InvalidRequest);
    h.advance(7 * 24 * 3600);
    refresh(anna.refresh_token.expose())
        .await
        .err(ErrorCode::SessionExpired);

    // --- every documented pair was produced
    let seen = cov.seen.into_inner().unwrap();
    let documented = documented();
    assert!(
        documented.len() > 100,
        "the document lists the codes: {}",
        documented.len()
    );
    let missing: Vec<_> = documented.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "documented but never produced: {missing:#?}"
    );
    // And nothing undocumented came out of these routes.
    let undocumented: Vec<_> = seen.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "produced but not documented: {undocumented:#?}"
    );
}

/// Produces `request.rate_limited` on every route that hashes (from one address on `cov`'s
/// harness) and `server.busy` (on a harness whose queue holds no waiter while its one permit is
/// taken); returns the pairs seen on the second harness.
async fn hashing_limits(cov: &Cov<'_>) -> (Seen, String) {
    use xwms_server::accounts::policy::{HashQueuePolicy, HASH_QUEUE};
    let h = cov.h;
    let peer = "198.51.100.77";
    let send = |method: Method, path: &'static str, token: Option<String>, body: Value| {
        let mut call = h.call(method, path, Some(body)).peer(peer);
        if let Some(token) = &token {
            call = call.token(token);
        }
        call.send()
    };
    h.verified_user("limits@example.com", PASSWORD).await;
    let token = h
        .sign_in("limits@example.com", PASSWORD)
        .await
        .access_token
        .expose()
        .to_owned();
    let sign_up = |i: u32| json!({"name": "L", "email": format!("limits{i}@example.com"), "password": "Zz-12345678"});
    let reset = json!({"email": "limits@example.com", "code": "123456", "challenge_id": "xwc_x", "new_password": "Zz-12345678"});
    let sign_in =
        json!({"email": "nobody@example.com", "password": PASSWORD, "device": device("l")});
    for i in 0..10 {
        send(Method::POST, paths::SIGN_UP, None, sign_up(i))
            .await
            .ok(202);
        send(Method::POST, paths::RESET_PASSWORD, None, reset.clone()).await;
    }
    for _ in 0..60 {
        send(Method::POST, paths::SIGN_IN, None, sign_in.clone()).await;
    }
    let change = json!({"current_password": PASSWORD, "new_password": "Zz-12345678"});
    for (path, token, body) in [
        (paths::SIGN_UP, None, sign_up(10)),
        (paths::RESET_PASSWORD, None, reset.clone()),
        (paths::SIGN_IN, None, sign_in.clone()),
        (paths::CHANGE_PASSWORD, Some(token.clone()), change.clone()),
    ] {
        let answer = cov.record(
            &Method::POST,
            path,
            send(Method::POST, path, token, body).await,
        );
        answer.err(ErrorCode::RateLimited);
        assert!(answer.retry_after().is_some(), "{path}: {}", answer.body);
    }

    // No room to wait: every request that needs a hash while the permit is taken is busy.
    let busy_h = harness_with(|services| {
        services.with_hash_queue(
            Some(1),
            HashQueuePolicy {
                waiters_per_permit: 0,
                ..HASH_QUEUE
            },
        )
    });
    busy_h.verified_user("busy@example.com", PASSWORD).await;
    let busy_token = busy_h.sign_in("busy@example.com", PASSWORD).await;
    let busy = Cov {
        h: &busy_h,
        seen: Mutex::new(Seen::new()),
    };
    let held = busy_h.state.accounts.hasher().occupy_all_permits().await;
    let reset = json!({"email": "busy@example.com", "code": "123456", "challenge_id": "xwc_x", "new_password": "Zz-12345678"});
    for answer in [
        busy.post(paths::SIGN_UP, sign_up(99)).await,
        busy.post(
            paths::SIGN_IN,
            json!({"email": "busy@example.com", "password": PASSWORD, "device": device("b")}),
        )
        .await,
        busy.post(paths::RESET_PASSWORD, reset).await,
        busy.post_auth(
            paths::CHANGE_PASSWORD,
            busy_token.access_token.expose(),
            change.clone(),
        )
        .await,
    ] {
        answer.err(ErrorCode::Busy);
        assert_eq!(
            answer.retry_after(),
            Some(u64::from(HASH_QUEUE.retry_after_seconds)),
            "{}",
            answer.body
        );
    }
    drop(held);
    (busy.seen.into_inner().unwrap(), token)
}
