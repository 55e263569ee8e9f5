//! The security center against the real server on loopback: 2FA (codes computed with totp-rs,
//! as an authenticator app would), the timeline and alerts, sessions, API clients, and the
//! realtime channel.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::broadcast;
use xwms_api::security::{
    paths, AlertStatus, ApiClientUpdate, SecondFactorMethod, SecurityEventInfo, SecurityEventKind,
};

use super::real_server::{Device, Harness};
use super::*;
use crate::realtime_socket::Backoff;

const PASSWORD: &str = "Harbour-Lights-42";

/// What an authenticator app shows for `secret` (base32) at `unix` seconds.
fn totp_code(secret: &Secret, unix: i64) -> Secret {
    let bytes = totp_rs::Secret::try_from_base32(secret.expose()).expect("base32 secret");
    let totp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(bytes)
        .build_noncompliant();
    Secret::new(totp.generate(unix as u64).to_string())
}

fn now_unix(h: &Harness) -> i64 {
    use xwms_testkit::Clock;
    h.clock.now().unix_timestamp()
}

/// The next event `pick` accepts, within `within`.
async fn wait_for<T>(
    rx: &mut broadcast::Receiver<AccountEvent>,
    within: Duration,
    mut pick: impl FnMut(&AccountEvent) -> Option<T>,
) -> Option<T> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Err(_) => return None,
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
            Ok(Err(broadcast::error::RecvError::Closed)) => return None,
            Ok(Ok(event)) => {
                if let Some(v) = pick(&event) {
                    return Some(v);
                }
            }
        }
    }
}

/// Waits until the realtime channel is `connected` (or not).
async fn wait_connected(session: &AccountSession, connected: bool, within: Duration) -> bool {
    let mut rx = session.subscribe_realtime();
    tokio::time::timeout(within, rx.wait_for(|c| *c == connected))
        .await
        .is_ok_and(|r| r.is_ok())
}

