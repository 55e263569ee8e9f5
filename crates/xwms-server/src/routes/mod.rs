//! The API's routes. Each handler is documented once with `#[utoipa::path]` and named once in
//! [`declared`]; the router ([`api_router`]), the OpenAPI document ([`document`]) and the table
//! of routes by name ([`ROUTES`], for `/api/info` and tests) all come from that one list.

use std::sync::LazyLock;

use axum::http::Method;
use utoipa::openapi::path::PathItem;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::AppState;

mod account;
mod agent;
mod agent_actions;
pub mod auth;
mod health;
pub mod help;
mod info;
mod openapi;
mod rules;
mod security;
mod support;

/// One route the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Key in `/api/info`'s `api.endpoints`.
    pub name: &'static str,
    pub method: Method,
    pub path: &'static str,
}

/// Every route of the API, in the order of [`declared`]: its name with the method and path of
/// its handler's `#[utoipa::path]`.
pub static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    declared()
        .into_iter()
        .map(|(name, (_, paths, _))| {
            let mut paths = paths.paths.into_iter();
            let (Some((path, item)), None) = (paths.next(), paths.next()) else {
                panic!("route {name}: one handler, one path");
            };
            Route {
                name,
                method: method_of(&item)
                    .unwrap_or_else(|| panic!("route {name}: one handler, one method")),
                // Built once for the life of the process.
                path: String::leak(path),
            }
        })
        .collect()
});

/// The one method of a handler's path item.
fn method_of(item: &PathItem) -> Option<Method> {
    let operations = [
        (Method::GET, &item.get),
        (Method::PUT, &item.put),
        (Method::POST, &item.post),
        (Method::DELETE, &item.delete),
        (Method::PATCH, &item.patch),
    ];
    let mut methods = operations.into_iter().filter(|(_, op)| op.is_some());
    match (methods.next(), methods.next()) {
        (Some((method, _)), None) => Some(method),
        _ => None,
    }
}

