//! Sign-up and email verification.

use serde_json::json;
use xwms_api::auth::{CodeSent, EmailCodeRequest, EmailRequest, SignUpRequest};
use xwms_api::password::validate_password;
use xwms_api::ErrorCode;

use super::codes::{self, Purpose, Target};
use super::events::{self, kind};
use super::limits::{self, limit_key, Scope};
use super::users::{self, User};
use super::validate::{self, Language};
use super::{guard, Accounts, ClientMeta, Ctx};
use crate::error::ApiError;
use crate::mail::{MailFacts, MailKind};
use crate::random;
use rusqlite::Transaction;

/// The answer to sign-up and resends: the same for every address.
pub(crate) fn code_sent(email: &str, purpose: Purpose) -> CodeSent {
    let policy = purpose.policy();
    CodeSent {
        email: email.to_owned(),
        expires_in_seconds: u32::try_from(policy.lifetime.whole_seconds()).unwrap_or(u32::MAX),
        resend_after_seconds: u32::try_from(policy.resend_after.whole_seconds())
            .unwrap_or(u32::MAX),
    }
}

/// Minutes a code of `purpose` lives, for the mail.
pub(crate) fn minutes(purpose: Purpose) -> u32 {
    u32::try_from(purpose.policy().lifetime.whole_minutes()).unwrap_or(u32::MAX)
}

/// Issues a verification code for `user` and queues its mail (unless one was sent less than
/// 46 s ago: then the seconds to wait). The address is not verified, so the mail counts towards
/// the limits on such mail for the client with `client_key` and for the server; over either,
/// the code is issued and the answer is the same, but no mail goes out.
pub(crate) fn send_verification(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    user: &User,
    language: Language,
    pending: Option<(String, String)>,
    client_key: &str,
) -> rusqlite::Result<Result<(), u32>> {
    let (pending_name, pending_password_hash) = pending.unzip();
    let name = pending_name.clone().unwrap_or_else(|| user.name.clone());
    let target = Target {
        user_id: Some(user.id.clone()),
        email: user.email.clone(),
        pending_name,
        pending_password_hash,
        ..Target::default()
    };
    match codes::issue(
        tx,
        ctx.random(),
        ctx.now,
        Purpose::VerifyEmail,
        &user.email_key,
        target,
    )? {
        Err(wait) => Ok(Err(wait)),
        Ok(code) => {
            let facts = MailFacts {
                name,
                code: Some(code),
                minutes: minutes(Purpose::VerifyEmail),
                ..MailFacts::default()
            };
            if limits::take_unverified_mail(tx, client_key, ctx.now)? {
                ctx.mail(tx, MailKind::VerifyEmail, &user.email, language, &facts)?;
            }
            Ok(Ok(()))
        }
    }
}

impl Accounts {
    /// `POST /api/auth/signup`. The same answer, after the same work (one password hash), whether
    /// or not the address has an account; its owner then gets a notice instead of a code.
    pub async fn sign_up(
        &self,
        req: SignUpRequest,
        client: &ClientMeta,
    ) -> Result<CodeSent, ApiError> {
        let name = validate::name("name", &req.name)?;
        let email = validate::email("email", &req.email)?;
        validate_password(req.password.expose())
            .map_err(|code| ApiError::field(code, "password"))?;
        let language = validate::optional_language(req.language.as_deref(), client.language)?;
        let admission = self.admit(Scope::SignUp, client).await?;
        let hashed = self
            .hasher
            .hash(&req.password)
            .await
            .map_err(ApiError::from);
        let password_hash = self.settle(admission, hashed).await?;
        let answer = code_sent(&email.address, Purpose::VerifyEmail);
        let (ip, key) = (client.ip.clone(), limit_key(client));
        self.write(move |tx, ctx| {
            match users::by_email_key(tx, &email.key)? {
                None => {
                    let user = User {
                        id: random::id(ctx.random()),
                        name,
                        username: None,
                        email: email.address,
                        email_key: email.key,
                        email_verified: false,
                        password_hash,
                        timezone: "UTC".into(),
                        region: String::new(),
                        language,
                        is_agent: false,
                        created_at: ctx.now,
                    };
                    users::insert(tx, &user)?;
                    users::record_password_rule(tx, &user.id, true)?;
                    events::record(tx, &user.id, kind::ACCOUNT_CREATED, &ip, ctx.now, json!({}))?;
                    send_verification(tx, ctx, &user, language, None, &key)?.ok();
                }
                Some(user) if !user.email_verified => {
                    // Signing up again before verifying: a new code, bound to this sign-up's
                    // name and password (applied when that code is entered).
                    let pending = Some((name, password_hash));
                    send_verification(tx, ctx, &user, language, pending, &key)?.ok();
                }
                Some(user) => {
                    // The address has an account. A decoy code makes verify-email answer as it
                    // would for a new account; the owner gets a notice (at most one per resend
                    // period, like a code).
                    let decoy = Target {
                        user_id: Some(user.id.clone()),
                        email: user.email.clone(),
                        decoy: true,
                        ..Target::default()
                    };
                    if codes::issue(
                        tx,
                        ctx.random(),
                        ctx.now,
                        Purpose::VerifyEmail,
                        &user.email_key,
                        decoy,
                    )?
                    .is_ok()
                    {
                        let facts = MailFacts {
                            name: user.name.clone(),
                            ..MailFacts::default()
                        };
                        ctx.mail(
                            tx,
                            MailKind::AccountExists,
                            &user.email,
                            user.language,
                            &facts,
                        )?;
                    }
                }
            }
            Ok(())
        })
        .await?;
        Ok(answer)
    }

