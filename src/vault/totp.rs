//! TOTP codes and backup codes: the two use cases that compute from a credential's seed or
//! spend part of its data.

use super::{Call, Vault, VaultError};
use crate::crypto::{self, KeyProvider};
use crate::domain::{
    Action, CredentialName, TOTP_DIGITS, totp_algorithm, totp_code, totp_remaining,
};
use crate::store::{CredentialInfo, CredentialRecord, VaultStore};
use std::time::Duration;

/// How often a backup-code use re-reads and retries when another write got there first.
/// Each round lets at least one contender through, so this covers that many at once.
pub const MAX_BACKUP_ATTEMPTS: usize = 40;

/// The current code of a TOTP credential. `Debug` shows no code.
#[derive(PartialEq, Eq)]
pub struct TotpAnswer {
    pub code: String,
    pub remaining: u64,
    pub backup_codes_remaining: usize,
}

/// A backup code just spent. `Debug` shows no code.
#[derive(PartialEq, Eq)]
pub struct BackupAnswer {
    pub code: zeroize::Zeroizing<String>,
    pub remaining: usize,
}

impl std::fmt::Debug for TotpAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpAnswer")
            .field("code", &"[REDACTED]")
            .field("remaining", &self.remaining)
            .field("backup_codes_remaining", &self.backup_codes_remaining)
            .finish()
    }
}

impl std::fmt::Debug for BackupAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupAnswer")
            .field("code", &"[REDACTED]")
            .field("remaining", &self.remaining)
            .finish()
    }
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// The current RFC 6238 code of the credential's seed; records the use.
    pub(super) async fn totp(
        &self,
        call: &Call,
        name: &CredentialName,
    ) -> Result<TotpAnswer, VaultError> {
        let (record, data) = self.open_live(call, name).await?;
        let secret = data.totp_secret(record.info.kind).ok_or_else(|| {
            VaultError::Unsuitable("No TOTP secret found on this credential".into())
        })?;
        let algorithm =
            totp_algorithm(record.info.metadata.as_ref()).map_err(VaultError::Unsuitable)?;
        let now = self.clock.now().unix_seconds();
        let answer = TotpAnswer {
            code: totp_code(&secret, algorithm, TOTP_DIGITS, now),
            remaining: totp_remaining(now),
            backup_codes_remaining: data.backup_codes_remaining(),
        };
        self.record_use(call, Action::VaultTotp, &record).await?;
        Ok(answer)
    }

    /// Moves the first unused backup code to the used ones and returns it. The write is
    /// conditional on the item being unchanged since it was read, so two callers never get
    /// the same code; a loser re-reads and tries the next.
    pub(super) async fn use_backup_code(
        &self,
        call: &Call,
        name: &CredentialName,
    ) -> Result<BackupAnswer, VaultError> {
        let action = Action::VaultTotpUseBackup;
        let identity = call.identity()?;
        let read = async { Ok(self.store.get(identity, name).await?) };
        let mut found = self.admit(call, read).await?;
        // One data key for every attempt (same identity and name, so the same context):
        // contention costs DynamoDB rounds, never a KMS call per round.
        let mut data_key = None;
        for _ in 0..MAX_BACKUP_ATTEMPTS {
            let (record, data) = self
                .open(call, name, found.ok_or(VaultError::NotFound)?)
                .await?;
            let (code, data, remaining) = data.with_backup_code_used().ok_or_else(|| {
                VaultError::Unsuitable("No backup codes remaining on this credential".into())
            })?;
            let now = self.clock.now();
            let expected = record.envelope.nonce;
            let info = CredentialInfo {
                last_used_at: Some(now),
                last_rotated_at: Some(now),
                ..record.info
            };
            let binding = info.binding(&record.identity);
            if data_key.is_none() {
                let context = binding.encryption_context();
                data_key = Some(self.keys.generate_data_key(&context).await?);
            }
            let envelope = match &data_key {
                Some(key) => crypto::seal_under(key, binding, data.expose_bytes())?,
                None => return Err(VaultError::Internal("no data key".into())),
            };
            let entry = self
                .credential_entry(call, action, name, 200)
                .with_credential_id(&info.credential_id);
            let updated = CredentialRecord {
                identity: record.identity,
                info,
                envelope,
            };
            if self
                .store
                .put_if_unchanged(&updated, &expected, &entry)
                .await?
            {
                return Ok(BackupAnswer { code, remaining });
            }
            tokio::time::sleep(jitter()).await;
            found = self.store.get(identity, name).await?;
        }
        Err(VaultError::Contended)
    }
}

/// 5 to 36 ms, so that contenders spread out instead of colliding again.
fn jitter() -> Duration {
    let mut byte = [0u8; 1];
    let _ = aws_lc_rs::rand::fill(&mut byte);
    Duration::from_millis(5 + u64::from(byte[0] % 32))
}
