//! Shared helpers: a real store in a temp folder, a manual clock, seeded randomness, the fast
//! test hash cost, an in-memory mailbox, and one-shot requests through the whole router.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;
use time::macros::datetime;
use time::OffsetDateTime;
use tower::ServiceExt;
use xwms_api::auth::{DeviceInfo, SessionTokens};
use xwms_api::ErrorCode;
use xwms_server::mail::{MailKind, OutgoingMail};
use xwms_server::random::SeededRandom;
use xwms_server::secrets::SecretKeys;
use xwms_server::store::Store;
use xwms_server::{AppState, ManualClock, ServerInfo, Services};
use xwms_testkit::{MemoryMailer, TEST_HASH_COST};

pub const NOW: OffsetDateTime = datetime!(2026-05-06 07:08:09 UTC);

/// A password that passes the rule.
pub const PASSWORD: &str = "Tulip-Garden-42";
pub const OTHER_PASSWORD: &str = "Canal-Bridge-77";

/// App state over a fresh SQLite file; keep the folder alive as long as the state.
pub fn state() -> (AppState, TempDir) {
    let h = harness();
    (h.state, h.dir)
}

/// Everything a route test needs.
pub struct Harness {
    pub state: AppState,
    pub clock: ManualClock,
    pub mailbox: MemoryMailer,
    pub dir: TempDir,
}

pub fn harness() -> Harness {
    harness_with(|services| services)
}

/// A harness whose services `adjust` changes (e.g. a second factor).
pub fn harness_with(adjust: impl FnOnce(Services) -> Services) -> Harness {
    harness_in(tempfile::tempdir().unwrap(), ManualClock::new(NOW), adjust)
}

impl Harness {
    /// Closes the store and opens the same folder again, as a restarted server does (the server
    /// key is loaded and checked, plain secrets are sealed); same clock, new mailbox.
    pub fn reopen(self) -> Harness {
        self.state.store.close();
        // Another seed: ids and tokens drawn after the restart must not repeat the first ones.
        harness_in(self.dir, self.clock, |services| {
            services.with_random(Arc::new(SeededRandom::new(4242)))
        })
    }
}

/// A harness over the store in `dir` with `clock`.
pub fn harness_in(
    dir: TempDir,
    clock: ManualClock,
    adjust: impl FnOnce(Services) -> Services,
) -> Harness {
    let store = Store::open_in(dir.path()).unwrap();
    let keys = open_keys(&store, dir.path());
    let mailbox = MemoryMailer::new();
    let services = Services::new(Arc::new(clock.clone()), Arc::new(mailbox.clone()))
        .with_random(Arc::new(SeededRandom::new(42)))
        .with_hash_cost(TEST_HASH_COST);
    let services = adjust(services);
    let server = ServerInfo {
        name: "Test XWMS".into(),
        locale: "nl".into(),
        timezone: "Europe/Amsterdam".into(),
    };
    Harness {
        state: AppState::new(store, services, server, Arc::new(keys)),
        clock,
        mailbox,
        dir,
    }
}

/// The server key of a store in `dir` (`dir/secret.key`, made when missing), checked against the
/// store and with plain secrets sealed, as a starting server does.
pub fn open_keys(store: &Store, dir: &std::path::Path) -> SecretKeys {
    let path = dir.join(xwms_server::secrets::KEY_FILE);
    let mut keys = None;
    store
        .blocking(|conn| {
            keys = Some(xwms_server::secrets::load_and_prepare(conn, &path));
            Ok(())
        })
        .unwrap();
    keys.unwrap().expect("the server key")
}

