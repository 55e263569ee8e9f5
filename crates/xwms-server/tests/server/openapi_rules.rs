//! The OpenAPI document states the validators' rules with their own numbers, and the server
//! draws the line exactly where the document does (issue 9: "The OpenAPI document is looser
//! than the checks"). scripts/schemathesis.sh fuzzes the whole document; these pin the edges.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use xwms_api::ErrorCode;
use xwms_server::accounts::policy::{API_CLIENTS, TIMELINE};
use xwms_server::accounts::validate::{
    DETAILS_MAX_CHARS, DEVICE_FIELD_MAX_CHARS, EMAIL_MAX_CHARS, NAME_MAX_CHARS, REGIONS,
    USERNAME_MAX_CHARS, USERNAME_MIN_CHARS,
};
use xwms_server::accounts::LOST_OPTIONS;

use crate::support::{get, harness, state, PASSWORD};

async fn document() -> Value {
    let (state, _dir) = state();
    let answer = get(&state, "/api/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.body
}

fn property<'a>(document: &'a Value, component: &str, name: &str) -> &'a Value {
    let schema = &document["components"]["schemas"][component]["properties"][name];
    assert!(schema.is_object(), "{component}.{name} is not documented");
    schema
}

fn query_parameter<'a>(document: &'a Value, path: &str, name: &str) -> &'a Value {
    document["paths"][path]["get"]["parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("GET {path} has no parameters"))
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| &p["schema"])
        .unwrap_or_else(|| panic!("GET {path} has no parameter {name}"))
}

