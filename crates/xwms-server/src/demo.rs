//! Demo data for `--demo`: a server someone can try without setting anything up.
//!
//! [`seed`] is idempotent: it runs on every start in demo mode and adds only what is missing.
//! Later features add their demo records (users, help articles, tickets) here, inside the same
//! transaction.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::json;
use time::{Duration, OffsetDateTime};
use xwms_api::auth::DeviceInfo;
use xwms_api::Secret;

use crate::accounts::api_clients::{CLIENT_ID_PREFIX, SECRET_PREFIX};
use crate::accounts::events::{self, Kind};
use crate::accounts::hashing::{HashError, PasswordHasher};
use crate::accounts::sessions::{self, token_hash};
use crate::accounts::users::{self, User};
use crate::accounts::validate::{Email, Language};
use crate::accounts::ClientMeta;
use crate::clock::{rfc3339, to_millis};
use crate::random::{self, Random};

/// The server name in demo mode when no name is configured.
pub const SERVER_NAME: &str = "XWMS Demo";

/// A demo account (listed in the crate README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoAccount {
    pub email: &'static str,
    pub password: &'static str,
    pub name: &'static str,
    pub timezone: &'static str,
    pub region: &'static str,
    pub language: Language,
    pub is_agent: bool,
}

/// A verified person.
pub const ANNA: DemoAccount = DemoAccount {
    email: "anna@example.com",
    password: "XwmsDemo2026",
    name: "Anna de Vries",
    timezone: "Europe/Amsterdam",
    region: "NL",
    language: Language::Nl,
    is_agent: false,
};

/// A support agent.
pub const AGENT: DemoAccount = DemoAccount {
    email: "support@xwms.example",
    password: "XwmsAgent2026",
    name: "XWMS Support",
    timezone: "Europe/Amsterdam",
    region: "NL",
    language: Language::En,
    is_agent: true,
};

pub const ACCOUNTS: [DemoAccount; 2] = [ANNA, AGENT];

/// The demo accounts that are not in the store yet.
pub fn missing_accounts(conn: &Connection) -> rusqlite::Result<Vec<DemoAccount>> {
    let mut missing = vec![];
    for account in ACCOUNTS {
        if users::by_email_key(conn, &Email::key_of(account.email))?.is_none() {
            missing.push(account);
        }
    }
    Ok(missing)
}

/// Builds the rows of `accounts` (hashing their passwords outside the store).
pub async fn users_for(
    accounts: &[DemoAccount],
    hasher: &PasswordHasher,
    random: &dyn Random,
    now: OffsetDateTime,
) -> Result<Vec<User>, HashError> {
    let mut rows = vec![];
    for account in accounts {
        rows.push(User {
            id: random::id(random),
            name: account.name.to_owned(),
            username: None,
            email: account.email.to_owned(),
            email_key: Email::key_of(account.email),
            email_verified: true,
            password_hash: hasher.hash(&Secret::new(account.password)).await?,
            timezone: account.timezone.to_owned(),
            region: account.region.to_owned(),
            language: account.language,
            is_agent: account.is_agent,
            created_at: now,
        });
    }
    Ok(rows)
}

/// What [`seed`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// False when the demo data was already there.
    pub first_time: bool,
    /// When the demo data was first seeded (RFC 3339).
    pub seeded_at: String,
}

/// Anna's other device in the demo: a laptop that signed in two days ago from another network.
pub const ANNA_LAPTOP: &str = "anna-thinkpad";
/// Anna's API client in the demo (its secret is unknown to anyone: regenerate it to use it).
pub const ANNA_API_CLIENT: &str = "Home automation";

