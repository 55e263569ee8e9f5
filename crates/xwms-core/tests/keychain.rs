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

/// The real xwms-server on loopback (in-memory mailbox, fast test hash cost), and the app's
/// own `Client` with the real keychain: after sign-in the refresh token is in the Secret
/// Service, no file under the app's data dir holds it, a restart restores the session from
/// the keychain, and signing out removes the entry.
#[tokio::test]
#[ignore = "needs an unlocked Secret Service; run by scripts/test.sh"]
async fn session_tokens_live_in_the_secret_service_and_nowhere_in_the_data_dir() {
    use std::time::Duration;

    use xwms_core::client::Client;
    use xwms_core::token_store::DEFAULT_SERVICE;
    use xwms_testkit::{MailKind, TestServer};

    let server = tokio::task::spawn_blocking(TestServer::start)
        .await
        .unwrap();
    let url = format!("{}/", server.url());
    let mail = server.mailbox();

    let data_dir = tempfile::tempdir().unwrap();
    let client = Client::open(data_dir.path(), "XWMS-Desktop-test", Some(&url)).unwrap();
    let account = client.account();
    let email = "keychain@example.com";
    let password = "Keychain-Test-77";
    let since = mail.count();
    account
        .sign_up("Kim", email, Secret::new(password))
        .await
        .unwrap();
    let code = mail
        .wait_for_async(email, MailKind::VerifyEmail, since, Duration::from_secs(10))
        .await
        .and_then(|m| m.code())
        .expect("verification code mailed");
    account
        .verify_email(email, Secret::new(code))
        .await
        .unwrap();
    account.sign_in(email, Secret::new(password)).await.unwrap();

    let key = account.keychain_account();
    let entry = TokenStore::new(DEFAULT_SERVICE)
        .load(&key)
        .unwrap()
        .expect("session saved in the keychain");
    let stored: serde_json::Value = serde_json::from_str(entry.expose()).unwrap();
    let refresh = stored["refresh_token"].as_str().unwrap().to_string();
    assert!(refresh.len() >= 22, "a real token: {} chars", refresh.len());
    if cfg!(target_os = "linux") {
        let seen = secret_tool_lookup(DEFAULT_SERVICE, &key).expect("secret-tool finds it");
        assert!(
            seen.contains(&refresh),
            "the refresh token is in the Secret Service"
        );
    }
    assert_no_file_contains(data_dir.path(), &refresh);

    // A restart (a new Client over the same data dir) resumes from the keychain, rotating.
    drop(client);
    let client = Client::open(data_dir.path(), "XWMS-Desktop-test", None).unwrap();
    let user = client
        .account()
        .restore_session()
        .await
        .unwrap()
        .expect("restored");
    assert_eq!(user.email, email);
    let rotated = TokenStore::new(DEFAULT_SERVICE)
        .load(&key)
        .unwrap()
        .unwrap();
    assert!(
        !rotated.expose().contains(&refresh),
        "the keychain holds the new token"
    );
    assert_no_file_contains(data_dir.path(), rotated.expose());

    client.account().sign_out().await.unwrap();
    assert_eq!(TokenStore::new(DEFAULT_SERVICE).load(&key).unwrap(), None);
    if cfg!(target_os = "linux") {
        assert_eq!(secret_tool_lookup(DEFAULT_SERVICE, &key), None);
    }
}

/// Fails when any file under `dir` contains `needle` (or its JSON's refresh token).
fn assert_no_file_contains(dir: &std::path::Path, needle: &str) {
    let mut needles = vec![needle.to_string()];
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(needle) {
        needles.push(v["refresh_token"].as_str().unwrap().to_string());
    }
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let entry = entry.unwrap();
            let p = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(p);
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&p).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for n in &needles {
                assert!(
                    !text.contains(n.as_str()),
                    "{} contains a token",
                    p.display()
                );
            }
        }
    }
    assert!(
        files >= 2,
        "the data dir has files (settings, installation id): {files}"
    );
}
