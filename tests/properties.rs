//! Properties of the parsers and of the associated-data encoding, over generated input: no
//! panic, no echo of what was sent, and no two bindings that share bytes.

use credvault::crypto::{Binding, StoredFields};
use credvault::domain::IdentityId;
use credvault::domain::{CredentialName, CredentialType, NewCredential, Timestamp};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// A secret-looking string: long and random enough never to be a word of a message.
fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_]{12,24}".prop_map(|s| format!("Zq{s}"))
}

/// JSON values of any shape whose strings are all secrets.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        secret().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(secret(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A store body: the real field names with values of any shape, sometimes a secret as a key.
fn body() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        Just("type".to_owned()),
        Just("data".to_owned()),
        Just("metadata".to_owned()),
        Just("expiresAt".to_owned()),
        secret(),
    ];
    prop::collection::btree_map(field, value(), 0..5)
        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out);
        }),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_store_body_is_parsed_or_refused_without_quoting_a_value(body in body()) {
        if let Err(err) = NewCredential::from_json(body.to_string().as_bytes()) {
            let message = err.to_string();
            let mut sent = Vec::new();
            strings(&body, &mut sent);
            for s in sent.iter().filter(|s| s.starts_with("Zq")) {
                prop_assert!(!message.contains(s.as_str()), "{} quoted in {}", s, message);
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_body_parser(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = NewCredential::from_json(&bytes);
    }

    #[test]
    fn a_path_segment_is_a_name_or_refused_without_quoting_it(segment in ".{0,200}") {
        match CredentialName::from_path_segment(&segment) {
            Ok(name) => prop_assert!(name.as_str().len() <= 128),
            Err(err) => prop_assert!(segment.len() < 3 || !err.to_string().contains(&segment)),
        }
    }

    #[test]
    fn distinct_bindings_never_share_associated_data(
        a in ("[a-z0-9_]{1,8}", "[A-Za-z0-9][A-Za-z0-9._-]{0,8}", ".{0,8}", prop::option::of(".{0,8}"), prop::option::of(".{0,8}")),
        b in ("[a-z0-9_]{1,8}", "[A-Za-z0-9][A-Za-z0-9._-]{0,8}", ".{0,8}", prop::option::of(".{0,8}"), prop::option::of(".{0,8}")),
    ) {
        let created = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        type Parts = (String, String, String, Option<String>, Option<String>);
        let aad = |(id, name, credential_id, meta, policy): &Parts| {
            let identity = IdentityId::parse(id).unwrap();
            let name = CredentialName::parse(name).unwrap();
            let metadata: Option<String> =
                meta.as_ref().map(|m| serde_json::json!({"m": m}).to_string());
            let fields = StoredFields {
                credential_id,
                created_at: created,
                expires_at: None,
                metadata: metadata.as_deref(),
                last_rotated_at: None,
                use_policy: policy.as_deref(),
            };
            Binding::new(&identity, &name, CredentialType::Login)
                .with_fields(fields)
                .associated_data(3)
        };
        prop_assert_eq!(a == b, aad(&a) == aad(&b));
    }
}

#[path = "common/json_gen.rs"]
mod json_gen;

use json_gen::{Json, answered_texts, exact_body};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Through the handler, the in-memory store (which passes every record through the
    /// DynamoDB item codec) and the envelope: what a GET answers is what the PUT sent.
    #[test]
    fn what_a_put_accepts_a_get_answers_as_written((kind, data, metadata, space) in exact_body()) {
        use credvault::testing::{WRITE_KEY, api_event, memory_vault, writer};
        let metadata_text = metadata.as_ref().map_or("null".to_owned(), Json::compact);
        let body = format!(
            "{{{space}\"type\"{space}:{space}\"{}\"{space},{space}\"data\"{space}:{space}{}{space},{space}\"metadata\":{}}}",
            kind.as_str(),
            data.render(space),
            metadata.as_ref().map_or("null".to_owned(), |m| m.render(space)),
        );
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let vault = memory_vault();
        let (stored, read) = runtime.block_on(async {
            let request = api_event("PUT", "/v0/vault/p", Some(WRITE_KEY), Some(&body));
            let stored = writer(&vault).send(request).await;
            let read = writer(&vault).request("GET", "/v0/vault/p", None).await;
            (stored, read)
        });
        prop_assert_eq!(stored.status.as_u16(), 200, "{}", stored.text);
        prop_assert_eq!(read.status.as_u16(), 200, "{}", read.text);
        prop_assert_eq!(answered_texts(&read.text), (data.compact(), metadata_text));
    }
}

#[test]
fn nesting_as_deep_as_the_vault_keeps_is_kept_and_deeper_refused() {
    // `data` itself is the first level; 63 arrays inside it make 64.
    let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    let body = |depth: usize| format!(r#"{{"type":"CUSTOM","data":{{"deep":{}}}}}"#, nested(depth));
    let kept = NewCredential::from_json(body(63).as_bytes()).expect("accepted");
    assert_eq!(
        kept.data.expose_bytes(),
        format!(r#"{{"deep":{}}}"#, nested(63)).as_bytes()
    );
    assert!(NewCredential::from_json(body(64).as_bytes()).is_err());
}

/// The glob of grants, written apart from the vault's: recursive, slow, and plainly right.
fn glob_reference(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob_reference(&pattern[1..], name)
                || (!name.is_empty() && glob_reference(pattern, &name[1..]))
        }
        (Some(p), Some(n)) if p == n => glob_reference(&pattern[1..], &name[1..]),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the grants, a limited key reads, lists and writes exactly what they allow:
    /// a name outside them is not found, and nothing of it is read or changed.
    #[test]
    fn no_name_outside_a_grant_is_read_listed_or_written(
        allows in prop::collection::vec(
            ("[ab*]{1,4}", prop::sample::subsequence(vec!["read", "use", "write"], 1..=3)),
            1..3,
        ),
        denies in prop::collection::vec("[ab*]{1,4}", 0..2),
        names in prop::collection::btree_set("[ab]{1,4}", 1..6),
    ) {
        use credvault::testing::*;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(async {
            let vault = memory_vault();
            for name in &names {
                let login = serde_json::json!({"type": "LOGIN", "data": {"password": format!("p-{name}")}});
                prop_assert_eq!(writer(&vault).put(name, &login).await.status.as_u16(), 200);
            }
            let mut grants: Vec<Value> = allows
                .iter()
                .map(|(pattern, caps)| serde_json::json!({"names": [pattern], "allow": caps}))
                .collect();
            grants.extend(denies.iter().map(|pattern| serde_json::json!({"names": [pattern], "deny": true})));
            let key = "mgnt-abababababababababababababababababababababababababababababababab";
            crate_grants::limited(&vault, key, serde_json::json!({"grants": grants}));
            let matches = |pattern: &str, name: &str| glob_reference(pattern.as_bytes(), name.as_bytes());
            let visible = |name: &str| {
                !denies.iter().any(|d| matches(d, name)) && allows.iter().any(|(p, _)| matches(p, name))
            };
            let can = |name: &str, cap: &str| {
                visible(name) && allows.iter().any(|(p, caps)| matches(p, name) && caps.contains(&cap))
            };
            let limited = TestClient::new(&vault).with_key(key);
            for name in &names {
                let read = limited.request("GET", &format!("/v0/vault/{name}"), None).await;
                let want = if can(name, "read") { 200 } else if visible(name) { 403 } else { 404 };
                prop_assert_eq!(read.status.as_u16(), want, "{} {:?}", name, read.text);
                if want != 200 {
                    let secret = format!("p-{name}");
                    prop_assert!(!read.text.contains(&secret));
                }
                let new = serde_json::json!({"type": "LOGIN", "data": {"password": "changed"}});
                let written = limited.put(name, &new).await;
                let want = if can(name, "write") { 200 } else if visible(name) { 403 } else { 404 };
                prop_assert_eq!(written.status.as_u16(), want, "{} {:?}", name, written.text);
                let now = writer(&vault).request("GET", &format!("/v0/vault/{name}"), None).await;
                let expected = if want == 200 { "changed".to_owned() } else { format!("p-{name}") };
                prop_assert_eq!(now.json["data"]["password"].as_str(), Some(expected.as_str()));
            }
            let listed = limited.request("GET", "/v0/vault", None).await;
            let shown: Vec<&str> = listed.json["credentials"].as_array().into_iter().flatten().filter_map(|c| c["name"].as_str()).collect();
            let expected: Vec<&str> = names.iter().map(String::as_str).filter(|n| visible(n)).collect();
            prop_assert_eq!(shown, expected);
            Ok(())
        })?;
    }
}

proptest! {
    /// A pattern said to be within another matches no name the other does not.
    #[test]
    fn a_pattern_within_another_matches_nothing_the_other_does_not(
        narrow in "[ab*]{1,5}",
        wide in "[ab*]{1,5}",
        name in "[ab]{1,6}",
    ) {
        use credvault::domain::NamePattern;
        let (n, w) = (NamePattern::parse(&narrow).unwrap(), NamePattern::parse(&wide).unwrap());
        if n.within(&w) && glob_reference(narrow.as_bytes(), name.as_bytes()) {
            prop_assert!(glob_reference(wide.as_bytes(), name.as_bytes()), "{} within {} but {}", narrow, wide, name);
        }
    }
}

mod crate_grants {
    use credvault::auth::{ApiKey, Principal};
    use credvault::domain::{KeyLimits, Scope, Subject};
    use credvault::testing::*;

    /// A key of the fixture identity with both scopes and these limits.
    pub fn limited(vault: &MemoryVault, raw: &str, limits: serde_json::Value) {
        let mut body = limits.as_object().cloned().unwrap_or_default();
        let principal = Principal {
            subject: Subject::Identity(fixture_identity()),
            scopes: Scope::ALL.to_vec(),
            limits: KeyLimits::take_from(&mut body).expect("valid limits"),
        };
        let key = ApiKey::parse(raw).expect("a valid key");
        vault
            .store_port()
            .insert_key(key.hash(), principal, &fixture_org());
    }
}
