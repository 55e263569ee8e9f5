//! Account policy as named data (DESIGN.md rule 6): every number that decides a security
//! outcome is here, once, with a table of cases each. The decisions themselves are pure
//! functions of the stored state and the injected time, so the tables run without a clock.

use time::{Duration, OffsetDateTime};

use crate::clock::seconds_until;

/// Emailed 6-digit codes (xwms-contract.md, "Verification codes"; R5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodePolicy {
    /// How long a code is valid after it was sent.
    pub lifetime: Duration,
    /// Wrong tries after which the code is dead.
    pub max_tries: u32,
    /// Least time between two tries of the same code.
    pub min_spacing: Duration,
    /// Least time between two codes sent for the same purpose and address.
    pub resend_after: Duration,
    /// Wrong tries per purpose and address across every code issued (a new code does not give
    /// new tries beyond this): at most `max` within `window`, from all clients together ...
    pub tries_per_day: WindowLimit,
    /// ... and from one client network (limit key): a stranger alone cannot use up the address's
    /// daily tries and so block the owner's own code.
    pub tries_per_day_per_network: WindowLimit,
    /// Codes pending at once per purpose and address, each bound to the request that asked for
    /// it (its challenge id); a new one beyond this drops the oldest. Several are kept so that a
    /// stranger asking for a code does not void the one the mailbox owner is typing.
    pub max_pending: u32,
}

/// Verifying the address of a new account: 5 minutes.
pub const VERIFY_EMAIL_CODE: CodePolicy = CodePolicy {
    lifetime: Duration::minutes(5),
    max_tries: 5,
    min_spacing: Duration::seconds(5),
    resend_after: Duration::seconds(46),
    tries_per_day: WindowLimit {
        max: 50,
        window: Duration::days(1),
    },
    tries_per_day_per_network: WindowLimit {
        max: 10,
        window: Duration::days(1),
    },
    max_pending: 5,
};

/// Unlocking a locked account: 5 minutes.
pub const UNLOCK_CODE: CodePolicy = VERIFY_EMAIL_CODE;

/// Resetting a forgotten password: 10 minutes, single use.
pub const RESET_PASSWORD_CODE: CodePolicy = CodePolicy {
    lifetime: Duration::minutes(10),
    ..VERIFY_EMAIL_CODE
};

/// Confirming a new email address: 10 minutes (xwms-contract.md).
pub const CHANGE_EMAIL_CODE: CodePolicy = CodePolicy {
    lifetime: Duration::minutes(10),
    ..VERIFY_EMAIL_CODE
};

/// What a code's stored state is, for [`CodePolicy::judge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeState {
    pub sent_at: OffsetDateTime,
    pub tries: u32,
    pub last_try_at: Option<OffsetDateTime>,
}

/// The outcome of entering a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeVerdict {
    Accept,
    /// No code is pending (`code.none`).
    None,
    /// `code.expired`.
    Expired,
    /// `code.too_soon`: the try is not counted.
    TooSoon {
        retry_after_seconds: u32,
    },
    /// `code.too_many_attempts`: the code is dead.
    TooManyAttempts,
    /// `code.incorrect`: counted as a try.
    Incorrect {
        attempts_left: u32,
    },
}

impl CodePolicy {
    pub fn expires_at(&self, sent_at: OffsetDateTime) -> OffsetDateTime {
        sent_at + self.lifetime
    }

    /// When a new code may be sent, given when the pending one was (`None`: now).
    pub fn resend_wait(
        &self,
        last_sent_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Option<u32> {
        let allowed_at = last_sent_at? + self.resend_after;
        (now < allowed_at).then(|| seconds_until(now, allowed_at))
    }

    /// Judges one try. `matches` says whether the entered code is the pending one (compared in
    /// constant time by the caller); it matters only once every other rule let the try through.
    pub fn judge(
        &self,
        state: Option<&CodeState>,
        matches: bool,
        now: OffsetDateTime,
    ) -> CodeVerdict {
        let Some(state) = state else {
            return CodeVerdict::None;
        };
        if now >= self.expires_at(state.sent_at) {
            return CodeVerdict::Expired;
        }
        if state.tries >= self.max_tries {
            return CodeVerdict::TooManyAttempts;
        }
        if let Some(last) = state.last_try_at {
            let allowed_at = last + self.min_spacing;
            if now < allowed_at {
                return CodeVerdict::TooSoon {
                    retry_after_seconds: seconds_until(now, allowed_at),
                };
            }
        }
        if matches {
            CodeVerdict::Accept
        } else {
            CodeVerdict::Incorrect {
                attempts_left: self.max_tries - state.tries - 1,
            }
        }
    }
}

/// Failed sign-ins per account (R8). Failures are counted per email address, whether or not an
/// account has it, so an address without an account answers exactly like one with (R9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures without any delay.
    pub free_failures: u32,
    /// After `free_failures`, failure n waits `first_delay * 2^(n - free_failures)` ...
    pub first_delay: Duration,
    /// ... but never longer than this.
    pub max_delay: Duration,
    /// Every this many consecutive failures the account locks for `lock_for` and an unlock code
    /// is mailed.
    pub lock_every: u32,
    pub lock_for: Duration,
    /// At this many consecutive failures the lock no longer ends by itself: only the mailed
    /// unlock code (or a password reset through the mailbox) lifts it.
    pub hard_stop_at: u32,
    /// Failures against one account from this many different IP addresses within
    /// `unusual_window` are unusual activity: the account locks at once.
    pub unusual_ips: u32,
    pub unusual_window: Duration,
    /// A successful sign-in after at least this many failures is a security event with a mail.
    pub notify_success_after: u32,
}

pub const LOCKOUT: LockoutPolicy = LockoutPolicy {
    free_failures: 5,
    first_delay: Duration::seconds(1),
    max_delay: Duration::seconds(60),
    lock_every: 10,
    lock_for: Duration::minutes(15),
    hard_stop_at: 100,
    unusual_ips: 5,
    unusual_window: Duration::minutes(15),
    notify_success_after: 5,
};

