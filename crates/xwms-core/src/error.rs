use xwms_api::auth::ErrorData;
use xwms_api::{ErrorBody, ErrorCode};

/// An error of the client core: a stable [`ErrorCode`], the message a person may see, and a
/// detail that goes to the log only (never to the person: it may hold internal facts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CoreError {
    pub code: ErrorCode,
    pub message: String,
    /// Facts for the screen (field at fault, seconds until a retry makes sense, tries left),
    /// from the server's error `data`. Boxed: the facts are rare and an error travels in every
    /// `Result` of the core (clippy's `result_large_err`).
    pub data: Option<Box<ErrorData>>,
    pub detail: Option<String>,
}

impl CoreError {
    /// An error with the code's default message.
    pub fn new(code: ErrorCode) -> Self {
        Self {
            message: code.default_message().to_string(),
            code,
            data: None,
            detail: None,
        }
    }

    /// Attaches the error's facts (empty facts are dropped).
    pub fn with_data(mut self, data: Option<ErrorData>) -> Self {
        self.data = data.filter(|d| *d != ErrorData::default()).map(Box::new);
        self
    }

    /// Adds a log-only detail.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Replaces the person-facing message (e.g. with the server's own message).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// What crosses IPC or is printed: code, message and facts, never the detail.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code.clone(),
            message: self.message.clone(),
            data: self.data.clone(),
        }
    }
}

impl From<CoreError> for ErrorBody {
    fn from(e: CoreError) -> Self {
        e.to_body()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_never_carries_the_log_detail() {
        let e =
            CoreError::new(ErrorCode::SettingsStorage).with_detail("/home/x/secret/path: EACCES");
        let body = e.to_body();
        assert_eq!(body.code, ErrorCode::SettingsStorage);
        assert!(!body.message.contains("EACCES"));
    }
}
