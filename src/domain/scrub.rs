//! Scrubbing a brokered answer: every value the vault substituted into the request, and its
//! base64, base64url, hex, percent-encoded and JSON-escaped forms, replaced by its
//! placeholder before the answer leaves the vault. Best effort by nature: an upstream that
//! transforms a secret some other way (hashes it, splits it, encodes it with other text, as
//! in an HTTP Basic header) is not seen.

use super::Substituted;
use aho_corasick::{AhoCorasick, MatchKind};
use data_encoding::{BASE64, BASE64_NOPAD, BASE64URL, BASE64URL_NOPAD, HEXLOWER, HEXUPPER};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};
use zeroize::Zeroizing;

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
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Finds every form of every substituted value in one pass. Its patterns are secrets: it is
/// neither `Debug` nor `Clone`, and its forms are wiped on drop.
pub struct Scrubber {
    automaton: Option<AhoCorasick>,
    placeholders: Vec<String>,
    longest: usize,
    /// Kept to be wiped: the automaton's own copies cannot be.
    _forms: Vec<Zeroizing<Vec<u8>>>,
}

impl Scrubber {
    pub fn new(used: &Substituted) -> Self {
        let mut forms: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        let mut placeholders = Vec::new();
        for (placeholder, value) in &used.secrets {
            for form in encodings(value) {
                if !form.is_empty() && !forms.iter().any(|f| f.as_slice() == form.as_slice()) {
                    forms.push(form);
                    placeholders.push(placeholder.clone());
                }
            }
        }
        let longest = forms.iter().map(|f| f.len()).max().unwrap_or(0);
        let automaton = (!forms.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(forms.iter().map(|f| f.as_slice()))
                    .ok()
            })
            .flatten();
        Self {
            automaton,
            placeholders,
            longest,
            _forms: forms,
        }
    }

    /// The longest form looked for: a cut made this far past a limit leaves no form split.
    pub fn longest(&self) -> usize {
        self.longest
    }

    /// `bytes` with every form replaced by its placeholder.
    pub fn scrub(&self, bytes: &[u8]) -> Vec<u8> {
        let Some(automaton) = &self.automaton else {
            return bytes.to_vec();
        };
        let mut out = Vec::with_capacity(bytes.len());
        automaton.replace_all_with_bytes(bytes, &mut out, |found, _, out| {
            out.extend_from_slice(self.placeholders[found.pattern().as_usize()].as_bytes());
            true
        });
        out
    }
}

fn encodings(value: &[u8]) -> Vec<Zeroizing<Vec<u8>>> {
    let text = |s: String| Zeroizing::new(s.into_bytes());
    let mut forms = vec![
        Zeroizing::new(value.to_vec()),
        text(BASE64.encode(value)),
        text(BASE64_NOPAD.encode(value)),
        text(BASE64URL.encode(value)),
        text(BASE64URL_NOPAD.encode(value)),
        text(HEXLOWER.encode(value)),
        text(HEXUPPER.encode(value)),
    ];
    for set in [NON_ALPHANUMERIC, COMPONENT, UNRESERVED] {
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
        for c in utf8.chars() {
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
        forms.push(text(ascii));
    }
    forms
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
mod tests {
    use super::*;

    fn scrubber(values: &[(&str, &[u8])]) -> Scrubber {
        let mut used = Substituted::default();
        for (placeholder, value) in values {
            used.secrets
                .push(((*placeholder).to_owned(), Zeroizing::new(value.to_vec())));
        }
        Scrubber::new(&used)
    }

    #[test]
    fn every_form_of_a_secret_is_replaced_by_its_placeholder() {
        let secret: &[u8] = b"sk_live/\"a b+c\xc3\xa9";
        let s = scrubber(&[("{{data.key}}", secret)]);
        let utf8 = std::str::from_utf8(secret).unwrap();
        let forms = [
            utf8.to_owned(),
            BASE64.encode(secret),
            BASE64URL_NOPAD.encode(secret),
            HEXLOWER.encode(secret),
            HEXUPPER.encode(secret),
            percent_encode(secret, NON_ALPHANUMERIC).to_string(),
            percent_encode(secret, COMPONENT).to_string(),
            lower_escapes(&percent_encode(secret, UNRESERVED).to_string()),
            serde_json::to_string(utf8)
                .unwrap()
                .trim_matches('"')
                .to_owned(),
            r#"sk_live\/\"a b+c\u00e9"#.to_owned(),
        ];
        for form in forms {
            let body = format!("before {form} after");
            let got = String::from_utf8(s.scrub(body.as_bytes())).unwrap();
            assert_eq!(got, "before {{data.key}} after", "form {form}");
        }
    }

    #[test]
    fn several_secrets_and_no_secret() {
        let s = scrubber(&[("{{data.a}}", b"alpha-1"), ("{{data.b}}", b"beta-22")]);
        assert_eq!(s.scrub(b"alpha-1beta-22!"), b"{{data.a}}{{data.b}}!");
        assert_eq!(
            s.longest(),
            HEXLOWER
                .encode(b"alpha-1")
                .len()
                .max(HEXLOWER.encode(b"beta-22").len())
        );
        let none = scrubber(&[]);
        assert_eq!(none.scrub(b"unchanged"), b"unchanged");
        assert_eq!(none.longest(), 0);
    }
}
