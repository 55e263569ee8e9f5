//! The real `Server` on a loopback socket.

use std::sync::Arc;
use std::time::Duration;

use xwms_api::{Envelope, InfoData};
use xwms_server::config::Settings;
use xwms_server::server::Server;
use xwms_server::FixedClock;

use crate::support::NOW;

#[tokio::test]
async fn serves_over_loopback_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("data"),
        demo: true,
        name: "Socket XWMS".into(),
        timezone: "UTC".into(),
        locale: "en".into(),
    };
    let server = Server::bind(&settings, Arc::new(FixedClock(NOW)))
        .await
        .unwrap();
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    assert!(dir.path().join("data/xwms.sqlite3").is_file());

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(async {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::builder()
        .user_agent("socket-test/1")
        .build()
        .unwrap();
    let response = client
        .get(format!("http://{addr}/api/info"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let info: Envelope<InfoData> = response.json().await.unwrap();
    let data = info.data.unwrap();
    assert_eq!(data.client.ip, "127.0.0.1");
    assert_eq!(data.client.user_agent, "socket-test/1");
    assert_eq!(data.application.name, "Socket XWMS");
    assert_eq!(data.application.time, "2026-05-06T07:08:09Z");

    stop.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("the server stops within 10 s of the shutdown signal")
        .unwrap();
    result.unwrap();
    assert!(
        client
            .get(format!("http://{addr}/api/info"))
            .send()
            .await
            .is_err(),
        "nothing listens after shutdown"
    );
}
