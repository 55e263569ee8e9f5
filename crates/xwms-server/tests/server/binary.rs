//! The `xwms-server` executable itself: version, start-up line, SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const EXE: &str = env!("CARGO_BIN_EXE_xwms-server");

fn command() -> Command {
    let mut command = Command::new(EXE);
    for var in xwms_server::config::env::ALL_SETTINGS {
        command.env_remove(var);
    }
    command.env("XWMS_LOG", "info");
    command
}

#[test]
fn prints_its_version() {
    let output = command().arg("--version").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().trim(),
        format!("xwms-server {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn bad_settings_exit_with_a_clear_message() {
    let output = command()
        .args(["serve", "--locale", "xx"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("locale") && stderr.contains("\"xx\""),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn prints_the_bound_address_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = command()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim_end()
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    assert_ne!(port, 0);
    assert!(dir.path().join("xwms.sqlite3").is_file());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let health: serde_json::Value = runtime.block_on(async {
        reqwest::get(format!("http://127.0.0.1:{port}/api/health"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(health["data"]["database"], "ok");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "xwms-server did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "exit {status}: {stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
}

#[test]
fn a_bad_smtp_url_exits_with_a_clear_message_without_its_password() {
    let output = command()
        .args(["serve", "--smtp-url", "http://user:s3cret@mail.example.com"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("smtp_url") && !stderr.contains("s3cret"),
        "{stderr}"
    );
}

#[test]
fn the_executable_sends_mail_to_the_smtp_server_of_its_settings() {
    let smtp = xwms_testkit::SmtpCatcher::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = crate::support::spawn_listening(
        command()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("XWMS_SMTP_URL", smtp.url())
            .args(["--mail-from", "XWMS Test <test@xwms.localhost>"]),
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{addr}/api/auth/password/forgot"))
            .json(&serde_json::json!({"email": "nobody@example.com"}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 202);
    let status = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{addr}/api/auth/signup"))
            .json(&serde_json::json!({"name": "Bin", "email": "bin@example.com", "password": "Tulip-Garden-42"}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 202);
    let message = smtp.wait_for("bin@example.com", 0, Duration::from_secs(20));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let message = message.expect("the executable mailed the code");
    assert_eq!(message.mail_from, "test@xwms.localhost");
    assert!(message.code().is_some());
    // Nothing went to the unknown address.
    assert!(smtp
        .messages()
        .iter()
        .all(|m| m.rcpt_to != ["nobody@example.com"]));
}

#[test]
fn help_import_loads_a_folder_and_reports_what_changed() {
    let data = tempfile::tempdir().unwrap();
    let content = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../content/help");
    let run = |dir: &std::path::Path| {
        command()
            .args(["help", "import"])
            .arg(dir)
            .arg("--data-dir")
            .arg(data.path())
            .output()
            .unwrap()
    };
    let first = run(&content);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(
        String::from_utf8(first.stdout).unwrap().trim(),
        "help content version 1: 150 added, 0 changed, 0 deleted, 0 unchanged"
    );
    let again = run(&content);
    assert_eq!(
        String::from_utf8(again.stdout).unwrap().trim(),
        "help content version 1: 0 added, 0 changed, 0 deleted, 150 unchanged"
    );

    // A copy with one answer edited and one article removed.
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(
        content.join("categories.toml"),
        copy.path().join("categories.toml"),
    )
    .unwrap();
    let cat = copy.path().join("account-security");
    std::fs::create_dir(&cat).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(content.join("account-security"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.pop();
    for (i, f) in files.iter().enumerate() {
        let mut text = std::fs::read_to_string(f).unwrap();
        if i == 0 {
            text = text.replacen("to start the registration flow.", "to start signing up.", 1);
        }
        std::fs::write(cat.join(f.file_name().unwrap()), text).unwrap();
    }
    let third = run(copy.path());
    assert_eq!(
        String::from_utf8(third.stdout).unwrap().trim(),
        "help content version 2: 0 added, 1 changed, 3 deleted, 146 unchanged"
    );

    // Invalid content: exit 1, the problems named, nothing imported.
    std::fs::write(
        cat.join("99-bad.toml"),
        "id = \"Bad Id\"\ncategory = \"account-security\"\norder = 99\n",
    )
    .unwrap();
    let bad = run(copy.path());
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert!(
        stderr.contains("Bad Id") && stderr.contains("no en translation"),
        "{stderr}"
    );
    let missing = command()
        .args(["help", "import", "/nonexistent-folder"])
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    let usage = command().args(["help", "import"]).output().unwrap();
    assert_eq!(
        usage.status.code(),
        Some(2),
        "a missing DIR is a usage error"
    );
}
