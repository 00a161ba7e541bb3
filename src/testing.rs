//! Test support, behind the `test-util` feature as the AWS SDK crates do it: API Gateway
//! events, a client that sends them through the handler, the fixtures' keys, and an in-memory
//! vault. Never part of the shipped function.

use crate::auth::{ApiKey, Principal};
use crate::crypto::{KeyProvider, LocalKeyProvider};
use crate::domain::{
    Action, ActivityEntry, Caller, Channel, IdentityId, KeyLimits, OrgId, Scope, Subject, Timestamp,
};
use crate::store::{MemoryStore, VaultStore};
use crate::vault::Vault;
use lambda_http::http::{HeaderMap, StatusCode};
use lambda_http::{Body, Request};
use serde_json::Value;
use std::path::PathBuf;

pub use crate::clock::ManualClock;
pub use crate::store::dynamodb::item::{Item, record_from_item, record_to_item};

/// The keys the fixtures in `events/` carry: both scopes.
pub const WRITE_KEY: &str = "loid-a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
/// `vault:read` only.
pub const READ_KEY: &str = "loid-b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
/// `vault:write` only.
pub const WRITE_ONLY_KEY: &str =
    "loid-d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4";
/// Both scopes, for another identity (of another organisation).
pub const OTHER_IDENTITY_KEY: &str =
    "loid-e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5";
/// A platform key of the fixture identity's organisation, holding both scopes.
pub const PLATFORM_KEY: &str =
    "mgpk-f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6";
/// A platform key of the same organisation that holds `vault:read` only (its ceiling).
pub const PLATFORM_READ_KEY: &str =
    "lopk-a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7";
/// A platform key of the other identity's organisation.
pub const OTHER_PLATFORM_KEY: &str =
    "mgpk-b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8";

/// Secrets the fixtures send, which no answer or log may ever contain.
pub const FIXTURE_SECRETS: [&str; 4] = [
    "sk_live_abc123",
    "s3cret!",
    "JBSWY3DPEHPK3PXP",
    "b3BlbnNzaC1rZXk",
];

pub type MemoryVault = Vault<MemoryStore, LocalKeyProvider>;

pub fn fixture_identity() -> IdentityId {
    IdentityId::parse("idt_fixture").expect("a valid id")
}

/// The fixture identity's organisation, and the other identity's.
pub fn fixture_org() -> OrgId {
    OrgId::parse("org_fixture").expect("a valid id")
}

pub fn other_org() -> OrgId {
    OrgId::parse("org_other").expect("a valid id")
}

/// A vault on the in-memory store and local keys, knowing the fixtures' keys.
pub fn memory_vault() -> MemoryVault {
    Vault::new(fixture_store(), LocalKeyProvider::new())
}

/// An in-memory table knowing the fixtures' keys, for a vault with other keys or clock.
pub fn fixture_store() -> MemoryStore {
    let store = MemoryStore::new();
    let other = IdentityId::parse("idt_other").expect("a valid id");
    let both = vec![Scope::VaultRead, Scope::VaultWrite];
    let read = vec![Scope::VaultRead];
    let keys = [
        (
            WRITE_KEY,
            Subject::Identity(fixture_identity()),
            both.clone(),
            fixture_org(),
        ),
        (
            READ_KEY,
            Subject::Identity(fixture_identity()),
            read.clone(),
            fixture_org(),
        ),
        (
            WRITE_ONLY_KEY,
            Subject::Identity(fixture_identity()),
            vec![Scope::VaultWrite],
            fixture_org(),
        ),
        (
            OTHER_IDENTITY_KEY,
            Subject::Identity(other),
            both.clone(),
            other_org(),
        ),
        (
            PLATFORM_KEY,
            Subject::Org(fixture_org()),
            both.clone(),
            fixture_org(),
        ),
        (
            PLATFORM_READ_KEY,
            Subject::Org(fixture_org()),
            read,
            fixture_org(),
        ),
        (
            OTHER_PLATFORM_KEY,
            Subject::Org(other_org()),
            both,
            other_org(),
        ),
    ];
    for (key, subject, scopes, org) in keys {
        let principal = Principal {
            subject,
            scopes,
            limits: KeyLimits::default(),
        };
        store.insert_key(
            ApiKey::parse(key).expect("a valid key").hash(),
            principal,
            &org,
        );
    }
    store
}

pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events")
}

/// A fixture from `events/`, parsed as the runtime parses it.
pub fn event(name: &str) -> Request {
    let path = events_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// An HTTP API (v2) event as API Gateway would send it, parsed by `lambda_http`. A query
/// string in `target` goes where API Gateway puts it.
pub fn api_event(method: &str, target: &str, key: Option<&str>, body: Option<&str>) -> Request {
    let authorization = key.map(|key| format!("Bearer {key}"));
    let headers: Vec<(&str, &str)> = authorization
        .as_deref()
        .map(|value| ("authorization", value))
        .into_iter()
        .collect();
    event_with_headers(method, target, &headers, body)
}

/// As [`api_event`], with the headers given (and a JSON content type).
pub fn event_with_headers(
    method: &str,
    target: &str,
    extra: &[(&str, &str)],
    body: Option<&str>,
) -> Request {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = serde_json::json!({"content-type": "application/json", "host": "localhost"});
    for (name, value) in extra {
        headers[name.to_lowercase()] = (*value).into();
    }
    let mut event = serde_json::json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": headers, "isBase64Encoded": false,
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": "localhost",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": "test", "routeKey": "$default", "stage": "$default", "timeEpoch": 0
        }
    });
    if let Some(body) = body {
        event["body"] = body.into();
    }
    lambda_http::request::from_str(&event.to_string()).expect("a valid event")
}

