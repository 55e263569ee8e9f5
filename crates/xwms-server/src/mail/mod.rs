//! Mail to people: what is sent ([`MailKind`], rendered by [`templates`] in English, Dutch or
//! French, text and HTML), how it leaves ([`Mailer`]: SMTP through lettre, `.eml` files, or
//! memory in tests, `xwms-testkit`), and when ([`outbox`]: queued in the same transaction as
//! what caused it and sent by a background task, so a response never waits for, or reveals, a
//! mail).

use std::future::Future;
use std::pin::Pin;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;

use xwms_api::Language;

pub mod outbox;
pub(crate) mod templates;
mod transports;

pub use outbox::Outbox;
pub use templates::MailFacts;
pub use transports::{without_credentials, FileMailer, SmtpMailer};

/// The sender when none is configured.
pub const DEFAULT_FROM: &str = "XWMS <no-reply@xwms.localhost>";

/// Every mail the server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// A code to verify the address of a new account.
    VerifyEmail,
    /// Someone signed up with an address that already has an account.
    AccountExists,
    /// The account locked; a code to unlock it.
    UnlockCode,
    /// A code to reset a forgotten password.
    ResetCode,
    /// The password was changed while signed in.
    PasswordChanged,
    /// The password was reset through the mailbox.
    PasswordReset,
    /// A code to confirm a new address (sent to the new address).
    EmailChangeCode,
    /// A change of address was asked for (sent to the current address).
    EmailChangeRequested,
    /// The address was changed (sent to the old address).
    EmailChanged,
    /// Someone tried to move another account to this address, which already has an account.
    EmailInUse,
    /// A recovery request was received (sent to its contact address).
    RecoveryAcknowledgement,
    /// A recovery request names this account (sent to the account's address).
    RecoveryNotice,
    /// A successful sign-in after many failed ones.
    SignInAfterFailures,
    /// A sign-in from an app installation this account has not used before.
    NewDeviceSignIn,
    /// A sign-in from a network (IPv4 /24, IPv6 /48) this account has not used before.
    NewNetworkSignIn,
    /// Two-step verification was turned off.
    TwoFactorDisabled,
    /// Two-step verification was turned on.
    TwoFactorEnabled,
    /// A new set of recovery codes was made (the old set stopped working).
    RecoveryCodesRegenerated,
    /// A recovery code was used to sign in (says how many are left).
    RecoveryCodeUsed,
    /// An API client was created.
    ApiClientCreated,
    /// An API client's secret was replaced.
    ApiClientSecretRegenerated,
    /// A code to sign in on an installation the person named "Not me" earlier.
    ConfirmDeviceCode,
    /// A code that opens a guest support case (sent to the recovery request's contact address).
    SupportGuestCode,
    /// Support replied and the person has not seen it (a link to the conversation; no message
    /// text for security topics).
    SupportReply,
    /// The support team lifted the sign-in locks of the account.
    AccountUnlockedBySupport,
    /// The support team suspended the account (with the reason and how to appeal).
    AccountSuspended,
    /// The support team lifted the account's suspension.
    SuspensionLifted,
    /// The support team reviewed an appeal and kept the suspension.
    SuspensionKept,
    /// After support verified ownership: a code (and reset key) to choose a new password.
    SupportRecoveryCode,
}

