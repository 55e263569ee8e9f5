//! Account session tests. Those that talk to a server use the real xwms-server in-process on
//! loopback; the keychain is the in-memory test store here (the real OS keychain is exercised
//! by `tests/keychain.rs`).

use std::sync::Arc;

use super::*;
use crate::token_store::MemoryStore;

fn identity() -> AppIdentity {
    AppIdentity {
        app: "xwms-core-test".into(),
        keychain_service: "nl.xwms.test".into(),
    }
}

#[test]
fn installation_id_is_random_persisted_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let a = installation_id(dir.path());
    assert_eq!(a.len(), 32);
    assert_eq!(installation_id(dir.path()), a, "persisted");
    let other = tempfile::tempdir().unwrap();
    assert_ne!(installation_id(other.path()), a, "random per installation");
    std::fs::write(dir.path().join(INSTALLATION_ID_FILE), "garbage").unwrap();
    let b = installation_id(dir.path());
    assert_ne!(b, a);
    assert_eq!(installation_id(dir.path()), b, "repaired and persisted");
}

#[tokio::test]
async fn device_info_and_keychain_account_name_the_installation_and_server() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::default());
    let session =
        AccountSession::new("http://127.0.0.1:9/", dir.path(), identity(), store.clone()).unwrap();
    let device = session.device();
    assert_eq!(device.app, "xwms-core-test");
    assert_eq!(device.os, std::env::consts::OS);
    assert_eq!(device.app_version, crate::CLIENT_VERSION);
    assert!(!device.name.is_empty());
    assert_eq!(device.installation_id, installation_id(dir.path()));
    assert_eq!(
        session.keychain_account(),
        format!("session:{}:http://127.0.0.1:9/", device.installation_id)
    );
    // Signed out: nothing to restore, authed calls say "sign in", sign-out is a no-op.
    assert_eq!(session.restore_session().await.unwrap(), None);
    assert_eq!(
        session.current_account().await.unwrap_err().code,
        ErrorCode::Unauthorized
    );
    session.sign_out().await.unwrap();
    assert_eq!(store.len(), 0);
}

#[tokio::test]
async fn a_corrupt_keychain_entry_is_removed_and_counts_as_signed_out() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::default());
    let session =
        AccountSession::new("http://127.0.0.1:9/", dir.path(), identity(), store.clone()).unwrap();
    store
        .save(&session.keychain_account(), &Secret::new("not json"))
        .unwrap();
    assert_eq!(session.restore_session().await.unwrap(), None);
    assert_eq!(store.len(), 0);
}

#[tokio::test]
async fn a_locked_keychain_is_reported_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::default());
    store
        .broken
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let session =
        AccountSession::new("http://127.0.0.1:9/", dir.path(), identity(), store.clone()).unwrap();
    assert_eq!(
        session.restore_session().await.unwrap_err().code,
        ErrorCode::KeychainUnavailable
    );
}

#[tokio::test]
async fn an_offline_start_keeps_the_saved_session_for_later() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::default());
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let session = AccountSession::new(
        &format!("http://{free}/"),
        dir.path(),
        identity(),
        store.clone(),
    )
    .unwrap();
    let stored = StoredSession {
        session_id: "s1".into(),
        refresh_token: Secret::new("r1"),
        refresh_expires_at: "2099-01-01T00:00:00Z".into(),
    };
    session.save_stored(stored).await.unwrap();
    let err = session.restore_session().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Offline);
    assert!(session.is_signed_in().await, "kept in memory");
    assert!(
        store.get(&session.keychain_account()).is_some(),
        "kept in the keychain"
    );
}

// ----- against the real server on loopback -----

mod security;

mod real_server {
    use std::sync::Arc;
    use std::time::Duration;

    use time::OffsetDateTime;
    use xwms_api::auth::{ProfileUpdate, RefreshRequest, SessionTokens};
    use xwms_testkit::{Clock, MailKind, ManualClock, MemoryMailer, TestServer, TestServerOptions};

