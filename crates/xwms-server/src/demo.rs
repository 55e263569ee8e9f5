//! Demo data for `--demo`: a server someone can try without setting anything up.
//!
//! [`seed`] is idempotent: it runs on every start in demo mode and adds only what is missing.
//! Later features add their demo records (users, help articles, tickets) here, inside the same
//! transaction.

use rusqlite::{Connection, OptionalExtension};
use time::OffsetDateTime;
use xwms_api::Secret;

use crate::accounts::hashing::{HashError, PasswordHasher};
use crate::accounts::users::{self, User};
use crate::accounts::validate::{Email, Language};
use crate::clock::rfc3339;
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

/// Seeds the demo data that is missing (`users` from [`users_for`]) and records when the demo
/// was first seeded.
pub fn seed(
    conn: &mut Connection,
    now: OffsetDateTime,
    users: &[User],
) -> rusqlite::Result<Seeded> {
    let tx = conn.transaction()?;
    for user in users {
        if users::by_email_key(&tx, &user.email_key)?.is_none() {
            users::insert(&tx, user)?;
        }
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

        let first = seed(&mut conn, datetime!(2026-01-01 10:00 UTC), &[]).unwrap();
        assert_eq!(
            first,
            Seeded {
                first_time: true,
                seeded_at: "2026-01-01T10:00:00Z".into()
            }
        );
        let again = seed(&mut conn, datetime!(2026-02-01 10:00 UTC), &[]).unwrap();
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
        seed(&mut conn, now, &rows).unwrap();
        assert!(missing_accounts(&conn).unwrap().is_empty());
        // A second start with the same rows (or new ids) adds nothing.
        let again = users_for(&ACCOUNTS, &hasher, random.as_ref(), now)
            .await
            .unwrap();
        seed(&mut conn, now, &again).unwrap();
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
    }
}
