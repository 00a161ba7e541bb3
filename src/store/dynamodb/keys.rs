//! API key items: the one codec that writes them (tagged with the key MAC) and reads them
//! (verifying it), the lookup every request makes, and the operator's key verbs.

use super::item::{Item, b, key_item, malformed, s, text};
use super::layout::{TableLayout, attr};
use super::{DynamoStore, applied, build_error, cancelled_by_condition, ddb_error};
use crate::auth::{KeyGrant, KeyHash, KeyMac, Principal};
use crate::dependency::DependencyError;
use crate::domain::{IdentityId, Scope, Timestamp};
use crate::store::{KEY_ID_LEN, KeyRecord, KeySummary};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};

/// The item of `key`, tagged under `mac`.
pub(super) fn key_to_item(mac: &KeyMac, key: &KeyRecord) -> Item {
    let created_at = key.created_at.to_string();
    let tag = mac.tag(&KeyGrant {
        hash: &key.hash,
        identity: &key.identity,
        scopes: &key.scopes,
        created_at: &created_at,
    });
    let mut item = key_item(TableLayout::api_key_key(&key.hash));
    item.extend([
        (attr::IDENTITY_ID.to_owned(), s(key.identity.as_str())),
        (
            attr::SCOPES.to_owned(),
            AttributeValue::Ss(key.scopes.iter().map(|s| s.as_str().to_owned()).collect()),
        ),
        (attr::CREATED_AT.to_owned(), s(created_at)),
        (attr::MAC.to_owned(), b(&tag)),
    ]);
    item
}

/// The principal a key item grants, if it is live and its tag verifies under `mac`.
pub(super) fn principal_from_item(
    mac: Option<&KeyMac>,
    hash: &KeyHash,
    item: &Item,
) -> Result<Option<Principal>, DependencyError> {
    if item.contains_key(attr::REVOKED_AT) {
        return Ok(None);
    }
    let identity = item
        .get(attr::IDENTITY_ID)
        .and_then(|v| v.as_s().ok())
        .and_then(|raw| IdentityId::parse(raw))
        .ok_or_else(|| malformed("key without identityId"))?;
    let scopes: Vec<Scope> = item
        .get(attr::SCOPES)
        .and_then(|v| v.as_ss().ok())
        .map(|raw| raw.iter().filter_map(|s| Scope::parse(s)).collect())
        .unwrap_or_default();
    // The stored text is what was tagged: verified as written, never printed anew.
    let grant = KeyGrant {
        hash,
        identity: &identity,
        scopes: &scopes,
        created_at: text(item, attr::CREATED_AT).unwrap_or_default(),
    };
    let tag = item.get(attr::MAC).and_then(|v| v.as_b().ok());
    let trusted = match (mac, tag) {
        (Some(mac), Some(tag)) => mac.verify(&grant, tag.as_ref()),
        _ => false,
    };
    if !trusted {
        // Not written by a holder of the MAC secret: forged, widened or revived.
        tracing::error!(
            target: "credvault::integrity",
            identity = identity.as_str(),
            "key item failed its MAC check; refused"
        );
        return Ok(None);
    }
    Ok(Some(Principal { identity, scopes }))
}

fn summary_of(item: &Item, identity: &IdentityId) -> Result<KeySummary, DependencyError> {
    let hash = text(item, TableLayout::PK)?.trim_start_matches("KEY#");
    Ok(KeySummary {
        key_id: hash.chars().take(KEY_ID_LEN).collect(),
        identity_id: identity.to_string(),
        scopes: item
            .get(attr::SCOPES)
            .and_then(|v| v.as_ss().ok())
            .cloned()
            .unwrap_or_default(),
        created_at: text(item, attr::CREATED_AT).unwrap_or_default().to_owned(),
        revoked_at: text(item, attr::REVOKED_AT).ok().map(str::to_owned),
    })
}

impl DynamoStore {
    /// The key MAC, or a failure: writing a key item without one would make a key that
    /// never authenticates.
    pub(super) fn mac(&self) -> Result<&KeyMac, DependencyError> {
        self.key_mac
            .as_deref()
            .ok_or_else(|| DependencyError::Failed {
                service: "DynamoDB",
                detail: "no key-MAC secret loaded: keys cannot be written".into(),
            })
    }

    pub(super) async fn lookup_key(
        &self,
        key: &KeyHash,
    ) -> Result<Option<Principal>, DependencyError> {
        // Strongly consistent: a revocation applies from the next lookup (warm instances
        // look up again once their principal cache entry expires).
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::api_key_key(key))))
            .consistent_read(true)
            .send()
            .await
            .map_err(ddb_error)?;
        match output.item {
            None => Ok(None),
            Some(item) => principal_from_item(self.key_mac.as_deref(), key, &item),
        }
    }

    /// A key's `Put`, refused if its hash is already registered.
    pub(super) fn new_key_put(
        &self,
        key: &KeyRecord,
    ) -> Result<TransactWriteItem, DependencyError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(key_to_item(self.mac()?, key)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Adds a key to a live identity (refused for a missing or revoked one), in one
    /// transaction with that check.
    pub(super) async fn put_key(&self, key: &KeyRecord) -> Result<bool, DependencyError> {
        let live = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::identity_key(&key.identity))))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(#revoked)")
            .expression_attribute_names("#revoked", attr::REVOKED_AT)
            .build()
            .map_err(build_error)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().condition_check(live).build())
            .transact_items(self.new_key_put(key)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if cancelled_by_condition(&e) => Ok(false),
            Err(e) => Err(ddb_error(e)),
        }
    }

    /// Every key item of the identity (a Scan: an operator's task).
    pub(super) async fn key_items(
        &self,
        identity: &IdentityId,
    ) -> Result<Vec<Item>, DependencyError> {
        self.scan_all(
            "sk = :sk AND identityId = :id",
            vec![
                (":sk", s(TableLayout::KEY_SK)),
                (":id", s(identity.as_str())),
            ],
        )
        .await
    }

    pub(super) async fn list_keys(
        &self,
        identity: &IdentityId,
    ) -> Result<Vec<KeySummary>, DependencyError> {
        let mut keys: Vec<KeySummary> = self
            .key_items(identity)
            .await?
            .iter()
            .map(|item| summary_of(item, identity))
            .collect::<Result<_, _>>()?;
        keys.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then(a.key_id.cmp(&b.key_id))
        });
        Ok(keys)
    }

    pub(super) async fn revoke_one_key(
        &self,
        identity: &IdentityId,
        key_id: &str,
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        let wanted = format!("KEY#{key_id}");
        let matching: Vec<String> = self
            .key_items(identity)
            .await?
            .iter()
            .filter_map(|item| text(item, TableLayout::PK).ok().map(str::to_owned))
            .filter(|pk| key_id.len() >= KEY_ID_LEN && pk.starts_with(&wanted))
            .collect();
        let [pk] = matching.as_slice() else {
            return Ok(false);
        };
        self.mark_revoked((pk.clone(), TableLayout::KEY_SK.to_owned()), at)
            .await
    }

    /// Sets `revokedAt` on one item unless already set, and drops its MAC, so that deleting
    /// the mark later revives nothing; `false` when the item does not exist.
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
            .update_expression("SET #revoked = if_not_exists(#revoked, :now) REMOVE #mac")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#revoked", attr::REVOKED_AT)
            .expression_attribute_names("#mac", attr::MAC)
            .expression_attribute_values(":now", s(at.to_string()))
            .send()
            .await;
        applied(result)
    }
}
