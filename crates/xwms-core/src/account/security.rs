//! The security center of the signed-in account: the second step of sign-in, 2FA, the
//! security timeline and new-sign-in alerts, sessions and API clients.
//!
//! Rules:
//! - Everything goes through the session's authenticated calls (refresh once on refusal; a
//!   session the server ended is ended here), and errors keep the server's stable codes.
//! - The second-factor challenge stays in [`AccountSession`]; only the method and the code
//!   come from the person. An expired challenge is forgotten (sign in again).
//! - Changes to 2FA or to other sessions need the password again (the server checks it), or
//!   within 10 minutes of the last time it was given ([`AccountSession::reauthenticate`]).
//! - After each change made here [`AccountEvent::SecurityChanged`] is sent, so every screen
//!   showing security state refreshes, as it does when the change comes from elsewhere over
//!   the realtime channel.

use reqwest::Method;
use xwms_api::auth::{CodeRequest, Reauthenticated, SessionTokens, UserProfile};
use xwms_api::security::{
    paths, ApiClientCreate, ApiClientInfo, ApiClientList, ApiClientSecret, ApiClientUpdate,
    PasswordRequest, RecoveryCodes, SecondFactorMethod, SecondFactorRequest, SecurityEventInfo,
    SecurityEventPage, SecurityOverview, SessionList, SessionsRevoked, TwoFactorDisableRequest,
    TwoFactorSetup,
};
use xwms_api::ErrorCode;

use super::{AccountEvent, AccountSession};
use crate::api_client::path_with_id;
use crate::api_client::{to_json, NoData};
use crate::secret::Secret;
use crate::two_factor_setup::TwoFactorEnrolment;
use crate::CoreError;

/// Most security events one page holds.
pub const SECURITY_EVENTS_MAX_LIMIT: u32 = 200;

/// An empty JSON object: the body of a POST that carries nothing.
fn empty_body() -> Option<Vec<u8>> {
    Some(b"{}".to_vec())
}

impl AccountSession {
    // ----- the second step of sign-in -----

    /// Whether a sign-in waits for its second factor (a challenge is held).
    pub fn second_factor_pending(&self) -> bool {
        self.challenge.lock().expect("challenge lock").is_some()
    }

    /// Completes a sign-in that answered [`super::SignInOutcome::SecondFactor`], with `method`
    /// (`totp` or `recovery_code`, see [`xwms_api::security::method`]) and the code. The
    /// session is then saved like [`AccountSession::sign_in`] does. Without a pending
    /// challenge, or when the server says it expired (`two_factor.challenge_expired`), the
    /// challenge is forgotten and the person signs in again; a wrong code keeps it for another
    /// try.
    pub async fn complete_second_factor(
        &self,
        method: SecondFactorMethod,
        code: Secret,
    ) -> Result<UserProfile, CoreError> {
        let challenge = self
            .challenge
            .lock()
            .expect("challenge lock")
            .clone()
            .ok_or_else(|| {
                CoreError::new(ErrorCode::TwoFactorChallengeExpired)
                    .with_detail("no second-factor challenge is pending")
            })?;
        if code.expose().trim().is_empty() {
            return Err(CoreError::new(ErrorCode::FieldRequired).with_data(Some(
                xwms_api::auth::ErrorData {
                    field: Some("code".into()),
                    ..Default::default()
                },
            )));
        }
        let request = SecondFactorRequest {
            challenge,
            method,
            code,
        };
        let api = self.api();
        match api
            .post::<_, SessionTokens>(paths::SIGN_IN_SECOND_FACTOR, &request, None)
            .await
        {
            Ok(tokens) => self.start_session(&api, tokens).await,
            Err(e) => {
                if e.code == ErrorCode::TwoFactorChallengeExpired {
                    *self.challenge.lock().expect("challenge lock") = None;
                }
                Err(e)
            }
        }
    }

    // ----- the security page and the timeline -----

    /// The security checklist: email verified, password, 2FA, sessions, unrecognised sign-ins.
    pub async fn security_overview(&self) -> Result<SecurityOverview, CoreError> {
        self.authed_send(Method::GET, paths::SECURITY, None).await
    }

    /// The security timeline, newest first: `limit` events (1 to 200) older than the event
    /// `before` (none: the newest).
    pub async fn security_events(
        &self,
        before: Option<String>,
        limit: u32,
    ) -> Result<SecurityEventPage, CoreError> {
        // The serializer is not `Send`: it is gone before the await, so the future is `Send`.
        let query = {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query.append_pair(
                "limit",
                &limit.clamp(1, SECURITY_EVENTS_MAX_LIMIT).to_string(),
            );
            if let Some(before) = before.as_deref().filter(|b| !b.is_empty()) {
                query.append_pair("before", before);
            }
            query.finish()
        };
        let path = format!("{}?{}", paths::SECURITY_EVENTS, query);
        self.authed_send(Method::GET, &path, None).await
    }

    /// "This was me" on a new-sign-in alert.
    pub async fn confirm_sign_in(&self, event_id: &str) -> Result<SecurityEventInfo, CoreError> {
        let path = path_with_id(paths::SECURITY_EVENT_CONFIRM, event_id)?;
        self.changing(self.authed_send(Method::POST, &path, empty_body()))
            .await
    }

    /// "Not me" on a new-sign-in alert: the server removes that session at once (change the
    /// password next).
    pub async fn deny_sign_in(&self, event_id: &str) -> Result<SecurityEventInfo, CoreError> {
        let path = path_with_id(paths::SECURITY_EVENT_DENY, event_id)?;
        self.changing(self.authed_send(Method::POST, &path, empty_body()))
            .await
    }

