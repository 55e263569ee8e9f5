//! "Recover account": when proving the mailbox is not enough, a request support handles.

use serde_json::json;
use xwms_api::auth::{RecoveryFiled, RecoveryRequest};
use xwms_api::ErrorCode;

use super::events::{self, Kind};
use super::policy::{RECOVERY_ANSWER_WITHIN_DAYS, RECOVERY_REQUESTS_PER_IP};
use super::users;
use super::validate::{self, DETAILS_MAX_CHARS};
use super::{Accounts, ClientMeta};
use crate::clock::{from_millis, to_millis};
use crate::error::ApiError;
use crate::mail::{MailFacts, MailKind};
use crate::random;

/// What a person may say they lost.
pub const LOST_OPTIONS: &[&str] = &["password", "second_factor", "email_access"];

/// Prefix of a recovery reference.
pub const REFERENCE_PREFIX: &str = "REC-";

impl Accounts {
    /// `POST /api/auth/recovery-requests`: stores the request for support and answers with a
    /// reference, the same whether or not the address has an account. The contact address gets
    /// an acknowledgement; an existing account's address gets a notice.
    pub async fn file_recovery_request(
        &self,
        req: RecoveryRequest,
        client: &ClientMeta,
    ) -> Result<RecoveryFiled, ApiError> {
        let email = validate::email("email", &req.email)?;
        let name = validate::name("name", &req.name)?;
        let contact = validate::email("contact_email", &req.contact_email)?;
        if req.lost.is_empty() {
            return Err(ApiError::field(ErrorCode::FieldRequired, "lost"));
        }
        if req.lost.len() > LOST_OPTIONS.len()
            || req.lost.iter().any(|l| !LOST_OPTIONS.contains(&l.as_str()))
        {
            return Err(ApiError::with_message(
                ErrorCode::FieldInvalid,
                "`lost` may hold only password, second_factor and email_access.",
            )
            .with_field("lost"));
        }
        let lost: Vec<&str> = LOST_OPTIONS
            .iter()
            .copied()
            .filter(|o| req.lost.iter().any(|l| l == o))
            .collect();
        let lost = json!(lost).to_string();
        let details = validate::free_text("details", &req.details, DETAILS_MAX_CHARS)?;
        let language = client.language.unwrap_or_default();
        let (ip, limit_key) = (client.ip.clone(), client.limit_key());
        self.write(move |tx, ctx| {
            let since = to_millis(ctx.now - RECOVERY_REQUESTS_PER_IP.window);
            let (recent, oldest): (u32, Option<i64>) = tx.query_row(
                "SELECT count(*), min(created_at) FROM recovery_requests WHERE limit_key = ?1 AND created_at > ?2",
                rusqlite::params![limit_key, since],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            if let Some(wait) = RECOVERY_REQUESTS_PER_IP.wait(recent, oldest.map(from_millis), ctx.now) {
                return Ok(Err(ApiError::retry_after(ErrorCode::RateLimited, wait)));
            }
            let user = users::by_email_key(tx, &email.key)?;
            let reference = loop {
                let candidate = random::reference(ctx.random(), REFERENCE_PREFIX);
                let taken: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM recovery_requests WHERE reference = ?1)",
                    [&candidate],
                    |row| row.get(0),
                )?;
                if !taken {
                    break candidate;
                }
            };
            tx.execute(
                "INSERT INTO recovery_requests (reference, email, user_id, name, contact_email, lost, details, language, ip, created_at, limit_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                rusqlite::params![
                    reference,
                    email.address,
                    user.as_ref().map(|u| u.id.clone()),
                    name,
                    contact.address,
                    lost,
                    details,
                    language.as_str(),
                    ip,
                    to_millis(ctx.now),
                    limit_key
                ],
            )?;
            // The request is a guest case in the support queue too (followed with the reference
            // and a mailed code, `support::Accounts::guest_access`).
            let recovery_id = tx.last_insert_rowid();
            if let Err(err) = super::support::open_guest_case(
                tx, ctx, recovery_id, &reference, &name, &contact.address, language, &details,
            )? {
                return Ok(Err(err));
            }
            let facts = MailFacts {
                name: name.clone(),
                reference: reference.clone(),
                days: RECOVERY_ANSWER_WITHIN_DAYS,
                ..MailFacts::default()
            };
            ctx.mail(tx, MailKind::RecoveryAcknowledgement, &contact.address, language, &facts)?;
            if let Some(user) = user {
                events::record(tx, &user.id, Kind::RecoveryRequested, &ip, ctx.now, json!({ "reference": reference }))?;
                let notice = MailFacts {
                    name: user.name.clone(),
                    ..facts
                };
                ctx.mail(tx, MailKind::RecoveryNotice, &user.email, user.language, &notice)?;
            }
            Ok(Ok(RecoveryFiled {
                reference,
                answer_within_days: RECOVERY_ANSWER_WITHIN_DAYS,
            }))
        })
        .await?
    }
}
