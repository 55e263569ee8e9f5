//! The `users` table.

use rusqlite::{params, Connection, OptionalExtension, Row};
use time::OffsetDateTime;
use xwms_api::auth::UserProfile;

use crate::clock::{from_millis, rfc3339, to_millis};
use xwms_api::Language;

/// `users.role` of a person.
pub const ROLE_USER: &str = "user";
/// `users.role` of a support agent: reads and answers every support conversation.
pub const ROLE_AGENT: &str = "agent";

/// One account.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// XWMS's `sub`.
    pub id: String,
    pub name: String,
    pub username: Option<String>,
    pub email: String,
    /// Lower-cased email.
    pub email_key: String,
    pub email_verified: bool,
    pub password_hash: String,
    pub timezone: String,
    pub region: String,
    pub language: Language,
    /// `role` is `agent` or `admin`: a member of the support team.
    pub is_agent: bool,
    pub created_at: OffsetDateTime,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("email_verified", &self.email_verified)
            .finish_non_exhaustive()
    }
}

impl User {
    /// The account as its owner sees it.
    pub fn profile(&self) -> UserProfile {
        UserProfile {
            sub: self.id.clone(),
            name: self.name.clone(),
            username: self.username.clone(),
            email: self.email.clone(),
            email_verified: self.email_verified,
            timezone: self.timezone.clone(),
            region: self.region.clone(),
            language: self.language.as_str().to_owned(),
            created_at: rfc3339(self.created_at),
            is_agent: self.is_agent,
        }
    }
}

const COLUMNS: &str = "id, name, username, email, email_key, email_verified, password_hash, \
                       timezone, region, language, role, created_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let language: String = row.get(9)?;
    Ok(User {
        id: row.get(0)?,
        name: row.get(1)?,
        username: row.get(2)?,
        email: row.get(3)?,
        email_key: row.get(4)?,
        email_verified: row.get(5)?,
        password_hash: row.get(6)?,
        timezone: row.get(7)?,
        region: row.get(8)?,
        language: Language::parse(&language).unwrap_or_default(),
        is_agent: row.get::<_, String>(10)? != ROLE_USER,
        created_at: from_millis(row.get(11)?),
    })
}

pub fn by_email_key(conn: &Connection, email_key: &str) -> rusqlite::Result<Option<User>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE email_key = ?1"))?
        .query_row([email_key], from_row)
        .optional()
}

pub fn by_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<User>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()
}

/// The id of the account with `username`, if any.
pub fn id_by_username(conn: &Connection, username: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT id FROM users WHERE username = ?1",
        [username],
        |row| row.get(0),
    )
    .optional()
}

pub fn insert(conn: &Connection, user: &User) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO users ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
        params![
            user.id,
            user.name,
            user.username,
            user.email,
            user.email_key,
            user.email_verified,
            user.password_hash,
            user.timezone,
            user.region,
            user.language.as_str(),
            if user.is_agent { ROLE_AGENT } else { ROLE_USER },
            to_millis(user.created_at),
        ],
    )
    .map(|_| ())
}

/// Writes every changeable field of `user` (by id).
pub fn update(conn: &Connection, user: &User) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE users SET name = ?2, username = ?3, email = ?4, email_key = ?5, email_verified = ?6,
                password_hash = ?7, timezone = ?8, region = ?9, language = ?10
         WHERE id = ?1",
        params![
            user.id,
            user.name,
            user.username,
            user.email,
            user.email_key,
            user.email_verified,
            user.password_hash,
            user.timezone,
            user.region,
            user.language.as_str(),
        ],
    )
    .map(|_| ())
}

/// What the server knows about an account's password besides its hash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PasswordFacts {
    /// Whether it met the rule when last entered; `None`: not known yet.
    pub meets_rule: Option<bool>,
    /// `None`: never changed since the account was made.
    pub changed_at: Option<OffsetDateTime>,
}

/// Records whether the password just entered meets the current rule.
pub fn record_password_rule(conn: &Connection, id: &str, meets: bool) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE users SET password_meets_rule = ?2 WHERE id = ?1")?
        .execute(params![id, meets])
        .map(|_| ())
}

/// Records a new password (it passed the rule) set at `at`.
pub fn record_password_change(
    conn: &Connection,
    id: &str,
    at: OffsetDateTime,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE users SET password_meets_rule = 1, password_changed_at = ?2 WHERE id = ?1",
    )?
    .execute(params![id, to_millis(at)])
    .map(|_| ())
}

pub fn password_facts(conn: &Connection, id: &str) -> rusqlite::Result<PasswordFacts> {
    Ok(conn
        .prepare_cached("SELECT password_meets_rule, password_changed_at FROM users WHERE id = ?1")?
        .query_row([id], |row| {
            Ok(PasswordFacts {
                meets_rule: row.get(0)?,
                changed_at: row.get::<_, Option<i64>>(1)?.map(from_millis),
            })
        })
        .optional()?
        .unwrap_or_default())
}
