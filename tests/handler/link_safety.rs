//! What keeps a request link safe, each on its own: a token of 256 random bits stored only
//! as a hash; a `GET` that changes nothing; a proof bound to the request; one use, even
//! racing; expiry on both methods; the page's headers; no value on any page or answer; and
//! a page with the right status for each way a link cannot be used.

use super::links::{TYPED, create, form_body, link_path, open, proof_of, stripe_request, submit};
use credvault::testing::*;
use serde_json::json;
use std::sync::Arc;

/// What a `GET` must leave as it found: credentials, the log, the requests' items.
fn snapshot(vault: &MemoryVault) -> (usize, usize, String) {
    let store = vault.store_port();
    let mut items: Vec<String> = store
        .request_items()
        .iter()
        .map(|i| format!("{i:?}"))
        .collect();
    items.sort();
    (store.len(), store.activity().len(), items.join("\n"))
}

#[tokio::test]
async fn the_token_has_256_random_bits_and_only_its_hash_is_stored() {
    let vault = memory_vault();
    let created = create(&vault, &stripe_request()).await;
    let path = link_path(&created);
    let secret = path.rsplit('.').next().expect("the secret");
    let bytes = data_encoding::BASE64URL_NOPAD
        .decode(secret.as_bytes())
        .expect("base64url");
    assert!(bytes.len() * 8 >= 256);
    let items = vault.store_port().request_items();
    let stored = format!("{items:?}");
    assert!(!stored.contains(secret), "the secret itself is stored");
    let hash = hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        secret.as_bytes(),
    ));
    assert_eq!(items[0]["secretHash"].as_s().ok(), Some(&hash));
    // Two requests never share a secret.
    let other = link_path(&create(&vault, &stripe_request()).await);
    assert_ne!(other.rsplit('.').next(), Some(secret));
}

#[tokio::test]
async fn opening_a_link_changes_nothing() {
    let vault = memory_vault();
    let path = link_path(&create(&vault, &stripe_request()).await);
    let before = snapshot(&vault);
    let client = TestClient::new(&vault);
    for _ in 0..3 {
        assert_eq!(open(&client, &path).await.status, 200);
        let head = client
            .send(event_with_headers("HEAD", &path, &[], None))
            .await;
        assert_eq!(head.status, 200);
    }
    assert_eq!(snapshot(&vault), before);
}

#[tokio::test]
async fn every_page_carries_the_headers_that_keep_it_private() {
    let vault = memory_vault();
    let path = link_path(&create(&vault, &stripe_request()).await);
    let client = TestClient::new(&vault);
    let open_page = open(&client, &path).await;
    let wrong = open(&client, &format!("{}x", &path[..path.len() - 1])).await;
    for page in [open_page, wrong] {
        let header = |name: &str| page.headers[name].to_str().expect("text").to_owned();
        assert_eq!(header("cache-control"), "no-store");
        assert_eq!(header("referrer-policy"), "no-referrer");
        assert_eq!(header("x-frame-options"), "DENY");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("cross-origin-opener-policy"), "same-origin");
        assert!(header("strict-transport-security").starts_with("max-age="));
        assert!(header("content-type").starts_with("text/html"));
        let policy = header("content-security-policy");
        for part in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
        ] {
            assert!(policy.contains(part), "{policy}");
        }
        assert!(!policy.contains("unsafe-inline") && !page.text.contains("<script"));
    }
}

#[tokio::test]
async fn a_submit_needs_a_proof_of_its_own_page_sent_from_that_page() {
    let vault = memory_vault();
    let path = link_path(&create(&vault, &stripe_request()).await);
    let other = link_path(&create(&vault, &stripe_request()).await);
    let client = TestClient::new(&vault);
    let other_proof = proof_of(&open(&client, &other).await);
    let own_proof = proof_of(&open(&client, &path).await);
    let before = snapshot(&vault);
    for proof in ["", "1.2.3", other_proof.as_str()] {
        let refused = submit(&client, &path, &form_body(proof, &[TYPED, "a"])).await;
        assert_eq!(refused.status, 403, "{proof}: {}", refused.text);
        assert!(!refused.text.contains(TYPED));
    }
    // A form another site sends (the browser says so) is refused with a good proof too.
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("sec-fetch-site", "cross-site"),
    ];
    let body = form_body(&own_proof, &[TYPED, "a"]);
    let cross = client
        .send(event_with_headers("POST", &path, &headers, Some(&body)))
        .await;
    assert_eq!(cross.status, 403);
    assert_eq!(snapshot(&vault), before);
    // The page's own, with the `null` Origin its no-referrer policy makes browsers send.
    let own = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("sec-fetch-site", "same-origin"),
        ("origin", "null"),
    ];
    let accepted = client
        .send(event_with_headers("POST", &path, &own, Some(&body)))
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
}

