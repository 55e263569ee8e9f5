//! Sliding-window limits per client address and for the whole server, kept as rows in
//! `rate_events` (no state in memory: several instances on one database share the counts).
//!
//! A limit is taken in one write transaction: count the rows of the window, refuse when full,
//! otherwise add this event's row. SQLite runs write transactions one at a time, so parallel
//! requests cannot all pass a limit that admits fewer of them.
//!
//! The numbers are in [`super::policy`] ([`PER_ADDRESS`], [`UNVERIFIED_MAIL`]).

use rusqlite::{params, Connection};
use time::OffsetDateTime;
use xwms_api::ErrorCode;

use super::policy::{WindowLimit, PER_ADDRESS, SUPPORT, UNVERIFIED_MAIL};
use super::{Accounts, ClientMeta};
use crate::clock::{from_millis, to_millis};
use crate::error::ApiError;

/// The key a client's limits are counted under. One place, so that the rule for it (IPv6 by
/// /64, a trusted proxy's `X-Forwarded-For`) changes in one line.
pub fn limit_key(client: &ClientMeta) -> String {
    client.limit_key()
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A password check (sign-in, re-authentication), per address.
    PasswordCheck,
    /// A sign-up, per address.
    SignUp,
    /// A new password (reset with a code, change while signed in), per address.
    NewPassword,
    /// A mail to an address without a verified account, per client address.
    UnverifiedMail,
    /// A mail to an address without a verified account, for the whole server.
    UnverifiedMailGlobal,
    /// A new support message, per account.
    SupportMessage,
    /// A new support message of a support agent, per account.
    SupportAgentMessage,
    /// A guest code mailed, per case reference.
    GuestCodePerReference,
    /// A guest code mailed, per client address.
    GuestCodePerAddress,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::PasswordCheck => "password_check",
            Scope::SignUp => "sign_up",
            Scope::NewPassword => "new_password",
            Scope::UnverifiedMail => "unverified_mail",
            Scope::UnverifiedMailGlobal => "unverified_mail_global",
            Scope::SupportMessage => "support_message",
            Scope::SupportAgentMessage => "support_agent_message",
            Scope::GuestCodePerReference => "guest_code_reference",
            Scope::GuestCodePerAddress => "guest_code_address",
        }
    }

    pub fn limit(self) -> WindowLimit {
        match self {
            Scope::PasswordCheck => PER_ADDRESS.password_checks,
            Scope::SignUp => PER_ADDRESS.sign_ups,
            Scope::NewPassword => PER_ADDRESS.new_passwords,
            Scope::UnverifiedMail => UNVERIFIED_MAIL.per_address,
            Scope::UnverifiedMailGlobal => UNVERIFIED_MAIL.global,
            Scope::SupportMessage => SUPPORT.messages_per_account,
            Scope::SupportAgentMessage => SUPPORT.agent_messages_per_account,
            Scope::GuestCodePerReference => SUPPORT.guest_codes_per_reference,
            Scope::GuestCodePerAddress => SUPPORT.guest_codes_per_address,
        }
    }

    const ALL: [Scope; 9] = [
        Scope::PasswordCheck,
        Scope::SignUp,
        Scope::NewPassword,
        Scope::UnverifiedMail,
        Scope::UnverifiedMailGlobal,
        Scope::SupportMessage,
        Scope::SupportAgentMessage,
        Scope::GuestCodePerReference,
        Scope::GuestCodePerAddress,
    ];
}

