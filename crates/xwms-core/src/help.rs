//! The help center on this computer: an SQLite cache (`help.sqlite3` in the data folder) that
//! works with no network, ever.
//!
//! - **First run**: the content compiled into the app (`content/help/`, version 0) is
//!   installed, so help is there before any server was reached.
//! - **Sync** ([`HelpCache::sync`]): `GET /api/help/sync?since=<version held>`; `304` means
//!   nothing changed. Each delta is applied in **one transaction** (all of it or none), so a
//!   process killed mid-sync leaves the previous consistent content, and the next sync
//!   completes it. [`HelpSyncer`] syncs at start, when the server comes back, when `/api/info`
//!   reports another content version, and every [`PERIODIC_SYNC`].
//! - **Corruption**: a file that is not a readable database, fails `PRAGMA quick_check`, or
//!   has an unknown schema is moved aside (`help.sqlite3.corrupt`) and rebuilt from the bundled
//!   content; [`HelpStatus::notice`] tells the person, and the next sync brings the server's
//!   content back.
//! - **Feedback** ("Was this helpful?") is queued in the cache and sent when online
//!   ([`HelpCache::flush_feedback`]), so an answer given offline is not lost.
//! - **Search and reading** go through an in-memory [`Catalog`] (the same engine as the
//!   server's), rebuilt after each change.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use xwms_api::help::{
    paths, AnswerSpan, HelpArticle, HelpCategory, HelpFeedback, HelpFeedbackCounted, HelpSync,
    Language, SearchHit,
};
use xwms_api::ErrorCode;
use xwms_help::sqlite::{article_from_row, lang_from, upsert_article, ARTICLE_COLUMNS};
use xwms_help::{Catalog, Content};

use crate::api_client::ApiClient;
use crate::connection::{ConnectionState, ConnectionStatus};
use crate::CoreError;

/// File of the cache in the data folder.
pub const CACHE_FILE: &str = "help.sqlite3";
/// Where a corrupt cache file is kept aside.
pub const CORRUPT_SUFFIX: &str = ".corrupt";
/// How often [`HelpSyncer`] syncs while online even if nothing told it to.
pub const PERIODIC_SYNC: Duration = Duration::from_secs(30 * 60);

/// Schema versions of the cache (`PRAGMA user_version`), applied in order.
const MIGRATIONS: &[&str] = &[
    // 1: content, its version, and the feedback outbox.
    "CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) STRICT;
     CREATE TABLE categories (
         slug TEXT NOT NULL, lang TEXT NOT NULL, title TEXT NOT NULL, subtitle TEXT NOT NULL,
         ord INTEGER NOT NULL, PRIMARY KEY (slug, lang)) STRICT;
     CREATE TABLE articles (
         id TEXT NOT NULL, lang TEXT NOT NULL, slug TEXT NOT NULL, category TEXT NOT NULL,
         title TEXT NOT NULL, body TEXT NOT NULL, tags TEXT NOT NULL, popular INTEGER NOT NULL,
         ord INTEGER NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (id, lang)) STRICT;
     CREATE TABLE feedback_outbox (
         seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, lang TEXT NOT NULL,
         helpful INTEGER NOT NULL, queued_at TEXT NOT NULL) STRICT;",
];

/// Where the content in the cache came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum HelpSource {
    /// The content compiled into the app; no server was synced yet.
    Bundled,
    Server,
}

/// Something the person should know about the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum HelpNotice {
    /// The cache file was damaged; it was rebuilt from the app's own content and will be
    /// brought up to date at the next sync.
    CacheRebuilt,
}

/// The state of the offline help, as the Help screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HelpStatus {
    /// The content version held (0: the app's own content).
    pub version: u32,
    pub source: HelpSource,
    /// When the content was last confirmed with the server, RFC 3339 (UTC).
    pub synced_at: Option<String>,
    /// Articles in all languages.
    pub article_count: u32,
    /// "Was this helpful?" answers waiting to be sent.
    pub pending_feedback: u32,
    pub notice: Option<HelpNotice>,
}

