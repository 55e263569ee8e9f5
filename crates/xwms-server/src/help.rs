//! The help center's content on the server: stored in SQLite, served from an in-memory
//! [`Catalog`] (the same search engine as the app's offline cache), and synced to clients by
//! content version.
//!
//! # Versions
//!
//! `server_meta.help_version` counts content changes: every import that changes anything
//! bumps it by one, and each article row carries the version in which it last changed
//! (`help_articles.version`); a removed article leaves a tombstone with the version of its
//! removal (`help_deleted`). A client that holds version `V` gets exactly the rows with a version
//! above `V`, or nothing at all (`304 Not Modified`) when `V` is the current version.
//!
//! # Seed
//!
//! A server whose help center was never filled (version 0) imports the content compiled into
//! this build (`content/help/` of the repository) the first time it is used, as version 1.
//! `xwms-server help import DIR` loads a content folder later; other processes (a running
//! server) see the new version on their next help request, as each request compares the
//! catalog's version with the database's.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use xwms_api::help::{HelpArticle, HelpCategory, HelpDeleted, HelpSync, Language};
use xwms_help::sqlite::{article_from_row, lang_from, upsert_article, ARTICLE_COLUMNS};
use xwms_help::{Catalog, Content};

use crate::accounts::policy::HELP_FEEDBACK_PER_IP;
use crate::clock::{from_millis, to_millis};
use crate::store::{Store, StoreError};

/// The `server_meta` key of the content version.
pub(crate) const VERSION_KEY: &str = "help_version";

/// What an import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// The content version after the import (unchanged when nothing changed).
    pub version: u32,
    pub added: usize,
    pub changed: usize,
    pub deleted: usize,
    pub unchanged: usize,
}

impl ImportReport {
    pub fn changed_anything(&self) -> bool {
        self.added + self.changed + self.deleted > 0
    }
}

/// The content version in the database (0 when the help center was never filled).
pub fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row(
        "SELECT value FROM server_meta WHERE key = ?1",
        [VERSION_KEY],
        |row| row.get::<_, String>(0),
    )
    .optional()
    .map(|v| v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Loads `content` into the database in one transaction: new and changed articles get the
/// next version, articles no longer in `content` are removed with a tombstone, categories are
/// replaced. When nothing differs, the version stays. The caller validates `content` first.
pub fn import(tx: &Transaction<'_>, content: &Content) -> rusqlite::Result<ImportReport> {
    let current = version(tx)?;
    let next = current + 1;
    let mut report = ImportReport {
        version: current,
        ..ImportReport::default()
    };

    let mut existing: HashMap<(String, String), HelpArticle> = HashMap::new();
    {
        let mut stmt = tx.prepare(&format!("SELECT {ARTICLE_COLUMNS} FROM help_articles"))?;
        let rows = stmt.query_map([], article_from_row)?;
        for a in rows {
            let a = a?;
            existing.insert((a.id.clone(), a.lang.as_str().to_string()), a);
        }
    }

    let mut seen: HashMap<(String, String), ()> = HashMap::new();
    for a in content.wire_articles(next) {
        let key = (a.id.clone(), a.lang.as_str().to_string());
        seen.insert(key.clone(), ());
        match existing.get(&key) {
            Some(old)
                if HelpArticle {
                    version: next,
                    ..old.clone()
                } == a =>
            {
                report.unchanged += 1;
                continue;
            }
            Some(_) => report.changed += 1,
            None => report.added += 1,
        }
        upsert_article(tx, "help_articles", &a)?;
        tx.execute(
            "DELETE FROM help_deleted WHERE id = ?1 AND lang = ?2",
            params![a.id, a.lang.as_str()],
        )?;
    }
    for key in existing.keys() {
        if !seen.contains_key(key) {
            report.deleted += 1;
            tx.execute(
                "DELETE FROM help_articles WHERE id = ?1 AND lang = ?2",
                params![key.0, key.1],
            )?;
            tx.execute(
                "INSERT INTO help_deleted (id, lang, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id, lang) DO UPDATE SET version = excluded.version",
                params![key.0, key.1, next],
            )?;
        }
    }

    let old_categories = load_categories(tx)?;
    let mut new_categories = content.wire_categories();
    sort_categories(&mut new_categories);
    let categories_changed = strip_counts(&old_categories) != strip_counts(&new_categories);
    if categories_changed {
        tx.execute("DELETE FROM help_categories", [])?;
        for c in &new_categories {
            tx.execute(
                "INSERT INTO help_categories (slug, lang, title, subtitle, ord) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![c.slug, c.lang.as_str(), c.title, c.subtitle, c.order],
            )?;
        }
    }

    if report.changed_anything() || categories_changed || current == 0 {
        report.version = next;
        tx.execute(
            "INSERT INTO server_meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![VERSION_KEY, next.to_string()],
        )?;
    }
    Ok(report)
}

fn sort_categories(c: &mut [HelpCategory]) {
    c.sort_by(|a, b| (a.lang, a.order, &a.slug).cmp(&(b.lang, b.order, &b.slug)));
}

fn strip_counts(c: &[HelpCategory]) -> Vec<HelpCategory> {
    c.iter()
        .map(|c| HelpCategory {
            article_count: 0,
            ..c.clone()
        })
        .collect()
}

fn load_articles(conn: &Connection, since: u32) -> rusqlite::Result<Vec<HelpArticle>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ARTICLE_COLUMNS} FROM help_articles WHERE version > ?1 ORDER BY lang, category, ord, id"
    ))?;
    let rows = stmt.query_map([since], article_from_row)?;
    rows.collect()
}

