//! Sign-up and email verification.

use serde_json::json;
use xwms_api::auth::{CodeSent, EmailCodeRequest, EmailRequest, SignUpRequest};
use xwms_api::password::validate_password;
use xwms_api::ErrorCode;

use super::codes::{self, Purpose, Resent, Target};
use super::events::{self, Kind};
use super::limits::{self, limit_key, Scope};
use super::users::{self, User};
use super::validate::{self, Language};
use super::{guard, Accounts, ClientMeta, Ctx};
use crate::error::ApiError;
use crate::mail::{MailFacts, MailKind};
use crate::random;
use rusqlite::Transaction;

/// The answer to sign-up and resends: the same for every address.
pub(crate) fn code_sent(email: &str, purpose: Purpose, challenge_id: String) -> CodeSent {
    let policy = purpose.policy();
    CodeSent {
        challenge_id,
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

/// Starts a verification challenge for `user`, bound to the name and password of the request that
/// asked for it (applied when its code is entered), and mails its code unless one was mailed less
/// than 46 s ago (a resend of this challenge mails it then). Returns the challenge id. The address
/// is not verified, so the mail counts towards the limits on such mail for the client with
/// `client_key` and for the server; over either, the challenge and code are issued and the answer
/// is the same, but no mail goes out.
pub(crate) fn send_verification(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    user: &User,
    language: Language,
    pending: (String, String),
    client_key: &str,
) -> rusqlite::Result<String> {
    let (pending_name, pending_password_hash) = pending;
    let target = Target {
        user_id: Some(user.id.clone()),
        email: user.email.clone(),
        pending_name: Some(pending_name),
        pending_password_hash: Some(pending_password_hash),
        ..Target::default()
    };
    let started = codes::start(
        tx,
        ctx.random(),
        ctx.now,
        Purpose::VerifyEmail,
        &user.email_key,
        target.clone(),
    )?;
    if let Some(code) = started.code {
        if limits::take_unverified_mail(tx, client_key, ctx.now)? {
            mail_verification(tx, ctx, &user.email, &target, code, language)?;
        }
    }
    Ok(started.challenge_id)
}

fn mail_verification(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    email: &str,
    target: &Target,
    code: String,
    language: Language,
) -> rusqlite::Result<()> {
    let facts = MailFacts {
        name: target.pending_name.clone().unwrap_or_default(),
        code: Some(code),
        minutes: minutes(Purpose::VerifyEmail),
        ..MailFacts::default()
    };
    ctx.mail(tx, MailKind::VerifyEmail, email, language, &facts)
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
        let address = email.address.clone();
        let (ip, key) = (client.ip.clone(), limit_key(client));
        let challenge_id = self
            .write(move |tx, ctx| {
                Ok(match users::by_email_key(tx, &email.key)? {
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
                        events::record(
                            tx,
                            &user.id,
                            Kind::AccountCreated,
                            &ip,
                            ctx.now,
                            json!({}),
                        )?;
                        let pending = (user.name.clone(), user.password_hash.clone());
                        send_verification(tx, ctx, &user, language, pending, &key)?
                    }
                    Some(user) if !user.email_verified => {
                        // Signing up again before verifying: a challenge of its own, bound to this
                        // sign-up's name and password. Earlier sign-ups' codes keep working with
                        // their own challenges: whoever reads the mailbox decides which registration
                        // becomes the account, and no later sign-up can change what an earlier
                        // one's code activates.
                        send_verification(tx, ctx, &user, language, (name, password_hash), &key)?
                    }
                    Some(user) => {
                        // The address has an account. A decoy code makes verify-email answer as it
                        // would for a new account; the owner gets a notice (at most one per resend
                        // period, like a code).
                        let mail_now =
                            codes::resend_wait(tx, Purpose::VerifyEmail, &user.email_key, ctx.now)?
                                .is_none();
                        let decoy = Target {
                            user_id: Some(user.id.clone()),
                            email: user.email.clone(),
                            decoy: true,
                            ..Target::default()
                        };
                        let started = codes::start(
                            tx,
                            ctx.random(),
                            ctx.now,
                            Purpose::VerifyEmail,
                            &user.email_key,
                            decoy,
                        )?;
                        if mail_now {
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
                        started.challenge_id
                    }
                })
            })
            .await?;
        Ok(code_sent(&address, Purpose::VerifyEmail, challenge_id))
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
                &req.challenge_id,
                req.code.expose(),
                &ip,
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
                Kind::EmailVerified,
                &ip,
                ctx.now,
                json!({ "email": user.email }),
            )?;
            Ok(Ok(()))
        })
        .await?
    }

    /// `POST /api/auth/verify-email/resend`: a new code for the sign-up's challenge; the same
    /// answer for every address; refused for 46 s after the last code (`code.resend_too_soon`),
    /// for every address alike. Without a known challenge nothing is mailed (a code must stay
    /// bound to the sign-up, and so to the password, it activates): sign up again, or sign in,
    /// which starts a challenge for whoever knows the password.
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
        let address = email.address.clone();
        let challenge = req.challenge_id.clone().unwrap_or_default();
        let key = limit_key(client);
        let challenge_id = self
            .write(move |tx, ctx| {
                let resent = codes::resend(
                    tx,
                    ctx.random(),
                    ctx.now,
                    Purpose::VerifyEmail,
                    &email.key,
                    &challenge,
                )?;
                match resent {
                    Resent::TooSoon(wait) => Ok(Err(ApiError::retry_after(
                        ErrorCode::CodeResendTooSoon,
                        wait,
                    ))),
                    // Nothing to resend: a decoy challenge, so the answer looks like any other.
                    Resent::Unknown => Ok(Ok(codes::start_decoy(
                        tx,
                        ctx.random(),
                        ctx.now,
                        Purpose::VerifyEmail,
                        &email.key,
                        &email.address,
                    )?
                    .challenge_id)),
                    Resent::Code(code, pending) => {
                        if let (Some(code), Some(user)) =
                            (code, users::by_email_key(tx, &email.key)?)
                        {
                            if !user.email_verified
                                && limits::take_unverified_mail(tx, &key, ctx.now)?
                            {
                                let language = requested.unwrap_or(user.language);
                                let target = Target {
                                    pending_name: pending.pending_name.clone(),
                                    ..Target::default()
                                };
                                mail_verification(tx, ctx, &user.email, &target, code, language)?;
                            }
                        }
                        Ok(Ok(challenge))
                    }
                }
            })
            .await??;
        Ok(code_sent(&address, Purpose::VerifyEmail, challenge_id))
    }
}
