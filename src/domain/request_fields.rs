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
                    && shows_as_written(&l) =>
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
        if !secret && SECRET_MEMBERS.iter().any(|m| m.eq_ignore_ascii_case(&name)) {
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

/// Whether text reads on the page as it was written: no control characters but line breaks
/// and tabs, no bidirectional formatting and no invisible characters, which could make the
/// page show something other than what was sent (Trojan Source, CVE-2021-42574).
pub(super) fn shows_as_written(text: &str) -> bool {
    // Bidirectional marks, embeddings, overrides and isolates; invisible joiners, word
    // joiners and the byte-order mark; line and paragraph separators; soft hyphens, fillers,
    // variation selectors and tag characters.
    const HIDDEN: [std::ops::RangeInclusive<char>; 18] = [
        '\u{00ad}'..='\u{00ad}',
        '\u{034f}'..='\u{034f}',
        '\u{0600}'..='\u{0605}',
        '\u{115f}'..='\u{1160}',
        '\u{17b4}'..='\u{17b5}',
        '\u{180b}'..='\u{180f}',
        '\u{3164}'..='\u{3164}',
        '\u{fe00}'..='\u{fe0f}',
        '\u{ffa0}'..='\u{ffa0}',
        '\u{061c}'..='\u{061c}',
        '\u{200b}'..='\u{200f}',
        '\u{2028}'..='\u{202e}',
        '\u{2060}'..='\u{2064}',
        '\u{2066}'..='\u{206f}',
        '\u{feff}'..='\u{feff}',
        '\u{e0000}'..='\u{e007f}',
        '\u{e0100}'..='\u{e01ef}',
        '\u{fff9}'..='\u{fffb}',
    ];
    text.chars().all(|c| {
        let control = c.is_control() && !matches!(c, '\n' | '\t');
        !control && !HIDDEN.iter().any(|range| range.contains(&c))
    })
}
