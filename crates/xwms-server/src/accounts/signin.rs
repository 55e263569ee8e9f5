//! Sign-in, refresh, sign-out, lockout and unlock.

use serde_json::json;
use xwms_api::auth::{
    CodeSent, DeviceInfo, EmailCodeRequest, EmailRequest, RefreshRequest, SessionTokens,
    SignInRequest, SignInResponse,
};
use xwms_api::password::MAX_CHARS as PASSWORD_MAX_CHARS;
use xwms_api::security::app_label;
use xwms_api::{ErrorCode, Secret};

use super::codes::{self, Purpose, Resent, Target};
use super::devices;
use super::events::{self, Kind};
use super::guard::GuardKey;
use super::policy::{Gate, GuardState, LockReason, LOCKOUT};
use super::sessions::{self, Authenticated, Refreshed};
use super::signup::{code_sent, minutes, send_verification};
use super::users::{self, User};
use super::validate;
use super::{guard, Accounts, ClientMeta, Ctx, SignInAttempt};
use crate::clock::rfc3339;
use crate::error::ApiError;
use crate::mail::templates::format_when;
use crate::mail::{MailFacts, MailKind};
use rusqlite::Transaction;

pub(super) fn locked_error(retry_after_seconds: Option<u32>) -> ApiError {
    match retry_after_seconds {
        Some(seconds) => ApiError::retry_after(ErrorCode::Locked, seconds),
        None => ApiError::new(ErrorCode::Locked),
    }
}

pub(super) fn gate_error(gate: Gate) -> Option<ApiError> {
    match gate {
        Gate::Open => None,
        Gate::Throttled {
            retry_after_seconds,
        } => Some(ApiError::retry_after(
            ErrorCode::Throttled,
            retry_after_seconds,
        )),
        Gate::Locked {
            retry_after_seconds,
        } => Some(locked_error(retry_after_seconds)),
    }
}

