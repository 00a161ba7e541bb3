//! An in-memory table, for unit and handler tests only; production always uses DynamoDB. The
//! same conformance suites run on both (`crate::testing::conformance`).

mod directory;
mod requests;

use super::dynamodb::item;
use super::{ActivityLog, CredentialInfo, CredentialRecord, CredentialStore, ListBound};
use super::{IdentityRecord, KeyRecord};
use crate::auth::{KeyHash, Principal};
use crate::crypto::NONCE_LEN;
use crate::dependency::DependencyError;
use crate::domain::{
    ActivityEntry, ActivityStats, Category, CredentialName, IdentityId, LogCursor, LogFilter,
    LogPage, OrgId, Outcome, Subject, Timestamp,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

/// How an identity stopped, if it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    Live,
    Revoked(Timestamp),
    Deleted(Timestamp),
}

#[derive(Default)]
pub struct MemoryStore {
    credentials: Mutex<BTreeMap<(IdentityId, CredentialName), CredentialRecord>>,
    /// Each key, and when it was revoked.
    keys: Mutex<HashMap<KeyHash, (KeyRecord, Option<Timestamp>)>>,
    /// Each identity, and whether it was revoked or deleted (and when).
    identities: Mutex<HashMap<IdentityId, (IdentityRecord, Ended)>>,
    requests: Mutex<HashMap<(Subject, u64), u64>>,
    /// Each budgeted key's requests so far.
    uses: Mutex<HashMap<KeyHash, u64>>,
    log: Mutex<Vec<ActivityEntry>>,
    /// Credential requests, as their DynamoDB items.
    credential_requests: Mutex<HashMap<(IdentityId, String), item::Item>>,
    /// Each identity's pending-index version (see `RequestStore::create_request`).
    pending_versions: Mutex<HashMap<IdentityId, u64>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread cannot leave the maps half-written, so poisoning is moot.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A record as the DynamoDB adapter would read it back: every test on this store passes
/// through the real item codec too.
fn through_codec(record: &CredentialRecord) -> Result<CredentialRecord, DependencyError> {
    let summary = item::summary_to_item(&record.identity, &record.info);
    item::record_with_summary(&item::record_to_item(record), Some(&summary))
}

fn key(identity: &IdentityId, name: &CredentialName) -> (IdentityId, CredentialName) {
    (identity.clone(), name.clone())
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a key for `principal` (and an identity's, named after its id, in `org`, if
    /// new): the fixtures' keys.
    pub fn insert_key(&self, key: KeyHash, principal: Principal, org: &OrgId) {
        let created_at = Timestamp::parse("2026-01-01T00:00:00Z").unwrap_or_else(Timestamp::now);
        if let Subject::Identity(identity) = &principal.subject {
            let record = IdentityRecord {
                identity: identity.clone(),
                name: identity.to_string(),
                org: org.clone(),
                scopes: principal.scopes.clone(),
                created_at,
                key_prefix: String::new(),
                primary_key: Some(key.clone()),
                revision: 0,
            };
            lock(&self.identities)
                .entry(identity.clone())
                .or_insert((record, Ended::Live));
        }
        let record = KeyRecord {
            hash: key.clone(),
            subject: principal.subject,
            scopes: principal.scopes,
            created_at,
            primary: false,
            limits: principal.limits,
            shown_prefix: String::new(),
        };
        lock(&self.keys).insert(key, (record, None));
    }

    pub fn len(&self) -> usize {
        lock(&self.credentials).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many identities are live.
    pub fn live_identities(&self) -> usize {
        lock(&self.identities)
            .values()
            .filter(|(_, ended)| *ended == Ended::Live)
            .count()
    }

    /// Every entry recorded so far, oldest first.
    pub fn activity(&self) -> Vec<ActivityEntry> {
        lock(&self.log).clone()
    }

    /// Replaces a stored record as is, bypassing the vault: for tampering tests.
    pub fn overwrite_raw(&self, record: CredentialRecord) {
        lock(&self.credentials).insert(key(&record.identity, &record.info.name), record);
    }

    fn record(&self, entry: &ActivityEntry) {
        lock(&self.log).push(entry.clone());
    }
}

impl CredentialStore for MemoryStore {
    async fn put(
        &self,
        record: &CredentialRecord,
        entry: &ActivityEntry,
    ) -> Result<(), DependencyError> {
        let record = through_codec(record)?;
        lock(&self.credentials).insert(key(&record.identity, &record.info.name), record);
        self.record(entry);
        Ok(())
    }

    async fn put_if_unchanged(
        &self,
        record: &CredentialRecord,
        expected: &[u8; NONCE_LEN],
        entry: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        let record = through_codec(record)?;
        let mut credentials = lock(&self.credentials);
        match credentials.get_mut(&key(&record.identity, &record.info.name)) {
            Some(current) if &current.envelope.nonce == expected => {
                *current = record;
                self.record(entry);
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

    async fn list(
        &self,
        identity: &IdentityId,
        after: Option<&CredentialName>,
        bound: ListBound,
    ) -> Result<Vec<CredentialInfo>, DependencyError> {
        let credentials = lock(&self.credentials);
        let mut listed = Vec::new();
        let mut bytes = 0;
        // The map is ordered by identity, then name: the same order as the table's sort key.
        let own = credentials
            .iter()
            .filter(|((owner, name), _)| owner == identity && after.is_none_or(|a| name > a))
            .filter(|((_, name), _)| bound.seen.sees(name));
        for (_, record) in own {
            if listed.len() >= bound.items || bytes > bound.bytes {
                break;
            }
            bytes += record.info.listed_size();
            listed.push(record.info.clone());
        }
        Ok(listed)
    }

    async fn delete(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
        credential_id: &str,
        entry: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        let mut credentials = lock(&self.credentials);
        let slot = key(identity, name);
        if credentials
            .get(&slot)
            .is_some_and(|r| r.info.credential_id == credential_id)
        {
            credentials.remove(&slot);
            self.record(entry);
            return Ok(true);
        }
        Ok(false)
    }

    async fn touch(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
        credential_id: &str,
        at: Timestamp,
        entry: &ActivityEntry,
    ) -> Result<(), DependencyError> {
        if let Some(record) = lock(&self.credentials).get_mut(&key(identity, name))
            && record.info.credential_id == credential_id
        {
            record.info.last_used_at = Some(at);
        }
        self.record(entry);
        Ok(())
    }
}

impl ActivityLog for MemoryStore {
    async fn append(&self, entry: &ActivityEntry) -> Result<(), DependencyError> {
        self.record(entry);
        Ok(())
    }

    async fn entries(
        &self,
        subject: &Subject,
        filter: &LogFilter,
        limit: usize,
        after: Option<&LogCursor>,
        (since, now): (Timestamp, Timestamp),
    ) -> Result<LogPage, DependencyError> {
        let mut own: Vec<ActivityEntry> = lock(&self.log)
            .iter()
            .filter(|e| &e.subject == subject && e.created_at >= since && e.expires_at > now)
            .filter(|e| after.is_none_or(|after| LogCursor::of(e) < *after))
            .cloned()
            .collect();
        own.sort_by_key(|e| std::cmp::Reverse(LogCursor::of(e)));
        let mut matching = own.into_iter().filter(|e| filter.matches(e));
        let entries: Vec<ActivityEntry> = matching.by_ref().take(limit).collect();
        let next_page_token = match (matching.next(), entries.last()) {
            (Some(_), Some(last)) => Some(LogCursor::of(last).to_token()),
            _ => None,
        };
        Ok(LogPage {
            entries,
            next_page_token,
        })
    }

    async fn stats(
        &self,
        subject: &Subject,
        since: Timestamp,
        today: Timestamp,
    ) -> Result<ActivityStats, DependencyError> {
        let log = lock(&self.log);
        let counted: Vec<&ActivityEntry> = log
            .iter()
            .filter(|e| &e.subject == subject && !e.mirrored && e.created_at.day() >= since.day())
            .collect();
        let count = |keep: &dyn Fn(&ActivityEntry) -> bool| {
            counted.iter().filter(|e| keep(e)).count() as u64
        };
        Ok(ActivityStats {
            total: counted.len() as u64,
            today: count(&|e| e.created_at.day() == today.day()),
            errors: count(&|e| e.outcome == Outcome::Error),
            by_category: Category::ALL
                .iter()
                .map(|&c| (c, count(&|e| e.category == c)))
                .collect(),
            last_at: counted.iter().map(|e| e.created_at).max(),
        })
    }

    async fn last_activity(&self, subject: &Subject) -> Result<Option<Timestamp>, DependencyError> {
        Ok(lock(&self.log)
            .iter()
            .filter(|e| &e.subject == subject && !e.mirrored)
            .map(|e| e.created_at)
            .max())
    }
}
