//! Articles as rows, for the two SQLite stores that hold them: the server's (`help_articles`)
//! and the app's offline cache (`articles`). Both tables have the columns of
//! [`ARTICLE_COLUMNS`]; `tags` is a JSON array of strings.

use rusqlite::{params, Connection, Row};
use xwms_api::help::{HelpArticle, Language};

/// The columns of an article table, in the order [`article_from_row`] reads them.
pub const ARTICLE_COLUMNS: &str =
    "id, lang, slug, category, title, body, tags, popular, ord, version";

/// A language column's value.
pub fn lang_from(text: String, column: usize) -> rusqlite::Result<Language> {
    Language::from_tag(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("unknown help language {text:?}").into(),
        )
    })
}

/// Reads a row selected with [`ARTICLE_COLUMNS`].
pub fn article_from_row(row: &Row<'_>) -> rusqlite::Result<HelpArticle> {
    let tags: String = row.get(6)?;
    Ok(HelpArticle {
        id: row.get(0)?,
        lang: lang_from(row.get(1)?, 1)?,
        slug: row.get(2)?,
        category: row.get(3)?,
        title: row.get(4)?,
        body: row.get(5)?,
        tags: serde_json::from_str(&tags).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, e.into())
        })?,
        popular: row.get(7)?,
        order: row.get(8)?,
        version: row.get(9)?,
    })
}

/// Inserts or replaces the article (keyed by id and language) in `table`.
pub fn upsert_article(conn: &Connection, table: &str, a: &HelpArticle) -> rusqlite::Result<()> {
    let sql = format!(
        "INSERT INTO {table} ({ARTICLE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id, lang) DO UPDATE SET slug = excluded.slug, category = excluded.category,
           title = excluded.title, body = excluded.body, tags = excluded.tags,
           popular = excluded.popular, ord = excluded.ord, version = excluded.version"
    );
    conn.prepare_cached(&sql)?.execute(params![
        a.id,
        a.lang.as_str(),
        a.slug,
        a.category,
        a.title,
        a.body,
        serde_json::to_string(&a.tags).expect("strings serialise"),
        a.popular,
        a.order,
        a.version
    ])?;
    Ok(())
}
