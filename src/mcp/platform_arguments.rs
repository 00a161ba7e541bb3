//! A platform tool's arguments, parsed into the request its REST twin makes: the same body
//! parsers, the same refusals.

use super::tools::{ToolInput, ToolSpec};
use crate::domain::{Action, IdentityId, IdentityUpdate, NewIdentitySpec};
use crate::vault::{IdentityQuery, MAX_IDENTITY_PAGE, Request, VaultError};
use rmcp::model::JsonObject;
use serde_json::Value;

fn bad(message: impl Into<String>) -> VaultError {
    VaultError::BadInput(message.into())
}

/// `identityId`, required; one that cannot exist is not found, like one that does not.
fn identity(args: &mut JsonObject) -> Result<IdentityId, VaultError> {
    match args.remove("identityId") {
        Some(Value::String(raw)) => IdentityId::parse(&raw).ok_or(VaultError::IdentityNotFound),
        None | Some(Value::Null) => Err(bad("Argument `identityId` is required")),
        Some(_) => Err(bad("Argument `identityId` must be a string")),
    }
}

fn page(mut args: JsonObject) -> Result<IdentityQuery, VaultError> {
    let limit = match args.remove("limit") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_f64()
                .filter(|n| n.fract() == 0.0 && *n >= 1.0 && *n <= MAX_IDENTITY_PAGE as f64)
                .map(|n| n as usize)
                .ok_or_else(|| {
                    bad(format!(
                        "Argument `limit` must be a whole number from 1 to {MAX_IDENTITY_PAGE}"
                    ))
                })?,
        ),
    };
    let after = match args.remove("pageToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(token)) => Some(
            IdentityQuery::after_token(&token)
                .ok_or_else(|| bad("Argument `pageToken` is not a token this API gave out"))?,
        ),
        Some(_) => return Err(bad("Argument `pageToken` must be a string")),
    };
    finish(&args)?;
    Ok(IdentityQuery { limit, after })
}

/// Refuses any argument not in `known`.
fn only(args: &JsonObject, known: &[&str]) -> Result<(), VaultError> {
    match args.keys().all(|key| known.contains(&key.as_str())) {
        true => Ok(()),
        false => Err(bad("Unknown argument; see the tool's input schema")),
    }
}

fn finish(args: &JsonObject) -> Result<(), VaultError> {
    match args.is_empty() {
        true => Ok(()),
        false => Err(bad("Unknown argument; see the tool's input schema")),
    }
}

pub fn parse(spec: &ToolSpec, mut args: JsonObject) -> Result<Request, VaultError> {
    Ok(match spec.input {
        ToolInput::IdentityPage => Request::ListIdentities(page(args)?),
        ToolInput::IdentityId => {
            let identity = identity(&mut args)?;
            finish(&args)?;
            match spec.action {
                Action::IdentitiesDelete => Request::DeleteIdentity(identity),
                Action::IdentitiesRotateKey => Request::RotateKey(identity),
                Action::IdentitiesGet => Request::GetIdentity(identity),
                other => {
                    return Err(VaultError::Internal(format!(
                        "{} takes no identity alone",
                        other.as_str()
                    )));
                }
            }
        }
        ToolInput::NewIdentity => Request::CreateIdentity(NewIdentitySpec::from_json(args)?),
        ToolInput::Rename => {
            let identity = identity(&mut args)?;
            if args.get("name").is_none_or(Value::is_null) {
                return Err(bad("Argument `name` is required"));
            }
            only(&args, &["name"])?;
            Request::UpdateIdentity(identity, IdentityUpdate::from_json(args)?)
        }
        ToolInput::Rescope => {
            let identity = identity(&mut args)?;
            only(&args, &["addScopes", "removeScopes"])?;
            Request::UpdateIdentity(identity, IdentityUpdate::from_json(args)?)
        }
        other => {
            return Err(VaultError::Internal(format!(
                "{other:?} is no platform tool's input"
            )));
        }
    })
}