#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn code(&self) -> Option<&str> {
        self.body["code"].as_str()
    }

    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    pub fn field(&self) -> Option<&str> {
        self.body["data"]["field"].as_str()
    }

    pub fn retry_after(&self) -> Option<u64> {
        self.body["data"]["retry_after_seconds"].as_u64()
    }

    /// Asserts a success with `status`.
    #[track_caller]
    pub fn ok(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.body["status"], "success", "{}", self.body);
        self
    }

    /// Asserts the error `code` with its HTTP status and default message.
    #[track_caller]
    pub fn err(&self, code: impl std::borrow::Borrow<ErrorCode>) -> &Self {
        let code = code.borrow();
        assert_eq!(self.code(), Some(code.as_str()), "{}", self.body);
        assert_eq!(self.status.as_u16(), code.http_status(), "{}", self.body);
        assert_eq!(self.body["status"], "error", "{}", self.body);
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            self.body
        );
        self
    }

    #[track_caller]
    pub fn err_field(&self, code: impl std::borrow::Borrow<ErrorCode>, field: &str) -> &Self {
        self.err(code);
        assert_eq!(self.field(), Some(field), "{}", self.body);
        self
    }
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
        .unwrap()
        .to_vec();
    // Every answer is JSON but `304 Not Modified`, which has no body at all, and a download
    // (`Content-Disposition: attachment`), whose bytes are in `bytes`.
    let download = headers.contains_key(axum::http::header::CONTENT_DISPOSITION);
    let body = if (status == StatusCode::NOT_MODIFIED && bytes.is_empty()) || download {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("{status}: not JSON: {:?}", String::from_utf8_lossy(&bytes)))
    };
    Answer {
        status,
        headers,
        body,
        bytes,
    }
}

pub async fn get(state: &AppState, uri: &str) -> Answer {
    send(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// Asserts `answer` is the error envelope for `code` with the code's HTTP status and no data.
pub fn assert_error(answer: &Answer, code: ErrorCode) {
    assert_eq!(
        answer.status.as_u16(),
        code.http_status(),
        "{}",
        answer.body
    );
    assert_eq!(
        answer.body,
        json!({"status": "error", "message": code.default_message(), "code": code.as_str(), "data": null})
    );
}

pub fn device(installation: &str) -> Value {
    json!({
        "name": "anna-laptop",
        "os": "linux",
        "app": "XWMS-Desktop",
        "app_version": "0.1.0",
        "installation_id": installation,
    })
}

pub fn device_info(installation: &str) -> DeviceInfo {
    serde_json::from_value(device(installation)).unwrap()
}

/// A request builder for the harness.
pub struct Call<'a> {
    h: &'a Harness,
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
    token: Option<String>,
    ip: Option<SocketAddr>,
    headers: Vec<(&'static str, String)>,
}

impl Call<'_> {
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    pub fn peer(mut self, ip: &str) -> Self {
        self.ip = Some(SocketAddr::new(ip.parse().unwrap(), 40000));
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    pub fn raw(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Some(bytes.into());
        self
    }

    pub async fn send(self) -> Answer {
        let mut builder = Request::builder().method(self.method).uri(&self.path);
        let typed = self
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
        if self.body.is_some() && !typed {
            builder = builder.header(CONTENT_TYPE, "application/json");
        }
        if let Some(token) = &self.token {
            builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in &self.headers {
            builder = builder.header(*name, value);
        }
        let mut request = builder
            .body(self.body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        if let Some(ip) = self.ip {
            request.extensions_mut().insert(ConnectInfo(ip));
        }
        send(&self.h.state, request).await
    }
}

impl Harness {
    pub fn call(&self, method: Method, path: &str, body: Option<Value>) -> Call<'_> {
        Call {
            h: self,
            method,
            path: path.to_owned(),
            body: body.map(|b| b.to_string().into_bytes()),
            token: None,
            ip: None,
            headers: vec![],
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).send().await
    }

    pub async fn post_auth(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body))
            .token(token)
            .send()
            .await
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, None).token(token).send().await
    }

    pub async fn patch_auth(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(body))
            .token(token)
            .send()
            .await
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.advance_secs(seconds);
    }

    /// Sends the queued mail (the background sender does not run in these tests).
    pub async fn deliver(&self) {
        self.state.outbox.deliver_due().await.unwrap();
    }

    /// The newest mail of `kind` to `to`, after delivering the queue.
    pub async fn last_mail(&self, to: &str, kind: MailKind) -> Option<OutgoingMail> {
        self.deliver().await;
        self.mailbox.last(to, kind)
    }

    /// The code of the newest mail of `kind` to `to`.
    #[track_caller]
    pub fn code(&self, to: &str, kind: MailKind) -> impl std::future::Future<Output = String> + '_ {
        let to = to.to_owned();
        async move {
            self.last_mail(&to, kind)
                .await
                .and_then(|m| m.code())
                .unwrap_or_else(|| panic!("no {} code for {to}", kind.as_str()))
        }
    }

    pub async fn sign_up(&self, name: &str, email: &str, password: &str) -> Answer {
        self.post(
            "/api/auth/signup",
            json!({"name": name, "email": email, "password": password}),
        )
        .await
    }

    /// Signs up and verifies `email`; the clock moves past every cooldown.
    pub async fn verified_user(&self, email: &str, password: &str) {
        let answer = self.sign_up("Test Person", email, password).await;
        answer.ok(202);
        let challenge = answer.data()["challenge_id"].as_str().unwrap().to_owned();
        let code = self.code(email, MailKind::VerifyEmail).await;
        self.post(
            "/api/auth/verify-email",
            json!({"email": email, "code": code, "challenge_id": challenge}),
        )
        .await
        .ok(200);
        self.advance(60);
    }

    pub async fn sign_in_answer(&self, email: &str, password: &str) -> Answer {
        self.post(
            "/api/auth/signin",
            json!({"email": email, "password": password, "device": device("install-1")}),
        )
        .await
    }

    /// Signs in and returns the tokens.
    pub async fn sign_in(&self, email: &str, password: &str) -> SessionTokens {
        let answer = self.sign_in_answer(email, password).await;
        answer.ok(200);
        assert_eq!(answer.data()["result"], "signed_in", "{}", answer.body);
        serde_json::from_value(answer.data().clone()).unwrap()
    }

    /// A verified, signed-in account.
    pub async fn signed_in(&self, email: &str) -> SessionTokens {
        self.verified_user(email, PASSWORD).await;
        self.sign_in(email, PASSWORD).await
    }

    /// How many password hashes ran so far.
    pub fn hashes(&self) -> u64 {
        self.state.accounts.hasher().runs()
    }

    /// Runs a query on the store.
    pub async fn query<R: Send + 'static>(
        &self,
        work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<R> + Send + 'static,
    ) -> R {
        self.state.store.call(move |c| work(c)).await.unwrap()
    }
}

