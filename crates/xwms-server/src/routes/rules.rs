//! The input rules of the validators, stated in the OpenAPI document.
//!
//! utoipa's `#[schema(max_length = ..)]` takes only literals, so a number written there would be
//! a second copy of the validator's constant. Instead this modifier writes each rule into the
//! document from the very constants the validators use (`accounts::validate`, `policy`,
//! `xwms_api::password`, `xwms_help`): the document cannot drift from the checks. What a schema
//! cannot say (the common-password list, reserved usernames, whether a code is right) stays in
//! the field descriptions and the documented 400 answers.

use serde_json::Value;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ArrayItems, KnownFormat, Object, Schema, SchemaFormat, SchemaType};
use utoipa::openapi::{Content, Ref, Response};
use utoipa::openapi::{OpenApi, RefOr, Type};
use utoipa::Modify;
use xwms_api::security::SecondFactorMethod;

use crate::accounts::policy::{API_CLIENTS, TIMELINE};
use crate::accounts::support::{
    ARTICLE_ID_MAX_CHARS, FILE_NAME_MAX_CHARS, RATING_COMMENT_MAX_CHARS, REFERENCE_MAX_CHARS,
};
use crate::accounts::validate::{
    self, Language, DETAILS_MAX_CHARS, DEVICE_FIELD_MAX_CHARS, EMAIL_MAX_CHARS, NAME_MAX_CHARS,
    REGIONS, USERNAME_MAX_CHARS, USERNAME_MIN_CHARS,
};
use crate::accounts::LOST_OPTIONS;
use crate::routes::help::INSTALLATION_ID_MAX_CHARS;
use xwms_api::support::{
    SupportTopic, ATTACHMENTS_PER_MESSAGE, MESSAGE_MAX_CHARS, SUBJECT_MAX_CHARS,
};

/// A rule written into one string (or string-or-null) schema.
type Rule = fn(&mut Object);

/// `(component, property, rule)` for every checked field of a request body.
const BODY_RULES: &[(&str, &str, Rule)] = &[
    ("SignUpRequest", "name", person_name),
    ("SignUpRequest", "email", email),
    ("SignUpRequest", "password", new_password),
    ("SignUpRequest", "language", language),
    ("EmailCodeRequest", "email", email),
    ("EmailRequest", "email", email),
    ("EmailRequest", "language", language),
    ("SignInRequest", "email", email),
    ("DeviceInfo", "name", device_fact),
    ("DeviceInfo", "os", device_fact),
    ("DeviceInfo", "app", device_fact),
    ("DeviceInfo", "app_version", device_fact),
    ("DeviceInfo", "installation_id", device_fact),
    ("ResetPasswordRequest", "email", email),
    ("ResetPasswordRequest", "new_password", new_password),
    ("RecoveryRequest", "email", email),
    ("RecoveryRequest", "name", person_name),
    ("RecoveryRequest", "contact_email", email),
    ("RecoveryRequest", "details", details),
    ("ProfileUpdate", "name", person_name),
    ("ProfileUpdate", "username", username),
    ("ProfileUpdate", "timezone", timezone),
    ("ProfileUpdate", "region", region),
    ("ProfileUpdate", "language", language),
    ("EmailChangeRequest", "new_email", email),
    ("PasswordChangeRequest", "new_password", new_password),
    ("SecondFactorRequest", "method", second_factor_method),
    ("ApiClientCreate", "name", api_client_name),
    ("ApiClientUpdate", "name", api_client_name),
    ("HelpFeedback", "installation_id", installation_id),
    ("NewConversation", "topic", support_topic),
    ("NewConversation", "subject", support_subject),
    ("MessageDraft", "client_msg_id", client_msg_id),
    ("MessageDraft", "body", message_body),
    ("AppealDraft", "client_msg_id", client_msg_id),
    ("AppealDraft", "body", message_body),
    ("NoteDraft", "client_msg_id", client_msg_id),
    ("NoteDraft", "body", message_body),
    ("SavedReplyDraft", "title", saved_reply_title),
    ("SavedReplyDraft", "body", message_body),
    ("RatingRequest", "rating", rating),
    ("RatingRequest", "comment", rating_comment),
    ("DeflectionRequest", "article_id", article_id),
    ("DeflectionRequest", "topic", support_topic),
    ("GuestCodeRequest", "reference", case_reference),
    ("GuestAccessRequest", "reference", case_reference),
    ("ActionReason", "reason", action_reason),
    ("SuspendRequest", "reason", action_reason),
    ("RecoveryAction", "reason", action_reason),
    ("SuspendRequest", "reason_code", suspension_reason),
];

