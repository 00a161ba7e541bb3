//! What each endpoint costs in AWS calls, counted by an interceptor on the real SDK clients
//! against moto: how many calls, and how many of them the caller waits for one after
//! another. The activity log rides with writes the request makes anyway, and the rate
//! count runs beside the first read, so the log adds no round trip in sequence.

use crate::stack::Stack;
use credvault::crypto::KmsKeyProvider;
use credvault::testing::*;
use credvault::vault::Vault;
use serde_json::json;

/// (method, path, key: writer?, body, status, calls in all, calls in sequence, before)
/// `before`: the calls in sequence before the activity log (rate limit on); `None` where
/// the endpoint did not exist, and for a missing scope: that refusal made no AWS call after
/// the key lookup, so its entry is the one write that cannot ride on another (it runs
/// beside the rate count, which a refusal now also spends).
type Case = (
    &'static str,
    &'static str,
    bool,
    Option<serde_json::Value>,
    u16,
    usize,
    usize,
    Option<usize>,
);

fn cases() -> Vec<Case> {
    let login = json!({"type": "LOGIN", "data": {"password": "p"}});
    let totp =
        json!({"type": "TOTP", "data": {"secret": "JBSWY3DPEHPK3PXP", "backupCodes": ["a", "b"]}});
    vec![
        (
            "PUT",
            "/v0/vault/github",
            true,
            Some(login),
            200,
            5,
            3,
            Some(4),
        ),
        (
            "PUT",
            "/v0/vault/gh-2fa",
            true,
            Some(totp),
            200,
            5,
            3,
            Some(4),
        ),
        ("GET", "/v0/vault/github", true, None, 200, 7, 4, Some(5)),
        ("GET", "/v0/vault", true, None, 200, 5, 3, Some(3)),
        (
            "GET",
            "/v0/vault/gh-2fa/totp",
            true,
            None,
            200,
            7,
            4,
            Some(5),
        ),
        (
            "POST",
            "/v0/vault/gh-2fa/totp/backup",
            true,
            None,
            200,
            7,
            5,
            Some(6),
        ),
        ("DELETE", "/v0/vault/github", true, None, 204, 5, 3, Some(3)),
        ("GET", "/v0/vault/github", true, None, 404, 5, 3, Some(3)),
        (
            "PUT",
            "/v0/vault/x",
            false,
            Some(json!({"type": "LOGIN", "data": {"p": "x"}})),
            403,
            4,
            2,
            None,
        ),
        (
            "PUT",
            "/v0/vault/x",
            true,
            Some(json!({"type": "NOPE"})),
            400,
            4,
            2,
            Some(2),
        ),
        ("GET", "/v0/whoami", true, None, 200, 7, 3, None),
        ("GET", "/v0/logs", true, None, 200, 5, 3, None),
        ("GET", "/v0/logs/stats", true, None, 200, 5, 3, None),
    ]
}

