//! The platform routes' input: an identity id from the path, a JSON body (empty is `{}`, as
//! the hosted product's clients send a rotation), and the list's query.

use super::query;
use crate::domain::json_text::{self, CheckError};
use crate::domain::{Action, IdentityId, IdentityUpdate, NewIdentitySpec, NewKeySpec};
use crate::vault::{IdentityQuery, MAX_IDENTITY_PAGE, Request, VaultError};
use lambda_http::http::request::Parts;
use serde_json::{Map, Value};

/// The identity a path segment names; an id that cannot exist is not found, like one that
/// does not.
pub fn identity_of(segment: &str) -> Option<IdentityId> {
    let decoded = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()?;
    IdentityId::parse(&decoded)
}

/// A JSON object body; no body at all is `{}` (what the official clients send for a
/// rotation). Whitespace alone is no JSON, and is refused like any other.
fn object(body: &[u8]) -> Result<Map<String, Value>, VaultError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| VaultError::BadInput("Request body is not UTF-8".into()))?;
    // As strict as a credential's body: a member named twice is refused, not guessed at.
    json_text::check(text).map_err(|e| match e {
        CheckError::Syntax(e) => {
            VaultError::BadInput(format!("Request body is not valid JSON: {e}"))
        }
        strict => VaultError::BadInput(format!("Request body is refused: {strict}")),
    })?;
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(VaultError::BadInput(
            "Request body must be a JSON object".into(),
        )),
    }
}

pub fn parse(
    action: Action,
    identity: Option<Option<IdentityId>>,
    key: Option<&str>,
    parts: &Parts,
    body: &[u8],
) -> Result<Request, VaultError> {
    let identity = || match identity {
        Some(Some(identity)) => Ok(identity),
        Some(None) => Err(VaultError::IdentityNotFound),
        None => Err(VaultError::Internal(format!(
            "{} routed without an identity",
            action.as_str()
        ))),
    };
    Ok(match action {
        Action::IdentitiesCreate => {
            Request::CreateIdentity(NewIdentitySpec::from_json(object(body)?)?)
        }
        Action::IdentitiesList => {
            let (limit, after) =
                query::page_query(parts, MAX_IDENTITY_PAGE).map_err(VaultError::BadInput)?;
            let after = match after {
                None => None,
                Some(token) => Some(
                    IdentityQuery::after_token(&token)
                        .ok_or_else(|| VaultError::BadInput(query::NOT_OUR_TOKEN.into()))?,
                ),
            };
            Request::ListIdentities(IdentityQuery { limit, after })
        }
        Action::IdentitiesGet => Request::GetIdentity(identity()?),
        Action::IdentitiesUpdate => {
            let identity = identity()?;
            Request::UpdateIdentity(identity, IdentityUpdate::from_json(object(body)?)?)
        }
        Action::IdentitiesDelete => Request::DeleteIdentity(identity()?),
        // The body is ignored: clients send none, with a JSON content type.
        Action::IdentitiesRotateKey => Request::RotateKey(identity()?),
        Action::IdentitiesAddKey => {
            let identity = identity()?;
            Request::AddKey(identity, NewKeySpec::from_json(object(body)?)?)
        }
        Action::IdentitiesListKeys => Request::ListKeys(identity()?),
        Action::IdentitiesRevokeKey => {
            let identity = identity()?;
            // A key id is the start of a hash: lowercase hex; anything else names no key.
            let key = key
                .filter(|k| {
                    !k.is_empty()
                        && k.len() <= 64
                        && k.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                })
                .ok_or(VaultError::KeyNotFound)?;
            Request::RevokeKey(identity, key.to_owned())
        }
        other => {
            return Err(VaultError::Internal(format!(
                "{} routed as a platform call",
                other.as_str()
            )));
        }
    })
}
