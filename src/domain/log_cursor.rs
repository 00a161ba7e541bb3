//! The position in an identity's activity log a page starts after.

use super::ActivityEntry;

/// Where a page of the log starts: just after the entry with this time and id. Sent to
/// clients as an opaque base64url token; it only ever reads the caller's own log.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogCursor {
    pub millis: u64,
    pub id: String,
}

impl LogCursor {
    pub fn of(entry: &ActivityEntry) -> Self {
        Self {
            millis: entry.created_at.unix_millis(),
            id: entry.id.clone(),
        }
    }

    /// The sort key the log is ordered by: zero-padded milliseconds, then the id.
    pub fn sort_key(&self) -> String {
        format!("{:013}#{}", self.millis, self.id)
    }

    pub fn from_sort_key(raw: &str) -> Option<Self> {
        let (millis, id) = raw.split_once('#')?;
        let well_formed = millis.len() == 13
            && millis.bytes().all(|b| b.is_ascii_digit())
            && id.strip_prefix("log_").is_some_and(|hex| {
                hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            });
        if !well_formed {
            return None;
        }
        Some(Self {
            millis: millis.parse().ok()?,
            id: id.to_owned(),
        })
    }

    pub fn to_token(&self) -> String {
        data_encoding::BASE64URL_NOPAD.encode(self.sort_key().as_bytes())
    }

    pub fn from_token(token: &str) -> Option<Self> {
        let bytes = data_encoding::BASE64URL_NOPAD
            .decode(token.as_bytes())
            .ok()?;
        Self::from_sort_key(std::str::from_utf8(&bytes).ok()?)
    }
}

#[cfg(test)]
mod cursor_tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_rejects_anything_else() {
        let cursor = LogCursor {
            millis: 1_775_476_800_123,
            id: format!("log_{}", "ab".repeat(16)),
        };
        assert_eq!(
            LogCursor::from_token(&cursor.to_token()),
            Some(cursor.clone())
        );
        for bad in ["", "!!", "bG9nXzE", &cursor.to_token()[1..]] {
            assert_eq!(LogCursor::from_token(bad), None, "{bad}");
        }
    }
}
