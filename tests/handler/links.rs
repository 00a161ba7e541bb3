//! Request links through the handler: an agent asks, a person fills in the page, the agent
//! sees the request fulfilled and reads the credential; the page's own safety is in
//! `link_safety`.

use credvault::crypto::LocalKeyProvider;
use credvault::domain::Channel;
use credvault::store::MemoryStore;
use credvault::testing::*;
use serde_json::{Value, json};

pub(super) const TYPED: &str = "sk_live_Typed.By-A-Person_0042";

pub(super) fn stripe_request() -> Value {
    json!({
        "name": "stripe",
        "type": "API_KEY",
        "fields": [
            {"name": "key", "label": "Stripe key", "secret": true},
            {"name": "account", "label": "Account id", "secret": false},
        ],
        "message": "The billing agent needs <b>this</b>",
        "metadata": {"service": "stripe"},
    })
}

/// The path of a link's page, from the URL its creation answered.
pub(super) fn link_path(created: &Answer) -> String {
    let url = created.json["url"].as_str().expect("a url");
    let path = url
        .strip_prefix("https://localhost")
        .expect("the request's own domain");
    assert!(path.starts_with("/v0/links/"), "{url}");
    path.to_owned()
}

/// Opens the link's page with a browser's headers.
pub(super) async fn open(
    client: &TestClient<'_, MemoryStore, LocalKeyProvider>,
    path: &str,
) -> Answer {
    client
        .send(event_with_headers(
            "GET",
            path,
            &[("sec-fetch-site", "none")],
            None,
        ))
        .await
}

/// The hidden proof a page carries.
pub(super) fn proof_of(page: &Answer) -> String {
    let (_, after) = page
        .text
        .split_once(r#"name="proof" value=""#)
        .expect("a proof field");
    after.split('"').next().expect("its value").to_owned()
}

pub(super) fn form_body(proof: &str, values: &[&str]) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("proof", proof);
    for (i, value) in values.iter().enumerate() {
        form.append_pair(&format!("v{i}"), value);
    }
    form.finish()
}

/// Sends the form as the page's browser would.
pub(super) async fn submit(
    client: &TestClient<'_, MemoryStore, LocalKeyProvider>,
    path: &str,
    body: &str,
) -> Answer {
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("sec-fetch-site", "same-origin"),
        ("origin", "null"),
    ];
    client
        .send(event_with_headers("POST", path, &headers, Some(body)))
        .await
}

pub(super) async fn create(vault: &MemoryVault, body: &Value) -> Answer {
    writer(vault)
        .request("POST", "/v0/credential-requests", Some(body))
        .await
}

