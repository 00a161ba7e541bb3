//! The identity directory on DynamoDB: the port over identity items (`identities`), key
//! items (`keys`), the rate counters, and an identity's deletion (`purge`).

use super::identities::{identity_items, summarise};
use super::item::{Item, key_item, malformed, n, s, text};
use super::layout::{TableLayout, attr};
use super::{DynamoStore, build_error, cancelled_by_condition, ddb_error, transaction_error};
use crate::auth::{KeyHash, Principal};
use crate::dependency::DependencyError;
use crate::domain::{IdentityId, IdentityProfile, OrgId, RateWindow, Subject, Timestamp};
use crate::store::{
    IdentityChange, IdentityDirectory, IdentityRecord, IdentitySlice, IdentitySummary, KeyRecord,
    KeySummary, RegisterError,
};
use aws_sdk_dynamodb::types::{Delete, Put, ReturnValue, TransactWriteItem, Update};

/// DynamoDB's bound on one transaction's items.
const MAX_TRANSACTION_ITEMS: usize = 100;
/// The condition of a write to an identity that must still be live.
const LIVE: &str =
    "attribute_exists(pk) AND attribute_not_exists(revokedAt) AND attribute_not_exists(deletedAt)";

impl DynamoStore {
    /// Commits `ops` in one transaction: `false` when a condition did not hold.
    pub(super) async fn commit(
        &self,
        ops: Vec<TransactWriteItem>,
    ) -> Result<bool, DependencyError> {
        if ops.len() > MAX_TRANSACTION_ITEMS {
            return Err(DependencyError::Failed {
                service: "DynamoDB",
                detail: format!("{} writes are more than one transaction holds", ops.len()),
            });
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(ops))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if cancelled_by_condition(&e) => Ok(false),
            Err(e) => Err(transaction_error(e)),
        }
    }

    /// A new identity's item (under an id never used) and its organisation's record of it.
    fn new_identity_ops(
        &self,
        identity: &IdentityRecord,
    ) -> Result<Vec<TransactWriteItem>, DependencyError> {
        let [item, membership] = identity_items(self.mac()?, identity);
        Ok(vec![
            self.conditional_put(item, "attribute_not_exists(pk)")?,
            self.plain_put(membership)?,
        ])
    }

    pub(super) fn plain_put(&self, item: Item) -> Result<TransactWriteItem, DependencyError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Puts `item` over the identity's item only if that is live and still at `revision`.
    fn put_over_revision(
        &self,
        item: Item,
        revision: u64,
    ) -> Result<TransactWriteItem, DependencyError> {
        // Identities stored before revisions were counted have none: revision 0.
        let at_revision = match revision {
            0 => "(attribute_not_exists(#rev) OR #rev = :rev)",
            _ => "#rev = :rev",
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(format!("{LIVE} AND {at_revision}"))
            .expression_attribute_names("#rev", attr::REVISION)
            .expression_attribute_values(":rev", n(revision))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    async fn revoke_all_keys(
        &self,
        identity: &IdentityId,
        at: Timestamp,
    ) -> Result<(), DependencyError> {
        // Keys stored before their identity kept a record of them are found by a Scan: this
        // is an operator's task, never the function's.
        for key in self
            .scan_all(
                "sk = :sk AND identityId = :id",
                vec![
                    (":sk", s(TableLayout::KEY_SK)),
                    (":id", s(identity.as_str())),
                ],
            )
            .await?
        {
            let pk = text(&key, TableLayout::PK)?.to_owned();
            self.mark_revoked((pk, TableLayout::KEY_SK.to_owned()), at)
                .await?;
        }
        let owner = Subject::Identity(identity.clone());
        for (_, keyref) in self.key_records(&owner).await? {
            let sk = text(&keyref, TableLayout::SK)?.to_owned();
            self.mark_revoked((TableLayout::owner_pk(&owner), sk), at)
                .await?;
        }
        Ok(())
    }
}

impl IdentityDirectory for DynamoStore {
    async fn principal_for(&self, key: &KeyHash) -> Result<Option<Principal>, DependencyError> {
        self.lookup_key(key).await
    }

    async fn count_request(
        &self,
        subject: &Subject,
        window: RateWindow,
    ) -> Result<u64, DependencyError> {
        // A fixed window: one atomic ADD per request; the table's TTL removes old counters.
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::rate_key(subject, window))))
            .update_expression("ADD #requests :one SET #ttl = if_not_exists(#ttl, :expires)")
            .expression_attribute_names("#requests", attr::REQUESTS)
            .expression_attribute_names("#ttl", TableLayout::TTL)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":expires", n(window.expires_at()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(ddb_error)?;
        output
            .attributes
            .as_ref()
            .and_then(|a| a.get(attr::REQUESTS))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| malformed(attr::REQUESTS))
    }

    async fn spend_use(&self, key: &KeyHash, max: u64) -> Result<Option<u64>, DependencyError> {
        // One atomic ADD, refused once the budget is spent: two requests at once never both
        // take the last use.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::uses_key(key))))
            .update_expression("ADD #uses :one")
            .condition_expression("attribute_not_exists(#uses) OR #uses < :max")
            .expression_attribute_names("#uses", attr::USES)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(max))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        match result {
            Ok(output) => Ok(output
                .attributes
                .as_ref()
                .and_then(|a| a.get(attr::USES))
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())),
            Err(err) if super::is_condition_failure(&err) => Ok(None),
            Err(err) => Err(ddb_error(err)),
        }
    }

    async fn profile(
        &self,
        identity: &IdentityId,
    ) -> Result<Option<IdentityProfile>, DependencyError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::identity_key(identity))))
            .send()
            .await
            .map_err(ddb_error)?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        Ok(Some(IdentityProfile {
            name: text(&item, attr::NAME).unwrap_or_default().to_owned(),
            created_at: Timestamp::parse(text(&item, attr::CREATED_AT)?)
                .ok_or_else(|| malformed(attr::CREATED_AT))?,
            live: !item.contains_key(attr::DELETED_AT) && !item.contains_key(attr::REVOKED_AT),
        }))
    }

    async fn register(
        &self,
        identity: &IdentityRecord,
        key: &KeyRecord,
    ) -> Result<(), RegisterError> {
        // A fresh id: an identity deleted under it keeps its item, so it is never given again.
        let mut ops = self.new_identity_ops(identity)?;
        ops.extend(self.new_key_ops(key)?);
        match self.commit(ops).await? {
            true => Ok(()),
            false => Err(RegisterError::KeyTaken),
        }
    }

    async fn register_platform_key(&self, key: &KeyRecord) -> Result<(), RegisterError> {
        match self.commit(self.new_key_ops(key)?).await? {
            true => Ok(()),
            false => Err(RegisterError::KeyTaken),
        }
    }

    async fn add_key(&self, key: &KeyRecord) -> Result<bool, DependencyError> {
        let Subject::Identity(identity) = &key.subject else {
            return Ok(false);
        };
        // A change like any other: the revision moves on, so a change planned before this
        // key existed (a deletion that would miss it) does not commit.
        let live = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::identity_key(identity))))
            .update_expression("SET #rev = if_not_exists(#rev, :zero) + :one")
            .condition_expression(LIVE)
            .expression_attribute_names("#rev", attr::REVISION)
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(build_error)?;
        let mut ops = vec![TransactWriteItem::builder().update(live).build()];
        ops.extend(self.new_key_ops(key)?);
        self.commit(ops).await
    }

    async fn keys_of(&self, owner: &Subject) -> Result<Vec<KeySummary>, DependencyError> {
        self.list_keys(owner).await
    }

    async fn live_keys(&self, identity: &IdentityId) -> Result<Vec<KeyRecord>, DependencyError> {
        self.live_key_records(&Subject::Identity(identity.clone()))
            .await
    }

    async fn revoke_key(
        &self,
        owner: &Subject,
        key_id: &str,
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        self.revoke_one_key(owner, key_id, at).await
    }

    async fn revoke_identity(
        &self,
        identity: &IdentityId,
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        self.revoke_all_keys(identity, at).await?;
        let existed = self
            .mark_revoked(TableLayout::identity_key(identity), at)
            .await?;
        self.drop_membership(identity).await?;
        self.revoke_all_keys(identity, at).await?;
        Ok(existed)
    }

    async fn identities(&self) -> Result<Vec<IdentitySummary>, DependencyError> {
        let by_sort_key = |sk: &'static str| self.scan_all("sk = :sk", vec![(":sk", s(sk))]);
        let (identities, keys) = tokio::try_join!(
            by_sort_key(TableLayout::IDENTITY_SK),
            by_sort_key(TableLayout::KEY_SK)
        )?;
        let mut summaries: Vec<IdentitySummary> = identities
            .iter()
            .map(|item| summarise(item, &keys))
            .collect::<Result<_, _>>()?;
        summaries.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then(a.identity_id.cmp(&b.identity_id))
        });
        Ok(summaries)
    }

    async fn identity_in(
        &self,
        org: &OrgId,
        identity: &IdentityId,
    ) -> Result<Option<IdentityRecord>, DependencyError> {
        self.read_identity(org, identity).await
    }

    async fn identities_of(
        &self,
        org: &OrgId,
        after: Option<&IdentityId>,
        limit: usize,
    ) -> Result<IdentitySlice, DependencyError> {
        self.org_identities(org, after, limit).await
    }

    async fn change_identity(
        &self,
        identity: &IdentityRecord,
        change: &IdentityChange,
    ) -> Result<bool, DependencyError> {
        let next = IdentityRecord {
            revision: identity.revision + 1,
            ..identity.clone()
        };
        let [item, membership] = identity_items(self.mac()?, &next);
        let mut ops = vec![
            self.put_over_revision(item, identity.revision)?,
            self.plain_put(membership)?,
        ];
        for key in &change.added {
            ops.extend(self.new_key_ops(key)?);
        }
        for key in &change.rewritten {
            ops.extend(self.rewritten_key_ops(key)?);
        }
        let owner = Subject::Identity(identity.identity.clone());
        for hash in &change.revoked {
            ops.extend(self.revocation_ops(&owner, hash, change.at)?);
        }
        self.commit(ops).await
    }

    async fn delete_identity(
        &self,
        identity: &IdentityRecord,
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        let owner = Subject::Identity(identity.identity.clone());
        let keys = self.live_key_records(&owner).await?;
        // The tombstone: the item keeps the id (never given again), the organisation and when;
        // no name, no tag: nothing reads it as an identity any more.
        let mut tombstone = key_item(TableLayout::identity_key(&identity.identity));
        tombstone.extend([
            (attr::IDENTITY_ID.to_owned(), s(identity.identity.as_str())),
            (attr::ORG_ID.to_owned(), s(identity.org.as_str())),
            (attr::DELETED_AT.to_owned(), s(at.to_string())),
        ]);
        let membership = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::membership_key(
                &identity.org,
                &identity.identity,
            ))))
            .build()
            .map_err(build_error)?;
        let mut ops = vec![
            self.put_over_revision(tombstone, identity.revision)?,
            TransactWriteItem::builder().delete(membership).build(),
        ];
        // Keys beyond what one transaction holds beside the tombstone are revoked first:
        // fewer working keys, never more, whatever happens next.
        let per_transaction = (MAX_TRANSACTION_ITEMS - ops.len()) / 2;
        let (early, with_tombstone) = keys.split_at(keys.len().saturating_sub(per_transaction));
        for chunk in early.chunks(MAX_TRANSACTION_ITEMS / 2) {
            let mut revocations = Vec::new();
            for key in chunk {
                revocations.extend(self.revocation_ops(&owner, &key.hash, at)?);
            }
            self.commit(revocations).await?;
        }
        for key in with_tombstone {
            ops.extend(self.revocation_ops(&owner, &key.hash, at)?);
        }
        self.commit(ops).await
    }

    async fn purge_identity(&self, identity: &IdentityId) -> Result<usize, DependencyError> {
        self.purge_items(identity).await
    }
}
