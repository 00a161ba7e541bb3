//! The persistence port: what the vault needs from a table, and two adapters for it.

mod directory;
pub(crate) mod dynamodb;
#[cfg(any(test, feature = "test-util"))]
mod memory;
mod requests;

pub use directory::{
    IdentityChange, IdentityDirectory, IdentityRecord, IdentitySlice, IdentitySummary, KEY_ID_LEN,
    KeyRecord, KeySummary, MAX_KEYS_PER_IDENTITY, RegisterError,
};
pub use dynamodb::DynamoStore;
pub use dynamodb::layout;
pub use dynamodb::layout::TableLayout;
pub use dynamodb::{IdentityUpgrade, SummaryRepair, place_identities, repair_summaries};
#[cfg(any(test, feature = "test-util"))]
pub use memory::MemoryStore;
pub use requests::{PendingRequests, RequestStore};

use crate::crypto::{Binding, Envelope, NONCE_LEN, StoredFields};
use crate::dependency::DependencyError;
use crate::domain::{
    ActivityEntry, ActivityStats, CredentialName, CredentialType, IdentityId, KeyLimits, LogCursor,
    LogFilter, LogPage, Metadata, Subject, Timestamp, UsePolicy,
};
use std::future::Future;

/// What may be shown of a credential without decrypting anything.
#[derive(Clone, Debug, PartialEq)]
pub struct CredentialInfo {
    pub name: CredentialName,
    pub credential_id: String,
    pub kind: CredentialType,
    pub metadata: Option<Metadata>,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    /// When `data` was last rewritten in place (a backup code used); `None` until then.
    pub last_rotated_at: Option<Timestamp>,
    /// Where the vault may send it (brokered use); `None`: nowhere.
    pub use_policy: Option<UsePolicy>,
}

/// How much of a listing to read: at most `items` credentials, and no more once their
/// [`CredentialInfo::listed_size`]s pass `bytes`; only names `seen` lets through count (a
/// key limited by grants lists only what it may see).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListBound {
    pub items: usize,
    pub bytes: usize,
    pub seen: KeyLimits,
}

impl CredentialInfo {
    /// About how many bytes this credential takes in a list answer (its fields' JSON): what
    /// bounds a list page, so that no answer passes Lambda's 6 MB response limit.
    pub fn listed_size(&self) -> usize {
        const FIXED_FIELDS: usize = 256;
        FIXED_FIELDS
            + self.name.as_str().len()
            + self.metadata.as_ref().map_or(0, |m| m.as_str().len())
            + self.use_policy.as_ref().map_or(0, |p| p.canonical().len())
    }
}

/// One credential as stored: plaintext fields for display, `data` only inside the envelope.
#[derive(Clone, Debug, PartialEq)]
pub struct CredentialRecord {
    pub identity: IdentityId,
    pub info: CredentialInfo,
    pub envelope: Envelope,
}

impl CredentialRecord {
    /// Where the record sits and what is stored beside it, as its envelope is bound to it.
    pub fn binding(&self) -> Binding<'_> {
        self.info.binding(&self.identity)
    }
}

impl CredentialInfo {
    /// The binding of a credential with these fields, kept by `identity`.
    pub fn binding<'a>(&'a self, identity: &'a IdentityId) -> Binding<'a> {
        Binding::new(identity, &self.name, self.kind).with_fields(StoredFields {
            credential_id: &self.credential_id,
            created_at: self.created_at,
            expires_at: self.expires_at,
            metadata: self.metadata.as_ref().map(Metadata::as_str),
            last_rotated_at: self.last_rotated_at,
            use_policy: self.use_policy.as_ref().map(UsePolicy::canonical),
        })
    }
}

/// Every write of a credential carries the activity entry that records it, and the two
/// commit together or not at all: no change without its record.
pub trait CredentialStore: Send + Sync {
    /// Writes the record whole, unconditionally: whatever had its name is gone after.
    fn put(
        &self,
        record: &CredentialRecord,
        entry: &ActivityEntry,
    ) -> impl Future<Output = Result<(), DependencyError>> + Send;

    /// Writes the record only if the stored one still has the nonce `expected`, which is
    /// fresh on every write; `false` when it changed (or went) since it was read.
    fn put_if_unchanged(
        &self,
        record: &CredentialRecord,
        expected: &[u8; NONCE_LEN],
        entry: &ActivityEntry,
    ) -> impl Future<Output = Result<bool, DependencyError>> + Send;

    /// A strongly consistent read of one credential.
    fn get(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
    ) -> impl Future<Output = Result<Option<CredentialRecord>, DependencyError>> + Send;

    /// The identity's credentials after `after` (all when `None`), without envelopes, in
    /// name order, as many as `bound` lets through: it stops once it holds `bound.items`,
    /// or once their listed sizes add up to more than `bound.bytes` (the last one read is
    /// kept, so the caller can tell the list goes on).
    fn list(
        &self,
        identity: &IdentityId,
        after: Option<&CredentialName>,
        bound: ListBound,
    ) -> impl Future<Output = Result<Vec<CredentialInfo>, DependencyError>> + Send;

    /// Removes the credential if it still has `credential_id`; `false` when it does not
    /// (gone or replaced since it was read), and then nothing is written.
    fn delete(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
        credential_id: &str,
        entry: &ActivityEntry,
    ) -> impl Future<Output = Result<bool, DependencyError>> + Send;

    /// Records a use, only on the credential with this id: a credential deleted meanwhile is
    /// not brought back, and one that replaced it is not touched. The entry is written
    /// either way.
    fn touch(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
        credential_id: &str,
        at: Timestamp,
        entry: &ActivityEntry,
    ) -> impl Future<Output = Result<(), DependencyError>> + Send;
}

/// The activity log: entries written alone (requests that change nothing), read back a
/// page at a time, and counted per day.
pub trait ActivityLog: Send + Sync {
    fn append(
        &self,
        entry: &ActivityEntry,
    ) -> impl Future<Output = Result<(), DependencyError>> + Send;

    /// Up to `limit` entries matching `filter`, newest first, after `after` if given: those
    /// made since `since` (the retention window) and not past their own expiry at `now`
    /// (TTL deletion may lag by days).
    fn entries(
        &self,
        subject: &Subject,
        filter: &LogFilter,
        limit: usize,
        after: Option<&LogCursor>,
        window: (Timestamp, Timestamp),
    ) -> impl Future<Output = Result<LogPage, DependencyError>> + Send;

    /// Counts of the entries made on `since`'s day and after; `today` is counted apart.
    fn stats(
        &self,
        subject: &Subject,
        since: Timestamp,
        today: Timestamp,
    ) -> impl Future<Output = Result<ActivityStats, DependencyError>> + Send;

    /// When the identity's newest entry was made.
    fn last_activity(
        &self,
        subject: &Subject,
    ) -> impl Future<Output = Result<Option<Timestamp>, DependencyError>> + Send;
}

/// Everything the vault needs of its table, as one bound.
pub trait VaultStore: CredentialStore + IdentityDirectory + ActivityLog + RequestStore {}

impl<T: CredentialStore + IdentityDirectory + ActivityLog + RequestStore> VaultStore for T {}
