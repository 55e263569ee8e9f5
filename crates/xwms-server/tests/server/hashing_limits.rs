//! Bounded hashing (R24): limits per client address before any hash, a bounded queue in front
//! of the hasher that answers `server.busy` when full, and limits on mail to addresses without
//! a verified account.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use xwms_api::auth::paths;
use xwms_api::ErrorCode;
use xwms_server::accounts::policy::{HashQueuePolicy, HASH_QUEUE, PER_ADDRESS, UNVERIFIED_MAIL};
use xwms_server::mail::MailKind;
use xwms_testkit::{HashCost, TestServer, TestServerOptions, ANNA};

use crate::support::{device, harness, harness_with, Harness, PASSWORD};

async fn post_from(
    h: &Harness,
    peer: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> crate::support::Answer {
    let mut call = h
        .call(axum::http::Method::POST, path, Some(body))
        .peer(peer);
    if let Some(token) = token {
        call = call.token(token);
    }
    call.send().await
}

/// The body of the `i`-th request of a table row.
type Body = Box<dyn Fn(usize) -> Value>;
/// A route that hashes: name, path, token, body, limit, window in seconds.
type Row<'a> = (&'static str, &'static str, Option<&'a str>, Body, u32, i64);

fn sign_up_body(i: usize) -> Value {
    json!({"name": "Lim", "email": format!("limit{i}@example.com"), "password": "Zz-12345678"})
}

/// For each route that hashes: `max` requests from one address within the window pass, the
/// next is `request.rate_limited` with the wait until the oldest leaves the window and runs no
/// hash; another address is not affected; after the wait the address may go on. On the
/// harness's injected clock.
#[tokio::test]
async fn routes_that_hash_are_limited_per_address_before_the_hash() {
    let h = harness();
    h.verified_user("owner@example.com", PASSWORD).await;
    let token = h
        .sign_in("owner@example.com", PASSWORD)
        .await
        .access_token
        .expose()
        .to_owned();
    let reset = json!({"email": "owner@example.com", "code": "123456", "challenge_id": "xwc_x", "new_password": "Zz-12345678"});
    // Right passwords, so that no lockout stops the hashing of the other address.
    let sign_in =
        json!({"email": "owner@example.com", "password": PASSWORD, "device": device("l")});
    let change_email =
        |i: usize| json!({"new_email": format!("new{i}@example.com"), "password": PASSWORD});
    // The re-authentication first, while the session is fresh.
    #[rustfmt::skip]
    let table: Vec<Row<'_>> = vec![
        ("re-authentication", paths::CHANGE_EMAIL,   Some(&token), Box::new(change_email),             PER_ADDRESS.password_checks.max, 600),
        ("sign-in",           paths::SIGN_IN,        None,         Box::new(move |_| sign_in.clone()), PER_ADDRESS.password_checks.max, 600),
        ("sign-up",           paths::SIGN_UP,        None,         Box::new(sign_up_body),             PER_ADDRESS.sign_ups.max,        3600),
        ("reset",             paths::RESET_PASSWORD, None,         Box::new(move |_| reset.clone()),   PER_ADDRESS.new_passwords.max,   3600),
    ];
    for (n, (name, path, token, body, max, window)) in table.into_iter().enumerate() {
        let peer = format!("198.51.100.{}", n + 1);
        for i in 0..max as usize {
            let answer = post_from(&h, &peer, path, token, body(i)).await;
            assert_ne!(
                answer.code(),
                Some(ErrorCode::RateLimited.as_str()),
                "{name} #{i}"
            );
            if i == 0 {
                h.advance(10);
            }
        }
        let hashes = h.hashes();
        let limited = post_from(&h, &peer, path, token, body(max as usize)).await;
        limited.err(ErrorCode::RateLimited);
        assert_eq!(limited.status, 429, "{name}");
        assert_eq!(limited.retry_after(), Some(window as u64 - 10), "{name}");
        assert_eq!(
            limited.headers.get("retry-after").unwrap(),
            &(window - 10).to_string(),
            "{name}"
        );
        assert_eq!(h.hashes(), hashes, "{name}: refused before any hash");
        // Another address is not affected.
        let other = post_from(&h, "203.0.113.9", path, token, body(1000 + n)).await;
        assert_ne!(
            other.code(),
            Some(ErrorCode::RateLimited.as_str()),
            "{name}"
        );
        assert!(h.hashes() > hashes, "{name}: another address hashes");
        // A second before the oldest leaves the window: still limited; then one more passes.
        h.advance(window - 11);
        post_from(&h, &peer, path, token, body(2000 + n))
            .await
            .err(ErrorCode::RateLimited);
        h.advance(1);
        let again = post_from(&h, &peer, path, token, body(3000 + n)).await;
        assert_ne!(
            again.code(),
            Some(ErrorCode::RateLimited.as_str()),
            "{name}: {}",
            again.body
        );
        h.advance(window);
    }
}

