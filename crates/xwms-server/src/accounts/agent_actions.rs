//! Agent mode's actions (the contract is `xwms_api::agent_actions`): the audit log, the
//! requester's context and the account actions of the support team.
//!
//! - **Audit.** [`record`] appends one `agent_audit` row in the caller's transaction, so an
//!   action and its record commit (or roll back) together. The table refuses UPDATE and DELETE
//!   (triggers in the `agent_actions` migration).
//! - **Who.** [`agent_of`] answers `support.not_agent` for an account without the support role;
//!   reading records across cases needs `users.role = 'admin'` (`agent.admin_only`).

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use time::OffsetDateTime;
use xwms_api::agent_actions::{
    AccountContext, ActionDone, ActionReason, AuditAction, AuditList, AuditRecord,
    OtherConversation, RecoveryFacts, RequesterContext, SecurityFact, SignInFact, AUDIT_LIMIT_MAX,
    CONTEXT_RECENT, REASON_MAX_CHARS,
};
use xwms_api::support::{ConversationStatus, SupportTopic};
use xwms_api::ErrorCode;

use super::events::{self, Kind};
use super::{support, two_factor, users, validate};
use super::{Accounts, Authenticated, Ctx};
use crate::clock::{from_millis, rfc3339, to_millis};
use crate::error::ApiError;
use crate::mail::{MailFacts, MailKind};

/// `users.role` of an administrator (a member of the support team who may also read the whole
/// audit log).
pub const ROLE_ADMIN: &str = "admin";

/// The member of the support team making a request.
#[derive(Debug, Clone)]
pub(crate) struct Agent {
    pub id: String,
    pub name: String,
    pub admin: bool,
}

/// The caller as a member of the support team; `support.not_agent` for anyone else.
pub(crate) fn agent_of(
    conn: &Connection,
    auth: &Authenticated,
) -> rusqlite::Result<Result<Agent, ApiError>> {
    let Some(user) = users::by_id(conn, &auth.user_id)? else {
        return Ok(Err(ApiError::new(ErrorCode::Unauthorized)));
    };
    if !user.is_agent {
        return Ok(Err(ApiError::new(ErrorCode::NotAgent)));
    }
    let role: String =
        conn.query_row("SELECT role FROM users WHERE id = ?1", [&user.id], |row| {
            row.get(0)
        })?;
    Ok(Ok(Agent {
        id: user.id,
        name: user.name,
        admin: role == ROLE_ADMIN,
    }))
}

/// What one audit record says, besides who and when.
pub(crate) struct Entry<'a> {
    pub action: AuditAction,
    pub account_id: Option<&'a str>,
    pub conversation_id: Option<&'a str>,
    pub reason: &'a str,
    pub details: BTreeMap<String, String>,
}