impl MailKind {
    pub const ALL: [MailKind; 29] = [
        MailKind::VerifyEmail,
        MailKind::AccountExists,
        MailKind::UnlockCode,
        MailKind::ResetCode,
        MailKind::PasswordChanged,
        MailKind::PasswordReset,
        MailKind::EmailChangeCode,
        MailKind::EmailChangeRequested,
        MailKind::EmailChanged,
        MailKind::EmailInUse,
        MailKind::RecoveryAcknowledgement,
        MailKind::RecoveryNotice,
        MailKind::SignInAfterFailures,
        MailKind::NewDeviceSignIn,
        MailKind::NewNetworkSignIn,
        MailKind::TwoFactorDisabled,
        MailKind::TwoFactorEnabled,
        MailKind::RecoveryCodesRegenerated,
        MailKind::RecoveryCodeUsed,
        MailKind::ApiClientCreated,
        MailKind::ApiClientSecretRegenerated,
        MailKind::ConfirmDeviceCode,
        MailKind::SupportGuestCode,
        MailKind::SupportReply,
        MailKind::AccountUnlockedBySupport,
        MailKind::AccountSuspended,
        MailKind::SuspensionLifted,
        MailKind::SuspensionKept,
        MailKind::SupportRecoveryCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::VerifyEmail => "verify_email",
            MailKind::AccountExists => "account_exists",
            MailKind::UnlockCode => "unlock_code",
            MailKind::ResetCode => "reset_code",
            MailKind::PasswordChanged => "password_changed",
            MailKind::PasswordReset => "password_reset",
            MailKind::EmailChangeCode => "email_change_code",
            MailKind::EmailChangeRequested => "email_change_requested",
            MailKind::EmailChanged => "email_changed",
            MailKind::EmailInUse => "email_in_use",
            MailKind::RecoveryAcknowledgement => "recovery_acknowledgement",
            MailKind::RecoveryNotice => "recovery_notice",
            MailKind::SignInAfterFailures => "sign_in_after_failures",
            MailKind::NewDeviceSignIn => "new_device_sign_in",
            MailKind::NewNetworkSignIn => "new_network_sign_in",
            MailKind::TwoFactorDisabled => "two_factor_disabled",
            MailKind::TwoFactorEnabled => "two_factor_enabled",
            MailKind::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            MailKind::RecoveryCodeUsed => "recovery_code_used",
            MailKind::ApiClientCreated => "api_client_created",
            MailKind::ApiClientSecretRegenerated => "api_client_secret_regenerated",
            MailKind::ConfirmDeviceCode => "confirm_device_code",
            MailKind::SupportGuestCode => "support_guest_code",
            MailKind::SupportReply => "support_reply",
            MailKind::AccountUnlockedBySupport => "account_unlocked_by_support",
            MailKind::AccountSuspended => "account_suspended",
            MailKind::SuspensionLifted => "suspension_lifted",
            MailKind::SuspensionKept => "suspension_kept",
            MailKind::SupportRecoveryCode => "support_recovery_code",
        }
    }

    /// Whether the mail carries a 6-digit code.
    pub fn has_code(self) -> bool {
        matches!(
            self,
            MailKind::VerifyEmail
                | MailKind::UnlockCode
                | MailKind::ResetCode
                | MailKind::SupportRecoveryCode
                | MailKind::EmailChangeCode
                | MailKind::ConfirmDeviceCode
                | MailKind::SupportGuestCode
        )
    }
}

/// A rendered mail, as the outbox holds it and a [`Mailer`] sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// Row id in the outbox.
    pub id: i64,
    /// [`MailKind::as_str`].
    pub kind: String,
    pub to: String,
    pub language: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for OutgoingMail {
    // The bodies may hold a code: keep them out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingMail")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("to", &self.to)
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

impl OutgoingMail {
    pub fn is(&self, kind: MailKind) -> bool {
        self.kind == kind.as_str()
    }

    /// The 6-digit code in the text body, if the mail has one.
    pub fn code(&self) -> Option<String> {
        find_code(&self.text)
    }
}

/// The first run of exactly six digits in `text` (codes stand on a line of their own).
pub fn find_code(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.trim();
        (line.len() == 6 && line.bytes().all(|b| b.is_ascii_digit())).then(|| line.to_owned())
    })
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address {0:?}")]
    Address(String),
    #[error("building the message: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
    /// The SMTP exchange broke off (the connection failed or timed out after it started, or a
    /// reply could not be read): the server may or may not have taken the mail.
    #[error("SMTP, outcome unknown: {0}")]
    SmtpUncertain(String),
    #[error("writing the mail file: {0}")]
    File(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

impl MailError {
    /// Whether the mail may have been delivered although sending failed; such a mail is not
    /// sent again (see [`outbox`]).
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, MailError::SmtpUncertain(_))
    }
}

pub type MailFuture<'a> = Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>>;

/// Where mail leaves the server.
pub trait Mailer: Send + Sync + 'static {
    fn send<'a>(&'a self, mail: &'a OutgoingMail) -> MailFuture<'a>;
    /// For the log line at start, e.g. `SMTP smtp://127.0.0.1:1025`.
    fn describe(&self) -> String;
}

/// Parses a sender such as `XWMS <no-reply@xwms.localhost>`.
pub fn parse_mailbox(text: &str) -> Result<Mailbox, MailError> {
    text.parse()
        .map_err(|_| MailError::Address(text.to_owned()))
}

