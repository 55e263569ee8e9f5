//! The security center over HTTP: the second step of sign-in, two-step verification,
//! sessions, the security timeline, API credentials and the realtime channel. Thin: each
//! handler unpacks the request and calls one `Accounts` method.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use xwms_api::auth::{CodeRequest, SessionTokens};
use xwms_api::security::{
    ApiClientCreate, ApiClientIdentity, ApiClientInfo, ApiClientList, ApiClientSecret,
    ApiClientUpdate, PasswordRequest, RecoveryCodes, SecondFactorRequest, SecurityEventInfo,
    SecurityEventPage, SecurityOverview, SessionList, SessionsRevoked, TwoFactorDisableRequest,
    TwoFactorSetup,
};
use xwms_api::{Envelope, ErrorCode};

use crate::accounts::{api_clients, security, Authenticated, ClientMeta};
use crate::error::{ApiError, DoneEnvelope, ErrorEnvelope};
use crate::extract::ApiJson;
use crate::AppState;

fn ok<T>(message: &str, data: T) -> Json<Envelope<T>> {
    Json(Envelope::success(message, data))
}

fn done(message: &str) -> Json<Envelope<()>> {
    Json(Envelope {
        status: xwms_api::Status::Success,
        message: message.to_owned(),
        code: None,
        data: None,
    })
}

/// The second step of sign-in: a code for the challenge of `POST /api/auth/signin`.
///
/// `method` is `totp` (six digits from the authenticator app; a code works once, for the current
/// or the previous 30-second step) or `recovery_code` (`xxxx-xxxx`, each works once), or, when
/// the challenge offered only `email_code` (an installation the person denied with "Not me", on
/// an account without 2FA), the 6-digit code just mailed to the account (5 minutes, 5 tries). The
/// challenge lives 5 minutes and must come back from the same IP address and user agent. A
/// wrong code counts as a failed sign-in (the same throttle and lockout as a wrong password).
#[utoipa::path(
    post,
    path = "/api/auth/signin/second-factor",
    tag = "auth",
    request_body = SecondFactorRequest,
    responses(
        (status = 200, description = "Signed in", body = Envelope<SessionTokens>),
        (status = 400, description = "`two_factor.code_incorrect`, `two_factor.code_used` (wait for the next code), `field.invalid` (method), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`two_factor.challenge_expired`: sign in again", body = ErrorEnvelope),
        (status = 423, description = "`auth.locked`", body = ErrorEnvelope),
        (status = 429, description = "`auth.throttled` (`retry_after_seconds`)", body = ErrorEnvelope),
    )
)]
pub(super) async fn sign_in_second_factor(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(req): ApiJson<SecondFactorRequest>,
) -> Result<Json<Envelope<SessionTokens>>, ApiError> {
    let tokens = state.accounts.sign_in_second_factor(req, &client).await?;
    Ok(ok("Signed in.", tokens))
}

