//! A [`Mailer`] that keeps mail in memory: what tests read codes from. A test double: the real SMTP path is tested against a
//! real SMTP server on loopback (`tests/server/mail.rs`).

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use xwms_server::mail::{MailError, MailFuture, MailKind, Mailer, OutgoingMail};

/// Cheap to clone; clones share one mailbox.
#[derive(Clone, Default)]
pub struct MemoryMailer {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    state: Mutex<State>,
    arrived: Condvar,
    notify: tokio::sync::Notify,
}

#[derive(Default)]
struct State {
    mails: Vec<OutgoingMail>,
    /// The next this-many sends fail (to test retries).
    failures_to_inject: u32,
}

impl std::fmt::Debug for MemoryMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryMailer")
            .field("mails", &self.lock().mails.len())
            .finish()
    }
}

impl MemoryMailer {
    pub fn new() -> MemoryMailer {
        MemoryMailer::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every mail sent so far, oldest first.
    pub fn all(&self) -> Vec<OutgoingMail> {
        self.lock().mails.clone()
    }

    /// Mail sent to `address` (compared without regard to case), oldest first.
    pub fn to(&self, address: &str) -> Vec<OutgoingMail> {
        self.lock()
            .mails
            .iter()
            .filter(|m| m.to.eq_ignore_ascii_case(address))
            .cloned()
            .collect()
    }

    /// The newest mail of `kind` to `address`.
    pub fn last(&self, address: &str, kind: MailKind) -> Option<OutgoingMail> {
        self.to(address).into_iter().rev().find(|m| m.is(kind))
    }

    /// The code of the newest mail of `kind` to `address`.
    pub fn last_code(&self, address: &str, kind: MailKind) -> Option<String> {
        self.last(address, kind).and_then(|m| m.code())
    }

    pub fn count(&self) -> usize {
        self.lock().mails.len()
    }

    pub fn clear(&self) {
        self.lock().mails.clear();
    }

    /// Makes the next `n` sends fail, as an unreachable SMTP server would.
    pub fn fail_next(&self, n: u32) {
        self.lock().failures_to_inject = n;
    }

    /// Blocks until a mail of `kind` to `address` arrives that was not there before `since`
    /// mails had been sent (pass [`MemoryMailer::count`] taken before the action), or `timeout`
    /// passes. For synchronous tests; async tests use [`MemoryMailer::wait_for_async`].
    pub fn wait_for(
        &self,
        address: &str,
        kind: MailKind,
        since: usize,
        timeout: Duration,
    ) -> Option<OutgoingMail> {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if let Some(mail) = find_new(&state.mails, address, kind, since) {
                return Some(mail);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            state = self
                .inner
                .arrived
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// [`MemoryMailer::wait_for`] without blocking the thread.
    pub async fn wait_for_async(
        &self,
        address: &str,
        kind: MailKind,
        since: usize,
        timeout: Duration,
    ) -> Option<OutgoingMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.notify.notified();
            if let Some(mail) = find_new(&self.lock().mails, address, kind, since) {
                return Some(mail);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }
}

fn find_new(
    mails: &[OutgoingMail],
    address: &str,
    kind: MailKind,
    since: usize,
) -> Option<OutgoingMail> {
    mails
        .iter()
        .skip(since)
        .find(|m| m.is(kind) && m.to.eq_ignore_ascii_case(address))
        .cloned()
}

impl Mailer for MemoryMailer {
    fn send<'a>(&'a self, mail: &'a OutgoingMail) -> MailFuture<'a> {
        Box::pin(async move {
            {
                let mut state = self.lock();
                if state.failures_to_inject > 0 {
                    state.failures_to_inject -= 1;
                    return Err(MailError::Other("injected failure".into()));
                }
                state.mails.push(mail.clone());
            }
            self.inner.arrived.notify_all();
            self.inner.notify.notify_waiters();
            Ok(())
        })
    }

    fn describe(&self) -> String {
        "memory (tests)".to_owned()
    }
}