/// The stored failure state of one failure budget of an email address (see `guard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GuardState {
    /// Consecutive failures since the last success, unlock or reset.
    pub failures: u32,
    pub last_failure_at: Option<OffsetDateTime>,
    /// Attempts reserved but not judged yet (their password is being checked). The gate counts
    /// them as failures, so parallel attempts cannot all pass it before any is judged (R21).
    pub in_flight: u32,
    /// When the newest of those began.
    pub last_started_at: Option<OffsetDateTime>,
    /// A temporary lock ends here.
    pub locked_until: Option<OffsetDateTime>,
    /// A lock that only the mailbox lifts.
    pub hard_locked: bool,
}

/// May a password be tried now?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// `auth.throttled`: not counted as a failure.
    Throttled {
        retry_after_seconds: u32,
    },
    /// `auth.locked`; `retry_after_seconds` is `None` for a hard lock.
    Locked {
        retry_after_seconds: Option<u32>,
    },
}

/// Why an account locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockReason {
    RepeatedFailures,
    UnusualActivity,
    HardStop,
}

impl LockReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LockReason::RepeatedFailures => "repeated_failures",
            LockReason::UnusualActivity => "unusual_activity",
            LockReason::HardStop => "hard_stop",
        }
    }
}

impl LockoutPolicy {
    /// The wait after `failures` consecutive failures, before the next try.
    pub fn delay_after(&self, failures: u32) -> Duration {
        if failures < self.free_failures {
            return Duration::ZERO;
        }
        let exponent = failures - self.free_failures;
        // 2^6 s already exceeds any sensible cap; stop doubling before it overflows.
        let factor = 1i32 << exponent.min(30);
        (self.first_delay * factor).min(self.max_delay)
    }

    pub fn gate(&self, state: &GuardState, now: OffsetDateTime) -> Gate {
        if state.hard_locked {
            return Gate::Locked {
                retry_after_seconds: None,
            };
        }
        if let Some(until) = state.locked_until {
            if now < until {
                return Gate::Locked {
                    retry_after_seconds: Some(seconds_until(now, until)),
                };
            }
        }
        let last = match (state.last_failure_at, state.last_started_at) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if let Some(last) = last {
            let allowed_at =
                last + self.delay_after(state.failures.saturating_add(state.in_flight));
            if now < allowed_at {
                return Gate::Throttled {
                    retry_after_seconds: seconds_until(now, allowed_at),
                };
            }
        }
        Gate::Open
    }

    /// The state after one more failure, and the lock it started, if any. `distinct_ips` is the
    /// number of different addresses that failed against this account within
    /// `unusual_window`, this failure included.
    pub fn after_failure(
        &self,
        state: &GuardState,
        distinct_ips: u32,
        now: OffsetDateTime,
    ) -> (GuardState, Option<LockReason>) {
        let failures = state.failures.saturating_add(1);
        let mut next = GuardState {
            failures,
            last_failure_at: Some(now),
            locked_until: state.locked_until,
            hard_locked: state.hard_locked,
            ..*state
        };
        let reason = if failures >= self.hard_stop_at {
            next.hard_locked = true;
            Some(LockReason::HardStop)
        } else if failures.is_multiple_of(self.lock_every) {
            Some(LockReason::RepeatedFailures)
        } else if distinct_ips >= self.unusual_ips && !self.is_locked(state, now) {
            Some(LockReason::UnusualActivity)
        } else {
            None
        };
        if matches!(
            reason,
            Some(LockReason::RepeatedFailures | LockReason::UnusualActivity)
        ) {
            next.locked_until = Some(now + self.lock_for);
        }
        (next, reason)
    }

    fn is_locked(&self, state: &GuardState, now: OffsetDateTime) -> bool {
        state.hard_locked || state.locked_until.is_some_and(|until| now < until)
    }
}

/// At most `max` events per `window` (a sliding window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowLimit {
    pub max: u32,
    pub window: Duration,
}

/// Failed sign-ins per client IP address, across all accounts: `auth.throttled`.
pub const IP_THROTTLE: WindowLimit = WindowLimit {
    max: 30,
    window: Duration::minutes(15),
};

/// Recovery requests per client IP address: `request.rate_limited` (each one mails a stranger's
/// address, so it must not become a way to send mail to anyone in bulk).
pub const RECOVERY_REQUESTS_PER_IP: WindowLimit = WindowLimit {
    max: 5,
    window: Duration::hours(1),
};

/// "Was this helpful?" votes per client address: `request.rate_limited`. Each installation
/// counts once per article anyway; this bounds the writes one address can cause (a person
/// answers a few articles; an office behind one address a few hundred an hour).
pub const HELP_FEEDBACK_PER_IP: WindowLimit = WindowLimit {
    max: 100,
    window: Duration::hours(1),
};

/// Requests per client address (its limit key) that cost a password hash, counted before the
/// hash whatever their outcome: `request.rate_limited` with `Retry-After` (R24). They keep one
/// address from taking the hashing capacity for itself; the bounded hash queue
/// ([`HASH_QUEUE`]) protects against many addresses at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressLimits {
    /// Password checks: sign-in and re-authentication.
    pub password_checks: WindowLimit,
    /// Sign-ups.
    pub sign_ups: WindowLimit,
    /// New passwords: the reset step with the mailed code, and a change while signed in.
    pub new_passwords: WindowLimit,
}

pub const PER_ADDRESS: AddressLimits = AddressLimits {
    password_checks: WindowLimit {
        max: 60,
        window: Duration::minutes(10),
    },
    sign_ups: WindowLimit {
        max: 10,
        window: Duration::hours(1),
    },
    new_passwords: WindowLimit {
        max: 10,
        window: Duration::hours(1),
    },
};

