//! The strict check of JSON text a credential keeps: syntax first (`serde_json`, which
//! builds nothing), then one pass over the bytes for what the syntax allows and a stored
//! credential must not hold: nesting past what parsers take, a lone UTF-16 surrogate, a
//! number no double holds, and an object naming a member twice (readers disagree on which
//! one counts). Nothing is decoded into a buffer that outlives the check, but member names.

use super::unescape::unescape;
use std::collections::HashSet;

/// The deepest nesting kept: well within `serde_json`'s own limit (127) once an answer wraps
/// the value in its own objects, and within what most parsers take.
pub const MAX_DEPTH: usize = 64;

/// Why JSON text is refused. Messages name what is wrong, never the text.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{0}")]
    Syntax(serde_json::Error),
    #[error("nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("a \\u escape is half a surrogate pair")]
    LoneSurrogate,
    #[error("a number is out of range")]
    NumberOutOfRange,
    #[error("an object names a member twice")]
    NameTwice,
}

/// Checks that `raw` is one JSON value, strictly (see the module's documentation).
pub fn check(raw: &str) -> Result<(), CheckError> {
    let mut deserializer = serde_json::Deserializer::from_str(raw);
    serde::Deserialize::deserialize(&mut deserializer)
        .map(|_: serde::de::IgnoredAny| ())
        .map_err(CheckError::Syntax)?;
    deserializer.end().map_err(CheckError::Syntax)?;
    strict(raw)
}

/// An open array or object; an object's frame knows its names (by digest: a name may be a
/// secret pasted as a key, and no copy of it is kept) and whether one comes next.
struct Frame {
    names: Option<HashSet<[u8; 32]>>,
    expects_name: bool,
}

fn digest_of(name: &str) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, name.as_bytes());
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(digest.as_ref());
    bytes
}

/// The pass over syntactically valid JSON.
fn strict(raw: &str) -> Result<(), CheckError> {
    let bytes = raw.as_bytes();
    let mut open: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => {
                let object = bytes[i] == b'{';
                open.push(Frame {
                    names: object.then(HashSet::new),
                    expects_name: object,
                });
                if open.len() > MAX_DEPTH {
                    return Err(CheckError::TooDeep);
                }
                i += 1;
            }
            b'}' | b']' => {
                open.pop();
                i += 1;
            }
            b',' => {
                if let Some(frame) = open.last_mut() {
                    frame.expects_name = frame.names.is_some();
                }
                i += 1;
            }
            b':' => {
                if let Some(frame) = open.last_mut() {
                    frame.expects_name = false;
                }
                i += 1;
            }
            b'"' => {
                let end = string_end(bytes, i)?;
                if let Some(Frame {
                    names: Some(names),
                    expects_name: true,
                }) = open.last_mut()
                {
                    let name = unescape(&raw[i..end]).ok_or(CheckError::LoneSurrogate)?;
                    if !names.insert(digest_of(&name)) {
                        return Err(CheckError::NameTwice);
                    }
                }
                i = end;
            }
            b'-' | b'0'..=b'9' => {
                let end = bytes[i..]
                    .iter()
                    .position(|b| !matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                    .map_or(bytes.len(), |n| i + n);
                if !raw[i..end].parse::<f64>().is_ok_and(f64::is_finite) {
                    return Err(CheckError::NumberOutOfRange);
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// The index just past the string literal opening at `start`, with every `\u` escape
/// checked: a high surrogate must be followed at once by a low one, and a low one preceded.
fn string_end(bytes: &[u8], start: usize) -> Result<usize, CheckError> {
    let mut i = start + 1;
    let mut pending_high = false;
    while i < bytes.len() {
        match bytes[i] {
            b'"' if !pending_high => return Ok(i + 1),
            b'\\' if bytes.get(i + 1) == Some(&b'u') => {
                let unit = bytes
                    .get(i + 2..i + 6)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u16::from_str_radix(hex, 16).ok())
                    .ok_or(CheckError::LoneSurrogate)?;
                match (pending_high, unit) {
                    (false, 0xD800..=0xDBFF) => pending_high = true,
                    (true, 0xDC00..=0xDFFF) => pending_high = false,
                    (true, _) | (false, 0xDC00..=0xDFFF) => return Err(CheckError::LoneSurrogate),
                    (false, _) => {}
                }
                i += 6;
            }
            _ if pending_high => return Err(CheckError::LoneSurrogate),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    Err(CheckError::LoneSurrogate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_is_as_strict_as_parsing_and_stricter_on_names() {
        for bad in [
            r#""\ud800""#,
            r#""\ud800x""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            "1e400",
            "-1e400",
            "[1,]",
            "{\"a\":1} x",
            "\"\t\"",
            "nul",
            r#"{"a":1,"a":2}"#,
            r#"{"a":1,"\u0061":2}"#,
            r#"{"o":[{"k":1,"k":2}]}"#,
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
        for good in [
            r#""\ud83d\ude00""#,
            "1e308",
            "1e-400",
            "123456789012345678901234567890",
            "[]",
            " {} ",
            "-0.0",
            r#"{"a":{"a":1},"b":[{"a":1},{"a":2}]}"#,
            r#"{"k":"a,\"b\":1"}"#,
        ] {
            assert!(check(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn nesting_is_kept_to_the_limit() {
        let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        assert!(check(&nested(MAX_DEPTH)).is_ok());
        assert!(matches!(
            check(&nested(MAX_DEPTH + 1)),
            Err(CheckError::TooDeep)
        ));
    }

    #[test]
    fn messages_never_quote_the_text() {
        for bad in [
            r#"{"sk_live_SECRET":1,"sk_live_SECRET":2}"#,
            r#"["sk_live_SECRET",]"#,
        ] {
            let message = check(bad).unwrap_err().to_string();
            assert!(!message.contains("SECRET"), "{message}");
        }
    }
}
