//! The use cases, free of HTTP and of AWS: who is calling, and what the vault does for them.

mod admission;
mod totp;

pub use totp::{BackupAnswer, MAX_BACKUP_ATTEMPTS, TotpAnswer};

use crate::auth::{AuthError, KeyDirectory, Principal};
use crate::clock::{Clock, SystemClock};
use crate::crypto::{self, Binding, KeyProvider, OpenError, SealError};
use crate::dependency::DependencyError;
use crate::domain::{CredentialName, NewCredential, SecretData, Timestamp, random_id};
use crate::store::{CredentialInfo, CredentialRecord, CredentialStore, PutOutcome};
use std::sync::Arc;

pub struct Vault<S, K> {
    store: S,
    keys: K,
    /// Requests one identity may make in a minute; `None`: no limit.
    rate_limit: Option<u64>,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Over the identity's requests for this minute.
    #[error("Too many requests for this identity; retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("Credential not found")]
    NotFound,
    #[error("Credential has expired")]
    Expired,
    /// A request the credential cannot serve; the text is for the caller.
    #[error("{0}")]
    Unprocessable(String),
    #[error(transparent)]
    Dependency(#[from] DependencyError),
    /// The stored item does not decrypt where it is: tampered with or copied.
    #[error("integrity check failed: {0}")]
    Integrity(&'static str),
    /// Too many concurrent writers; the caller may retry.
    #[error("gave up after {MAX_BACKUP_ATTEMPTS} conflicting writes")]
    Contended,
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

impl From<OpenError> for VaultError {
    fn from(err: OpenError) -> Self {
        match err {
            OpenError::Dependency(err) => Self::Dependency(err),
            OpenError::Integrity(why) => Self::Integrity(why),
        }
    }
}

/// A credential after a write.
#[derive(Debug)]
pub struct Stored {
    pub info: CredentialInfo,
    pub outcome: PutOutcome,
}

/// A credential as read: its fields and its data, TOTP seeds masked.
#[derive(Debug)]
pub struct Revealed {
    pub info: CredentialInfo,
    pub data: SecretData,
    pub has_totp: bool,
}

impl<S: CredentialStore + KeyDirectory, K: KeyProvider> Vault<S, K> {
    pub fn new(store: S, keys: K) -> Self {
        Self {
            store,
            keys,
            rate_limit: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Reads the time from `clock` instead of the system's.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// Limits each identity to `per_minute` requests in a fixed one-minute window.
    pub fn with_rate_limit(self, per_minute: Option<u64>) -> Self {
        Self {
            rate_limit: per_minute,
            ..self
        }
    }

    pub fn store_port(&self) -> &S {
        &self.store
    }

    /// Encrypts `data` under a fresh data key and replaces whatever had this name, whole.
    pub async fn store(
        &self,
        principal: &Principal,
        name: CredentialName,
        credential: NewCredential,
    ) -> Result<Stored, VaultError> {
        let binding = Binding::new(&principal.identity, &name, credential.kind);
        let envelope = crypto::seal(&self.keys, binding, &credential.data.to_json_bytes()).await?;
        let info = CredentialInfo {
            credential_id: random_id("cred_").map_err(|_| VaultError::Internal("rng".into()))?,
            name,
            kind: credential.kind,
            metadata: credential.metadata,
            expires_at: credential.expires_at,
            created_at: self.clock.now(),
            last_used_at: None,
            last_rotated_at: None,
        };
        let record = CredentialRecord {
            identity: principal.identity.clone(),
            info,
            envelope,
        };
        let outcome = self.store.put(&record).await?;
        Ok(Stored {
            info: record.info,
            outcome,
        })
    }

    /// The credential with its data, TOTP seeds masked; records the use.
    pub async fn read(
        &self,
        principal: &Principal,
        name: &CredentialName,
    ) -> Result<Revealed, VaultError> {
        let (mut record, data) = self.open_live(principal, name).await?;
        record.info.last_used_at = Some(self.record_use(&record).await);
        let kind = record.info.kind;
        Ok(Revealed {
            has_totp: data.has_totp(kind),
            data: data.masked(kind),
            info: record.info,
        })
    }

    /// Every credential of the caller, without data, in name order.
    pub async fn list(&self, principal: &Principal) -> Result<Vec<CredentialInfo>, VaultError> {
        let mut credentials = self.store.list(&principal.identity).await?;
        credentials.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(credentials)
    }

    pub async fn delete(
        &self,
        principal: &Principal,
        name: &CredentialName,
    ) -> Result<(), VaultError> {
        if self.store.delete(&principal.identity, name).await? {
            Ok(())
        } else {
            Err(VaultError::NotFound)
        }
    }

    /// Reads and decrypts a credential that exists and has not expired.
    async fn open_live(
        &self,
        principal: &Principal,
        name: &CredentialName,
    ) -> Result<(CredentialRecord, SecretData), VaultError> {
        let record = self
            .store
            .get(&principal.identity, name)
            .await?
            .ok_or(VaultError::NotFound)?;
        if record.identity != principal.identity || &record.info.name != name {
            return Err(VaultError::Integrity("item stored under another key"));
        }
        if let Some(expiry) = record.info.expires_at
            && expiry.has_passed_at(self.clock.now())
        {
            return Err(VaultError::Expired);
        }
        let plaintext = crypto::open(&self.keys, record.binding(), &record.envelope).await?;
        let data = SecretData::from_json_bytes(&plaintext)
            .ok_or(VaultError::Integrity("plaintext is not a JSON object"))?;
        Ok((record, data))
    }

    /// Sets `lastUsedAt`; a failure is logged, not fatal: the read itself succeeded.
    async fn record_use(&self, record: &CredentialRecord) -> Timestamp {
        let now = self.clock.now();
        let info = &record.info;
        if let Err(err) = self
            .store
            .touch(&record.identity, &info.name, &info.credential_id, now)
            .await
        {
            tracing::warn!(credential = info.name.as_str(), error = %err, "lastUsedAt not recorded");
        }
        now
    }
}
