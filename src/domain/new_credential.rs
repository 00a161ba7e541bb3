//! Parsing the body of `PUT /v0/vault/{name}` into a [`NewCredential`].
//!
//! The body is read as a `serde_json::Value` and taken apart by hand rather than derived:
//! serde's typed errors quote the offending value, and here that value may be a secret.
//! Every message below names fields, never their contents.

use super::data_rules::check_data;
use super::json_text::{self, CheckError, JsonKind};
use super::{CredentialType, Metadata, SecretData, Timestamp, UsePolicy};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// The serialized size limits that keep one credential inside one DynamoDB item (400 KB):
/// 256 KiB of ciphertext plus 32 KiB of metadata plus fixed fields stay well under it.
/// Sizes are of the compact text that is stored.
pub const MAX_DATA_BYTES: usize = 256 * 1024;
pub const MAX_METADATA_BYTES: usize = 32 * 1024;

/// The seed's fields, then credvault's own `usePolicy` (brokered use).
const FIELDS: [&str; 5] = ["type", "data", "metadata", "expiresAt", "usePolicy"];

/// How much larger than its compact form a field's raw text may be (spaces, indentation)
/// before it is refused unparsed.
const RAW_ALLOWANCE: usize = 2;
/// `type` and `expiresAt` are short strings; anything longer is refused unparsed.
const SMALL_FIELD_BYTES: usize = 4096;

/// A store request that has passed every check of the contract. `data` and `metadata` are
/// the caller's text, compacted: numbers and escapes stay as they were written.
#[derive(Debug)]
pub struct NewCredential {
    pub kind: CredentialType,
    pub data: SecretData,
    pub metadata: Option<Metadata>,
    pub expires_at: Option<Timestamp>,
    pub use_policy: Option<UsePolicy>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    TooLarge(String),
}

fn invalid(message: impl Into<String>) -> BodyError {
    BodyError::Invalid(message.into())
}

impl NewCredential {
    pub fn from_json(body: &[u8]) -> Result<Self, BodyError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(invalid("Request body is required"));
        }
        // Syntax errors name a line and column, never the text.
        let not_json =
            |e: serde_json::Error| invalid(format!("Request body is not valid JSON: {e}"));
        let first = body.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            // Checked without building anything: any JSON that is not an object.
            serde_json::from_slice::<serde::de::IgnoredAny>(body).map_err(not_json)?;
            return Err(invalid("Request body must be a JSON object"));
        }
        // Fields are kept as raw text, borrowed from the body: no field is turned into a tree
        // of values before its size is known (a 2 MiB body of tiny values would otherwise
        // take over 100 MB of memory to be refused), and no copy of `data` is left unwiped.
        let text = match std::str::from_utf8(body) {
            Ok(text) => text,
            // serde_json's own words for where the bytes stop being text.
            Err(_) => {
                serde_json::from_slice::<serde::de::IgnoredAny>(body).map_err(not_json)?;
                return Err(invalid("Request body is not valid JSON: it is not UTF-8"));
            }
        };
        let mut fields: BTreeMap<String, &RawValue> = BTreeMap::new();
        for member in json_text::members(text).map_err(not_json)? {
            // Readers disagree on which of two same-named fields counts: neither is taken.
            if fields
                .insert(member.name.into_owned(), member.value)
                .is_some()
            {
                return Err(invalid("Request body gives a field twice"));
            }
        }
        // The unknown name itself is never quoted: a secret pasted as a key fits any length.
        if fields.keys().any(|k| !FIELDS.contains(&k.as_str())) {
            return Err(invalid(format!(
                "Unknown field in request body; the fields are: {}",
                FIELDS.join(", ")
            )));
        }

        // A field whose raw text is over `limit` is refused with `refusal`, unparsed.
        let mut field = |name: &str, limit: usize, refusal: BodyError| match fields.remove(name) {
            None => Ok(None),
            Some(raw) if raw.get().len() > limit => Err(refusal),
            Some(raw) => Ok(Some(raw)),
        };
        let too_large = |name: &str, limit: usize| {
            BodyError::TooLarge(format!("Field `{name}` is over {limit} bytes serialized"))
        };
        let value = |raw: Option<&RawValue>| match raw {
            None => Ok(None),
            Some(raw) => serde_json::from_str::<Value>(raw.get())
                .map(Some)
                .map_err(not_json),
        };
        let kind = value(field("type", SMALL_FIELD_BYTES, kind_error())?)?;
        let kind = parse_kind(kind.as_ref())?;
        let raw_data = MAX_DATA_BYTES * RAW_ALLOWANCE;
        let data = parse_data(
            kind,
            field("data", raw_data, too_large("data", MAX_DATA_BYTES))?,
        )?;
        let raw_metadata = MAX_METADATA_BYTES * RAW_ALLOWANCE;
        let metadata = field(
            "metadata",
            raw_metadata,
            too_large("metadata", MAX_METADATA_BYTES),
        )?;
        let metadata = parse_metadata(metadata)?;
        let expiry = value(field(
            "expiresAt",
            SMALL_FIELD_BYTES,
            invalid(EXPIRY_MESSAGE),
        )?)?;
        let expires_at = parse_expiry(expiry.as_ref())?;
        let policy = value(field(
            "usePolicy",
            SMALL_FIELD_BYTES * 8,
            invalid(POLICY_SIZE),
        )?)?;
        let use_policy = match policy {
            None | Some(Value::Null) => None,
            Some(policy) => Some(UsePolicy::parse(&policy).map_err(BodyError::Invalid)?),
        };
        Ok(Self {
            kind,
            data,
            metadata,
            expires_at,
            use_policy,
        })
    }
}

