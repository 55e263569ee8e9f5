//! The realtime channel with a real WebSocket client over loopback.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use xwms_api::security::{paths, AlertStatus, RealtimeEvent, SecurityEventKind};
use xwms_testkit::{MailKind, TestServer, ANNA};

use crate::support::device;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A signed-in session of the demo person.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub access: String,
    pub refresh: String,
}

pub async fn sign_in(client: &reqwest::Client, url: &str, installation: &str) -> Session {
    let answer: Value = client
        .post(format!("{url}/api/auth/signin"))
        .json(&json!({"email": ANNA.email, "password": ANNA.password, "device": device(installation)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = &answer["data"];
    assert_eq!(data["result"], "signed_in", "{answer}");
    Session {
        id: data["session_id"].as_str().unwrap().to_owned(),
        access: data["access_token"].as_str().unwrap().to_owned(),
        refresh: data["refresh_token"].as_str().unwrap().to_owned(),
    }
}

/// Opens the channel; the upgrade answer's status and body when it is refused.
pub async fn connect(url: &str, token: Option<&str>) -> Result<Socket, (u16, Value)> {
    let ws_url = format!("{}{}", url.replacen("http://", "ws://", 1), paths::REALTIME);
    let mut request = ws_url.into_client_request().unwrap();
    if let Some(token) = token {
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .as_ref()
                .map(|b| serde_json::from_slice(b).unwrap_or(Value::Null))
                .unwrap_or(Value::Null);
            Err((status, body))
        }
        Err(other) => panic!("connecting failed: {other}"),
    }
}

/// What arrives next: an event, or the close code.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Event(Box<RealtimeEvent>),
    Closed(Option<u16>),
}

pub async fn next(socket: &mut Socket) -> Frame {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(40), socket.next())
            .await
            .expect("a frame within 40 s");
        match message {
            Some(Ok(Message::Text(text))) => {
                return Frame::Event(Box::new(serde_json::from_str(text.as_str()).unwrap()))
            }
            Some(Ok(Message::Close(frame))) => return Frame::Closed(frame.map(|f| f.code.into())),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Frame::Closed(None),
        }
    }
}

/// Connects and reads the `ready` frame.
pub async fn open(url: &str, session: &Session) -> Socket {
    let mut socket = connect(url, Some(&session.access)).await.unwrap();
    assert_eq!(
        next(&mut socket).await,
        Frame::Event(Box::new(RealtimeEvent::Ready {
            session_id: session.id.clone()
        }))
    );
    socket
}

/// Reads until `session_revoked`, then expects the close (4001).
async fn expect_revoked(socket: &mut Socket, session: &Session, reason: &str) {
    loop {
        match next(socket).await {
            Frame::Event(event) => {
                if let RealtimeEvent::SessionRevoked {
                    session_id,
                    reason: r,
                } = *event
                {
                    assert_eq!(
                        (session_id.as_str(), r.as_str()),
                        (session.id.as_str(), reason)
                    );
                    break;
                }
            }
            Frame::Closed(code) => panic!("closed ({code:?}) before session_revoked ({reason})"),
        }
    }
    assert_eq!(next(socket).await, Frame::Closed(Some(4001)));
}

#[tokio::test]
async fn the_upgrade_needs_a_valid_access_token() {
    let server = TestServer::start();
    let url = server.url();
    let client = reqwest::Client::new();
    let (status, body) = connect(&url, None).await.err().unwrap();
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth.unauthorized"))
    );
    let session = sign_in(&client, &url, "rt-1").await;
    client
        .post(format!("{url}/api/auth/signout"))
        .bearer_auth(&session.access)
        .send()
        .await
        .unwrap();
    let (status, body) = connect(&url, Some(&session.access)).await.err().unwrap();
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth.session_revoked"))
    );
    assert_eq!(body["status"], "error");
}

#[tokio::test]
async fn removing_a_session_closes_its_socket_and_tells_the_others() {
    let server = TestServer::start();
    let url = server.url();
    let client = reqwest::Client::new();
    let a = sign_in(&client, &url, "rt-a").await;
    let b = sign_in(&client, &url, "rt-b").await;
    let mut socket_a = open(&url, &a).await;
    let mut socket_b = open(&url, &b).await;
    let mut socket_b2 = open(&url, &b).await;
    let answer = client
        .delete(format!("{url}{}", paths::with_id(paths::SESSION, &b.id)))
        .bearer_auth(&a.access)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    expect_revoked(&mut socket_b, &b, "removed").await;
    expect_revoked(&mut socket_b2, &b, "removed").await;
    assert_eq!(
        next(&mut socket_a).await,
        Frame::Event(Box::new(RealtimeEvent::SecurityChanged))
    );
}