/// A device whose session is shared with its running realtime task.
struct LiveDevice {
    session: Arc<AccountSession>,
    store: Arc<MemoryStore>,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl LiveDevice {
    fn new(device: Device) -> LiveDevice {
        let Device {
            session,
            store,
            dir,
        } = device;
        let session = Arc::new(session);
        let task = tokio::spawn(Arc::clone(&session).run_realtime_with(Backoff {
            first: Duration::from_millis(50),
            max: Duration::from_millis(400),
        }));
        LiveDevice {
            session,
            store,
            _dir: dir,
            task,
        }
    }
}

impl Drop for LiveDevice {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn signed_in(h: &Harness, email: &str) -> Device {
    let d = h.device();
    let outcome = d
        .session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    assert!(
        matches!(outcome, SignInOutcome::SignedIn { .. }),
        "{outcome:?}"
    );
    d
}

#[tokio::test]
async fn two_factor_enrolment_sign_in_with_totp_replay_refused_recovery_code_once() {
    let h = Harness::start().await;
    let email = "totp@example.com";
    let a = h.device();
    h.verified_account(&a, email, PASSWORD).await;
    a.session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    let mut events = a.session.subscribe();

    // Without a pending sign-in there is nothing to complete.
    assert!(!a.session.second_factor_pending());
    assert_eq!(
        a.session
            .complete_second_factor(SecondFactorMethod::Totp, Secret::new("123456"))
            .await
            .unwrap_err()
            .code,
        ErrorCode::TwoFactorChallengeExpired
    );

    // Enrolment: the password again, then the secret to scan or type.
    assert_eq!(
        a.session
            .start_two_factor(Secret::new("Wrong-Password-1"))
            .await
            .unwrap_err()
            .code,
        ErrorCode::PasswordIncorrect
    );
    let started = Instant::now();
    let enrolment = a
        .session
        .start_two_factor(Secret::new(PASSWORD))
        .await
        .unwrap();
    let rendered = started.elapsed();
    assert_eq!(enrolment.account_name, email);
    assert_eq!(enrolment.issuer, "XWMS");
    assert_eq!((enrolment.digits, enrolment.period_seconds), (6, 30));
    assert_eq!(
        enrolment.secret_groups.expose().replace(' ', ""),
        enrolment.secret.expose()
    );
    assert!(enrolment
        .secret_groups
        .expose()
        .split(' ')
        .all(|g| (1..=4).contains(&g.len())));
    assert!(enrolment
        .otpauth_uri
        .expose()
        .starts_with("otpauth://totp/"));
    assert!(enrolment.qr_svg.starts_with("<svg"));
    println!("2FA setup with its QR code: {rendered:?}");

    // A wrong code does not turn it on; the app's code does, with ten recovery codes.
    let secret = enrolment.secret.clone();
    let right = totp_code(&secret, now_unix(&h));
    let wrong = if right.expose() == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert_eq!(
        a.session
            .enable_two_factor(Secret::new(wrong))
            .await
            .unwrap_err()
            .code,
        ErrorCode::TwoFactorCodeIncorrect
    );
    let drained = std::iter::from_fn(|| events.try_recv().ok()).count();
    assert_eq!(drained, 0, "a failed change tells nobody");
    let recovery = a.session.enable_two_factor(right).await.unwrap();
    assert_eq!(recovery.codes.len(), 10);
    assert_eq!(events.try_recv().unwrap(), AccountEvent::SecurityChanged);
    let overview = a.session.security_overview().await.unwrap();
    assert!(overview.two_factor.enabled);
    assert_eq!(overview.two_factor.recovery_codes_left, 10);

    // Sign out and in: now a second factor is asked for; the challenge stays in the core.
    a.session.sign_out().await.unwrap();
    let outcome = a
        .session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    let SignInOutcome::SecondFactor { methods } = outcome else {
        panic!("2FA is on: {outcome:?}")
    };
    assert!(methods.contains(&SecondFactorMethod::Totp), "{methods:?}");
    assert!(
        methods.contains(&SecondFactorMethod::RecoveryCode),
        "{methods:?}"
    );
    assert!(a.session.second_factor_pending());
    assert!(!a.session.is_signed_in().await);
    assert_eq!(
        a.store.len(),
        0,
        "nothing in the keychain before the second step"
    );

    // The next time step's code signs in, saved like a password sign-in.
    h.clock.advance_secs(30);
    let code = totp_code(&secret, now_unix(&h));
    let user = a
        .session
        .complete_second_factor(SecondFactorMethod::Totp, code.clone())
        .await
        .unwrap();
    assert_eq!(user.email, email);
    assert!(a.session.is_signed_in().await);
    assert!(!a.session.second_factor_pending());
    assert!(
        a.stored_refresh_token().is_some(),
        "the session is in the keychain"
    );
    assert_eq!(a.session.current_account().await.unwrap().email, email);

    // The same code again (a replay) is refused, and the challenge stays for another try.
    a.session.sign_out().await.unwrap();
    a.session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    let replay = a
        .session
        .complete_second_factor(SecondFactorMethod::Totp, code)
        .await
        .unwrap_err();
    assert_eq!(replay.code, ErrorCode::TwoFactorCodeUsed, "{replay:?}");
    assert!(a.session.second_factor_pending());
    assert!(!a.session.is_signed_in().await);

    // A recovery code works once (any case, spaces around it).
    let first = recovery.codes[0].clone();
    let typed = Secret::new(format!(" {} ", first.expose().to_uppercase()));
    a.session
        .complete_second_factor(SecondFactorMethod::RecoveryCode, typed)
        .await
        .unwrap();
    a.session.sign_out().await.unwrap();
    a.session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    let again = a
        .session
        .complete_second_factor(SecondFactorMethod::RecoveryCode, first)
        .await
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::TwoFactorCodeIncorrect, "{again:?}");
    a.session
        .complete_second_factor(SecondFactorMethod::RecoveryCode, recovery.codes[1].clone())
        .await
        .unwrap();
    let overview = a.session.security_overview().await.unwrap();
    assert_eq!(overview.two_factor.recovery_codes_left, 8);

    // A challenge the server let expire is forgotten here too.
    a.session.sign_out().await.unwrap();
    a.session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    h.clock.advance(time::Duration::hours(1));
    let late = a
        .session
        .complete_second_factor(SecondFactorMethod::Totp, totp_code(&secret, now_unix(&h)))
        .await
        .unwrap_err();
    assert_eq!(late.code, ErrorCode::TwoFactorChallengeExpired, "{late:?}");
    assert!(!a.session.second_factor_pending());

