//! An identity's keys as its organisation's platform key manages them: a key limited to the
//! names, uses and time it needs, listed without the key, revoked by its id; and a platform
//! key limited by grants hands out no more than it holds.

use crate::platform::{IDENTITIES, platform, text};
use credvault::auth::{ApiKey, Principal};
use credvault::domain::{KeyLimits, Scope, Subject};
use credvault::testing::*;
use serde_json::{Value, json};

fn keys_path() -> String {
    format!("{IDENTITIES}/idt_fixture/keys")
}

async fn stock(vault: &MemoryVault) {
    let totp = json!({"type": "TOTP", "data": {"secret": "JBSWY3DPEHPK3PXP"}});
    let api = json!({"type": "API_KEY", "data": {"key": "sk_live_abc123"}});
    assert_eq!(writer(vault).put("github-2fa", &totp).await.status, 200);
    assert_eq!(writer(vault).put("stripe", &api).await.status, 200);
}

#[tokio::test]
async fn a_key_for_one_credential_for_one_day_does_that_and_nothing_else() {
    let vault = memory_vault();
    stock(&vault).await;
    let limits = json!({"grants": [{"names": ["github-2fa"], "allow": ["use"]}], "notAfter": "2099-01-01", "maxUses": 10});
    let added = platform(&vault)
        .request("POST", &keys_path(), Some(&limits))
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let raw = text(&added.json, "rawKey");
    assert!(raw.starts_with("mgnt-") && text(&added.json, "apiKeyPrefix") == raw[..13]);
    assert_eq!(
        added.json["grants"],
        json!([{"names": ["github-2fa"], "allow": ["use"]}])
    );
    assert_eq!(
        (
            added.json["notAfter"].clone(),
            added.json["maxUses"].clone()
        ),
        (json!("2099-01-01T00:00:00Z"), json!(10))
    );
    assert_eq!(
        added.json["scopes"],
        json!(["vault:read", "vault:write"]),
        "the identity's"
    );
    let agent = TestClient::new(&vault).with_key(&raw);
    assert_eq!(
        agent
            .request("GET", "/v0/vault/github-2fa/totp", None)
            .await
            .status,
        200
    );
    assert_envelope(
        &agent.request("GET", "/v0/vault/github-2fa", None).await,
        403,
        "forbidden",
    );
    assert_envelope(
        &agent.request("GET", "/v0/vault/stripe", None).await,
        404,
        "not_found",
    );

    // Listed without the key, then revoked by its id.
    let listed = platform(&vault).request("GET", &keys_path(), None).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert!(!listed.text.contains(&raw[5..]), "never the key");
    let key_id = text(&added.json, "keyId");
    let mine: Vec<&Value> = listed.json["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter(|k| k["keyId"] == json!(key_id))
        .collect();
    assert_eq!(mine.len(), 1, "{}", listed.text);
    assert_eq!(mine[0]["maxUses"], 10);
    let revoked = platform(&vault)
        .request("DELETE", &format!("{}/{key_id}", keys_path()), None)
        .await;
    assert_eq!((revoked.status.as_u16(), revoked.text.as_str()), (204, ""));
    assert_envelope(
        &agent
            .request("GET", "/v0/vault/github-2fa/totp", None)
            .await,
        401,
        "unauthorized",
    );
    let again = platform(&vault)
        .request("DELETE", &format!("{}/{key_id}", keys_path()), None)
        .await;
    assert_envelope(&again, 404, "not_found");
    assert_eq!(again.json["message"], "Key not found");
}

#[tokio::test]
async fn a_key_holds_no_scope_its_identity_or_the_platform_key_lacks() {
    let vault = memory_vault();
    let made = platform(&vault)
        .request("POST", IDENTITIES, Some(&json!({"scopes": ["vault:read"]})))
        .await;
    let id = text(&made.json, "identityId");
    let path = format!("{IDENTITIES}/{id}/keys");
    let wider = platform(&vault)
        .request("POST", &path, Some(&json!({"scopes": ["vault:write"]})))
        .await;
    assert_envelope(&wider, 403, "forbidden");
    for bad in [
        json!({"grants": [{"names": ["a"]}]}),
        json!({"maxUses": 0}),
        json!({"colour": "red"}),
    ] {
        assert_envelope(
            &platform(&vault).request("POST", &path, Some(&bad)).await,
            400,
            "bad_request",
        );
    }
    let other = TestClient::new(&vault).with_key(OTHER_PLATFORM_KEY);
    assert_envelope(
        &other.request("POST", &keys_path(), Some(&json!({}))).await,
        404,
        "not_found",
    );
    assert_envelope(
        &other.request("GET", &keys_path(), None).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn a_platform_key_limited_by_grants_hands_out_no_more_than_it_holds() {
    let vault = memory_vault();
    stock(&vault).await;
    let limited = "mgpk-c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9c9";
    let mut body = json!({"grants": [{"names": ["github*"], "allow": ["read", "use"]}, {"names": ["github-prod"], "deny": true}]})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let principal = Principal {
        subject: Subject::Org(fixture_org()),
        scopes: Scope::ALL.to_vec(),
        limits: KeyLimits::take_from(&mut body).expect("valid"),
    };
    vault.store_port().insert_key(
        ApiKey::parse(limited).unwrap().hash(),
        principal,
        &fixture_org(),
    );
    let orchestrator = TestClient::new(&vault).with_key(limited);
    let wider = json!({"grants": [{"names": ["*"], "allow": ["read"]}]});
    assert_envelope(
        &orchestrator
            .request("POST", &keys_path(), Some(&wider))
            .await,
        403,
        "forbidden",
    );
    let writes = json!({"grants": [{"names": ["github-2fa"], "allow": ["write"]}]});
    assert_envelope(
        &orchestrator
            .request("POST", &keys_path(), Some(&writes))
            .await,
        403,
        "forbidden",
    );
    // Asking for nothing gets the platform key's own grants, its denial included.
    let plain = orchestrator
        .request("POST", &keys_path(), Some(&json!({})))
        .await;
    assert_eq!(plain.status, 201, "{}", plain.text);
    assert_eq!(
        plain.json["grants"].as_array().map(Vec::len),
        Some(2),
        "{}",
        plain.text
    );
    let agent = TestClient::new(&vault).with_key(&text(&plain.json, "rawKey"));
    assert_eq!(
        agent
            .request("GET", "/v0/vault/github-2fa", None)
            .await
            .status,
        200
    );
    assert_envelope(
        &agent.request("GET", "/v0/vault/stripe", None).await,
        404,
        "not_found",
    );
    // And a new identity's first key is held to the same.
    let made = orchestrator
        .request(
            "POST",
            IDENTITIES,
            Some(&json!({"grants": [{"names": ["github*"], "allow": ["use"]}]})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let first = TestClient::new(&vault).with_key(&text(&made.json, "rawKey"));
    assert_eq!(
        first.request("GET", "/v0/whoami", None).await.json["grants"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn a_limited_platform_key_cannot_widen_a_key_it_could_not_have_made() {
    let vault = memory_vault();
    let limited = "mgpk-d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1";
    let mut body = json!({"grants": [{"names": ["github*"], "allow": ["read", "use", "write"]}]})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let principal = Principal {
        subject: Subject::Org(fixture_org()),
        scopes: Scope::ALL.to_vec(),
        limits: KeyLimits::take_from(&mut body).expect("valid"),
    };
    vault.store_port().insert_key(
        ApiKey::parse(limited).unwrap().hash(),
        principal,
        &fixture_org(),
    );
    let orchestrator = TestClient::new(&vault).with_key(limited);
    // The fixture identity's primary key has no grants: this platform key could never have
    // made it, so it may narrow it but not widen it.
    let path = format!("{IDENTITIES}/idt_fixture");
    let narrowed = orchestrator
        .request(
            "PATCH",
            &path,
            Some(&json!({"removeScopes": ["vault:write"]})),
        )
        .await;
    assert_eq!(narrowed.status, 200, "{}", narrowed.text);
    let widened = orchestrator
        .request("PATCH", &path, Some(&json!({"addScopes": ["vault:write"]})))
        .await;
    assert_envelope(&widened, 403, "forbidden");
    assert_envelope(
        &writer(&vault)
            .put("x", &json!({"type": "API_KEY", "data": {"key": "k"}}))
            .await,
        403,
        "forbidden",
    );
    // Too many grants once its denials are added is refused, not stored broken.
    let many: Vec<Value> = (0..32)
        .map(|i| json!({"names": [format!("github-{i}")], "allow": ["use"]}))
        .collect();
    let deny_parent = "mgpk-d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2";
    let mut body = json!({"grants": [{"names": ["github*"], "allow": ["use"]}, {"names": ["github-prod"], "deny": true}]})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let principal = Principal {
        subject: Subject::Org(fixture_org()),
        scopes: Scope::ALL.to_vec(),
        limits: KeyLimits::take_from(&mut body).expect("valid"),
    };
    vault.store_port().insert_key(
        ApiKey::parse(deny_parent).unwrap().hash(),
        principal,
        &fixture_org(),
    );
    let too_many = TestClient::new(&vault)
        .with_key(deny_parent)
        .request("POST", &keys_path(), Some(&json!({"grants": many})))
        .await;
    assert_envelope(&too_many, 403, "forbidden");
}
