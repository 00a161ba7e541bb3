//! Keys limited by grants, through the handler, on REST and MCP alike: a name outside the
//! grants is not found, a capability they do not give is refused, lists and tools show only
//! what the key may use, and each refusal is recorded as a denial with what refused it.

use credvault::auth::{ApiKey, Principal};
use credvault::domain::{KeyLimits, Outcome, Scope, Subject};
use credvault::testing::*;
use serde_json::{Value, json};

/// A key of the fixture identity with both scopes and these limits.
pub(super) fn limited_key(vault: &MemoryVault, raw: &str, limits: Value) -> String {
    let mut body = limits.as_object().cloned().unwrap_or_default();
    let limits = KeyLimits::take_from(&mut body).expect("valid limits");
    let principal = Principal {
        subject: Subject::Identity(fixture_identity()),
        scopes: Scope::ALL.to_vec(),
        limits,
    };
    let key = ApiKey::parse(raw).expect("a valid key");
    vault
        .store_port()
        .insert_key(key.hash(), principal, &fixture_org());
    raw.to_owned()
}

/// (method, path, body, status, error code, the MCP tool and arguments of the same call)
type Case<'a> = (
    &'a str,
    &'a str,
    Option<&'a Value>,
    u16,
    &'a str,
    &'a str,
    Value,
);

pub(super) const LIMITED: &str =
    "mgnt-c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";

fn grants() -> Value {
    json!({"grants": [
        {"names": ["github*"], "allow": ["use"]},
        {"names": ["prod-*"], "allow": ["read", "use", "write"]},
        {"names": ["prod-db"], "deny": true},
    ]})
}

/// The fixture vault: a TOTP credential, a login, an API key and a production login.
pub(super) async fn stocked() -> MemoryVault {
    let vault = memory_vault();
    let totp = json!({"type": "TOTP", "data": {"secret": "JBSWY3DPEHPK3PXP", "backupCodes": ["b-1", "b-2"]}});
    let login = json!({"type": "LOGIN", "data": {"password": "s3cret!"}});
    let api = json!({"type": "API_KEY", "data": {"key": "sk_live_abc123"}});
    for (name, body) in [
        ("github-2fa", &totp),
        ("github", &login),
        ("stripe", &api),
        ("prod-db", &login),
        ("prod-web", &login),
    ] {
        assert_eq!(writer(&vault).put(name, body).await.status, 200);
    }
    limited_key(&vault, LIMITED, grants());
    vault
}

#[tokio::test]
async fn each_name_and_capability_gets_what_the_grants_say_on_rest_and_mcp() {
    let vault = stocked().await;
    let rest = TestClient::new(&vault).with_key(LIMITED);
    let login = json!({"type": "LOGIN", "data": {"password": "new"}});
    // (method, path, body, status, error code, the MCP tool and arguments of the same call)
    let cases: Vec<Case> = vec![
        (
            "GET",
            "/v0/vault/github-2fa/totp",
            None,
            200,
            "",
            "vault_totp",
            json!({"name": "github-2fa"}),
        ),
        (
            "GET",
            "/v0/vault/github",
            None,
            403,
            "forbidden",
            "vault_get",
            json!({"name": "github"}),
        ),
        (
            "GET",
            "/v0/vault/stripe",
            None,
            404,
            "not_found",
            "vault_get",
            json!({"name": "stripe"}),
        ),
        (
            "GET",
            "/v0/vault/prod-db",
            None,
            404,
            "not_found",
            "vault_get",
            json!({"name": "prod-db"}),
        ),
        (
            "GET",
            "/v0/vault/prod-web",
            None,
            200,
            "",
            "vault_get",
            json!({"name": "prod-web"}),
        ),
        (
            "PUT",
            "/v0/vault/github",
            Some(&login),
            403,
            "forbidden",
            "vault_store",
            json!({"name": "github", "type": "LOGIN", "data": {"password": "new"}}),
        ),
        (
            "PUT",
            "/v0/vault/stripe",
            Some(&login),
            404,
            "not_found",
            "vault_store",
            json!({"name": "stripe", "type": "LOGIN", "data": {"password": "new"}}),
        ),
        (
            "PUT",
            "/v0/vault/prod-new",
            Some(&login),
            200,
            "",
            "vault_store",
            json!({"name": "prod-new", "type": "LOGIN", "data": {"password": "new"}}),
        ),
        (
            "DELETE",
            "/v0/vault/stripe",
            None,
            404,
            "not_found",
            "vault_delete",
            json!({"name": "stripe"}),
        ),
        (
            "POST",
            "/v0/vault/github-2fa/totp/backup",
            None,
            200,
            "",
            "vault_totp_use_backup",
            json!({"name": "github-2fa"}),
        ),
    ];
    for (method, path, body, status, code, tool, arguments) in cases {
        let answer = rest.request(method, path, body).await;
        match code {
            "" => assert_eq!(
                answer.status.as_u16(),
                status,
                "{method} {path}: {}",
                answer.text
            ),
            code => assert_envelope(&answer, status, code),
        }
        // The same call through MCP: a tool error carrying the same envelope, or a result.
        let result = rest.call_tool(tool, arguments).await;
        let errored = result["isError"] == json!(true);
        assert_eq!(errored, !code.is_empty(), "{tool}: {result}");
        if !code.is_empty() {
            assert_eq!(
                result["structuredContent"]["status"], status,
                "{tool}: {result}"
            );
        }
    }
    // Nothing outside the grants was written or deleted, and no secret came out of them.
    let stripe = writer(&vault)
        .request("GET", "/v0/vault/stripe", None)
        .await;
    assert_eq!(stripe.json["data"]["key"], "sk_live_abc123");
    let github = writer(&vault)
        .request("GET", "/v0/vault/github", None)
        .await;
    assert_eq!(github.json["data"]["password"], "s3cret!");
}

