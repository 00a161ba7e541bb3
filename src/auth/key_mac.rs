//! The MAC that makes a key item trustworthy. Authentication reads one item per request,
//! and that item says which identity a key opens and with what scopes: whoever can write the
//! table could otherwise mint a key, widen one, or revive one. Each key item therefore carries
//! an HMAC-SHA256 over what it grants, under a secret that exists in plaintext only in the
//! function's memory (unwrapped by KMS once per cold start) and an operator's CLI; a table
//! writer without that KMS right cannot produce a valid tag. Identity items carry one too,
//! over their organisation, scopes and primary key: a table writer cannot move an identity
//! into another organisation, widen what its next key gets, or make another key its primary.
//! The function holds the secret, so this does not stand against a compromised function
//! (see docs/security.md, "What remains possible").

use super::KeyHash;
use crate::domain::{IdentityId, OrgId, Scope, Subject};
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

/// What a tag covers, as bytes no two different claims share.
pub trait Claims {
    fn canonical(&self) -> Vec<u8>;
}

/// Scopes sorted and deduplicated, comma-joined: the order they are stored in never matters.
fn scope_list(scopes: &[Scope]) -> String {
    let mut names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

/// A domain tag, then each part length-prefixed.
fn encode(domain: &[u8], parts: &[&str]) -> Vec<u8> {
    let mut bytes = domain.to_vec();
    for part in parts {
        bytes.extend_from_slice(&(part.len() as u32).to_be_bytes());
        bytes.extend_from_slice(part.as_bytes());
    }
    bytes
}

/// What a key item grants: every field the tag covers. An identity key's subject is its
/// identity; a platform key's, its organisation.
#[derive(Clone, Copy)]
pub struct KeyGrant<'a> {
    pub hash: &'a KeyHash,
    pub subject: &'a Subject,
    pub scopes: &'a [Scope],
    pub created_at: &'a str,
    /// The key's limits as stored (their canonical text); empty for a key without any.
    pub limits: &'a str,
}

impl Claims for KeyGrant<'_> {
    /// Scopes sorted, so order never matters. Identity keys keep the first layout, so keys
    /// minted before platform keys existed still verify; platform keys have a domain of their
    /// own, so neither kind's tag ever stands for the other.
    fn canonical(&self) -> Vec<u8> {
        let scopes = scope_list(self.scopes);
        let parts = [
            self.hash.as_str(),
            self.subject.as_str(),
            &scopes,
            self.created_at,
        ];
        // A key without limits keeps the layout it was tagged with before limits existed; a
        // key with limits has a domain of its own, so dropping them never verifies.
        match (self.subject, self.limits.is_empty()) {
            (Subject::Identity(_), true) => encode(b"credvault:key-item:v1", &parts),
            (Subject::Org(_), true) => encode(b"credvault:platform-key:v1", &parts),
            (Subject::Identity(_), false) => encode(
                b"credvault:key-item:v2",
                &[&parts[..], &[self.limits]].concat(),
            ),
            (Subject::Org(_), false) => encode(
                b"credvault:platform-key:v2",
                &[&parts[..], &[self.limits]].concat(),
            ),
        }
    }
}

/// What an identity item claims: the organisation it belongs to, the scopes its keys are
/// made with (a rotation gives the new key these), and which key is its primary one.
#[derive(Clone, Copy)]
pub struct IdentityClaims<'a> {
    pub identity: &'a IdentityId,
    pub org: &'a OrgId,
    pub scopes: &'a [Scope],
    /// The primary key's hash, hex; empty when it has none.
    pub primary_key: &'a str,
    pub created_at: &'a str,
}

impl Claims for IdentityClaims<'_> {
    fn canonical(&self) -> Vec<u8> {
        encode(
            b"credvault:identity-item:v1",
            &[
                self.identity.as_str(),
                self.org.as_str(),
                &scope_list(self.scopes),
                self.primary_key,
                self.created_at,
            ],
        )
    }
}

/// What a credential request's item claims, fixed when it is made: where it is, what it
/// asks for and shows, which link opens it and which key asked. (Its state changes after
/// and is not covered: a table writer may roll it back, as it may roll back any item.)
#[derive(Clone, Copy)]
pub struct RequestClaims<'a> {
    pub identity: &'a IdentityId,
    pub request: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub fields: &'a str,
    pub message: &'a str,
    pub metadata: &'a str,
    pub use_policy: &'a str,
    pub secret_hash: &'a str,
    pub asked_by: &'a str,
    pub created_at: &'a str,
    pub expires_at: &'a str,
}

