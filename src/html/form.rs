//! A link's form as the page sends it (`application/x-www-form-urlencoded`): the proof and
//! the values `v0`..`v{n}`, decoded by hand into buffers sized once and wiped on drop (a
//! general decoder leaves intermediate copies of a secret behind), and refused, never
//! mended, when they are not UTF-8.

use crate::domain::MAX_FIELDS;
use crate::vault::{LinkSubmission, VaultError};
use lambda_http::http::header;
use lambda_http::http::request::Parts;
use zeroize::Zeroizing;

/// A form over this is refused unread: the most a credential holds, with its encoding.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;
const FORM_TYPE: &str = "application/x-www-form-urlencoded";

fn mismatch() -> VaultError {
    VaultError::BadInput("The form does not match this request; open the link again".into())
}

/// Reads the form. Anything but `proof` and `v<index>` (canonical decimal, below
/// [`MAX_FIELDS`]), a name given twice, a gap in the values, or a body that is not a form,
/// is refused.
pub fn read_form(parts: &Parts, body: &[u8]) -> Result<LinkSubmission, VaultError> {
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case(FORM_TYPE) {
        return Err(VaultError::BadInput(
            "The form must be sent as the page sends it".into(),
        ));
    }
    if body.len() > MAX_FORM_BYTES {
        return Err(VaultError::TooLarge(format!(
            "What was typed is over {} MiB",
            MAX_FORM_BYTES / (1024 * 1024)
        )));
    }
    let mut proof = None;
    let mut values: Vec<Option<Zeroizing<String>>> = vec![None; MAX_FIELDS];
    for pair in body.split(|b| *b == b'&').filter(|pair| !pair.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let value = decode(value)?;
        let slot = match name {
            b"proof" => &mut proof,
            _ => {
                let index = field_index(name).ok_or_else(mismatch)?;
                &mut values[index]
            }
        };
        if slot.replace(value).is_some() {
            return Err(mismatch());
        }
    }
    // Values come as v0, v1, ... with no gap; the request checks there are as many as it
    // asks for.
    let given = values.iter().take_while(|v| v.is_some()).count();
    if values[given..].iter().any(Option::is_some) {
        return Err(mismatch());
    }
    Ok(LinkSubmission {
        proof: proof.map(|p| p.to_string()).unwrap_or_default(),
        values: values.into_iter().flatten().collect(),
        cross_site: super::cross_site(parts),
    })
}

/// `v0`..`v15`, written as the page writes them (no sign, no leading zero).
fn field_index(name: &[u8]) -> Option<usize> {
    let digits = name.strip_prefix(b"v")?;
    let canonical = match digits {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    let index: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
    (canonical && index < MAX_FIELDS).then_some(index)
}

/// One value: `+` is a space, `%XX` a byte; the bytes must be UTF-8. Written into a buffer
/// of its final size at most, which becomes the string without a copy.
fn decode(raw: &[u8]) -> Result<Zeroizing<String>, VaultError> {
    let malformed = || VaultError::BadInput("A value of the form is not text".into());
    let mut bytes = Zeroizing::new(Vec::with_capacity(raw.len()));
    let mut at = 0;
    while at < raw.len() {
        match raw[at] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = raw.get(at + 1..at + 3).ok_or_else(malformed)?;
                let high = (hex[0] as char).to_digit(16).ok_or_else(malformed)?;
                let low = (hex[1] as char).to_digit(16).ok_or_else(malformed)?;
                bytes.push((high * 16 + low) as u8);
                at += 2;
            }
            byte => bytes.push(byte),
        }
        at += 1;
    }
    let text = String::from_utf8(std::mem::take(&mut *bytes)).map_err(|refused| {
        // The refused bytes are wiped too.
        drop(Zeroizing::new(refused.into_bytes()));
        malformed()
    })?;
    Ok(Zeroizing::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_decode_as_browsers_encode_them() {
        let cases: [(&[u8], &str); 5] = [
            (b"a+b", "a b"),
            (b"%2B%25%26%3D", "+%&="),
            (b"sk_live_%C3%A9", "sk_live_é"),
            (b"", ""),
            (b"plain", "plain"),
        ];
        for (raw, want) in cases {
            assert_eq!(decode(raw).expect("text").as_str(), want);
        }
        for bad in [&b"%"[..], b"%4", b"%zz", b"%FF", b"%C3"] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_canonical_field_names_are_taken() {
        assert_eq!(field_index(b"v0"), Some(0));
        assert_eq!(field_index(b"v15"), Some(15));
        for bad in [&b"v"[..], b"v01", b"v+1", b"v16", b"w1", b"v-1", b"v1x"] {
            assert_eq!(field_index(bad), None, "{bad:?}");
        }
    }
}
