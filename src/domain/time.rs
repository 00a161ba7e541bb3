use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, SubsecRound, Utc};
use std::fmt;

/// An instant in UTC, written on the wire as RFC 3339 with a trailing `Z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Now, to the whole second, as the contract's examples show.
    pub fn now() -> Self {
        Self(Utc::now().trunc_subsecs(0))
    }

    /// Accepts RFC 3339 with any offset (normalised to UTC) or a bare ISO 8601 date
    /// (`YYYY-MM-DD`), taken as midnight UTC at the start of that day. A date-time without an
    /// offset is ambiguous and rejected, and so is anything whose UTC form would leave years
    /// 0000 to 9999: what is accepted is always written back as RFC 3339 and parses again.
    pub fn parse(raw: &str) -> Option<Self> {
        let bytes = raw.as_bytes();
        let shaped = bytes.len() >= 10
            && bytes[..4].iter().all(u8::is_ascii_digit)
            && bytes[4] == b'-'
            && bytes[5..7].iter().all(u8::is_ascii_digit)
            && bytes[7] == b'-'
            && bytes[8..10].iter().all(u8::is_ascii_digit);
        if !shaped {
            return None;
        }
        let instant = if bytes.len() == 10 {
            let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
            date.and_hms_opt(0, 0, 0)?.and_utc()
        } else if matches!(bytes[10], b'T' | b't') {
            DateTime::parse_from_rfc3339(raw).ok()?.with_timezone(&Utc)
        } else {
            return None;
        };
        (0..=9999)
            .contains(&instant.year())
            .then_some(Self(instant))
    }

    /// `seconds` after the Unix epoch; `None` outside chrono's range.
    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        DateTime::from_timestamp(seconds, 0).map(Self)
    }

    /// Now, to the millisecond: for the activity log's order.
    pub fn now_millis() -> Self {
        Self(Utc::now().trunc_subsecs(3))
    }

    /// Milliseconds since the Unix epoch (0 for anything earlier).
    pub fn unix_millis(&self) -> u64 {
        u64::try_from(self.0.timestamp_millis()).unwrap_or(0)
    }

    /// The UTC day this instant falls on, `YYYY-MM-DD`.
    pub fn day(&self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }

    /// `days` whole days later.
    pub fn days_after(&self, days: u32) -> Self {
        Self(self.0 + chrono::Duration::days(i64::from(days)))
    }

    /// `days` whole days earlier.
    pub fn days_before(&self, days: u32) -> Self {
        Self(self.0 - chrono::Duration::days(i64::from(days)))
    }

    /// Seconds since the Unix epoch (0 for anything earlier).
    pub fn unix_seconds(&self) -> u64 {
        u64::try_from(self.0.timestamp()).unwrap_or(0)
    }

    /// Whether this instant has come by `now`.
    pub fn has_passed_at(&self, now: Timestamp) -> bool {
        *self <= now
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_offsets_to_utc_z() {
        let t = Timestamp::parse("2026-03-29T05:00:00+02:00").unwrap();
        assert_eq!(t.to_string(), "2026-03-29T03:00:00Z");
        let t = Timestamp::parse("2026-03-29T03:00:00.250Z").unwrap();
        assert_eq!(t.to_string(), "2026-03-29T03:00:00.250Z");
    }

    #[test]
    fn a_bare_date_is_midnight_utc() {
        assert_eq!(
            Timestamp::parse("2027-01-31").unwrap().to_string(),
            "2027-01-31T00:00:00Z"
        );
    }

    #[test]
    fn rejects_what_is_not_an_instant() {
        for bad in [
            "",
            "tomorrow",
            "2026-03-29T03:00:00",
            "2026-02-30",
            "1711681200",
            "-0001-01-01",
            "+2030-01-01",
            "2030-1-1",
            " 2030-01-01",
            "2030-01-01 00:00:00Z",
            "9999-12-31T23:59:59-00:01",
            "0000-01-01T00:00:00+00:01",
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn what_is_accepted_is_written_back_in_a_form_that_parses_again() {
        for raw in [
            "0000-01-01",
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59+01:00",
            "2026-03-29t03:00:00.5z",
            "2030-01-01",
        ] {
            let parsed = Timestamp::parse(raw).unwrap_or_else(|| panic!("{raw}"));
            assert_eq!(Timestamp::parse(&parsed.to_string()), Some(parsed), "{raw}");
        }
    }

    #[test]
    fn now_has_no_fraction() {
        assert!(!Timestamp::now().to_string().contains('.'));
    }
}
