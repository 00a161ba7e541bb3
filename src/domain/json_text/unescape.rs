//! A JSON string literal decoded into a buffer wiped on drop, sized to the literal and never
//! grown: a secret's characters leave no copy behind (a parser's scratch buffer would).

use zeroize::Zeroizing;

/// `literal` (quotes included, valid JSON) decoded; `None` if it is not a string literal or
/// holds half a surrogate pair.
pub fn unescape(literal: &str) -> Option<Zeroizing<String>> {
    let inner = literal.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Zeroizing::new(String::with_capacity(inner.len()));
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match chars.next()? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let unit = hex4(&mut chars)?;
                match unit {
                    0xD800..=0xDBFF => {
                        if chars.next()? != '\\' || chars.next()? != 'u' {
                            return None;
                        }
                        let low = hex4(&mut chars)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return None;
                        }
                        let code = 0x10000
                            + ((u32::from(unit) - 0xD800) << 10)
                            + (u32::from(low) - 0xDC00);
                        char::from_u32(code)?
                    }
                    0xDC00..=0xDFFF => return None,
                    _ => char::from_u32(u32::from(unit))?,
                }
            }
            _ => return None,
        };
        out.push(decoded);
    }
    Some(out)
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u16> {
    let mut unit = 0u16;
    for _ in 0..4 {
        unit = unit * 16 + u16::try_from(chars.next()?.to_digit(16)?).ok()?;
    }
    Some(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_escape_as_serde_json_does() {
        for literal in [
            r#""plain""#,
            r#""q\"b\\s\/""#,
            r#""\b\f\n\r\t""#,
            r#""\u00e9\u2603""#,
            r#""\ud83d\ude00 and é""#,
            r#""""#,
        ] {
            let ours = unescape(literal).unwrap();
            let theirs: String = serde_json::from_str(literal).unwrap();
            assert_eq!(ours.as_str(), theirs, "{literal}");
            assert!(
                ours.capacity() <= literal.len(),
                "never grown past the literal"
            );
        }
    }

    #[test]
    fn refuses_what_is_no_string() {
        for bad in [
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\x""#,
            "plain",
            r#""\u12""#,
        ] {
            assert!(unescape(bad).is_none(), "{bad}");
        }
    }
}
