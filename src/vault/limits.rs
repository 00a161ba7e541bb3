//! A key's own limits, checked where the request is: its expiry before anything (with the
//! scopes), its budget beside the rate count, and its grants on the one credential a parsed
//! request names, before anything is decrypted or written. REST and MCP pass through here
//! alike.

use super::{Call, Request, Vault, VaultError};
use crate::auth::AuthError;
use crate::crypto::KeyProvider;
use crate::domain::{Decision, Target};
use crate::store::VaultStore;
use std::sync::atomic::Ordering;

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// Refuses a key past its `notAfter` (a principal cached before that does not outlive it).
    pub(super) fn refuse_expired(&self, call: &Call) -> Result<(), VaultError> {
        match call.principal.limits.not_after {
            Some(not_after) if self.clock.now() >= not_after => Err(AuthError::ExpiredKey.into()),
            _ => Ok(()),
        }
    }

    /// Spends one of a budgeted key's uses, when the request uses a credential (a read, a
    /// code, a write: what its grants allowed); refused once they are all spent.
    pub(super) async fn spend_use(&self, call: &Call) -> Result<(), VaultError> {
        let Some(max) = call.principal.limits.max_uses else {
            return Ok(());
        };
        if !call.spends.load(Ordering::Acquire) {
            return Ok(());
        }
        match self.store.spend_use(&call.key, max).await? {
            Some(used) => {
                call.last_use.store(used == max, Ordering::Release);
                Ok(())
            }
            None => Err(AuthError::UsesSpent.into()),
        }
    }

    /// Whether the key's grants let `request` at the credential it names: a name outside
    /// them is not found, a capability they do not give is refused.
    pub(super) fn within_grants(call: &Call, request: &Request) -> Result<(), VaultError> {
        let (Some(Target::Credential(name)), Some(capability)) =
            (request.target(), request.action().capability())
        else {
            return Ok(());
        };
        match call.principal.limits.decide(&name, Some(capability)) {
            Decision::Allowed => {
                call.spends.store(true, Ordering::Release);
                Ok(())
            }
            Decision::Hidden(pattern) => Err(VaultError::Hidden(pattern)),
            Decision::Lacks(capability) => Err(VaultError::Ungranted(capability)),
        }
    }
}
