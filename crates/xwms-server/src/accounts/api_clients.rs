//! API credentials: a person's own clients of the XWMS API (scripts, integrations).
//!
//! A client has a public id (`xwms_ci_` and 128 random bits) and a secret (`xwms_cs_` and 256
//! random bits) that is shown once, when it is made or regenerated; only its SHA-256 is kept, so
//! a new secret replaces the old one at once. A client checks its credentials with HTTP Basic
//! at `GET /api/client/identity`, which also records when it was last used.

use base64::Engine;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::json;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use xwms_api::security::{
    ApiClientCreate, ApiClientIdentity, ApiClientInfo, ApiClientList, ApiClientSecret,
    ApiClientUpdate,
};
use xwms_api::{ErrorCode, Secret};

use super::events::{self, Kind};
use super::policy::API_CLIENTS;
use super::sessions::{token_hash, Authenticated};
use super::{users, validate};
use super::{Accounts, ClientMeta, Ctx};
use crate::clock::{from_millis, rfc3339, to_millis};
use crate::error::ApiError;
use crate::mail::{MailFacts, MailKind};
use crate::random;

pub const CLIENT_ID_PREFIX: &str = "xwms_ci_";
pub const SECRET_PREFIX: &str = "xwms_cs_";

const COLUMNS: &str =
    "id, name, client_id, created_at, last_used_at, secret_created_at, enabled, user_id, secret_hash";

struct ClientRow {
    info: ApiClientInfo,
    user_id: String,
    secret_hash: String,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<ClientRow> {
    Ok(ClientRow {
        info: ApiClientInfo {
            id: row.get(0)?,
            name: row.get(1)?,
            client_id: row.get(2)?,
            created_at: rfc3339(from_millis(row.get(3)?)),
            last_used_at: row
                .get::<_, Option<i64>>(4)?
                .map(|t| rfc3339(from_millis(t))),
            secret_created_at: rfc3339(from_millis(row.get(5)?)),
            enabled: row.get(6)?,
        },
        user_id: row.get(7)?,
        secret_hash: row.get(8)?,
    })
}

fn by_id(conn: &Connection, user_id: &str, id: &str) -> rusqlite::Result<Option<ClientRow>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM api_clients WHERE id = ?1 AND user_id = ?2"
    ))?
    .query_row(params![id, user_id], from_row)
    .optional()
}

fn list(conn: &Connection, user_id: &str) -> rusqlite::Result<Vec<ApiClientInfo>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM api_clients WHERE user_id = ?1 ORDER BY created_at, rowid"
    ))?;
    let rows = stmt.query_map([user_id], |row| from_row(row).map(|r| r.info))?;
    rows.collect()
}

/// A name checked: 1 to 80 characters after trimming, no control characters.
fn name(raw: &str) -> Result<String, ApiError> {
    validate::label("name", raw, API_CLIENTS.name_max_chars)
}

fn name_taken(
    conn: &Connection,
    user_id: &str,
    name: &str,
    except: Option<&str>,
) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM api_clients WHERE user_id = ?1 AND name_key = ?2 AND id IS NOT ?3)",
    )?
    .query_row(params![user_id, name.to_lowercase(), except], |r| r.get(0))
}

fn new_secret(ctx: &Ctx) -> String {
    random::token(ctx.random(), SECRET_PREFIX)
}

fn record(
    tx: &Connection,
    ctx: &Ctx,
    auth: &Authenticated,
    ip: &str,
    event: Kind,
    client: &ApiClientInfo,
) -> rusqlite::Result<()> {
    events::record(
        tx,
        &auth.user_id,
        event,
        ip,
        ctx.now,
        json!({ "client_id": client.client_id, "name": client.name, "by_session": auth.session_id }),
    )?;
    ctx.security_changed(&auth.user_id);
    Ok(())
}

/// Mails the owner that `client` was created or got a new secret.
fn notice(
    tx: &rusqlite::Transaction<'_>,
    ctx: &Ctx,
    auth: &Authenticated,
    ip: &str,
    mail: MailKind,
    client: &ApiClientInfo,
) -> rusqlite::Result<()> {
    let Some(user) = users::by_id(tx, &auth.user_id)? else {
        return Ok(());
    };
    let facts = MailFacts {
        client_name: client.name.clone(),
        client_id: client.client_id.clone(),
        ..MailFacts::default()
    };
    ctx.notice(tx, mail, &user, ip, facts)
}

/// The client id and secret of an `Authorization: Basic` value, if well-formed.
pub fn basic_credentials(header: &str) -> Option<(String, Secret)> {
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), Secret::new(secret)))
}