fn strings(values: &Value) -> Vec<&str> {
    values
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[tokio::test]
async fn the_document_states_every_rule_with_the_validators_numbers() {
    let doc = document().await;
    for (component, name) in [
        ("SignUpRequest", "name"),
        ("RecoveryRequest", "name"),
        ("ProfileUpdate", "name"),
    ] {
        let schema = property(&doc, component, name);
        assert_eq!(schema["minLength"], 1, "{component}.{name}");
        assert_eq!(schema["maxLength"], NAME_MAX_CHARS, "{component}.{name}");
        assert!(schema["pattern"].is_string(), "{component}.{name}");
    }
    for (component, name) in [
        ("SignUpRequest", "email"),
        ("SignInRequest", "email"),
        ("EmailRequest", "email"),
        ("EmailCodeRequest", "email"),
        ("ResetPasswordRequest", "email"),
        ("RecoveryRequest", "email"),
        ("RecoveryRequest", "contact_email"),
        ("EmailChangeRequest", "new_email"),
    ] {
        let schema = property(&doc, component, name);
        assert_eq!(schema["format"], "email", "{component}.{name}");
        assert_eq!(schema["maxLength"], EMAIL_MAX_CHARS, "{component}.{name}");
    }
    for (component, name) in [
        ("SignUpRequest", "password"),
        ("ResetPasswordRequest", "new_password"),
        ("PasswordChangeRequest", "new_password"),
    ] {
        let schema = property(&doc, component, name);
        assert_eq!(schema["minLength"], xwms_api::password::MIN_CHARS);
        assert_eq!(schema["maxLength"], xwms_api::password::MAX_CHARS);
        assert_eq!(schema["format"], "password", "{component}.{name}");
    }
    for name in ["name", "os", "app", "app_version", "installation_id"] {
        assert_eq!(
            property(&doc, "DeviceInfo", name)["maxLength"],
            DEVICE_FIELD_MAX_CHARS
        );
    }
    assert_eq!(
        property(&doc, "RecoveryRequest", "details")["maxLength"],
        DETAILS_MAX_CHARS
    );
    let lost = property(&doc, "RecoveryRequest", "lost");
    assert_eq!(lost["minItems"], 1);
    assert_eq!(lost["maxItems"], LOST_OPTIONS.len());
    assert_eq!(strings(&lost["items"]["enum"]), LOST_OPTIONS);
    assert_eq!(
        property(&doc, "ApiClientCreate", "name")["maxLength"],
        API_CLIENTS.name_max_chars
    );
    let username = property(&doc, "ProfileUpdate", "username")["pattern"]
        .as_str()
        .unwrap();
    assert!(
        username.contains(&format!("{{{USERNAME_MIN_CHARS},{USERNAME_MAX_CHARS}}}")),
        "{username}"
    );
    let regions = strings(&property(&doc, "ProfileUpdate", "region")["enum"]);
    assert_eq!(regions.len(), REGIONS.len() + 1);
    assert!(regions.contains(&"") && regions.contains(&"NL"));
    assert!(
        strings(&property(&doc, "ProfileUpdate", "timezone")["enum"]).contains(&"Europe/Amsterdam")
    );
    for (component, name) in [
        ("SignUpRequest", "language"),
        ("EmailRequest", "language"),
        ("ProfileUpdate", "language"),
    ] {
        let values = &property(&doc, component, name)["enum"];
        assert_eq!(
            values,
            &json!(["en", "nl", "fr", null]),
            "{component}.{name}"
        );
    }
    assert_eq!(
        strings(&property(&doc, "SecondFactorRequest", "method")["enum"]),
        ["totp", "recovery_code", "email_code"]
    );
    for path in ["/api/help/search", "/api/help/articles/{key}/related"] {
        let limit = query_parameter(&doc, path, "limit");
        assert_eq!(
            (&limit["minimum"], &limit["maximum"]),
            (&json!(1), &json!(xwms_help::MAX_SEARCH_LIMIT))
        );
        assert_eq!(
            strings(&query_parameter(&doc, path, "lang")["enum"]),
            ["en", "nl", "fr"]
        );
    }
    let limit = query_parameter(&doc, "/api/account/security/events", "limit");
    assert_eq!(limit["maximum"], TIMELINE.max_limit);
}

/// The server accepts the documented edge and refuses one past it, with a message that says
/// what is wrong.
#[tokio::test]
async fn help_limits_are_refused_exactly_past_the_documented_range_with_a_clear_message() {
    let (state, _dir) = state();
    let max = xwms_help::MAX_SEARCH_LIMIT;
    for limit in [1, max] {
        let answer = get(
            &state,
            &format!("/api/help/search?q=password&limit={limit}"),
        )
        .await;
        answer.ok(200);
    }
    for limit in ["0".to_owned(), (max + 1).to_string(), "ten".to_owned()] {
        for path in [
            "/api/help/search?q=password",
            "/api/help/articles/missing-article/related?lang=en",
        ] {
            let answer = get(&state, &format!("{path}&limit={limit}")).await;
            answer.err_field(ErrorCode::FieldInvalid, "limit");
            assert_eq!(
                answer.body["message"],
                format!("`limit` must be a whole number from 1 to {max}."),
                "{path} limit={limit}"
            );
        }
    }
    let answer = get(&state, "/api/help/categories?lang=").await;
    answer.err_field(ErrorCode::FieldInvalid, "lang");
    assert_eq!(answer.body["message"], "`lang` must be en, nl or fr.");
    let answer = get(&state, "/api/help/sync?since=soon").await;
    answer.err_field(ErrorCode::FieldInvalid, "since");
    assert!(!answer.body["message"]
        .as_str()
        .unwrap()
        .contains("characters"));
}

#[tokio::test]
async fn name_lengths_are_refused_exactly_past_the_documented_maximum() {
    let h = harness();
    let sign_up =
        |name: String, email: &str| json!({"name": name, "email": email, "password": PASSWORD});
    h.post(
        "/api/auth/signup",
        sign_up("é".repeat(NAME_MAX_CHARS), "edge@example.com"),
    )
    .await
    .ok(202);
    h.post(
        "/api/auth/signup",
        sign_up("é".repeat(NAME_MAX_CHARS + 1), "over@example.com"),
    )
    .await
    .err_field(ErrorCode::FieldTooLong, "name");
    // A name of white space only matches no documented pattern and is refused.
    h.post(
        "/api/auth/signup",
        sign_up("   ".into(), "blank@example.com"),
    )
    .await
    .err_field(ErrorCode::FieldRequired, "name");
}

#[tokio::test]
async fn unknown_languages_regions_and_methods_say_what_is_allowed() {
    let h = harness();
    let answer = h
        .post(
            "/api/auth/signup",
            json!({"name": "Anna", "email": "lang@example.com", "password": PASSWORD, "language": "de"}),
        )
        .await;
    answer.err_field(ErrorCode::FieldInvalid, "language");
    assert_eq!(answer.body["message"], "The language must be en, nl or fr.");
    let answer = h
        .post(
            "/api/auth/signin/second-factor",
            json!({"challenge": "x", "method": "sms", "code": "123456"}),
        )
        .await;
    answer.err_field(ErrorCode::FieldInvalid, "method");
    assert_eq!(
        answer.body["message"],
        "`method` must be totp, recovery_code or email_code."
    );
    let tokens = h.signed_in("region@example.com").await;
    let answer = h
        .call(
            Method::PATCH,
            "/api/account/profile",
            Some(json!({"region": "XX"})),
        )
        .token(tokens.access_token.expose())
        .send()
        .await;
    answer.err_field(ErrorCode::FieldInvalid, "region");
    assert!(answer.body["message"]
        .as_str()
        .unwrap()
        .contains("ISO 3166-1"));
    for region in ["", "NL", "nl"] {
        h.patch_auth(
            "/api/account/profile",
            tokens.access_token.expose(),
            json!({ "region": region }),
        )
        .await
        .ok(200);
    }
}

/// Every operation documents the answers any request can get: 500 and 503, and for a body 400
/// and 413 (which the server really answers for a body over the limit).
#[tokio::test]
async fn every_operation_documents_the_common_answers() {
    let doc = document().await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(responses) = operation["responses"].as_object() else {
                continue;
            };
            let mut want = vec!["500", "503"];
            if operation.get("requestBody").is_some() {
                want.extend(["400", "413"]);
            }
            for status in want {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} does not document {status}"
                );
            }
        }
    }
    let h = harness();
    let big = "x".repeat(xwms_server::layers::BODY_LIMIT + 1);
    h.post("/api/auth/signin", json!({ "email": big }))
        .await
        .err(ErrorCode::PayloadTooLarge);
}

