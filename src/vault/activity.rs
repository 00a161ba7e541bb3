//! Who is calling, and what they did: whoami, the activity log and its statistics.

use super::{Call, Vault, VaultError};
use crate::crypto::KeyProvider;
use crate::domain::{
    Action, ActivityStats, KeyLimits, LogCursor, LogFilter, LogPage, Scope, Target, Timestamp,
};
use crate::store::VaultStore;

/// The most entries one page of the log holds.
pub const MAX_LOG_PAGE: usize = 100;
pub const DEFAULT_LOG_PAGE: usize = 50;

/// The caller, as whoami shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Whoami {
    pub identity_id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub usage_count: u64,
    pub last_used_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// The calling key's grants, expiry and budget.
    pub limits: KeyLimits,
}

/// A request for a page of the log, as the edge parsed it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogQuery {
    pub filter: LogFilter,
    pub limit: Option<usize>,
    pub after: Option<LogCursor>,
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// The caller's identity and key scopes, with how much it has used the vault (an identity
    /// key's only: a platform key is no identity).
    pub(super) async fn whoami(&self, call: &Call) -> Result<Whoami, VaultError> {
        let identity = call.identity()?;
        let subject = &call.principal.subject;
        let now = self.clock.now();
        let reads = async {
            let (profile, stats, last) = tokio::join!(
                self.store.profile(identity),
                self.store.stats(subject, self.retention_start(now), now),
                self.store.last_activity(subject),
            );
            Ok::<_, VaultError>((profile?, stats?, last?))
        };
        let (profile, stats, last) = self.admit(call, reads).await?;
        let profile = profile.ok_or(VaultError::Internal("key without identity".into()))?;
        self.record_success(call, Action::IdentityWhoami, None)
            .await;
        Ok(Whoami {
            identity_id: identity.to_string(),
            name: profile.name,
            scopes: call.principal.scopes.clone(),
            usage_count: stats.total,
            last_used_at: last,
            created_at: profile.created_at,
            limits: call.principal.limits.clone(),
        })
    }

    /// One page of the caller's activity, newest first.
    pub(super) async fn activity(
        &self,
        call: &Call,
        query: &LogQuery,
    ) -> Result<LogPage, VaultError> {
        let limit = query.limit.unwrap_or(DEFAULT_LOG_PAGE);
        if !(1..=MAX_LOG_PAGE).contains(&limit) {
            return Err(VaultError::BadInput(format!(
                "Query parameter `limit` must be between 1 and {MAX_LOG_PAGE}"
            )));
        }
        // An identity key reads its identity's log; a platform key, its organisation's.
        let subject = &call.principal.subject;
        let now = self.clock.now();
        let window = (self.retention_start(now), now);
        let page = async {
            let page =
                self.store
                    .entries(subject, &query.filter, limit, query.after.as_ref(), window);
            Ok(page.await?)
        };
        let mut page: LogPage = self.admit(call, page).await?;
        // A key limited by grants sees only the entries of credentials it sees: the log names
        // no other (a page may then hold fewer entries, as with filters).
        let limits = &call.principal.limits;
        page.entries.retain(|entry| match &entry.target {
            Some(Target::Credential(name)) => limits.sees(name),
            _ => true,
        });
        self.record_success(call, Action::LogsList, None).await;
        Ok(page)
    }

    /// Counts of the caller's retained activity.
    pub(super) async fn activity_stats(&self, call: &Call) -> Result<ActivityStats, VaultError> {
        let now = self.clock.now();
        let subject = &call.principal.subject;
        let stats = async {
            Ok(self
                .store
                .stats(subject, self.retention_start(now), now)
                .await?)
        };
        let stats = self.admit(call, stats).await?;
        self.record_success(call, Action::LogsStats, None).await;
        Ok(stats)
    }

    /// An MCP message no tool's use case recorded (initialize, tools/list, ping, a
    /// notification, an unknown tool, anything the transport refused): counted and recorded
    /// once, as `mcp_session`, with the HTTP status it was answered and the JSON-RPC error
    /// code if the answer was one. Past the rate limit, `RateLimited` (recorded as such).
    pub(super) async fn protocol_message(
        &self,
        call: &Call,
        status: u16,
        rpc_error: Option<i64>,
    ) -> Result<(), VaultError> {
        let action = Action::McpSession;
        let admitted = self.admit(call, async { Ok(()) }).await;
        self.settle(call, action, None, admitted).await?;
        let refused = match status {
            400..=499 => Some("Malformed MCP request"),
            500.. => Some("MCP transport failure"),
            _ => None,
        };
        let entry = self.entry(call, action, None, status, refused);
        let entry = match rpc_error {
            Some(code) if status < 400 => entry.with_rpc_error(code),
            _ => entry,
        };
        self.append(entry).await;
        Ok(())
    }

    fn retention_start(&self, now: Timestamp) -> Timestamp {
        now.days_before(self.log_retention_days)
    }
}
