//! Operator tasks over the AWS SDK, shared by the `credvault` CLI, `make dev` and the tests:
//! one way to make tables, keys and identities.

use crate::auth::{ApiKey, IdentityId, Scope};
use crate::dependency::DependencyError;
use crate::store::DynamoStore;
use aws_sdk_kms::Client as KmsClient;

/// Returns the ARN of the key behind `alias`, creating both when the alias does not exist:
/// for local stacks only; a deployed key comes from `template.yaml`.
pub async fn ensure_kms_key(kms: &KmsClient, alias: &str) -> Result<String, DependencyError> {
    if let Ok(found) = kms.describe_key().key_id(alias).send().await
        && let Some(arn) = found.key_metadata.map(|m| m.arn.unwrap_or(m.key_id))
    {
        return Ok(arn);
    }
    let created = kms
        .create_key()
        .description("credvault data keys (local)")
        .send()
        .await
        .map_err(|e| DependencyError::from_sdk("KMS", e))?;
    let metadata = created
        .key_metadata
        .ok_or_else(|| DependencyError::Failed {
            service: "KMS",
            detail: "CreateKey returned no metadata".into(),
        })?;
    kms.create_alias()
        .alias_name(alias)
        .target_key_id(&metadata.key_id)
        .send()
        .await
        .map_err(|e| DependencyError::from_sdk("KMS", e))?;
    Ok(metadata.arn.unwrap_or(metadata.key_id))
}

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
    store
        .register_identity(&identity, name, scopes, &api_key.hash())
        .await?;
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
