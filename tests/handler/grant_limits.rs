//! A key's expiry, budget and log view, through the handler: what stops a key, what it spends,\nand what it may read of its identity's activity.

use crate::grants::{LIMITED, limited_key, stocked};
use credvault::testing::*;
use serde_json::json;

#[tokio::test]
async fn a_key_past_its_not_after_or_its_uses_stops_and_says_so() {
    let vault = stocked().await;
    let expired = "mgnt-e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6";
    limited_key(&vault, expired, json!({"notAfter": "2020-01-01"}));
    let answer = TestClient::new(&vault)
        .request_as(expired, "GET", "/v0/vault")
        .await;
    assert_envelope(&answer, 401, "unauthorized");
    assert_eq!(answer.json["message"], "This API key has expired");
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}});
    let session = TestClient::new(&vault)
        .with_key(expired)
        .mcp(&initialize)
        .await;
    assert_envelope(&session, 401, "unauthorized");
    let budget = "mgnt-f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7";
    limited_key(&vault, budget, json!({"maxUses": 2}));
    let client = TestClient::new(&vault).with_key(budget);
    // Only uses of a credential spend the budget: a listing or whoami does not.
    for path in [
        "/v0/vault",
        "/v0/whoami",
        "/v0/vault/github-2fa/totp",
        "/v0/vault/prod-web",
    ] {
        assert_eq!(
            client.request("GET", path, None).await.status,
            200,
            "{path}"
        );
    }
    let spent = client.request("GET", "/v0/vault/prod-web", None).await;
    assert_envelope(&spent, 401, "unauthorized");
    assert_eq!(spent.json["message"], "This API key has no uses left");
    let log = vault.store_port().activity();
    let descriptions: Vec<&str> = log.iter().map(|e| e.description.as_str()).collect();
    assert!(
        descriptions.iter().any(|d| d.contains("last allowed use")),
        "{descriptions:?}"
    );
    assert!(
        descriptions.iter().any(|d| d.contains("past its notAfter")),
        "{descriptions:?}"
    );
    assert!(
        descriptions.iter().any(|d| d.contains("maxUses are spent")),
        "{descriptions:?}"
    );
}

#[tokio::test]
async fn a_limited_key_reads_only_its_own_names_in_the_log() {
    let vault = stocked().await;
    writer(&vault)
        .request("GET", "/v0/vault/stripe", None)
        .await;
    writer(&vault)
        .request("GET", "/v0/vault/github", None)
        .await;
    let log = TestClient::new(&vault)
        .request_as(LIMITED, "GET", "/v0/logs?limit=100")
        .await;
    assert_eq!(log.status, 200, "{}", log.text);
    assert!(
        !log.text.contains("stripe") && !log.text.contains("prod-db"),
        "{}",
        log.text
    );
    assert!(log.text.contains("github"), "{}", log.text);
    let full = writer(&vault)
        .request("GET", "/v0/logs?limit=100", None)
        .await;
    assert!(
        full.text.contains("stripe"),
        "the identity's own key sees it all"
    );
}

#[tokio::test]
async fn an_expired_key_spends_none_of_its_identitys_rate_limit() {
    let vault = memory_vault().with_rate_limit(Some(1));
    let expired = "mgnt-e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6";
    limited_key(&vault, expired, json!({"notAfter": "2020-01-01"}));
    for _ in 0..3 {
        let refused = TestClient::new(&vault)
            .request_as(expired, "GET", "/v0/vault")
            .await;
        assert_envelope(&refused, 401, "unauthorized");
    }
    assert_eq!(
        writer(&vault)
            .request("GET", "/v0/vault", None)
            .await
            .status,
        200
    );
}
