//! Parsing a brokered request (`POST /v0/vault/{name}/request`, the MCP tool `vault_http`):
//! `method`, `url`, `headers`, `body` (`bodyEncoding: "base64"` for bytes), with
//! placeholders where the credential's values go. Refusals name fields, never their text.

use super::BodyError;
use super::broker_template::Template;
use super::json_text::{self, CheckError};
use super::use_policy::{METHODS, brokered_method};
use serde_json::{Map, Value};

pub const MAX_URL_BYTES: usize = 8 * 1024;
pub const MAX_HEADERS: usize = 64;
pub const MAX_PLACEHOLDERS: usize = 256;
pub const MAX_HEADER_VALUE_BYTES: usize = 8 * 1024;
/// The most a brokered request may send, and the most of an answer the vault passes back.
pub const MAX_BROKERED_BODY: usize = 1024 * 1024;

const FIELDS: [&str; 5] = ["method", "url", "headers", "body", "bodyEncoding"];

/// Headers the vault sets itself, that would change how the request travels, that would
/// bring back an answer the scrubber cannot read whole (compressed, a byte range), or that
/// ask an upstream for another method or path than the one the policy checked.
const RESERVED_HEADERS: [&str; 17] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "expect",
    "accept-encoding",
    "range",
    "if-range",
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "x-original-url",
    "x-rewrite-url",
];

/// A brokered request as the agent wrote it: templates, not yet filled.
#[derive(Clone, PartialEq, Eq)]
pub struct BrokerRequest {
    pub method: &'static str,
    pub url: Template,
    /// Lowercase names, in the order given.
    pub headers: Vec<(String, Template)>,
    pub body: Option<Template>,
}

/// Shows the method and the counts only: what an agent sends is its business, not the log's.
impl std::fmt::Debug for BrokerRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerRequest")
            .field("method", &self.method)
            .field("headers", &self.headers.len())
            .field("body", &self.body.is_some())
            .finish_non_exhaustive()
    }
}

fn invalid(message: impl Into<String>) -> BodyError {
    BodyError::Invalid(message.into())
}

fn too_large(message: String) -> BodyError {
    BodyError::TooLarge(message)
}

impl BrokerRequest {
    /// Parses the JSON object of the REST body or of the tool's arguments.
    pub fn from_json(body: &[u8]) -> Result<Self, BodyError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| invalid("Request body is not valid JSON: it is not UTF-8"))?;
        if text.trim().is_empty() {
            return Err(invalid("Request body is required"));
        }
        json_text::check(text).map_err(|e| match e {
            CheckError::Syntax(e) => invalid(format!("Request body is not valid JSON: {e}")),
            strict => invalid(format!("Request body is refused: {strict}")),
        })?;
        let value: Value = serde_json::from_str(text)
            .map_err(|e| invalid(format!("Request body is not valid JSON: {e}")))?;
        let Value::Object(fields) = value else {
            return Err(invalid("Request body must be a JSON object"));
        };
        Self::from_fields(&fields)
    }

    pub fn from_fields(fields: &Map<String, Value>) -> Result<Self, BodyError> {
        let request = Self::parse_fields(fields)?;
        // Each placeholder reads the credential's data: their number is bounded.
        let placeholders: usize = request.templates().map(|t| t.fields().count()).sum();
        if placeholders > MAX_PLACEHOLDERS {
            return Err(invalid(format!(
                "A request may hold at most {MAX_PLACEHOLDERS} placeholders"
            )));
        }
        Ok(request)
    }

    fn parse_fields(fields: &Map<String, Value>) -> Result<Self, BodyError> {
        if fields.keys().any(|k| !FIELDS.contains(&k.as_str())) {
            return Err(invalid(format!(
                "Unknown field in request body; the fields are: {}",
                FIELDS.join(", ")
            )));
        }
        let method = match fields.get("method") {
            Some(Value::String(m)) => brokered_method(m),
            _ => None,
        }
        .ok_or_else(|| {
            invalid(format!(
                "Field `method` must be one of: {}",
                METHODS.join(", ")
            ))
        })?;
        Ok(Self {
            method,
            url: parse_url(fields.get("url"))?,
            headers: parse_headers(fields.get("headers"))?,
            body: parse_body(fields.get("body"), fields.get("bodyEncoding"))?,
        })
    }

    /// Every template of the request, for a look at what it references.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::once(&self.url)
            .chain(self.headers.iter().map(|(_, value)| value))
            .chain(self.body.iter())
    }
}

