//! Generated JSON text for the round-trip properties: numbers of every magnitude and
//! precision (past what an f64 holds), strings of any unicode in several escape styles,
//! members in any order, nesting deep and wide. Each value renders compact (what the vault
//! must answer) and with whitespace between tokens (what a client may send).

use credvault::domain::CredentialType;
use proptest::prelude::*;

#[derive(Clone, Debug)]
pub enum Json {
    Null,
    Bool(bool),
    /// A number's text, as written.
    Number(String),
    /// A string literal's text, quotes and escapes as written.
    Str(String),
    Array(Vec<Json>),
    /// Members with their names' literal text; no name twice.
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn compact(&self) -> String {
        self.render("")
    }

    /// With `space` between every two tokens.
    pub fn render(&self, space: &str) -> String {
        match self {
            Json::Null => "null".into(),
            Json::Bool(b) => b.to_string(),
            Json::Number(text) | Json::Str(text) => text.clone(),
            Json::Array(items) => {
                let items: Vec<String> = items.iter().map(|v| v.render(space)).collect();
                format!(
                    "[{space}{}{space}]",
                    items.join(&format!("{space},{space}"))
                )
            }
            Json::Object(members) => {
                let members: Vec<String> = members
                    .iter()
                    .map(|(name, v)| format!("{name}{space}:{space}{}", v.render(space)))
                    .collect();
                format!(
                    "{{{space}{}{space}}}",
                    members.join(&format!("{space},{space}"))
                )
            }
        }
    }
}

/// The names of an object's members, decoded.
pub fn names(members: &[(String, Json)]) -> Vec<String> {
    members
        .iter()
        .map(|(name, _)| serde_json::from_str::<String>(name).expect("a string literal"))
        .collect()
}

pub fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::Number::from_f64(f).expect("finite").to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        // More digits than an f64 keeps, integers past u64, exponents of every size.
        "-?(0|[1-9][0-9]{0,40})(\\.[0-9]{1,40})?([eE][+-]?[0-9]{1,2})?",
        "-?[1-9]\\.[0-9]{1,24}[eE][+-]?(2[0-9][0-9]|30[0-7])",
        prop_oneof![
            Just("1.423966195757457e-18".to_owned()),
            Just("2.0625462831823275e-13".to_owned()),
            Just("2.2790121708605243e274".to_owned()),
            Just("-0".to_owned()),
            Just("1E+2".to_owned()),
        ],
    ]
}

/// `text` as a JSON string literal in one of the escape styles clients use.
fn literal(text: &str, style: u8) -> String {
    match style {
        // serde_json's own: control characters and quotes escaped, the rest as UTF-8.
        0 => serde_json::to_string(text).expect("a string"),
        // ASCII only: everything else as \uXXXX (astral characters as surrogate pairs), and
        // `/` escaped as some encoders do.
        _ => {
            let mut out = String::from("\"");
            for unit in text.encode_utf16() {
                match unit {
                    0x22 => out.push_str("\\\""),
                    0x5c => out.push_str("\\\\"),
                    0x2f => out.push_str("\\/"),
                    0x20..=0x7e => out.push(char::from(unit as u8)),
                    _ => out.push_str(&format!("\\u{unit:04x}")),
                }
            }
            out.push('"');
            out
        }
    }
}

/// Any characters, control characters included, in either escape style.
pub fn string() -> impl Strategy<Value = String> {
    let text = prop_oneof![
        any::<String>(),
        prop::collection::vec(any::<char>(), 0..24).prop_map(String::from_iter),
    ];
    (text, 0u8..2).prop_map(|(text, style)| literal(&text, style))
}

/// Any value, nested up to six levels here (see [`deep`] for more).
pub fn value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        number().prop_map(Json::Number),
        string().prop_map(Json::Str),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Json::Array),
            members(inner).prop_map(Json::Object),
        ]
    })
}

/// Members with distinct names (as decoded), in the order generated.
pub fn members(values: impl Strategy<Value = Json>) -> impl Strategy<Value = Vec<(String, Json)>> {
    prop::collection::vec((string(), values), 0..8).prop_map(|members| {
        let mut seen = std::collections::HashSet::new();
        members
            .into_iter()
            .filter(|(name, _)| {
                seen.insert(serde_json::from_str::<String>(name).expect("a string"))
            })
            .collect()
    })
}

/// A value nested `depth` arrays and objects deep.
pub fn deep() -> impl Strategy<Value = Json> {
    // Up to the vault's limit of 64 levels, `data` itself and six levels of `value` included.
    (1usize..57, value()).prop_map(|(depth, mut inner)| {
        for level in 0..depth {
            inner = match level % 2 {
                0 => Json::Array(vec![inner]),
                _ => Json::Object(vec![("\"d\"".into(), inner)]),
            };
        }
        inner
    })
}

/// A store body the vault must accept: any type but TOTP (which needs a seed), data of any
/// members (none that the type or the TOTP rules constrain), metadata of any members or none,
/// and whitespace of any kind between tokens.
pub fn exact_body() -> impl Strategy<Value = (CredentialType, Json, Option<Json>, &'static str)> {
    let kinds: Vec<CredentialType> = CredentialType::ALL
        .into_iter()
        .filter(|k| *k != CredentialType::Totp)
        .collect();
    let data = members(prop_oneof![4 => value(), 1 => deep()]);
    let metadata = prop::option::of(members(value()).prop_map(Json::Object));
    let space = prop_oneof![
        Just(""),
        Just(" "),
        Just("\n  "),
        Just("\t"),
        Just("\r\n \t")
    ];
    (prop::sample::select(kinds), data, metadata, space).prop_filter_map(
        "no member left",
        |(kind, members, metadata, space)| {
            let constrained = |name: &String| {
                ["totp", "backupCodes", "usedBackupCodes"].contains(&name.as_str())
                    || kind.string_fields().contains(&name.as_str())
            };
            let names = names(&members);
            let kept: Vec<_> = members
                .into_iter()
                .zip(names)
                .filter(|(_, name)| !constrained(name))
                .map(|(member, _)| member)
                .collect();
            (!kept.is_empty()).then_some((kind, Json::Object(kept), metadata, space))
        },
    )
}

/// `data` and `metadata` of an answer, as the text the server wrote.
pub fn answered_texts(text: &str) -> (String, String) {
    #[derive(serde::Deserialize)]
    struct Texts<'a> {
        #[serde(borrow)]
        data: &'a serde_json::value::RawValue,
        #[serde(borrow)]
        metadata: Option<&'a serde_json::value::RawValue>,
    }
    let texts: Texts<'_> = serde_json::from_str(text).expect("a read answer");
    let metadata = texts
        .metadata
        .map_or("null".to_owned(), |m| m.get().to_owned());
    (texts.data.get().to_owned(), metadata)
}