/// `(path, query parameter, rule)` for every checked query parameter.
const QUERY_RULES: &[(&str, &str, Rule)] = &[
    ("/api/help/categories", "lang", help_lang),
    ("/api/help/categories/{slug}/articles", "lang", help_lang),
    ("/api/help/articles/{key}", "lang", help_lang),
    ("/api/help/articles/{key}/related", "lang", help_lang),
    ("/api/help/articles/{key}/related", "limit", help_limit),
    ("/api/help/search", "lang", help_lang),
    ("/api/help/search", "limit", help_limit),
    ("/api/account/security/events", "before", event_before),
    ("/api/account/security/events", "limit", timeline_limit),
    ("/api/support/conversations/{id}", "after", seq_after),
    ("/api/support/guest/conversation", "after", seq_after),
    ("/api/realtime", "after", seq_after),
    ("/api/support/guest/realtime", "after", seq_after),
    (
        "/api/support/conversations/{id}/attachments",
        "name",
        file_name,
    ),
    ("/api/support/attachments", "name", file_name),
    ("/api/agent/audit", "since", date_time),
    ("/api/agent/audit", "limit", audit_limit),
    ("/api/agent/queue", "view", queue_view),
    ("/api/agent/queue", "topic", support_topic),
    ("/api/agent/queue", "language", language),
    ("/api/agent/queue", "min_wait", queue_min_wait),
    ("/api/agent/canned", "language", help_lang),
    ("/api/agent/saved-replies", "language", language),
];

/// Writes [`BODY_RULES`] and [`QUERY_RULES`] into the document.
pub(super) struct InputRules;

impl Modify for InputRules {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (component, property, rule) in BODY_RULES {
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(*component)
            else {
                panic!("no object schema {component} for an input rule");
            };
            let Some(field) = object.properties.get_mut(*property) else {
                panic!("{component} has no property {property}");
            };
            *field = RefOr::T(Schema::Object(ruled(field, *rule)));
        }
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut("MessageDraft") {
            if let Some(RefOr::T(Schema::Array(ids))) = object.properties.get_mut("attachment_ids")
            {
                ids.max_items = Some(ATTACHMENTS_PER_MESSAGE);
            } else {
                panic!("MessageDraft.attachment_ids is not an array");
            }
        }
        // `lost`: a non-empty list of the known losses, each at most once in effect.
        if let Some(RefOr::T(Schema::Object(object))) =
            components.schemas.get_mut("RecoveryRequest")
        {
            if let Some(RefOr::T(Schema::Array(lost))) = object.properties.get_mut("lost") {
                lost.min_items = Some(1);
                lost.max_items = Some(LOST_OPTIONS.len());
                let mut item = string_object(false);
                item.enum_values = Some(LOST_OPTIONS.iter().map(|o| Value::from(*o)).collect());
                lost.items = ArrayItems::RefOrSchema(Box::new(RefOr::T(Schema::Object(item))));
            } else {
                panic!("RecoveryRequest.lost is not an array");
            }
        }
        for (path, name, rule) in QUERY_RULES {
            let item = openapi
                .paths
                .paths
                .get_mut(*path)
                .unwrap_or_else(|| panic!("no path {path} for an input rule"));
            let operation: &mut Operation = match (item.get.as_mut(), item.post.as_mut()) {
                (Some(get), _) => get,
                (None, Some(post)) => post,
                (None, None) => panic!("no GET or POST {path} for an input rule"),
            };
            let parameter = operation
                .parameters
                .iter_mut()
                .flatten()
                .find_map(|p| match p {
                    RefOr::T(p) if p.name == *name => Some(p),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("GET {path} has no parameter {name}"));
            let mut object = string_object(false);
            rule(&mut object);
            parameter.schema = Some(RefOr::T(Schema::Object(object)));
        }
    }
}

