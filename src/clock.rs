//! Where the vault reads the time: expiry, TOTP steps and rate windows all ask a [`Clock`],
//! so tests can fix it instead of racing the wall clock.

use crate::domain::Timestamp;

pub trait Clock: Send + Sync {
    /// Now, to the whole second.
    fn now(&self) -> Timestamp;

    /// Now, to the millisecond, where order within a second matters (the activity log).
    fn now_precise(&self) -> Timestamp {
        self.now()
    }
}

/// The system's clock: what production uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn now_precise(&self) -> Timestamp {
        Timestamp::now_millis()
    }
}

/// A clock that stands still until told otherwise, for tests.
#[cfg(any(test, feature = "test-util"))]
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<Timestamp>);

#[cfg(any(test, feature = "test-util"))]
impl ManualClock {
    pub fn at(now: Timestamp) -> Self {
        Self(std::sync::Mutex::new(now))
    }

    /// Moves the clock `seconds` forward.
    pub fn advance(&self, seconds: i64) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let moved = Timestamp::from_unix_seconds(now.unix_seconds() as i64 + seconds);
        if let Some(moved) = moved {
            *now = moved;
        }
    }
}

#[cfg(any(test, feature = "test-util"))]
impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
