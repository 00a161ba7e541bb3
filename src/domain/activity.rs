//! The activity log's vocabulary: what was asked (an [`Action`]), by whom and through which
//! edge ([`Caller`]), and how it ended ([`ActivityEntry`]). An entry never holds a secret:
//! no `data`, no key, no code, no body; targets are credential names and identity ids, which
//! are not secrets.

use super::{Action, CredentialName, IdentityId, Subject, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    Vault,
    Identity,
    /// Refused at admission: a missing scope or the rate limit.
    Auth,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Success,
    Error,
    Denied,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

macro_rules! wire_names {
    ($type:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $type {
            pub const ALL: &'static [$type] = &[$(<$type>::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(<$type>::$variant => $name),+ }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw)
            }
        }
    };
}

wire_names!(Category { Vault => "vault", Identity => "identity", Auth => "auth" });
wire_names!(Outcome { Success => "success", Error => "error", Denied => "denied" });
wire_names!(Severity { Info => "INFO", Warning => "WARNING", Error => "ERROR" });

/// The edge a request came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Rest,
    Mcp,
    /// A request link's page, filled in by a person.
    Link,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rest => "rest",
            Self::Mcp => "mcp",
            Self::Link => "link",
        }
    }
}

/// Where a request came from, as API Gateway's request context says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub channel: Channel,
    pub request_id: String,
    pub source_ip: String,
    pub user_agent: String,
}

/// What a request was about: a credential of the caller's vault, or (for a platform key) an
/// identity of its organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Credential(CredentialName),
    Identity(IdentityId),
}

impl Target {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Credential(name) => name.as_str(),
            Self::Identity(identity) => identity.as_str(),
        }
    }

    /// `credential` or `identity`, as the log's `targetType` says.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Credential(_) => "credential",
            Self::Identity(_) => "identity",
        }
    }

    pub fn credential(&self) -> Option<&CredentialName> {
        match self {
            Self::Credential(name) => Some(name),
            Self::Identity(_) => None,
        }
    }
}

/// One recorded request, in the log of its subject: the identity of an identity key, the
/// organisation of a platform key (and, for a platform call on an identity, that identity's
/// log too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityEntry {
    pub id: String,
    pub subject: Subject,
    pub action: Action,
    pub category: Category,
    pub outcome: Outcome,
    pub severity: Severity,
    pub description: String,
    pub target: Option<Target>,
    pub credential_id: Option<String>,
    pub http_status: u16,
    pub caller: Caller,
    pub duration_ms: u64,
    pub created_at: Timestamp,
    /// When the store may forget it (DynamoDB TTL).
    pub expires_at: Timestamp,
    /// A copy, in a target identity's log, of a platform call on it: not a request of that
    /// identity, so neither its counts nor its `lastUsedAt` include it.
    pub mirrored: bool,
}

/// How long entries are kept unless configured otherwise (`LOG_RETENTION_DAYS`).
pub const DEFAULT_LOG_RETENTION_DAYS: u32 = 90;

