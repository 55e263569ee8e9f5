//! Forgot password, reset through the mailbox, and change while signed in.

use serde_json::json;
use xwms_api::auth::{
    CodeSent, EmailRequest, PasswordChangeRequest, PasswordChanged, ResetPasswordRequest,
};
use xwms_api::password::validate_password;
use xwms_api::ErrorCode;

use super::codes::{self, Purpose, Resent, Target};
use super::events::{self, Kind};
use super::limits::{self, limit_key, Scope};
use super::sessions::Authenticated;
use super::signup::{code_sent, minutes};
use super::two_factor;
use super::users;
use super::validate;
use super::{guard, Accounts, ClientMeta};
use crate::error::ApiError;
use crate::mail::templates::format_when;
use crate::mail::{MailFacts, MailKind};
use xwms_api::security::RevokeReason;

impl Accounts {
    /// `POST /api/auth/password/forgot`: the same answer for every address; an account's owner
    /// gets a single-use code valid 10 minutes.
    /// A reset code for an account whose address is not verified counts towards the limits on
    /// mail to unverified addresses (see `send_verification`).
    pub async fn forgot_password(
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
        let key = limit_key(client);
        let challenge_id = self
            .write(move |tx, ctx| {
                let purpose = Purpose::ResetPassword;
                if let Some(wait) = codes::resend_wait(tx, purpose, &email.key, ctx.now)? {
                    return Ok(Err(ApiError::retry_after(
                        ErrorCode::CodeResendTooSoon,
                        wait,
                    )));
                }
                let user = users::by_email_key(tx, &email.key)?;
                let mail = |tx: &rusqlite::Transaction<'_>, user: &users::User, code: String| {
                    let facts = MailFacts {
                        name: user.name.clone(),
                        code: Some(code),
                        minutes: minutes(purpose),
                        ..MailFacts::default()
                    };
                    let language = requested.unwrap_or(user.language);
                    // A code for an unverified address counts towards the limits on such mail.
                    if user.email_verified || limits::take_unverified_mail(tx, &key, ctx.now)? {
                        ctx.mail(tx, MailKind::ResetCode, &user.email, language, &facts)?;
                    }
                    Ok::<(), rusqlite::Error>(())
                };
                // A resend of a known challenge: a new code for it.
                if let Some(challenge) = &req.challenge_id {
                    if let Resent::Code(code, _) =
                        codes::resend(tx, ctx.random(), ctx.now, purpose, &email.key, challenge)?
                    {
                        if let (Some(code), Some(user)) = (code, &user) {
                            mail(tx, user, code)?;
                        }
                        return Ok(Ok(challenge.clone()));
                    }
                }
                Ok(Ok(match user {
                    Some(user) => {
                        let target = Target {
                            user_id: Some(user.id.clone()),
                            email: user.email.clone(),
                            ..Target::default()
                        };
                        let started =
                            codes::start(tx, ctx.random(), ctx.now, purpose, &email.key, target)?;
                        if let Some(code) = started.code {
                            mail(tx, &user, code)?;
                        }
                        started.challenge_id
                    }
                    None => {
                        codes::start_decoy(
                            tx,
                            ctx.random(),
                            ctx.now,
                            purpose,
                            &email.key,
                            &email.address,
                        )?
                        .challenge_id
                    }
                }))
            })
            .await??;
        Ok(code_sent(&address, Purpose::ResetPassword, challenge_id))
    }

    /// `POST /api/auth/password/reset`: a new password under the rule; every session ends, a
    /// lock is lifted (the mailbox is proven), the address counts as verified, and a notice is
    /// mailed. It signs no one in, so a second factor is never skipped (R10).
    pub async fn reset_password(
        &self,
        req: ResetPasswordRequest,
        client: &ClientMeta,
    ) -> Result<(), ApiError> {
        let email = validate::email("email", &req.email)?;
        validate_password(req.new_password.expose())
            .map_err(|code| ApiError::field(code, "new_password"))?;
        let admission = self.admit(Scope::NewPassword, client).await?;
        // Hashed before the code is looked at: the same work for every address and code.
        let hashed = self
            .hasher
            .hash(&req.new_password)
            .await
            .map_err(ApiError::from);
        let password_hash = self.settle(admission, hashed).await?;
        let ip = client.ip.clone();
        self.write(move |tx, ctx| {
            let pending = match codes::attempt(
                tx,
                ctx.now,
                Purpose::ResetPassword,
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
            user.password_hash = password_hash;
            user.email_verified = true;
            users::update(tx, &user)?;
            guard::clear(tx, &user.email_key)?;
            codes::discard(tx, Purpose::Unlock, &user.email_key)?;
            users::record_password_change(tx, &user.id, ctx.now)?;
            two_factor::forget_challenges(tx, &user.id)?;
            let revoked = ctx.revoke_sessions(tx, &user.id, None, RevokeReason::PasswordReset)?;
            events::record(
                tx,
                &user.id,
                Kind::PasswordReset,
                &ip,
                ctx.now,
                json!({ "sessions_revoked": revoked }),
            )?;
            let facts = MailFacts {
                name: user.name.clone(),
                when: format_when(ctx.now, &user.timezone),
                ..MailFacts::default()
            };
            ctx.mail(
                tx,
                MailKind::PasswordReset,
                &user.email,
                user.language,
                &facts,
            )?;
            Ok(Ok(()))
        })
        .await?
    }

    /// `POST /api/account/password`: the current password is required (and counts towards the
    /// lockout when wrong); `sign_out_others` ends every other session at once.
    pub async fn change_password(
        &self,
        auth: &Authenticated,
        req: PasswordChangeRequest,
        client: &ClientMeta,
    ) -> Result<PasswordChanged, ApiError> {
        validate_password(req.new_password.expose())
            .map_err(|code| ApiError::field(code, "new_password"))?;
        let user = self.current_user(auth).await?;
        self.reauthenticate(&user, &req.current_password, client, "current_password")
            .await?;
        // The check of the current password counted as one; the new hash counts apart.
        let admission = self.admit(Scope::NewPassword, client).await?;
        let hashed = self
            .hasher
            .hash(&req.new_password)
            .await
            .map_err(ApiError::from);
        let password_hash = self.settle(admission, hashed).await?;
        let (auth, ip, sign_out_others) = (auth.clone(), client.ip.clone(), req.sign_out_others);
        self.write(move |tx, ctx| {
            let Some(mut user) = users::by_id(tx, &auth.user_id)? else {
                return Ok(Err(ApiError::new(ErrorCode::Unauthorized)));
            };
            user.password_hash = password_hash;
            users::update(tx, &user)?;
            guard::clear(tx, &user.email_key)?;
            users::record_password_change(tx, &user.id, ctx.now)?;
            two_factor::forget_challenges(tx, &user.id)?;
            let revoked = if sign_out_others {
                ctx.revoke_sessions(
                    tx,
                    &user.id,
                    Some(&auth.session_id),
                    RevokeReason::PasswordChanged,
                )?
            } else {
                0
            };
            ctx.security_changed(&user.id);
            events::record(
                tx,
                &user.id,
                Kind::PasswordChanged,
                &ip,
                ctx.now,
                json!({ "session_id": auth.session_id, "sessions_revoked": revoked }),
            )?;
            let facts = MailFacts {
                name: user.name.clone(),
                when: format_when(ctx.now, &user.timezone),
                ..MailFacts::default()
            };
            ctx.mail(
                tx,
                MailKind::PasswordChanged,
                &user.email,
                user.language,
                &facts,
            )?;
            Ok(Ok(PasswordChanged {
                sessions_revoked: revoked,
            }))
        })
        .await?
    }
}