/// The security checklist: verified address, password rule, 2FA, sessions and alerts.
#[utoipa::path(
    get,
    path = "/api/account/security",
    tag = "security",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The overview", body = Envelope<SecurityOverview>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
    )
)]
pub(super) async fn security_overview(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<Envelope<SecurityOverview>>, ApiError> {
    let overview = state.accounts.security_overview(&auth).await?;
    Ok(ok("Your account's security.", overview))
}

#[derive(Debug, Deserialize)]
pub(super) struct RealtimeQuery {
    after: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct EventsQuery {
    before: Option<String>,
    limit: Option<String>,
}

/// The security timeline, newest first.
#[utoipa::path(
    get,
    path = "/api/account/security/events",
    tag = "security",
    security(("bearer" = [])),
    params(
        ("before" = Option<String>, Query, description = "An event id: only older events (the `next_before` of the previous page)"),
        ("limit" = Option<u32>, Query, description = "1 to 200; default 50"),
    ),
    responses(
        (status = 200, description = "A page of events", body = Envelope<SecurityEventPage>),
        (status = 400, description = "`field.invalid` (before, limit)", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
    )
)]
pub(super) async fn security_events(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(query): Query<EventsQuery>,
) -> Result<Json<Envelope<SecurityEventPage>>, ApiError> {
    let (before, limit) = security::page_query(query.before.as_deref(), query.limit.as_deref())?;
    let page = state.accounts.security_events(&auth, before, limit).await?;
    Ok(ok("Your security events.", page))
}

/// "This was me": confirms a new-sign-in alert.
#[utoipa::path(
    post,
    path = "/api/account/security/events/{id}/confirm",
    tag = "security",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The event id")),
    responses(
        (status = 200, description = "The alert, confirmed (a denied alert stays denied)", body = Envelope<SecurityEventInfo>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 404, description = "`security_event.not_found`: no such alert of yours", body = ErrorEnvelope),
    )
)]
pub(super) async fn confirm_event(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    Path(id): Path<String>,
) -> Result<Json<Envelope<SecurityEventInfo>>, ApiError> {
    let event = state
        .accounts
        .answer_alert(&auth, &id, false, &client)
        .await?;
    Ok(ok("Thank you. The sign-in is marked as yours.", event))
}

/// "Not me": the alert's session is signed out at once.
#[utoipa::path(
    post,
    path = "/api/account/security/events/{id}/deny",
    tag = "security",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The event id")),
    responses(
        (status = 200, description = "The alert, denied; its session ended", body = Envelope<SecurityEventInfo>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 404, description = "`security_event.not_found`: no such alert of yours", body = ErrorEnvelope),
    )
)]
pub(super) async fn deny_event(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    Path(id): Path<String>,
) -> Result<Json<Envelope<SecurityEventInfo>>, ApiError> {
    let event = state
        .accounts
        .answer_alert(&auth, &id, true, &client)
        .await?;
    Ok(ok(
        "That session was signed out. Change your password if someone may know it.",
        event,
    ))
}

/// Start turning on two-step verification: a new secret for the authenticator app.
#[utoipa::path(
    post,
    path = "/api/account/2fa/setup",
    tag = "security",
    security(("bearer" = [])),
    request_body = PasswordRequest,
    responses(
        (status = 200, description = "A pending secret, valid 10 minutes; confirm it with a code", body = Envelope<TwoFactorSetup>),
        (status = 400, description = "`request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`auth.password_incorrect`", body = ErrorEnvelope),
        (status = 409, description = "`two_factor.already_enabled`", body = ErrorEnvelope),
        (status = 423, description = "`auth.locked`", body = ErrorEnvelope),
        (status = 429, description = "`auth.throttled`", body = ErrorEnvelope),
    )
)]
pub(super) async fn two_factor_setup(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> Result<Json<Envelope<TwoFactorSetup>>, ApiError> {
    let setup = state.accounts.two_factor_setup(&auth, req, &client).await?;
    Ok(ok(
        "Add this secret to your authenticator app, then enter a code.",
        setup,
    ))
}

/// Turn on two-step verification with a code of the pending secret.
#[utoipa::path(
    post,
    path = "/api/account/2fa/enable",
    tag = "security",
    security(("bearer" = [])),
    request_body = CodeRequest,
    responses(
        (status = 200, description = "On; the recovery codes (shown once)", body = Envelope<RecoveryCodes>),
        (status = 400, description = "`two_factor.code_incorrect`, `two_factor.setup_missing` (start again), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 409, description = "`two_factor.already_enabled`", body = ErrorEnvelope),
    )
)]
pub(super) async fn two_factor_enable(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    ApiJson(req): ApiJson<CodeRequest>,
) -> Result<Json<Envelope<RecoveryCodes>>, ApiError> {
    let codes = state
        .accounts
        .two_factor_enable(&auth, req, &client)
        .await?;
    Ok(ok(
        "Two-step verification is on. Keep these recovery codes somewhere safe.",
        codes,
    ))
}