impl ActivityEntry {
    /// An entry for `action` that ended with `http_status` (`message`: the error's, if any).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        subject: Subject,
        action: Action,
        target: Option<Target>,
        http_status: u16,
        message: Option<&str>,
        caller: Caller,
        duration_ms: u64,
        created_at: Timestamp,
    ) -> Self {
        let outcome = match http_status {
            200..=299 => Outcome::Success,
            403 | 429 => Outcome::Denied,
            _ => Outcome::Error,
        };
        let severity = match http_status {
            ..=399 => Severity::Info,
            400..=499 => Severity::Warning,
            _ => Severity::Error,
        };
        let category = if outcome == Outcome::Denied {
            Category::Auth
        } else {
            action.category()
        };
        let mut description = action.describe(target.as_ref());
        if let Some(message) = message {
            description = format!("{description}: refused ({message})");
        }
        Self {
            id,
            subject,
            action,
            category,
            outcome,
            severity,
            description,
            target,
            credential_id: None,
            http_status,
            caller,
            duration_ms,
            created_at,
            expires_at: created_at.days_after(DEFAULT_LOG_RETENTION_DAYS),
            mirrored: false,
        }
    }

    /// An answer that is a JSON-RPC error, which MCP sends with HTTP 200: an error all the
    /// same.
    pub fn with_rpc_error(self, code: i64) -> Self {
        let description = format!("{}: refused (JSON-RPC error {code})", self.description);
        Self {
            outcome: Outcome::Error,
            severity: Severity::Warning,
            description,
            ..self
        }
    }

    /// The same entry, its description noting `what` (never a value the caller sent).
    pub fn noting(self, what: &str) -> Self {
        let description = format!("{} ({what})", self.description);
        Self {
            description,
            ..self
        }
    }

    /// A refusal by the key's own limits: a denial, whatever its status.
    pub fn denied(self) -> Self {
        Self {
            outcome: Outcome::Denied,
            category: Category::Auth,
            severity: Severity::Warning,
            ..self
        }
    }

    /// Kept `days` after it was made.
    pub fn kept_for(self, days: u32) -> Self {
        Self {
            expires_at: self.created_at.days_after(days),
            ..self
        }
    }

    /// The same entry, in its target identity's log: marked a copy, and without where the
    /// call came from (the orchestrator's address and client are its organisation's to see).
    pub fn mirrored_for(self, subject: Subject) -> Self {
        let caller = Caller {
            source_ip: String::new(),
            user_agent: String::new(),
            ..self.caller
        };
        Self {
            subject,
            caller,
            mirrored: true,
            ..self
        }
    }

    pub fn with_credential_id(self, credential_id: &str) -> Self {
        Self {
            credential_id: Some(credential_id.to_owned()),
            ..self
        }
    }
}

/// What a listing of the log keeps; every field set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub category: Option<Category>,
    pub outcome: Option<Outcome>,
    pub severity: Option<Severity>,
    pub action: Option<Action>,
}

impl LogFilter {
    pub fn matches(&self, entry: &ActivityEntry) -> bool {
        self.category.is_none_or(|c| c == entry.category)
            && self.outcome.is_none_or(|o| o == entry.outcome)
            && self.severity.is_none_or(|s| s == entry.severity)
            && self.action.is_none_or(|a| a == entry.action)
    }
}

/// One page of the log, newest first, and where the next starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogPage {
    pub entries: Vec<ActivityEntry>,
    pub next_page_token: Option<String>,
}

/// Counts over the retained log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivityStats {
    pub total: u64,
    pub today: u64,
    pub errors: u64,
    pub by_category: Vec<(Category, u64)>,
    /// The latest request counted, when the counters say (those written before they kept it
    /// do not: ask the log).
    pub last_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: u16, message: Option<&str>) -> ActivityEntry {
        ActivityEntry::new(
            "log_1".into(),
            Subject::Identity(IdentityId::parse("idt_a").unwrap()),
            Action::VaultGet,
            CredentialName::parse("stripe").ok().map(Target::Credential),
            status,
            message,
            Caller {
                channel: Channel::Rest,
                request_id: "r".into(),
                source_ip: "203.0.113.7".into(),
                user_agent: "ua".into(),
            },
            3,
            Timestamp::parse("2026-04-06T12:00:00Z").unwrap(),
        )
    }

    #[test]
    fn status_decides_outcome_severity_and_category() {
        let cases = [
            (200, Outcome::Success, Severity::Info, Category::Vault),
            (404, Outcome::Error, Severity::Warning, Category::Vault),
            (410, Outcome::Error, Severity::Warning, Category::Vault),
            (403, Outcome::Denied, Severity::Warning, Category::Auth),
            (429, Outcome::Denied, Severity::Warning, Category::Auth),
            (503, Outcome::Error, Severity::Error, Category::Vault),
        ];
        for (status, outcome, severity, category) in cases {
            let e = entry(status, None);
            assert_eq!(
                (e.outcome, e.severity, e.category),
                (outcome, severity, category)
            );
        }
        assert_eq!(entry(200, None).description, "Read credential stripe");
        assert_eq!(
            entry(404, Some("Credential not found")).description,
            "Read credential stripe: refused (Credential not found)"
        );
    }

    #[test]
    fn wire_names_round_trip_and_filters_match() {
        assert_eq!(Outcome::parse("denied"), Some(Outcome::Denied));
        assert_eq!(Severity::parse("info"), None);
        let filter = LogFilter {
            outcome: Some(Outcome::Error),
            ..LogFilter::default()
        };
        assert!(filter.matches(&entry(404, None)));
        assert!(!filter.matches(&entry(200, None)));
    }
}
