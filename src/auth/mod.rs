//! API keys and the principals they authenticate.
//!
//! A key is a prefix that says its kind (identity: `mgnt-`, or `loid-` minted before; platform:
//! `mgpk-`, or `lopk-`) and 64 lowercase hex characters: 256 random bits, so one SHA-256 of it
//! is enough to store (no slow hash needed), and the plaintext key is never stored anywhere.

mod key_mac;

pub use key_mac::{
    Claims, IdentityClaims, KEY_MAC_SECRET_LEN, KeyGrant, KeyMac, RequestClaims,
    key_mac_secret_context,
};

use crate::domain::{IdentityId, KeyKind, KeyLimits, OrgId, Scope, Subject};
use aws_lc_rs::digest::{SHA256, digest};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;

/// The prefixes keys are minted with, and those still accepted, by kind.
const MINTED: [(KeyKind, &str); 2] = [(KeyKind::Identity, "mgnt-"), (KeyKind::Platform, "mgpk-")];
const ACCEPTED: [(KeyKind, &str); 4] = [
    (KeyKind::Identity, "mgnt-"),
    (KeyKind::Identity, "loid-"),
    (KeyKind::Platform, "mgpk-"),
    (KeyKind::Platform, "lopk-"),
];
const KEY_HEX_LEN: usize = 64;
/// Hex characters of a key shown beside its prefix (`apiKeyPrefix`, as the hosted product
/// shows it): enough to tell keys apart, 32 of 256 bits.
const SHOWN_HEX: usize = 8;

/// A caller's API key, as presented. Redacted in `Debug`, never `Display`ed, wiped on drop.
pub struct ApiKey(SecretString);

impl ApiKey {
    pub fn parse(raw: &str) -> Result<Self, AuthError> {
        let well_formed = ACCEPTED.iter().any(|(_, prefix)| {
            raw.strip_prefix(prefix).is_some_and(|hex| {
                hex.len() == KEY_HEX_LEN
                    && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
        });
        if well_formed {
            Ok(Self(SecretString::from(raw)))
        } else {
            Err(AuthError::MalformedKey)
        }
    }

    /// The kind its prefix says.
    pub fn kind(&self) -> KeyKind {
        let key = self.0.expose_secret();
        ACCEPTED
            .iter()
            .find(|(_, prefix)| key.starts_with(prefix))
            .map_or(KeyKind::Identity, |(kind, _)| *kind)
    }

    /// The prefix and the first hex characters: what lists show of a key (`apiKeyPrefix`).
    pub fn shown_prefix(&self) -> String {
        self.0.expose_secret().chars().take(5 + SHOWN_HEX).collect()
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

    /// A new random key of `kind`, with today's prefix.
    pub fn generate(kind: KeyKind) -> Result<Self, aws_lc_rs::error::Unspecified> {
        let mut bytes = zeroize::Zeroizing::new([0u8; KEY_HEX_LEN / 2]);
        aws_lc_rs::rand::fill(bytes.as_mut())?;
        let prefix = MINTED
            .iter()
            .find(|(minted, _)| *minted == kind)
            .map_or("mgnt-", |(_, prefix)| prefix);
        let hex = zeroize::Zeroizing::new(hex::encode(bytes.as_ref()));
        Ok(Self(SecretString::from(format!(
            "{prefix}{}",
            hex.as_str()
        ))))
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash {
            hex: hex::encode(digest(&SHA256, self.0.expose_secret().as_bytes())),
            kind: self.kind(),
        }
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

/// SHA-256 of an API key, lowercase hex, and the key's kind: what the directory stores and
/// looks up (the two kinds apart, so that whoever may write one kind's items cannot write the
/// other's).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyHash {
    hex: String,
    kind: KeyKind,
}

impl KeyHash {
    /// A hash as stored: the store reads it back from its own records.
    pub fn from_stored(kind: KeyKind, hex: &str) -> Self {
        Self {
            hex: hex.to_owned(),
            kind,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.hex
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }
}

/// An authenticated caller: whose key it is (an identity, or an organisation for a platform
/// key) and the scopes it holds (for a platform key, the most it may give an identity).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub subject: Subject,
    pub scopes: Vec<Scope>,
    /// The key's grants, expiry and budget (none: what its scopes allow, on every name).
    pub limits: KeyLimits,
}

impl Principal {
    pub fn of_identity(identity: IdentityId, scopes: Vec<Scope>) -> Self {
        Self {
            subject: Subject::Identity(identity),
            scopes,
            limits: KeyLimits::default(),
        }
    }

    pub fn of_org(org: OrgId, scopes: Vec<Scope>) -> Self {
        Self {
            subject: Subject::Org(org),
            scopes,
            limits: KeyLimits::default(),
        }
    }

    /// The identity whose vault an identity key opens; `None` for a platform key.
    pub fn identity(&self) -> Option<&IdentityId> {
        self.subject.identity()
    }

    pub fn kind(&self) -> KeyKind {
        self.subject.kind()
    }
}

/// What a route says to a key of the wrong kind: the kind it needs.
fn wrong_kind_message(needed: KeyKind) -> &'static str {
    match needed {
        KeyKind::Identity => {
            "This route needs an identity key (mgnt-...); a platform key (mgpk-...) manages \
             identities at /v0/platform/identities and opens no vault"
        }
        KeyKind::Platform => {
            "This route needs a platform key (mgpk-...); an identity key (mgnt-...) opens its \
             own vault only"
        }
    }
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
    /// A key of one kind on a route of the other (the contract's 403).
    #[error("{}", wrong_kind_message(*.0))]
    WrongKind(KeyKind),
    /// Past the key's `notAfter`.
    #[error("This API key has expired")]
    ExpiredKey,
    /// The key's `maxUses` are spent.
    #[error("This API key has no uses left")]
    UsesSpent,
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
    fn generated_keys_are_well_formed_distinct_and_of_their_kind() {
        let (a, b) = (
            ApiKey::generate(KeyKind::Identity).unwrap(),
            ApiKey::generate(KeyKind::Identity).unwrap(),
        );
        assert!(ApiKey::parse(a.expose()).is_ok());
        assert_ne!(a.hash(), b.hash());
        assert!(a.expose().starts_with("mgnt-") && a.kind() == KeyKind::Identity);
        let platform = ApiKey::generate(KeyKind::Platform).unwrap();
        assert!(platform.expose().starts_with("mgpk-") && platform.kind() == KeyKind::Platform);
        assert_eq!(a.shown_prefix(), a.expose()[..13]);
    }

    #[test]
    fn every_prefix_of_the_hosted_product_is_read_as_its_kind() {
        let hex = "0123456789abcdef".repeat(4);
        for (prefix, kind) in [
            ("mgnt-", KeyKind::Identity),
            ("loid-", KeyKind::Identity),
            ("mgpk-", KeyKind::Platform),
            ("lopk-", KeyKind::Platform),
        ] {
            let key = ApiKey::parse(&format!("{prefix}{hex}")).unwrap();
            assert_eq!(key.kind(), kind, "{prefix}");
        }
        for bad in ["mgnx-", "MGNT-", "mgent-", "mgpf-"] {
            assert!(ApiKey::parse(&format!("{bad}{hex}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn scope_messages_match_the_contract() {
        let err = AuthError::MissingScope(Scope::VaultWrite);
        assert_eq!(err.to_string(), "Missing required scope: vault:write");
    }
}
