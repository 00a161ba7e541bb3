//! The credential store on DynamoDB: one item per credential, written whole, each write in
//! one transaction with its activity entry.

use super::item::{
    INFO_PROJECTION, b, info_from_item, key_item, record_from_item, record_to_item, s,
};
use super::layout::{TableLayout, attr};
use super::{DynamoStore, ddb_error};
use crate::auth::IdentityId;
use crate::crypto::NONCE_LEN;
use crate::dependency::DependencyError;
use crate::domain::{ActivityEntry, CredentialName, Timestamp};
use crate::store::{ActivityLog, CredentialInfo, CredentialRecord, CredentialStore};
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};

fn built<T>(result: Result<T, aws_sdk_dynamodb::error::BuildError>) -> Result<T, DependencyError> {
    result.map_err(|e| DependencyError::Failed {
        service: "DynamoDB",
        detail: e.to_string(),
    })
}

impl CredentialStore for DynamoStore {
    async fn put(
        &self,
        record: &CredentialRecord,
        entry: &ActivityEntry,
    ) -> Result<(), DependencyError> {
        // No condition: a same-name write replaces the old item whole.
        let put = self.put_op(record_to_item(record))?;
        self.commit_with_entry(vec![put], entry).await.map(|_| ())
    }

    async fn put_if_unchanged(
        &self,
        record: &CredentialRecord,
        expected: &[u8; NONCE_LEN],
        entry: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        let put = built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(record_to_item(record)))
                .condition_expression("#nonce = :expected")
                .expression_attribute_names("#nonce", attr::NONCE)
                .expression_attribute_values(":expected", b(expected))
                .build(),
        )?;
        let op = TransactWriteItem::builder().put(put).build();
        self.commit_with_entry(vec![op], entry).await
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
            .expression_attribute_names("#type", attr::TYPE)
            .expression_attribute_names("#name", attr::NAME)
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
        credential_id: &str,
        entry: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        let delete = built(
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(TableLayout::credential_key(identity, name))))
                .condition_expression("#id = :id")
                .expression_attribute_names("#id", attr::CREDENTIAL_ID)
                .expression_attribute_values(":id", s(credential_id))
                .build(),
        )?;
        let op = TransactWriteItem::builder().delete(delete).build();
        self.commit_with_entry(vec![op], entry).await
    }

    async fn touch(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
        credential_id: &str,
        at: Timestamp,
        entry: &ActivityEntry,
    ) -> Result<(), DependencyError> {
        // The condition fails on a missing item too, so an update never creates one.
        let update = built(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key_item(TableLayout::credential_key(identity, name))))
                .update_expression("SET #used = :at")
                .condition_expression("#id = :id")
                .expression_attribute_names("#used", attr::LAST_USED_AT)
                .expression_attribute_names("#id", attr::CREDENTIAL_ID)
                .expression_attribute_values(":at", s(at.to_string()))
                .expression_attribute_values(":id", s(credential_id))
                .build(),
        )?;
        let op = TransactWriteItem::builder().update(update).build();
        if !self.commit_with_entry(vec![op], entry).await? {
            // Deleted or replaced since it was read: the read still happened.
            self.append(entry).await?;
        }
        Ok(())
    }
}
