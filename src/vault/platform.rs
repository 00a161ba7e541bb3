//! What a platform key does: make, list, read, rescope, rotate and delete the identities of
//! its organisation. It sees no other organisation's identity (another's is `404`, as another
//! identity's credential is), gives only scopes it holds itself, and opens no vault. Each
//! call is recorded in the organisation's log and, when it names an identity, in that
//! identity's log too.

use super::{Call, Vault, VaultError};
use crate::auth::ApiKey;
use crate::crypto::KeyProvider;
use crate::domain::{
    Action, IdentityId, IdentityUpdate, KeyKind, NewIdentitySpec, Scope, Subject, Target,
    Timestamp, generated_name,
};
use crate::store::{IdentityChange, IdentityRecord, KeyRecord, RegisterError, VaultStore};
use futures_util::future::join_all;

/// A page's size when none is asked for, and the most it may be (the hosted product's).
pub const DEFAULT_IDENTITY_PAGE: usize = 50;
pub const MAX_IDENTITY_PAGE: usize = 100;
/// How many times a change is planned anew when another change to the identity came first.
const CHANGE_ATTEMPTS: usize = 3;

/// `GET /v0/platform/identities`: a page after `after`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdentityQuery {
    pub limit: Option<usize>,
    pub after: Option<IdentityId>,
}

impl IdentityQuery {
    /// The token of the page after `last`: its id, opaque to the caller.
    pub fn token_after(last: &IdentityId) -> String {
        data_encoding::BASE64URL_NOPAD.encode(last.as_str().as_bytes())
    }

    /// The identity a page token names; `None` for one this API did not give out.
    pub fn after_token(token: &str) -> Option<IdentityId> {
        let bytes = data_encoding::BASE64URL_NOPAD
            .decode(token.as_bytes())
            .ok()?;
        IdentityId::parse(std::str::from_utf8(&bytes).ok()?)
    }
}

/// An identity as a platform key sees it, with how much it has used its vault.
#[derive(Clone, Debug)]
pub struct IdentityView {
    pub record: IdentityRecord,
    pub usage_count: u64,
    pub last_used_at: Option<Timestamp>,
}

#[derive(Debug)]
pub struct IdentityPage {
    pub identities: Vec<IdentityView>,
    pub next: Option<IdentityId>,
}

/// A rotated identity's new key, shown once, and what lists show of it.
#[derive(Debug)]
pub struct RotatedKey {
    pub raw_key: ApiKey,
    pub key_prefix: String,
}

/// A new identity and its key, shown once.
#[derive(Debug)]
pub struct MintedIdentity {
    pub record: IdentityRecord,
    pub raw_key: ApiKey,
}

