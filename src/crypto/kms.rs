use super::{DataKey, KeyProvider, OpenError, PlainDataKey, take_plain_key};
use crate::dependency::DependencyError;
use aws_sdk_kms::Client;
use aws_sdk_kms::operation::decrypt::DecryptError;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use std::collections::HashMap;

/// Data keys from AWS KMS under one customer-managed key (an id, ARN or alias).
#[derive(Clone, Debug)]
pub struct KmsKeyProvider {
    client: Client,
    key_id: String,
}

impl KmsKeyProvider {
    pub fn new(client: Client, key_id: impl Into<String>) -> Self {
        Self {
            client,
            key_id: key_id.into(),
        }
    }
}

impl KeyProvider for KmsKeyProvider {
    async fn generate_data_key(
        &self,
        context: &HashMap<String, String>,
    ) -> Result<DataKey, DependencyError> {
        let output = self
            .client
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(context.clone()))
            .send()
            .await
            .map_err(|e| DependencyError::from_sdk("KMS", e))?;
        let malformed = |what: &str| DependencyError::Failed {
            service: "KMS",
            detail: format!("GenerateDataKey returned no usable {what}"),
        };
        let plaintext = output
            .plaintext
            .and_then(|blob| take_plain_key(blob.into_inner()))
            .ok_or_else(|| malformed("plaintext key"))?;
        Ok(DataKey {
            plaintext,
            encrypted: output
                .ciphertext_blob
                .ok_or_else(|| malformed("ciphertext"))?
                .into_inner(),
            key_id: output.key_id.ok_or_else(|| malformed("key id"))?,
        })
    }

    async fn decrypt_data_key(
        &self,
        encrypted: &[u8],
        _stored_key_id: &str,
        context: &HashMap<String, String>,
    ) -> Result<PlainDataKey, OpenError> {
        // The configured key, never the one an item names: a ciphertext under any other key
        // (one a table writer controls) is refused by KMS instead of decrypted.
        let output = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(encrypted))
            .set_encryption_context(Some(context.clone()))
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                // A wrong context, a tampered blob or a foreign key: the item is not ours here.
                Some(DecryptError::InvalidCiphertextException(_))
                | Some(DecryptError::IncorrectKeyException(_)) => {
                    OpenError::Integrity("KMS refused the data key")
                }
                _ => OpenError::Dependency(DependencyError::from_sdk("KMS", e)),
            })?;
        output
            .plaintext
            .and_then(|blob| take_plain_key(blob.into_inner()))
            .ok_or(OpenError::Integrity("KMS returned no usable data key"))
    }
}
