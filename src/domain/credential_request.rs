//! A request for a credential that a person fills in on a one-time page (request links):
//! what the agent asks for, how the request stands, and the `PUT` body a filled-in form
//! makes, so that a submit is stored exactly as a `PUT` would be.

use super::json_text;
use super::new_credential::{BodyError, parse_metadata};
use super::request_fields::{parse_fields, shows_as_written};
use super::{
    CredentialName, CredentialType, IdentityId, Metadata, NewCredential, Timestamp, UsePolicy,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

pub const MAX_FIELDS: usize = 16;
pub const MAX_FIELD_NAME: usize = 64;
pub const MAX_LABEL: usize = 100;
pub const MAX_MESSAGE: usize = 1000;
pub const DEFAULT_EXPIRES_IN: u64 = 3600;
pub const MIN_EXPIRES_IN: u64 = 60;
pub const MAX_EXPIRES_IN: u64 = 7 * 24 * 3600;
/// Requests one identity may have pending at once.
pub const MAX_PENDING_REQUESTS: usize = 25;
/// A creation body over this is refused unread (its largest part is `metadata`).
pub const MAX_REQUEST_BODY: usize = 64 * 1024;

const BODY_FIELDS: [&str; 7] = [
    "name",
    "type",
    "fields",
    "message",
    "usePolicy",
    "metadata",
    "expiresIn",
];

fn invalid(message: impl Into<String>) -> BodyError {
    BodyError::Invalid(message.into())
}

/// `creq_` and 32 lowercase hex characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    pub fn generate() -> Result<Self, aws_lc_rs::error::Unspecified> {
        super::random_id("creq_").map(Self)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let hex = raw.strip_prefix("creq_")?;
        let ok = hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One value asked for: a `data` member when `secret`, else a `metadata` member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestField {
    pub name: String,
    pub label: String,
    pub secret: bool,
}

/// Members whose values span lines (PEM keys and certificates): a text box would drop their
/// line breaks, so the page asks for them in a text area.
const MULTILINE_MEMBERS: [&str; 4] = ["privateKey", "publicKey", "certificate", "certificateChain"];

impl RequestField {
    pub fn multiline(&self) -> bool {
        MULTILINE_MEMBERS.contains(&self.name.as_str())
    }
}

/// What an agent asks a person for, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct CredentialRequestSpec {
    pub name: CredentialName,
    pub kind: CredentialType,
    pub fields: Vec<RequestField>,
    pub message: Option<String>,
    pub use_policy: Option<UsePolicy>,
    pub metadata: Option<Metadata>,
    pub expires_in: u64,
}