/// What one sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncReport {
    /// The version now held.
    pub version: u32,
    /// The server had nothing new (`304 Not Modified`).
    pub unchanged: bool,
    /// Everything was replaced.
    pub full: bool,
    pub changed: u32,
    pub deleted: u32,
}

/// A category page: the category, its tags (most used first) and its articles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CategoryPage {
    pub category: HelpCategory,
    pub tags: Vec<String>,
    pub articles: Vec<HelpArticle>,
}

/// An article as its screen shows it: the article, and its answer parsed into text and links
/// ([`xwms_help::markup::answer`]), so the UI never parses markup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HelpArticleView {
    #[serde(flatten)]
    pub article: HelpArticle,
    pub answer: Vec<AnswerSpan>,
}

impl From<HelpArticle> for HelpArticleView {
    fn from(article: HelpArticle) -> Self {
        let answer = xwms_help::markup::answer(&article.body);
        HelpArticleView { article, answer }
    }
}

fn cache_error(e: impl std::fmt::Display) -> CoreError {
    CoreError::new(ErrorCode::HelpCacheFailed).with_detail(e.to_string())
}

fn now_rfc3339() -> String {
    crate::connection::now_rfc3339()
}

/// The cache: the SQLite file and the catalog built from it.
pub struct HelpCache {
    path: PathBuf,
    conn: Mutex<Connection>,
    catalog: RwLock<Arc<Catalog>>,
    notice: Mutex<Option<HelpNotice>>,
    changes: broadcast::Sender<HelpStatus>,
    /// This installation's id, sent with feedback so the server counts one vote per
    /// installation per article (a changed answer replaces the earlier one).
    installation_id: String,
}

impl std::fmt::Debug for HelpCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelpCache")
            .field("path", &self.path)
            .finish()
    }
}

