//! What an MCP message leaves in the activity log and the rate count: once each, under its tool\nwhen it is a tool call, before or without rmcp when it is refused.

use crate::mcp::rpc;
use credvault::testing::*;
use serde_json::json;

/// The (action, status) of every entry recorded so far.
fn recorded(vault: &MemoryVault) -> Vec<(String, u16)> {
    let log = vault.store_port().activity();
    log.iter()
        .map(|e| (e.action.as_str().to_owned(), e.http_status))
        .collect()
}

#[tokio::test]
async fn every_mcp_message_is_recorded_once_and_a_tool_call_as_its_tool() {
    // GIVEN an MCP client's session: initialize, the initialized notification, the tool
    // list, a tool call and an unknown tool
    let vault = memory_vault();
    let api = writer(&vault);
    let init = rpc(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}),
    );
    assert_eq!(api.mcp(&init).await.status, 200);
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(api.mcp(&initialized).await.status, 202);
    assert_eq!(api.mcp(&rpc("tools/list", json!({}))).await.status, 200);
    api.call_tool("vault_list", json!({})).await;
    let unknown = rpc(
        "tools/call",
        json!({"name": "sk_live_PASTED_AS_A_NAME", "arguments": {}}),
    );
    let unknown = api.mcp(&unknown).await;
    // THEN each is recorded once, the tool call under its tool's action
    assert_eq!(
        recorded(&vault),
        [
            ("mcp_session".to_owned(), 200),
            ("mcp_session".to_owned(), 202),
            ("mcp_session".to_owned(), 200),
            ("vault_list".to_owned(), 200),
            ("mcp_session".to_owned(), 200),
        ]
    );
    // AND the unknown tool, a JSON-RPC error sent with HTTP 200, is recorded as an error
    let log = vault.store_port().activity();
    let outcomes: Vec<&str> = log.iter().map(|e| e.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        ["success", "success", "success", "success", "error"]
    );
    assert!(
        log[4].description.contains("-32602"),
        "{}",
        log[4].description
    );
    // AND its name is echoed neither in the answer nor in the log
    assert!(unknown.json["error"]["code"].is_i64(), "{}", unknown.text);
    assert!(!unknown.text.contains("sk_live"), "{}", unknown.text);
    let log = vault.store_port().activity();
    assert!(log.iter().all(|e| !format!("{e:?}").contains("sk_live")));
}

#[tokio::test]
async fn a_message_of_too_many_values_is_413_recorded_and_never_parsed_by_rmcp() {
    // GIVEN a tool call under the byte limit whose arguments hold too many tiny values
    let vault = memory_vault();
    let values = vec![0; credvault::mcp::MAX_MESSAGE_VALUES];
    let call = rpc(
        "tools/call",
        json!({"name": "vault_store", "arguments": {"name": "x", "type": "CUSTOM", "data": {"a": values}}}),
    );
    // WHEN it is sent
    let answer = writer(&vault).mcp(&call).await;
    // THEN it is refused in the envelope, recorded, and nothing is stored
    assert_envelope(&answer, 413, "payload_too_large");
    assert_eq!(recorded(&vault), [("mcp_session".to_owned(), 413)]);
    let list = writer(&vault).request("GET", "/v0/vault", None).await;
    assert_eq!(list.json["credentials"], json!([]), "{}", list.text);
}

#[tokio::test]
async fn a_key_without_the_scope_gets_403_before_its_input_is_judged() {
    // GIVEN a read-only key, and inputs that would be refused as malformed
    let vault = memory_vault();
    let reader = TestClient::new(&vault).with_key(READ_KEY);
    // WHEN it tries to write through either edge
    let rest = reader
        .send(api_event(
            "PUT",
            "/v0/vault/x",
            Some(READ_KEY),
            Some("{not json"),
        ))
        .await;
    let tool = reader
        .call_tool(
            "vault_store",
            json!({"name": "x", "type": "LOGIN", "data": {}}),
        )
        .await;
    // THEN both are the scope's 403, recorded as denied against the named credential
    assert_envelope(&rest, 403, "forbidden");
    assert_eq!(tool["structuredContent"]["status"], 403, "{tool}");
    let log = vault.store_port().activity();
    assert_eq!(log.len(), 2);
    for entry in log {
        assert_eq!(entry.outcome.as_str(), "denied");
        assert_eq!(entry.target.as_ref().map(|n| n.as_str()), Some("x"));
    }
}

#[tokio::test]
async fn a_tool_call_the_transport_refuses_is_still_recorded_and_counted_once() {
    let vault = memory_vault();
    let bearer = format!("Bearer {WRITE_KEY}");
    let call = rpc("tools/call", json!({"name": "vault_list", "arguments": {}})).to_string();
    // GIVEN tool calls of a known tool that rmcp refuses before any tool runs: a client that
    // does not accept event streams, a body that is no JSON-RPC request (no id), arguments
    // of the wrong type
    let no_id = json!({"jsonrpc": "2.0", "method": "tools/call",
        "params": {"name": "vault_list", "arguments": {}}})
    .to_string();
    let bad_arguments = rpc("tools/call", json!({"name": "vault_list", "arguments": []}));
    let cases: [(&[(&str, &str)], String); 3] = [
        (
            &[("accept", "application/json"), ("authorization", &bearer)],
            call,
        ),
        (&[MCP_ACCEPT, ("authorization", &bearer)], no_id),
        (
            &[MCP_ACCEPT, ("authorization", &bearer)],
            bad_arguments.to_string(),
        ),
    ];
    for (headers, body) in cases {
        // WHEN each is sent
        let before = recorded(&vault).len();
        let answer = TestClient::new(&vault)
            .send(event_with_headers("POST", "/mcp", headers, Some(&body)))
            .await;
        // THEN it is recorded exactly once, as a session message with its answer's status
        let log = recorded(&vault);
        assert_eq!(log.len(), before + 1, "{body}: {log:?}");
        assert_eq!(
            log[before],
            ("mcp_session".to_owned(), answer.status.as_u16()),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_tool_call_with_a_repeated_argument_is_recorded_once_under_its_tool() {
    // GIVEN a credential, and a read whose `name` argument is given twice
    let vault = memory_vault();
    let login = json!({"type": "LOGIN", "data": {"password": "p"}});
    assert_eq!(writer(&vault).put("stripe", &login).await.status, 200);
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"vault_get","arguments":{"name":"nope","name":"stripe"}}}"#;
    let bearer = format!("Bearer {WRITE_KEY}");
    // WHEN it is sent
    TestClient::new(&vault)
        .send(event_with_headers(
            "POST",
            "/mcp",
            &[MCP_ACCEPT, ("authorization", &bearer)],
            Some(body),
        ))
        .await;
    // THEN the read is recorded once, under the tool, and nothing else
    let log = recorded(&vault);
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[1].0, "vault_get", "{log:?}");
}
