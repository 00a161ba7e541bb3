//! The rest of the vault against a real moto server: paging past 1 MB, concurrent
//! backup-code use, use tracking that never resurrects, and tampered items.

use crate::stack::Stack;
use aws_sdk_dynamodb::types::AttributeValue;
use credvault::domain::{CredentialName, RateWindow, Timestamp};
use credvault::store::{CredentialStore, TableLayout};
use credvault::testing::*;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

fn name(raw: &str) -> CredentialName {
    CredentialName::parse(raw).unwrap()
}

#[tokio::test]
async fn given_credentials_past_one_megabyte_when_listed_then_every_one_is_there_in_order() {
    // GIVEN six credentials of ~220 KB each: more than a DynamoDB page (1 MB) can hold
    let stack = Stack::start().await;
    let blob = "x".repeat(220 * 1024);
    let names = ["f-six", "a-one", "e-five", "b-two", "d-four", "c-three"];
    for n in names {
        let body = json!({"type": "CUSTOM", "data": {"blob": blob}, "metadata": {"n": n}});
        assert_eq!(
            stack
                .writer()
                .request("PUT", &format!("/v0/vault/{n}"), Some(&body))
                .await
                .status,
            200
        );
    }
    // and one of another identity, which must not show
    let other = stack.other_identity().await;
    let theirs = api_event(
        "PUT",
        "/v0/vault/theirs",
        Some(other.api_key.expose()),
        Some(r#"{"type":"CUSTOM","data":{"a":1}}"#),
    );
    assert_eq!(TestClient::new(&stack.vault).send(theirs).await.status, 200);

    // WHEN listed
    let answer = stack.writer().request("GET", "/v0/vault", None).await;

    // THEN all six, sorted, metadata only
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["count"], 6);
    let listed: Vec<&str> = answer.json["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        ["a-one", "b-two", "c-three", "d-four", "e-five", "f-six"]
    );
    assert!(
        answer.text.len() < 10_000,
        "no data in a listing: {} bytes",
        answer.text.len()
    );
}

