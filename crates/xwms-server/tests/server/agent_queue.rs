//! Agent mode (issue 12), the queue side: roles set by the server operator's CLI, the guard on
//! every `/api/agent/` route, the queue, claiming, internal notes and presence.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use axum::http::Method;
use serde_json::json;
use xwms_api::agent::Role;
use xwms_api::ErrorCode;
use xwms_server::accounts::roles;
use xwms_server::ManualClock;

use crate::support::{harness, harness_in, Harness, NOW, PASSWORD};

const EXE: &str = env!("CARGO_BIN_EXE_xwms-server");

/// `xwms-server ARGS` with `stdin` as its standard input.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(EXE);
    for var in xwms_server::config::env::ALL_SETTINGS {
        command.env_remove(var);
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Makes the verified account `email` a member of the support team (through the same function
/// as `xwms-server user role`) and signs it in; its access token.
async fn agent(h: &Harness, email: &str) -> String {
    h.verified_user(email, PASSWORD).await;
    roles::set_role(h.dir.path(), email, Role::Agent).unwrap();
    h.sign_in(email, PASSWORD)
        .await
        .access_token
        .expose()
        .to_owned()
}

#[tokio::test]
async fn the_cli_adds_verified_accounts_with_a_role_and_changes_roles() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let add = |email: &str, role: &str, password: &str| {
        run(
            &[
                "user",
                "add",
                "--email",
                email,
                "--name",
                "Ana Lopez",
                "--role",
                role,
                "--data-dir",
                &data,
            ],
            &format!("{password}\n"),
        )
    };

    let added = add("Ana@Example.com", "agent", PASSWORD);
    assert!(added.status.success(), "{}", text(&added.stderr));
    let said = text(&added.stdout);
    assert!(
        said.starts_with("added Ana@Example.com (Ana Lopez) as agent: a verified account, id "),
        "{said}"
    );
    assert!(!said.contains(PASSWORD) && !text(&added.stderr).contains(PASSWORD));

    // The same address again, a weak password, an unknown role: refused, nothing stored.
    let again = add("ana@example.com", "user", PASSWORD);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("exists already"),
        "{}",
        text(&again.stderr)
    );
    let weak = add("weak@example.com", "user", "short");
    assert_eq!(weak.status.code(), Some(2));
    assert!(
        text(&weak.stderr).contains("password"),
        "{}",
        text(&weak.stderr)
    );
    let root = add("root@example.com", "root", PASSWORD);
    assert_eq!(root.status.code(), Some(2));
    // The password is never an argument.
    let argv = run(
        &[
            "user",
            "add",
            "--email",
            "argv@example.com",
            "--name",
            "A",
            "--password",
            PASSWORD,
            "--data-dir",
            &data,
        ],
        "",
    );
    assert_eq!(argv.status.code(), Some(2));
    // `--password-stdin` reads it from stdin as well.
    let piped = run(
        &[
            "user",
            "add",
            "--email",
            "piped@example.com",
            "--name",
            "Piet",
            "--password-stdin",
            "--data-dir",
            &data,
        ],
        &format!("{PASSWORD}\r\n"),
    );
    assert!(piped.status.success(), "{}", text(&piped.stderr));
    assert!(text(&piped.stdout).contains("as user"));

    let role =
        |email: &str, role: &str| run(&["user", "role", email, role, "--data-dir", &data], "");
    let promoted = role("ANA@example.com", "admin");
    assert!(promoted.status.success(), "{}", text(&promoted.stderr));
    assert_eq!(
        text(&promoted.stdout).trim(),
        "Ana@Example.com was agent, is now admin"
    );
    let same = role("ana@example.com", "admin");
    assert_eq!(
        text(&same.stdout).trim(),
        "Ana@Example.com is admin already; nothing changed"
    );
    let nobody = role("nobody@example.com", "agent");
    assert_eq!(nobody.status.code(), Some(1));
    assert!(text(&nobody.stderr).contains("no account"));
    assert_eq!(role("ana@example.com", "root").status.code(), Some(2));

    // The accounts work: verified (signing in needs no code), with their roles.
    let h = harness_in(dir, ManualClock::new(NOW), |s| s);
    let rows: Vec<(String, String, bool)> = h
        .query(|c| {
            c.prepare("SELECT email_key, role, email_verified FROM users ORDER BY email_key")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .await;
    assert_eq!(
        rows,
        [
            ("ana@example.com".into(), "admin".into(), true),
            ("piped@example.com".into(), "user".into(), true),
        ]
    );
    let ana = h.sign_in("ana@example.com", PASSWORD).await;
    assert!(ana.user.is_agent);
    let token = ana.access_token.expose().to_owned();
    h.get_auth("/api/agent/conversations", &token).await.ok(200);
    let piet = h.sign_in("piped@example.com", PASSWORD).await;
    assert!(!piet.user.is_agent);

    // A role change takes effect at the account's next request, without signing in again.
    let demoted = run(
        &[
            "user",
            "role",
            "ana@example.com",
            "user",
            "--data-dir",
            h.dir.path().to_str().unwrap(),
        ],
        "",
    );
    assert!(demoted.status.success(), "{}", text(&demoted.stderr));
    h.get_auth("/api/agent/conversations", &token)
        .await
        .err(ErrorCode::NotAgent);
}

#[tokio::test]
async fn set_role_refuses_the_unknown_role_and_changes_nothing() {
    let h = harness();
    h.verified_user("p@example.com", PASSWORD).await;
    assert!(matches!(
        roles::set_role(h.dir.path(), "p@example.com", Role::Unknown),
        Err(roles::RoleError::Invalid { field: "role", .. })
    ));
    let change = roles::set_role(h.dir.path(), "p@example.com", Role::Agent).unwrap();
    assert_eq!((change.before, change.after), (Role::User, Role::Agent));
}

/// (method, path) of every route under `/api/agent/`, from the route table (so a new agent
/// route is checked without anyone listing it here).
fn agent_routes() -> Vec<(Method, &'static str)> {
    xwms_server::ROUTES
        .iter()
        .filter(|route| route.path.starts_with(xwms_api::agent::paths::PREFIX))
        .map(|route| (route.method.clone(), route.path))
        .collect()
}

/// A body the route would accept (`{}` for routes without one).
fn agent_body(path: &str) -> serde_json::Value {
    let _ = path;
    json!({})
}

#[tokio::test]
async fn every_agent_route_refuses_people_and_callers_without_a_token() {
    let h = harness();
    let routes = agent_routes();
    assert!(
        routes.contains(&(Method::GET, xwms_api::support::paths::AGENT_CONVERSATIONS)),
        "{routes:?}"
    );
    let person = h
        .signed_in("person@example.com")
        .await
        .access_token
        .expose()
        .to_owned();
    let agent = agent(&h, "agent@example.com").await;
    for (method, path) in &routes {
        let body = crate::support::takes_body(method, path).then(|| agent_body(path));
        let call = || h.call(method.clone(), path, body.clone());
        call().send().await.err(ErrorCode::Unauthorized);
        call().token(&person).send().await.err(ErrorCode::NotAgent);
        // The document says so too.
        let document: serde_json::Value =
            serde_json::from_str(&xwms_server::openapi_json()).unwrap();
        let responses = &document["paths"][path][method.as_str().to_lowercase()]["responses"];
        assert!(
            responses["401"].is_object() && responses["403"].is_object(),
            "{method} {path}: {responses}"
        );
        // An agent passes the guard (whatever the route then answers, it is not a refusal of
        // who they are, nor a server error).
        let answer = call().token(&agent).send().await;
        assert!(
            !matches!(answer.status.as_u16(), 401 | 403) && !answer.status.is_server_error(),
            "{method} {path}: {} {}",
            answer.status,
            answer.body
        );
    }
}
