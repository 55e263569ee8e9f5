//! "Was this helpful?" under stuffing: one vote per installation per article (a later vote
//! replaces the earlier one), a limit per client address, and running totals that agree with a
//! recount of the rows.

use std::time::Instant;

use serde_json::json;
use xwms_api::ErrorCode;
use xwms_server::accounts::policy::HELP_FEEDBACK_PER_IP;

use crate::support::{harness, Answer, Harness};

const PATH: &str = "/api/help/articles/enable-2fa/feedback";

async fn vote(h: &Harness, ip: &str, installation: Option<&str>, helpful: bool) -> Answer {
    let mut body = json!({"helpful": helpful, "lang": "en"});
    if let Some(id) = installation {
        body["installation_id"] = json!(id);
    }
    h.call(axum::http::Method::POST, PATH, Some(body))
        .peer(ip)
        .send()
        .await
}

fn totals(answer: &Answer) -> (u64, u64) {
    answer.ok(200);
    (
        answer.data()["helpful"].as_u64().unwrap(),
        answer.data()["not_helpful"].as_u64().unwrap(),
    )
}

/// The totals recounted from the rows.
async fn recount(h: &Harness) -> (i64, i64) {
    h.query(|c| {
        c.query_row(
            "SELECT (SELECT coalesce(sum(helpful), 0) FROM help_votes WHERE id = 'enable-2fa')
                  + (SELECT coalesce(sum(helpful), 0) FROM help_feedback WHERE id = 'enable-2fa'),
                    (SELECT count(*) - coalesce(sum(helpful), 0) FROM help_votes WHERE id = 'enable-2fa')
                  + (SELECT count(*) - coalesce(sum(helpful), 0) FROM help_feedback WHERE id = 'enable-2fa')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    })
    .await
}

#[tokio::test]
async fn a_thousand_votes_from_one_installation_count_once() {
    let h = harness();
    let started = Instant::now();
    // From a thousand addresses, so the per-address limit is not what stops them.
    for n in 0..1000u32 {
        let ip = format!("10.0.{}.{}", n / 250, n % 250 + 1);
        let answer = vote(&h, &ip, Some("0123456789abcdef0123456789abcdef"), true).await;
        assert_eq!(totals(&answer), (1, 0), "vote {n}");
    }
    let elapsed = started.elapsed();
    println!(
        "help feedback: 1000 votes in {:.0} ms ({:.0} votes/s, in-process, one installation)",
        elapsed.as_secs_f64() * 1000.0,
        1000.0 / elapsed.as_secs_f64()
    );
    // A changed answer replaces the first; another installation counts on its own.
    let changed = vote(
        &h,
        "10.9.9.9",
        Some("0123456789abcdef0123456789abcdef"),
        false,
    )
    .await;
    assert_eq!(totals(&changed), (0, 1));
    let other = vote(
        &h,
        "10.9.9.9",
        Some("fedcba9876543210fedcba9876543210"),
        true,
    )
    .await;
    assert_eq!(totals(&other), (1, 1));
    let rows: i64 = h
        .query(|c| c.query_row("SELECT count(*) FROM help_votes", [], |r| r.get(0)))
        .await;
    assert_eq!(rows, 2, "one row per installation and article");
    assert_eq!(recount(&h).await, (1, 1));
    // An installation id must be a short, clean label.
    vote(&h, "10.9.9.9", Some(""), true)
        .await
        .err_field(ErrorCode::FieldRequired, "installation_id");
    vote(&h, "10.9.9.9", Some(&"x".repeat(101)), true)
        .await
        .err_field(ErrorCode::FieldTooLong, "installation_id");
    vote(&h, "10.9.9.9", Some("abc\u{202E}def"), true)
        .await
        .err_field(ErrorCode::FieldInvalid, "installation_id");
}

#[tokio::test]
async fn votes_are_limited_per_address() {
    let h = harness();
    let ip = "192.0.2.7";
    for n in 0..HELP_FEEDBACK_PER_IP.max {
        vote(&h, ip, Some(&format!("installation-{n}")), true)
            .await
            .ok(200);
    }
    let refused = vote(&h, ip, Some("one-more"), true).await;
    refused.err(ErrorCode::RateLimited);
    assert_eq!(refused.status.as_u16(), 429);
    assert_eq!(refused.retry_after(), Some(3600));
    // Without an installation id too.
    vote(&h, ip, None, true).await.err(ErrorCode::RateLimited);
    // Refused votes are not counted.
    assert_eq!(recount(&h).await, (i64::from(HELP_FEEDBACK_PER_IP.max), 0));
    // Another address is not affected; the window ends.
    vote(&h, "192.0.2.8", Some("one-more"), true).await.ok(200);
    h.advance(3600);
    vote(&h, ip, Some("later"), true).await.ok(200);
}

#[tokio::test]
async fn running_totals_match_a_recount() {
    let h = harness();
    let mut expected: std::collections::HashMap<String, bool> = Default::default();
    let mut anonymous = (0u64, 0u64);
    let mut last = (0, 0);
    // 40 installations vote, change their minds, repeat; some votes come without an id.
    for round in 0..3u32 {
        for n in 0..40u32 {
            let ip = format!("198.51.100.{}", n + 1);
            let helpful = (n + round) % 3 != 0;
            if n % 10 == 9 {
                let answer = vote(&h, &ip, None, helpful).await;
                if helpful {
                    anonymous.0 += 1;
                } else {
                    anonymous.1 += 1;
                }
                last = totals(&answer);
            } else {
                let id = format!("installation-{n}");
                let answer = vote(&h, &ip, Some(&id), helpful).await;
                expected.insert(id, helpful);
                last = totals(&answer);
            }
        }
    }
    let yes = expected.values().filter(|v| **v).count() as u64 + anonymous.0;
    let no = expected.values().filter(|v| !**v).count() as u64 + anonymous.1;
    assert_eq!(last, (yes, no));
    assert_eq!(recount(&h).await, (yes as i64, no as i64));
    let stored: (i64, i64) = h
        .query(|c| {
            c.query_row(
                "SELECT helpful, not_helpful FROM help_feedback_totals WHERE id = 'enable-2fa'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await;
    assert_eq!(stored, (yes as i64, no as i64));
}

/// Prints what one vote costs as the table grows (run in release:
/// `cargo test -p xwms-server --release --test server bench_help_feedback -- --ignored --nocapture`).
/// With running totals the cost stays flat; a recount per vote grows with the rows.
#[tokio::test]
#[ignore]
async fn bench_help_feedback_vote_cost_stays_flat() {
    use xwms_api::help::Language;
    use xwms_server::help::{record_feedback, FeedbackVote};
    let h = harness();
    let at = time::macros::datetime!(2026-05-06 07:00 UTC);
    let total = 20_000u32;
    let batch = 1_000u32;
    let mut per_batch = vec![];
    for start in (0..total).step_by(batch as usize) {
        let started = Instant::now();
        h.state
            .store
            .call(move |conn| {
                for n in start..start + batch {
                    let tx = conn.transaction()?;
                    let (installation, ip) = (format!("installation-{n}"), format!("ip-{n}"));
                    let vote = FeedbackVote {
                        id: "enable-2fa",
                        lang: Language::En,
                        helpful: n % 3 != 0,
                        installation: Some(&installation),
                        ip: &ip,
                    };
                    record_feedback(&tx, &vote, at)?.expect("under the limit");
                    tx.commit()?;
                }
                Ok(())
            })
            .await
            .unwrap();
        per_batch.push(started.elapsed().as_secs_f64() * 1e6 / f64::from(batch));
    }
    let recount_started = Instant::now();
    let _ = recount(&h).await;
    println!(
        "help feedback: one vote (its own transaction) costs {:.0} µs with 0 votes stored and {:.0} µs with {} stored; \
         one recount over {total} rows (what each vote did before) {:.0} µs",
        per_batch[0],
        per_batch[per_batch.len() - 1],
        total - batch,
        recount_started.elapsed().as_secs_f64() * 1e6
    );
}
