//! The identity directory, in memory.

use super::{Ended, MemoryStore, lock};
use crate::auth::{KeyHash, Principal};
use crate::dependency::DependencyError;
use crate::domain::{IdentityId, IdentityProfile, OrgId, RateWindow, Subject, Timestamp};
use crate::store::{
    IdentityChange, IdentityDirectory, IdentityRecord, IdentitySlice, IdentitySummary, KEY_ID_LEN,
    KeyRecord, KeySummary, RegisterError,
};

fn key_summary(
    (key, revoked): &(KeyRecord, Option<Timestamp>),
    primary: Option<&KeyHash>,
) -> KeySummary {
    KeySummary {
        key_id: key.key_id(),
        owner_id: key.subject.to_string(),
        scopes: key.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        created_at: key.created_at.to_string(),
        revoked_at: revoked.map(|at| at.to_string()),
        primary: primary == Some(&key.hash),
        api_key_prefix: key.shown_prefix.clone(),
        limits: key.limits.clone(),
    }
}

fn owned_by(key: &KeyRecord, identity: &IdentityId) -> bool {
    key.subject.identity() == Some(identity)
}

impl MemoryStore {
    fn revoke_keys_of(&self, identity: &IdentityId, at: Timestamp) {
        for (key, revoked) in lock(&self.keys).values_mut() {
            if owned_by(key, identity) {
                revoked.get_or_insert(at);
            }
        }
    }
}

impl IdentityDirectory for MemoryStore {
    async fn principal_for(&self, key: &KeyHash) -> Result<Option<Principal>, DependencyError> {
        Ok(match lock(&self.keys).get(key) {
            Some((record, None)) => Some(Principal {
                subject: record.subject.clone(),
                scopes: record.scopes.clone(),
                limits: record.limits.clone(),
            }),
            _ => None,
        })
    }

    async fn count_request(
        &self,
        subject: &Subject,
        window: RateWindow,
    ) -> Result<u64, DependencyError> {
        let mut requests = lock(&self.requests);
        let count = requests
            .entry((subject.clone(), window.index()))
            .or_insert(0);
        *count += 1;
        Ok(*count)
    }

    async fn spend_use(&self, key: &KeyHash, max: u64) -> Result<Option<u64>, DependencyError> {
        let mut uses = lock(&self.uses);
        let used = uses.entry(key.clone()).or_insert(0);
        if *used >= max {
            return Ok(None);
        }
        *used += 1;
        Ok(Some(*used))
    }

    async fn profile(
        &self,
        identity: &IdentityId,
    ) -> Result<Option<IdentityProfile>, DependencyError> {
        Ok(lock(&self.identities)
            .get(identity)
            .map(|(record, ended)| IdentityProfile {
                name: record.name.clone(),
                created_at: record.created_at,
                live: *ended == super::Ended::Live,
            }))
    }

    async fn register(
        &self,
        identity: &IdentityRecord,
        key: &KeyRecord,
    ) -> Result<(), RegisterError> {
        // Locks in one order throughout (identities, then keys): never a deadlock.
        let mut identities = lock(&self.identities);
        let mut keys = lock(&self.keys);
        if keys.contains_key(&key.hash) || identities.contains_key(&identity.identity) {
            return Err(RegisterError::KeyTaken);
        }
        keys.insert(key.hash.clone(), (key.clone(), None));
        identities.insert(identity.identity.clone(), (identity.clone(), Ended::Live));
        Ok(())
    }

    async fn register_platform_key(&self, key: &KeyRecord) -> Result<(), RegisterError> {
        let mut keys = lock(&self.keys);
        if keys.contains_key(&key.hash) {
            return Err(RegisterError::KeyTaken);
        }
        keys.insert(key.hash.clone(), (key.clone(), None));
        Ok(())
    }

    async fn add_key(&self, key: &KeyRecord) -> Result<bool, DependencyError> {
        let mut identities = lock(&self.identities);
        let live = key
            .subject
            .identity()
            .and_then(|identity| match identities.get_mut(identity) {
                Some((record, Ended::Live)) => Some(record),
                _ => None,
            });
        let mut keys = lock(&self.keys);
        let Some(record) = live.filter(|_| !keys.contains_key(&key.hash)) else {
            return Ok(false);
        };
        record.revision += 1;
        keys.insert(key.hash.clone(), (key.clone(), None));
        Ok(true)
    }

