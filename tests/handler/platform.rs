//! Platform keys through the handler: an organisation's identities made, listed, read,
//! rescoped, rotated and deleted, and every refusal (wrong kind of key, another
//! organisation's identity, a scope beyond the key's own, a scope credvault does not serve).

use credvault::crypto::LocalKeyProvider;
use credvault::store::MemoryStore;
use credvault::testing::*;
use serde_json::{Value, json};

const IDENTITIES: &str = "/v0/platform/identities";

type Client<'v> = TestClient<'v, MemoryStore, LocalKeyProvider>;

async fn create(client: &Client<'_>, body: Value) -> Answer {
    client.request("POST", IDENTITIES, Some(&body)).await
}

fn platform(vault: &MemoryVault) -> Client<'_> {
    TestClient::new(vault).with_key(PLATFORM_KEY)
}

fn text(value: &Value, field: &str) -> String {
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
async fn an_identity_key_cannot_manage_identities() {
    let vault = memory_vault();
    let before = vault.store_port().live_identities();
    for (method, path) in [
        ("GET", IDENTITIES.to_owned()),
        ("POST", IDENTITIES.to_owned()),
        ("DELETE", format!("{IDENTITIES}/idt_fixture")),
    ] {
        let refused = writer(&vault)
            .request(method, &path, Some(&json!({})))
            .await;
        assert_envelope(&refused, 403, "forbidden");
        assert!(
            refused.json["message"]
                .as_str()
                .is_some_and(|m| m.contains("platform key")),
            "{}",
            refused.text
        );
    }
    assert_eq!(
        vault.store_port().live_identities(),
        before,
        "nothing made or deleted"
    );
}

#[tokio::test]
async fn another_organisations_identity_is_not_found_and_not_listed() {
    let vault = memory_vault();
    let own = platform(&vault)
        .request("GET", &format!("{IDENTITIES}/idt_fixture"), None)
        .await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(text(&own.json, "identityId"), "idt_fixture");
    let other = TestClient::new(&vault).with_key(OTHER_PLATFORM_KEY);
    for method in ["GET", "PATCH", "DELETE"] {
        let hidden = other
            .request(
                method,
                &format!("{IDENTITIES}/idt_fixture"),
                Some(&json!({"name": "x"})),
            )
            .await;
        assert_envelope(&hidden, 404, "not_found");
    }
    let rotate = other
        .request(
            "POST",
            &format!("{IDENTITIES}/idt_fixture/rotate-key"),
            None,
        )
        .await;
    assert_envelope(&rotate, 404, "not_found");
    let listed = other.request("GET", IDENTITIES, None).await;
    let ids: Vec<String> = listed.json["identities"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|i| text(i, "identityId"))
        .collect();
    assert_eq!(ids, ["idt_other"], "{}", listed.text);
    // The fixture identity's key still works: nothing was changed by the refusals.
    let read = writer(&vault).request("GET", "/v0/vault", None).await;
    assert_eq!(read.status, 200);
    // An id that cannot exist is not found too.
    let malformed = platform(&vault)
        .request("GET", &format!("{IDENTITIES}/not-an-id"), None)
        .await;
    assert_envelope(&malformed, 404, "not_found");
}

#[tokio::test]
async fn a_platform_key_gives_no_scope_it_does_not_hold() {
    let vault = memory_vault();
    let reader = TestClient::new(&vault).with_key(PLATFORM_READ_KEY);
    let before = vault.store_port().live_identities();
    let refused = create(&reader, json!({"scopes": ["vault:read", "vault:write"]})).await;
    assert_envelope(&refused, 403, "forbidden");
    assert!(refused.text.contains("vault:write"), "{}", refused.text);
    assert_eq!(vault.store_port().live_identities(), before);

    // Left out, the scopes are the key's own.
    let made = create(&reader, json!({})).await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.json["scopes"], json!(["vault:read"]));
    assert!(!text(&made.json, "name").is_empty(), "a generated name");
    let id = text(&made.json, "identityId");
    let widen = reader
        .request(
            "PATCH",
            &format!("{IDENTITIES}/{id}"),
            Some(&json!({"addScopes": ["vault:write"]})),
        )
        .await;
    assert_envelope(&widen, 403, "forbidden");
    let after = reader
        .request("GET", &format!("{IDENTITIES}/{id}"), None)
        .await;
    assert_eq!(after.json["scopes"], json!(["vault:read"]), "unchanged");
}

