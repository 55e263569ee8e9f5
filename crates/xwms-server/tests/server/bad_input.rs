//! Bad input everywhere: every route answers a clear envelope error with a stable code, never a
//! 500, and writes nothing.

use serde_json::{json, Value};
use xwms_api::auth::paths;
use xwms_api::ErrorCode;
use xwms_server::layers::BODY_LIMIT;
use xwms_server::ROUTES;

use crate::support::{device, harness, takes_json, valid_body, Harness, PASSWORD};

/// Counts of every table a request could write to.
async fn footprint(h: &Harness) -> Vec<i64> {
    h.query(|c| {
        let tables = [
            "users",
            "email_codes",
            "sessions",
            "tokens",
            "recovery_requests",
            "security_events",
            "mail_outbox",
            "sign_in_guards",
            "sign_in_failures",
            "two_factor",
            "recovery_codes",
            "sign_in_challenges",
            "api_clients",
            "known_devices",
            "code_tries",
        ];
        tables
            .iter()
            .map(|t| c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0)))
            .collect()
    })
    .await
}

#[tokio::test]
async fn malformed_bodies_are_request_invalid_on_every_route_and_write_nothing() {
    let h = harness();
    let token = h
        .signed_in("anna@example.com")
        .await
        .access_token
        .expose()
        .to_owned();
    // A member of the support team, so that agent routes get past their guard to the body.
    h.query(|c| c.execute("UPDATE users SET role = 'agent'", []))
        .await;
    let before = footprint(&h).await;
    // Every route that reads a body (the document says which).
    for route in ROUTES.iter().filter(|r| takes_json(&r.method, r.path)) {
        let valid = valid_body(route.path);
        let first_key = valid.as_object().and_then(|o| o.keys().next().cloned());
        let mut cases: Vec<(String, Vec<u8>, Option<String>)> = vec![
            ("not JSON".into(), b"{not json".to_vec(), None),
            ("empty".into(), vec![], None),
            ("array".into(), b"[]".to_vec(), None),
            ("string".into(), b"\"hi\"".to_vec(), None),
            (
                "trailing data".into(),
                format!("{valid} x").into_bytes(),
                None,
            ),
        ];
        if let Some(key) = &first_key {
            let mut unknown = valid.clone();
            unknown["is_agent"] = json!(true);
            cases.push((
                "unknown field".into(),
                unknown.to_string().into_bytes(),
                Some("is_agent".into()),
            ));
            let mut wrong_type = valid.clone();
            // A number where the field takes something else; a string where it takes a number.
            wrong_type[key] = if valid[key].is_number() {
                json!("12345")
            } else {
                json!(12345)
            };
            cases.push((
                "wrong type".into(),
                wrong_type.to_string().into_bytes(),
                Some(key.clone()),
            ));
            // Routes whose fields are all optional.
            if route.path != paths::PROFILE && route.path != xwms_api::security::paths::API_CLIENT {
                let mut missing = valid.clone();
                missing.as_object_mut().unwrap().remove(key);
                cases.push((
                    "missing field".into(),
                    missing.to_string().into_bytes(),
                    Some(key.clone()),
                ));
            }
        }
        for (name, bytes, field) in cases {
            let answer = h
                .call(route.method.clone(), route.path, None)
                .raw(bytes)
                .token(&token)
                .send()
                .await;
            let row = format!("{} {} ({name})", route.method, route.path);
            assert_eq!(
                answer.code(),
                Some("request.invalid"),
                "{row}: {}",
                answer.body
            );
            assert_eq!(answer.status, 400, "{row}");
            assert_eq!(answer.field(), field.as_deref(), "{row}: {}", answer.body);
        }
        // A body that is not declared as JSON.
        let answer = h
            .call(route.method.clone(), route.path, None)
            .token(&token)
            .header("content-type", "text/plain")
            .raw(valid.to_string())
            .send()
            .await;
        assert_eq!(
            answer.code(),
            Some("request.invalid"),
            "{} text/plain: {}",
            route.path,
            answer.body
        );
    }
    assert_eq!(footprint(&h).await, before);
}

