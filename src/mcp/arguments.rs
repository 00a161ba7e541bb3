//! A tool call's arguments, parsed into the request its REST twin makes. Store tools
//! build the same body a `PUT` carries and go through the same parser, so every rule of the
//! contract holds on both edges. Messages name arguments, never their values.

use super::tools::{ToolInput, ToolSpec};
use crate::domain::{
    Action, BrokerRequest, CredentialName, CredentialRequestSpec, ListCursor, NewCredential,
    RequestId,
};
use crate::vault::{LinkBase, ListQuery, MAX_LIST_PAGE, Request, VaultError};
use rmcp::model::JsonObject;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

/// The request a tool call stands for: the same one its REST twin makes.
pub fn parse(
    spec: &ToolSpec,
    arguments: JsonObject,
    links: &LinkBase,
) -> Result<Request, VaultError> {
    let mut args = Arguments(arguments);
    match spec.input {
        // The arguments are the REST body's fields, read by the same parser.
        ToolInput::CredentialRequest => {
            let body = serde_json::to_vec(&args.0)
                .map_err(|_| VaultError::Internal("arguments do not serialise".into()))?;
            let spec = CredentialRequestSpec::from_json(&body)?;
            return Ok(Request::CreateLink(spec, links.clone()));
        }
        ToolInput::RequestId => {
            let id = args.required("requestId")?;
            args.finish(spec)?;
            let id = RequestId::parse(&id).ok_or(VaultError::RequestNotFound)?;
            return Ok(match spec.action {
                Action::VaultRequestCancel => Request::CancelLink(id),
                _ => Request::LinkStatus(id),
            });
        }
        ToolInput::Nothing => {
            args.finish(spec)?;
            return Ok(Request::Whoami);
        }
        ToolInput::ListPage => {
            let query = args.list_query()?;
            args.finish(spec)?;
            return Ok(Request::List(query));
        }
        ToolInput::IdentityPage
        | ToolInput::IdentityId
        | ToolInput::NewIdentity
        | ToolInput::Rename
        | ToolInput::Rescope => return super::platform_arguments::parse(spec, args.0),
        ToolInput::Name
        | ToolInput::Brokered
        | ToolInput::Credential
        | ToolInput::ApiKey
        | ToolInput::Card
        | ToolInput::ShippingAddress => {}
    }
    let name = args.name()?;
    if spec.input == ToolInput::Brokered {
        let fields = std::mem::take(&mut args.0);
        return Ok(Request::Broker(name, BrokerRequest::from_fields(&fields)?));
    }
    if spec.input != ToolInput::Name {
        let body = store_body(spec, &mut args)?;
        args.finish(spec)?;
        let credential = NewCredential::from_json(body.as_bytes())?;
        return Ok(Request::Store { name, credential });
    }
    args.finish(spec)?;
    Ok(match spec.action {
        Action::VaultGet => Request::Read(name),
        Action::VaultDelete => Request::Delete(name),
        Action::VaultTotp => Request::Totp(name),
        Action::VaultTotpUseBackup => Request::UseBackupCode(name),
        other => {
            return Err(VaultError::Internal(format!(
                "no tool runs {}",
                other.as_str()
            )));
        }
    })
}

struct Arguments(JsonObject);

fn bad(message: String) -> VaultError {
    VaultError::BadInput(message)
}

impl Arguments {
    fn name(&mut self) -> Result<CredentialName, VaultError> {
        let raw = self
            .string("name")?
            .ok_or_else(|| bad("Argument `name` is required".into()))?;
        CredentialName::parse(&raw).map_err(|invalid| bad(invalid.to_string()))
    }

    /// Takes a string argument out; `None` when absent or null.
    fn string(&mut self, key: &str) -> Result<Option<String>, VaultError> {
        match self.0.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(bad(format!("Argument `{key}` must be a string"))),
        }
    }

    /// vault_list's optional `limit` and `pageToken`, as `GET /v0/vault` takes them.
    fn list_query(&mut self) -> Result<ListQuery, VaultError> {
        let limit = match self.0.remove("limit") {
            None | Some(Value::Null) => None,
            // A whole number, however the client wrote it (`2` or `2.0`).
            Some(value) => Some(
                value
                    .as_f64()
                    .filter(|n| n.fract() == 0.0 && *n >= 1.0 && *n <= MAX_LIST_PAGE as f64)
                    .map(|n| n as usize)
                    .filter(|n| (1..=MAX_LIST_PAGE).contains(n))
                    .ok_or_else(|| {
                        bad(format!(
                            "Argument `limit` must be a whole number from 1 to {MAX_LIST_PAGE}"
                        ))
                    })?,
            ),
        };
        let after = match self.string("pageToken")? {
            None => None,
            Some(token) => Some(ListCursor::from_token(&token).ok_or_else(|| {
                bad("Argument `pageToken` is not a token this API gave out".into())
            })?),
        };
        Ok(ListQuery { limit, after })
    }

    fn required(&mut self, key: &str) -> Result<String, VaultError> {
        self.string(key)?
            .ok_or_else(|| bad(format!("Argument `{key}` is required")))
    }

    /// Refuses whatever the tool does not take.
    fn finish(&self, spec: &ToolSpec) -> Result<(), VaultError> {
        match self.0.keys().next() {
            None => Ok(()),
            Some(_) => Err(bad(format!(
                "Unknown argument for {}; see the tool's input schema",
                spec.name
            ))),
        }
    }

    /// Moves the string arguments `keys` into `data`, under the same names.
    fn move_strings(
        &mut self,
        keys: &[&str],
        data: &mut Map<String, Value>,
        required: bool,
    ) -> Result<(), VaultError> {
        for &key in keys {
            let value = if required {
                Some(self.required(key)?)
            } else {
                self.string(key)?
            };
            if let Some(value) = value {
                data.insert(key.to_owned(), value.into());
            }
        }
        Ok(())
    }
}

