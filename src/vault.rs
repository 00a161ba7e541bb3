//! The use cases, free of HTTP and of AWS: who is calling, and what the vault does for them.

use crate::auth::{ApiKey, AuthError, KeyDirectory, Principal, Scope};
use crate::crypto::{self, Binding, KeyProvider, OpenError, SealError};
use crate::dependency::DependencyError;
use crate::domain::{
    CredentialName, NewCredential, SecretData, TOTP_DIGITS, Timestamp, random_id, totp_algorithm,
    totp_code, totp_remaining,
};
use crate::store::{CredentialInfo, CredentialRecord, CredentialStore, PutOutcome};
use std::time::Duration;

/// How often a backup-code use re-reads and retries when another write got there first.
/// Each round lets at least one contender through, so this covers that many at once.
const MAX_BACKUP_ATTEMPTS: usize = 40;

pub struct Vault<S, K> {
    store: S,
    keys: K,
    /// Requests one identity may make in a minute; `None`: no limit.
    rate_limit: Option<u64>,
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

#[derive(Debug, PartialEq, Eq)]
pub struct TotpAnswer {
    pub code: String,
    pub remaining: u64,
    pub backup_codes_remaining: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub struct BackupAnswer {
    pub code: String,
    pub remaining: usize,
}

impl<S: CredentialStore + KeyDirectory, K: KeyProvider> Vault<S, K> {
    pub fn new(store: S, keys: K) -> Self {
        Self {
            store,
            keys,
            rate_limit: None,
        }
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

    /// Resolves an `Authorization` header to a principal holding `scope`, and counts the
    /// request against the identity's rate limit.
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
        if let Some(limit) = self.rate_limit {
            let now = unix_now();
            let count = self
                .store
                .count_request(&principal.identity, now / 60)
                .await?;
            if count > limit {
                return Err(VaultError::RateLimited {
                    retry_after: 60 - now % 60,
                });
            }
        }
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
        let info = CredentialInfo {
            credential_id: random_id("cred_").map_err(|_| VaultError::Internal("rng".into()))?,
            name,
            kind: credential.kind,
            metadata: credential.metadata,
            expires_at: credential.expires_at,
            created_at: Timestamp::now(),
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

    /// The current RFC 6238 code of the credential's seed.
    pub async fn totp(
        &self,
        principal: &Principal,
        name: &CredentialName,
    ) -> Result<TotpAnswer, VaultError> {
        let (record, data) = self.open_live(principal, name).await?;
        let secret = data.totp_secret(record.info.kind).ok_or_else(|| {
            VaultError::Unprocessable("No TOTP secret found on this credential".into())
        })?;
        let algorithm =
            totp_algorithm(record.info.metadata.as_ref()).map_err(VaultError::Unprocessable)?;
        let now = unix_now();
        let answer = TotpAnswer {
            code: totp_code(&secret, algorithm, TOTP_DIGITS, now),
            remaining: totp_remaining(now),
            backup_codes_remaining: data.backup_codes_remaining(),
        };
        self.record_use(&record).await;
        Ok(answer)
    }

    /// Moves the first unused backup code to the used ones and returns it. The write is
    /// conditional on the item being unchanged since it was read, so two callers never get
    /// the same code; a loser re-reads and tries the next.
    pub async fn use_backup_code(
        &self,
        principal: &Principal,
        name: &CredentialName,
    ) -> Result<BackupAnswer, VaultError> {
        for _ in 0..MAX_BACKUP_ATTEMPTS {
            let (record, data) = self.open_live(principal, name).await?;
            let (code, data, remaining) = data.with_backup_code_used().ok_or_else(|| {
                VaultError::Unprocessable("No backup codes remaining on this credential".into())
            })?;
            let binding = Binding {
                identity: &principal.identity,
                name,
                kind: record.info.kind,
            };
            let envelope = crypto::seal(&self.keys, binding, &data.to_json_bytes()).await?;
            let now = Timestamp::now();
            let expected = record.envelope.nonce;
            let info = CredentialInfo {
                last_used_at: Some(now),
                last_rotated_at: Some(now),
                ..record.info
            };
            let updated = CredentialRecord {
                identity: record.identity,
                info,
                envelope,
            };
            if self.store.put_if_unchanged(&updated, &expected).await? {
                return Ok(BackupAnswer { code, remaining });
            }
            tokio::time::sleep(jitter()).await;
        }
        Err(VaultError::Contended)
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
        if record.info.expires_at.is_some_and(|t| t.is_past()) {
            return Err(VaultError::Expired);
        }
        let binding = Binding {
            identity: &principal.identity,
            name,
            kind: record.info.kind,
        };
        let plaintext = crypto::open(&self.keys, binding, &record.envelope).await?;
        let data = SecretData::from_json_bytes(&plaintext)
            .ok_or(VaultError::Integrity("plaintext is not a JSON object"))?;
        Ok((record, data))
    }

    /// Sets `lastUsedAt`; a failure is logged, not fatal: the read itself succeeded.
    async fn record_use(&self, record: &CredentialRecord) -> Timestamp {
        let now = Timestamp::now();
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

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// 5 to 36 ms, so that contenders spread out instead of colliding again.
fn jitter() -> Duration {
    let mut byte = [0u8; 1];
    let _ = aws_lc_rs::rand::fill(&mut byte);
    Duration::from_millis(5 + u64::from(byte[0] % 32))
}
