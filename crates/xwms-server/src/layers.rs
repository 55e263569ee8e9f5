//! What every request and answer passes through, outermost first:
//!
//! 1. request log (method, path and status; never headers or query strings, which may carry
//!    credentials);
//! 2. security headers: `X-Content-Type-Options: nosniff`, `Cache-Control: no-store`;
//! 3. [`envelope_errors`]: an error answer that is not JSON (axum's 404, 405 and extractor
//!    rejections, the body limit's 413) becomes an [`xwms_api::Envelope`] with the code for its
//!    status, so no client ever sees plain text;
//! 4. panics become `500 server.internal` with a generic message; the detail is logged;
//! 5. request bodies over [`BODY_LIMIT`] ([`ATTACHMENT_BODY_LIMIT`] for an attachment upload)
//!    are refused with 413, and a body must arrive within
//!    [`CONNECTIONS`]`.body_read_timeout` (a body trickled in byte by byte cannot hold a
//!    connection and a handler for long).

use std::any::Any;

use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, Request, Response};
use axum::response::IntoResponse;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use xwms_api::ErrorCode;

use crate::accounts::policy::CONNECTIONS;
use crate::error::{code_for_status, ApiError};

/// The largest request body the server reads.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The largest body of an attachment upload (`POST /api/support/conversations/{id}/attachments`
/// and `POST /api/support/attachments`, the only routes with a larger limit).
pub const ATTACHMENT_BODY_LIMIT: usize = xwms_api::support::ATTACHMENT_MAX_BYTES;

/// Whether `method path` is an attachment upload.
fn is_attachment_upload(method: &axum::http::Method, path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    method == axum::http::Method::POST
        && (matches!(
            segments.as_slice(),
            ["", "api", "support", "conversations", id, "attachments"] if !id.is_empty()
        ) || matches!(segments.as_slice(), ["", "api", "support", "attachments"]))
}

