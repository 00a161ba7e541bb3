//! Platform keys on the real SDK path against moto: a deletion leaves nothing of the vault
//! readable, a rotation keeps the vault and changes the key, a table writer cannot move or
//! widen an identity, and what each platform route costs in AWS calls.

use crate::stack::Stack;
use aws_sdk_dynamodb::types::AttributeValue;
use credvault::auth::ApiKey;
use credvault::crypto::KmsKeyProvider;
use credvault::domain::{KeyKind, Scope};
use credvault::store::TableLayout;
use credvault::testing::*;
use credvault::vault::Vault;
use serde_json::{Value, json};

const IDENTITIES: &str = "/v0/platform/identities";

/// (method, path, body, status, calls in all, calls in sequence)
type Case<'a> = (&'a str, &'a str, Option<&'a Value>, u16, usize, usize);

fn text(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {value}"))
        .to_owned()
}

/// Every raw item that names `id` anywhere in its keys or attributes.
async fn items_naming(stack: &Stack, id: &str) -> Vec<String> {
    stack
        .scan()
        .await
        .iter()
        .filter(|item| {
            item.values()
                .any(|v| v.as_s().is_ok_and(|s| s.contains(id)))
        })
        .map(|item| {
            let key = |k: &str| {
                item.get(k)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default()
            };
            format!("{} {}", key("pk"), key("sk"))
        })
        .collect()
}

#[tokio::test]
async fn a_deleted_identity_leaves_only_its_tombstone_and_nothing_of_its_vault_opens() {
    let stack = Stack::start().await;
    let platform = stack.platform_key("org_moto").await;
    let orchestrator = TestClient::new(&stack.vault).with_key(platform.expose());
    let made = orchestrator
        .request("POST", IDENTITIES, Some(&json!({"name": "doomed"})))
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let (id, key) = (text(&made.json, "identityId"), text(&made.json, "rawKey"));
    let agent = TestClient::new(&stack.vault).with_key(&key);
    let login = json!({"type": "LOGIN", "data": {"password": "s3cret!"}});
    assert_eq!(agent.put("github", &login).await.status, 200);
    assert_eq!(
        agent.request("GET", "/v0/vault/github", None).await.status,
        200
    );
    let rotated = orchestrator
        .request("POST", &format!("{IDENTITIES}/{id}/rotate-key"), None)
        .await;
    let second = text(&rotated.json, "rawKey");
    assert!(
        items_naming(&stack, &id).await.len() > 5,
        "credential, summary, keys, log..."
    );

    let deleted = orchestrator
        .request("DELETE", &format!("{IDENTITIES}/{id}"), None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);

    // THEN, the organisation's log aside, the tombstone alone names it: no credential, key,
    // key record, log of its own or counter.
    let left = items_naming(&stack, &id).await;
    let (org_log, rest): (Vec<_>, Vec<_>) = left
        .into_iter()
        .partition(|item| item.starts_with("LOG#org_moto "));
    assert_eq!(rest, [format!("ID#{id} IDENTITY")]);
    assert_eq!(org_log.len(), 3, "create, rotate, delete: {org_log:?}");
    for old in [&key, &second] {
        let hash = ApiKey::parse(old).unwrap().hash();
        assert_eq!(
            stack.item(TableLayout::api_key_key(&hash)).await,
            None,
            "its key item went"
        );
        let refused = TestClient::new(&stack.vault)
            .request_as(old, "GET", "/v0/vault/github")
            .await;
        assert_envelope(&refused, 401, "unauthorized");
    }
    assert_envelope(
        &orchestrator
            .request("GET", &format!("{IDENTITIES}/{id}"), None)
            .await,
        404,
        "not_found",
    );
    // The organisation's log keeps the deletion.
    let log = orchestrator
        .request("GET", "/v0/logs?action=identities_delete", None)
        .await;
    assert_eq!(log.json["logs"][0]["targetId"], json!(id), "{}", log.text);
}