#[tokio::test]
async fn usernames_refused_for_their_form_say_the_rule() {
    let h = harness();
    let tokens = h.signed_in("user@example.com").await;
    let token = tokens.access_token.expose();
    let short = "a".repeat(USERNAME_MIN_CHARS - 1);
    for bad in [short.as_str(), "anna de vries"] {
        let answer = h
            .patch_auth("/api/account/profile", token, json!({ "username": bad }))
            .await;
        answer.err_field(ErrorCode::FieldInvalid, "username");
        assert_eq!(
            answer.body["message"],
            format!("A username is {USERNAME_MIN_CHARS} to {USERNAME_MAX_CHARS} of a-z, 0-9, '.', '_' and '-'."),
            "{bad:?}"
        );
    }
    h.patch_auth(
        "/api/account/profile",
        token,
        json!({ "username": "a".repeat(USERNAME_MAX_CHARS) }),
    )
    .await
    .ok(200);
    h.patch_auth(
        "/api/account/profile",
        token,
        json!({ "username": "a".repeat(USERNAME_MAX_CHARS + 1) }),
    )
    .await
    .err_field(ErrorCode::FieldTooLong, "username");
    let answer = h
        .post_auth(
            "/api/account/email",
            token,
            json!({"new_email": "USER@example.com", "password": PASSWORD}),
        )
        .await;
    answer.err_field(ErrorCode::FieldInvalid, "new_email");
    assert!(!answer.body["message"]
        .as_str()
        .unwrap()
        .contains("characters"));
}
