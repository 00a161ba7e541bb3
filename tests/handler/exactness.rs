//! What a PUT accepts reads back exactly: numbers and escapes as written, and items that
//! earlier versions sealed still open (the fixture was written by the codec of commit
//! df55064, which printed metadata anew to bind it).

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use credvault::crypto::{DataKey, KeyProvider, OpenError, PlainDataKey};
use credvault::dependency::DependencyError;
use credvault::testing::*;
use credvault::vault::Vault;
use secrecy::SecretBox;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The fixture's one data key, for every item.
struct FixtureKeys([u8; 32]);

impl KeyProvider for FixtureKeys {
    async fn generate_data_key(
        &self,
        _context: &HashMap<String, String>,
    ) -> Result<DataKey, DependencyError> {
        Ok(DataKey {
            plaintext: SecretBox::new(Box::new(self.0)),
            encrypted: b"fixture-wrapped".to_vec(),
            key_id: "fixture-key".into(),
        })
    }

    async fn decrypt_data_key(
        &self,
        encrypted: &[u8],
        _key_id: &str,
        _context: &HashMap<String, String>,
    ) -> Result<PlainDataKey, OpenError> {
        match encrypted.starts_with(b"fixture-wrapped") {
            true => Ok(SecretBox::new(Box::new(self.0))),
            false => Err(OpenError::Integrity("not a fixture key")),
        }
    }
}

/// A DynamoDB JSON item (`{"S": ...}`, `{"B": base64}`...) as the SDK holds it.
fn item_of(json: &Value) -> Item {
    let attribute = |value: &Value| match value.as_object().and_then(|o| o.iter().next()) {
        Some((kind, v)) if kind == "S" => AttributeValue::S(v.as_str().unwrap().into()),
        Some((kind, v)) if kind == "N" => AttributeValue::N(v.as_str().unwrap().into()),
        Some((kind, v)) if kind == "B" => AttributeValue::B(Blob::new(
            data_encoding::BASE64
                .decode(v.as_str().unwrap().as_bytes())
                .unwrap(),
        )),
        other => panic!("unexpected attribute {other:?}"),
    };
    json.as_object()
        .unwrap()
        .iter()
        .map(|(name, value)| (name.clone(), attribute(value)))
        .collect()
}

/// `data` and `metadata` of an answer, as the text the server wrote.
#[derive(Deserialize)]
struct Texts<'a> {
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(borrow)]
    metadata: Option<&'a RawValue>,
}

fn texts(answer: &Answer) -> (String, String) {
    let texts: Texts<'_> = serde_json::from_str(&answer.text).unwrap();
    let text = |raw: Option<&RawValue>| raw.map_or("null".to_owned(), |r| r.get().to_owned());
    (text(texts.data), text(texts.metadata))
}

