//! Identity items and their organisation's record of them: one codec, tagged with the key
//! MAC over the organisation, so no table writer moves an identity between organisations.

use super::item::{Item, b, key_item, malformed, n, s, text};
use super::keys::{scope_set, scopes_of};
use super::layout::{TableLayout, attr};
use super::{DynamoStore, ddb_error};
use crate::auth::{IdentityClaims, KeyHash, KeyMac};
use crate::dependency::DependencyError;
use crate::domain::{IdentityId, KeyKind, OrgId, Timestamp};
use crate::store::{IdentityRecord, IdentitySlice, IdentitySummary};

/// The sort-key prefix of an organisation's records of its identities.
const MEMBERSHIP_PREFIX: &str = "ID#";

fn primary_hex(identity: &IdentityRecord) -> &str {
    identity.primary_key.as_ref().map_or("", KeyHash::as_str)
}

/// The identity item and the organisation's record of it, both tagged.
pub(super) fn identity_items(mac: &KeyMac, identity: &IdentityRecord) -> [Item; 2] {
    let created_at = identity.created_at.to_string();
    let tag = mac.tag(&IdentityClaims {
        identity: &identity.identity,
        org: &identity.org,
        scopes: &identity.scopes,
        primary_key: primary_hex(identity),
        created_at: &created_at,
    });
    let fields = |(pk, sk): (String, String)| {
        let mut item = key_item((pk, sk));
        item.extend([
            (attr::IDENTITY_ID.to_owned(), s(identity.identity.as_str())),
            (attr::NAME.to_owned(), s(&identity.name)),
            (attr::ORG_ID.to_owned(), s(identity.org.as_str())),
            (attr::CREATED_AT.to_owned(), s(&created_at)),
            (attr::KEY_PREFIX.to_owned(), s(&identity.key_prefix)),
            (attr::REVISION.to_owned(), n(identity.revision)),
            (attr::PRIMARY_KEY.to_owned(), s(primary_hex(identity))),
            (attr::MAC.to_owned(), b(&tag)),
        ]);
        scope_set(&mut item, &identity.scopes);
        item
    };
    [
        fields(TableLayout::identity_key(&identity.identity)),
        fields(TableLayout::membership_key(
            &identity.org,
            &identity.identity,
        )),
    ]
}

/// The live identity an item (either of the two) describes, if its tag verifies.
pub(super) fn identity_from_item(
    mac: Option<&KeyMac>,
    item: &Item,
) -> Result<Option<IdentityRecord>, DependencyError> {
    if item.contains_key(attr::REVOKED_AT) || item.contains_key(attr::DELETED_AT) {
        return Ok(None);
    }
    let identity = IdentityId::parse(text(item, attr::IDENTITY_ID)?)
        .ok_or_else(|| malformed(attr::IDENTITY_ID))?;
    // An identity stored before organisations existed has no organisation and no tag: it is
    // in no organisation until `credvault setup` places it (in the default one).
    let Some(org) = text(item, attr::ORG_ID).ok().and_then(OrgId::parse) else {
        return Ok(None);
    };
    let created_at = text(item, attr::CREATED_AT)?;
    let scopes = scopes_of(item);
    let primary_key = text(item, attr::PRIMARY_KEY).unwrap_or_default();
    let claims = IdentityClaims {
        identity: &identity,
        org: &org,
        scopes: &scopes,
        primary_key,
        created_at,
    };
    let tag = item.get(attr::MAC).and_then(|v| v.as_b().ok());
    let trusted = match (mac, tag) {
        (Some(mac), Some(tag)) => mac.verify(&claims, tag.as_ref()),
        _ => false,
    };
    if !trusted {
        tracing::error!(
            target: "credvault::integrity",
            identity = identity.as_str(),
            "identity item failed its MAC check; refused"
        );
        return Ok(None);
    }
    Ok(Some(IdentityRecord {
        name: text(item, attr::NAME).unwrap_or_default().to_owned(),
        org,
        scopes,
        created_at: Timestamp::parse(created_at).ok_or_else(|| malformed(attr::CREATED_AT))?,
        key_prefix: text(item, attr::KEY_PREFIX).unwrap_or_default().to_owned(),
        primary_key: (!primary_key.is_empty())
            .then(|| KeyHash::from_stored(KeyKind::Identity, primary_key)),
        // Identities stored before revisions were counted are at revision 0.
        revision: item
            .get(attr::REVISION)
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        identity,
    }))
}

