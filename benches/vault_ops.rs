//! `cargo bench`: what one request costs in CPU on the function's own code paths, with AWS
//! replaced by the in-memory store and local keys (network time is not ours to measure here).
//! Prints one line per operation: iterations, and nanoseconds per operation (median of runs).

use credvault::auth::{ApiKey, Principal};
use credvault::crypto::{self, Binding, LocalKeyProvider};
use credvault::domain::{CredentialName, CredentialType, NewCredential};
use credvault::domain::{IdentityId, Scope};
use credvault::store::MemoryStore;
use credvault::vault::Vault;
use std::hint::black_box;
use std::time::{Duration, Instant};

const KEY: &str = "loid-a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";

/// Runs `op` for about `budget`, five times, and reports the median ns per call.
fn measure(label: &str, budget: Duration, mut op: impl FnMut()) {
    let mut per_op = Vec::new();
    let mut total = 0u64;
    for _ in 0..5 {
        let (start, mut n) = (Instant::now(), 0u64);
        while start.elapsed() < budget / 5 {
            op();
            n += 1;
        }
        per_op.push(start.elapsed().as_nanos() as f64 / n as f64);
        total += n;
    }
    per_op.sort_by(f64::total_cmp);
    println!(
        "{label:<44} {total:>9} iterations {:>12.0} ns/op",
        per_op[2]
    );
}

fn event(method: &str, path: &str, body: Option<&str>) -> lambda_http::Request {
    let mut event = serde_json::json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"authorization": format!("Bearer {KEY}"), "host": "localhost"},
        "isBase64Encoded": false,
        "requestContext": {"accountId": "1", "apiId": "a", "domainName": "localhost",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": "r", "routeKey": "$default", "stage": "$default", "timeEpoch": 0}
    });
    if let Some(body) = body {
        event["body"] = body.into();
    }
    lambda_http::request::from_str(&event.to_string()).expect("an event")
}

fn main() {
    let budget = Duration::from_millis(
        std::env::var("BENCH_MILLIS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let seed = r#"{"type":"API_KEY","data":{"key":"sk_live_abc123..."},"metadata":{"service":"stripe","prefix":"sk_live_...c123"}}"#;
    let big = format!(
        r#"{{"type":"CUSTOM","data":{{"blob":"{}"}}}}"#,
        "x".repeat(64 * 1024)
    );

    measure("parse store body (seed, 120 B)", budget, || {
        black_box(NewCredential::from_json(black_box(seed.as_bytes())).unwrap());
    });
    measure("parse store body (64 KiB data)", budget, || {
        black_box(NewCredential::from_json(black_box(big.as_bytes())).unwrap());
    });

    let keys = LocalKeyProvider::new();
    let (identity, name) = (
        IdentityId::parse("idt_bench").unwrap(),
        CredentialName::parse("stripe").unwrap(),
    );
    let binding = Binding::new(&identity, &name, CredentialType::ApiKey);
    let plaintext = vec![7u8; 1024];
    measure("seal + open 1 KiB (local keys)", budget, || {
        runtime.block_on(async {
            let envelope = crypto::seal(&keys, binding, &plaintext).await.unwrap();
            black_box(crypto::open(&keys, binding, &envelope).await.unwrap());
        })
    });

    let store = MemoryStore::new();
    let principal = Principal::of_identity(identity.clone(), Scope::ALL.to_vec());
    let org = credvault::domain::OrgId::default_org();
    store.insert_key(ApiKey::parse(KEY).unwrap().hash(), principal, &org);
    let service = credvault::http::Service::new(Vault::new(store, LocalKeyProvider::new()));
    measure("handler: PUT seed credential", budget, || {
        let response = runtime.block_on(credvault::http::handle(
            &service,
            event("PUT", "/v0/vault/stripe", Some(seed)),
        ));
        assert!(response.status().is_success());
    });
    measure("handler: GET seed credential", budget, || {
        let response = runtime.block_on(credvault::http::handle(
            &service,
            event("GET", "/v0/vault/stripe", None),
        ));
        assert!(response.status().is_success());
    });
    measure("handler: PUT 64 KiB credential", budget, || {
        let response = runtime.block_on(credvault::http::handle(
            &service,
            event("PUT", "/v0/vault/big", Some(&big)),
        ));
        assert!(response.status().is_success());
    });
}
