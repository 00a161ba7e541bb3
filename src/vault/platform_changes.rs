//! What a platform key changes of an identity: its name and scopes, its key, its existence.
//! Each change is planned from the identity as read (its keys as their own items say) and
//! committed over the revision read; when another change came first, it is planned again from
//! what that one left.

use super::entry::RECORD_MARGIN;
use super::{Call, Vault, VaultError, rng_failed};
use crate::auth::ApiKey;
use crate::crypto::KeyProvider;
use crate::domain::{Action, IdentityId, IdentityUpdate, KeyKind, Scope, Subject, Target};
use crate::store::{IdentityChange, IdentityRecord, KeyRecord, MAX_KEYS_PER_IDENTITY, VaultStore};

/// How many times a change is planned anew when another change to the identity came first.
const CHANGE_ATTEMPTS: usize = 3;

/// A rotated identity's new key, shown once, and what lists show of it.
#[derive(Debug)]
pub struct RotatedKey {
    pub raw_key: ApiKey,
    pub key_prefix: String,
}

/// `scopes` with `add` joined and `remove` taken out, in order.
fn adjusted(scopes: &[Scope], add: &[Scope], remove: &[Scope]) -> Vec<Scope> {
    let mut out: Vec<Scope> = scopes
        .iter()
        .chain(add)
        .copied()
        .filter(|scope| !remove.contains(scope))
        .collect();
    out.sort();
    out.dedup();
    out
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// The identity as it is now, for a change planned anew after another change won the
    /// race (the request was counted on the first read).
    async fn reread(
        &self,
        call: &Call,
        identity: &IdentityId,
    ) -> Result<IdentityRecord, VaultError> {
        let org = call.org()?;
        let record = self.store.identity_in(org, identity).await?;
        record.ok_or(VaultError::IdentityNotFound)
    }

    /// Reads the identity and its live keys (`primary` set from the identity's own item),
    /// plans a change from them and commits it over the revision read, a few times over when
    /// another change came first. A plan of `None` changes nothing: nothing is written and
    /// the identity is answered as it is.
    async fn change(
        &self,
        call: &Call,
        identity: &IdentityId,
        plan: impl Fn(
            IdentityRecord,
            Vec<KeyRecord>,
        ) -> Result<Option<(IdentityRecord, IdentityChange)>, VaultError>,
    ) -> Result<IdentityRecord, VaultError> {
        let mut record = self.own_identity(call, identity).await?;
        for _ in 0..CHANGE_ATTEMPTS {
            // Its keys are read after it, never beside it: a key added between the two reads
            // moved the revision on, so this plan will not commit and is made again.
            let keys = self
                .store
                .live_keys(identity)
                .await?
                .into_iter()
                .map(|key| KeyRecord {
                    primary: record.primary_key.as_ref() == Some(&key.hash),
                    ..key
                })
                .collect();
            let revision = record.revision;
            let Some((planned, change)) = plan(record.clone(), keys)? else {
                return Ok(record);
            };
            if change.added.len() + change.rewritten.len() + change.revoked.len()
                > MAX_KEYS_PER_IDENTITY + 1
            {
                return Err(VaultError::Unsuitable(format!(
                    "This identity has more than {MAX_KEYS_PER_IDENTITY} keys to change at once; \
                     an operator can revoke some (credvault identity key revoke)"
                )));
            }
            let next = IdentityRecord {
                revision,
                ..planned
            };
            if self.store.change_identity(&next, &change).await? {
                return Ok(next);
            }
            record = self.reread(call, identity).await?;
        }
        Err(VaultError::Contended)
    }

    /// Renames the identity and changes its scopes. The identity and its primary key gain the
    /// scopes added (only scopes the platform key holds); every key of it loses the scopes
    /// removed; no other key gains one. A request that changes nothing writes nothing.
    pub(super) async fn update_identity(
        &self,
        call: &Call,
        identity: &IdentityId,
        update: IdentityUpdate,
    ) -> Result<IdentityRecord, VaultError> {
        let at = self.clock.now();
        let record = self
            .change(call, identity, |mut record, keys| {
                // A scope both added and removed is removed: only what is really added must be
                // the platform key's to give.
                let added: Vec<Scope> = update
                    .add
                    .iter()
                    .copied()
                    .filter(|s| !update.remove.contains(s))
                    .collect();
                Self::within_ceiling(call, &added)?;
                let renamed = update
                    .name
                    .as_ref()
                    .is_some_and(|name| *name != record.name);
                if let Some(name) = &update.name {
                    record.name = name.clone();
                }
                let scopes = adjusted(&record.scopes, &update.add, &update.remove);
                let rescoped = scopes != record.scopes;
                record.scopes = scopes;
                let mut rewritten = Vec::new();
                for key in keys {
                    let add: &[Scope] = if key.primary { &update.add } else { &[] };
                    let scopes = adjusted(&key.scopes, add, &update.remove);
                    if scopes == key.scopes {
                        continue;
                    }
                    // A key that gains a scope must be one this platform key could have made:
                    // its grants no wider than the platform key's own.
                    let gains = scopes.iter().any(|s| !key.scopes.contains(s));
                    let parent = &call.principal.limits;
                    if gains && key.limits.bounded_by(parent).as_ref() != Ok(&key.limits) {
                        return Err(VaultError::Forbidden(
                            "This platform key's grants are narrower than this identity's key; it \
                             cannot add scopes to it"
                                .into(),
                        ));
                    }
                    rewritten.push(KeyRecord { scopes, ..key });
                }
                if !renamed && !rescoped && rewritten.is_empty() {
                    return Ok(None);
                }
                let change = IdentityChange {
                    added: Vec::new(),
                    rewritten,
                    revoked: Vec::new(),
                    at,
                };
                Ok(Some((record, change)))
            })
            .await?;
        self.record_platform(call, Action::IdentitiesUpdate, identity, 200)
            .await;
        Ok(record)
    }

    /// A new primary key with the identity's scopes (which the platform key must hold: it
    /// gives nothing it does not have); the old primary key stops working (on warm instances,
    /// within the principal cache's delay).
    pub(super) async fn rotate_key(
        &self,
        call: &Call,
        identity: &IdentityId,
    ) -> Result<RotatedKey, VaultError> {
        let raw_key = ApiKey::generate(KeyKind::Identity).map_err(rng_failed)?;
        let at = self.clock.now();
        let record = self
            .change(call, identity, |mut record, keys| {
                Self::within_ceiling(call, &record.scopes)?;
                // The new key keeps the old one's grants, as far as this platform key holds them.
                let old = keys.iter().find(|k| k.primary).map(|k| k.limits.clone());
                let limits = Self::within_limits(call, &old.unwrap_or_default())?;
                let new = KeyRecord {
                    hash: raw_key.hash(),
                    subject: Subject::Identity(identity.clone()),
                    scopes: record.scopes.clone(),
                    created_at: at,
                    primary: true,
                    limits,
                    shown_prefix: raw_key.shown_prefix(),
                };
                record.key_prefix = raw_key.shown_prefix();
                record.primary_key = Some(new.hash.clone());
                let revoked = keys
                    .into_iter()
                    .filter(|k| k.primary)
                    .map(|k| k.hash)
                    .collect();
                let change = IdentityChange {
                    added: vec![new],
                    rewritten: Vec::new(),
                    revoked,
                    at,
                };
                Ok(Some((record, change)))
            })
            .await?;
        self.record_platform(call, Action::IdentitiesRotateKey, identity, 200)
            .await;
        Ok(RotatedKey {
            raw_key,
            key_prefix: record.key_prefix,
        })
    }

    /// Deletes the identity: its keys stop and it is gone once the deletion commits; what it
    /// held is then removed while the request's time lasts (what is left is unreachable, and
    /// removed by the next `credvault setup`). Recorded in the organisation's log only (the
    /// identity's own log goes with it).
    pub(super) async fn delete_identity(
        &self,
        call: &Call,
        identity: &IdentityId,
    ) -> Result<(), VaultError> {
        let mut record = self.own_identity(call, identity).await?;
        let mut attempts = 1;
        while !self
            .store
            .delete_identity(&record, self.clock.now())
            .await?
        {
            // Gone (404 from the read) or changed meanwhile (its keys read again).
            record = self.reread(call, identity).await?;
            attempts += 1;
            if attempts > CHANGE_ATTEMPTS {
                return Err(VaultError::Contended);
            }
        }
        let target = Target::Identity(identity.clone());
        let entry = self.entry(call, Action::IdentitiesDelete, Some(&target), 204, None);
        // The deletion stands whatever the removal does: its entry is written beside it.
        let purge = async {
            let removal = self.store.purge_identity(identity);
            let removed = match call.deadline {
                Some(deadline) => {
                    let stop = deadline.checked_sub(2 * RECORD_MARGIN).unwrap_or(deadline);
                    tokio::time::timeout_at(stop, removal).await.ok()
                }
                None => Some(removal.await),
            };
            if !matches!(removed, Some(Ok(_))) {
                tracing::warn!(
                    identity = identity.as_str(),
                    "a deleted identity's items are left for credvault setup"
                );
            }
        };
        tokio::join!(purge, self.append(entry));
        Ok(())
    }
}