pub(super) fn summarise(item: &Item, keys: &[Item]) -> Result<IdentitySummary, DependencyError> {
    let id = text(item, attr::IDENTITY_ID)?.to_owned();
    let own: Vec<&Item> = keys
        .iter()
        .filter(|k| text(k, attr::IDENTITY_ID).ok() == Some(id.as_str()))
        .collect();
    Ok(IdentitySummary {
        name: text(item, attr::NAME).unwrap_or_default().to_owned(),
        org_id: text(item, attr::ORG_ID)
            .unwrap_or(OrgId::DEFAULT)
            .to_owned(),
        created_at: text(item, attr::CREATED_AT).unwrap_or_default().to_owned(),
        revoked_at: text(item, attr::REVOKED_AT)
            .or_else(|_| text(item, attr::DELETED_AT))
            .ok()
            .map(str::to_owned),
        keys: own.len(),
        active_keys: own
            .iter()
            .filter(|k| !k.contains_key(attr::REVOKED_AT))
            .count(),
        identity_id: id,
    })
}

impl DynamoStore {
    pub(super) async fn read_identity(
        &self,
        org: &OrgId,
        identity: &IdentityId,
    ) -> Result<Option<IdentityRecord>, DependencyError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::identity_key(identity))))
            .consistent_read(true)
            .send()
            .await
            .map_err(ddb_error)?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let record = identity_from_item(self.key_mac.as_deref(), &item)?;
        Ok(record.filter(|record| &record.org == org))
    }

    /// A page of the organisation's identities. One more membership than asked for is read,
    /// so whether there is a next page is known before any fails its check and is left out.
    pub(super) async fn org_identities(
        &self,
        org: &OrgId,
        after: Option<&IdentityId>,
        limit: usize,
    ) -> Result<IdentitySlice, DependencyError> {
        let start = after.map(|identity| key_item(TableLayout::membership_key(org, identity)));
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(TableLayout::org_pk(org)))
            .expression_attribute_values(":prefix", s(MEMBERSHIP_PREFIX))
            .set_exclusive_start_key(start)
            .limit(i32::try_from(limit.saturating_add(1)).unwrap_or(i32::MAX))
            .consistent_read(true)
            .send()
            .await
            .map_err(ddb_error)?;
        let items = output.items();
        let page = &items[..items.len().min(limit)];
        let next = match items.len() > limit {
            true => page
                .last()
                .and_then(|item| text(item, TableLayout::SK).ok())
                .and_then(|sk| sk.strip_prefix(MEMBERSHIP_PREFIX))
                .and_then(IdentityId::parse),
            false => None,
        };
        let mac = self.key_mac.as_deref();
        let mut identities = Vec::new();
        for item in page {
            if let Some(record) = identity_from_item(mac, item)?.filter(|r| &r.org == org) {
                identities.push(record);
            }
        }
        Ok(IdentitySlice { identities, next })
    }

    /// Removes the organisation's record of a revoked identity, so its listing no longer
    /// shows it.
    pub(super) async fn drop_membership(
        &self,
        identity: &IdentityId,
    ) -> Result<(), DependencyError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::identity_key(identity))))
            .consistent_read(true)
            .send()
            .await
            .map_err(ddb_error)?;
        let Some(org) = output
            .item
            .as_ref()
            .and_then(|item| text(item, attr::ORG_ID).ok())
            .and_then(OrgId::parse)
        else {
            return Ok(());
        };
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::membership_key(&org, identity))))
            .send()
            .await
            .map(|_| ())
            .map_err(ddb_error)
    }
}
