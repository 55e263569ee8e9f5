//! Request extractors: a JSON body whose every error is a `request.invalid` envelope naming the
//! field, the caller's facts, and the bearer token of authenticated routes.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header::{ACCEPT_LANGUAGE, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use xwms_api::ErrorCode;

use crate::accounts::{validate, Authenticated, ClientMeta, Language};
use crate::error::ApiError;
use crate::AppState;

/// A JSON request body. Unlike `axum::Json`, a rejection says which field is at fault
/// (`data.field`) and never echoes the value sent (it may be a password).
pub struct ApiJson<T>(pub T);

fn invalid(message: String, field: Option<String>) -> ApiError {
    let error = ApiError::with_message(ErrorCode::InvalidRequest, message);
    match field {
        Some(field) if !field.is_empty() => error.with_field(field),
        _ => error,
    }
}

/// The name between the first pair of backticks of a serde message (`unknown field `x`, ...`).
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() || path == "." {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Turns a deserialisation error into `request.invalid` with the field it concerns.
pub fn body_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let inner = err.into_inner();
    let text = inner.to_string();
    match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => invalid(
            format!(
                "The request body is not valid JSON (line {}, column {}).",
                inner.line(),
                inner.column()
            ),
            None,
        ),
        serde_json::error::Category::Io => {
            invalid("The request body could not be read.".into(), None)
        }
        serde_json::error::Category::Data => {
            if text.starts_with("unknown field") {
                // The path already ends with the unknown key.
                let field = if path.is_empty() {
                    quoted(&text).unwrap_or_default().to_owned()
                } else {
                    path
                };
                invalid(format!("Unknown field `{field}`."), Some(field))
            } else if text.starts_with("missing field") {
                let name = quoted(&text).unwrap_or_default();
                let field = join(&path, name);
                invalid(format!("The field `{field}` is required."), Some(field))
            } else if path.is_empty() {
                invalid(
                    "The request body must be a JSON object of the documented shape.".into(),
                    None,
                )
            } else {
                invalid(
                    format!("The field `{path}` has the wrong type or value."),
                    Some(path),
                )
            }
        }
    }
}

/// Parses `bytes` as `T`, or the `request.invalid` error with its field.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Every request body is an object (serde would also read a struct from an array).
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        Some(_) if serde_json::from_slice::<serde_json::Value>(bytes).is_ok() => {
            return Err(invalid(
                "The request body must be a JSON object.".into(),
                None,
            ));
        }
        _ => {}
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(body_error)?;
    de.end().map_err(|_| {
        invalid(
            "The request body has data after the JSON value.".into(),
            None,
        )
    })?;
    Ok(value)
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        match content_type.map(json_content_type) {
            Some(JsonContentType::Utf8) => {}
            Some(JsonContentType::OtherCharset) => {
                return Err(invalid(
                    "The request body must be JSON in UTF-8; no other charset is accepted \
                     (Content-Type: application/json; charset=utf-8, or no charset)."
                        .into(),
                    None,
                ));
            }
            Some(JsonContentType::NotJson) | None => {
                return Err(invalid(
                    "Expected a JSON body (Content-Type: application/json).".into(),
                    None,
                ));
            }
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(ErrorCode::PayloadTooLarge)
                } else {
                    invalid("The request body could not be read.".into(), None)
                }
            })?;
        parse_body(&bytes).map(ApiJson)
    }
}

impl FromRequestParts<AppState> for ClientMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientMeta {
            // Without a socket (in-process tests) there is no peer address. Behind a reverse
            // proxy named by `--trusted-proxy`, the address it forwarded (see [`crate::net`]).
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(
                    || "unknown".to_owned(),
                    |ConnectInfo(addr)| {
                        state
                            .proxies
                            .client_address(addr.ip(), &parts.headers)
                            .to_string()
                    },
                ),
            user_agent: parts
                .headers
                .get(USER_AGENT)
                .map(|v| validate::user_agent(v.as_bytes()))
                .unwrap_or_default(),
            language: parts
                .headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Language::from_accept_language),
        })
    }
}

