//! whoami and the activity log through the handler, on the in-memory store: every
//! authenticated outcome is recorded, never a secret, and bad queries are the envelope's 400.

use credvault::domain::{Outcome, Timestamp};
use credvault::testing::*;
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn every_authenticated_outcome_is_recorded_and_no_secret_is() {
    // GIVEN a store, a failed read, a refused write and a stranger
    let vault = memory_vault();
    let secret = json!({"type": "LOGIN", "data": {"password": "s3cret!"}});
    assert_eq!(writer(&vault).put("github", &secret).await.status, 200);
    let reader = TestClient::new(&vault).with_key(READ_KEY);
    assert_eq!(
        reader.request("GET", "/v0/vault/nope", None).await.status,
        404
    );
    assert_eq!(reader.put("github", &secret).await.status, 403);
    let stranger = "loid-".to_owned() + &"0".repeat(64);
    let unknown = TestClient::new(&vault)
        .request_as(&stranger, "GET", "/v0/vault")
        .await;
    assert_eq!(unknown.status, 401);

    // THEN three entries, in order, each with its outcome; the 401 belongs to no identity
    let log = vault.store_port().activity();
    let seen: Vec<(&str, u16, Outcome)> = log
        .iter()
        .map(|e| (e.action.as_str(), e.http_status, e.outcome))
        .collect();
    assert_eq!(
        seen,
        [
            ("vault_store", 200, Outcome::Success),
            ("vault_get", 404, Outcome::Error),
            ("vault_store", 403, Outcome::Denied),
        ]
    );
    assert!(
        log[0]
            .credential_id
            .as_deref()
            .is_some_and(|id| id.starts_with("cred_"))
    );
    assert_eq!(log[2].category.as_str(), "auth");
    assert!(format!("{log:?}").contains("Missing required scope"));
    for secret in FIXTURE_SECRETS.iter().chain([&WRITE_KEY, &READ_KEY]) {
        assert!(!format!("{log:?}").contains(secret), "{secret}");
    }
}

#[tokio::test]
async fn whoami_names_the_identity_and_the_calling_keys_scopes() {
    let now = Timestamp::parse("2026-04-06T12:00:00Z").unwrap();
    let vault = memory_vault().with_clock(Arc::new(ManualClock::at(now)));
    let first = TestClient::new(&vault)
        .request_as(READ_KEY, "GET", "/v0/whoami")
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json["identityId"], "idt_fixture");
    assert_eq!(first.json["scopes"], json!(["vault:read"]));
    assert_eq!(
        (first.json["purpose"].as_str(), first.json["type"].as_str()),
        (Some("BUYER"), Some("AGENT"))
    );
    assert_eq!(
        (
            first.json["usageCount"].as_u64(),
            first.json["lastUsedAt"].as_str()
        ),
        (Some(0), None)
    );
    let second = writer(&vault).request("GET", "/v0/whoami", None).await;
    assert_eq!(second.json["scopes"], json!(["vault:read", "vault:write"]));
    assert_eq!(second.json["usageCount"], 1);
    assert_eq!(second.json["lastUsedAt"], "2026-04-06T12:00:00Z");
}

#[tokio::test]
async fn malformed_log_queries_are_400_and_recorded() {
    let vault = memory_vault();
    let api = writer(&vault);
    for query in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "status=maybe",
        "category=mail",
        "severity=info",
        "action=vault_steal",
        "pageToken=not-a-token",
        "colour=red",
        "status=error&status=success",
    ] {
        let answer = api.request("GET", &format!("/v0/logs?{query}"), None).await;
        assert_envelope(&answer, 400, "bad_request");
        // The message names the parameter, never the value sent.
        let sent = query.rsplit('=').next().unwrap_or_default();
        if sent.len() > 3 {
            assert!(!answer.text.contains(sent), "{query}: {}", answer.text);
        }
    }
    let refused = vault.store_port().activity();
    assert_eq!(refused.len(), 10);
    assert!(
        refused
            .iter()
            .all(|e| e.http_status == 400 && e.action.as_str() == "logs_list")
    );
    let stats = api.request("GET", "/v0/logs/stats", None).await;
    assert_eq!(
        (stats.json["total"].as_u64(), stats.json["errors"].as_u64()),
        (Some(10), Some(10))
    );
    assert_eq!(stats.json["byCategory"]["identity"], 10);
}
