//! Someone who can write the table but cannot use the vault's KMS key: each attack of the
//! trust-boundary review, done with raw DynamoDB calls, and how it fails closed.

use crate::stack::{Item, Stack};
use aws_sdk_dynamodb::types::AttributeValue;
use credvault::admin;
use credvault::auth::ApiKey;
use credvault::domain::CredentialName;
use credvault::domain::{KeyKind, Scope};
use credvault::store::TableLayout;
use credvault::testing::*;
use serde_json::json;

async fn list_as(stack: &Stack, key: &str) -> u16 {
    TestClient::new(&stack.vault)
        .request_as(key, "GET", "/v0/vault")
        .await
        .status
        .as_u16()
}

#[tokio::test]
async fn a_copied_key_item_under_a_new_hash_opens_nothing() {
    let stack = Stack::start().await;
    let mine = stack
        .item(TableLayout::api_key_key(&stack.write_key.hash()))
        .await
        .expect("the item");
    let forged = ApiKey::generate(KeyKind::Identity).unwrap();
    let (pk, _) = TableLayout::api_key_key(&forged.hash());
    let mut copy = mine.clone();
    copy.insert("pk".into(), AttributeValue::S(pk));
    stack.put_raw(copy).await;
    assert_eq!(list_as(&stack, forged.expose()).await, 401);
    assert_eq!(list_as(&stack, stack.write_key.expose()).await, 200);
}

#[tokio::test]
async fn widened_scopes_are_refused() {
    let stack = Stack::start().await;
    let key = TableLayout::api_key_key(&stack.read_key.hash());
    let mut item = stack.item(key).await.expect("the item");
    item.insert(
        "scopes".into(),
        AttributeValue::Ss(vec!["vault:read".into(), "vault:write".into()]),
    );
    stack.put_raw(item).await;
    assert_eq!(list_as(&stack, stack.read_key.expose()).await, 401);
}

#[tokio::test]
async fn a_revoked_key_stays_revoked_when_its_mark_is_deleted() {
    let stack = Stack::start().await;
    assert!(stack.identities().revoke(&stack.identity).await.unwrap());
    let key = TableLayout::api_key_key(&stack.write_key.hash());
    let mut item = stack.item(key).await.expect("the item");
    assert!(!item.contains_key("mac"), "revocation drops the tag");
    item.remove("revokedAt");
    stack.put_raw(item).await;
    assert_eq!(list_as(&stack, stack.write_key.expose()).await, 401);
}

#[tokio::test]
async fn one_key_is_revoked_and_rotated_without_touching_the_identity() {
    let stack = Stack::start().await;
    stack
        .writer()
        .put("stripe", &json!({"type": "API_KEY", "data": {"key": "k"}}))
        .await;
    let (second, _) = stack
        .identities()
        .add_key(&stack.identity, &Scope::ALL, Default::default(), None)
        .await
        .unwrap();
    let keys = stack.identities().keys(&stack.subject()).await.unwrap();
    assert_eq!(keys.len(), 2);
    let first_id = keys
        .iter()
        .find(|k| stack.write_key.hash().as_str().starts_with(&k.key_id))
        .unwrap()
        .key_id
        .clone();
    assert!(
        stack
            .identities()
            .revoke_key(&stack.subject(), &first_id)
            .await
            .unwrap()
    );
    assert_eq!(list_as(&stack, stack.write_key.expose()).await, 401);
    let answer = TestClient::new(&stack.vault)
        .request_as(second.expose(), "GET", "/v0/vault/stripe")
        .await;
    assert_eq!(answer.status, 200, "the credentials stay: {}", answer.text);
    // A revoked identity gets no new key.
    assert!(stack.identities().revoke(&stack.identity).await.unwrap());
    assert!(
        stack
            .identities()
            .add_key(&stack.identity, &Scope::ALL, Default::default(), None)
            .await
            .is_err()
    );
    assert_eq!(list_as(&stack, second.expose()).await, 401);
}

async fn tampered_read(stack: &Stack, edit: impl FnOnce(&mut Item)) -> Answer {
    let key =
        TableLayout::credential_key(&stack.identity, &CredentialName::parse("github").unwrap());
    let mut item = stack.item(key).await.expect("the item");
    edit(&mut item);
    stack.put_raw(item).await;
    stack
        .writer()
        .request("GET", "/v0/vault/github", None)
        .await
}

type Edit = Box<dyn FnOnce(&mut Item)>;

fn set(attribute: &'static str, value: &'static str) -> Edit {
    Box::new(move |item: &mut Item| {
        item.insert(attribute.into(), AttributeValue::S(value.into()));
    })
}

