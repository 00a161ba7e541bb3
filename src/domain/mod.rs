//! The vault's vocabulary: what a credential is, independent of HTTP and AWS.

mod action;
mod activity;
mod broker_request;
mod broker_template;
mod credential_request;
mod data_rules;
mod grant;
mod identity;
mod identity_request;
pub mod json_text;
mod kind;
mod link_token;
mod list_cursor;
mod log_cursor;
mod metadata;
mod name;
mod new_credential;
mod rate;
mod request_fields;
mod scrub;
mod secret;
mod time;
mod totp;
mod totp_secret;
mod use_policy;

pub use action::Action;
pub use activity::{
    ActivityEntry, ActivityStats, Caller, Category, Channel, DEFAULT_LOG_RETENTION_DAYS, LogFilter,
    LogPage, Outcome, Severity, Target,
};
pub use broker_request::{BrokerRequest, MAX_BROKERED_BODY, MAX_HEADER_VALUE_BYTES, MAX_URL_BYTES};
pub use broker_template::{FillError, MIN_SUBSTITUTED_BYTES, Slot, Template, Values, url_safe};
pub use credential_request::{
    CredentialRequestRecord, CredentialRequestSpec, DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN,
    MAX_FIELD_NAME, MAX_FIELDS, MAX_LABEL, MAX_PENDING_REQUESTS, MAX_REQUEST_BODY, RequestField,
    RequestId, RequestState, RequestStatus,
};
pub use grant::{
    Access, Capability, Decision, Grant, InvalidLimits, KeyLimits, MAX_GRANTS, MAX_PATTERNS,
    NamePattern,
};
pub use identity::{IdentityId, IdentityProfile, KeyKind, OrgId, Scope, Subject, UNSERVED_SCOPES};
pub use identity_request::{
    IdentityUpdate, MAX_IDENTITY_NAME, NewIdentitySpec, NewKeySpec, generated_name,
};
pub use kind::CredentialType;
pub use link_token::LinkToken;
pub use list_cursor::ListCursor;
pub use log_cursor::LogCursor;
pub use metadata::Metadata;
pub use name::{CredentialName, InvalidName, MAX_NAME_LEN};
pub use new_credential::{BodyError, MAX_DATA_BYTES, MAX_METADATA_BYTES, NewCredential};
pub use rate::RateWindow;
pub use scrub::Scrubber;
pub use secret::{SecretData, serialize_wiped};
pub use time::Timestamp;
pub use totp::{
    BACKUP_CODES_PLACEHOLDER, TOTP_DIGITS, TOTP_PLACEHOLDER, TOTP_STEP_SECONDS, totp_algorithm,
    totp_code, totp_remaining,
};
pub use totp_secret::decode_totp_secret;
pub use use_policy::{METHODS, PolicyRefusal, UsePolicy};

/// `prefix` followed by 32 lowercase hex characters from the system's CSPRNG.
pub fn random_id(prefix: &str) -> Result<String, aws_lc_rs::error::Unspecified> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes)?;
    Ok(format!("{prefix}{}", hex::encode(bytes)))
}
