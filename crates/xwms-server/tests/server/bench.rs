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
//!    concurrent connections.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use xwms_api::Secret;
use xwms_server::accounts::{HashCost, PasswordHasher};
use xwms_server::random::OsRandom;
use xwms_server::testing::{TestServer, TestServerOptions, ANNA};

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
        let (client, url) = (client.clone(), url.clone());
        signs.push(
            rate(total, cores * 2, move || {
                let (client, url) = (client.clone(), url.clone());
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