pub(super) fn device_text(device: &DeviceInfo) -> String {
    let app = app_label(&device.app, &device.app_version);
    let parts: Vec<&str> = [device.os.as_str(), app.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    match (device.name.is_empty(), parts.is_empty()) {
        (false, false) => format!("{} ({})", device.name, parts.join(", ")),
        (false, true) => device.name.clone(),
        (true, false) => parts.join(", "),
        (true, true) => "?".to_owned(),
    }
}

/// Records a failed password or second factor against the budget `key` (and the client's limit
/// key, [`ClientMeta::limit_key`]; `ip` is the address for the timeline): judges the reservation `reservation` as a failure (or records one without a
/// reservation); locks the budget when the policy says so, mailing an unlock code to an existing
/// account. Returns the lock, if any, and the challenge of the unlock code mailed. The caller
/// records what failed on the account's timeline.
pub(super) fn record_failure(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    key: GuardKey<'_>,
    user: Option<&User>,
    ip: &str,
    limit_key: &str,
    reservation: Option<i64>,
) -> rusqlite::Result<Option<(LockReason, GuardState, String)>> {
    guard::judge_failure(tx, reservation, key, limit_key, ctx.now)?;
    let state = guard::load(tx, key, ctx.now)?;
    let distinct_ips = guard::distinct_ips(tx, key, ctx.now)?;
    let (next, lock) = LOCKOUT.after_failure(&state, distinct_ips, ctx.now);
    guard::save(tx, key, &next, lock)?;
    let Some(reason) = lock else {
        return Ok(None);
    };
    let challenge_id = match user {
        Some(user) => {
            events::record(
                tx,
                &user.id,
                Kind::AccountLocked,
                ip,
                ctx.now,
                json!({ "reason": reason.as_str(), "failures": next.failures, "trusted_device": !key.budget.is_empty() }),
            )?;
            send_unlock_code(tx, ctx, user, user.language)?
        }
        None => {
            codes::start_decoy(
                tx,
                ctx.random(),
                ctx.now,
                Purpose::Unlock,
                key.email_key,
                key.email_key,
            )?
            .challenge_id
        }
    };
    Ok(Some((reason, next, challenge_id)))
}

/// Starts an unlock challenge for `user` and mails its code (unless one went out less than 46 s
/// ago). Returns the challenge id.
fn send_unlock_code(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    user: &User,
    language: xwms_api::Language,
) -> rusqlite::Result<String> {
    let target = Target {
        user_id: Some(user.id.clone()),
        email: user.email.clone(),
        ..Target::default()
    };
    let started = codes::start(
        tx,
        ctx.random(),
        ctx.now,
        Purpose::Unlock,
        &user.email_key,
        target,
    )?;
    if let Some(code) = started.code {
        mail_unlock_code(tx, ctx, user, language, code)?;
    }
    Ok(started.challenge_id)
}

fn mail_unlock_code(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    user: &User,
    language: xwms_api::Language,
    code: String,
) -> rusqlite::Result<()> {
    let facts = MailFacts {
        name: user.name.clone(),
        code: Some(code),
        minutes: minutes(Purpose::Unlock),
        ..MailFacts::default()
    };
    ctx.mail(tx, MailKind::UnlockCode, &user.email, language, &facts)
}

fn with_challenge(mut error: ApiError, challenge_id: String) -> ApiError {
    error.data.get_or_insert_with(Default::default).challenge_id = Some(challenge_id);
    error
}

impl Accounts {
    /// Checks `password` for the address `email_key` (its account `user`, if any) in the failure
    /// budget `budget` under the lockout rules (see [`guard`]): in one transaction the address
    /// throttle and the budget's gate are read and, when open, the attempt is *reserved* (counted);
    /// then one hash either way (none when closed); then the reservation is judged a failure or
    /// released. A right password wins only if no lock began while it was being checked. `wrong`
    /// is the code of a wrong password (`auth.invalid_credentials` at sign-in,
    /// `auth.password_incorrect` when re-authenticating). On success returns the failures that
    /// came before.
    pub(crate) async fn check_password(
        &self,
        email_key: &str,
        budget: &str,
        user: Option<&User>,
        password: &Secret,
        client: &ClientMeta,
        wrong: ErrorCode,
    ) -> Result<GuardState, ApiError> {
        let (key, budget_name, limit_key) =
            (email_key.to_owned(), budget.to_owned(), client.limit_key());
        let (reservation, state) = self
            .write(move |tx, ctx| {
                let key = GuardKey {
                    email_key: &key,
                    budget: &budget_name,
                };
                if let Some(wait) = guard::ip_wait(tx, &limit_key, ctx.now)? {
                    return Ok(Err(ApiError::retry_after(ErrorCode::Throttled, wait)));
                }
                let state = guard::load(tx, key, ctx.now)?;
                if let Some(denied) = gate_error(LOCKOUT.gate(&state, ctx.now)) {
                    return Ok(Err(denied));
                }
                Ok(Ok((guard::reserve(tx, key, &limit_key, ctx.now)?, state)))
            })
            .await??;
        // Longer than any password the rule lets anyone set: wrong without hashing it.
        let too_long = password.expose().chars().count() > PASSWORD_MAX_CHARS;
        let checked = match user {
            Some(user) if !too_long => self.hasher.verify(password, &user.password_hash).await,
            _ => self.hasher.verify_dummy(password).await.map(|()| false),
        };
        let right = match checked {
            Ok(right) => right,
            Err(err) => {
                // Not judged (the hash did not run): the attempt does not count.
                self.write(move |tx, _| guard::release(tx, reservation))
                    .await?;
                return Err(err.into());
            }
        };
        let (key, budget_name) = (email_key.to_owned(), budget.to_owned());
        if right {
            let meets = user.map(|u| {
                (
                    u.id.clone(),
                    xwms_api::password::check_password(password.expose()).ok(),
                )
            });
            let locked = self
                .write(move |tx, ctx| {
                    guard::release(tx, reservation)?;
                    let key = GuardKey {
                        email_key: &key,
                        budget: &budget_name,
                    };
                    let gate = LOCKOUT.gate(&guard::load(tx, key, ctx.now)?, ctx.now);
                    if let Gate::Locked { .. } = gate {
                        // A lock began while this password was being checked: it wins.
                        return Ok(gate_error(gate));
                    }
                    if let Some((id, meets)) = meets {
                        users::record_password_rule(tx, &id, meets)?;
                    }
                    Ok(None)
                })
                .await?;
            return match locked {
                Some(locked) => Err(locked),
                None => Ok(state),
            };
        }
        let (ip, limit_key, user) = (client.ip.clone(), client.limit_key(), user.cloned());
        let during = if wrong == ErrorCode::InvalidCredentials {
            "sign_in"
        } else {
            "reauthentication"
        };
        let lock = self
            .write(move |tx, ctx| {
                if let Some(user) = &user {
                    events::record(
                        tx,
                        &user.id,
                        Kind::SignInFailed,
                        &ip,
                        ctx.now,
                        json!({ "reason": "password", "during": during }),
                    )?;
                    ctx.security_changed(&user.id);
                }
                let key = GuardKey {
                    email_key: &key,
                    budget: &budget_name,
                };
                record_failure(
                    tx,
                    ctx,
                    key,
                    user.as_ref(),
                    &ip,
                    &limit_key,
                    Some(reservation),
                )
            })
            .await?;
        Err(match lock {
            Some((_, state, challenge_id)) => with_challenge(
                locked_error(LOCKOUT.gate(&state, self.now()).retry_after()),
                challenge_id,
            ),
            None => ApiError::new(wrong),
        })
    }

    /// Re-authentication before a sensitive change: the password of the signed-in person, under
    /// the same lockout rules; a wrong one is `auth.password_incorrect` about `field`.
    pub(crate) async fn reauthenticate(
        &self,
        user: &User,
        password: &Secret,
        client: &ClientMeta,
        field: &'static str,
    ) -> Result<(), ApiError> {
        let admission = self
            .admit(super::limits::Scope::PasswordCheck, client)
            .await?;
        let checked = self
            .check_password(
                &user.email_key,
                guard::REAUTH_BUDGET,
                Some(user),
                password,
                client,
                ErrorCode::PasswordIncorrect,
            )
            .await;
        self.settle(admission, checked)
            .await
            .map(|_| ())
            .map_err(|e| {
                if e.code == ErrorCode::PasswordIncorrect {
                    e.with_field(field)
                } else {
                    e
                }
            })
    }

    /// `POST /api/auth/signin`.
    pub async fn sign_in(
        &self,
        req: SignInRequest,
        client: &ClientMeta,
    ) -> Result<SignInResponse, ApiError> {
        let email = validate::email("email", &req.email)?;
        let device = validate::device(&req.device)?;
        let admission = self
            .admit(super::limits::Scope::PasswordCheck, client)
            .await?;
        let (key, installation) = (email.key.clone(), device.installation_id.clone());
        let token = req.device_token.as_ref().map(|t| t.expose().to_owned());
        let (user, trusted) = self
            .read(move |conn, _| {
                let user = users::by_email_key(conn, &key)?;
                let trusted = match &user {
                    Some(user) => {
                        devices::is_trusted(conn, &user.id, &installation, token.as_deref())?
                    }
                    None => false,
                };
                Ok((user, trusted))
            })
            .await?;
        let budget = if trusted {
            device_budget(&device.installation_id)
        } else {
            guard::UNKNOWN_BUDGET.to_owned()
        };
        let checked = self
            .check_password(
                &email.key,
                &budget,
                user.as_ref(),
                &req.password,
                client,
                ErrorCode::InvalidCredentials,
            )
            .await;
        let before = self.settle(admission, checked).await?;
        let user = user.expect("only an existing account's password can be right");
        let client = client.clone();
        self.write(move |tx, ctx| {
            let key = GuardKey {
                email_key: &user.email_key,
                budget: &budget,
            };
            if !user.email_verified {
                guard::clear_budget(tx, key)?;
                // Only someone with the password learns this. Within the resend period nothing
                // new is mailed (the code that went out belongs to the client that asked for it);
                // after it, a challenge for them, bound to the password they proved, and a code
                // to the mailbox.
                if let Some(wait) =
                    codes::resend_wait(tx, Purpose::VerifyEmail, &user.email_key, ctx.now)?
                {
                    return Ok(Err(ApiError::retry_after(ErrorCode::EmailUnverified, wait)));
                }
                let pending = (user.name.clone(), user.password_hash.clone());
                let key = super::limits::limit_key(&client);
                let challenge_id = send_verification(tx, ctx, &user, user.language, pending, &key)?;
                let wait = codes::resend_wait(tx, Purpose::VerifyEmail, &user.email_key, ctx.now)?
                    .unwrap_or(0);
                return Ok(Err(with_challenge(
                    ApiError::retry_after(ErrorCode::EmailUnverified, wait),
                    challenge_id,
                )));
            }
            // Only someone with the password learns of a suspension, with the way to appeal.
            if let Some(reason) = super::agent_actions::suspension_of(tx, &user.id)? {
                guard::clear_budget(tx, key)?;
                let token = super::agent_actions::appeal_token(tx, ctx, &user.id)?;
                return Ok(Err(super::agent_actions::suspended_error(
                    reason,
                    Some(token),
                )));
            }
            let attempt = SignInAttempt {
                device: &device,
                client: &client,
                failures_before: before.failures,
                budget: &budget,
            };
            // The failure count stays until the second factor is met too, so guessing codes
            // stays under the lockout however often the password is entered again.
            if let Some(challenge) =
                ctx.second_factor
                    .challenge(tx, ctx.random(), &user, &attempt, ctx.now)?
            {
                return Ok(Ok(SignInResponse::SecondFactor(challenge)));
            }
            guard::clear_budget(tx, key)?;
            let tokens = open_session(tx, ctx, &user, &device, &client, before.failures)?;
            Ok(Ok(SignInResponse::SignedIn(Box::new(tokens))))
        })
        .await?
    }

    /// Opens a session for `user_id` at once, as after a met second factor (for tests and tools
    /// that stand in for the second step).
    pub async fn complete_sign_in(
        &self,
        user_id: &str,
        device: DeviceInfo,
        client: &ClientMeta,
    ) -> Result<SessionTokens, ApiError> {
        let (id, client) = (user_id.to_owned(), client.clone());
        self.write(move |tx, ctx| {
            let Some(user) = users::by_id(tx, &id)? else {
                return Ok(Err(ApiError::new(ErrorCode::Unauthorized)));
            };
            open_session(tx, ctx, &user, &device, &client, 0).map(Ok)
        })
        .await?
    }

    /// Checks a bearer access token (every authenticated route).
    pub async fn authenticate(&self, access_token: &str) -> Result<Authenticated, ApiError> {
        let token = access_token.to_owned();
        self.read(move |conn, now| sessions::authenticate(conn, now, &token))
            .await?
    }

    /// `POST /api/auth/refresh`: a new token pair; an already exchanged refresh token revokes
    /// the session (`auth.session_revoked`) and records a security event.
    pub async fn refresh(
        &self,
        req: RefreshRequest,
        client: &ClientMeta,
    ) -> Result<SessionTokens, ApiError> {
        let ip = client.ip.clone();
        self.write(move |tx, ctx| {
            match sessions::refresh(tx, ctx.random(), ctx.now, req.refresh_token.expose())? {
                Refreshed::Denied(denied) => Ok(Err(denied)),
                Refreshed::Reused { user_id, session_id } => {
                    tracing::warn!(session = %session_id, "a rotated refresh token was used again; session revoked");
                    ctx.session_ended(&user_id, &session_id, xwms_api::security::RevokeReason::RefreshTokenReused);
                    events::record(tx, &user_id, Kind::RefreshTokenReused, &ip, ctx.now, json!({ "session_id": session_id }))?;
                    Ok(Err(ApiError::new(ErrorCode::SessionRevoked)))
                }
                Refreshed::Issued { user_id, issued } => {
                    let Some(user) = users::by_id(tx, &user_id)? else {
                        return Ok(Err(ApiError::new(ErrorCode::Unauthorized)));
                    };
                    Ok(Ok(tokens(issued, &user)))
                }
            }
        })
        .await?
    }

    /// `POST /api/auth/signout`: ends the caller's session at once.
    pub async fn sign_out(
        &self,
        auth: &Authenticated,
        client: &ClientMeta,
    ) -> Result<(), ApiError> {
        let (auth, ip) = (auth.clone(), client.ip.clone());
        self.write(move |tx, ctx| {
            if ctx.revoke_session(
                tx,
                &auth.user_id,
                &auth.session_id,
                xwms_api::security::RevokeReason::SignedOut,
            )? {
                events::record(
                    tx,
                    &auth.user_id,
                    Kind::SignedOut,
                    &ip,
                    ctx.now,
                    json!({ "session_id": auth.session_id }),
                )?;
            }
            Ok(())
        })
        .await
    }

    /// `POST /api/auth/unlock`: the mailed code lifts the lock and resets the failure count.
    pub async fn unlock(&self, req: EmailCodeRequest, client: &ClientMeta) -> Result<(), ApiError> {
        let email = validate::email("email", &req.email)?;
        let ip = client.ip.clone();
        self.write(move |tx, ctx| {
            let pending = match codes::attempt(
                tx,
                ctx.now,
                Purpose::Unlock,
                &email.key,
                &req.challenge_id,
                req.code.expose(),
                &ip,
            )? {
                Ok(pending) => pending,
                Err(denied) => return Ok(Err(denied)),
            };
            guard::clear(tx, &email.key)?;
            if let Some(user_id) = pending.user_id {
                events::record(tx, &user_id, Kind::AccountUnlocked, &ip, ctx.now, json!({}))?;
            }
            Ok(Ok(()))
        })
        .await?
    }

    /// `POST /api/auth/unlock/resend`: a new unlock code for a locked account (46 s rule): for
    /// the given challenge, or a new challenge; the same answer for every address, locked or not,
    /// so a lock never keeps the mailbox owner out.
    pub async fn resend_unlock(&self, req: EmailRequest) -> Result<CodeSent, ApiError> {
        let email = validate::email("email", &req.email)?;
        let requested = req
            .language
            .as_deref()
            .map(|l| validate::language("language", l))
            .transpose()?;
        let address = email.address.clone();
        let challenge_id = self
            .write(move |tx, ctx| {
                if let Some(wait) = codes::resend_wait(tx, Purpose::Unlock, &email.key, ctx.now)? {
                    return Ok(Err(ApiError::retry_after(
                        ErrorCode::CodeResendTooSoon,
                        wait,
                    )));
                }
                let user = users::by_email_key(tx, &email.key)?;
                let locked = guard::any_locked(tx, &email.key, ctx.now)?;
                if let Some(challenge) = &req.challenge_id {
                    if let Resent::Code(code, _) = codes::resend(
                        tx,
                        ctx.random(),
                        ctx.now,
                        Purpose::Unlock,
                        &email.key,
                        challenge,
                    )? {
                        if let (Some(code), Some(user)) = (code, &user) {
                            if locked {
                                let language = requested.unwrap_or(user.language);
                                mail_unlock_code(tx, ctx, user, language, code)?;
                            }
                        }
                        return Ok(Ok(challenge.clone()));
                    }
                }
                Ok(Ok(match user {
                    Some(user) if locked => {
                        send_unlock_code(tx, ctx, &user, requested.unwrap_or(user.language))?
                    }
                    _ => {
                        codes::start_decoy(
                            tx,
                            ctx.random(),
                            ctx.now,
                            Purpose::Unlock,
                            &email.key,
                            &email.address,
                        )?
                        .challenge_id
                    }
                }))
            })
            .await??;
        Ok(code_sent(&address, Purpose::Unlock, challenge_id))
    }
}

/// The failure budget of a trusted device.
pub(super) fn device_budget(installation_id: &str) -> String {
    format!("device:{installation_id}")
}

impl Gate {
    pub(super) fn retry_after(self) -> Option<u32> {
        match self {
            Gate::Open => None,
            Gate::Throttled {
                retry_after_seconds,
            } => Some(retry_after_seconds),
            Gate::Locked {
                retry_after_seconds,
            } => retry_after_seconds,
        }
    }
}

fn tokens(issued: sessions::Issued, user: &User) -> SessionTokens {
    SessionTokens {
        device_token: None,
        session_id: issued.session_id,
        access_token: Secret::new(issued.access_token),
        access_expires_at: rfc3339(issued.access_expires_at),
        refresh_token: Secret::new(issued.refresh_token),
        refresh_expires_at: rfc3339(issued.refresh_expires_at),
        user: user.profile(),
    }
}

/// Opens a session with its security events and notices (R11). A sign-in from an app
/// installation the account never used is a `new_device` alert; otherwise one from a network it
/// never used (an IPv4 `/24` or IPv6 `/48`, see [`super::policy::NETWORKS`]) is a `new_network`
/// alert. Either way the person is mailed (unless the after-failures notice already went out)
/// and their other connected sessions get `new_sign_in`. The first session of an account is
/// never an alert.
pub(super) fn open_session(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    user: &User,
    device: &DeviceInfo,
    client: &ClientMeta,
    failures_before: u32,
) -> rusqlite::Result<SessionTokens> {
    let known_account = sessions::has_sessions(tx, &user.id)?;
    let new_device =
        known_account && !sessions::knows_installation(tx, &user.id, &device.installation_id)?;
    let new_network =
        known_account && !new_device && !sessions::knows_network(tx, &user.id, &client.ip)?;
    let issued = sessions::open(tx, ctx.random(), ctx.now, &user.id, device, client)?;
    let device_token =
        devices::issue(tx, ctx.random(), ctx.now, &user.id, &device.installation_id)?;
    let facts = || MailFacts {
        name: user.name.clone(),
        ip: client.ip.clone(),
        device: device_text(device),
        when: format_when(ctx.now, &user.timezone),
        failures: failures_before,
        ..MailFacts::default()
    };
    let details = json!({
        "session_id": issued.session_id,
        "device": device.name,
        "os": device.os,
        "app": device.app,
        "app_version": device.app_version,
        "user_agent": client.user_agent,
    });
    events::record(
        tx,
        &user.id,
        Kind::SignedIn,
        &client.ip,
        ctx.now,
        details.clone(),
    )?;
    let after_failures = failures_before >= LOCKOUT.notify_success_after;
    if after_failures {
        events::record(
            tx,
            &user.id,
            Kind::SignInAfterFailures,
            &client.ip,
            ctx.now,
            json!({ "session_id": issued.session_id, "failures": failures_before }),
        )?;
        ctx.mail(
            tx,
            MailKind::SignInAfterFailures,
            &user.email,
            user.language,
            &facts(),
        )?;
    }
    let alert = if new_device {
        Some((Kind::NewDevice, MailKind::NewDeviceSignIn))
    } else if new_network {
        Some((Kind::NewNetwork, MailKind::NewNetworkSignIn))
    } else {
        None
    };
    if let Some((alert_kind, mail)) = alert {
        let id = events::record(tx, &user.id, alert_kind, &client.ip, ctx.now, details)?;
        if !after_failures {
            ctx.mail(tx, mail, &user.email, user.language, &facts())?;
        }
        if let Some(event) = events::event_info(tx, &user.id, id, ctx.now)? {
            ctx.new_sign_in(&user.id, &issued.session_id, event);
        }
    }
    ctx.security_changed(&user.id);
    Ok(SessionTokens {
        device_token: Some(Secret::new(device_token)),
        ..tokens(issued, user)
    })
}