    async fn keys_of(&self, owner: &Subject) -> Result<Vec<KeySummary>, DependencyError> {
        // The primary key is the one the identity names (platform keys have none).
        let primary = owner.identity().and_then(|identity| {
            lock(&self.identities)
                .get(identity)
                .and_then(|(r, _)| r.primary_key.clone())
        });
        let mut keys: Vec<KeySummary> = lock(&self.keys)
            .values()
            .filter(|(key, _)| &key.subject == owner)
            .map(|entry| key_summary(entry, primary.as_ref()))
            .collect();
        keys.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then(a.key_id.cmp(&b.key_id))
        });
        Ok(keys)
    }

    async fn live_keys(&self, identity: &IdentityId) -> Result<Vec<KeyRecord>, DependencyError> {
        Ok(lock(&self.keys)
            .values()
            .filter(|(key, revoked)| owned_by(key, identity) && revoked.is_none())
            .map(|(key, _)| key.clone())
            .collect())
    }

    async fn revoke_key(
        &self,
        owner: &Subject,
        key_id: &str,
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        let mut keys = lock(&self.keys);
        let mut matching: Vec<_> = keys
            .values_mut()
            .filter(|(key, revoked)| {
                revoked.is_none()
                    && &key.subject == owner
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
            Some((_, ended)) => {
                if *ended == Ended::Live {
                    *ended = Ended::Revoked(at);
                }
                true
            }
            None => false,
        };
        Ok(existed)
    }

    async fn identities(&self) -> Result<Vec<IdentitySummary>, DependencyError> {
        let identities = lock(&self.identities);
        let keys = lock(&self.keys);
        let mut listed: Vec<IdentitySummary> = identities
            .values()
            .map(|(record, ended)| {
                let own: Vec<_> = keys
                    .values()
                    .filter(|(k, _)| owned_by(k, &record.identity))
                    .collect();
                IdentitySummary {
                    identity_id: record.identity.to_string(),
                    name: record.name.clone(),
                    org_id: record.org.to_string(),
                    created_at: record.created_at.to_string(),
                    revoked_at: match ended {
                        Ended::Live => None,
                        Ended::Revoked(at) | Ended::Deleted(at) => Some(at.to_string()),
                    },
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

    async fn identity_in(
        &self,
        org: &OrgId,
        identity: &IdentityId,
    ) -> Result<Option<IdentityRecord>, DependencyError> {
        Ok(match lock(&self.identities).get(identity) {
            Some((record, Ended::Live)) if &record.org == org => Some(record.clone()),
            _ => None,
        })
    }

    async fn identities_of(
        &self,
        org: &OrgId,
        after: Option<&IdentityId>,
        limit: usize,
    ) -> Result<IdentitySlice, DependencyError> {
        let mut listed: Vec<IdentityRecord> = lock(&self.identities)
            .values()
            .filter(|(record, ended)| {
                *ended == Ended::Live
                    && &record.org == org
                    && after.is_none_or(|a| &record.identity > a)
            })
            .map(|(record, _)| record.clone())
            .collect();
        listed.sort_by(|a, b| a.identity.cmp(&b.identity));
        let more = listed.len() > limit;
        listed.truncate(limit);
        let next = more
            .then(|| listed.last().map(|r| r.identity.clone()))
            .flatten();
        Ok(IdentitySlice {
            identities: listed,
            next,
        })
    }

    async fn change_identity(
        &self,
        identity: &IdentityRecord,
        change: &IdentityChange,
    ) -> Result<bool, DependencyError> {
        let mut identities = lock(&self.identities);
        let Some((record, Ended::Live)) = identities.get_mut(&identity.identity) else {
            return Ok(false);
        };
        let mut keys = lock(&self.keys);
        let rewritable = change.rewritten.iter().all(|key| {
            matches!(keys.get(&key.hash), Some((stored, None)) if stored.subject == key.subject)
        });
        if record.revision != identity.revision
            || !rewritable
            || change.added.iter().any(|key| keys.contains_key(&key.hash))
        {
            return Ok(false);
        }
        *record = IdentityRecord {
            revision: identity.revision + 1,
            ..identity.clone()
        };
        for key in &change.added {
            keys.insert(key.hash.clone(), (key.clone(), None));
        }
        for key in &change.rewritten {
            if let Some((stored, None)) = keys.get_mut(&key.hash) {
                *stored = key.clone();
            }
        }
        for hash in &change.revoked {
            if let Some((_, revoked)) = keys.get_mut(hash) {
                revoked.get_or_insert(change.at);
            }
        }
        Ok(true)
    }

    async fn delete_identity(
        &self,
        identity: &IdentityRecord,
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        let id = &identity.identity;
        {
            let mut identities = lock(&self.identities);
            match identities.get_mut(id) {
                Some((record, ended))
                    if *ended == Ended::Live && record.revision == identity.revision =>
                {
                    *ended = Ended::Deleted(at)
                }
                _ => return Ok(false),
            }
        }
        self.revoke_keys_of(id, at);
        Ok(true)
    }

    async fn purge_identity(&self, identity: &IdentityId) -> Result<usize, DependencyError> {
        // Everything it held goes; its entry stays, marked deleted, so the id is not reused.
        let subject = Subject::Identity(identity.clone());
        let mut removed = 0;
        let mut count = |before: usize, after: usize| removed += before - after;
        let mut keys = lock(&self.keys);
        let before = keys.len();
        keys.retain(|_, (key, _)| key.subject != subject);
        count(before, keys.len());
        drop(keys);
        let mut credentials = lock(&self.credentials);
        let before = credentials.len();
        credentials.retain(|(owner, _), _| owner != identity);
        count(before, credentials.len());
        drop(credentials);
        let mut log = lock(&self.log);
        let before = log.len();
        log.retain(|entry| entry.subject != subject);
        count(before, log.len());
        drop(log);
        lock(&self.requests).retain(|(owner, _), _| owner != &subject);
        Ok(removed)
    }
}