impl Accounts {
    /// `GET /api/account/api-clients`.
    pub async fn api_clients(&self, auth: &Authenticated) -> Result<ApiClientList, ApiError> {
        let id = auth.user_id.clone();
        let clients = self.read(move |conn, _| list(conn, &id)).await?;
        Ok(ApiClientList { clients })
    }

    /// `POST /api/account/api-clients`: a new client with its secret (shown this once).
    pub async fn create_api_client(
        &self,
        auth: &Authenticated,
        req: ApiClientCreate,
        client: &ClientMeta,
    ) -> Result<ApiClientSecret, ApiError> {
        let name = name(&req.name)?;
        self.require_recent_password(auth).await?;
        let (auth, ip) = (auth.clone(), client.ip.clone());
        self.write(move |tx, ctx| {
            let count: u32 = tx
                .prepare_cached("SELECT count(*) FROM api_clients WHERE user_id = ?1")?
                .query_row([&auth.user_id], |r| r.get(0))?;
            if count >= API_CLIENTS.max_per_account {
                return Ok(Err(ApiError::new(ErrorCode::ApiClientLimit)));
            }
            if name_taken(tx, &auth.user_id, &name, None)? {
                return Ok(Err(ApiError::field(ErrorCode::ApiClientNameTaken, "name")));
            }
            let id = random::id(ctx.random());
            let client_id = format!("{CLIENT_ID_PREFIX}{}", random::id(ctx.random()));
            let secret = new_secret(ctx);
            tx.prepare_cached(
                "INSERT INTO api_clients (id, user_id, name, name_key, client_id, secret_hash,
                     secret_created_at, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            )?
            .execute(params![
                id,
                auth.user_id,
                name,
                name.to_lowercase(),
                client_id,
                token_hash(&secret),
                to_millis(ctx.now)
            ])?;
            let row = by_id(tx, &auth.user_id, &id)?.expect("the client was just inserted");
            record(tx, ctx, &auth, &ip, Kind::ApiClientCreated, &row.info)?;
            notice(tx, ctx, &auth, &ip, MailKind::ApiClientCreated, &row.info)?;
            Ok(Ok(ApiClientSecret {
                client: row.info,
                client_secret: Secret::new(secret),
            }))
        })
        .await?
    }

    /// `PATCH /api/account/api-clients/{id}`: rename, disable or enable.
    pub async fn update_api_client(
        &self,
        auth: &Authenticated,
        id: &str,
        req: ApiClientUpdate,
        client: &ClientMeta,
    ) -> Result<ApiClientInfo, ApiError> {
        let new_name = req.name.as_deref().map(name).transpose()?;
        if req.enabled.is_some() {
            // Renaming is harmless; turning a credential on or off is not.
            self.require_recent_password(auth).await?;
        }
        let (auth, ip, id) = (auth.clone(), client.ip.clone(), id.to_owned());
        self.write(move |tx, ctx| {
            let Some(row) = by_id(tx, &auth.user_id, &id)? else {
                return Ok(Err(ApiError::new(ErrorCode::ApiClientNotFound)));
            };
            if let Some(new_name) = new_name.filter(|n| *n != row.info.name) {
                if name_taken(tx, &auth.user_id, &new_name, Some(&id))? {
                    return Ok(Err(ApiError::field(ErrorCode::ApiClientNameTaken, "name")));
                }
                tx.prepare_cached("UPDATE api_clients SET name = ?2, name_key = ?3 WHERE id = ?1")?
                    .execute(params![id, new_name, new_name.to_lowercase()])?;
                ctx.security_changed(&auth.user_id);
            }
            if let Some(enabled) = req.enabled.filter(|e| *e != row.info.enabled) {
                tx.prepare_cached("UPDATE api_clients SET enabled = ?2 WHERE id = ?1")?
                    .execute(params![id, enabled])?;
                let event = if enabled {
                    Kind::ApiClientEnabled
                } else {
                    Kind::ApiClientDisabled
                };
                record(tx, ctx, &auth, &ip, event, &row.info)?;
            }
            Ok(by_id(tx, &auth.user_id, &id)?
                .map(|r| r.info)
                .ok_or_else(|| ApiError::new(ErrorCode::ApiClientNotFound)))
        })
        .await?
    }