/// What an MCP client sends with every message.
pub const MCP_ACCEPT: (&str, &str) = ("accept", "application/json, text/event-stream");

/// A caller as API Gateway would describe one, for calls made below the handler.
pub fn test_caller() -> Caller {
    Caller {
        channel: Channel::Rest,
        request_id: "test".into(),
        source_ip: "127.0.0.1".into(),
        user_agent: "credvault-tests".into(),
    }
}

/// An activity entry of `identity`, for writes made below the vault.
pub fn test_entry(identity: &IdentityId) -> ActivityEntry {
    let id = crate::domain::random_id("log_").expect("the system CSPRNG");
    ActivityEntry::new(
        id,
        Subject::Identity(identity.clone()),
        Action::VaultGet,
        None,
        200,
        None,
        test_caller(),
        0,
        Timestamp::now_millis(),
    )
}

/// What the handler answered, read once.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

/// Sends requests through the handler to one vault, as one caller (`key`) unless told
/// otherwise: what handler-level and moto tests alike use.
pub struct TestClient<'v, S, K> {
    vault: &'v Vault<S, K>,
    service: crate::http::Service<S, K>,
    key: Option<String>,
}

impl<'v, S, K> TestClient<'v, S, K>
where
    S: VaultStore + 'static,
    K: KeyProvider + 'static,
{
    pub fn new(vault: &'v Vault<S, K>) -> Self {
        Self {
            vault,
            service: crate::http::Service::new(vault.clone()),
            key: None,
        }
    }

    /// Sends through edges configured as `configure` says (allowed MCP origins...).
    pub fn configured(self, configure: impl FnOnce(&mut crate::http::Service<S, K>)) -> Self {
        let mut client = self;
        configure(&mut client.service);
        client
    }

    /// The vault this client sends to.
    pub fn vault(&self) -> &'v Vault<S, K> {
        self.vault
    }

    /// Sends as `key` from now on.
    pub fn with_key(self, key: &str) -> Self {
        Self {
            key: Some(key.to_owned()),
            ..self
        }
    }

    pub async fn send(&self, request: Request) -> Answer {
        // On the heap, as in the function (which spawns it): a debug build's handler future
        // is larger than a test thread's stack.
        let response = Box::pin(crate::http::handle(&self.service, request)).await;
        let (parts, body) = response.into_parts();
        let text = match body {
            Body::Text(text) => text,
            other => String::from_utf8_lossy(other.as_ref()).into_owned(),
        };
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status: parts.status,
            headers: parts.headers,
            text,
            json,
        }
    }

    /// `method path` with a JSON body, as this client's caller.
    pub async fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let body = body.map(Value::to_string);
        let request = api_event(method, path, self.key.as_deref(), body.as_deref());
        self.send(request).await
    }

    /// `method path` without a body, as `key`.
    pub async fn request_as(&self, key: &str, method: &str, path: &str) -> Answer {
        self.send(api_event(method, path, Some(key), None)).await
    }

    /// One JSON-RPC message to `POST /mcp`, as this client's caller (`Authorization: Bearer`).
    pub async fn mcp(&self, message: &Value) -> Answer {
        let authorization = self.key.as_ref().map(|key| format!("Bearer {key}"));
        let mut headers = vec![MCP_ACCEPT];
        if let Some(value) = authorization.as_deref() {
            headers.push(("authorization", value));
        }
        let body = message.to_string();
        self.send(event_with_headers("POST", "/mcp", &headers, Some(&body)))
            .await
    }

    /// `tools/call` of `tool` with `arguments`; the answer's `result`.
    pub async fn call_tool(&self, tool: &str, arguments: Value) -> Value {
        let message = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments}});
        let answer = self.mcp(&message).await;
        assert_eq!(answer.status, 200, "{tool}: {}", answer.text);
        answer.json["result"].clone()
    }

    /// `PUT /v0/vault/{name}` with `body`, as this client's caller.
    pub async fn put(&self, name: &str, body: &Value) -> Answer {
        self.request("PUT", &format!("/v0/vault/{name}"), Some(body))
            .await
    }
}

/// A client of `vault` sending as the fixtures' writer (both scopes).
pub fn writer<S, K>(vault: &Vault<S, K>) -> TestClient<'_, S, K>
where
    S: VaultStore + 'static,
    K: KeyProvider + 'static,
{
    TestClient::new(vault).with_key(WRITE_KEY)
}

/// Asserts the contract's error envelope, exactly: three fields, consistent status.
pub fn assert_envelope(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.text);
    let envelope = answer.json.as_object().expect("a JSON object");
    assert_eq!(envelope.len(), 3, "{}", answer.text);
    assert_eq!(envelope["error"], code, "{}", answer.text);
    assert_eq!(envelope["status"], status, "{}", answer.text);
    assert!(
        envelope["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        answer.text
    );
}

mod aws_calls;
mod egress;
pub use aws_calls::{AwsCall, AwsCalls};
pub use egress::{EchoEgress, Received};
pub mod conformance;