/// The field's schema as a string object (keeping its description and whether it may be null)
/// with `rule` applied. A `$ref` (e.g. to `Secret`) becomes an inline string of the same format.
fn ruled(field: &RefOr<Schema>, rule: Rule) -> Object {
    let (nullable, description, format) = match field {
        RefOr::T(Schema::Object(object)) => (
            matches!(&object.schema_type, SchemaType::Array(types) if types.contains(&Type::Null)),
            object.description.clone(),
            object.format.clone(),
        ),
        RefOr::T(Schema::OneOf(one_of)) => {
            let description = one_of.items.iter().find_map(|item| match item {
                RefOr::Ref(r) if !r.description.is_empty() => Some(r.description.clone()),
                _ => None,
            });
            (true, description.or(one_of.description.clone()), None)
        }
        RefOr::Ref(r) => (
            false,
            (!r.description.is_empty()).then(|| r.description.clone()),
            Some(SchemaFormat::KnownFormat(KnownFormat::Password)),
        ),
        _ => panic!("an input rule on an unexpected kind of schema"),
    };
    let mut object = string_object(nullable);
    object.description = description;
    object.format = format;
    rule(&mut object);
    if nullable {
        if let Some(values) = object.enum_values.as_mut() {
            values.push(Value::Null);
        }
    }
    object
}

/// Adds `text` to the schema's description: what the schema cannot state.
fn note(object: &mut Object, text: &str) {
    object.description = Some(match object.description.take() {
        Some(description) if !description.is_empty() => format!("{description}\n\n{text}"),
        _ => text.to_owned(),
    });
}

fn string_object(nullable: bool) -> Object {
    let mut object = Object::with_type(Type::String);
    if nullable {
        object.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    }
    object
}

/// Not blank, no forbidden character ([`validate::FORBIDDEN_CHARS`]): what `validate::label`
/// accepts (surrounding white space is trimmed).
fn label(object: &mut Object, max_chars: usize) {
    let forbidden = validate::forbidden_class(&[]);
    object.min_length = Some(1);
    object.max_length = Some(max_chars);
    object.pattern = Some(format!("^[^{forbidden}]*[^\\s{forbidden}][^{forbidden}]*$"));
}

fn person_name(object: &mut Object) {
    label(object, NAME_MAX_CHARS);
}

fn api_client_name(object: &mut Object) {
    label(object, API_CLIENTS.name_max_chars);
}

fn installation_id(object: &mut Object) {
    label(object, INSTALLATION_ID_MAX_CHARS);
}

/// What `validate::device` accepts: may be empty, no forbidden character.
fn device_fact(object: &mut Object) {
    object.max_length = Some(DEVICE_FIELD_MAX_CHARS);
    object.pattern = Some(format!("^[^{}]*$", validate::forbidden_class(&[])));
}

/// What `validate::free_text` accepts: line breaks and tabs are fine.
fn details(object: &mut Object) {
    object.max_length = Some(DETAILS_MAX_CHARS);
    object.pattern = Some(format!(
        "^[^{}]*$",
        validate::forbidden_class(&['\t', '\n', '\r'])
    ));
}

fn email(object: &mut Object) {
    object.format = Some(SchemaFormat::KnownFormat(KnownFormat::Email));
    object.min_length = Some(1);
    object.max_length = Some(EMAIL_MAX_CHARS);
}

/// The password rule of `xwms_api::password` as far as a pattern can state it (an upper-case
/// letter, a lower-case letter and a digit; the server also accepts non-ASCII letters). The
/// common-password list cannot be stated: `password.too_common`.
fn new_password(object: &mut Object) {
    object.min_length = Some(xwms_api::password::MIN_CHARS);
    object.max_length = Some(xwms_api::password::MAX_CHARS);
    object.pattern = Some("^(?=[\\s\\S]*[A-Z])(?=[\\s\\S]*[a-z])(?=[\\s\\S]*[0-9])".to_owned());
    note(
        object,
        &format!(
            "XWMS's password rule: {} to {} characters (any character), with an upper-case and a \
             lower-case letter of any script (the pattern names the ASCII ones) and a digit 0-9 \
             (`password.*`), and not one of the {} most common passwords \
             (`password.too_common`).",
            xwms_api::password::MIN_CHARS,
            xwms_api::password::MAX_CHARS,
            xwms_api::password::common_password_count()
        ),
    );
}

