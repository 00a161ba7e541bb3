//! Placeholders in a brokered request: `{{data.FIELD}}` for a field of the credential's
//! secret `data`, `{{metadata.FIELD}}` for one of its plaintext `metadata`. A template is
//! split once into literal bytes and references; substitution happens at the last moment,
//! into buffers wiped on drop, and refuses a value that would change the shape of the URL or
//! of a header.

use super::json_text::JsonKind;
use super::{Metadata, SecretData};
use zeroize::Zeroizing;

const MAX_FIELD_NAME: usize = 128;
/// `metadata.` and a field name, with up to 16 spaces on each side.
const MAX_PLACEHOLDER_INNER: usize = 9 + MAX_FIELD_NAME + 32;

/// Where a placeholder takes its value from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Data,
    Metadata,
}

/// One `{{source.FIELD}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRef {
    pub source: Source,
    pub field: String,
}

impl FieldRef {
    /// The placeholder as written canonically: what a scrubbed value is replaced with.
    pub fn placeholder(&self) -> String {
        let source = match self.source {
            Source::Data => "data",
            Source::Metadata => "metadata",
        };
        format!("{{{{{source}.{}}}}}", self.field)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(Vec<u8>),
    Field(FieldRef),
}

/// A text (or body) with its placeholders found.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// Where a substituted value goes, which decides what it may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    Url,
    Header,
    Body,
}

/// Why a template could not be filled; messages name the placeholder, never a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FillError {
    #[error("the credential has no field for {0} (a string, number or boolean)")]
    Missing(String),
    #[error(
        "the value of {0} is under {MIN_SUBSTITUTED_BYTES} bytes: too short to be scrubbed from \
         the answer reliably, so it is not sent"
    )]
    TooShort(String),
    #[error(
        "the value of {0} cannot go in the URL: it holds a character that would change the \
         URL (only letters, digits and -._~=:@!$()*, may be substituted there)"
    )]
    BreaksUrl(String),
    #[error("the value of {0} cannot go in a header: it holds a control character")]
    BreaksHeader(String),
    #[error("the {0} is over {1} bytes once filled")]
    TooLarge(&'static str, usize),
}

/// The shortest `data` value a request may carry: a shorter one would be scrubbed from
/// answers unreliably (and would make the scrubber a cheap guessing oracle).
pub const MIN_SUBSTITUTED_BYTES: usize = 8;

/// What placeholders read from: the credential's decrypted data and its metadata.
pub struct Values<'a> {
    pub data: &'a SecretData,
    pub metadata: Option<&'a Metadata>,
}

impl Template {
    pub fn parse(text: &[u8]) -> Self {
        let mut pieces = Vec::new();
        let mut literal = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some((field, used)) = placeholder_at(rest) {
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Field(field));
                rest = &rest[used..];
            } else {
                literal.push(rest[0]);
                rest = &rest[1..];
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Self { pieces }
    }

    pub fn has_placeholders(&self) -> bool {
        self.fields().next().is_some()
    }

    pub fn fields(&self) -> impl Iterator<Item = &FieldRef> {
        self.pieces.iter().filter_map(|piece| match piece {
            Piece::Field(field) => Some(field),
            Piece::Literal(_) => None,
        })
    }

    /// The literal text before the first placeholder (all of it when there is none).
    pub fn literal_prefix(&self) -> &[u8] {
        match self.pieces.first() {
            Some(Piece::Literal(bytes)) => bytes,
            _ => &[],
        }
    }

    /// The template with its placeholders replaced by `x`: where the literal text alone
    /// sends the request, checked before any value is read.
    pub fn with_markers(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for piece in &self.pieces {
            match piece {
                Piece::Literal(bytes) => out.extend_from_slice(bytes),
                Piece::Field(_) => out.push(b'x'),
            }
        }
        out
    }

