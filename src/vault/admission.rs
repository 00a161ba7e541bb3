//! Admission: who is calling (authentication), whether their key may ask for this at all
//! (authorization: the one place scopes are checked), and whether they may call now (the
//! per-identity rate limit).

use super::{Vault, VaultError};
use crate::auth::{ApiKey, AuthError, KeyHash, Principal};
use crate::crypto::KeyProvider;
use crate::domain::{Action, Caller, IdentityId, OrgId, RateWindow, Subject};
use crate::store::VaultStore;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// An authenticated request: who, through which edge, since when (for `durationMs`), by
/// when it must be answered, and whether its outcome has been recorded yet.
#[derive(Clone, Debug)]
pub struct Call {
    pub principal: Principal,
    pub caller: Caller,
    pub(super) started: Instant,
    pub(super) deadline: Option<tokio::time::Instant>,
    recorded: Arc<AtomicBool>,
    /// Whether the request was counted against the rate limit: a refusal that came first is
    /// counted with its record.
    counted: Arc<AtomicBool>,
    /// The key, by its hash: what a budget (`maxUses`) is counted under.
    pub(super) key: KeyHash,
    /// Whether this request spent the key's last use (its entry says so).
    pub(super) last_use: Arc<AtomicBool>,
    /// Whether this request uses a credential its grants allow: what a budget counts.
    pub(super) spends: Arc<AtomicBool>,
}

impl Call {
    /// A call that something other than an API key authenticated (a request link), as
    /// `principal`; `key` names it where a key's hash would (it has no budget to spend).
    pub(super) fn authenticated_as(principal: Principal, caller: Caller, key: KeyHash) -> Self {
        Self {
            principal,
            caller,
            started: Instant::now(),
            deadline: None,
            recorded: Arc::default(),
            counted: Arc::default(),
            key,
            last_use: Arc::default(),
            spends: Arc::default(),
        }
    }

    pub(super) fn until(self, deadline: Option<tokio::time::Instant>) -> Self {
        Self { deadline, ..self }
    }

    pub(super) fn mark_recorded(&self) {
        self.recorded.store(true, Ordering::Release);
    }

    pub(super) fn was_recorded(&self) -> bool {
        self.recorded.load(Ordering::Acquire)
    }

    pub(super) fn was_counted(&self) -> bool {
        self.counted.load(Ordering::Acquire)
    }

    /// The identity whose vault the call opens: admission admits only identity keys to the
    /// vault's use cases, so this is a fault of ours if it fails.
    pub(super) fn identity(&self) -> Result<&IdentityId, VaultError> {
        match &self.principal.subject {
            Subject::Identity(identity) => Ok(identity),
            Subject::Org(_) => Err(VaultError::Internal(
                "a platform key reached a vault use case".into(),
            )),
        }
    }

    /// The organisation a platform key manages (likewise admitted only to platform use cases).
    pub(super) fn org(&self) -> Result<&OrgId, VaultError> {
        match &self.principal.subject {
            Subject::Org(org) => Ok(org),
            Subject::Identity(_) => Err(VaultError::Internal(
                "an identity key reached a platform use case".into(),
            )),
        }
    }
}

/// Why `principal` may not ask for `action`: a route of the other kind of key, or a scope
/// it lacks; `None` when it may.
fn refusal(principal: &Principal, action: Action) -> Option<AuthError> {
    if let Some(kind) = action.key_kind()
        && kind != principal.kind()
    {
        return Some(AuthError::WrongKind(kind));
    }
    action
        .scope()
        .filter(|scope| !principal.scopes.contains(scope))
        .map(AuthError::MissingScope)
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// Resolves an `Authorization` header to a caller: one key lookup. Failures here are
    /// not recorded in the activity log: they belong to no identity.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        caller: Caller,
    ) -> Result<Call, VaultError> {
        let started = Instant::now();
        let key = ApiKey::from_authorization(authorization)?;
        let hash = key.hash();
        let key = hash.clone();
        let principal = self
            .principal_of(hash)
            .await?
            .ok_or(AuthError::UnknownKey)?;
        Ok(Call {
            started,
            ..Call::authenticated_as(principal, caller, key)
        })
    }

    /// The principal a key hash stands for (from this instance's cache when warm); `None`
    /// for an unknown or revoked key.
    pub(super) async fn principal_of(
        &self,
        hash: KeyHash,
    ) -> Result<Option<Principal>, VaultError> {
        if let Some(principal) = self.principals.as_ref().and_then(|cache| cache.get(&hash)) {
            return Ok(Some(principal));
        }
        let principal = self.store.principal_for(&hash).await?;
        if let (Some(cache), Some(principal)) = (&self.principals, &principal) {
            cache.put(hash, principal.clone());
        }
        Ok(principal)
    }

    /// Whether `principal` may ask for `action` at all: the kind of key it needs, and the
    /// scope.
    pub(super) fn permits(&self, principal: &Principal, action: Action) -> bool {
        refusal(principal, action).is_none()
            && action
                .capability()
                .is_none_or(|capability| principal.limits.may_ever(capability))
    }

    /// Refuses a call its key may not make (another kind of key's, or a scope it lacks), or
    /// one from a subject this instance already found over the rate limit this minute, before
    /// its input is read: a key that may not write gets 403 whatever its body holds, and no
    /// body is parsed for it.
    pub(super) fn authorize(&self, call: &Call, action: Action) -> Result<(), VaultError> {
        self.refuse_expired(call)?;
        if let Some(refused) = refusal(&call.principal, action) {
            return Err(refused.into());
        }
        match self.known_over_limit(call) {
            Some(limited) => Err(limited),
            None => Ok(()),
        }
    }

    pub(super) fn known_over_limit(&self, call: &Call) -> Option<VaultError> {
        self.rate_limit?;
        let now = self.clock.now().unix_seconds();
        let window = RateWindow::containing(now);
        self.over_limit
            .holds(&call.principal.subject, window)
            .then(|| VaultError::RateLimited {
                retry_after: window.retry_after(now),
            })
    }

    /// Counts the request against the rate limit while `first` (work that changes nothing:
    /// a read, or a fresh data key) runs, so the count costs no round trip.
    pub(super) async fn admit<T>(
        &self,
        call: &Call,
        first: impl Future<Output = Result<T, VaultError>>,
    ) -> Result<T, VaultError> {
        // Known over the limit: no count, and none of `first`'s work (a KMS data key).
        if let Some(limited) = self.known_over_limit(call) {
            return Err(limited);
        }
        let (counted, first) = tokio::join!(self.count(call), first);
        counted?;
        first
    }

    /// Counts one request of the caller's identity; `RateLimited` past the limit.
    pub(super) async fn count(&self, call: &Call) -> Result<(), VaultError> {
        call.counted.store(true, Ordering::Release);
        // A budgeted key spends a use beside the count: no round trip of its own.
        let (counted, spent) = tokio::join!(self.count_rate(call), self.spend_use(call));
        counted.and(spent)
    }

    async fn count_rate(&self, call: &Call) -> Result<(), VaultError> {
        let Some(limit) = self.rate_limit else {
            return Ok(());
        };
        let now = self.clock.now().unix_seconds();
        let window = RateWindow::containing(now);
        let count = self
            .store
            .count_request(&call.principal.subject, window)
            .await?;
        if count > limit {
            self.over_limit.mark(&call.principal.subject, window);
            return Err(VaultError::RateLimited {
                retry_after: window.retry_after(now),
            });
        }
        Ok(())
    }
}
