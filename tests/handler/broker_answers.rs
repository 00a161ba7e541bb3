//! Brokered answers: the policy as shown, what comes back from large, binary or redirecting
//! upstreams, and what is scrubbed from it (every value of the credential, sent or not).

use super::broker::{SECRET, assert_no_secret, stripe, vault_with};
use credvault::testing::*;
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn the_policy_is_shown_on_read_and_list_and_a_bad_one_stores_nothing() {
    let echo = EchoEgress::default();
    let vault = vault_with(&echo).await;
    let client = writer(&vault);
    let expected =
        json!({"hosts": ["api.stripe.com"], "pathPrefixes": ["/v1/"], "methods": ["GET", "POST"]});
    assert_eq!(
        client.request("GET", "/v0/vault/stripe", None).await.json["usePolicy"],
        expected
    );
    let listed = client.request("GET", "/v0/vault", None).await;
    let shown = listed.json["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "stripe")
        .unwrap()
        .clone();
    assert_eq!(shown["usePolicy"], expected);
    let nopolicy = client.request("GET", "/v0/vault/nopolicy", None).await;
    assert!(
        nopolicy.json.get("usePolicy").is_none(),
        "{}",
        nopolicy.text
    );
    let mut bad = stripe();
    bad["usePolicy"] = json!({"hosts": ["*.com"]});
    assert_envelope(&client.put("other", &bad).await, 400, "bad_request");
    assert_eq!(
        client.request("GET", "/v0/vault/other", None).await.status,
        404
    );
}

#[tokio::test]
async fn a_large_or_binary_answer_is_cut_and_encoded_and_still_scrubbed() {
    let big = Arc::new(|_: &Received| credvault::egress::Inbound {
        status: 302,
        headers: vec![(
            "location".into(),
            format!("https://elsewhere.example/?k={SECRET}").into_bytes(),
        )],
        body: [
            vec![0xff, 0xfe],
            SECRET.as_bytes().to_vec(),
            vec![b'x'; 2 * 1024 * 1024],
        ]
        .concat(),
        truncated: false,
    });
    let echo = EchoEgress {
        answer: Some(big),
        ..EchoEgress::default()
    };
    let vault = vault_with(&echo).await;
    let get = json!({"method": "GET", "url": "https://api.stripe.com/v1/x", "headers": {"Authorization": "Bearer {{data.key}}"}});
    let answer = writer(&vault)
        .request("POST", "/v0/vault/stripe/request", Some(&get))
        .await;
    assert_eq!(
        answer.status,
        200,
        "{}",
        &answer.text[..200.min(answer.text.len())]
    );
    assert_eq!(answer.json["status"], 302);
    assert_eq!(answer.json["truncated"], true);
    assert_eq!(answer.json["bodyEncoding"], "base64");
    assert_eq!(
        answer.json["headers"]["location"],
        "https://elsewhere.example/?k={{data.key}}"
    );
    let body = data_encoding::BASE64
        .decode(answer.json["body"].as_str().unwrap().as_bytes())
        .unwrap();
    // The upstream's first MiB, scrubbed: the secret's bytes gave way to its placeholder.
    let placeholder = "{{data.key}}".len();
    assert_eq!(
        body.len(),
        credvault::domain::MAX_BROKERED_BODY - SECRET.len() + placeholder
    );
    assert!(body.starts_with(b"\xff\xfe{{data.key}}xxx"));
    assert_eq!(echo.received().len(), 1, "a redirect is not followed");
}

#[tokio::test]
async fn text_that_escaping_would_swell_goes_back_as_base64() {
    let quotes = Arc::new(|_: &Received| credvault::egress::Inbound {
        status: 200,
        headers: vec![],
        body: vec![0x01; 1024 * 1024],
        truncated: false,
    });
    let echo = EchoEgress {
        answer: Some(quotes),
        ..EchoEgress::default()
    };
    let vault = vault_with(&echo).await;
    let get = json!({"method": "GET", "url": "https://api.stripe.com/v1/x"});
    let answer = writer(&vault)
        .request("POST", "/v0/vault/stripe/request", Some(&get))
        .await;
    assert_eq!(answer.json["bodyEncoding"], "base64");
    // Base64 of 1 MiB, not six bytes a character: the answer stays far from 6 MB.
    assert!(answer.text.len() < 1_500_000, "{} bytes", answer.text.len());
}

#[tokio::test]
async fn a_value_not_sent_this_time_is_scrubbed_too() {
    // An upstream that gives back what an earlier request stored with it.
    let stored = Arc::new(|_: &Received| credvault::egress::Inbound {
        status: 200,
        headers: vec![],
        body: b"{\"description\": \"whsec_Unsent_0123\"}".to_vec(),
        truncated: false,
    });
    let echo = EchoEgress {
        answer: Some(stored),
        ..EchoEgress::default()
    };
    let vault = vault_with(&echo).await;
    let get = json!({"method": "GET", "url": "https://api.stripe.com/v1/x", "headers": {"Authorization": "Bearer {{data.key}}"}});
    let answer = writer(&vault)
        .request("POST", "/v0/vault/stripe/request", Some(&get))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(!answer.text.contains("whsec_Unsent"), "{}", answer.text);
    assert!(answer.text.contains("{{data.webhook}}"), "{}", answer.text);
}

#[tokio::test]
async fn a_placeholder_cannot_reach_the_host_nor_a_short_value_be_sent() {
    let echo = EchoEgress::default();
    let vault = vault_with(&echo).await;
    let client = writer(&vault);
    let mut short = stripe();
    short["data"]["pin"] = json!("0042");
    assert_eq!(client.put("short", &short).await.status, 200);
    for (name, url, words) in [
        (
            "stripe",
            "https:///{{data.key}}/",
            "host (and port) out in full",
        ),
        ("stripe", "https://\t/{{data.key}}/", "control character"),
        (
            "stripe",
            "https://api.stripe.com\\{{data.key}}/",
            "backslash",
        ),
        (
            "short",
            "https://api.stripe.com/v1/{{data.pin}}",
            "too short",
        ),
    ] {
        let body = json!({"method": "GET", "url": url});
        let answer = client
            .request("POST", &format!("/v0/vault/{name}/request"), Some(&body))
            .await;
        assert_envelope(&answer, 400, "bad_request");
        assert!(answer.text.contains(words), "{url}: {}", answer.text);
        assert_no_secret(&answer.text);
        assert!(
            !answer.text.to_lowercase().contains("sk_live"),
            "{}",
            answer.text
        );
    }
    let logs = client
        .request("GET", "/v0/logs?action=vault_http", None)
        .await;
    assert!(
        !logs.text.to_lowercase().contains("sk_live"),
        "{}",
        logs.text
    );
    assert!(echo.received().is_empty());
}