/// Mail to addresses without a verified account (sign-up codes, resends, a reset code for an
/// unverified account), which a stranger can trigger for any address. Over either limit the
/// request is answered exactly as before (no enumeration, no hint) but no mail goes out; the
/// code is still issued, so the next resend after the limit frees works as usual.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnverifiedMailLimits {
    /// Per client address (its limit key).
    pub per_address: WindowLimit,
    /// For the whole server (all instances sharing the database).
    pub global: WindowLimit,
}

pub const UNVERIFIED_MAIL: UnverifiedMailLimits = UnverifiedMailLimits {
    per_address: WindowLimit {
        max: 10,
        window: Duration::hours(1),
    },
    global: WindowLimit {
        max: 1000,
        window: Duration::hours(1),
    },
};

impl WindowLimit {
    /// A fixed-window counter (one row per key, O(1) per event): `stored` is the window's start
    /// and the events in it. Answers the row to store with this event counted, or the seconds
    /// to wait when the window is full. A window starts at the first event after the previous
    /// one ended.
    pub fn count_fixed(
        &self,
        stored: Option<(OffsetDateTime, u32)>,
        now: OffsetDateTime,
    ) -> Result<(OffsetDateTime, u32), u32> {
        match stored {
            Some((start, count)) if now < start + self.window => {
                if count >= self.max {
                    Err(seconds_until(now, start + self.window))
                } else {
                    Ok((start, count + 1))
                }
            }
            _ => Ok((now, 1)),
        }
    }

    /// `in_window` events since `now - window`, the oldest at `oldest`: the wait before the next
    /// one is allowed, if any.
    pub fn wait(
        &self,
        in_window: u32,
        oldest: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Option<u32> {
        if in_window < self.max {
            return None;
        }
        let frees_at = oldest.unwrap_or(now) + self.window;
        Some(seconds_until(now, frees_at))
    }
}

/// Attempts reserved before their password or code is checked (R21).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptPolicy {
    /// A reservation not judged within this long (the server died while hashing) no longer
    /// counts; hashing waits are bounded far below it.
    pub reservation_ttl: Duration,
}

pub const ATTEMPTS: AttemptPolicy = AttemptPolicy {
    reservation_ttl: Duration::minutes(2),
};

/// The queue in front of password hashing (R24; see `hashing.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashQueuePolicy {
    /// Requests that may wait for a hashing permit, per permit (one permit per CPU core), in
    /// each lane (password checks; new hashes). More are answered `server.busy` at once.
    pub waiters_per_permit: usize,
    /// A waiter that got no permit within this time is answered `server.busy`.
    pub max_wait: std::time::Duration,
    /// The `Retry-After` of a `server.busy` answer.
    pub retry_after_seconds: u32,
}

/// On 2 cores at the production cost (about 40 ms a hash on the 2-core reference machine in a
/// release build), a full lane of 32 waiters clears in about 0.7 s, so a sign-in waits at most
/// about 1.4 s behind both full lanes; clients told to try again after 1 s come back before
/// the cores run out of work.
pub const HASH_QUEUE: HashQueuePolicy = HashQueuePolicy {
    waiters_per_permit: 16,
    max_wait: std::time::Duration::from_secs(5),
    retry_after_seconds: 1,
};

/// Sessions and their tokens (R12, R15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// An access token works this long.
    pub access_lifetime: Duration,
    /// A session ends this long after it began, whatever happens (absolute lifetime).
    pub absolute_lifetime: Duration,
    /// A session ends after this long without any request (idle lifetime).
    pub idle_lifetime: Duration,
    /// `last_active_at` is written at most this often per session (fewer writes under load).
    pub activity_resolution: Duration,
}

pub const SESSIONS: SessionPolicy = SessionPolicy {
    access_lifetime: Duration::minutes(15),
    absolute_lifetime: Duration::days(30),
    idle_lifetime: Duration::days(7),
    activity_resolution: Duration::minutes(1),
};

/// A session's stored times, for [`SessionPolicy::judge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionState {
    pub created_at: OffsetDateTime,
    pub last_active_at: OffsetDateTime,
    pub revoked: bool,
}

/// Why a session or token no longer works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionVerdict {
    Valid,
    /// `auth.session_expired`.
    Expired,
    /// `auth.session_revoked`.
    Revoked,
}

impl SessionPolicy {
    pub fn ends_at(&self, created_at: OffsetDateTime) -> OffsetDateTime {
        created_at + self.absolute_lifetime
    }

    /// Judges a session and one of its tokens (valid until `token_expires_at`).
    pub fn judge(
        &self,
        session: &SessionState,
        token_expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> SessionVerdict {
        if session.revoked {
            SessionVerdict::Revoked
        } else if now >= self.ends_at(session.created_at)
            || now >= session.last_active_at + self.idle_lifetime
            || now >= token_expires_at
        {
            SessionVerdict::Expired
        } else {
            SessionVerdict::Valid
        }
    }
}

/// Re-authentication ("sudo mode", R13/R14): removing another session, changing email,
/// password or 2FA, new recovery codes, and creating, rotating, disabling or deleting API
/// credentials need the password within the last `window` in this session (at sign-in, with
/// `POST /api/auth/reauthenticate`, or in the request itself); else `auth.reauth_required`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReauthPolicy {
    pub window: Duration,
}

pub const REAUTH: ReauthPolicy = ReauthPolicy {
    window: Duration::minutes(10),
};

impl ReauthPolicy {
    /// Whether a password proved at `proved_at` still counts at `now` (never: `None`).
    pub fn is_recent(&self, proved_at: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
        proved_at.is_some_and(|at| at <= now && now < at + self.window)
    }

    /// Until when a password proved at `proved_at` counts.
    pub fn until(&self, proved_at: OffsetDateTime) -> OffsetDateTime {
        proved_at + self.window
    }
}

