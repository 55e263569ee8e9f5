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
