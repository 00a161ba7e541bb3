//! The fields a credential request asks for: each a `data` member when secret, else a
//! `metadata` member, named as JSON members are and labelled for the person who fills them.

use super::new_credential::BodyError;
use super::{CredentialType, MAX_FIELD_NAME, MAX_FIELDS, MAX_LABEL, RequestField};
use serde_json::Value;

/// Members that hold a secret in the types that have them: never asked for as plain text.
const SECRET_MEMBERS: [&str; 12] = [
    "secret",
    "totp",
    "password",
    "key",
    "privateKey",
    "passphrase",
    "accessToken",
    "refreshToken",
    "secretAccessKey",
    "sessionToken",
    "connectionString",
    "cvc",
];
/// `data` members whose values are lists, which a text box cannot give.
const LIST_MEMBERS: [&str; 2] = ["backupCodes", "usedBackupCodes"];

fn invalid(message: impl Into<String>) -> BodyError {
    BodyError::Invalid(message.into())
}

pub(super) fn parse_fields(
    kind: CredentialType,
    value: Option<Value>,
) -> Result<Vec<RequestField>, BodyError> {
    let shape = || {
        invalid(format!(
            "Field `fields` must be an array of 1 to {MAX_FIELDS} objects with `name`, and \
             optional `label` and `secret`"
        ))
    };
    let Some(Value::Array(items)) = value else {
        return Err(shape());
    };
    if items.is_empty() || items.len() > MAX_FIELDS {
        return Err(shape());
    }
    let mut fields: Vec<RequestField> = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(mut item) = item else {
            return Err(shape());
        };
        let name = match item.remove("name") {
            Some(Value::String(name)) if is_field_name(&name) => name,
            _ => {
                return Err(invalid(format!(
                    "A field's `name` must be 1 to {MAX_FIELD_NAME} of A-Z a-z 0-9 . _ -"
                )));
            }
        };
        let label = match item.remove("label") {
            None | Some(Value::Null) => name.clone(),
            Some(Value::String(l))
                if !l.trim().is_empty()
                    && l.chars().count() <= MAX_LABEL
                    && !l.contains('\n')
                    && super::credential_request::shows_as_written(&l) =>
            {
                l
            }
            Some(_) => {
                return Err(invalid(format!(
                    "A field's `label` must be one line of 1 to {MAX_LABEL} characters, without \
                     control, bidirectional formatting or invisible characters"
                )));
            }
        };
        let secret = match item.remove("secret") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(secret)) => secret,
            Some(_) => return Err(invalid("A field's `secret` must be true or false")),
        };
        if !item.is_empty() {
            return Err(invalid("A field has only `name`, `label` and `secret`"));
        }
        if !secret && SECRET_MEMBERS.contains(&name.as_str()) {
            return Err(invalid(format!(
                "Field `fields`: `{name}` holds a secret; it cannot be asked for as plain text"
            )));
        }
        if LIST_MEMBERS.contains(&name.as_str()) {
            return Err(invalid(format!(
                "Field `fields`: `{name}` is a list, which a form cannot ask for"
            )));
        }
        if fields.iter().any(|f| f.name == name) {
            return Err(invalid(format!("Field `fields` names `{name}` twice")));
        }
        fields.push(RequestField {
            name,
            label,
            secret,
        });
    }
    if !fields.iter().any(|f| f.secret) {
        return Err(invalid(
            "Field `fields` must ask for at least one secret field",
        ));
    }
    if kind == CredentialType::Totp && !fields.iter().any(|f| f.secret && f.name == "secret") {
        return Err(invalid(
            "A TOTP request must ask for the secret field `secret`",
        ));
    }
    Ok(fields)
}

fn is_field_name(name: &str) -> bool {
    (1..=MAX_FIELD_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}