    // ----- two-step verification -----

    /// Starts turning 2FA on (the password again): a new pending secret, with its QR code.
    pub async fn start_two_factor(
        &self,
        password: Secret,
    ) -> Result<TwoFactorEnrolment, CoreError> {
        let request = PasswordRequest { password };
        let setup: TwoFactorSetup = self
            .authed_send(
                Method::POST,
                paths::TWO_FACTOR_SETUP,
                Some(to_json(&request)?),
            )
            .await?;
        TwoFactorEnrolment::from_setup(setup)
    }

    /// Turns 2FA on with the first code of the authenticator app; the answer is the first set
    /// of recovery codes (shown once).
    pub async fn enable_two_factor(&self, code: Secret) -> Result<RecoveryCodes, CoreError> {
        let request = CodeRequest { code };
        self.changing(self.authed_send(
            Method::POST,
            paths::TWO_FACTOR_ENABLE,
            Some(to_json(&request)?),
        ))
        .await
    }

    /// Turns 2FA off: the password and a current code (or a recovery code).
    pub async fn disable_two_factor(
        &self,
        password: Secret,
        code: Secret,
    ) -> Result<(), CoreError> {
        let request = TwoFactorDisableRequest { password, code };
        self.changing(self.authed_send::<NoData>(
            Method::POST,
            paths::TWO_FACTOR_DISABLE,
            Some(to_json(&request)?),
        ))
        .await
        .map(drop)
    }

    /// A new set of recovery codes (the password again); the old set stops working.
    pub async fn regenerate_recovery_codes(
        &self,
        password: Secret,
    ) -> Result<RecoveryCodes, CoreError> {
        let request = PasswordRequest { password };
        self.changing(self.authed_send(
            Method::POST,
            paths::RECOVERY_CODES,
            Some(to_json(&request)?),
        ))
        .await
    }

    // ----- re-authentication -----

    /// Confirms the password ("sudo mode"): for the next 10 minutes this session may remove
    /// other sessions and change 2FA or API credentials. Those calls answer
    /// `auth.reauth_required` outside that window; the app then asks for the password, calls
    /// this, and tries the action again. A wrong password is `auth.password_incorrect` (and
    /// counts towards the lockout like a failed sign-in).
    pub async fn reauthenticate(&self, password: Secret) -> Result<Reauthenticated, CoreError> {
        let request = PasswordRequest { password };
        self.authed_send(
            Method::POST,
            xwms_api::auth::paths::REAUTHENTICATE,
            Some(to_json(&request)?),
        )
        .await
    }

    // ----- sessions -----

    /// The account's active sessions, this one ("This device") first.
    pub async fn sessions(&self) -> Result<SessionList, CoreError> {
        self.authed_send(Method::GET, paths::SESSIONS, None).await
    }

    /// Ends another session (`session.is_current` for this one: sign out instead).
    pub async fn revoke_session(&self, id: &str) -> Result<(), CoreError> {
        let path = path_with_id(paths::SESSION, id)?;
        self.changing(self.authed_send::<NoData>(Method::DELETE, &path, None))
            .await
            .map(drop)
    }

    /// Ends every session but this one (the password again).
    pub async fn revoke_other_sessions(
        &self,
        password: Secret,
    ) -> Result<SessionsRevoked, CoreError> {
        let request = PasswordRequest { password };
        self.changing(self.authed_send(
            Method::POST,
            paths::REVOKE_OTHER_SESSIONS,
            Some(to_json(&request)?),
        ))
        .await
    }

    // ----- API clients -----

    /// The account's API clients.
    pub async fn api_clients(&self) -> Result<ApiClientList, CoreError> {
        self.authed_send(Method::GET, paths::API_CLIENTS, None)
            .await
    }

    /// A new API client; its secret is in the answer and never again.
    pub async fn create_api_client(&self, name: &str) -> Result<ApiClientSecret, CoreError> {
        let request = ApiClientCreate {
            name: name.to_string(),
        };
        self.changing(self.authed_send(Method::POST, paths::API_CLIENTS, Some(to_json(&request)?)))
            .await
    }

    /// Renames, disables or enables an API client.
    pub async fn update_api_client(
        &self,
        id: &str,
        update: ApiClientUpdate,
    ) -> Result<ApiClientInfo, CoreError> {
        let path = path_with_id(paths::API_CLIENT, id)?;
        self.changing(self.authed_send(Method::PATCH, &path, Some(to_json(&update)?)))
            .await
    }

    /// A new secret for an API client; the old one stops working at once.
    pub async fn regenerate_api_client_secret(
        &self,
        id: &str,
    ) -> Result<ApiClientSecret, CoreError> {
        let path = path_with_id(paths::API_CLIENT_SECRET, id)?;
        self.changing(self.authed_send(Method::POST, &path, empty_body()))
            .await
    }

    /// Deletes an API client; its credentials stop working at once.
    pub async fn delete_api_client(&self, id: &str) -> Result<(), CoreError> {
        let path = path_with_id(paths::API_CLIENT, id)?;
        self.changing(self.authed_send::<NoData>(Method::DELETE, &path, None))
            .await
            .map(drop)
    }

    /// Runs a call that changes security state; on success tells the app
    /// ([`AccountEvent::SecurityChanged`]).
    async fn changing<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, CoreError>>,
    ) -> Result<T, CoreError> {
        let value = call.await?;
        self.emit(AccountEvent::SecurityChanged);
        Ok(value)
    }
}
