//! The list summaries beside the credentials, as an operator's `credvault setup` repairs
//! them: missing (stored by an older version), stale, orphaned.

use crate::stack::Stack;
use aws_sdk_dynamodb::types::AttributeValue;
use credvault::domain::CredentialName;
use credvault::store::TableLayout;
use credvault::store::repair_summaries;
use serde_json::json;

#[tokio::test]
async fn setup_brings_every_summary_in_line_with_its_credential_once() {
    // GIVEN three credentials, three ways a summary can be wrong, and a misplaced item:
    let stack = Stack::start().await;
    let login = json!({"type": "LOGIN", "data": {"password": "p"}, "metadata": {"u": 1}});
    for name in ["legacy", "stale", "gone"] {
        assert_eq!(stack.writer().put(name, &login).await.status, 200);
    }
    let summary_key = |name: &str| {
        TableLayout::summary_key(&stack.identity, &CredentialName::parse(name).unwrap())
    };
    let credential_key = |name: &str| {
        TableLayout::credential_key(&stack.identity, &CredentialName::parse(name).unwrap())
    };
    // missing, as stored before summaries existed (the item kept its own lastUsedAt);
    let mut legacy = stack.item(credential_key("legacy")).await.unwrap();
    legacy.insert(
        "lastUsedAt".into(),
        AttributeValue::S("2026-01-02T03:04:05Z".into()),
    );
    stack.put_raw(legacy).await;
    stack.delete_raw(summary_key("legacy")).await;
    // stale, with another type and metadata than its credential's;
    let mut stale = stack.item(summary_key("stale")).await.unwrap();
    stale.insert(
        "metadata".into(),
        AttributeValue::S(r#"{"u":"https://evil"}"#.into()),
    );
    stale.insert("type".into(), AttributeValue::S("API_KEY".into()));
    stale.insert(
        "lastUsedAt".into(),
        AttributeValue::S("2026-02-03T04:05:06Z".into()),
    );
    stack.put_raw(stale).await;
    // and orphaned, its credential deleted by a version that knew no summaries.
    stack.delete_raw(credential_key("gone")).await;
    // A credential item copied under another name must not summarise the one it names.
    let mut misplaced = stack.item(credential_key("stale")).await.unwrap();
    misplaced.insert("sk".into(), AttributeValue::S("CRED#copy".into()));
    stack.put_raw(misplaced).await;
    let listed = || async { stack.writer().request("GET", "/v0/vault", None).await };
    assert_eq!(listed().await.json["count"], 2);
    // WHEN setup repairs, twice
    let first = repair_summaries(&stack.store).await.expect("repair");
    let second = repair_summaries(&stack.store).await.expect("repair");
    // THEN the first wrote two summaries, removed one and left the copy; the second only
    // left the copy again
    assert_eq!((first.written, first.removed, first.skipped), (2, 1, 1));
    assert_eq!((second.written, second.removed, second.skipped), (0, 0, 1));
    // and the list is the credentials', older lastUsedAt included
    let list = listed().await;
    let credentials = list.json["credentials"].as_array().expect("a list");
    assert_eq!(credentials.len(), 2, "{}", list.text);
    for listed in credentials {
        assert_eq!(listed["metadata"], json!({"u": 1}), "{listed}");
        assert_eq!(listed["type"], "LOGIN", "{listed}");
    }
    assert_eq!(credentials[0]["name"], "legacy");
    assert_eq!(credentials[0]["lastUsedAt"], "2026-01-02T03:04:05Z");
    assert_eq!(credentials[1]["name"], "stale");
    assert_eq!(credentials[1]["lastUsedAt"], "2026-02-03T04:05:06Z");
}
