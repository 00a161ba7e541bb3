//! Platform keys through the handler: an organisation's identities made, listed, read,
//! rescoped, rotated and deleted, and every refusal (wrong kind of key, another
//! organisation's identity, a scope beyond the key's own, a scope credvault does not serve).

use credvault::crypto::LocalKeyProvider;
use credvault::store::MemoryStore;
use credvault::testing::*;
use serde_json::{Value, json};

pub(super) const IDENTITIES: &str = "/v0/platform/identities";

pub(super) type Client<'v> = TestClient<'v, MemoryStore, LocalKeyProvider>;

pub(super) async fn create(client: &Client<'_>, body: Value) -> Answer {
    client.request("POST", IDENTITIES, Some(&body)).await
}

pub(super) fn platform(vault: &MemoryVault) -> Client<'_> {
    TestClient::new(vault).with_key(PLATFORM_KEY)
}

pub(super) fn text(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {value}"))
        .to_owned()
}

#[tokio::test]
async fn given_a_platform_key_when_it_makes_an_identity_then_the_new_key_opens_that_vault_only() {
    let vault = memory_vault();
    let made = create(
        &platform(&vault),
        json!({"name": "researcher", "scopes": ["vault:read", "vault:write"]}),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let body = &made.json;
    let (id, raw_key) = (text(body, "identityId"), text(body, "rawKey"));
    assert!(
        id.starts_with("idt_") && raw_key.starts_with("mgnt-") && raw_key.len() == 69,
        "{body}"
    );
    assert_eq!(text(body, "apiKeyPrefix"), raw_key[..13]);
    assert_eq!(
        (body["name"].clone(), body["scopes"].clone()),
        (json!("researcher"), json!(["vault:read", "vault:write"]))
    );
    assert_eq!(
        (body["emailAddress"].clone(), body["purpose"].clone()),
        (Value::Null, json!("BUYER"))
    );

    let agent = TestClient::new(&vault).with_key(&raw_key);
    let stored = agent
        .put(
            "stripe",
            &json!({"type": "API_KEY", "data": {"key": "sk_live_abc123"}}),
        )
        .await;
    assert_eq!(stored.status, 200, "{}", stored.text);
    let whoami = agent.request("GET", "/v0/whoami", None).await;
    assert_eq!(text(&whoami.json, "identityId"), id);
    // Its vault is its own: the fixture identity sees nothing of it.
    let theirs = writer(&vault)
        .request("GET", "/v0/vault/stripe", None)
        .await;
    assert_envelope(&theirs, 404, "not_found");
    // And the platform key, which made it, opens no vault at all.
    let refused = platform(&vault).request("GET", "/v0/vault", None).await;
    assert_envelope(&refused, 403, "forbidden");
    assert!(
        refused.json["message"]
            .as_str()
            .is_some_and(|m| m.contains("identity key")),
        "{}",
        refused.text
    );
}

#[tokio::test]
async fn a_rotation_stops_the_old_key_and_a_rescope_binds_the_current_one() {
    let vault = memory_vault();
    let made = create(&platform(&vault), json!({"name": "worker"})).await;
    let (id, old_key) = (text(&made.json, "identityId"), text(&made.json, "rawKey"));

    let rotated = platform(&vault)
        .request("POST", &format!("{IDENTITIES}/{id}/rotate-key"), None)
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let new_key = text(&rotated.json, "rawKey");
    assert_eq!(
        rotated.json.as_object().map(|o| o.len()),
        Some(2),
        "{}",
        rotated.text
    );
    assert_eq!(text(&rotated.json, "apiKeyPrefix"), new_key[..13]);
    let old = TestClient::new(&vault)
        .request_as(&old_key, "GET", "/v0/vault")
        .await;
    assert_envelope(&old, 401, "unauthorized");
    let agent = TestClient::new(&vault).with_key(&new_key);
    assert_eq!(agent.request("GET", "/v0/vault", None).await.status, 200);
    let detail = platform(&vault)
        .request("GET", &format!("{IDENTITIES}/{id}"), None)
        .await;
    assert_eq!(text(&detail.json, "apiKeyPrefix"), new_key[..13]);

    let narrowed = platform(&vault)
        .request(
            "PATCH",
            &format!("{IDENTITIES}/{id}"),
            Some(&json!({"removeScopes": ["vault:write"], "name": "reader"})),
        )
        .await;
    assert_eq!(narrowed.status, 200, "{}", narrowed.text);
    assert_eq!(
        narrowed.json,
        json!({"identityId": id, "name": "reader", "scopes": ["vault:read"]})
    );
    let write = agent
        .put("x", &json!({"type": "API_KEY", "data": {"key": "k"}}))
        .await;
    assert_envelope(&write, 403, "forbidden");
    assert_eq!(
        agent.request("GET", "/v0/vault", None).await.status,
        200,
        "still reads"
    );
}

#[tokio::test]
async fn a_deleted_identity_is_gone_with_its_keys_and_credentials() {
    let vault = memory_vault();
    let made = create(&platform(&vault), json!({})).await;
    let (id, key) = (text(&made.json, "identityId"), text(&made.json, "rawKey"));
    let agent = TestClient::new(&vault).with_key(&key);
    agent
        .put(
            "github",
            &json!({"type": "LOGIN", "data": {"password": "s3cret!"}}),
        )
        .await;
    let credentials = vault.store_port().len();

    let deleted = platform(&vault)
        .request("DELETE", &format!("{IDENTITIES}/{id}"), None)
        .await;
    assert_eq!((deleted.status.as_u16(), deleted.text.as_str()), (204, ""));
    assert_envelope(
        &agent.request("GET", "/v0/vault", None).await,
        401,
        "unauthorized",
    );
    assert_eq!(
        vault.store_port().len(),
        credentials - 1,
        "its credential went"
    );
    assert_envelope(
        &platform(&vault)
            .request("GET", &format!("{IDENTITIES}/{id}"), None)
            .await,
        404,
        "not_found",
    );
    assert_envelope(
        &platform(&vault)
            .request("DELETE", &format!("{IDENTITIES}/{id}"), None)
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn platform_calls_are_recorded_for_the_organisation_and_the_identity() {
    let vault = memory_vault();
    let made = create(&platform(&vault), json!({"name": "logged"})).await;
    let id = text(&made.json, "identityId");
    let path = format!("{IDENTITIES}/{id}");
    let rotated = platform(&vault)
        .request("POST", &format!("{path}/rotate-key"), None)
        .await;
    let key = text(&rotated.json, "rawKey");
    platform(&vault).request("GET", &path, None).await;
    let actions = |answer: &Answer| -> Vec<(String, String, u64)> {
        let mut entries: Vec<_> = answer.json["logs"]
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["category"] == "identity")
            .map(|e| {
                (
                    text(e, "action"),
                    text(e, "targetType"),
                    e["metadata"]["httpStatus"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        entries.sort();
        entries
    };
    let expected: Vec<(String, String, u64)> = [
        ("identities_create", 201),
        ("identities_get", 200),
        ("identities_rotate_key", 200),
    ]
    .iter()
    .map(|(action, status)| (action.to_string(), "identity".to_owned(), *status))
    .collect();
    let org_log = platform(&vault).request("GET", "/v0/logs", None).await;
    assert_eq!(actions(&org_log), expected, "{}", org_log.text);
    // The identity's own log has the same entries: it can see who changed it.
    let own = TestClient::new(&vault)
        .request_as(&key, "GET", "/v0/logs")
        .await;
    assert_eq!(actions(&own), expected, "{}", own.text);
    for log in [&org_log, &own] {
        assert!(
            !log.text.contains(&key[5..]) && !log.text.contains(&text(&made.json, "rawKey")[5..]),
            "no key in a log"
        );
    }
    // Another organisation's log has none of it.
    let other = TestClient::new(&vault)
        .request_as(OTHER_PLATFORM_KEY, "GET", "/v0/logs")
        .await;
    assert_eq!(other.json["count"], 0, "{}", other.text);
}
