//! The rate limit and lastUsedAt's minute through the handler: what polling costs.

use credvault::domain::Timestamp;
use credvault::testing::*;
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn each_identity_gets_its_own_requests_per_minute_then_429() {
    // GIVEN a limit of 3 requests a minute, 10 s into a minute that does not end mid-test
    let clock = Arc::new(ManualClock::at(
        Timestamp::parse("2026-03-29T03:00:10Z").unwrap(),
    ));
    let vault = memory_vault()
        .with_rate_limit(Some(3))
        .with_clock(clock.clone());
    // (failed authentication does not spend the budget)
    for _ in 0..5 {
        let stranger = "loid-".to_owned() + &"0".repeat(64);
        assert_eq!(
            TestClient::new(&vault)
                .request_as(&stranger, "GET", "/v0/vault")
                .await
                .status,
            401
        );
    }
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            TestClient::new(&vault)
                .request_as(READ_KEY, "GET", "/v0/vault")
                .await,
        );
    }
    // THEN three pass and the fourth is refused, with when to come back
    assert!(statuses[..3].iter().all(|a| a.status == 200));
    let limited = &statuses[3];
    assert_envelope(limited, 429, "rate_limited");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(retry, 50);
    // Keys of the same identity share the budget; another identity has its own.
    assert_eq!(
        TestClient::new(&vault)
            .request_as(WRITE_KEY, "GET", "/v0/vault")
            .await
            .status,
        429
    );
    assert_eq!(
        TestClient::new(&vault)
            .request_as(OTHER_IDENTITY_KEY, "GET", "/v0/vault")
            .await
            .status,
        200
    );
    // WHEN the next minute opens THEN the identity has its budget back
    clock.advance(50);
    assert_eq!(
        TestClient::new(&vault)
            .request_as(READ_KEY, "GET", "/v0/vault")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn last_used_at_is_kept_to_the_minute_so_polling_writes_less() {
    // GIVEN a credential read once at 12:00:00
    let clock = Arc::new(ManualClock::at(
        Timestamp::parse("2026-04-06T12:00:00Z").unwrap(),
    ));
    let vault = memory_vault().with_clock(clock.clone());
    let api = writer(&vault);
    let login = json!({"type": "LOGIN", "data": {"password": "p"}});
    assert_eq!(api.put("polled", &login).await.status, 200);
    let read = || async { api.request("GET", "/v0/vault/polled", None).await };
    assert_eq!(read().await.json["lastUsedAt"], "2026-04-06T12:00:00Z");
    // WHEN it is read again 59 s later, THEN the recorded use stands
    clock.advance(59);
    assert_eq!(read().await.json["lastUsedAt"], "2026-04-06T12:00:00Z");
    let listed = api.request("GET", "/v0/vault", None).await;
    assert_eq!(
        listed.json["credentials"][0]["lastUsedAt"],
        "2026-04-06T12:00:00Z"
    );
    // WHEN a minute has passed since it, THEN the read moves it
    clock.advance(1);
    assert_eq!(read().await.json["lastUsedAt"], "2026-04-06T12:01:00Z");
    // and every read is in the log, whether it moved lastUsedAt or not
    let logs = api.request("GET", "/v0/logs?action=vault_get", None).await;
    assert_eq!(
        logs.json["logs"].as_array().map(Vec::len),
        Some(3),
        "{}",
        logs.text
    );
}

#[tokio::test]
async fn a_store_refused_by_the_rate_limit_writes_nothing() {
    // GIVEN a limit of 2 requests a minute, both spent on stores
    let clock = Arc::new(ManualClock::at(
        Timestamp::parse("2026-03-29T03:00:10Z").unwrap(),
    ));
    let vault = memory_vault()
        .with_rate_limit(Some(2))
        .with_clock(clock.clone());
    let api = writer(&vault);
    let login = json!({"type": "LOGIN", "data": {"password": "p"}});
    for name in ["first", "second"] {
        assert_eq!(api.put(name, &login).await.status, 200);
    }
    // WHEN a third store comes within the minute (its data key already asked for)
    let refused = api.put("third", &login).await;
    // THEN it is refused, and once the minute is over nothing of it is there
    assert_envelope(&refused, 429, "rate_limited");
    clock.advance(60);
    let listed = api.request("GET", "/v0/vault", None).await;
    assert_eq!(listed.json["count"], 2, "{}", listed.text);
    assert_eq!(
        api.request("GET", "/v0/vault/third", None).await.status,
        404
    );
}
