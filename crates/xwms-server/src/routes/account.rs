//! `/api/account/...`: the signed-in person's account. Every route needs
//! `Authorization: Bearer <access token>`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use xwms_api::auth::{
    CodeSent, EmailChangeRequest, EmailConfirmRequest, PasswordChangeRequest, PasswordChanged,
    ProfileUpdate, UserProfile,
};
use xwms_api::Envelope;

use super::auth::CODE_SENT_MESSAGE;
use crate::accounts::{Authenticated, ClientMeta};
use crate::error::{ApiError, ErrorEnvelope};
use crate::extract::ApiJson;
use crate::AppState;

/// The signed-in person's account.
#[utoipa::path(
    get,
    path = "/api/account",
    tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = Envelope<UserProfile>),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
    )
)]
pub(super) async fn account(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<Envelope<UserProfile>>, ApiError> {
    let profile = state.accounts.profile(&auth).await?;
    Ok(Json(Envelope::success("Your account.", profile)))
}

/// Change name, username, time zone, region or language (absent fields stay as they are).
///
/// An empty `username` removes it. Every field is checked before any is written.
#[utoipa::path(
    patch,
    path = "/api/account/profile",
    tag = "account",
    security(("bearer" = [])),
    request_body = ProfileUpdate,
    responses(
        (status = 200, description = "The updated account", body = Envelope<UserProfile>),
        (status = 400, description = "`field.required`/`field.too_long`/`field.invalid` (name, username, region, language), `account.timezone_invalid`, `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 409, description = "`account.username_taken`, `account.username_reserved` (contact support)", body = ErrorEnvelope),
    )
)]
pub(super) async fn update_profile(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    ApiJson(update): ApiJson<ProfileUpdate>,
) -> Result<Json<Envelope<UserProfile>>, ApiError> {
    let profile = state
        .accounts
        .update_profile(&auth, update, &client)
        .await?;
    Ok(Json(Envelope::success("Your profile was saved.", profile)))
}

/// Start an email change: the password again, then a code (10 minutes) to the new address.
#[utoipa::path(
    post,
    path = "/api/account/email",
    tag = "account",
    security(("bearer" = [])),
    request_body = EmailChangeRequest,
    responses(
        (status = 202, description = "A code was mailed to the new address and a notice to the current one", body = Envelope<CodeSent>),
        (status = 400, description = "`email.invalid`, `field.invalid` (new_email is the current address), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`auth.password_incorrect`", body = ErrorEnvelope),
        (status = 423, description = "`auth.locked`", body = ErrorEnvelope),
        (status = 429, description = "`auth.throttled`, `code.resend_too_soon`", body = ErrorEnvelope),
    )
)]
pub(super) async fn change_email(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    ApiJson(req): ApiJson<EmailChangeRequest>,
) -> Result<(StatusCode, Json<Envelope<CodeSent>>), ApiError> {
    let sent = state.accounts.change_email(&auth, req, &client).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Envelope::success(CODE_SENT_MESSAGE, sent)),
    ))
}

/// Confirm the new address with the code mailed to it.
#[utoipa::path(
    post,
    path = "/api/account/email/confirm",
    tag = "account",
    security(("bearer" = [])),
    request_body = EmailConfirmRequest,
    responses(
        (status = 200, description = "The account with its new (verified) address", body = Envelope<UserProfile>),
        (status = 400, description = "`code.none`, `code.expired`, `code.incorrect`, `code.too_many_attempts`, `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 429, description = "`code.too_soon`", body = ErrorEnvelope),
    )
)]
pub(super) async fn confirm_email(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    ApiJson(req): ApiJson<EmailConfirmRequest>,
) -> Result<Json<Envelope<UserProfile>>, ApiError> {
    let profile = state.accounts.confirm_email(&auth, req, &client).await?;
    Ok(Json(Envelope::success(
        "Your email address was changed.",
        profile,
    )))
}

/// Change the password (the current one is required).
#[utoipa::path(
    post,
    path = "/api/account/password",
    tag = "account",
    security(("bearer" = [])),
    request_body = PasswordChangeRequest,
    responses(
        (status = 200, description = "Changed; `sessions_revoked` other sessions ended", body = Envelope<PasswordChanged>),
        (status = 400, description = "`password.*` (field `new_password`), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`auth.password_incorrect`", body = ErrorEnvelope),
        (status = 423, description = "`auth.locked`", body = ErrorEnvelope),
        (status = 429, description = "`auth.throttled`, `request.rate_limited`: too many from this address (`retry_after_seconds`, `Retry-After`)", body = ErrorEnvelope),
        (status = 503, description = "`server.busy`: too many passwords are being checked right now (`retry_after_seconds`, `Retry-After`)", body = ErrorEnvelope),
    )
)]
pub(super) async fn change_password(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    ApiJson(req): ApiJson<PasswordChangeRequest>,
) -> Result<Json<Envelope<PasswordChanged>>, ApiError> {
    let changed = state.accounts.change_password(&auth, req, &client).await?;
    // The current password was right: that counts as re-authentication too.
    state.accounts.password_proved(&auth).await?;
    Ok(Json(Envelope::success(
        "Your password was changed.",
        changed,
    )))
}
