//! Operator tasks over the AWS SDK, shared by the `credvault` CLI, `make dev` and the tests:
//! one way to make tables, keys and identities.

mod identities;
mod keys;
mod setup;
mod summaries;

pub use identities::{IdentitySummary, list_identities, register_identity, revoke_identity};
pub use keys::{KeySummary, add_key, ensure_key_mac_secret, list_keys, load_key_mac, revoke_key};
pub use setup::{ensure_kms_key, ensure_table};
pub use summaries::{SummaryRepair, repair_summaries};

use crate::auth::{ApiKey, IdentityId, KeyMac, Scope};
use crate::dependency::DependencyError;
use crate::store::DynamoStore;

/// A freshly minted identity. The key is shown once and only its hash is stored.
#[derive(Debug)]
pub struct NewIdentity {
    pub identity: IdentityId,
    pub api_key: ApiKey,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Dependency(#[from] DependencyError),
    #[error("{0}")]
    Invalid(String),
}

/// Creates an identity holding `scopes` and one API key for it. `api_key` pins the key
/// (for `make dev`'s `CREDVAULT_API_KEY`); otherwise a random one is minted.
pub async fn create_identity(
    store: &DynamoStore,
    mac: &KeyMac,
    name: &str,
    scopes: &[Scope],
    api_key: Option<ApiKey>,
) -> Result<NewIdentity, AdminError> {
    let rng_failed = |_| AdminError::Invalid("the system random generator failed".into());
    let api_key = match api_key {
        Some(key) => key,
        None => ApiKey::generate().map_err(rng_failed)?,
    };
    let identity = IdentityId::generate().map_err(rng_failed)?;
    register_identity(store, mac, &identity, name, scopes, &api_key.hash()).await?;
    Ok(NewIdentity { identity, api_key })
}

/// Parses `vault:read,vault:write`.
pub fn parse_scopes(raw: &str) -> Result<Vec<Scope>, AdminError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            Scope::parse(s).ok_or_else(|| {
                AdminError::Invalid(format!(
                    "unknown scope {s:?}; known: vault:read, vault:write"
                ))
            })
        })
        .collect()
}
