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
