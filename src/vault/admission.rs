//! Admission: who is calling (authentication, scope) and whether they may call now (the
//! per-identity rate limit).

use super::{Vault, VaultError};
use crate::auth::{ApiKey, AuthError, Principal};
use crate::crypto::KeyProvider;
use crate::domain::{Action, Caller, CredentialName, RateWindow};
use crate::store::VaultStore;
use std::future::Future;
use std::time::Instant;

/// An authenticated request: who, through which edge, and since when (for `durationMs`).
#[derive(Clone, Debug)]
pub struct Call {
    pub principal: Principal,
    pub caller: Caller,
    pub(super) started: Instant,
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
        let cached = self.principals.as_ref().and_then(|cache| cache.get(&hash));
        let principal = match cached {
            Some(principal) => principal,
            None => {
                let principal = self
                    .store
                    .principal_for(&hash)
                    .await?
                    .ok_or(AuthError::UnknownKey)?;
                if let Some(cache) = &self.principals {
                    cache.put(hash, principal.clone());
                }
                principal
            }
        };
        Ok(Call {
            principal,
            caller,
            started,
        })
    }

    /// Refuses a call outside the key's scopes before its input is read: a key that may not
    /// write gets 403 whatever its body holds, and no body is parsed for it.
    pub async fn authorize(
        &self,
        call: &Call,
        action: Action,
        target: Option<&CredentialName>,
    ) -> Result<(), VaultError> {
        if let Some(scope) = action.scope()
            && let Err(denied) = call.principal.require(scope)
        {
            return Err(self.reject(call, action, target, denied.into()).await);
        }
        self.refuse_if_over_limit(call, action, target).await
    }

    /// Refuses at once (429, recorded like any refusal) an identity this instance found over
    /// the rate limit this minute, before any of its input is read.
    pub async fn refuse_if_over_limit(
        &self,
        call: &Call,
        action: Action,
        target: Option<&CredentialName>,
    ) -> Result<(), VaultError> {
        match self.known_over_limit(call) {
            None => Ok(()),
            Some(limited) => Err(self.reject(call, action, target, limited).await),
        }
    }

    fn known_over_limit(&self, call: &Call) -> Option<VaultError> {
        self.rate_limit?;
        let now = self.clock.now().unix_seconds();
        let window = RateWindow::containing(now);
        self.over_limit
            .holds(&call.principal.identity, window)
            .then(|| VaultError::RateLimited {
                retry_after: window.retry_after(now),
            })
    }

    /// Checks the scope `action` needs, then counts the request against the rate limit
    /// while `first` (work that changes nothing: a read, or a fresh data key) runs, so the
    /// count costs no round trip.
    pub(super) async fn admit<T>(
        &self,
        call: &Call,
        action: Action,
        first: impl Future<Output = Result<T, VaultError>>,
    ) -> Result<T, VaultError> {
        if let Some(scope) = action.scope() {
            call.principal.require(scope)?;
        }
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
        let Some(limit) = self.rate_limit else {
            return Ok(());
        };
        let now = self.clock.now().unix_seconds();
        let window = RateWindow::containing(now);
        let count = self
            .store
            .count_request(&call.principal.identity, window)
            .await?;
        if count > limit {
            self.over_limit.mark(&call.principal.identity, window);
            return Err(VaultError::RateLimited {
                retry_after: window.retry_after(now),
            });
        }
        Ok(())
    }
}