/// What the security page of a person who uses XWMS shows: a second session (a new-device
/// alert not answered yet), a failed sign-in and an API client.
fn seed_security(
    tx: &Connection,
    random: &dyn Random,
    now: OffsetDateTime,
    anna: &User,
) -> rusqlite::Result<()> {
    let ago = |d: Duration| now - d;
    events::record(
        tx,
        &anna.id,
        Kind::AccountCreated,
        "192.0.2.10",
        ago(Duration::days(30)),
        json!({}),
    )?;
    let device = DeviceInfo {
        name: ANNA_LAPTOP.into(),
        os: "linux".into(),
        app: "XWMS-Desktop".into(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        installation_id: random::id(random),
    };
    let client = ClientMeta {
        ip: "198.51.100.23".into(),
        user_agent: format!("XWMS-Desktop/{}", env!("CARGO_PKG_VERSION")),
        language: None,
    };
    let signed_in_at = ago(Duration::days(2));
    let issued = sessions::open(tx, random, signed_in_at, &anna.id, &device, &client)?;
    tx.execute(
        "UPDATE sessions SET last_active_at = ?2 WHERE id = ?1",
        params![issued.session_id, to_millis(ago(Duration::hours(3)))],
    )?;
    let details = json!({
        "session_id": issued.session_id,
        "device": device.name,
        "os": device.os,
        "app": device.app,
        "app_version": device.app_version,
        "user_agent": client.user_agent,
    });
    events::record(
        tx,
        &anna.id,
        Kind::SignedIn,
        &client.ip,
        signed_in_at,
        details.clone(),
    )?;
    events::record(
        tx,
        &anna.id,
        Kind::NewDevice,
        &client.ip,
        signed_in_at,
        details,
    )?;
    events::record(
        tx,
        &anna.id,
        Kind::SignInFailed,
        "203.0.113.77",
        ago(Duration::hours(20)),
        json!({ "reason": "password", "during": "sign_in" }),
    )?;
    let created_at = ago(Duration::days(10));
    let client_id = format!("{CLIENT_ID_PREFIX}{}", random::id(random));
    tx.execute(
        "INSERT INTO api_clients (id, user_id, name, name_key, client_id, secret_hash, secret_created_at, created_at, last_used_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
        params![
            random::id(random),
            anna.id,
            ANNA_API_CLIENT,
            ANNA_API_CLIENT.to_lowercase(),
            client_id,
            token_hash(&random::token(random, SECRET_PREFIX)),
            to_millis(created_at),
            to_millis(ago(Duration::days(1))),
        ],
    )?;
    events::record(
        tx,
        &anna.id,
        Kind::ApiClientCreated,
        "192.0.2.10",
        created_at,
        json!({ "client_id": client_id, "name": ANNA_API_CLIENT }),
    )?;
    Ok(())
}

/// Anna's support conversations: one waiting for her (an unread agent reply), one resolved and
/// rated, one new (no agent yet).
fn seed_support(
    tx: &rusqlite::Transaction<'_>,
    random: &dyn Random,
    now: OffsetDateTime,
    anna: &User,
    agent: &User,
) -> rusqlite::Result<()> {
    use crate::accounts::support::{seed_case, SeedMessage, Side};
    use xwms_api::support::{ConversationStatus, MessageKind, SupportTopic};
    let said = |side, body, ago| SeedMessage {
        side: Some(side),
        kind: MessageKind::Text,
        body,
        ago,
    };
    let service = |kind, ago| SeedMessage {
        side: None,
        kind,
        body: "",
        ago,
    };
    seed_case(
        tx,
        random,
        now,
        anna,
        agent,
        SupportTopic::Question,
        "Cannot change my email address",
        ConversationStatus::WaitingForYou,
        &[
            said(Side::Person, "I want to use my new work address, but the confirmation code never arrives. What can I do?", Duration::days(2)),
            service(MessageKind::AgentJoined, Duration::hours(30)),
            said(Side::Agent, "Thank you for waiting. Could you check your spam folder, and tell me whether the new address ends in @example.org? Then I can look at the delivery log.", Duration::hours(30)),
        ],
        true,
        None,
    )?;
    seed_case(
        tx,
        random,
        now,
        anna,
        agent,
        SupportTopic::MailNotArriving,
        "Security notices do not arrive",
        ConversationStatus::Resolved,
        &[
            said(Side::Person, "I no longer get mail about new sign-ins.", Duration::days(6)),
            service(MessageKind::AgentJoined, Duration::days(5)),
            said(Side::Agent, "Your mail provider rejected our messages for a day. They arrive again now; could you check?", Duration::days(5)),
            said(Side::Person, "Yes, they arrive again. Thank you!", Duration::days(4)),
            service(MessageKind::Resolved, Duration::days(3)),
        ],
        false,
        Some(5),
    )?;
    seed_case(
        tx,
        random,
        now,
        anna,
        agent,
        SupportTopic::AccountDeletion,
        "Delete my old account",
        ConversationStatus::New,
        &[said(
            Side::Person,
            "I have a second account from years ago (anna.devries@example.net). Can you delete it?",
            Duration::hours(2),
        )],
        false,
        None,
    )?;
    Ok(())
}

/// Seeds the demo data that is missing (`users` from [`users_for`]) and records when the demo
/// was first seeded.
pub fn seed(
    conn: &mut Connection,
    random: &dyn Random,
    now: OffsetDateTime,
    users: &[User],
) -> rusqlite::Result<Seeded> {
    let tx = conn.transaction()?;
    let mut new_anna = None;
    for user in users {
        if users::by_email_key(&tx, &user.email_key)?.is_none() {
            users::insert(&tx, user)?;
            users::record_password_rule(&tx, &user.id, true)?;
            if user.email_key == Email::key_of(ANNA.email) {
                seed_security(&tx, random, now, user)?;
                new_anna = Some(user.clone());
            }
        }
    }
    if let (Some(anna), Some(agent)) = (
        new_anna,
        users::by_email_key(&tx, &Email::key_of(AGENT.email))?,
    ) {
        seed_support(&tx, random, now, &anna, &agent)?;
    }
    let inserted = tx.execute(
        "INSERT INTO server_meta (key, value) VALUES ('demo_seeded_at', ?1) ON CONFLICT (key) DO NOTHING",
        [rfc3339(now)],
    )?;
    let seeded_at = seeded_at(&tx)?.expect("demo_seeded_at was just written or already there");
    tx.commit()?;
    Ok(Seeded {
        first_time: inserted == 1,
        seeded_at,
    })
}

/// When the demo data was first seeded, if ever.
pub fn seeded_at(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT value FROM server_meta WHERE key = 'demo_seeded_at'",
        [],
        |row| row.get(0),
    )
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn seeding_twice_keeps_the_first_seed() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("demo.sqlite3")).unwrap();
        crate::migrations::run(&mut conn).unwrap();
        assert_eq!(seeded_at(&conn).unwrap(), None);

        let first = seed(
            &mut conn,
            &crate::random::SeededRandom::new(1),
            datetime!(2026-01-01 10:00 UTC),
            &[],
        )
        .unwrap();
        assert_eq!(
            first,
            Seeded {
                first_time: true,
                seeded_at: "2026-01-01T10:00:00Z".into()
            }
        );
        let again = seed(
            &mut conn,
            &crate::random::SeededRandom::new(1),
            datetime!(2026-02-01 10:00 UTC),
            &[],
        )
        .unwrap();
        assert_eq!(
            again,
            Seeded {
                first_time: false,
                seeded_at: "2026-01-01T10:00:00Z".into()
            }
        );
        let rows: i64 = conn
            .query_row(
                "SELECT count(*) FROM server_meta WHERE key = 'demo_seeded_at'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rows, 1);
    }

    #[tokio::test]
    async fn demo_accounts_are_added_once_and_verified() {
        use crate::accounts::hashing::HashCost;
        use crate::random::SeededRandom;
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("demo.sqlite3")).unwrap();
        crate::migrations::run(&mut conn).unwrap();
        let random = Arc::new(SeededRandom::new(9));
        let hasher = PasswordHasher::new(HashCost::INSECURE_FAST_FOR_TESTS, random.clone());
        let now = datetime!(2026-01-01 10:00 UTC);
        let missing = missing_accounts(&conn).unwrap();
        assert_eq!(missing, ACCOUNTS.to_vec());
        let rows = users_for(&missing, &hasher, random.as_ref(), now)
            .await
            .unwrap();
        seed(&mut conn, random.as_ref(), now, &rows).unwrap();
        assert!(missing_accounts(&conn).unwrap().is_empty());
        // A second start with the same rows (or new ids) adds nothing.
        let again = users_for(&ACCOUNTS, &hasher, random.as_ref(), now)
            .await
            .unwrap();
        seed(&mut conn, random.as_ref(), now, &again).unwrap();
        let count: i64 = conn
            .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 2);
        let anna = users::by_email_key(&conn, "anna@example.com")
            .unwrap()
            .unwrap();
        assert!(anna.email_verified && !anna.is_agent);
        assert_eq!(
            (anna.timezone.as_str(), anna.language),
            ("Europe/Amsterdam", Language::Nl)
        );
        assert!(hasher
            .verify(&Secret::new("XwmsDemo2026"), &anna.password_hash)
            .await
            .unwrap());
        let agent = users::by_email_key(&conn, "support@xwms.example")
            .unwrap()
            .unwrap();
        assert!(agent.is_agent && agent.email_verified);
        // Anna's security page has something to show, seeded once.
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM sessions"), 1);
        assert_eq!(count("SELECT count(*) FROM api_clients"), 1);
        assert_eq!(
            count("SELECT count(*) FROM security_events WHERE alert_status = 'pending'"),
            1
        );
    }
}