/// Turn off two-step verification: the password and a current code or a recovery code.
#[utoipa::path(
    post,
    path = "/api/account/2fa/disable",
    tag = "security",
    security(("bearer" = [])),
    request_body = TwoFactorDisableRequest,
    responses(
        (status = 200, description = "Off; a notice was mailed", body = DoneEnvelope),
        (status = 400, description = "`two_factor.code_incorrect`, `two_factor.code_used`, `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`auth.password_incorrect`", body = ErrorEnvelope),
        (status = 409, description = "`two_factor.not_enabled`", body = ErrorEnvelope),
        (status = 423, description = "`auth.locked`", body = ErrorEnvelope),
        (status = 429, description = "`auth.throttled`", body = ErrorEnvelope),
    )
)]
pub(super) async fn two_factor_disable(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    ApiJson(req): ApiJson<TwoFactorDisableRequest>,
) -> Result<Json<Envelope<()>>, ApiError> {
    state
        .accounts
        .two_factor_disable(&auth, req, &client)
        .await?;
    Ok(done("Two-step verification is off."))
}

/// A new set of recovery codes; the old set stops working.
#[utoipa::path(
    post,
    path = "/api/account/2fa/recovery-codes",
    tag = "security",
    security(("bearer" = [])),
    request_body = PasswordRequest,
    responses(
        (status = 200, description = "The new codes (shown once)", body = Envelope<RecoveryCodes>),
        (status = 400, description = "`request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`auth.password_incorrect`", body = ErrorEnvelope),
        (status = 409, description = "`two_factor.not_enabled`", body = ErrorEnvelope),
        (status = 423, description = "`auth.locked`", body = ErrorEnvelope),
        (status = 429, description = "`auth.throttled`", body = ErrorEnvelope),
    )
)]
pub(super) async fn recovery_codes(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> Result<Json<Envelope<RecoveryCodes>>, ApiError> {
    let codes = state
        .accounts
        .regenerate_recovery_codes(&auth, req, &client)
        .await?;
    Ok(ok(
        "New recovery codes. The old ones no longer work.",
        codes,
    ))
}

/// The active sessions; the current one ("This device") first.
#[utoipa::path(
    get,
    path = "/api/account/sessions",
    tag = "security",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sessions", body = Envelope<SessionList>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
    )
)]
pub(super) async fn sessions(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<Envelope<SessionList>>, ApiError> {
    let list = state.accounts.session_list(&auth).await?;
    Ok(ok("Your sessions.", list))
}

/// Sign out another session of yours.
#[utoipa::path(
    delete,
    path = "/api/account/sessions/{id}",
    tag = "security",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 200, description = "That session ended", body = DoneEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`auth.reauth_required`: confirm the password first (`POST /api/auth/reauthenticate`)", body = ErrorEnvelope),
        (status = 404, description = "`session.not_found`", body = ErrorEnvelope),
        (status = 409, description = "`session.is_current`: sign out instead", body = ErrorEnvelope),
    )
)]
pub(super) async fn remove_session(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    Path(id): Path<String>,
) -> Result<Json<Envelope<()>>, ApiError> {
    state.accounts.remove_session(&auth, &id, &client).await?;
    Ok(done("The session was signed out."))
}

