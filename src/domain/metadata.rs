use super::json_text;
use serde_json::Value;
use serde_json::value::RawValue;

/// A credential's plaintext `metadata`: the JSON object's text exactly as stored and bound
/// into the envelope's associated data. Answers show this text; nothing prints it anew.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata(String);

impl Metadata {
    /// Text read back from the table: kept byte for byte (it is what the envelope binds),
    /// `None` when it is not a JSON object.
    pub fn from_stored(text: String) -> Option<Self> {
        json_text::members(&text).ok()?;
        Some(Self(text))
    }

    /// An object's text already checked and compacted (see [`json_text`]).
    pub(crate) fn from_checked(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The object as raw JSON, for answers.
    pub fn as_json(&self) -> &RawValue {
        serde_json::from_str(&self.0).unwrap_or_else(|_| {
            serde_json::from_str("{}").unwrap_or_else(|_| unreachable!("`{{}}` is JSON"))
        })
    }

    /// Member `name`, parsed (a number as `serde_json` reads it): for the few rules that
    /// read a field, such as TOTP's `algorithm`.
    pub fn get(&self, name: &str) -> Option<Value> {
        json_text::members(&self.0)
            .ok()?
            .into_iter()
            .find(|member| member.name == name)
            .and_then(|member| serde_json::from_str(member.value.get()).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_is_kept_as_is_and_read_by_member() {
        let text = r#"{"n":1.423966195757457e-18,"algorithm":"SHA256"}"#;
        let metadata = Metadata::from_stored(text.to_owned()).unwrap();
        assert_eq!(metadata.as_str(), text);
        assert_eq!(metadata.as_json().get(), text);
        assert_eq!(metadata.get("algorithm"), Some(Value::from("SHA256")));
        assert_eq!(metadata.get("missing"), None);
        assert!(Metadata::from_stored("[1]".into()).is_none());
        assert!(Metadata::from_stored("{".into()).is_none());
    }
}
