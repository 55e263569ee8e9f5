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
    fn fixed_clock_answers_its_instant_in_rfc3339() {
        let clock = FixedClock(datetime!(2026-03-04 05:06:07 UTC));
        assert_eq!(rfc3339(clock.now()), "2026-03-04T05:06:07Z");
    }
}
