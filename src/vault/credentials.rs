//! Storing, reading, listing and deleting credentials.

use super::{Call, Vault, VaultError};
use crate::crypto::{self, KeyProvider};
use crate::domain::{Action, CredentialName, ListCursor, NewCredential, SecretData, random_id};
use crate::store::{CredentialInfo, CredentialRecord, ListBound, VaultStore};

/// `lastUsedAt` is kept to this resolution: a read within this many seconds of the recorded
/// use writes its activity entry alone, which halves the writes of an agent that polls.
const LAST_USE_RESOLUTION_SECONDS: u64 = 60;

/// How often a delete re-reads when the credential was replaced between its read and its
/// conditional delete.
const MAX_DELETE_ATTEMPTS: usize = 3;

/// The most bytes of listed credentials one answer holds (see `CredentialInfo::listed_size`):
/// with JSON escaping, and MCP's two copies of a tool's answer, that keeps any list answer
/// well under Lambda's 6 MB response limit.
pub const LIST_PAGE_BYTES: usize = 512 * 1024;
/// A page's size when a page is asked for without `limit`, and the most it may be.
pub const DEFAULT_LIST_PAGE: usize = 100;
pub const MAX_LIST_PAGE: usize = 1000;

/// A request for the credential list, as the edge parsed it: no `limit` and no `after` asks
/// for the whole list, as the hosted product's clients do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub limit: Option<usize>,
    pub after: Option<ListCursor>,
}

/// Credentials as listed; `paged` when a page was asked for (the answer then says where
/// the next one starts, `None` at the end).
#[derive(Debug)]
pub struct CredentialPage {
    pub credentials: Vec<CredentialInfo>,
    pub paged: bool,
    pub next: Option<ListCursor>,
}

