//! HTTP client for an XWMS server.
//!
//! Every answer is an XWMS envelope; an error envelope becomes a [`CoreError`] carrying the
//! server's stable code. Transport failures become `network.offline` / `network.timeout`.
//! Idempotent calls (GET) are retried with exponential backoff on transport failures and 502,
//! 503, 504; calls that change state (POST, PATCH) are never retried automatically. A bearer
//! token travels in a header marked sensitive; an error's `data` (field at fault, retry-after,
//! attempts left) is kept on the [`CoreError`].

use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;
use xwms_api::auth::ErrorData;
use xwms_api::{Envelope, ErrorCode, Health, InfoData, Status};

use crate::secret::Secret;
use crate::CoreError;

/// How an [`ApiClient`] waits and retries.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all for an idempotent call (1 = no retry).
    pub attempts: u32,
    /// Wait before the first retry; doubled each time.
    pub first_backoff: Duration,
    /// Upper bound for one wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            first_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// No retries: for checks that run on their own schedule (the connection monitor).
    pub fn none() -> Self {
        Self {
            attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (0-based).
    pub fn backoff(&self, retry: u32) -> Duration {
        self.first_backoff
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_backoff)
    }
}

/// Timeouts of an [`ApiClient`].
#[derive(Debug, Clone)]
pub struct Timeouts {
    pub connect: Duration,
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(3),
            request: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    retry: RetryPolicy,
}

impl ApiClient {
    /// A client for the server at `base` (validated with
    /// [`crate::settings::validate_server_url`]). `user_agent_product` names the caller, e.g.
    /// `XWMS-Desktop` or `xwms-cli`.
    pub fn new(base: &str, user_agent_product: &str) -> Result<Self, CoreError> {
        Self::with_options(
            base,
            user_agent_product,
            Timeouts::default(),
            RetryPolicy::default(),
        )
    }

    pub fn with_options(
        base: &str,
        user_agent_product: &str,
        timeouts: Timeouts,
        retry: RetryPolicy,
    ) -> Result<Self, CoreError> {
        let base = crate::settings::validate_server_url(base)?;
        let http = reqwest::Client::builder()
            .user_agent(user_agent(user_agent_product))
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .https_only(base.scheme() == "https")
            .build()
            .map_err(|e| CoreError::new(ErrorCode::Internal).with_detail(e.to_string()))?;
        Ok(Self { http, base, retry })
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `GET /api/info`: the server's name, version, locale, time zone and time.
    pub async fn info(&self) -> Result<InfoData, CoreError> {
        self.get("api/info").await
    }

    /// `GET /api/health`.
    pub async fn health(&self) -> Result<Health, CoreError> {
        self.get("api/health").await
    }

    /// An idempotent GET of `path` (relative to the base URL), decoded from the envelope.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CoreError> {
        self.request(Method::GET, path, None, None).await
    }

    /// An idempotent GET with a bearer token (retried like [`ApiClient::get`]).
    pub async fn get_authed<T: DeserializeOwned>(
        &self,
        path: &str,
        bearer: &Secret,
    ) -> Result<T, CoreError> {
        self.request(Method::GET, path, None, Some(bearer)).await
    }