#[tokio::test]
async fn a_link_fills_its_request_once_even_when_two_submits_race() {
    let vault = memory_vault();
    let path = link_path(&create(&vault, &stripe_request()).await);
    let client = TestClient::new(&vault);
    let proof = proof_of(&open(&client, &path).await);
    let (one, two) = (
        form_body(&proof, &["sk_first_value", "a"]),
        form_body(&proof, &["sk_second_value", "b"]),
    );
    let (first, second) = tokio::join!(submit(&client, &path, &one), submit(&client, &path, &two));
    let mut statuses = [first.status.as_u16(), second.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 410], "{} / {}", first.text, second.text);
    let winner = if first.status == 200 {
        "sk_first_value"
    } else {
        "sk_second_value"
    };
    let read = writer(&vault)
        .request("GET", "/v0/vault/stripe", None)
        .await;
    assert_eq!(read.json["data"]["key"], winner);
    // A third, later, and a reopening: the link is spent.
    let again = submit(&client, &path, &form_body(&proof, &[TYPED, "c"])).await;
    assert_eq!(again.status, 410);
    assert!(again.text.contains("already"));
    assert_eq!(open(&client, &path).await.status, 410);
    assert_eq!(read.json["data"]["key"], winner);
}

#[tokio::test]
async fn an_expired_link_opens_nothing_and_stores_nothing() {
    let clock = Arc::new(ManualClock::at(
        credvault::domain::Timestamp::parse("2030-01-01T00:00:00Z").expect("time"),
    ));
    let vault = memory_vault().with_clock(clock.clone());
    let mut body = stripe_request();
    body["expiresIn"] = json!(120);
    let path = link_path(&create(&vault, &body).await);
    let client = TestClient::new(&vault);
    let proof = proof_of(&open(&client, &path).await);
    clock.advance(120);
    let page = open(&client, &path).await;
    assert_eq!(page.status, 410);
    assert!(page.text.contains("expired"));
    let late = submit(&client, &path, &form_body(&proof, &[TYPED, "a"])).await;
    assert_eq!(late.status, 410);
    assert_eq!(vault.store_port().len(), 0);
    let id = vault.store_port().request_items()[0]["requestId"]
        .as_s()
        .expect("an id")
        .clone();
    let status = writer(&vault)
        .request("GET", &format!("/v0/credential-requests/{id}"), None)
        .await;
    assert_eq!(status.json["status"], "expired");
}

