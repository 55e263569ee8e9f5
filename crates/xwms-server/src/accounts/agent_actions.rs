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
use xwms_api::agent_actions::{is_high_priority, RecoveryAction, SuspendRequest, SuspensionReason};
use xwms_api::agent_actions::{
    AccountContext, ActionDone, ActionReason, AuditAction, AuditList, AuditRecord,
    OtherConversation, RecoveryFacts, RequesterContext, SecurityFact, SignInFact, AUDIT_LIMIT_MAX,
    CONTEXT_RECENT, REASON_MAX_CHARS,
};
use xwms_api::auth::ErrorData;
use xwms_api::security::RevokeReason;
use xwms_api::support::{ConversationStatus, GuestAccess, MessageDraft, SupportTopic};
use xwms_api::ErrorCode;
use xwms_api::Language;

use super::events::{self, Kind};
use super::policy::SUPPORT;
use super::{support, two_factor, users, validate};
use super::{Accounts, Authenticated, Ctx};
use crate::clock::{from_millis, rfc3339, to_millis};
use crate::error::ApiError;
use crate::mail::{MailFacts, MailKind};
use crate::random;

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
            let topic = SupportTopic::from_wire(&row.get::<_, String>(2)?);
            Ok(OtherConversation {
                id: row.get(0)?,
                subject: row.get(1)?,
                topic,
                status: ConversationStatus::from_wire(&row.get::<_, String>(3)?),
                high_priority: is_high_priority(topic),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // Security reports first; the query's order (newest first) otherwise (a stable sort).
    let mut other_conversations = other_conversations;
    other_conversations.sort_by_key(|c| !c.high_priority);
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
            let (recovery_id, about): (Option<i64>, Option<String>) = tx.query_row(
                "SELECT recovery_id, account_id FROM support_conversations WHERE id = ?1",
                [&id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            let (recovery, named) = match recovery_id {
                Some(recovery_id) if conversation.guest => match recovery_facts(tx, recovery_id)? {
                    Some((facts, named)) => (Some(facts), named),
                    None => (None, None),
                },
                _ => (None, None),
            };
            let account_id = conversation.person_id.clone().or(named).or(about);
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

/// The prefix of an appeal token (given with `auth.suspended` at sign-in).
pub const APPEAL_TOKEN_PREFIX: &str = "xwms_at_";

/// Why `user_id` is suspended, if it is.
pub(crate) fn suspension_of(conn: &Connection, user_id: &str) -> rusqlite::Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT suspension_reason FROM users WHERE id = ?1 AND suspended_at IS NOT NULL",
        )?
        .query_row([user_id], |row| row.get::<_, Option<String>>(0))
        .optional()?
        .map(|reason| reason.unwrap_or_else(|| SuspensionReason::Other.as_str().to_owned())))
}

/// `auth.suspended` with why and, at sign-in, the appeal token.
pub(crate) fn suspended_error(reason: String, appeal_token: Option<String>) -> ApiError {
    let mut error = ApiError::new(ErrorCode::Suspended);
    error.data = Some(Box::new(ErrorData {
        suspension_reason: Some(reason),
        appeal_token,
        ..ErrorData::default()
    }));
    error
}

/// A new appeal token for `user_id` (only its hash is kept).
pub(crate) fn appeal_token(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    user_id: &str,
) -> rusqlite::Result<String> {
    let token = random::token(ctx.random(), APPEAL_TOKEN_PREFIX);
    tx.execute(
        "DELETE FROM suspension_appeal_tokens WHERE expires_at <= ?1",
        [to_millis(ctx.now)],
    )?;
    tx.execute(
        "INSERT INTO suspension_appeal_tokens (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
        params![
            super::sessions::token_hash(&token),
            user_id,
            to_millis(ctx.now + SUPPORT.guest_token_lifetime)
        ],
    )?;
    Ok(token)
}

fn appeal_subject(language: Language) -> &'static str {
    match language {
        Language::En => "Appeal against the suspension of my account",
        Language::Nl => "Bezwaar tegen de opschorting van mijn account",
        Language::Fr => "Appel contre la suspension de mon compte",
    }
}

