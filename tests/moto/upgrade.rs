//! What `credvault setup` does for identities from before organisations, and for deletions
//! cut short: placed in the default organisation from the keys that verify only, never moved
//! out of another one, and a deleted identity's leftovers removed.

use crate::stack::{Item, Stack};
use credvault::clock::{Clock, SystemClock};
use credvault::domain::{OrgId, Scope, Subject};
use credvault::store::{IdentityDirectory, TableLayout, place_identities};
use credvault::testing::*;
use credvault::vault::NewIdentity;
use serde_json::json;

const IDENTITIES: &str = "/v0/platform/identities";

/// Makes `made` look as it was stored before organisations: its identity item bare (no
/// organisation, tag, scopes or primary key), no organisation record, no key records.
async fn as_before_organisations(stack: &Stack, made: &NewIdentity) {
    let key = TableLayout::identity_key(&made.identity);
    let item: Item = stack.item(key).await.expect("the identity item");
    let bare: Item = item
        .into_iter()
        .filter(|(name, _)| {
            ["pk", "sk", "identityId", "name", "createdAt"].contains(&name.as_str())
        })
        .collect();
    stack.put_raw(bare).await;
    stack
        .delete_raw(TableLayout::membership_key(
            &OrgId::default_org(),
            &made.identity,
        ))
        .await;
    let owner = Subject::Identity(made.identity.clone());
    stack
        .delete_raw(TableLayout::keyref_key(&owner, &made.api_key.hash()))
        .await;
}

#[tokio::test]
async fn an_identity_from_before_organisations_is_placed_from_its_verified_keys_only() {
    let stack = Stack::start().await;
    let old = stack
        .identities()
        .create("old", &[Scope::VaultRead], None)
        .await
        .unwrap();
    as_before_organisations(&stack, &old).await;
    // A key item forged by a table writer (no valid tag) naming it, with vault:write.
    let mut forged = stack
        .item(TableLayout::api_key_key(&stack.write_key.hash()))
        .await
        .unwrap();
    forged.insert(
        "pk".into(),
        aws_sdk_dynamodb::types::AttributeValue::S("KEY#".to_owned() + &"ee".repeat(32)),
    );
    forged.insert(
        "identityId".into(),
        aws_sdk_dynamodb::types::AttributeValue::S(old.identity.to_string()),
    );
    stack.put_raw(forged).await;
    let platform = stack.platform_key("org_default").await;
    let orchestrator = TestClient::new(&stack.vault).with_key(platform.expose());
    let path = format!("{IDENTITIES}/{}", old.identity);
    assert_envelope(
        &orchestrator.request("GET", &path, None).await,
        404,
        "not_found",
    );

    let upgrade = place_identities(&stack.store, SystemClock.now())
        .await
        .unwrap();
    assert!(upgrade.placed >= 1, "{upgrade:?}");
    let placed = stack
        .store
        .identity_in(&OrgId::default_org(), &old.identity)
        .await
        .unwrap()
        .expect("placed in the default organisation");
    assert_eq!(
        placed.scopes,
        [Scope::VaultRead],
        "the forged key gave nothing"
    );
    assert_eq!(
        placed.primary_key,
        Some(old.api_key.hash()),
        "its oldest verified key"
    );
    let got = orchestrator.request("GET", &path, None).await;
    assert_eq!(got.json["scopes"], json!(["vault:read"]), "{}", got.text);
    // Its key still opens its vault, and setup run again changes nothing.
    let read = TestClient::new(&stack.vault)
        .request_as(old.api_key.expose(), "GET", "/v0/vault")
        .await;
    assert_eq!(read.status, 200);
    let again = place_identities(&stack.store, SystemClock.now())
        .await
        .unwrap();
    assert_eq!((again.placed, again.key_records), (0, 0), "{again:?}");
}

#[tokio::test]
async fn an_untagged_identity_of_another_organisation_is_never_moved() {
    let stack = Stack::start().await;
    let theirs = stack.platform_key("org_theirs").await;
    let made = TestClient::new(&stack.vault)
        .with_key(theirs.expose())
        .request("POST", IDENTITIES, Some(&json!({"name": "theirs"})))
        .await;
    let id = made.json["identityId"].as_str().unwrap().to_owned();
    // A table writer drops its tag, hoping setup re-tags it into the default organisation.
    let key = TableLayout::identity_key(&credvault::domain::IdentityId::parse(&id).unwrap());
    let mut item = stack.item(key).await.unwrap();
    item.remove("mac");
    stack.put_raw(item).await;
    place_identities(&stack.store, SystemClock.now())
        .await
        .unwrap();
    let ours = stack.platform_key("org_default").await;
    let answer = TestClient::new(&stack.vault)
        .with_key(ours.expose())
        .request("GET", &format!("{IDENTITIES}/{id}"), None)
        .await;
    assert_envelope(&answer, 404, "not_found");
}

#[tokio::test]
async fn setup_removes_what_a_deletion_cut_short_left_behind() {
    let stack = Stack::start().await;
    let made = stack
        .identities()
        .create("doomed", &Scope::ALL, None)
        .await
        .unwrap();
    let agent = TestClient::new(&stack.vault).with_key(made.api_key.expose());
    let login = json!({"type": "LOGIN", "data": {"password": "p"}});
    assert_eq!(agent.put("left", &login).await.status, 200);
    // The deletion committed, its removal never ran.
    let record = stack
        .store
        .identity_in(&OrgId::default_org(), &made.identity)
        .await
        .unwrap()
        .unwrap();
    assert!(
        stack
            .store
            .delete_identity(&record, SystemClock.now())
            .await
            .unwrap()
    );
    let owner = Subject::Identity(made.identity.clone());
    assert!(
        stack
            .item(TableLayout::keyref_key(&owner, &made.api_key.hash()))
            .await
            .is_some()
    );
    let upgrade = place_identities(&stack.store, SystemClock.now())
        .await
        .unwrap();
    assert!(
        upgrade.purged >= 4,
        "credential, summary, key, key record, log: {upgrade:?}"
    );
    let left: Vec<_> = stack
        .scan()
        .await
        .into_iter()
        .filter(|item| {
            item.get("pk").and_then(|v| v.as_s().ok())
                == Some(&TableLayout::identity_pk(&made.identity))
        })
        .collect();
    assert_eq!(left.len(), 1, "the tombstone alone: {left:?}");
    assert!(
        stack
            .item(TableLayout::api_key_key(&made.api_key.hash()))
            .await
            .is_none()
    );
}
