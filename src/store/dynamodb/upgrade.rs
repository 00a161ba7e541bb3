//! What `credvault setup` does for identities stored before organisations existed, and for
//! deleted ones: an identity without a tag is placed in the default organisation (tagged, its
//! organisation's record written, its scopes those its live keys hold), each key gets the
//! identity's record of it, and whatever a deletion's deadline left behind is removed. An
//! operator's task (a Scan); the function never runs it.

use super::identities::identity_items;
use super::item::{Item, key_item, s, text};
use super::keys::principal_from_item;
use super::layout::{TableLayout, attr};
use super::{DynamoStore, build_error, ddb_error};
use crate::auth::KeyHash;
use crate::dependency::DependencyError;
use crate::domain::{IdentityId, KeyKind, OrgId, Scope, Subject, Timestamp};
use crate::store::IdentityRecord;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

/// What [`place_identities`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct IdentityUpgrade {
    /// Identities placed in the default organisation.
    pub placed: usize,
    /// Keys given their identity's record of them.
    pub key_records: usize,
    /// Items removed that deleted identities had left.
    pub purged: usize,
}

fn identity_of(item: &Item) -> Option<IdentityId> {
    text(item, attr::IDENTITY_ID)
        .ok()
        .and_then(IdentityId::parse)
}

pub async fn place_identities(
    store: &DynamoStore,
    now: Timestamp,
) -> Result<IdentityUpgrade, DependencyError> {
    let by_sort_key = |sk: &'static str| store.scan_all("sk = :sk", vec![(":sk", s(sk))]);
    let (identities, keys) = tokio::try_join!(
        by_sort_key(TableLayout::IDENTITY_SK),
        by_sort_key(TableLayout::KEY_SK)
    )?;
    let mut upgrade = IdentityUpgrade::default();
    for item in &identities {
        let Some(identity) = identity_of(item) else {
            continue;
        };
        if item.contains_key(attr::DELETED_AT) {
            // A deletion's removal cut short is finished; a finished one is left alone.
            if !item.contains_key(attr::PURGED) {
                upgrade.purged += store.purge_items(&identity).await?;
            }
            continue;
        }
        let own: Vec<&Item> = keys
            .iter()
            .filter(|k| identity_of(k).as_ref() == Some(&identity))
            .collect();
        upgrade.key_records += store.record_keys(&identity, &own).await?;
        // Only an identity from before organisations is placed: none, no tag, not revoked.
        let placed_before = [attr::ORG_ID, attr::MAC, attr::REVOKED_AT];
        if placed_before.iter().any(|name| item.contains_key(*name)) {
            continue;
        }
        if store.place(item, &identity, &own, now).await? {
            upgrade.placed += 1;
        }
    }
    Ok(upgrade)
}

impl DynamoStore {
    /// Places one identity in the default organisation: its scopes and its primary key (the
    /// oldest) taken from those of its keys whose MAC verifies, so a key item a table writer
    /// made gives it nothing; the item and its organisation's record in one transaction, only
    /// over an item still untagged and live. `false` when it was not placed.
    async fn place(
        &self,
        item: &Item,
        identity: &IdentityId,
        keys: &[&Item],
        now: Timestamp,
    ) -> Result<bool, DependencyError> {
        let subject = Subject::Identity(identity.clone());
        let mut verified: Vec<(String, KeyHash, Vec<Scope>)> = Vec::new();
        for key in keys {
            let Ok(pk) = text(key, TableLayout::PK) else {
                continue;
            };
            let hash = KeyHash::from_stored(
                KeyKind::Identity,
                pk.trim_start_matches(TableLayout::IDENTITY_KEY_PREFIX),
            );
            if let Some(principal) = principal_from_item(self.key_mac.as_deref(), &hash, key)?
                && principal.subject == subject
            {
                let created_at = text(key, attr::CREATED_AT).unwrap_or_default().to_owned();
                verified.push((created_at, hash, principal.scopes));
            }
        }
        verified.sort_by(|a, b| a.0.cmp(&b.0));
        let mut scopes: Vec<Scope> = verified
            .iter()
            .flat_map(|(_, _, scopes)| scopes.iter().copied())
            .collect();
        scopes.sort();
        scopes.dedup();
        let record = IdentityRecord {
            name: text(item, attr::NAME).unwrap_or_default().to_owned(),
            org: OrgId::default_org(),
            scopes,
            created_at: text(item, attr::CREATED_AT)
                .ok()
                .and_then(Timestamp::parse)
                .unwrap_or(now),
            key_prefix: String::new(),
            primary_key: verified.into_iter().next().map(|(_, hash, _)| hash),
            revision: 0,
            identity: identity.clone(),
        };
        let [item, membership] = identity_items(self.mac()?, &record);
        let untagged = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(#org) AND attribute_not_exists(#mac) \
                 AND attribute_not_exists(#revoked) AND attribute_not_exists(#deleted)",
            )
            .expression_attribute_names("#org", attr::ORG_ID)
            .expression_attribute_names("#mac", attr::MAC)
            .expression_attribute_names("#revoked", attr::REVOKED_AT)
            .expression_attribute_names("#deleted", attr::DELETED_AT)
            .build()
            .map_err(build_error)?;
        let ops = vec![
            TransactWriteItem::builder().put(untagged).build(),
            self.plain_put(membership)?,
        ];
        self.commit(ops).await
    }

    /// Writes the identity's record of each key that has none. Returns how many it wrote.
    async fn record_keys(
        &self,
        identity: &IdentityId,
        keys: &[&Item],
    ) -> Result<usize, DependencyError> {
        let owner = Subject::Identity(identity.clone());
        let recorded = self.recorded_hashes(&owner).await?;
        let mut written = 0;
        for key in keys {
            let Ok(pk) = text(key, TableLayout::PK) else {
                continue;
            };
            let hash = KeyHash::from_stored(
                KeyKind::Identity,
                pk.trim_start_matches(TableLayout::IDENTITY_KEY_PREFIX),
            );
            let known = recorded.contains(&hash);
            if known {
                continue;
            }
            let mut record = key_item(TableLayout::keyref_key(&owner, &hash));
            record.extend([
                (attr::KEY_HASH.to_owned(), s(hash.as_str())),
                (
                    attr::CREATED_AT.to_owned(),
                    s(text(key, attr::CREATED_AT).unwrap_or_default()),
                ),
            ]);
            for copied in [attr::SCOPES, attr::REVOKED_AT] {
                if let Some(value) = key.get(copied) {
                    record.insert(copied.to_owned(), value.clone());
                }
            }
            self.put_plain(record).await?;
            written += 1;
        }
        Ok(written)
    }

    async fn put_plain(&self, item: Item) -> Result<(), DependencyError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map(|_| ())
            .map_err(ddb_error)
    }
}
