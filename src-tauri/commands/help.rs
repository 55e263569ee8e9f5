//! The help center: read from the offline cache; sync and feedback go to the server.

use tauri::State;
use xwms_api::help::{HelpArticle, HelpCategory, Language, SearchHit};
use xwms_core::client::Client;
use xwms_core::help::{CategoryPage, HelpArticleView, HelpStatus, SyncReport};

use super::IpcResult;

/// The offline help's version, source, last sync and notice.
#[tauri::command]
#[specta::specta]
pub fn help_status(client: State<'_, Client>) -> IpcResult<HelpStatus> {
    Ok(client.help().status()?)
}

/// The person has read the help's notice (e.g. "the cache was rebuilt").
#[tauri::command]
#[specta::specta]
pub fn help_dismiss_notice(client: State<'_, Client>) {
    client.help().dismiss_notice()
}

#[tauri::command]
#[specta::specta]
pub fn help_categories(client: State<'_, Client>, lang: Language) -> Vec<HelpCategory> {
    client.help().categories(lang)
}

/// A category with its tags and its articles (only those with `tag` when given).
#[tauri::command]
#[specta::specta]
pub fn help_category(
    client: State<'_, Client>,
    lang: Language,
    slug: String,
    tag: Option<String>,
) -> IpcResult<CategoryPage> {
    Ok(client.help().category_page(lang, &slug, tag.as_deref())?)
}

#[tauri::command]
#[specta::specta]
pub fn help_popular(client: State<'_, Client>, lang: Language, limit: u32) -> Vec<HelpArticle> {
    client.help().popular(lang, limit as usize)
}

/// An article by id or by its slug in `lang`.
#[tauri::command]
#[specta::specta]
pub fn help_article(
    client: State<'_, Client>,
    lang: Language,
    key: String,
) -> IpcResult<HelpArticleView> {
    Ok(client
        .help()
        .article(lang, &key)
        .map(HelpArticleView::from)?)
}

#[tauri::command]
#[specta::specta]
pub fn help_related(
    client: State<'_, Client>,
    lang: Language,
    key: String,
    limit: u32,
) -> Vec<HelpArticle> {
    client.help().related(lang, &key, limit as usize)
}

/// Any text is a query; an empty one gives no results.
#[tauri::command]
#[specta::specta]
pub fn help_search(
    client: State<'_, Client>,
    lang: Language,
    query: String,
    limit: u32,
) -> Vec<SearchHit> {
    client.help().search(lang, &query, limit as usize)
}

/// "Was this helpful?": queued at once (kept when offline), then sent when the server answers.
#[tauri::command]
#[specta::specta]
pub async fn help_feedback(
    client: State<'_, Client>,
    lang: Language,
    key: String,
    helpful: bool,
) -> IpcResult<()> {
    Ok(client.help_feedback(lang, &key, helpful).await?)
}

/// Syncs the help with the server now.
#[tauri::command]
#[specta::specta]
pub async fn help_sync(client: State<'_, Client>) -> IpcResult<SyncReport> {
    Ok(client.help_sync().await?)
}
