//! Removing everything a deleted identity held: its credentials and their summaries, its
//! records of its keys, the keys themselves, its log, its day counters and its rate counters.
//! The identity's own item stays, marked deleted, so its id is never given again.

use super::item::{Item, key_item, s, text};
use super::layout::TableLayout;
use super::{DynamoStore, build_error, ddb_error};
use crate::auth::KeyHash;
use crate::dependency::DependencyError;
use crate::domain::{IdentityId, KeyKind, Subject};
use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use std::time::Duration;

/// BatchWriteItem's bound on one request.
const BATCH: usize = 25;
const MAX_BATCH_ATTEMPTS: u32 = 4;
const BATCH_BACKOFF: Duration = Duration::from_millis(25);

impl DynamoStore {
    /// Deletes what `identity` held (see the module's documentation): its key items first,
    /// found through its records of them, so a purge cut short leaves no key item unnamed.
    /// Returns how many items went.
    pub(super) async fn purge_identity(
        &self,
        identity: &IdentityId,
    ) -> Result<usize, DependencyError> {
        let subject = Subject::Identity(identity.clone());
        let (mut doomed, mut rest) = (Vec::new(), Vec::new());
        for pk in [
            TableLayout::identity_pk(identity),
            TableLayout::log_pk(&subject),
            TableLayout::stats_pk(&subject),
            TableLayout::rate_pk(&subject),
        ] {
            for item in self.partition(&pk).await? {
                let sk = text(&item, TableLayout::SK)?.to_owned();
                if let Some(hash) = sk.strip_prefix(TableLayout::KEYREF_PREFIX) {
                    let hash = KeyHash::from_stored(KeyKind::Identity, hash);
                    doomed.push(TableLayout::api_key_key(&hash));
                }
                // The identity's own item stays, as its tombstone.
                if sk != TableLayout::IDENTITY_SK {
                    rest.push((pk.clone(), sk));
                }
            }
        }
        doomed.extend(rest);
        for chunk in doomed.chunks(BATCH) {
            self.delete_batch(chunk).await?;
        }
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
