//! Limit keys (IPv4 address, IPv6 /64, X-Forwarded-For only from trusted proxies), the
//! realtime socket limits, request charsets, and the connection limits of the real executable.

use std::sync::Arc;

use axum::http::Method;
use futures_util::SinkExt;
use serde_json::json;
use xwms_api::ErrorCode;
use xwms_server::accounts::policy::{CONNECTIONS, IP_THROTTLE, REALTIME};
use xwms_server::net::TrustedProxies;
use xwms_testkit::TestServer;

use crate::realtime::{connect, next, open, sign_in, Frame, Socket};
use crate::support::{device, harness, Harness, OTHER_PASSWORD, PASSWORD};

const EMAIL: &str = "owner@example.com";

/// A wrong password for a different (unknown) account each time, so only the per-address
/// throttle can stop it.
async fn fail_sign_in(h: &Harness, i: u32, peer: &str, forwarded: Option<&str>) {
    let mut call = h
        .call(
            Method::POST,
            "/api/auth/signin",
            Some(json!({"email": format!("user{i}@example.com"), "password": OTHER_PASSWORD, "device": device("x")})),
        )
        .peer(peer);
    if let Some(forwarded) = forwarded {
        call = call.header("x-forwarded-for", forwarded);
    }
    call.send().await.err(ErrorCode::InvalidCredentials);
    h.advance(10);
}

async fn sign_in_from(h: &Harness, peer: &str, forwarded: Option<&str>) -> crate::support::Answer {
    let mut call = h
        .call(
            Method::POST,
            "/api/auth/signin",
            Some(json!({"email": EMAIL, "password": PASSWORD, "device": device("x")})),
        )
        .peer(peer);
    if let Some(forwarded) = forwarded {
        call = call.header("x-forwarded-for", forwarded);
    }
    call.send().await
}

#[tokio::test]
async fn ipv6_addresses_of_one_slash_64_share_the_sign_in_throttle() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    // A client rotating through its /64: each failure from a new address.
    for i in 0..IP_THROTTLE.max {
        fail_sign_in(&h, i, &format!("2001:db8::{:x}", i + 1), None).await;
    }
    sign_in_from(&h, "2001:db8::ffff:1", None)
        .await
        .err(ErrorCode::Throttled);
    // The neighbouring /64 is another client.
    sign_in_from(&h, "2001:db8:0:1::1", None).await.ok(200);
}

#[tokio::test]
async fn ipv4_mapped_addresses_are_their_ipv4_address() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    for i in 0..IP_THROTTLE.max {
        let peer = if i % 2 == 0 {
            "198.51.100.7"
        } else {
            "::ffff:198.51.100.7"
        };
        fail_sign_in(&h, i, peer, None).await;
    }
    sign_in_from(&h, "198.51.100.7", None)
        .await
        .err(ErrorCode::Throttled);
    sign_in_from(&h, "198.51.100.8", None).await.ok(200);
}

#[tokio::test]
async fn recovery_requests_are_limited_per_slash_64() {
    let h = harness();
    let body = |email: &str| {
        json!({
            "email": email,
            "name": "Anna de Vries",
            "contact_email": "anna.private@example.org",
            "lost": ["password"],
            "details": "Lost it.",
        })
    };
    for i in 1..=5 {
        h.call(
            Method::POST,
            "/api/auth/recovery-requests",
            Some(body("anna@example.com")),
        )
        .peer(&format!("2001:db8:5::{i}"))
        .send()
        .await
        .ok(202);
        h.advance(60);
    }
    h.call(
        Method::POST,
        "/api/auth/recovery-requests",
        Some(body("anna@example.com")),
    )
    .peer("2001:db8:5::99")
    .send()
    .await
    .err(ErrorCode::RateLimited);
    h.call(
        Method::POST,
        "/api/auth/recovery-requests",
        Some(body("anna@example.com")),
    )
    .peer("2001:db8:6::1")
    .send()
    .await
    .ok(202);
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    // Each failure claims another client address; the peer is what counts.
    for i in 0..IP_THROTTLE.max {
        fail_sign_in(&h, i, "198.51.100.7", Some(&format!("203.0.113.{i}"))).await;
    }
    sign_in_from(&h, "198.51.100.7", Some("203.0.113.200"))
        .await
        .err(ErrorCode::Throttled);
}

