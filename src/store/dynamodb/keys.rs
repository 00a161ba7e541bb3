//! API key items: the one codec that writes them (tagged with the key MAC) and reads them
//! (verifying it), the lookup every request makes, and the writes that add, rewrite and
//! revoke a key with an identity's record of it (`KEYREF#`, see `key_records`).

use super::item::{Item, b, key_item, malformed, s, text};
use super::layout::{TableLayout, attr};
use super::{DynamoStore, build_error, ddb_error};
use crate::auth::{KeyGrant, KeyHash, KeyMac, Principal};
use crate::dependency::DependencyError;
use crate::domain::{IdentityId, KeyLimits, OrgId, Scope, Subject, Timestamp};
use crate::store::KeyRecord;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};

const PLATFORM: &str = "platform";
/// A revocation: `revokedAt` set once, and the tag dropped so that deleting the mark later
/// revives nothing.
pub(super) const REVOKE: &str = "SET #revoked = if_not_exists(#revoked, :now) REMOVE #mac";

/// A string set, or nothing: DynamoDB refuses an empty set.
pub(super) fn scope_set(item: &mut Item, scopes: &[Scope]) {
    if !scopes.is_empty() {
        let names = scopes.iter().map(|s| s.as_str().to_owned()).collect();
        item.insert(attr::SCOPES.to_owned(), AttributeValue::Ss(names));
    }
}

