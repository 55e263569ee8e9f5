//! The API's routes. Each handler is declared once with `#[utoipa::path]` and registered
//! through [`api_router`], so the router and the OpenAPI document come from the same
//! declarations. [`ROUTES`] lists them by name; a test checks it against both.

use axum::http::Method;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use xwms_api::auth::paths;
use xwms_api::help::paths as help_paths;
use xwms_api::security::paths as security_paths;

use crate::AppState;

mod account;
pub mod auth;
mod health;
pub mod help;
mod info;
mod openapi;
mod rules;
mod security;

/// One route the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Key in `/api/info`'s `api.endpoints`.
    pub name: &'static str,
    pub method: Method,
    pub path: &'static str,
}

/// Every route of the API, in the order of the document.
pub const ROUTES: &[Route] = &[
    Route {
        name: "info",
        method: Method::GET,
        path: "/api/info",
    },
    Route {
        name: "health",
        method: Method::GET,
        path: "/api/health",
    },
    Route {
        name: "openapi",
        method: Method::GET,
        path: OPENAPI_PATH,
    },
    Route {
        name: "signup",
        method: Method::POST,
        path: paths::SIGN_UP,
    },
    Route {
        name: "verify_email",
        method: Method::POST,
        path: paths::VERIFY_EMAIL,
    },
    Route {
        name: "resend_verification",
        method: Method::POST,
        path: paths::RESEND_VERIFICATION,
    },
    Route {
        name: "signin",
        method: Method::POST,
        path: paths::SIGN_IN,
    },
    Route {
        name: "signin_second_factor",
        method: Method::POST,
        path: security_paths::SIGN_IN_SECOND_FACTOR,
    },
    Route {
        name: "refresh",
        method: Method::POST,
        path: paths::REFRESH,
    },
    Route {
        name: "signout",
        method: Method::POST,
        path: paths::SIGN_OUT,
    },
    Route {
        name: "reauthenticate",
        method: Method::POST,
        path: paths::REAUTHENTICATE,
    },
    Route {
        name: "unlock",
        method: Method::POST,
        path: paths::UNLOCK,
    },
    Route {
        name: "resend_unlock",
        method: Method::POST,
        path: paths::RESEND_UNLOCK,
    },
    Route {
        name: "forgot_password",
        method: Method::POST,
        path: paths::FORGOT_PASSWORD,
    },
    Route {
        name: "reset_password",
        method: Method::POST,
        path: paths::RESET_PASSWORD,
    },
    Route {
        name: "recovery_request",
        method: Method::POST,
        path: paths::RECOVERY_REQUEST,
    },
    Route {
        name: "account",
        method: Method::GET,
        path: paths::ACCOUNT,
    },
    Route {
        name: "profile",
        method: Method::PATCH,
        path: paths::PROFILE,
    },
    Route {
        name: "change_email",
        method: Method::POST,
        path: paths::CHANGE_EMAIL,
    },
    Route {
        name: "confirm_email",
        method: Method::POST,
        path: paths::CONFIRM_EMAIL,
    },
    Route {
        name: "change_password",
        method: Method::POST,
        path: paths::CHANGE_PASSWORD,
    },
    Route {
        name: "security",
        method: Method::GET,
        path: security_paths::SECURITY,
    },
    Route {
        name: "security_events",
        method: Method::GET,
        path: security_paths::SECURITY_EVENTS,
    },
    Route {
        name: "security_event_confirm",
        method: Method::POST,
        path: security_paths::SECURITY_EVENT_CONFIRM,
    },
    Route {
        name: "security_event_deny",
        method: Method::POST,
        path: security_paths::SECURITY_EVENT_DENY,
    },
    Route {
        name: "two_factor_setup",
        method: Method::POST,
        path: security_paths::TWO_FACTOR_SETUP,
    },
    Route {
        name: "two_factor_enable",
        method: Method::POST,
        path: security_paths::TWO_FACTOR_ENABLE,
    },
    Route {
        name: "two_factor_disable",
        method: Method::POST,
        path: security_paths::TWO_FACTOR_DISABLE,
    },
    Route {
        name: "recovery_codes",
        method: Method::POST,
        path: security_paths::RECOVERY_CODES,
    },
    Route {
        name: "sessions",
        method: Method::GET,
        path: security_paths::SESSIONS,
    },
    Route {
        name: "session_remove",
        method: Method::DELETE,
        path: security_paths::SESSION,
    },
    Route {
        name: "sessions_revoke_others",
        method: Method::POST,
        path: security_paths::REVOKE_OTHER_SESSIONS,
    },
    Route {
        name: "api_clients",
        method: Method::GET,
        path: security_paths::API_CLIENTS,
    },
    Route {
        name: "api_client_create",
        method: Method::POST,
        path: security_paths::API_CLIENTS,
    },
    Route {
        name: "api_client_update",
        method: Method::PATCH,
        path: security_paths::API_CLIENT,
    },
    Route {
        name: "api_client_delete",
        method: Method::DELETE,
        path: security_paths::API_CLIENT,
    },
    Route {
        name: "api_client_secret",
        method: Method::POST,
        path: security_paths::API_CLIENT_SECRET,
    },
    Route {
        name: "client_identity",
        method: Method::GET,
        path: security_paths::CLIENT_IDENTITY,
    },
    Route {
        name: "realtime",
        method: Method::GET,
        path: security_paths::REALTIME,
    },
    Route {
        name: "help_categories",
        method: Method::GET,
        path: help_paths::CATEGORIES,
    },
    Route {
        name: "help_category_articles",
        method: Method::GET,
        path: help_paths::CATEGORY_ARTICLES,
    },
    Route {
        name: "help_article",
        method: Method::GET,
        path: help_paths::ARTICLE,
    },
    Route {
        name: "help_related",
        method: Method::GET,
        path: help_paths::RELATED,
    },
    Route {
        name: "help_feedback",
        method: Method::POST,
        path: help_paths::FEEDBACK,
    },
    Route {
        name: "help_search",
        method: Method::GET,
        path: help_paths::SEARCH,
    },
    Route {
        name: "help_sync",
        method: Method::GET,
        path: help_paths::SYNC,
    },
];

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "XWMS API",
        description = "The XWMS account service. Every JSON answer is an envelope \
            `{status, message, code?, data}`; errors carry a stable machine `code`."
    ),
    tags(
        (name = "server", description = "About this server"),
        (name = "auth", description = "Sign-up, sign-in, sessions, unlock, password reset and account recovery"),
        (name = "account", description = "The signed-in person's account (bearer access token)"),
        (name = "security", description = "The security center: two-step verification, sessions, the security timeline with new-sign-in alerts, API credentials and the realtime channel (bearer access token)"),
        (name = "clients", description = "For API clients: checking their credentials (HTTP Basic)"),
        (name = "help", description = "The help center: categories, articles, search, delta sync and feedback (no sign-in)"),
    ),
    // Sent as WebSocket frames by `/api/realtime`, not as an HTTP body.
    components(schemas(xwms_api::security::RealtimeEvent)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Declares the `bearer` security scheme that authenticated routes name.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An access token from /api/auth/signin or /api/auth/refresh (valid 15 minutes)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "An API client's client_id and client_secret (from /api/account/api-clients)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of [`api_router`], with the validators' input rules written in
/// ([`rules::InputRules`]) and the answers every operation can give ([`rules::CommonAnswers`]).
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    let mut document = api_router().split_for_parts().1;
    rules::InputRules.modify(&mut document);
    rules::CommonAnswers.modify(&mut document);
    document
}

