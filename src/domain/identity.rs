//! Who a vault belongs to: identities, and the scopes a key of theirs may carry.

use std::fmt;

/// Whose vault a request reaches. Opaque to callers; 1 to 64 of `a-z 0-9 _ -`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityId(String);

impl IdentityId {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'));
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn generate() -> Result<Self, aws_lc_rs::error::Unspecified> {
        super::random_id("idt_").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdentityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a key may do in its identity's vault, as the hosted product names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    VaultRead,
    VaultWrite,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::VaultRead, Scope::VaultWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::VaultRead => "vault:read",
            Self::VaultWrite => "vault:write",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// What whoami shows of an identity besides its key's scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityProfile {
    pub name: String,
    pub created_at: super::Timestamp,
}
