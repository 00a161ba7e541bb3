//! The use cases, free of HTTP and of AWS: who is calling, and what the vault does for them.

use crate::auth::{ApiKey, AuthError, KeyDirectory, Principal, Scope};
use crate::crypto::{self, Binding, KeyProvider, SealError};
use crate::dependency::DependencyError;
use crate::domain::{CredentialName, NewCredential, Timestamp, random_id};
use crate::store::{CredentialRecord, CredentialStore, PutOutcome};

pub struct Vault<S, K> {
    store: S,
    keys: K,
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Dependency(#[from] DependencyError),
    /// A fault of ours; the text is for the log only.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<SealError> for VaultError {
    fn from(err: SealError) -> Self {
        match err {
            SealError::Dependency(err) => Self::Dependency(err),
            SealError::Aead => Self::Internal(err.to_string()),
        }
    }
}

/// A stored credential as the API describes it after a write.
#[derive(Debug)]
pub struct Stored {
    pub record: CredentialRecord,
    pub outcome: PutOutcome,
}

impl<S: CredentialStore + KeyDirectory, K: KeyProvider> Vault<S, K> {
    pub fn new(store: S, keys: K) -> Self {
        Self { store, keys }
    }

    pub fn store_port(&self) -> &S {
        &self.store
    }

    /// Resolves an `Authorization` header to a principal holding `scope`.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
        scope: Scope,
    ) -> Result<Principal, VaultError> {
        let key = ApiKey::from_authorization(authorization)?;
        let principal = self
            .store
            .principal_for(&key.hash())
            .await?
            .ok_or(AuthError::UnknownKey)?;
        principal.require(scope)?;
        Ok(principal)
    }

    /// Encrypts `data` under a fresh data key and replaces whatever had this name, whole.
    pub async fn store(
        &self,
        principal: &Principal,
        name: CredentialName,
        credential: NewCredential,
    ) -> Result<Stored, VaultError> {
        let binding = Binding {
            identity: &principal.identity,
            name: &name,
            kind: credential.kind,
        };
        let envelope = crypto::seal(&self.keys, binding, &credential.data.to_json_bytes()).await?;
        let record = CredentialRecord {
            identity: principal.identity.clone(),
            credential_id: random_id("cred_").map_err(|_| VaultError::Internal("rng".into()))?,
            name,
            kind: credential.kind,
            metadata: credential.metadata,
            expires_at: credential.expires_at,
            created_at: Timestamp::now(),
            envelope,
        };
        let outcome = self.store.put(&record).await?;
        Ok(Stored { record, outcome })
    }
}
