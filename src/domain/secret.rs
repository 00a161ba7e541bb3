use super::json_text::{self, JsonKind, Member};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;
use zeroize::Zeroizing;

/// A credential's `data`: the JSON object's text exactly as it is sealed (compact; numbers
/// and escapes as the caller wrote them), in a buffer wiped on drop. Redacted in `Debug`;
/// no `Display` and no `Serialize`: every reader calls an `expose` method on purpose.
pub struct SecretData(Zeroizing<String>);

impl SecretData {
    /// The text of a JSON object, already checked and compacted (see [`json_text`]).
    pub(crate) fn from_checked(text: Zeroizing<String>) -> Self {
        Self(text)
    }

    /// An object built in code (tests, the MCP store helpers), serialised into a buffer
    /// sized first and written once: a growing one would leave outgrown copies unwiped.
    pub fn from_map(fields: &serde_json::Map<String, serde_json::Value>) -> Self {
        Self(serialize_wiped(fields))
    }

    /// Decrypted bytes; `None` when they are not a JSON object's text.
    pub fn from_json_bytes(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        json_text::members(text).ok()?;
        Some(Self(Zeroizing::new(text.to_owned())))
    }

    /// The text that is sealed: compact JSON.
    pub fn expose_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The object as raw JSON, for the one answer that returns `data`.
    pub fn expose_json(&self) -> &RawValue {
        serde_json::from_str(&self.0).unwrap_or_else(|_| empty_object())
    }

    /// The members in order, each as written.
    pub fn expose_members(&self) -> Vec<Member<'_>> {
        json_text::members(&self.0).unwrap_or_default()
    }

    /// The text of member `name`'s value.
    pub fn expose_member(&self, name: &str) -> Option<&RawValue> {
        self.expose_members()
            .into_iter()
            .find(|member| member.name == name)
            .map(|member| member.value)
    }

    /// Member `name`'s value when it is a string, decoded, in a buffer wiped on drop.
    pub fn expose_string(&self, name: &str) -> Option<Zeroizing<String>> {
        let raw = self.expose_member(name)?;
        if json_text::kind(raw) != JsonKind::String {
            return None;
        }
        serde_json::from_str::<String>(raw.get())
            .ok()
            .map(Zeroizing::new)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.expose_member(name).is_some()
    }

    /// A copy with the members named set to the JSON texts given: replaced where they are,
    /// appended in the order given where they are not. Every other member, and every name,
    /// keeps its text.
    pub fn with_members(&self, changes: &[(&str, &str)]) -> SecretData {
        let members = self.expose_members();
        let mut parts: Vec<(Cow<'_, str>, &str)> = members
            .iter()
            .map(|member| {
                let changed = changes.iter().find(|(name, _)| member.name == *name);
                let value = changed.map_or(member.value.get(), |(_, text)| *text);
                (Cow::Borrowed(member.name_text.get()), value)
            })
            .collect();
        for (name, text) in changes {
            if !members.iter().any(|member| member.name == *name) {
                parts.push((Cow::Owned(Value::from(*name).to_string()), *text));
            }
        }
        let size = 2
            + parts.len().saturating_sub(1)
            + parts
                .iter()
                .map(|(name, text)| name.len() + 1 + text.len())
                .sum::<usize>();
        let mut out = Zeroizing::new(String::with_capacity(size));
        out.push('{');
        for (i, (name, text)) in parts.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(name);
            out.push(':');
            out.push_str(text);
        }
        out.push('}');
        SecretData(out)
    }
}

fn empty_object() -> &'static RawValue {
    serde_json::from_str("{}").unwrap_or_else(|_| unreachable!("`{{}}` is JSON"))
}

/// Compact JSON of `value`, in a buffer wiped on drop and never grown: sized by a counting
/// pass first, then written once.
pub fn serialize_wiped(value: &impl serde::Serialize) -> Zeroizing<String> {
    let mut size = ByteCount(0);
    // Serialising JSON values cannot fail; a failure would leave the buffer short, never panic.
    let _ = serde_json::to_writer(&mut size, value);
    let mut json = Zeroizing::new(Vec::with_capacity(size.0));
    let _ = serde_json::to_writer(&mut *json, value);
    let text = String::from_utf8(std::mem::take(&mut *json)).unwrap_or_default();
    Zeroizing::new(text)
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
        SecretData::from_map(&map)
    }

    #[test]
    fn debug_never_shows_the_fields() {
        let shown = format!("{:?} {:#?}", sample(), sample());
        assert!(!shown.contains("sk_live"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn bytes_are_the_text_and_read_back_as_they_were() {
        let bytes = sample().expose_bytes().to_vec();
        assert_eq!(bytes, br#"{"key":"sk_live_abc123","nested":["hunter2"]}"#);
        let back = SecretData::from_json_bytes(&bytes).expect("an object");
        assert_eq!(back.expose_bytes(), bytes.as_slice());
        assert!(SecretData::from_json_bytes(b"[1]").is_none());
        assert!(SecretData::from_json_bytes(b"\xff").is_none());
    }

    #[test]
    fn members_are_read_and_changed_in_place() {
        let data = SecretData::from_json_bytes(br#"{"a":1.10,"s":"x\u00e9","b":[true]}"#)
            .expect("an object");
        assert_eq!(data.expose_member("a").map(RawValue::get), Some("1.10"));
        assert_eq!(
            data.expose_string("s").as_deref().map(String::as_str),
            Some("x\u{e9}")
        );
        assert!(data.expose_string("a").is_none());
        let changed = data.with_members(&[("s", r#""[masked]""#), ("new", "[]")]);
        assert_eq!(
            changed.expose_bytes(),
            br#"{"a":1.10,"s":"[masked]","b":[true],"new":[]}"#
        );
        assert_eq!(changed.0.capacity(), changed.0.len(), "sized exactly");
    }

    #[test]
    fn the_json_buffer_is_written_once_at_its_exact_size() {
        let long = "x".repeat(10_000);
        let Value::Object(map) = json!({"a": long, "b": [1, 2, {"c": "é\n"}]}) else {
            unreachable!()
        };
        let text = serialize_wiped(&map);
        assert_eq!(text.capacity(), text.len(), "never grown, so no copy left");
        assert!(serde_json::from_str::<Value>(&text).is_ok());
    }
}