/// The scopes of an item, in their own order (a set comes back in any).
pub(super) fn scopes_of(item: &Item) -> Vec<Scope> {
    let mut scopes: Vec<Scope> = item
        .get(attr::SCOPES)
        .and_then(|v| v.as_ss().ok())
        .map(|raw| raw.iter().filter_map(|s| Scope::parse(s)).collect())
        .unwrap_or_default();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// The item of `key`, tagged under `mac`.
pub(super) fn key_to_item(mac: &KeyMac, key: &KeyRecord) -> Item {
    let created_at = key.created_at.to_string();
    let limits = limits_text(&key.limits);
    let tag = mac.tag(&KeyGrant {
        hash: &key.hash,
        subject: &key.subject,
        scopes: &key.scopes,
        created_at: &created_at,
        limits: &limits,
    });
    let mut item = key_item(TableLayout::api_key_key(&key.hash));
    match &key.subject {
        Subject::Identity(identity) => {
            item.insert(attr::IDENTITY_ID.to_owned(), s(identity.as_str()));
        }
        Subject::Org(org) => {
            item.insert(attr::ORG_ID.to_owned(), s(org.as_str()));
            item.insert(attr::KIND.to_owned(), s(PLATFORM));
        }
    }
    scope_set(&mut item, &key.scopes);
    if !limits.is_empty() {
        item.insert(attr::LIMITS.to_owned(), s(&limits));
    }
    item.extend([
        (attr::CREATED_AT.to_owned(), s(created_at)),
        (attr::MAC.to_owned(), b(&tag)),
    ]);
    item
}

/// The text a key's limits are stored and tagged as; empty for a key without any.
fn limits_text(limits: &KeyLimits) -> String {
    match limits.is_unlimited() {
        true => String::new(),
        false => limits.canonical(),
    }
}

/// The owner's record of its key: what its key list shows, and where the key item is.
fn keyref_item(key: &KeyRecord) -> Item {
    let mut item = key_item(TableLayout::keyref_key(&key.subject, &key.hash));
    item.extend([
        (attr::KEY_HASH.to_owned(), s(key.hash.as_str())),
        (attr::CREATED_AT.to_owned(), s(key.created_at.to_string())),
        (attr::KEY_PREFIX.to_owned(), s(&key.shown_prefix)),
    ]);
    scope_set(&mut item, &key.scopes);
    let limits = limits_text(&key.limits);
    if !limits.is_empty() {
        item.insert(attr::LIMITS.to_owned(), s(limits));
    }
    item
}

/// Who a key item names: its identity, or a platform key's organisation.
fn subject_of(item: &Item) -> Result<Subject, DependencyError> {
    let platform = text(item, attr::KIND).is_ok_and(|kind| kind == PLATFORM);
    let subject = match platform {
        true => text(item, attr::ORG_ID)
            .ok()
            .and_then(OrgId::parse)
            .map(Subject::Org),
        false => text(item, attr::IDENTITY_ID)
            .ok()
            .and_then(IdentityId::parse)
            .map(Subject::Identity),
    };
    subject.ok_or_else(|| malformed("key without its subject"))
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
    let subject = subject_of(item)?;
    if subject.kind() != hash.kind() {
        // An item under one kind's prefix naming the other kind's subject: never written by
        // credvault.
        tracing::error!(target: "credvault::integrity", "key item of the wrong kind; refused");
        return Ok(None);
    }
    let scopes = scopes_of(item);
    let limits_text = text(item, attr::LIMITS).unwrap_or_default();
    // The stored text is what was tagged: verified as written, never printed anew.
    let grant = KeyGrant {
        hash,
        subject: &subject,
        scopes: &scopes,
        created_at: text(item, attr::CREATED_AT).unwrap_or_default(),
        limits: limits_text,
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
            subject = subject.as_str(),
            "key item failed its MAC check; refused"
        );
        return Ok(None);
    }
    let limits = match limits_text {
        "" => KeyLimits::default(),
        stored => KeyLimits::from_stored(stored).ok_or_else(|| malformed(attr::LIMITS))?,
    };
    Ok(Some(Principal {
        subject,
        scopes,
        limits,
    }))
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

    /// A new key's writes: its item (refused if its hash is registered) and, for an
    /// identity's key, the identity's record of it. A platform key has no record: operators
    /// find them by a Scan, so nothing the function may write can hide one from them.
    pub(super) fn new_key_ops(
        &self,
        key: &KeyRecord,
    ) -> Result<Vec<TransactWriteItem>, DependencyError> {
        let absent = "attribute_not_exists(pk)";
        let mut ops = vec![self.conditional_put(key_to_item(self.mac()?, key), absent)?];
        if let Subject::Identity(_) = key.subject {
            ops.push(self.conditional_put(keyref_item(key), absent)?);
        }
        Ok(ops)
    }

    /// A key rewritten with new scopes: its item and its record, both where they are (a key
    /// revoked meanwhile is not brought back).
    pub(super) fn rewritten_key_ops(
        &self,
        key: &KeyRecord,
    ) -> Result<Vec<TransactWriteItem>, DependencyError> {
        // Over the live item of the same subject only: a key revoked meanwhile is not
        // brought back, and no other identity's key is bound to this one.
        let (owner_attr, owner) = match &key.subject {
            Subject::Identity(identity) => (attr::IDENTITY_ID, identity.as_str()),
            Subject::Org(org) => (attr::ORG_ID, org.as_str()),
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(key_to_item(self.mac()?, key)))
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(revokedAt) AND #owner = :owner",
            )
            .expression_attribute_names("#owner", owner_attr)
            .expression_attribute_values(":owner", s(owner))
            .build()
            .map_err(build_error)?;
        Ok(vec![
            TransactWriteItem::builder().put(put).build(),
            self.conditional_put(keyref_item(key), "attribute_exists(pk)")?,
        ])
    }

    /// A key's revocation: `revokedAt` set and its tag dropped (so deleting the mark later
    /// revives nothing), on its item and its record.
    pub(super) fn revocation_ops(
        &self,
        owner: &Subject,
        hash: &KeyHash,
        at: Timestamp,
    ) -> Result<Vec<TransactWriteItem>, DependencyError> {
        let mark = |key: (String, String)| {
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(key)))
                .update_expression(REVOKE)
                .expression_attribute_names("#revoked", attr::REVOKED_AT)
                .expression_attribute_names("#mac", attr::MAC)
                .expression_attribute_values(":now", s(at.to_string()))
                .build()
                .map(|update| TransactWriteItem::builder().update(update).build())
                .map_err(build_error)
        };
        let mut ops = vec![mark(TableLayout::api_key_key(hash))?];
        if let Subject::Identity(_) = owner {
            ops.push(mark(TableLayout::keyref_key(owner, hash))?);
        }
        Ok(ops)
    }

    pub(super) fn conditional_put(
        &self,
        item: Item,
        condition: &str,
    ) -> Result<TransactWriteItem, DependencyError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}
