//! The help center's routes through the whole router, on a real SQLite file; `help import` as
//! the executable runs it.

use axum::http::StatusCode;
use serde_json::json;
use xwms_api::help::{HelpArticle, HelpCategory, HelpSync, SearchHit};
use xwms_api::ErrorCode;
use xwms_help::Content;

use crate::support::{get, harness};

fn data<T: serde::de::DeserializeOwned>(answer: &crate::support::Answer) -> T {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    serde_json::from_value(answer.body["data"].clone()).unwrap()
}

#[tokio::test]
async fn categories_articles_related_and_search_in_each_language() {
    let h = harness();
    let cats: Vec<HelpCategory> = data(&get(&h.state, "/api/help/categories?lang=nl").await);
    assert_eq!(cats.len(), 1);
    assert_eq!(cats[0].slug, "account-security");
    assert_eq!(
        cats[0].subtitle,
        "Inloggen, 2FA, beveiliging en account herstel."
    );
    assert_eq!(cats[0].article_count, 50);

    let page = get(
        &h.state,
        "/api/help/categories/account-security/articles?lang=fr",
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let articles: Vec<HelpArticle> =
        serde_json::from_value(page.data()["articles"].clone()).unwrap();
    assert_eq!(articles.len(), 50);
    assert!(articles.windows(2).all(|w| w[0].order <= w[1].order));
    let tag = page.data()["tags"][0].as_str().unwrap().to_string();
    let tagged = get(
        &h.state,
        &format!(
            "/api/help/categories/account-security/articles?lang=fr&tag={}",
            urlencode(&tag)
        ),
    )
    .await;
    let tagged: Vec<HelpArticle> =
        serde_json::from_value(tagged.data()["articles"].clone()).unwrap();
    assert!(!tagged.is_empty() && tagged.len() < 50);
    assert!(tagged.iter().all(|a| a.tags.contains(&tag)));

    let by_id: HelpArticle =
        data(&get(&h.state, "/api/help/articles/forgot-password?lang=nl").await);
    assert_eq!(by_id.lang.as_str(), "nl");
    let by_slug: HelpArticle = data(
        &get(
            &h.state,
            &format!("/api/help/articles/{}?lang=nl", by_id.slug),
        )
        .await,
    );
    assert_eq!(by_slug, by_id);

    let related: Vec<HelpArticle> = data(
        &get(
            &h.state,
            "/api/help/articles/enable-2fa/related?lang=en&limit=3",
        )
        .await,
    );
    assert_eq!(related.len(), 3);
    assert!(related.iter().all(|a| a.id != "enable-2fa"));

    let hits: Vec<SearchHit> = data(
        &get(
            &h.state,
            "/api/help/search?q=mot%20de%20passe%20oubli%C3%A9&lang=fr",
        )
        .await,
    );
    assert_eq!(hits[0].id, "forgot-password");
    assert!(!hits[0].highlights.is_empty());
    let none: Vec<SearchHit> = data(&get(&h.state, "/api/help/search?q=&lang=en").await);
    assert!(none.is_empty());
    // Anything is a query: operators, quotes, emoji, 10,000 characters.
    for q in [
        "%22%22",
        "a%20OR%20b%20*",
        "(((",
        "%F0%9F%94%90",
        &"x".repeat(10_000),
    ] {
        let answer = get(&h.state, &format!("/api/help/search?q={q}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{q}: {}", answer.body);
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn every_help_error_code() {
    let h = harness();
    get(&h.state, "/api/help/categories?lang=de")
        .await
        .err_field(ErrorCode::FieldInvalid, "lang");
    get(&h.state, "/api/help/search?q=x&lang=english")
        .await
        .err_field(ErrorCode::FieldInvalid, "lang");
    get(&h.state, "/api/help/search?q=x&limit=0")
        .await
        .err_field(ErrorCode::FieldInvalid, "limit");
    get(&h.state, "/api/help/search?q=x&limit=51")
        .await
        .err_field(ErrorCode::FieldInvalid, "limit");
    get(&h.state, "/api/help/search?q=x&limit=ten")
        .await
        .err_field(ErrorCode::FieldInvalid, "limit");
    get(&h.state, "/api/help/articles/enable-2fa/related?limit=-1")
        .await
        .err_field(ErrorCode::FieldInvalid, "limit");
    get(&h.state, "/api/help/sync?since=yesterday")
        .await
        .err_field(ErrorCode::FieldInvalid, "since");
    get(&h.state, "/api/help/articles/no-such-article")
        .await
        .err(ErrorCode::HelpNotFound);
    get(&h.state, "/api/help/articles/no-such-article/related")
        .await
        .err(ErrorCode::HelpNotFound);
    get(&h.state, "/api/help/categories/billing/articles")
        .await
        .err(ErrorCode::HelpNotFound);
    h.post(
        "/api/help/articles/no-such-article/feedback",
        json!({"helpful": true, "lang": "en"}),
    )
    .await
    .err(ErrorCode::HelpNotFound);
    h.post(
        "/api/help/articles/enable-2fa/feedback",
        json!({"helpful": "yes", "lang": "en"}),
    )
    .await
    .err_field(ErrorCode::InvalidRequest, "helpful");
    h.post(
        "/api/help/articles/enable-2fa/feedback",
        json!({"helpful": true, "lang": "de"}),
    )
    .await
    .err_field(ErrorCode::InvalidRequest, "lang");
}

#[tokio::test]
async fn sync_answers_changes_only_and_304_without_a_body() {
    let h = harness();
    let first: HelpSync = data(&get(&h.state, "/api/help/sync?since=0").await);
    assert!(first.full);
    assert_eq!((first.version, first.changed.len()), (1, 150));

    let same = get(&h.state, "/api/help/sync?since=1").await;
    assert_eq!(same.status, StatusCode::NOT_MODIFIED);
    assert!(same.bytes.is_empty(), "304 has no body");

    let mut content = Content::bundled().clone();
    content.articles[4]
        .fr
        .as_mut()
        .unwrap()
        .body
        .push_str(" Mis à jour.");
    xwms_server::help::import_content(h.dir.path(), &content).unwrap();

    let delta: HelpSync = data(&get(&h.state, "/api/help/sync?since=1").await);
    assert_eq!(
        (delta.version, delta.full, delta.changed.len()),
        (2, false, 1)
    );
    assert_eq!(delta.changed[0].id, content.articles[4].id);
    // The running server serves the new content at once.
    let article: HelpArticle = data(
        &get(
            &h.state,
            &format!("/api/help/articles/{}?lang=fr", content.articles[4].id),
        )
        .await,
    );
    assert!(article.body.ends_with("Mis à jour."));
    // /api/info tells clients which version is current.
    let info = get(&h.state, "/api/info").await;
    assert_eq!(info.body["data"]["help"]["version"], 2);
    // A version from the future (another server's) starts over.
    let reset: HelpSync = data(&get(&h.state, "/api/help/sync?since=7").await);
    assert!(reset.full);
}

#[tokio::test]
async fn feedback_is_counted_per_article() {
    let h = harness();
    let slug = {
        let a: HelpArticle = data(&get(&h.state, "/api/help/articles/enable-2fa?lang=nl").await);
        a.slug
    };
    h.post(
        "/api/help/articles/enable-2fa/feedback",
        json!({"helpful": true, "lang": "en"}),
    )
    .await
    .ok(200);
    let answer = h
        .post(
            &format!("/api/help/articles/{slug}/feedback"),
            json!({"helpful": false, "lang": "nl"}),
        )
        .await;
    answer.ok(200);
    assert_eq!(answer.data()["id"], "enable-2fa");
    assert_eq!(answer.data()["helpful"], 1);
    assert_eq!(answer.data()["not_helpful"], 1);
}

#[tokio::test]
async fn an_invalid_import_changes_nothing() {
    let h = harness();
    let _: HelpSync = data(&get(&h.state, "/api/help/sync?since=0").await);
    let mut content = Content::bundled().clone();
    content.articles[0].nl = None;
    content.articles[1].en.as_mut().unwrap().body = "See [here](/nowhere).".into();
    let err = xwms_server::help::import_content(h.dir.path(), &content).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("no nl translation") && text.contains("/nowhere"),
        "{text}"
    );
    let same = get(&h.state, "/api/help/sync?since=1").await;
    assert_eq!(same.status, StatusCode::NOT_MODIFIED);
}