    /// `POST /api/auth/verify-email`: the code proves the mailbox; the account becomes active.
    pub async fn verify_email(
        &self,
        req: EmailCodeRequest,
        client: &ClientMeta,
    ) -> Result<(), ApiError> {
        let email = validate::email("email", &req.email)?;
        let ip = client.ip.clone();
        self.write(move |tx, ctx| {
            let pending = match codes::attempt(
                tx,
                ctx.now,
                Purpose::VerifyEmail,
                &email.key,
                req.code.expose(),
            )? {
                Ok(pending) => pending,
                Err(denied) => return Ok(Err(denied)),
            };
            let Some(mut user) = pending
                .user_id
                .as_deref()
                .map(|id| users::by_id(tx, id))
                .transpose()?
                .flatten()
            else {
                return Ok(Err(ApiError::field(ErrorCode::CodeNone, "code")));
            };
            if let Some(name) = pending.pending_name {
                user.name = name;
            }
            if let Some(hash) = pending.pending_password_hash {
                user.password_hash = hash;
            }
            user.email_verified = true;
            users::update(tx, &user)?;
            guard::clear(tx, &user.email_key)?;
            events::record(
                tx,
                &user.id,
                kind::EMAIL_VERIFIED,
                &ip,
                ctx.now,
                json!({ "email": user.email }),
            )?;
            Ok(Ok(()))
        })
        .await?
    }

    /// `POST /api/auth/verify-email/resend`: the same answer for every address; refused for
    /// 46 s after the last code (`code.resend_too_soon`), for every address alike.
    pub async fn resend_verification(
        &self,
        req: EmailRequest,
        client: &ClientMeta,
    ) -> Result<CodeSent, ApiError> {
        let email = validate::email("email", &req.email)?;
        let requested = req
            .language
            .as_deref()
            .map(|l| validate::language("language", l))
            .transpose()?;
        let answer = code_sent(&email.address, Purpose::VerifyEmail);
        let key = limit_key(client);
        self.write(move |tx, ctx| {
            let sent = match users::by_email_key(tx, &email.key)? {
                Some(user) if !user.email_verified => {
                    let language = requested.unwrap_or(user.language);
                    // Keep what a repeated sign-up bound to the pending code.
                    let pending = codes::load(tx, Purpose::VerifyEmail, &email.key)?
                        .and_then(|p| p.pending_name.zip(p.pending_password_hash));
                    send_verification(tx, ctx, &user, language, pending, &key)?
                }
                _ => codes::issue_decoy(
                    tx,
                    ctx.random(),
                    ctx.now,
                    Purpose::VerifyEmail,
                    &email.key,
                    &email.address,
                )?,
            };
            Ok(sent.map_err(|wait| ApiError::retry_after(ErrorCode::CodeResendTooSoon, wait)))
        })
        .await??;
        Ok(answer)
    }
}
