//! The OpenAPI document, the router and the committed `openapi.json` must agree.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;
use xwms_server::ROUTES;

use crate::support::{get, send, state};

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

/// Every HTTP method an OpenAPI path item can hold.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn served_document() -> Value {
    let (state, _dir) = state();
    let answer = get(&state, "/api/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.body
}

/// (method, path) of every operation in the document.
fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"]
        .as_object()
        .expect("the document has paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("a path item is an object");
            item.keys()
                .filter(|key| METHODS.contains(&key.as_str()))
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect()
}

#[tokio::test]
async fn served_document_equals_the_committed_openapi_json() {
    let served = served_document().await;
    assert_eq!(served["openapi"], "3.1.0");
    assert_eq!(
        served,
        serde_json::from_str::<Value>(&xwms_server::openapi_json()).unwrap()
    );
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, xwms_server::openapi_json()).unwrap();
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == xwms_server::openapi_json(),
        "crates/xwms-server/openapi.json is out of date with the routes; regenerate it with \
         `UPDATE_OPENAPI=1 cargo test -p xwms-server` and commit it"
    );
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let (state, _dir) = state();
    for (method, path) in operations(&served_document().await) {
        let request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(&path)
            .body(Body::empty())
            .unwrap();
        let answer = send(&state, request).await;
        // A 404 about the resource (`help.not_found` for a placeholder key) is an answer of
        // the route; the router's own 404 is `request.not_found`.
        assert!(
            (answer.status != StatusCode::NOT_FOUND || answer.code() != Some("request.not_found"))
                && answer.status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} is documented but answers {}",
            answer.status
        );
    }
}

#[tokio::test]
async fn routes_list_equals_the_documented_operations() {
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|route| (route.method.to_string(), route.path.to_owned()))
        .collect();
    assert_eq!(listed.len(), ROUTES.len(), "ROUTES has duplicates");
    assert_eq!(listed, operations(&served_document().await));
    let names: BTreeSet<_> = ROUTES.iter().map(|route| route.name).collect();
    assert_eq!(names.len(), ROUTES.len(), "route names are unique");
}

#[tokio::test]
async fn documented_paths_serve_no_undocumented_method() {
    let (state, _dir) = state();
    let documented = operations(&served_document().await);
    for path in documented
        .iter()
        .map(|(_, path)| path)
        .collect::<BTreeSet<_>>()
    {
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            if documented.contains(&(method.to_owned(), path.clone())) {
                continue;
            }
            let request = Request::builder()
                .method(method)
                .uri(path)
                .body(Body::empty())
                .unwrap();
            let answer = send(&state, request).await;
            assert_eq!(
                answer.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is served but not documented"
            );
        }
    }
}
