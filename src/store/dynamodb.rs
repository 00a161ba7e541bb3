//! The DynamoDB adapter. One table, two string keys `pk` / `sk`:
//!
//! | item        | pk                  | sk             |
//! |-------------|---------------------|----------------|
//! | credential  | `ID#<identity>`     | `CRED#<name>`  |
//! | identity    | `ID#<identity>`     | `IDENTITY`     |
//! | API key     | `KEY#<sha256 hex>`  | `KEY`          |
//! | rate count  | `RATE#<identity>`   | `<unix minute>`|

use super::{CredentialInfo, CredentialRecord, CredentialStore, PutOutcome};
use crate::auth::{IdentityId, KeyDirectory, KeyHash, Principal, Scope};
use crate::crypto::{Envelope, NONCE_LEN};
use crate::dependency::DependencyError;
use crate::domain::{CredentialName, CredentialType, Timestamp};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ScalarAttributeType,
};
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

/// Attribute names and key shapes of the table, in one place for the adapter, the admin
/// commands and the tests that read items raw.
pub struct TableLayout;

impl TableLayout {
    pub const PK: &'static str = "pk";
    pub const SK: &'static str = "sk";

    pub const CREDENTIAL_PREFIX: &'static str = "CRED#";

    pub fn credential_key(identity: &IdentityId, name: &CredentialName) -> (String, String) {
        (
            Self::identity_pk(identity),
            format!("{}{name}", Self::CREDENTIAL_PREFIX),
        )
    }

    pub fn identity_pk(identity: &IdentityId) -> String {
        format!("ID#{identity}")
    }

    /// The attribute the table's TTL reads: counters remove themselves.
    pub const TTL: &'static str = "ttl";

    pub fn rate_key(identity: &IdentityId, window: u64) -> (String, String) {
        (format!("RATE#{identity}"), window.to_string())
    }

    pub fn api_key_key(hash: &KeyHash) -> (String, String) {
        (format!("KEY#{}", hash.as_str()), "KEY".to_owned())
    }
}

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn b(bytes: &[u8]) -> AttributeValue {
    AttributeValue::B(Blob::new(bytes))
}

fn key_item((pk, sk): (String, String)) -> Item {
    HashMap::from([
        (TableLayout::PK.to_owned(), s(pk)),
        (TableLayout::SK.to_owned(), s(sk)),
    ])
}

fn ddb_error<E, R>(err: aws_sdk_dynamodb::error::SdkError<E, R>) -> DependencyError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    DependencyError::from_sdk("DynamoDB", err)
}

fn malformed(what: &str) -> DependencyError {
    DependencyError::Failed {
        service: "DynamoDB",
        detail: format!("malformed item: {what}"),
    }
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the table (on-demand) unless it exists: for `make dev` and the tests. A
    /// deployed table comes from `template.yaml`.
    pub async fn ensure_table(&self) -> Result<(), DependencyError> {
        if self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .is_ok()
        {
            return Ok(());
        }
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let key = |name: &str, kind| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
        };
        self.client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute(TableLayout::PK).map_err(build_error)?)
            .attribute_definitions(attribute(TableLayout::SK).map_err(build_error)?)
            .key_schema(key(TableLayout::PK, KeyType::Hash).map_err(build_error)?)
            .key_schema(key(TableLayout::SK, KeyType::Range).map_err(build_error)?)
            .send()
            .await
            .map_err(ddb_error)?;
        Ok(())
    }

    /// Records an identity and one API key for it, by the key's hash only.
    pub async fn register_identity(
        &self,
        identity: &IdentityId,
        display_name: &str,
        scopes: &[Scope],
        key: &KeyHash,
    ) -> Result<(), DependencyError> {
        let now = Timestamp::now().to_string();
        let mut identity_item = key_item((TableLayout::identity_pk(identity), "IDENTITY".into()));
        identity_item.insert("identityId".into(), s(identity.as_str()));
        identity_item.insert("name".into(), s(display_name));
        identity_item.insert("createdAt".into(), s(now.clone()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(identity_item))
            .send()
            .await
            .map_err(ddb_error)?;

        let mut key_record = key_item(TableLayout::api_key_key(key));
        key_record.insert("identityId".into(), s(identity.as_str()));
        key_record.insert(
            "scopes".into(),
            AttributeValue::Ss(
                scopes
                    .iter()
                    .map(|scope| scope.as_str().to_owned())
                    .collect(),
            ),
        );
        key_record.insert("createdAt".into(), s(now));
        // A key registers once: a second identity never inherits (or takes over) a hash.
        let registered = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key_record))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match registered {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Err(DependencyError::Failed {
                service: "DynamoDB",
                detail: "this API key is already registered".into(),
            }),
            Err(e) => Err(ddb_error(e)),
        }
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

