//! The use cases, free of HTTP and of AWS: who is calling, and what the vault does for them.
//! Every edge comes in through `entry` (one typed [`Request`] in, one [`Answer`] out), which
//! authorizes in `admission` and records each outcome once; see `audit` for how the entry
//! rides with the write the request makes anyway. `identities` manages identities and keys
//! for operators.

mod activity;
mod admission;
mod audit;
mod broker;
mod credential_requests;
mod credentials;
mod entry;
mod error;
mod identities;
mod limits;
mod links;
mod over_limit;
mod platform;
mod platform_changes;
mod platform_keys;
mod principal_cache;
mod request;
mod totp;

pub use activity::{LogQuery, MAX_LOG_PAGE, Whoami};
pub use admission::Call;
pub use broker::BrokeredAnswer;
pub use credential_requests::{LINK_PATH, LinkBase, LinkUrl, RequestView, RequestedLink};
pub use credentials::{
    CredentialPage, DEFAULT_LIST_PAGE, LIST_PAGE_BYTES, ListQuery, MAX_LIST_PAGE, Revealed,
};
pub use entry::{Handled, Peeked, RECORD_MARGIN, Session, SessionEnd};
pub use error::{ErrorKind, RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, VaultError};
pub use identities::{Identities, NewIdentity, parse_scopes};
pub use links::{Fulfilment, LinkPage, LinkSubmission};
pub use platform::{
    DEFAULT_IDENTITY_PAGE, IdentityPage, IdentityQuery, IdentityView, MAX_IDENTITY_PAGE,
    MintedIdentity,
};
pub use platform_changes::RotatedKey;
pub use platform_keys::AddedKey;
pub use request::{Answer, Input, Intent, Request};
pub use totp::{BackupAnswer, MAX_BACKUP_ATTEMPTS, TotpAnswer};

use crate::clock::{Clock, SystemClock};
use crate::crypto::KeyProvider;
use crate::domain::DEFAULT_LOG_RETENTION_DAYS;
use crate::egress::{Egress, NoEgress};
use crate::store::VaultStore;
use std::sync::Arc;

/// The one failure of making an id or a key: the system's random generator.
fn rng_failed<E>(_: E) -> VaultError {
    VaultError::Internal("the system random generator failed".into())
}

/// The use cases over a store and a key provider. Cloning is cheap (shared handles), so an
/// edge that needs an owned vault, such as the MCP server's per-request handler, takes a clone.
pub struct Vault<S, K> {
    store: Arc<S>,
    keys: Arc<K>,
    /// Requests one identity may make in a minute; `None`: no limit.
    rate_limit: Option<u64>,
    /// How long activity entries are kept.
    log_retention_days: u32,
    clock: Arc<dyn Clock>,
    /// Verified principals by key hash; `None`: every request looks its key up.
    principals: Option<Arc<principal_cache::PrincipalCache>>,
    /// Identities found over the rate limit this minute, refused without another count.
    over_limit: Arc<over_limit::OverLimit>,
    /// Where brokered requests go out; [`NoEgress`] unless the wiring gives one.
    egress: Arc<dyn Egress>,
}

impl<S, K> Clone for Vault<S, K> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            keys: Arc::clone(&self.keys),
            rate_limit: self.rate_limit,
            log_retention_days: self.log_retention_days,
            clock: Arc::clone(&self.clock),
            principals: self.principals.clone(),
            over_limit: Arc::clone(&self.over_limit),
            egress: Arc::clone(&self.egress),
        }
    }
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    pub fn new(store: S, keys: K) -> Self {
        Self {
            store: Arc::new(store),
            keys: Arc::new(keys),
            rate_limit: None,
            log_retention_days: DEFAULT_LOG_RETENTION_DAYS,
            clock: Arc::new(SystemClock),
            principals: None,
            over_limit: Arc::default(),
            egress: Arc::new(NoEgress),
        }
    }

    /// Keeps verified principals `ttl` in this instance: a warm request makes no key lookup,
    /// and a revocation takes up to `ttl` to reach a warm instance.
    pub fn with_principal_cache(self, ttl: std::time::Duration) -> Self {
        let principals =
            (!ttl.is_zero()).then(|| Arc::new(principal_cache::PrincipalCache::new(ttl)));
        Self { principals, ..self }
    }

    /// Sends brokered requests through `egress`.
    pub fn with_egress(self, egress: Arc<dyn Egress>) -> Self {
        Self { egress, ..self }
    }

    /// Reads the time from `clock` instead of the system's.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// Limits each identity to `per_minute` requests in a fixed one-minute window.
    pub fn with_rate_limit(self, per_minute: Option<u64>) -> Self {
        Self {
            rate_limit: per_minute,
            ..self
        }
    }

    /// Keeps activity entries `days` days.
    pub fn with_log_retention_days(self, days: u32) -> Self {
        Self {
            log_retention_days: days,
            ..self
        }
    }

    pub fn store_port(&self) -> &S {
        &self.store
    }
}
