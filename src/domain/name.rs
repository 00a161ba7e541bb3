use std::fmt;

/// A credential's name: 1 to 128 characters of `A-Z a-z 0-9 . _ -`, starting with a
/// letter or digit. Constructing one is the only check; holding one is the proof.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CredentialName(String);

pub const MAX_NAME_LEN: usize = 128;

impl CredentialName {
    /// Parses an already percent-decoded name.
    pub fn parse(raw: &str) -> Result<Self, InvalidName> {
        let mut chars = raw.chars();
        let starts_well = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if starts_well && rest_ok && raw.len() <= MAX_NAME_LEN {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidName)
        }
    }

    /// Parses a raw path segment: percent-decoded first, as the contract says.
    pub fn from_path_segment(segment: &str) -> Result<Self, InvalidName> {
        let decoded = percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .map_err(|_| InvalidName)?;
        Self::parse(&decoded)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CredentialName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name never echoes the rejected input: a mistyped secret pasted into a URL stays out of
/// responses and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "Invalid credential name: use 1 to 128 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit"
)]
pub struct InvalidName;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_contract_alphabet() {
        for ok in [
            "stripe",
            "github-2fa",
            "a",
            "A.b_c-1",
            "9lives",
            &"x".repeat(128),
        ] {
            assert!(CredentialName::parse(ok).is_ok(), "{ok} should parse");
        }
    }

    #[test]
    fn rejects_everything_else() {
        let too_long = "x".repeat(129);
        for bad in [
            "", ".hidden", "-x", "_x", "a/b", "a b", "naïve", "a%20b", &too_long, "a\0b",
        ] {
            assert_eq!(
                CredentialName::parse(bad),
                Err(InvalidName),
                "{bad:?} should fail"
            );
        }
    }

    #[test]
    fn decodes_percent_escapes_before_checking() {
        assert_eq!(
            CredentialName::from_path_segment("git%2Dhub")
                .unwrap()
                .as_str(),
            "git-hub"
        );
        assert!(CredentialName::from_path_segment("a%2Fb").is_err());
        assert!(CredentialName::from_path_segment("%FF").is_err());
    }
}