/// Sign out every other session (the password again).
#[utoipa::path(
    post,
    path = "/api/account/sessions/revoke-others",
    tag = "security",
    security(("bearer" = [])),
    request_body = PasswordRequest,
    responses(
        (status = 200, description = "How many sessions ended", body = Envelope<SessionsRevoked>),
        (status = 400, description = "`request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`auth.password_incorrect`", body = ErrorEnvelope),
        (status = 423, description = "`auth.locked`", body = ErrorEnvelope),
        (status = 429, description = "`auth.throttled`", body = ErrorEnvelope),
    )
)]
pub(super) async fn revoke_other_sessions(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> Result<Json<Envelope<SessionsRevoked>>, ApiError> {
    let revoked = state
        .accounts
        .revoke_other_sessions(&auth, req, &client)
        .await?;
    Ok(ok("Your other sessions were signed out.", revoked))
}

/// Your API clients.
#[utoipa::path(
    get,
    path = "/api/account/api-clients",
    tag = "security",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The clients (never their secrets)", body = Envelope<ApiClientList>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
    )
)]
pub(super) async fn api_clients(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<Envelope<ApiClientList>>, ApiError> {
    let list = state.accounts.api_clients(&auth).await?;
    Ok(ok("Your API clients.", list))
}

/// Make an API client (at most 20). Its secret is in this answer only.
#[utoipa::path(
    post,
    path = "/api/account/api-clients",
    tag = "security",
    security(("bearer" = [])),
    request_body = ApiClientCreate,
    responses(
        (status = 201, description = "The client and its secret (shown once)", body = Envelope<ApiClientSecret>),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (name), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`auth.reauth_required`: confirm the password first (`POST /api/auth/reauthenticate`)", body = ErrorEnvelope),
        (status = 409, description = "`api_client.name_taken`, `api_client.limit`", body = ErrorEnvelope),
    )
)]
pub(super) async fn create_api_client(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    ApiJson(req): ApiJson<ApiClientCreate>,
) -> Result<(axum::http::StatusCode, Json<Envelope<ApiClientSecret>>), ApiError> {
    let created = state
        .accounts
        .create_api_client(&auth, req, &client)
        .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        ok(
            "API client created. Copy its secret now: it is not shown again.",
            created,
        ),
    ))
}

/// Rename, disable or enable an API client.
#[utoipa::path(
    patch,
    path = "/api/account/api-clients/{id}",
    tag = "security",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The client's id (not its client_id)")),
    request_body = ApiClientUpdate,
    responses(
        (status = 200, description = "The client", body = Envelope<ApiClientInfo>),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (name), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`auth.reauth_required`: confirm the password first (`POST /api/auth/reauthenticate`)", body = ErrorEnvelope),
        (status = 404, description = "`api_client.not_found`", body = ErrorEnvelope),
        (status = 409, description = "`api_client.name_taken`", body = ErrorEnvelope),
    )
)]
pub(super) async fn update_api_client(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ApiClientUpdate>,
) -> Result<Json<Envelope<ApiClientInfo>>, ApiError> {
    let updated = state
        .accounts
        .update_api_client(&auth, &id, req, &client)
        .await?;
    Ok(ok("API client saved.", updated))
}

/// Delete an API client: its credentials stop working at once.
#[utoipa::path(
    delete,
    path = "/api/account/api-clients/{id}",
    tag = "security",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The client's id")),
    responses(
        (status = 200, description = "Deleted", body = DoneEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`auth.reauth_required`: confirm the password first (`POST /api/auth/reauthenticate`)", body = ErrorEnvelope),
        (status = 404, description = "`api_client.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn delete_api_client(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    Path(id): Path<String>,
) -> Result<Json<Envelope<()>>, ApiError> {
    state
        .accounts
        .delete_api_client(&auth, &id, &client)
        .await?;
    Ok(done("API client deleted."))
}

/// A new secret for an API client; the old one stops working at once.
#[utoipa::path(
    post,
    path = "/api/account/api-clients/{id}/secret",
    tag = "security",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The client's id")),
    responses(
        (status = 200, description = "The client and its new secret (shown once)", body = Envelope<ApiClientSecret>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`auth.reauth_required`: confirm the password first (`POST /api/auth/reauthenticate`)", body = ErrorEnvelope),
        (status = 404, description = "`api_client.not_found`", body = ErrorEnvelope),
    )
)]
pub(super) async fn regenerate_api_client_secret(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    Path(id): Path<String>,
) -> Result<Json<Envelope<ApiClientSecret>>, ApiError> {
    let secret = state
        .accounts
        .regenerate_api_client_secret(&auth, &id, &client)
        .await?;
    Ok(ok(
        "New secret made. Copy it now: it is not shown again.",
        secret,
    ))
}

/// For an API client: check its credentials (HTTP Basic `client_id:client_secret`).
#[utoipa::path(
    get,
    path = "/api/client/identity",
    tag = "clients",
    security(("basic" = [])),
    responses(
        (status = 200, description = "Who the client is", body = Envelope<ApiClientIdentity>),
        (status = 401, description = "`auth.unauthorized`: unknown client or wrong secret", body = ErrorEnvelope),
        (status = 403, description = "`api_client.disabled`", body = ErrorEnvelope),
    )
)]
pub(super) async fn client_identity(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Envelope<ApiClientIdentity>>, ApiError> {
    let (client_id, secret) = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(api_clients::basic_credentials)
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))?;
    let identity = state
        .accounts
        .api_client_identity(&client_id, &secret)
        .await?;
    Ok(ok("These credentials work.", identity))
}