/// Refuses a body over the route's limit ([`BODY_LIMIT`], or [`ATTACHMENT_BODY_LIMIT`] for an
/// upload) with 413: at once when `Content-Length` says so, else when reading passes the limit.
async fn limit_body(request: Request<Body>, next: axum::middleware::Next) -> Response<Body> {
    let upload = is_attachment_upload(request.method(), request.uri().path());
    let limit = if upload {
        ATTACHMENT_BODY_LIMIT
    } else {
        BODY_LIMIT
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        let code = if upload {
            ErrorCode::AttachmentTooLarge
        } else {
            ErrorCode::PayloadTooLarge
        };
        return ApiError::new(code).into_response();
    }
    let (parts, body) = request.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

/// How much of a plain-text rejection is kept as the message of a `request.invalid` error.
const DETAIL_LIMIT: usize = 1024;

/// Wraps `router` in the layers above. Each `Router::layer` call wraps every route and the
/// fallbacks, so unknown routes and wrong methods pass through the same layers.
pub(crate) fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        // axum's own 2 MB default for body extractors would cut uploads short; the limit is
        // [`limit_body`]'s, per route.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(limit_body))
        // Outside the limit, so the limit's error is what the body reports first.
        .layer(RequestBodyTimeoutLayer::new(CONNECTIONS.body_read_timeout))
        .layer(CatchPanicLayer::custom(answer_panic))
        .layer(axum::middleware::map_response(envelope_errors))
        .layer(SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<Body>| {
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

fn answer_panic(panic: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = detail, "a request handler panicked");
    ApiError::new(ErrorCode::Internal).into_response()
}

/// Turns an error answer that is not JSON into the envelope for its status.
async fn envelope_errors(response: Response<Body>) -> Response<Body> {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let code = code_for_status(status);
    let (parts, body) = response.into_parts();
    // A rejection's text says what was wrong with the request; keep it for `request.invalid`.
    // Server-side text is never passed on.
    let detail = match code {
        ErrorCode::InvalidRequest => axum::body::to_bytes(body, DETAIL_LIMIT)
            .await
            .ok()
            .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
            .filter(|text| !text.trim().is_empty()),
        _ => None,
    };
    let error = match detail {
        Some(text) => ApiError::with_message(code, text),
        None => ApiError::new(code),
    };
    let mut answer = error.into_response();
    // Keep headers such as `Allow` on a 405.
    for (name, value) in &parts.headers {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH && !answer.headers().contains_key(name) {
            answer.headers_mut().append(name, value.clone());
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    //! The layers against a router of their own, with routes the real API does not have
    //! (a JSON body, a panic), so these behaviours are tested before any feature needs them.
    use super::*;
    use axum::http::{Method, StatusCode};
    use axum::routing::{get, post};
    use axum::Json;
    use serde_json::{json, Value};
    use tower::ServiceExt;

    fn router() -> Router {
        apply(
            Router::new()
                .route(
                    "/echo",
                    post(|Json(body): Json<Value>| async move { Json(body) }),
                )
                .route("/panic", get(panics)),
        )
    }

    async fn panics() -> &'static str {
        panic!("secret detail")
    }

    async fn send(request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
        let response = router().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)));
        (status, headers, body)
    }

    fn post_echo(content_type: &str, body: impl Into<Body>) -> Request<Body> {
        Request::post("/echo")
            .header(CONTENT_TYPE, content_type)
            .body(body.into())
            .unwrap()
    }

    #[tokio::test]
    async fn malformed_json_is_an_invalid_request_envelope() {
        let (status, _, body) = send(post_echo("application/json", "{not json")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["status"], "error");
        assert_eq!(body["code"], "request.invalid");
        assert_eq!(body["data"], Value::Null);
        assert!(body["message"].as_str().unwrap().contains("JSON"), "{body}");
    }

    #[tokio::test]
    async fn a_body_without_json_content_type_is_an_invalid_request() {
        let (status, _, body) = send(post_echo("text/plain", "{}")).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("request.invalid"))
        );
    }

    #[tokio::test]
    async fn valid_json_passes_through() {
        let (status, headers, body) = send(post_echo("application/json", r#"{"a":1}"#)).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"a": 1})));
        assert_eq!(headers[X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[CACHE_CONTROL], "no-store");
    }

    #[tokio::test]
    async fn a_streamed_body_over_the_limit_is_too_large() {
        // No Content-Length: the limit is only found while reading the body.
        let chunks =
            futures_util::stream::iter([Ok::<_, std::io::Error>(vec![b' '; BODY_LIMIT + 1])]);
        let (status, _, body) =
            send(post_echo("application/json", Body::from_stream(chunks))).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["code"], "request.too_large");
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stalls_is_cut_off_after_the_body_read_timeout() {
        // A few bytes, then nothing: the clock runs on (paused time advances while every
        // task waits) until the body-read timeout ends the read.
        use futures_util::StreamExt;
        let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(b"{\"a\"".to_vec())])
            .chain(futures_util::stream::pending());
        let started = tokio::time::Instant::now();
        let (status, _, body) = tokio::time::timeout(
            CONNECTIONS.body_read_timeout * 2,
            send(post_echo("application/json", Body::from_stream(chunks))),
        )
        .await
        .expect("the stalled body is cut off");
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["code"], "request.invalid");
        assert!(started.elapsed() >= CONNECTIONS.body_read_timeout);
    }

    #[tokio::test]
    async fn a_panic_is_a_generic_internal_error() {
        let (status, headers, body) =
            send(Request::get("/panic").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "server.internal");
        assert_eq!(body["message"], ErrorCode::Internal.default_message());
        assert!(!body.to_string().contains("secret detail"));
        assert_eq!(headers[CACHE_CONTROL], "no-store");
    }

    #[tokio::test]
    async fn wrong_method_keeps_the_allow_header() {
        let request = Request::builder()
            .method(Method::DELETE)
            .uri("/echo")
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = send(request).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["code"], "request.method_not_allowed");
        assert_eq!(headers["allow"], "POST");
    }
}