/// `address` as it goes on the wire: an internationalised domain as punycode (IDNA, UTS 46:
/// `anna@bücher.example` → `anna@xn--bcher-kva.example`), so the `To:` header and `RCPT TO`
/// are plain ASCII and any SMTP server takes them, without needing SMTPUTF8. A local part (before
/// the `@`) must already be ASCII: sign-up and email change refuse others (`email.invalid`), as
/// many mail servers still cannot deliver to them.
pub(crate) fn ascii_address(address: &str) -> Result<String, MailError> {
    let invalid = || MailError::Address(address.to_owned());
    let (local, domain) = address.rsplit_once('@').ok_or_else(invalid)?;
    if !local.is_ascii() {
        return Err(invalid());
    }
    let domain = idna::domain_to_ascii(domain).map_err(|_| invalid())?;
    Ok(format!("{local}@{domain}"))
}

/// The MIME message: `multipart/alternative` with a quoted-printable text part and an HTML part.
pub(crate) fn build_message(from: &Mailbox, mail: &OutgoingMail) -> Result<Message, MailError> {
    let to: Mailbox = ascii_address(&mail.to)?
        .parse()
        .map_err(|_| MailError::Address(mail.to.clone()))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .header(ContentTransferEncoding::QuotedPrintable)
                        .body(mail.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .header(ContentTransferEncoding::QuotedPrintable)
                        .body(mail.html.clone()),
                ),
        )
        .map_err(|err| MailError::Build(err.to_string()))
}

/// A mail rendered for `to` in `language`, ready for [`outbox::enqueue`].
pub fn render(kind: MailKind, to: &str, language: Language, facts: &MailFacts) -> OutgoingMail {
    let rendered = templates::render(kind, language, facts);
    OutgoingMail {
        id: 0,
        kind: kind.as_str().to_owned(),
        to: to.to_owned(),
        language: language.as_str().to_owned(),
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_unique_names() {
        let mut names: Vec<_> = MailKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), MailKind::ALL.len());
    }

    #[test]
    fn internationalised_domains_go_out_as_punycode() {
        #[rustfmt::skip]
        let table: &[(&str, Option<&str>)] = &[
            ("anna@example.com",        Some("anna@example.com")),
            ("Anna@Example.COM",        Some("Anna@example.com")),
            ("anna@bücher.example",     Some("anna@xn--bcher-kva.example")),
            ("anna@BÜCHER.example",     Some("anna@xn--bcher-kva.example")),
            ("user@例え.テスト",          Some("user@xn--r8jz45g.xn--zckzah")),
            ("أحمد@example.com",        None),
            ("no-at-sign",              None),
        ];
        for (address, want) in table {
            assert_eq!(ascii_address(address).ok().as_deref(), *want, "{address}");
        }
        let from = parse_mailbox(DEFAULT_FROM).unwrap();
        let mail = render(
            MailKind::PasswordChanged,
            "anna@bücher.example",
            Language::En,
            &MailFacts::default(),
        );
        let message = build_message(&from, &mail).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("To: anna@xn--bcher-kva.example\r\n"), "{raw}");
        let head = raw.split("\r\n\r\n").next().unwrap();
        assert!(head.is_ascii(), "{head}");
        assert_eq!(
            message.envelope().to()[0].to_string(),
            "anna@xn--bcher-kva.example"
        );
    }

    #[test]
    fn find_code_takes_a_line_of_six_digits_only() {
        assert_eq!(
            find_code("Hello,\n\n    042917\n\nIt is valid for 5 minutes."),
            Some("042917".into())
        );
        assert_eq!(
            find_code("On 2026-05-06 from 127.0.0.1 after 12 failures"),
            None
        );
        assert_eq!(find_code("1234567\n12345"), None);
    }

    #[test]
    fn the_message_is_multipart_with_a_quoted_printable_text_part() {
        let from = parse_mailbox(DEFAULT_FROM).unwrap();
        let mail = render(
            MailKind::VerifyEmail,
            "anna@example.com",
            Language::Fr,
            &MailFacts {
                name: "Anna".into(),
                code: Some("123456".into()),
                minutes: 5,
                ..MailFacts::default()
            },
        );
        let raw = String::from_utf8(build_message(&from, &mail).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(
            raw.contains("Content-Transfer-Encoding: quoted-printable"),
            "{raw}"
        );
        assert!(
            raw.contains("\r\n    123456\r\n")
                || raw.contains("\r\n    123456=\r\n")
                || raw.contains("123456"),
            "{raw}"
        );
        assert!(
            raw.contains("From: XWMS <no-reply@xwms.localhost>"),
            "{raw}"
        );
        assert!(raw.contains("To: anna@example.com"), "{raw}");
        assert!(build_message(
            &from,
            &OutgoingMail {
                to: "not an address".into(),
                ..mail
            }
        )
        .is_err());
    }
}
