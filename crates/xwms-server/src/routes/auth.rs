//! `/api/auth/...`: sign-up, verification, sign-in, tokens, unlock, password reset, recovery.
//! Thin: each handler unpacks the request and calls one `Accounts` method.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use xwms_api::auth::{
    CodeSent, EmailCodeRequest, EmailRequest, Reauthenticated, RecoveryFiled, RecoveryRequest,
    RefreshRequest, ResetPasswordRequest, SessionTokens, SignInRequest, SignInResponse,
    SignUpRequest,
};
use xwms_api::security::PasswordRequest;
use xwms_api::Envelope;

use crate::accounts::{Authenticated, ClientMeta};
use crate::error::{ApiError, DoneEnvelope, ErrorEnvelope};
use crate::extract::ApiJson;
use crate::AppState;

type Accepted<T> = (StatusCode, Json<Envelope<T>>);

fn accepted<T>(message: &str, data: T) -> Accepted<T> {
    (StatusCode::ACCEPTED, Json(Envelope::success(message, data)))
}

fn done(message: &str) -> Json<Envelope<()>> {
    Json(Envelope {
        status: xwms_api::Status::Success,
        message: message.to_owned(),
        code: None,
        data: None,
    })
}

/// The message of every "a code may be on its way" answer: the same for every address.
pub const CODE_SENT_MESSAGE: &str =
    "If this address can receive mail, a 6-digit code is on its way. Check your mailbox.";

/// Create an account.
///
/// The account stays inactive until its address is verified with the mailed 6-digit code.
/// The answer is the same (status, body, work) whether or not the address already has an
/// account; its owner then gets a notice instead of a code.
#[utoipa::path(
    post,
    path = "/api/auth/signup",
    tag = "auth",
    request_body = SignUpRequest,
    responses(
        (status = 202, description = "A code was mailed (or, for an address with an account, a notice)", body = Envelope<CodeSent>),
        (status = 400, description = "`field.required`, `field.too_long`, `field.invalid` (name, language), `email.invalid`, `password.*`, `request.invalid`", body = ErrorEnvelope),
        (status = 429, description = "`request.rate_limited`: too many from this address (`retry_after_seconds`, `Retry-After`)", body = ErrorEnvelope),
        (status = 503, description = "`server.busy`: too many passwords are being checked right now (`retry_after_seconds`, `Retry-After`)", body = ErrorEnvelope),
    )
)]
pub(super) async fn sign_up(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(req): ApiJson<SignUpRequest>,
) -> Result<Accepted<CodeSent>, ApiError> {
    let sent = state.accounts.sign_up(req, &client).await?;
    Ok(accepted(CODE_SENT_MESSAGE, sent))
}

/// Verify the address of a new account with the mailed code.
#[utoipa::path(
    post,
    path = "/api/auth/verify-email",
    tag = "auth",
    request_body = EmailCodeRequest,
    responses(
        (status = 200, description = "Verified; the account can sign in", body = DoneEnvelope),
        (status = 400, description = "`code.none`, `code.expired`, `code.incorrect` (with `attempts_left`), `code.too_many_attempts`, `email.invalid`, `request.invalid`", body = ErrorEnvelope),
        (status = 429, description = "`code.too_soon`: 5 seconds between tries (`retry_after_seconds`)", body = ErrorEnvelope),
    )
)]
pub(super) async fn verify_email(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(req): ApiJson<EmailCodeRequest>,
) -> Result<Json<Envelope<()>>, ApiError> {
    state.accounts.verify_email(req, &client).await?;
    Ok(done("Your email address is verified. You can sign in now."))
}

/// Send a new verification code (refused for 46 seconds after the last one).
#[utoipa::path(
    post,
    path = "/api/auth/verify-email/resend",
    tag = "auth",
    request_body = EmailRequest,
    responses(
        (status = 202, description = "A new code was mailed if the address has an unverified account; the same answer otherwise", body = Envelope<CodeSent>),
        (status = 400, description = "`email.invalid`, `field.invalid` (language), `request.invalid`", body = ErrorEnvelope),
        (status = 429, description = "`code.resend_too_soon` (`retry_after_seconds`)", body = ErrorEnvelope),
    )
)]
pub(super) async fn resend_verification(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(req): ApiJson<EmailRequest>,
) -> Result<Accepted<CodeSent>, ApiError> {
    let sent = state.accounts.resend_verification(req, &client).await?;
    Ok(accepted(CODE_SENT_MESSAGE, sent))
}