#[tokio::test]
async fn each_endpoint_makes_the_calls_the_readme_states_and_the_log_adds_none_in_sequence() {
    let stack = Stack::start().await;
    // The rate limit on, as deployed.
    let vault = Vault::new(
        stack.store.clone(),
        KmsKeyProvider::new(stack.kms.clone(), crate::stack::KMS_ALIAS),
    )
    .with_rate_limit(Some(1000))
    .with_egress(std::sync::Arc::new(EchoEgress::default()));
    let writer = TestClient::new(&vault).with_key(stack.write_key.expose());
    let reader = TestClient::new(&vault).with_key(stack.read_key.expose());
    let mut table = Vec::new();
    for (method, path, as_writer, body, status, calls, depth, before) in cases() {
        stack.calls.clear();
        let client = if as_writer { &writer } else { &reader };
        let answer = client.request(method, path, body.as_ref()).await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "{method} {path}: {}",
            answer.text
        );
        let operations = stack.calls.operations();
        let got_depth = stack.calls.sequential_depth();
        table.push(format!(
            "{method} {path} {status}: {} calls, {got_depth} in sequence {operations:?}",
            operations.len()
        ));
        assert_eq!(
            (operations.len(), got_depth),
            (calls, depth),
            "{method} {path}: {operations:?}"
        );
        if let Some(before) = before {
            assert!(
                got_depth <= before,
                "{method} {path}: {got_depth} in sequence, {before} before the log"
            );
        }
    }
    println!("{}", table.join("\n"));

    // A tool call costs what its REST twin costs: the MCP edge adds no AWS call.
    let login = json!({"type": "LOGIN", "data": {"password": "p"}});
    assert_eq!(writer.put("mcp-login", &login).await.status, 200);
    for (tool, arguments, calls, depth) in [
        ("vault_get", json!({"name": "mcp-login"}), 7, 4),
        ("vault_list", json!({}), 5, 3),
        (
            "vault_store",
            json!({"name": "mcp-2", "type": "LOGIN", "data": {"password": "q"}}),
            5,
            3,
        ),
        ("identity_whoami", json!({}), 7, 3),
    ] {
        stack.calls.clear();
        let result = writer.call_tool(tool, arguments).await;
        assert_eq!(result["isError"], false, "{tool}: {result}");
        let operations = stack.calls.operations();
        assert_eq!(
            (operations.len(), stack.calls.sequential_depth()),
            (calls, depth),
            "{tool}: {operations:?}"
        );
    }
    // A brokered request costs what a read costs: the key, the item ‖ the rate count, KMS,
    // then the use's write; the upstream call is not an AWS call.
    let brokered = json!({"type": "API_KEY", "data": {"key": "sk_live_12345678"},
        "usePolicy": {"hosts": ["api.example.com"]}});
    let call = json!({"method": "GET", "url": "https://api.example.com/v1/x",
        "headers": {"Authorization": "Bearer {{data.key}}"}});
    let mut counted = Vec::new();
    for _ in 0..2 {
        // A read of the same credential in the same state (its last use over a minute old,
        // then within the minute), then the brokered request.
        assert_eq!(writer.put("brokered", &brokered).await.status, 200);
        stack.calls.clear();
        let read = writer.request("GET", "/v0/vault/brokered", None).await;
        assert_eq!(read.status, 200, "{}", read.text);
        let read_calls = (stack.calls.operations(), stack.calls.sequential_depth());
        assert_eq!(writer.put("brokered", &brokered).await.status, 200);
        stack.calls.clear();
        let answer = writer
            .request("POST", "/v0/vault/brokered/request", Some(&call))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let brokered_calls = (stack.calls.operations(), stack.calls.sequential_depth());
        assert_eq!(brokered_calls, read_calls);
        counted.push(brokered_calls);
    }
    println!("brokered request: {counted:?}");
    let mut arguments = call.clone();
    arguments["name"] = json!("brokered");
    assert_eq!(writer.put("brokered", &brokered).await.status, 200);
    stack.calls.clear();
    let result = writer.call_tool("vault_http", arguments).await;
    assert_eq!(result["isError"], false, "{result}");
    let operations = stack.calls.operations();
    assert_eq!(operations, counted[1].0, "the MCP edge adds no AWS call");
    // Any other message is counted and recorded: key, rate count, then entry ‖ counters.
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}});
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    for message in [initialize, list] {
        stack.calls.clear();
        assert_eq!(writer.mcp(&message).await.status, 200);
        let operations = stack.calls.operations();
        assert_eq!(
            (operations.len(), stack.calls.sequential_depth()),
            (4, 3),
            "{message}: {operations:?}"
        );
    }
}

#[tokio::test]
async fn a_warm_read_skips_the_key_lookup_and_kms_and_a_warm_store_is_two_in_sequence() {
    let stack = Stack::start().await;
    // The function as deployed: its caches on (their defaults), and a rate limit.
    let config = crate::stack::config(&[
        ("RATE_LIMIT_PER_MINUTE", "1000"),
        ("PRINCIPAL_CACHE_SECONDS", "30"),
        ("DATA_KEY_CACHE_SECONDS", "300"),
    ]);
    let vault = credvault::startup::build(&config, stack.clients())
        .await
        .unwrap()
        .vault;
    let writer = TestClient::new(&vault).with_key(stack.write_key.expose());
    let login = json!({"type": "LOGIN", "data": {"password": "p"}});
    assert_eq!(writer.put("polled", &login).await.status, 200);
    // The first read unwraps the data key; the polls after it reuse it and the principal.
    // The first read also sets lastUsedAt; the polls within the minute after it do not.
    for (round, calls, depth) in [(1, 6, 3), (2, 4, 2), (3, 4, 2)] {
        stack.calls.clear();
        let answer = writer.request("GET", "/v0/vault/polled", None).await;
        assert_eq!(answer.json["data"]["password"], "p");
        let operations = stack.calls.operations();
        assert_eq!(
            (operations.len(), stack.calls.sequential_depth()),
            (calls, depth),
            "read {round}: {operations:?}"
        );
        assert!(
            operations.iter().all(|o| o != "KMS.Decrypt") || round == 1,
            "{operations:?}"
        );
    }
    // A warm store: rate count ‖ GenerateDataKey, then the transaction ‖ the day's counters.
    stack.calls.clear();
    assert_eq!(writer.put("polled", &login).await.status, 200);
    let operations = stack.calls.operations();
    assert_eq!(
        (operations.len(), stack.calls.sequential_depth()),
        (4, 2),
        "warm store: {operations:?}"
    );
}

