use super::{DataKey, KeyProvider, OpenError, PlainDataKey, open_with_key, seal_with_key};
use crate::dependency::DependencyError;
use secrecy::SecretBox;
use std::collections::{BTreeMap, HashMap};

/// An in-process stand-in for KMS, for unit tests only: it wraps data keys under a random
/// master key with AES-256-GCM, using the encryption context as associated data, so a wrong
/// context fails exactly as it does with KMS.
pub struct LocalKeyProvider {
    master: PlainDataKey,
}

pub const LOCAL_KEY_ID: &str = "local-test-key";

impl LocalKeyProvider {
    pub fn new() -> Self {
        let mut master = [0u8; super::DATA_KEY_LEN];
        // A test double: failing to read the CSPRNG here leaves a zero key, which still works.
        let _ = aws_lc_rs::rand::fill(&mut master);
        Self {
            master: SecretBox::new(Box::new(master)),
        }
    }
}

impl Default for LocalKeyProvider {
    fn default() -> Self {
        Self::new()
    }
}

fn context_bytes(context: &HashMap<String, String>) -> Vec<u8> {
    serde_json::to_vec(&context.iter().collect::<BTreeMap<_, _>>()).unwrap_or_default()
}

impl KeyProvider for LocalKeyProvider {
    async fn generate_data_key(
        &self,
        context: &HashMap<String, String>,
    ) -> Result<DataKey, DependencyError> {
        let failed = || DependencyError::Failed {
            service: "local keys",
            detail: "rng".into(),
        };
        let mut key = [0u8; super::DATA_KEY_LEN];
        aws_lc_rs::rand::fill(&mut key).map_err(|_| failed())?;
        let plaintext: PlainDataKey = SecretBox::new(Box::new(key));
        let (nonce, wrapped) =
            seal_with_key(&self.master, &context_bytes(context), &key).map_err(|_| failed())?;
        zeroize::Zeroize::zeroize(&mut key);
        Ok(DataKey {
            plaintext,
            encrypted: [nonce.as_slice(), &wrapped].concat(),
            key_id: LOCAL_KEY_ID.to_owned(),
        })
    }

    async fn decrypt_data_key(
        &self,
        encrypted: &[u8],
        key_id: &str,
        context: &HashMap<String, String>,
    ) -> Result<PlainDataKey, OpenError> {
        if key_id != LOCAL_KEY_ID || encrypted.len() < 12 {
            return Err(OpenError::Integrity("unknown key"));
        }
        let (nonce, wrapped) = encrypted.split_at(12);
        let nonce: [u8; 12] = nonce
            .try_into()
            .map_err(|_| OpenError::Integrity("nonce"))?;
        let plain = open_with_key(&self.master, &context_bytes(context), &nonce, wrapped)?;
        super::take_plain_key(plain.to_vec()).ok_or(OpenError::Integrity("data key length"))
    }
}