/// Sign in with email and password.
///
/// Opens a session with the device facts of the body, the caller's IP address and user agent,
/// and returns a 15-minute access token and a single-use refresh token. An address without an
/// account answers exactly like a wrong password.
#[utoipa::path(
    post,
    path = "/api/auth/signin",
    tag = "auth",
    request_body = SignInRequest,
    responses(
        (status = 200, description = "`signed_in` with tokens, or `second_factor` with a challenge", body = Envelope<SignInResponse>),
        (status = 400, description = "`email.invalid`, `field.too_long`/`field.invalid` (device.*), `request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.invalid_credentials`", body = ErrorEnvelope),
        (status = 403, description = "`auth.email_unverified` (right password; a new code was mailed unless one went out in the last 46 s: `retry_after_seconds` until a resend); `auth.suspended` (right password; `suspension_reason`, and `appeal_token` for `POST /api/support/appeals`)", body = ErrorEnvelope),
        (status = 423, description = "`auth.locked`: an unlock code was mailed (`retry_after_seconds` until a temporary lock ends)", body = ErrorEnvelope),
        (status = 429, description = "`auth.throttled` (`retry_after_seconds`), `request.rate_limited`: too many from this address (`retry_after_seconds`, `Retry-After`)", body = ErrorEnvelope),
        (status = 503, description = "`server.busy`: too many passwords are being checked right now (`retry_after_seconds`, `Retry-After`)", body = ErrorEnvelope),
    )
)]
pub(super) async fn sign_in(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<Json<Envelope<SignInResponse>>, ApiError> {
    let answer = state.accounts.sign_in(req, &client).await?;
    let message = match answer {
        SignInResponse::SignedIn(_) => "Signed in.",
        SignInResponse::SecondFactor(_) => "Enter the code of your second factor.",
    };
    Ok(Json(Envelope::success(message, answer)))
}

/// Exchange a refresh token for a new access and refresh token.
///
/// A refresh token works once. Presenting one that was already exchanged revokes the whole
/// session (`auth.session_revoked`).
#[utoipa::path(
    post,
    path = "/api/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = Envelope<SessionTokens>),
        (status = 400, description = "`request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
    )
)]
pub(super) async fn refresh(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<Envelope<SessionTokens>>, ApiError> {
    let tokens = state.accounts.refresh(req, &client).await?;
    Ok(Json(Envelope::success("Session refreshed.", tokens)))
}

/// End this session (server-side: its tokens stop working at once).
#[utoipa::path(
    post,
    path = "/api/auth/signout",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Signed out", body = DoneEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
    )
)]
pub(super) async fn sign_out(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
) -> Result<Json<Envelope<()>>, ApiError> {
    state.accounts.sign_out(&auth, &client).await?;
    Ok(done("Signed out."))
}

/// Confirm the password ("sudo mode"): for the next 10 minutes this session may remove other
/// sessions and change email, password, two-step verification, recovery codes and API
/// credentials. Signing in counts too, as does a right password in a request that takes one.
/// Those changes answer `auth.reauth_required` (403) outside the window. A wrong password counts
/// as a failed sign-in (the same throttle and lockout).
#[utoipa::path(
    post,
    path = "/api/auth/reauthenticate",
    tag = "auth",
    security(("bearer" = [])),
    request_body = PasswordRequest,
    responses(
        (status = 200, description = "Confirmed; `reauthenticated_until` (RFC 3339)", body = Envelope<Reauthenticated>),
        (status = 400, description = "`request.invalid`", body = ErrorEnvelope),
        (status = 401, description = "`auth.unauthorized`, `auth.session_expired`, `auth.session_revoked`", body = ErrorEnvelope),
        (status = 403, description = "`auth.password_incorrect` (field `password`)", body = ErrorEnvelope),
        (status = 423, description = "`auth.locked`", body = ErrorEnvelope),
        (status = 429, description = "`auth.throttled`", body = ErrorEnvelope),
    )
)]
pub(super) async fn reauthenticate(
    State(state): State<AppState>,
    auth: Authenticated,
    client: ClientMeta,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> Result<Json<Envelope<Reauthenticated>>, ApiError> {
    let answer = state
        .accounts
        .reauthenticate_now(&auth, req, &client)
        .await?;
    Ok(Json(Envelope::success("Password confirmed.", answer)))
}

/// Unlock a locked account with the mailed code.
#[utoipa::path(
    post,
    path = "/api/auth/unlock",
    tag = "auth",
    request_body = EmailCodeRequest,
    responses(
        (status = 200, description = "Unlocked; failed attempts are forgotten", body = DoneEnvelope),
        (status = 400, description = "`code.none`, `code.expired`, `code.incorrect`, `code.too_many_attempts`, `email.invalid`, `request.invalid`", body = ErrorEnvelope),
        (status = 429, description = "`code.too_soon`", body = ErrorEnvelope),
    )
)]
pub(super) async fn unlock(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(req): ApiJson<EmailCodeRequest>,
) -> Result<Json<Envelope<()>>, ApiError> {
    state.accounts.unlock(req, &client).await?;
    Ok(done("Your account is unlocked. You can sign in now."))
}