fn parse_kind(value: Option<&Value>) -> Result<CredentialType, BodyError> {
    match value {
        None | Some(Value::Null) => return Err(invalid("Field `type` is required")),
        Some(Value::String(raw)) => CredentialType::parse(raw),
        Some(_) => None,
    }
    .ok_or_else(kind_error)
}

fn kind_error() -> BodyError {
    invalid(format!(
        "Field `type` must be one of: {}",
        CredentialType::names()
    ))
}

const POLICY_SIZE: &str = "Field `usePolicy` is over 32768 bytes";

const EXPIRY_MESSAGE: &str =
    "Field `expiresAt` must be an RFC 3339 date-time (or an ISO 8601 date)";

/// An object field's text, checked strictly and compacted; `None` for null or absent.
fn object_text(
    name: &str,
    raw: Option<&RawValue>,
    wrong_kind: &str,
) -> Result<Option<Zeroizing<String>>, BodyError> {
    let Some(raw) = raw.filter(|raw| json_text::kind(raw) != JsonKind::Null) else {
        return Ok(None);
    };
    if json_text::kind(raw) != JsonKind::Object {
        return Err(invalid(wrong_kind));
    }
    json_text::check(raw.get()).map_err(|e| match e {
        CheckError::Syntax(e) => invalid(format!("Field `{name}` is not valid JSON: {e}")),
        strict => invalid(format!("Field `{name}` is refused: {strict}")),
    })?;
    Ok(Some(json_text::compact(raw.get())))
}

fn parse_data(kind: CredentialType, raw: Option<&RawValue>) -> Result<SecretData, BodyError> {
    let text = object_text("data", raw, "Field `data` must be an object")?
        .ok_or_else(|| invalid("Field `data` is required"))?;
    if text.as_str() == "{}" {
        return Err(invalid("Field `data` must not be empty"));
    }
    let data = SecretData::from_checked(text);
    check_data(kind, &data)?;
    if data.expose_bytes().len() > MAX_DATA_BYTES {
        return Err(BodyError::TooLarge(format!(
            "Field `data` is over {MAX_DATA_BYTES} bytes serialized"
        )));
    }
    Ok(data)
}

pub(super) fn parse_metadata(raw: Option<&RawValue>) -> Result<Option<Metadata>, BodyError> {
    let wrong = "Field `metadata` must be an object or null";
    let Some(mut text) = object_text("metadata", raw, wrong)? else {
        return Ok(None);
    };
    if text.len() > MAX_METADATA_BYTES {
        return Err(BodyError::TooLarge(format!(
            "Field `metadata` is over {MAX_METADATA_BYTES} bytes serialized"
        )));
    }
    Ok(Some(Metadata::from_checked(std::mem::take(&mut *text))))
}