#[tokio::test]
async fn every_stored_field_is_bound_to_the_ciphertext() {
    let stack = Stack::start().await;
    let login = |expires: &str| {
        json!({"type": "LOGIN", "data": {"password": "s3cret!"},
               "metadata": {"uri": "https://github.com"}, "expiresAt": expires})
    };
    // (what, expiry stored before the edit, the edit)
    let edits: Vec<(&str, &str, Edit)> = vec![
        (
            "metadata",
            "2099-01-01",
            set("metadata", r#"{"uri":"https://evil.example"}"#),
        ),
        // An expired credential revived by removing (or moving) its expiry.
        (
            "expiry removed",
            "2020-01-01",
            Box::new(|i: &mut Item| {
                i.remove("expiresAt");
            }),
        ),
        (
            "expiry moved",
            "2020-01-01",
            set("expiresAt", "2099-01-01T00:00:00Z"),
        ),
        ("type", "2099-01-01", set("type", "CUSTOM")),
        ("credentialId", "2099-01-01", set("credentialId", "cred_0")),
        (
            "createdAt",
            "2099-01-01",
            set("createdAt", "2020-01-01T00:00:00Z"),
        ),
        (
            "downgrade to format 1",
            "2099-01-01",
            Box::new(|i: &mut Item| {
                i.insert("formatVersion".into(), AttributeValue::N("1".into()));
            }),
        ),
    ];
    for (what, expires, edit) in edits {
        assert_eq!(
            stack.writer().put("github", &login(expires)).await.status,
            200
        );
        let answer = tampered_read(&stack, edit).await;
        assert_eq!(answer.status, 500, "{what}: {}", answer.text);
        assert_envelope(&answer, 500, "internal_error");
        assert!(!answer.text.contains("s3cret!"), "{what}");
    }
}

#[tokio::test]
async fn an_older_mac_secret_put_back_does_not_unwrap_under_the_current_generation() {
    // GIVEN generation 2 in force, and a table writer who saved generation 1's wrapped secret
    let stack = Stack::start().await;
    let keys = credvault::crypto::KmsKeyProvider::new(stack.kms.clone(), crate::stack::KMS_ALIAS);
    let now = credvault::domain::Timestamp::now();
    admin::ensure_key_mac_secret(&stack.store, &keys, 2, now)
        .await
        .unwrap();
    let old = stack
        .item(TableLayout::key_mac_secret_key(1))
        .await
        .expect("the item");
    // WHEN it is put back as generation 2's
    let mut replayed = old.clone();
    replayed.insert(
        "sk".into(),
        AttributeValue::S(TableLayout::key_mac_secret_key(2).1),
    );
    stack.put_raw(replayed).await;
    // THEN the next cold start cannot unwrap it: it fails closed instead of trusting old keys
    let loaded = credvault::startup::unwrap_key_mac(&stack.store, &keys, 2).await;
    assert!(loaded.is_err());
}

#[tokio::test]
async fn a_planted_key_record_binds_no_other_key_to_the_identity() {
    let stack = Stack::start().await;
    let victim = stack
        .identities()
        .create("victim", &[Scope::VaultRead], None)
        .await
        .unwrap();
    let attacker = stack.other_identity().await;
    // The victim's record of its key, copied to name the attacker's own key as primary.
    let owner = credvault::domain::Subject::Identity(victim.identity.clone());
    let mut planted = stack
        .item(TableLayout::keyref_key(&owner, &victim.api_key.hash()))
        .await
        .expect("the victim's key record");
    let theirs = attacker.api_key.hash();
    planted.insert(
        "sk".into(),
        AttributeValue::S(format!("KEYREF#{}", theirs.as_str())),
    );
    planted.insert("keyHash".into(), AttributeValue::S(theirs.as_str().into()));
    stack.put_raw(planted).await;
    // The victim's organisation changes the victim, as it may.
    let platform = stack.platform_key("org_default").await;
    let path = format!("/v0/platform/identities/{}", victim.identity);
    let changed = TestClient::new(&stack.vault)
        .with_key(platform.expose())
        .request("PATCH", &path, Some(&json!({"addScopes": ["vault:write"]})))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    // The attacker's key still opens the attacker's vault, not the victim's.
    let whoami = TestClient::new(&stack.vault)
        .request_as(attacker.api_key.expose(), "GET", "/v0/whoami")
        .await;
    assert_eq!(whoami.json["identityId"], attacker.identity.as_str());
    let victims = TestClient::new(&stack.vault)
        .request_as(victim.api_key.expose(), "GET", "/v0/whoami")
        .await;
    assert_eq!(victims.json["scopes"], json!(["vault:read", "vault:write"]));
}

#[tokio::test]
async fn widened_or_dropped_grants_make_the_key_fail_closed() {
    let stack = Stack::start().await;
    let mut body = json!({"grants": [{"names": ["github*"], "allow": ["use"]}]})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let limits = credvault::domain::KeyLimits::take_from(&mut body).unwrap();
    let (key, _) = stack
        .identities()
        .add_key(&stack.identity, &Scope::ALL, limits, None)
        .await
        .unwrap();
    let login = json!({"type": "LOGIN", "data": {"password": "p"}});
    assert_eq!(stack.writer().put("stripe", &login).await.status, 200);
    let limited = TestClient::new(&stack.vault).with_key(key.expose());
    assert_eq!(
        limited
            .request("GET", "/v0/vault/stripe", None)
            .await
            .status,
        404
    );
    let item_key = TableLayout::api_key_key(&key.hash());
    let original = stack.item(item_key.clone()).await.expect("the item");
    let mut widened = original.clone();
    widened.insert(
        "limits".into(),
        AttributeValue::S(r#"{"grants":[{"names":["*"],"allow":["read","use","write"]}],"notAfter":null,"maxUses":null}"#.into()),
    );
    stack.put_raw(widened).await;
    assert_eq!(
        list_as(&stack, key.expose()).await,
        401,
        "a widened pattern"
    );
    let mut dropped = original.clone();
    dropped.remove("limits");
    stack.put_raw(dropped).await;
    assert_eq!(list_as(&stack, key.expose()).await, 401, "grants dropped");
    stack.put_raw(original).await;
    assert_eq!(
        list_as(&stack, key.expose()).await,
        200,
        "as written, it works"
    );
}