#[tokio::test]
async fn a_new_device_is_pushed_to_the_other_sessions() {
    let server = TestServer::start();
    let url = server.url();
    let client = reqwest::Client::new();
    let a = sign_in(&client, &url, "rt-a").await;
    let mut socket_a = open(&url, &a).await;
    let b = sign_in(&client, &url, "rt-new").await;
    let event = loop {
        match next(&mut socket_a).await {
            Frame::Event(pushed) => {
                if let RealtimeEvent::NewSignIn { event } = *pushed {
                    break event;
                }
            }
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(event.kind, SecurityEventKind::NewDevice);
    assert_eq!(event.session_id.as_deref(), Some(b.id.as_str()));
    assert_eq!(event.alert_status, Some(AlertStatus::Pending));
    assert!(event.alert && event.session_active);
    assert_eq!(event.device.as_deref(), Some("anna-laptop"));
    assert!(server
        .mailbox()
        .wait_for(
            ANNA.email,
            MailKind::NewDeviceSignIn,
            0,
            Duration::from_secs(10)
        )
        .is_some());
}

/// Every way a session ends reaches its socket with its reason.
#[tokio::test]
async fn every_way_a_session_ends_reaches_its_socket() {
    let server = TestServer::start();
    let url = server.url();
    let client = reqwest::Client::new();
    let post = |path: &str, token: Option<&str>, body: Value| {
        let mut request = client.post(format!("{url}{path}")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    for (n, reason) in [
        "signed_out",
        "removed_with_others",
        "not_me",
        "password_changed",
        "password_reset",
        "refresh_token_reused",
    ]
    .into_iter()
    .enumerate()
    {
        let a = sign_in(&client, &url, &format!("rt-actor-{n}")).await;
        let b = sign_in(&client, &url, &format!("rt-victim-{n}")).await;
        let mut socket_a = open(&url, &a).await;
        let mut socket_b = open(&url, &b).await;
        let done = match reason {
            "signed_out" => post("/api/auth/signout", Some(&b.access), json!({})).await,
            "removed_with_others" => {
                post(paths::REVOKE_OTHER_SESSIONS, Some(&a.access), json!({"password": ANNA.password})).await
            }
            "not_me" => {
                let page: Value = client
                    .get(format!("{url}{}", paths::SECURITY_EVENTS))
                    .bearer_auth(&a.access)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let alert = page["data"]["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e["alert"] == true && e["session_id"] == json!(b.id))
                    .unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                post(&paths::with_id(paths::SECURITY_EVENT_DENY, &alert), Some(&a.access), json!({})).await
            }
            "password_changed" => {
                post(
                    "/api/account/password",
                    Some(&a.access),
                    json!({"current_password": ANNA.password, "new_password": ANNA.password, "sign_out_others": true}),
                )
                .await
            }
            "password_reset" => {
                let since = server.mailbox().count();
                let (status, sent) =
                    post("/api/auth/password/forgot", None, json!({"email": ANNA.email})).await;
                assert_eq!(status, 202, "{sent}");
                let challenge = sent["data"]["challenge_id"].as_str().unwrap().to_owned();
                let code = server
                    .wait_for_code(ANNA.email, MailKind::ResetCode, since)
                    .unwrap();
                post(
                    "/api/auth/password/reset",
                    None,
                    json!({"email": ANNA.email, "code": code, "challenge_id": challenge, "new_password": ANNA.password}),
                )
                .await
            }
            "refresh_token_reused" => {
                let body = json!({"refresh_token": b.refresh});
                let (status, _) = post("/api/auth/refresh", None, body.clone()).await;
                assert_eq!(status, 200);
                let (status, answer) = post("/api/auth/refresh", None, body).await;
                assert_eq!(status, 401, "{answer}");
                (200, answer)
            }
            _ => unreachable!(),
        };
        assert_eq!(done.0, 200, "{reason}: {}", done.1);
        expect_revoked(&mut socket_b, &b, reason).await;
        if reason == "password_reset" {
            // Every session ended, the actor's too.
            expect_revoked(&mut socket_a, &a, reason).await;
        } else {
            loop {
                match next(&mut socket_a).await {
                    Frame::Event(event) if *event == RealtimeEvent::SecurityChanged => break,
                    Frame::Event(_) => continue,
                    other => panic!("{reason}: {other:?}"),
                }
            }
        }
    }
}

/// A session that ends without the hub hearing of it (here: straight in the database, as
/// another server process would) closes its socket at the next keep-alive check.
#[tokio::test]
async fn the_keep_alive_check_closes_a_socket_whose_session_ended() {
    let server = TestServer::start();
    let url = server.url();
    let client = reqwest::Client::new();
    let a = sign_in(&client, &url, "rt-ka").await;
    let mut socket = open(&url, &a).await;
    let db = xwms_testkit::database_path(&server.data_dir());
    let id = a.id.clone();
    tokio::task::spawn_blocking(move || {
        let conn = rusqlite::Connection::open(db).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn.execute(
            "UPDATE sessions SET revoked_at = 1, revoke_reason = 'removed' WHERE id = ?1",
            [id],
        )
        .unwrap();
    })
    .await
    .unwrap();
    expect_revoked(&mut socket, &a, "removed").await;
}
