use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// `success` or `error`, as XWMS publishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Success,
    Error,
}

/// The response envelope every XWMS endpoint answers with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Envelope<T> {
    pub status: Status,
    /// Human readable text (English); clients translate by `code` instead of showing this.
    pub message: String,
    /// Stable machine code; present on every error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<ErrorCode>,
    pub data: Option<T>,
}

impl<T> Envelope<T> {
    pub fn success(message: impl Into<String>, data: T) -> Self {
        Self {
            status: Status::Success,
            message: message.into(),
            code: None,
            data: Some(data),
        }
    }

    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: Status::Error,
            message: message.into(),
            code: Some(code),
            data: None,
        }
    }

    /// An error with facts in `data` (e.g. [`crate::auth::ErrorData`]).
    pub fn error_with(code: ErrorCode, message: impl Into<String>, data: T) -> Self {
        Self {
            status: Status::Error,
            message: message.into(),
            code: Some(code),
            data: Some(data),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn success_has_no_code_and_carries_data() {
        let env = Envelope::success("ok", json!({"a": 1}));
        assert_eq!(
            serde_json::to_value(&env).unwrap(),
            json!({"status": "success", "message": "ok", "data": {"a": 1}})
        );
    }

    #[test]
    fn error_carries_stable_code_and_null_data() {
        let env: Envelope<()> = Envelope::error(ErrorCode::NotFound, "Not found.");
        assert_eq!(
            serde_json::to_value(&env).unwrap(),
            json!({"status": "error", "message": "Not found.", "code": "request.not_found", "data": null})
        );
    }

    #[test]
    fn decodes_envelope_without_code_from_xwms() {
        let env: Envelope<serde_json::Value> =
            serde_json::from_str(r#"{"status":"error","message":"Incorrect code.","data":{}}"#)
                .unwrap();
        assert_eq!(env.status, Status::Error);
        assert_eq!(env.code, None);
    }
}