#[tokio::test]
async fn oversized_bodies_and_fields_are_refused_with_stable_codes() {
    let h = harness();
    let huge = "x".repeat(BODY_LIMIT);
    let answer = h
        .post(
            paths::SIGN_UP,
            json!({"name": huge, "email": "a@example.com", "password": PASSWORD}),
        )
        .await;
    answer.err(ErrorCode::PayloadTooLarge);

    let before = footprint(&h).await;
    let long_email = format!("{}@example.com", "a".repeat(250));
    #[rustfmt::skip]
    let table: Vec<(&str, Value, ErrorCode, &str)> = vec![
        (paths::SIGN_UP, json!({"name": "n".repeat(101), "email": "a@example.com", "password": PASSWORD}), ErrorCode::FieldTooLong, "name"),
        (paths::SIGN_UP, json!({"name": "   ", "email": "a@example.com", "password": PASSWORD}), ErrorCode::FieldRequired, "name"),
        (paths::SIGN_UP, json!({"name": "A\u{0}B", "email": "a@example.com", "password": PASSWORD}), ErrorCode::FieldInvalid, "name"),
        (paths::SIGN_UP, json!({"name": "A\u{202E}B", "email": "a@example.com", "password": PASSWORD}), ErrorCode::FieldInvalid, "name"),
        (paths::SIGN_UP, json!({"name": "A", "email": long_email, "password": PASSWORD}), ErrorCode::EmailInvalid, "email"),
        (paths::SIGN_UP, json!({"name": "A", "email": "a@example.com\r\nBcc: x@evil.example", "password": PASSWORD}), ErrorCode::EmailInvalid, "email"),
        (paths::SIGN_UP, json!({"name": "A", "email": "", "password": PASSWORD}), ErrorCode::FieldRequired, "email"),
        (paths::SIGN_UP, json!({"name": "A", "email": "a@example.com", "password": "x".repeat(257)}), ErrorCode::PasswordTooLong, "password"),
        (paths::SIGN_UP, json!({"name": "A", "email": "a@example.com", "password": PASSWORD, "language": "xx"}), ErrorCode::FieldInvalid, "language"),
        (paths::SIGN_IN, json!({"email": "a@@example.com", "password": PASSWORD, "device": device("i")}), ErrorCode::EmailInvalid, "email"),
        (paths::SIGN_IN, json!({"email": "a@example.com", "password": PASSWORD, "device": {"name": "n".repeat(101), "os": "", "app": "", "app_version": "", "installation_id": ""}}), ErrorCode::FieldTooLong, "device.name"),
        (paths::SIGN_IN, json!({"email": "a@example.com", "password": PASSWORD, "device": {"name": "x", "os": "linux\n", "app": "a\u{1b}", "app_version": "", "installation_id": ""}}), ErrorCode::FieldInvalid, "device.app"),
        (paths::FORGOT_PASSWORD, json!({"email": "nope"}), ErrorCode::EmailInvalid, "email"),
        (paths::FORGOT_PASSWORD, json!({"email": "a@example.com", "language": "zh_CN"}), ErrorCode::FieldInvalid, "language"),
        (paths::RESEND_UNLOCK, json!({"email": "a b@example.com"}), ErrorCode::EmailInvalid, "email"),
        (paths::RESET_PASSWORD, json!({"email": "a@example.com", "code": "123456", "challenge_id": "xwc_x", "new_password": "short"}), ErrorCode::PasswordTooShort, "new_password"),
    ];
    for (path, body, code, field) in table {
        h.post(path, body).await.err_field(code, field);
    }
    // A password longer than any allowed one is simply wrong at sign-in, without hashing it.
    let hashes = h.hashes();
    h.post(
        paths::SIGN_IN,
        json!({"email": "a@example.com", "password": "x".repeat(10_000), "device": device("i")}),
    )
    .await
    .err(ErrorCode::InvalidCredentials);
    assert_eq!(
        h.hashes() - hashes,
        1,
        "the same single hash as any failure"
    );
    let after = footprint(&h).await;
    // Only the failed sign-in was recorded (guard and failure rows).
    assert_eq!(after[..7], before[..7]);
}

#[tokio::test]
async fn every_password_rule_part_has_its_code_on_sign_up() {
    let h = harness();
    #[rustfmt::skip]
    let table = [
        ("Ab1defg",                ErrorCode::PasswordTooShort),
        ("ab1defgh",               ErrorCode::PasswordMissingUpper),
        ("AB1DEFGH",               ErrorCode::PasswordMissingLower),
        ("Abcdefgh",               ErrorCode::PasswordMissingDigit),
        ("Password1",              ErrorCode::PasswordTooCommon),
    ];
    for (password, code) in table {
        let answer = h.sign_up("A", "a@example.com", password).await;
        answer.err_field(&code, "password");
        assert_eq!(answer.body["message"], code.default_message());
    }
    let long = format!("Aa1{}", "x".repeat(254));
    h.sign_up("A", "a@example.com", &long)
        .await
        .err_field(ErrorCode::PasswordTooLong, "password");
    let users: i64 = h
        .query(|c| c.query_row("SELECT count(*) FROM users", [], |r| r.get(0)))
        .await;
    assert_eq!(users, 0);
    // 256 characters are fine, and so are spaces and emoji.
    h.sign_up("A", "a@example.com", &format!("Aa1 🦊{}", "x".repeat(251)))
        .await
        .ok(202);
}