impl CredentialRequestSpec {
    /// Reads `POST /v0/credential-requests`' body (and `vault_request`'s arguments, as JSON).
    pub fn from_json(body: &[u8]) -> Result<Self, BodyError> {
        if body.len() > MAX_REQUEST_BODY {
            return Err(BodyError::TooLarge(format!(
                "Request body is over {MAX_REQUEST_BODY} bytes"
            )));
        }
        let not_json =
            |e: serde_json::Error| invalid(format!("Request body is not valid JSON: {e}"));
        let text = std::str::from_utf8(body)
            .map_err(|_| invalid("Request body is not valid JSON: it is not UTF-8"))?;
        if !text.trim_start().starts_with('{') {
            return Err(invalid("Request body must be a JSON object"));
        }
        // Strict, at every depth: a member named twice (inside `fields` or `usePolicy` too),
        // nesting past what parsers take.
        json_text::check(text).map_err(|e| match e {
            json_text::CheckError::Syntax(e) => not_json(e),
            strict => invalid(format!("Request body is refused: {strict}")),
        })?;
        let mut members: BTreeMap<String, &RawValue> = BTreeMap::new();
        for member in json_text::members(text).map_err(not_json)? {
            if members
                .insert(member.name.into_owned(), member.value)
                .is_some()
            {
                return Err(invalid("Request body gives a field twice"));
            }
        }
        if members.keys().any(|k| !BODY_FIELDS.contains(&k.as_str())) {
            return Err(invalid(format!(
                "Unknown field in request body; the fields are: {}",
                BODY_FIELDS.join(", ")
            )));
        }
        let value = |name: &str| -> Result<Option<Value>, BodyError> {
            match members.get(name) {
                None => Ok(None),
                Some(raw) => serde_json::from_str(raw.get()).map(Some).map_err(not_json),
            }
        };
        let name = match value("name")? {
            Some(Value::String(raw)) => {
                CredentialName::parse(&raw).map_err(|e| invalid(format!("Field `name`: {e}")))?
            }
            _ => return Err(invalid("Field `name` is required and must be a string")),
        };
        let kind = match value("type")? {
            Some(Value::String(raw)) => CredentialType::parse(&raw),
            _ => None,
        }
        .ok_or_else(|| {
            invalid(format!(
                "Field `type` must be one of: {}",
                CredentialType::names()
            ))
        })?;
        let fields = parse_fields(kind, value("fields")?)?;
        let message = match value("message")? {
            None | Some(Value::Null) => None,
            Some(Value::String(m)) if m.chars().count() <= MAX_MESSAGE && shows_as_written(&m) => {
                Some(m)
            }
            Some(_) => {
                return Err(invalid(format!(
                    "Field `message` must be a string of at most {MAX_MESSAGE} characters, \
                     without control, bidirectional formatting or invisible characters"
                )));
            }
        };
        let use_policy = match value("usePolicy")? {
            None | Some(Value::Null) => None,
            Some(policy) => Some(UsePolicy::parse(&policy).map_err(BodyError::Invalid)?),
        };
        let metadata = parse_metadata(members.get("metadata").copied())?;
        if let Some(metadata) = &metadata
            && let Some(clash) = fields
                .iter()
                .find(|f| !f.secret && metadata.get(&f.name).is_some())
        {
            return Err(invalid(format!(
                "Field `fields`: `{}` is also a key of `metadata`",
                clash.name
            )));
        }
        let expires_in = match value("expiresIn")? {
            None | Some(Value::Null) => DEFAULT_EXPIRES_IN,
            Some(Value::Number(n)) => n
                .as_u64()
                .filter(|s| (MIN_EXPIRES_IN..=MAX_EXPIRES_IN).contains(s))
                .ok_or_else(expires_in_error)?,
            Some(_) => return Err(expires_in_error()),
        };
        Ok(Self {
            name,
            kind,
            fields,
            message,
            use_policy,
            metadata,
            expires_in,
        })
    }

