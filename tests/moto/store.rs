//! The store call end to end against a real moto server: the same SDK code path as AWS.

use crate::stack::{Item, Stack, TABLE};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kms::primitives::Blob;
use credvault::crypto::{self, KmsKeyProvider, OpenError};
use credvault::domain::CredentialName;
use credvault::store::{DynamoStore, TableLayout};
use credvault::testing::*;
use credvault::vault::Vault;
use serde_json::{Value, json};
use std::collections::HashMap;

async fn raw_item(stack: &Stack, name: &str) -> Option<Item> {
    let name = CredentialName::parse(name).unwrap();
    stack
        .item(TableLayout::credential_key(&stack.identity, &name))
        .await
}

fn bytes<'a>(item: &'a Item, name: &str) -> &'a [u8] {
    item[name].as_b().unwrap().as_ref()
}

fn text<'a>(item: &'a Item, name: &str) -> &'a str {
    item[name].as_s().unwrap()
}

#[tokio::test]
async fn given_a_stored_credential_when_decrypted_independently_then_it_is_what_was_sent() {
    // GIVEN the seed's stripe credential, stored through the handler
    let stack = Stack::start().await;
    let data = json!({"key": "sk_live_abc123..."});
    let answer = stack
        .writer()
        .put(
            "stripe",
            &json!({"type": "API_KEY", "data": data, "metadata": {"service": "stripe"}}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);

    // WHEN the raw item is decrypted by hand: KMS with the documented context, then AES-GCM
    // with the documented associated data
    let item = raw_item(&stack, "stripe").await.expect("the item");
    let context = HashMap::from([
        (
            "credvault:identity".to_owned(),
            stack.identity.as_str().to_owned(),
        ),
        ("credvault:credential".to_owned(), "stripe".to_owned()),
    ]);
    let data_key = stack
        .kms
        .decrypt()
        .ciphertext_blob(Blob::new(bytes(&item, "encryptedDataKey")))
        .set_encryption_context(Some(context))
        .send()
        .await
        .expect("KMS unwraps the data key under the documented context")
        .plaintext
        .unwrap()
        .into_inner();
    // Format 2: each field present is 0x01, a 4-byte big-endian length and the bytes;
    // an absent one (here expiresAt and lastRotatedAt) is a single 0x00.
    let mut aad = b"credvault\x02".to_vec();
    let fields = [
        Some(stack.identity.as_str()),
        Some("stripe"),
        Some("API_KEY"),
        Some(text(&item, "credentialId")),
        Some(text(&item, "createdAt")),
        None,
        Some(text(&item, "metadata")),
        None,
    ];
    for field in fields {
        match field {
            Some(part) => {
                aad.push(1);
                aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
                aad.extend_from_slice(part.as_bytes());
            }
            None => aad.push(0),
        }
    }
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &data_key).unwrap());
    let nonce = Nonce::try_assume_unique_for_key(bytes(&item, "nonce")).unwrap();
    let mut sealed = bytes(&item, "ciphertext").to_vec();
    let plaintext = key
        .open_in_place(nonce, Aad::from(aad), &mut sealed)
        .expect("the tag verifies");

    // THEN it is the data that was sent, and the item says how it was made
    assert_eq!(serde_json::from_slice::<Value>(plaintext).unwrap(), data);
    assert_eq!(item["formatVersion"].as_n().unwrap(), "2");
    assert!(text(&item, "kmsKeyId").starts_with("arn:aws:kms:"));
    assert_eq!(text(&item, "credentialId"), answer.json["credentialId"]);
    assert_eq!(text(&item, "metadata"), r#"{"service":"stripe"}"#);
}

#[tokio::test]
async fn a_scan_of_the_table_holds_no_plaintext_secret_or_api_key() {
    let stack = Stack::start().await;
    for (name, body) in [
        (
            "stripe",
            json!({"type": "API_KEY", "data": {"key": "sk_live_abc123..."}}),
        ),
        (
            "github",
            json!({"type": "LOGIN", "data": {"password": "s3cret!"}, "metadata": {"username": "agent-bot"}}),
        ),
        (
            "github-2fa",
            json!({"type": "TOTP", "data": {"secret": "JBSWY3DPEHPK3PXP", "backupCodes": ["zq9-backup-1"]}}),
        ),
        (
            "card",
            json!({"type": "CARD", "data": {"number": "4242424242424242", "cvc": "737"}}),
        ),
    ] {
        assert_eq!(stack.writer().put(name, &body).await.status, 200);
    }

    let dump = format!("{:?}", stack.scan().await);
    for secret in [
        "sk_live_abc123",
        "s3cret!",
        "JBSWY3DPEHPK3PXP",
        "zq9-backup-1",
        "4242424242424242",
        stack.write_key.expose(),
        stack.read_key.expose(),
    ] {
        assert!(
            !dump.contains(secret),
            "the table holds {secret} in plaintext"
        );
    }
    // Non-secret fields are there in plaintext, as the contract says.
    assert!(dump.contains("agent-bot"));
}

#[tokio::test]
async fn given_a_credential_with_metadata_and_expiry_when_overwritten_then_neither_survives() {
    // GIVEN stripe with metadata and an expiry
    let stack = Stack::start().await;
    let first = stack
        .writer()
        .put(
            "stripe",
            &json!({
                "type": "API_KEY", "data": {"key": "old"}, "metadata": {"service": "stripe"},
                "expiresAt": "2030-01-01T00:00:00Z",
            }),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.text);

    // WHEN it is written again with neither
    let second = stack
        .writer()
        .put(
            "stripe",
            &json!({"type": "API_KEY", "data": {"key": "new"}}),
        )
        .await;

    // THEN 200, and the item is the new one whole
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.json["metadata"], Value::Null);
    assert_eq!(second.json["expiresAt"], Value::Null);
    let item = raw_item(&stack, "stripe").await.unwrap();
    assert!(
        !item.contains_key("metadata") && !item.contains_key("expiresAt"),
        "{item:?}"
    );
    assert_eq!(text(&item, "credentialId"), second.json["credentialId"]);
    assert_ne!(first.json["credentialId"], second.json["credentialId"]);
    assert_eq!(
        stack
            .scan()
            .await
            .iter()
            .filter(|i| text(i, "sk").starts_with("CRED#"))
            .count(),
        1
    );
}

