//! The XWMS wire contract.
//!
//! Every JSON response of an XWMS server is an [`Envelope`]:
//! `{"status": "success" | "error", "message": "...", "code": "...", "data": {...}}`.
//! `status`, `message` and `data` are XWMS's published convention; `code` is ours: a stable,
//! machine-readable [`ErrorCode`] on every error, so clients never parse human text.

/// A wire type: serde both ways, TypeScript (specta) and OpenAPI (utoipa) derives behind
/// their features.
macro_rules! wire {
    ($(#[$m:meta])* pub struct $name:ident { $($body:tt)* }) => {
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        $(#[$m])*
        pub struct $name { $($body)* }
    };
}

pub mod auth;
mod envelope;
mod error;
pub mod help;
mod info;
pub mod password;
mod secret;
pub mod security;

pub use envelope::{Envelope, Status};
pub use error::{ErrorBody, ErrorCode};
pub use info::{ApiDocs, ApplicationInfo, ClientInfo, Health, HelpInfo, InfoData};
pub use secret::Secret;

/// Base path of every API route.
pub const API_BASE: &str = "/api";
