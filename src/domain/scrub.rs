//! Scrubbing a brokered answer: every value of the credential's `data` (of at least
//! [`MIN_SUBSTITUTED_BYTES`], substituted into this request or not), and its base64 (at each
//! byte alignment), base64url, hex, percent-encoded and JSON-escaped forms, replaced by its
//! placeholder before the answer leaves the vault. Best effort by nature: an upstream that
//! transforms a secret some other way (hashes it, encrypts it, compresses it) is not seen.

use super::{MIN_SUBSTITUTED_BYTES, SecretData};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use data_encoding::{
    BASE64, BASE64_NOPAD, BASE64URL, BASE64URL_NOPAD, Encoding, HEXLOWER, HEXUPPER,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};
use serde_json::Value;
use zeroize::{Zeroize, Zeroizing};

/// What `encodeURIComponent` and most clients leave as is.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'!')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');
/// Python's `quote()` default: the unreserved set and `/`.
const PATH_SAFE: &AsciiSet = &UNRESERVED.remove(b'/');
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The most bytes of forms one scrubber looks for (about 25 KiB of values): its automaton
/// stays a few tens of MB at most, inside the function's memory.
pub const MAX_FORM_BYTES: usize = 1024 * 1024;
/// The longest placeholder an answer shows for a value; a longer path shows `{{data}}`.
const MAX_PLACEHOLDER_BYTES: usize = 80;

/// The scrubber could not be built: the answer must not go out unscrubbed.
#[derive(Debug, thiserror::Error)]
#[error("the answer's scrubber could not be built")]
pub struct ScrubError;

/// Finds every form of every value in one pass. Its patterns are secrets: it is neither
/// `Debug` nor `Clone`, and its forms are wiped on drop.
pub struct Scrubber {
    automaton: Option<AhoCorasick>,
    placeholders: Vec<String>,
    longest: usize,
    /// Kept to be wiped: the automaton's own copies cannot be.
    _forms: Vec<Zeroizing<Vec<u8>>>,
}

impl Scrubber {
    /// A scrubber of every scalar value in `data` (nested ones too), each replaced by
    /// `{{data.PATH}}`.
    pub fn new(data: &SecretData) -> Result<Self, ScrubError> {
        let mut tree: Value =
            serde_json::from_slice(data.expose_bytes()).map_err(|_| ScrubError)?;
        let mut values = Vec::new();
        leaves(&tree, &mut String::new(), &mut values);
        wipe(&mut tree);
        // A number goes into a request as it was written (`1.50`), which its parsed form
        // (`1.5`) may not be: the written text of each top-level number is scrubbed too.
        for member in data.expose_members() {
            if super::json_text::kind(member.value) == super::json_text::JsonKind::Number {
                let text = member.value.get().as_bytes().to_vec();
                values.push((
                    format!("{{{{data.{}}}}}", member.name),
                    Zeroizing::new(text),
                ));
            }
        }
        Self::of(&values)
    }

    /// A scrubber of `values`, each with its placeholder.
    pub fn of(values: &[(String, Zeroizing<Vec<u8>>)]) -> Result<Self, ScrubError> {
        let mut forms: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        let mut placeholders = Vec::new();
        // Forms by their hash, to find a repeat without comparing against every form.
        let mut seen: std::collections::HashMap<u64, Vec<usize>> = Default::default();
        let mut budget = MAX_FORM_BYTES;
        for (placeholder, value) in values {
            if value.len() < MIN_SUBSTITUTED_BYTES {
                continue;
            }
            // A long path names its value no better than `{{data}}` does, and would make
            // every match a large copy.
            let placeholder = match placeholder.len() > MAX_PLACEHOLDER_BYTES {
                true => "{{data}}".to_owned(),
                false => placeholder.clone(),
            };
            for form in encodings(value) {
                let same = seen.entry(hash_of(&form)).or_default();
                if form.is_empty() || same.iter().any(|&i| forms[i].as_slice() == form.as_slice()) {
                    continue;
                }
                same.push(forms.len());
                // The automaton's memory grows with its patterns: over budget, the
                // credential is not brokered at all rather than half scrubbed.
                budget = budget.checked_sub(form.len()).ok_or(ScrubError)?;
                forms.push(form);
                placeholders.push(placeholder.clone());
            }
        }
        let longest = forms.iter().map(|f| f.len()).max().unwrap_or(0);
        let automaton = match forms.is_empty() {
            true => None,
            false => Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    // Built for each answer: an NFA builds in microseconds where a DFA takes
                    // hundreds, and scans a 1 MiB answer fast enough.
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(forms.iter().map(|f| f.as_slice()))
                    .map_err(|_| ScrubError)?,
            ),
        };
        Ok(Self {
            automaton,
            placeholders,
            longest,
            _forms: forms,
        })
    }

    /// The longest form looked for: read this far past a limit, no form is split at it.
    pub fn longest(&self) -> usize {
        self.longest
    }

    /// `bytes` with every form replaced by its placeholder.
    pub fn scrub(&self, bytes: &[u8]) -> Vec<u8> {
        self.scrub_within(bytes, usize::MAX, usize::MAX).0
    }

    /// The first `limit` bytes of `raw` (counted before scrubbing), scrubbed, and whether
    /// any were left out. A form that starts before the limit is replaced whole (the caller
    /// read [`Scrubber::longest`] bytes past it); nothing from the limit on is kept, so no
    /// part of a value read at the very end can pass unmatched.
    /// The output is also cut at `out_limit` (placeholders may be longer than what they
    /// replace): a cut through text already scrubbed reveals nothing.
    pub fn scrub_within(&self, raw: &[u8], limit: usize, out_limit: usize) -> (Vec<u8>, bool) {
        let mut cut = raw.len() > limit;
        let mut out = Vec::with_capacity(raw.len().min(limit).min(out_limit));
        let mut at = 0;
        if let Some(automaton) = &self.automaton {
            for found in automaton.find_iter(raw) {
                if found.start() >= limit || out.len() >= out_limit {
                    break;
                }
                out.extend_from_slice(&raw[at..found.start()]);
                out.extend_from_slice(self.placeholders[found.pattern().as_usize()].as_bytes());
                at = found.end();
            }
        }
        if at < limit && out.len() < out_limit {
            out.extend_from_slice(&raw[at..raw.len().min(limit)]);
        }
        if out.len() > out_limit {
            out.truncate(out_limit);
            cut = true;
        }
        (out, cut)
    }
}

