//! `xwms` as a person runs it: the real binary against the real xwms-server on loopback.

use std::net::SocketAddr;
use std::sync::Arc;

use assert_cmd::Command;
use xwms_server::config::Settings;
use xwms_server::server::Server;
use xwms_server::SystemClock;

/// Starts the real server (demo data, temp SQLite file) on a free loopback port.
fn start_server() -> (
    SocketAddr,
    tempfile::TempDir,
    tokio::sync::oneshot::Sender<()>,
) {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("server"),
        demo: true,
        name: "XWMS Demo".into(),
        timezone: "Europe/Amsterdam".into(),
        locale: "en".into(),
    };
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let server = Server::bind(&settings, Arc::new(SystemClock))
                .await
                .unwrap();
            addr_tx.send(server.local_addr()).unwrap();
            server
                .serve(async move {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
        });
    });
    (addr_rx.recv().unwrap(), dir, stop_tx)
}

fn xwms(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("xwms").unwrap();
    cmd.env_remove("XWMS_SERVER_URL")
        .env("XWMS_DATA_DIR", data_dir)
        .env("LANG", "en_US.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    cmd
}

#[test]
fn info_prints_name_version_and_time_zone() {
    let (addr, dir, _stop) = start_server();
    let out = xwms(dir.path())
        .args(["info", "--server", &format!("http://{addr}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("XWMS Demo\n"), "{text}");
    assert!(text.contains("Europe/Amsterdam"), "{text}");
    assert!(text.contains(env!("CARGO_PKG_VERSION")), "{text}");
}

#[test]
fn info_json_is_the_servers_info() {
    let (addr, dir, _stop) = start_server();
    let out = xwms(dir.path())
        .args(["info", "--json", "--server", &format!("http://{addr}/")])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["application"]["name"], "XWMS Demo");
    assert_eq!(v["application"]["timezone"], "Europe/Amsterdam");
    assert_eq!(v["client"]["ip"], "127.0.0.1");
    assert!(v["client"]["user_agent"]
        .as_str()
        .unwrap()
        .starts_with("xwms-cli/"));
}

#[test]
fn data_dir_is_accepted_after_the_subcommand_and_server_comes_from_env() {
    let (addr, dir, _stop) = start_server();
    let out = xwms(std::path::Path::new("/nonexistent"))
        .env("XWMS_SERVER_URL", format!("http://{addr}"))
        .args(["info", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unreachable_server_is_a_clear_error_with_code_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = xwms(dir.path())
        .args(["info", "--server", &format!("http://{free}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("[network.offline]"), "{err}");
    assert!(err.contains("cannot be reached"), "{err}");
}

#[test]
fn errors_are_in_the_persons_language() {
    let dir = tempfile::tempdir().unwrap();
    for (lang, text) in [
        ("nl_NL.UTF-8", "Dit is geen geldig webadres."),
        ("fr_FR.UTF-8", "Cette adresse web n'est pas valide."),
    ] {
        let out = xwms(dir.path())
            .env("LANG", lang)
            .args(["info", "--server", "http://exa mple"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("[settings.invalid_url]") && err.contains(text),
            "{lang}: {err}"
        );
    }
}

#[test]
fn bad_flags_are_a_usage_error_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["info", "--bogus"][..],
        &["nope"][..],
        &[][..],
        &["info", "--json=maybe"][..],
    ] {
        let out = xwms(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Usage"),
            "{args:?}"
        );
    }
}