    use super::*;

    /// The real xwms-server (`xwms_testkit`: temp SQLite file, in-memory mailbox, fast
    /// test hash cost) on a free loopback port, with a clock the test moves.
    pub(super) struct Harness {
        pub url: String,
        pub clock: ManualClock,
        server: TestServer,
    }

    impl Harness {
        pub async fn start() -> Harness {
            let clock = ManualClock::new(OffsetDateTime::now_utc());
            let server = tokio::task::spawn_blocking({
                let clock = clock.clone();
                move || {
                    TestServer::start_with(TestServerOptions {
                        demo: false,
                        clock: Arc::new(clock),
                        ..TestServerOptions::default()
                    })
                }
            })
            .await
            .unwrap();
            Harness {
                url: format!("{}/", server.url()),
                clock,
                server,
            }
        }

        pub fn mail(&self) -> &MemoryMailer {
            self.server.mailbox()
        }

        /// A session of a new installation (its own data dir and keychain), on the server's
        /// clock.
        pub fn device(&self) -> Device {
            let dir = tempfile::tempdir().unwrap();
            let store = Arc::new(MemoryStore::default());
            let clock = self.clock.clone();
            let session = AccountSession::new(&self.url, dir.path(), identity(), store.clone())
                .unwrap()
                .with_clock(move || clock.now());
            Device {
                session,
                store,
                dir,
            }
        }

        /// The same installation started again: same data dir, same keychain.
        pub fn restart(&self, device: Device) -> Device {
            let Device { store, dir, .. } = device;
            let clock = self.clock.clone();
            let session = AccountSession::new(&self.url, dir.path(), identity(), store.clone())
                .unwrap()
                .with_clock(move || clock.now());
            Device {
                session,
                store,
                dir,
            }
        }

        pub async fn code(&self, email: &str, kind: MailKind, since: usize) -> Secret {
            let mail = self
                .mail()
                .wait_for_async(email, kind, since, Duration::from_secs(10))
                .await
                .unwrap_or_else(|| panic!("no {kind:?} mail to {email}"));
            Secret::new(mail.code().expect("the mail carries a code"))
        }

        /// Signs up and verifies `email` with `password` through `device`.
        pub async fn verified_account(&self, device: &Device, email: &str, password: &str) {
            let since = self.mail().count();
            let sent = device
                .session
                .sign_up("Anna de Vries", email, Secret::new(password))
                .await
                .unwrap();
            assert_eq!(sent.email, email);
            let code = self.code(email, MailKind::VerifyEmail, since).await;
            device.session.verify_email(email, code).await.unwrap();
        }
    }

    pub(super) struct Device {
        pub session: AccountSession,
        pub store: Arc<MemoryStore>,
        pub dir: tempfile::TempDir,
    }

    impl Device {
        /// The refresh token in this device's keychain.
        pub fn stored_refresh_token(&self) -> Option<String> {
            let entry = self.store.get(&self.session.keychain_account())?;
            let stored: serde_json::Value = serde_json::from_str(entry.expose()).unwrap();
            Some(stored["refresh_token"].as_str().unwrap().to_string())
        }
    }

