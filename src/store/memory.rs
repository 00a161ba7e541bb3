use super::{CredentialInfo, CredentialRecord, CredentialStore, PutOutcome};
use crate::auth::{IdentityId, KeyDirectory, KeyHash, Principal};
use crate::crypto::NONCE_LEN;
use crate::dependency::DependencyError;
use crate::domain::{CredentialName, RateWindow, Timestamp};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

/// An in-memory table, for unit and handler tests only; production always uses DynamoDB.
#[derive(Default)]
pub struct MemoryStore {
    credentials: Mutex<BTreeMap<(IdentityId, CredentialName), CredentialRecord>>,
    keys: Mutex<HashMap<KeyHash, Principal>>,
    requests: Mutex<HashMap<(IdentityId, u64), u64>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread cannot leave the maps half-written, so poisoning is moot.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn key(identity: &IdentityId, name: &CredentialName) -> (IdentityId, CredentialName) {
    (identity.clone(), name.clone())
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_key(&self, key: KeyHash, principal: Principal) {
        lock(&self.keys).insert(key, principal);
    }

    pub fn len(&self) -> usize {
        lock(&self.credentials).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces a stored record as is, bypassing the vault: for tampering tests.
    pub fn overwrite_raw(&self, record: CredentialRecord) {
        lock(&self.credentials).insert(key(&record.identity, &record.info.name), record);
    }
}

impl CredentialStore for MemoryStore {
    async fn put(&self, record: &CredentialRecord) -> Result<PutOutcome, DependencyError> {
        let old = lock(&self.credentials)
            .insert(key(&record.identity, &record.info.name), record.clone());
        Ok(if old.is_some() {
            PutOutcome::Replaced
        } else {
            PutOutcome::Created
        })
    }

    async fn put_if_unchanged(
        &self,
        record: &CredentialRecord,
        expected: &[u8; NONCE_LEN],
    ) -> Result<bool, DependencyError> {
        let mut credentials = lock(&self.credentials);
        let slot = credentials.get_mut(&key(&record.identity, &record.info.name));
        match slot {
            Some(current) if &current.envelope.nonce == expected => {
                *current = record.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn get(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
    ) -> Result<Option<CredentialRecord>, DependencyError> {
        Ok(lock(&self.credentials).get(&key(identity, name)).cloned())
    }

    async fn list(&self, identity: &IdentityId) -> Result<Vec<CredentialInfo>, DependencyError> {
        let credentials = lock(&self.credentials);
        Ok(credentials
            .iter()
            .filter(|((owner, _), _)| owner == identity)
            .map(|(_, record)| record.info.clone())
            .collect())
    }

    async fn delete(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
    ) -> Result<bool, DependencyError> {
        Ok(lock(&self.credentials)
            .remove(&key(identity, name))
            .is_some())
    }

    async fn touch(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
        credential_id: &str,
        at: Timestamp,
    ) -> Result<(), DependencyError> {
        if let Some(record) = lock(&self.credentials).get_mut(&key(identity, name))
            && record.info.credential_id == credential_id
        {
            record.info.last_used_at = Some(at);
        }
        Ok(())
    }
}

impl KeyDirectory for MemoryStore {
    async fn principal_for(&self, key: &KeyHash) -> Result<Option<Principal>, DependencyError> {
        Ok(lock(&self.keys).get(key).cloned())
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
}
