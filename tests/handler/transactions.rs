//! How a cancelled transaction is answered, with cancellations as DynamoDB sends them: a
//! throttled or conflicting transaction is reported through `TransactionCanceledException`
//! and its per-item reasons, not with the top-level codes of single-item calls.

use super::faults::{assert_no_internals, counters, entry_alone, kms_works, known_key, vault};
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kms::operation::decrypt::DecryptOutput;
use aws_sdk_kms::primitives::Blob;
use aws_smithy_mocks::{Rule, mock};
use credvault::testing::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type Item = HashMap<String, AttributeValue>;

/// `TransactionCanceledException` on the wire, one reason per item of the transaction.
fn cancelled(reasons: &[&str]) -> Option<String> {
    let reasons: Vec<_> = reasons
        .iter()
        .map(|code| serde_json::json!({"Code": code, "Message": "injected"}))
        .collect();
    Some(
        serde_json::json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons",
            "CancellationReasons": reasons,
        })
        .to_string(),
    )
}

fn cancelled_store(reasons: &[&str]) -> Rule {
    mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .sequence()
        .http_status(400, cancelled(reasons))
        .repeatedly()
        .build()
}

fn store_totp() -> lambda_http::Request {
    let body =
        r#"{"type":"TOTP","data":{"secret":"JBSWY3DPEHPK3PXP","backupCodes":["b-1","b-2"]}}"#;
    api_event("PUT", "/v0/vault/github", Some(WRITE_KEY), Some(body))
}

#[tokio::test]
async fn given_a_throttled_transaction_when_storing_then_503() {
    for reasons in [
        ["ThrottlingError", "None", "None"],
        ["None", "ProvisionedThroughputExceeded", "None"],
    ] {
        // GIVEN DynamoDB cancels the write's transaction as throttled
        let (key, kms, counters, entry) = (known_key(), kms_works(), counters(), entry_alone());
        let store = cancelled_store(&reasons);
        // WHEN a credential is stored
        let answer = TestClient::new(&vault(&[&key, &store, &counters, &entry], &[&kms]))
            .send(store_totp())
            .await;
        // THEN the caller is told to come back, and learns nothing of the internals
        assert_envelope(&answer, 503, "service_unavailable");
        assert_eq!(answer.headers["retry-after"], "1");
        assert_no_internals(&answer);
        assert_eq!(store.num_calls(), 1, "{reasons:?}");
    }
}

#[tokio::test]
async fn given_a_conflicting_transaction_when_storing_then_503() {
    // GIVEN another transaction on the same item is in flight
    let (key, kms, counters, entry) = (known_key(), kms_works(), counters(), entry_alone());
    let store = cancelled_store(&["TransactionConflict", "None", "None"]);
    // WHEN a credential is stored
    let answer = TestClient::new(&vault(&[&key, &store, &counters, &entry], &[&kms]))
        .send(store_totp())
        .await;
    // THEN nothing was written, and the caller may try again: 503, not 500 and not 200
    assert_envelope(&answer, 503, "service_unavailable");
    assert_no_internals(&answer);
}

/// The credential and summary items of a TOTP credential, as a store through the real
/// SDK client wrote them.
async fn stored_totp_items() -> (Item, Item) {
    let written: Arc<Mutex<Vec<Item>>> = Arc::default();
    let seen = Arc::clone(&written);
    let store = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .match_requests(move |req| {
            let puts = req.transact_items().iter().filter_map(|op| op.put());
            *seen.lock().unwrap() = puts.map(|put| put.item().clone()).collect();
            true
        })
        .then_output(|| TransactWriteItemsOutput::builder().build());
    let (key, kms, counters) = (known_key(), kms_works(), counters());
    let answer = TestClient::new(&vault(&[&key, &store, &counters], &[&kms]))
        .send(store_totp())
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let items = written.lock().unwrap().clone();
    (items[0].clone(), items[1].clone())
}

/// BatchGetItem answered with these items, every time.
fn reads_of((credential, summary): (Item, Item)) -> Rule {
    mock!(aws_sdk_dynamodb::Client::batch_get_item).then_output(move || {
        BatchGetItemOutput::builder()
            .responses("t", vec![credential.clone(), summary.clone()])
            .build()
    })
}

/// KMS unwraps the data key `kms_works` made.
fn decrypt_works() -> Rule {
    mock!(aws_sdk_kms::Client::decrypt).then_output(|| {
        DecryptOutput::builder()
            .plaintext(Blob::new(vec![7u8; 32]))
            .build()
    })
}

#[tokio::test]
async fn given_a_backup_code_spend_loses_a_race_then_it_rereads_and_spends_on_the_next_try() {
    // GIVEN a stored TOTP credential with two backup codes
    let read = reads_of(stored_totp_items().await);
    let decrypt = decrypt_works();
    // AND the first spend's transaction conflicts with another caller's
    let spend = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .sequence()
        .http_status(400, cancelled(&["TransactionConflict", "None", "None"]))
        .output(|| TransactWriteItemsOutput::builder().build())
        .build();
    let (key, kms, counters, entry) = (known_key(), kms_works(), counters(), entry_alone());
    let vault = vault(&[&key, &read, &spend, &counters, &entry], &[&kms, &decrypt]);
    // WHEN a backup code is spent
    let answer = TestClient::new(&vault)
        .with_key(WRITE_KEY)
        .request("POST", "/v0/vault/github/totp/backup", None)
        .await;
    // THEN the loser re-read the credential and committed on its second try, with one data key
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["remaining"], 1, "{}", answer.text);
    assert_eq!((read.num_calls(), spend.num_calls()), (2, 2));
    assert_eq!(kms.num_calls(), 1, "one data key for every attempt");
}

#[tokio::test]
async fn given_a_conflicting_delete_then_503_not_500() {
    // GIVEN a stored credential whose delete conflicts with another transaction
    let read = reads_of(stored_totp_items().await);
    let delete = cancelled_store(&["TransactionConflict", "None", "None"]);
    let (key, counters, entry) = (known_key(), counters(), entry_alone());
    let vault = vault(&[&key, &read, &delete, &counters, &entry], &[]);
    // WHEN it is deleted
    let answer = TestClient::new(&vault)
        .with_key(WRITE_KEY)
        .request("DELETE", "/v0/vault/github", None)
        .await;
    // THEN the caller may try again
    assert_envelope(&answer, 503, "service_unavailable");
    assert_no_internals(&answer);
}

#[tokio::test]
async fn given_a_backup_code_spend_still_in_progress_then_503_without_spending_another() {
    // GIVEN a stored TOTP credential, and a spend whose token DynamoDB is still committing
    let read = reads_of(stored_totp_items().await);
    let decrypt = decrypt_works();
    let in_progress = serde_json::json!({
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionInProgressException",
        "Message": "injected",
    });
    let spend = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .sequence()
        .http_status(400, Some(in_progress.to_string()))
        .repeatedly()
        .build();
    let (key, kms, counters, entry) = (known_key(), kms_works(), counters(), entry_alone());
    let vault = vault(&[&key, &read, &spend, &counters, &entry], &[&kms, &decrypt]);
    // WHEN a backup code is spent
    let answer = TestClient::new(&vault)
        .with_key(WRITE_KEY)
        .request("POST", "/v0/vault/github/totp/backup", None)
        .await;
    // THEN the caller is told to come back, and no second code was tried: the first may
    // still commit
    assert_envelope(&answer, 503, "service_unavailable");
    assert_eq!(read.num_calls(), 1, "no re-read for another code");
}