#[tokio::test]
async fn an_agent_asks_a_person_fills_in_the_page_and_the_agent_reads_it() {
    let vault = memory_vault();
    let created = create(&vault, &stripe_request()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["requestId"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert!(id.starts_with("creq_"));
    assert_eq!(created.json["status"], "pending");
    assert_eq!(created.json["name"], "stripe");
    let path = link_path(&created);
    let status_path = format!("/v0/credential-requests/{id}");
    let status = writer(&vault).request("GET", &status_path, None).await;
    assert_eq!(status.json["status"], "pending", "{}", status.text);
    assert!(status.json["credentialId"].is_null());
    assert!(
        !status.text.contains("/v0/links/"),
        "the status never shows the link"
    );

    let client = TestClient::new(&vault);
    let page = open(&client, &path).await;
    assert_eq!(page.status, 200, "{}", page.text);
    for shown in [
        "idt_fixture",
        "stripe",
        "API_KEY",
        "Stripe key",
        "Account id",
    ] {
        assert!(page.text.contains(shown), "{shown} not on the page");
    }
    // The agent's message is shown as text, never as markup.
    assert!(page.text.contains("&#60;b&#62;this") || page.text.contains("&lt;b&gt;this"));
    assert!(!page.text.contains("<b>this"));
    assert!(page.text.contains(r#"type="password""#));
    // Where the agent may have the vault send it is said on the page: here, nowhere.
    assert!(page.text.contains("no usePolicy"), "{}", page.text);
    let mut brokered = stripe_request();
    brokered["usePolicy"] = json!({"hosts": ["api.stripe.com"], "methods": ["POST"]});
    let other = link_path(&create(&vault, &brokered).await);
    let shown = open(&client, &other).await;
    assert!(
        shown.text.contains("send it to api.stripe.com (POST only)"),
        "{}",
        shown.text
    );

    let done = submit(
        &client,
        &path,
        &form_body(&proof_of(&page), &[TYPED, "acct_42"]),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert!(done.text.contains(r#"id="done""#));
    assert!(!done.text.contains(TYPED));

    let status = writer(&vault).request("GET", &status_path, None).await;
    assert_eq!(status.json["status"], "fulfilled");
    let credential_id = status.json["credentialId"]
        .as_str()
        .expect("the credential's id");
    assert!(!status.text.contains(TYPED));
    let read = writer(&vault)
        .request("GET", "/v0/vault/stripe", None)
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json["data"], json!({"key": TYPED}));
    assert_eq!(
        read.json["metadata"],
        json!({"service": "stripe", "account": "acct_42"})
    );
    assert_eq!(read.json["credentialId"], credential_id);

    // Recorded as a store by the link's channel, in the identity's log, with no value.
    let entries = vault.store_port().activity();
    let stored = entries
        .iter()
        .find(|e| e.caller.channel == Channel::Link)
        .expect("the link's entry");
    assert_eq!(stored.action.as_str(), "vault_store");
    assert_eq!(stored.http_status, 200);
    assert_eq!(stored.credential_id.as_deref(), Some(credential_id));
    assert!(!format!("{entries:?}").contains(TYPED));
    let logs = writer(&vault)
        .request("GET", "/v0/logs?action=vault_store", None)
        .await;
    assert!(logs.text.contains(r#""channel":"link""#), "{}", logs.text);
}

#[tokio::test]
async fn the_same_request_over_mcp() {
    let vault = memory_vault();
    let client = writer(&vault);
    let result = client.call_tool("vault_request", stripe_request()).await;
    let created = &result["structuredContent"];
    assert_eq!(created["status"], "pending", "{result}");
    let id = created["requestId"].as_str().expect("an id");
    let status = client
        .call_tool("vault_request_status", json!({"requestId": id}))
        .await;
    assert_eq!(status["structuredContent"]["status"], "pending", "{status}");
    let cancelled = client
        .call_tool("vault_request_cancel", json!({"requestId": id}))
        .await;
    assert_eq!(
        cancelled["structuredContent"]["status"], "cancelled",
        "{cancelled}"
    );
    let refused = client
        .call_tool("vault_request_status", json!({"requestId": "creq_nope"}))
        .await;
    assert_eq!(refused["isError"], true);
    assert_eq!(refused["structuredContent"]["status"], 404);
    let tools = client
        .mcp(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .await;
    assert!(tools.text.contains("vault_request_status"));
}

#[tokio::test]
async fn bad_requests_get_the_envelope_and_make_nothing() {
    let vault = memory_vault();
    let cases = [
        (json!({"name": "x", "type": "API_KEY"}), 400),
        (
            json!({"name": "x", "type": "API_KEY", "fields": [{"name": "k"}], "expiresIn": 5}),
            400,
        ),
        (
            json!({"name": "bad name", "type": "API_KEY", "fields": [{"name": "k"}]}),
            400,
        ),
    ];
    for (body, status) in cases {
        let answer = create(&vault, &body).await;
        assert_envelope(&answer, status, "bad_request");
    }
    assert!(vault.store_port().request_items().is_empty());
    // A read-only key may not ask; an unknown id is not found; another identity's is not
    // found either.
    let read_only = TestClient::new(&vault).with_key(READ_KEY);
    let refused = read_only
        .request("POST", "/v0/credential-requests", Some(&stripe_request()))
        .await;
    assert_envelope(&refused, 403, "forbidden");
    let created = create(&vault, &stripe_request()).await;
    let id = created.json["requestId"].as_str().expect("an id");
    for (key, path) in [
        (WRITE_KEY, "/v0/credential-requests/creq_0000".to_owned()),
        (OTHER_IDENTITY_KEY, format!("/v0/credential-requests/{id}")),
    ] {
        let answer = TestClient::new(&vault).request_as(key, "GET", &path).await;
        assert_envelope(&answer, 404, "not_found");
    }
}

#[tokio::test]
async fn an_identity_has_a_bounded_number_pending() {
    let vault = memory_vault();
    for i in 0..credvault::domain::MAX_PENDING_REQUESTS {
        let mut body = stripe_request();
        body["name"] = format!("cred-{i}").into();
        assert_eq!(create(&vault, &body).await.status, 201);
    }
    let refused = create(&vault, &stripe_request()).await;
    assert_envelope(&refused, 429, "rate_limited");
    // Cancelling one makes room for another.
    let items = vault.store_port().request_items();
    let id = items[0]["requestId"].as_s().expect("an id");
    let cancelled = writer(&vault)
        .request("DELETE", &format!("/v0/credential-requests/{id}"), None)
        .await;
    assert_eq!(cancelled.json["status"], "cancelled", "{}", cancelled.text);
    assert_eq!(create(&vault, &stripe_request()).await.status, 201);
}

#[tokio::test]
async fn a_private_key_is_asked_for_in_a_text_area_and_kept_with_its_line_breaks() {
    let vault = memory_vault();
    let ask = json!({"name": "deploy-key", "type": "SSH_KEY",
        "fields": [{"name": "privateKey", "label": "Deploy key"}]});
    let path = link_path(&create(&vault, &ask).await);
    let client = TestClient::new(&vault);
    let page = open(&client, &path).await;
    assert!(
        page.text.contains(r#"<textarea id="v0" name="v0""#),
        "{}",
        page.text
    );
    let pem = "-----BEGIN OPENSSH PRIVATE KEY-----\r\nb3BlbnNzaC1rZXk\r\n-----END OPENSSH PRIVATE KEY-----\r\n";
    let done = submit(&client, &path, &form_body(&proof_of(&page), &[pem])).await;
    assert_eq!(done.status, 200, "{}", done.text);
    let read = writer(&vault)
        .request("GET", "/v0/vault/deploy-key", None)
        .await;
    assert_eq!(read.json["data"]["privateKey"], pem.replace('\r', ""));
}