#[tokio::test]
async fn a_rotation_changes_the_key_and_keeps_the_vault() {
    let stack = Stack::start().await;
    let platform = stack.platform_key("org_default").await;
    let orchestrator = TestClient::new(&stack.vault).with_key(platform.expose());
    let login = json!({"type": "LOGIN", "data": {"password": "kept"}});
    assert_eq!(stack.writer().put("github", &login).await.status, 200);
    // The stack's operator-made identity is in the default organisation.
    let path = format!("{IDENTITIES}/{}/rotate-key", stack.identity);
    let rotated = orchestrator.request("POST", &path, None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let new_key = text(&rotated.json, "rawKey");
    assert!(new_key.starts_with("mgnt-"));
    let old = TestClient::new(&stack.vault)
        .request_as(stack.write_key.expose(), "GET", "/v0/vault")
        .await;
    assert_envelope(&old, 401, "unauthorized");
    let read = TestClient::new(&stack.vault)
        .request_as(&new_key, "GET", "/v0/vault/github")
        .await;
    assert_eq!(read.json["data"]["password"], "kept", "{}", read.text);
    // The operator-made read key of another identity is untouched.
    assert_eq!(
        TestClient::new(&stack.vault)
            .request_as(stack.read_key.expose(), "GET", "/v0/vault")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_table_writer_cannot_move_an_identity_or_widen_what_its_next_key_gets() {
    let stack = Stack::start().await;
    let ours = stack.platform_key("org_default").await;
    let theirs = stack.platform_key("org_thief").await;
    let narrow = stack
        .identities()
        .create("narrow", &[Scope::VaultRead], None)
        .await
        .unwrap();
    let path = format!("{IDENTITIES}/{}", narrow.identity);
    let identity_key = TableLayout::identity_key(&narrow.identity);

    // Moving it: the identity item (and a membership) rewritten to the thief's organisation.
    let original = stack
        .item(identity_key.clone())
        .await
        .expect("the identity item");
    let mut moved = original.clone();
    moved.insert("orgId".into(), AttributeValue::S("org_thief".into()));
    stack.put_raw(moved.clone()).await;
    moved.insert("pk".into(), AttributeValue::S("ORG#org_thief".into()));
    moved.insert(
        "sk".into(),
        AttributeValue::S(format!("ID#{}", narrow.identity)),
    );
    stack.put_raw(moved).await;
    let thief = TestClient::new(&stack.vault).with_key(theirs.expose());
    assert_envelope(&thief.request("GET", &path, None).await, 404, "not_found");
    assert_envelope(
        &thief
            .request("POST", &format!("{path}/rotate-key"), None)
            .await,
        404,
        "not_found",
    );
    assert_eq!(
        thief.request("GET", IDENTITIES, None).await.json["count"],
        0
    );

    // Widening it: the item's scopes grown (it holds vault:read only).
    stack.put_raw(original).await;
    let owner = TestClient::new(&stack.vault).with_key(ours.expose());
    assert_eq!(owner.request("GET", &path, None).await.status, 200);
    let mut widened = stack.item(identity_key).await.expect("the identity item");
    widened.insert(
        "scopes".into(),
        AttributeValue::Ss(vec!["vault:read".into(), "vault:write".into()]),
    );
    stack.put_raw(widened).await;
    assert_envelope(
        &owner
            .request("POST", &format!("{path}/rotate-key"), None)
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn an_identity_key_item_naming_an_organisation_is_refused() {
    let stack = Stack::start().await;
    // A platform key's item, copied under an identity key's hash (as a writer of KEY# items
    // could): the kind of the key and of its subject differ.
    let platform = stack.platform_key("org_default").await;
    let item = stack
        .item(TableLayout::api_key_key(&platform.hash()))
        .await
        .expect("the item");
    let forged = ApiKey::generate(KeyKind::Identity).unwrap();
    let mut copy = item.clone();
    copy.insert(
        "pk".into(),
        AttributeValue::S(TableLayout::api_key_key(&forged.hash()).0),
    );
    stack.put_raw(copy).await;
    let answer = TestClient::new(&stack.vault)
        .request_as(forged.expose(), "GET", IDENTITIES)
        .await;
    assert_envelope(&answer, 401, "unauthorized");
}

#[tokio::test]
async fn each_platform_route_makes_the_calls_operations_md_states() {
    let stack = Stack::start().await;
    let platform = stack.platform_key("org_calls").await;
    // The rate limit on, as deployed: its count runs beside each request's first read.
    let vault = Vault::new(
        stack.store.clone(),
        KmsKeyProvider::new(stack.kms.clone(), crate::stack::KMS_ALIAS),
    )
    .with_rate_limit(Some(1000));
    let orchestrator = TestClient::new(&vault).with_key(platform.expose());
    let made = orchestrator
        .request("POST", IDENTITIES, Some(&json!({"name": "counted"})))
        .await;
    let id = text(&made.json, "identityId");
    let one = format!("{IDENTITIES}/{id}");
    let rotate = format!("{one}/rotate-key");
    let patch = json!({"removeScopes": ["vault:write"]});
    let cases: [Case; 6] = [
        ("POST", IDENTITIES, Some(&json!({})), 201, 6, 4),
        ("GET", IDENTITIES, None, 200, 7, 4),
        ("GET", &one, None, 200, 7, 4),
        ("PATCH", &one, Some(&patch), 200, 9, 6),
        ("POST", &rotate, None, 200, 9, 6),
        ("DELETE", &one, None, 204, 17, 10),
    ];
    let (mut table, mut expected, mut got) = (Vec::new(), Vec::new(), Vec::new());
    for (method, path, body, status, calls, depth) in cases {
        stack.calls.clear();
        let answer = orchestrator.request(method, path, body).await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "{method} {path}: {}",
            answer.text
        );
        let operations = stack.calls.operations();
        let got_depth = stack.calls.sequential_depth();
        table.push(format!(
            "{method} {path} {status}: {} calls, {got_depth} in sequence {operations:?}",
            operations.len()
        ));
        expected.push((method, calls, depth));
        got.push((method, operations.len(), got_depth));
    }
    println!("{}", table.join("\n"));
    assert_eq!(got, expected, "{}", table.join("\n"));
}
