//! Shared helpers: a real store in a temp folder, a fixed clock, and one-shot requests.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use time::macros::datetime;
use time::OffsetDateTime;
use tower::ServiceExt;
use xwms_server::store::Store;
use xwms_server::{AppState, FixedClock, ServerInfo};

pub const NOW: OffsetDateTime = datetime!(2026-05-06 07:08:09 UTC);

/// App state over a fresh SQLite file; keep the folder alive as long as the state.
pub fn state() -> (AppState, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).unwrap();
    let server = ServerInfo {
        name: "Test XWMS".into(),
        locale: "nl".into(),
        timezone: "Europe/Amsterdam".into(),
    };
    (AppState::new(store, Arc::new(FixedClock(NOW)), server), dir)
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

pub async fn send(state: &AppState, request: Request<Body>) -> Answer {
    let response = xwms_server::app(state.clone())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("{status}: not JSON: {:?}", String::from_utf8_lossy(&bytes)));
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn get(state: &AppState, uri: &str) -> Answer {
    send(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// Asserts `answer` is the error envelope for `code` with the code's HTTP status.
pub fn assert_error(answer: &Answer, code: xwms_api::ErrorCode) {
    assert_eq!(
        answer.status.as_u16(),
        code.http_status(),
        "{}",
        answer.body
    );
    assert_eq!(
        answer.body,
        serde_json::json!({"status": "error", "message": code.default_message(), "code": code.as_str(), "data": null})
    );
}