impl Claims for RequestClaims<'_> {
    fn canonical(&self) -> Vec<u8> {
        encode(
            b"credvault:credential-request:v1",
            &[
                self.identity.as_str(),
                self.request,
                self.name,
                self.kind,
                self.fields,
                self.message,
                self.metadata,
                self.use_policy,
                self.secret_hash,
                self.asked_by,
                self.created_at,
                self.expires_at,
            ],
        )
    }
}

impl KeyMac {
    pub fn from_secret(secret: &[u8; KEY_MAC_SECRET_LEN]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    pub fn tag(&self, claims: &impl Claims) -> Vec<u8> {
        hmac::sign(&self.0, &claims.canonical()).as_ref().to_vec()
    }

    /// Constant-time comparison of a stored tag with the one the claims should have.
    pub fn verify(&self, claims: &impl Claims, tag: &[u8]) -> bool {
        hmac::verify(&self.0, &claims.canonical(), tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::KeyKind;

    #[test]
    fn any_change_to_a_grant_breaks_its_tag() {
        let mac = KeyMac::from_secret(&[7; KEY_MAC_SECRET_LEN]);
        let hash = KeyHash::from_stored(KeyKind::Identity, &"ab".repeat(32));
        let other_hash = KeyHash::from_stored(KeyKind::Identity, &"cd".repeat(32));
        let (alice, bob) = (
            Subject::Identity(IdentityId::parse("idt_alice").unwrap()),
            Subject::Identity(IdentityId::parse("idt_bob").unwrap()),
        );
        let read = [Scope::VaultRead];
        let both = [Scope::VaultWrite, Scope::VaultRead];
        let grant = KeyGrant {
            hash: &hash,
            subject: &alice,
            scopes: &read,
            created_at: "2026-01-01T00:00:00Z",
            limits: r#"{"grants":[{"names":["github*"],"allow":["use"]}]}"#,
        };
        let tag = mac.tag(&grant);
        assert!(mac.verify(&grant, &tag));
        for changed in [
            KeyGrant {
                hash: &other_hash,
                ..grant
            },
            KeyGrant {
                subject: &bob,
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
            // A wider pattern, or no limits at all: neither verifies.
            KeyGrant {
                limits: r#"{"grants":[{"names":["*"],"allow":["use"]}]}"#,
                ..grant
            },
            KeyGrant {
                limits: "",
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

    #[test]
    fn the_kinds_of_claims_never_stand_for_one_another() {
        let mac = KeyMac::from_secret(&[7; KEY_MAC_SECRET_LEN]);
        let hash = KeyHash::from_stored(KeyKind::Identity, &"ab".repeat(32));
        // The same text as an identity and as an organisation: still two different tags.
        let org = Subject::Org(OrgId::parse("org_x").unwrap());
        let platform = KeyGrant {
            hash: &hash,
            subject: &org,
            scopes: &[Scope::VaultRead],
            created_at: "2026-01-01T00:00:00Z",
            limits: "",
        };
        let identity = IdentityId::parse("idt_x").unwrap();
        let org_id = OrgId::parse("org_x").unwrap();
        let claims = IdentityClaims {
            identity: &identity,
            org: &org_id,
            scopes: &[Scope::VaultRead],
            primary_key: "ab",
            created_at: "2026-01-01T00:00:00Z",
        };
        assert_ne!(mac.tag(&platform), mac.tag(&claims));
        let moved = OrgId::parse("org_y").unwrap();
        let elsewhere = IdentityClaims {
            org: &moved,
            ..claims
        };
        assert!(!mac.verify(&elsewhere, &mac.tag(&claims)));
        let widened = IdentityClaims {
            scopes: &Scope::ALL,
            ..claims
        };
        assert!(!mac.verify(&widened, &mac.tag(&claims)));
        let other_primary = IdentityClaims {
            primary_key: "cd",
            ..claims
        };
        assert!(!mac.verify(&other_primary, &mac.tag(&claims)));
    }
}
