//! Envelope encryption: a fresh AES-256 data key from a key provider (KMS in production) for
//! every write; `data` sealed with AES-256-GCM under it; only the wrapped key is kept.
//!
//! Both layers bind the ciphertext to where it belongs. The KMS encryption context names the
//! identity and the credential, so KMS refuses to unwrap the key anywhere else; the AEAD's
//! associated data adds the type and the format version, so an item edited in place fails
//! the tag check too.

mod cache;
mod kms;
#[cfg(any(test, feature = "test-util"))]
mod local;

pub use cache::CachingKeyProvider;
pub use kms::KmsKeyProvider;
#[cfg(any(test, feature = "test-util"))]
pub use local::LocalKeyProvider;

use crate::dependency::DependencyError;
use crate::domain::{CredentialName, CredentialType, IdentityId, Timestamp};
pub use aws_lc_rs::aead::NONCE_LEN;
use aws_lc_rs::aead::{AES_256_GCM, Aad, Nonce, RandomizedNonceKey};
use secrecy::{ExposeSecret, SecretBox};
use std::collections::HashMap;
use std::future::Future;
use zeroize::Zeroizing;

/// Version of the item and AAD layout; stored on each item, so items written before still
/// open (and are rewritten in the current format on their next write). Format 3 adds the
/// usePolicy; an item without one is still written in format 2, which a version of credvault
/// from before brokered use can read.
pub const FORMAT_VERSION: u8 = 3;
const FORMAT_WITHOUT_POLICY: u8 = 2;
pub const DATA_KEY_LEN: usize = 32;

pub const CONTEXT_IDENTITY: &str = "credvault:identity";
pub const CONTEXT_CREDENTIAL: &str = "credvault:credential";

/// A plaintext data key: redacted in `Debug`, wiped on drop.
pub type PlainDataKey = SecretBox<[u8; DATA_KEY_LEN]>;

/// What a key provider hands back for one write.
pub struct DataKey {
    pub plaintext: PlainDataKey,
    /// The data key wrapped by the provider; safe to store.
    pub encrypted: Vec<u8>,
    /// The wrapping key as the provider names it (for KMS, the key ARN).
    pub key_id: String,
}

/// Where the credential sits and what is stored beside it; every part is authenticated.
#[derive(Clone, Copy)]
pub struct Binding<'a> {
    pub identity: &'a IdentityId,
    pub name: &'a CredentialName,
    pub kind: CredentialType,
    /// The plaintext fields stored with the ciphertext (format 2 on).
    pub fields: Option<StoredFields<'a>>,
}

/// A credential's plaintext fields: bound into the associated data from format 2 on, so a
/// table writer who edits one (a LOGIN's `metadata.uri`, the expiry) makes the item fail
/// to open. `lastUsedAt` is left out: reads update it without re-encrypting.
#[derive(Clone, Copy)]
pub struct StoredFields<'a> {
    pub credential_id: &'a str,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    /// The metadata's text as stored: bound byte for byte, never printed anew.
    pub metadata: Option<&'a str>,
    pub last_rotated_at: Option<Timestamp>,
    /// The usePolicy's canonical text (format 3 on): where the vault may send the data.
    pub use_policy: Option<&'a str>,
}

impl<'a> Binding<'a> {
    pub fn new(identity: &'a IdentityId, name: &'a CredentialName, kind: CredentialType) -> Self {
        Self {
            identity,
            name,
            kind,
            fields: None,
        }
    }

    pub fn with_fields(self, fields: StoredFields<'a>) -> Self {
        Self {
            fields: Some(fields),
            ..self
        }
    }

    /// The format a write of this binding uses: 3 when it binds a usePolicy, else 2.
    pub fn format_version(&self) -> u8 {
        match self.fields.and_then(|f| f.use_policy) {
            Some(_) => FORMAT_VERSION,
            None => FORMAT_WITHOUT_POLICY,
        }
    }

    pub fn encryption_context(&self) -> HashMap<String, String> {
        HashMap::from([
            (
                CONTEXT_IDENTITY.to_owned(),
                self.identity.as_str().to_owned(),
            ),
            (CONTEXT_CREDENTIAL.to_owned(), self.name.as_str().to_owned()),
        ])
    }

    /// `credvault` + format version, then each part length-prefixed so no two bindings
    /// share bytes. Format 1 binds the place and type; format 2 also every stored field, an
    /// absent one as a part of its own marker so that absent and empty differ.
    pub fn associated_data(&self, format_version: u8) -> Vec<u8> {
        let place = [
            self.identity.as_str(),
            self.name.as_str(),
            self.kind.as_str(),
        ];
        let mut aad = b"credvault".to_vec();
        aad.push(format_version);
        if format_version == 1 {
            for part in place {
                aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
                aad.extend_from_slice(part.as_bytes());
            }
            return aad;
        }
        let mut push = |part: Option<&str>| match part {
            Some(part) => {
                aad.push(1);
                aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
                aad.extend_from_slice(part.as_bytes());
            }
            None => aad.push(0),
        };
        for part in place {
            push(Some(part));
        }
        let fields = self.fields;
        let text = |t: Option<Timestamp>| t.map(|t| t.to_string());
        push(fields.map(|f| f.credential_id));
        push(text(fields.map(|f| f.created_at)).as_deref());
        push(text(fields.and_then(|f| f.expires_at)).as_deref());
        push(fields.and_then(|f| f.metadata));
        push(text(fields.and_then(|f| f.last_rotated_at)).as_deref());
        if format_version >= 3 {
            push(fields.and_then(|f| f.use_policy));
        }
        aad
    }
}