fn parse_url(value: Option<&Value>) -> Result<Template, BodyError> {
    let Some(Value::String(url)) = value else {
        return Err(invalid("Field `url` is required: an absolute https URL"));
    };
    if url.len() > MAX_URL_BYTES {
        return Err(too_large(format!(
            "Field `url` is over {MAX_URL_BYTES} bytes"
        )));
    }
    let lower = url.to_ascii_lowercase();
    let after_scheme = ["https://", "http://"]
        .into_iter()
        .find_map(|scheme| lower.starts_with(scheme).then_some(scheme.len()))
        .ok_or_else(|| invalid("Field `url` must be an absolute https URL"))?;
    if url.contains('#') {
        return Err(invalid("Field `url` must not have a fragment"));
    }
    // What a URL parser skips or folds (backslashes, tabs, line breaks) could move text
    // between the parts of the URL: none of it is taken.
    if url
        .bytes()
        .any(|b| b == b'\\' || b.is_ascii_control() || b == b' ')
    {
        return Err(invalid(
            "Field `url` must not hold a backslash, a space or a control character",
        ));
    }
    // The authority is written out, literally: a host and an optional port, no user, and a
    // placeholder only after it, so that no value can choose where the credential goes.
    let rest = &url[after_scheme..];
    let authority_len = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let literal = !authority.is_empty()
        && authority
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
    let template = Template::parse(url.as_bytes());
    let placeholder_before_path = template.has_placeholders()
        && template.literal_prefix().len() < after_scheme + authority_len;
    if !literal || placeholder_before_path {
        return Err(invalid(
            "Field `url` must write its host (and port) out in full: placeholders go in its path \
             and query only",
        ));
    }
    Ok(template)
}

fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn parse_headers(value: Option<&Value>) -> Result<Vec<(String, Template)>, BodyError> {
    let object = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(object)) => object,
        Some(_) => return Err(invalid("Field `headers` must be an object of strings")),
    };
    if object.len() > MAX_HEADERS {
        return Err(invalid(format!(
            "Field `headers` has more than {MAX_HEADERS} entries"
        )));
    }
    let mut headers = Vec::with_capacity(object.len());
    for (name, value) in object {
        if name.is_empty() || name.len() > 256 || !name.bytes().all(token_byte) {
            return Err(invalid(
                "Each name of `headers` must be an HTTP header name",
            ));
        }
        let name = name.to_ascii_lowercase();
        if RESERVED_HEADERS.contains(&name.as_str()) || name.starts_with("proxy-") {
            return Err(invalid(format!(
                "Field `headers` may not set {name}: the vault sets how the request travels"
            )));
        }
        let Value::String(value) = value else {
            return Err(invalid("Field `headers` must be an object of strings"));
        };
        if value.len() > MAX_HEADER_VALUE_BYTES {
            return Err(too_large(format!(
                "A value of `headers` is over {MAX_HEADER_VALUE_BYTES} bytes"
            )));
        }
        if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(invalid("A value of `headers` holds a control character"));
        }
        headers.push((name, Template::parse(value.as_bytes())));
    }
    Ok(headers)
}

fn parse_body(
    body: Option<&Value>,
    encoding: Option<&Value>,
) -> Result<Option<Template>, BodyError> {
    let base64 = match encoding {
        None | Some(Value::Null) => false,
        Some(Value::String(e)) if e == "utf8" => false,
        Some(Value::String(e)) if e == "base64" => true,
        Some(_) => return Err(invalid("Field `bodyEncoding` must be utf8 or base64")),
    };
    let text = match body {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) => text,
        Some(_) => return Err(invalid("Field `body` must be a string")),
    };
    let bytes = if base64 {
        data_encoding::BASE64
            .decode(text.as_bytes())
            .map_err(|_| invalid("Field `body` is not valid base64"))?
    } else {
        text.as_bytes().to_vec()
    };
    if bytes.len() > MAX_BROKERED_BODY {
        return Err(too_large(format!(
            "Field `body` is over {MAX_BROKERED_BODY} bytes"
        )));
    }
    Ok(Some(Template::parse(&bytes)))
}

#[cfg(test)]
#[path = "broker_request_tests.rs"]
mod tests;
