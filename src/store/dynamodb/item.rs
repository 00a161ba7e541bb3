//! The item codec: credentials to DynamoDB attribute maps and back. Crate-private; tests
//! reach it through `credvault::testing`.

use super::layout::{TableLayout, attr};

use crate::crypto::Envelope;
use crate::dependency::DependencyError;
use crate::domain::{CredentialName, CredentialType, IdentityId, Metadata, Timestamp, UsePolicy};
use crate::store::{CredentialInfo, CredentialRecord};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn b(bytes: &[u8]) -> AttributeValue {
    AttributeValue::B(Blob::new(bytes))
}

pub fn n(number: impl ToString) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

pub fn key_item((pk, sk): (String, String)) -> Item {
    HashMap::from([
        (TableLayout::PK.to_owned(), s(pk)),
        (TableLayout::SK.to_owned(), s(sk)),
    ])
}

pub fn malformed(what: &str) -> DependencyError {
    DependencyError::Failed {
        service: "DynamoDB",
        detail: format!("malformed item: {what}"),
    }
}

pub fn text<'a>(item: &'a Item, name: &str) -> Result<&'a str, DependencyError> {
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

fn bytes<'a>(item: &'a Item, name: &str) -> Result<&'a [u8], DependencyError> {
    item.get(name)
        .and_then(|v| v.as_b().ok())
        .map(Blob::as_ref)
        .ok_or_else(|| malformed(name))
}

/// The credential item: the envelope and every field bound to it. `lastUsedAt` is not one
/// of them; it lives on the summary, so recording a use never rewrites this (large) item.
pub fn record_to_item(record: &CredentialRecord) -> Item {
    let (info, envelope) = (&record.info, &record.envelope);
    let mut item = key_item(TableLayout::credential_key(&record.identity, &info.name));
    item.extend(plaintext_attributes(&record.identity, info));
    item.extend([
        (attr::FORMAT_VERSION.to_owned(), n(envelope.format_version)),
        (attr::KMS_KEY_ID.to_owned(), s(&envelope.key_id)),
        (
            attr::ENCRYPTED_DATA_KEY.to_owned(),
            b(&envelope.encrypted_data_key),
        ),
        (attr::NONCE.to_owned(), b(&envelope.nonce)),
        (attr::CIPHERTEXT.to_owned(), b(&envelope.ciphertext)),
    ]);
    item
}

/// The summary item: what a listing shows, `lastUsedAt` included, and no envelope.
pub fn summary_to_item(identity: &IdentityId, info: &CredentialInfo) -> Item {
    let mut item = key_item(TableLayout::summary_key(identity, &info.name));
    item.extend(plaintext_attributes(identity, info));
    if let Some(used) = info.last_used_at {
        item.insert(attr::LAST_USED_AT.to_owned(), s(used.to_string()));
    }
    item
}

fn plaintext_attributes(identity: &IdentityId, info: &CredentialInfo) -> Item {
    let mut item = Item::from([
        (attr::IDENTITY_ID.to_owned(), s(identity.as_str())),
        (attr::NAME.to_owned(), s(info.name.as_str())),
        (attr::CREDENTIAL_ID.to_owned(), s(&info.credential_id)),
        (attr::TYPE.to_owned(), s(info.kind.as_str())),
        (attr::CREATED_AT.to_owned(), s(info.created_at.to_string())),
    ]);
    if let Some(metadata) = &info.metadata {
        // The text as the caller sent it (compacted), which the envelope binds byte for byte.
        item.insert(attr::METADATA.to_owned(), s(metadata.as_str()));
    }
    if let Some(policy) = &info.use_policy {
        // Its canonical text, which the envelope binds.
        item.insert(attr::USE_POLICY.to_owned(), s(policy.canonical()));
    }
    for (attribute, value) in [
        (attr::EXPIRES_AT, info.expires_at),
        (attr::LAST_ROTATED_AT, info.last_rotated_at),
    ] {
        if let Some(value) = value {
            item.insert(attribute.to_owned(), s(value.to_string()));
        }
    }
    item
}

/// The credential item read with its summary: `lastUsedAt` comes from the summary when it
/// describes this very credential (same id), else from the item itself (items written
/// before summaries existed kept it there). A damaged summary is passed over: the read
/// answers from its authenticated item, and the caller reports the summary.
pub fn record_with_summary(
    item: &Item,
    summary: Option<&Item>,
) -> Result<CredentialRecord, DependencyError> {
    let mut record = record_from_item(item)?;
    let last_use = summary
        .filter(|summary| {
            text(summary, attr::CREDENTIAL_ID).is_ok_and(|id| id == record.info.credential_id)
        })
        .and_then(|summary| optional_timestamp(summary, attr::LAST_USED_AT).ok());
    if let Some(last_use) = last_use {
        record.info.last_used_at = last_use;
    }
    Ok(record)
}

