//! Dependency failures injected into the real SDK clients with `aws-smithy-mocks`: throttling
//! is a 503 with `Retry-After`, anything else a 500 that shows no internals, and neither
//! writes anything.

use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kms::operation::generate_data_key::GenerateDataKeyOutput;
use aws_sdk_kms::primitives::Blob;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use credvault::auth::{ApiKey, KEY_MAC_SECRET_LEN, KeyGrant, KeyMac};
use credvault::crypto::KmsKeyProvider;
use credvault::domain::{IdentityId, Scope, Subject};
use credvault::store::DynamoStore;
use credvault::testing::*;
use credvault::vault::Vault;

pub(super) fn key_mac() -> KeyMac {
    KeyMac::from_secret(&[9; KEY_MAC_SECRET_LEN])
}

/// The key lookup succeeds: the caller is a writer, and the item carries its MAC.
pub(super) fn known_key() -> Rule {
    mock!(aws_sdk_dynamodb::Client::get_item).then_output(|| {
        let identity = Subject::Identity(IdentityId::parse("idt_fixture").unwrap());
        let scopes = [Scope::VaultRead, Scope::VaultWrite];
        let hash = ApiKey::parse(WRITE_KEY).unwrap().hash();
        let created_at = "2026-01-01T00:00:00Z";
        let tag = key_mac().tag(&KeyGrant {
            hash: &hash,
            subject: &identity,
            scopes: &scopes,
            created_at,
            limits: "",
        });
        GetItemOutput::builder()
            .item("identityId", AttributeValue::S("idt_fixture".into()))
            .item(
                "scopes",
                AttributeValue::Ss(vec!["vault:read".into(), "vault:write".into()]),
            )
            .item("createdAt", AttributeValue::S(created_at.into()))
            .item(
                "mac",
                AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(tag)),
            )
            .build()
    })
}

/// The writes a request makes besides the credential: the day's counters and, for a
/// request that fails, its activity entry alone.
pub(super) fn counters() -> Rule {
    mock!(aws_sdk_dynamodb::Client::update_item).then_output(|| UpdateItemOutput::builder().build())
}

pub(super) fn entry_alone() -> Rule {
    mock!(aws_sdk_dynamodb::Client::put_item).then_output(|| PutItemOutput::builder().build())
}

pub(super) fn transaction() -> Rule {
    mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .then_output(|| TransactWriteItemsOutput::builder().build())
}

pub(super) fn kms_works() -> Rule {
    mock!(aws_sdk_kms::Client::generate_data_key).then_output(|| {
        GenerateDataKeyOutput::builder()
            .plaintext(Blob::new(vec![7u8; 32]))
            .ciphertext_blob(Blob::new(vec![1u8; 64]))
            .key_id("arn:aws:kms:us-east-1:123456789012:key/k")
            .build()
    })
}