impl DynamoStore {
    /// Every item matching `filter`, across all scan pages: an operator's task, never the
    /// function's (its role may not scan).
    async fn scan_all(
        &self,
        filter: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<Vec<Item>, DependencyError> {
        let mut scan = self
            .client
            .scan()
            .table_name(&self.table)
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

    pub async fn list_identities(&self) -> Result<Vec<IdentitySummary>, DependencyError> {
        let identities = self
            .scan_all("sk = :sk", vec![(":sk", s("IDENTITY"))])
            .await?;
        let keys = self.scan_all("sk = :sk", vec![(":sk", s("KEY"))]).await?;
        let mut summaries: Vec<IdentitySummary> = identities
            .iter()
            .map(|item| {
                let id = text(item, "identityId")?.to_owned();
                let own: Vec<&Item> = keys
                    .iter()
                    .filter(|k| text(k, "identityId").ok() == Some(id.as_str()))
                    .collect();
                Ok(IdentitySummary {
                    name: text(item, "name").unwrap_or_default().to_owned(),
                    created_at: text(item, "createdAt").unwrap_or_default().to_owned(),
                    revoked_at: text(item, "revokedAt").ok().map(str::to_owned),
                    keys: own.len(),
                    active_keys: own.iter().filter(|k| !k.contains_key("revokedAt")).count(),
                    identity_id: id,
                })
            })
            .collect::<Result<_, DependencyError>>()?;
        summaries.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then(a.identity_id.cmp(&b.identity_id))
        });
        Ok(summaries)
    }

    /// Marks the identity and every key of it revoked; key lookups read strongly consistent,
    /// so the keys stop working from the next request. `false` when there is no such identity.
    pub async fn revoke_identity(&self, identity: &IdentityId) -> Result<bool, DependencyError> {
        let now = s(Timestamp::now().to_string());
        let marked = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item((
                TableLayout::identity_pk(identity),
                "IDENTITY".into(),
            ))))
            .update_expression("SET revokedAt = if_not_exists(revokedAt, :now)")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", now.clone())
            .send()
            .await;
        match marked {
            Ok(_) => {}
            Err(e) if is_condition_failure(&e) => return Ok(false),
            Err(e) => return Err(ddb_error(e)),
        }
        let keys = self
            .scan_all(
                "sk = :sk AND identityId = :id",
                vec![(":sk", s("KEY")), (":id", s(identity.as_str()))],
            )
            .await?;
        for key in keys {
            let pk = text(&key, TableLayout::PK)?.to_owned();
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key_item((pk, "KEY".into()))))
                .update_expression("SET revokedAt = if_not_exists(revokedAt, :now)")
                .expression_attribute_values(":now", now.clone())
                .send()
                .await
                .map_err(ddb_error)?;
        }
        Ok(true)
    }
}

fn build_error(err: aws_sdk_dynamodb::error::BuildError) -> DependencyError {
    DependencyError::Failed {
        service: "DynamoDB",
        detail: err.to_string(),
    }
}

impl CredentialStore for DynamoStore {
    async fn put(&self, record: &CredentialRecord) -> Result<PutOutcome, DependencyError> {
        // No condition expression: a same-name write replaces the old item whole, and
        // ALL_OLD tells us whether there was one.
        let output = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(record_to_item(record)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(ddb_error)?;
        Ok(match output.attributes {
            Some(old) if !old.is_empty() => PutOutcome::Replaced,
            _ => PutOutcome::Created,
        })
    }

    async fn put_if_unchanged(
        &self,
        record: &CredentialRecord,
        expected: &[u8; NONCE_LEN],
    ) -> Result<bool, DependencyError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(record_to_item(record)))
            .condition_expression("nonce = :expected")
            .expression_attribute_values(":expected", b(expected))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(ddb_error(e)),
        }
    }

    async fn get(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
    ) -> Result<Option<CredentialRecord>, DependencyError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::credential_key(identity, name))))
            .consistent_read(true)
            .send()
            .await
            .map_err(ddb_error)?;
        output.item.as_ref().map(record_from_item).transpose()
    }

    async fn list(&self, identity: &IdentityId) -> Result<Vec<CredentialInfo>, DependencyError> {
        // Every page, not just the first: an identity's items can pass the 1 MB page size.
        // Only plaintext fields come back; sort keys keep the pages in name order.
        let pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(TableLayout::identity_pk(identity)))
            .expression_attribute_values(":prefix", s(TableLayout::CREDENTIAL_PREFIX))
            .projection_expression(INFO_PROJECTION)
            .expression_attribute_names("#type", "type")
            .expression_attribute_names("#name", "name")
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(ddb_error)?;
        pages.iter().map(info_from_item).collect()
    }

    async fn delete(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
    ) -> Result<bool, DependencyError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::credential_key(identity, name))))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(ddb_error)?;
        Ok(output.attributes.is_some_and(|old| !old.is_empty()))
    }

    async fn touch(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
        credential_id: &str,
        at: Timestamp,
    ) -> Result<(), DependencyError> {
        // The condition fails on a missing item too, so an update never creates one.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::credential_key(identity, name))))
            .update_expression("SET lastUsedAt = :at")
            .condition_expression("credentialId = :id")
            .expression_attribute_values(":at", s(at.to_string()))
            .expression_attribute_values(":id", s(credential_id))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(ddb_error(e)),
        }
    }
}

