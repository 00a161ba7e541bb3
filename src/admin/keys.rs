//! API keys as the operator manages them: the MAC secret that makes key items trustworthy,
//! and adding, listing and revoking single keys of an identity without touching its
//! credentials. Only the SHA-256 of a key is ever stored.

use super::identities::{mark_revoked, scan_all};
use crate::auth::{ApiKey, IdentityId, KEY_MAC_SECRET_LEN, KeyGrant, KeyHash, KeyMac, Scope};
use crate::crypto::KeyProvider;
use crate::dependency::DependencyError;
use crate::domain::Timestamp;
use crate::store::DynamoStore;
use crate::store::dynamodb::item::{Item, b, key_item, s, text};
use crate::store::dynamodb::{applied, cancelled_by_condition, ddb_error};
use crate::store::layout::{TableLayout, attr};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};
use std::collections::HashMap;

/// The encryption context of the MAC secret's data key: no credential's context looks like
/// it. The generation is configured outside the table (`KEY_MAC_GENERATION`), so a table
/// writer who puts back an older wrapped secret makes it undecryptable, not trusted.
fn mac_context(generation: u32) -> HashMap<String, String> {
    HashMap::from([
        ("credvault:purpose".to_owned(), "key-mac".to_owned()),
        ("credvault:generation".to_owned(), generation.to_string()),
    ])
}

fn failed(detail: impl Into<String>) -> DependencyError {
    DependencyError::Failed {
        service: "DynamoDB",
        detail: detail.into(),
    }
}

/// Creates the MAC secret once (a fresh KMS data key, stored wrapped): for `setup-local` and
/// a new deployment. A second call keeps the first secret.
pub async fn ensure_key_mac_secret<K: KeyProvider>(
    store: &DynamoStore,
    keys: &K,
    generation: u32,
) -> Result<(), DependencyError> {
    if read_wrapped_secret(store, generation).await?.is_some() {
        return Ok(());
    }
    let data_key = keys.generate_data_key(&mac_context(generation)).await?;
    let mut item = key_item(TableLayout::key_mac_secret_key(generation));
    item.extend([
        ("ciphertext".to_owned(), b(&data_key.encrypted)),
        (attr::KMS_KEY_ID.to_owned(), s(&data_key.key_id)),
        (attr::CREATED_AT.to_owned(), s(Timestamp::now().to_string())),
    ]);
    let result = store
        .client()
        .put_item()
        .table_name(store.table())
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    // Lost a race to another operator: theirs stands, and is as good.
    applied(result).map(|_| ())
}

async fn read_wrapped_secret(
    store: &DynamoStore,
    generation: u32,
) -> Result<Option<Vec<u8>>, DependencyError> {
    let output = store
        .client()
        .get_item()
        .table_name(store.table())
        .set_key(Some(key_item(TableLayout::key_mac_secret_key(generation))))
        .consistent_read(true)
        .send()
        .await
        .map_err(ddb_error)?;
    Ok(output.item.and_then(|item| {
        item.get("ciphertext")
            .and_then(|v| v.as_b().ok())
            .map(|b| b.as_ref().to_vec())
    }))
}

/// Unwraps the MAC secret with KMS: once per cold start in the function, once per command in
/// the CLI. Fails when there is none (run `credvault setup-local` or the deploy's setup).
pub async fn load_key_mac<K: KeyProvider>(
    store: &DynamoStore,
    keys: &K,
    key_id: &str,
    generation: u32,
) -> Result<KeyMac, DependencyError> {
    let wrapped = read_wrapped_secret(store, generation)
        .await?
        .ok_or_else(|| failed("no key-MAC secret in the table; run `credvault setup`"))?;
    let secret = keys
        .decrypt_data_key(&wrapped, key_id, &mac_context(generation))
        .await
        .map_err(|e| failed(format!("cannot unwrap the key-MAC secret: {e}")))?;
    use secrecy::ExposeSecret;
    let secret: &[u8; KEY_MAC_SECRET_LEN] = secret.expose_secret();
    Ok(KeyMac::from_secret(secret))
}