    fn drain(rx: &mut broadcast::Receiver<AccountEvent>) -> Vec<AccountEvent> {
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    const PASSWORD: &str = "Harbour-Lights-42";
    const NEW_PASSWORD: &str = "Tulip-Fields-2031";

    #[tokio::test]
    async fn sign_up_verify_sign_in_refresh_profile_password_sign_out_and_in_again() {
        let h = Harness::start().await;
        let email = "anna@example.com";
        let a = h.device();
        let mut events = a.session.subscribe();

        // Sign up → code from the mailbox → verify. Signing in before verifying says so.
        let since = h.mail().count();
        a.session
            .sign_up("Anna de Vries", email, Secret::new(PASSWORD))
            .await
            .unwrap();
        let err = a
            .session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::EmailUnverified);
        let wrong = a
            .session
            .verify_email(email, Secret::new("000000"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                wrong.code,
                ErrorCode::CodeIncorrect | ErrorCode::CodeTooSoon
            ),
            "{wrong:?}"
        );
        assert!(
            wrong.data.is_some(),
            "the server's facts reach the app: {wrong:?}"
        );
        h.clock.advance_secs(6);
        let code = h.code(email, MailKind::VerifyEmail, since).await;
        a.session.verify_email(email, code).await.unwrap();

        // Sign in: the session is in the keychain, the access token is not.
        let outcome = a
            .session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap();
        let SignInOutcome::SignedIn { account } = outcome else {
            panic!("no second factor on a new account: {outcome:?}")
        };
        assert_eq!(account.email, email);
        assert!(account.email_verified);
        assert_eq!(
            drain(&mut events),
            vec![AccountEvent::AccountChanged(Some(account.clone()))]
        );
        let first_refresh = a.stored_refresh_token().expect("session in the keychain");
        let entry = a.store.get(&a.session.keychain_account()).unwrap();
        let stored: serde_json::Value = serde_json::from_str(entry.expose()).unwrap();
        assert_eq!(
            stored.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["refresh_expires_at", "refresh_token", "session_id"],
            "no access token in the keychain"
        );
        assert_eq!(a.session.current_account().await.unwrap(), account);

        // The access token expires (both clocks move): refreshed before the call, rotated,
        // and the new refresh token is the one in the keychain.
        h.clock.advance(time::Duration::minutes(16));
        assert_eq!(a.session.current_account().await.unwrap().sub, account.sub);
        let second_refresh = a.stored_refresh_token().unwrap();
        assert_ne!(second_refresh, first_refresh, "rotated");

        // The server refuses the token although this device's clock says it is fine: one
        // transparent refresh, then the call succeeds.
        let generation = a.session.session.lock().await.as_ref().unwrap().generation;
        {
            let mut slot = a.session.session.lock().await;
            let live = slot.as_mut().unwrap();
            live.access_expires_at = Some(OffsetDateTime::now_utc() + time::Duration::days(1));
        }
        h.clock.advance(time::Duration::minutes(16));
        assert_eq!(a.session.current_account().await.unwrap().sub, account.sub);
        assert_eq!(
            a.session.session.lock().await.as_ref().unwrap().generation,
            generation + 1,
            "refreshed exactly once"
        );
        assert_ne!(a.stored_refresh_token().unwrap(), second_refresh);

        // Profile.
        let updated = a
            .session
            .update_profile(&ProfileUpdate {
                name: Some("Anna Jansen".into()),
                username: None,
                timezone: Some("America/New_York".into()),
                region: None,
                language: Some("nl".into()),
            })
            .await
            .unwrap();
        assert_eq!(updated.name, "Anna Jansen");
        assert_eq!(updated.timezone, "America/New_York");
        assert_eq!(updated.language, "nl");
        assert_eq!(
            drain(&mut events),
            vec![AccountEvent::AccountChanged(Some(updated.clone()))]
        );
        let err = a
            .session
            .update_profile(&ProfileUpdate {
                name: None,
                username: None,
                timezone: Some("Mars/Olympus_Mons".into()),
                region: None,
                language: None,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::TimezoneInvalid);

        // Password change: the current one is required.
        let err = a
            .session
            .change_password(
                Secret::new("Wrong-Password-1"),
                Secret::new(NEW_PASSWORD),
                false,
            )
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::PasswordIncorrect);
        a.session
            .change_password(Secret::new(PASSWORD), Secret::new(NEW_PASSWORD), false)
            .await
            .unwrap();
        assert_eq!(
            a.session.current_account().await.unwrap().sub,
            account.sub,
            "still signed in"
        );

        // Sign out: revoked on the server, gone from the keychain.
        let access = a
            .session
            .session
            .lock()
            .await
            .as_ref()
            .unwrap()
            .access_token
            .clone()
            .unwrap();
        a.session.sign_out().await.unwrap();
        assert_eq!(a.store.len(), 0);
        assert!(!a.session.is_signed_in().await);
        assert_eq!(
            drain(&mut events).last(),
            Some(&AccountEvent::AccountChanged(None))
        );
        let api = ApiClient::new(&h.url, "test").unwrap();
        let err = api
            .get_authed::<UserProfile>(paths::ACCOUNT, &access)
            .await
            .unwrap_err();
        assert!(ends_session(&err), "the old access token is dead: {err:?}");
        assert_eq!(
            a.session.current_account().await.unwrap_err().code,
            ErrorCode::Unauthorized
        );

        // Sign in again: the old password no longer works, the new one does.
        let err = a
            .session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidCredentials);
        let outcome = a
            .session
            .sign_in(email, Secret::new(NEW_PASSWORD))
            .await
            .unwrap();
        assert!(matches!(outcome, SignInOutcome::SignedIn { .. }));
        assert!(a.stored_refresh_token().is_some());
    }

    /// Issue 9: the device token this installation got at sign-in stays in the keychain across a
    /// sign-out and a restart and is sent with the next sign-in, so strangers who lock the account
    /// for unknown installations (one wrong password from each of five addresses) do not lock
    /// this one out; another installation with the right password is refused.
    #[tokio::test]
    async fn the_device_token_keeps_this_installation_signing_in_when_strangers_lock_the_account() {
        let h = Harness::start().await;
        let email = "dana@example.com";
        let a = h.device();
        h.verified_account(&a, email, PASSWORD).await;
        a.session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap();
        assert_eq!(
            a.store.device_tokens(),
            1,
            "the device token is in the keychain"
        );
        let token = a
            .store
            .get(&format!(
                "device:{}:{}:{email}",
                a.session.device().installation_id,
                a.session.server_url()
            ))
            .expect("filed per installation, server and address");
        a.session.sign_out().await.unwrap();
        let a = h.restart(a);
        assert_eq!(
            a.store.device_tokens(),
            1,
            "kept across sign-out and restart"
        );

        for n in 2..=6 {
            let client = reqwest::Client::builder()
                .local_address(format!("127.0.0.{n}").parse::<std::net::IpAddr>().unwrap())
                .build()
                .unwrap();
            client
                .post(format!("{}api/auth/signin", h.url.trim_end_matches('/').to_owned() + "/"))
                .json(&serde_json::json!({
                    "email": email,
                    "password": "Wrong-Guess-123",
                    "device": {"name": "x", "os": "linux", "app": "curl", "app_version": "1", "installation_id": format!("stranger-{n}")}
                }))
                .send()
                .await
                .unwrap();
        }
        let b = h.device();
        let refused = b
            .session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::Locked, "{refused:?}");

        let outcome = a
            .session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap();
        assert!(
            matches!(outcome, SignInOutcome::SignedIn { .. }),
            "{outcome:?}"
        );
        let rotated = a
            .store
            .get(&format!(
                "device:{}:{}:{email}",
                a.session.device().installation_id,
                a.session.server_url()
            ))
            .unwrap();
        assert_ne!(
            rotated.expose(),
            token.expose(),
            "a new token at every sign-in"
        );
    }

    #[tokio::test]
    async fn restore_session_after_a_restart_from_the_keychain() {
        let h = Harness::start().await;
        let email = "restart@example.com";
        let a = h.device();
        h.verified_account(&a, email, PASSWORD).await;
        a.session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap();
        let session_id = a.session.session_id().await.unwrap();
        let before = a.stored_refresh_token().unwrap();

        let b = h.restart(a);
        assert!(
            !b.session.is_signed_in().await,
            "a new process starts empty"
        );
        let mut events = b.session.subscribe();
        let user = b
            .session
            .restore_session()
            .await
            .unwrap()
            .expect("restored");
        assert_eq!(user.email, email);
        assert_eq!(
            b.session.session_id().await.unwrap(),
            session_id,
            "same session"
        );
        assert_ne!(
            b.stored_refresh_token().unwrap(),
            before,
            "rotated at start"
        );
        assert_eq!(
            drain(&mut events),
            vec![AccountEvent::AccountChanged(Some(user.clone()))]
        );
        assert_eq!(b.session.current_account().await.unwrap(), user);
        // Asking again does not spend another refresh token.
        let now = b.stored_refresh_token().unwrap();
        assert_eq!(b.session.restore_session().await.unwrap(), Some(user));
        assert_eq!(b.stored_refresh_token().unwrap(), now);
    }

    #[tokio::test]
    async fn a_revoked_session_ends_with_a_clear_reason_and_leaves_the_keychain() {
        let h = Harness::start().await;
        let email = "revoked@example.com";
        let laptop = h.device();
        let desktop = h.device();
        h.verified_account(&laptop, email, PASSWORD).await;
        laptop
            .session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap();
        desktop
            .session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap();
        let mut events = laptop.session.subscribe();

        // From the desktop: change the password and end every other session.
        let changed = desktop
            .session
            .change_password(Secret::new(PASSWORD), Secret::new(NEW_PASSWORD), true)
            .await
            .unwrap();
        assert!(changed.sessions_revoked >= 1, "{changed:?}");

        let err = laptop.session.current_account().await.unwrap_err();
        assert_eq!(err.code, ErrorCode::SessionRevoked, "{err:?}");
        assert_eq!(laptop.store.len(), 0, "keychain entry removed");
        assert!(!laptop.session.is_signed_in().await);
        let seen = drain(&mut events);
        assert_eq!(
            seen,
            vec![
                AccountEvent::SessionEnded {
                    reason: CoreError::new(ErrorCode::SessionRevoked)
                        .with_message(err.message.clone())
                        .to_body()
                },
                AccountEvent::AccountChanged(None),
            ]
        );
        // A restart finds nothing to restore.
        let laptop = h.restart(laptop);
        assert_eq!(laptop.session.restore_session().await.unwrap(), None);
        // The desktop is unaffected.
        assert_eq!(
            desktop.session.current_account().await.unwrap().email,
            email
        );
    }

    #[tokio::test]
    async fn a_stolen_refresh_token_used_twice_ends_the_session_at_restart() {
        let h = Harness::start().await;
        let email = "reuse@example.com";
        let a = h.device();
        h.verified_account(&a, email, PASSWORD).await;
        a.session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap();
        let stolen = a.stored_refresh_token().unwrap();

        // The thief refreshes first; the app's own token is now spent.
        let api = ApiClient::new(&h.url, "thief").unwrap();
        let _: SessionTokens = api
            .post(
                paths::REFRESH,
                &RefreshRequest {
                    refresh_token: Secret::new(stolen.clone()),
                },
                None,
            )
            .await
            .unwrap();
        let b = h.restart(a);
        let mut events = b.session.subscribe();
        let err = b.session.restore_session().await.unwrap_err();
        assert!(ends_session(&err), "{err:?}");
        assert_eq!(b.store.len(), 0);
        assert!(matches!(
            drain(&mut events).first(),
            Some(AccountEvent::SessionEnded { .. })
        ));
        // And the thief's fresh tokens died with the session.
        let err = api
            .post::<_, SessionTokens>(
                paths::REFRESH,
                &RefreshRequest {
                    refresh_token: Secret::new(stolen),
                },
                None,
            )
            .await
            .unwrap_err();
        assert!(ends_session(&err), "{err:?}");
    }

    #[tokio::test]
    async fn concurrent_calls_after_expiry_spend_the_refresh_token_once() {
        let h = Harness::start().await;
        let email = "busy@example.com";
        let a = h.device();
        h.verified_account(&a, email, PASSWORD).await;
        a.session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap();
        h.clock.advance(time::Duration::minutes(16));
        let s = &a.session;
        let (r1, r2, r3, r4, r5, r6) = tokio::join!(
            s.current_account(),
            s.current_account(),
            s.current_account(),
            s.current_account(),
            s.current_account(),
            s.current_account()
        );
        for result in [r1, r2, r3, r4, r5, r6] {
            assert_eq!(result.unwrap().email, email);
        }
        assert_eq!(
            a.session.session.lock().await.as_ref().unwrap().generation,
            1,
            "one refresh for six calls"
        );
    }

    #[tokio::test]
    async fn signing_in_again_ends_the_previous_session_on_the_server() {
        let h = Harness::start().await;
        let email = "twice@example.com";
        let a = h.device();
        h.verified_account(&a, email, PASSWORD).await;
        a.session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap();
        let first = a.session.session_id().await.unwrap();
        let old_access = a
            .session
            .session
            .lock()
            .await
            .as_ref()
            .unwrap()
            .access_token
            .clone()
            .unwrap();
        a.session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap();
        assert_ne!(a.session.session_id().await.unwrap(), first);
        let api = ApiClient::new(&h.url, "test").unwrap();
        let err = api
            .get_authed::<UserProfile>(paths::ACCOUNT, &old_access)
            .await
            .unwrap_err();
        assert!(ends_session(&err), "{err:?}");
        assert_eq!(a.session.current_account().await.unwrap().email, email);
    }

    #[tokio::test]
    async fn a_keychain_that_refuses_leaves_the_app_signed_out() {
        let h = Harness::start().await;
        let email = "nokeychain@example.com";
        let a = h.device();
        h.verified_account(&a, email, PASSWORD).await;
        a.store
            .broken
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let err = a
            .session
            .sign_in(email, Secret::new(PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::KeychainUnavailable);
        assert!(!a.session.is_signed_in().await);
    }

    #[tokio::test]
    async fn signed_out_flows_reach_the_server() {
        let h = Harness::start().await;
        let email = "forgot@example.com";
        let a = h.device();
        h.verified_account(&a, email, PASSWORD).await;

        // Forgot password → reset with the mailed code → the old password is refused.
        let since = h.mail().count();
        let sent = a.session.forgot_password(email).await.unwrap();
        assert!(sent.expires_in_seconds > 0);
        let code = h.code(email, MailKind::ResetCode, since).await;
        let err = a
            .session
            .reset_password(email, code.clone(), Secret::new("short"))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::PasswordTooShort);
        h.clock.advance_secs(6);
        a.session
            .reset_password(email, code, Secret::new(NEW_PASSWORD))
            .await
            .unwrap();
        assert_eq!(
            a.session
                .sign_in(email, Secret::new(PASSWORD))
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidCredentials
        );
        a.session
            .sign_in(email, Secret::new(NEW_PASSWORD))
            .await
            .unwrap();

        // Resend too soon is refused with a retry time.
        let err = a.session.resend_verification("nobody@example.com").await;
        if let Err(err) = err {
            assert_eq!(err.code, ErrorCode::CodeResendTooSoon);
        }

        // Recovery request.
        let filed = a
            .session
            .file_recovery_request(&RecoveryRequest {
                email: email.into(),
                name: "Anna de Vries".into(),
                contact_email: "anna.other@example.com".into(),
                lost: vec!["second_factor".into()],
                details: "Created in 2024.".into(),
            })
            .await
            .unwrap();
        assert!(!filed.reference.is_empty());

        // Email change with re-entered password and the code sent to the new address.
        let new_email = "anna.new@example.com";
        let err = a
            .session
            .change_email(new_email, Secret::new(PASSWORD))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::PasswordIncorrect);
        let since = h.mail().count();
        a.session
            .change_email(new_email, Secret::new(NEW_PASSWORD))
            .await
            .unwrap();
        let code = h.code(new_email, MailKind::EmailChangeCode, since).await;
        let mut events = a.session.subscribe();
        let user = a.session.confirm_email_change(code).await.unwrap();
        assert_eq!(user.email, new_email);
        assert_eq!(
            drain(&mut events),
            vec![AccountEvent::AccountChanged(Some(user))]
        );
    }
}