/// The attributes a listing needs: everything but the envelope.
const INFO_PROJECTION: &str =
    "#name, credentialId, #type, metadata, expiresAt, createdAt, lastUsedAt, lastRotatedAt";

fn is_condition_failure<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

impl KeyDirectory for DynamoStore {
    async fn principal_for(&self, key: &KeyHash) -> Result<Option<Principal>, DependencyError> {
        // Strongly consistent, so a revocation applies from the next request on.
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::api_key_key(key))))
            .consistent_read(true)
            .send()
            .await
            .map_err(ddb_error)?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        if item.contains_key("revokedAt") {
            return Ok(None);
        }
        let identity = item
            .get("identityId")
            .and_then(|v| v.as_s().ok())
            .and_then(|raw| IdentityId::parse(raw))
            .ok_or_else(|| malformed("key without identityId"))?;
        let scopes = item
            .get("scopes")
            .and_then(|v| v.as_ss().ok())
            .map(|raw| raw.iter().filter_map(|s| Scope::parse(s)).collect())
            .unwrap_or_default();
        Ok(Some(Principal { identity, scopes }))
    }

    async fn count_request(
        &self,
        identity: &IdentityId,
        window: u64,
    ) -> Result<u64, DependencyError> {
        // A fixed window: one atomic ADD per request. The item outlives its minute by an hour
        // and then the table's TTL removes it.
        let expires = (window + 61) * 60;
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::rate_key(identity, window))))
            .update_expression("ADD requests :one SET #ttl = if_not_exists(#ttl, :expires)")
            .expression_attribute_names("#ttl", TableLayout::TTL)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(ddb_error)?;
        output
            .attributes
            .as_ref()
            .and_then(|a| a.get("requests"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| malformed("requests"))
    }
}

pub fn record_to_item(record: &CredentialRecord) -> Item {
    let (info, envelope) = (&record.info, &record.envelope);
    let mut item = key_item(TableLayout::credential_key(&record.identity, &info.name));
    item.extend([
        ("identityId".to_owned(), s(record.identity.as_str())),
        ("name".to_owned(), s(info.name.as_str())),
        ("credentialId".to_owned(), s(&info.credential_id)),
        ("type".to_owned(), s(info.kind.as_str())),
        ("createdAt".to_owned(), s(info.created_at.to_string())),
        (
            "formatVersion".to_owned(),
            AttributeValue::N(envelope.format_version.to_string()),
        ),
        ("kmsKeyId".to_owned(), s(&envelope.key_id)),
        (
            "encryptedDataKey".to_owned(),
            b(&envelope.encrypted_data_key),
        ),
        ("nonce".to_owned(), b(&envelope.nonce)),
        ("ciphertext".to_owned(), b(&envelope.ciphertext)),
    ]);
    if let Some(metadata) = &info.metadata {
        // JSON text keeps numbers, nulls and key order exactly as the caller sent them.
        item.insert(
            "metadata".to_owned(),
            s(serde_json::Value::Object(metadata.clone()).to_string()),
        );
    }
    for (attribute, value) in [
        ("expiresAt", info.expires_at),
        ("lastUsedAt", info.last_used_at),
        ("lastRotatedAt", info.last_rotated_at),
    ] {
        if let Some(value) = value {
            item.insert(attribute.to_owned(), s(value.to_string()));
        }
    }
    item
}

fn text<'a>(item: &'a Item, name: &str) -> Result<&'a str, DependencyError> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| malformed(name))
}

