//! Every key shape and attribute name of the table, in one place for the adapter, the admin
//! commands and the tests that read items raw. One table, two string keys `pk` / `sk`:
//!
//! | item        | pk                  | sk             |
//! |-------------|---------------------|----------------|
//! | credential  | `ID#<identity>`     | `CRED#<name>`  |
//! | its summary | `ID#<identity>`     | `INFO#<name>`  |
//! | identity    | `ID#<identity>`     | `IDENTITY`     |
//! | its keys    | `ID#<identity>`     | `KEYREF#<sha256 hex>` |
//! | credential request | `ID#<identity>` | `CREQ#<request id>` |
//! | its pending ones | `ID#<identity>` | `CREQS`        |
//! | membership  | `ORG#<org>`         | `ID#<identity>`|
//! | identity key | `KEY#<sha256 hex>` | `KEY`          |
//! | platform key | `PKEY#<sha256 hex>` | `KEY`         |
//! | MAC secret  | `CONFIG`            | `KEY_MAC#<gen>`|
//! | key's uses  | `USES#<sha256 hex>` | `USES`         |
//! | rate count  | `RATE#<subject>`    | `<unix minute>`|
//! | log entry   | `LOG#<subject>`     | `<unix ms, 13 digits>#<log id>` |
//! | day counts  | `STATS#<subject>`   | `<YYYY-MM-DD>` |
//!
//! A subject is an identity (`idt_...`) or, for a platform key's requests, an organisation
//! (`org_...`).

use crate::auth::KeyHash;
use crate::domain::{
    CredentialName, IdentityId, KeyKind, OrgId, RateWindow, RequestId, Subject, Timestamp,
};

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
    pub const IDENTITY_KEY_PREFIX: &'static str = "KEY#";
    pub const PLATFORM_KEY_PREFIX: &'static str = "PKEY#";
    /// A request for a credential, filled in through its link (see `RequestStore`).
    pub const REQUEST_PREFIX: &'static str = "CREQ#";
    /// An identity's record of one of its keys, so its keys are found without a Scan.
    pub const KEYREF_PREFIX: &'static str = "KEYREF#";

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

    pub fn request_key(identity: &IdentityId, id: &RequestId) -> (String, String) {
        (
            Self::identity_pk(identity),
            format!("{}{id}", Self::REQUEST_PREFIX),
        )
    }

    /// The index of an identity's pending requests (what bounds how many it may have).
    pub fn pending_requests_key(identity: &IdentityId) -> (String, String) {
        (Self::identity_pk(identity), "CREQS".to_owned())
    }

    pub fn identity_pk(identity: &IdentityId) -> String {
        format!("ID#{identity}")
    }

    pub fn identity_key(identity: &IdentityId) -> (String, String) {
        (Self::identity_pk(identity), Self::IDENTITY_SK.to_owned())
    }

    /// An identity's record of one of its keys, under its own partition. (Platform keys have
    /// no record: operators find them by a Scan of `PKEY#` items.)
    pub fn keyref_key(owner: &Subject, hash: &KeyHash) -> (String, String) {
        (
            Self::owner_pk(owner),
            format!("{}{}", Self::KEYREF_PREFIX, hash.as_str()),
        )
    }

    /// The organisation's record of one of its identities, listed by its platform keys.
    pub fn membership_key(org: &OrgId, identity: &IdentityId) -> (String, String) {
        (Self::org_pk(org), format!("ID#{identity}"))
    }

    pub fn org_pk(org: &OrgId) -> String {
        format!("ORG#{org}")
    }

    /// The partition a key's owner keeps its records in.
    pub fn owner_pk(owner: &Subject) -> String {
        match owner {
            Subject::Identity(identity) => Self::identity_pk(identity),
            Subject::Org(org) => Self::org_pk(org),
        }
    }

    pub fn rate_pk(subject: &Subject) -> String {
        format!("RATE#{subject}")
    }

    pub fn rate_key(subject: &Subject, window: RateWindow) -> (String, String) {
        (Self::rate_pk(subject), window.index().to_string())
    }

    /// The subject's activity entries, sorted by [`crate::domain::LogCursor::sort_key`].
    pub fn log_pk(subject: &Subject) -> String {
        format!("LOG#{subject}")
    }

    pub fn stats_pk(subject: &Subject) -> String {
        format!("STATS#{subject}")
    }

    /// The subject's counters for the UTC day of `at`.
    pub fn stats_key(subject: &Subject, at: &Timestamp) -> (String, String) {
        (Self::stats_pk(subject), at.day())
    }

    /// How many requests a key with a budget (`maxUses`) has made: its own item, beside
    /// neither kind of key item, so that the function may count platform keys' uses too.
    pub fn uses_key(hash: &KeyHash) -> (String, String) {
        (format!("USES#{}", hash.as_str()), "USES".to_owned())
    }

    /// The wrapped secret of the key-item MAC, one per generation (written by operators only).
    pub fn key_mac_secret_key(generation: u32) -> (String, String) {
        ("CONFIG".to_owned(), format!("KEY_MAC#{generation}"))
    }

    /// A key's item: identity keys under `KEY#`, platform keys under `PKEY#`, so that the
    /// function's role may write the first (a platform key makes identities) and never the
    /// second.
    pub fn api_key_key(hash: &KeyHash) -> (String, String) {
        let prefix = match hash.kind() {
            KeyKind::Identity => Self::IDENTITY_KEY_PREFIX,
            KeyKind::Platform => Self::PLATFORM_KEY_PREFIX,
        };
        (
            format!("{prefix}{}", hash.as_str()),
            Self::KEY_SK.to_owned(),
        )
    }
}