#[tokio::test]
async fn an_identity_found_over_the_limit_is_refused_without_a_count_a_data_key_or_rmcp() {
    // GIVEN a limit of one request a minute, on a clock that stands still
    let stack = Stack::start().await;
    let clock = std::sync::Arc::new(credvault::clock::ManualClock::at(
        credvault::domain::Timestamp::now(),
    ));
    let vault = Vault::new(
        stack.store.clone(),
        KmsKeyProvider::new(stack.kms.clone(), crate::stack::KMS_ALIAS),
    )
    .with_rate_limit(Some(1))
    .with_clock(clock.clone());
    let writer = TestClient::new(&vault).with_key(stack.write_key.expose());
    let login = json!({"type": "LOGIN", "data": {"password": "p"}});
    assert_eq!(writer.put("first", &login).await.status, 200);
    // AND a second request, counted and refused
    assert_eq!(writer.put("second", &login).await.status, 429);
    // WHEN the identity asks again this minute, by REST and by MCP
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}});
    for attempt in ["PUT", "MCP"] {
        stack.calls.clear();
        let answer = match attempt {
            "PUT" => writer.put("third", &login).await,
            _ => writer.mcp(&initialize).await,
        };
        // THEN it is refused with only the key lookup and its record: no count, no data key
        assert_envelope(&answer, 429, "rate_limited");
        let mut operations = stack.calls.operations();
        operations.sort();
        assert_eq!(
            operations,
            [
                "DynamoDB.GetItem",
                "DynamoDB.PutItem",
                "DynamoDB.UpdateItem"
            ],
            "{attempt}: the key, the entry, the day's counters"
        );
    }
    // AND the next minute it is counted again
    clock.advance(60);
    assert_eq!(writer.put("fourth", &login).await.status, 200);
}

#[tokio::test]
async fn grants_cost_no_call_and_a_budget_one_beside_the_rate_count() {
    let stack = Stack::start().await;
    let vault = Vault::new(
        stack.store.clone(),
        KmsKeyProvider::new(stack.kms.clone(), crate::stack::KMS_ALIAS),
    )
    .with_rate_limit(Some(1000));
    let login = json!({"type": "LOGIN", "data": {"password": "p"}});
    assert_eq!(
        TestClient::new(&vault)
            .with_key(stack.write_key.expose())
            .put("github", &login)
            .await
            .status,
        200
    );
    let limited = |raw: serde_json::Value| {
        let mut body = raw.as_object().cloned().unwrap_or_default();
        credvault::domain::KeyLimits::take_from(&mut body).expect("valid limits")
    };
    let grants = json!({"grants": [{"names": ["git*"], "allow": ["read"]}]});
    let budget = json!({"grants": [{"names": ["git*"], "allow": ["read"]}], "maxUses": 10});
    let mut measured = Vec::new();
    for (label, limits) in [
        ("none", None),
        ("grants", Some(grants)),
        ("budget", Some(budget)),
    ] {
        let key = match limits {
            None => stack.write_key.expose().to_owned(),
            Some(raw) => {
                let identities = stack.identities();
                let (key, _) = identities
                    .add_key(
                        &stack.identity,
                        &credvault::domain::Scope::ALL,
                        limited(raw),
                        None,
                    )
                    .await
                    .unwrap();
                key.expose().to_owned()
            }
        };
        // A first read sets lastUsedAt; the one measured is within its minute.
        let client = TestClient::new(&vault).with_key(&key);
        assert_eq!(
            client.request("GET", "/v0/vault/github", None).await.status,
            200
        );
        stack.calls.clear();
        assert_eq!(
            client.request("GET", "/v0/vault/github", None).await.status,
            200
        );
        let operations = stack.calls.operations();
        measured.push((label, operations.len(), stack.calls.sequential_depth()));
        println!("GET with {label}: {operations:?}");
    }
    assert_eq!(
        measured[1].1, measured[0].1,
        "grants add no call: {measured:?}"
    );
    assert_eq!(
        measured[2].1,
        measured[0].1 + 1,
        "a budget adds one: {measured:?}"
    );
    assert!(
        measured.iter().all(|m| m.2 == measured[0].2),
        "none in sequence: {measured:?}"
    );
}