#[tokio::test]
async fn forwarded_for_from_a_trusted_proxy_names_the_client() {
    let mut h = harness();
    h.state.proxies = Arc::new(TrustedProxies::new(vec!["127.0.0.1".parse().unwrap()]));
    h.verified_user(EMAIL, PASSWORD).await;
    // One client behind the proxy fails too often (with a forged left-most hop each time).
    for i in 0..IP_THROTTLE.max {
        let chain = format!("10.9.9.{i}, 203.0.113.9");
        fail_sign_in(&h, i, "127.0.0.1", Some(&chain)).await;
    }
    sign_in_from(&h, "127.0.0.1", Some("203.0.113.9"))
        .await
        .err(ErrorCode::Throttled);
    // Another client behind the same proxy is not affected, and its session shows its address.
    let answer = sign_in_from(&h, "127.0.0.1", Some("203.0.113.10")).await;
    answer.ok(200);
    let token = answer.data()["access_token"].as_str().unwrap().to_owned();
    let sessions = h.get_auth("/api/account/sessions", &token).await;
    sessions.ok(200);
    assert!(
        sessions.body.to_string().contains("\"203.0.113.10\""),
        "{}",
        sessions.body
    );
}

#[tokio::test]
async fn json_in_another_charset_is_refused() {
    let h = harness();
    h.verified_user(EMAIL, PASSWORD).await;
    let hashes = h.hashes();
    for charset in ["utf-16", "UTF-16LE", "iso-8859-1"] {
        let answer = h
            .call(
                Method::POST,
                "/api/auth/signin",
                Some(json!({"email": EMAIL, "password": PASSWORD, "device": device("x")})),
            )
            .header(
                "content-type",
                &format!("application/json; charset={charset}"),
            )
            .send()
            .await;
        answer.err(ErrorCode::InvalidRequest);
        assert_eq!(answer.status.as_u16(), 400);
        assert!(
            answer.body["message"].as_str().unwrap().contains("UTF-8"),
            "{}",
            answer.body
        );
    }
    assert_eq!(h.hashes(), hashes, "nothing was read as a password");
    h.call(
        Method::POST,
        "/api/auth/signin",
        Some(json!({"email": EMAIL, "password": PASSWORD, "device": device("x")})),
    )
    .header("content-type", "application/json; charset=UTF-8")
    .send()
    .await
    .ok(200);
}