/// The stored form of a credential's `data`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    pub format_version: u8,
    pub key_id: String,
    pub encrypted_data_key: Vec<u8>,
    pub nonce: [u8; NONCE_LEN],
    /// AES-256-GCM ciphertext with its 16-byte tag appended.
    pub ciphertext: Vec<u8>,
}

/// Wraps and unwraps data keys (KMS `GenerateDataKey` / `Decrypt`).
pub trait KeyProvider: Send + Sync {
    fn generate_data_key(
        &self,
        context: &HashMap<String, String>,
    ) -> impl Future<Output = Result<DataKey, DependencyError>> + Send;

    fn decrypt_data_key(
        &self,
        encrypted: &[u8],
        key_id: &str,
        context: &HashMap<String, String>,
    ) -> impl Future<Output = Result<PlainDataKey, OpenError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The item does not decrypt where it is: tampered, copied, or of an unknown format.
    #[error("integrity check failed: {0}")]
    Integrity(&'static str),
    #[error(transparent)]
    Dependency(#[from] DependencyError),
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("AEAD sealing failed")]
    Aead,
    #[error(transparent)]
    Dependency(#[from] DependencyError),
}

/// Asks for a fresh data key and seals `plaintext` under it. The plaintext key is dropped
/// (and wiped) before this returns.
pub async fn seal<K: KeyProvider>(
    keys: &K,
    binding: Binding<'_>,
    plaintext: &[u8],
) -> Result<Envelope, SealError> {
    let data_key = keys
        .generate_data_key(&binding.encryption_context())
        .await?;
    seal_under(&data_key, binding, plaintext)
}

/// Seals `plaintext` under a data key already made for `binding`'s encryption context, with
/// a fresh random nonce: for a write that may be attempted more than once (a backup-code use
/// that lost a race) without asking KMS again.
pub fn seal_under(
    data_key: &DataKey,
    binding: Binding<'_>,
    plaintext: &[u8],
) -> Result<Envelope, SealError> {
    let format_version = binding.format_version();
    let (nonce, ciphertext) = seal_with_key(
        &data_key.plaintext,
        &binding.associated_data(format_version),
        plaintext,
    )?;
    Ok(Envelope {
        format_version,
        key_id: data_key.key_id.clone(),
        encrypted_data_key: data_key.encrypted.clone(),
        nonce,
        ciphertext,
    })
}

/// Unwraps the data key with the same context and opens the ciphertext with the same AAD.
pub async fn open<K: KeyProvider>(
    keys: &K,
    binding: Binding<'_>,
    envelope: &Envelope,
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    if !(1..=FORMAT_VERSION).contains(&envelope.format_version) {
        return Err(OpenError::Integrity("unknown format version"));
    }
    // A usePolicy beside an item of a format that does not bind one was put there by hand.
    if envelope.format_version < FORMAT_VERSION
        && binding.fields.is_some_and(|f| f.use_policy.is_some())
    {
        return Err(OpenError::Integrity(
            "a usePolicy the item's format does not bind",
        ));
    }
    let key = keys
        .decrypt_data_key(
            &envelope.encrypted_data_key,
            &envelope.key_id,
            &binding.encryption_context(),
        )
        .await?;
    open_with_key(
        &key,
        &binding.associated_data(envelope.format_version),
        &envelope.nonce,
        &envelope.ciphertext,
    )
}

pub(crate) fn seal_with_key(
    key: &PlainDataKey,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<([u8; NONCE_LEN], Vec<u8>), SealError> {
    let sealing_key =
        RandomizedNonceKey::new(&AES_256_GCM, key.expose_secret()).map_err(|_| SealError::Aead)?;
    let mut in_out = plaintext.to_vec();
    let nonce = sealing_key
        .seal_in_place_append_tag(Aad::from(aad), &mut in_out)
        .map_err(|_| SealError::Aead)?;
    Ok((*nonce.as_ref(), in_out))
}

pub(crate) fn open_with_key(
    key: &PlainDataKey,
    aad: &[u8],
    nonce: &[u8; NONCE_LEN],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let opening_key = RandomizedNonceKey::new(&AES_256_GCM, key.expose_secret())
        .map_err(|_| OpenError::Integrity("unusable data key"))?;
    let mut in_out = Zeroizing::new(ciphertext.to_vec());
    let plaintext_len = opening_key
        .open_in_place(
            Nonce::assume_unique_for_key(*nonce),
            Aad::from(aad),
            &mut in_out,
        )
        .map_err(|_| OpenError::Integrity("AEAD tag mismatch"))?
        .len();
    in_out.truncate(plaintext_len);
    Ok(in_out)
}

/// Copies a provider's plaintext key into a [`PlainDataKey`] and wipes the source.
pub(crate) fn take_plain_key(mut raw: Vec<u8>) -> Option<PlainDataKey> {
    let key = <[u8; DATA_KEY_LEN]>::try_from(raw.as_slice())
        .ok()
        .map(|k| SecretBox::new(Box::new(k)));
    zeroize::Zeroize::zeroize(&mut raw);
    key
}

#[cfg(test)]
mod tests;
