//! What a rescope or a rotation does to an identity's keys, through the handler: the primary
//! key gains what is added, every key loses what is removed, no other key gains anything,
//! and a platform key never hands out more than it holds, even by rotating.

use crate::platform::{IDENTITIES, platform, text};
use credvault::store::IdentityDirectory;
use credvault::testing::*;
use serde_json::json;

/// The fixture identity: its primary key is WRITE_KEY (both scopes); READ_KEY and
/// WRITE_ONLY_KEY are its other keys.
fn fixture_path() -> String {
    format!("{IDENTITIES}/idt_fixture")
}

async fn status_as(vault: &MemoryVault, key: &str, method: &str, path: &str) -> u16 {
    let client = TestClient::new(vault).with_key(key);
    let body = json!({"type": "API_KEY", "data": {"key": "k"}});
    let body = (method == "PUT").then_some(&body);
    client.request(method, path, body).await.status.as_u16()
}

#[tokio::test]
async fn a_rename_or_an_added_scope_widens_no_key_but_the_primary_one() {
    let vault = memory_vault();
    let renamed = platform(&vault)
        .request("PATCH", &fixture_path(), Some(&json!({"name": "renamed"})))
        .await;
    assert_eq!(renamed.json["name"], "renamed", "{}", renamed.text);
    // The read-only key is still read-only, the write-only key still write-only.
    assert_eq!(status_as(&vault, READ_KEY, "PUT", "/v0/vault/x").await, 403);
    assert_eq!(
        status_as(&vault, WRITE_ONLY_KEY, "GET", "/v0/vault").await,
        403
    );
    // Removing then adding vault:write: the primary key gets it back, the others do not.
    let path = fixture_path();
    let removed = platform(&vault)
        .request(
            "PATCH",
            &path,
            Some(&json!({"removeScopes": ["vault:write"]})),
        )
        .await;
    assert_eq!(
        removed.json["scopes"],
        json!(["vault:read"]),
        "{}",
        removed.text
    );
    assert_eq!(
        status_as(&vault, WRITE_KEY, "PUT", "/v0/vault/x").await,
        403
    );
    assert_eq!(
        status_as(&vault, WRITE_ONLY_KEY, "PUT", "/v0/vault/x").await,
        403,
        "it lost its one scope"
    );
    let added = platform(&vault)
        .request("PATCH", &path, Some(&json!({"addScopes": ["vault:write"]})))
        .await;
    assert_eq!(added.json["scopes"], json!(["vault:read", "vault:write"]));
    assert_eq!(
        status_as(&vault, WRITE_KEY, "PUT", "/v0/vault/x").await,
        200
    );
    assert_eq!(
        status_as(&vault, READ_KEY, "PUT", "/v0/vault/x").await,
        403,
        "never gains"
    );
    assert_eq!(
        status_as(&vault, WRITE_ONLY_KEY, "PUT", "/v0/vault/x").await,
        403,
        "never gains"
    );
}

#[tokio::test]
async fn an_empty_change_changes_nothing_and_answers_the_identity_as_it_is() {
    let vault = memory_vault();
    for body in [json!({}), json!({"name": null, "addScopes": null})] {
        let answer = platform(&vault)
            .request("PATCH", &fixture_path(), Some(&body))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(
            answer.json,
            json!({"identityId": "idt_fixture", "name": "idt_fixture", "scopes": ["vault:read", "vault:write"]})
        );
    }
    assert_eq!(status_as(&vault, READ_KEY, "GET", "/v0/vault").await, 200);
    assert_eq!(
        status_as(&vault, WRITE_KEY, "PUT", "/v0/vault/x").await,
        200
    );
    // Nothing was written: the identity is at the revision it started at, until a change.
    let revision = || async {
        let store = vault.store_port();
        let record = store.identity_in(&fixture_org(), &fixture_identity()).await;
        record.unwrap().expect("live").revision
    };
    assert_eq!(revision().await, 0);
    let renamed = json!({"name": "renamed"});
    platform(&vault)
        .request("PATCH", &fixture_path(), Some(&renamed))
        .await;
    assert_eq!(revision().await, 1);
}

#[tokio::test]
async fn a_narrow_platform_key_cannot_rotate_a_wider_identity() {
    let vault = memory_vault();
    let reader = TestClient::new(&vault).with_key(PLATFORM_READ_KEY);
    let refused = reader
        .request("POST", &format!("{}/rotate-key", fixture_path()), None)
        .await;
    assert_envelope(&refused, 403, "forbidden");
    assert!(
        refused.text.contains("vault:write") && !refused.text.contains("mgnt-"),
        "{}",
        refused.text
    );
    assert_eq!(
        status_as(&vault, WRITE_KEY, "PUT", "/v0/vault/x").await,
        200,
        "the key stands"
    );
    // A platform key holding both may.
    let rotated = platform(&vault)
        .request("POST", &format!("{}/rotate-key", fixture_path()), None)
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_eq!(
        status_as(&vault, WRITE_KEY, "GET", "/v0/vault").await,
        401,
        "the old primary"
    );
    assert_eq!(
        status_as(&vault, READ_KEY, "GET", "/v0/vault").await,
        200,
        "not the primary"
    );
    let new_key = text(&rotated.json, "rawKey");
    assert_eq!(status_as(&vault, &new_key, "PUT", "/v0/vault/x").await, 200);
}

#[tokio::test]
async fn a_refusal_before_the_count_is_counted_with_its_record() {
    // One request a minute: a ceiling refusal spends it, so the next request is 429.
    let vault = memory_vault().with_rate_limit(Some(1));
    let reader = TestClient::new(&vault).with_key(PLATFORM_READ_KEY);
    let refused = reader
        .request(
            "POST",
            IDENTITIES,
            Some(&json!({"scopes": ["vault:write"]})),
        )
        .await;
    assert_envelope(&refused, 403, "forbidden");
    let next = reader.request("GET", IDENTITIES, None).await;
    assert_envelope(&next, 429, "rate_limited");
    // And an id that cannot exist, refused while its path is read, likewise.
    let vault = memory_vault().with_rate_limit(Some(1));
    let client = platform(&vault);
    let missing = client
        .request("GET", &format!("{IDENTITIES}/NOT-AN-ID"), None)
        .await;
    assert_envelope(&missing, 404, "not_found");
    assert_envelope(
        &client.request("GET", IDENTITIES, None).await,
        429,
        "rate_limited",
    );
}
