use super::{CredentialRecord, CredentialStore, PutOutcome};
use crate::auth::IdentityId;
use crate::auth::{KeyDirectory, KeyHash, Principal};
use crate::dependency::DependencyError;
use crate::domain::CredentialName;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// An in-memory table, for unit and handler tests only; production always uses DynamoDB.
#[derive(Default)]
pub struct MemoryStore {
    credentials: Mutex<HashMap<(IdentityId, CredentialName), CredentialRecord>>,
    keys: Mutex<HashMap<KeyHash, Principal>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread cannot leave the maps half-written, so poisoning is moot.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_key(&self, key: KeyHash, principal: Principal) {
        lock(&self.keys).insert(key, principal);
    }

    pub fn get(&self, identity: &IdentityId, name: &CredentialName) -> Option<CredentialRecord> {
        lock(&self.credentials)
            .get(&(identity.clone(), name.clone()))
            .cloned()
    }

    pub fn len(&self) -> usize {
        lock(&self.credentials).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl CredentialStore for MemoryStore {
    async fn put(&self, record: &CredentialRecord) -> Result<PutOutcome, DependencyError> {
        let key = (record.identity.clone(), record.name.clone());
        match lock(&self.credentials).insert(key, record.clone()) {
            Some(_) => Ok(PutOutcome::Replaced),
            None => Ok(PutOutcome::Created),
        }
    }
}

impl KeyDirectory for MemoryStore {
    async fn principal_for(&self, key: &KeyHash) -> Result<Option<Principal>, DependencyError> {
        Ok(lock(&self.keys).get(key).cloned())
    }
}
