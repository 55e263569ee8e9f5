//! The signed-in person's account: profile, settings and email change.

use serde_json::json;
use xwms_api::auth::{
    CodeSent, EmailChangeRequest, EmailConfirmRequest, ProfileUpdate, UserProfile,
};
use xwms_api::ErrorCode;

use super::codes::{self, Purpose, Target};
use super::events::{self, Kind};
use super::sessions::Authenticated;
use super::signup::{code_sent, minutes};
use super::users::{self, User};
use super::validate;
use super::{guard, Accounts, ClientMeta};
use crate::error::ApiError;
use crate::mail::templates::format_when;
use crate::mail::{MailFacts, MailKind};

impl Accounts {
    /// The caller's account (`auth.unauthorized` if it no longer exists).
    pub async fn current_user(&self, auth: &Authenticated) -> Result<User, ApiError> {
        let id = auth.user_id.clone();
        self.read(move |conn, _| users::by_id(conn, &id))
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))
    }

    /// `GET /api/account`.
    pub async fn profile(&self, auth: &Authenticated) -> Result<UserProfile, ApiError> {
        Ok(self.current_user(auth).await?.profile())
    }

    /// `PATCH /api/account/profile`: every given field is checked before any is written.
    pub async fn update_profile(
        &self,
        auth: &Authenticated,
        update: ProfileUpdate,
        client: &ClientMeta,
    ) -> Result<UserProfile, ApiError> {
        let name = update
            .name
            .as_deref()
            .map(|n| validate::name("name", n))
            .transpose()?;
        let username = update
            .username
            .as_deref()
            .map(validate::username)
            .transpose()?;
        let timezone = update
            .timezone
            .as_deref()
            .map(validate::timezone)
            .transpose()?;
        let region = update.region.as_deref().map(validate::region).transpose()?;
        let language = update
            .language
            .as_deref()
            .map(|l| validate::language("language", l))
            .transpose()?;
        let (id, ip) = (auth.user_id.clone(), client.ip.clone());
        self.write(move |tx, ctx| {
            let Some(mut user) = users::by_id(tx, &id)? else {
                return Ok(Err(ApiError::new(ErrorCode::Unauthorized)));
            };
            let mut changed = vec![];
            if let Some(username) = username {
                if let Some(wanted) = &username {
                    if users::id_by_username(tx, wanted)?.is_some_and(|owner| owner != user.id) {
                        return Ok(Err(ApiError::field(ErrorCode::UsernameTaken, "username")));
                    }
                }
                if user.username != username {
                    user.username = username;
                    changed.push("username");
                }
            }
            if let Some(name) = name.filter(|n| *n != user.name) {
                user.name = name;
                changed.push("name");
            }
            if let Some(timezone) = timezone.filter(|t| *t != user.timezone) {
                user.timezone = timezone;
                changed.push("timezone");
            }
            if let Some(region) = region.filter(|r| *r != user.region) {
                user.region = region;
                changed.push("region");
            }
            if let Some(language) = language.filter(|l| *l != user.language) {
                user.language = language;
                changed.push("language");
            }
            if !changed.is_empty() {
                users::update(tx, &user)?;
                events::record(
                    tx,
                    &user.id,
                    Kind::ProfileUpdated,
                    &ip,
                    ctx.now,
                    json!({ "fields": changed }),
                )?;
            }
            Ok(Ok(user.profile()))
        })
        .await?
    }

    /// `POST /api/account/email`: after the password (re-authentication), a code valid 10
    /// minutes goes to the new address and a notice to the current one. An address that belongs
    /// to another account gets a notice instead, and the code can never be confirmed.
    pub async fn change_email(
        &self,
        auth: &Authenticated,
        req: EmailChangeRequest,
        client: &ClientMeta,
    ) -> Result<CodeSent, ApiError> {
        let new = validate::email("new_email", &req.new_email)?;
        let user = self.current_user(auth).await?;
        if new.key == user.email_key {
            return Err(ApiError::with_message(
                ErrorCode::FieldInvalid,
                "The new address is the address the account already has.",
            )
            .with_field("new_email"));
        }
        self.reauthenticate_session(auth, &user, &req.password, client, "password")
            .await?;
        let address = new.address.clone();
        let ip = client.ip.clone();
        let challenge_id = self
            .write(move |tx, ctx| {
                guard::clear_budget(
                    tx,
                    guard::GuardKey {
                        email_key: &user.email_key,
                        budget: guard::REAUTH_BUDGET,
                    },
                )?;
                if let Some(wait) = codes::resend_wait(tx, Purpose::ChangeEmail, &user.id, ctx.now)?
                {
                    return Ok(Err(ApiError::retry_after(
                        ErrorCode::CodeResendTooSoon,
                        wait,
                    )));
                }
                let owner = users::by_email_key(tx, &new.key)?;
                let target = Target {
                    user_id: Some(user.id.clone()),
                    email: new.address.clone(),
                    decoy: owner.is_some(),
                    new_email: Some(new.address.clone()),
                    ..Target::default()
                };
                let started = codes::start(
                    tx,
                    ctx.random(),
                    ctx.now,
                    Purpose::ChangeEmail,
                    &user.id,
                    target,
                )?;
                match owner {
                    Some(owner) => {
                        let facts = MailFacts {
                            name: owner.name.clone(),
                            ..MailFacts::default()
                        };
                        ctx.mail(
                            tx,
                            MailKind::EmailInUse,
                            &owner.email,
                            owner.language,
                            &facts,
                        )?;
                    }
                    None => {
                        let facts = MailFacts {
                            name: user.name.clone(),
                            code: started.code,
                            minutes: minutes(Purpose::ChangeEmail),
                            email: new.address.clone(),
                            ..MailFacts::default()
                        };
                        ctx.mail(
                            tx,
                            MailKind::EmailChangeCode,
                            &new.address,
                            user.language,
                            &facts,
                        )?;
                    }
                }
                let notice = MailFacts {
                    name: user.name.clone(),
                    email: new.address.clone(),
                    ..MailFacts::default()
                };
                ctx.mail(
                    tx,
                    MailKind::EmailChangeRequested,
                    &user.email,
                    user.language,
                    &notice,
                )?;
                events::record(
                    tx,
                    &user.id,
                    Kind::EmailChangeRequested,
                    &ip,
                    ctx.now,
                    json!({ "new_email": new.address }),
                )?;
                Ok(Ok(started.challenge_id))
            })
            .await??;
        Ok(code_sent(&address, Purpose::ChangeEmail, challenge_id))
    }

    /// `POST /api/account/email/confirm`: the code from the new address makes it the account's
    /// (verified) address; the old address gets a notice.
    pub async fn confirm_email(
        &self,
        auth: &Authenticated,
        req: EmailConfirmRequest,
        client: &ClientMeta,
    ) -> Result<UserProfile, ApiError> {
        let (id, ip) = (auth.user_id.clone(), client.ip.clone());
        self.write(move |tx, ctx| {
            let pending = match codes::attempt(
                tx,
                ctx.now,
                Purpose::ChangeEmail,
                &id,
                &req.challenge_id,
                req.code.expose(),
                &ip,
            )? {
                Ok(pending) => pending,
                Err(denied) => return Ok(Err(denied)),
            };
            let (Some(mut user), Some(new_email)) = (users::by_id(tx, &id)?, pending.new_email)
            else {
                return Ok(Err(ApiError::field(ErrorCode::CodeNone, "code")));
            };
            let new_key = validate::Email::key_of(&new_email);
            if users::by_email_key(tx, &new_key)?.is_some() {
                // Taken since the code was sent.
                return Ok(Err(ApiError::field(ErrorCode::CodeNone, "code")));
            }
            let old_email = std::mem::replace(&mut user.email, new_email.clone());
            let old_key = std::mem::replace(&mut user.email_key, new_key.clone());
            user.email_verified = true;
            users::update(tx, &user)?;
            guard::clear(tx, &old_key)?;
            guard::clear(tx, &new_key)?;
            ctx.security_changed(&user.id);
            events::record(
                tx,
                &user.id,
                Kind::EmailChanged,
                &ip,
                ctx.now,
                json!({ "old_email": old_email, "new_email": new_email }),
            )?;
            let facts = MailFacts {
                name: user.name.clone(),
                email: new_email,
                when: format_when(ctx.now, &user.timezone),
                ..MailFacts::default()
            };
            ctx.mail(
                tx,
                MailKind::EmailChanged,
                &old_email,
                user.language,
                &facts,
            )?;
            Ok(Ok(user.profile()))
        })
        .await?
    }
}
