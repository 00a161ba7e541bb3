//! The identity directory on DynamoDB: identity items, the rate counters, and the port's
//! implementation over them and the key items (`keys`).

use super::item::{Item, key_item, malformed, n, s, text};
use super::layout::{TableLayout, attr};
use super::{DynamoStore, build_error, cancelled_by_condition, ddb_error};
use crate::auth::{KeyHash, Principal};
use crate::dependency::DependencyError;
use crate::domain::{IdentityId, IdentityProfile, RateWindow, Timestamp};
use crate::store::{
    IdentityDirectory, IdentityRecord, IdentitySummary, KeyRecord, KeySummary, RegisterError,
};
use aws_sdk_dynamodb::types::{Put, ReturnValue, TransactWriteItem};

fn identity_item(identity: &IdentityRecord) -> Item {
    let mut item = key_item(TableLayout::identity_key(&identity.identity));
    item.extend([
        (attr::IDENTITY_ID.to_owned(), s(identity.identity.as_str())),
        (attr::NAME.to_owned(), s(&identity.name)),
        (
            attr::CREATED_AT.to_owned(),
            s(identity.created_at.to_string()),
        ),
    ]);
    item
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

impl DynamoStore {
    async fn revoke_keys_of(
        &self,
        identity: &IdentityId,
        at: Timestamp,
    ) -> Result<(), DependencyError> {
        for key in self.key_items(identity).await? {
            let pk = text(&key, TableLayout::PK)?.to_owned();
            self.mark_revoked((pk, TableLayout::KEY_SK.to_owned()), at)
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
        identity: &IdentityId,
        window: RateWindow,
    ) -> Result<u64, DependencyError> {
        // A fixed window: one atomic ADD per request; the table's TTL removes old counters.
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::rate_key(identity, window))))
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
            name: text(&item, attr::NAME)?.to_owned(),
            created_at: Timestamp::parse(text(&item, attr::CREATED_AT)?)
                .ok_or_else(|| malformed(attr::CREATED_AT))?,
        }))
    }

    async fn register(
        &self,
        identity: &IdentityRecord,
        key: &KeyRecord,
    ) -> Result<(), RegisterError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(identity_item(identity)))
            .build()
            .map_err(build_error)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(self.new_key_put(key)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if cancelled_by_condition(&e) => Err(RegisterError::KeyTaken),
            Err(e) => Err(ddb_error(e).into()),
        }
    }

    async fn add_key(&self, key: &KeyRecord) -> Result<bool, DependencyError> {
        self.put_key(key).await
    }

    async fn keys_of(&self, identity: &IdentityId) -> Result<Vec<KeySummary>, DependencyError> {
        self.list_keys(identity).await
    }

    async fn revoke_key(
        &self,
        identity: &IdentityId,
        key_id: &str,
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        self.revoke_one_key(identity, key_id, at).await
    }

    async fn revoke_identity(
        &self,
        identity: &IdentityId,
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        self.revoke_keys_of(identity, at).await?;
        let existed = self
            .mark_revoked(TableLayout::identity_key(identity), at)
            .await?;
        self.revoke_keys_of(identity, at).await?;
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
}