    // A new set of recovery codes voids the old one.
    a.session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    h.clock.advance_secs(30);
    a.session
        .complete_second_factor(SecondFactorMethod::Totp, totp_code(&secret, now_unix(&h)))
        .await
        .unwrap();
    let fresh = a
        .session
        .regenerate_recovery_codes(Secret::new(PASSWORD))
        .await
        .unwrap();
    assert_eq!(fresh.codes.len(), 10);
    assert!(fresh.codes.iter().all(|c| !recovery.codes.contains(c)));
    let text = crate::two_factor_setup::recovery_codes_text(
        &fresh.codes,
        email,
        &fresh.generated_at,
        xwms_api::Language::Nl,
    );
    assert!(fresh.codes.iter().all(|c| text.contains(c.expose())));

    // Turning it off needs the password and a current code; then sign-in is one step again.
    assert_eq!(
        a.session
            .disable_two_factor(Secret::new(PASSWORD), Secret::new(wrong))
            .await
            .unwrap_err()
            .code,
        ErrorCode::TwoFactorCodeIncorrect
    );
    h.clock.advance_secs(30);
    a.session
        .disable_two_factor(Secret::new(PASSWORD), totp_code(&secret, now_unix(&h)))
        .await
        .unwrap();
    assert!(
        !a.session
            .security_overview()
            .await
            .unwrap()
            .two_factor
            .enabled
    );
    a.session.sign_out().await.unwrap();
    let outcome = a
        .session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    assert!(
        matches!(outcome, SignInOutcome::SignedIn { .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn the_timeline_pages_and_new_sign_in_alerts_are_confirmed_or_denied() {
    let h = Harness::start().await;
    let email = "alerts@example.com";
    let a = h.device();
    h.verified_account(&a, email, PASSWORD).await;
    a.session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    let b = signed_in(&h, email).await;
    let c = signed_in(&h, email).await;
    let b_id = b.session.session_id().await.unwrap();
    let c_id = c.session.session_id().await.unwrap();

    let page = a.session.security_events(None, 200).await.unwrap();
    let alert_for = |id: &str| -> SecurityEventInfo {
        page.events
            .iter()
            .find(|e| e.alert && e.session_id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("an alert for {id} in {:#?}", page.events))
            .clone()
    };
    let (b_alert, c_alert) = (alert_for(&b_id), alert_for(&c_id));
    assert_eq!(b_alert.alert_status, Some(AlertStatus::Pending));
    assert!(b_alert.session_active);
    let overview = a.session.security_overview().await.unwrap();
    assert_eq!(overview.active_sessions, 3);
    assert!(overview.unrecognised_sessions >= 2, "{overview:?}");

    // Newest first, in pages that follow on from each other.
    let first = a.session.security_events(None, 1).await.unwrap();
    assert_eq!(first.events.len(), 1);
    assert_eq!(first.events[0], page.events[0]);
    let before = first.next_before.clone().expect("more than one event");
    let second = a.session.security_events(Some(before), 1).await.unwrap();
    assert_eq!(second.events[0], page.events[1]);

    // "This was me" keeps the session; "Not me" ends it at once.
    let mut events = a.session.subscribe();
    let confirmed = a.session.confirm_sign_in(&b_alert.id).await.unwrap();
    assert_eq!(confirmed.alert_status, Some(AlertStatus::Confirmed));
    assert_eq!(events.try_recv().unwrap(), AccountEvent::SecurityChanged);
    assert_eq!(b.session.current_account().await.unwrap().email, email);
    let denied = a.session.deny_sign_in(&c_alert.id).await.unwrap();
    assert_eq!(denied.alert_status, Some(AlertStatus::Denied));
    assert_eq!(
        c.session.current_account().await.unwrap_err().code,
        ErrorCode::SessionRevoked
    );
    assert_eq!(c.store.len(), 0);

    // Unknown ids, and ids that try to leave their path segment, are just not found.
    for id in ["no-such-event", "../../sessions", "a/b?c#d"] {
        assert_eq!(
            a.session.confirm_sign_in(id).await.unwrap_err().code,
            ErrorCode::SecurityEventNotFound,
            "{id}"
        );
    }
    assert_eq!(
        a.session.deny_sign_in("").await.unwrap_err().code,
        ErrorCode::FieldRequired
    );
}

#[tokio::test]
async fn sessions_are_listed_and_ended_one_or_all_others() {
    let h = Harness::start().await;
    let email = "sessions@example.com";
    let a = h.device();
    h.verified_account(&a, email, PASSWORD).await;
    a.session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    let b = signed_in(&h, email).await;
    let c = signed_in(&h, email).await;
    let a_id = a.session.session_id().await.unwrap();
    let b_id = b.session.session_id().await.unwrap();

    let list = a.session.sessions().await.unwrap();
    assert_eq!(list.sessions.len(), 3);
    let me = &list.sessions[0];
    assert!(me.current, "this device first: {list:#?}");
    assert_eq!(me.id, a_id);
    assert_eq!(me.app, "xwms-core-test");
    assert_eq!(me.device_name, a.session.device().name);
    assert_eq!(me.ip, "127.0.0.1");
    assert_eq!(list.sessions.iter().filter(|s| s.current).count(), 1);

    assert_eq!(
        a.session.revoke_session(&a_id).await.unwrap_err().code,
        ErrorCode::SessionIsCurrent
    );
    let mut events = a.session.subscribe();
    a.session.revoke_session(&b_id).await.unwrap();
    assert_eq!(events.try_recv().unwrap(), AccountEvent::SecurityChanged);
    assert_eq!(
        b.session.current_account().await.unwrap_err().code,
        ErrorCode::SessionRevoked
    );
    assert_eq!(
        a.session.revoke_session(&b_id).await.unwrap_err().code,
        ErrorCode::SessionNotFound
    );
    assert_eq!(
        a.session.revoke_session("").await.unwrap_err().code,
        ErrorCode::FieldRequired
    );

    assert_eq!(
        a.session
            .revoke_other_sessions(Secret::new("Wrong-Password-1"))
            .await
            .unwrap_err()
            .code,
        ErrorCode::PasswordIncorrect
    );
    let revoked = a
        .session
        .revoke_other_sessions(Secret::new(PASSWORD))
        .await
        .unwrap();
    assert_eq!(revoked.sessions_revoked, 1);
    assert_eq!(
        c.session.current_account().await.unwrap_err().code,
        ErrorCode::SessionRevoked
    );
    let list = a.session.sessions().await.unwrap();
    assert_eq!(list.sessions.len(), 1);
    assert_eq!(list.sessions[0].id, a_id);
}

/// `GET /api/client/identity` with HTTP Basic credentials, as an API client checks them.
async fn identity_status(
    h: &Harness,
    client_id: &str,
    secret: &Secret,
) -> (u16, serde_json::Value) {
    let url = format!(
        "{}{}",
        h.url,
        paths::CLIENT_IDENTITY.trim_start_matches('/')
    );
    let response = reqwest::Client::new()
        .get(url)
        .basic_auth(client_id, Some(secret.expose()))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn api_clients_are_created_renamed_disabled_given_a_new_secret_and_deleted() {
    let h = Harness::start().await;
    let email = "api@example.com";
    let a = h.device();
    h.verified_account(&a, email, PASSWORD).await;
    a.session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    let me = a.session.current_account().await.unwrap();

    assert!(a.session.api_clients().await.unwrap().clients.is_empty());
    let created = a.session.create_api_client("CI pipeline").await.unwrap();
    assert!(
        created.client.client_id.starts_with("xwms_ci_"),
        "{created:?}"
    );
    assert!(created.client_secret.expose().starts_with("xwms_cs_"));
    assert!(created.client.enabled);
    assert!(!format!("{created:?}").contains(created.client_secret.expose()));
    let (status, body) =
        identity_status(&h, &created.client.client_id, &created.client_secret).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["name"], "CI pipeline");
    assert_eq!(body["data"]["owner"], me.sub.as_str());
    assert_eq!(
        a.session
            .create_api_client("ci PIPELINE")
            .await
            .unwrap_err()
            .code,
        ErrorCode::ApiClientNameTaken
    );

    let id = created.client.id.clone();
    let renamed = a
        .session
        .update_api_client(
            &id,
            ApiClientUpdate {
                name: Some("Deploys".into()),
                enabled: Some(false),
            },
        )
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.enabled), ("Deploys", false));
    let (status, body) =
        identity_status(&h, &created.client.client_id, &created.client_secret).await;
    assert_eq!(body["code"], "api_client.disabled", "{status} {body}");
    a.session
        .update_api_client(
            &id,
            ApiClientUpdate {
                name: None,
                enabled: Some(true),
            },
        )
        .await
        .unwrap();

    let rotated = a.session.regenerate_api_client_secret(&id).await.unwrap();
    assert_ne!(rotated.client_secret, created.client_secret);
    let (old, _) = identity_status(&h, &created.client.client_id, &created.client_secret).await;
    assert_eq!(old, 401, "the old secret stops working at once");
    let (new, body) = identity_status(&h, &rotated.client.client_id, &rotated.client_secret).await;
    assert_eq!(new, 200, "{body}");

    let list = a.session.api_clients().await.unwrap();
    assert_eq!(list.clients.len(), 1);
    assert_eq!(list.clients[0].name, "Deploys");
    assert!(list.clients[0].last_used_at.is_some(), "{list:?}");

    a.session.delete_api_client(&id).await.unwrap();
    assert!(a.session.api_clients().await.unwrap().clients.is_empty());
    let (gone, _) = identity_status(&h, &rotated.client.client_id, &rotated.client_secret).await;
    assert_eq!(gone, 401);
    for result in [
        a.session.delete_api_client(&id).await.map(drop),
        a.session.regenerate_api_client_secret(&id).await.map(drop),
        a.session
            .update_api_client(
                &id,
                ApiClientUpdate {
                    name: Some("Gone".into()),
                    enabled: None,
                },
            )
            .await
            .map(drop),
    ] {
        assert_eq!(result.unwrap_err().code, ErrorCode::ApiClientNotFound);
    }
}

#[tokio::test]
async fn realtime_brings_new_sign_ins_and_ends_a_revoked_session_at_once() {
    let h = Harness::start().await;
    let email = "realtime@example.com";
    let first = h.device();
    h.verified_account(&first, email, PASSWORD).await;
    let laptop = LiveDevice::new(first);
    let mut laptop_events = laptop.session.subscribe();
    assert!(
        !laptop.session.realtime_connected(),
        "signed out: no channel"
    );

    laptop
        .session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    assert!(
        wait_connected(&laptop.session, true, Duration::from_secs(5)).await,
        "the channel opens after a sign-in"
    );
    let laptop_id = laptop.session.session_id().await.unwrap();

    // A sign-in from another installation reaches the laptop as an alert.
    let desktop = LiveDevice::new(h.device());
    let desktop_signed_in = Instant::now();
    desktop
        .session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    let desktop_id = desktop.session.session_id().await.unwrap();
    let alert = wait_for(&mut laptop_events, Duration::from_secs(5), |e| match e {
        AccountEvent::NewSignIn(event) => Some(event.clone()),
        _ => None,
    })
    .await
    .expect("NewSignIn on the laptop");
    let alert_latency = desktop_signed_in.elapsed();
    assert_eq!(alert.session_id.as_deref(), Some(desktop_id.as_str()));
    assert!(alert.alert);
    assert!(
        wait_connected(&desktop.session, true, Duration::from_secs(5)).await,
        "the desktop's channel opens too"
    );

    // The desktop ends every other session: the laptop's ends at once, keychain and all.
    let mut desktop_events = desktop.session.subscribe();
    let revoking = Instant::now();
    let revoked = desktop
        .session
        .revoke_other_sessions(Secret::new(PASSWORD))
        .await
        .unwrap();
    assert_eq!(revoked.sessions_revoked, 1);
    let reason = wait_for(&mut laptop_events, Duration::from_secs(5), |e| match e {
        AccountEvent::SessionEnded { reason } => Some(reason.clone()),
        _ => None,
    })
    .await
    .expect("SessionEnded on the laptop, without any call from it");
    let end_latency = revoking.elapsed();
    assert_eq!(reason.code, ErrorCode::SessionRevoked);
    assert_eq!(
        reason.message,
        crate::i18n::session_ended_message(
            xwms_api::security::RevokeReason::RemovedWithOthers,
            xwms_api::Language::En
        )
    );
    assert!(!laptop.session.is_signed_in().await);
    assert_eq!(laptop.store.len(), 0, "the keychain entry is gone");
    assert!(wait_connected(&laptop.session, false, Duration::from_secs(5)).await);
    assert_eq!(
        desktop_events.try_recv().unwrap(),
        AccountEvent::SecurityChanged,
        "this app's own change"
    );
    assert!(
        desktop.session.realtime_connected(),
        "the desktop stays connected"
    );
    println!(
        "realtime: alert after {alert_latency:?}, session ended {end_latency:?} after the revoke"
    );

    // Signing in again opens the channel again, for the new session.
    laptop
        .session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    assert_ne!(laptop.session.session_id().await.unwrap(), laptop_id);
    assert!(wait_connected(&laptop.session, true, Duration::from_secs(5)).await);
    // Another server address closes it (signed out there); signing in there opens it again.
    let elsewhere = h.url.replace("127.0.0.1", "localhost");
    laptop.session.set_server(&elsewhere).await.unwrap();
    assert!(wait_connected(&laptop.session, false, Duration::from_secs(5)).await);
    laptop
        .session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    assert!(wait_connected(&laptop.session, true, Duration::from_secs(5)).await);
    // Signing out closes it.
    laptop.session.sign_out().await.unwrap();
    assert!(wait_connected(&laptop.session, false, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn realtime_security_changes_from_another_device_arrive_as_events() {
    let h = Harness::start().await;
    let email = "changes@example.com";
    let first = h.device();
    h.verified_account(&first, email, PASSWORD).await;
    let laptop = LiveDevice::new(first);
    laptop
        .session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    assert!(wait_connected(&laptop.session, true, Duration::from_secs(5)).await);
    let other = signed_in(&h, email).await;
    let mut events = laptop.session.subscribe();
    other
        .session
        .create_api_client("From elsewhere")
        .await
        .unwrap();
    let changed = |e: &AccountEvent| (*e == AccountEvent::SecurityChanged).then_some(());
    assert!(
        wait_for(&mut events, Duration::from_secs(5), changed)
            .await
            .is_some(),
        "SecurityChanged on the laptop"
    );

    // 2FA turned on elsewhere: from the enrolment to the laptop hearing of it.
    let started = Instant::now();
    let enrolment = other
        .session
        .start_two_factor(Secret::new(PASSWORD))
        .await
        .unwrap();
    other
        .session
        .enable_two_factor(totp_code(&enrolment.secret, now_unix(&h)))
        .await
        .unwrap();
    let enabled = started.elapsed();
    assert!(
        wait_for(&mut events, Duration::from_secs(5), changed)
            .await
            .is_some(),
        "SecurityChanged on the laptop after 2FA was turned on elsewhere"
    );
    println!(
        "2FA setup + enable: {enabled:?}; the laptop heard of it after {:?}",
        started.elapsed()
    );
    assert!(
        laptop
            .session
            .security_overview()
            .await
            .unwrap()
            .two_factor
            .enabled
    );
}

/// A server of our own on a fixed address and data folder, so it can be stopped and started
/// again like a real deployment restarting.
fn restartable(
    listen: std::net::SocketAddr,
    data_dir: &std::path::Path,
    mailer: &xwms_testkit::MemoryMailer,
) -> (xwms_testkit::TestServer, std::net::SocketAddr) {
    let server = xwms_testkit::TestServer::start_with(xwms_testkit::TestServerOptions {
        demo: false,
        listen,
        data_dir: Some(data_dir.to_path_buf()),
        mailbox: Some(mailer.clone()),
        name: "XWMS Restart".into(),
        ..Default::default()
    });
    let addr = server.addr();
    (server, addr)
}

#[tokio::test]
async fn realtime_reconnects_after_the_server_restarts() {
    let data = tempfile::tempdir().unwrap();
    let mailer = xwms_testkit::MemoryMailer::new();
    let any_port = "127.0.0.1:0".parse().unwrap();
    let (server, addr) = tokio::task::spawn_blocking({
        let (dir, mailer) = (data.path().join("server"), mailer.clone());
        move || restartable(any_port, &dir, &mailer)
    })
    .await
    .unwrap();
    let url = format!("http://{addr}/");
    let app_dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::default());
    let session =
        AccountSession::new(&url, app_dir.path(), super::identity(), store.clone()).unwrap();
    let email = "restart@example.com";
    session
        .sign_up("Anna de Vries", email, Secret::new(PASSWORD))
        .await
        .unwrap();
    let mail = mailer
        .wait_for_async(
            email,
            xwms_testkit::MailKind::VerifyEmail,
            0,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    session
        .verify_email(email, Secret::new(mail.code().unwrap()))
        .await
        .unwrap();
    session.sign_in(email, Secret::new(PASSWORD)).await.unwrap();
    let device = LiveDevice::new(Device {
        session,
        store,
        dir: app_dir,
    });
    assert!(wait_connected(&device.session, true, Duration::from_secs(5)).await);
    let mut events = device.session.subscribe();

    // The server goes away: the channel notices; the session is kept (offline is normal).
    tokio::task::spawn_blocking(move || server.stop())
        .await
        .unwrap();
    assert!(wait_connected(&device.session, false, Duration::from_secs(5)).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(device.session.is_signed_in().await, "still signed in");

    // Back on the same address with the same data: the channel reconnects by itself.
    let (again, same) = tokio::task::spawn_blocking({
        let (dir, mailer) = (data.path().join("server"), mailer.clone());
        move || restartable(addr, &dir, &mailer)
    })
    .await
    .unwrap();
    assert_eq!(same, addr);
    assert!(
        wait_connected(&device.session, true, Duration::from_secs(10)).await,
        "reconnected after the restart"
    );
    // What happened meanwhile is unknown: screens are told to refresh.
    let changed = |e: &AccountEvent| (*e == AccountEvent::SecurityChanged).then_some(());
    assert!(wait_for(&mut events, Duration::from_secs(5), changed)
        .await
        .is_some());
    assert_eq!(device.session.current_account().await.unwrap().email, email);
    drop(device);
    tokio::task::spawn_blocking(move || again.stop())
        .await
        .unwrap();
}

/// Signs up and verifies `email` on the server at `url` through a throwaway installation.
async fn account_on(url: &str, mailer: &xwms_testkit::MemoryMailer, email: &str) {
    let dir = tempfile::tempdir().unwrap();
    let session = AccountSession::new(
        url,
        dir.path(),
        super::identity(),
        Arc::new(MemoryStore::default()),
    )
    .unwrap();
    session
        .sign_up("Anna de Vries", email, Secret::new(PASSWORD))
        .await
        .unwrap();
    let mail = mailer
        .wait_for_async(
            email,
            xwms_testkit::MailKind::VerifyEmail,
            0,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    session
        .verify_email(email, Secret::new(mail.code().unwrap()))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_sign_out_while_offline_reaches_the_server_when_it_answers_again() {
    let data = tempfile::tempdir().unwrap();
    let mailer = xwms_testkit::MemoryMailer::new();
    let any_port = "127.0.0.1:0".parse().unwrap();
    let (server, addr) = tokio::task::spawn_blocking({
        let (dir, mailer) = (data.path().join("server"), mailer.clone());
        move || restartable(any_port, &dir, &mailer)
    })
    .await
    .unwrap();
    let url = format!("http://{addr}/");
    let email = "offline-sign-out@example.com";
    account_on(&url, &mailer, email).await;

    // The app (the whole client, with its background work) and a second device.
    let app_dir = tempfile::tempdir().unwrap();
    let store = Arc::new(MemoryStore::default());
    let client =
        crate::client::Client::open_with_store(app_dir.path(), "test", Some(&url), store.clone())
            .unwrap();
    let _events = client.start();
    let account = client.account();
    account.sign_in(email, Secret::new(PASSWORD)).await.unwrap();
    let app_session = account.session_id().await.unwrap();
    let session_entry = account.keychain_account();
    let queue_entry = account.sign_out_keychain_account();
    assert!(store.get(&session_entry).is_some());
    let other_dir = tempfile::tempdir().unwrap();
    let other = AccountSession::new(
        &url,
        other_dir.path(),
        super::identity(),
        Arc::new(MemoryStore::default()),
    )
    .unwrap();
    other.sign_in(email, Secret::new(PASSWORD)).await.unwrap();

    // The server goes away; the person signs out: signed out here at once, the revoke queued.
    tokio::task::spawn_blocking(move || server.stop())
        .await
        .unwrap();
    let mut changes = account.subscribe();
    account.sign_out().await.expect("signing out offline works");
    assert_eq!(
        changes.try_recv().unwrap(),
        AccountEvent::AccountChanged(None)
    );
    assert!(!account.is_signed_in().await);
    assert!(
        store.get(&session_entry).is_none(),
        "the session entry is gone"
    );
    let queued = store.get(&queue_entry).expect("the sign-out is queued");
    let queued: serde_json::Value = serde_json::from_str(queued.expose()).unwrap();
    let queued = queued.as_array().unwrap();
    assert_eq!(queued.len(), 1);
    let mut keys: Vec<&str> = queued[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "refresh_expires_at",
            "refresh_token",
            "server_url",
            "session_id"
        ],
        "only what the revoke needs"
    );
    assert_eq!(queued[0]["session_id"], app_session.as_str());
    assert_eq!(account.pending_sign_outs().await.unwrap(), 1);

    // Back on the same address: the connection monitor sees it, the outbox sends the revoke.
    let (again, _) = tokio::task::spawn_blocking({
        let (dir, mailer) = (data.path().join("server"), mailer.clone());
        move || restartable(addr, &dir, &mailer)
    })
    .await
    .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while store.get(&queue_entry).is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the queued sign-out was sent within 20 s of the server's return"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listed = other.sessions().await.unwrap();
    assert!(
        listed.sessions.iter().all(|s| s.id != app_session),
        "the app's session is revoked on the server"
    );
    assert_eq!(listed.sessions.len(), 1, "only the other device is left");
    // Sending again revokes nothing more (R26): the queue is empty and stays so.
    assert_eq!(account.send_pending_sign_outs().await.unwrap(), 0);
    assert_eq!(
        store.len(),
        0,
        "nothing of the session is left in the keychain"
    );
    drop(client);
    tokio::task::spawn_blocking(move || again.stop())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_queued_sign_out_sent_twice_revokes_once_and_counts_as_done() {
    let h = Harness::start().await;
    let email = "twice@example.com";
    let first = h.device();
    h.verified_account(&first, email, PASSWORD).await;
    first
        .session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    let watcher = signed_in(&h, email).await;
    let id = first.session.session_id().await.unwrap();
    // The same session queued twice (as after a crash between send and settle), without an
    // access token: both entries go by the refresh token, the second finds it over already.
    let live = first.session.session.lock().await.take().unwrap();
    let entry = sign_out::PendingSignOut {
        server_url: first.session.server_url(),
        session_id: live.session_id.clone(),
        refresh_token: live.refresh_token.clone(),
        refresh_expires_at: live.refresh_expires_at.clone(),
    };
    first
        .session
        .save_pending(vec![entry.clone(), entry])
        .await
        .unwrap();
    assert_eq!(first.session.send_pending_sign_outs().await.unwrap(), 0);
    assert!(first
        .store
        .get(&first.session.sign_out_keychain_account())
        .is_none());
    let sessions = watcher.session.sessions().await.unwrap().sessions;
    assert!(sessions.iter().all(|s| s.id != id), "revoked");
    // Revoked by the sign-out, not as a stolen refresh token.
    let page = watcher.session.security_events(None, 50).await.unwrap();
    assert!(
        page.events
            .iter()
            .all(|e| e.kind != SecurityEventKind::RefreshTokenReused),
        "{:?}",
        page.events.iter().map(|e| &e.kind).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn outside_the_window_a_session_is_removed_after_the_password_is_confirmed() {
    let h = Harness::start().await;
    let email = "sudo@example.com";
    let first = h.device();
    h.verified_account(&first, email, PASSWORD).await;
    first
        .session
        .sign_in(email, Secret::new(PASSWORD))
        .await
        .unwrap();
    let other = signed_in(&h, email).await;
    let other_id = other.session.session_id().await.unwrap();
    // Eleven minutes after the sign-in: the password is needed again.
    h.clock.advance(time::Duration::minutes(11));
    let err = first.session.revoke_session(&other_id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::ReauthRequired);
    let err = first
        .session
        .reauthenticate(Secret::new("Wrong-Password-1"))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PasswordIncorrect);
    let confirmed = first
        .session
        .reauthenticate(Secret::new(PASSWORD))
        .await
        .unwrap();
    assert!(!confirmed.reauthenticated_until.is_empty());
    first.session.revoke_session(&other_id).await.unwrap();
    let left = first.session.sessions().await.unwrap().sessions;
    assert_eq!(left.len(), 1);
}
