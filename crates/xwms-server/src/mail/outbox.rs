//! The outbox: mail is written to `mail_outbox` in the same transaction as what caused it, and a
//! background task sends it. A request therefore answers in the same time whether or not it
//! queued a mail, a crash loses no mail that was not yet handed on, and a failed send is retried
//! with back-off ([`crate::accounts::policy::MAIL_RETRY`]) and logged; after the last attempt
//! the mail is marked as given up and logged as an error, never dropped silently. Once sent, a
//! mail's bodies (which may hold a code) are cleared.
//!
//! # At most once per hand-off
//!
//! A mail already handed to the transport (SMTP, or written as a file) is never sent again, even
//! after a crash. Before the hand-off the row is marked `sending_at` in a transaction of its
//! own that is committed first; afterwards it is marked `sent_at`, or, when the transport
//! reports that it did not take the mail, `sending_at` is cleared for a retry. So:
//!
//! - A process that dies between the two writes leaves a row with `sending_at` set. On the next
//!   start ([`Outbox::recover_interrupted`]) such a row is marked `uncertain_at`, logged as a
//!   warning, and **not** sent again.
//! - An SMTP failure that leaves the outcome unknown (the connection broke or timed out after the
//!   exchange started, or the reply could not be read: [`super::MailError::outcome_unknown`]) is
//!   treated the same way. A refusal by the server (a 4xx or 5xx reply) or a failure to connect
//!   is known not to have delivered it, and is retried.
//!
//! The trade-off: for a crash or a broken connection exactly during the hand-off, delivery is
//! *at most once* (the person may get no mail; every mail here is a notice or a code that can be
//! asked for again) instead of at least once (the person may get two codes or two alerts, and
//! a code mail sent twice is a second copy of a secret). A `Message-ID` header would let a
//! mail client hide a duplicate, but it cannot stop an SMTP server from delivering it, so it is
//! no substitute. An operator finds the uncertain rows with
//! `SELECT * FROM mail_outbox WHERE uncertain_at IS NOT NULL`.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection};
use time::OffsetDateTime;
use tokio::sync::Notify;

use super::{Mailer, OutgoingMail};
use crate::accounts::policy::MAIL_RETRY;
use crate::clock::{to_millis, Clock};
use crate::store::{Store, StoreError};

/// How often the sender looks for due mail when nothing woke it.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_secs(5);
/// Mail sent per round trip to the store.
const BATCH: i64 = 50;

