//! Identities and their keys, managed over the directory port: what an operator does with
//! the CLI (with the table's and the KMS key's AWS rights; nothing here authorizes), and what
//! platform keys will do through the vault. Keys are minted here, shown once, and only their
//! hash is stored.

use super::{VaultError, rng_failed};
use crate::auth::ApiKey;
use crate::clock::Clock;
use crate::domain::{IdentityId, KeyKind, KeyLimits, OrgId, Scope, Subject};
use crate::store::{
    IdentityDirectory, IdentityRecord, IdentitySummary, KeyRecord, KeySummary,
    MAX_KEYS_PER_IDENTITY, RegisterError,
};

/// A freshly minted identity. The key is shown once and only its hash is stored.
#[derive(Debug)]
pub struct NewIdentity {
    pub identity: IdentityId,
    pub api_key: ApiKey,
}

/// The identity use cases over a directory, reading the time from a clock.
pub struct Identities<'a, D> {
    directory: &'a D,
    clock: &'a dyn Clock,
}

/// Parses `vault:read,vault:write`.
pub fn parse_scopes(raw: &str) -> Result<Vec<Scope>, VaultError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            Scope::parse(s).ok_or_else(|| {
                VaultError::BadInput(format!(
                    "unknown scope {s:?}; known: vault:read, vault:write"
                ))
            })
        })
        .collect()
}

impl<'a, D: IdentityDirectory> Identities<'a, D> {
    pub fn new(directory: &'a D, clock: &'a dyn Clock) -> Self {
        Self { directory, clock }
    }

    /// An identity holding `scopes` in the default organisation, and its primary API key,
    /// registered together. `pinned` fixes the key (`make dev`'s `CREDVAULT_API_KEY`, an
    /// identity key); otherwise a random one is minted.
    pub async fn create(
        &self,
        name: &str,
        scopes: &[Scope],
        pinned: Option<ApiKey>,
    ) -> Result<NewIdentity, VaultError> {
        let api_key = self.key(KeyKind::Identity, pinned)?;
        let identity = IdentityId::generate().map_err(rng_failed)?;
        let created_at = self.clock.now();
        let record = IdentityRecord {
            identity: identity.clone(),
            name: name.to_owned(),
            org: OrgId::default_org(),
            scopes: scopes.to_vec(),
            created_at,
            key_prefix: api_key.shown_prefix(),
            primary_key: Some(api_key.hash()),
            revision: 0,
        };
        let key = KeyRecord {
            hash: api_key.hash(),
            subject: Subject::Identity(identity.clone()),
            scopes: scopes.to_vec(),
            created_at,
            primary: true,
            limits: KeyLimits::default(),
            shown_prefix: api_key.shown_prefix(),
        };
        match self.directory.register(&record, &key).await {
            Ok(()) => Ok(NewIdentity { identity, api_key }),
            Err(RegisterError::KeyTaken) => Err(VaultError::BadInput(
                "this API key is already registered".into(),
            )),
            Err(RegisterError::Dependency(err)) => Err(err.into()),
        }
    }

    /// A pinned key of `kind`, or a fresh one.
    fn key(&self, kind: KeyKind, pinned: Option<ApiKey>) -> Result<ApiKey, VaultError> {
        match pinned {
            Some(key) if key.kind() == kind => Ok(key),
            Some(_) => Err(VaultError::BadInput(format!(
                "the key given is not an {} key",
                kind.as_str()
            ))),
            None => ApiKey::generate(kind).map_err(rng_failed),
        }
    }

    /// A platform key of `org` (a new organisation's when `None`) holding `scopes` and
    /// `limits`, the most it may give the identities it makes: the organisation and the key.
    pub async fn create_platform_key(
        &self,
        org: Option<OrgId>,
        scopes: &[Scope],
        limits: KeyLimits,
        pinned: Option<ApiKey>,
    ) -> Result<(OrgId, ApiKey), VaultError> {
        let api_key = self.key(KeyKind::Platform, pinned)?;
        let org = match org {
            Some(org) => org,
            None => OrgId::generate().map_err(rng_failed)?,
        };
        let key = KeyRecord {
            hash: api_key.hash(),
            subject: Subject::Org(org.clone()),
            scopes: scopes.to_vec(),
            created_at: self.clock.now(),
            primary: false,
            limits,
            shown_prefix: api_key.shown_prefix(),
        };
        match self.directory.register_platform_key(&key).await {
            Ok(()) => Ok((org, api_key)),
            Err(RegisterError::KeyTaken) => Err(VaultError::BadInput(
                "this API key is already registered".into(),
            )),
            Err(RegisterError::Dependency(err)) => Err(err.into()),
        }
    }

    /// Adds a key holding `scopes` and `limits` to a live identity: the key and its short id.
    pub async fn add_key(
        &self,
        identity: &IdentityId,
        scopes: &[Scope],
        limits: KeyLimits,
        pinned: Option<ApiKey>,
    ) -> Result<(ApiKey, String), VaultError> {
        let api_key = self.key(KeyKind::Identity, pinned)?;
        if self.directory.live_keys(identity).await?.len() >= MAX_KEYS_PER_IDENTITY {
            return Err(VaultError::BadInput(format!(
                "an identity holds at most {MAX_KEYS_PER_IDENTITY} live keys; revoke one first"
            )));
        }
        let key = KeyRecord {
            hash: api_key.hash(),
            subject: Subject::Identity(identity.clone()),
            scopes: scopes.to_vec(),
            created_at: self.clock.now(),
            primary: false,
            limits,
            shown_prefix: api_key.shown_prefix(),
        };
        if !self.directory.add_key(&key).await? {
            return Err(VaultError::BadInput(
                "no such live identity (missing or revoked), or the key is already registered"
                    .into(),
            ));
        }
        Ok((api_key, key.key_id()))
    }

    /// The keys of an identity, or an organisation's platform keys.
    pub async fn keys(&self, owner: &Subject) -> Result<Vec<KeySummary>, VaultError> {
        Ok(self.directory.keys_of(owner).await?)
    }

    /// Revokes one key by its short id; `false` when the owner has none such.
    pub async fn revoke_key(&self, owner: &Subject, key_id: &str) -> Result<bool, VaultError> {
        Ok(self
            .directory
            .revoke_key(owner, key_id, self.clock.now())
            .await?)
    }

    /// Revokes the identity and every key of it; `false` when there is no such identity.
    pub async fn revoke(&self, identity: &IdentityId) -> Result<bool, VaultError> {
        Ok(self
            .directory
            .revoke_identity(identity, self.clock.now())
            .await?)
    }

    pub async fn list(&self) -> Result<Vec<IdentitySummary>, VaultError> {
        Ok(self.directory.identities().await?)
    }
}