/// Every route of the API, each declared once: its name (the key in `/api/info`'s
/// `api.endpoints`) and its handler, whose `#[utoipa::path]` gives its method, path and
/// documentation. The router, the OpenAPI document and [`ROUTES`] all come from this list.
fn declared() -> Vec<(&'static str, UtoipaMethodRouter<AppState>)> {
    vec![
        ("info", routes!(info::info)),
        ("health", routes!(health::health)),
        ("openapi", routes!(openapi::openapi_json)),
        ("signup", routes!(auth::sign_up)),
        ("verify_email", routes!(auth::verify_email)),
        ("resend_verification", routes!(auth::resend_verification)),
        ("signin", routes!(auth::sign_in)),
        (
            "signin_second_factor",
            routes!(security::sign_in_second_factor),
        ),
        ("refresh", routes!(auth::refresh)),
        ("signout", routes!(auth::sign_out)),
        ("reauthenticate", routes!(auth::reauthenticate)),
        ("unlock", routes!(auth::unlock)),
        ("resend_unlock", routes!(auth::resend_unlock)),
        ("forgot_password", routes!(auth::forgot_password)),
        ("reset_password", routes!(auth::reset_password)),
        ("recovery_request", routes!(auth::recovery_request)),
        ("account", routes!(account::account)),
        ("profile", routes!(account::update_profile)),
        ("change_email", routes!(account::change_email)),
        ("confirm_email", routes!(account::confirm_email)),
        ("change_password", routes!(account::change_password)),
        ("security", routes!(security::security_overview)),
        ("security_events", routes!(security::security_events)),
        ("security_event_confirm", routes!(security::confirm_event)),
        ("security_event_deny", routes!(security::deny_event)),
        ("two_factor_setup", routes!(security::two_factor_setup)),
        ("two_factor_enable", routes!(security::two_factor_enable)),
        ("two_factor_disable", routes!(security::two_factor_disable)),
        ("recovery_codes", routes!(security::recovery_codes)),
        ("sessions", routes!(security::sessions)),
        ("session_remove", routes!(security::remove_session)),
        (
            "sessions_revoke_others",
            routes!(security::revoke_other_sessions),
        ),
        ("api_clients", routes!(security::api_clients)),
        ("api_client_create", routes!(security::create_api_client)),
        ("api_client_update", routes!(security::update_api_client)),
        ("api_client_delete", routes!(security::delete_api_client)),
        (
            "api_client_secret",
            routes!(security::regenerate_api_client_secret),
        ),
        ("client_identity", routes!(security::client_identity)),
        ("realtime", routes!(security::realtime)),
        ("help_categories", routes!(help::categories)),
        ("help_category_articles", routes!(help::category_articles)),
        ("help_article", routes!(help::article)),
        ("help_related", routes!(help::related)),
        ("help_feedback", routes!(help::feedback)),
        ("help_search", routes!(help::search)),
        ("help_sync", routes!(help::sync)),
        ("support_conversations", routes!(support::conversations)),
        (
            "support_conversation_create",
            routes!(support::create_conversation),
        ),
        ("support_conversation", routes!(support::conversation)),
        ("support_message_send", routes!(support::send_message)),
        ("support_read", routes!(support::read)),
        ("support_typing", routes!(support::typing)),
        ("support_close", routes!(support::close)),
        ("support_rating", routes!(support::rating)),
        ("support_availability", routes!(support::availability)),
        ("support_deflection", routes!(support::deflection)),
        (
            "support_attachment_upload",
            routes!(support::upload_attachment),
        ),
        (
            "support_attachment_download",
            routes!(support::download_attachment),
        ),
        ("support_upload", routes!(support::upload_pending)),
        ("agent_conversations", routes!(support::agent_conversations)),
        ("agent_queue", routes!(agent::queue)),
        ("agent_claim", routes!(agent::claim)),
        ("agent_assign", routes!(agent::assign)),
        ("agent_note_add", routes!(agent::add_note)),
        ("agent_notes", routes!(agent::notes)),
        ("agent_viewing", routes!(agent::viewing)),
        ("agent_typing", routes!(agent::typing)),
        ("agent_canned", routes!(agent::canned)),
        ("agent_saved_replies", routes!(agent::saved_replies)),
        ("agent_saved_reply_create", routes!(agent::save_reply)),
        (
            "agent_saved_reply_delete",
            routes!(agent::delete_saved_reply),
        ),
        ("support_guest_code", routes!(support::guest_code)),
        ("support_guest_access", routes!(support::guest_access)),
        (
            "support_guest_conversation",
            routes!(support::guest_conversation),
        ),
        ("support_guest_message", routes!(support::guest_message)),
        ("support_guest_read", routes!(support::guest_read)),
        ("support_guest_typing", routes!(support::guest_typing)),
        ("support_guest_realtime", routes!(support::guest_realtime)),
        ("agent_audit", routes!(agent_actions::audit)),
        ("agent_context", routes!(agent_actions::context)),
        ("agent_unlock", routes!(agent_actions::unlock)),
        ("agent_recovery", routes!(agent_actions::recovery)),
        ("agent_suspend", routes!(agent_actions::suspend)),
        (
            "agent_suspension_lift",
            routes!(agent_actions::lift_suspension),
        ),
        (
            "agent_suspension_keep",
            routes!(agent_actions::keep_suspension),
        ),
        ("support_appeal", routes!(agent_actions::appeal)),
    ]
}

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
        (name = "support", description = "Live support: conversations with the support team, exactly-once messages, attachments, guest cases (bearer access token; guest routes: a guest token)"),
        (name = "agent", description = "Agent mode: the support team's queue, internal notes, presence, canned answers, the audit log, the requester's context and account actions (bearer access token of an account with the agent or admin role)"),
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
            "guest",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A guest token from /api/support/guest/access: opens one support case (valid 12 hours)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "appeal",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An appeal token from a sign-in answered `auth.suspended`: opens the account's suspension appeal (valid 12 hours)",
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
    declared().into_iter().fold(
        OpenApiRouter::with_openapi(ApiDoc::openapi()),
        |router, (_, route)| router.routes(route),
    )
}
