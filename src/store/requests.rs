//! The port for credential requests (request links): kept under their identity, each
//! change committed with the activity entry that records it, like a credential's.

use super::CredentialRecord;
use crate::dependency::DependencyError;
use crate::domain::{ActivityEntry, CredentialRequestRecord, IdentityId, RequestId, Timestamp};
use std::future::Future;

pub trait RequestStore: Send + Sync {
    /// How many of the identity's requests are pending at `now` (neither settled nor
    /// expired), counting no further than `up_to`.
    fn pending_requests(
        &self,
        identity: &IdentityId,
        now: Timestamp,
        up_to: usize,
    ) -> impl Future<Output = Result<usize, DependencyError>> + Send;

    /// Writes a new request with its entry; `false` if its id was taken (nothing written).
    fn create_request(
        &self,
        request: &CredentialRequestRecord,
        entry: &ActivityEntry,
    ) -> impl Future<Output = Result<bool, DependencyError>> + Send;

    /// A strongly consistent read of one request.
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