/// Send a new unlock code to a locked account (refused for 46 seconds after the last one).
#[utoipa::path(
    post,
    path = "/api/auth/unlock/resend",
    tag = "auth",
    request_body = EmailRequest,
    responses(
        (status = 202, description = "A code was mailed if the account is locked; the same answer otherwise", body = Envelope<CodeSent>),
        (status = 400, description = "`email.invalid`, `field.invalid` (language), `request.invalid`", body = ErrorEnvelope),
        (status = 429, description = "`code.resend_too_soon`", body = ErrorEnvelope),
    )
)]
pub(super) async fn resend_unlock(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<EmailRequest>,
) -> Result<Accepted<CodeSent>, ApiError> {
    let sent = state.accounts.resend_unlock(req).await?;
    Ok(accepted(CODE_SENT_MESSAGE, sent))
}

/// Ask for a code to reset a forgotten password (the same answer for every address).
#[utoipa::path(
    post,
    path = "/api/auth/password/forgot",
    tag = "auth",
    request_body = EmailRequest,
    responses(
        (status = 202, description = "A single-use code valid 10 minutes was mailed if the address has an account", body = Envelope<CodeSent>),
        (status = 400, description = "`email.invalid`, `field.invalid` (language), `request.invalid`", body = ErrorEnvelope),
        (status = 429, description = "`code.resend_too_soon`", body = ErrorEnvelope),
    )
)]
pub(super) async fn forgot_password(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(req): ApiJson<EmailRequest>,
) -> Result<Accepted<CodeSent>, ApiError> {
    let sent = state.accounts.forgot_password(req, &client).await?;
    Ok(accepted(CODE_SENT_MESSAGE, sent))
}

/// Set a new password with the mailed code.
///
/// Every session of the account ends, a lock is lifted, and a notice is mailed.
#[utoipa::path(
    post,
    path = "/api/auth/password/reset",
    tag = "auth",
    request_body = ResetPasswordRequest,
    responses(
        (status = 200, description = "The password was reset; sign in with it", body = DoneEnvelope),
        (status = 400, description = "`password.*` (field `new_password`), `code.none`, `code.expired`, `code.incorrect`, `code.too_many_attempts`, `email.invalid`, `request.invalid`", body = ErrorEnvelope),
        (status = 429, description = "`code.too_soon`, `request.rate_limited`: too many from this address (`retry_after_seconds`, `Retry-After`)", body = ErrorEnvelope),
        (status = 503, description = "`server.busy`: too many passwords are being checked right now (`retry_after_seconds`, `Retry-After`)", body = ErrorEnvelope),
    )
)]
pub(super) async fn reset_password(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(req): ApiJson<ResetPasswordRequest>,
) -> Result<Json<Envelope<()>>, ApiError> {
    state.accounts.reset_password(req, &client).await?;
    Ok(done(
        "Your password has been reset. You can sign in with your new password.",
    ))
}

/// File an account recovery request for support ("Recover account").
///
/// For when proving the mailbox is not enough. The same answer whether or not the address has
/// an account. The contact address gets an acknowledgement with the reference.
#[utoipa::path(
    post,
    path = "/api/auth/recovery-requests",
    tag = "auth",
    request_body = RecoveryRequest,
    responses(
        (status = 202, description = "Filed: quote the reference; support answers within the given working days", body = Envelope<RecoveryFiled>),
        (status = 400, description = "`email.invalid` (email, contact_email), `field.required`/`field.too_long`/`field.invalid` (name, lost, details), `request.invalid`", body = ErrorEnvelope),
        (status = 429, description = "`request.rate_limited`: too many requests from this address", body = ErrorEnvelope),
    )
)]
pub(super) async fn recovery_request(
    State(state): State<AppState>,
    client: ClientMeta,
    ApiJson(req): ApiJson<RecoveryRequest>,
) -> Result<Accepted<RecoveryFiled>, ApiError> {
    let filed = state.accounts.file_recovery_request(req, &client).await?;
    Ok(accepted(
        "We received your request. Support will contact you at the address you gave.",
        filed,
    ))
}