#[tokio::test]
async fn scopes_credvault_does_not_serve_are_named_and_unknown_ones_are_not_echoed() {
    let vault = memory_vault();
    let before = vault.store_port().live_identities();
    let hosted = create(&platform(&vault), json!({"scopes": ["mail:send"]})).await;
    assert_envelope(&hosted, 400, "bad_request");
    assert!(
        hosted.text.contains("mail:send") && hosted.text.contains("vault:read"),
        "{}",
        hosted.text
    );
    let unknown = create(&platform(&vault), json!({"scopes": ["sk_live_abc123"]})).await;
    assert_envelope(&unknown, 400, "bad_request");
    assert!(!unknown.text.contains("sk_live"), "{}", unknown.text);
    for bad in [
        json!({"nickname": "x"}),
        json!({"name": ""}),
        json!({"name": "x".repeat(129)}),
        json!({"scopes": "vault:read"}),
        json!({"purpose": "SELLER"}),
    ] {
        let refused = create(&platform(&vault), bad.clone()).await;
        assert_envelope(&refused, 400, "bad_request");
    }
    let twice = platform(&vault)
        .send(api_event(
            "POST",
            IDENTITIES,
            Some(PLATFORM_KEY),
            Some(r#"{"scopes":["vault:read"],"scopes":["vault:write"]}"#),
        ))
        .await;
    assert_envelope(&twice, 400, "bad_request");
    let not_json = platform(&vault)
        .send(api_event("POST", IDENTITIES, Some(PLATFORM_KEY), Some("{")))
        .await;
    assert_envelope(&not_json, 400, "bad_request");
    assert_eq!(vault.store_port().live_identities(), before, "nothing made");
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
async fn identities_come_in_pages_with_a_token_and_bad_pages_are_refused() {
    let vault = memory_vault();
    for name in ["one", "two", "three"] {
        assert_eq!(
            create(&platform(&vault), json!({"name": name}))
                .await
                .status,
            201
        );
    }
    // Four in the organisation: the fixture identity and three new ones.
    let first = platform(&vault)
        .request("GET", &format!("{IDENTITIES}?limit=3"), None)
        .await;
    assert_eq!(first.json["count"], 3, "{}", first.text);
    let token = text(&first.json, "nextPageToken");
    let rest = platform(&vault)
        .request(
            "GET",
            &format!("{IDENTITIES}?limit=3&pageToken={token}"),
            None,
        )
        .await;
    assert_eq!(rest.json["count"], 1, "{}", rest.text);
    assert!(
        rest.json.get("nextPageToken").is_none(),
        "the end: {}",
        rest.text
    );
    let mut seen: Vec<String> = [&first, &rest]
        .iter()
        .flat_map(|page| {
            page.json["identities"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|i| text(&i, "identityId"))
        .collect();
    seen.dedup();
    assert_eq!(seen.len(), 4);
    for entry in first.json["identities"].as_array().expect("a list") {
        assert!(
            entry.get("rawKey").is_none() && entry.get("apiKeyPrefix").is_none(),
            "{entry}"
        );
        assert_eq!(
            entry["usageCount"].as_u64().map(|_| ()),
            Some(()),
            "{entry}"
        );
    }
    for query in [
        "limit=0",
        "limit=101",
        "limit=x",
        "pageToken=!!",
        "color=red",
    ] {
        let refused = platform(&vault)
            .request("GET", &format!("{IDENTITIES}?{query}"), None)
            .await;
        assert_envelope(&refused, 400, "bad_request");
    }
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
