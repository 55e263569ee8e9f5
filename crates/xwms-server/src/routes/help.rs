//! `/api/help/...`: the help center. No sign-in needed: people open help when they cannot
//! sign in. Every route takes `lang` (`en`, `nl`, `fr`; default `en`).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use xwms_api::help::{
    HelpArticle, HelpCategory, HelpFeedback, HelpFeedbackCounted, HelpSync, Language, SearchHit,
};
use xwms_api::{Envelope, ErrorCode};

use crate::accounts::{validate, ClientMeta};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::ApiJson;
use crate::help;
use crate::AppState;

/// Results of a search when `limit` is not given.
pub const DEFAULT_SEARCH_LIMIT: usize = 10;
/// Related questions when `limit` is not given.
pub const DEFAULT_RELATED_LIMIT: usize = 5;
/// The longest installation id a feedback vote may carry.
pub const INSTALLATION_ID_MAX_CHARS: usize = 100;

type Params = Query<HashMap<String, String>>;

fn lang(params: &HashMap<String, String>) -> Result<Language, ApiError> {
    match params.get("lang") {
        None => Ok(Language::En),
        Some(text) => Language::from_tag(text)
            .filter(|_| text.len() == 2)
            .ok_or_else(|| {
                ApiError::with_message(ErrorCode::FieldInvalid, "`lang` must be en, nl or fr.")
                    .with_field("lang")
            }),
    }
}

fn limit(params: &HashMap<String, String>, default: usize) -> Result<usize, ApiError> {
    match params.get("limit") {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=xwms_help::MAX_SEARCH_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::with_message(
                    ErrorCode::FieldInvalid,
                    format!(
                        "`limit` must be a whole number from 1 to {}.",
                        xwms_help::MAX_SEARCH_LIMIT
                    ),
                )
                .with_field("limit")
            }),
    }
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::HelpNotFound)
}

/// The categories, with their article counts.
#[utoipa::path(
    get,
    path = "/api/help/categories",
    tag = "help",
    params(("lang" = Option<String>, Query, description = "`en`, `nl` or `fr` (default `en`)")),
    responses(
        (status = 200, description = "The categories in `lang`", body = Envelope<Vec<HelpCategory>>),
        (status = 400, description = "`field.invalid` (lang)", body = ErrorEnvelope),
    )
)]
pub(super) async fn categories(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Json<Envelope<Vec<HelpCategory>>>, ApiError> {
    let lang = lang(&params)?;
    let catalog = state.help.catalog().await?;
    Ok(Json(Envelope::success(
        "Help categories.",
        catalog.categories(lang),
    )))
}

/// A category's articles, in order, optionally only those with a tag.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CategoryPage {
    pub category: HelpCategory,
    /// Every tag used in the category, the most used first (for the filter).
    pub tags: Vec<String>,
    pub articles: Vec<HelpArticle>,
}

/// The articles of a category.
#[utoipa::path(
    get,
    path = "/api/help/categories/{slug}/articles",
    tag = "help",
    params(
        ("slug" = String, Path, description = "The category's slug, e.g. `account-security`"),
        ("lang" = Option<String>, Query, description = "`en`, `nl` or `fr` (default `en`)"),
        ("tag" = Option<String>, Query, description = "Only articles with this tag"),
    ),
    responses(
        (status = 200, description = "The category, its tags and its articles", body = Envelope<CategoryPage>),
        (status = 400, description = "`field.invalid` (lang)", body = ErrorEnvelope),
        (status = 404, description = "`help.not_found`: no such category", body = ErrorEnvelope),
    )
)]
pub(super) async fn category_articles(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(params): Params,
) -> Result<Json<Envelope<CategoryPage>>, ApiError> {
    let lang = lang(&params)?;
    let catalog = state.help.catalog().await?;
    let category = catalog.category(lang, &slug).ok_or_else(not_found)?.clone();
    let tag = params
        .get("tag")
        .map(String::as_str)
        .filter(|t| !t.is_empty());
    let page = CategoryPage {
        tags: catalog.category_tags(lang, &slug),
        articles: catalog
            .category_articles(lang, &slug, tag)
            .into_iter()
            .cloned()
            .collect(),
        category,
    };
    Ok(Json(Envelope::success("Help articles.", page)))
}