fn optional_timestamp(item: &Item, name: &str) -> Result<Option<Timestamp>, DependencyError> {
    match item.get(name) {
        None => Ok(None),
        Some(_) => Timestamp::parse(text(item, name)?)
            .map(Some)
            .ok_or_else(|| malformed(name)),
    }
}

/// The plaintext half of a credential item.
pub fn info_from_item(item: &Item) -> Result<CredentialInfo, DependencyError> {
    let metadata = match item.get("metadata") {
        None => None,
        Some(value) => match value.as_s().ok().map(|raw| serde_json::from_str(raw)) {
            Some(Ok(serde_json::Value::Object(map))) => Some(map),
            _ => return Err(malformed("metadata")),
        },
    };
    Ok(CredentialInfo {
        name: CredentialName::parse(text(item, "name")?).map_err(|_| malformed("name"))?,
        credential_id: text(item, "credentialId")?.to_owned(),
        kind: CredentialType::parse(text(item, "type")?).ok_or_else(|| malformed("type"))?,
        metadata,
        expires_at: optional_timestamp(item, "expiresAt")?,
        created_at: optional_timestamp(item, "createdAt")?.ok_or_else(|| malformed("createdAt"))?,
        last_used_at: optional_timestamp(item, "lastUsedAt")?,
        last_rotated_at: optional_timestamp(item, "lastRotatedAt")?,
    })
}

pub fn record_from_item(item: &Item) -> Result<CredentialRecord, DependencyError> {
    let bytes = |name: &str| -> Result<&[u8], DependencyError> {
        item.get(name)
            .and_then(|v| v.as_b().ok())
            .map(Blob::as_ref)
            .ok_or_else(|| malformed(name))
    };
    Ok(CredentialRecord {
        identity: IdentityId::parse(text(item, "identityId")?)
            .ok_or_else(|| malformed("identityId"))?,
        info: info_from_item(item)?,
        envelope: Envelope {
            format_version: item
                .get("formatVersion")
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| malformed("formatVersion"))?,
            key_id: text(item, "kmsKeyId")?.to_owned(),
            encrypted_data_key: bytes("encryptedDataKey")?.to_vec(),
            nonce: bytes("nonce")?.try_into().map_err(|_| malformed("nonce"))?,
            ciphertext: bytes("ciphertext")?.to_vec(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> CredentialRecord {
        CredentialRecord {
            identity: IdentityId::parse("idt_alice").unwrap(),
            info: CredentialInfo {
                name: CredentialName::parse("stripe").unwrap(),
                credential_id: "cred_1".into(),
                kind: CredentialType::ApiKey,
                metadata: json!({"service": "stripe", "port": 5432, "none": null})
                    .as_object()
                    .cloned(),
                expires_at: Timestamp::parse("2030-01-01T00:00:00Z"),
                created_at: Timestamp::parse("2026-03-29T03:00:00Z").unwrap(),
                last_used_at: Timestamp::parse("2026-04-01T00:00:00Z"),
                last_rotated_at: None,
            },
            envelope: Envelope {
                format_version: 1,
                key_id: "arn:aws:kms:us-east-1:123456789012:key/k".into(),
                encrypted_data_key: vec![1, 2, 3],
                nonce: [7; 12],
                ciphertext: vec![9; 40],
            },
        }
    }

    #[test]
    fn an_item_round_trips_and_holds_no_plaintext_data_attribute() {
        let item = record_to_item(&record());
        assert_eq!(item["pk"].as_s().unwrap(), "ID#idt_alice");
        assert_eq!(item["sk"].as_s().unwrap(), "CRED#stripe");
        assert!(!item.contains_key("data"));
        assert_eq!(record_from_item(&item).unwrap(), record());
    }

    #[test]
    fn optional_fields_are_absent_not_null() {
        let mut bare = record();
        (
            bare.info.metadata,
            bare.info.expires_at,
            bare.info.last_used_at,
        ) = (None, None, None);
        let item = record_to_item(&bare);
        for absent in ["metadata", "expiresAt", "lastUsedAt", "lastRotatedAt"] {
            assert!(!item.contains_key(absent), "{absent}");
        }
        assert_eq!(record_from_item(&item).unwrap(), bare);
    }

    #[test]
    fn a_damaged_item_is_an_error_not_a_panic() {
        for attribute in [
            "type",
            "nonce",
            "createdAt",
            "identityId",
            "formatVersion",
            "lastUsedAt",
        ] {
            let mut item = record_to_item(&record());
            item.insert(attribute.into(), AttributeValue::S("🙃".into()));
            assert!(record_from_item(&item).is_err(), "{attribute}");
        }
    }
}
