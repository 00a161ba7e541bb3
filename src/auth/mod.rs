//! API keys and the principals they authenticate.
//!
//! A key is `loid-` and 64 lowercase hex characters: 256 random bits, so one SHA-256 of it is
//! enough to store (no slow hash needed), and the plaintext key is never stored anywhere.

mod key_mac;

pub use key_mac::{KEY_MAC_SECRET_LEN, KeyGrant, KeyMac, key_mac_secret_context};

use crate::domain::{IdentityId, Scope};
use aws_lc_rs::digest::{SHA256, digest};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

pub const KEY_PREFIX: &str = "loid-";
const KEY_HEX_LEN: usize = 64;

/// A caller's API key, as presented. Redacted in `Debug`, never `Display`ed, wiped on drop.
pub struct ApiKey(SecretString);

impl ApiKey {
    pub fn parse(raw: &str) -> Result<Self, AuthError> {
        let well_formed = raw.strip_prefix(KEY_PREFIX).is_some_and(|hex| {
            hex.len() == KEY_HEX_LEN && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        });
        if well_formed {
            Ok(Self(SecretString::from(raw)))
        } else {
            Err(AuthError::MalformedKey)
        }
    }

    /// Reads `Authorization: Bearer <key>`; the scheme is case-insensitive (RFC 9110).
    pub fn from_authorization(header: Option<&str>) -> Result<Self, AuthError> {
        let header = header.ok_or(AuthError::MissingHeader)?.trim();
        let (scheme, key) = header.split_once(' ').ok_or(AuthError::MissingHeader)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::MissingHeader);
        }
        Self::parse(key.trim())
    }

    /// A new random key, for minting identities.
    pub fn generate() -> Result<Self, aws_lc_rs::error::Unspecified> {
        let mut bytes = zeroize::Zeroizing::new([0u8; KEY_HEX_LEN / 2]);
        aws_lc_rs::rand::fill(bytes.as_mut())?;
        Ok(Self(SecretString::from(format!(
            "{KEY_PREFIX}{}",
            hex::encode(bytes.as_ref())
        ))))
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash(hex::encode(digest(
            &SHA256,
            self.0.expose_secret().as_bytes(),
        )))
    }

    /// The key itself: only for showing a freshly minted key to its owner once.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([REDACTED])")
    }
}

/// SHA-256 of an API key, lowercase hex: what the directory stores and looks up.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyHash(pub(crate) String);

impl KeyHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An authenticated caller: the identity a key belongs to and what the key may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub identity: IdentityId,
    pub scopes: Vec<Scope>,
}

/// Each variant's message is the contract's, word for word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Missing or invalid Authorization header")]
    MissingHeader,
    #[error("Invalid API key format")]
    MalformedKey,
    #[error("Invalid API key")]
    UnknownKey,
    #[error("Missing required scope: {}", .0.as_str())]
    MissingScope(Scope),
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "loid-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn reads_a_bearer_key_in_any_scheme_case() {
        for header in [
            format!("Bearer {GOOD}"),
            format!("bearer {GOOD}"),
            format!(" BEARER  {GOOD} "),
        ] {
            assert!(
                ApiKey::from_authorization(Some(&header)).is_ok(),
                "{header}"
            );
        }
    }

    #[test]
    fn tells_a_missing_header_from_a_malformed_key() {
        use AuthError::*;
        let cases: [(Option<&str>, AuthError); 7] = [
            (None, MissingHeader),
            (Some(""), MissingHeader),
            (Some(GOOD), MissingHeader),
            (Some("Basic dXNlcjpwYXNz"), MissingHeader),
            (Some("Bearer loid-123"), MalformedKey),
            (Some("Bearer sk_live_abc"), MalformedKey),
            (
                Some(
                    "Bearer loid-0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
                ),
                MalformedKey,
            ),
        ];
        for (header, want) in cases {
            assert_eq!(
                ApiKey::from_authorization(header).err(),
                Some(want),
                "{header:?}"
            );
        }
    }

    #[test]
    fn hash_is_sha256_hex_and_debug_is_redacted() {
        let key = ApiKey::parse(GOOD).unwrap();
        assert_eq!(key.hash().as_str().len(), 64);
        assert_ne!(key.hash().as_str(), &GOOD[5..]);
        assert_eq!(format!("{key:?}"), "ApiKey([REDACTED])");
    }

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let (a, b) = (ApiKey::generate().unwrap(), ApiKey::generate().unwrap());
        assert!(ApiKey::parse(a.expose()).is_ok());
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn scope_messages_match_the_contract() {
        let err = AuthError::MissingScope(Scope::VaultWrite);
        assert_eq!(err.to_string(), "Missing required scope: vault:write");
    }
}
