//! Errors as the API answers them: an [`Envelope`] with a stable [`ErrorCode`] and the HTTP
//! status of that code. The person-facing message never carries internal details; those go to
//! the log only.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use xwms_api::auth::ErrorData;
use xwms_api::{Envelope, ErrorCode, Status};

use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Cow<'static, str>,
    /// Facts for the client (`field`, `retry_after_seconds`, `attempts_left`); `data` is null
    /// when this is `None`. Boxed: an error stays small to move around.
    pub data: Option<Box<ErrorData>>,
}

impl ApiError {
    /// The error with the code's default English message.
    pub fn new(code: ErrorCode) -> ApiError {
        ApiError {
            message: Cow::Borrowed(code.default_message()),
            code,
            data: None,
        }
    }

    pub fn with_message(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// The error about one request field, e.g. `password`.
    pub fn field(code: ErrorCode, field: impl Into<String>) -> ApiError {
        ApiError::new(code).with_field(field)
    }

    /// An error after which trying again makes sense in `seconds`.
    pub fn retry_after(code: ErrorCode, seconds: u32) -> ApiError {
        let mut error = ApiError::new(code);
        error.data_mut().retry_after_seconds = Some(seconds);
        error
    }

    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.data_mut().field = Some(field.into());
        self
    }

    pub fn with_attempts_left(mut self, attempts_left: u32) -> ApiError {
        self.data_mut().attempts_left = Some(attempts_left);
        self
    }

    fn data_mut(&mut self) -> &mut ErrorData {
        self.data.get_or_insert_with(Box::default)
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = self.data.as_ref().and_then(|data| data.retry_after_seconds);
        let envelope = match self.data {
            Some(data) => Envelope::error_with(self.code, self.message, *data),
            None => Envelope::<ErrorData>::error(self.code, self.message),
        };
        let mut response = (status, Json(envelope)).into_response();
        // The same fact as an HTTP header, for generic clients and proxies.
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<StoreError> for ApiError {
    /// A closed or busy store is `server.unavailable` (try again later); anything else is
    /// `server.internal`, logged with its detail.
    fn from(err: StoreError) -> ApiError {
        let busy = matches!(
            &err,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        if busy || matches!(err, StoreError::Closed) {
            tracing::warn!(error = %err, "store unavailable");
            ApiError::new(ErrorCode::Unavailable)
        } else {
            tracing::error!(error = %err, "store failed");
            ApiError::new(ErrorCode::Internal)
        }
    }
}

// The error form of `Envelope`, declared for the OpenAPI document only: utoipa cannot name
// `Envelope<()>`. Its doc comment below is the schema's description.
/// The body of every error answer: `status` is `error`, `code` is a stable machine code, and
/// `data` is null or holds facts about the error (the field at fault, when to try again, tries
/// left).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // only its schema is used
pub struct ErrorEnvelope {
    /// Always `error`.
    status: Status,
    /// Human readable text (English); clients translate by `code` instead of showing this.
    message: String,
    code: ErrorCode,
    data: Option<ErrorData>,
}

/// The body of a success answer that carries no data: `status` is `success` and `data` is
/// null.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // only its schema is used
pub struct DoneEnvelope {
    /// Always `success`.
    status: Status,
    /// Human readable text (English).
    message: String,
    /// Always null.
    #[schema(schema_with = null_schema)]
    data: (),
}

fn null_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Null)
        .build()
}

/// The code an error response without an envelope gets, by its HTTP status (see
/// [`crate::layers`]).
pub fn code_for_status(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::InvalidRequest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_code() {
        let table = [
            (StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, 400),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidRequest,
                400,
            ),
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::InvalidRequest,
                400,
            ),
            (StatusCode::NOT_FOUND, ErrorCode::NotFound, 404),
            (
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                405,
            ),
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                413,
            ),
            (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, 500),
            (StatusCode::BAD_GATEWAY, ErrorCode::Internal, 500),
            (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable, 503),
        ];
        for (status, code, answered) in table {
            assert_eq!(code_for_status(status), code, "{status}");
            assert_eq!(ApiError::new(code).status().as_u16(), answered, "{status}");
        }
    }

    #[test]
    fn a_closed_store_is_unavailable_and_other_failures_internal() {
        assert_eq!(
            ApiError::from(StoreError::Closed).code,
            ErrorCode::Unavailable
        );
        let other = StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows);
        assert_eq!(ApiError::from(other), ApiError::new(ErrorCode::Internal));
    }
}