#[tokio::test]
async fn a_hidden_name_reads_exactly_as_a_missing_one_and_lists_leave_it_out() {
    let vault = stocked().await;
    let rest = TestClient::new(&vault).with_key(LIMITED);
    let hidden = rest.request("GET", "/v0/vault/stripe", None).await;
    let missing = rest.request("GET", "/v0/vault/prod-nothing", None).await;
    assert_eq!(
        (hidden.status, hidden.text.clone()),
        (missing.status, missing.text)
    );
    let listed = rest.request("GET", "/v0/vault", None).await;
    let names: Vec<&str> = listed.json["credentials"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["github", "github-2fa", "prod-web"],
        "{}",
        listed.text
    );
    let paged = rest.request("GET", "/v0/vault?limit=1", None).await;
    assert_eq!(paged.json["credentials"][0]["name"], "github");
    let token = paged.json["nextPageToken"].as_str().expect("more");
    let next = rest
        .request("GET", &format!("/v0/vault?limit=5&pageToken={token}"), None)
        .await;
    assert_eq!(next.json["count"], 2, "{}", next.text);
}

#[tokio::test]
async fn refusals_by_grants_are_denials_naming_what_refused_never_a_value() {
    let vault = stocked().await;
    let rest = TestClient::new(&vault).with_key(LIMITED);
    let before = vault.store_port().activity().len();
    rest.request("GET", "/v0/vault/prod-db", None).await;
    rest.request("GET", "/v0/vault/stripe", None).await;
    rest.request("GET", "/v0/vault/github", None).await;
    let log = vault.store_port().activity();
    let denials: Vec<(&str, Outcome)> = log[before..]
        .iter()
        .map(|e| (e.description.as_str(), e.outcome))
        .collect();
    assert_eq!(denials.len(), 3, "{denials:?}");
    assert!(
        denials
            .iter()
            .all(|(_, outcome)| *outcome == Outcome::Denied),
        "{denials:?}"
    );
    assert!(denials[0].0.contains("`prod-db`"), "{denials:?}");
    assert!(
        denials[1].0.contains("outside the key's grants"),
        "{denials:?}"
    );
    assert!(denials[2].0.contains("`read`"), "{denials:?}");
    for (description, _) in &denials {
        assert!(
            !description.contains("sk_live") && !description.contains("s3cret"),
            "{description}"
        );
    }
}

#[tokio::test]
async fn tools_and_whoami_say_what_the_key_is_limited_to() {
    let vault = stocked().await;
    let use_only = "mgnt-d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5d5";
    limited_key(
        &vault,
        use_only,
        json!({"grants": [{"names": ["github*"], "allow": ["use"]}], "maxUses": 50}),
    );
    let client = TestClient::new(&vault).with_key(use_only);
    let listed = client
        .mcp(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .await;
    let tools = listed.json["result"]["tools"]
        .as_array()
        .expect("tools")
        .clone();
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(
        names.contains(&"vault_totp") && names.contains(&"vault_list"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"vault_get")
            && !names.contains(&"vault_store")
            && !names.contains(&"vault_delete"),
        "{names:?}"
    );
    let totp = tools
        .iter()
        .find(|t| t["name"] == "vault_totp")
        .expect("listed");
    assert!(
        totp["description"]
            .as_str()
            .is_some_and(|d| d.contains("github* (use)") && d.contains("at most 50 uses")),
        "{totp}"
    );
    let whoami = client.request("GET", "/v0/whoami", None).await;
    assert_eq!(
        whoami.json["grants"],
        json!([{"names": ["github*"], "allow": ["use"]}]),
        "{}",
        whoami.text
    );
    assert_eq!(whoami.json["maxUses"], 50);
    // A key without limits answers whoami exactly as before.
    let plain = writer(&vault).request("GET", "/v0/whoami", None).await;
    assert!(
        plain.json.get("grants").is_none() && plain.json.get("maxUses").is_none(),
        "{}",
        plain.text
    );
}