/// One article, by id or by its slug in `lang`.
#[utoipa::path(
    get,
    path = "/api/help/articles/{key}",
    tag = "help",
    params(
        ("key" = String, Path, description = "The article's id, or its slug in `lang`"),
        ("lang" = Option<String>, Query, description = "`en`, `nl` or `fr` (default `en`)"),
    ),
    responses(
        (status = 200, description = "The article", body = Envelope<HelpArticle>),
        (status = 400, description = "`field.invalid` (lang)", body = ErrorEnvelope),
        (status = 404, description = "`help.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn article(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(params): Params,
) -> Result<Json<Envelope<HelpArticle>>, ApiError> {
    let lang = lang(&params)?;
    let catalog = state.help.catalog().await?;
    let article = catalog.article(lang, &key).ok_or_else(not_found)?.clone();
    Ok(Json(Envelope::success("Help article.", article)))
}

/// Related questions of the same category.
#[utoipa::path(
    get,
    path = "/api/help/articles/{key}/related",
    tag = "help",
    params(
        ("key" = String, Path, description = "The article's id, or its slug in `lang`"),
        ("lang" = Option<String>, Query, description = "`en`, `nl` or `fr` (default `en`)"),
        ("limit" = Option<usize>, Query, description = "1 to 50 (default 5)"),
    ),
    responses(
        (status = 200, description = "Related articles, the closest first", body = Envelope<Vec<HelpArticle>>),
        (status = 400, description = "`field.invalid` (lang, limit)", body = ErrorEnvelope),
        (status = 404, description = "`help.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn related(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(params): Params,
) -> Result<Json<Envelope<Vec<HelpArticle>>>, ApiError> {
    let lang = lang(&params)?;
    let limit = limit(&params, DEFAULT_RELATED_LIMIT)?;
    let catalog = state.help.catalog().await?;
    catalog.article(lang, &key).ok_or_else(not_found)?;
    let related = catalog
        .related(lang, &key, limit)
        .into_iter()
        .cloned()
        .collect();
    Ok(Json(Envelope::success("Related articles.", related)))
}

/// Search the help center (the same engine as the app's offline search).
///
/// Any `q` is accepted: it is text, never syntax; an empty one answers an empty list.
#[utoipa::path(
    get,
    path = "/api/help/search",
    tag = "help",
    params(
        ("q" = Option<String>, Query, description = "What the person typed"),
        ("lang" = Option<String>, Query, description = "`en`, `nl` or `fr` (default `en`)"),
        ("limit" = Option<usize>, Query, description = "1 to 50 (default 10)"),
    ),
    responses(
        (status = 200, description = "Results, best first", body = Envelope<Vec<SearchHit>>),
        (status = 400, description = "`field.invalid` (lang, limit)", body = ErrorEnvelope),
    )
)]
pub(super) async fn search(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Json<Envelope<Vec<SearchHit>>>, ApiError> {
    let lang = lang(&params)?;
    let limit = limit(&params, DEFAULT_SEARCH_LIMIT)?;
    let query = params.get("q").cloned().unwrap_or_default();
    let catalog = state.help.catalog().await?;
    let hits = tokio::task::spawn_blocking(move || catalog.search(lang, &query, limit))
        .await
        .map_err(|_| ApiError::new(ErrorCode::Internal))?;
    Ok(Json(Envelope::success("Search results.", hits)))
}

/// What changed since the content version the client holds.
///
/// `since=0` (or a version this server never had) answers everything with `full: true`;
/// the current version answers `304 Not Modified` with no body.
#[utoipa::path(
    get,
    path = "/api/help/sync",
    tag = "help",
    params(("since" = Option<i64>, Query, description = "The content version the client holds (default 0)")),
    responses(
        (status = 200, description = "The changes", body = Envelope<HelpSync>),
        (status = 304, description = "Nothing changed since `since`; no body"),
        (status = 400, description = "`field.invalid` (since)", body = ErrorEnvelope),
    )
)]
pub(super) async fn sync(
    State(state): State<AppState>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    let since = match params.get("since") {
        None => 0,
        Some(text) => text.parse::<i64>().map_err(|_| {
            ApiError::with_message(ErrorCode::FieldInvalid, "`since` must be a whole number.")
                .with_field("since")
        })?,
    };
    match state.help.sync(since).await? {
        None => Ok(StatusCode::NOT_MODIFIED.into_response()),
        Some(delta) => Ok(Json(Envelope::success("Help content changes.", delta)).into_response()),
    }
}

/// "Was this helpful?" for one article.
#[utoipa::path(
    post,
    path = "/api/help/articles/{key}/feedback",
    tag = "help",
    params(("key" = String, Path, description = "The article's id, or its slug in `lang`")),
    request_body = HelpFeedback,
    responses(
        (status = 200, description = "Recorded; the article's totals", body = Envelope<HelpFeedbackCounted>),
        (status = 400, description = "`request.invalid`; `field.required`, `field.too_long`, `field.invalid`: `installation_id`", body = ErrorEnvelope),
        (status = 404, description = "`help.not_found`", body = ErrorEnvelope),
        (status = 429, description = "`request.rate_limited`: too many votes from this address", body = ErrorEnvelope),
    )
)]
pub(super) async fn feedback(
    State(state): State<AppState>,
    client: ClientMeta,
    Path(key): Path<String>,
    ApiJson(feedback): ApiJson<HelpFeedback>,
) -> Result<Json<Envelope<HelpFeedbackCounted>>, ApiError> {
    let installation = feedback
        .installation_id
        .as_deref()
        .map(|raw| validate::label("installation_id", raw, INSTALLATION_ID_MAX_CHARS))
        .transpose()?;
    let catalog = state.help.catalog().await?;
    let id = catalog
        .article(feedback.lang, &key)
        .ok_or_else(not_found)?
        .id
        .clone();
    let at = state.clock.now();
    let counted = {
        let id = id.clone();
        let limit_key = client.limit_key();
        state
            .store
            .transaction(move |tx| {
                let vote = help::FeedbackVote {
                    id: &id,
                    lang: feedback.lang,
                    helpful: feedback.helpful,
                    installation: installation.as_deref(),
                    // Limited per client network (IPv4 address, IPv6 /64).
                    ip: &limit_key,
                };
                help::record_feedback(tx, &vote, at)
            })
            .await?
    };
    let (helpful, not_helpful) =
        counted.map_err(|wait| ApiError::retry_after(ErrorCode::RateLimited, wait))?;
    Ok(Json(Envelope::success(
        "Thank you for your feedback.",
        HelpFeedbackCounted {
            id,
            helpful,
            not_helpful,
        },
    )))
}