fn rng_failed<E>(_: E) -> VaultError {
    VaultError::Internal("the system random generator failed".into())
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// Refuses scopes the platform key does not hold itself.
    fn within_ceiling(call: &Call, scopes: &[Scope]) -> Result<(), VaultError> {
        match scopes
            .iter()
            .find(|scope| !call.principal.scopes.contains(scope))
        {
            None => Ok(()),
            Some(scope) => Err(VaultError::Forbidden(format!(
                "A platform key gives only the scopes it holds; this one does not hold {}",
                scope.as_str()
            ))),
        }
    }

    /// The live identity of the caller's organisation with this id, counting the request
    /// while it is read; another organisation's is not found.
    async fn own_identity(
        &self,
        call: &Call,
        identity: &IdentityId,
    ) -> Result<IdentityRecord, VaultError> {
        let org = call.org()?;
        let read = async { Ok(self.store.identity_in(org, identity).await?) };
        self.admit(call, read)
            .await?
            .ok_or(VaultError::IdentityNotFound)
    }

    /// Records a platform call's success in the organisation's log and the identity's.
    async fn record_platform(
        &self,
        call: &Call,
        action: Action,
        identity: &IdentityId,
        status: u16,
    ) {
        let target = Target::Identity(identity.clone());
        let entry = self.entry(call, action, Some(&target), status, None);
        let theirs = entry
            .clone()
            .for_subject(Subject::Identity(identity.clone()));
        tokio::join!(self.append(entry), self.append(theirs));
    }

    async fn view(&self, record: IdentityRecord) -> Result<IdentityView, VaultError> {
        let subject = Subject::Identity(record.identity.clone());
        let now = self.clock.now();
        let since = now.days_before(self.log_retention_days);
        let (stats, last) = tokio::join!(
            self.store.stats(&subject, since, now),
            self.store.last_activity(&subject)
        );
        Ok(IdentityView {
            record,
            usage_count: stats?.total,
            last_used_at: last?,
        })
    }

    pub(super) async fn create_identity(
        &self,
        call: &Call,
        spec: NewIdentitySpec,
    ) -> Result<MintedIdentity, VaultError> {
        let org = call.org()?.clone();
        let scopes = spec.scopes.unwrap_or_else(|| call.principal.scopes.clone());
        Self::within_ceiling(call, &scopes)?;
        self.admit(call, async { Ok(()) }).await?;
        let raw_key = ApiKey::generate(KeyKind::Identity).map_err(rng_failed)?;
        let identity = IdentityId::generate().map_err(rng_failed)?;
        let now = self.clock.now();
        let record = IdentityRecord {
            identity: identity.clone(),
            name: spec.name.unwrap_or_else(generated_name),
            org,
            scopes: scopes.clone(),
            created_at: now,
            key_prefix: raw_key.shown_prefix(),
            revision: 0,
        };
        let key = KeyRecord {
            hash: raw_key.hash(),
            subject: Subject::Identity(identity.clone()),
            scopes,
            created_at: now,
            primary: true,
        };
        match self.store.register(&record, &key).await {
            Ok(()) => {}
            // A fresh random id or key already taken: 2^-128; a fault, never the caller's.
            Err(RegisterError::KeyTaken) => {
                return Err(VaultError::Internal("a fresh id or key was taken".into()));
            }
            Err(RegisterError::Dependency(err)) => return Err(err.into()),
        }
        self.record_platform(call, Action::IdentitiesCreate, &identity, 201)
            .await;
        Ok(MintedIdentity { record, raw_key })
    }

    pub(super) async fn list_identities(
        &self,
        call: &Call,
        query: &IdentityQuery,
    ) -> Result<IdentityPage, VaultError> {
        let limit = query.limit.unwrap_or(DEFAULT_IDENTITY_PAGE);
        if !(1..=MAX_IDENTITY_PAGE).contains(&limit) {
            return Err(VaultError::BadInput(format!(
                "`limit` must be a whole number from 1 to {MAX_IDENTITY_PAGE}"
            )));
        }
        let org = call.org()?;
        let listing = async {
            Ok(self
                .store
                .identities_of(org, query.after.as_ref(), limit + 1)
                .await?)
        };
        let mut records = self.admit(call, listing).await?;
        let more = records.len() > limit;
        records.truncate(limit);
        let next = more
            .then(|| records.last().map(|r| r.identity.clone()))
            .flatten();
        let views = join_all(records.into_iter().map(|record| self.view(record))).await;
        let identities = views.into_iter().collect::<Result<Vec<_>, _>>()?;
        self.record_success(call, Action::IdentitiesList, None)
            .await;
        Ok(IdentityPage { identities, next })
    }

    pub(super) async fn get_identity(
        &self,
        call: &Call,
        identity: &IdentityId,
    ) -> Result<IdentityView, VaultError> {
        let record = self.own_identity(call, identity).await?;
        let view = self.view(record).await?;
        self.record_platform(call, Action::IdentitiesGet, identity, 200)
            .await;
        Ok(view)
    }

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

    /// Reads the identity, plans a change from it and commits it over the revision read;
    /// when another change came first, plans again from what that left, a few times.
    async fn change<T>(
        &self,
        call: &Call,
        identity: &IdentityId,
        plan: impl Fn(
            IdentityRecord,
            Vec<KeyRecord>,
        ) -> Result<(IdentityRecord, IdentityChange, T), VaultError>,
    ) -> Result<(IdentityRecord, T), VaultError> {
        let mut record = self.own_identity(call, identity).await?;
        for _ in 0..CHANGE_ATTEMPTS {
            let keys = self.store.live_keys(identity).await?;
            let revision = record.revision;
            let (planned, change, outcome) = plan(record, keys)?;
            let next = IdentityRecord {
                revision,
                ..planned
            };
            if self.store.change_identity(&next, &change).await? {
                return Ok((next, outcome));
            }
            record = self.reread(call, identity).await?;
        }
        Err(VaultError::Contended)
    }

    /// Renames the identity and changes its scopes: its primary key holds exactly its scopes
    /// after, and its other keys lose any scope it lost (they never gain one).
    pub(super) async fn update_identity(
        &self,
        call: &Call,
        identity: &IdentityId,
        update: IdentityUpdate,
    ) -> Result<IdentityView, VaultError> {
        Self::within_ceiling(call, &update.add)?;
        let at = self.clock.now();
        let (record, ()) = self
            .change(call, identity, |mut record, keys| {
                if let Some(name) = &update.name {
                    record.name = name.clone();
                }
                let mut scopes: Vec<Scope> = record
                    .scopes
                    .iter()
                    .chain(&update.add)
                    .copied()
                    .filter(|scope| !update.remove.contains(scope))
                    .collect();
                scopes.sort();
                scopes.dedup();
                record.scopes = scopes.clone();
                let rewritten = keys
                    .into_iter()
                    .map(|key| KeyRecord {
                        scopes: match key.primary {
                            true => scopes.clone(),
                            false => key
                                .scopes
                                .iter()
                                .copied()
                                .filter(|s| scopes.contains(s))
                                .collect(),
                        },
                        ..key
                    })
                    .collect();
                let change = IdentityChange {
                    added: Vec::new(),
                    rewritten,
                    revoked: Vec::new(),
                    at,
                };
                Ok((record, change, ()))
            })
            .await?;
        self.record_platform(call, Action::IdentitiesUpdate, identity, 200)
            .await;
        self.view(record).await
    }

    /// A new primary key; the old primary key stops working (on warm instances, within the
    /// principal cache's delay).
    pub(super) async fn rotate_key(
        &self,
        call: &Call,
        identity: &IdentityId,
    ) -> Result<RotatedKey, VaultError> {
        let raw_key = ApiKey::generate(KeyKind::Identity).map_err(rng_failed)?;
        let at = self.clock.now();
        let (record, ()) = self
            .change(call, identity, |mut record, keys| {
                record.key_prefix = raw_key.shown_prefix();
                let change = IdentityChange {
                    added: vec![KeyRecord {
                        hash: raw_key.hash(),
                        subject: Subject::Identity(identity.clone()),
                        scopes: record.scopes.clone(),
                        created_at: at,
                        primary: true,
                    }],
                    rewritten: Vec::new(),
                    revoked: keys
                        .into_iter()
                        .filter(|k| k.primary)
                        .map(|k| k.hash)
                        .collect(),
                    at,
                };
                Ok((record, change, ()))
            })
            .await?;
        self.record_platform(call, Action::IdentitiesRotateKey, identity, 200)
            .await;
        Ok(RotatedKey {
            raw_key,
            key_prefix: record.key_prefix,
        })
    }

    /// Deletes the identity with everything it held; recorded in the organisation's log
    /// only (the identity's own log goes with it).
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
        self.append(entry).await;
        Ok(())
    }
}