#[tokio::test]
async fn every_format_2_item_stored_before_still_opens() {
    // GIVEN the items an earlier codec sealed, one of them with metadata that codec could
    // no longer open (its numbers did not survive a parse and print)
    let fixture: Value =
        serde_json::from_str(include_str!("../fixtures/format2-items.json")).unwrap();
    let key: [u8; 32] = hex::decode(fixture["dataKeyHex"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let store = fixture_store();
    let mut stored = Vec::new();
    for case in fixture["items"].as_array().unwrap() {
        let item = item_of(&case["item"]);
        let metadata = item.get("metadata").map(|m| m.as_s().unwrap().clone());
        let record = record_from_item(&item).unwrap();
        stored.push((record.info.name.to_string(), metadata));
        store.overwrite_raw(record);
    }
    let vault = Vault::new(store, FixtureKeys(key));
    let client = writer(&vault);

    // WHEN each is read, THEN it opens, and its metadata is the text stored, byte for byte
    for (name, metadata) in &stored {
        let read = client
            .request("GET", &format!("/v0/vault/{name}"), None)
            .await;
        assert_eq!(read.status, 200, "{name}: {}", read.text);
        assert_eq!(
            texts(&read).1,
            metadata.clone().unwrap_or("null".into()),
            "{name}"
        );
    }
    let login = client.request("GET", "/v0/vault/github", None).await;
    assert_eq!(login.json["data"]["password"], "fixture-s3cret");
    assert_eq!(login.json["expiresAt"], "2031-05-06T05:08:09Z");
    let float = client
        .request("GET", "/v0/vault/float-metadata", None)
        .await;
    assert_eq!(float.json["data"]["k"], "v");
    // A TOTP code, and a backup code spent and sealed anew: the rewritten item opens too.
    let totp = client
        .request("GET", "/v0/vault/github-2fa/totp", None)
        .await;
    assert_eq!(totp.json["backupCodesRemaining"], 2, "{}", totp.text);
    let backup = client
        .request("POST", "/v0/vault/github-2fa/totp/backup", None)
        .await;
    assert_eq!(backup.json, json!({"code": "b-1", "remaining": 1}));
    let after = client.request("GET", "/v0/vault/github-2fa", None).await;
    assert_eq!(after.json["data"]["usedBackupCodes"], json!(["b-0", "b-1"]));
}

#[tokio::test]
async fn numbers_and_escapes_read_back_as_they_were_written() {
    // GIVEN the numbers that a parse and print does not reproduce, big integers, precision
    // past an f64's, and escapes, in data and metadata
    let vault = memory_vault();
    let data = r#"{"k":"v","n":2.0625462831823275e-13,"big":123456789012345678901234567890,"pi":3.14159265358979323846264338327950288,"one":1.0,"e":"\u00e9\n","nested":{"x":[1E+2,-0,1e-7]}}"#;
    let metadata = r#"{"n":1.423966195757457e-18,"m":2.0625462831823275e-13,"l":2.2790121708605243e274,"ok":1.5}"#;
    let body = format!(
        "{{\"type\": \"CUSTOM\",\n  \"data\": {},\n  \"metadata\": {}}}",
        data.replace(',', ", "),
        metadata.replace(':', ": ")
    );
    let request = api_event("PUT", "/v0/vault/exact", Some(WRITE_KEY), Some(&body));
    let stored = writer(&vault).send(request).await;
    assert_eq!(stored.status, 200, "{}", stored.text);
    assert_eq!(texts(&stored).1, metadata, "the store answer");

    // WHEN it is read and listed, THEN the text is what was sent, whitespace aside
    let read = writer(&vault).request("GET", "/v0/vault/exact", None).await;
    assert_eq!(texts(&read), (data.to_owned(), metadata.to_owned()));
    let list = writer(&vault).request("GET", "/v0/vault", None).await;
    let listed = list.text.find(metadata);
    assert!(listed.is_some(), "{}", list.text);
}

#[tokio::test]
async fn a_member_named_twice_anywhere_is_refused() {
    let vault = memory_vault();
    for body in [
        r#"{"type":"CUSTOM","data":{"a":1,"a":2}}"#,
        r#"{"type":"CUSTOM","data":{"a":1,"\u0061":2}}"#,
        r#"{"type":"CUSTOM","data":{"o":[{"k":"x","k":"y"}]}}"#,
        r#"{"type":"CUSTOM","data":{"a":1},"metadata":{"m":1,"m":1}}"#,
        r#"{"type":"CUSTOM","data":{"a":1},"data":{"b":2}}"#,
    ] {
        let request = api_event("PUT", "/v0/vault/twice", Some(WRITE_KEY), Some(body));
        let answer = writer(&vault).send(request).await;
        assert_envelope(&answer, 400, "bad_request");
        let message = answer.json["message"].as_str().unwrap();
        assert!(message.contains("twice"), "{body}: {message}");
    }
    assert!(vault.store_port().is_empty());
}

#[tokio::test]
async fn members_named_with_escapes_are_masked_like_the_plain_names() {
    let vault = memory_vault();
    let body = r#"{"type":"LOGIN","data":{"password":"p","\u0074otp":"JBSWY3DPEHPK3PXP","backup\u0043odes":["c-1"]}}"#;
    let request = api_event("PUT", "/v0/vault/escaped", Some(WRITE_KEY), Some(body));
    assert_eq!(writer(&vault).send(request).await.status, 200);
    let read = writer(&vault)
        .request("GET", "/v0/vault/escaped", None)
        .await;
    assert!(
        !read.text.contains("JBSWY3DPEHPK3PXP") && !read.text.contains("c-1"),
        "{}",
        read.text
    );
    assert_eq!(read.json["hasTOTP"], true);
    let code = writer(&vault)
        .request("POST", "/v0/vault/escaped/totp/backup", None)
        .await;
    assert_eq!(code.json["code"], "c-1");
}

#[tokio::test]
async fn an_mcp_answer_carries_the_exact_text_beside_its_structured_copy() {
    // GIVEN numbers no double holds exactly, stored over REST
    let vault = memory_vault();
    let data = r#"{"big":123456789012345678901234567890,"p":1.50,"e":"\u00e9"}"#;
    let body = format!(r#"{{"type":"CUSTOM","data":{data}}}"#);
    let request = api_event("PUT", "/v0/vault/exact", Some(WRITE_KEY), Some(&body));
    assert_eq!(writer(&vault).send(request).await.status, 200);
    // WHEN an MCP client reads it
    let result = writer(&vault)
        .call_tool("vault_get", json!({"name": "exact"}))
        .await;
    // THEN the text block holds the data as written; the structured copy is its parse
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(text.contains(data), "{text}");
    assert_eq!(result["structuredContent"]["data"]["p"], 1.5);
}
