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

/// A wire enum whose values are strings and which a newer peer may extend: serialized by its
/// `#[serde(rename)]`s, decoded through `from_wire` so that a value this version does not know
/// becomes the fallback variant. (`#[serde(other)]` does the same for serde, but specta then
/// types the whole enum as a plain `string`, and the UI would lose the union.)
macro_rules! decode_via_from_wire {
    ($name:ident) => {
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(|s| $name::from_wire(&s))
            }
        }
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