    /// A POST of `body` as JSON. Never retried automatically: it may change state.
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        bearer: Option<&Secret>,
    ) -> Result<T, CoreError> {
        let body = to_json(body)?;
        self.request(Method::POST, path, Some(body), bearer).await
    }

    /// A PATCH of `body` as JSON. Never retried automatically.
    pub async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        bearer: Option<&Secret>,
    ) -> Result<T, CoreError> {
        let body = to_json(body)?;
        self.request(Method::PATCH, path, Some(body), bearer).await
    }

    /// A GET of a file with a bearer token: its bytes, or the error envelope's code.
    pub async fn get_bytes(&self, path: &str, bearer: &Secret) -> Result<Vec<u8>, CoreError> {
        let url = self.url(path)?;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", bearer.expose()))
            .map_err(|_| CoreError::new(ErrorCode::Unauthorized))?;
        value.set_sensitive(true);
        let response = self
            .http
            .get(url)
            .header(reqwest::header::AUTHORIZATION, value)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| transport_error(&e))?;
        if status.is_success() {
            return Ok(body.to_vec());
        }
        decode_envelope::<NoData>(status, &body).and(Err(CoreError::new(ErrorCode::BadResponse)))
    }

    /// A POST of raw bytes (a file) with their content type and a bearer token. Never
    /// retried automatically.
    pub async fn upload<T: DeserializeOwned>(
        &self,
        path: &str,
        bytes: Vec<u8>,
        content_type: &str,
        bearer: &Secret,
    ) -> Result<T, CoreError> {
        let url = self.url(path)?;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", bearer.expose()))
            .map_err(|_| CoreError::new(ErrorCode::Unauthorized))?;
        value.set_sensitive(true);
        let response = self
            .http
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::AUTHORIZATION, value)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| transport_error(&e))?;
        decode_envelope(status, &body)
    }

    /// Sends one request with an already serialised JSON body; only GET is retried (on
    /// transport failures and 502, 503, 504).
    pub(crate) async fn request<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        bearer: Option<&Secret>,
    ) -> Result<T, CoreError> {
        self.request_unless_not_modified(method, path, body, bearer)
            .await?
            .ok_or_else(|| {
                CoreError::new(ErrorCode::BadResponse)
                    .with_detail("304 Not Modified without a conditional request")
            })
    }

    /// An idempotent GET whose `304 Not Modified` answer is `None` (the help center's sync).
    pub async fn get_unless_not_modified<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Option<T>, CoreError> {
        self.request_unless_not_modified(Method::GET, path, None, None)
            .await
    }

    async fn request_unless_not_modified<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        bearer: Option<&Secret>,
    ) -> Result<Option<T>, CoreError> {
        let url = self.url(path)?;
        let attempts = if method == Method::GET {
            self.retry.attempts.max(1)
        } else {
            1
        };
        let mut retry = 0;
        loop {
            match self
                .send_once::<T>(method.clone(), url.clone(), body.clone(), bearer)
                .await
            {
                Ok(v) => return Ok(v),
                Err(Attempt::Retryable(e)) if retry + 1 < attempts => {
                    tracing::debug!(%url, code = %e.code, retry, "retrying idempotent request");
                    tokio::time::sleep(self.retry.backoff(retry)).await;
                    retry += 1;
                }
                Err(Attempt::Retryable(e)) | Err(Attempt::Final(e)) => return Err(e),
            }
        }
    }

    fn url(&self, path: &str) -> Result<Url, CoreError> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| CoreError::new(ErrorCode::InvalidUrl).with_detail(e.to_string()))
    }

    async fn send_once<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        bearer: Option<&Secret>,
    ) -> Result<Option<T>, Attempt> {
        let mut request = self
            .http
            .request(method, url)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(token) = bearer {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    Attempt::Final(
                        CoreError::new(ErrorCode::Unauthorized)
                            .with_detail("access token is not a valid header value"),
                    )
                })?;
            value.set_sensitive(true);
            request = request.header(reqwest::header::AUTHORIZATION, value);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Attempt::Retryable(transport_error(&e)))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Attempt::Retryable(transport_error(&e)))?;
        decode_envelope(status, &bytes).map(Some).map_err(|e| {
            if matches!(
                status,
                StatusCode::BAD_GATEWAY
                    | StatusCode::SERVICE_UNAVAILABLE
                    | StatusCode::GATEWAY_TIMEOUT
            ) {
                Attempt::Retryable(e)
            } else {
                Attempt::Final(e)
            }
        })
    }
}

