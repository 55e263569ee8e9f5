//! The server operator's commands for accounts and their roles (`xwms-server user add` and
//! `xwms-server user role`): they work on the data folder directly, with the server stopped or
//! running (SQLite serialises the writes).

use std::path::Path;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::json;
use time::OffsetDateTime;
use xwms_api::agent::Role;
use xwms_api::password::validate_password;
use xwms_api::{Language, Secret};

use super::events::{self, Kind};
use super::hashing::{HashCost, HashError, PasswordHasher};
use super::users::{self, User};
use super::validate::{self, Email};
use crate::random::{self, OsRandom, Random};
use crate::store::{Store, StoreError};

/// Why a command did nothing.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("an account with the address {0} exists already")]
    Exists(String),
    #[error("no account has the address {0}")]
    NoAccount(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
}

impl From<rusqlite::Error> for RoleError {
    fn from(err: rusqlite::Error) -> RoleError {
        RoleError::Store(StoreError::Sqlite(err))
    }
}

/// What [`add_user`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// What [`set_role`] changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChange {
    pub email: String,
    pub before: Role,
    pub after: Role,
}

/// The role stored for the account `user_id`, if it exists.
pub fn role_of(conn: &Connection, user_id: &str) -> rusqlite::Result<Option<Role>> {
    conn.prepare_cached("SELECT role FROM users WHERE id = ?1")?
        .query_row([user_id], |row| row.get::<_, String>(0))
        .optional()
        .map(|role| role.map(|r| Role::from_wire(&r)))
}

fn stored(role: Role) -> Result<&'static str, RoleError> {
    match role {
        Role::User | Role::Agent | Role::Admin => Ok(role.as_str()),
        Role::Unknown => Err(RoleError::Invalid {
            field: "role",
            message: "must be user, agent or admin".into(),
        }),
    }
}

fn invalid(field: &'static str) -> impl Fn(crate::error::ApiError) -> RoleError {
    move |err| RoleError::Invalid {
        field,
        message: err.message.into_owned(),
    }
}

/// Creates a verified account with `role` in the store of `data_dir` (its password hashed at
/// the production cost). The address must be new; name, address and password follow the same
/// rules as sign-up.
pub async fn add_user(
    data_dir: &Path,
    email: &str,
    name: &str,
    role: Role,
    password: Secret,
    now: OffsetDateTime,
) -> Result<AddedUser, RoleError> {
    add_user_with(
        data_dir,
        email,
        name,
        role,
        password,
        now,
        HashCost::PRODUCTION,
    )
    .await
}

/// [`add_user`] at a given hash cost (tests use a fast one).
pub async fn add_user_with(
    data_dir: &Path,
    email: &str,
    name: &str,
    role: Role,
    password: Secret,
    now: OffsetDateTime,
    cost: HashCost,
) -> Result<AddedUser, RoleError> {
    let role_str = stored(role)?;
    let email = validate::email("email", email).map_err(invalid("email"))?;
    let name = validate::name("name", name).map_err(invalid("name"))?;
    validate_password(password.expose()).map_err(|code| RoleError::Invalid {
        field: "password",
        message: code.default_message().to_owned(),
    })?;
    let random: Arc<dyn Random> = Arc::new(OsRandom);
    let hasher = PasswordHasher::new(cost, random.clone());
    let password_hash = hasher.hash(&password).await?;
    let data_dir = data_dir.to_owned();
    let added = tokio::task::spawn_blocking(move || -> Result<AddedUser, RoleError> {
        let store = Store::open_in(&data_dir)?;
        let added = store.blocking(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if users::by_email_key(&tx, &email.key)?.is_some() {
                return Ok(Err(RoleError::Exists(email.address.clone())));
            }
            let user = new_user(random.as_ref(), &email, name, password_hash, now);
            users::insert(&tx, &user)?;
            tx.execute(
                "UPDATE users SET role = ?2 WHERE id = ?1",
                params![user.id, role_str],
            )?;
            users::record_password_rule(&tx, &user.id, true)?;
            events::record(&tx, &user.id, Kind::AccountCreated, "", now, json!({}))?;
            tx.commit()?;
            Ok(Ok(AddedUser {
                id: user.id,
                email: user.email,
                name: user.name,
                role,
            }))
        });
        store.close();
        added?
    })
    .await
    .map_err(|err| RoleError::Store(StoreError::from(err)))??;
    Ok(added)
}

fn new_user(
    random: &dyn Random,
    email: &Email,
    name: String,
    password_hash: String,
    now: OffsetDateTime,
) -> User {
    User {
        id: random::id(random),
        name,
        username: None,
        email: email.address.clone(),
        email_key: email.key.clone(),
        email_verified: true,
        password_hash,
        timezone: "UTC".into(),
        region: String::new(),
        language: Language::default(),
        is_agent: false,
        created_at: now,
    }
}

/// Gives the account with `email` the role `role` in the store of `data_dir`. It takes effect
/// at the account's next request (every agent route reads the role as it answers).
pub fn set_role(data_dir: &Path, email: &str, role: Role) -> Result<RoleChange, RoleError> {
    let role_str = stored(role)?;
    let key = Email::key_of(email.trim());
    let store = Store::open_in(data_dir)?;
    let changed = store.blocking(|conn| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(user) = users::by_email_key(&tx, &key)? else {
            return Ok(Err(RoleError::NoAccount(email.trim().to_owned())));
        };
        let before = role_of(&tx, &user.id)?.unwrap_or(Role::Unknown);
        tx.execute(
            "UPDATE users SET role = ?2 WHERE id = ?1",
            params![user.id, role_str],
        )?;
        tx.commit()?;
        Ok(Ok(RoleChange {
            email: user.email,
            before,
            after: role,
        }))
    });
    store.close();
    changed?
}
