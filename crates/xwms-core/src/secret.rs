//! Secrets are the wire contract's [`xwms_api::Secret`]: redacted in `Debug`, zeroed on drop.
pub use xwms_api::Secret;