fn language(object: &mut Object) {
    object.enum_values = Some(Language::ALL.iter().map(|l| l.as_str().into()).collect());
}

fn help_lang(object: &mut Object) {
    object.enum_values = Some(
        xwms_api::help::Language::ALL
            .iter()
            .map(|l| l.as_str().into())
            .collect(),
    );
}

/// Empty removes the username; otherwise 3 to 30 of `a-z 0-9 . _ -` (upper case is folded).
/// Reserved names are refused with `account.username_reserved`.
fn username(object: &mut Object) {
    object.pattern = Some(format!(
        "^\\s*([A-Za-z0-9._-]{{{USERNAME_MIN_CHARS},{USERNAME_MAX_CHARS}}})?\\s*$"
    ));
    note(
        object,
        "Empty removes the username. Upper case is folded to lower case. Names that could pass \
         for staff or the service are reserved (`account.username_reserved`); a taken one is \
         `account.username_taken`.",
    );
}

/// The IANA time zones of the bundled database.
fn timezone(object: &mut Object) {
    let db = jiff::tz::db();
    let mut names: Vec<String> = db
        .available()
        .map(|name| name.as_str().to_owned())
        .filter(|name| db.get(name).is_ok())
        .collect();
    names.sort();
    names.dedup();
    object.enum_values = Some(names.into_iter().map(Value::from).collect());
}

/// An ISO 3166-1 alpha-2 region, or empty for none.
fn region(object: &mut Object) {
    let mut values: Vec<Value> = vec!["".into()];
    values.extend(REGIONS.iter().map(|r| Value::from(*r)));
    object.enum_values = Some(values);
}

fn second_factor_method(object: &mut Object) {
    // The field is a `$ref` to the enum (with its `unknown` fallback): state what is accepted.
    object.format = None;
    object.enum_values = Some(
        SecondFactorMethod::ALL
            .iter()
            .filter(|m| **m != SecondFactorMethod::Unknown)
            .map(|m| m.as_str().into())
            .collect(),
    );
}

fn help_limit(object: &mut Object) {
    integer_range(object, 1, xwms_help::MAX_SEARCH_LIMIT as u64);
}

fn timeline_limit(object: &mut Object) {
    integer_range(object, 1, u64::from(TIMELINE.max_limit));
}

/// What `accounts::agent_actions::reason` accepts.
fn action_reason(object: &mut Object) {
    label(object, xwms_api::agent_actions::REASON_MAX_CHARS);
}

/// A suspension reason this version knows (not the fallback `unknown`).
fn suspension_reason(object: &mut Object) {
    use xwms_api::agent_actions::SuspensionReason;
    object.format = None;
    object.enum_values = Some(
        SuspensionReason::ALL
            .iter()
            .filter(|r| **r != SuspensionReason::Unknown)
            .map(|r| Value::from(r.as_str()))
            .collect(),
    );
}

fn audit_limit(object: &mut Object) {
    integer_range(
        object,
        1,
        u64::from(xwms_api::agent_actions::AUDIT_LIMIT_MAX),
    );
}

/// An RFC 3339 date and time.
fn date_time(object: &mut Object) {
    object.format = Some(SchemaFormat::KnownFormat(KnownFormat::DateTime));
}

fn integer_range(object: &mut Object, min: u64, max: u64) {
    object.schema_type = SchemaType::Type(Type::Integer);
    object.minimum = Some((min as usize).into());
    object.maximum = Some((max as usize).into());
}

fn saved_reply_title(object: &mut Object) {
    label(object, xwms_api::agent::SAVED_REPLY_TITLE_MAX_CHARS);
}

