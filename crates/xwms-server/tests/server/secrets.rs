//! Secrets at rest (issue 9): TOTP secrets sealed under the server key, recovery codes peppered,
//! plain rows of before sealed at start, the key file's checks, and key rotation; on real
//! SQLite files, through the routes, the real start-up and the executable.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use serde_json::json;
use xwms_api::ErrorCode;
use xwms_server::config::Settings;
use xwms_server::secrets::{self, KeyError, KEY_FILE};
use xwms_server::server::{Server, StartError};
use xwms_server::{Clock, FixedClock};

use crate::support::{harness, totp_code, Harness, NOW, PASSWORD};
use crate::two_factor::{enable, second_factor};

const ANNA: &str = "anna@example.com";
const BOB: &str = "bob@example.com";
const EXE: &str = env!("CARGO_BIN_EXE_xwms-server");

async fn user_id(h: &Harness, email: &str) -> String {
    let email = email.to_owned();
    h.query(move |c| {
        c.query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
            r.get(0)
        })
    })
    .await
}

/// The stored (secret, pending_secret) of `user`.
async fn stored(h: &Harness, user: &str) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let user = user.to_owned();
    h.query(move |c| {
        c.query_row(
            "SELECT secret, pending_secret FROM two_factor WHERE user_id = ?1",
            [user],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    })
    .await
}

async fn recovery_hashes(h: &Harness, user: &str) -> Vec<String> {
    let user = user.to_owned();
    h.query(move |c| {
        c.prepare("SELECT hash FROM recovery_codes WHERE user_id = ?1")?
            .query_map([user], |r| r.get(0))?
            .collect()
    })
    .await
}

fn raw_secret(base32: &str) -> Vec<u8> {
    totp_rs::Secret::try_from_base32(base32)
        .unwrap()
        .as_bytes()
        .to_vec()
}

