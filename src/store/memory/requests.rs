//! Credential requests in memory, kept as their DynamoDB items (untagged) so the item codec
//! is tested with them; the same conditions as the DynamoDB adapter's, the pending index
//! derived from the items and versioned per identity.

use super::{MemoryStore, lock, through_codec};
use crate::dependency::DependencyError;
use crate::domain::{
    ActivityEntry, CredentialRequestRecord, IdentityId, RequestId, RequestState, Timestamp,
};
use crate::store::dynamodb::request_item::{request_from_item, request_to_item};
use crate::store::{CredentialRecord, PendingRequests, RequestStore};

fn key(identity: &IdentityId, id: &RequestId) -> (IdentityId, String) {
    (identity.clone(), id.as_str().to_owned())
}

fn decoded(
    item: &crate::store::dynamodb::item::Item,
) -> Result<CredentialRequestRecord, DependencyError> {
    request_from_item(None, item)?.ok_or_else(|| DependencyError::Failed {
        service: "memory",
        detail: "an untagged item did not decode".into(),
    })
}

impl MemoryStore {
    /// Every credential request's item, as DynamoDB would hold it (for tests that look at
    /// what is stored).
    pub fn request_items(&self) -> Vec<crate::store::dynamodb::item::Item> {
        lock(&self.credential_requests).values().cloned().collect()
    }

    /// Settles the request if it is pending at `now` and has `secret_hash` (when given).
    fn settle(
        &self,
        identity: &IdentityId,
        id: &RequestId,
        now: Timestamp,
        secret_hash: Option<&str>,
        settled: RequestState,
    ) -> Result<bool, DependencyError> {
        let mut requests = lock(&self.credential_requests);
        let Some(item) = requests.get_mut(&key(identity, id)) else {
            return Ok(false);
        };
        let mut request = decoded(item)?;
        let open = request.state == RequestState::Pending
            && !request.expires_at.has_passed_at(now)
            && secret_hash.is_none_or(|hash| hash == request.secret_hash);
        if open {
            request.state = settled;
            *item = request_to_item(None, &request);
            *lock(&self.pending_versions)
                .entry(identity.clone())
                .or_default() += 1;
        }
        Ok(open)
    }
}

impl RequestStore for MemoryStore {
    async fn pending_requests(
        &self,
        identity: &IdentityId,
    ) -> Result<PendingRequests, DependencyError> {
        let requests = lock(&self.credential_requests);
        let mut pending = Vec::new();
        for ((owner, _), item) in requests.iter() {
            let request = decoded(item)?;
            if owner == identity && request.state == RequestState::Pending {
                pending.push((request.id, request.expires_at.unix_seconds()));
            }
        }
        let version = lock(&self.pending_versions).get(identity).copied();
        Ok(PendingRequests { pending, version })
    }

    async fn create_request(
        &self,
        request: &CredentialRequestRecord,
        seen: &PendingRequests,
        _pending: &[(RequestId, u64)],
        entry: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        let mut requests = lock(&self.credential_requests);
        let mut versions = lock(&self.pending_versions);
        let version = versions.get(&request.identity).copied();
        let key = key(&request.identity, &request.id);
        if version != seen.version || requests.contains_key(&key) {
            return Ok(false);
        }
        requests.insert(key, request_to_item(None, request));
        versions.insert(request.identity.clone(), version.map_or(1, |v| v + 1));
        self.record(entry);
        Ok(true)
    }

    async fn request(
        &self,
        identity: &IdentityId,
        id: &RequestId,
    ) -> Result<Option<CredentialRequestRecord>, DependencyError> {
        lock(&self.credential_requests)
            .get(&key(identity, id))
            .map(decoded)
            .transpose()
    }

    async fn fulfil_request(
        &self,
        request: &CredentialRequestRecord,
        credential: &CredentialRecord,
        now: Timestamp,
        entry: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        let record = through_codec(credential)?;
        // The credentials' lock is held across the settle: the two commit together.
        let mut credentials = lock(&self.credentials);
        let settled = RequestState::Fulfilled {
            credential_id: credential.info.credential_id.clone(),
            at: now,
        };
        let hash = Some(request.secret_hash.as_str());
        if !self.settle(&request.identity, &request.id, now, hash, settled)? {
            return Ok(false);
        }
        credentials.insert((record.identity.clone(), record.info.name.clone()), record);
        self.record(entry);
        Ok(true)
    }

    async fn cancel_request(
        &self,
        identity: &IdentityId,
        id: &RequestId,
        now: Timestamp,
        entry: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        let cancelled =
            self.settle(identity, id, now, None, RequestState::Cancelled { at: now })?;
        if cancelled {
            self.record(entry);
        }
        Ok(cancelled)
    }
}
