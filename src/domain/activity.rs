//! The activity log's vocabulary: what was asked (an [`Action`]), by whom and through which
//! edge ([`Caller`]), and how it ended ([`ActivityEntry`]). An entry never holds a secret:
//! no `data`, no key, no code, no body; names are credential names, which are not secrets.

use super::{CredentialName, IdentityId, Scope, Timestamp};

/// One use case, as the log and the MCP tools name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    VaultStore,
    VaultGet,
    VaultList,
    VaultDelete,
    VaultTotp,
    VaultTotpUseBackup,
    IdentityWhoami,
    LogsList,
    LogsStats,
    /// An MCP message that is no tool call: initialize, tools/list, ping, a notification.
    McpSession,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Self::VaultStore,
        Self::VaultGet,
        Self::VaultList,
        Self::VaultDelete,
        Self::VaultTotp,
        Self::VaultTotpUseBackup,
        Self::IdentityWhoami,
        Self::LogsList,
        Self::LogsStats,
        Self::McpSession,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::VaultStore => "vault_store",
            Self::VaultGet => "vault_get",
            Self::VaultList => "vault_list",
            Self::VaultDelete => "vault_delete",
            Self::VaultTotp => "vault_totp",
            Self::VaultTotpUseBackup => "vault_totp_use_backup",
            Self::IdentityWhoami => "identity_whoami",
            Self::LogsList => "logs_list",
            Self::LogsStats => "logs_stats",
            Self::McpSession => "mcp_session",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    /// The scope it needs; `None`: any valid key.
    pub fn scope(self) -> Option<Scope> {
        match self {
            // A backup code is a use of a secret, like a TOTP code: read, not write (a
            // deposit-only key must not collect codes).
            Self::VaultGet | Self::VaultList | Self::VaultTotp | Self::VaultTotpUseBackup => {
                Some(Scope::VaultRead)
            }
            Self::VaultStore | Self::VaultDelete => Some(Scope::VaultWrite),
            Self::IdentityWhoami | Self::LogsList | Self::LogsStats | Self::McpSession => None,
        }
    }

    fn category(self) -> Category {
        match self {
            Self::IdentityWhoami | Self::LogsList | Self::LogsStats | Self::McpSession => {
                Category::Identity
            }
            _ => Category::Vault,
        }
    }

    fn describe(self, target: Option<&CredentialName>) -> String {
        let name = target.map_or("", CredentialName::as_str);
        match self {
            Self::VaultStore => format!("Stored credential {name}"),
            Self::VaultGet => format!("Read credential {name}"),
            Self::VaultList => "Listed credentials".to_owned(),
            Self::VaultDelete => format!("Deleted credential {name}"),
            Self::VaultTotp => format!("Generated a TOTP code for {name}"),
            Self::VaultTotpUseBackup => format!("Used a backup code of {name}"),
            Self::IdentityWhoami => "Read the identity".to_owned(),
            Self::LogsList => "Listed the activity log".to_owned(),
            Self::LogsStats => "Read activity statistics".to_owned(),
            Self::McpSession => "MCP session message".to_owned(),
        }
    }
}

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
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rest => "rest",
            Self::Mcp => "mcp",
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

/// One recorded request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityEntry {
    pub id: String,
    pub identity: IdentityId,
    pub action: Action,
    pub category: Category,
    pub outcome: Outcome,
    pub severity: Severity,
    pub description: String,
    pub target: Option<CredentialName>,
    pub credential_id: Option<String>,
    pub http_status: u16,
    pub caller: Caller,
    pub duration_ms: u64,
    pub created_at: Timestamp,
    /// When the store may forget it (DynamoDB TTL).
    pub expires_at: Timestamp,
}

/// How long entries are kept unless configured otherwise (`LOG_RETENTION_DAYS`).
pub const DEFAULT_LOG_RETENTION_DAYS: u32 = 90;

impl ActivityEntry {
    /// An entry for `action` that ended with `http_status` (`message`: the error's, if any).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        identity: IdentityId,
        action: Action,
        target: Option<CredentialName>,
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
            identity,
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

    /// Kept `days` after it was made.
    pub fn kept_for(self, days: u32) -> Self {
        Self {
            expires_at: self.created_at.days_after(days),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: u16, message: Option<&str>) -> ActivityEntry {
        ActivityEntry::new(
            "log_1".into(),
            IdentityId::parse("idt_a").unwrap(),
            Action::VaultGet,
            CredentialName::parse("stripe").ok(),
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
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
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
