//! The persistence port: what the vault needs from a table, and two adapters for it.

mod dynamodb;
mod memory;

pub use dynamodb::{DynamoStore, TableLayout, record_from_item, record_to_item};
pub use memory::MemoryStore;

use crate::auth::IdentityId;
use crate::crypto::Envelope;
use crate::dependency::DependencyError;
use crate::domain::{CredentialName, CredentialType, Timestamp};
use serde_json::{Map, Value};
use std::future::Future;

/// One credential as stored: plaintext fields for display, `data` only inside the envelope.
#[derive(Clone, Debug, PartialEq)]
pub struct CredentialRecord {
    pub identity: IdentityId,
    pub name: CredentialName,
    pub credential_id: String,
    pub kind: CredentialType,
    pub metadata: Option<Map<String, Value>>,
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub envelope: Envelope,
}

/// Whether a write made a new credential or replaced one of the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutOutcome {
    Created,
    Replaced,
}

pub trait CredentialStore: Send + Sync {
    /// Writes the record whole, unconditionally: whatever had its name is gone after.
    fn put(
        &self,
        record: &CredentialRecord,
    ) -> impl Future<Output = Result<PutOutcome, DependencyError>> + Send;
}
