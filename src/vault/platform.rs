//! What a platform key does: make, list, read, rescope, rotate and delete the identities of
//! its organisation. It sees no other organisation's identity (another's is `404`, as another
//! identity's credential is), gives only scopes it holds itself, and opens no vault. Each
//! call is recorded in the organisation's log and, when it names an identity, in that
//! identity's log too.

use super::{Call, Vault, VaultError, rng_failed};
use crate::auth::ApiKey;
use crate::crypto::KeyProvider;
use crate::domain::{
    Action, IdentityId, KeyKind, KeyLimits, NewIdentitySpec, Scope, Subject, Target, Timestamp,
    generated_name,
};
use crate::store::{IdentityRecord, KeyRecord, RegisterError, VaultStore};
use futures_util::{StreamExt, TryStreamExt, stream};

/// A page's size when none is asked for, and the most it may be (the hosted product's).
pub const DEFAULT_IDENTITY_PAGE: usize = 50;
pub const MAX_IDENTITY_PAGE: usize = 100;
/// How many identities' usage a listing reads at once.
const USAGE_READS_AT_ONCE: usize = 8;

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

/// A new identity and its key, shown once.
#[derive(Debug)]
pub struct MintedIdentity {
    pub record: IdentityRecord,
    pub raw_key: ApiKey,
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// Refuses scopes the platform key does not hold itself.
    pub(super) fn within_ceiling(call: &Call, scopes: &[Scope]) -> Result<(), VaultError> {
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

    /// The limits a key made by this platform key gets when it asks for `limits`: never more
    /// than the platform key holds itself.
    pub(super) fn within_limits(call: &Call, limits: &KeyLimits) -> Result<KeyLimits, VaultError> {
        limits
            .bounded_by(&call.principal.limits)
            .map_err(|refused| VaultError::Forbidden(refused.0))
    }

    /// The live identity of the caller's organisation with this id, counting the request
    /// while it is read; another organisation's is not found.
    pub(super) async fn own_identity(
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
    pub(super) async fn record_platform(
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
            .mirrored_for(Subject::Identity(identity.clone()));
        tokio::join!(self.append(entry), self.append(theirs));
    }

    /// How much an identity used its vault: its own requests in the retention window, and
    /// the newest one.
    async fn usage(&self, identity: &IdentityId) -> Result<(u64, Option<Timestamp>), VaultError> {
        let subject = Subject::Identity(identity.clone());
        let now = self.clock.now();
        let since = now.days_before(self.log_retention_days);
        // One read: the day counters carry the latest request too (the log is asked only for
        // counters written before they did).
        let stats = self.store.stats(&subject, since, now).await?;
        let last = match (stats.last_at, stats.total) {
            (Some(last), _) => Some(last),
            (None, 0) => None,
            (None, _) => self.store.last_activity(&subject).await?,
        };
        Ok((stats.total, last))
    }

    async fn view(&self, record: IdentityRecord) -> Result<IdentityView, VaultError> {
        let (usage_count, last_used_at) = self.usage(&record.identity).await?;
        Ok(IdentityView {
            record,
            usage_count,
            last_used_at,
        })
    }

    pub(super) async fn create_identity(
        &self,
        call: &Call,
        spec: NewIdentitySpec,
    ) -> Result<MintedIdentity, VaultError> {
        let org = call.org()?.clone();
        let scopes = spec.scopes.unwrap_or_else(|| call.principal.scopes.clone());
        self.admit(call, async { Ok(()) }).await?;
        Self::within_ceiling(call, &scopes)?;
        let limits = Self::within_limits(call, &spec.limits)?;
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
            primary_key: Some(raw_key.hash()),
            revision: 0,
        };
        let key = KeyRecord {
            hash: raw_key.hash(),
            subject: Subject::Identity(identity.clone()),
            scopes,
            created_at: now,
            primary: true,
            limits,
            shown_prefix: raw_key.shown_prefix(),
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
                .identities_of(org, query.after.as_ref(), limit)
                .await?)
        };
        let slice = self.admit(call, listing).await?;
        // Each identity's usage is two reads: a few at a time, not a page's worth at once.
        let identities: Vec<IdentityView> = stream::iter(slice.identities)
            .map(|record| self.view(record))
            .buffered(USAGE_READS_AT_ONCE)
            .try_collect()
            .await?;
        let next = slice.next;
        self.record_success(call, Action::IdentitiesList, None)
            .await;
        Ok(IdentityPage { identities, next })
    }

    pub(super) async fn get_identity(
        &self,
        call: &Call,
        identity: &IdentityId,
    ) -> Result<IdentityView, VaultError> {
        // Its usage is read once it is known to be the caller's: nothing of another
        // organisation's identity is touched.
        let record = self.own_identity(call, identity).await?;
        let (usage_count, last_used_at) = self.usage(identity).await?;
        let view = IdentityView {
            record,
            usage_count,
            last_used_at,
        };
        self.record_platform(call, Action::IdentitiesGet, identity, 200)
            .await;
        Ok(view)
    }
}
