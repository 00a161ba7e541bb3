//! Storing, reading, listing and deleting credentials.

use super::{Call, Vault, VaultError};
use crate::crypto::{self, KeyProvider};
use crate::domain::{Action, CredentialName, NewCredential, SecretData, random_id};
use crate::store::{CredentialInfo, CredentialRecord, VaultStore};

/// `lastUsedAt` is kept to this resolution: a read within this many seconds of the recorded
/// use writes its activity entry alone, which halves the writes of an agent that polls.
const LAST_USE_RESOLUTION_SECONDS: u64 = 60;

/// How often a delete re-reads when the credential was replaced between its read and its
/// conditional delete.
const MAX_DELETE_ATTEMPTS: usize = 3;

/// A credential as read: its fields and its data, TOTP seeds and backup codes masked.
#[derive(Debug)]
pub struct Revealed {
    pub info: CredentialInfo,
    pub data: SecretData,
    pub has_totp: bool,
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// Encrypts `data` under a fresh data key and replaces whatever had this name, whole,
    /// in one unconditional write that carries the activity entry.
    pub async fn store(
        &self,
        call: &Call,
        name: CredentialName,
        credential: NewCredential,
    ) -> Result<CredentialInfo, VaultError> {
        let action = Action::VaultStore;
        let result = self.store_sealed(call, &name, credential).await;
        self.settle(call, action, Some(&name), result).await
    }

    async fn store_sealed(
        &self,
        call: &Call,
        name: &CredentialName,
        credential: NewCredential,
    ) -> Result<CredentialInfo, VaultError> {
        // The data key is asked for while the request is counted: one round trip instead of
        // two, at the price of a KMS call for a request the rate limit then refuses.
        let identity = &call.principal.identity;
        let info = CredentialInfo {
            credential_id: random_id("cred_").map_err(|_| VaultError::Internal("rng".into()))?,
            name: name.clone(),
            kind: credential.kind,
            metadata: credential.metadata,
            expires_at: credential.expires_at,
            created_at: self.clock.now(),
            last_used_at: None,
            last_rotated_at: None,
        };
        // Sealed with every stored field in its associated data.
        let plaintext = credential.data.to_json_bytes();
        let sealed = async {
            Ok(crypto::seal(self.keys.as_ref(), info.binding(identity), &plaintext).await?)
        };
        let envelope = self.admit(call, Action::VaultStore, sealed).await?;
        let record = CredentialRecord {
            identity: identity.clone(),
            info,
            envelope,
        };
        let entry = self
            .entry(call, Action::VaultStore, Some(name), 200, None)
            .with_credential_id(&record.info.credential_id);
        self.store.put(&record, &entry).await?;
        Ok(record.info)
    }

    /// The credential with its data, TOTP seeds and backup codes masked; records the use.
    pub async fn read(&self, call: &Call, name: &CredentialName) -> Result<Revealed, VaultError> {
        let action = Action::VaultGet;
        let result = async {
            let (mut record, data) = self.open_live(call, action, name).await?;
            record.info.last_used_at = Some(self.record_use(call, action, &record).await?);
            let kind = record.info.kind;
            Ok(Revealed {
                has_totp: data.has_totp(kind),
                data: data.masked(kind),
                info: record.info,
            })
        }
        .await;
        self.settle(call, action, Some(name), result).await
    }

    /// Every credential of the caller, without data, in name order.
    pub async fn list(&self, call: &Call) -> Result<Vec<CredentialInfo>, VaultError> {
        let action = Action::VaultList;
        let result = async {
            let listing = async { Ok(self.store.list(&call.principal.identity).await?) };
            let mut credentials = self.admit(call, action, listing).await?;
            credentials.sort_by(|a, b| a.name.cmp(&b.name));
            self.record_success(call, action, None).await;
            Ok(credentials)
        }
        .await;
        self.settle(call, action, None, result).await
    }

    /// Deletes the credential that has this name now, with its entry in the same write.
    pub async fn delete(&self, call: &Call, name: &CredentialName) -> Result<(), VaultError> {
        let action = Action::VaultDelete;
        let result = async {
            let identity = &call.principal.identity;
            let mut found = self
                .admit(call, action, async {
                    Ok(self.store.get(identity, name).await?)
                })
                .await?;
            for _ in 0..MAX_DELETE_ATTEMPTS {
                let record = found.ok_or(VaultError::NotFound)?;
                let id = &record.info.credential_id;
                let entry = self
                    .entry(call, action, Some(name), 204, None)
                    .with_credential_id(id);
                if self.store.delete(identity, name, id, &entry).await? {
                    return Ok(());
                }
                // Replaced or deleted since the read: look again.
                found = self.store.get(identity, name).await?;
            }
            Err(VaultError::Contended)
        }
        .await;
        self.settle(call, action, Some(name), result).await
    }

    /// Reads and decrypts a credential that exists and has not expired, counting the
    /// request while the item is read.
    pub(super) async fn open_live(
        &self,
        call: &Call,
        action: Action,
        name: &CredentialName,
    ) -> Result<(CredentialRecord, SecretData), VaultError> {
        let identity = &call.principal.identity;
        let read = async { Ok(self.store.get(identity, name).await?) };
        let record = self
            .admit(call, action, read)
            .await?
            .ok_or(VaultError::NotFound)?;
        self.open(call, name, record).await
    }

    /// Checks where a record sits and that it is live, then decrypts it.
    pub(super) async fn open(
        &self,
        call: &Call,
        name: &CredentialName,
        record: CredentialRecord,
    ) -> Result<(CredentialRecord, SecretData), VaultError> {
        if record.identity != call.principal.identity || &record.info.name != name {
            return Err(VaultError::Integrity("item stored under another key"));
        }
        if let Some(expiry) = record.info.expires_at
            && expiry.has_passed_at(self.clock.now())
        {
            return Err(VaultError::Expired);
        }
        let plaintext =
            crypto::open(self.keys.as_ref(), record.binding(), &record.envelope).await?;
        let data = SecretData::from_json_bytes(&plaintext)
            .ok_or(VaultError::Integrity("plaintext is not a JSON object"))?;
        Ok((record, data))
    }

    /// Writes the entry of a successful read and, unless the recorded use is under a minute
    /// old, sets `lastUsedAt`; returns the use as now recorded.
    pub(super) async fn record_use(
        &self,
        call: &Call,
        action: Action,
        record: &CredentialRecord,
    ) -> Result<crate::domain::Timestamp, VaultError> {
        let now = self.clock.now();
        let info = &record.info;
        let entry = self
            .entry(call, action, Some(&info.name), 200, None)
            .with_credential_id(&info.credential_id);
        if let Some(last) = info.last_used_at
            && last <= now
            && now.unix_seconds() - last.unix_seconds() < LAST_USE_RESOLUTION_SECONDS
        {
            self.store.append(&entry).await?;
            return Ok(last);
        }
        self.store
            .touch(
                &record.identity,
                &info.name,
                &info.credential_id,
                now,
                &entry,
            )
            .await?;
        Ok(now)
    }
}