/// Spawns a configured `xwms-server serve` command (its stdout piped, stderr dropped) and reads
/// its base URL from the first line it prints (`listening on http://127.0.0.1:PORT`).
pub fn spawn_listening(command: &mut std::process::Command) -> (std::process::Child, String) {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, url)
}

/// The challenge id of a `CodeSent` answer.
#[track_caller]
pub fn challenge(answer: &Answer) -> String {
    answer.data()["challenge_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no challenge in {}", answer.body))
        .to_owned()
}

/// The TOTP code of a base32 secret at `at` (what an authenticator app shows).
pub fn totp_code(secret_base32: &str, at: OffsetDateTime) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).unwrap();
    xwms_server::accounts::totp::code_at(secret.as_bytes(), at.unix_timestamp() as u64)
}

/// A valid body for each route that takes one (`{}` for the others).
pub fn valid_body(path: &str) -> Value {
    use xwms_api::auth::paths;
    use xwms_api::security::paths as sp;
    match path {
        p if p == paths::SIGN_UP => {
            json!({"name": "N", "email": "n@example.com", "password": PASSWORD})
        }
        p if p == paths::VERIFY_EMAIL || p == paths::UNLOCK => {
            json!({"email": "n@example.com", "code": "123456", "challenge_id": "xwc_x"})
        }
        p if p == paths::RESEND_VERIFICATION
            || p == paths::RESEND_UNLOCK
            || p == paths::FORGOT_PASSWORD =>
        {
            json!({"email": "n@example.com"})
        }
        p if p == paths::SIGN_IN => {
            json!({"email": "n@example.com", "password": PASSWORD, "device": device("i")})
        }
        p if p == paths::REFRESH => json!({"refresh_token": "xwms_rt_x"}),
        p if p == paths::RESET_PASSWORD => {
            json!({"email": "n@example.com", "code": "123456", "challenge_id": "xwc_x", "new_password": PASSWORD})
        }
        p if p == paths::RECOVERY_REQUEST => json!({
            "email": "n@example.com", "name": "N", "contact_email": "c@example.com", "lost": ["password"], "details": ""
        }),
        p if p == paths::PROFILE => json!({"name": "N"}),
        p if p == paths::CHANGE_EMAIL => {
            json!({"new_email": "m@example.com", "password": PASSWORD})
        }
        p if p == paths::CONFIRM_EMAIL => json!({"code": "123456", "challenge_id": "xwc_x"}),
        p if p == sp::TWO_FACTOR_ENABLE => json!({"code": "123456"}),
        p if p == paths::CHANGE_PASSWORD => {
            json!({"current_password": PASSWORD, "new_password": "Other-Pass-99"})
        }
        p if p == sp::SIGN_IN_SECOND_FACTOR => {
            json!({"challenge": "xwms_2fa_x", "method": "totp", "code": "123456"})
        }
        p if p == sp::TWO_FACTOR_SETUP
            || p == sp::RECOVERY_CODES
            || p == sp::REVOKE_OTHER_SESSIONS
            || p == paths::REAUTHENTICATE =>
        {
            json!({"password": PASSWORD})
        }
        p if p == sp::TWO_FACTOR_DISABLE => json!({"password": PASSWORD, "code": "123456"}),
        p if p == sp::API_CLIENTS || p == sp::API_CLIENT => json!({"name": "Script"}),
        p if p == xwms_api::help::paths::FEEDBACK => json!({"helpful": true, "lang": "en"}),
        p if p == xwms_api::support::paths::CONVERSATIONS => json!({
            "topic": "question", "subject": "S",
            "message": {"client_msg_id": "00000000-0000-4000-8000-000000000001", "body": "B"}
        }),
        p if p == xwms_api::support::paths::MESSAGES
            || p == xwms_api::support::paths::GUEST_MESSAGES =>
        {
            json!({"client_msg_id": "00000000-0000-4000-8000-000000000002", "body": "B"})
        }
        p if p == xwms_api::support::paths::READ || p == xwms_api::support::paths::GUEST_READ => {
            json!({"last_read_seq": 1})
        }
        p if p == xwms_api::support::paths::RATING => json!({"rating": 5}),
        p if p == xwms_api::agent::paths::SAVED_REPLIES => {
            json!({"title": "T", "body": "B", "language": "en"})
        }
        p if p == xwms_api::agent::paths::NOTES => {
            json!({"client_msg_id": "00000000-0000-4000-8000-000000000003", "body": "B"})
        }
        p if p == xwms_api::agent::paths::ASSIGN => {
            json!({"agent_id": "00000000000000000000000000000000"})
        }
        p if p == xwms_api::support::paths::DEFLECTIONS => json!({"article_id": "a"}),
        p if p == xwms_api::support::paths::GUEST_CODE => json!({"reference": "REC-AAAAAA"}),
        p if p == xwms_api::support::paths::GUEST_ACCESS => {
            json!({"reference": "REC-AAAAAA", "code": "123456"})
        }
        p if p == xwms_api::agent_actions::paths::SUSPEND => {
            json!({"reason": "Checked", "reason_code": "spam"})
        }
        p if p.starts_with("/api/agent/accounts/") => json!({"reason": "Checked"}),
        p if p == xwms_api::agent_actions::paths::APPEALS => {
            json!({"client_msg_id": "00000000-0000-4000-8000-000000000003", "body": "B"})
        }
        _ => json!({}),
    }
}

/// (method, path) of every route the OpenAPI document says takes a bearer token.
pub fn bearer_routes() -> Vec<(Method, &'static str)> {
    let document: Value = serde_json::from_str(&xwms_server::openapi_json()).unwrap();
    xwms_server::ROUTES
        .iter()
        .filter(|route| {
            let op = &document["paths"][route.path][route.method.as_str().to_lowercase()];
            op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|scheme| scheme.get("bearer").is_some()))
        })
        .map(|route| (route.method.clone(), route.path))
        .collect()
}

/// Whether the route at `method path` reads a request body (the document declares one).
pub fn takes_body(method: &Method, path: &str) -> bool {
    let document: Value = serde_json::from_str(&xwms_server::openapi_json()).unwrap();
    document["paths"][path][method.as_str().to_lowercase()]
        .get("requestBody")
        .is_some()
}

/// Whether the route at `method path` reads a JSON body (an upload reads raw bytes).
pub fn takes_json(method: &Method, path: &str) -> bool {
    let document: Value = serde_json::from_str(&xwms_server::openapi_json()).unwrap();
    document["paths"][path][method.as_str().to_lowercase()]["requestBody"]["content"]
        .get("application/json")
        .is_some()
}
