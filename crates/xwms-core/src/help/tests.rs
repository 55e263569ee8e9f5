//! The offline help cache on real SQLite files, synced with the real server on loopback.

use super::*;
use xwms_testkit::TestServer;

fn api(server: &TestServer) -> ApiClient {
    ApiClient::new(&server.url(), "test").unwrap()
}

/// A server URL nobody listens on.
fn nowhere() -> ApiClient {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    ApiClient::with_options(
        &format!("http://127.0.0.1:{port}"),
        "test",
        crate::api_client::Timeouts::default(),
        crate::api_client::RetryPolicy::none(),
    )
    .unwrap()
}

#[tokio::test]
async fn first_run_offline_has_the_bundled_help() {
    let dir = tempfile::tempdir().unwrap();
    let cache = HelpCache::open(dir.path()).unwrap();
    let status = cache.status().unwrap();
    assert_eq!(status.version, 0);
    assert_eq!(status.source, HelpSource::Bundled);
    assert_eq!(status.article_count, 150);
    assert_eq!(status.synced_at, None);
    assert_eq!(status.notice, None);
    let hits = cache.search(Language::Nl, "wachtwoord vergeten", 3);
    assert_eq!(hits[0].id, "forgot-password");
    assert_eq!(cache.categories(Language::Fr)[0].article_count, 50);
    assert!(cache
        .article(Language::En, "no-such-article")
        .is_err_and(|e| e.code == ErrorCode::HelpNotFound));
    let err = cache.sync(&nowhere()).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Offline);
    assert_eq!(
        cache.status().unwrap().version,
        0,
        "offline changes nothing"
    );
}

#[tokio::test]
async fn sync_brings_changes_only_and_304_when_nothing_changed() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let cache = HelpCache::open(dir.path()).unwrap();
    let mut status_changes = cache.subscribe();

    let first = cache.sync(&api(&server)).await.unwrap();
    assert!(first.full && !first.unchanged);
    assert_eq!((first.version, first.changed), (1, 150));
    let status = cache.status().unwrap();
    assert_eq!(status.source, HelpSource::Server);
    assert!(status.synced_at.is_some());
    assert_eq!(status_changes.recv().await.unwrap().version, 1);

    let again = cache.sync(&api(&server)).await.unwrap();
    assert!(again.unchanged, "{again:?}");
    assert_eq!(again.version, 1);

    let mut content = Content::bundled().clone();
    content.articles[1].nl.as_mut().unwrap().title = "Wachtwoord kwijt, wat nu?".into();
    let gone = content.articles.pop().unwrap();
    let report = server.import_help(&content);
    assert_eq!(report.version, 2);

    let delta = cache.sync(&api(&server)).await.unwrap();
    assert_eq!(
        (delta.version, delta.full, delta.changed, delta.deleted),
        (2, false, 1, 3)
    );
    assert_eq!(
        cache
            .article(Language::Nl, "forgot-password")
            .unwrap()
            .title,
        "Wachtwoord kwijt, wat nu?"
    );
    assert!(cache.article(Language::En, &gone.id).is_err());
    assert_eq!(cache.status().unwrap().article_count, 147);
    assert_eq!(
        cache.search(Language::Nl, "wachtwoord kwijt", 1)[0].id,
        "forgot-password"
    );

    // A fresh cache on the same computer keeps what it synced.
    drop(cache);
    let reopened = HelpCache::open(dir.path()).unwrap();
    assert_eq!(reopened.status().unwrap().version, 2);
    assert_eq!(reopened.status().unwrap().article_count, 147);
}

#[tokio::test]
async fn a_damaged_cache_is_rebuilt_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(CACHE_FILE),
        b"this is not a database, just bytes".repeat(200),
    )
    .unwrap();
    let cache = HelpCache::open(dir.path()).unwrap();
    let status = cache.status().unwrap();
    assert_eq!(status.notice, Some(HelpNotice::CacheRebuilt));
    assert_eq!(status.article_count, 150);
    assert!(dir
        .path()
        .join(format!("{CACHE_FILE}{CORRUPT_SUFFIX}"))
        .exists());
    cache.dismiss_notice();
    assert_eq!(cache.status().unwrap().notice, None);
    drop(cache);
    // Opening the rebuilt cache again is quiet.
    assert_eq!(
        HelpCache::open(dir.path())
            .unwrap()
            .status()
            .unwrap()
            .notice,
        None
    );
}