/// What a `Content-Type` says about a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonContentType {
    /// `application/json` or `application/*+json`, without a charset or with `charset=utf-8`.
    Utf8,
    /// JSON in another charset (`charset=utf-16`, ...): refused rather than read as UTF-8.
    OtherCharset,
    NotJson,
}

pub fn json_content_type(value: &str) -> JsonContentType {
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let is_json = media == "application/json"
        || (media.starts_with("application/") && media.ends_with("+json"));
    if !is_json {
        return JsonContentType::NotJson;
    }
    for parameter in parts {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case("charset") {
            let value = value.trim().trim_matches('"');
            if !value.eq_ignore_ascii_case("utf-8") && !value.eq_ignore_ascii_case("utf8") {
                return JsonContentType::OtherCharset;
            }
        }
    }
    JsonContentType::Utf8
}

/// The bearer token of `Authorization: Bearer <token>`, if well-formed.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= 512)
        .then_some(token)
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts).ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))?;
        state.accounts.authenticate(token).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        email: String,
        count: u32,
        device: Inner,
    }

    fn field_of(body: &str) -> (String, Option<String>) {
        let err = parse_body::<Outer>(body.as_bytes()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        (err.message.into_owned(), err.data.and_then(|d| d.field))
    }

    #[test]
    fn body_errors_name_the_field_and_never_echo_values() {
        #[rustfmt::skip]
        let table: &[(&str, Option<&str>)] = &[
            (r#"{"email": 5, "count": 1, "device": {"name": "x"}}"#,                       Some("email")),
            (r#"{"email": "a", "count": "hunter2", "device": {"name": "x"}}"#,            Some("count")),
            (r#"{"email": "a", "count": -1, "device": {"name": "x"}}"#,                   Some("count")),
            (r#"{"email": "a", "count": 1, "device": {"name": 7}}"#,                      Some("device.name")),
            (r#"{"email": "a", "count": 1, "device": {"name": "x"}, "admin": true}"#,     Some("admin")),
            (r#"{"email": "a", "count": 1, "device": {"name": "x", "os": "y"}}"#,         Some("device.os")),
            (r#"{"email": "a", "count": 1}"#,                                             Some("device")),
            (r#"{"email": "a", "count": 1, "device": {}}"#,                               Some("device.name")),
            (r#"[1, 2]"#,                                                                 None),
            (r#"{"email": "a""#,                                                          None),
            (r#"{"email": "a", "count": 1, "device": {"name": "x"}} trailing"#,           None),
            ("",                                                                          None),
        ];
        for (body, want) in table {
            let (message, field) = field_of(body);
            assert_eq!(field.as_deref(), *want, "{body}: {message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
    }

    #[test]
    fn only_utf8_json_is_read() {
        use JsonContentType::*;
        #[rustfmt::skip]
        let table = [
            ("application/json",                         Utf8),
            ("Application/JSON",                         Utf8),
            ("application/json; charset=utf-8",          Utf8),
            ("application/json;charset=UTF-8",           Utf8),
            ("application/json; charset=\"utf-8\"",      Utf8),
            ("application/problem+json",                 Utf8),
            ("application/json; charset=utf-16",         OtherCharset),
            ("application/json; charset=UTF-16LE",       OtherCharset),
            ("application/json; charset=iso-8859-1",     OtherCharset),
            ("application/json; foo=bar; charset=utf-32", OtherCharset),
            ("text/plain",                               NotJson),
            ("text/json; charset=utf-8",                 NotJson),
        ];
        for (value, want) in table {
            assert_eq!(json_content_type(value), want, "{value}");
        }
    }

    #[test]
    fn bearer_tokens_are_read_strictly() {
        let parts = |value: &str| {
            let (parts, ()) = axum::http::Request::builder()
                .header(AUTHORIZATION, value)
                .body(())
                .unwrap()
                .into_parts();
            parts
        };
        assert_eq!(bearer_token(&parts("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&parts("bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&parts("Basic abc")), None);
        assert_eq!(bearer_token(&parts("Bearer ")), None);
        assert_eq!(bearer_token(&parts("Bearerabc")), None);
        assert_eq!(
            bearer_token(&parts(&format!("Bearer {}", "a".repeat(600)))),
            None
        );
    }
}
