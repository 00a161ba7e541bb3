//! The identity directory port: identities and their API keys. Every request resolves its
//! key here (one lookup) and is counted here; operators (and, through the vault, platform
//! keys) register identities, add, list and revoke keys. Keys are stored by hash only, with
//! a MAC over what they grant (see `crate::auth::KeyMac`), written and read by one codec in
//! each adapter.

use crate::auth::{KeyHash, Principal};
use crate::dependency::DependencyError;
use crate::domain::{IdentityId, IdentityProfile, RateWindow, Scope, Timestamp};
use std::future::Future;

/// An identity as registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityRecord {
    pub identity: IdentityId,
    pub name: String,
    pub created_at: Timestamp,
}

/// A key as registered: by its hash, for one identity, with its scopes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    pub hash: KeyHash,
    pub identity: IdentityId,
    pub scopes: Vec<Scope>,
    pub created_at: Timestamp,
}

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
    pub identity_id: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// An identity as the operator sees it; keys are never part of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySummary {
    pub identity_id: String,
    pub name: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// How many API keys it has, and how many of them still work.
    pub keys: usize,
    pub active_keys: usize,
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

pub trait IdentityDirectory: Send + Sync {
    /// The principal a key hash authenticates; `None` for an unknown or revoked key, or one
    /// whose item fails its MAC.
    fn principal_for(
        &self,
        key: &KeyHash,
    ) -> impl Future<Output = Result<Option<Principal>, DependencyError>> + Send;

    /// Counts one request of `identity` in `window` and returns the count so far, this one
    /// included. Counts expire by themselves.
    fn count_request(
        &self,
        identity: &IdentityId,
        window: RateWindow,
    ) -> impl Future<Output = Result<u64, DependencyError>> + Send;

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

    /// Adds a key to a live identity; `false` (and nothing written) when the identity is
    /// missing or revoked, or the key is already registered.
    fn add_key(
        &self,
        key: &KeyRecord,
    ) -> impl Future<Output = Result<bool, DependencyError>> + Send;

    /// The identity's keys, revoked ones included, oldest first.
    fn keys_of(
        &self,
        identity: &IdentityId,
    ) -> impl Future<Output = Result<Vec<KeySummary>, DependencyError>> + Send;

    /// Revokes the identity's key whose id (see [`KeyRecord::key_id`]) is `key_id`;
    /// `false` when it has none such.
    fn revoke_key(
        &self,
        identity: &IdentityId,
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
}