fn parse_expiry(value: Option<&Value>) -> Result<Option<Timestamp>, BodyError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(raw)) => Timestamp::parse(raw)
            .map(Some)
            .ok_or_else(|| invalid(EXPIRY_MESSAGE)),
        Some(_) => Err(invalid("Field `expiresAt` must be a string or null")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<NewCredential, BodyError> {
        NewCredential::from_json(body.to_string().as_bytes())
    }

    fn message(result: Result<NewCredential, BodyError>) -> String {
        match result {
            Ok(_) => panic!("expected an error"),
            Err(BodyError::Invalid(m) | BodyError::TooLarge(m)) => m,
        }
    }

    #[test]
    fn given_the_seed_api_key_when_parsed_then_every_field_is_kept() {
        let parsed = parse(json!({
            "type": "API_KEY",
            "data": {"key": "sk_live_abc123..."},
            "metadata": {"service": "stripe", "prefix": "sk_live_...c123"},
        }))
        .unwrap();
        assert_eq!(parsed.kind, CredentialType::ApiKey);
        assert_eq!(
            parsed.data.expose_bytes(),
            br#"{"key":"sk_live_abc123..."}"#
        );
        assert_eq!(
            parsed.metadata.unwrap().get("service"),
            Some(Value::from("stripe"))
        );
        assert!(parsed.expires_at.is_none());
    }

    #[test]
    fn expiry_is_normalised_and_null_metadata_is_none() {
        let parsed = parse(json!({
            "type": "CUSTOM", "data": {"x": 1}, "metadata": null,
            "expiresAt": "2030-01-01T01:00:00+01:00",
        }))
        .unwrap();
        assert!(parsed.metadata.is_none());
        assert_eq!(
            parsed.expires_at.unwrap().to_string(),
            "2030-01-01T00:00:00Z"
        );
    }

    fn rejection_cases() -> Vec<(Value, &'static str)> {
        vec![
            (json!({"data": {"k": "v"}}), "`type` is required"),
            (
                json!({"type": "PASSWORD", "data": {"k": "v"}}),
                "one of: LOGIN",
            ),
            (json!({"type": 7, "data": {"k": "v"}}), "one of:"),
            (json!({"type": "LOGIN"}), "`data` is required"),
            (json!({"type": "LOGIN", "data": {}}), "must not be empty"),
            (
                json!({"type": "LOGIN", "data": "sk_live_SECRET"}),
                "`data` must be an object",
            ),
            (
                json!({"type": "LOGIN", "data": {"password": 12345}}),
                "`data.password` must be a string",
            ),
            (
                json!({"type": "TOTP", "data": {"secret": "not base32!"}}),
                "`data.secret`",
            ),
            (
                json!({"type": "TOTP", "data": {"issuer": "x"}}),
                "`data.secret`",
            ),
            (
                json!({"type": "TOTP", "data": {"secret": "JBSWY3DPEHPK3PXP", "backupCodes": ["a", ""]}}),
                "`data.backupCodes`",
            ),
        ]
    }

    fn more_rejection_cases() -> Vec<(Value, &'static str)> {
        vec![
            (
                json!({"type": "CUSTOM", "data": {"backupCodes": ["", "x"]}}),
                "`data.backupCodes`",
            ),
            (
                json!({"type": "LOGIN", "data": {"usedBackupCodes": [1]}}),
                "`data.usedBackupCodes`",
            ),
            (
                json!({"type": "LOGIN", "data": {"totp": "sk_live_SECRET!"}}),
                "`data.totp`",
            ),
            (
                json!({"type": "LOGIN", "data": {"p": "x"}, "metadata": "sk_live_SECRET"}),
                "`metadata`",
            ),
            (
                json!({"type": "LOGIN", "data": {"p": "x"}, "expiresAt": "sk_live_SECRET"}),
                "`expiresAt`",
            ),
            (
                json!({"type": "LOGIN", "data": {"p": "x"}, "expiresAt": 1}),
                "`expiresAt`",
            ),
            (
                json!({"type": "LOGIN", "data": {"p": "x"}, "extra": 1}),
                "Unknown field in request body; the fields are: type,",
            ),
            (
                json!({"type": "LOGIN", "data": {"p": "x"}, "ghp_SECRET0123456789abcdef0123456789": 1}),
                "Unknown field in request body",
            ),
            (json!(["sk_live_SECRET"]), "must be a JSON object"),
        ]
    }

    #[test]
    fn rejections_name_the_field_and_never_the_secret() {
        for (body, expected) in rejection_cases().into_iter().chain(more_rejection_cases()) {
            let got = message(parse(body.clone()));
            assert!(got.contains(expected), "{body}: {got}");
            assert!(!got.contains("SECRET"), "{body}: leaked in {got}");
        }
    }

    #[test]
    fn syntax_errors_do_not_quote_the_body() {
        let got = message(NewCredential::from_json(
            br#"{"type":"LOGIN","data":{"password":"sk_live_SECRET"#,
        ));
        assert!(got.starts_with("Request body is not valid JSON"), "{got}");
        assert!(!got.contains("SECRET"), "{got}");
        assert_eq!(
            message(NewCredential::from_json(b"  ")),
            "Request body is required"
        );
    }

    #[test]
    fn oversized_data_and_metadata_are_too_large() {
        let big = "x".repeat(MAX_DATA_BYTES);
        let result = parse(json!({"type": "CUSTOM", "data": {"blob": big}}));
        assert!(matches!(result, Err(BodyError::TooLarge(_))));
        let fits = "x".repeat(MAX_DATA_BYTES - 20);
        assert!(parse(json!({"type": "CUSTOM", "data": {"blob": fits}})).is_ok());
        let big_meta = "x".repeat(MAX_METADATA_BYTES);
        let result =
            parse(json!({"type": "CUSTOM", "data": {"a": 1}, "metadata": {"m": big_meta}}));
        assert!(matches!(result, Err(BodyError::TooLarge(_))));
    }

    #[test]
    fn custom_accepts_any_shape_and_other_types_allow_extra_fields() {
        assert!(parse(json!({"type": "CUSTOM", "data": {"n": 1, "list": [true, null]}})).is_ok());
        assert!(parse(json!({"type": "LOGIN", "data": {"note": ["x"], "password": "p"}})).is_ok());
        assert!(
            parse(json!({"type": "CARD", "data": {"number": "4242", "expMonth": "12"}})).is_ok()
        );
    }
}
