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

/// A string enum of the wire, declared once per value: `Variant = "wire"`, plus the fallback
/// a value unknown to this version decodes as. Generates the enum (serde, specta, utoipa),
/// `ALL`, `as_str` and `from_wire`.
macro_rules! wire_enum {
    (
        $(#[$m:meta])*
        pub enum $name:ident {
            $( $(#[doc = $doc:literal])* $variant:ident = $wire:tt, )*
            @other $(#[doc = $udoc:literal])* $unknown:ident = $uwire:tt,
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $( $(#[doc = $doc])* #[serde(rename = $wire)] $variant, )*
            $(#[doc = $udoc])* #[serde(rename = $uwire)] $unknown,
        }

        impl $name {
            /// Every value this version knows, then the fallback.
            pub const ALL: &'static [$name] = &[$($name::$variant,)* $name::$unknown];

            /// The wire string.
            pub const fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)*
                    $name::$unknown => $uwire,
                }
            }

            /// The value of a wire string; one this version does not know is the fallback.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $($wire => $name::$variant,)*
                    _ => $name::$unknown,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        decode_via_from_wire!($name);
    };
}

pub mod agent;
pub mod agent_actions;
pub mod auth;
mod envelope;
mod error;
pub mod help;
mod info;
mod language;
pub mod password;
mod secret;
pub mod security;
pub mod support;

pub use envelope::{Envelope, Status};
pub use error::{ErrorBody, ErrorCode};
pub use info::{ApiDocs, ApplicationInfo, ClientInfo, Health, HelpInfo, InfoData};
pub use language::Language;
pub use secret::Secret;

/// Base path of every API route.
pub const API_BASE: &str = "/api";
