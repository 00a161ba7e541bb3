//! The identity directory, in memory.

use super::{MemoryStore, lock};
use crate::auth::{KeyHash, Principal};
use crate::dependency::DependencyError;
use crate::domain::{IdentityId, IdentityProfile, RateWindow, Timestamp};
use crate::store::{
    IdentityDirectory, IdentityRecord, IdentitySummary, KEY_ID_LEN, KeyRecord, KeySummary,
    RegisterError,
};

fn key_summary((key, revoked): &(KeyRecord, Option<Timestamp>)) -> KeySummary {
    KeySummary {
        key_id: key.key_id(),
        identity_id: key.identity.to_string(),
        scopes: key.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        created_at: key.created_at.to_string(),
        revoked_at: revoked.map(|at| at.to_string()),
    }
}

impl MemoryStore {
    fn revoke_keys_of(&self, identity: &IdentityId, at: Timestamp) {
        for (key, revoked) in lock(&self.keys).values_mut() {
            if &key.identity == identity {
                revoked.get_or_insert(at);
            }
        }
    }
}

impl IdentityDirectory for MemoryStore {
    async fn principal_for(&self, key: &KeyHash) -> Result<Option<Principal>, DependencyError> {
        Ok(match lock(&self.keys).get(key) {
            Some((record, None)) => Some(Principal {
                identity: record.identity.clone(),
                scopes: record.scopes.clone(),
            }),
            _ => None,
        })
    }

    async fn count_request(
        &self,
        identity: &IdentityId,
        window: RateWindow,
    ) -> Result<u64, DependencyError> {
        let mut requests = lock(&self.requests);
        let count = requests
            .entry((identity.clone(), window.index()))
            .or_insert(0);
        *count += 1;
        Ok(*count)
    }

    async fn profile(
        &self,
        identity: &IdentityId,
    ) -> Result<Option<IdentityProfile>, DependencyError> {
        Ok(lock(&self.identities)
            .get(identity)
            .map(|(record, _)| IdentityProfile {
                name: record.name.clone(),
                created_at: record.created_at,
            }))
    }

    async fn register(
        &self,
        identity: &IdentityRecord,
        key: &KeyRecord,
    ) -> Result<(), RegisterError> {
        let mut keys = lock(&self.keys);
        if keys.contains_key(&key.hash) {
            return Err(RegisterError::KeyTaken);
        }
        keys.insert(key.hash.clone(), (key.clone(), None));
        lock(&self.identities).insert(identity.identity.clone(), (identity.clone(), None));
        Ok(())
    }

    async fn add_key(&self, key: &KeyRecord) -> Result<bool, DependencyError> {
        let live = matches!(lock(&self.identities).get(&key.identity), Some((_, None)));
        let mut keys = lock(&self.keys);
        if !live || keys.contains_key(&key.hash) {
            return Ok(false);
        }
        keys.insert(key.hash.clone(), (key.clone(), None));
        Ok(true)
    }

    async fn keys_of(&self, identity: &IdentityId) -> Result<Vec<KeySummary>, DependencyError> {
        let mut keys: Vec<KeySummary> = lock(&self.keys)
            .values()
            .filter(|(key, _)| &key.identity == identity)
            .map(key_summary)
            .collect();
        keys.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then(a.key_id.cmp(&b.key_id))
        });
        Ok(keys)
    }

    async fn revoke_key(
        &self,
        identity: &IdentityId,
        key_id: &str,
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        let mut keys = lock(&self.keys);
        let mut matching: Vec<_> = keys
            .values_mut()
            .filter(|(key, _)| {
                &key.identity == identity
                    && key_id.len() >= KEY_ID_LEN
                    && key.hash.as_str().starts_with(key_id)
            })
            .collect();
        match matching.as_mut_slice() {
            [(_, revoked)] => {
                revoked.get_or_insert(at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn revoke_identity(
        &self,
        identity: &IdentityId,
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        self.revoke_keys_of(identity, at);
        let existed = match lock(&self.identities).get_mut(identity) {
            Some((_, revoked)) => {
                revoked.get_or_insert(at);
                true
            }
            None => false,
        };
        Ok(existed)
    }

    async fn identities(&self) -> Result<Vec<IdentitySummary>, DependencyError> {
        let keys = lock(&self.keys);
        let mut listed: Vec<IdentitySummary> = lock(&self.identities)
            .values()
            .map(|(record, revoked)| {
                let own: Vec<_> = keys
                    .values()
                    .filter(|(k, _)| k.identity == record.identity)
                    .collect();
                IdentitySummary {
                    identity_id: record.identity.to_string(),
                    name: record.name.clone(),
                    created_at: record.created_at.to_string(),
                    revoked_at: revoked.map(|at| at.to_string()),
                    keys: own.len(),
                    active_keys: own.iter().filter(|(_, r)| r.is_none()).count(),
                }
            })
            .collect();
        listed.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then(a.identity_id.cmp(&b.identity_id))
        });
        Ok(listed)
    }
}