/// A key item granting `scopes` of `identity`, tagged.
pub(super) fn key_item_for(
    mac: &KeyMac,
    hash: &KeyHash,
    identity: &IdentityId,
    scopes: &[Scope],
    created_at: &str,
) -> Item {
    let tag = mac.tag(&KeyGrant {
        hash,
        identity,
        scopes,
        created_at,
    });
    let mut item = key_item(TableLayout::api_key_key(hash));
    item.extend([
        (attr::IDENTITY_ID.to_owned(), s(identity.as_str())),
        (
            attr::SCOPES.to_owned(),
            AttributeValue::Ss(scopes.iter().map(|s| s.as_str().to_owned()).collect()),
        ),
        (attr::CREATED_AT.to_owned(), s(created_at)),
        (attr::MAC.to_owned(), b(&tag)),
    ]);
    item
}

/// Adds a key to a live identity (refused for a missing or revoked one), in one transaction
/// with that check. `key` pins the key; otherwise a random one is minted.
pub async fn add_key(
    store: &DynamoStore,
    mac: &KeyMac,
    identity: &IdentityId,
    scopes: &[Scope],
    key: Option<ApiKey>,
) -> Result<ApiKey, DependencyError> {
    let key = match key {
        Some(key) => key,
        None => ApiKey::generate().map_err(|_| failed("the system random generator failed"))?,
    };
    let now = Timestamp::now().to_string();
    let item = key_item_for(mac, &key.hash(), identity, scopes, &now);
    let live = ConditionCheck::builder()
        .table_name(store.table())
        .set_key(Some(key_item(TableLayout::identity_key(identity))))
        .condition_expression("attribute_exists(pk) AND attribute_not_exists(#revoked)")
        .expression_attribute_names("#revoked", attr::REVOKED_AT)
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let put = Put::builder()
        .table_name(store.table())
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let result = store
        .client()
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().condition_check(live).build())
        .transact_items(TransactWriteItem::builder().put(put).build())
        .send()
        .await;
    match result {
        Ok(_) => Ok(key),
        Err(e) if cancelled_by_condition(&e) => Err(failed(
            "no such live identity (missing or revoked), or the key is already registered",
        )),
        Err(e) => Err(ddb_error(e)),
    }
}

/// A key as the operator sees it: a short id (the first 12 hex digits of its hash), never
/// the key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeySummary {
    pub key_id: String,
    pub identity_id: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

const KEY_ID_LEN: usize = 12;

async fn identity_keys(
    store: &DynamoStore,
    identity: &IdentityId,
) -> Result<Vec<Item>, DependencyError> {
    scan_all(
        store,
        "sk = :sk AND identityId = :id",
        vec![
            (":sk", s(TableLayout::KEY_SK)),
            (":id", s(identity.as_str())),
        ],
    )
    .await
}

pub async fn list_keys(
    store: &DynamoStore,
    identity: &IdentityId,
) -> Result<Vec<KeySummary>, DependencyError> {
    let mut keys: Vec<KeySummary> = identity_keys(store, identity)
        .await?
        .iter()
        .map(|item| {
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
        })
        .collect::<Result<_, DependencyError>>()?;
    keys.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then(a.key_id.cmp(&b.key_id))
    });
    Ok(keys)
}

/// Revokes the key of `identity` whose id is `key_id`; `false` when it has none such.
pub async fn revoke_key(
    store: &DynamoStore,
    identity: &IdentityId,
    key_id: &str,
) -> Result<bool, DependencyError> {
    let now = s(Timestamp::now().to_string());
    let wanted = format!("KEY#{key_id}");
    let matching: Vec<String> = identity_keys(store, identity)
        .await?
        .iter()
        .filter_map(|item| text(item, TableLayout::PK).ok().map(str::to_owned))
        .filter(|pk| key_id.len() >= KEY_ID_LEN && pk.starts_with(&wanted))
        .collect();
    let [pk] = matching.as_slice() else {
        return Ok(false);
    };
    mark_revoked(store, (pk.clone(), TableLayout::KEY_SK.to_owned()), &now).await
}