    /// The template with its placeholders filled from `values`, into a buffer wiped on drop,
    /// refused past `limit` bytes (`what` names the part).
    pub fn fill(
        &self,
        values: &Values<'_>,
        slot: Slot,
        (what, limit): (&'static str, usize),
    ) -> Result<Zeroizing<Vec<u8>>, FillError> {
        let mut out = Zeroizing::new(Vec::new());
        for piece in &self.pieces {
            let value;
            let bytes: &[u8] = match piece {
                Piece::Literal(bytes) => bytes,
                Piece::Field(field) => {
                    value = lookup(values, field)
                        .ok_or_else(|| FillError::Missing(field.placeholder()))?;
                    if field.source == Source::Data && value.len() < MIN_SUBSTITUTED_BYTES {
                        return Err(FillError::TooShort(field.placeholder()));
                    }
                    check_slot(&value, slot, field)?;
                    &value
                }
            };
            if out.len() + bytes.len() > limit {
                return Err(FillError::TooLarge(what, limit));
            }
            out.extend_from_slice(bytes);
        }
        Ok(out)
    }
}

/// A placeholder at the start of `text`, and how many bytes it takes: `{{`, optional spaces,
/// `data.` or `metadata.`, a field name of letters, digits, `_` and `-`, spaces, `}}`.
fn placeholder_at(text: &[u8]) -> Option<(FieldRef, usize)> {
    let inner = text.strip_prefix(b"{{")?;
    // Only as far as the longest placeholder reaches: parsing stays linear in the text.
    let window = &inner[..inner.len().min(MAX_PLACEHOLDER_INNER + 2)];
    let end = window.windows(2).position(|w| w == b"}}")?;
    let body = std::str::from_utf8(&inner[..end]).ok()?.trim_matches(' ');
    let (source, field) = match body.split_once('.')? {
        ("data", field) => (Source::Data, field),
        ("metadata", field) => (Source::Metadata, field),
        _ => return None,
    };
    let valid = (1..=MAX_FIELD_NAME).contains(&field.len())
        && field
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    valid.then(|| {
        let field = FieldRef {
            source,
            field: field.to_owned(),
        };
        (field, 2 + end + 2)
    })
}

/// A scalar field's value as text: a string decoded, a number or boolean as written.
fn lookup(values: &Values<'_>, field: &FieldRef) -> Option<Zeroizing<Vec<u8>>> {
    let scalar = |raw: &serde_json::value::RawValue| match super::json_text::kind(raw) {
        JsonKind::Number | JsonKind::Bool => Some(Zeroizing::new(raw.get().as_bytes().to_vec())),
        _ => None,
    };
    match field.source {
        Source::Data => match values.data.expose_string(&field.field) {
            Some(text) => Some(Zeroizing::new(text.as_bytes().to_vec())),
            None => scalar(values.data.expose_member(&field.field)?),
        },
        Source::Metadata => match values.metadata?.get(&field.field)? {
            serde_json::Value::String(text) => Some(Zeroizing::new(text.into_bytes())),
            value @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => {
                Some(Zeroizing::new(value.to_string().into_bytes()))
            }
            _ => None,
        },
    }
}

/// Bytes that may be substituted into a URL's path or query without changing its shape.
pub fn url_safe(byte: u8) -> bool {
    // Not `'`: the URL parser percent-encodes it in a query, a form the scrubber would miss.
    // Nor `+`: an upstream that decodes a query or a form reads it as a space.
    byte.is_ascii_alphanumeric() || b"-._~=:@!$()*,".contains(&byte)
}

fn check_slot(value: &[u8], slot: Slot, field: &FieldRef) -> Result<(), FillError> {
    match slot {
        Slot::Url if !value.iter().all(|b| url_safe(*b)) => {
            Err(FillError::BreaksUrl(field.placeholder()))
        }
        Slot::Header
            if value
                .iter()
                .any(|b| (*b < 0x20 && *b != b'\t') || *b == 0x7f) =>
        {
            Err(FillError::BreaksHeader(field.placeholder()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(json: &str) -> SecretData {
        SecretData::from_json_bytes(json.as_bytes()).unwrap()
    }

    const ANY: (&str, usize) = ("body", 1 << 20);

    fn fill(template: &str, data: &SecretData, slot: Slot) -> Result<String, FillError> {
        let metadata = Metadata::from_stored(r#"{"username":"bot","n":7}"#.into());
        let values = Values {
            data,
            metadata: metadata.as_ref(),
        };
        let out = Template::parse(template.as_bytes()).fill(&values, slot, ANY)?;
        Ok(String::from_utf8(out.to_vec()).unwrap())
    }

    #[test]
    fn placeholders_are_filled_and_everything_else_is_literal() {
        let d = data(r#"{"key":"sk_live_1","pin":12345678,"on":true,"obj":{"a":1},"short":"abc"}"#);
        let got = fill(
            "Bearer {{data.key}} {{ data.pin }}/{{metadata.username}} {{metadata.n}}",
            &d,
            Slot::Body,
        );
        assert_eq!(got.unwrap(), "Bearer sk_live_1 12345678/bot 7");
        for literal in [
            "{{x.key}}",
            "{{data}}",
            "{{data.}}",
            "{{data.a b}}",
            "{{data.key}",
            "{ {data.key}}",
        ] {
            assert_eq!(fill(literal, &d, Slot::Body).unwrap(), literal);
        }
        for (template, error) in [
            ("{{data.obj}}", FillError::Missing("{{data.obj}}".into())),
            ("{{data.nope}}", FillError::Missing("{{data.nope}}".into())),
            (
                "{{data.short}}",
                FillError::TooShort("{{data.short}}".into()),
            ),
            ("{{data.on}}", FillError::TooShort("{{data.on}}".into())),
        ] {
            assert_eq!(fill(template, &d, Slot::Body), Err(error), "{template}");
        }
    }

    #[test]
    fn a_value_that_would_change_the_url_or_a_header_is_refused() {
        let d = data(
            r#"{"slash":"aaaa/bbbb","amp":"aaaa&b=cc","crlf":"aaaa\r\nX-Evil: 1","tab":"aaaa\tbbbb","quote":"aaaa'bbbb","ok":"sk-A.b_c~d=e=","plus":"aaaa+bbbb"}"#,
        );
        for field in ["slash", "amp", "crlf", "tab", "quote", "plus"] {
            let got = fill(&format!("/x?k={{{{data.{field}}}}}"), &d, Slot::Url);
            assert!(
                matches!(got, Err(FillError::BreaksUrl(_))),
                "{field}: {got:?}"
            );
        }
        assert_eq!(
            fill("/x/{{data.ok}}", &d, Slot::Url).unwrap(),
            "/x/sk-A.b_c~d=e="
        );
        let header = fill("Bearer {{data.crlf}}", &d, Slot::Header);
        assert!(matches!(header, Err(FillError::BreaksHeader(_))));
        assert_eq!(
            fill("{{data.tab}}", &d, Slot::Header).unwrap(),
            "aaaa\tbbbb"
        );
        // The error names the placeholder, never the value.
        let message = header.unwrap_err().to_string();
        assert!(
            message.contains("{{data.crlf}}") && !message.contains("X-Evil"),
            "{message}"
        );
    }

    #[test]
    fn a_filled_part_is_bounded_and_markers_show_the_literal_destination() {
        let d = data(r#"{"key":"0123456789abcdef"}"#);
        let values = Values {
            data: &d,
            metadata: None,
        };
        let many = Template::parse("{{data.key}}".repeat(100).as_bytes());
        assert_eq!(
            many.fill(&values, Slot::Body, ("body", 1000)),
            Err(FillError::TooLarge("body", 1000))
        );
        assert_eq!(
            many.fill(&values, Slot::Body, ("body", 1600))
                .unwrap()
                .len(),
            1600
        );
        let url = Template::parse(b"https:///{{data.key}}/v1/{{data.key}}");
        assert_eq!(url.with_markers(), b"https:///x/v1/x");
    }

    #[test]
    fn parsing_is_linear_in_the_text() {
        // A megabyte of `{` finds no placeholder, quickly (each search is bounded).
        let started = std::time::Instant::now();
        let template = Template::parse(&vec![b'{'; 1 << 20]);
        assert!(!template.has_placeholders());
        println!("1 MiB of braces parsed in {:?}", started.elapsed());
    }
}