impl Accounts {
    /// `POST /api/agent/accounts/{user_id}/suspend`: the account is suspended, every session
    /// ends, and the person is mailed why and how to appeal.
    pub async fn agent_suspend(
        &self,
        auth: &Authenticated,
        user_id: &str,
        req: SuspendRequest,
    ) -> Result<ActionDone, ApiError> {
        let code = req.reason_code;
        if code == SuspensionReason::Unknown {
            return Err(ApiError::field(ErrorCode::FieldInvalid, "reason_code"));
        }
        let action = ActionReason {
            reason: req.reason,
            conversation_id: req.conversation_id,
        };
        self.account_action(
            auth,
            user_id,
            action,
            Box::new(move |tx, ctx, user| {
                tx.execute(
                    "UPDATE users SET suspended_at = ?2, suspension_reason = ?3 WHERE id = ?1",
                    params![user.id, to_millis(ctx.now), code.as_str()],
                )?;
                let ended = ctx.revoke_sessions(tx, &user.id, None, RevokeReason::Suspended)?;
                ctx.security_changed(&user.id);
                ctx.notice(
                    tx,
                    MailKind::AccountSuspended,
                    user,
                    "",
                    MailFacts {
                        suspension: code.as_str().to_owned(),
                        ..MailFacts::default()
                    },
                )?;
                Ok(Ok(Done {
                    action: AuditAction::AccountSuspended,
                    details: BTreeMap::from([
                        ("reason_code".to_owned(), code.as_str().to_owned()),
                        ("sessions_ended".to_owned(), ended.to_string()),
                    ]),
                }))
            }),
        )
        .await
    }

    /// `POST /api/agent/accounts/{user_id}/suspension/lift` (`keep: false`) and
    /// `.../suspension/keep` (`keep: true`): the decision on a suspension, mailed to the person
    /// when the account was suspended.
    pub async fn agent_decide_suspension(
        &self,
        auth: &Authenticated,
        user_id: &str,
        req: ActionReason,
        keep: bool,
    ) -> Result<ActionDone, ApiError> {
        self.account_action(
            auth,
            user_id,
            req,
            Box::new(move |tx, ctx, user| {
                let was = suspension_of(tx, &user.id)?;
                if !keep {
                    tx.execute(
                        "UPDATE users SET suspended_at = NULL, suspension_reason = NULL WHERE id = ?1",
                        [&user.id],
                    )?;
                    tx.execute(
                        "DELETE FROM suspension_appeal_tokens WHERE user_id = ?1",
                        [&user.id],
                    )?;
                }
                if was.is_some() {
                    let kind = if keep {
                        MailKind::SuspensionKept
                    } else {
                        MailKind::SuspensionLifted
                    };
                    ctx.notice(tx, kind, user, "", MailFacts::default())?;
                }
                Ok(Ok(Done {
                    action: if keep {
                        AuditAction::SuspensionKept
                    } else {
                        AuditAction::SuspensionLifted
                    },
                    details: BTreeMap::from([(
                        "was_suspended".to_owned(),
                        was.is_some().to_string(),
                    )]),
                }))
            }),
        )
        .await
    }

