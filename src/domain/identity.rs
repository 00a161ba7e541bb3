//! Who a vault belongs to: identities, and the scopes a key of theirs may carry.

use std::fmt;

/// Whose vault a request reaches. Opaque to callers; 1 to 64 of `a-z 0-9 _ -`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityId(String);

impl IdentityId {
    /// Any such string but an organisation's id (`org_...`): the two share the log's keys.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (1..=64).contains(&raw.len())
            && !raw.starts_with("org_")
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

/// An organisation: what a platform key belongs to, and the identities it manages. Opaque to
/// callers; `org_` and 1 to 60 of `a-z 0-9 _ -`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgId(String);

impl OrgId {
    /// The organisation of identities made by an operator (`credvault identity create`).
    pub const DEFAULT: &'static str = "org_default";

    pub fn parse(raw: &str) -> Option<Self> {
        let ok = raw.starts_with("org_")
            && (5..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'));
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn default_org() -> Self {
        Self(Self::DEFAULT.to_owned())
    }

    pub fn generate() -> Result<Self, aws_lc_rs::error::Unspecified> {
        super::random_id("org_").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whose request it is, and whose activity log records it: an identity (an identity key) or
/// an organisation (a platform key).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Identity(IdentityId),
    Org(OrgId),
}

impl Subject {
    /// The id, as the log and the rate counters key it: the two kinds never share one (`idt_`
    /// and `org_`).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Identity(identity) => identity.as_str(),
            Self::Org(org) => org.as_str(),
        }
    }

    pub fn identity(&self) -> Option<&IdentityId> {
        match self {
            Self::Identity(identity) => Some(identity),
            Self::Org(_) => None,
        }
    }

    /// The kind of key that speaks for it.
    pub fn kind(&self) -> KeyKind {
        match self {
            Self::Identity(_) => KeyKind::Identity,
            Self::Org(_) => KeyKind::Platform,
        }
    }

    /// The subject a stored id names: `org_...` an organisation, anything else an identity.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.starts_with("org_") {
            true => OrgId::parse(raw).map(Self::Org),
            false => IdentityId::parse(raw).map(Self::Identity),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The two kinds of API key: an identity key opens one identity's vault; a platform key
/// manages an organisation's identities and opens no vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    Identity,
    Platform,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Platform => "platform",
        }
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

/// The scopes of the hosted product that credvault does not serve (it is a vault): named in
/// the refusal of a request that asks for them.
pub const UNSERVED_SCOPES: [&str; 14] = [
    "mail:read",
    "mail:send",
    "mail:manage",
    "identity:sign",
    "identity:verify",
    "calendar:read",
    "calendar:write",
    "calendar:delete",
    "calendar:public",
    "payments:spend",
    "slack:read",
    "slack:send",
    "social:read",
    "social:write",
];

/// What whoami shows of an identity besides its key's scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityProfile {
    pub name: String,
    pub created_at: super::Timestamp,
    /// Neither revoked nor deleted (a request link of an identity that ended opens nothing).
    pub live: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_and_organisations_never_share_an_id() {
        assert!(IdentityId::parse("org_default").is_none());
        assert!(IdentityId::parse("idt_a").is_some());
        assert!(OrgId::parse("org_default").is_some());
        assert!(OrgId::parse("idt_a").is_none());
        assert!(OrgId::parse("org_").is_none());
        assert_eq!(
            Subject::parse("org_x"),
            OrgId::parse("org_x").map(Subject::Org)
        );
        assert_eq!(
            Subject::parse("idt_x"),
            IdentityId::parse("idt_x").map(Subject::Identity)
        );
        assert_eq!(Subject::parse("Org_x"), None);
    }
}
