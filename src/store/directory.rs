//! The identity directory port: organisations, their identities, and API keys. Every request
//! resolves its key here (one lookup) and is counted here; operators and platform keys
//! register identities and manage their keys. Keys are stored by hash only, with a MAC over
//! what they grant, and identities with a MAC over the organisation they belong to (see
//! `crate::auth::KeyMac`), written and read by one codec in each adapter.

use crate::auth::{KeyHash, Principal};
use crate::dependency::DependencyError;
use crate::domain::{
    IdentityId, IdentityProfile, KeyLimits, OrgId, RateWindow, Scope, Subject, Timestamp,
};
use std::future::Future;

/// An identity as registered: its organisation, the scopes its keys may hold, and what is
/// shown of its primary key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityRecord {
    pub identity: IdentityId,
    pub name: String,
    pub org: OrgId,
    pub scopes: Vec<Scope>,
    pub created_at: Timestamp,
    /// `apiKeyPrefix`: the prefix and first hex digits of its primary key.
    pub key_prefix: String,
    /// Its primary key: the one made with it or by its last rotation, which a change of its
    /// scopes applies to and a rotation replaces. Under the identity item's MAC, so a table
    /// writer cannot make another key the primary one.
    pub primary_key: Option<KeyHash>,
    /// How many changes it has seen: a change or a deletion commits only over the revision
    /// it was planned from, so two changes at once never mix (a scope removed stays removed).
    pub revision: u64,
}

/// A key as registered: by its hash, for one subject (an identity, or an organisation for a
/// platform key), with its scopes. An identity's primary key is the one made with it or by
/// a rotation; a rotation replaces it, a change of the identity's scopes rewrites it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    pub hash: KeyHash,
    pub subject: Subject,
    pub scopes: Vec<Scope>,
    pub created_at: Timestamp,
    pub primary: bool,
    /// Its grants, expiry and budget, under the key item's MAC.
    pub limits: KeyLimits,
    /// What lists show of it (`apiKeyPrefix`); empty for keys made before it was kept.
    pub shown_prefix: String,
}

/// The most live keys an identity holds: a change or a deletion rewrites or revokes them all
/// in one transaction (two items each), within DynamoDB's 100.
pub const MAX_KEYS_PER_IDENTITY: usize = 40;

/// How many hex digits of a key's hash name it to operators: enough to tell keys apart,
/// never enough to find the key.
pub const KEY_ID_LEN: usize = 12;

impl KeyRecord {
    /// The short id operators name this key by (the start of its hash).
    pub fn key_id(&self) -> String {
        self.hash.as_str().chars().take(KEY_ID_LEN).collect()
    }
}

/// A key as the operator sees it: a short id, never the key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeySummary {
    pub key_id: String,
    /// The identity (`idt_...`) or, for a platform key, the organisation (`org_...`).
    pub owner_id: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// The identity's primary key (made with it, or by a rotation).
    pub primary: bool,
    /// What is shown of the key; empty for keys made before it was kept.
    pub api_key_prefix: String,
    /// Its grants, expiry and budget (as recorded beside it, for display).
    #[serde(
        skip_serializing_if = "KeyLimits::is_unlimited",
        serialize_with = "limits_json"
    )]
    pub limits: KeyLimits,
}

fn limits_json<S: serde::Serializer>(limits: &KeyLimits, serializer: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&limits.to_json(), serializer)
}

/// An identity as the operator sees it; keys are never part of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySummary {
    pub identity_id: String,
    pub name: String,
    pub org_id: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// How many API keys it has, and how many of them still work.
    pub keys: usize,
    pub active_keys: usize,
}

/// One page of an organisation's identities, and the id to go on after when there are more
/// (decided before identities that fail their checks are left out).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdentitySlice {
    pub identities: Vec<IdentityRecord>,
    pub next: Option<IdentityId>,
}

/// Why a registration wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// A key registers once: a second identity never inherits (or takes over) a hash.
    #[error("this API key is already registered")]
    KeyTaken,
    #[error(transparent)]
    Dependency(#[from] DependencyError),
}

/// What a change to a live identity writes beside the identity as it now is: keys added,
/// keys rewritten (new scopes) and keys revoked (at `at`), all in one transaction.
#[derive(Clone, Debug)]
pub struct IdentityChange {
    pub added: Vec<KeyRecord>,
    pub rewritten: Vec<KeyRecord>,
    pub revoked: Vec<KeyHash>,
    pub at: Timestamp,
}

pub trait IdentityDirectory: Send + Sync {
    /// The principal a key hash authenticates; `None` for an unknown or revoked key, or one
    /// whose item fails its MAC.
    fn principal_for(
        &self,
        key: &KeyHash,
    ) -> impl Future<Output = Result<Option<Principal>, DependencyError>> + Send;

