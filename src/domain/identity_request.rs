//! What a platform key asks for when it makes or changes an identity, parsed from the JSON
//! the hosted product's clients send. Messages name fields, never their values; a scope is
//! named back only when it is one of the hosted product's own.

use super::{BodyError, KeyLimits, Scope, UNSERVED_SCOPES};
use serde_json::{Map, Value};

/// A display name's longest form.
pub const MAX_IDENTITY_NAME: usize = 128;

/// `POST /v0/platform/identities`: everything optional (`{}` makes an identity with a
/// generated name and the platform key's own scopes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewIdentitySpec {
    pub name: Option<String>,
    pub scopes: Option<Vec<Scope>>,
    /// Its first key's grants, expiry and budget (credvault's own fields).
    pub limits: KeyLimits,
}

/// `PATCH /v0/platform/identities/{id}`: a new name, scopes to add and scopes to remove.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdentityUpdate {
    pub name: Option<String>,
    pub add: Vec<Scope>,
    pub remove: Vec<Scope>,
}

fn invalid(message: impl Into<String>) -> BodyError {
    BodyError::Invalid(message.into())
}

/// Takes the fields `known` out of `body`, refusing any other (its name is not echoed).
fn fields(mut body: Map<String, Value>, known: &[&str]) -> Result<Vec<Option<Value>>, BodyError> {
    let taken = known.iter().map(|name| body.remove(*name)).collect();
    match body.is_empty() {
        true => Ok(taken),
        false => Err(invalid(format!(
            "Unknown field in request body; the fields are: {}",
            known.join(", ")
        ))),
    }
}

fn name(value: Option<Value>, field: &str) -> Result<Option<String>, BodyError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(name))
            if !name.trim().is_empty()
                && name.chars().count() <= MAX_IDENTITY_NAME
                && !name.chars().any(char::is_control) =>
        {
            Ok(Some(name))
        }
        Some(_) => Err(invalid(format!(
            "Field `{field}` must be a name of 1 to {MAX_IDENTITY_NAME} characters"
        ))),
    }
}

/// A list of scope names: those credvault serves, and a refusal that names the hosted
/// product's scopes it does not serve.
fn scopes(value: Option<Value>, field: &str) -> Result<Option<Vec<Scope>>, BodyError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(invalid(format!(
                "Field `{field}` must be an array of scopes"
            )));
        }
    };
    let (mut served, mut unserved, mut unknown) = (Vec::new(), Vec::new(), false);
    for item in &items {
        match item.as_str() {
            Some(raw) => match Scope::parse(raw) {
                Some(scope) if !served.contains(&scope) => served.push(scope),
                Some(_) => {}
                None => match UNSERVED_SCOPES.iter().find(|known| **known == raw) {
                    Some(known) => unserved.push(*known),
                    None => unknown = true,
                },
            },
            None => {
                return Err(invalid(format!(
                    "Field `{field}` must be an array of scopes"
                )));
            }
        }
    }
    if !unserved.is_empty() || unknown {
        let named = match unserved.is_empty() {
            true => "an unknown scope".to_owned(),
            false => unserved.join(", "),
        };
        return Err(invalid(format!(
            "Field `{field}` asks for scopes credvault does not serve ({named}); it serves: {}",
            Scope::ALL.map(Scope::as_str).join(", ")
        )));
    }
    Ok(Some(served))
}

impl NewIdentitySpec {
    /// The hosted product's fields: `name`, `scopes`, `purpose` (only `BUYER`), and
    /// `emailName` (accepted, unused: credvault provisions no inbox); and credvault's own
    /// `grants`, `notAfter` and `maxUses` for the first key.
    pub fn from_json(mut body: Map<String, Value>) -> Result<Self, BodyError> {
        let limits = KeyLimits::take_from(&mut body).map_err(|e| invalid(e.0))?;
        let known = [
            "name",
            "scopes",
            "purpose",
            "emailName",
            "grants",
            "notAfter",
            "maxUses",
        ];
        let [name_value, scope_value, purpose, email, ..] =
            <[Option<Value>; 7]>::try_from(fields(body, &known)?)
                .map_err(|_| invalid("Request body is malformed"))?;
        match purpose {
            None | Some(Value::Null) => {}
            Some(Value::String(purpose)) if purpose == "BUYER" => {}
            Some(_) => return Err(invalid("Field `purpose` must be BUYER")),
        }
        if !matches!(email, None | Some(Value::Null) | Some(Value::String(_))) {
            return Err(invalid("Field `emailName` must be a string"));
        }
        Ok(Self {
            name: name(name_value, "name")?,
            scopes: scopes(scope_value, "scopes")?,
            limits,
        })
    }
}

/// `POST /v0/platform/identities/{id}/keys`: another key of the identity, with its own
/// scopes (the identity's when left out) and limits. credvault's own route.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewKeySpec {
    pub scopes: Option<Vec<Scope>>,
    pub limits: KeyLimits,
}

