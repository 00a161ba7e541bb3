//! Where an owner's keys are found: an identity's records of its keys (`KEYREF#`), which
//! carry no MAC and are only a way to the key items, or an organisation's platform key items
//! themselves (an operator's Scan); what an operator's key list shows, the live keys a change
//! plans from (as their own verified items say), and revocation by key id.

use super::item::{Item, key_item, malformed, s, text};
use super::keys::{REVOKE, principal_from_item, scopes_of};
use super::layout::{TableLayout, attr};
use super::{DynamoStore, applied, ddb_error};
use crate::auth::KeyHash;
use crate::dependency::DependencyError;
use crate::domain::{KeyLimits, Subject, Timestamp};
use crate::store::{KEY_ID_LEN, KeyRecord, KeySummary};
use std::collections::HashMap;

impl DynamoStore {
    /// The owner's records of its keys, revoked ones included, each with its hash: an
    /// identity's `KEYREF#` items; for an organisation, its platform key items themselves
    /// (a Scan: an operator's task).
    pub(super) async fn key_records(
        &self,
        owner: &Subject,
    ) -> Result<Vec<(KeyHash, Item)>, DependencyError> {
        let items = match owner {
            Subject::Identity(_) => self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(TableLayout::owner_pk(owner)))
                .expression_attribute_values(":prefix", s(TableLayout::KEYREF_PREFIX))
                .consistent_read(true)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(ddb_error)?,
            Subject::Org(org) => {
                let filter = "begins_with(pk, :prefix) AND orgId = :org";
                let values = vec![
                    (":prefix", s(TableLayout::PLATFORM_KEY_PREFIX)),
                    (":org", s(org.as_str())),
                ];
                self.scan_all(filter, values).await?
            }
        };
        // The hash from the item's own key, never from an attribute: two records cannot
        // name one hash.
        let hash_of = |item: &Item| match owner {
            Subject::Identity(_) => text(item, TableLayout::SK)
                .ok()
                .and_then(|sk| sk.strip_prefix(TableLayout::KEYREF_PREFIX))
                .map(str::to_owned),
            Subject::Org(_) => text(item, TableLayout::PK)
                .ok()
                .and_then(|pk| pk.strip_prefix(TableLayout::PLATFORM_KEY_PREFIX))
                .map(str::to_owned),
        };
        Ok(items
            .into_iter()
            .filter_map(|item| {
                hash_of(&item).map(|hex| (KeyHash::from_stored(owner.kind(), &hex), item))
            })
            .collect())
    }

    pub(super) async fn list_keys(
        &self,
        owner: &Subject,
    ) -> Result<Vec<KeySummary>, DependencyError> {
        // The primary key is the one the identity item names (platform keys have none).
        let primary = match owner {
            Subject::Identity(identity) => self
                .client
                .get_item()
                .table_name(&self.table)
                .set_key(Some(key_item(TableLayout::identity_key(identity))))
                .send()
                .await
                .map_err(ddb_error)?
                .item
                .and_then(|item| text(&item, attr::PRIMARY_KEY).ok().map(str::to_owned)),
            Subject::Org(_) => None,
        };
        let mut keys: Vec<KeySummary> = self
            .key_records(owner)
            .await?
            .iter()
            .map(|(hash, item)| {
                Ok(KeySummary {
                    key_id: hash.as_str().chars().take(KEY_ID_LEN).collect(),
                    owner_id: owner.to_string(),
                    scopes: scopes_of(item)
                        .iter()
                        .map(|s| s.as_str().to_owned())
                        .collect(),
                    created_at: text(item, attr::CREATED_AT).unwrap_or_default().to_owned(),
                    revoked_at: text(item, attr::REVOKED_AT).ok().map(str::to_owned),
                    primary: primary.as_deref() == Some(hash.as_str()),
                    api_key_prefix: text(item, attr::KEY_PREFIX).unwrap_or_default().to_owned(),
                    limits: text(item, attr::LIMITS)
                        .ok()
                        .and_then(KeyLimits::from_stored)
                        .unwrap_or_default(),
                })
            })
            .collect::<Result<_, DependencyError>>()?;
        keys.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then(a.key_id.cmp(&b.key_id))
        });
        Ok(keys)
    }

    /// The owner's live keys, as their own items say (found through its records, which
    /// carry no MAC): only items whose tag verifies and that name this owner count, so a
    /// record a table writer planted brings in no one else's key. `primary` is left false:
    /// the identity item says which key is primary.
    pub(super) async fn live_key_records(
        &self,
        owner: &Subject,
    ) -> Result<Vec<KeyRecord>, DependencyError> {
        // Records of revoked keys are skipped: a rotation's old key is not read again.
        let by_item: HashMap<String, (KeyHash, String)> = self
            .key_records(owner)
            .await?
            .into_iter()
            .filter(|(_, record)| !record.contains_key(attr::REVOKED_AT))
            .map(|(hash, record)| {
                let shown = text(&record, attr::KEY_PREFIX)
                    .unwrap_or_default()
                    .to_owned();
                (TableLayout::api_key_key(&hash).0, (hash, shown))
            })
            .collect();
        let keys: Vec<_> = by_item
            .keys()
            .map(|pk| (pk.clone(), TableLayout::KEY_SK.to_owned()))
            .collect();
        let mut live = Vec::new();
        for item in self.batch_get(&keys).await? {
            let Some((hash, shown_prefix)) = by_item.get(text(&item, TableLayout::PK)?) else {
                continue;
            };
            let Some(principal) = principal_from_item(self.key_mac.as_deref(), hash, &item)? else {
                continue;
            };
            if &principal.subject != owner {
                continue;
            }
            let created_at = text(&item, attr::CREATED_AT)?;
            live.push(KeyRecord {
                hash: hash.clone(),
                subject: principal.subject,
                scopes: principal.scopes,
                created_at: Timestamp::parse(created_at)
                    .ok_or_else(|| malformed(attr::CREATED_AT))?,
                primary: false,
                limits: principal.limits,
                shown_prefix: shown_prefix.clone(),
            });
        }
        live.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then(a.hash.as_str().cmp(b.hash.as_str()))
        });
        Ok(live)
    }

    /// The hashes the owner's records name, revoked ones included.
    pub(super) async fn recorded_hashes(
        &self,
        owner: &Subject,
    ) -> Result<Vec<KeyHash>, DependencyError> {
        Ok(self
            .key_records(owner)
            .await?
            .into_iter()
            .map(|(hash, _)| hash)
            .collect())
    }

    /// Revokes the owner's key whose id is `key_id` (at least [`KEY_ID_LEN`] digits, and
    /// only one key's); `false` when there is none such.
    pub(super) async fn revoke_one_key(
        &self,
        owner: &Subject,
        key_id: &str,
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        let records = self.key_records(owner).await?;
        let matching: Vec<&KeyHash> = records
            .iter()
            .filter(|(_, record)| !record.contains_key(attr::REVOKED_AT))
            .map(|(hash, _)| hash)
            .filter(|hash| key_id.len() >= KEY_ID_LEN && hash.as_str().starts_with(key_id))
            .collect();
        let [hash] = matching.as_slice() else {
            return Ok(false);
        };
        let ops = self.revocation_ops(owner, hash, at)?;
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(ops))
            .send()
            .await;
        result.map(|_| true).map_err(ddb_error)
    }

    /// Sets `revokedAt` on one item unless already set, and drops its MAC; `false` when the
    /// item does not exist.
    pub(super) async fn mark_revoked(
        &self,
        key: (String, String),
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .update_expression(REVOKE)
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#revoked", attr::REVOKED_AT)
            .expression_attribute_names("#mac", attr::MAC)
            .expression_attribute_values(":now", s(at.to_string()))
            .send()
            .await;
        applied(result)
    }
}