/// Retrying mail the SMTP server did not take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailRetryPolicy {
    pub first_retry: Duration,
    pub max_backoff: Duration,
    /// After this many failed attempts the mail is marked as given up (and logged as an error).
    pub max_attempts: u32,
}

pub const MAIL_RETRY: MailRetryPolicy = MailRetryPolicy {
    first_retry: Duration::seconds(30),
    max_backoff: Duration::hours(1),
    max_attempts: 30,
};

impl MailRetryPolicy {
    /// When to try again after `attempts` failed attempts; `None`: give up.
    pub fn next_attempt(&self, attempts: u32, now: OffsetDateTime) -> Option<OffsetDateTime> {
        if attempts >= self.max_attempts {
            return None;
        }
        let exponent = attempts.saturating_sub(1).min(20);
        let backoff = (self.first_retry * (1i32 << exponent)).min(self.max_backoff);
        Some(now + backoff)
    }
}

/// Two-step verification with an authenticator app (RFC 6238) and recovery codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwoFactorPolicy {
    /// A pending secret from `POST /api/account/2fa/setup` is forgotten after this.
    pub setup_lifetime: Duration,
    /// The sign-in challenge between the password and the code lives this long.
    pub challenge_lifetime: Duration,
    /// TOTP time steps before the current one that are still accepted (clock drift and the
    /// time it takes to type). Later steps are never accepted.
    pub steps_back: u64,
    /// Characters of a recovery code, without the dash (`xxxx-xxxx`).
    pub recovery_code_chars: usize,
}

pub const TWO_FACTOR: TwoFactorPolicy = TwoFactorPolicy {
    setup_lifetime: Duration::minutes(10),
    challenge_lifetime: Duration::minutes(5),
    steps_back: 1,
    recovery_code_chars: 8,
};

/// The realtime channel (`GET /api/realtime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RealtimePolicy {
    /// A ping goes out this often, and the session is checked again (a socket whose session
    /// ended by any other way closes within this time).
    pub keep_alive: std::time::Duration,
    /// Frames waiting for one slow connection; when full, the connection is closed (the
    /// client reconnects and refreshes).
    pub queue: usize,
    /// The same for a support agent's connection, which hears every support event of every
    /// conversation (a burst of messages from many people at once must not drop it).
    pub agent_queue: usize,
    /// Open sockets per session; one more is refused before the upgrade with
    /// `429 realtime.too_many_sockets` (a client needs one; a few allow reconnects overlapping).
    pub max_sockets_per_session: usize,
    /// Open sockets per account, over all its sessions (same refusal).
    pub max_sockets_per_account: usize,
    /// The largest frame and message a client may send; the server reads nothing from clients
    /// but pongs and close frames, so a larger one closes the socket (status 1009).
    pub max_inbound_bytes: usize,
}

pub const REALTIME: RealtimePolicy = RealtimePolicy {
    keep_alive: std::time::Duration::from_secs(25),
    queue: 32,
    agent_queue: 4096,
    max_sockets_per_session: 5,
    max_sockets_per_account: 20,
    max_inbound_bytes: 16 * 1024,
};

/// The TCP connections of the HTTP server (R25): what a client that opens connections and
/// sends nothing, or half a request, can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionPolicy {
    /// A request's head (request line and headers) must arrive complete within this time of
    /// the connection opening or of the previous answer on it; otherwise the connection closes.
    /// So this is also how long an HTTP/1 keep-alive connection may sit idle between requests.
    pub header_read_timeout: std::time::Duration,
    /// A request body must arrive complete within this time (its handler then fails with
    /// `request.invalid` and the connection closes).
    pub body_read_timeout: std::time::Duration,
    /// A connection on which no byte moved either way for this long is closed (a client that
    /// stops reading its answer, or stalls in any other way).
    pub idle_timeout: std::time::Duration,
    /// At most this many connections at once (WebSockets included)...
    pub max_connections: usize,
    /// ...and never more than the process's open-file limit minus this reserve (the database,
    /// its journal, mail files and the listening socket need descriptors too).
    pub reserved_file_descriptors: usize,
}

pub const CONNECTIONS: ConnectionPolicy = ConnectionPolicy {
    header_read_timeout: std::time::Duration::from_secs(10),
    body_read_timeout: std::time::Duration::from_secs(30),
    idle_timeout: std::time::Duration::from_secs(60),
    max_connections: 4096,
    reserved_file_descriptors: 128,
};

impl ConnectionPolicy {
    /// The connection cap for a process that may open `open_file_limit` descriptors (`None`:
    /// unknown). When the cap is reached, the connection idle the longest is closed to make
    /// room; when none is idle, new connections wait in the listen queue.
    pub fn cap(&self, open_file_limit: Option<u64>) -> usize {
        let by_files = open_file_limit
            .map(|limit| usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|limit| limit.saturating_sub(self.reserved_file_descriptors).max(16));
        by_files.map_or(self.max_connections, |n| n.min(self.max_connections))
    }
}

/// Which clients share a per-address limit (sign-in failures, recovery requests, ...): an IPv4
/// address is one client; IPv6 addresses in the same `/64` are one client, because a single
/// line or host is routinely given a whole `/64` and can pick any address in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitKeyPolicy {
    pub ipv4_prefix_bits: u8,
    pub ipv6_prefix_bits: u8,
}

pub const LIMIT_KEYS: LimitKeyPolicy = LimitKeyPolicy {
    ipv4_prefix_bits: 32,
    ipv6_prefix_bits: 64,
};

impl LimitKeyPolicy {
    /// The key of `ip`: `192.0.2.7`, `2001:db8:1:2::/64`; an IPv4-mapped IPv6 address is its
    /// IPv4 address; something that is not an address (`unknown`) is its own key.
    pub fn key_of(&self, ip: &str) -> String {
        match ip.parse::<std::net::IpAddr>() {
            Ok(ip) => prefix_of(ip, self.ipv4_prefix_bits, self.ipv6_prefix_bits, true),
            Err(_) => ip.to_owned(),
        }
    }
}