impl NewKeySpec {
    pub fn from_json(mut body: Map<String, Value>) -> Result<Self, BodyError> {
        let limits = KeyLimits::take_from(&mut body).map_err(|e| invalid(e.0))?;
        let known = ["scopes", "grants", "notAfter", "maxUses"];
        let [scope_value, ..] = <[Option<Value>; 4]>::try_from(fields(body, &known)?)
            .map_err(|_| invalid("Request body is malformed"))?;
        Ok(Self {
            scopes: scopes(scope_value, "scopes")?,
            limits,
        })
    }
}

impl IdentityUpdate {
    pub fn from_json(body: Map<String, Value>) -> Result<Self, BodyError> {
        let [name_value, add, remove] =
            <[Option<Value>; 3]>::try_from(fields(body, &["name", "addScopes", "removeScopes"])?)
                .map_err(|_| invalid("Request body is malformed"))?;
        Ok(Self {
            name: name(name_value, "name")?,
            add: scopes(add, "addScopes")?.unwrap_or_default(),
            remove: scopes(remove, "removeScopes")?.unwrap_or_default(),
        })
    }
}

const FIRST: [&str; 32] = [
    "amber", "bold", "brisk", "calm", "clever", "crisp", "dapper", "eager", "fair", "gentle",
    "glad", "golden", "keen", "lively", "lucky", "merry", "mellow", "nimble", "noble", "plucky",
    "proud", "quiet", "rapid", "ready", "sharp", "silver", "steady", "sunny", "swift", "tidy",
    "vivid", "witty",
];
const SECOND: [&str; 32] = [
    "autumn", "cedar", "coral", "copper", "desert", "ember", "forest", "frost", "harbor", "hazel",
    "indigo", "island", "jade", "lunar", "maple", "meadow", "misty", "ocean", "olive", "orchid",
    "prairie", "river", "saffron", "scarlet", "shadow", "spring", "stone", "summer", "thunder",
    "velvet", "willow", "winter",
];
const THIRD: [&str; 32] = [
    "badger", "beacon", "bison", "comet", "condor", "crane", "falcon", "fox", "gecko", "heron",
    "ibis", "jaguar", "kestrel", "koala", "lynx", "marten", "moose", "otter", "owl", "panda",
    "pelican", "puffin", "quail", "raven", "robin", "salmon", "sparrow", "tiger", "turtle",
    "walrus", "wren", "yak",
];

/// A fresh three-word name, as the hosted product gives an identity created without one.
pub fn generated_name() -> String {
    let mut bytes = [0u8; 3];
    // A failed CSPRNG read still gives a usable (if less varied) name.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    let pick = |words: &[&'static str; 32], byte: u8| words[usize::from(byte) % words.len()];
    format!(
        "{}-{}-{}",
        pick(&FIRST, bytes[0]),
        pick(&SECOND, bytes[1]),
        pick(&THIRD, bytes[2])
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn the_hosted_products_create_bodies_parse() {
        assert_eq!(
            NewIdentitySpec::from_json(Map::new()).unwrap(),
            NewIdentitySpec::default()
        );
        let spec = NewIdentitySpec::from_json(object(json!({
            "purpose": "BUYER", "name": "Sales Agent", "emailName": "sales",
            "scopes": ["vault:read", "vault:read"]
        })))
        .unwrap();
        assert_eq!(spec.name.as_deref(), Some("Sales Agent"));
        assert_eq!(spec.scopes, Some(vec![Scope::VaultRead]));
    }

    #[test]
    fn scopes_credvault_does_not_serve_are_named_and_others_are_not_echoed() {
        let err = NewIdentitySpec::from_json(object(
            json!({"scopes": ["vault:read", "mail:read", "mail:send"]}),
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("mail:read, mail:send") && err.contains("vault:write"),
            "{err}"
        );
        let err = IdentityUpdate::from_json(object(json!({"addScopes": ["sk_live_SECRET"]})))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("an unknown scope") && !err.contains("SECRET"),
            "{err}"
        );
    }

    #[test]
    fn bad_fields_are_refused_by_name() {
        for (body, want) in [
            (json!({"purpose": "SELLER"}), "`purpose`"),
            (json!({"name": ""}), "`name`"),
            (json!({"name": "a\nb"}), "`name`"),
            (json!({"scopes": "vault:read"}), "`scopes`"),
            (json!({"sk_live_SECRET": 1}), "Unknown field"),
            (json!({"emailName": 7}), "`emailName`"),
        ] {
            let err = NewIdentitySpec::from_json(object(body))
                .unwrap_err()
                .to_string();
            assert!(err.contains(want) && !err.contains("SECRET"), "{err}");
        }
    }

    #[test]
    fn generated_names_are_three_words() {
        let name = generated_name();
        assert_eq!(name.split('-').count(), 3, "{name}");
    }
}
