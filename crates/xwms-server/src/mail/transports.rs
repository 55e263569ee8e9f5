//! Real ways out: SMTP (lettre) and `.eml` files in a folder.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{build_message, MailError, MailFuture, Mailer, OutgoingMail};

/// How long one SMTP exchange may take before it counts as failed (and is retried).
pub(crate) const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends over SMTP to the server of a URL (create and drop it inside a tokio runtime: its
/// connection pool runs there):
/// `smtp://host:port` (plain, e.g. a local catcher), `smtp://host?tls=required` (STARTTLS),
/// `smtps://host` (TLS from the start); `user:password@` in the URL logs in.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The URL without credentials, for logs.
    shown_url: String,
}

impl SmtpMailer {
    pub fn new(url: &str, from: Mailbox) -> Result<SmtpMailer, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|err| MailError::Smtp(err.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(SmtpMailer {
            transport,
            from,
            shown_url: without_credentials(url),
        })
    }
}

/// Whether an SMTP failure leaves it unknown if the server took the mail. Known not taken: a
/// refusal (a 4xx or 5xx reply), a failure to connect or to set up TLS, a message lettre could
/// not build. Unknown: the connection broke or timed out during the exchange, or a reply could
/// not be read: the server may have accepted the message before that.
fn classify(err: &lettre::transport::smtp::Error) -> MailError {
    let text = err.to_string();
    let refused_or_not_connected = err.is_transient()
        || err.is_permanent()
        || err.is_client()
        || err.is_transport_shutdown()
        || text.starts_with("Connection error")
        || text.starts_with("tls error");
    if refused_or_not_connected {
        MailError::Smtp(text)
    } else {
        MailError::SmtpUncertain(text)
    }
}

/// `smtp://user:secret@host:25` → `smtp://host:25`.
pub fn without_credentials(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => "(invalid URL)".to_owned(),
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, mail: &'a OutgoingMail) -> MailFuture<'a> {
        Box::pin(async move {
            let message = build_message(&self.from, mail)?;
            self.transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|err| classify(&err))
        })
    }

    fn describe(&self) -> String {
        format!("SMTP {}", self.shown_url)
    }
}

/// Writes each mail as an `.eml` file (readable by any mail program) into a folder, readable by
/// its owner only: the server's default when no SMTP server is configured.
pub struct FileMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl FileMailer {
    pub fn new(dir: impl Into<PathBuf>, from: Mailbox) -> FileMailer {
        FileMailer {
            dir: dir.into(),
            from,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Mailer for FileMailer {
    fn send<'a>(&'a self, mail: &'a OutgoingMail) -> MailFuture<'a> {
        Box::pin(async move {
            let bytes = build_message(&self.from, mail)?.formatted();
            let dir = self.dir.clone();
            let name = format!(
                "{}-{:06}-{}.eml",
                time::OffsetDateTime::now_utc().unix_timestamp(),
                mail.id,
                mail.kind
            );
            let path = dir.join(&name);
            let written = path.clone();
            tokio::task::spawn_blocking(move || write_private(&dir, &path, &bytes))
                .await
                .map_err(|err| MailError::Other(err.to_string()))??;
            tracing::info!(kind = %mail.kind, file = %written.display(), "mail written to the outbox folder");
            Ok(())
        })
    }

    fn describe(&self) -> String {
        format!("files in {}", self.dir.display())
    }
}

fn write_private(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::{parse_mailbox, DEFAULT_FROM};

    #[test]
    fn credentials_never_reach_the_log() {
        assert_eq!(
            without_credentials("smtp://user:s3cret@mail.example.com:587?tls=required"),
            "smtp://mail.example.com:587?tls=required"
        );
        assert_eq!(
            without_credentials("smtp://127.0.0.1:1025"),
            "smtp://127.0.0.1:1025"
        );
    }

    #[tokio::test]
    async fn unknown_schemes_are_refused() {
        let from = parse_mailbox(DEFAULT_FROM).unwrap();
        assert!(SmtpMailer::new("http://127.0.0.1:1025", from.clone()).is_err());
        assert!(SmtpMailer::new("smtp://127.0.0.1:1025", from).is_ok());
    }

    #[tokio::test]
    async fn file_mailer_writes_a_private_eml_file() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let mailer = FileMailer::new(&outbox, parse_mailbox(DEFAULT_FROM).unwrap());
        let mail = OutgoingMail {
            id: 7,
            kind: "verify_email".into(),
            to: "anna@example.com".into(),
            language: "en".into(),
            subject: "Your XWMS verification code".into(),
            text: "Hello,\n\n    123456\n".into(),
            html: "<p>123456</p>".into(),
        };
        mailer.send(&mail).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(&outbox)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with("-000007-verify_email.eml"), "{name}");
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(
            text.contains("Subject: Your XWMS verification code"),
            "{text}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&files[0]).unwrap().permissions().mode() & 0o777,
                0o600
            );
            assert_eq!(
                std::fs::metadata(&outbox).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
    }
}