/// The `PUT` body the tool stands for, serialised into a buffer wiped on drop.
fn store_body(spec: &ToolSpec, args: &mut Arguments) -> Result<Zeroizing<String>, VaultError> {
    let body = match spec.input {
        ToolInput::Credential => {
            let mut body = Map::new();
            for key in ["type", "data", "metadata", "expiresAt", "usePolicy"] {
                if let Some(value) = args.0.remove(key) {
                    body.insert(key.to_owned(), value);
                }
            }
            body
        }
        ToolInput::ApiKey => {
            let mut body = typed_body("API_KEY", api_key(args)?, args)?;
            if let Some(policy) = args.0.remove("usePolicy") {
                body.insert("usePolicy".into(), policy);
            }
            body
        }
        ToolInput::Card => typed_body("CARD", card(args)?, args)?,
        ToolInput::ShippingAddress => typed_body(
            "SHIPPING_ADDRESS",
            (shipping_address(args)?, Map::new()),
            args,
        )?,
        ToolInput::Nothing
        | ToolInput::ListPage
        | ToolInput::Name
        | ToolInput::Brokered
        | ToolInput::CredentialRequest
        | ToolInput::RequestId
        | ToolInput::IdentityPage
        | ToolInput::IdentityId
        | ToolInput::NewIdentity
        | ToolInput::Rename
        | ToolInput::Rescope => {
            return Err(VaultError::Internal(format!(
                "{} stores nothing",
                spec.name
            )));
        }
    };
    // The map holds secrets: serialised straight into a buffer that is wiped on drop.
    Ok(crate::domain::serialize_wiped(&body))
}

type DataAndMetadata = (Map<String, Value>, Map<String, Value>);

fn typed_body(
    kind: &str,
    (data, metadata): DataAndMetadata,
    args: &mut Arguments,
) -> Result<Map<String, Value>, VaultError> {
    let mut body = Map::new();
    body.insert("type".into(), kind.into());
    body.insert("data".into(), Value::Object(data));
    if !metadata.is_empty() {
        body.insert("metadata".into(), Value::Object(metadata));
    }
    if let Some(expires_at) = args.string("expiresAt")? {
        body.insert("expiresAt".into(), expires_at.into());
    }
    Ok(body)
}

/// `{key}` alone, or `{clientId, secret}`; no part of the secret goes to metadata.
fn api_key(args: &mut Arguments) -> Result<DataAndMetadata, VaultError> {
    let secret = args.required("secret")?;
    let (mut data, mut metadata) = (Map::new(), Map::new());
    match args.string("clientId")? {
        Some(client_id) => {
            metadata.insert("clientId".into(), client_id.clone().into());
            data.insert("clientId".into(), client_id.into());
            data.insert("secret".into(), secret.into());
        }
        None => {
            data.insert("key".into(), secret.into());
        }
    }
    Ok((data, metadata))
}

/// The card in `data`; only its last four digits and brand in metadata.
fn card(args: &mut Arguments) -> Result<DataAndMetadata, VaultError> {
    let (mut data, mut metadata) = (Map::new(), Map::new());
    let required = ["cardholder", "number", "expMonth", "expYear", "cvc"];
    args.move_strings(&required, &mut data, true)?;
    args.move_strings(&["zip"], &mut data, false)?;
    let digits: String = data
        .get("number")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let last4 = &digits[digits.len().saturating_sub(4)..];
    metadata.insert("last4".into(), last4.into());
    if let Some(brand) = args.string("brand")? {
        metadata.insert("brand".into(), brand.into());
    }
    Ok((data, metadata))
}

fn shipping_address(args: &mut Arguments) -> Result<Map<String, Value>, VaultError> {
    let mut data = Map::new();
    let recipient = args.required("recipient")?;
    data.insert("name".into(), recipient.into());
    args.move_strings(&["line1", "city", "state", "postcode"], &mut data, true)?;
    let country = args.required("country")?.to_uppercase();
    data.insert("country".into(), country.into());
    args.move_strings(&["line2", "phone"], &mut data, false)?;
    Ok(data)
}
