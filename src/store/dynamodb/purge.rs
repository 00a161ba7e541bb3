//! Removing everything a deleted identity held: its credentials and their summaries, its
//! records of its keys, the keys themselves, its log, its day counters and its rate counters.
//! The identity's own item stays, marked deleted, so its id is never given again.

use super::item::{Item, key_item, s, text};
use super::layout::{TableLayout, attr};
use super::{DynamoStore, applied, build_error, ddb_error};
use crate::dependency::DependencyError;
use crate::domain::{IdentityId, Subject};
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use futures_util::future::try_join_all;
use std::time::Duration;

/// BatchWriteItem's bound on one request.
const BATCH: usize = 25;
const MAX_BATCH_ATTEMPTS: u32 = 4;
/// Batches of a removal sent at once.
const BATCHES_AT_ONCE: usize = 4;
const BATCH_BACKOFF: Duration = Duration::from_millis(25);

impl DynamoStore {
    /// Deletes what `identity` held (see the module's documentation): its key items first,
    /// found through its records of them, so a purge cut short leaves no key item unnamed.
    /// Returns how many items went.
    pub(super) async fn purge_items(
        &self,
        identity: &IdentityId,
    ) -> Result<usize, DependencyError> {
        let subject = Subject::Identity(identity.clone());
        // Its key items first: those its records name and that name it (a record planted by
        // a table writer deletes no one else's key). Every partition is read at once.
        let key_items = async {
            let hashes = self.recorded_hashes(&subject).await?;
            let keys: Vec<_> = hashes.iter().map(TableLayout::api_key_key).collect();
            self.batch_get(&keys).await
        };
        let partitions = [
            TableLayout::identity_pk(identity),
            TableLayout::log_pk(&subject),
            TableLayout::stats_pk(&subject),
            TableLayout::rate_pk(&subject),
        ];
        let (key_items, contents) = tokio::join!(
            key_items,
            try_join_all(partitions.iter().map(|pk| self.partition(pk)))
        );
        let mut doomed = Vec::new();
        for item in key_items? {
            if text(&item, attr::IDENTITY_ID).ok() == Some(identity.as_str()) {
                doomed.push((
                    text(&item, TableLayout::PK)?.to_owned(),
                    TableLayout::KEY_SK.to_owned(),
                ));
            }
        }
        for (pk, items) in partitions.iter().zip(contents?) {
            for item in items {
                let sk = text(&item, TableLayout::SK)?.to_owned();
                // The identity's own item stays, as its tombstone.
                if sk != TableLayout::IDENTITY_SK {
                    doomed.push((pk.clone(), sk));
                }
            }
        }
        // Key items go before the rest, so a removal cut short leaves none unnamed.
        let (keys, rest) = doomed.split_at(
            doomed
                .iter()
                .take_while(|(_, sk)| sk == TableLayout::KEY_SK)
                .count(),
        );
        for chunk in keys.chunks(BATCH) {
            self.delete_batch(chunk).await?;
        }
        for group in rest.chunks(BATCH * BATCHES_AT_ONCE) {
            let batches: Vec<_> = group
                .chunks(BATCH)
                .map(|chunk| self.delete_batch(chunk))
                .collect();
            try_join_all(batches).await?;
        }
        // Marked done, so `credvault setup` does not go over it again.
        let marked = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::identity_key(identity))))
            .update_expression("SET #purged = :yes")
            .condition_expression("attribute_exists(#deleted)")
            .expression_attribute_names("#purged", attr::PURGED)
            .expression_attribute_names("#deleted", attr::DELETED_AT)
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await;
        applied(marked)?;
        Ok(doomed.len())
    }

    /// The keys of every item of one partition.
    async fn partition(&self, pk: &str) -> Result<Vec<Item>, DependencyError> {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(pk))
            .projection_expression("pk, sk")
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(ddb_error)
    }

    /// Deletes up to 25 items, retrying those DynamoDB leaves unprocessed (throttled).
    async fn delete_batch(&self, keys: &[(String, String)]) -> Result<(), DependencyError> {
        let mut pending = keys
            .iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key_item(key.clone())))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(build_error)
            })
            .collect::<Result<Vec<_>, _>>()?;
        for attempt in 0..MAX_BATCH_ATTEMPTS {
            if pending.is_empty() {
                return Ok(());
            }
            if attempt > 0 {
                tokio::time::sleep(BATCH_BACKOFF * attempt).await;
            }
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(ddb_error)?;
            pending = output
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.table))
                .unwrap_or_default();
        }
        match pending.is_empty() {
            true => Ok(()),
            false => Err(DependencyError::Unavailable {
                service: "DynamoDB",
                detail: "BatchWriteItem left items unprocessed".into(),
            }),
        }
    }
}