/// The plaintext half of a credential item.
pub fn info_from_item(item: &Item) -> Result<CredentialInfo, DependencyError> {
    let metadata = match item.get(attr::METADATA) {
        None => None,
        Some(value) => match value.as_s().ok().cloned().and_then(Metadata::from_stored) {
            Some(metadata) => Some(metadata),
            None => return Err(malformed(attr::METADATA)),
        },
    };
    let use_policy = match item.get(attr::USE_POLICY) {
        None => None,
        Some(value) => match value.as_s().ok().and_then(|t| UsePolicy::from_stored(t)) {
            Some(policy) => Some(policy),
            None => return Err(malformed(attr::USE_POLICY)),
        },
    };
    Ok(CredentialInfo {
        name: CredentialName::parse(text(item, attr::NAME)?).map_err(|_| malformed(attr::NAME))?,
        credential_id: text(item, attr::CREDENTIAL_ID)?.to_owned(),
        kind: CredentialType::parse(text(item, attr::TYPE)?)
            .ok_or_else(|| malformed(attr::TYPE))?,
        metadata,
        expires_at: optional_timestamp(item, attr::EXPIRES_AT)?,
        created_at: optional_timestamp(item, attr::CREATED_AT)?
            .ok_or_else(|| malformed(attr::CREATED_AT))?,
        last_used_at: optional_timestamp(item, attr::LAST_USED_AT)?,
        last_rotated_at: optional_timestamp(item, attr::LAST_ROTATED_AT)?,
        use_policy,
    })
}

pub fn record_from_item(item: &Item) -> Result<CredentialRecord, DependencyError> {
    Ok(CredentialRecord {
        identity: IdentityId::parse(text(item, attr::IDENTITY_ID)?)
            .ok_or_else(|| malformed(attr::IDENTITY_ID))?,
        info: info_from_item(item)?,
        envelope: Envelope {
            format_version: item
                .get(attr::FORMAT_VERSION)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| malformed(attr::FORMAT_VERSION))?,
            key_id: text(item, attr::KMS_KEY_ID)?.to_owned(),
            encrypted_data_key: bytes(item, attr::ENCRYPTED_DATA_KEY)?.to_vec(),
            nonce: bytes(item, attr::NONCE)?
                .try_into()
                .map_err(|_| malformed(attr::NONCE))?,
            ciphertext: bytes(item, attr::CIPHERTEXT)?.to_vec(),
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
                metadata: Metadata::from_stored(
                    json!({"service": "stripe", "port": 5432, "none": null}).to_string(),
                ),
                expires_at: Timestamp::parse("2030-01-01T00:00:00Z"),
                created_at: Timestamp::parse("2026-03-29T03:00:00Z").unwrap(),
                last_used_at: Timestamp::parse("2026-04-01T00:00:00Z"),
                last_rotated_at: None,
                use_policy: None,
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
        let summary = summary_to_item(&record().identity, &record().info);
        assert_eq!(
            record_with_summary(&item, Some(&summary)).unwrap(),
            record()
        );
    }

    #[test]
    fn the_summary_holds_no_envelope_and_lists_as_the_credential() {
        let summary = summary_to_item(&record().identity, &record().info);
        assert_eq!(summary["sk"].as_s().unwrap(), "INFO#stripe");
        for absent in ["ciphertext", "encryptedDataKey", "nonce", "data"] {
            assert!(!summary.contains_key(absent), "{absent}");
        }
        assert_eq!(info_from_item(&summary).unwrap(), record().info);
    }

    #[test]
    fn a_summary_of_another_credential_gives_no_last_use() {
        // GIVEN a summary left by the credential this name held before
        let mut summary = summary_to_item(&record().identity, &record().info);
        summary.insert("credentialId".into(), s("cred_old"));
        // WHEN the current credential is read with it
        let read = record_with_summary(&record_to_item(&record()), Some(&summary)).unwrap();
        // THEN the old credential's last use is not reported as this one's
        assert_eq!(read.info.last_used_at, None);
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
        let summary = summary_to_item(&bare.identity, &bare.info);
        for absent in ["metadata", "expiresAt", "lastUsedAt", "lastRotatedAt"] {
            assert!(!item.contains_key(absent), "{absent}");
            assert!(!summary.contains_key(absent), "{absent}");
        }
        assert_eq!(record_with_summary(&item, Some(&summary)).unwrap(), bare);
    }

    #[test]
    fn a_damaged_item_is_an_error_not_a_panic() {
        for attribute in ["type", "nonce", "createdAt", "identityId", "formatVersion"] {
            let mut item = record_to_item(&record());
            item.insert(attribute.into(), AttributeValue::S("🙃".into()));
            assert!(record_from_item(&item).is_err(), "{attribute}");
        }
    }

    #[test]
    fn a_damaged_summary_is_passed_over_and_the_item_answers() {
        let item = record_to_item(&record());
        let from_item_alone = record_from_item(&item).unwrap();
        let damages: [fn(&mut Item); 3] = [
            |summary| {
                summary.insert("lastUsedAt".into(), AttributeValue::S("🙃".into()));
            },
            |summary| {
                summary.remove("credentialId");
            },
            |summary| {
                summary.insert("credentialId".into(), AttributeValue::N("7".into()));
            },
        ];
        for damage in damages {
            let mut summary = summary_to_item(&record().identity, &record().info);
            summary.insert("lastUsedAt".into(), s("2026-05-01T00:00:00Z"));
            damage(&mut summary);
            let read = record_with_summary(&item, Some(&summary)).unwrap();
            assert_eq!(read, from_item_alone);
        }
    }
}
