//! The contract's rules on a credential's `data`, by type.

use super::json_text::{self, JsonKind};
use super::new_credential::BodyError;
use super::{CredentialType, SecretData, decode_totp_secret};
use serde_json::value::RawValue;

fn invalid(message: impl Into<String>) -> BodyError {
    BodyError::Invalid(message.into())
}

/// The per-type rules of the contract: listed secret fields are strings where present,
/// TOTP needs a base32 `secret`, backup-code lists are arrays of non-empty strings on any type,
/// and any type may carry a base32 `totp`.
pub(super) fn check_data(kind: CredentialType, data: &SecretData) -> Result<(), BodyError> {
    let is_base32 = |field: &str| {
        data.expose_string(field)
            .is_some_and(|s| decode_totp_secret(&s).is_some())
    };
    for &field in kind.string_fields() {
        if data
            .expose_member(field)
            .is_some_and(|v| json_text::kind(v) != JsonKind::String)
        {
            return Err(invalid(format!("Field `data.{field}` must be a string")));
        }
    }
    if kind == CredentialType::Totp && !is_base32("secret") {
        return Err(invalid(
            "Field `data.secret` is required for TOTP and must be a valid base32 string",
        ));
    }
    // The backup endpoint and GET's masking work on any type that carries codes, so the
    // rule holds for every type.
    for list in ["backupCodes", "usedBackupCodes"] {
        if data
            .expose_member(list)
            .is_some_and(|v| !is_list_of_codes(v))
        {
            return Err(invalid(format!(
                "Field `data.{list}` must be an array of non-empty strings"
            )));
        }
    }
    if data.contains("totp") && !is_base32("totp") {
        return Err(invalid("Field `data.totp` must be a valid base32 string"));
    }
    Ok(())
}

fn is_list_of_codes(value: &RawValue) -> bool {
    serde_json::from_str::<Vec<&RawValue>>(value.get()).is_ok_and(|codes| {
        codes
            .iter()
            .all(|c| json_text::kind(c) == JsonKind::String && c.get() != "\"\"")
    })
}
