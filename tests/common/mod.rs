//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod moto;

use credvault::auth::KeyDirectory;
use credvault::auth::{ApiKey, IdentityId, Principal, Scope};
use credvault::crypto::{KeyProvider, LocalKeyProvider};
use credvault::store::{CredentialStore, MemoryStore};
use credvault::vault::Vault;
use lambda_http::http::{HeaderMap, StatusCode};
use lambda_http::{Body, Request};
use serde_json::Value;
use std::path::PathBuf;

/// The keys the fixtures in `events/` carry.
pub const WRITE_KEY: &str = "loid-a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
pub const READ_KEY: &str = "loid-b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
/// `vault:write` only.
pub const WRITE_ONLY_KEY: &str =
    "loid-d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4";
/// Both scopes, for another identity.
pub const OTHER_IDENTITY_KEY: &str =
    "loid-e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5";

/// Secrets the fixtures send, which no answer or log may ever contain.
pub const FIXTURE_SECRETS: [&str; 4] = [
    "sk_live_abc123",
    "s3cret!",
    "JBSWY3DPEHPK3PXP",
    "b3BlbnNzaC1rZXk",
];

pub fn fixture_identity() -> IdentityId {
    IdentityId::parse("idt_fixture").expect("a valid id")
}

/// A vault on the in-memory store and local keys, knowing the fixtures' two keys.
pub fn memory_vault() -> Vault<MemoryStore, LocalKeyProvider> {
    let store = MemoryStore::new();
    let other = IdentityId::parse("idt_other").expect("a valid id");
    let both = vec![Scope::VaultRead, Scope::VaultWrite];
    for (key, identity, scopes) in [
        (WRITE_KEY, fixture_identity(), both.clone()),
        (READ_KEY, fixture_identity(), vec![Scope::VaultRead]),
        (WRITE_ONLY_KEY, fixture_identity(), vec![Scope::VaultWrite]),
        (OTHER_IDENTITY_KEY, other, both),
    ] {
        let principal = Principal { identity, scopes };
        store.add_key(ApiKey::parse(key).expect("a valid key").hash(), principal);
    }
    Vault::new(store, LocalKeyProvider::new())
}

pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events")
}

pub fn event(name: &str) -> Request {
    let path = events_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    lambda_http::request::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

pub async fn call<S, K>(vault: &Vault<S, K>, request: Request) -> Answer
where
    S: CredentialStore + KeyDirectory,
    K: KeyProvider,
{
    let response = credvault::http::handle(vault, request).await;
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

/// An HTTP API (v2) event as API Gateway would send it, parsed by `lambda_http`.
pub fn api_event(method: &str, path: &str, key: Option<&str>, body: Option<&str>) -> Request {
    let mut headers = serde_json::json!({"content-type": "application/json", "host": "localhost"});
    if let Some(key) = key {
        headers["authorization"] = format!("Bearer {key}").into();
    }
    let mut event = serde_json::json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
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
