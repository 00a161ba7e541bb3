/// One fixed minute of the per-identity rate limit, counted from the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RateWindow(u64);

impl RateWindow {
    pub const SECONDS: u64 = 60;
    /// How long a window's counter is kept after the window closes, before TTL removes it.
    const KEPT_FOR_SECONDS: u64 = 3600;

    pub fn containing(unix_seconds: u64) -> Self {
        Self(unix_seconds / Self::SECONDS)
    }

    pub fn index(self) -> u64 {
        self.0
    }

    /// Seconds from `unix_seconds` (inside this window) until the next one opens.
    pub fn retry_after(self, unix_seconds: u64) -> u64 {
        ((self.0 + 1) * Self::SECONDS).saturating_sub(unix_seconds)
    }

    /// When the counter may go (Unix seconds, for DynamoDB's TTL).
    pub fn expires_at(self) -> u64 {
        (self.0 + 1) * Self::SECONDS + Self::KEPT_FOR_SECONDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_one_minute_and_says_when_the_next_opens() {
        let window = RateWindow::containing(125);
        assert_eq!(window.index(), 2);
        assert_eq!(window.retry_after(125), 55);
        assert_eq!(window.retry_after(179), 1);
        assert_eq!(RateWindow::containing(180).index(), 3);
        assert_eq!(window.expires_at(), 180 + 3600);
    }
}
