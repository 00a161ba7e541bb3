//! Strongly consistent reads of many items by key: BatchGetItem in chunks of its bound, with
//! the keys it leaves unprocessed (throttled) asked again after a short wait.

use super::item::{Item, key_item};
use super::{DynamoStore, build_error, ddb_error};
use crate::dependency::DependencyError;
use aws_sdk_dynamodb::types::KeysAndAttributes;
use std::time::Duration;

/// BatchGetItem's bound on one request.
const BATCH: usize = 100;
/// Unprocessed keys come back in the output, not as an error, so the SDK's retries do not
/// cover them.
const MAX_BATCH_ATTEMPTS: u32 = 3;
const BATCH_BACKOFF: Duration = Duration::from_millis(25);

impl DynamoStore {
    /// The items of `keys` that exist, in no particular order.
    pub(super) async fn batch_get(
        &self,
        keys: &[(String, String)],
    ) -> Result<Vec<Item>, DependencyError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(BATCH) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.iter().cloned().map(key_item).collect()))
                    .consistent_read(true)
                    .build()
                    .map_err(build_error)?,
            );
            for attempt in 0..MAX_BATCH_ATTEMPTS {
                let Some(keys) = pending.take() else { break };
                if attempt > 0 {
                    tokio::time::sleep(BATCH_BACKOFF * attempt).await;
                }
                let mut output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .map_err(ddb_error)?;
                if let Some(items) = output
                    .responses
                    .as_mut()
                    .and_then(|r| r.remove(&self.table))
                {
                    found.extend(items);
                }
                pending = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys.is_empty());
            }
            if pending.is_some() {
                return Err(DependencyError::Unavailable {
                    service: "DynamoDB",
                    detail: "BatchGetItem left keys unprocessed".into(),
                });
            }
        }
        Ok(found)
    }
}