/// The seconds until `key` may have another event in `scope`, if its window is full.
pub fn wait(
    conn: &Connection,
    scope: Scope,
    key: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<Option<u32>> {
    let limit = scope.limit();
    let since = to_millis(now - limit.window);
    let (count, oldest): (u32, Option<i64>) = conn
        .prepare_cached(
            "SELECT count(*), min(at) FROM rate_events WHERE scope = ?1 AND key = ?2 AND at > ?3",
        )?
        .query_row(params![scope.as_str(), key, since], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
    Ok(limit.wait(count, oldest.map(from_millis), now))
}

/// Counts one event for `key` in `scope`, unless the window is full: then `Err(seconds to
/// wait)` and nothing is counted. Call it inside a write transaction. `Ok` holds the row.
pub fn take(
    conn: &Connection,
    scope: Scope,
    key: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<Result<i64, u32>> {
    if let Some(wait) = wait(conn, scope, key, now)? {
        return Ok(Err(wait));
    }
    conn.prepare_cached("INSERT INTO rate_events (scope, key, at) VALUES (?1, ?2, ?3)")?
        .execute(params![scope.as_str(), key, to_millis(now)])?;
    Ok(Ok(conn.last_insert_rowid()))
}

/// A request counted by [`Accounts::admit`], until [`Accounts::settle`] decides whether it
/// keeps counting.
#[must_use = "settle the admission with the outcome of the work it admitted"]
#[derive(Debug)]
pub struct Admission {
    row: i64,
}

/// Whether a mail to an address without a verified account may go out for the client with
/// `key`: both the per-address and the global limit must have room, and then both count it.
pub fn take_unverified_mail(
    conn: &Connection,
    key: &str,
    now: OffsetDateTime,
) -> rusqlite::Result<bool> {
    if wait(conn, Scope::UnverifiedMail, key, now)?.is_some()
        || wait(conn, Scope::UnverifiedMailGlobal, "", now)?.is_some()
    {
        tracing::warn!(
            client = key,
            "mail to an unverified address not sent: over the mail limit"
        );
        return Ok(false);
    }
    take(conn, Scope::UnverifiedMail, key, now)?.ok();
    take(conn, Scope::UnverifiedMailGlobal, "", now)?.ok();
    Ok(true)
}

/// Removes rows older than every window.
pub fn prune(conn: &Connection, now: OffsetDateTime) -> rusqlite::Result<usize> {
    let longest = Scope::ALL
        .iter()
        .map(|scope| scope.limit().window)
        .max()
        .unwrap_or_default();
    conn.execute(
        "DELETE FROM rate_events WHERE at <= ?1",
        [to_millis(now - longest)],
    )
}

impl Accounts {
    /// Counts a request of `client` in `scope` before any work (a password hash) is done;
    /// `request.rate_limited` with `Retry-After` when its window is full.
    pub(crate) async fn admit(
        &self,
        scope: Scope,
        client: &ClientMeta,
    ) -> Result<Admission, ApiError> {
        let key = limit_key(client);
        self.write(move |tx, ctx| take(tx, scope, &key, ctx.now))
            .await?
            .map(|row| Admission { row })
            .map_err(|wait| ApiError::retry_after(ErrorCode::RateLimited, wait))
    }

    /// Passes on `outcome`; a `server.busy` answer (no hash ran) is not counted, so a client
    /// that tries again after `Retry-After` does not use up its allowance while the server is
    /// busy.
    pub(crate) async fn settle<T>(
        &self,
        admission: Admission,
        outcome: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        if matches!(&outcome, Err(err) if err.code == ErrorCode::Busy) {
            let row = admission.row;
            self.write(move |tx, _| {
                tx.prepare_cached("DELETE FROM rate_events WHERE id = ?1")?
                    .execute([row])
                    .map(|_| ())
            })
            .await?;
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    const T0: OffsetDateTime = datetime!(2026-05-06 07:00:00 UTC);

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::migrations::run(&mut conn).unwrap();
        conn
    }

    #[test]
    fn the_published_numbers() {
        #[rustfmt::skip]
        let table = [
            (Scope::PasswordCheck,        60,   10 * 60),
            (Scope::SignUp,               10,   3600),
            (Scope::NewPassword,          10,   3600),
            (Scope::UnverifiedMail,       10,   3600),
            (Scope::UnverifiedMailGlobal, 1000, 3600),
        ];
        for (scope, max, window) in table {
            assert_eq!(scope.limit().max, max, "{scope:?}");
            assert_eq!(scope.limit().window, Duration::seconds(window), "{scope:?}");
        }
    }

    /// Each scope on an injected clock: `max` events pass at one moment, the next waits until
    /// the oldest leaves the window; another address and another scope are not affected.
    #[test]
    fn sliding_window_table() {
        for scope in Scope::ALL {
            let conn = db();
            let limit = scope.limit();
            let at = |s: i64| T0 + Duration::seconds(s);
            // The first event at T0, the rest 10 s later.
            assert!(take(&conn, scope, "192.0.2.1", at(0)).unwrap().is_ok());
            for _ in 1..limit.max {
                assert!(take(&conn, scope, "192.0.2.1", at(10)).unwrap().is_ok());
            }
            let window = limit.window.whole_seconds();
            let window_u32 = u32::try_from(window).unwrap();
            #[rustfmt::skip]
            let table: &[(&str, i64, &str, Result<(), u32>)] = &[
                ("full, at once",               10,         "192.0.2.1", Err(window_u32 - 10)),
                ("full, a second before",       window - 1, "192.0.2.1", Err(1)),
                ("another address",             10,         "192.0.2.2", Ok(())),
                ("the oldest left the window",  window,     "192.0.2.1", Ok(())),
                ("full again",                  window,     "192.0.2.1", Err(10)),
                ("the rest left the window",    window + 10, "192.0.2.1", Ok(())),
            ];
            for (name, after, key, want) in table {
                assert_eq!(
                    take(&conn, scope, key, at(*after)).unwrap().map(|_| ()),
                    *want,
                    "{scope:?}: {name}"
                );
            }
            // A refused request is not counted.
            let counted: u32 = conn
                .query_row(
                    "SELECT count(*) FROM rate_events WHERE scope = ?1 AND key = '192.0.2.1'",
                    [scope.as_str()],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(counted, limit.max + 2, "{scope:?}");
            // Scopes are counted apart.
            for other in Scope::ALL.iter().filter(|s| **s != scope) {
                assert_eq!(
                    wait(&conn, *other, "192.0.2.1", at(10)).unwrap(),
                    None,
                    "{other:?}"
                );
            }
        }
    }

    #[test]
    fn unverified_mail_needs_room_in_both_the_address_and_the_global_limit() {
        let conn = db();
        let per_address = UNVERIFIED_MAIL.per_address.max;
        for _ in 0..per_address {
            assert!(take_unverified_mail(&conn, "192.0.2.1", T0).unwrap());
        }
        assert!(!take_unverified_mail(&conn, "192.0.2.1", T0).unwrap());
        assert!(take_unverified_mail(&conn, "192.0.2.2", T0).unwrap());
        // The global limit: many addresses, each under its own limit.
        let global = UNVERIFIED_MAIL.global.max;
        let mut sent = per_address + 1;
        let mut address = 0;
        while sent < global {
            address += 1;
            assert!(take_unverified_mail(
                &conn,
                &format!("10.0.{}.{}", address / 250, address % 250),
                T0
            )
            .unwrap());
            sent += 1;
        }
        assert!(!take_unverified_mail(&conn, "198.51.100.7", T0).unwrap());
        // A refused mail counts nowhere: the address has its full allowance after the window.
        let later = T0 + UNVERIFIED_MAIL.global.window;
        assert!(take_unverified_mail(&conn, "198.51.100.7", later).unwrap());
        let mine: u32 = conn
            .query_row(
                "SELECT count(*) FROM rate_events WHERE key = '198.51.100.7'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(mine, 1);
    }

    #[test]
    fn prune_keeps_every_row_a_window_still_counts() {
        let conn = db();
        take(&conn, Scope::SignUp, "a", T0).unwrap().unwrap();
        take(&conn, Scope::PasswordCheck, "a", T0 + Duration::minutes(30))
            .unwrap()
            .unwrap();
        assert_eq!(prune(&conn, T0 + Duration::minutes(59)).unwrap(), 0);
        assert_eq!(prune(&conn, T0 + Duration::hours(1)).unwrap(), 1);
        assert_eq!(prune(&conn, T0 + Duration::hours(2)).unwrap(), 1);
    }

    #[test]
    fn the_limit_key_is_the_ipv4_address_or_the_ipv6_slash_64() {
        let client = |ip: &str| ClientMeta {
            ip: ip.into(),
            ..ClientMeta::default()
        };
        assert_eq!(
            limit_key(&client("2001:db8::7")),
            limit_key(&client("2001:db8::ffff"))
        );
        assert_ne!(
            limit_key(&client("2001:db8::7")),
            limit_key(&client("2001:db8:0:1::7"))
        );
        assert_eq!(limit_key(&client("192.0.2.7")), "192.0.2.7");
    }
}