/// `ip` cut to its prefix, as text: `a.b.c.d/bits` (or just the address for `/32` when
/// `bare_full_v4`), `x::/bits`; IPv4-mapped IPv6 addresses count as IPv4.
fn prefix_of(ip: std::net::IpAddr, v4_bits: u8, v6_bits: u8, bare_full_v4: bool) -> String {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    match ip {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(v4_bits)).unwrap_or(0);
            let net = Ipv4Addr::from(u32::from(v4) & mask);
            if bare_full_v4 && v4_bits == 32 {
                net.to_string()
            } else {
                format!("{net}/{v4_bits}")
            }
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => prefix_of(IpAddr::V4(v4), v4_bits, v6_bits, bare_full_v4),
            None => {
                let mask = u128::MAX.checked_shl(128 - u32::from(v6_bits)).unwrap_or(0);
                format!("{}/{v6_bits}", Ipv6Addr::from(u128::from(v6) & mask))
            }
        },
    }
}

/// The security timeline (`GET /api/account/security/events`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelinePolicy {
    pub default_limit: u32,
    pub max_limit: u32,
}

pub const TIMELINE: TimelinePolicy = TimelinePolicy {
    default_limit: 50,
    max_limit: 200,
};

/// API credentials per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiClientPolicy {
    pub max_per_account: u32,
    pub name_max_chars: usize,
    /// `last_used_at` is written at most this often per client.
    pub usage_resolution: Duration,
}

pub const API_CLIENTS: ApiClientPolicy = ApiClientPolicy {
    max_per_account: 20,
    name_max_chars: 80,
    usage_resolution: Duration::minutes(1),
};

/// How a sign-in's network is told apart: IPv4 addresses in the same `/24`, IPv6 addresses in
/// the same `/48` count as one network (a home or office line keeps its prefix while the last
/// part changes; a different prefix is a different place or provider).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkPolicy {
    pub ipv4_prefix_bits: u8,
    pub ipv6_prefix_bits: u8,
}

pub const NETWORKS: NetworkPolicy = NetworkPolicy {
    ipv4_prefix_bits: 24,
    ipv6_prefix_bits: 48,
};

impl NetworkPolicy {
    /// The network of `ip` as stored with a session, e.g. `192.0.2.0/24`, `2001:db8:1::/48`;
    /// an address that does not parse (`unknown` without a socket) is its own network.
    pub fn network_of(&self, ip: &str) -> String {
        match ip.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(v4)) => {
                let bits = u32::from(v4) & (u32::MAX << (32 - u32::from(self.ipv4_prefix_bits)));
                format!(
                    "{}/{}",
                    std::net::Ipv4Addr::from(bits),
                    self.ipv4_prefix_bits
                )
            }
            Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => self.network_of(&v4.to_string()),
                None => {
                    let bits =
                        u128::from(v6) & (u128::MAX << (128 - u32::from(self.ipv6_prefix_bits)));
                    format!(
                        "{}/{}",
                        std::net::Ipv6Addr::from(bits),
                        self.ipv6_prefix_bits
                    )
                }
            },
            Err(_) => ip.to_owned(),
        }
    }
}

/// Working days within which support answers a recovery request.
pub const RECOVERY_ANSWER_WITHIN_DAYS: u32 = 2;

/// Live support (`accounts::support`; the contract's numbers are in `xwms_api::support`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportPolicy {
    /// New messages per account (an agent counts like anyone): `support.rate_limited`. A
    /// person types a few a minute; an outbox catching up after a day offline sends a burst.
    /// Sending an already stored client id again does not count.
    pub messages_per_account: WindowLimit,
    /// The same for a support agent, who answers many people at once (bounds a runaway script).
    pub agent_messages_per_account: WindowLimit,
    /// Least time between two "typing" signals of one author in one conversation (clients send
    /// one every `TYPING_EVERY_SECONDS` = 3 s; a second of slack for timer jitter).
    pub typing_min_interval: Duration,
    /// Guest codes mailed per case reference (`request.rate_limited`)...
    pub guest_codes_per_reference: WindowLimit,
    /// ... and per client address.
    pub guest_codes_per_address: WindowLimit,
    /// Wrong tries of one guest code before it is dead.
    pub guest_code_max_tries: u32,
    /// How long a guest token opens its case.
    pub guest_token_lifetime: Duration,
    /// Characters of a message shown in the "unseen reply" mail (not for security topics).
    pub mail_preview_chars: usize,
    /// Working days within which a question is answered when no agent is online.
    pub answer_within_days: u32,
}