/// The User-Agent this client sends: `<product>/<version> (<os>)`.
pub fn user_agent(product: &str) -> String {
    format!(
        "{product}/{} ({})",
        crate::CLIENT_VERSION,
        std::env::consts::OS
    )
}

pub(crate) fn to_json<B: Serialize + ?Sized>(body: &B) -> Result<Vec<u8>, CoreError> {
    serde_json::to_vec(body)
        .map_err(|e| CoreError::new(ErrorCode::Internal).with_detail(format!("request body: {e}")))
}

/// The `data` of a success answer that carries nothing the caller needs (`{}`, `null` or
/// absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoData;

impl<'de> Deserialize<'de> for NoData {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d)?;
        Ok(NoData)
    }
}

enum Attempt {
    Retryable(CoreError),
    Final(CoreError),
}

fn transport_error(e: &reqwest::Error) -> CoreError {
    let code = if e.is_timeout() {
        ErrorCode::Timeout
    } else {
        ErrorCode::Offline
    };
    CoreError::new(code).with_detail(e.to_string())
}

/// Decodes an XWMS envelope answer into its data or a typed error (with the error's facts
/// from `data`: field, retry-after, attempts left).
pub fn decode_envelope<T: DeserializeOwned>(
    status: StatusCode,
    body: &[u8],
) -> Result<T, CoreError> {
    let envelope: Envelope<serde_json::Value> = match serde_json::from_slice(body) {
        Ok(env) => env,
        Err(e) => {
            // A proxy page or a server that is not XWMS: say so, with the HTTP status for the log.
            let code = if status.is_server_error() {
                ErrorCode::Unavailable
            } else {
                ErrorCode::BadResponse
            };
            return Err(CoreError::new(code).with_detail(format!("HTTP {status}: {e}")));
        }
    };
    let data = envelope.data.unwrap_or(serde_json::Value::Null);
    match envelope.status {
        Status::Success if status.is_success() => serde_json::from_value(data).map_err(|e| {
            CoreError::new(ErrorCode::BadResponse)
                .with_detail(format!("HTTP {status}: unexpected data: {e}"))
        }),
        Status::Success => Err(CoreError::new(ErrorCode::BadResponse)
            .with_detail(format!("HTTP {status} with a success envelope"))),
        Status::Error => {
            let code = envelope.code.unwrap_or(if status.is_server_error() {
                ErrorCode::Internal
            } else {
                ErrorCode::Unknown
            });
            Err(CoreError::new(code)
                .with_message(envelope.message)
                .with_data(serde_json::from_value::<ErrorData>(data).ok())
                .with_detail(format!("HTTP {status}")))
        }
    }
}