/// A `server.busy` answer ran no hash, so it does not count towards the address's limit: a
/// client that keeps trying again after `Retry-After` while the server is busy is not
/// rate-limited for it.
#[tokio::test]
async fn busy_answers_do_not_use_up_the_address_limit() {
    let h = harness_with(|services| {
        services.with_hash_queue(
            Some(1),
            HashQueuePolicy {
                waiters_per_permit: 0,
                ..HASH_QUEUE
            },
        )
    });
    h.verified_user("busy@example.com", PASSWORD).await;
    let peer = "198.51.100.60";
    let sign_in = json!({"email": "busy@example.com", "password": PASSWORD, "device": device("b")});
    let sign_up = sign_up_body(1);
    let held = h.state.accounts.hasher().occupy_all_permits().await;
    for _ in 0..PER_ADDRESS.password_checks.max + 5 {
        post_from(&h, peer, paths::SIGN_IN, None, sign_in.clone())
            .await
            .err(ErrorCode::Busy);
    }
    for _ in 0..PER_ADDRESS.sign_ups.max + 5 {
        post_from(&h, peer, paths::SIGN_UP, None, sign_up.clone())
            .await
            .err(ErrorCode::Busy);
    }
    drop(held);
    post_from(&h, peer, paths::SIGN_IN, None, sign_in)
        .await
        .ok(200);
    post_from(&h, peer, paths::SIGN_UP, None, sign_up)
        .await
        .ok(202);
}

/// Mail to addresses without a verified account: at most `per_address` per client address and
/// `global` for the server per hour. Over the limit the answer is unchanged (202, the same
/// body) but no mail goes out.
#[tokio::test]
async fn mail_to_unverified_addresses_is_limited_per_client_and_for_the_server() {
    let h = harness();
    let peer = "198.51.100.50";
    let per_address = UNVERIFIED_MAIL.per_address.max as usize;
    // One sign-up, then resends 46 s apart: the first `per_address` codes are mailed.
    let signed_up = post_from(&h, peer, paths::SIGN_UP, None, sign_up_body(0)).await;
    signed_up.ok(202);
    // Resends of that sign-up's challenge (a code is bound to the request that asked for it).
    let resend = json!({"email": "limit0@example.com", "challenge_id": crate::support::challenge(&signed_up)});
    let mut answers = vec![];
    for _ in 1..per_address + 3 {
        h.advance(46);
        let answer = post_from(&h, peer, paths::RESEND_VERIFICATION, None, resend.clone()).await;
        answer.ok(202);
        answers.push(answer.body);
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "the same answer each time"
    );
    h.deliver().await;
    let mailed = h.mailbox.to("limit0@example.com").len();
    assert_eq!(mailed, per_address, "mailed codes");
    // The sign-up of another address from the same client mails nothing either, answered alike.
    post_from(&h, peer, paths::SIGN_UP, None, sign_up_body(1))
        .await
        .ok(202);
    h.deliver().await;
    assert!(h.mailbox.to("limit1@example.com").is_empty());
    // Another client is not affected; the limited client mails again after the window.
    post_from(&h, "203.0.113.7", paths::SIGN_UP, None, sign_up_body(2))
        .await
        .ok(202);
    h.advance(3600);
    post_from(&h, peer, paths::RESEND_VERIFICATION, None, resend.clone())
        .await
        .ok(202);
    h.deliver().await;
    assert_eq!(h.mailbox.to("limit2@example.com").len(), 1);
    assert_eq!(h.mailbox.to("limit0@example.com").len(), per_address + 1);

    // The server-wide limit: many clients, each under its own limit.
    h.advance(3600);
    let global = UNVERIFIED_MAIL.global.max as usize;
    let before = h.mailbox.count();
    let mut challenges = std::collections::HashMap::new();
    for i in 0..global {
        let peer = format!("10.1.{}.{}", i / 200, i % 200 + 1);
        // Resends of one pending code per client, 46 s apart per address.
        let email = format!("g{}@example.com", i % 100);
        if i < 100 {
            let answer = post_from(
                &h,
                &peer,
                paths::SIGN_UP,
                None,
                json!({"name": "G", "email": email, "password": "Zz-12345678"}),
            )
            .await;
            answer.ok(202);
            challenges.insert(email.clone(), crate::support::challenge(&answer));
        } else {
            if i % 100 == 0 {
                h.advance(46);
            }
            post_from(
                &h,
                &peer,
                paths::RESEND_VERIFICATION,
                None,
                json!({"email": email, "challenge_id": challenges[&email]}),
            )
            .await
            .ok(202);
        }
    }
    h.deliver().await;
    assert_eq!(h.mailbox.count() - before, global);
    h.advance(46);
    post_from(
        &h,
        "192.0.2.200",
        paths::RESEND_VERIFICATION,
        None,
        json!({"email": "g1@example.com", "challenge_id": challenges["g1@example.com"]}),
    )
    .await
    .ok(202);
    post_from(&h, "192.0.2.201", paths::SIGN_UP, None, sign_up_body(3))
        .await
        .ok(202);
    h.deliver().await;
    assert_eq!(
        h.mailbox.count() - before,
        global,
        "over the server-wide limit"
    );
    // A verified account's reset code is not limited.
    h.advance(3600);
    h.verified_user("verified@example.com", PASSWORD).await;
    for i in 0..per_address + 2 {
        h.advance(46);
        post_from(
            &h,
            "192.0.2.201",
            paths::FORGOT_PASSWORD,
            None,
            json!({"email": "verified@example.com"}),
        )
        .await
        .ok(202);
        let _ = i;
    }
    h.deliver().await;
    assert_eq!(
        h.mailbox
            .to("verified@example.com")
            .iter()
            .filter(|m| m.kind == MailKind::ResetCode.as_str())
            .count(),
        per_address + 2
    );
}