/// Connects until the server has let go of a closed socket (its close is seen by the client a
/// moment before the server's task ends).
async fn connect_when_free(url: &str, token: &str) -> Socket {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match connect(url, Some(token)).await {
            Ok(socket) => return socket,
            Err((429, _)) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(other) => panic!("refused: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_holds_at_most_five_sockets_and_a_closed_one_frees_its_place() {
    let server = TestServer::start();
    let url = server.url();
    let client = reqwest::Client::new();
    let session = sign_in(&client, &url, "sockets-session").await;
    let mut sockets = vec![];
    for _ in 0..REALTIME.max_sockets_per_session {
        sockets.push(open(&url, &session).await);
    }
    let (status, body) = connect(&url, Some(&session.access)).await.err().unwrap();
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["code"], "realtime.too_many_sockets", "{body}");

    let mut first = sockets.remove(0);
    first.close(None).await.unwrap();
    while !matches!(next(&mut first).await, Frame::Closed(_)) {}
    let mut sixth = connect_when_free(&url, &session.access).await;
    assert!(matches!(next(&mut sixth).await, Frame::Event(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_holds_at_most_twenty_sockets() {
    let server = TestServer::start();
    let url = server.url();
    let client = reqwest::Client::new();
    let mut sockets = vec![];
    let sessions = REALTIME
        .max_sockets_per_account
        .div_ceil(REALTIME.max_sockets_per_session);
    for s in 0..sessions {
        let session = sign_in(&client, &url, &format!("sockets-account-{s}")).await;
        for _ in 0..REALTIME.max_sockets_per_session {
            sockets.push(open(&url, &session).await);
        }
    }
    assert_eq!(sockets.len(), 20);
    let another = sign_in(&client, &url, "sockets-account-extra").await;
    let (status, body) = connect(&url, Some(&another.access)).await.err().unwrap();
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("realtime.too_many_sockets")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_sixteen_kib_closes_the_socket() {
    use tokio_tungstenite::tungstenite::Message;
    let server = TestServer::start();
    let url = server.url();
    let client = reqwest::Client::new();
    let session = sign_in(&client, &url, "big-frame").await;

    // A small frame is ignored; the socket stays usable.
    let mut socket = open(&url, &session).await;
    socket
        .send(Message::Binary(vec![7u8; 1024].into()))
        .await
        .unwrap();
    socket.send(Message::Ping(vec![1].into())).await.unwrap();
    use futures_util::StreamExt;
    let pong = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
        .await
        .expect("an answer to the ping");
    assert!(matches!(pong, Some(Ok(Message::Pong(_)))), "{pong:?}");

    // 1 MiB closes it.
    let _ = socket
        .send(Message::Binary(vec![7u8; 1 << 20].into()))
        .await;
    assert!(matches!(next(&mut socket).await, Frame::Closed(_)));
    // Just over the limit too.
    let mut socket = open(&url, &session).await;
    let _ = socket
        .send(Message::Text(
            "x".repeat(REALTIME.max_inbound_bytes + 1).into(),
        ))
        .await;
    assert!(matches!(next(&mut socket).await, Frame::Closed(_)));
}

/// Raises this process's soft open-file limit to `want` if it is lower (the hard limit
/// permitting), so the test can hold more connections than the server may.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)]
fn raise_own_file_limit(want: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain libc calls on a struct we own.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        if limit.rlim_cur < want as libc::rlim_t {
            limit.rlim_cur = (want as libc::rlim_t).min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
    }
    limit.rlim_cur as u64
}

/// R25: with the open-file limit at 1,024, 1,100 idle or half-sent connections neither keep
/// health checks out nor stay open past the header-read timeout.
#[cfg(unix)]
#[test]
fn idle_and_half_sent_connections_neither_exhaust_the_server_nor_stay_open() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    const FLOOD: usize = 1_100;
    assert!(
        raise_own_file_limit(4096) >= 1_300,
        "the test needs about 1,300 descriptors of its own"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("ulimit -n 1024 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_xwms-server"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path());
    for var in xwms_server::config::env::ALL_SETTINGS {
        command.env_remove(var);
    }
    let mut child = command
        .env("XWMS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _child = Kill(child);
    let addr = line
        .trim_end()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let limits =
        std::fs::read_to_string(format!("/proc/{}/limits", _child.0.id())).unwrap_or_default();
    if let Some(row) = limits.lines().find(|l| l.starts_with("Max open files")) {
        println!("server: {row}");
    }

    let started = Instant::now();
    let mut flood = Vec::with_capacity(FLOOD);
    for i in 0..FLOOD {
        let mut stream = TcpStream::connect(&addr).unwrap();
        if i % 2 == 1 {
            // Half a request head, never finished.
            stream
                .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
        }
        flood.push(stream);
    }
    println!(
        "opened {FLOOD} idle or half-sent connections in {:?}",
        started.elapsed()
    );

    let health = |label: &str| {
        let started = Instant::now();
        let mut stream = TcpStream::connect(&addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        let read = stream.read_to_string(&mut answer);
        let took = started.elapsed();
        println!("health check {label}: {took:?}");
        assert!(
            read.is_ok() && answer.starts_with("HTTP/1.1 200"),
            "{label}: {read:?} {answer:?}"
        );
        took
    };
    for i in 0..3 {
        health(&format!("#{} under the flood", i + 1));
    }

    // Every flood connection is closed by the server: evicted to make room, or by the
    // header-read timeout. None is left open past it (plus slack for a slow machine).
    let deadline = Instant::now() + CONNECTIONS.header_read_timeout + Duration::from_secs(20);
    let mut still_open = 0;
    for stream in &mut flood {
        let left = deadline.saturating_duration_since(Instant::now());
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        let mut buf = [0u8; 512];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                // A timeout answer (408) may come before the close.
                Ok(_) => continue,
                Err(err)
                    if matches!(
                        err.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    still_open += 1;
                    break;
                }
                // Reset: closed with unread data.
                Err(_) => break,
            }
        }
    }
    println!(
        "all flood connections closed {:?} after they were opened",
        started.elapsed()
    );
    assert_eq!(still_open, 0, "connections left open past the timeout");
    health("after the flood");
}

/// The executable reads its trusted proxies from `XWMS_TRUSTED_PROXIES`: a sign-in through
/// the proxy is recorded with the forwarded address; without the setting, with the peer's.
#[test]
fn the_executable_believes_forwarded_for_only_from_its_trusted_proxies() {
    use std::process::Command;
    use xwms_testkit::ANNA;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (trusted, want) in [
        (Some("10.0.0.0/8,127.0.0.1"), "203.0.113.77"),
        (None, "127.0.0.1"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_xwms-server"));
        for var in xwms_server::config::env::ALL_SETTINGS {
            command.env_remove(var);
        }
        if let Some(trusted) = trusted {
            command.env(xwms_server::config::env::TRUSTED_PROXIES, trusted);
        }
        command
            .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("XWMS_LOG", "warn");
        let (mut child, url) = crate::support::spawn_listening(&mut command);
        let sessions = runtime.block_on(async {
            let client = reqwest::Client::new();
            let answer: serde_json::Value = client
                .post(format!("{url}/api/auth/signin"))
                .header("x-forwarded-for", "203.0.113.77")
                .json(&json!({"email": ANNA.email, "password": ANNA.password, "device": device("proxied")}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let token = answer["data"]["access_token"]
                .as_str()
                .unwrap_or_else(|| panic!("{answer}"))
                .to_owned();
            let sessions: serde_json::Value = client
                .get(format!("{url}{}", xwms_api::security::paths::SESSIONS))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            sessions
        });
        let _ = child.kill();
        let _ = child.wait();
        let current: Vec<&serde_json::Value> = sessions["data"]["sessions"]
            .as_array()
            .unwrap_or_else(|| panic!("{sessions}"))
            .iter()
            .filter(|s| s["current"] == true)
            .collect();
        assert_eq!(current.len(), 1, "{sessions}");
        assert_eq!(current[0]["ip"], want, "trusted {trusted:?}: {sessions}");
    }
}

/// The app on a loopback listener served by `connections::serve` with `policy`.
async fn serve_with(
    policy: xwms_server::accounts::policy::ConnectionPolicy,
) -> (
    std::net::SocketAddr,
    Harness,
    tokio::sync::oneshot::Sender<()>,
) {
    let h = harness();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(xwms_server::connections::serve(
        listener,
        xwms_server::app(h.state.clone()),
        policy,
        async move {
            let _ = stopped.await;
        },
        std::time::Duration::from_secs(1),
    ));
    (addr, h, stop)
}

/// Reads until the server closes the connection (EOF or reset), or `within` passes.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: std::time::Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .is_ok()
}

async fn health_over(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_on_which_nothing_moves_is_closed_after_the_idle_timeout() {
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    // The header-read timeout out of the way, so only the idle timer can close it.
    let policy = xwms_server::accounts::policy::ConnectionPolicy {
        header_read_timeout: Duration::from_secs(3600),
        idle_timeout: Duration::from_millis(500),
        ..CONNECTIONS
    };
    let (addr, _h, _stop) = serve_with(policy).await;
    let mut stalled = tokio::net::TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(b"GET /api/health HTTP/1.1\r\n")
        .await
        .unwrap();
    // A connection in use stays open across several idle periods.
    let mut used = tokio::net::TcpStream::connect(addr).await.unwrap();
    for _ in 0..4 {
        assert!(health_over(&mut used).await.starts_with("HTTP/1.1 200"));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        closed_within(&mut stalled, Duration::from_secs(10)).await,
        "the stalled connection is still open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_cap_the_connection_idle_the_longest_makes_room() {
    use std::time::Duration;
    let policy = xwms_server::accounts::policy::ConnectionPolicy {
        max_connections: 4,
        ..CONNECTIONS
    };
    let (addr, _h, _stop) = serve_with(policy).await;
    let mut idle = vec![];
    for _ in 0..4 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        // Served once, so each one is known to hold a slot.
        assert!(health_over(&mut stream).await.starts_with("HTTP/1.1 200"));
        idle.push(stream);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The fifth gets in; the oldest idle one was closed for it, the others are still open.
    let mut fifth = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(health_over(&mut fifth).await.starts_with("HTTP/1.1 200"));
    assert!(closed_within(&mut idle[0], Duration::from_secs(5)).await);
    for stream in &mut idle[1..] {
        assert!(health_over(stream).await.starts_with("HTTP/1.1 200"));
    }
}