    /// The `PUT` body that `values` (one per field, in order) make, parsed as a `PUT`'s:
    /// the same checks and the same errors. Messages name fields by label, never a value.
    pub fn credential_from(
        &self,
        values: &[Zeroizing<String>],
    ) -> Result<NewCredential, BodyError> {
        if values.len() != self.fields.len() {
            return Err(invalid(
                "The form does not match this request; open the link again",
            ));
        }
        if let Some((field, _)) = self.fields.iter().zip(values).find(|(_, v)| v.is_empty()) {
            return Err(invalid(format!("Fill in `{}`", field.label)));
        }
        // A text area's line breaks come as CRLF; stored as LF, as the files they come from.
        let values: Vec<Zeroizing<String>> = self
            .fields
            .iter()
            .zip(values)
            .map(
                |(field, value)| match field.multiline() && value.contains('\r') {
                    true => {
                        let mut unix = Zeroizing::new(String::with_capacity(value.len()));
                        unix.extend(value.chars().filter(|c| *c != '\r'));
                        unix
                    }
                    false => value.clone(),
                },
            )
            .collect();
        let values = values.as_slice();
        let pairs = |secret: bool| {
            self.fields
                .iter()
                .zip(values)
                .filter(move |(f, _)| f.secret == secret)
                .map(|(f, v)| (f.name.as_str(), v.as_str()))
        };
        // Sized once and written once: a buffer that grew would leave copies unwiped.
        let room = 64
            + values.iter().map(|v| v.len() * 6).sum::<usize>()
            + self
                .fields
                .iter()
                .map(|f| f.name.len() * 6 + 8)
                .sum::<usize>()
            + self.metadata.as_ref().map_or(0, |m| m.as_str().len())
            + self.use_policy.as_ref().map_or(0, |p| p.canonical().len());
        let mut body = Zeroizing::new(Vec::with_capacity(room));
        body.extend_from_slice(br#"{"type":""#);
        body.extend_from_slice(self.kind.as_str().as_bytes());
        body.extend_from_slice(br#"","data":"#);
        write_object(&mut body, None, pairs(true));
        if self.metadata.is_some() || self.fields.iter().any(|f| !f.secret) {
            body.extend_from_slice(br#","metadata":"#);
            write_object(&mut body, self.metadata.as_ref(), pairs(false));
        }
        if let Some(policy) = &self.use_policy {
            body.extend_from_slice(br#","usePolicy":"#);
            body.extend_from_slice(policy.canonical().as_bytes());
        }
        body.push(b'}');
        NewCredential::from_json(&body)
    }
}

/// Writes an object of `base`'s members (as stored) followed by `pairs`, as JSON strings.
fn write_object<'a>(
    out: &mut Vec<u8>,
    base: Option<&Metadata>,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
) {
    let inner = base
        .map(|m| m.as_str().trim())
        .and_then(|text| text.strip_prefix('{')?.strip_suffix('}'))
        .unwrap_or("");
    out.push(b'{');
    out.extend_from_slice(inner.as_bytes());
    let mut first = inner.trim().is_empty();
    for (name, value) in pairs {
        if !first {
            out.push(b',');
        }
        first = false;
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, name);
        out.push(b':');
        let _ = serde_json::to_writer(&mut *out, value);
    }
    out.push(b'}');
}

fn expires_in_error() -> BodyError {
    invalid(format!(
        "Field `expiresIn` must be a whole number of seconds from {MIN_EXPIRES_IN} to {MAX_EXPIRES_IN}"
    ))
}

/// How a request stands, as its status answers say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestStatus {
    Pending,
    Fulfilled,
    Expired,
    Cancelled,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Fulfilled => "fulfilled",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }
}

/// What has happened to a request, as stored (expiry is read from the clock instead).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestState {
    Pending,
    Fulfilled {
        credential_id: String,
        at: Timestamp,
    },
    Cancelled {
        at: Timestamp,
    },
}

/// A request as kept: its spec, its dates, its state, and the hash of its link's secret.
#[derive(Clone, Debug, PartialEq)]
pub struct CredentialRequestRecord {
    pub identity: IdentityId,
    pub id: RequestId,
    pub spec: CredentialRequestSpec,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub state: RequestState,
    pub secret_hash: String,
    /// The hash (hex) of the key that asked: its link opens only while that key may still
    /// write the name.
    pub asked_by: String,
}

impl CredentialRequestRecord {
    pub fn status(&self, now: Timestamp) -> RequestStatus {
        match self.state {
            RequestState::Fulfilled { .. } => RequestStatus::Fulfilled,
            RequestState::Cancelled { .. } => RequestStatus::Cancelled,
            RequestState::Pending if self.expires_at.has_passed_at(now) => RequestStatus::Expired,
            RequestState::Pending => RequestStatus::Pending,
        }
    }

    /// The fields as stored: their JSON array.
    pub fn fields_json(&self) -> String {
        serde_json::to_string(&self.spec.fields).unwrap_or_else(|_| "[]".to_owned())
    }

    /// Fields read back from their stored JSON.
    pub fn fields_from_json(text: &str) -> Option<Vec<RequestField>> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
#[path = "credential_request_tests.rs"]
mod tests;
