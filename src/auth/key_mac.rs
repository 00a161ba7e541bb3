//! The MAC that makes a key item trustworthy. Authentication reads one item per request,
//! and that item says which identity a key opens and with what scopes: whoever can write the
//! table could otherwise mint a key, widen one, or revive one. Each key item therefore carries
//! an HMAC-SHA256 over what it grants, under a secret that exists in plaintext only in the
//! function's memory (unwrapped by KMS once per cold start) and an operator's CLI; a table
//! writer without that KMS right cannot produce a valid tag.

use super::KeyHash;
use crate::domain::{IdentityId, Scope};
use aws_lc_rs::hmac;

pub const KEY_MAC_SECRET_LEN: usize = 32;

/// The KMS encryption context of the MAC secret's data key: no credential's context looks
/// like it. The generation is configured outside the table (`KEY_MAC_GENERATION`), so a table
/// writer who puts back an older wrapped secret makes it undecryptable, not trusted.
pub fn key_mac_secret_context(generation: u32) -> std::collections::HashMap<String, String> {
    std::collections::HashMap::from([
        ("credvault:purpose".to_owned(), "key-mac".to_owned()),
        ("credvault:generation".to_owned(), generation.to_string()),
    ])
}

/// The HMAC key; never printed.
pub struct KeyMac(hmac::Key);

impl std::fmt::Debug for KeyMac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyMac([REDACTED])")
    }
}

/// What a key item grants: every field the tag covers.
#[derive(Clone, Copy)]
pub struct KeyGrant<'a> {
    pub hash: &'a KeyHash,
    pub identity: &'a IdentityId,
    pub scopes: &'a [Scope],
    pub created_at: &'a str,
}

impl KeyGrant<'_> {
    /// A domain tag, then each field length-prefixed; scopes sorted, so order never matters.
    fn canonical(&self) -> Vec<u8> {
        let mut scopes: Vec<&str> = self.scopes.iter().map(|s| s.as_str()).collect();
        scopes.sort_unstable();
        scopes.dedup();
        let scopes = scopes.join(",");
        let mut bytes = b"credvault:key-item:v1".to_vec();
        for part in [
            self.hash.as_str(),
            self.identity.as_str(),
            scopes.as_str(),
            self.created_at,
        ] {
            bytes.extend_from_slice(&(part.len() as u32).to_be_bytes());
            bytes.extend_from_slice(part.as_bytes());
        }
        bytes
    }
}

impl KeyMac {
    pub fn from_secret(secret: &[u8; KEY_MAC_SECRET_LEN]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    pub fn tag(&self, grant: &KeyGrant<'_>) -> Vec<u8> {
        hmac::sign(&self.0, &grant.canonical()).as_ref().to_vec()
    }

    /// Constant-time comparison of a stored tag with the one the grant should have.
    pub fn verify(&self, grant: &KeyGrant<'_>, tag: &[u8]) -> bool {
        hmac::verify(&self.0, &grant.canonical(), tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_change_to_a_grant_breaks_its_tag() {
        let mac = KeyMac::from_secret(&[7; KEY_MAC_SECRET_LEN]);
        let hash = KeyHash("ab".repeat(32));
        let other_hash = KeyHash("cd".repeat(32));
        let (alice, bob) = (
            IdentityId::parse("idt_alice").unwrap(),
            IdentityId::parse("idt_bob").unwrap(),
        );
        let read = [Scope::VaultRead];
        let both = [Scope::VaultWrite, Scope::VaultRead];
        let grant = KeyGrant {
            hash: &hash,
            identity: &alice,
            scopes: &read,
            created_at: "2026-01-01T00:00:00Z",
        };
        let tag = mac.tag(&grant);
        assert!(mac.verify(&grant, &tag));
        for changed in [
            KeyGrant {
                hash: &other_hash,
                ..grant
            },
            KeyGrant {
                identity: &bob,
                ..grant
            },
            KeyGrant {
                scopes: &both,
                ..grant
            },
            KeyGrant {
                created_at: "2026-01-02T00:00:00Z",
                ..grant
            },
        ] {
            assert!(!mac.verify(&changed, &tag));
        }
        let reordered = [Scope::VaultRead, Scope::VaultWrite];
        let a = KeyGrant {
            scopes: &both,
            ..grant
        };
        let b = KeyGrant {
            scopes: &reordered,
            ..grant
        };
        assert_eq!(mac.tag(&a), mac.tag(&b));
        assert!(!KeyMac::from_secret(&[8; KEY_MAC_SECRET_LEN]).verify(&grant, &tag));
        assert_eq!(format!("{mac:?}"), "KeyMac([REDACTED])");
    }
}
