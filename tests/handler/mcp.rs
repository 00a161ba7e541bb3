//! `POST /mcp` through the handler: JSON-RPC messages as an MCP client sends them, on the
//! in-memory store. The tools run the same use cases as REST, recorded with channel "mcp".

use credvault::domain::Channel;
use credvault::testing::*;
use serde_json::{Value, json};

pub(super) fn rpc(method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params})
}

fn tool_names(answer: &Answer) -> Vec<String> {
    answer.json["result"]["tools"]
        .as_array()
        .expect("a tool list")
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The text content of a tool result, parsed: it must say what `structuredContent` says.
fn text_json(result: &Value) -> Value {
    let text = result["content"][0]["text"].as_str().expect("text content");
    serde_json::from_str(text).expect("JSON text")
}

#[tokio::test]
async fn initialize_negotiates_the_versions_current_clients_send() {
    let vault = memory_vault();
    for version in ["2025-03-26", "2025-06-18", "2025-11-25"] {
        let init = rpc(
            "initialize",
            json!({"protocolVersion": version, "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"}}),
        );
        let answer = writer(&vault).mcp(&init).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let result = &answer.json["result"];
        assert_eq!(result["protocolVersion"], version);
        assert_eq!(result["serverInfo"]["name"], "credvault");
        assert!(result["capabilities"]["tools"].is_object());
        assert!(!answer.headers.contains_key("mcp-session-id"), "stateless");
    }
}

#[tokio::test]
async fn tools_list_shows_only_what_the_keys_scopes_allow() {
    let vault = memory_vault();
    let list = rpc("tools/list", json!({}));
    let all = tool_names(&writer(&vault).mcp(&list).await);
    assert_eq!(all.len(), 14, "{all:?}");
    let reads = tool_names(&TestClient::new(&vault).with_key(READ_KEY).mcp(&list).await);
    assert_eq!(
        reads,
        [
            "vault_list",
            "vault_get",
            "vault_totp",
            "vault_totp_use_backup",
            "vault_http",
            "identity_whoami"
        ]
    );
    let writes = tool_names(
        &TestClient::new(&vault)
            .with_key(WRITE_ONLY_KEY)
            .mcp(&list)
            .await,
    );
    assert_eq!(
        writes,
        [
            "vault_store",
            "vault_storeApiKey",
            "vault_storeCard",
            "vault_storeShippingAddress",
            "vault_delete",
            "vault_request",
            "vault_request_status",
            "vault_request_cancel",
            "identity_whoami"
        ]
    );

    let answer = writer(&vault).mcp(&list).await;
    let tools = answer.json["result"]["tools"].as_array().unwrap();
    let hint = |name: &str, key: &str| {
        tools.iter().find(|t| t["name"] == name).unwrap()["annotations"][key].clone()
    };
    assert_eq!(hint("vault_get", "readOnlyHint"), true);
    assert_eq!(hint("vault_delete", "destructiveHint"), true);
    assert_eq!(hint("vault_totp_use_backup", "destructiveHint"), true);
    assert_eq!(hint("vault_store", "idempotentHint"), true);
    for tool in tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert!(
            tool["description"].as_str().is_some_and(|d| d.len() > 40),
            "{tool}"
        );
    }
}

#[tokio::test]
async fn every_tool_does_what_its_rest_twin_does() {
    let vault = memory_vault();
    let api = writer(&vault);
    let stored = api
        .call_tool(
            "vault_store",
            json!({"name": "github-2fa", "type": "TOTP",
            "data": {"secret": "JBSWY3DPEHPK3PXP", "backupCodes": ["b-1", "b-2"]},
            "metadata": {"issuer": "GitHub"}}),
        )
        .await;
    assert_eq!(stored["isError"], false, "{stored}");
    assert_eq!(stored["structuredContent"], text_json(&stored));
    assert!(
        stored["structuredContent"]["credentialId"]
            .as_str()
            .unwrap()
            .starts_with("cred_")
    );

    let key = api
        .call_tool(
            "vault_storeApiKey",
            json!({"name": "stripe", "secret": "sk_live_abc123"}),
        )
        .await;
    assert_eq!(key["structuredContent"]["type"], "API_KEY");
    let card = api
        .call_tool("vault_storeCard", json!({"name": "visa", "cardholder": "A Bot",
            "number": "4242 4242 4242 4242", "expMonth": "12", "expYear": "2030", "cvc": "123", "brand": "Visa"}))
        .await;
    assert_eq!(
        card["structuredContent"]["metadata"],
        json!({"last4": "4242", "brand": "Visa"})
    );
    let home = api
        .call_tool("vault_storeShippingAddress", json!({"name": "home", "recipient": "A Bot",
            "line1": "1 Main St", "city": "Springfield", "state": "IL", "postcode": "62701", "country": "us"}))
        .await;
    assert_eq!(home["structuredContent"]["type"], "SHIPPING_ADDRESS");

    let got = api.call_tool("vault_get", json!({"name": "stripe"})).await;
    assert_eq!(
        got["structuredContent"]["data"],
        json!({"key": "sk_live_abc123"})
    );
    let address = api.call_tool("vault_get", json!({"name": "home"})).await;
    assert_eq!(address["structuredContent"]["data"]["country"], "US");
    let listed = api.call_tool("vault_list", json!({})).await;
    assert_eq!(listed["structuredContent"]["count"], 4);
    let code = api
        .call_tool("vault_totp", json!({"name": "github-2fa"}))
        .await;
    assert_eq!(code["structuredContent"]["code"].as_str().unwrap().len(), 6);
    let backup = api
        .call_tool("vault_totp_use_backup", json!({"name": "github-2fa"}))
        .await;
    assert_eq!(
        backup["structuredContent"],
        json!({"code": "b-1", "remaining": 1})
    );
    let me = api.call_tool("identity_whoami", json!({})).await;
    assert_eq!(me["structuredContent"]["identityId"], "idt_fixture");
    let deleted = api.call_tool("vault_delete", json!({"name": "visa"})).await;
    assert_eq!(
        deleted["structuredContent"],
        json!({"name": "visa", "deleted": true})
    );

    // Every call is in the log, through the MCP channel, and no secret is.
    let log = vault.store_port().activity();
    assert_eq!(log.len(), 11);
    assert!(
        log.iter()
            .all(|e| e.caller.channel == Channel::Mcp && e.http_status < 300)
    );
    // Random ids are hex and may hold the CVC's digits by chance: they are left out.
    let without_ids: Vec<_> = log
        .iter()
        .cloned()
        .map(|mut e| {
            e.id = "log".into();
            e.credential_id = e.credential_id.map(|_| "cred".into());
            e
        })
        .collect();
    let shown = format!("{without_ids:?}");
    for secret in [
        "sk_live_abc123",
        "4242 4242",
        "JBSWY3DPEHPK3PXP",
        "b-1",
        "123\"",
    ] {
        assert!(!shown.contains(secret), "{secret}");
    }
}

