//! Writes `tests/fixtures/format2-items.json`: credential items sealed by the code as it stood
//! at the commit that adds this file (envelope format 2), so that later codecs are tested
//! against items real deployments already hold. Run once, by hand:
//! `cargo run --example write_format2_fixture --features test-util`.
//! The data key is a fixed test key, written beside the items; nothing here is a real secret.

use aws_sdk_dynamodb::types::AttributeValue;
use credvault::auth::IdentityId;
use credvault::crypto::{self, DataKey};
use credvault::domain::{CredentialName, NewCredential, Timestamp};
use credvault::store::{CredentialInfo, CredentialRecord};
use credvault::testing::record_to_item;
use secrecy::SecretBox;
use serde_json::{Map, Value, json};

const DATA_KEY: [u8; 32] = [0x5a; 32];

/// A DynamoDB item as DynamoDB's own JSON (`{"S": ...}`, `{"B": base64}`...).
fn dynamodb_json(item: &std::collections::HashMap<String, AttributeValue>) -> Value {
    let mut out = Map::new();
    let mut names: Vec<&String> = item.keys().collect();
    names.sort();
    for name in names {
        let value = match &item[name] {
            AttributeValue::S(s) => json!({"S": s}),
            AttributeValue::N(n) => json!({"N": n}),
            AttributeValue::B(b) => json!({"B": data_encoding::BASE64.encode(b.as_ref())}),
            AttributeValue::Ss(ss) => json!({"SS": ss}),
            other => panic!("unexpected attribute {other:?}"),
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

fn main() {
    let identity = IdentityId::parse("idt_fixture").unwrap();
    // (name, PUT body as a client sends it, lastRotatedAt)
    let cases: [(&str, &str, Option<&str>); 4] = [
        (
            "float-metadata",
            r#"{"type":"CUSTOM","data":{"k":"v","n":2.0625462831823275e-13},"metadata":{"n":1.423966195757457e-18,"m":2.0625462831823275e-13,"big":2.2790121708605243e274,"ok":1.5}}"#,
            None,
        ),
        (
            "github",
            r#"{"type":"LOGIN","data":{"password":"fixture-s3cret","n":[1,2.5,null,true]},"metadata":{"uri":"https://github.com","username":"agent-bot","zeta":1,"alpha":{"b":[1,2.5e-7,null,false],"a":"\u00e9 \u2603 \"q\""}},"expiresAt":"2031-05-06T07:08:09+02:00"}"#,
            Some("2026-06-01T00:00:00Z"),
        ),
        (
            "stripe",
            r#"{"type":"API_KEY","data":{"key":"sk_test_fixture"}}"#,
            None,
        ),
        (
            "github-2fa",
            r#"{"type":"TOTP","data":{"secret":"JBSWY3DPEHPK3PXP","backupCodes":["b-1","b-2"],"usedBackupCodes":["b-0"]},"metadata":{}}"#,
            None,
        ),
    ];
    let mut items = Vec::new();
    for (i, (name, body, rotated)) in cases.into_iter().enumerate() {
        let credential = NewCredential::from_json(body.as_bytes()).unwrap();
        let info = CredentialInfo {
            name: CredentialName::parse(name).unwrap(),
            credential_id: format!("cred_fixture{i}"),
            kind: credential.kind,
            metadata: credential.metadata,
            expires_at: credential.expires_at,
            created_at: Timestamp::parse("2026-05-01T12:00:00Z").unwrap(),
            last_used_at: None,
            last_rotated_at: rotated.and_then(Timestamp::parse),
        };
        let data_key = DataKey {
            plaintext: SecretBox::new(Box::new(DATA_KEY)),
            encrypted: format!("fixture-wrapped-{i}").into_bytes(),
            key_id: "fixture-key".into(),
        };
        let plaintext = credential.data.to_json_bytes();
        let envelope = crypto::seal_under(&data_key, info.binding(&identity), &plaintext).unwrap();
        let record = CredentialRecord {
            identity: identity.clone(),
            info,
            envelope,
        };
        items.push(json!({
            "body": body,
            "item": dynamodb_json(&record_to_item(&record)),
        }));
    }
    let fixture = json!({
        "writtenBy": "examples/write_format2_fixture.rs at the commit that added it",
        "dataKeyHex": hex::encode(DATA_KEY),
        "items": items,
    });
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/format2-items.json"
    );
    std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(&fixture).unwrap() + "\n").unwrap();
    println!("wrote {path}");
}
