//! JSON text kept as the caller wrote it. A credential's `data` and `metadata` are stored,
//! bound and answered as text, never as parsed values printed again: `serde_json` reads a
//! number into an `f64`, `u64` or `i64`, so a parse followed by a print is not the identity
//! for every number (nor for every escape), and text printed again could differ from what
//! was bound into the AEAD's associated data, or from what the caller sent. Only the
//! whitespace between tokens is dropped.

mod strict;
mod unescape;

pub use strict::{CheckError, MAX_DEPTH, check};
pub use unescape::unescape;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use zeroize::Zeroizing;

/// `raw` (valid JSON, see [`check`]) without the whitespace between its tokens, in a buffer
/// sized exactly and wiped on drop: strings and numbers stay byte for byte.
pub fn compact(raw: &str) -> Zeroizing<String> {
    let kept =
        |in_string: bool, byte: u8| in_string || !matches!(byte, b' ' | b'\t' | b'\n' | b'\r');
    let mut size = 0;
    scan(raw, |in_string, byte| {
        size += usize::from(kept(in_string, byte))
    });
    let mut out = Zeroizing::new(Vec::with_capacity(size));
    scan(raw, |in_string, byte| {
        if kept(in_string, byte) {
            out.push(byte);
        }
    });
    // Only ASCII whitespace outside strings was dropped, so the bytes are still UTF-8.
    let text = String::from_utf8(std::mem::take(&mut *out)).unwrap_or_default();
    Zeroizing::new(text)
}

/// Calls `each(in_string, byte)` for every byte of `raw`, telling whether it is inside a
/// string (its quotes included).
fn scan(raw: &str, mut each: impl FnMut(bool, u8)) {
    let (mut in_string, mut escaped) = (false, false);
    for &byte in raw.as_bytes() {
        let inside = in_string || byte == b'"';
        each(inside, byte);
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if byte == b'"' {
            in_string = true;
        }
    }
}

/// One member of an object: its name decoded, and the name and value as written. No `Debug`:
/// a value may be a secret.
#[derive(Clone)]
pub struct Member<'a> {
    pub name: Cow<'a, str>,
    pub name_text: &'a RawValue,
    pub value: &'a RawValue,
}

/// The members of a JSON object's text, in order. `Err` when the text is not an object.
pub fn members(text: &str) -> Result<Vec<Member<'_>>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let members = Members::deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(members.0)
}

/// Whether `raw` (valid JSON) is an object, an array, a string...: its first byte says.
pub fn kind(raw: &RawValue) -> JsonKind {
    match raw.get().as_bytes().first() {
        Some(b'{') => JsonKind::Object,
        Some(b'[') => JsonKind::Array,
        Some(b'"') => JsonKind::String,
        Some(b'n') => JsonKind::Null,
        Some(b't' | b'f') => JsonKind::Bool,
        _ => JsonKind::Number,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

/// An object's members, borrowed from its text.
struct Members<'a>(Vec<Member<'a>>);

/// A member name, borrowed unless it holds escapes.
#[derive(Deserialize)]
struct Name<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some(name_text) = map.next_key::<&RawValue>()? {
                    let Name(name) = serde_json::from_str(name_text.get())
                        .map_err(|e| de::Error::custom(e.to_string()))?;
                    members.push(Member {
                        name,
                        name_text,
                        value: map.next_value()?,
                    });
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacting_drops_whitespace_between_tokens_only() {
        let raw = " { \"a b\" : [ 1.50 , 2E+3 , \"x\\\" y\" ] ,\n\t\"c\" : null } ";
        assert_eq!(
            compact(raw).as_str(),
            r#"{"a b":[1.50,2E+3,"x\" y"],"c":null}"#
        );
        assert_eq!(compact(r#""\\""#).as_str(), r#""\\""#);
        let compacted = compact(r#"{"k": "a\\" , "l" : 1}"#);
        assert_eq!(compacted.capacity(), compacted.len(), "sized exactly");
        assert_eq!(compacted.as_str(), r#"{"k":"a\\","l":1}"#);
    }

    #[test]
    fn numbers_and_escapes_stay_as_written() {
        let raw =
            r#"{"n":1.423966195757457e-18,"big":123456789012345678901234567890,"e":"\u00e9"}"#;
        assert_eq!(compact(raw).as_str(), raw);
        let members = members(raw).unwrap();
        assert_eq!(members[0].value.get(), "1.423966195757457e-18");
        assert_eq!(members[1].value.get(), "123456789012345678901234567890");
        assert_eq!(members[2].value.get(), r#""\u00e9""#);
    }

    #[test]
    fn members_keep_order_and_refuse_what_is_no_object() {
        let listed = members(r#"{"z":1,"a":{"q":[]},"m\u0041":2}"#).unwrap();
        let names: Vec<&str> = listed.iter().map(|m| m.name.as_ref()).collect();
        assert_eq!(names, ["z", "a", "mA"]);
        assert_eq!(listed[2].name_text.get(), r#""m\u0041""#);
        assert!(members("[1]").is_err());
        assert!(
            members(r#"{"a":1} junk"#).is_err(),
            "nothing after the object"
        );
        let raw: &RawValue = serde_json::from_str("[1]").unwrap();
        assert_eq!(kind(raw), JsonKind::Array);
    }
}