/// Appends the record of `agent`'s action in `tx` (the action's own transaction); its id.
pub(crate) fn record(
    tx: &Transaction<'_>,
    now: OffsetDateTime,
    agent: &Agent,
    entry: &Entry<'_>,
) -> rusqlite::Result<i64> {
    let details = serde_json::to_string(&entry.details)
        .map_err(|err| rusqlite::Error::ToSqlConversionFailure(Box::new(err)))?;
    tx.prepare_cached(
        "INSERT INTO agent_audit (at, agent_id, agent_name, action, account_id, conversation_id, reason, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        to_millis(now),
        agent.id,
        agent.name,
        entry.action.as_str(),
        entry.account_id,
        entry.conversation_id,
        entry.reason,
        details,
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Which records to read; every filter given must match.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub conversation: Option<String>,
    pub account: Option<String>,
    pub since: Option<OffsetDateTime>,
    /// At most this many, oldest first; `None` for all (the export).
    pub limit: Option<u32>,
}

fn audit_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRecord> {
    let action: String = row.get(4)?;
    let details: String = row.get(8)?;
    Ok(AuditRecord {
        id: row.get(0)?,
        at: rfc3339(from_millis(row.get(1)?)),
        agent_id: row.get(2)?,
        agent_name: row.get(3)?,
        action: AuditAction::from_wire(&action),
        account_id: row.get(5)?,
        conversation_id: row.get(6)?,
        reason: row.get(7)?,
        details: serde_json::from_str(&details).unwrap_or_default(),
    })
}

/// The records `filter` selects, oldest first.
pub fn audit_records(
    conn: &Connection,
    filter: &AuditFilter,
) -> rusqlite::Result<Vec<AuditRecord>> {
    let limit = filter.limit.map_or(-1, i64::from);
    conn.prepare_cached(
        "SELECT id, at, agent_id, agent_name, action, account_id, conversation_id, reason, details
         FROM agent_audit
         WHERE (?1 IS NULL OR conversation_id = ?1)
           AND (?2 IS NULL OR account_id = ?2)
           AND (?3 IS NULL OR at >= ?3)
         ORDER BY id LIMIT ?4",
    )?
    .query_map(
        params![
            filter.conversation,
            filter.account,
            filter.since.map(to_millis),
            limit
        ],
        audit_row,
    )?
    .collect()
}

/// `xwms-server audit export`: every record since `since`, one JSON object a line, to `out`.
pub fn export_audit(
    data_dir: &std::path::Path,
    since: OffsetDateTime,
    out: &mut dyn std::io::Write,
) -> Result<usize, Box<dyn std::error::Error>> {
    let store = crate::store::Store::open_in(data_dir)?;
    let records = store.blocking(|conn| {
        audit_records(
            conn,
            &AuditFilter {
                since: Some(since),
                ..AuditFilter::default()
            },
        )
    });
    store.close();
    let records = records?;
    for record in &records {
        serde_json::to_writer(&mut *out, record)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(records.len())
}

/// Whether a conversation with this id exists.
fn conversation_exists(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM support_conversations WHERE id = ?1",
        [id],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

impl Accounts {
    /// `GET /api/agent/audit`: the records of one conversation for any agent; anything wider
    /// for admins only.
    pub async fn agent_audit(
        &self,
        auth: &Authenticated,
        filter: AuditFilter,
    ) -> Result<AuditList, ApiError> {
        let auth = auth.clone();
        self.read(move |conn, _| {
            let agent = match agent_of(conn, &auth)? {
                Ok(agent) => agent,
                Err(err) => return Ok(Err(err)),
            };
            let wide = filter.conversation.is_none();
            if wide && !agent.admin {
                return Ok(Err(ApiError::new(ErrorCode::AdminOnly)));
            }
            if let Some(id) = &filter.conversation {
                if !conversation_exists(conn, id)? {
                    return Ok(Err(ApiError::new(ErrorCode::ConversationNotFound)));
                }
            }
            let filter = AuditFilter {
                limit: Some(filter.limit.unwrap_or(AUDIT_LIMIT_MAX)),
                ..filter
            };
            Ok(Ok(AuditList {
                records: audit_records(conn, &filter)?,
            }))
        })
        .await?
    }
}

/// The account's facts for the support team.
fn account_context(
    conn: &Connection,
    user: &users::User,
    except_conversation: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<AccountContext> {
    let (hard, until): (bool, Option<i64>) = conn.query_row(
        "SELECT coalesce(max(hard_locked), 0), max(locked_until) FROM sign_in_guards
         WHERE email_key = ?1 AND (hard_locked = 1 OR coalesce(locked_until, 0) > ?2)",
        params![user.email_key, to_millis(now)],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let locked = hard || until.is_some();
    let recent_sign_ins = conn
        .prepare_cached(
            "SELECT created_at, device_name, device_os, app, ip, revoked_at FROM sessions
             WHERE user_id = ?1 ORDER BY created_at DESC, id LIMIT ?2",
        )?
        .query_map(params![user.id, CONTEXT_RECENT as i64], |row| {
            Ok(SignInFact {
                at: rfc3339(from_millis(row.get(0)?)),
                device_name: row.get(1)?,
                device_os: row.get(2)?,
                app: row.get(3)?,
                ip: row.get(4)?,
                ended: row.get::<_, Option<i64>>(5)?.is_some(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let security_events = conn
        .prepare_cached(
            "SELECT at, kind, ip FROM security_events WHERE user_id = ?1
             ORDER BY at DESC, id DESC LIMIT ?2",
        )?
        .query_map(params![user.id, CONTEXT_RECENT as i64], |row| {
            Ok(SecurityFact {
                at: rfc3339(from_millis(row.get(0)?)),
                kind: row.get(1)?,
                ip: row.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let other_conversations = conn
        .prepare_cached(
            "SELECT id, subject, topic, status FROM support_conversations
             WHERE person_id = ?1 AND id != ?2 ORDER BY updated_at DESC",
        )?
        .query_map(params![user.id, except_conversation], |row| {
            Ok(OtherConversation {
                id: row.get(0)?,
                subject: row.get(1)?,
                topic: SupportTopic::from_wire(&row.get::<_, String>(2)?),
                status: ConversationStatus::from_wire(&row.get::<_, String>(3)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(AccountContext {
        user_id: user.id.clone(),
        name: user.name.clone(),
        email: user.email.clone(),
        email_verified: user.email_verified,
        two_factor: two_factor::is_enabled(conn, &user.id)?,
        locked,
        locked_until: if hard {
            None
        } else {
            until.map(|at| rfc3339(from_millis(at)))
        },
        created_at: rfc3339(user.created_at),
        account_age_days: (now - user.created_at).whole_days(),
        recent_sign_ins,
        security_events,
        other_conversations,
    })
}

/// What the recovery request `id` says, with the account it names.
fn recovery_facts(
    conn: &Connection,
    id: i64,
) -> rusqlite::Result<Option<(RecoveryFacts, Option<String>)>> {
    conn.query_row(
        "SELECT reference, email, name, contact_email, lost, details, ip, created_at, status, user_id
         FROM recovery_requests WHERE id = ?1",
        [id],
        |row| {
            let lost: String = row.get(4)?;
            Ok((
                RecoveryFacts {
                    reference: row.get(0)?,
                    email: row.get(1)?,
                    name: row.get(2)?,
                    contact_email: row.get(3)?,
                    lost: serde_json::from_str(&lost).unwrap_or_default(),
                    details: row.get(5)?,
                    ip: row.get(6)?,
                    created_at: rfc3339(from_millis(row.get(7)?)),
                    status: row.get(8)?,
                },
                row.get(9)?,
            ))
        },
    )
    .optional()
}

impl Accounts {
    /// `GET /api/agent/conversations/{id}/context`: who is asking; the look is audited
    /// (`context.viewed`) in the same transaction that reads it.
    pub async fn requester_context(
        &self,
        auth: &Authenticated,
        id: &str,
    ) -> Result<RequesterContext, ApiError> {
        let auth = auth.clone();
        let id = id.to_owned();
        self.write(move |tx, ctx| {
            let agent = match agent_of(tx, &auth)? {
                Ok(agent) => agent,
                Err(err) => return Ok(Err(err)),
            };
            let Some(conversation) = support::conversation(tx, &id)? else {
                return Ok(Err(ApiError::new(ErrorCode::ConversationNotFound)));
            };
            let recovery_id: Option<i64> = tx.query_row(
                "SELECT recovery_id FROM support_conversations WHERE id = ?1",
                [&id],
                |row| row.get(0),
            )?;
            let (recovery, named) = match recovery_id {
                Some(recovery_id) if conversation.guest => match recovery_facts(tx, recovery_id)? {
                    Some((facts, named)) => (Some(facts), named),
                    None => (None, None),
                },
                _ => (None, None),
            };
            let account_id = conversation.person_id.clone().or(named);
            let account = match &account_id {
                Some(account_id) => match users::by_id(tx, account_id)? {
                    Some(user) => Some(account_context(tx, &user, &id, ctx.now)?),
                    None => None,
                },
                None => None,
            };
            record(
                tx,
                ctx.now,
                &agent,
                &Entry {
                    action: AuditAction::ContextViewed,
                    account_id: account.as_ref().map(|a| a.user_id.as_str()),
                    conversation_id: Some(&id),
                    reason: "",
                    details: BTreeMap::new(),
                },
            )?;
            Ok(Ok(RequesterContext {
                conversation_id: id,
                guest: conversation.guest,
                recovery,
                account,
            }))
        })
        .await?
    }
}

/// An action's reason: 1..=[`REASON_MAX_CHARS`] characters after trimming, one line
/// (`field.required`, `field.too_long`, `field.invalid` about `reason`).
pub fn reason(raw: &str) -> Result<String, ApiError> {
    validate::label("reason", raw, REASON_MAX_CHARS)
}

/// What an account action did, for its audit record.
pub(crate) struct Done {
    pub action: AuditAction,
    pub details: BTreeMap<String, String>,
}

/// The work of one account action on `user` in the action's transaction.
type Work = Box<
    dyn FnOnce(&Transaction<'_>, &Ctx, &users::User) -> rusqlite::Result<Result<Done, ApiError>>
        + Send,
>;

impl Accounts {
    /// Runs an account action: the caller must be an agent, `user_id` an account and the
    /// conversation (if named) exist; `work` and its audit record commit together.
    pub(crate) async fn account_action(
        &self,
        auth: &Authenticated,
        user_id: &str,
        req: ActionReason,
        work: Work,
    ) -> Result<ActionDone, ApiError> {
        let reason = reason(&req.reason)?;
        let (auth, user_id, conversation_id) =
            (auth.clone(), user_id.to_owned(), req.conversation_id);
        self.write(move |tx, ctx| {
            let agent = match agent_of(tx, &auth)? {
                Ok(agent) => agent,
                Err(err) => return Ok(Err(err)),
            };
            let Some(user) = users::by_id(tx, &user_id)? else {
                return Ok(Err(ApiError::new(ErrorCode::NotFound)));
            };
            if let Some(id) = &conversation_id {
                if !conversation_exists(tx, id)? {
                    return Ok(Err(ApiError::new(ErrorCode::ConversationNotFound)));
                }
            }
            let done = match work(tx, ctx, &user)? {
                Ok(done) => done,
                Err(err) => return Ok(Err(err)),
            };
            let audit_id = record(
                tx,
                ctx.now,
                &agent,
                &Entry {
                    action: done.action,
                    account_id: Some(&user.id),
                    conversation_id: conversation_id.as_deref(),
                    reason: &reason,
                    details: done.details,
                },
            )?;
            Ok(Ok(ActionDone { audit_id }))
        })
        .await?
    }

    /// `POST /api/agent/accounts/{user_id}/unlock`: lifts every sign-in lock of the account
    /// (as the mailed unlock code does: failures forgotten, the unusual-activity window closed),
    /// records `account_unlocked` on the person's timeline and mails them.
    pub async fn agent_unlock(
        &self,
        auth: &Authenticated,
        user_id: &str,
        req: ActionReason,
    ) -> Result<ActionDone, ApiError> {
        self.account_action(
            auth,
            user_id,
            req,
            Box::new(|tx, ctx, user| {
                let was_locked = super::guard::any_locked(tx, &user.email_key, ctx.now)?;
                super::guard::clear(tx, &user.email_key)?;
                events::record(
                    tx,
                    &user.id,
                    Kind::AccountUnlocked,
                    "",
                    ctx.now,
                    serde_json::json!({ "by": "support" }),
                )?;
                ctx.security_changed(&user.id);
                ctx.notice(
                    tx,
                    MailKind::AccountUnlockedBySupport,
                    user,
                    "",
                    MailFacts::default(),
                )?;
                Ok(Ok(Done {
                    action: AuditAction::AccountUnlocked,
                    details: BTreeMap::from([("was_locked".to_owned(), was_locked.to_string())]),
                }))
            }),
        )
        .await
    }
}