/// Opens an item with the vault's own crypto, as it sits under `identity` / `name`.
async fn open_as(
    stack: &Stack,
    item: &Item,
    identity: &str,
    name: &str,
) -> Result<Vec<u8>, OpenError> {
    let record = record_from_item(item).unwrap();
    let keys = KmsKeyProvider::new(stack.kms.clone(), crate::stack::KMS_ALIAS);
    let (identity, name) = (
        credvault::domain::IdentityId::parse(identity).unwrap(),
        CredentialName::parse(name).unwrap(),
    );
    // The record's own binding, moved to where the test says it sits.
    let mut moved = record.info.clone();
    moved.name = name;
    crypto::open(&keys, moved.binding(&identity), &record.envelope)
        .await
        .map(|p| p.to_vec())
}

#[tokio::test]
async fn an_item_copied_to_another_identity_or_name_does_not_decrypt() {
    let stack = Stack::start().await;
    assert_eq!(
        stack
            .writer()
            .put(
                "stripe",
                &json!({"type": "API_KEY", "data": {"key": "sk_live_abc123"}})
            )
            .await
            .status,
        200
    );
    let item = raw_item(&stack, "stripe").await.unwrap();
    let me = stack.identity.as_str().to_owned();

    // In place, it opens.
    assert!(open_as(&stack, &item, &me, "stripe").await.is_ok());
    // Copied elsewhere, KMS refuses the data key: the encryption context no longer matches.
    for (identity, name) in [("idt_mallory", "stripe"), (me.as_str(), "stripe-copy")] {
        let result = open_as(&stack, &item, identity, name).await;
        assert!(
            matches!(result, Err(OpenError::Integrity(_))),
            "{identity}/{name}"
        );
    }
    // Same place, type edited in the item: KMS agrees, the AEAD tag does not.
    let mut edited = item.clone();
    edited.insert("type".into(), AttributeValue::S("CUSTOM".into()));
    assert!(matches!(
        open_as(&stack, &edited, &me, "stripe").await,
        Err(OpenError::Integrity(_))
    ));
}

#[tokio::test]
async fn auth_and_input_errors_come_back_in_the_envelope_and_write_nothing() {
    let stack = Stack::start().await;
    let body = json!({"type": "API_KEY", "data": {"key": "sk_live_abc123"}}).to_string();
    let unknown = "loid-".to_owned() + &"c3".repeat(32);
    let cases = [
        (
            None,
            body.as_str(),
            401,
            "unauthorized",
            "Missing or invalid Authorization header",
        ),
        (
            Some("loid-xyz"),
            body.as_str(),
            401,
            "unauthorized",
            "Invalid API key format",
        ),
        (
            Some(unknown.as_str()),
            body.as_str(),
            401,
            "unauthorized",
            "Invalid API key",
        ),
        (
            Some(stack.read_key.expose()),
            body.as_str(),
            403,
            "forbidden",
            "Missing required scope: vault:write",
        ),
        (
            Some(stack.write_key.expose()),
            r#"{"type":"API_KEY"}"#,
            400,
            "bad_request",
            "Field `data` is required",
        ),
        (Some(stack.write_key.expose()), "{", 400, "bad_request", ""),
    ];
    for (key, body, status, code, message) in cases {
        let answer = TestClient::new(&stack.vault)
            .send(api_event("PUT", "/v0/vault/stripe", key, Some(body)))
            .await;
        assert_envelope(&answer, status, code);
        if !message.is_empty() {
            assert_eq!(answer.json["message"], message);
        }
    }
    assert!(
        stack
            .scan()
            .await
            .iter()
            .all(|item| !text(item, "sk").starts_with("CRED#"))
    );
}

#[tokio::test]
async fn given_kms_unreachable_when_storing_then_503_with_retry_after_and_nothing_written() {
    // GIVEN a vault whose DynamoDB works but whose KMS endpoint refuses connections
    let stack = Stack::start().await;
    let dead =
        crate::stack::sdk_config_for(&format!("http://127.0.0.1:{}", crate::stack::free_port()))
            .await;
    let vault = Vault::new(
        DynamoStore::new(aws_sdk_dynamodb::Client::new(&stack.aws), TABLE)
            .with_key_mac(std::sync::Arc::clone(&stack.mac)),
        KmsKeyProvider::new(aws_sdk_kms::Client::new(&dead), crate::stack::KMS_ALIAS),
    );

    // WHEN a credential is stored
    let body = json!({"type": "API_KEY", "data": {"key": "sk_live_abc123"}}).to_string();
    let answer = TestClient::new(&vault)
        .send(api_event(
            "PUT",
            "/v0/vault/stripe",
            Some(stack.write_key.expose()),
            Some(&body),
        ))
        .await;

    // THEN the caller is told to retry, sees no internals, and nothing was written
    assert_envelope(&answer, 503, "service_unavailable");
    assert_eq!(answer.headers["retry-after"], "1");
    assert!(
        !answer.text.contains("127.0.0.1") && !answer.text.contains("dispatch"),
        "{}",
        answer.text
    );
    assert!(raw_item(&stack, "stripe").await.is_none());
}
