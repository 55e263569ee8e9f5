//! The API through `tower::ServiceExt::oneshot`, without a socket.

use axum::body::Body;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{Method, Request, StatusCode};
use serde_json::json;
use xwms_api::{Envelope, ErrorCode, Health, InfoData};
use xwms_server::layers::BODY_LIMIT;

use crate::support::{assert_error, get, send, state};

#[tokio::test]
async fn info_describes_the_server_and_the_caller() {
    let (state, _dir) = state();
    let request = Request::get("/api/info")
        .header(USER_AGENT, "XWMS-Desktop/1.2 (test)")
        .body(Body::empty())
        .unwrap();
    let answer = send(&state, request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["status"], "success");
    assert!(
        answer.body.get("code").is_none(),
        "success has no code: {}",
        answer.body
    );
    let info: Envelope<InfoData> = serde_json::from_value(answer.body).unwrap();
    let data = info.data.unwrap();
    assert_eq!(data.application.name, "Test XWMS");
    assert_eq!(data.application.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(data.application.locale, "nl");
    assert_eq!(data.application.timezone, "Europe/Amsterdam");
    assert_eq!(
        data.application.time, "2026-05-06T07:08:09Z",
        "time comes from the injected clock"
    );
    assert!(!data.application.description.is_empty());
    assert_eq!(data.client.user_agent, "XWMS-Desktop/1.2 (test)");
    assert_eq!(data.client.ip, "unknown", "no socket, no peer address");
    assert_eq!(data.api.documentation, "/api/openapi.json");
    let endpoints = serde_json::to_value(&data.api.endpoints).unwrap();
    for route in xwms_server::ROUTES.iter() {
        assert_eq!(endpoints[route.name], json!(route.path), "{}", route.name);
    }
    assert_eq!(endpoints["info"], "/api/info");
    assert_eq!(endpoints["openapi"], "/api/openapi.json");
    assert_eq!(endpoints["signin"], "/api/auth/signin");
    assert_eq!(
        endpoints.as_object().unwrap().len(),
        xwms_server::ROUTES.len()
    );
}

#[tokio::test]
async fn info_without_user_agent_reports_an_empty_one() {
    let (state, _dir) = state();
    let answer = get(&state, "/api/info").await;
    assert_eq!(answer.body["data"]["client"]["user_agent"], "");
}

#[tokio::test]
async fn health_queries_the_database() {
    let (state, _dir) = state();
    let answer = get(&state, "/api/health").await;
    assert_eq!(answer.status, StatusCode::OK);
    let health: Envelope<Health> = serde_json::from_value(answer.body).unwrap();
    assert_eq!(
        health.data.unwrap(),
        Health {
            status: "ok".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            database: "ok".into()
        }
    );
}

#[tokio::test]
async fn health_is_unavailable_when_the_database_is_gone() {
    let (state, _dir) = state();
    state.store.close();
    assert_error(&get(&state, "/api/health").await, ErrorCode::Unavailable);
}

#[tokio::test]
async fn unknown_route_is_a_not_found_envelope() {
    let (state, _dir) = state();
    assert_error(
        &get(&state, "/api/no-such-thing").await,
        ErrorCode::NotFound,
    );
    assert_error(&get(&state, "/").await, ErrorCode::NotFound);
}

#[tokio::test]
async fn wrong_method_is_a_method_not_allowed_envelope() {
    let (state, _dir) = state();
    let request = Request::builder()
        .method(Method::DELETE)
        .uri("/api/info")
        .body(Body::empty())
        .unwrap();
    let answer = send(&state, request).await;
    assert_error(&answer, ErrorCode::MethodNotAllowed);
    assert!(answer.headers["allow"].to_str().unwrap().contains("GET"));
}

fn post_info(len: usize) -> Request<Body> {
    Request::post("/api/info")
        .header(CONTENT_TYPE, "application/json")
        .header(CONTENT_LENGTH, len)
        .body(Body::from(vec![b' '; len]))
        .unwrap()
}

#[tokio::test]
async fn a_body_over_the_limit_is_too_large() {
    let (state, _dir) = state();
    assert_error(
        &send(&state, post_info(BODY_LIMIT + 1)).await,
        ErrorCode::PayloadTooLarge,
    );
    // At the limit the body is accepted, and the route's own answer (wrong method) comes back.
    assert_error(
        &send(&state, post_info(BODY_LIMIT)).await,
        ErrorCode::MethodNotAllowed,
    );
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let (state, _dir) = state();
    for uri in ["/api/info", "/api/health", "/api/openapi.json", "/nope"] {
        let response = tower::ServiceExt::oneshot(
            xwms_server::app(state.clone()),
            Request::get(uri).body(Body::empty()).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(
            response.headers()[X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{uri}"
        );
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store", "{uri}");
        assert!(
            response.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{uri}"
        );
    }
}
