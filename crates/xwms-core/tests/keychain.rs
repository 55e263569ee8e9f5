//! Round trip through the real OS keychain.
//!
//! On Linux this needs a D-Bus session with an unlocked gnome-keyring; `scripts/test.sh` starts
//! both and runs these tests with `--ignored`. They are ignored in a plain `cargo test` because
//! a developer's machine may have no unlocked keychain; they never pass without touching one.

use std::process::Command;

use xwms_core::secret::Secret;
use xwms_core::token_store::TokenStore;

fn unique_service() -> String {
    format!(
        "nl.xwms.test.{}.{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// Reads the entry back with libsecret's own tool, independently of the `keyring` crate.
fn secret_tool_lookup(service: &str, account: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", account])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
#[ignore = "needs an unlocked Secret Service; run by scripts/test.sh"]
fn keychain_round_trip_through_secret_service() {
    let store = TokenStore::new(unique_service());
    let account = "session:http://127.0.0.1:8787/";
    let token = Secret::new("xwms-test-token-4f1c2b9a7e");

    assert_eq!(store.load(account).unwrap(), None, "fresh service is empty");
    store.save(account, &token).unwrap();
    assert_eq!(store.load(account).unwrap(), Some(token.clone()));

    if cfg!(target_os = "linux") {
        assert_eq!(
            secret_tool_lookup(store.service(), account).as_deref(),
            Some(token.expose()),
            "the token is in the Secret Service itself, not in a mock store"
        );
    }

    let replaced = Secret::new("xwms-test-token-second");
    store.save(account, &replaced).unwrap();
    assert_eq!(store.load(account).unwrap(), Some(replaced));

    store.delete(account).unwrap();
    assert_eq!(store.load(account).unwrap(), None, "cleaned up");
    store.delete(account).unwrap();
    if cfg!(target_os = "linux") {
        assert_eq!(secret_tool_lookup(store.service(), account), None);
    }
}