/// The routes with their documentation; state is supplied by [`crate::app`].
pub(crate) fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(info::info))
        .routes(routes!(health::health))
        .routes(routes!(openapi::openapi_json))
        .routes(routes!(auth::sign_up))
        .routes(routes!(auth::verify_email))
        .routes(routes!(auth::resend_verification))
        .routes(routes!(auth::sign_in))
        .routes(routes!(security::sign_in_second_factor))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::sign_out))
        .routes(routes!(auth::reauthenticate))
        .routes(routes!(auth::unlock))
        .routes(routes!(auth::resend_unlock))
        .routes(routes!(auth::forgot_password))
        .routes(routes!(auth::reset_password))
        .routes(routes!(auth::recovery_request))
        .routes(routes!(account::account))
        .routes(routes!(account::update_profile))
        .routes(routes!(account::change_email))
        .routes(routes!(account::confirm_email))
        .routes(routes!(account::change_password))
        .routes(routes!(security::security_overview))
        .routes(routes!(security::security_events))
        .routes(routes!(security::confirm_event))
        .routes(routes!(security::deny_event))
        .routes(routes!(security::two_factor_setup))
        .routes(routes!(security::two_factor_enable))
        .routes(routes!(security::two_factor_disable))
        .routes(routes!(security::recovery_codes))
        .routes(routes!(security::sessions))
        .routes(routes!(security::remove_session))
        .routes(routes!(security::revoke_other_sessions))
        .routes(routes!(security::api_clients, security::create_api_client))
        .routes(routes!(
            security::update_api_client,
            security::delete_api_client
        ))
        .routes(routes!(security::regenerate_api_client_secret))
        .routes(routes!(security::client_identity))
        .routes(routes!(security::realtime))
        .routes(routes!(help::categories))
        .routes(routes!(help::category_articles))
        .routes(routes!(help::article))
        .routes(routes!(help::related))
        .routes(routes!(help::feedback))
        .routes(routes!(help::search))
        .routes(routes!(help::sync))
}
