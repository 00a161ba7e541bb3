use secrecy::{ExposeSecret, SecretBox};
use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

/// The JSON object a credential keeps secret. Only reachable through [`SecretData`].
#[derive(Clone, Default)]
pub struct SecretFields(Map<String, Value>);

impl Zeroize for SecretFields {
    fn zeroize(&mut self) {
        fn wipe(value: &mut Value) {
            match value {
                Value::String(s) => s.zeroize(),
                Value::Array(items) => items.iter_mut().for_each(wipe),
                Value::Object(map) => map.values_mut().for_each(wipe),
                Value::Null | Value::Bool(_) | Value::Number(_) => {}
            }
            *value = Value::Null;
        }
        self.0.values_mut().for_each(wipe);
        self.0.clear();
    }
}

/// A credential's `data`: redacted in `Debug`, no `Display`, strings wiped on drop.
pub struct SecretData(SecretBox<SecretFields>);

impl SecretData {
    pub fn new(fields: Map<String, Value>) -> Self {
        Self(SecretBox::new(Box::new(SecretFields(fields))))
    }

    /// The fields themselves; every caller is a place a secret is handled on purpose.
    pub fn expose(&self) -> &Map<String, Value> {
        &self.0.expose_secret().0
    }

    /// Compact JSON, in a buffer that is wiped when dropped. The buffer is sized first and
    /// written once: a growing one would leave outgrown copies of the plaintext unwiped.
    pub fn to_json_bytes(&self) -> Zeroizing<Vec<u8>> {
        // Serialising a `Map<String, Value>` cannot fail: keys are strings and every value
        // is already JSON; a failure would leave the buffer short, never panic.
        let mut size = ByteCount(0);
        let _ = serde_json::to_writer(&mut size, self.expose());
        let mut json = Zeroizing::new(Vec::with_capacity(size.0));
        let _ = serde_json::to_writer(&mut *json, self.expose());
        json
    }

    /// Parses decrypted bytes back into fields; `None` when they are not a JSON object.
    pub fn from_json_bytes(bytes: &[u8]) -> Option<Self> {
        match serde_json::from_slice(bytes).ok()? {
            Value::Object(fields) => Some(Self::new(fields)),
            _ => None,
        }
    }
}

/// A writer that only counts what it is given.
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::fmt::Debug for SecretData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretData([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> SecretData {
        let Value::Object(map) = json!({"key": "sk_live_abc123", "nested": ["hunter2"]}) else {
            unreachable!()
        };
        SecretData::new(map)
    }

    #[test]
    fn debug_never_shows_the_fields() {
        let shown = format!("{:?} {:#?}", sample(), sample());
        assert!(!shown.contains("sk_live"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn round_trips_through_json_bytes() {
        let bytes = sample().to_json_bytes();
        let back = SecretData::from_json_bytes(&bytes).expect("an object");
        assert_eq!(back.expose(), sample().expose());
        assert!(SecretData::from_json_bytes(b"[1]").is_none());
    }

    #[test]
    fn the_json_buffer_is_written_once_at_its_exact_size() {
        let long = "x".repeat(10_000);
        let Value::Object(map) = json!({"a": long, "b": [1, 2, {"c": "é\n"}]}) else {
            unreachable!()
        };
        let bytes = SecretData::new(map).to_json_bytes();
        assert_eq!(
            bytes.capacity(),
            bytes.len(),
            "never grown, so no copy left behind"
        );
        assert!(serde_json::from_slice::<Value>(&bytes).is_ok());
    }

    #[test]
    fn zeroize_empties_every_string() {
        let mut fields = SecretFields(sample().expose().clone());
        fields.zeroize();
        assert!(fields.0.is_empty());
    }
}