#[tokio::test]
async fn twenty_concurrent_consumers_get_ten_distinct_codes_and_ten_clean_refusals() {
    // GIVEN a TOTP credential with ten backup codes
    let stack = Arc::new(Stack::start().await);
    let codes: Vec<String> = (0..10).map(|i| format!("code-{i:02}")).collect();
    let body =
        json!({"type": "TOTP", "data": {"secret": "JBSWY3DPEHPK3PXP", "backupCodes": codes}});
    assert_eq!(
        stack
            .writer()
            .request("PUT", "/v0/vault/github-2fa", Some(&body))
            .await
            .status,
        200
    );

    // WHEN twenty consumers ask at once
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let stack = Arc::clone(&stack);
        tasks.spawn(async move {
            stack
                .writer()
                .request("POST", "/v0/vault/github-2fa/totp/backup", None)
                .await
        });
    }
    let answers = tasks.join_all().await;

    // THEN exactly ten get a code, each a different one, and ten get a 400
    let handed: Vec<&str> = answers
        .iter()
        .filter(|a| a.status == 200)
        .map(|a| a.json["code"].as_str().unwrap())
        .collect();
    let distinct: HashSet<&str> = handed.iter().copied().collect();
    assert_eq!(
        handed.len(),
        10,
        "{:?}",
        answers.iter().map(|a| &a.text).collect::<Vec<_>>()
    );
    assert_eq!(
        distinct.len(),
        10,
        "a code was handed out twice: {handed:?}"
    );
    let refused: Vec<_> = answers.iter().filter(|a| a.status != 200).collect();
    assert_eq!(refused.len(), 10);
    for answer in refused {
        assert_envelope(answer, 400, "bad_request");
    }
    let read = stack
        .writer()
        .request("GET", "/v0/vault/github-2fa", None)
        .await;
    assert_eq!(
        read.json["data"]["backupCodes"],
        credvault::domain::BACKUP_CODES_PLACEHOLDER
    );
    assert_eq!(
        read.json["data"]["usedBackupCodes"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
}

#[tokio::test]
async fn recording_a_use_never_resurrects_or_touches_a_replacement() {
    let stack = Stack::start().await;
    let body = json!({"type": "API_KEY", "data": {"key": "k1"}});
    let first = stack
        .writer()
        .request("PUT", "/v0/vault/stripe", Some(&body))
        .await;
    let first_id = first.json["credentialId"].as_str().unwrap().to_owned();
    let later = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();

    // Replaced meanwhile: the old id's use lands nowhere.
    let second = stack
        .writer()
        .request("PUT", "/v0/vault/stripe", Some(&body))
        .await;
    stack
        .store
        .touch(
            &stack.identity,
            &name("stripe"),
            &first_id,
            later,
            &test_entry(&stack.identity),
        )
        .await
        .unwrap();
    let current = stack
        .store
        .get(&stack.identity, &name("stripe"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.info.credential_id, second.json["credentialId"]);
    assert_eq!(current.info.last_used_at, None);

    // Deleted meanwhile: the use does not bring it back.
    assert_eq!(
        stack
            .writer()
            .request("DELETE", "/v0/vault/stripe", None)
            .await
            .status,
        204
    );
    let second_id = second.json["credentialId"].as_str().unwrap();
    stack
        .store
        .touch(
            &stack.identity,
            &name("stripe"),
            second_id,
            later,
            &test_entry(&stack.identity),
        )
        .await
        .unwrap();
    assert!(
        stack
            .store
            .get(&stack.identity, &name("stripe"))
            .await
            .unwrap()
            .is_none()
    );

    // And on the live credential it is recorded.
    let third = stack
        .writer()
        .request("PUT", "/v0/vault/stripe", Some(&body))
        .await;
    let read = stack
        .writer()
        .request("GET", "/v0/vault/stripe", None)
        .await;
    assert_eq!(read.json["data"], json!({"key": "k1"}));
    let stored = stack
        .store
        .get(&stack.identity, &name("stripe"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.info.credential_id, third.json["credentialId"]);
    assert_eq!(
        stored.info.last_used_at.map(|t| t.to_string()).as_deref(),
        read.json["lastUsedAt"].as_str()
    );
}

#[tokio::test]
async fn tampered_or_copied_items_answer_500_never_data() {
    let stack = Stack::start().await;
    let body = json!({"type": "API_KEY", "data": {"key": "sk_live_abc123"}});
    assert_eq!(
        stack
            .writer()
            .request("PUT", "/v0/vault/stripe", Some(&body))
            .await
            .status,
        200
    );
    let key = TableLayout::credential_key(&stack.identity, &name("stripe"));
    let item = stack.item(key).await.expect("the item");
    let put_raw = |item| stack.put_raw(item);
    let blob = |attribute: &str, flip: usize| {
        let mut bytes = item[attribute].as_b().unwrap().as_ref().to_vec();
        bytes[flip] ^= 1;
        AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(bytes))
    };

    // Copied to another name of the same identity.
    let mut copy = item.clone();
    copy.insert("sk".into(), AttributeValue::S("CRED#github".into()));
    copy.insert("name".into(), AttributeValue::S("github".into()));
    put_raw(copy).await;
    // Copied into another identity's vault.
    let other = stack.other_identity().await;
    let mut stolen = item.clone();
    stolen.insert(
        "pk".into(),
        AttributeValue::S(TableLayout::identity_pk(&other.identity)),
    );
    stolen.insert(
        "identityId".into(),
        AttributeValue::S(other.identity.to_string()),
    );
    put_raw(stolen).await;

    let other_read = api_event(
        "GET",
        "/v0/vault/stripe",
        Some(other.api_key.expose()),
        None,
    );
    let answers = [
        stack
            .writer()
            .request("GET", "/v0/vault/github", None)
            .await,
        TestClient::new(&stack.vault).send(other_read).await,
    ];
    for answer in &answers {
        assert_envelope(answer, 500, "internal_error");
        assert!(!answer.text.contains("sk_live"));
    }

    // Tampered in place: ciphertext, nonce, wrapped key.
    for attribute in ["ciphertext", "nonce", "encryptedDataKey"] {
        let mut tampered = item.clone();
        tampered.insert(attribute.into(), blob(attribute, 3));
        put_raw(tampered).await;
        let answer = stack
            .writer()
            .request("GET", "/v0/vault/stripe", None)
            .await;
        assert_envelope(&answer, 500, "internal_error");
        assert!(!answer.text.contains("sk_live"), "{attribute}");
    }
}

#[tokio::test]
async fn every_endpoint_works_on_the_real_sdk_path() {
    let stack = Stack::start().await;
    let body =
        json!({"type": "TOTP", "data": {"secret": "JBSWY3DPEHPK3PXP", "backupCodes": ["b1"]}});
    assert_eq!(
        stack
            .writer()
            .request("PUT", "/v0/vault/github-2fa", Some(&body))
            .await
            .status,
        200
    );
    let totp = stack
        .writer()
        .request("GET", "/v0/vault/github-2fa/totp", None)
        .await;
    assert_eq!(totp.status, 200, "{}", totp.text);
    assert_eq!(totp.json["code"].as_str().unwrap().len(), 6);
    assert_eq!(totp.json["backupCodesRemaining"], 1);
    let backup = stack
        .writer()
        .request("POST", "/v0/vault/github-2fa/totp/backup", None)
        .await;
    assert_eq!(backup.json, json!({"code": "b1", "remaining": 0}));
    let read = stack
        .writer()
        .request("GET", "/v0/vault/github-2fa", None)
        .await;
    assert_eq!(read.json["data"]["usedBackupCodes"], json!(["b1"]));
    assert_eq!(
        stack
            .writer()
            .request("DELETE", "/v0/vault/github-2fa", None)
            .await
            .status,
        204
    );
    assert_eq!(
        stack.writer().request("GET", "/v0/vault", None).await.json["count"],
        0
    );
}

#[tokio::test]
async fn the_rate_limit_counts_atomically_in_the_table() {
    use credvault::store::IdentityDirectory;
    let stack = Stack::start().await;
    // The counter itself: one atomic ADD per request, per identity and minute.
    for expected in 1..=3 {
        assert_eq!(
            stack
                .store
                .count_request(&stack.subject(), RateWindow::containing(7 * 60))
                .await
                .unwrap(),
            expected
        );
    }
    assert_eq!(
        stack
            .store
            .count_request(&stack.subject(), RateWindow::containing(8 * 60))
            .await
            .unwrap(),
        1
    );

    // Through the handler, with a limit of 2.
    let vault = credvault::vault::Vault::new(
        stack.store.clone(),
        credvault::crypto::KmsKeyProvider::new(stack.kms.clone(), crate::stack::KMS_ALIAS),
    )
    .with_rate_limit(Some(2));
    let statuses: Vec<u16> = {
        let mut statuses = Vec::new();
        for _ in 0..3 {
            let request = api_event("GET", "/v0/vault", Some(stack.read_key.expose()), None);
            statuses.push(TestClient::new(&vault).send(request).await.status.as_u16());
        }
        statuses
    };
    assert_eq!(statuses, [200, 200, 429]);
}
