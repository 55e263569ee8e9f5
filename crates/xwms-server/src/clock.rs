//! The server's notion of "now", injected so that time-dependent logic is tested exactly
//! (DESIGN.md rule 5): production uses [`SystemClock`], tests a [`FixedClock`].

use time::OffsetDateTime;

/// Where the server reads the current time. Every handler and domain function that needs the
/// time asks the clock in [`crate::AppState`], never `OffsetDateTime::now_utc()` directly.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's clock, in UTC.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that always answers the same instant; for tests.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

/// A clock that stands still until a test moves it: policies on time (code lifetimes, cooldowns,
/// lockouts, token lifetimes) are tested exactly, without sleeping. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(std::sync::Arc<std::sync::Mutex<OffsetDateTime>>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> ManualClock {
        ManualClock(std::sync::Arc::new(std::sync::Mutex::new(start)))
    }

    /// Moves the time forward (or back, with a negative duration).
    pub fn advance(&self, by: time::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }

    pub fn advance_secs(&self, seconds: i64) {
        self.advance(time::Duration::seconds(seconds));
    }

    pub fn set(&self, to: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// How the store keeps instants: whole milliseconds since the Unix epoch (an INTEGER column
/// compares and indexes simply, and keeps sub-second order for the 5-second rules).
pub(crate) fn to_millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The inverse of [`to_millis`].
pub fn from_millis(millis: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Whole seconds from `now` until `later`, rounded up, at least 1: the `retry_after_seconds`
/// a client waits.
pub(crate) fn seconds_until(now: OffsetDateTime, later: OffsetDateTime) -> u32 {
    let millis = (later - now).whole_milliseconds().max(1);
    u32::try_from((millis + 999) / 1000).unwrap_or(u32::MAX)
}

/// `now` as RFC 3339 text, the form every timestamp takes on the wire and in the store.
pub fn rfc3339(now: OffsetDateTime) -> String {
    now.format(&time::format_description::well_known::Rfc3339)
        .expect("every OffsetDateTime within year 0..=9999 formats as RFC 3339")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = ManualClock::new(datetime!(2026-03-04 05:06:07 UTC));
        let other = clock.clone();
        clock.advance_secs(46);
        assert_eq!(other.now(), datetime!(2026-03-04 05:06:53 UTC));
    }

    #[test]
    fn millis_round_trip_and_retry_after_rounds_up() {
        let at = datetime!(2026-03-04 05:06:07.123 UTC);
        assert_eq!(from_millis(to_millis(at)), at);
        let table = [(0, 1), (1, 1), (999, 1), (1000, 1), (1001, 2), (45_500, 46)];
        for (millis, seconds) in table {
            let later = at + time::Duration::milliseconds(millis);
            assert_eq!(seconds_until(at, later), seconds, "{millis} ms");
        }
    }

    #[test]
    fn fixed_clock_answers_its_instant_in_rfc3339() {
        let clock = FixedClock(datetime!(2026-03-04 05:06:07 UTC));
        assert_eq!(rfc3339(clock.now()), "2026-03-04T05:06:07Z");
    }
}