/// Queues `mail` (its `id` is ignored); returns the new row id.
pub fn enqueue(
    conn: &Connection,
    now: OffsetDateTime,
    mail: &OutgoingMail,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO mail_outbox (kind, recipient, language, subject, text_body, html_body, created_at, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            mail.kind,
            mail.to,
            mail.language,
            mail.subject,
            mail.text,
            mail.html,
            to_millis(now)
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// What one [`Outbox::deliver_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: u32,
    /// Failed, to be retried.
    pub failed: u32,
    /// Failed for the last time.
    pub given_up: u32,
    /// Broke off with the outcome unknown: not sent again.
    pub uncertain: u32,
}

/// Sends queued mail through a [`Mailer`].
pub struct Outbox {
    store: Store,
    clock: Arc<dyn Clock>,
    mailer: Arc<dyn Mailer>,
    wake: Notify,
    /// One sender at a time, so no mail goes out twice.
    sending: tokio::sync::Mutex<()>,
    /// For tests: called after each hand-off, before its outcome is written; `true` stops the
    /// delivery there as a crash would.
    failpoint: Option<Failpoint>,
}

/// See [`Outbox::with_failpoint`].
pub(crate) type Failpoint = Box<dyn Fn(&OutgoingMail) -> bool + Send + Sync>;

impl Outbox {
    pub fn new(store: Store, clock: Arc<dyn Clock>, mailer: Arc<dyn Mailer>) -> Outbox {
        Outbox {
            store,
            clock,
            mailer,
            wake: Notify::new(),
            sending: tokio::sync::Mutex::new(()),
            failpoint: None,
        }
    }

    /// For tests: `failpoint` runs right after each hand-off to the transport and before its
    /// outcome is written; when it answers `true`, [`Outbox::deliver_due`] stops there with
    /// [`StoreError::Interrupted`], leaving the store as a process killed at that moment would.
    pub fn with_failpoint(mut self, failpoint: Failpoint) -> Outbox {
        self.failpoint = Some(failpoint);
        self
    }

    pub fn mailer(&self) -> &Arc<dyn Mailer> {
        &self.mailer
    }

    /// Tells the sender that mail was queued.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Sends every mail that is due now.
    pub async fn deliver_due(&self) -> Result<Delivery, StoreError> {
        let _one_at_a_time = self.sending.lock().await;
        let mut delivery = Delivery::default();
        let mut after_id = 0i64;
        loop {
            let now = to_millis(self.clock.now());
            let due = self
                .store
                .call(move |conn| {
                    let mut stmt = conn.prepare_cached(
                        "SELECT id, kind, recipient, language, subject, text_body, html_body, attempts
                         FROM mail_outbox
                         WHERE sent_at IS NULL AND given_up_at IS NULL AND uncertain_at IS NULL
                           AND sending_at IS NULL AND next_attempt_at <= ?1 AND id > ?2
                         ORDER BY id LIMIT ?3",
                    )?;
                    let rows = stmt.query_map(params![now, after_id, BATCH], |row| {
                        Ok((
                            OutgoingMail {
                                id: row.get(0)?,
                                kind: row.get(1)?,
                                to: row.get(2)?,
                                language: row.get(3)?,
                                subject: row.get(4)?,
                                text: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
                                html: row.get::<_, Option<String>>(6)?.unwrap_or_default(),
                            },
                            row.get::<_, u32>(7)?,
                        ))
                    })?;
                    rows.collect::<rusqlite::Result<Vec<_>>>()
                })
                .await?;
            if due.is_empty() {
                return Ok(delivery);
            }
            for (mail, attempts) in due {
                after_id = mail.id;
                let id = mail.id;
                let attempts = attempts + 1;
                let claimed_at = to_millis(self.clock.now());
                // Committed before the hand-off: after a crash the row is known to be in flight.
                let claimed = self
                    .store
                    .transaction(move |tx| {
                        tx.execute(
                            "UPDATE mail_outbox SET sending_at = ?2, attempts = ?3
                             WHERE id = ?1 AND sending_at IS NULL AND sent_at IS NULL
                               AND given_up_at IS NULL AND uncertain_at IS NULL",
                            params![id, claimed_at, attempts],
                        )
                    })
                    .await?;
                if claimed != 1 {
                    continue;
                }
                let result = self.mailer.send(&mail).await;
                if let Some(failpoint) = &self.failpoint {
                    if failpoint(&mail) {
                        return Err(StoreError::Interrupted);
                    }
                }
                let now = self.clock.now();
                match result {
                    Ok(()) => {
                        tracing::info!(id, kind = %mail.kind, via = %self.mailer.describe(), "mail sent");
                        delivery.sent += 1;
                        self.store
                            .call(move |conn| {
                                conn.execute(
                                    "UPDATE mail_outbox SET sent_at = ?2, sending_at = NULL, text_body = NULL, html_body = NULL, last_error = NULL WHERE id = ?1",
                                    params![id, to_millis(now)],
                                )
                            })
                            .await?;
                    }
                    Err(err) if err.outcome_unknown() => {
                        delivery.uncertain += 1;
                        let error = err.to_string();
                        tracing::warn!(id, kind = %mail.kind, attempts, error = %error, "the mail may or may not have been handed over; not sending it again");
                        self.store
                            .call(move |conn| {
                                conn.execute(
                                    "UPDATE mail_outbox SET uncertain_at = ?2, last_error = ?3 WHERE id = ?1",
                                    params![id, to_millis(now), error],
                                )
                            })
                            .await?;
                    }
                    Err(err) => {
                        let next = MAIL_RETRY.next_attempt(attempts, now);
                        let error = err.to_string();
                        match next {
                            Some(at) => {
                                delivery.failed += 1;
                                tracing::warn!(id, kind = %mail.kind, attempts, retry_at = %at, error = %error, "sending mail failed; will retry");
                            }
                            None => {
                                delivery.given_up += 1;
                                tracing::error!(id, kind = %mail.kind, attempts, error = %error, "sending mail failed for the last time; giving up (the mail stays in mail_outbox)");
                            }
                        }
                        self.store
                            .call(move |conn| {
                                conn.execute(
                                    "UPDATE mail_outbox SET sending_at = NULL, last_error = ?3, next_attempt_at = coalesce(?4, next_attempt_at), given_up_at = ?5 WHERE id = ?1 AND attempts = ?2",
                                    params![
                                        id,
                                        attempts,
                                        error,
                                        next.map(to_millis),
                                        next.is_none().then(|| to_millis(now))
                                    ],
                                )
                            })
                            .await?;
                    }
                }
            }
        }
    }

    /// Marks every mail left in flight by an earlier process (`sending_at` set, not sent) as
    /// uncertain, so it is not sent again (see the module documentation); returns how many.
    /// Called once at start, before the first delivery.
    pub async fn recover_interrupted(&self) -> Result<u32, StoreError> {
        let _one_at_a_time = self.sending.lock().await;
        let now = to_millis(self.clock.now());
        let ids: Vec<(i64, String)> = self
            .store
            .transaction(move |tx| {
                let ids = {
                    let mut stmt = tx.prepare(
                        "SELECT id, kind FROM mail_outbox
                         WHERE sending_at IS NOT NULL AND sent_at IS NULL AND uncertain_at IS NULL",
                    )?;
                    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                    rows.collect::<rusqlite::Result<Vec<_>>>()?
                };
                tx.execute(
                    "UPDATE mail_outbox SET uncertain_at = ?1,
                         last_error = 'the server stopped while handing the mail over'
                     WHERE sending_at IS NOT NULL AND sent_at IS NULL AND uncertain_at IS NULL",
                    [now],
                )?;
                Ok(ids)
            })
            .await?;
        for (id, kind) in &ids {
            tracing::warn!(id, %kind, "a mail was being handed over when the server stopped; it may or may not have been sent, so it is not sent again");
        }
        Ok(u32::try_from(ids.len()).unwrap_or(u32::MAX))
    }

    /// Sends due mail whenever woken, and at least every [`POLL_INTERVAL`]; runs until its task
    /// is dropped. Unsent mail stays in the store for the next start.
    pub async fn run(self: Arc<Self>) {
        if let Err(err) = self.recover_interrupted().await {
            tracing::warn!(error = %err, "the mail outbox could not be checked for interrupted mail");
        }
        loop {
            if let Err(err) = self.deliver_due().await {
                tracing::warn!(error = %err, "the mail outbox could not be read");
            }
            let _ = tokio::time::timeout(POLL_INTERVAL, self.wake.notified()).await;
        }
    }

    /// Mail not yet sent (for tests and the health of the queue).
    pub async fn pending(&self) -> Result<u32, StoreError> {
        self.store
            .call(|conn| {
                conn.query_row(
                    "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND given_up_at IS NULL AND uncertain_at IS NULL",
                    [],
                    |row| row.get(0),
                )
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::mail::{render, MailError, MailFacts, MailFuture, MailKind};
    use std::sync::Mutex;
    use time::macros::datetime;
    use xwms_api::Language;

    /// When a queued mail is next tried.
    fn next_attempt_at(conn: &Connection, id: i64) -> rusqlite::Result<OffsetDateTime> {
        conn.query_row(
            "SELECT next_attempt_at FROM mail_outbox WHERE id = ?1",
            [id],
            |row| row.get(0),
        )
        .map(crate::clock::from_millis)
    }

    /// Keeps what is sent; fails the next `failures` sends. (Other crates' tests use
    /// `xwms_testkit::MemoryMailer`, which this crate cannot depend on.)
    #[derive(Clone, Default)]
    struct MemoryMailer(Arc<Mutex<(Vec<OutgoingMail>, u32)>>);

    impl MemoryMailer {
        fn new() -> MemoryMailer {
            MemoryMailer::default()
        }
        fn count(&self) -> usize {
            self.0.lock().unwrap().0.len()
        }
        fn fail_next(&self, n: u32) {
            self.0.lock().unwrap().1 = n;
        }
        fn last(&self, to: &str, kind: MailKind) -> Option<OutgoingMail> {
            let sent = self.0.lock().unwrap();
            sent.0
                .iter()
                .rev()
                .find(|m| m.to == to && m.is(kind))
                .cloned()
        }
        fn last_code(&self, to: &str, kind: MailKind) -> Option<String> {
            self.last(to, kind)?.code()
        }
        async fn wait_for_async(
            &self,
            to: &str,
            kind: MailKind,
            timeout: Duration,
        ) -> Option<OutgoingMail> {
            let deadline = tokio::time::Instant::now() + timeout;
            while tokio::time::Instant::now() < deadline {
                if let Some(mail) = self.last(to, kind) {
                    return Some(mail);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            None
        }
    }

    impl Mailer for MemoryMailer {
        fn send<'a>(&'a self, mail: &'a OutgoingMail) -> MailFuture<'a> {
            let mut sent = self.0.lock().unwrap();
            let result = if sent.1 > 0 {
                sent.1 -= 1;
                Err(MailError::Other("injected failure".into()))
            } else {
                sent.0.push(mail.clone());
                Ok(())
            };
            Box::pin(async move { result })
        }
        fn describe(&self) -> String {
            "memory (tests)".to_owned()
        }
    }

    async fn outbox() -> (
        Arc<Outbox>,
        MemoryMailer,
        ManualClock,
        Store,
        tempfile::TempDir,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).unwrap();
        let clock = ManualClock::new(datetime!(2026-05-06 07:00 UTC));
        let mailer = MemoryMailer::new();
        let outbox = Arc::new(Outbox::new(
            store.clone(),
            Arc::new(clock.clone()),
            Arc::new(mailer.clone()),
        ));
        (outbox, mailer, clock, store, dir)
    }

    fn mail(code: &str) -> OutgoingMail {
        render(
            MailKind::VerifyEmail,
            "anna@example.com",
            Language::En,
            &MailFacts {
                code: Some(code.into()),
                minutes: 5,
                ..MailFacts::default()
            },
        )
    }

    #[tokio::test]
    async fn queued_mail_is_sent_once_and_its_bodies_cleared() {
        let (outbox, mailer, clock, store, _dir) = outbox().await;
        let now = clock.now();
        store
            .transaction(move |tx| enqueue(tx, now, &mail("111111")))
            .await
            .unwrap();
        assert_eq!(mailer.count(), 0, "nothing is sent inside the request");
        assert_eq!(outbox.deliver_due().await.unwrap().sent, 1);
        assert_eq!(outbox.deliver_due().await.unwrap(), Delivery::default());
        assert_eq!(
            mailer
                .last_code("anna@example.com", MailKind::VerifyEmail)
                .as_deref(),
            Some("111111")
        );
        let bodies: Option<String> = store
            .call(|c| c.query_row("SELECT text_body FROM mail_outbox", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(bodies, None, "the code does not stay in the database");
    }

    #[tokio::test]
    async fn a_failed_send_is_retried_with_back_off_then_given_up() {
        let (outbox, mailer, clock, store, _dir) = outbox().await;
        let now = clock.now();
        let id = store
            .transaction(move |tx| enqueue(tx, now, &mail("222222")))
            .await
            .unwrap();
        mailer.fail_next(u32::MAX);
        let d = outbox.deliver_due().await.unwrap();
        assert_eq!((d.sent, d.failed), (0, 1));
        let next = store.call(move |c| next_attempt_at(c, id)).await.unwrap();
        assert_eq!(next, now + MAIL_RETRY.first_retry);
        // Not due yet: nothing happens.
        clock.advance_secs(29);
        assert_eq!(outbox.deliver_due().await.unwrap(), Delivery::default());
        // Keep failing until the policy gives up.
        let mut given_up = 0;
        for _ in 0..MAIL_RETRY.max_attempts {
            clock.advance(time::Duration::hours(2));
            given_up += outbox.deliver_due().await.unwrap().given_up;
        }
        assert_eq!(given_up, 1);
        assert_eq!(outbox.pending().await.unwrap(), 0);
        let (attempts, error, kept): (u32, String, Option<String>) = store
            .call(|c| {
                c.query_row(
                    "SELECT attempts, last_error, text_body FROM mail_outbox",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
            })
            .await
            .unwrap();
        assert_eq!(attempts, MAIL_RETRY.max_attempts);
        assert!(error.contains("injected failure"));
        assert!(kept.is_some(), "a mail given up is kept for an operator");
    }

    #[tokio::test]
    async fn a_failure_then_success_delivers() {
        let (outbox, mailer, clock, store, _dir) = outbox().await;
        let now = clock.now();
        store
            .transaction(move |tx| enqueue(tx, now, &mail("333333")))
            .await
            .unwrap();
        mailer.fail_next(1);
        assert_eq!(outbox.deliver_due().await.unwrap().failed, 1);
        clock.advance_secs(30);
        assert_eq!(outbox.deliver_due().await.unwrap().sent, 1);
        assert_eq!(mailer.count(), 1);
    }

    #[tokio::test]
    async fn the_background_task_sends_when_woken() {
        let (outbox, mailer, clock, store, _dir) = outbox().await;
        let task = tokio::spawn(Arc::clone(&outbox).run());
        let now = clock.now();
        store
            .transaction(move |tx| enqueue(tx, now, &mail("444444")))
            .await
            .unwrap();
        outbox.wake();
        let got = mailer
            .wait_for_async(
                "anna@example.com",
                MailKind::VerifyEmail,
                Duration::from_secs(10),
            )
            .await;
        assert_eq!(got.and_then(|m| m.code()).as_deref(), Some("444444"));
        task.abort();
    }
}