fn hash_of(bytes: &[u8]) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// Every scalar under `value`, with its placeholder (`{{data.a.b}}`, `{{data.codes.0}}`).
fn leaves(value: &Value, path: &mut String, out: &mut Vec<(String, Zeroizing<Vec<u8>>)>) {
    let mut child = |key: &str, value: &Value, path: &mut String| {
        let mark = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        leaves(value, path, out);
        path.truncate(mark);
    };
    match value {
        Value::Object(fields) => fields.iter().for_each(|(k, v)| child(k, v, path)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| child(&i.to_string(), v, path)),
        Value::String(text) => out.push((
            format!("{{{{data.{path}}}}}"),
            Zeroizing::new(text.as_bytes().to_vec()),
        )),
        Value::Number(n) => out.push((
            format!("{{{{data.{path}}}}}"),
            Zeroizing::new(n.to_string().into_bytes()),
        )),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Wipes the strings of a parsed `data` before it is dropped.
fn wipe(value: &mut Value) {
    match value {
        Value::String(text) => text.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(fields) => fields.values_mut().for_each(wipe),
        _ => {}
    }
}

/// The characters of `encoding` applied to `value` at byte offset `offset` (0 to 2) within
/// a longer text, that depend on `value` alone: the middle of `base64(prefix + value)`.
fn aligned(encoding: &Encoding, value: &[u8], offset: usize) -> Option<String> {
    let mut shifted = vec![0u8; offset];
    shifted.extend_from_slice(value);
    let text = encoding.encode(&shifted);
    let skip = if offset == 0 { 0 } else { 4 };
    let full = shifted.len() / 3 * 4;
    let middle = text.get(skip..full)?;
    (middle.len() >= MIN_SUBSTITUTED_BYTES).then(|| middle.to_owned())
}

fn encodings(value: &[u8]) -> Vec<Zeroizing<Vec<u8>>> {
    let text = |s: String| Zeroizing::new(s.into_bytes());
    // A query or form decoded by the upstream turns `+` into a space.
    let plus_as_space: Vec<u8> = value
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let mut forms = vec![
        Zeroizing::new(value.to_vec()),
        Zeroizing::new(plus_as_space),
        text(BASE64.encode(value)),
        text(BASE64_NOPAD.encode(value)),
        text(BASE64URL.encode(value)),
        text(BASE64URL_NOPAD.encode(value)),
        text(HEXLOWER.encode(value)),
        text(HEXUPPER.encode(value)),
    ];
    // Base64 of a longer text holding the value (an HTTP Basic `user:pass`, an echo with a
    // prefix): the characters that come from the value alone, at each byte alignment.
    for encoding in [&BASE64, &BASE64URL] {
        for offset in 0..3 {
            if let Some(middle) = aligned(encoding, value, offset) {
                forms.push(text(middle));
            }
        }
    }
    for set in [NON_ALPHANUMERIC, COMPONENT, UNRESERVED, PATH_SAFE] {
        let upper = percent_encode(value, set).to_string();
        forms.push(text(upper.replace("%20", "+")));
        forms.push(text(lower_escapes(&upper)));
        forms.push(text(upper));
    }
    if let Ok(utf8) = std::str::from_utf8(value)
        && let Ok(quoted) = serde_json::to_string(utf8)
    {
        forms.push(text(quoted[1..quoted.len() - 1].to_owned()));
        // serde_json leaves `/` and non-ASCII as they are; other encoders escape them.
        let mut ascii = String::new();
        let mut go = String::new();
        for c in utf8.chars() {
            // Go's encoding/json writes <, > and & as \u escapes.
            match c {
                '<' | '>' | '&' => go.push_str(&format!("\\u{:04x}", c as u32)),
                c => {
                    let quoted = serde_json::to_string(&c).unwrap_or_default();
                    go.push_str(quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or(""));
                }
            }
            match c {
                '/' => ascii.push_str("\\/"),
                c if c.is_ascii() => {
                    let quoted = serde_json::to_string(&c).unwrap_or_default();
                    ascii.push_str(quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or(""));
                }
                c => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        ascii.push_str(&format!("\\u{unit:04x}"));
                    }
                }
            }
        }
        // Python's json.dumps: non-ASCII escaped, `/` as is.
        forms.push(text(ascii.replace("\\/", "/")));
        forms.push(text(ascii));
        forms.push(text(go));
        forms.push(text(dotnet_json(utf8)));
    }
    forms
}

/// As .NET's System.Text.Json writes a string: `\\` for a backslash, HTML-sensitive
/// characters, `+` and non-ASCII as `\uXXXX` with uppercase hex.
fn dotnet_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii_graphic() && !"<>&'\"+`".contains(c) || c == ' ' => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
        }
    }
    out
}

/// `%2F` → `%2f`: some encoders write lowercase hex.
fn lower_escapes(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut chars = encoded.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            out.extend(chars.by_ref().take(2).map(|h| h.to_ascii_lowercase()));
        }
    }
    out
}

#[cfg(test)]
#[path = "scrub_tests.rs"]
mod tests;