#[tokio::test]
async fn a_cache_from_a_newer_app_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = Connection::open(dir.path().join(CACHE_FILE)).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let cache = HelpCache::open(dir.path()).unwrap();
    assert_eq!(
        cache.status().unwrap().notice,
        Some(HelpNotice::CacheRebuilt)
    );
}

#[tokio::test]
async fn feedback_given_offline_is_sent_when_back_online() {
    let dir = tempfile::tempdir().unwrap();
    let cache = HelpCache::open(dir.path()).unwrap();
    cache
        .queue_feedback("enable-2fa", Language::Fr, true)
        .unwrap();
    // By slug too.
    let slug = cache.article(Language::En, "forgot-password").unwrap().slug;
    cache.queue_feedback(&slug, Language::En, false).unwrap();
    assert!(cache.queue_feedback("nope", Language::En, true).is_err());

    let err = cache.flush_feedback(&nowhere()).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Offline);
    assert_eq!(
        cache.status().unwrap().pending_feedback,
        2,
        "kept for later"
    );

    // The app restarts before it is online again: the queue is in the file.
    drop(cache);
    let cache = HelpCache::open(dir.path()).unwrap();
    assert_eq!(cache.status().unwrap().pending_feedback, 2);

    let server = TestServer::start();
    assert_eq!(cache.flush_feedback(&api(&server)).await.unwrap(), 2);
    assert_eq!(cache.status().unwrap().pending_feedback, 0);
    let conn = Connection::open(xwms_testkit::database_path(&server.data_dir())).unwrap();
    let rows: Vec<(String, String, bool)> = conn
        .prepare("SELECT id, lang, helpful FROM help_votes ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![
            ("enable-2fa".to_string(), "fr".to_string(), true),
            ("forgot-password".to_string(), "en".to_string(), false),
        ]
    );
    // Counted as this installation's votes: sending them again changes no total.
    let installations: i64 = conn
        .query_row(
            "SELECT count(DISTINCT installation) FROM help_votes",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(installations, 1);
    cache
        .queue_feedback("enable-2fa", Language::Fr, true)
        .unwrap();
    assert_eq!(cache.flush_feedback(&api(&server)).await.unwrap(), 1);
    let totals: (i64, i64) = conn
        .query_row(
            "SELECT helpful, not_helpful FROM help_feedback_totals WHERE id = 'enable-2fa'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(totals, (1, 0));
}

#[tokio::test]
async fn the_syncer_follows_the_connection() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let cache = Arc::new(HelpCache::open(dir.path()).unwrap());
    let mut changes = cache.subscribe();
    let monitor = crate::connection::ConnectionMonitor::new(
        &server.url(),
        "test",
        crate::connection::PollPolicy::default(),
    )
    .unwrap();
    monitor.check_now().await;
    let task = tokio::spawn(HelpSyncer::run(
        Arc::clone(&cache),
        monitor.subscribe(),
        "test".into(),
    ));
    let status = tokio::time::timeout(Duration::from_secs(10), changes.recv())
        .await
        .expect("a sync soon after start")
        .unwrap();
    assert_eq!(status.version, 1);
    assert_eq!(status.source, HelpSource::Server);

    // The server's content changes; /api/info says so; the syncer brings it.
    let mut content = Content::bundled().clone();
    content.articles[0].en.as_mut().unwrap().title = "How do I open an XWMS account?".into();
    server.import_help(&content);
    monitor.check_now().await;
    let status = loop {
        let s = tokio::time::timeout(Duration::from_secs(10), changes.recv())
            .await
            .expect("a sync after the version moved")
            .unwrap();
        if s.version == 2 {
            break s;
        }
    };
    assert_eq!(status.version, 2);
    assert_eq!(
        cache.article(Language::En, "create-account").unwrap().title,
        "How do I open an XWMS account?"
    );
    task.abort();
}