fn queue_view(object: &mut Object) {
    object.enum_values = Some(
        xwms_api::agent::QueueView::ALL
            .iter()
            .filter(|v| **v != xwms_api::agent::QueueView::Unknown)
            .map(|v| v.as_str().into())
            .collect(),
    );
}

fn queue_min_wait(object: &mut Object) {
    integer_range(object, 0, u64::from(xwms_api::agent::MIN_WAIT_MAX_SECONDS));
}

/// An event id: a positive whole number.
fn support_topic(object: &mut Object) {
    object.format = None;
    object.enum_values = Some(
        SupportTopic::ALL
            .iter()
            .filter(|t| **t != SupportTopic::Unknown)
            .map(|t| t.as_str().into())
            .collect(),
    );
}

fn support_subject(object: &mut Object) {
    label(object, SUBJECT_MAX_CHARS);
}

fn client_msg_id(object: &mut Object) {
    object.pattern = Some(
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$".to_owned(),
    );
}

/// Free text with line breaks, as `validate::free_text` takes it (empty is
/// `support.message_empty` unless files are attached, over the limit `support.message_too_long`).
fn multiline(object: &mut Object, max_chars: usize) {
    object.max_length = Some(max_chars);
    object.pattern = Some(format!(
        "^[^{}]*$",
        validate::forbidden_class(&['\t', '\n', '\r'])
    ));
}

fn message_body(object: &mut Object) {
    multiline(object, MESSAGE_MAX_CHARS);
}

fn rating_comment(object: &mut Object) {
    multiline(object, RATING_COMMENT_MAX_CHARS);
}

fn rating(object: &mut Object) {
    object.format = None;
    integer_range(object, 1, 5);
}

fn article_id(object: &mut Object) {
    label(object, ARTICLE_ID_MAX_CHARS);
}

fn case_reference(object: &mut Object) {
    label(object, REFERENCE_MAX_CHARS);
}

fn file_name(object: &mut Object) {
    label(object, FILE_NAME_MAX_CHARS);
}

fn seq_after(object: &mut Object) {
    object.pattern = Some("^(0|[1-9][0-9]{0,17})$".to_owned());
}

fn event_before(object: &mut Object) {
    object.pattern = Some("^[1-9][0-9]{0,17}$".to_owned());
}

/// The answers any operation can give besides its own: the store busy or closed
/// (`503 server.unavailable`), a failure on the server's side (`500 server.internal`), and for
/// an operation with a body, a body over the limit (`413 request.too_large`) or one that is not
/// the documented JSON (`400 request.invalid`).
pub(super) struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut OpenApi) {
        let error = |description: &str| {
            let mut response = Response::new(description);
            response.content.insert(
                "application/json".to_owned(),
                RefOr::T(Content::new(Some(Ref::from_schema_name("ErrorEnvelope")))),
            );
            RefOr::T(response)
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let answers = &mut operation.responses.responses;
                if operation.request_body.is_some() {
                    answers
                        .entry("400".to_owned())
                        .or_insert_with(|| error("`request.invalid`: not the documented JSON"));
                    answers.entry("413".to_owned()).or_insert_with(|| {
                        error(&format!(
                            "`request.too_large`: a body over {} bytes",
                            crate::layers::BODY_LIMIT
                        ))
                    });
                }
                // A suspended account's tokens answer `auth.suspended` on every bearer route.
                let bearer = serde_json::to_string(&operation.security)
                    .is_ok_and(|s| s.contains("\"bearer\""));
                if bearer {
                    const SUSPENDED: &str = "`auth.suspended`: the account is suspended";
                    match answers.get_mut("403") {
                        Some(RefOr::T(response)) => {
                            response.description = format!("{}; {SUSPENDED}", response.description);
                        }
                        _ => {
                            answers.insert("403".to_owned(), error(SUSPENDED));
                        }
                    }
                }
                answers.entry("500".to_owned()).or_insert_with(|| {
                    error("`server.internal`: a failure on the server's side (logged)")
                });
                answers.entry("503".to_owned()).or_insert_with(|| {
                    error("`server.unavailable`: the server is busy or stopping; try again")
                });
            }
        }
    }
}