/// Every byte of the database's files (main file, WAL, shared memory).
fn database_bytes(dir: &Path) -> Vec<u8> {
    let mut all = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(xwms_server::store::DB_FILE) {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Signs in `email` with its password and answers the challenge id of the second step.
async fn challenge_of(h: &Harness, email: &str) -> String {
    let answer = h.sign_in_answer(email, PASSWORD).await;
    answer.ok(200);
    assert_eq!(answer.data()["result"], "second_factor", "{}", answer.body);
    answer.data()["challenge"].as_str().unwrap().to_owned()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn write_key(path: &Path, byte: u8, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("{}\n", hex::encode([byte; 32]))).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn settings(data_dir: &Path) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_owned(),
        demo: false,
        name: "Secrets XWMS".into(),
        timezone: "UTC".into(),
        locale: "en".into(),
    }
}

/// The real start-up on `data_dir` (with `key_file` when given): the error it stops with.
async fn start_error(data_dir: &Path, key_file: Option<PathBuf>) -> Option<StartError> {
    let mailer = Arc::new(xwms_testkit::MemoryMailer::new());
    let mut services = xwms_server::Services::new(Arc::new(FixedClock(NOW)), mailer);
    if let Some(file) = key_file {
        services = services.with_secret_key_file(file);
    }
    Server::bind_with(&settings(data_dir), services).await.err()
}

#[tokio::test]
async fn the_database_never_holds_a_totp_secret_in_the_clear() {
    let h = harness();
    let tokens = h.signed_in(ANNA).await;
    let token = tokens.access_token.expose();
    let anna = user_id(&h, ANNA).await;
    // A pending secret of a set-up, then the enabled one.
    let setup = h
        .post_auth(
            xwms_api::security::paths::TWO_FACTOR_SETUP,
            token,
            json!({"password": PASSWORD}),
        )
        .await;
    setup.ok(200);
    let pending = setup.data()["secret"].as_str().unwrap().to_owned();
    let (secret, _) = enable(&h, token).await;
    let (stored_secret, stored_pending) = stored(&h, &anna).await;
    let blob = stored_secret.expect("2FA is on");
    assert!(stored_pending.is_none());
    assert!(secrets::is_sealed(&blob), "{blob:?}");
    let key = secrets::read_key_file(&h.dir.path().join(KEY_FILE)).unwrap();
    assert_eq!(secrets::blob_key_id(&blob), Some(key.id()));
    assert!(!contains(&blob, &raw_secret(&secret)));

    // Every byte of the database files, with the WAL folded in and without.
    for checkpoint in [false, true] {
        if checkpoint {
            h.query(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)"))
                .await;
        }
        let bytes = database_bytes(h.dir.path());
        assert!(bytes.len() > 4096, "the database was read");
        for (name, base32) in [("enabled", &secret), ("pending", &pending)] {
            assert!(
                !contains(&bytes, &raw_secret(base32)),
                "the raw {name} secret is in the database files"
            );
            assert!(
                !contains(&bytes, base32.as_bytes())
                    && !contains(&bytes, base32.to_lowercase().as_bytes()),
                "the base32 {name} secret is in the database files"
            );
        }
    }
    // The sealed secret still checks codes.
    h.advance(30);
    let challenge = challenge_of(&h, ANNA).await;
    second_factor(&h, &challenge, "totp", &totp_code(&secret, h.clock.now()))
        .await
        .ok(200);
}

#[tokio::test]
async fn a_secret_moved_to_another_account_does_not_open() {
    let h = harness();
    let anna_tokens = h.signed_in(ANNA).await;
    let (anna_secret, _) = enable(&h, anna_tokens.access_token.expose()).await;
    let bob_tokens = h.signed_in(BOB).await;
    let (bob_secret, _) = enable(&h, bob_tokens.access_token.expose()).await;
    let (anna, bob) = (user_id(&h, ANNA).await, user_id(&h, BOB).await);
    // Someone with write access to the database copies Anna's sealed secret into Bob's row.
    h.query(move |c| {
        c.execute(
            "UPDATE two_factor SET secret = (SELECT secret FROM two_factor WHERE user_id = ?1)
             WHERE user_id = ?2",
            [anna, bob],
        )
    })
    .await;
    h.advance(30);
    let challenge = challenge_of(&h, BOB).await;
    for secret in [&anna_secret, &bob_secret] {
        second_factor(&h, &challenge, "totp", &totp_code(secret, h.clock.now()))
            .await
            .err_field(ErrorCode::TwoFactorCodeIncorrect, "code");
    }
    // Fails closed: 2FA stays on for Bob, and Anna's own secret still works for her.
    let overview = h
        .get_auth(
            xwms_api::security::paths::SECURITY,
            bob_tokens.access_token.expose(),
        )
        .await;
    assert_eq!(
        overview.data()["two_factor"]["enabled"],
        true,
        "{}",
        overview.body
    );
    let challenge = challenge_of(&h, ANNA).await;
    second_factor(
        &h,
        &challenge,
        "totp",
        &totp_code(&anna_secret, h.clock.now()),
    )
    .await
    .ok(200);
}

#[tokio::test]
async fn recovery_codes_are_peppered_and_work_once() {
    let h = harness();
    let tokens = h.signed_in(ANNA).await;
    let (_, codes) = enable(&h, tokens.access_token.expose()).await;
    let anna = user_id(&h, ANNA).await;
    let hashes = recovery_hashes(&h, &anna).await;
    assert_eq!(hashes.len(), codes.len());
    let key = secrets::read_key_file(&h.dir.path().join(KEY_FILE)).unwrap();
    for code in &codes {
        let normalised = code.replace('-', "");
        let plain = secrets::legacy_recovery_hash(&anna, &normalised);
        assert!(
            !hashes.iter().any(|stored| stored.contains(&plain)),
            "SHA-256(user:code) is stored"
        );
    }
    for hash in &hashes {
        assert!(hash.starts_with(&format!("h1:{}:", key.id())), "{hash}");
    }
    let challenge = challenge_of(&h, ANNA).await;
    second_factor(&h, &challenge, "recovery_code", &codes[0])
        .await
        .ok(200);
    let challenge = challenge_of(&h, ANNA).await;
    second_factor(&h, &challenge, "recovery_code", &codes[0])
        .await
        .err_field(ErrorCode::TwoFactorCodeIncorrect, "code");
}

#[tokio::test]
async fn plain_rows_of_before_are_sealed_at_start_and_still_work() {
    let h = harness();
    let tokens = h.signed_in(ANNA).await;
    let (secret, codes) = enable(&h, tokens.access_token.expose()).await;
    let anna = user_id(&h, ANNA).await;
    // The rows as a server before this change stored them: the raw secret, SHA-256 of codes.
    let (plain, id) = (raw_secret(&secret), anna.clone());
    let legacy: Vec<String> = codes
        .iter()
        .map(|code| secrets::legacy_recovery_hash(&anna, &code.replace('-', "")))
        .collect();
    let rows = legacy.clone();
    h.query(move |c| {
        c.execute(
            "UPDATE two_factor SET secret = ?2, pending_secret = ?2 WHERE user_id = ?1",
            rusqlite::params![id, plain],
        )?;
        c.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [&id])?;
        for hash in rows {
            c.execute(
                "INSERT INTO recovery_codes (user_id, hash) VALUES (?1, ?2)",
                [&id, &hash],
            )?;
        }
        Ok(())
    })
    .await;

    let h = h.reopen();
    let (stored_secret, stored_pending) = stored(&h, &anna).await;
    for blob in [stored_secret.unwrap(), stored_pending.unwrap()] {
        assert!(secrets::is_sealed(&blob), "sealed at start");
        assert!(!contains(&blob, &raw_secret(&secret)));
    }
    let hashes = recovery_hashes(&h, &anna).await;
    assert_eq!(hashes.len(), codes.len());
    assert!(
        hashes.iter().all(|hash| hash.starts_with("h1:")),
        "{hashes:?}"
    );
    assert!(!hashes.iter().any(|hash| legacy.contains(hash)));
    // A second start changes nothing more.
    let again = h
        .state
        .store
        .call({
            let path = h.dir.path().join(KEY_FILE);
            move |c| {
                let keys = secrets::SecretKeys::load(&path, false).unwrap();
                Ok(secrets::prepare(c, &keys, &path).unwrap())
            }
        })
        .await
        .unwrap();
    assert_eq!(again, secrets::PrepareReport::default());
    // The same authenticator and the same paper codes still work, a code once.
    h.advance(30);
    let challenge = challenge_of(&h, ANNA).await;
    second_factor(&h, &challenge, "totp", &totp_code(&secret, h.clock.now()))
        .await
        .ok(200);
    let challenge = challenge_of(&h, ANNA).await;
    second_factor(&h, &challenge, "recovery_code", &codes[2])
        .await
        .ok(200);
    let challenge = challenge_of(&h, ANNA).await;
    second_factor(&h, &challenge, "recovery_code", &codes[2])
        .await
        .err_field(ErrorCode::TwoFactorCodeIncorrect, "code");
}