#[tokio::test]
async fn wrong_and_cancelled_links_get_pages_that_say_so() {
    let vault = memory_vault();
    let created = create(&vault, &stripe_request()).await;
    let path = link_path(&created);
    let client = TestClient::new(&vault);
    let tampered = format!(
        "{}{}",
        &path[..path.len() - 1],
        if path.ends_with('A') { "B" } else { "A" }
    );
    for wrong in [
        tampered.as_str(),
        "/v0/links/x",
        "/v0/links/",
        "/v0/links/idt_fixture.creq_0.x",
    ] {
        let page = open(&client, wrong).await;
        assert_eq!(page.status, 404, "{wrong}");
        assert!(page.text.contains(r#"id="notice""#) && page.text.contains("not valid"));
    }
    let put = client
        .send(event_with_headers("PUT", &path, &[], Some("x")))
        .await;
    assert_eq!(put.status, 405);
    assert_eq!(put.headers["allow"], "GET, HEAD, POST");

    let id = created.json["requestId"].as_str().expect("an id");
    let cancel = writer(&vault)
        .request("DELETE", &format!("/v0/credential-requests/{id}"), None)
        .await;
    assert_eq!(cancel.json["status"], "cancelled");
    let page = open(&client, &path).await;
    assert_eq!(page.status, 410);
    assert!(page.text.contains("cancelled"));
}

#[tokio::test]
async fn a_value_a_put_refuses_shows_the_form_again_and_spends_nothing() {
    let vault = memory_vault();
    let totp =
        json!({"name": "gh-2fa", "type": "TOTP", "fields": [{"name": "secret", "label": "Seed"}]});
    let created = create(&vault, &totp).await;
    let path = link_path(&created);
    let client = TestClient::new(&vault);
    let proof = proof_of(&open(&client, &path).await);
    let bad = "not-base32-but-a-secret!";
    let refused = submit(&client, &path, &form_body(&proof, &[bad])).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(refused.text.contains(r#"id="error""#) && refused.text.contains("base32"));
    assert!(!refused.text.contains(bad), "the value is echoed");
    let empty = submit(&client, &path, &form_body(&proof, &[""])).await;
    assert_eq!(empty.status, 400);
    let extra = submit(
        &client,
        &path,
        &format!("{}&v7=x", form_body(&proof, &["JBSWY3DPEHPK3PXP"])),
    )
    .await;
    assert_eq!(extra.status, 400);
    // The refused submits were recorded as failed stores; the link still works.
    let failed = vault
        .store_port()
        .activity()
        .iter()
        .filter(|e| e.http_status == 400 && e.action.as_str() == "vault_store")
        .count();
    assert!(failed >= 2);
    assert!(!format!("{:?}", vault.store_port().activity()).contains(bad));
    let good = submit(&client, &path, &form_body(&proof, &["JBSWY3DPEHPK3PXP"])).await;
    assert_eq!(good.status, 200, "{}", good.text);
}

#[tokio::test]
async fn a_key_limited_by_grants_asks_only_for_what_it_may_write() {
    let vault = memory_vault();
    let key = super::grants::limited_key(
        &vault,
        "loid-1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a",
        json!({"grants": [{"names": ["github*"], "allow": ["read", "write"]}]}),
    );
    let limited = TestClient::new(&vault).with_key(&key);
    let hidden = limited
        .request("POST", "/v0/credential-requests", Some(&stripe_request()))
        .await;
    assert_envelope(&hidden, 404, "not_found");
    let mut github = stripe_request();
    github["name"] = json!("github-token");
    let allowed = limited
        .request("POST", "/v0/credential-requests", Some(&github))
        .await;
    assert_eq!(allowed.status, 201, "{}", allowed.text);
    // A request its identity made for a name it does not see is not found.
    let other = create(&vault, &stripe_request()).await;
    let id = other.json["requestId"].as_str().expect("an id");
    let status = limited
        .request("GET", &format!("/v0/credential-requests/{id}"), None)
        .await;
    assert_envelope(&status, 404, "not_found");
}

#[tokio::test]
async fn a_link_opens_only_while_the_key_that_asked_may_still_write() {
    use credvault::store::IdentityDirectory;
    let vault = memory_vault();
    let raw = "loid-2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b";
    let key = super::grants::limited_key(&vault, raw, json!({}));
    let asker = TestClient::new(&vault).with_key(&key);
    let created = asker
        .request("POST", "/v0/credential-requests", Some(&stripe_request()))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let path = link_path(&created);
    let client = TestClient::new(&vault);
    let page = open(&client, &path).await;
    assert_eq!(page.status, 200);
    // The key that asked is revoked (a leaked agent key, say): its links stop working.
    let hash = credvault::auth::ApiKey::parse(raw).expect("a key").hash();
    let key_id: String = hash
        .as_str()
        .chars()
        .take(credvault::store::KEY_ID_LEN)
        .collect();
    let subject = credvault::domain::Subject::Identity(fixture_identity());
    let now = credvault::domain::Timestamp::now();
    assert!(
        vault
            .store_port()
            .revoke_key(&subject, &key_id, now)
            .await
            .expect("revoked")
    );
    assert_eq!(open(&client, &path).await.status, 404);
    let late = submit(&client, &path, &form_body(&proof_of(&page), &[TYPED, "a"])).await;
    assert_eq!(late.status, 404);
    assert_eq!(vault.store_port().len(), 0);
}

#[tokio::test]
async fn a_link_ends_no_later_than_the_key_that_asked() {
    let clock = Arc::new(ManualClock::at(
        credvault::domain::Timestamp::parse("2030-01-01T00:00:00Z").expect("time"),
    ));
    let vault = memory_vault().with_clock(clock.clone());
    let key = super::grants::limited_key(
        &vault,
        "loid-4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d",
        json!({"notAfter": "2030-01-01T00:10:00Z"}),
    );
    let created = TestClient::new(&vault)
        .with_key(&key)
        .request("POST", "/v0/credential-requests", Some(&stripe_request()))
        .await;
    assert_eq!(
        created.json["expiresAt"], "2030-01-01T00:10:00Z",
        "{}",
        created.text
    );
    let path = link_path(&created);
    let client = TestClient::new(&vault);
    assert_eq!(open(&client, &path).await.status, 200);
    clock.advance(10 * 60);
    assert_eq!(open(&client, &path).await.status, 410);
}

#[tokio::test]
async fn cancelling_takes_the_write_grant_asking_took() {
    let vault = memory_vault();
    let created = create(&vault, &stripe_request()).await;
    let id = created.json["requestId"].as_str().expect("an id");
    let reader = super::grants::limited_key(
        &vault,
        "loid-3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c",
        json!({"grants": [{"names": ["stripe"], "allow": ["read"]}]}),
    );
    let limited = TestClient::new(&vault).with_key(&reader);
    let path = format!("/v0/credential-requests/{id}");
    assert_eq!(limited.request("GET", &path, None).await.status, 200);
    let refused = limited.request("DELETE", &path, None).await;
    assert_envelope(&refused, 403, "forbidden");
    let status = writer(&vault).request("GET", &path, None).await;
    assert_eq!(status.json["status"], "pending");
}

#[tokio::test]
async fn a_key_that_may_not_read_asks_for_secret_fields_only() {
    let vault = memory_vault();
    let key = super::grants::limited_key(
        &vault,
        "loid-5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e",
        json!({"grants": [{"names": ["stripe"], "allow": ["use", "write"]}]}),
    );
    let use_only = TestClient::new(&vault).with_key(&key);
    // A plain field would land in metadata, which this key lists: refused.
    let refused = use_only
        .request("POST", "/v0/credential-requests", Some(&stripe_request()))
        .await;
    assert_envelope(&refused, 403, "forbidden");
    let mut secret_only = stripe_request();
    secret_only["fields"] = json!([{"name": "key", "label": "Stripe key"}]);
    let asked = use_only
        .request("POST", "/v0/credential-requests", Some(&secret_only))
        .await;
    assert_eq!(asked.status, 201, "{}", asked.text);
}