/// Characters kept as they are in a path segment (RFC 3986 unreserved); everything else is
/// percent-encoded, so an id can never reach another route.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `template` (one of [`xwms_api::security::paths`]) with its `{id}` replaced by `id`, percent-encoded. An empty
/// id, or `.`/`..`, is `field.required`/`field.invalid`.
pub fn path_with_id(template: &str, id: &str) -> Result<String, CoreError> {
    if id.is_empty() {
        return Err(CoreError::new(ErrorCode::FieldRequired).with_detail("empty id"));
    }
    if id == "." || id == ".." {
        return Err(CoreError::new(ErrorCode::FieldInvalid).with_detail("dot-segment id"));
    }
    let encoded = utf8_percent_encode(id, PATH_SEGMENT).to_string();
    Ok(xwms_api::security::paths::with_id(template, &encoded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    #[test]
    fn path_ids_are_encoded_and_empty_ones_refused() {
        use xwms_api::security::paths::{SECURITY_EVENT_CONFIRM, SESSION};
        assert_eq!(
            path_with_id(SESSION, "s_1-a.b~").unwrap(),
            "/api/account/sessions/s_1-a.b~"
        );
        assert_eq!(
            path_with_id(SESSION, "../../auth/signout?x=1#y").unwrap(),
            "/api/account/sessions/..%2F..%2Fauth%2Fsignout%3Fx%3D1%23y"
        );
        assert_eq!(
            path_with_id(SECURITY_EVENT_CONFIRM, "é v").unwrap(),
            "/api/account/security/events/%C3%A9%20v/confirm"
        );
        assert_eq!(
            path_with_id(SESSION, "").unwrap_err().code,
            ErrorCode::FieldRequired
        );
        assert_eq!(
            path_with_id(SESSION, "..").unwrap_err().code,
            ErrorCode::FieldInvalid
        );
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            attempts: 5,
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
        };
        assert_eq!(p.backoff(0), Duration::from_millis(100));
        assert_eq!(p.backoff(1), Duration::from_millis(200));
        assert_eq!(p.backoff(2), Duration::from_millis(350));
        assert_eq!(p.backoff(40), Duration::from_millis(350));
    }

    #[test]
    fn decodes_error_envelope_with_code() {
        let body =
            br#"{"status":"error","message":"Not found.","code":"request.not_found","data":null}"#;
        let err = decode_envelope::<serde_json::Value>(StatusCode::NOT_FOUND, body).unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
        assert_eq!(err.message, "Not found.");
    }

    #[test]
    fn error_data_reaches_the_core_error_and_the_body() {
        let body = br#"{"status":"error","message":"Incorrect code.","code":"code.incorrect","data":{"attempts_left":2,"field":"code"}}"#;
        let err = decode_envelope::<NoData>(StatusCode::BAD_REQUEST, body).unwrap_err();
        assert_eq!(err.code, ErrorCode::CodeIncorrect);
        let data = err.data.clone().unwrap();
        assert_eq!(data.attempts_left, Some(2));
        assert_eq!(data.field.as_deref(), Some("code"));
        assert_eq!(err.to_body().data, Some(data));
        // XWMS's own `data: {}` and odd shapes carry no facts.
        for body in [
            &br#"{"status":"error","message":"x","code":"auth.locked","data":{}}"#[..],
            &br#"{"status":"error","message":"x","code":"auth.locked","data":[1]}"#[..],
            &br#"{"status":"error","message":"x","code":"auth.locked"}"#[..],
        ] {
            let err = decode_envelope::<NoData>(StatusCode::LOCKED, body).unwrap_err();
            assert_eq!(err.code, ErrorCode::Locked);
            assert_eq!(err.data, None);
        }
    }

    #[test]
    fn no_data_accepts_any_success_but_typed_data_must_match() {
        for body in [
            &br#"{"status":"success","message":"ok","data":null}"#[..],
            &br#"{"status":"success","message":"ok","data":{}}"#[..],
            &br#"{"status":"success","message":"ok"}"#[..],
        ] {
            assert_eq!(decode_envelope::<NoData>(StatusCode::OK, body), Ok(NoData));
        }
        let err = decode_envelope::<Health>(
            StatusCode::OK,
            br#"{"status":"success","message":"ok","data":{"nope":1}}"#,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::BadResponse);
    }

    #[test]
    fn non_envelope_answers_are_bad_response_or_unavailable() {
        let err = decode_envelope::<serde_json::Value>(StatusCode::OK, b"<html>proxy</html>")
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::BadResponse);
        let err = decode_envelope::<serde_json::Value>(StatusCode::BAD_GATEWAY, b"Bad gateway")
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Unavailable);
    }

    #[test]
    fn error_envelope_without_code_from_xwms_keeps_message() {
        let body = br#"{"status":"error","message":"Incorrect code.","data":{}}"#;
        let err = decode_envelope::<serde_json::Value>(StatusCode::UNPROCESSABLE_ENTITY, body)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Unknown);
        assert_eq!(err.message, "Incorrect code.");
    }

    /// A tiny real HTTP server on loopback: fails with 503 `fail_first` times, then answers.
    async fn flaky_server(fail_first: u32) -> (String, Arc<AtomicU32>) {
        use axum::{http::StatusCode as S, routing::get, Router};
        let hits = Arc::new(AtomicU32::new(0));
        let h = hits.clone();
        let app = Router::new().route(
            "/api/health",
            get(move || {
                let h = h.clone();
                async move {
                    let n = h.fetch_add(1, Ordering::SeqCst);
                    if n < fail_first {
                        (S::SERVICE_UNAVAILABLE, r#"{"status":"error","message":"busy","code":"server.unavailable","data":null}"#)
                    } else {
                        (S::OK, r#"{"status":"success","message":"ok","data":{"status":"ok","version":"9.9.9","database":"ok"}}"#)
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}"), hits)
    }

    fn fast_retry(attempts: u32) -> RetryPolicy {
        RetryPolicy {
            attempts,
            first_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
        }
    }

    #[tokio::test]
    async fn idempotent_get_retries_503_then_succeeds() {
        let (base, hits) = flaky_server(2).await;
        let client =
            ApiClient::with_options(&base, "test", Timeouts::default(), fast_retry(3)).unwrap();
        let health = client.health().await.unwrap();
        assert_eq!(health.version, "9.9.9");
        assert_eq!(hits.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn gives_up_after_the_policy_and_keeps_the_code() {
        let (base, hits) = flaky_server(10).await;
        let client =
            ApiClient::with_options(&base, "test", Timeouts::default(), fast_retry(2)).unwrap();
        let err = client.health().await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Unavailable);
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }

    /// A POST that always answers 503, and a GET that echoes the bearer token it was sent.
    async fn recording_server() -> (String, Arc<AtomicU32>) {
        use axum::{
            http::{HeaderMap, StatusCode as S},
            routing::{get, post},
            Router,
        };
        let hits = Arc::new(AtomicU32::new(0));
        let h = hits.clone();
        let change = move |body: String| {
            let h = h.clone();
            async move {
                assert_eq!(body, r#"{"a":1}"#);
                h.fetch_add(1, Ordering::SeqCst);
                (
                    S::SERVICE_UNAVAILABLE,
                    r#"{"status":"error","message":"busy","code":"server.unavailable","data":null}"#,
                )
            }
        };
        let app = Router::new()
            .route("/api/change", post(change.clone()).patch(change))
            .route(
                "/api/whoami",
                get(|headers: HeaderMap| async move {
                    let auth = headers
                        .get("authorization")
                        .map(|v| v.to_str().unwrap().to_string())
                        .unwrap_or_default();
                    serde_json::json!({"status":"success","message":"ok","data":auth}).to_string()
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}"), hits)
    }

    #[tokio::test]
    async fn post_is_never_retried_and_bearer_is_sent() {
        let (base, hits) = recording_server().await;
        let client =
            ApiClient::with_options(&base, "test", Timeouts::default(), fast_retry(5)).unwrap();
        let err = client
            .post::<_, NoData>("api/change", &serde_json::json!({"a": 1}), None)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Unavailable);
        assert_eq!(hits.load(Ordering::SeqCst), 1, "a POST is sent once");
        let err = client
            .patch::<_, NoData>("api/change", &serde_json::json!({"a": 1}), None)
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Unavailable);
        assert_eq!(hits.load(Ordering::SeqCst), 2, "a PATCH is sent once");

        let token = Secret::new("tok-123");
        let seen: String = client.get_authed("api/whoami", &token).await.unwrap();
        assert_eq!(seen, "Bearer tok-123");
        let seen: String = client.get("api/whoami").await.unwrap();
        assert_eq!(seen, "");
    }

    #[tokio::test]
    async fn closed_port_is_offline() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let client = ApiClient::with_options(
            &format!("http://{addr}"),
            "test",
            Timeouts::default(),
            fast_retry(2),
        )
        .unwrap();
        assert_eq!(client.info().await.unwrap_err().code, ErrorCode::Offline);
    }
}
