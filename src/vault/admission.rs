//! Admission: who is calling (authentication, scope) and whether they may call now (the
//! per-identity rate limit).

use super::{Vault, VaultError};
use crate::auth::{ApiKey, AuthError, KeyDirectory, Principal, Scope};
use crate::crypto::KeyProvider;
use crate::domain::RateWindow;
use crate::store::CredentialStore;

impl<S: CredentialStore + KeyDirectory, K: KeyProvider> Vault<S, K> {
    /// Resolves an `Authorization` header to a principal holding `scope`, and counts the
    /// request against the identity's rate limit.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        scope: Scope,
    ) -> Result<Principal, VaultError> {
        let key = ApiKey::from_authorization(authorization)?;
        let principal = self
            .store
            .principal_for(&key.hash())
            .await?
            .ok_or(AuthError::UnknownKey)?;
        principal.require(scope)?;
        if let Some(limit) = self.rate_limit {
            let now = self.clock.now().unix_seconds();
            let window = RateWindow::containing(now);
            let count = self
                .store
                .count_request(&principal.identity, window)
                .await?;
            if count > limit {
                return Err(VaultError::RateLimited {
                    retry_after: window.retry_after(now),
                });
            }
        }
        Ok(principal)
    }
}
