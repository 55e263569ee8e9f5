//! Help-center benchmark: prints numbers, asserts nothing.
//!
//! `cargo bench -p xwms-core --bench help` (add `-- --quick` for a shorter run)
//!
//! - query latency p50/p95 of the search engine on the real content and on generated corpora
//!   of 1,000, 10,000 and 100,000 articles, next to a plain `LIKE '%word%'` scan over the same
//!   articles in SQLite in the same run;
//! - index build time for each corpus;
//! - the offline cache's size on disk with 10,000 articles;
//! - the time to sync 10,000 changed articles from the real server on loopback.

use std::time::{Duration, Instant};

use xwms_api::help::{HelpArticle, HelpSync, Language};
use xwms_core::api_client::ApiClient;
use xwms_core::help::HelpCache;
use xwms_help::{Catalog, Content};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Words of the real English content, for realistic text.
fn vocabulary() -> Vec<String> {
    let mut words: Vec<String> = Content::bundled()
        .wire_articles(1)
        .iter()
        .filter(|a| a.lang == Language::En)
        .flat_map(|a| {
            format!("{} {}", a.title, xwms_help::markup::plain(&a.body))
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() > 2)
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
        })
        .collect();
    words.sort();
    words.dedup();
    words
}

fn generated(n: usize, rng: &mut Rng, vocab: &[String]) -> Vec<HelpArticle> {
    // Rarer synthetic words grow with the corpus, as real vocabularies do.
    let synthetic = (n / 4).max(100);
    let word = |rng: &mut Rng| -> String {
        if rng.below(5) == 0 {
            format!("term{}", rng.below(synthetic))
        } else {
            vocab[rng.below(vocab.len())].clone()
        }
    };
    (0..n)
        .map(|i| {
            let title: Vec<String> = (0..6).map(|_| word(rng)).collect();
            let body: Vec<String> = (0..45).map(|_| word(rng)).collect();
            HelpArticle {
                id: format!("gen-{i}"),
                lang: Language::En,
                slug: format!("gen-{i}"),
                category: "account-security".into(),
                title: format!("{}?", title.join(" ")),
                body: format!("{}.", body.join(" ")),
                tags: (0..3).map(|_| word(rng)).collect(),
                popular: false,
                order: i as u32,
                version: 1,
            }
        })
        .collect()
}

fn queries(rng: &mut Rng, vocab: &[String], n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let a = &vocab[rng.below(vocab.len())];
            let b = &vocab[rng.below(vocab.len())];
            match i % 4 {
                0 => format!("{a} {b}"),
                // typing: a prefix
                1 => a
                    .chars()
                    .take(a.chars().count().div_ceil(2).max(3))
                    .collect(),
                // a typo: a letter dropped
                2 if a.len() > 5 => format!("{}{}", &a[..2], &a[3..]),
                _ => format!("how do i {a} my {b}"),
            }
        })
        .collect()
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    (at(0.5), at(0.95))
}

