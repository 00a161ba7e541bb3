//! Every key shape and attribute name of the table, in one place for the adapter, the admin
//! commands and the tests that read items raw. One table, two string keys `pk` / `sk`:
//!
//! | item        | pk                  | sk             |
//! |-------------|---------------------|----------------|
//! | credential  | `ID#<identity>`     | `CRED#<name>`  |
//! | its summary | `ID#<identity>`     | `INFO#<name>`  |
//! | identity    | `ID#<identity>`     | `IDENTITY`     |
//! | API key     | `KEY#<sha256 hex>`  | `KEY`          |
//! | MAC secret  | `CONFIG`            | `KEY_MAC#<gen>`|
//! | rate count  | `RATE#<identity>`   | `<unix minute>`|
//! | log entry   | `LOG#<identity>`    | `<unix ms, 13 digits>#<log id>` |
//! | day counts  | `STATS#<identity>`  | `<YYYY-MM-DD>` |

use crate::auth::KeyHash;
use crate::domain::{CredentialName, IdentityId, RateWindow, Timestamp};

pub struct TableLayout;

impl TableLayout {
    pub const PK: &'static str = "pk";
    pub const SK: &'static str = "sk";

    pub const CREDENTIAL_PREFIX: &'static str = "CRED#";
    /// A credential's plaintext fields and `lastUsedAt`, a small item beside the large one:
    /// listing and recording a use cost the same whatever size `data` is.
    pub const SUMMARY_PREFIX: &'static str = "INFO#";
    pub const IDENTITY_SK: &'static str = "IDENTITY";
    pub const KEY_SK: &'static str = "KEY";

    /// The attribute the table's TTL reads: counters remove themselves.
    pub const TTL: &'static str = "ttl";

    pub fn credential_key(identity: &IdentityId, name: &CredentialName) -> (String, String) {
        (
            Self::identity_pk(identity),
            format!("{}{name}", Self::CREDENTIAL_PREFIX),
        )
    }

    pub fn summary_key(identity: &IdentityId, name: &CredentialName) -> (String, String) {
        (
            Self::identity_pk(identity),
            format!("{}{name}", Self::SUMMARY_PREFIX),
        )
    }

    pub fn identity_pk(identity: &IdentityId) -> String {
        format!("ID#{identity}")
    }

    pub fn identity_key(identity: &IdentityId) -> (String, String) {
        (Self::identity_pk(identity), Self::IDENTITY_SK.to_owned())
    }

    pub fn rate_key(identity: &IdentityId, window: RateWindow) -> (String, String) {
        (format!("RATE#{identity}"), window.index().to_string())
    }

    /// The identity's activity entries, sorted by [`crate::domain::LogCursor::sort_key`].
    pub fn log_pk(identity: &IdentityId) -> String {
        format!("LOG#{identity}")
    }

    /// The identity's counters for the UTC day of `at`.
    pub fn stats_key(identity: &IdentityId, at: &Timestamp) -> (String, String) {
        (format!("STATS#{identity}"), at.day())
    }

    /// The wrapped secret of the key-item MAC, one per generation (written by operators only).
    pub fn key_mac_secret_key(generation: u32) -> (String, String) {
        ("CONFIG".to_owned(), format!("KEY_MAC#{generation}"))
    }

    pub fn api_key_key(hash: &KeyHash) -> (String, String) {
        (format!("KEY#{}", hash.as_str()), Self::KEY_SK.to_owned())
    }
}

/// Attribute names other than the keys.
pub mod attr {
    pub const IDENTITY_ID: &str = "identityId";
    pub const NAME: &str = "name";
    pub const CREDENTIAL_ID: &str = "credentialId";
    pub const TYPE: &str = "type";
    pub const METADATA: &str = "metadata";
    pub const EXPIRES_AT: &str = "expiresAt";
    pub const CREATED_AT: &str = "createdAt";
    pub const LAST_USED_AT: &str = "lastUsedAt";
    pub const LAST_ROTATED_AT: &str = "lastRotatedAt";
    pub const FORMAT_VERSION: &str = "formatVersion";
    pub const KMS_KEY_ID: &str = "kmsKeyId";
    pub const ENCRYPTED_DATA_KEY: &str = "encryptedDataKey";
    pub const NONCE: &str = "nonce";
    /// A credential's sealed `data`; on the MAC secret's item, the wrapped secret.
    pub const CIPHERTEXT: &str = "ciphertext";
    pub const SCOPES: &str = "scopes";
    pub const REVOKED_AT: &str = "revokedAt";
    pub const REQUESTS: &str = "requests";
    /// HMAC-SHA256 over what a key item grants (`crate::auth::KeyGrant`).
    pub const MAC: &str = "mac";
}
