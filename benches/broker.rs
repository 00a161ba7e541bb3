//! `cargo bench --bench broker`: what brokered use adds to a call. The same upstream (plain
//! HTTP on loopback, allowed as a test upstream) is called two ways, N times each, on the
//! in-memory store and local keys: an agent's `vault_get` followed by its own request with
//! the secret, and one `POST /v0/vault/{name}/request`. Prints the median and p90 of each,
//! and the difference. Loopback only.

use credvault::egress::{AddressPolicy, HttpsEgress, SystemLookup};
use credvault::testing::*;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const N: usize = 400;

/// An upstream that answers every request with 16 KiB of JSON-ish text and the request echoed.
async fn upstream() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16384];
                let Ok(n) = socket.read(&mut buf).await else {
                    return;
                };
                let body = [&buf[..n], "x".repeat(16 * 1024).as_bytes()].concat();
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(&[head.as_bytes(), &body].concat()).await;
            });
        }
    });
    addr
}

fn summary(label: &str, mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let median = samples[samples.len() / 2];
    let p90 = samples[samples.len() * 9 / 10];
    println!(
        "{label:<48} median {:>8.1} µs   p90 {:>8.1} µs",
        median.as_secs_f64() * 1e6,
        p90.as_secs_f64() * 1e6
    );
    median
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let addr = upstream().await;
        let policy = AddressPolicy::new(Some(&addr.to_string()), None).expect("a loopback upstream");
        let egress = HttpsEgress::new(policy, Arc::new(SystemLookup)).expect("the client");
        let vault = memory_vault().with_egress(Arc::new(egress));
        let client = writer(&vault);
        let stored = json!({"type": "API_KEY", "data": {"key": "sk_live_bench_0123456789abcdef"},
            "usePolicy": {"hosts": [addr.to_string()]}});
        assert_eq!(client.put("bench", &stored).await.status, 200);
        let direct_http = reqwest::Client::builder().no_proxy().build().expect("a client");
        let url = format!("http://{addr}/v1/charges");

        let mut direct = Vec::with_capacity(N);
        let mut brokered = Vec::with_capacity(N);
        let call = json!({"method": "GET", "url": url, "headers": {"Authorization": "Bearer {{data.key}}"}});
        for _ in 0..N {
            let start = Instant::now();
            let read = client.request("GET", "/v0/vault/bench", None).await;
            let key = read.json["data"]["key"].as_str().expect("the key").to_owned();
            let answer = direct_http.get(&url).bearer_auth(key).send().await.expect("an answer");
            let _ = answer.bytes().await.expect("a body");
            direct.push(start.elapsed());

            let start = Instant::now();
            let answer = client.request("POST", "/v0/vault/bench/request", Some(&call)).await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            brokered.push(start.elapsed());
        }
        println!("{N} calls each, 16 KiB answers, loopback upstream, in-memory store:");
        let a = summary("vault_get, then the agent's own request", direct);
        let b = summary("vault_http (substitute, guard, send, scrub)", brokered);
        println!("{:<48} {:>+8.1} µs at the median", "brokered minus direct", (b.as_secs_f64() - a.as_secs_f64()) * 1e6);
    });
}