pub const SUPPORT: SupportPolicy = SupportPolicy {
    messages_per_account: WindowLimit {
        max: 120,
        window: Duration::minutes(10),
    },
    agent_messages_per_account: WindowLimit {
        max: 10_000,
        window: Duration::minutes(10),
    },
    typing_min_interval: Duration::seconds(2),
    guest_codes_per_reference: WindowLimit {
        max: 5,
        window: Duration::hours(1),
    },
    guest_codes_per_address: WindowLimit {
        max: 10,
        window: Duration::hours(1),
    },
    guest_code_max_tries: 5,
    guest_token_lifetime: Duration::hours(12),
    mail_preview_chars: 140,
    answer_within_days: 2,
};

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-05-06 07:00:00 UTC);

    fn secs(s: i64) -> Duration {
        Duration::seconds(s)
    }

    #[test]
    fn code_policies_match_the_published_numbers() {
        #[rustfmt::skip]
        let table = [
            ("verify_email",   VERIFY_EMAIL_CODE,   5 * 60),
            ("unlock",         UNLOCK_CODE,         5 * 60),
            ("reset_password", RESET_PASSWORD_CODE, 10 * 60),
            ("change_email",   CHANGE_EMAIL_CODE,   10 * 60),
        ];
        for (name, policy, lifetime) in table {
            assert_eq!(policy.lifetime, secs(lifetime), "{name}");
            assert_eq!(policy.max_tries, 5, "{name}");
            assert_eq!(policy.min_spacing, secs(5), "{name}");
            assert_eq!(policy.resend_after, secs(46), "{name}");
            assert_eq!(policy.tries_per_day.max, 50, "{name}");
            assert_eq!(policy.tries_per_day.window, Duration::days(1), "{name}");
            assert_eq!(policy.tries_per_day_per_network.max, 10, "{name}");
            assert_eq!(policy.max_pending, 5, "{name}");
        }
    }

    #[test]
    fn code_judgement_table() {
        let p = VERIFY_EMAIL_CODE;
        let fresh = CodeState {
            sent_at: T0,
            tries: 0,
            last_try_at: None,
        };
        let tried = |tries, ago: i64| CodeState {
            sent_at: T0,
            tries,
            last_try_at: Some(T0 + secs(60) - secs(ago)),
        };
        let at = |s: i64| T0 + secs(s);
        #[rustfmt::skip]
        let table: &[(&str, Option<CodeState>, bool, OffsetDateTime, CodeVerdict)] = &[
            ("nothing pending",          None,               true,  at(1),   CodeVerdict::None),
            ("right code at once",       Some(fresh),        true,  at(0),   CodeVerdict::Accept),
            ("right code at 4:59",       Some(fresh),        true,  at(299), CodeVerdict::Accept),
            ("right code at 5:00",       Some(fresh),        true,  at(300), CodeVerdict::Expired),
            ("wrong code, first try",    Some(fresh),        false, at(10),  CodeVerdict::Incorrect { attempts_left: 4 }),
            ("4.0 s after a try",        Some(tried(1, 4)),  true,  at(60),  CodeVerdict::TooSoon { retry_after_seconds: 1 }),
            ("0 s after a try",          Some(tried(1, 0)),  false, at(60),  CodeVerdict::TooSoon { retry_after_seconds: 5 }),
            ("5 s after a try",          Some(tried(1, 5)),  true,  at(60),  CodeVerdict::Accept),
            ("fifth wrong try",          Some(tried(4, 5)),  false, at(60),  CodeVerdict::Incorrect { attempts_left: 0 }),
            ("after five wrong tries",   Some(tried(5, 30)), true,  at(60),  CodeVerdict::TooManyAttempts),
            ("dead and expired",         Some(tried(5, 30)), true,  at(400), CodeVerdict::Expired),
        ];
        for (name, state, matches, now, want) in table {
            assert_eq!(p.judge(state.as_ref(), *matches, *now), *want, "{name}");
        }
        // Ten minutes for a password reset and an email change.
        assert_eq!(
            RESET_PASSWORD_CODE.judge(Some(&fresh), true, at(599)),
            CodeVerdict::Accept
        );
        assert_eq!(
            CHANGE_EMAIL_CODE.judge(Some(&fresh), true, at(600)),
            CodeVerdict::Expired
        );
    }

    #[test]
    fn resend_is_refused_for_46_seconds() {
        let p = VERIFY_EMAIL_CODE;
        #[rustfmt::skip]
        let table = [
            (None,     0,  None),
            (Some(T0), 0,  Some(46)),
            (Some(T0), 1,  Some(45)),
            (Some(T0), 45, Some(1)),
            (Some(T0), 46, None),
            (Some(T0), 600, None),
        ];
        for (sent, after, want) in table {
            assert_eq!(p.resend_wait(sent, T0 + secs(after)), want, "{after} s");
        }
    }

    #[test]
    fn throttle_grows_from_the_fifth_failure_and_caps_at_a_minute() {
        #[rustfmt::skip]
        let table = [(0, 0), (4, 0), (5, 1), (6, 2), (7, 4), (8, 8), (9, 16), (10, 32), (11, 60), (12, 60), (99, 60), (u32::MAX, 60)];
        for (failures, delay) in table {
            assert_eq!(
                LOCKOUT.delay_after(failures),
                secs(delay),
                "{failures} failures"
            );
        }
    }

    fn fail_times(policy: &LockoutPolicy, n: u32) -> (GuardState, Vec<(u32, LockReason)>) {
        let mut state = GuardState::default();
        let mut locks = vec![];
        let mut now = T0;
        for _ in 0..n {
            let (next, lock) = policy.after_failure(&state, 1, now);
            if let Some(reason) = lock {
                locks.push((next.failures, reason));
            }
            state = next;
            now += Duration::hours(1);
        }
        (state, locks)
    }

    #[test]
    fn locks_every_ten_failures_and_stops_hard_at_one_hundred() {
        let (state, locks) = fail_times(&LOCKOUT, 100);
        let expected: Vec<(u32, LockReason)> = (1..=9)
            .map(|k| (k * 10, LockReason::RepeatedFailures))
            .chain([(100, LockReason::HardStop)])
            .collect();
        assert_eq!(locks, expected);
        assert!(state.hard_locked);
        assert_eq!(
            LOCKOUT.gate(&state, T0 + Duration::days(365)),
            Gate::Locked {
                retry_after_seconds: None
            },
            "a hard stop does not end by itself"
        );
    }

    #[test]
    fn gate_table() {
        let locked = GuardState {
            failures: 10,
            last_failure_at: Some(T0),
            locked_until: Some(T0 + Duration::minutes(15)),
            hard_locked: false,
            ..GuardState::default()
        };
        let four_in_flight = GuardState {
            in_flight: 4,
            last_started_at: Some(T0),
            ..GuardState::default()
        };
        let five_in_flight = GuardState {
            in_flight: 5,
            last_started_at: Some(T0),
            ..GuardState::default()
        };
        let three_and_two = GuardState {
            failures: 3,
            last_failure_at: Some(T0 - Duration::hours(1)),
            in_flight: 2,
            last_started_at: Some(T0),
            ..GuardState::default()
        };
        let six = GuardState {
            failures: 6,
            last_failure_at: Some(T0),
            ..GuardState::default()
        };
        let four = GuardState {
            failures: 4,
            last_failure_at: Some(T0),
            ..GuardState::default()
        };
        #[rustfmt::skip]
        let table = [
            ("no failures",            GuardState::default(), 0,   Gate::Open),
            ("four failures",          four,                  0,   Gate::Open),
            ("six failures, at once",  six,                   0,   Gate::Throttled { retry_after_seconds: 2 }),
            ("six failures, 1 s",      six,                   1,   Gate::Throttled { retry_after_seconds: 1 }),
            ("six failures, 2 s",      six,                   2,   Gate::Open),
            ("locked, at once",        locked,                0,   Gate::Locked { retry_after_seconds: Some(900) }),
            ("locked, 14:59",          locked,                899, Gate::Locked { retry_after_seconds: Some(1) }),
            ("lock over, delay over",  locked,                900, Gate::Open),
            ("four in flight",         four_in_flight,        0,   Gate::Open),
            ("five in flight",         five_in_flight,        0,   Gate::Throttled { retry_after_seconds: 1 }),
            ("five in flight, 1 s",    five_in_flight,        1,   Gate::Open),
            ("3 failed + 2 in flight", three_and_two,         0,   Gate::Throttled { retry_after_seconds: 1 }),
        ];
        for (name, state, after, want) in table {
            assert_eq!(LOCKOUT.gate(&state, T0 + secs(after)), want, "{name}");
        }
    }

    #[test]
    fn failures_from_many_addresses_lock_at_once() {
        let state = GuardState {
            failures: 2,
            last_failure_at: Some(T0),
            ..GuardState::default()
        };
        let (next, lock) = LOCKOUT.after_failure(&state, 4, T0);
        assert_eq!((next.failures, lock), (3, None));
        let (next, lock) = LOCKOUT.after_failure(&state, 5, T0);
        assert_eq!(lock, Some(LockReason::UnusualActivity));
        assert_eq!(next.locked_until, Some(T0 + Duration::minutes(15)));
    }

    #[test]
    fn recovery_requests_are_limited_per_address() {
        assert_eq!(RECOVERY_REQUESTS_PER_IP.wait(4, Some(T0), T0), None);
        assert_eq!(
            RECOVERY_REQUESTS_PER_IP.wait(5, Some(T0), T0 + secs(60)),
            Some(3540)
        );
    }

    #[test]
    fn help_feedback_per_address_table() {
        let limit = HELP_FEEDBACK_PER_IP;
        let hour = Duration::hours(1);
        type Window = (OffsetDateTime, u32);
        #[rustfmt::skip]
        let table: &[(Option<Window>, OffsetDateTime, Result<Window, u32>)] = &[
            (None,                 T0,                      Ok((T0, 1))),
            (Some((T0, 1)),        T0 + secs(10),           Ok((T0, 2))),
            (Some((T0, 99)),       T0 + secs(10),           Ok((T0, 100))),
            (Some((T0, 100)),      T0 + secs(10),           Err(3590)),
            (Some((T0, 100)),      T0 + hour - secs(1),     Err(1)),
            (Some((T0, 100)),      T0 + hour,               Ok((T0 + hour, 1))),
            (Some((T0, 5)),        T0 + hour + secs(5),     Ok((T0 + hour + secs(5), 1))),
        ];
        for (stored, now, want) in table {
            assert_eq!(
                limit.count_fixed(*stored, *now),
                *want,
                "{stored:?} at {now}"
            );
        }
    }

    #[test]
    fn ip_throttle_table() {
        let oldest = Some(T0);
        #[rustfmt::skip]
        let table = [
            (0,  0,   None),
            (29, 0,   None),
            (30, 0,   Some(900)),
            (30, 600, Some(300)),
            (45, 899, Some(1)),
        ];
        for (failures, after, want) in table {
            assert_eq!(
                IP_THROTTLE.wait(failures, oldest, T0 + secs(after)),
                want,
                "{failures}/{after}"
            );
        }
    }

    #[test]
    fn hash_queue_and_per_address_limits_table() {
        assert_eq!(HASH_QUEUE.waiters_per_permit, 16);
        assert_eq!(HASH_QUEUE.max_wait, std::time::Duration::from_secs(5));
        assert_eq!(HASH_QUEUE.retry_after_seconds, 1);
        let oldest = Some(T0);
        #[rustfmt::skip]
        let table = [
            ("password checks, 59 in 10 min", PER_ADDRESS.password_checks, 59, 0,    None),
            ("password checks, 60 in 10 min", PER_ADDRESS.password_checks, 60, 0,    Some(600)),
            ("password checks, 9:59 later",   PER_ADDRESS.password_checks, 60, 599,  Some(1)),
            ("sign-ups, 9 in an hour",        PER_ADDRESS.sign_ups,        9,  0,    None),
            ("sign-ups, 10 in an hour",       PER_ADDRESS.sign_ups,        10, 60,   Some(3540)),
            ("new passwords, 10 in an hour",  PER_ADDRESS.new_passwords,   10, 3599, Some(1)),
            ("mail per address, 10",          UNVERIFIED_MAIL.per_address, 10, 0,    Some(3600)),
            ("mail for the server, 999",      UNVERIFIED_MAIL.global,      999, 0,   None),
            ("mail for the server, 1000",     UNVERIFIED_MAIL.global,      1000, 1800, Some(1800)),
        ];
        for (name, limit, count, after, want) in table {
            assert_eq!(limit.wait(count, oldest, T0 + secs(after)), want, "{name}");
        }
    }

    #[test]
    fn reauth_window_table() {
        let t0 = datetime!(2026-11-25 10:00 UTC);
        let m = Duration::minutes;
        let s = Duration::seconds;
        for (proved, now, recent) in [
            (Some(t0), t0, true),
            (Some(t0), t0 + m(9) + s(59), true),
            (Some(t0), t0 + m(10), false),
            (Some(t0), t0 + m(10) + s(1), false),
            (Some(t0), t0 + Duration::days(1), false),
            // A time in the future (a clock moved back) never counts.
            (Some(t0 + m(1)), t0, false),
            (None, t0, false),
        ] {
            assert_eq!(
                REAUTH.is_recent(proved, now),
                recent,
                "proved {proved:?}, now {now}"
            );
        }
        assert_eq!(REAUTH.until(t0), t0 + m(10));
    }

    #[test]
    fn session_lifetimes_table() {
        let p = SESSIONS;
        assert_eq!(p.access_lifetime, Duration::minutes(15));
        assert_eq!(p.absolute_lifetime, Duration::days(30));
        assert_eq!(p.idle_lifetime, Duration::days(7));
        let live = SessionState {
            created_at: T0,
            last_active_at: T0 + Duration::days(25),
            revoked: false,
        };
        let far = T0 + Duration::days(365);
        #[rustfmt::skip]
        let table = [
            ("fresh token",              live, far, T0 + Duration::days(26),       SessionVerdict::Valid),
            ("token past its end",       live, T0 + Duration::days(25), T0 + Duration::days(25), SessionVerdict::Expired),
            ("absolute end",             live, far, T0 + Duration::days(30),       SessionVerdict::Expired),
            ("idle for 7 days",          SessionState { last_active_at: T0, ..live }, far, T0 + Duration::days(7), SessionVerdict::Expired),
            ("idle for 6 days 23 h",     SessionState { last_active_at: T0, ..live }, far, T0 + Duration::days(7) - Duration::hours(1), SessionVerdict::Valid),
            ("revoked",                  SessionState { revoked: true, ..live }, far, T0 + Duration::days(26), SessionVerdict::Revoked),
            ("revoked and expired",      SessionState { revoked: true, ..live }, far, far, SessionVerdict::Revoked),
        ];
        for (name, session, token_end, now, want) in table {
            assert_eq!(p.judge(&session, token_end, now), want, "{name}");
        }
    }

    #[test]
    fn networks_are_ipv4_slash_24_and_ipv6_slash_48() {
        #[rustfmt::skip]
        let table = [
            ("192.0.2.7",             "192.0.2.0/24"),
            ("192.0.2.250",           "192.0.2.0/24"),
            ("192.0.3.7",             "192.0.3.0/24"),
            ("2001:db8:1:2::7",       "2001:db8:1::/48"),
            ("2001:db8:1:ffff::1",    "2001:db8:1::/48"),
            ("2001:db8:2::1",         "2001:db8:2::/48"),
            ("::ffff:192.0.2.9",      "192.0.2.0/24"),
            ("unknown",               "unknown"),
        ];
        for (ip, network) in table {
            assert_eq!(NETWORKS.network_of(ip), network, "{ip}");
        }
    }

    #[test]
    fn limit_keys_are_the_ipv4_address_and_the_ipv6_slash_64() {
        #[rustfmt::skip]
        let table = [
            ("192.0.2.7",                 "192.0.2.7"),
            ("192.0.2.8",                 "192.0.2.8"),
            ("2001:db8::1",               "2001:db8::/64"),
            ("2001:db8::2",               "2001:db8::/64"),
            ("2001:db8:0:0:ffff:1:2:3",   "2001:db8::/64"),
            ("2001:db8:0:1::1",           "2001:db8:0:1::/64"),
            ("2001:DB8::1",               "2001:db8::/64"),
            ("::ffff:192.0.2.9",          "192.0.2.9"),
            ("::1",                       "::/64"),
            ("127.0.0.1",                 "127.0.0.1"),
            ("unknown",                   "unknown"),
        ];
        for (ip, key) in table {
            assert_eq!(LIMIT_KEYS.key_of(ip), key, "{ip}");
        }
    }

    #[test]
    fn the_connection_cap_stays_under_the_open_file_limit() {
        #[rustfmt::skip]
        let table = [
            (None,          4096),
            (Some(1024),    1024 - 128),
            (Some(65_536),  4096),
            (Some(100),     16),
            (Some(u64::MAX), 4096),
        ];
        for (limit, cap) in table {
            assert_eq!(CONNECTIONS.cap(limit), cap, "{limit:?}");
        }
        assert_eq!(CONNECTIONS.header_read_timeout.as_secs(), 10);
        assert_eq!(CONNECTIONS.idle_timeout.as_secs(), 60);
        assert_eq!(CONNECTIONS.body_read_timeout.as_secs(), 30);
    }

    #[test]
    fn realtime_limits() {
        assert_eq!(REALTIME.max_sockets_per_session, 5);
        assert_eq!(REALTIME.max_sockets_per_account, 20);
        assert_eq!(REALTIME.max_inbound_bytes, 16 * 1024);
    }

    #[test]
    fn security_center_numbers() {
        assert_eq!(TWO_FACTOR.setup_lifetime, Duration::minutes(10));
        assert_eq!(TWO_FACTOR.challenge_lifetime, Duration::minutes(5));
        assert_eq!(TWO_FACTOR.steps_back, 1);
        assert_eq!((TIMELINE.default_limit, TIMELINE.max_limit), (50, 200));
        assert_eq!(
            (API_CLIENTS.max_per_account, API_CLIENTS.name_max_chars),
            (20, 80)
        );
    }

    #[test]
    fn mail_retry_backs_off_and_gives_up() {
        #[rustfmt::skip]
        let table = [(1, Some(30)), (2, Some(60)), (3, Some(120)), (8, Some(3600)), (29, Some(3600)), (30, None)];
        for (attempts, wait) in table {
            assert_eq!(
                MAIL_RETRY.next_attempt(attempts, T0),
                wait.map(|s| T0 + secs(s)),
                "{attempts} attempts"
            );
        }
    }
}