fn migrate(conn: &mut Connection) -> rusqlite::Result<Result<(), String>> {
    let have: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let want = MIGRATIONS.len() as i64;
    if have > want {
        return Ok(Err(format!(
            "cache schema {have} is newer than this app's {want}"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(have as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(Ok(()))
}

/// Opens and checks the file: `Err` with a reason when it cannot serve as the cache.
fn open_checked(path: &Path) -> Result<Connection, String> {
    let mut conn = Connection::open(path).map_err(|e| e.to_string())?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if check != "ok" {
        return Err(format!("quick_check: {check}"));
    }
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| e.to_string())?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| e.to_string())?;
    migrate(&mut conn).map_err(|e| e.to_string())??;
    // A readable schema of ours: the tables must answer.
    conn.query_row("SELECT count(*) FROM articles", [], |r| r.get::<_, i64>(0))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

fn meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn write_article(conn: &Connection, a: &HelpArticle) -> rusqlite::Result<()> {
    upsert_article(conn, "articles", a)
}

fn write_categories(conn: &Connection, categories: &[HelpCategory]) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM categories", [])?;
    for c in categories {
        conn.execute(
            "INSERT INTO categories (slug, lang, title, subtitle, ord) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![c.slug, c.lang.as_str(), c.title, c.subtitle, c.order],
        )?;
    }
    Ok(())
}

/// Installs the bundled content as version 0, replacing whatever is there.
fn install_bundled(conn: &mut Connection) -> rusqlite::Result<()> {
    let content = Content::bundled();
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM articles", [])?;
    for a in content.wire_articles(0) {
        write_article(&tx, &a)?;
    }
    write_categories(&tx, &content.wire_categories())?;
    set_meta(&tx, "version", "0")?;
    set_meta(&tx, "source", "bundled")?;
    tx.execute("DELETE FROM meta WHERE key = 'synced_at'", [])?;
    tx.commit()
}

fn load_catalog(conn: &Connection) -> rusqlite::Result<Catalog> {
    let mut stmt = conn.prepare("SELECT slug, lang, title, subtitle, ord FROM categories")?;
    let mut categories: Vec<HelpCategory> = stmt
        .query_map([], |r| {
            Ok(HelpCategory {
                slug: r.get(0)?,
                lang: lang_from(r.get(1)?, 1)?,
                title: r.get(2)?,
                subtitle: r.get(3)?,
                order: r.get(4)?,
                article_count: 0,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare(&format!("SELECT {ARTICLE_COLUMNS} FROM articles"))?;
    let articles: Vec<HelpArticle> = stmt
        .query_map([], article_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    for c in &mut categories {
        c.article_count = articles
            .iter()
            .filter(|a| a.lang == c.lang && a.category == c.slug)
            .count() as u32;
    }
    Ok(Catalog::new(categories, articles))
}

/// Applies one delta in one transaction.
fn apply(conn: &mut Connection, delta: &HelpSync, server: &str) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    if delta.full {
        tx.execute("DELETE FROM articles", [])?;
    }
    for a in &delta.changed {
        write_article(&tx, a)?;
    }
    for d in &delta.deleted {
        tx.execute(
            "DELETE FROM articles WHERE id = ?1 AND lang = ?2",
            params![d.id, d.lang.as_str()],
        )?;
    }
    write_categories(&tx, &delta.categories)?;
    set_meta(&tx, "version", &delta.version.to_string())?;
    set_meta(&tx, "source", "server")?;
    set_meta(&tx, "server", server)?;
    set_meta(&tx, "synced_at", &now_rfc3339())?;
    tx.commit()
}

impl HelpCache {
    /// Opens the cache in `data_dir`, creating it from the bundled content when it is new and
    /// rebuilding it when it is damaged (see the module documentation).
    pub fn open(data_dir: &Path) -> Result<HelpCache, CoreError> {
        std::fs::create_dir_all(data_dir).map_err(cache_error)?;
        let path = data_dir.join(CACHE_FILE);
        let mut notice = None;
        let mut conn = match open_checked(&path) {
            Ok(conn) => conn,
            Err(reason) => {
                tracing::warn!(%reason, file = %path.display(), "help cache damaged; rebuilding it");
                notice = Some(HelpNotice::CacheRebuilt);
                let aside = data_dir.join(format!("{CACHE_FILE}{CORRUPT_SUFFIX}"));
                std::fs::rename(&path, &aside).map_err(cache_error)?;
                for extra in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(data_dir.join(format!("{CACHE_FILE}{extra}")));
                }
                open_checked(&path).map_err(cache_error)?
            }
        };
        if meta(&conn, "version").map_err(cache_error)?.is_none() {
            install_bundled(&mut conn).map_err(cache_error)?;
        }
        let catalog = load_catalog(&conn).map_err(cache_error)?;
        let (changes, _) = broadcast::channel(16);
        Ok(HelpCache {
            path,
            conn: Mutex::new(conn),
            catalog: RwLock::new(Arc::new(catalog)),
            notice: Mutex::new(notice),
            changes,
            installation_id: crate::account::installation_id(data_dir),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Told on every change of [`HelpCache::status`] (sync, feedback queued or sent).
    pub fn subscribe(&self) -> broadcast::Receiver<HelpStatus> {
        self.changes.subscribe()
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.catalog.read().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn version(&self) -> Result<u32, CoreError> {
        let v = meta(&self.conn(), "version").map_err(cache_error)?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    pub fn status(&self) -> Result<HelpStatus, CoreError> {
        let conn = self.conn();
        let version = meta(&conn, "version")
            .map_err(cache_error)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let source = match meta(&conn, "source").map_err(cache_error)?.as_deref() {
            Some("server") => HelpSource::Server,
            _ => HelpSource::Bundled,
        };
        let synced_at = meta(&conn, "synced_at").map_err(cache_error)?;
        let pending: i64 = conn
            .query_row("SELECT count(*) FROM feedback_outbox", [], |r| r.get(0))
            .map_err(cache_error)?;
        drop(conn);
        Ok(HelpStatus {
            version,
            source,
            synced_at,
            article_count: self.catalog().all_articles().len() as u32,
            pending_feedback: pending as u32,
            notice: *self.notice.lock().unwrap_or_else(|p| p.into_inner()),
        })
    }

    /// The person has seen the notice.
    pub fn dismiss_notice(&self) {
        *self.notice.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.announce();
    }

    fn announce(&self) {
        if let Ok(status) = self.status() {
            let _ = self.changes.send(status);
        }
    }

    pub fn categories(&self, lang: Language) -> Vec<HelpCategory> {
        self.catalog().categories(lang)
    }

    pub fn category_page(
        &self,
        lang: Language,
        slug: &str,
        tag: Option<&str>,
    ) -> Result<CategoryPage, CoreError> {
        let catalog = self.catalog();
        let category = catalog
            .category(lang, slug)
            .cloned()
            .ok_or_else(|| CoreError::new(ErrorCode::HelpNotFound))?;
        Ok(CategoryPage {
            category,
            tags: catalog.category_tags(lang, slug),
            articles: catalog
                .category_articles(lang, slug, tag.filter(|t| !t.is_empty()))
                .into_iter()
                .cloned()
                .collect(),
        })
    }

    pub fn popular(&self, lang: Language, limit: usize) -> Vec<HelpArticle> {
        self.catalog()
            .popular(lang, limit)
            .into_iter()
            .cloned()
            .collect()
    }

    /// An article by id or by its slug in `lang`.
    pub fn article(&self, lang: Language, key: &str) -> Result<HelpArticle, CoreError> {
        self.catalog()
            .article(lang, key)
            .cloned()
            .ok_or_else(|| CoreError::new(ErrorCode::HelpNotFound))
    }

    pub fn related(&self, lang: Language, key: &str, limit: usize) -> Vec<HelpArticle> {
        self.catalog()
            .related(lang, key, limit)
            .into_iter()
            .cloned()
            .collect()
    }

    /// Never fails: any text is a query; no words → no results.
    pub fn search(&self, lang: Language, query: &str, limit: usize) -> Vec<SearchHit> {
        self.catalog().search(lang, query, limit)
    }

    /// Applies a delta from `server` (one transaction) and rebuilds the catalog.
    pub fn apply(&self, delta: &HelpSync, server: &str) -> Result<(), CoreError> {
        let catalog = {
            let mut conn = self.conn();
            apply(&mut conn, delta, server).map_err(cache_error)?;
            load_catalog(&conn).map_err(cache_error)?
        };
        *self.catalog.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(catalog);
        *self.notice.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.announce();
        Ok(())
    }

    /// Asks the server for what changed since the version held and applies it.
    ///
    /// Content versions are per server: against another server than the last one synced,
    /// the cache asks for everything (`since=0`).
    pub async fn sync(&self, api: &ApiClient) -> Result<SyncReport, CoreError> {
        let server = api.base_url().to_string();
        let same_server = meta(&self.conn(), "server")
            .map_err(cache_error)?
            .as_deref()
            == Some(&server);
        let since = if same_server { self.version()? } else { 0 };
        let path = format!("{}?since={since}", paths::SYNC);
        match api.get_unless_not_modified::<HelpSync>(&path).await? {
            None => {
                set_meta(&self.conn(), "synced_at", &now_rfc3339()).map_err(cache_error)?;
                self.announce();
                Ok(SyncReport {
                    version: since,
                    unchanged: true,
                    full: false,
                    changed: 0,
                    deleted: 0,
                })
            }
            Some(delta) => {
                let report = SyncReport {
                    version: delta.version,
                    unchanged: false,
                    full: delta.full,
                    changed: delta.changed.len() as u32,
                    deleted: delta.deleted.len() as u32,
                };
                self.apply(&delta, &server)?;
                Ok(report)
            }
        }
    }

    /// Queues "was this helpful?" for `id`; it is sent by [`HelpCache::flush_feedback`].
    pub fn queue_feedback(&self, id: &str, lang: Language, helpful: bool) -> Result<(), CoreError> {
        let id = self.article(lang, id)?.id;
        self.conn()
            .execute(
                "INSERT INTO feedback_outbox (id, lang, helpful, queued_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, lang.as_str(), helpful, now_rfc3339()],
            )
            .map_err(cache_error)?;
        self.announce();
        Ok(())
    }

    /// Sends queued feedback in order; stops at the first network failure (the rest waits for
    /// the next time). An answer the server refuses (the article is gone) is dropped. Returns
    /// how many were sent.
    pub async fn flush_feedback(&self, api: &ApiClient) -> Result<u32, CoreError> {
        let mut sent = 0;
        loop {
            let next: Option<(i64, String, String, bool)> = self
                .conn()
                .query_row(
                    "SELECT seq, id, lang, helpful FROM feedback_outbox ORDER BY seq LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(cache_error)?;
            let Some((seq, id, lang, helpful)) = next else {
                break;
            };
            let body = HelpFeedback {
                helpful,
                lang: Language::from_tag(&lang).unwrap_or(Language::En),
                installation_id: Some(self.installation_id.clone()),
            };
            let result: Result<HelpFeedbackCounted, CoreError> = api
                .post(&paths::fill(paths::FEEDBACK, &id), &body, None)
                .await;
            match result {
                Ok(_) => sent += 1,
                Err(e) if is_transient(&e.code) => {
                    if sent > 0 {
                        self.announce();
                    }
                    return Err(e);
                }
                Err(e) => tracing::warn!(code = %e.code, %id, "feedback refused; dropped"),
            }
            self.conn()
                .execute("DELETE FROM feedback_outbox WHERE seq = ?1", [seq])
                .map_err(cache_error)?;
        }
        if sent > 0 {
            self.announce();
        }
        Ok(sent)
    }
}

/// Failures after which trying again later can succeed.
fn is_transient(code: &ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Offline
            | ErrorCode::Timeout
            | ErrorCode::Unavailable
            | ErrorCode::Internal
            | ErrorCode::RateLimited
            | ErrorCode::Busy
            | ErrorCode::BadResponse
    )
}

/// Keeps the cache in step with the server in the background (see the module documentation).
pub struct HelpSyncer;

impl HelpSyncer {
    /// Runs until `connection` closes. `api` follows the server URL of the connection state.
    pub async fn run(
        cache: Arc<HelpCache>,
        mut connection: watch::Receiver<ConnectionState>,
        product: String,
    ) {
        let mut last_url = String::new();
        let mut was_online = false;
        let mut last_seen_version: Option<u32> = None;
        loop {
            let state = connection.borrow_and_update().clone();
            let online = state.status == ConnectionStatus::Online;
            let server_version = state.server.as_ref().and_then(|s| s.help_version);
            let due = online
                && (!was_online
                    || state.server_url != last_url
                    || (server_version.is_some() && server_version != last_seen_version));
            if due {
                last_url = state.server_url.clone();
                last_seen_version = server_version;
                Self::sync_once(&cache, &state.server_url, &product).await;
            }
            was_online = online;
            tokio::select! {
                changed = connection.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                _ = tokio::time::sleep(PERIODIC_SYNC) => {
                    if connection.borrow().status == ConnectionStatus::Online {
                        let url = connection.borrow().server_url.clone();
                        Self::sync_once(&cache, &url, &product).await;
                    }
                }
            }
        }
    }

    async fn sync_once(cache: &HelpCache, url: &str, product: &str) {
        let Ok(api) = ApiClient::new(url, product) else {
            return;
        };
        if let Err(e) = cache.flush_feedback(&api).await {
            tracing::info!(code = %e.code, "help feedback waits for the next connection");
        }
        match cache.sync(&api).await {
            Ok(report) => tracing::info!(?report, "help synced"),
            Err(e) => tracing::info!(code = %e.code, "help sync failed; the cached help stays"),
        }
    }
}

#[cfg(test)]
mod tests;
