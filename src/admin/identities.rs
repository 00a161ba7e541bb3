//! Identities and their keys, as the operator manages them: register, list, revoke. These
//! read and write the table directly; the function's role may do none of it.

use super::keys::key_item_for;
use crate::auth::{IdentityId, KeyHash, KeyMac, Scope};
use crate::dependency::DependencyError;
use crate::domain::Timestamp;
use crate::store::DynamoStore;
use crate::store::dynamodb::item::{Item, key_item, s, text};
use crate::store::dynamodb::{applied, build_error, cancelled_by_condition, ddb_error};
use crate::store::layout::{TableLayout, attr};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

/// Records an identity and one API key for it, by the key's hash only, in one transaction:
/// either both items exist after, or neither.
pub async fn register_identity(
    store: &DynamoStore,
    mac: &KeyMac,
    identity: &IdentityId,
    display_name: &str,
    scopes: &[Scope],
    key: &KeyHash,
) -> Result<(), DependencyError> {
    let created_at = Timestamp::now().to_string();
    let now = s(&created_at);
    let mut identity_item = key_item(TableLayout::identity_key(identity));
    identity_item.extend([
        (attr::IDENTITY_ID.to_owned(), s(identity.as_str())),
        (attr::NAME.to_owned(), s(display_name)),
        (attr::CREATED_AT.to_owned(), now),
    ]);
    let key_record = key_item_for(mac, key, identity, scopes, &created_at);
    let put = |item: Item, condition: Option<&str>| {
        Put::builder()
            .table_name(store.table())
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_owned))
            .build()
            .map(|put| TransactWriteItem::builder().put(put).build())
            .map_err(build_error)
    };
    let result = store
        .client()
        .transact_write_items()
        .transact_items(put(identity_item, None)?)
        // A key registers once: a second identity never inherits (or takes over) a hash.
        .transact_items(put(key_record, Some("attribute_not_exists(pk)"))?)
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if cancelled_by_condition(&e) => Err(DependencyError::Failed {
            service: "DynamoDB",
            detail: "this API key is already registered".into(),
        }),
        Err(e) => Err(ddb_error(e)),
    }
}

/// An identity as the operator sees it; keys are never part of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySummary {
    pub identity_id: String,
    pub name: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// How many API keys it has, and how many of them still work.
    pub keys: usize,
    pub active_keys: usize,
}

/// Every item matching `filter`, across all scan pages: an operator's task, never the
/// function's (its role may not scan).
pub(super) async fn scan_all(
    store: &DynamoStore,
    filter: &str,
    values: Vec<(&str, AttributeValue)>,
) -> Result<Vec<Item>, DependencyError> {
    let mut scan = store
        .client()
        .scan()
        .table_name(store.table())
        .filter_expression(filter)
        .consistent_read(true);
    for (name, value) in values {
        scan = scan.expression_attribute_values(name, value);
    }
    scan.into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(ddb_error)
}

async fn scan_sort_key(store: &DynamoStore, sk: &str) -> Result<Vec<Item>, DependencyError> {
    scan_all(store, "sk = :sk", vec![(":sk", s(sk))]).await
}

pub async fn list_identities(store: &DynamoStore) -> Result<Vec<IdentitySummary>, DependencyError> {
    let identities = scan_sort_key(store, TableLayout::IDENTITY_SK).await?;
    let keys = scan_sort_key(store, TableLayout::KEY_SK).await?;
    let mut summaries: Vec<IdentitySummary> = identities
        .iter()
        .map(|item| summarise(item, &keys))
        .collect::<Result<_, DependencyError>>()?;
    summaries.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then(a.identity_id.cmp(&b.identity_id))
    });
    Ok(summaries)
}

fn summarise(item: &Item, keys: &[Item]) -> Result<IdentitySummary, DependencyError> {
    let id = text(item, attr::IDENTITY_ID)?.to_owned();
    let own: Vec<&Item> = keys
        .iter()
        .filter(|k| text(k, attr::IDENTITY_ID).ok() == Some(id.as_str()))
        .collect();
    Ok(IdentitySummary {
        name: text(item, attr::NAME).unwrap_or_default().to_owned(),
        created_at: text(item, attr::CREATED_AT).unwrap_or_default().to_owned(),
        revoked_at: text(item, attr::REVOKED_AT).ok().map(str::to_owned),
        keys: own.len(),
        active_keys: own
            .iter()
            .filter(|k| !k.contains_key(attr::REVOKED_AT))
            .count(),
        identity_id: id,
    })
}

/// Sets `revokedAt` on one item unless already set, and drops its MAC, so that deleting the
/// mark later revives nothing; `false` when the item does not exist.
pub(super) async fn mark_revoked(
    store: &DynamoStore,
    key: (String, String),
    now: &AttributeValue,
) -> Result<bool, DependencyError> {
    let result = store
        .client()
        .update_item()
        .table_name(store.table())
        .set_key(Some(key_item(key)))
        .update_expression("SET #revoked = if_not_exists(#revoked, :now) REMOVE #mac")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_names("#revoked", attr::REVOKED_AT)
        .expression_attribute_names("#mac", attr::MAC)
        .expression_attribute_values(":now", now.clone())
        .send()
        .await;
    applied(result)
}

/// Marks every key of the identity revoked, then the identity itself (which stops
/// `add_key`), then the keys once more, for a key added while the first pass ran. A failure
/// half-way leaves fewer working keys, never more, and running it again finishes the job.
/// `false` when there is no such identity.
pub async fn revoke_identity(
    store: &DynamoStore,
    identity: &IdentityId,
) -> Result<bool, DependencyError> {
    let now = s(Timestamp::now().to_string());
    revoke_keys_of(store, identity, &now).await?;
    let existed = mark_revoked(store, TableLayout::identity_key(identity), &now).await?;
    revoke_keys_of(store, identity, &now).await?;
    Ok(existed)
}

async fn revoke_keys_of(
    store: &DynamoStore,
    identity: &IdentityId,
    now: &AttributeValue,
) -> Result<(), DependencyError> {
    let keys = scan_all(
        store,
        "sk = :sk AND identityId = :id",
        vec![
            (":sk", s(TableLayout::KEY_SK)),
            (":id", s(identity.as_str())),
        ],
    )
    .await?;
    for key in keys {
        let pk = text(&key, TableLayout::PK)?.to_owned();
        mark_revoked(store, (pk, TableLayout::KEY_SK.to_owned()), now).await?;
    }
    Ok(())
}