/// The realtime channel: a WebSocket of `RealtimeEvent` JSON text frames.
///
/// The access token is checked before the upgrade. The first frame is `ready`; when the
/// session ends for any reason the server sends `session_revoked` and closes the socket (close
/// code 4001). `new_sign_in` and `security_changed` tell the page to show an alert or refresh.
/// The server pings every 25 seconds. A session may hold 5 sockets at once and an account 20;
/// a frame or message from the client over 16 KiB closes the socket.
///
/// Live support: with `?after=SEQ` the channel first replays, after `ready`, the support events
/// of the caller's event log after `SEQ` in seq order (the support team: every event), then
/// sends new ones as they happen, with no gap and no duplicate between the two; when `SEQ` is
/// older than the log keeps (30 days) it sends `support_reload` instead. `support_typing` and
/// `support_availability` are never replayed.
#[utoipa::path(
    get,
    path = "/api/realtime",
    tag = "security",
    security(("bearer" = [])),
    params(
        ("Connection" = String, Header, pattern = "^[Uu]pgrade$", description = "`Upgrade`: a WebSocket handshake (RFC 6455)"),
        ("Upgrade" = String, Header, pattern = "^[Ww]eb[Ss]ocket$", description = "`websocket`"),
        ("Sec-WebSocket-Version" = String, Header, pattern = "^13$", description = "`13`"),
        ("Sec-WebSocket-Key" = String, Header, description = "16 random bytes in base64"),
        ("after" = Option<i64>, Query, description = "Replay the support events after this seq first"),
    ),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol (no body); each text frame is then a `RealtimeEvent` (JSON)"),
        (status = 400, description = "`request.invalid`: not a WebSocket upgrade request; `field.invalid` (after)", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 429, description = "`realtime.too_many_sockets`: the session already has 5 sockets open, or the account 20", body = ErrorEnvelope),
    )
)]
pub(super) async fn realtime(
    State(state): State<AppState>,
    auth: Authenticated,
    Query(query): Query<RealtimeQuery>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let after = query
        .after
        .as_deref()
        .map(|raw| super::support::after_seq(Some(raw)))
        .transpose()?;
    let agent = state.accounts.is_agent(&auth.user_id).await?;
    // Registered before the upgrade, so sockets opened at the same time count too; an upgrade
    // that fails or never completes drops the registration. Registered before the support
    // replay too, so no event falls between the replay and the live ones.
    let registration = state
        .live
        .connect_as(&auth.user_id, &auth.session_id, agent)
        .map_err(|_| ApiError::new(ErrorCode::RealtimeTooManySockets))?;
    let upgrade = upgrade.map_err(|rejection| {
        ApiError::with_message(ErrorCode::InvalidRequest, rejection.body_text())
    })?;
    let accounts = state.accounts.clone();
    let limit = crate::accounts::policy::REALTIME.max_inbound_bytes;
    Ok(upgrade
        .max_frame_size(limit)
        .max_message_size(limit)
        .on_upgrade(move |socket| {
            crate::realtime::serve(
                socket,
                crate::realtime::Listener::Session(auth),
                accounts,
                registration,
                after,
            )
        }))
}
