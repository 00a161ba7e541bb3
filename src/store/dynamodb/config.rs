//! The table's one configuration item: the key-item MAC secret, stored wrapped by KMS, one
//! per generation. Operators write it (`credvault setup`); the function reads it at start.

use super::item::{b, key_item, s, text};
use super::layout::{TableLayout, attr};
use super::{DynamoStore, applied, ddb_error};
use crate::dependency::DependencyError;
use crate::domain::Timestamp;

impl DynamoStore {
    /// The wrapped MAC secret of `generation`, and the key that wrapped it, if there is one.
    pub async fn wrapped_key_mac_secret(
        &self,
        generation: u32,
    ) -> Result<Option<(Vec<u8>, String)>, DependencyError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::key_mac_secret_key(generation))))
            .consistent_read(true)
            .send()
            .await
            .map_err(ddb_error)?;
        Ok(output.item.and_then(|item| {
            let wrapped = item.get(attr::CIPHERTEXT)?.as_b().ok()?.as_ref().to_vec();
            let key_id = text(&item, attr::KMS_KEY_ID).unwrap_or_default().to_owned();
            Some((wrapped, key_id))
        }))
    }

    /// Stores the wrapped MAC secret of `generation` unless one is there; `false` when one
    /// was (another operator's stands, and is as good).
    pub async fn put_wrapped_key_mac_secret(
        &self,
        generation: u32,
        wrapped: &[u8],
        kms_key_id: &str,
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        let mut item = key_item(TableLayout::key_mac_secret_key(generation));
        item.extend([
            (attr::CIPHERTEXT.to_owned(), b(wrapped)),
            (attr::KMS_KEY_ID.to_owned(), s(kms_key_id)),
            (attr::CREATED_AT.to_owned(), s(at.to_string())),
        ]);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        applied(result)
    }
}
