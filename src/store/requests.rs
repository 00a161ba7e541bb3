//! The port for credential requests (request links): kept under their identity, each
//! change committed with the activity entry that records it, like a credential's. Beside
//! them, one small index of the identity's pending requests bounds how many it may have,
//! exactly, however many it made before.

use super::CredentialRecord;
use crate::dependency::DependencyError;
use crate::domain::{ActivityEntry, CredentialRequestRecord, IdentityId, RequestId, Timestamp};
use std::future::Future;

/// The identity's pending requests as last written: each with its expiry (unix seconds),
/// and the index's version, which a new request's write is conditioned on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingRequests {
    pub pending: Vec<(RequestId, u64)>,
    /// `None`: no index yet.
    pub version: Option<u64>,
}

impl PendingRequests {
    /// Those not yet expired at `now`.
    pub fn live(&self, now: Timestamp) -> Vec<(RequestId, u64)> {
        self.pending
            .iter()
            .filter(|(_, expires)| *expires > now.unix_seconds())
            .cloned()
            .collect()
    }
}

pub trait RequestStore: Send + Sync {
    /// The identity's index of pending requests (strongly consistent).
    fn pending_requests(
        &self,
        identity: &IdentityId,
    ) -> impl Future<Output = Result<PendingRequests, DependencyError>> + Send;

    /// Writes a new request with its entry, and the index as `pending` (the new request
    /// included), only if the index is still at `seen.version`; `false` when it moved on
    /// (another request made, settled or cancelled meanwhile: read it again). Nothing is
    /// written then.
    fn create_request(
        &self,
        request: &CredentialRequestRecord,
        seen: &PendingRequests,
        pending: &[(RequestId, u64)],
        entry: &ActivityEntry,
    ) -> impl Future<Output = Result<bool, DependencyError>> + Send;

    /// A strongly consistent read of one request; `None` also for an item that fails its
    /// check (a table writer's).
    fn request(
        &self,
        identity: &IdentityId,
        id: &RequestId,
    ) -> impl Future<Output = Result<Option<CredentialRequestRecord>, DependencyError>> + Send;

    /// Stores `credential` (unconditionally, as a `PUT` does) and marks the request
    /// fulfilled by it, in one write with `entry`, only if the request is still pending at
    /// `now` under the same link secret; `false` when it is not (nothing written): spent,
    /// cancelled or expired, even by a submit racing this one.
    fn fulfil_request(
        &self,
        request: &CredentialRequestRecord,
        credential: &CredentialRecord,
        now: Timestamp,
        entry: &ActivityEntry,
    ) -> impl Future<Output = Result<bool, DependencyError>> + Send;

    /// Marks a pending request cancelled, with its entry; `false` when it was no longer
    /// pending at `now` (nothing written).
    fn cancel_request(
        &self,
        identity: &IdentityId,
        id: &RequestId,
        now: Timestamp,
        entry: &ActivityEntry,
    ) -> impl Future<Output = Result<bool, DependencyError>> + Send;
}