/// Attribute names other than the keys.
pub mod attr {
    pub const IDENTITY_ID: &str = "identityId";
    pub const NAME: &str = "name";
    pub const CREDENTIAL_ID: &str = "credentialId";
    pub const TYPE: &str = "type";
    pub const METADATA: &str = "metadata";
    pub const USE_POLICY: &str = "usePolicy";
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
    /// A deleted identity's item keeps its id, so the id is never given again.
    pub const DELETED_AT: &str = "deletedAt";
    /// On a deleted identity's item once everything it held is removed.
    pub const PURGED: &str = "purged";
    pub const ORG_ID: &str = "orgId";
    /// `platform` on a platform key's item; absent on an identity key's.
    pub const KIND: &str = "kind";
    pub const KEY_HASH: &str = "keyHash";
    pub const KEY_PREFIX: &str = "keyPrefix";
    /// A key's grants, expiry and budget: their canonical JSON text, under the key's MAC.
    pub const LIMITS: &str = "limits";
    /// An identity's primary key, by its hash.
    pub const PRIMARY_KEY: &str = "primaryKey";
    /// An identity's count of changes (`crate::store::IdentityRecord::revision`).
    pub const REVISION: &str = "revision";
    pub const REQUESTS: &str = "requests";
    /// A budgeted key's requests so far.
    pub const USES: &str = "uses";
    /// A credential request's: its id, the fields it asks for (JSON), the agent's message,
    /// where it stands, when it settled, its expiry in unix seconds (what conditions compare),
    /// and the SHA-256 of its link's secret.
    pub const REQUEST_ID: &str = "requestId";
    pub const FIELDS: &str = "fields";
    pub const MESSAGE: &str = "message";
    pub const STATUS: &str = "status";
    pub const SETTLED_AT: &str = "settledAt";
    pub const EXPIRES_AT_SECONDS: &str = "expiresAtSeconds";
    pub const SECRET_HASH: &str = "secretHash";
    /// The key that asked, by its hash.
    pub const ASKED_BY: &str = "askedBy";
    /// On the pending index: each pending request's expiry, by id; and the index's version.
    pub const PENDING: &str = "pending";
    pub const VERSION: &str = "version";
    /// HMAC-SHA256 over what a key item grants (`crate::auth::KeyGrant`).
    pub const MAC: &str = "mac";
}