    /// `POST /api/support/appeals` with an appeal token: opens the account's appeal case (or
    /// adds to the open one) as a guest case and answers its guest access.
    pub async fn suspension_appeal(
        &self,
        token: &str,
        draft: MessageDraft,
    ) -> Result<GuestAccess, ApiError> {
        let draft = support::check_draft(draft)?;
        if !draft.attachment_ids.is_empty() {
            return Err(ApiError::with_message(
                ErrorCode::FieldInvalid,
                "An appeal starts without attachments; add files once the case is open.",
            )
            .with_field("attachment_ids"));
        }
        let token = token.to_owned();
        self.write(move |tx, ctx| {
            let user_id: Option<String> = tx
                .query_row(
                    "SELECT user_id FROM suspension_appeal_tokens WHERE token_hash = ?1 AND expires_at > ?2",
                    params![super::sessions::token_hash(&token), to_millis(ctx.now)],
                    |row| row.get(0),
                )
                .optional()?;
            let user = match user_id {
                Some(id) if suspension_of(tx, &id)?.is_some() => users::by_id(tx, &id)?,
                _ => None,
            };
            let Some(user) = user else {
                return Ok(Err(ApiError::new(ErrorCode::Unauthorized)));
            };
            let open: Option<String> = tx
                .query_row(
                    "SELECT id FROM support_conversations
                     WHERE account_id = ?1 AND topic = ?2 AND status NOT IN ('resolved', 'closed')
                     ORDER BY created_at DESC LIMIT 1",
                    params![user.id, SupportTopic::SuspensionAppeal.as_str()],
                    |row| row.get(0),
                )
                .optional()?;
            let case = match open {
                Some(id) => {
                    let writer = support::Writer {
                        author_id: support::guest_author(&id),
                        side: support::Side::Person,
                        name: user.name.clone(),
                    };
                    if let Err(err) = support::send_in(tx, ctx, &id, &writer, &draft)? {
                        return Ok(Err(err));
                    }
                    support::conversation(tx, &id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?
                }
                None => {
                    let opened = support::open_conversation(
                        tx,
                        ctx,
                        &support::Opening {
                            person: None,
                            person_name: &user.name,
                            contact_email: &user.email,
                            language: user.language,
                            topic: SupportTopic::SuspensionAppeal,
                            subject: appeal_subject(user.language),
                            reference: None,
                            recovery_id: None,
                            draft: &draft,
                        },
                    )?;
                    let case = match opened {
                        Ok(case) => case,
                        Err(err) => return Ok(Err(err)),
                    };
                    tx.execute(
                        "UPDATE support_conversations SET account_id = ?2 WHERE id = ?1",
                        params![case.id, user.id],
                    )?;
                    case
                }
            };
            let guest = random::token(ctx.random(), support::GUEST_TOKEN_PREFIX);
            let expires_at = ctx.now + SUPPORT.guest_token_lifetime;
            tx.execute(
                "INSERT INTO support_guest_tokens (token_hash, conversation_id, expires_at) VALUES (?1, ?2, ?3)",
                params![super::sessions::token_hash(&guest), case.id, to_millis(expires_at)],
            )?;
            Ok(Ok(GuestAccess {
                token: xwms_api::Secret::new(guest),
                expires_at: rfc3339(expires_at),
                conversation: support::detail(tx, &case, support::Side::Person, 0)?,
            }))
        })
        .await?
    }
}

impl Accounts {
    /// `POST /api/agent/accounts/{user_id}/recovery`: after the agent's checks of ownership,
    /// every session ends, two-step verification goes if asked, and a password-reset challenge
    /// is started (the reset-code machinery of `POST /api/auth/forgot-password`): its code and
    /// reset key (challenge id) are mailed to the account's address; the person sets a new
    /// password with `POST /api/auth/reset-password`.
    pub async fn agent_recovery(
        &self,
        auth: &Authenticated,
        user_id: &str,
        req: RecoveryAction,
    ) -> Result<ActionDone, ApiError> {
        let remove_two_factor = req.remove_two_factor;
        let action = ActionReason {
            reason: req.reason,
            conversation_id: req.conversation_id,
        };
        self.account_action(
            auth,
            user_id,
            action,
            Box::new(move |tx, ctx, user| {
                use super::codes::{self, Purpose, Target};
                let purpose = Purpose::ResetPassword;
                if let Some(wait) = codes::resend_wait(tx, purpose, &user.email_key, ctx.now)? {
                    return Ok(Err(ApiError::retry_after(
                        ErrorCode::CodeResendTooSoon,
                        wait,
                    )));
                }
                let started = codes::start(
                    tx,
                    ctx.random(),
                    ctx.now,
                    purpose,
                    &user.email_key,
                    Target {
                        user_id: Some(user.id.clone()),
                        email: user.email.clone(),
                        ..Target::default()
                    },
                )?;
                let Some(code) = started.code else {
                    return Ok(Err(ApiError::new(ErrorCode::CodeResendTooSoon)));
                };
                let removed = remove_two_factor && two_factor::is_enabled(tx, &user.id)?;
                if remove_two_factor {
                    tx.execute("DELETE FROM two_factor WHERE user_id = ?1", [&user.id])?;
                    tx.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [&user.id])?;
                    two_factor::forget_challenges(tx, &user.id)?;
                }
                let ended = ctx.revoke_sessions(tx, &user.id, None, RevokeReason::Recovery)?;
                ctx.security_changed(&user.id);
                ctx.notice(
                    tx,
                    MailKind::SupportRecoveryCode,
                    user,
                    "",
                    MailFacts {
                        code: Some(code),
                        reference: started.challenge_id,
                        minutes: super::signup::minutes(purpose),
                        ..MailFacts::default()
                    },
                )?;
                Ok(Ok(Done {
                    action: AuditAction::RecoveryStarted,
                    details: BTreeMap::from([
                        ("two_factor_removed".to_owned(), removed.to_string()),
                        ("sessions_ended".to_owned(), ended.to_string()),
                    ]),
                }))
            }),
        )
        .await
    }
}
