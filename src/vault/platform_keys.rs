//! An identity's keys, as its organisation's platform key manages them (credvault's own
//! routes): another key with its own scopes and grants, the live keys listed (never a key),
//! one revoked by its key id.

use super::{Call, Vault, VaultError, rng_failed};
use crate::auth::ApiKey;
use crate::crypto::KeyProvider;
use crate::domain::{Action, IdentityId, KeyKind, NewKeySpec, Subject};
use crate::store::{KeyRecord, KeySummary, MAX_KEYS_PER_IDENTITY, VaultStore};

/// A key added to an identity, shown once, and what it holds.
#[derive(Debug)]
pub struct AddedKey {
    pub raw_key: ApiKey,
    pub record: KeyRecord,
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// Another key of the identity: its scopes (the identity's when left out) must be the
    /// identity's and the platform key's; its grants no wider than the platform key's.
    pub(super) async fn add_key(
        &self,
        call: &Call,
        identity: &IdentityId,
        spec: NewKeySpec,
    ) -> Result<AddedKey, VaultError> {
        let record = self.own_identity(call, identity).await?;
        let scopes = spec.scopes.unwrap_or_else(|| record.scopes.clone());
        if let Some(scope) = scopes.iter().find(|s| !record.scopes.contains(s)) {
            return Err(VaultError::Forbidden(format!(
                "A key of this identity holds only its scopes; it does not hold {}",
                scope.as_str()
            )));
        }
        Self::within_ceiling(call, &scopes)?;
        let limits = Self::within_limits(call, &spec.limits)?;
        if self.store.live_keys(identity).await?.len() >= MAX_KEYS_PER_IDENTITY {
            return Err(VaultError::Unsuitable(format!(
                "An identity holds at most {MAX_KEYS_PER_IDENTITY} live keys; revoke one first"
            )));
        }
        let raw_key = ApiKey::generate(KeyKind::Identity).map_err(rng_failed)?;
        let key = KeyRecord {
            hash: raw_key.hash(),
            subject: Subject::Identity(identity.clone()),
            scopes,
            created_at: self.clock.now(),
            primary: false,
            limits,
            shown_prefix: raw_key.shown_prefix(),
        };
        if !self.store.add_key(&key).await? {
            // Gone meanwhile (a fresh key is never registered already).
            return Err(VaultError::IdentityNotFound);
        }
        self.record_platform(call, Action::IdentitiesAddKey, identity, 201)
            .await;
        Ok(AddedKey {
            raw_key,
            record: key,
        })
    }

    /// The identity's live keys, by key id, with what each holds: as their own verified
    /// items say, never as the unsigned records beside them.
    pub(super) async fn list_keys(
        &self,
        call: &Call,
        identity: &IdentityId,
    ) -> Result<Vec<KeySummary>, VaultError> {
        let record = self.own_identity(call, identity).await?;
        let keys = self.store.live_keys(identity).await?;
        let summaries = keys
            .into_iter()
            .map(|key| KeySummary {
                key_id: key.key_id(),
                owner_id: identity.to_string(),
                scopes: key.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
                created_at: key.created_at.to_string(),
                revoked_at: None,
                primary: record.primary_key.as_ref() == Some(&key.hash),
                api_key_prefix: key.shown_prefix,
                limits: key.limits,
            })
            .collect();
        self.record_platform(call, Action::IdentitiesListKeys, identity, 200)
            .await;
        Ok(summaries)
    }

    /// Revokes one key of the identity by its key id; it stops working at once (on warm
    /// instances, within the principal cache's delay).
    pub(super) async fn revoke_key(
        &self,
        call: &Call,
        identity: &IdentityId,
        key_id: &str,
    ) -> Result<(), VaultError> {
        self.own_identity(call, identity).await?;
        let owner = Subject::Identity(identity.clone());
        if !self
            .store
            .revoke_key(&owner, key_id, self.clock.now())
            .await?
        {
            return Err(VaultError::KeyNotFound);
        }
        self.record_platform(call, Action::IdentitiesRevokeKey, identity, 204)
            .await;
        Ok(())
    }
}