/// An AWS JSON-protocol error as the service sends it, so the SDK classifies it itself.
pub(super) fn aws_error(code: &str) -> Option<String> {
    Some(format!(r#"{{"__type":"{code}","message":"injected"}}"#))
}

pub(super) fn vault(ddb: &[&Rule], kms: &[&Rule]) -> Vault<DynamoStore, KmsKeyProvider> {
    let ddb = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, ddb.iter().copied());
    let kms = mock_client!(aws_sdk_kms, RuleMode::MatchAny, kms.iter().copied());
    Vault::new(
        DynamoStore::new(ddb, "t").with_key_mac(std::sync::Arc::new(key_mac())),
        KmsKeyProvider::new(kms, "alias/credvault"),
    )
}

fn store_request() -> lambda_http::Request {
    let key = ApiKey::parse(WRITE_KEY).unwrap();
    api_event(
        "PUT",
        "/v0/vault/stripe",
        Some(key.expose()),
        Some(r#"{"type":"API_KEY","data":{"key":"sk_live_abc123"}}"#),
    )
}

pub(super) fn assert_no_internals(answer: &Answer) {
    for internal in [
        "injected",
        "Throttling",
        "Exception",
        "KMS",
        "DynamoDB",
        "arn:",
    ] {
        assert!(
            !answer.text.contains(internal),
            "{internal} leaked: {}",
            answer.text
        );
    }
}

#[tokio::test]
async fn given_kms_throttling_when_storing_then_503_and_no_write() {
    let (key, put, counters, entry) = (known_key(), transaction(), counters(), entry_alone());
    let throttled = mock!(aws_sdk_kms::Client::generate_data_key)
        .sequence()
        .http_status(400, aws_error("ThrottlingException"))
        .repeatedly()
        .build();
    let answer = TestClient::new(&vault(&[&key, &put, &counters, &entry], &[&throttled]))
        .send(store_request())
        .await;

    assert_envelope(&answer, 503, "service_unavailable");
    assert_eq!(answer.headers["retry-after"], "1");
    assert_no_internals(&answer);
    assert!(throttled.num_calls() >= 1);
    assert_eq!(put.num_calls(), 0, "nothing may be written");
    assert_eq!(entry.num_calls(), 1, "the failure is recorded");
}

#[tokio::test]
async fn given_dynamodb_throttling_on_write_when_storing_then_503() {
    let key = known_key();
    let kms = kms_works();
    let throttled = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .sequence()
        .http_status(
            400,
            aws_error("com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"),
        )
        .repeatedly()
        .build();
    let (counters, entry) = (counters(), entry_alone());
    let answer = TestClient::new(&vault(&[&key, &throttled, &counters, &entry], &[&kms]))
        .send(store_request())
        .await;

    assert_envelope(&answer, 503, "service_unavailable");
    assert_no_internals(&answer);
    assert!(throttled.num_calls() >= 1);
}

#[tokio::test]
async fn given_dynamodb_throttling_on_the_key_lookup_then_503_not_401() {
    let throttled = mock!(aws_sdk_dynamodb::Client::get_item)
        .sequence()
        .http_status(400, aws_error("ThrottlingException"))
        .repeatedly()
        .build();
    let kms = kms_works();
    let answer = TestClient::new(&vault(&[&throttled], &[&kms]))
        .send(store_request())
        .await;
    assert_envelope(&answer, 503, "service_unavailable");
    assert_eq!(kms.num_calls(), 0);
}

#[tokio::test]
async fn given_kms_server_errors_then_503() {
    let key = known_key();
    let failing = mock!(aws_sdk_kms::Client::generate_data_key)
        .sequence()
        .http_status(500, aws_error("KMSInternalException"))
        .repeatedly()
        .build();
    let (counters, entry) = (counters(), entry_alone());
    let answer = TestClient::new(&vault(&[&key, &counters, &entry], &[&failing]))
        .send(store_request())
        .await;
    assert_envelope(&answer, 503, "service_unavailable");
}

#[tokio::test]
async fn given_a_missing_kms_key_then_500_without_internals_and_no_write() {
    let (key, put, counters, entry) = (known_key(), transaction(), counters(), entry_alone());
    let missing = mock!(aws_sdk_kms::Client::generate_data_key)
        .sequence()
        .http_status(400, aws_error("NotFoundException"))
        .repeatedly()
        .build();
    let answer = TestClient::new(&vault(&[&key, &put, &counters, &entry], &[&missing]))
        .send(store_request())
        .await;

    assert_envelope(&answer, 500, "internal_error");
    assert_eq!(answer.json["message"], "Internal error");
    assert!(!answer.headers.contains_key("retry-after"));
    assert_no_internals(&answer);
    assert_eq!(put.num_calls(), 0);
}

#[tokio::test]
async fn given_working_dependencies_then_the_write_is_the_item_and_its_summary_unconditionally_with_the_entry()
 {
    let key = known_key();
    let kms = kms_works();
    let counters = counters();
    let unconditional_at = |put: &aws_sdk_dynamodb::types::Put, prefix: &str| {
        put.condition_expression().is_none()
            && !put.item().contains_key("data")
            && put.item()["sk"]
                .as_s()
                .is_ok_and(|sk| sk.starts_with(prefix))
    };
    let put = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .match_requests(move |req| {
            let items = req.transact_items();
            let credential = items.first().and_then(|op| op.put());
            let summary = items.get(1).and_then(|op| op.put());
            let entry = items.get(2).and_then(|op| op.put());
            items.len() == 3
                && credential.is_some_and(|put| unconditional_at(put, "CRED#"))
                && summary.is_some_and(|put| unconditional_at(put, "INFO#"))
                && entry.is_some_and(|put| {
                    put.item()["pk"]
                        .as_s()
                        .is_ok_and(|pk| pk.starts_with("LOG#"))
                        && req.client_request_token()
                            == put.item()["id"].as_s().ok().map(|s| s.as_str())
                })
        })
        .then_output(|| TransactWriteItemsOutput::builder().build());
    let answer = TestClient::new(&vault(&[&key, &put, &counters], &[&kms]))
        .send(store_request())
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!((put.num_calls(), kms.num_calls()), (1, 1));
    assert_eq!(
        counters.num_calls(),
        1,
        "the day's counters, beside the write"
    );
}

#[tokio::test]
async fn a_write_retried_after_a_lost_answer_carries_the_same_idempotency_token() {
    // GIVEN a transaction whose first answer is lost (a 500 the SDK retries), then succeeds
    let tokens = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = std::sync::Arc::clone(&tokens);
    let flaky = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .match_requests(move |req| {
            let token = req.client_request_token().unwrap_or_default().to_owned();
            seen.lock().unwrap().push(token);
            true
        })
        .sequence()
        .http_status(500, aws_error("InternalServerError"))
        .output(|| TransactWriteItemsOutput::builder().build())
        .build();
    let (key, kms, counters) = (known_key(), kms_works(), counters());
    // WHEN a credential is stored
    let answer = TestClient::new(&vault(&[&key, &flaky, &counters], &[&kms]))
        .send(store_request())
        .await;
    // THEN the SDK retried the same operation input (two attempts of one call), whose token
    // names the write, so DynamoDB applies it once whichever attempt committed; and the
    // caller gets the success it was
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(flaky.num_calls(), 2, "one retry");
    let tokens = tokens.lock().unwrap().clone();
    assert!(
        !tokens.is_empty() && tokens.iter().all(|t| t.starts_with("log_")),
        "{tokens:?}"
    );
}

/// BatchGetItem that leaves both keys unprocessed (what DynamoDB answers when throttled).
fn unprocessed_read() -> Rule {
    mock!(aws_sdk_dynamodb::Client::batch_get_item).then_output(|| {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let key = |sk: &str| {
            std::collections::HashMap::from([
                ("pk".to_owned(), AttributeValue::S("ID#idt_fixture".into())),
                ("sk".to_owned(), AttributeValue::S(sk.into())),
            ])
        };
        let keys = KeysAndAttributes::builder()
            .keys(key("CRED#stripe"))
            .keys(key("INFO#stripe"))
            .build()
            .unwrap();
        aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput::builder()
            .unprocessed_keys("t", keys)
            .build()
    })
}

#[tokio::test]
async fn given_a_read_dynamodb_keeps_leaving_unprocessed_then_503_after_three_tries() {
    // GIVEN every BatchGetItem answered with both keys unprocessed
    let (key, read, counters, entry) = (known_key(), unprocessed_read(), counters(), entry_alone());
    let vault = vault(&[&key, &read, &counters, &entry], &[]);
    // WHEN the credential is read
    let answer = TestClient::new(&vault)
        .with_key(WRITE_KEY)
        .request("GET", "/v0/vault/stripe", None)
        .await;
    // THEN the read was tried three times, and the caller is told to come back
    assert_envelope(&answer, 503, "service_unavailable");
    assert_no_internals(&answer);
    assert_eq!(read.num_calls(), 3);
}

#[tokio::test]
async fn given_a_read_left_unprocessed_once_then_it_is_retried_and_answered() {
    // GIVEN a BatchGetItem that first leaves its keys unprocessed, then finds nothing
    let key = known_key();
    let read = mock!(aws_sdk_dynamodb::Client::batch_get_item)
        .sequence()
        .output(|| {
            let keys = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                .keys(std::collections::HashMap::from([(
                    "pk".to_owned(),
                    AttributeValue::S("ID#idt_fixture".into()),
                )]))
                .build()
                .unwrap();
            aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput::builder()
                .unprocessed_keys("t", keys)
                .build()
        })
        .output(|| {
            aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput::builder().build()
        })
        .build();
    let (counters, entry) = (counters(), entry_alone());
    let vault = vault(&[&key, &read, &counters, &entry], &[]);
    // WHEN the credential is read
    let answer = TestClient::new(&vault)
        .with_key(WRITE_KEY)
        .request("GET", "/v0/vault/stripe", None)
        .await;
    // THEN the second try's answer is the answer: no such credential
    assert_envelope(&answer, 404, "not_found");
    assert_eq!(read.num_calls(), 2);
}