    /// Counts one request of `subject` in `window` and returns the count so far, this one
    /// included. Counts expire by themselves.
    fn count_request(
        &self,
        subject: &Subject,
        window: RateWindow,
    ) -> impl Future<Output = Result<u64, DependencyError>> + Send;

    /// Spends one use of a key whose limits allow `max`: how many it has used, this one
    /// included; `None` once all are spent (and then nothing is counted).
    fn spend_use(
        &self,
        key: &KeyHash,
        max: u64,
    ) -> impl Future<Output = Result<Option<u64>, DependencyError>> + Send;

    /// The identity's name and creation time, for whoami.
    fn profile(
        &self,
        identity: &IdentityId,
    ) -> impl Future<Output = Result<Option<IdentityProfile>, DependencyError>> + Send;

    /// Records an identity and its first key, both or neither.
    fn register(
        &self,
        identity: &IdentityRecord,
        key: &KeyRecord,
    ) -> impl Future<Output = Result<(), RegisterError>> + Send;

    /// Registers a platform key of an organisation (an operator's task).
    fn register_platform_key(
        &self,
        key: &KeyRecord,
    ) -> impl Future<Output = Result<(), RegisterError>> + Send;

    /// Adds a key to a live identity (a change: its revision moves on); `false` (and nothing
    /// written) when the identity is missing, revoked or deleted, or the key is already
    /// registered.
    fn add_key(
        &self,
        key: &KeyRecord,
    ) -> impl Future<Output = Result<bool, DependencyError>> + Send;

    /// The keys of an identity, or an organisation's platform keys, revoked ones included,
    /// oldest first.
    fn keys_of(
        &self,
        owner: &Subject,
    ) -> impl Future<Output = Result<Vec<KeySummary>, DependencyError>> + Send;

    /// The live keys of the identity, as registered (for rewriting or revoking them).
    fn live_keys(
        &self,
        identity: &IdentityId,
    ) -> impl Future<Output = Result<Vec<KeyRecord>, DependencyError>> + Send;

    /// Revokes the owner's live key whose id (see [`KeyRecord::key_id`]) is `key_id`;
    /// `false` when it has none such.
    fn revoke_key(
        &self,
        owner: &Subject,
        key_id: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, DependencyError>> + Send;

    /// Revokes every key of the identity, then the identity (no key can be added after),
    /// then the keys once more, for a key added while the first pass ran. A failure half-way
    /// leaves fewer working keys, never more. `false` when there is no such identity.
    fn revoke_identity(
        &self,
        identity: &IdentityId,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, DependencyError>> + Send;

    /// Every identity, oldest first (an operator's listing: on DynamoDB, a Scan).
    fn identities(
        &self,
    ) -> impl Future<Output = Result<Vec<IdentitySummary>, DependencyError>> + Send;

    /// The live identity of `org` with this id; `None` for one of another organisation, a
    /// revoked or deleted one, or one whose item fails its MAC.
    fn identity_in(
        &self,
        org: &OrgId,
        identity: &IdentityId,
    ) -> impl Future<Output = Result<Option<IdentityRecord>, DependencyError>> + Send;

    /// Up to `limit` live identities of `org` after `after`, in id order.
    fn identities_of(
        &self,
        org: &OrgId,
        after: Option<&IdentityId>,
        limit: usize,
    ) -> impl Future<Output = Result<IdentitySlice, DependencyError>> + Send;

    /// Writes `identity` as it now is (at the next revision), with `change`, in one
    /// transaction, if it is still live and still at `identity.revision`; `false` when it is
    /// not (gone, or changed meanwhile: read it again and plan anew).
    fn change_identity(
        &self,
        identity: &IdentityRecord,
        change: &IdentityChange,
    ) -> impl Future<Output = Result<bool, DependencyError>> + Send;

    /// Deletes the identity: its keys revoked and the identity marked deleted (its id is
    /// never given again, and nothing can reach it), in one transaction. `false` when it was
    /// not live, or no longer at `identity.revision`. What it held is removed by
    /// [`IdentityDirectory::purge_identity`].
    fn delete_identity(
        &self,
        identity: &IdentityRecord,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, DependencyError>> + Send;

    /// Removes everything a deleted identity held (credentials, key items and records, log,
    /// counters), keeping its tombstone; how many items went. What a deadline cuts short is
    /// unreachable, and removed by the next `credvault setup`.
    fn purge_identity(
        &self,
        identity: &IdentityId,
    ) -> impl Future<Output = Result<usize, DependencyError>> + Send;
}