impl CredentialPage {
    /// Keeps what one answer may hold of `listed` (read one past the page): `limit` items at
    /// most, and no more than [`LIST_PAGE_BYTES`]. Unpaged, a list that does not fit is
    /// refused rather than cut: a client that cannot page must not take a part for the whole.
    fn cut(mut listed: Vec<CredentialInfo>, limit: Option<usize>) -> Result<Self, VaultError> {
        let mut bytes = 0;
        let fits = listed
            .iter()
            .take(limit.unwrap_or(usize::MAX))
            .take_while(|info| {
                bytes += info.listed_size();
                bytes <= LIST_PAGE_BYTES
            })
            .count()
            .max(1)
            .min(listed.len());
        let more = fits < listed.len();
        if more && limit.is_none() {
            return Err(VaultError::BadInput(format!(
                "The list is over {} KiB, more than one answer holds; ask for it a page at a time \
                 with `limit` and `pageToken`",
                LIST_PAGE_BYTES / 1024
            )));
        }
        listed.truncate(fits);
        let next = more
            .then(|| listed.last().map(|info| ListCursor(info.name.clone())))
            .flatten();
        Ok(Self {
            credentials: listed,
            paged: limit.is_some(),
            next,
        })
    }
}

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
    pub(super) async fn store(
        &self,
        call: &Call,
        name: &CredentialName,
        credential: NewCredential,
    ) -> Result<CredentialInfo, VaultError> {
        let record = self.sealed(call, name, credential).await?;
        let entry = self
            .credential_entry(call, Action::VaultStore, name, 200)
            .with_credential_id(&record.info.credential_id);
        self.store.put(&record, &entry).await?;
        Ok(record.info)
    }

    /// A new credential's record: `data` sealed under a fresh data key, asked for while the
    /// request is counted (one round trip instead of two, at the price of a KMS call for a
    /// request the rate limit then refuses).
    pub(super) async fn sealed(
        &self,
        call: &Call,
        name: &CredentialName,
        credential: NewCredential,
    ) -> Result<CredentialRecord, VaultError> {
        let identity = call.identity()?;
        let info = CredentialInfo {
            credential_id: random_id("cred_").map_err(|_| VaultError::Internal("rng".into()))?,
            name: name.clone(),
            kind: credential.kind,
            metadata: credential.metadata,
            expires_at: credential.expires_at,
            created_at: self.clock.now(),
            last_used_at: None,
            last_rotated_at: None,
            use_policy: credential.use_policy,
        };
        // Sealed with every stored field in its associated data.
        let sealed = async {
            Ok(crypto::seal(
                self.keys.as_ref(),
                info.binding(identity),
                credential.data.expose_bytes(),
            )
            .await?)
        };
        let envelope = self.admit(call, sealed).await?;
        Ok(CredentialRecord {
            identity: identity.clone(),
            info,
            envelope,
        })
    }

    /// The credential with its data, TOTP seeds and backup codes masked; records the use.
    pub(super) async fn read(
        &self,
        call: &Call,
        name: &CredentialName,
    ) -> Result<Revealed, VaultError> {
        let action = Action::VaultGet;
        let (mut record, data) = self.open_live(call, name).await?;
        record.info.last_used_at = Some(self.record_use(call, action, &record).await?);
        let kind = record.info.kind;
        Ok(Revealed {
            has_totp: data.has_totp(kind),
            data: data.masked(kind),
            info: record.info,
        })
    }

    /// The caller's credentials, without data, in name order: all of them when no page was
    /// asked for (refused when they would not fit one answer), else one page.
    pub(super) async fn list(
        &self,
        call: &Call,
        query: &ListQuery,
    ) -> Result<CredentialPage, VaultError> {
        let paged = query.limit.is_some() || query.after.is_some();
        let limit = query.limit.unwrap_or(DEFAULT_LIST_PAGE);
        if !(1..=MAX_LIST_PAGE).contains(&limit) {
            return Err(VaultError::BadInput(format!(
                "`limit` must be a whole number from 1 to {MAX_LIST_PAGE}"
            )));
        }
        let bound = ListBound {
            // One more than the page, to tell whether the list goes on.
            items: if paged { limit + 1 } else { usize::MAX },
            bytes: LIST_PAGE_BYTES,
            seen: call.principal.limits.clone(),
        };
        let after = query.after.as_ref().map(|cursor| &cursor.0);
        let identity = call.identity()?;
        let listing = async { Ok(self.store.list(identity, after, bound).await?) };
        let listed = self.admit(call, listing).await?;
        let page = CredentialPage::cut(listed, paged.then_some(limit))?;
        self.record_success(call, Action::VaultList, None).await;
        Ok(page)
    }

    /// Deletes the credential that has this name now, with its entry in the same write.
    pub(super) async fn delete(
        &self,
        call: &Call,
        name: &CredentialName,
    ) -> Result<(), VaultError> {
        let action = Action::VaultDelete;
        let identity = call.identity()?;
        let read = async { Ok(self.store.get(identity, name).await?) };
        let mut found = self.admit(call, read).await?;
        for _ in 0..MAX_DELETE_ATTEMPTS {
            let record = found.ok_or(VaultError::NotFound)?;
            let id = &record.info.credential_id;
            let entry = self
                .credential_entry(call, action, name, 204)
                .with_credential_id(id);
            if self.store.delete(identity, name, id, &entry).await? {
                return Ok(());
            }
            // Replaced or deleted since the read: look again.
            found = self.store.get(identity, name).await?;
        }
        Err(VaultError::Contended)
    }

    /// Reads and decrypts a credential that exists and has not expired, counting the
    /// request while the item is read.
    pub(super) async fn open_live(
        &self,
        call: &Call,
        name: &CredentialName,
    ) -> Result<(CredentialRecord, SecretData), VaultError> {
        let identity = call.identity()?;
        let read = async { Ok(self.store.get(identity, name).await?) };
        let record = self.admit(call, read).await?.ok_or(VaultError::NotFound)?;
        self.open(call, name, record).await
    }

    /// Checks where a record sits and that it is live, then decrypts it.
    pub(super) async fn open(
        &self,
        call: &Call,
        name: &CredentialName,
        record: CredentialRecord,
    ) -> Result<(CredentialRecord, SecretData), VaultError> {
        if record.identity != *call.identity()? || &record.info.name != name {
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
        self.record_use_noting(call, action, record, None).await
    }

    /// [`Vault::record_use`], the entry noting `note` (never a value).
    pub(super) async fn record_use_noting(
        &self,
        call: &Call,
        action: Action,
        record: &CredentialRecord,
        note: Option<&str>,
    ) -> Result<crate::domain::Timestamp, VaultError> {
        let now = self.clock.now();
        let info = &record.info;
        let mut entry = self
            .credential_entry(call, action, &info.name, 200)
            .with_credential_id(&info.credential_id);
        if let Some(note) = note {
            entry = entry.noting(note);
        }
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
