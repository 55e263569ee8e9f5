//! Benchmarks for the issue's note, ignored by default (they take a while and want a release
//! build):
//!
//! ```sh
//! cargo test -p xwms-server --release --test server bench -- --ignored --nocapture --test-threads 1
//! ```
//!
//! 1. password sign-ins per second on loopback at the production hash cost, next to the rate of
//!    the hash alone through the same bounded hasher, measured in the same run;
//! 2. p50/p99 latency of an authenticated request (`GET /api/account`) at 100 and 1000
//!    concurrent connections;
//! 3. the cost of one TOTP check;
//! 4. delivery latency (p50/p95) of `session_revoked` to 1,000 WebSocket clients when their
//!    sessions are revoked at once;
//! 5. resident memory of the release `xwms-server` binary (peak and after each burst) over 10
//!    bursts of 200 parallel sign-ins at the production hash cost (set `XWMS_SERVER_EXE` to
//!    measure another build of the binary).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use xwms_api::Secret;
use xwms_server::accounts::{HashCost, PasswordHasher};
use xwms_server::random::OsRandom;
use xwms_testkit::{TestServer, TestServerOptions, ANNA};

use crate::support::device;

async fn sign_in(client: &reqwest::Client, url: &str) -> serde_json::Value {
    let response = client
        .post(format!("{url}/api/auth/signin"))
        .json(&json!({"email": ANNA.email, "password": ANNA.password, "device": device("bench")}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// HTTP clients bound to `count` loopback addresses `127.0.<third>.1...`, handed out in turn.
struct ClientPool {
    clients: Vec<reqwest::Client>,
    next: std::sync::atomic::AtomicUsize,
}

impl ClientPool {
    fn new(third: u8, count: u8) -> ClientPool {
        let clients = (1..=count)
            .map(|last| {
                reqwest::Client::builder()
                    .local_address(std::net::IpAddr::V4(std::net::Ipv4Addr::new(
                        127, 0, third, last,
                    )))
                    .timeout(Duration::from_secs(120))
                    .build()
                    .unwrap()
            })
            .collect();
        ClientPool {
            clients,
            next: Default::default(),
        }
    }

    fn next(&self) -> reqwest::Client {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.clients[i % self.clients.len()].clone()
    }
}

/// Runs `total` jobs with `concurrency` at a time; returns jobs per second.
async fn rate<F, Fut>(total: usize, concurrency: usize, job: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (job, next) = (Arc::clone(&job), Arc::clone(&next));
            tokio::spawn(async move {
                while next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < total {
                    job().await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn bench_sign_ins_against_the_hash_bound_rate() {
    let server = TestServer::start_with(TestServerOptions {
        hash_cost: HashCost::PRODUCTION,
        ..TestServerOptions::default()
    });
    let url = server.url();
    let client = reqwest::Client::new();
    let sample = sign_in(&client, &url).await;
    assert_eq!(sample["data"]["result"], "signed_in");
    // Many clients, as in production: one address may check at most 60 passwords in 10
    // minutes (policy::PER_ADDRESS), and this benchmark checks a few hundred.
    let clients = Arc::new(ClientPool::new(2, 64));

    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let hasher = Arc::new(PasswordHasher::new(
        HashCost::PRODUCTION,
        Arc::new(OsRandom),
    ));
    let phc = Arc::new(hasher.hash(&Secret::new(ANNA.password)).await.unwrap());
    let total = 60;
    let hash_rate = |hasher: Arc<PasswordHasher>, phc: Arc<String>| {
        rate(total, cores * 2, move || {
            let (hasher, phc) = (Arc::clone(&hasher), Arc::clone(&phc));
            async move {
                assert!(hasher
                    .verify(&Secret::new(ANNA.password), &phc)
                    .await
                    .unwrap());
            }
        })
    };
    // Alternate the two measurements so that other load on the machine hits both alike.
    let (mut hashes, mut signs) = (vec![], vec![]);
    for _ in 0..3 {
        hashes.push(hash_rate(Arc::clone(&hasher), Arc::clone(&phc)).await);
        let (clients, url) = (Arc::clone(&clients), url.clone());
        signs.push(
            rate(total, cores * 2, move || {
                let (client, url) = (clients.next(), url.clone());
                async move {
                    sign_in(&client, &url).await;
                }
            })
            .await,
        );
    }
    hashes.push(hash_rate(hasher, phc).await);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (hash_bound, sign_ins) = (mean(&hashes), mean(&signs));
    println!(
        "BENCH sign-ins at m=19456,t=2,p=1 on {cores} cores: {sign_ins:.1}/s (rounds {signs:.1?}); \
         the hash alone through the same bounded hasher: {hash_bound:.1}/s (rounds {hashes:.1?}); \
         sign-ins reach {:.0}% of the hash-bound rate",
        100.0 * sign_ins / hash_bound
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn bench_authenticated_request_latency_at_100_and_1000_connections() {
    let server = TestServer::start();
    let url = server.url();
    let tokens = sign_in(&reqwest::Client::new(), &url).await;
    let token = tokens["data"]["access_token"].as_str().unwrap().to_owned();
    for (connections, per_connection) in [(100usize, 30usize), (1000, 6)] {
        // One client per connection, each connected before the clock starts.
        let mut clients = vec![];
        for _ in 0..connections {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap();
            clients.push(client);
        }
        let warm: Vec<_> = clients
            .iter()
            .map(|c| c.get(format!("{url}/api/health")).send())
            .collect();
        for w in warm {
            assert!(w.await.unwrap().status().is_success());
        }
        let barrier = Arc::new(tokio::sync::Barrier::new(connections));
        let start = Instant::now();
        let tasks: Vec<_> = clients
            .into_iter()
            .map(|client| {
                let (url, token, barrier) = (url.clone(), token.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    barrier.wait().await;
                    let mut times = Vec::with_capacity(per_connection);
                    for _ in 0..per_connection {
                        let t = Instant::now();
                        let response = client
                            .get(format!("{url}/api/account"))
                            .bearer_auth(&token)
                            .send()
                            .await
                            .unwrap();
                        assert_eq!(response.status(), 200);
                        response.bytes().await.unwrap();
                        times.push(t.elapsed());
                    }
                    times
                })
            })
            .collect();
        let mut all = vec![];
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        let elapsed = start.elapsed();
        all.sort_unstable();
        println!(
            "BENCH GET /api/account, {connections} concurrent connections: {} requests in {:.2} s ({:.0}/s); p50 {:.1} ms, p99 {:.1} ms",
            all.len(),
            elapsed.as_secs_f64(),
            all.len() as f64 / elapsed.as_secs_f64(),
            percentile(&all, 0.50).as_secs_f64() * 1000.0,
            percentile(&all, 0.99).as_secs_f64() * 1000.0,
        );
    }
}

/// 3. The cost of checking one TOTP code (two HMAC-SHA1 steps of the window, whatever matches).
#[test]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
fn bench_totp_verification_cost() {
    use xwms_server::accounts::totp;
    let secret = [42u8; 20];
    let t0: u64 = 1_778_051_289;
    let right = totp::code_at(&secret, t0);
    let rounds = 200_000u64;
    let mut accepted = 0u64;
    let start = Instant::now();
    for i in 0..rounds {
        let code = if i % 2 == 0 { right.as_str() } else { "000000" };
        if matches!(
            totp::verify(&secret, std::hint::black_box(code), t0, None),
            totp::TotpVerdict::Accept { .. }
        ) {
            accepted += 1;
        }
    }
    let elapsed = start.elapsed();
    assert_eq!(accepted, rounds / 2);
    println!(
        "BENCH TOTP verification: {:.2} µs per check ({rounds} checks, half right, in {:.2} s)",
        elapsed.as_secs_f64() * 1e6 / rounds as f64,
        elapsed.as_secs_f64()
    );
}

/// 4. 1,000 WebSocket clients on loopback, one session each (opened straight in the store: 1,000
///    sign-ins are not what is measured); one "sign out other sessions" revokes all of them.
///    Delivery latency of `session_revoked` from the request being sent to each client's frame.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn bench_realtime_revocation_delivery_to_1000_clients() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    use xwms_server::accounts::sessions;
    use xwms_server::accounts::ClientMeta;

    const CLIENTS: usize = 1000;
    let server = TestServer::start();
    let url = server.url();
    let client = reqwest::Client::new();
    let actor = crate::realtime::sign_in(&client, &url, "bench-actor").await;
    let account: serde_json::Value = client
        .get(format!("{url}/api/account"))
        .bearer_auth(&actor.access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_id = account["data"]["sub"].as_str().unwrap().to_owned();
    let db = xwms_testkit::database_path(&server.data_dir());
    let opened: Vec<crate::realtime::Session> = tokio::task::spawn_blocking(move || {
        let mut conn = rusqlite::Connection::open(db).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        let tx = conn.transaction().unwrap();
        let now = time::OffsetDateTime::now_utc();
        let client = ClientMeta {
            ip: "127.0.0.1".into(),
            user_agent: "bench".into(),
            language: None,
        };
        let out = (0..CLIENTS)
            .map(|n| {
                let issued = sessions::open(
                    &tx,
                    &OsRandom,
                    now,
                    &user_id,
                    &crate::support::device_info(&format!("bench-{n}")),
                    &client,
                )
                .unwrap();
                crate::realtime::Session {
                    id: issued.session_id.clone(),
                    access: issued.access_token.clone(),
                    refresh: issued.refresh_token.clone(),
                }
            })
            .collect();
        tx.commit().unwrap();
        out
    })
    .await
    .unwrap();

    let connect_start = Instant::now();
    let mut sockets = Vec::with_capacity(CLIENTS);
    for chunk in opened.chunks(50) {
        let opening: Vec<_> = chunk
            .iter()
            .map(|s| crate::realtime::open(&url, s))
            .collect();
        for socket in futures_util::future::join_all(opening).await {
            sockets.push(socket);
        }
    }
    let connect_time = connect_start.elapsed();

    let start = Arc::new(std::sync::OnceLock::<Instant>::new());
    let waiting: Vec<_> = sockets
        .into_iter()
        .map(|mut socket| {
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                loop {
                    match socket.next().await {
                        Some(Ok(Message::Text(text))) if text.contains("session_revoked") => {
                            return Instant::now() - *start.get().unwrap();
                        }
                        Some(Ok(_)) => continue,
                        other => panic!("socket ended without session_revoked: {other:?}"),
                    }
                }
            })
        })
        .collect();
    start.set(Instant::now()).unwrap();
    let response = client
        .post(format!("{url}/api/account/sessions/revoke-others"))
        .bearer_auth(&actor.access)
        .json(&json!({"password": ANNA.password}))
        .send()
        .await
        .unwrap();
    let answered = start.get().unwrap().elapsed();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["data"]["sessions_revoked"].as_u64().unwrap() >= CLIENTS as u64);
    let mut latencies = vec![];
    for task in waiting {
        latencies.push(task.await.unwrap());
    }
    latencies.sort_unstable();
    println!(
        "BENCH realtime: {CLIENTS} WebSocket clients connected in {:.2} s; revoke-others answered in {:.1} ms; \
         session_revoked delivered p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms (from the request)",
        connect_time.as_secs_f64(),
        answered.as_secs_f64() * 1000.0,
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.95).as_secs_f64() * 1000.0,
        latencies.last().unwrap().as_secs_f64() * 1000.0,
    );
}

/// `VmHWM` (peak resident) and `VmRSS` (resident now) of process `pid`, in MiB.
fn resident_mib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<u64>().ok())
            .map_or(0, |kib| kib / 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn bench_resident_memory_over_ten_bursts_of_200_parallel_sign_ins() {
    let exe = std::env::var("XWMS_SERVER_EXE")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_xwms-server").to_owned());
    let dir = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(&exe);
    for var in xwms_server::config::env::ALL_SETTINGS {
        command.env_remove(var);
    }
    command
        .env("XWMS_LOG", "warn")
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path());
    let (mut child, url) = crate::support::spawn_listening(&mut command);
    let pid = child.id();
    let (_, idle_at_start) = resident_mib(pid);
    // 200 addresses, one sign-in each per burst; a `server.busy` answer is tried again after
    // its `Retry-After`, as a client should.
    let clients = Arc::new(ClientPool::new(3, 200));
    let mut rows = vec![];
    let (mut busy, mut limited) = (0usize, 0usize);
    for burst in 1..=10 {
        let start = Instant::now();
        let jobs: Vec<_> = (0..200)
            .map(|_| {
                let (client, url) = (clients.next(), url.clone());
                tokio::spawn(async move {
                    let mut busy = 0;
                    loop {
                        let response = client
                            .post(format!("{url}/api/auth/signin"))
                            .json(&json!({"email": ANNA.email, "password": ANNA.password, "device": device("bench")}))
                            .send()
                            .await
                            .unwrap();
                        match response.status().as_u16() {
                            200 => return (busy, false),
                            503 => {
                                busy += 1;
                                let wait = response
                                    .headers()
                                    .get("retry-after")
                                    .and_then(|v| v.to_str().ok()?.parse().ok())
                                    .unwrap_or(1);
                                tokio::time::sleep(Duration::from_secs(wait)).await;
                            }
                            429 => return (busy, true),
                            other => panic!("sign-in answered {other}"),
                        }
                    }
                })
            })
            .collect();
        for job in jobs {
            let (b, l) = job.await.unwrap();
            busy += b;
            limited += usize::from(l);
        }
        let took = start.elapsed();
        let (peak, now) = resident_mib(pid);
        rows.push(format!(
            "burst {burst:>2}: {took:>6.1?}, peak {peak} MiB, after the burst {now} MiB"
        ));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (peak, idle) = resident_mib(pid);
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
    println!(
        "BENCH resident memory of {exe}, 10 bursts of 200 parallel sign-ins at m=19456,t=2,p=1:\n  \
         at start {idle_at_start} MiB\n  {}\n  peak (VmHWM) {peak} MiB, idle 2 s after the last burst {idle} MiB; \
         {busy} server.busy answers tried again, {limited} rate-limited",
        rows.join("\n  ")
    );
}

/// A number from the environment, else `default`.
fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// 6. Live support chat (`scripts/bench-support.sh`): `XWMS_BENCH_CLIENTS` people (default
///    1,000), each with a conversation and a realtime socket, and one agent socket (which hears
///    every event). A round: the agents answer every conversation (delivery measured at each
///    person's socket), then every person writes (measured at the agent's socket), with 1, 10,
///    then all messages in flight at once: send → arrival p50/p95/max per direction. With `XWMS_SOAK_MINUTES=M`, rounds
///    repeat every 6 s for M minutes, and every message is counted by client id on its
///    receiving socket and in the store: lost and doubled.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
async fn bench_support_chat_delivery() {
    use futures_util::StreamExt;
    use std::collections::HashMap;
    use std::sync::Mutex;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    use xwms_server::accounts::sessions;
    use xwms_server::accounts::ClientMeta;

    let people: usize = env_number("XWMS_BENCH_CLIENTS", 1000);
    let soak_minutes: f64 = env_number("XWMS_SOAK_MINUTES", 0.0);
    // Each agent stays far below its message limit during a soak.
    let agents = people.div_ceil(50).max(1);
    let server = TestServer::start_with(TestServerOptions {
        demo: false,
        ..TestServerOptions::default()
    });
    let url = server.url();
    let db = xwms_testkit::database_path(&server.data_dir());

    // Accounts and sessions straight in the store (sign-ins are not what is measured).
    let (person_tokens, agent_tokens): (Vec<String>, Vec<String>) =
        tokio::task::spawn_blocking(move || {
            let mut conn = rusqlite::Connection::open(db).unwrap();
            conn.busy_timeout(Duration::from_secs(10)).unwrap();
            let tx = conn.transaction().unwrap();
            let now = time::OffsetDateTime::now_utc();
            let client = ClientMeta {
                ip: "127.0.0.1".into(),
                user_agent: "bench".into(),
                language: None,
            };
            let open = |n: usize, role: &str| {
                let id = format!("bench-{role}-{n}");
                tx.execute(
                    "INSERT INTO users (id, name, email, email_key, email_verified, password_hash, role, created_at)
                     VALUES (?1, ?2, ?3, ?3, 1, 'x', ?4, 0)",
                    rusqlite::params![id, format!("Bench {role} {n}"), format!("{id}@example.com"), role],
                )
                .unwrap();
                sessions::open(
                    &tx,
                    &OsRandom,
                    now,
                    &id,
                    &crate::support::device_info(&id),
                    &client,
                )
                .unwrap()
                .access_token
            };
            let people: Vec<String> = (0..people).map(|n| open(n, "user")).collect();
            let agents: Vec<String> = (0..agents).map(|n| open(n, "agent")).collect();
            tx.commit().unwrap();
            (people, agents)
        })
        .await
        .unwrap();

    let pool = Arc::new(ClientPool::new(3, 50));
    let uuid = |n: u64| format!("00000000-0000-4000-8000-{n:012x}");
    let next_id = Arc::new(std::sync::atomic::AtomicU64::new(1));

    // One conversation per person.
    let mut conversations = vec![];
    for chunk in person_tokens.chunks(100) {
        let creating: Vec<_> = chunk
            .iter()
            .map(|token| {
                let (client, url, token) = (pool.next(), url.clone(), token.clone());
                let id = uuid(next_id.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
                async move {
                    let answer: serde_json::Value = client
                        .post(format!("{url}/api/support/conversations"))
                        .bearer_auth(&token)
                        .json(&json!({"topic": "question", "subject": "Bench", "message": {"client_msg_id": id, "body": "Hello"}}))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    answer["data"]["conversation"]["id"].as_str().unwrap().to_owned()
                }
            })
            .collect();
        conversations.extend(futures_util::future::join_all(creating).await);
    }

    // Arrivals by client id at the socket that should receive it.
    let arrivals: Arc<Mutex<HashMap<String, Vec<Instant>>>> = Arc::default();
    let ws_base = url.replacen("http://", "ws://", 1);
    let listen = |token: String, hear: &'static str| {
        let (arrivals, ws_base) = (Arc::clone(&arrivals), ws_base.clone());
        async move {
            let mut request = format!("{ws_base}/api/realtime")
                .into_client_request()
                .unwrap();
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
            let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
            let _ready = socket.next().await;
            tokio::spawn(async move {
                while let Some(Ok(message)) = socket.next().await {
                    let Message::Text(text) = message else {
                        continue;
                    };
                    let at = Instant::now();
                    let frame: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
                    let message = &frame["event"]["message"];
                    if frame["type"] == "support" && message["author"]["kind"] == hear {
                        let id = message["client_msg_id"].as_str().unwrap().to_owned();
                        arrivals.lock().unwrap().entry(id).or_default().push(at);
                    }
                }
            });
        }
    };
    let connect_start = Instant::now();
    for chunk in person_tokens.chunks(50) {
        futures_util::future::join_all(chunk.iter().map(|t| listen(t.clone(), "agent"))).await;
    }
    listen(agent_tokens[0].clone(), "person").await;
    let connect_time = connect_start.elapsed();

    // Sends one message per conversation, all at once: (client id, sent at) of each.
    let retries = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let send_round = |from_agents: bool, in_flight: usize| {
        let (pool, url, next_id) = (Arc::clone(&pool), url.clone(), Arc::clone(&next_id));
        let retries = Arc::clone(&retries);
        let sends: Vec<_> = conversations
            .iter()
            .enumerate()
            .map(|(i, conversation)| {
                let token = if from_agents {
                    agent_tokens[i % agent_tokens.len()].clone()
                } else {
                    person_tokens[i].clone()
                };
                let client = pool.next();
                let path = format!("{url}/api/support/conversations/{conversation}/messages");
                let id = uuid(next_id.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
                let retries = Arc::clone(&retries);
                async move {
                    let sent = Instant::now();
                    // A keep-alive connection the server closed as it was reused fails the
                    // request; sending again with the same client id is safe (exactly once),
                    // as the app's outbox does.
                    let mut tries = 0;
                    let response = loop {
                        match client
                            .post(&path)
                            .bearer_auth(&token)
                            .json(&json!({"client_msg_id": id, "body": "bench message"}))
                            .send()
                            .await
                        {
                            Ok(response) => break response,
                            Err(err) if tries < 3 => {
                                tries += 1;
                                retries.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                tracing::debug!(%err, "sending again");
                            }
                            Err(err) => panic!("{err}"),
                        }
                    };
                    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
                    (id, sent)
                }
            })
            .collect::<Vec<_>>();
        futures_util::stream::iter(sends)
            .buffer_unordered(in_flight)
            .collect::<Vec<_>>()
    };
    let settle = |sent: Vec<(String, Instant)>| {
        let arrivals = Arc::clone(&arrivals);
        async move {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let done = {
                    let arrivals = arrivals.lock().unwrap();
                    sent.iter().all(|(id, _)| arrivals.contains_key(id))
                };
                if done || Instant::now() > deadline {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let arrivals = arrivals.lock().unwrap();
            let mut latencies = vec![];
            let (mut lost, mut doubled) = (0, 0);
            for (id, at) in &sent {
                match arrivals.get(id) {
                    None => lost += 1,
                    Some(times) => {
                        doubled += times.len() - 1;
                        latencies.push(times[0] - *at);
                    }
                }
            }
            latencies.sort_unstable();
            (latencies, lost, doubled)
        }
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let report = |label: &str, latencies: &[Duration]| {
        if latencies.is_empty() {
            println!("BENCH support {label}: nothing arrived");
            return;
        }
        println!(
            "BENCH support {label}: {} messages, send → arrival p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            latencies.len(),
            ms(percentile(latencies, 0.50)),
            ms(percentile(latencies, 0.95)),
            ms(*latencies.last().unwrap()),
        );
    };
    println!(
        "BENCH support: {people} people and {agents} agents, {} sockets connected in {:.2} s",
        people + 1,
        connect_time.as_secs_f64()
    );
    let (mut sent_total, mut lost, mut doubled) = (0, 0, 0);
    // One message in flight at a time (each one's own latency, every socket connected), then
    // 10, then every client at the same moment.
    for in_flight in [1, 10, people] {
        let (to_people, lost_a, doubled_a) = settle(send_round(true, in_flight).await).await;
        report(
            &format!("agent → person, {in_flight} in flight"),
            &to_people,
        );
        let (to_agent, lost_b, doubled_b) = settle(send_round(false, in_flight).await).await;
        report(&format!("person → agent, {in_flight} in flight"), &to_agent);
        sent_total += 2 * people;
        lost += lost_a + lost_b;
        doubled += doubled_a + doubled_b;
    }

    if soak_minutes > 0.0 {
        let end = Instant::now() + Duration::from_secs_f64(soak_minutes * 60.0);
        let mut all = vec![];
        while Instant::now() < end {
            let round = Instant::now();
            let (a, la, da) = settle(send_round(true, people).await).await;
            let (b, lb, db) = settle(send_round(false, people).await).await;
            sent_total += 2 * people;
            lost += la + lb;
            doubled += da + db;
            all.extend(a);
            all.extend(b);
            tokio::time::sleep(Duration::from_secs(6).saturating_sub(round.elapsed())).await;
        }
        all.sort_unstable();
        report(&format!("soak {soak_minutes} min"), &all);
    }
    // The store holds each client id once.
    let db = xwms_testkit::database_path(&server.data_dir());
    let (rows, distinct): (i64, i64) = rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT count(*), count(DISTINCT author_id || client_msg_id) FROM support_messages WHERE client_msg_id IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    println!(
        "BENCH support: {sent_total} messages sent (+{people} first messages; {} sent again after a connection error); lost on the sockets {lost}, doubled on the sockets {doubled}; in the store {rows} rows, {distinct} distinct client ids",
        retries.load(std::sync::atomic::Ordering::SeqCst)
    );
}