#[tokio::test]
async fn vault_errors_are_tool_results_and_malformed_rpc_is_a_protocol_error() {
    let vault = memory_vault();
    let api = writer(&vault);
    let cases = [
        ("vault_get", json!({"name": "nope"}), 404, "not_found"),
        ("vault_get", json!({}), 400, "bad_request"),
        ("vault_get", json!({"name": "../etc"}), 400, "bad_request"),
        ("vault_get", json!({"name": 7}), 400, "bad_request"),
        (
            "vault_store",
            json!({"name": "x", "type": "LOGIN", "data": {}}),
            400,
            "bad_request",
        ),
        (
            "vault_storeApiKey",
            json!({"name": "x"}),
            400,
            "bad_request",
        ),
        (
            "vault_list",
            json!({"extra": "sk_live_SECRET"}),
            400,
            "bad_request",
        ),
        (
            "vault_totp_use_backup",
            json!({"name": "nope"}),
            404,
            "not_found",
        ),
    ];
    for (tool, arguments, status, code) in cases {
        let result = api.call_tool(tool, arguments.clone()).await;
        assert_eq!(result["isError"], true, "{tool} {arguments}: {result}");
        assert_eq!(
            result["structuredContent"]["status"], status,
            "{tool} {arguments}"
        );
        assert_eq!(
            result["structuredContent"]["error"], code,
            "{tool} {arguments}"
        );
        assert!(!result.to_string().contains("sk_live_SECRET"));
    }
    // Outside the key's scopes: refused, and recorded as denied.
    let reader = TestClient::new(&vault).with_key(READ_KEY);
    let refused = reader.call_tool("vault_delete", json!({"name": "x"})).await;
    assert_eq!(refused["structuredContent"]["status"], 403);
    assert_eq!(
        refused["content"][0]["text"],
        "Missing required scope: vault:write"
    );
    assert_eq!(
        vault
            .store_port()
            .activity()
            .last()
            .unwrap()
            .outcome
            .as_str(),
        "denied"
    );

    // An unknown tool and a malformed message are the protocol's errors.
    let unknown = api
        .mcp(&rpc(
            "tools/call",
            json!({"name": "vault_steal", "arguments": {}}),
        ))
        .await;
    assert!(unknown.json["error"]["code"].is_i64(), "{}", unknown.text);
    let garbage = api
        .send(event_with_headers(
            "POST",
            "/mcp",
            &[
                MCP_ACCEPT,
                ("authorization", &format!("Bearer {WRITE_KEY}")),
            ],
            Some("{not json"),
        ))
        .await;
    assert_eq!(garbage.status, 400, "{}", garbage.text);
    assert_eq!(garbage.json["error"]["code"], -32700, "{}", garbage.text);
    assert_eq!(garbage.json["jsonrpc"], "2.0");
}

#[tokio::test]
async fn the_key_comes_first_and_only_post_is_served() {
    let vault = memory_vault();
    // No key: 401 with a challenge, whatever the body says.
    let anonymous = TestClient::new(&vault)
        .send(event_with_headers(
            "POST",
            "/mcp",
            &[MCP_ACCEPT],
            Some("{not json"),
        ))
        .await;
    assert_envelope(&anonymous, 401, "unauthorized");
    assert!(
        anonymous.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    // The hosted product's header names work too.
    let list = rpc("tools/list", json!({})).to_string();
    for header in ["LOOMAL_API_KEY", "MAILGENT_API_KEY"] {
        let answer = TestClient::new(&vault)
            .send(event_with_headers(
                "POST",
                "/mcp",
                &[MCP_ACCEPT, (header, READ_KEY)],
                Some(&list),
            ))
            .await;
        assert_eq!(tool_names(&answer).len(), 6, "{header}: {}", answer.text);
    }
    // A browser page's Origin is refused unless configured.
    let from_page = TestClient::new(&vault)
        .send(event_with_headers(
            "POST",
            "/mcp",
            &[
                MCP_ACCEPT,
                ("authorization", &format!("Bearer {READ_KEY}")),
                ("origin", "https://evil.example"),
            ],
            Some(&list),
        ))
        .await;
    assert_envelope(&from_page, 403, "forbidden");
    for method in ["GET", "DELETE"] {
        let answer = TestClient::new(&vault)
            .request_as(WRITE_KEY, method, "/mcp")
            .await;
        assert_envelope(&answer, 405, "method_not_allowed");
        assert_eq!(answer.headers["allow"], "POST");
    }
}
