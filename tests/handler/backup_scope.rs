//! A backup code is a use of a secret, like a TOTP code: `vault:read` gets one, a
//! `vault:write`-only key (meant to deposit credentials) is refused and the refusal recorded,
//! on both edges.

use credvault::domain::Outcome;
use credvault::testing::*;
use serde_json::json;

fn totp_with_codes() -> serde_json::Value {
    json!({"type": "TOTP", "data": {"secret": "JBSWY3DPEHPK3PXP", "backupCodes": ["c-1", "c-2"]}})
}

#[tokio::test]
async fn a_read_key_spends_a_backup_code_and_a_write_only_key_is_refused_over_rest() {
    let vault = memory_vault();
    assert_eq!(
        writer(&vault).put("gh", &totp_with_codes()).await.status,
        200
    );
    let path = "/v0/vault/gh/totp/backup";

    let refused = TestClient::new(&vault)
        .request_as(WRITE_ONLY_KEY, "POST", path)
        .await;
    assert_envelope(&refused, 403, "forbidden");
    assert_eq!(
        refused.json["message"],
        "Missing required scope: vault:read"
    );
    let entry = vault.store_port().activity().pop().unwrap();
    assert_eq!(
        (entry.action.as_str(), entry.http_status, entry.outcome),
        ("vault_totp_use_backup", 403, Outcome::Denied)
    );

    let spent = TestClient::new(&vault)
        .request_as(READ_KEY, "POST", path)
        .await;
    assert_eq!(
        spent.json,
        json!({"code": "c-1", "remaining": 1}),
        "the refusal spent none"
    );
}

#[tokio::test]
async fn a_read_key_spends_a_backup_code_and_a_write_only_key_is_refused_over_mcp() {
    let vault = memory_vault();
    assert_eq!(
        writer(&vault).put("gh", &totp_with_codes()).await.status,
        200
    );

    let refused = TestClient::new(&vault)
        .with_key(WRITE_ONLY_KEY)
        .call_tool("vault_totp_use_backup", json!({"name": "gh"}))
        .await;
    assert_eq!(refused["isError"], true);
    assert_eq!(refused["structuredContent"]["status"], 403);
    assert_eq!(
        refused["structuredContent"]["message"],
        "Missing required scope: vault:read"
    );
    let entry = vault.store_port().activity().pop().unwrap();
    assert_eq!(
        (
            entry.action.as_str(),
            entry.http_status,
            entry.caller.channel.as_str()
        ),
        ("vault_totp_use_backup", 403, "mcp")
    );

    let spent = TestClient::new(&vault)
        .with_key(READ_KEY)
        .call_tool("vault_totp_use_backup", json!({"name": "gh"}))
        .await;
    assert_eq!(
        spent["structuredContent"],
        json!({"code": "c-1", "remaining": 1})
    );
}