    /// `DELETE /api/account/api-clients/{id}`.
    pub async fn delete_api_client(
        &self,
        auth: &Authenticated,
        id: &str,
        client: &ClientMeta,
    ) -> Result<(), ApiError> {
        self.require_recent_password(auth).await?;
        let (auth, ip, id) = (auth.clone(), client.ip.clone(), id.to_owned());
        self.write(move |tx, ctx| {
            let Some(row) = by_id(tx, &auth.user_id, &id)? else {
                return Ok(Err(ApiError::new(ErrorCode::ApiClientNotFound)));
            };
            tx.prepare_cached("DELETE FROM api_clients WHERE id = ?1")?
                .execute([&id])?;
            record(tx, ctx, &auth, &ip, Kind::ApiClientDeleted, &row.info)?;
            Ok(Ok(()))
        })
        .await?
    }

    /// `POST /api/account/api-clients/{id}/secret`: a new secret; the old one stops working.
    pub async fn regenerate_api_client_secret(
        &self,
        auth: &Authenticated,
        id: &str,
        client: &ClientMeta,
    ) -> Result<ApiClientSecret, ApiError> {
        self.require_recent_password(auth).await?;
        let (auth, ip, id) = (auth.clone(), client.ip.clone(), id.to_owned());
        self.write(move |tx, ctx| {
            if by_id(tx, &auth.user_id, &id)?.is_none() {
                return Ok(Err(ApiError::new(ErrorCode::ApiClientNotFound)));
            }
            let secret = new_secret(ctx);
            tx.prepare_cached(
                "UPDATE api_clients SET secret_hash = ?2, secret_created_at = ?3 WHERE id = ?1",
            )?
            .execute(params![id, token_hash(&secret), to_millis(ctx.now)])?;
            let row = by_id(tx, &auth.user_id, &id)?.expect("the client exists");
            record(
                tx,
                ctx,
                &auth,
                &ip,
                Kind::ApiClientSecretRegenerated,
                &row.info,
            )?;
            notice(
                tx,
                ctx,
                &auth,
                &ip,
                MailKind::ApiClientSecretRegenerated,
                &row.info,
            )?;
            Ok(Ok(ApiClientSecret {
                client: row.info,
                client_secret: Secret::new(secret),
            }))
        })
        .await?
    }

    /// `GET /api/client/identity`: checks a client's id and secret (`auth.unauthorized` when
    /// either is wrong, `api_client.disabled` for a disabled client with the right secret) and
    /// records the use.
    pub async fn api_client_identity(
        &self,
        client_id: &str,
        secret: &Secret,
    ) -> Result<ApiClientIdentity, ApiError> {
        let (client_id, presented) = (client_id.to_owned(), token_hash(secret.expose()));
        self.write(move |tx, ctx| {
            let row = tx
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM api_clients WHERE client_id = ?1"
                ))?
                .query_row([&client_id], from_row)
                .optional()?;
            // Compared in constant time against a stand-in when the id is unknown, so the answer
            // takes as long either way.
            let stored = row
                .as_ref()
                .map_or_else(|| "0".repeat(64), |r| r.secret_hash.clone());
            let right: bool = stored.as_bytes().ct_eq(presented.as_bytes()).into();
            let Some(row) = row.filter(|_| right) else {
                return Ok(Err(ApiError::new(ErrorCode::Unauthorized)));
            };
            if !row.info.enabled {
                return Ok(Err(ApiError::new(ErrorCode::ApiClientDisabled)));
            }
            let stale = row
                .info
                .last_used_at
                .as_deref()
                .and_then(|t| {
                    OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
                })
                .is_none_or(|last| ctx.now - last >= API_CLIENTS.usage_resolution);
            if stale {
                tx.prepare_cached("UPDATE api_clients SET last_used_at = ?2 WHERE id = ?1")?
                    .execute(params![row.info.id, to_millis(ctx.now)])?;
            }
            Ok(Ok(ApiClientIdentity {
                client_id: row.info.client_id,
                name: row.info.name,
                owner: row.user_id,
            }))
        })
        .await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_read_strictly() {
        let encode = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let (id, secret) =
            basic_credentials(&format!("Basic {}", encode("xwms_ci_a:xwms_cs_b:c"))).unwrap();
        assert_eq!((id.as_str(), secret.expose()), ("xwms_ci_a", "xwms_cs_b:c"));
        assert!(basic_credentials(&format!("basic {}", encode("a:b"))).is_some());
        assert!(basic_credentials(&format!("Bearer {}", encode("a:b"))).is_none());
        assert!(basic_credentials(&format!("Basic {}", encode("no-colon"))).is_none());
        assert!(basic_credentials("Basic !!!").is_none());
    }
}