#[cfg(unix)]
#[tokio::test]
async fn a_wrong_or_missing_key_file_stops_the_start_with_a_clear_error() {
    let h = harness();
    let tokens = h.signed_in(ANNA).await;
    enable(&h, tokens.access_token.expose()).await;
    h.state.store.close();
    let dir = h.dir.path().to_owned();
    let key_path = dir.join(KEY_FILE);
    assert_eq!(mode(&key_path), 0o600);
    let right = std::fs::read(&key_path).unwrap();

    // Another key.
    let other = dir.join("other.key");
    write_key(&other, 5, 0o600);
    let err = start_error(&dir, Some(other.clone()))
        .await
        .expect("refused");
    assert!(
        matches!(err, StartError::Keys(KeyError::WrongKey { .. })),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("wrong key file") && text.contains("other.key"),
        "{text}"
    );

    // The key file lost: not silently replaced by a new key.
    std::fs::remove_file(&key_path).unwrap();
    let err = start_error(&dir, None).await.expect("refused");
    assert!(
        matches!(err, StartError::Keys(KeyError::Missing { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("restore the key file"), "{err}");
    assert!(!key_path.exists(), "no new key was made");

    // Readable by others.
    std::fs::write(&key_path, &right).unwrap();
    write_key(&other, 5, 0o644);
    let err = start_error(&dir, Some(other.clone()))
        .await
        .expect("refused");
    assert!(
        matches!(err, StartError::Keys(KeyError::Permissions { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("chmod 600"), "{err}");

    // Not a key.
    write_key(&other, 0, 0o600);
    let err = start_error(&dir, Some(other)).await.expect("refused");
    assert!(
        matches!(err, StartError::Keys(KeyError::Malformed { .. })),
        "{err}"
    );

    // The right key (0600) starts, and the data is still Anna's.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(start_error(&dir, None).await.is_none());
}

#[cfg(unix)]
#[tokio::test]
async fn a_fresh_key_is_private_and_any_other_key_is_refused_later() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(start_error(&data, None).await.is_none(), "first start");
    let key_path = data.join(KEY_FILE);
    assert_eq!(mode(&key_path), 0o600, "made private");
    assert_eq!(std::fs::read_to_string(&key_path).unwrap().trim().len(), 64);
    let made = std::fs::read(&key_path).unwrap();
    assert!(start_error(&data, None).await.is_none(), "second start");
    assert_eq!(
        std::fs::read(&key_path).unwrap(),
        made,
        "kept, not made again"
    );
    // No account has 2FA yet, but the database remembers its key.
    let other = dir.path().join("other.key");
    write_key(&other, 9, 0o600);
    let err = start_error(&data, Some(other)).await.expect("refused");
    assert!(
        matches!(err, StartError::Keys(KeyError::WrongKey { .. })),
        "{err}"
    );
}

/// `xwms-server` with no setting from the environment.
fn exe() -> Command {
    let mut command = Command::new(EXE);
    for var in xwms_server::config::env::ALL_SETTINGS {
        command.env_remove(var);
    }
    command.env("XWMS_LOG", "warn");
    command
}

#[cfg(unix)]
#[test]
fn the_executable_refuses_a_key_file_others_can_read() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("server.key");
    write_key(&key, 3, 0o644);
    let output = exe()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .env(xwms_server::config::env::SECRET_KEY_FILE, &key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("server.key") && stderr.contains("chmod 600"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "never listened");
}

#[cfg(unix)]
#[tokio::test]
async fn rotation_seals_under_the_new_key_and_old_codes_work_until_regenerated() {
    let h = harness();
    let tokens = h.signed_in(ANNA).await;
    let (secret, codes) = enable(&h, tokens.access_token.expose()).await;
    let anna = user_id(&h, ANNA).await;
    h.state.store.close();
    let dir = h.dir.path().to_owned();
    let key_path = dir.join(KEY_FILE);
    let old_text = std::fs::read(&key_path).unwrap();
    let old_id = secrets::read_key_file(&key_path).unwrap().id();

    // The executable, with a new key file it makes itself.
    let new_path = dir.join("new.key");
    let output = exe()
        .args(["secrets", "rotate", "--data-dir"])
        .arg(&dir)
        .arg("--new-key-file")
        .arg(&new_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 TOTP secrets sealed"), "{stdout}");
    assert_eq!(mode(&new_path), 0o600);
    assert_eq!(
        std::fs::read(&key_path).unwrap(),
        std::fs::read(&new_path).unwrap()
    );
    let old_path = secrets::old_key_path(&key_path);
    assert_eq!(std::fs::read(&old_path).unwrap(), old_text);
    assert_eq!(mode(&old_path), 0o600);
    assert_eq!(mode(&key_path), 0o600);
    let new_id = secrets::read_key_file(&key_path).unwrap().id();
    assert_ne!(new_id, old_id);

    // A second rotation now would lose the codes made under the first key.
    let err = secrets::rotate_in(&dir, &key_path, &dir.join("third.key")).unwrap_err();
    assert!(
        err.to_string().contains("10 unused recovery codes"),
        "{err}"
    );

    let h = crate::support::harness_in(h.dir, h.clock, |s| {
        s.with_random(Arc::new(xwms_server::random::SeededRandom::new(7)))
    });
    let (blob, _) = stored(&h, &anna).await;
    assert_eq!(secrets::blob_key_id(&blob.unwrap()), Some(new_id.clone()));
    h.advance(30);
    let challenge = challenge_of(&h, ANNA).await;
    let signed = second_factor(&h, &challenge, "totp", &totp_code(&secret, h.clock.now())).await;
    signed.ok(200);
    let challenge = challenge_of(&h, ANNA).await;
    second_factor(&h, &challenge, "recovery_code", &codes[0])
        .await
        .ok(200);
    let challenge = challenge_of(&h, ANNA).await;
    second_factor(&h, &challenge, "recovery_code", &codes[0])
        .await
        .err_field(ErrorCode::TwoFactorCodeIncorrect, "code");
    // New codes are made under the new key; then the old key can go.
    let access = signed.data()["access_token"].as_str().unwrap().to_owned();
    let fresh = h
        .post_auth(
            xwms_api::security::paths::RECOVERY_CODES,
            &access,
            json!({"password": PASSWORD}),
        )
        .await;
    fresh.ok(200);
    let hashes = recovery_hashes(&h, &anna).await;
    assert!(
        hashes
            .iter()
            .all(|hash| hash.starts_with(&format!("h1:{new_id}:"))),
        "{hashes:?}"
    );
    h.state.store.close();
    let third = dir.join("third.key");
    let report = secrets::rotate_in(&dir, &key_path, &third).unwrap();
    assert_eq!(report.resealed, 1);
    assert_eq!(report.codes_under_old_key, 10);
    assert_eq!(
        secrets::read_key_file(&old_path).unwrap().id(),
        new_id,
        "the previous key is the old one now"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_rotation_cut_short_after_the_key_files_is_finished_at_start() {
    let h = harness();
    let tokens = h.signed_in(ANNA).await;
    let (secret, codes) = enable(&h, tokens.access_token.expose()).await;
    let anna = user_id(&h, ANNA).await;
    h.state.store.close();
    // What `secrets rotate` does to the files, then a crash before the database.
    let key_path = h.dir.path().join(KEY_FILE);
    std::fs::copy(&key_path, secrets::old_key_path(&key_path)).unwrap();
    write_key(&key_path, 0x42, 0o600);
    let new_id = secrets::read_key_file(&key_path).unwrap().id();

    let h = crate::support::harness_in(h.dir, h.clock, |s| {
        s.with_random(Arc::new(xwms_server::random::SeededRandom::new(11)))
    });
    let (blob, _) = stored(&h, &anna).await;
    assert_eq!(secrets::blob_key_id(&blob.unwrap()), Some(new_id));
    h.advance(30);
    let challenge = challenge_of(&h, ANNA).await;
    second_factor(&h, &challenge, "totp", &totp_code(&secret, h.clock.now()))
        .await
        .ok(200);
    let challenge = challenge_of(&h, ANNA).await;
    second_factor(&h, &challenge, "recovery_code", &codes[9])
        .await
        .ok(200);
}

/// Prints what sealing costs: one seal and open, and the start-up pass over 10,000 accounts
/// with plain secrets and 10 old recovery-code hashes each. Run as the benchmarks in bench.rs.
#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn bench_sealing_at_start() {
    use std::time::Instant;
    let keys = secrets::SecretKeys::new(secrets::ServerKey::from_bytes(&[3; 32]), None);
    let rounds = 100_000;
    let start = Instant::now();
    for i in 0..rounds {
        let blob = keys.seal("user", &[i as u8; 20]);
        assert!(keys.open("user", &blob).is_some());
    }
    let per = start.elapsed() / rounds;
    println!("seal + open of a TOTP secret: {per:?}");

    let dir = tempfile::tempdir().unwrap();
    let store = xwms_server::store::Store::open_in(dir.path()).unwrap();
    let accounts = 10_000;
    store
        .blocking(|c| {
            c.execute_batch("PRAGMA foreign_keys = OFF; BEGIN")?;
            for i in 0..accounts {
                let user = format!("user-{i}");
                c.execute(
                    "INSERT INTO two_factor (user_id, secret, enabled_at) VALUES (?1, ?2, 0)",
                    rusqlite::params![user, vec![7u8; 20]],
                )?;
                for n in 0..10 {
                    c.execute(
                        "INSERT INTO recovery_codes (user_id, hash) VALUES (?1, ?2)",
                        [
                            &user,
                            &secrets::legacy_recovery_hash(&user, &format!("code{n:04}")),
                        ],
                    )?;
                }
            }
            c.execute_batch("COMMIT; PRAGMA foreign_keys = ON")
        })
        .unwrap();
    let path = dir.path().join(KEY_FILE);
    let start_up = || {
        let start = Instant::now();
        store
            .blocking(|c| {
                secrets::load_and_prepare(c, &path).unwrap();
                Ok(())
            })
            .unwrap();
        start.elapsed()
    };
    let first = start_up();
    let next = start_up();
    let sealed: i64 = store
        .blocking(|c| {
            c.query_row(
                "SELECT count(*) FROM two_factor WHERE length(secret) > 20",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(sealed, accounts);
    println!(
        "first start over {accounts} plain accounts (+{} old code hashes): {first:?}; next start: {next:?}",
        accounts * 10
    );
}
