//! What a platform key may not do, through the handler: the wrong kind of key, another\norganisation's identity, a scope beyond its own, a scope credvault does not serve, bad pages.

use crate::platform::{IDENTITIES, create, platform, text};
use credvault::testing::*;
use serde_json::json;

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
    // Nothing was changed by the refusals: the name stands and the key still works.
    let after = platform(&vault)
        .request("GET", &format!("{IDENTITIES}/idt_fixture"), None)
        .await;
    assert_eq!(after.json["name"], own.json["name"]);
    let read = writer(&vault).request("GET", "/v0/vault", None).await;
    assert_eq!(read.status, 200);
    // Another's identity reads exactly as one that does not exist, or cannot.
    let hidden = other
        .request("GET", &format!("{IDENTITIES}/idt_fixture"), None)
        .await;
    for missing in ["idt_nobody", "not-an-id"] {
        let answer = other
            .request("GET", &format!("{IDENTITIES}/{missing}"), None)
            .await;
        assert_eq!((answer.status, &answer.text), (hidden.status, &hidden.text));
    }
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
