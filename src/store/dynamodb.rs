//! The DynamoDB adapter. One table, two string keys `pk` / `sk`:
//!
//! | item        | pk                  | sk             |
//! |-------------|---------------------|----------------|
//! | credential  | `ID#<identity>`     | `CRED#<name>`  |
//! | identity    | `ID#<identity>`     | `IDENTITY`     |
//! | API key     | `KEY#<sha256 hex>`  | `KEY`          |

use super::{CredentialRecord, CredentialStore, PutOutcome};
use crate::auth::{IdentityId, KeyDirectory, KeyHash, Principal, Scope};
use crate::crypto::Envelope;
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

    pub fn credential_key(identity: &IdentityId, name: &CredentialName) -> (String, String) {
        (Self::identity_pk(identity), format!("CRED#{name}"))
    }

    pub fn identity_pk(identity: &IdentityId) -> String {
        format!("ID#{identity}")
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
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key_record))
            .send()
            .await
            .map_err(ddb_error)?;
        Ok(())
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
}

pub fn record_to_item(record: &CredentialRecord) -> Item {
    let envelope = &record.envelope;
    let mut item = key_item(TableLayout::credential_key(&record.identity, &record.name));
    item.extend([
        ("identityId".to_owned(), s(record.identity.as_str())),
        ("name".to_owned(), s(record.name.as_str())),
        ("credentialId".to_owned(), s(&record.credential_id)),
        ("type".to_owned(), s(record.kind.as_str())),
        ("createdAt".to_owned(), s(record.created_at.to_string())),
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
    if let Some(metadata) = &record.metadata {
        // JSON text keeps numbers, nulls and key order exactly as the caller sent them.
        item.insert(
            "metadata".to_owned(),
            s(serde_json::Value::Object(metadata.clone()).to_string()),
        );
    }
    if let Some(expires_at) = record.expires_at {
        item.insert("expiresAt".to_owned(), s(expires_at.to_string()));
    }
    item
}

pub fn record_from_item(item: &Item) -> Result<CredentialRecord, DependencyError> {
    let text = |name: &str| -> Result<&str, DependencyError> {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
            .ok_or_else(|| malformed(name))
    };
    let bytes = |name: &str| -> Result<&[u8], DependencyError> {
        item.get(name)
            .and_then(|v| v.as_b().ok())
            .map(Blob::as_ref)
            .ok_or_else(|| malformed(name))
    };
    let timestamp = |name: &str| Timestamp::parse(text(name)?).ok_or_else(|| malformed(name));
    let metadata = match item.get("metadata") {
        None => None,
        Some(value) => match value.as_s().ok().map(|raw| serde_json::from_str(raw)) {
            Some(Ok(serde_json::Value::Object(map))) => Some(map),
            _ => return Err(malformed("metadata")),
        },
    };
    Ok(CredentialRecord {
        identity: IdentityId::parse(text("identityId")?).ok_or_else(|| malformed("identityId"))?,
        name: CredentialName::parse(text("name")?).map_err(|_| malformed("name"))?,
        credential_id: text("credentialId")?.to_owned(),
        kind: CredentialType::parse(text("type")?).ok_or_else(|| malformed("type"))?,
        metadata,
        expires_at: if item.contains_key("expiresAt") {
            Some(timestamp("expiresAt")?)
        } else {
            None
        },
        created_at: timestamp("createdAt")?,
        envelope: Envelope {
            format_version: item
                .get("formatVersion")
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| malformed("formatVersion"))?,
            key_id: text("kmsKeyId")?.to_owned(),
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
            name: CredentialName::parse("stripe").unwrap(),
            credential_id: "cred_1".into(),
            kind: CredentialType::ApiKey,
            metadata: json!({"service": "stripe", "port": 5432, "none": null})
                .as_object()
                .cloned(),
            expires_at: Timestamp::parse("2030-01-01T00:00:00Z"),
            created_at: Timestamp::parse("2026-03-29T03:00:00Z").unwrap(),
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
        let bare = CredentialRecord {
            metadata: None,
            expires_at: None,
            ..record()
        };
        let item = record_to_item(&bare);
        assert!(!item.contains_key("metadata") && !item.contains_key("expiresAt"));
        assert_eq!(record_from_item(&item).unwrap(), bare);
    }

    #[test]
    fn a_damaged_item_is_an_error_not_a_panic() {
        for attribute in ["type", "nonce", "createdAt", "identityId", "formatVersion"] {
            let mut item = record_to_item(&record());
            item.insert(attribute.into(), AttributeValue::S("🙃".into()));
            assert!(record_from_item(&item).is_err(), "{attribute}");
        }
    }
}