/// Over real loopback sockets at the production hash cost with 2 permits, as on the 2-core
/// server: 500 parallel password resets from 50 addresses (under each address's limit) fill
/// the queue; the rest are answered `server.busy` with `Retry-After` at once, every request is
/// answered, and a normal sign-in from another address during the burst succeeds (its latency
/// is printed, not asserted).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_parallel_resets_get_busy_answers_and_a_sign_in_still_succeeds() {
    let server = TestServer::start_with(TestServerOptions {
        hash_cost: HashCost::PRODUCTION,
        hash_permits: Some(2),
        ..TestServerOptions::default()
    });
    let url = Arc::new(server.url());
    let port = server.addr().port();
    let client_from = |last: u8, third: u8| {
        reqwest::Client::builder()
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, third, last)))
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap()
    };
    let _ = port;
    let signer = client_from(2, 0);
    let sign_in = {
        let url = Arc::clone(&url);
        move |client: reqwest::Client| {
            let url = Arc::clone(&url);
            async move {
                let start = Instant::now();
                let response = client
                    .post(format!("{url}/api/auth/signin"))
                    .json(&json!({"email": ANNA.email, "password": ANNA.password, "device": device("owner")}))
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), start.elapsed())
            }
        }
    };
    // Warm up: the owner's sign-in works.
    assert_eq!(sign_in(signer.clone()).await.0, 200);

    let go = Arc::new(tokio::sync::Barrier::new(501));
    let mut burst = vec![];
    for i in 0..500usize {
        let client = client_from((i % 50) as u8 + 10, 1);
        let (url, go) = (Arc::clone(&url), Arc::clone(&go));
        burst.push(tokio::spawn(async move {
            go.wait().await;
            let response = client
                .post(format!("{url}/api/auth/password/reset"))
                .json(
                    &json!({"email": ANNA.email, "code": "123456", "challenge_id": "xwc_x", "new_password": "Zz-12345678"}),
                )
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = response.json().await.unwrap();
            (
                status,
                retry_after,
                body["code"].as_str().map(str::to_owned),
            )
        }));
    }
    go.wait().await;
    // Sign-ins from another address while the burst runs.
    let mut latencies = vec![];
    for _ in 0..10 {
        let (status, took) = sign_in(signer.clone()).await;
        assert_eq!(status, 200, "the owner signs in during the burst");
        latencies.push(took);
    }
    let (mut busy, mut checked) = (0, 0);
    for task in burst {
        let (status, retry_after, code) = task.await.unwrap();
        match (status, code.as_deref()) {
            (503, Some("server.busy")) => {
                assert_eq!(
                    retry_after,
                    Some(HASH_QUEUE.retry_after_seconds.to_string())
                );
                busy += 1;
            }
            // Hashed, then the code was judged.
            (400, Some(code)) if code.starts_with("code.") => checked += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    println!(
        "500 parallel resets: {busy} answered server.busy, {checked} hashed; owner sign-in during the burst p50 {:?}, p95 {:?}",
        pct(0.5),
        pct(0.95)
    );
    assert!(busy > 0, "a full queue answers server.busy");
    assert!(checked >= 2, "the queue still works through resets");
    assert_eq!(busy + checked, 500);
}
