//! Where a page of the credential list starts: after the credential with this name.

use super::CredentialName;

/// Sent to clients as an opaque base64url token; it only ever reads the caller's own list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListCursor(pub CredentialName);

impl ListCursor {
    pub fn to_token(&self) -> String {
        data_encoding::BASE64URL_NOPAD.encode(self.0.as_str().as_bytes())
    }

    pub fn from_token(token: &str) -> Option<Self> {
        let bytes = data_encoding::BASE64URL_NOPAD
            .decode(token.as_bytes())
            .ok()?;
        let name = CredentialName::parse(std::str::from_utf8(&bytes).ok()?).ok()?;
        Some(Self(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_rejects_anything_else() {
        let cursor = ListCursor(CredentialName::parse("github-2fa").unwrap());
        assert_eq!(ListCursor::from_token(&cursor.to_token()), Some(cursor));
        // `.x` is no credential name; `!!` no base64url; `Z2l0` padded is refused.
        for bad in ["", "!!", "Lng", "Z2l0aHVi==", "gA"] {
            assert_eq!(ListCursor::from_token(bad), None, "{bad}");
        }
    }
}