/// Categories with their article counts.
fn load_categories(conn: &Connection) -> rusqlite::Result<Vec<HelpCategory>> {
    let mut counts: BTreeMap<(String, String), u32> = BTreeMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT category, lang, count(*) FROM help_articles GROUP BY category, lang",
        )?;
        let rows = stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
        for row in rows {
            let (key, n) = row?;
            counts.insert(key, n);
        }
    }
    let mut stmt = conn.prepare("SELECT slug, lang, title, subtitle, ord FROM help_categories")?;
    let rows = stmt.query_map([], |r| {
        let slug: String = r.get(0)?;
        let lang: String = r.get(1)?;
        let count = counts
            .get(&(slug.clone(), lang.clone()))
            .copied()
            .unwrap_or(0);
        Ok(HelpCategory {
            slug,
            lang: lang_from(lang, 1)?,
            title: r.get(2)?,
            subtitle: r.get(3)?,
            order: r.get(4)?,
            article_count: count,
        })
    })?;
    let mut out: Vec<HelpCategory> = rows.collect::<rusqlite::Result<_>>()?;
    sort_categories(&mut out);
    Ok(out)
}

/// Why `xwms-server help import` did not import.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read the help content: {0}")]
    Read(#[from] xwms_help::content::ContentError),
    #[error("the help content has {} problem(s); nothing was imported:\n  {}", .0.len(), .0.join("\n  "))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Validates the content folder `dir` and imports it into the database in `data_dir`, in one
/// transaction (a running server sees it on its next help request).
pub fn import_dir(
    data_dir: &std::path::Path,
    dir: &std::path::Path,
) -> Result<ImportReport, ImportError> {
    let content = Content::load_dir(dir)?;
    import_content(data_dir, &content)
}

/// [`import_dir`] for content already loaded.
pub fn import_content(
    data_dir: &std::path::Path,
    content: &Content,
) -> Result<ImportReport, ImportError> {
    let problems = content.validate();
    if !problems.is_empty() {
        return Err(ImportError::Invalid(problems));
    }
    let store = Store::open_in(data_dir)?;
    let report = store.blocking(|conn| {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let report = import(&tx, content)?;
        tx.commit()?;
        Ok(report)
    })?;
    store.close();
    Ok(report)
}

/// What `GET /api/help/sync?since=V` answers: `None` for "not modified".
pub fn sync(conn: &Connection, since: i64) -> rusqlite::Result<Option<HelpSync>> {
    let current = version(conn)?;
    if since == i64::from(current) {
        return Ok(None);
    }
    // A version this server never had (ahead of it, or negative): start over.
    let full = since <= 0 || since > i64::from(current);
    let from = if full { 0 } else { since as u32 };
    let changed = load_articles(conn, from)?;
    let deleted = if full {
        Vec::new()
    } else {
        let mut stmt =
            conn.prepare("SELECT id, lang FROM help_deleted WHERE version > ?1 ORDER BY lang, id")?;
        let rows = stmt.query_map([from], |r| {
            Ok(HelpDeleted {
                id: r.get(0)?,
                lang: lang_from(r.get(1)?, 1)?,
            })
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    Ok(Some(HelpSync {
        version: current,
        full,
        categories: load_categories(conn)?,
        changed,
        deleted,
    }))
}

/// Records one "was this helpful?" answer and returns the article's totals, or the seconds to
/// wait when `ip` sent [`HELP_FEEDBACK_PER_IP`] votes this window (checked first).
///
/// With an installation id the vote is that installation's one vote on the article: a second
/// vote replaces the first (the same answer again changes nothing). Without one (older
/// clients) each vote counts. The totals are running counters updated here, in the caller's
/// transaction, so a vote costs a few indexed writes however many votes an article has.
pub fn record_feedback(
    tx: &Transaction<'_>,
    vote: &FeedbackVote<'_>,
    at: OffsetDateTime,
) -> rusqlite::Result<Result<(u64, u64), u32>> {
    let stored: Option<(i64, u32)> = tx
        .prepare_cached("SELECT window_start, votes FROM help_feedback_limits WHERE ip = ?1")?
        .query_row([vote.ip], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (start, votes) =
        match HELP_FEEDBACK_PER_IP.count_fixed(stored.map(|(s, n)| (from_millis(s), n)), at) {
            Ok(row) => row,
            Err(wait) => return Ok(Err(wait)),
        };
    tx.prepare_cached(
        "INSERT INTO help_feedback_limits (ip, window_start, votes) VALUES (?1, ?2, ?3)
         ON CONFLICT (ip) DO UPDATE SET window_start = ?2, votes = ?3",
    )?
    .execute(params![vote.ip, to_millis(start), votes])?;

    let at_ms = to_millis(at);
    // What this vote adds to (helpful, not helpful).
    let (mut plus_yes, mut plus_no) = (0i64, 0i64);
    let add = |helpful: bool, sign: i64, yes: &mut i64, no: &mut i64| {
        if helpful {
            *yes += sign;
        } else {
            *no += sign;
        }
    };
    match vote.installation {
        Some(installation) => {
            let key = hex::encode(Sha256::digest(installation.as_bytes()));
            let before: Option<bool> = tx
                .prepare_cached(
                    "SELECT helpful FROM help_votes WHERE id = ?1 AND installation = ?2",
                )?
                .query_row(params![vote.id, key], |r| r.get(0))
                .optional()?;
            if before != Some(vote.helpful) {
                tx.prepare_cached(
                    "INSERT INTO help_votes (id, installation, lang, helpful, at) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (id, installation) DO UPDATE SET lang = ?3, helpful = ?4, at = ?5",
                )?
                .execute(params![vote.id, key, vote.lang.as_str(), vote.helpful, at_ms])?;
                if let Some(old) = before {
                    add(old, -1, &mut plus_yes, &mut plus_no);
                }
                add(vote.helpful, 1, &mut plus_yes, &mut plus_no);
            }
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO help_feedback (id, lang, helpful, at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![vote.id, vote.lang.as_str(), vote.helpful, at_ms])?;
            add(vote.helpful, 1, &mut plus_yes, &mut plus_no);
        }
    }
    tx.prepare_cached("INSERT OR IGNORE INTO help_feedback_totals (id) VALUES (?1)")?
        .execute([vote.id])?;
    let (yes, no): (i64, i64) = tx
        .prepare_cached(
            "UPDATE help_feedback_totals SET helpful = helpful + ?2, not_helpful = not_helpful + ?3
             WHERE id = ?1 RETURNING helpful, not_helpful",
        )?
        .query_row(params![vote.id, plus_yes, plus_no], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok(Ok((yes.max(0) as u64, no.max(0) as u64)))
}

/// One "was this helpful?" answer, as [`record_feedback`] takes it.
#[derive(Debug, Clone, Copy)]
pub struct FeedbackVote<'a> {
    /// The article's id.
    pub id: &'a str,
    pub lang: Language,
    pub helpful: bool,
    /// The client's installation id, when it sent one.
    pub installation: Option<&'a str>,
    /// The client's address (the limit's key).
    pub ip: &'a str,
}

/// The served help center: the catalog of the stored content, rebuilt when the stored
/// version moves.
pub struct HelpCenter {
    store: Store,
    catalog: Mutex<Option<(u32, Arc<Catalog>)>>,
}

impl HelpCenter {
    pub fn new(store: Store) -> HelpCenter {
        HelpCenter {
            store,
            catalog: Mutex::new(None),
        }
    }

    /// The catalog of the current content version, seeding the bundled content on first use.
    pub async fn catalog(&self) -> Result<Arc<Catalog>, StoreError> {
        let held = self.catalog.lock().expect("help catalog lock").clone();
        let stored = self.store.call(|conn| version(conn)).await?;
        if let Some((v, catalog)) = held {
            if v == stored && stored > 0 {
                return Ok(catalog);
            }
        }
        let (v, categories, articles) = self
            .store
            .call(|conn| {
                if version(conn)? == 0 {
                    let tx =
                        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    let report = import(&tx, Content::bundled())?;
                    tx.commit()?;
                    tracing::info!(
                        version = report.version,
                        articles = report.added,
                        "help center seeded from the bundled content"
                    );
                }
                Ok((
                    version(conn)?,
                    load_categories(conn)?,
                    load_articles(conn, 0)?,
                ))
            })
            .await?;
        let catalog = Arc::new(
            tokio::task::spawn_blocking(move || Catalog::new(categories, articles)).await?,
        );
        *self.catalog.lock().expect("help catalog lock") = Some((v, Arc::clone(&catalog)));
        Ok(catalog)
    }

    /// The current content version (seeding first, like [`HelpCenter::catalog`]).
    pub async fn version(&self) -> Result<u32, StoreError> {
        let stored = self.store.call(|conn| version(conn)).await?;
        if stored == 0 {
            self.catalog().await?;
            return self.store.call(|conn| version(conn)).await;
        }
        Ok(stored)
    }

    /// [`sync`] on the store (after the seed, so a first client gets the content).
    pub async fn sync(&self, since: i64) -> Result<Option<HelpSync>, StoreError> {
        self.catalog().await?;
        self.store.call(move |conn| sync(conn, since)).await
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations::run(&mut conn).unwrap();
        conn
    }

    fn import_now(conn: &mut Connection, content: &Content) -> ImportReport {
        let tx = conn.transaction().unwrap();
        let r = import(&tx, content).unwrap();
        tx.commit().unwrap();
        r
    }

    #[test]
    fn import_versions_changes_and_tombstones() {
        let mut conn = db();
        assert_eq!(version(&conn).unwrap(), 0);
        let mut content = Content::bundled().clone();
        let first = import_now(&mut conn, &content);
        assert_eq!(first.version, 1);
        assert_eq!(first.added, 150);

        let again = import_now(&mut conn, &content);
        assert_eq!(
            (again.version, again.unchanged, again.changed_anything()),
            (1, 150, false)
        );
        assert_eq!(
            sync(&conn, 1).unwrap(),
            None,
            "nothing changed: not modified"
        );

        content.articles[0]
            .en
            .as_mut()
            .unwrap()
            .body
            .push_str(" Updated.");
        let removed = content.articles.pop().unwrap();
        let second = import_now(&mut conn, &content);
        assert_eq!((second.version, second.changed, second.deleted), (2, 1, 3));

        let delta = sync(&conn, 1).unwrap().unwrap();
        assert!(!delta.full);
        assert_eq!(delta.version, 2);
        assert_eq!(delta.changed.len(), 1);
        assert!(delta.changed[0].body.ends_with("Updated."));
        assert_eq!(delta.deleted.len(), 3);
        assert!(delta.deleted.iter().all(|d| d.id == removed.id));
        assert_eq!(delta.categories[0].article_count, 49);

        let full = sync(&conn, 0).unwrap().unwrap();
        assert!(full.full && full.deleted.is_empty());
        assert_eq!(full.changed.len(), 147);
        let unknown = sync(&conn, 99).unwrap().unwrap();
        assert!(unknown.full, "a version the server never had starts over");

        // Putting the article back clears its tombstone.
        content.articles.push(removed.clone());
        let third = import_now(&mut conn, &content);
        assert_eq!((third.version, third.added), (3, 3));
        let delta = sync(&conn, 2).unwrap().unwrap();
        assert!(delta.deleted.is_empty());
        assert_eq!(delta.changed.len(), 3);
    }

    #[test]
    fn feedback_counts_once_per_installation_with_running_totals() {
        let mut conn = db();
        let tx = conn.transaction().unwrap();
        let t0 = time::macros::datetime!(2026-05-06 07:00 UTC);
        let vote = |installation, helpful, ip| FeedbackVote {
            id: "a",
            lang: Language::En,
            helpful,
            installation,
            ip,
        };
        let record = |v: FeedbackVote<'_>| record_feedback(&tx, &v, t0).unwrap().unwrap();
        assert_eq!(record(vote(None, true, "192.0.2.1")), (1, 0));
        assert_eq!(record(vote(None, false, "192.0.2.1")), (1, 1));
        assert_eq!(record(vote(Some("i1"), true, "192.0.2.2")), (2, 1));
        assert_eq!(
            record(vote(Some("i1"), true, "192.0.2.3")),
            (2, 1),
            "again: no change"
        );
        assert_eq!(
            record(vote(Some("i1"), false, "192.0.2.4")),
            (1, 2),
            "replaced"
        );
        assert_eq!(record(vote(Some("i2"), false, "192.0.2.4")), (1, 3));
        // The totals agree with a recount.
        let recount: (i64, i64) = tx
            .query_row(
                "SELECT (SELECT coalesce(sum(helpful), 0) FROM help_votes) + (SELECT coalesce(sum(helpful), 0) FROM help_feedback),
                        (SELECT count(*) - coalesce(sum(helpful), 0) FROM help_votes) + (SELECT count(*) - coalesce(sum(helpful), 0) FROM help_feedback)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(recount, (1, 3));
    }

    #[test]
    fn feedback_is_limited_per_address() {
        let mut conn = db();
        let tx = conn.transaction().unwrap();
        let t0 = time::macros::datetime!(2026-05-06 07:00 UTC);
        let vote = FeedbackVote {
            id: "a",
            lang: Language::En,
            helpful: true,
            installation: Some("i1"),
            ip: "192.0.2.9",
        };
        for _ in 0..HELP_FEEDBACK_PER_IP.max {
            assert!(record_feedback(&tx, &vote, t0).unwrap().is_ok());
        }
        assert_eq!(record_feedback(&tx, &vote, t0).unwrap(), Err(3600));
        let other = FeedbackVote {
            ip: "192.0.2.10",
            ..vote
        };
        assert!(
            record_feedback(&tx, &other, t0).unwrap().is_ok(),
            "per address"
        );
        let later = t0 + HELP_FEEDBACK_PER_IP.window;
        assert_eq!(record_feedback(&tx, &vote, later).unwrap(), Ok((1, 0)));
    }
}