fn like_db(articles: &[HelpArticle]) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE articles (id TEXT, lang TEXT, title TEXT, body TEXT, tags TEXT)",
    )
    .unwrap();
    let tx = conn.unchecked_transaction().unwrap();
    {
        let mut stmt = tx
            .prepare("INSERT INTO articles VALUES (?1, ?2, ?3, ?4, ?5)")
            .unwrap();
        for a in articles {
            stmt.execute(rusqlite::params![
                a.id,
                a.lang.as_str(),
                a.title,
                a.body,
                a.tags.join(" ")
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
    conn
}

fn like_scan(conn: &rusqlite::Connection, lang: Language, query: &str) -> usize {
    let word = query
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap_or("");
    let mut stmt = conn
        .prepare_cached(
            "SELECT id FROM articles WHERE lang = ?1 AND (title LIKE ?2 OR body LIKE ?2 OR tags LIKE ?2)",
        )
        .unwrap();
    let rows = stmt
        .query_map(rusqlite::params![lang.as_str(), format!("%{word}%")], |r| {
            r.get::<_, String>(0)
        })
        .unwrap();
    rows.count()
}

fn measure(label: &str, articles: Vec<HelpArticle>, queries: &[(Language, String)], rounds: usize) {
    let started = Instant::now();
    let categories = Content::bundled().wire_categories();
    let catalog = Catalog::new(categories, articles.clone());
    let build = started.elapsed();
    let mut engine = Vec::new();
    for _ in 0..rounds {
        for (lang, q) in queries {
            let t = Instant::now();
            std::hint::black_box(catalog.search(*lang, q, 10));
            engine.push(t.elapsed());
        }
    }
    let db = like_db(&articles);
    let mut scan = Vec::new();
    let scan_queries = queries
        .len()
        .min(if articles.len() >= 50_000 { 60 } else { 300 });
    for (lang, q) in &queries[..scan_queries] {
        let t = Instant::now();
        std::hint::black_box(like_scan(&db, *lang, q));
        scan.push(t.elapsed());
    }
    let (e50, e95) = percentiles(engine);
    let (s50, s95) = percentiles(scan);
    println!(
        "{label:>22}  {:>7}  build {:>9.1?}  engine p50 {:>8.1?} p95 {:>8.1?}  LIKE p50 {:>9.1?} p95 {:>9.1?}  p95 speed-up {:>6.1}x",
        articles.len(),
        build,
        e50,
        e95,
        s50,
        s95,
        s95.as_secs_f64() / e95.as_secs_f64()
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let vocab = vocabulary();
    println!("help search: query latency, 10 results per query (single thread)");

    // The real content with the real questions of the search-quality set.
    let quality: toml::Value = toml::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../content/help/search-quality.toml"
        ))
        .unwrap(),
    )
    .unwrap();
    let real_queries: Vec<(Language, String)> = quality["query"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                Language::from_tag(q["lang"].as_str().unwrap()).unwrap(),
                q["q"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    measure(
        "real content (3 langs)",
        Content::bundled().wire_articles(1),
        &real_queries,
        50,
    );

    let sizes: &[usize] = if quick {
        &[1_000, 10_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    for &n in sizes {
        let articles = generated(n, &mut rng, &vocab);
        let qs: Vec<(Language, String)> = queries(&mut rng, &vocab, 400)
            .into_iter()
            .map(|q| (Language::En, q))
            .collect();
        measure("generated", articles, &qs, if n >= 100_000 { 2 } else { 5 });
    }

    // The offline cache with 10,000 articles: size on disk, and a sync of 10,000 changed
    // articles from the real server on loopback.
    let server = xwms_testkit::TestServer::start();
    let mut content = Content::bundled().clone();
    let generated_sources = generated(10_000, &mut rng, &vocab);
    for a in &generated_sources {
        use xwms_help::content::{ArticleSource, ArticleText};
        let text = |lang: &str| ArticleText {
            title: format!("{} ({lang})", a.title),
            slug: format!("{}-{lang}", a.slug),
            tags: a.tags.iter().map(|t| t.to_lowercase()).collect(),
            body: a.body.clone(),
        };
        content.articles.push(ArticleSource {
            id: a.id.clone(),
            category: a.category.clone(),
            order: a.order + 100,
            popular: false,
            en: Some(text("en")),
            nl: None,
            fr: None,
            file: String::new(),
        });
    }
    // English only for the generated ones: import without the three-language rule.
    let report = server.import_help_unchecked(&content);
    let dir = tempfile::tempdir().unwrap();
    let cache = HelpCache::open(dir.path()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let api = ApiClient::new(&server.url(), "bench").unwrap();
    let t = Instant::now();
    let synced = runtime.block_on(cache.sync(&api)).unwrap();
    let sync_time = t.elapsed();
    let size: u64 = ["help.sqlite3", "help.sqlite3-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "sync from the server: {} articles (content version {}) in {:.2?} (download, one transaction, index rebuild); cache on disk {:.1} MiB",
        synced.changed,
        report.version,
        sync_time,
        size as f64 / (1024.0 * 1024.0)
    );
    // Applying a delta of 10,000 changed articles to a cache that already holds them.
    let changed: Vec<HelpArticle> = cache
        .catalog()
        .all_articles()
        .iter()
        .filter(|a| a.id.starts_with("gen-"))
        .map(|a| HelpArticle {
            title: format!("{} (edited)", a.title),
            version: synced.version + 1,
            ..a.clone()
        })
        .collect();
    let delta = HelpSync {
        version: synced.version + 1,
        full: false,
        categories: Content::bundled().wire_categories(),
        changed,
        deleted: Vec::new(),
    };
    let t = Instant::now();
    cache.apply(&delta, &server.url()).unwrap();
    println!(
        "apply a delta of {} changed articles (one transaction + index rebuild): {:.2?}",
        delta.changed.len(),
        t.elapsed()
    );
}
