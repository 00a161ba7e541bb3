//! Request links on moto, through the function's own wiring: what each step costs in AWS
//! calls, that opening a link writes nothing, that a link fills its request once when two
//! submits race on real conditional writes, and that no item holds a typed value or the
//! link's secret.

use crate::stack::Stack;
use credvault::testing::*;
use serde_json::json;

const TYPED: &str = "sk_live_Moto-Typed_0042";

fn proof_of(page: &Answer) -> String {
    let (_, after) = page
        .text
        .split_once(r#"name="proof" value=""#)
        .expect("a proof field");
    after.split('"').next().expect("its value").to_owned()
}

fn form(proof: &str, value: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("proof", proof)
        .append_pair("v0", value)
        .finish()
}

const FORM_HEADERS: [(&str, &str); 2] = [
    ("content-type", "application/x-www-form-urlencoded"),
    ("sec-fetch-site", "same-origin"),
];

#[tokio::test]
async fn a_link_costs_two_reads_to_open_and_fills_its_request_once() {
    let stack = Stack::start().await;
    let writer = stack.writer();
    let person = TestClient::new(&stack.vault);
    let ask = json!({"name": "openai", "type": "API_KEY", "fields": [{"name": "key"}]});

    stack.calls.clear();
    let created = writer
        .request("POST", "/v0/credential-requests", Some(&ask))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let create_calls = (stack.calls.operations(), stack.calls.sequential_depth());
    let url = created.json["url"].as_str().expect("a url");
    let path = &url[url.find("/v0/links/").expect("a link path")..];
    let id = created.json["requestId"].as_str().expect("an id");

    let before = stack.scan().await;
    stack.calls.clear();
    let page = person
        .send(event_with_headers("GET", path, &[], None))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let open_calls = (stack.calls.operations(), stack.calls.sequential_depth());
    // The request and the identity at once, then the key that asked (no principal cache in
    // this stack: warm, that read is skipped, below).
    assert_eq!(open_calls.0.len(), 3, "{open_calls:?}");
    assert_eq!(open_calls.1, 2, "{open_calls:?}");
    assert_eq!(stack.scan().await, before, "opening a link wrote something");
    let cached = credvault::startup::build(
        &crate::stack::config(&[("PRINCIPAL_CACHE_SECONDS", "60")]),
        stack.clients(),
    )
    .await
    .expect("the function's wiring");
    let warm = TestClient::new(&cached.vault);
    assert_eq!(
        warm.send(event_with_headers("GET", path, &[], None))
            .await
            .status,
        200
    );
    stack.calls.clear();
    assert_eq!(
        warm.send(event_with_headers("GET", path, &[], None))
            .await
            .status,
        200
    );
    let warm_calls = (stack.calls.operations(), stack.calls.sequential_depth());
    assert_eq!((warm_calls.0.len(), warm_calls.1), (2, 1), "{warm_calls:?}");

    let proof = proof_of(&page);
    let (one, two) = (form(&proof, TYPED), form(&proof, "sk_live_Second_0042"));
    stack.calls.clear();
    let (first, second) = tokio::join!(
        person.send(event_with_headers("POST", path, &FORM_HEADERS, Some(&one))),
        person.send(event_with_headers("POST", path, &FORM_HEADERS, Some(&two))),
    );
    let mut statuses = [first.status.as_u16(), second.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 410], "{} / {}", first.text, second.text);
    let winner = if first.status == 200 {
        TYPED
    } else {
        "sk_live_Second_0042"
    };

    // One submit alone, for its cost: a fresh request.
    let created = writer
        .request("POST", "/v0/credential-requests", Some(&ask))
        .await;
    let url = created.json["url"].as_str().expect("a url");
    let path = &url[url.find("/v0/links/").expect("a link path")..];
    let page = person
        .send(event_with_headers("GET", path, &[], None))
        .await;
    let body = form(&proof_of(&page), winner);
    stack.calls.clear();
    let done = person
        .send(event_with_headers("POST", path, &FORM_HEADERS, Some(&body)))
        .await;
    assert_eq!(done.status, 200, "{}", done.text);
    let submit_calls = (stack.calls.operations(), stack.calls.sequential_depth());
    println!("create: {create_calls:?}\nopen: {open_calls:?}\nopen, warm: {warm_calls:?}");
    println!("submit: {submit_calls:?}");
    // The link's reads (two at once, then the key), then the data key beside the rate count,
    // then the one transaction that stores the credential, spends the link and records it.
    assert_eq!(submit_calls.1, 4, "{submit_calls:?}");
    assert_eq!(
        submit_calls
            .0
            .iter()
            .filter(|op| *op == "DynamoDB.TransactWriteItems")
            .count(),
        1
    );
    assert!(create_calls.1 <= 3, "{create_calls:?}");

    let status = writer
        .request("GET", &format!("/v0/credential-requests/{id}"), None)
        .await;
    assert_eq!(status.json["status"], "fulfilled", "{}", status.text);
    let read = writer.request("GET", "/v0/vault/openai", None).await;
    assert_eq!(read.json["data"]["key"], winner);
    // No item holds a typed value or a link's secret, in any attribute.
    let table = format!("{:?}", stack.scan().await);
    let secret = url.rsplit('.').next().expect("the secret");
    for value in [TYPED, "sk_live_Second_0042", secret] {
        assert!(!table.contains(value), "{value} is in the table");
    }
}

#[tokio::test]
async fn a_request_item_a_table_writer_made_or_changed_opens_nothing() {
    let stack = Stack::start().await;
    let writer = stack.writer();
    let person = TestClient::new(&stack.vault);
    let ask = json!({"name": "stripe", "type": "API_KEY", "fields": [{"name": "key"}],
        "message": "from the agent"});
    let created = writer
        .request("POST", "/v0/credential-requests", Some(&ask))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let url = created.json["url"].as_str().expect("a url");
    let path = &url[url.find("/v0/links/").expect("a link path")..];
    assert_eq!(
        person
            .send(event_with_headers("GET", path, &[], None))
            .await
            .status,
        200
    );

    let id = credvault::domain::RequestId::parse(created.json["requestId"].as_str().expect("id"))
        .expect("an id");
    let key = credvault::store::layout::TableLayout::request_key(&stack.identity, &id);
    let item = stack.item(key).await.expect("the request's item");
    // Another message (a phishing text), or the same item without its tag: refused.
    let mut changed = item.clone();
    changed.insert(
        "message".into(),
        aws_sdk_dynamodb::types::AttributeValue::S("paste your root password".into()),
    );
    let mut untagged = item.clone();
    untagged.remove("mac");
    for forged in [changed, untagged] {
        stack.put_raw(forged).await;
        let page = person
            .send(event_with_headers("GET", path, &[], None))
            .await;
        assert_eq!(page.status, 404, "{}", page.text);
        assert!(!page.text.contains("root password"));
    }
    stack.put_raw(item).await;
    assert_eq!(
        person
            .send(event_with_headers("GET", path, &[], None))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn requests_made_at_once_never_pass_the_bound_together() {
    let stack = Stack::start().await;
    let writer = stack.writer();
    let ask = |name: String| json!({"name": name, "type": "API_KEY", "fields": [{"name": "key"}]});
    let bound = credvault::domain::MAX_PENDING_REQUESTS;
    for i in 0..bound - 2 {
        let made = writer
            .request(
                "POST",
                "/v0/credential-requests",
                Some(&ask(format!("c-{i}"))),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
    }
    // Four at once for the last two places: two are made, two refused (or asked to retry).
    let bodies: Vec<_> = (0..4).map(|i| ask(format!("race-{i}"))).collect();
    let answers = futures_util::future::join_all(
        bodies
            .iter()
            .map(|body| writer.request("POST", "/v0/credential-requests", Some(body))),
    )
    .await;
    let made = answers.iter().filter(|a| a.status == 201).count();
    let statuses: Vec<_> = answers.iter().map(|a| a.status).collect();
    // Two places: never more made (a request that lost three races is asked to retry).
    assert!((1..=2).contains(&made), "{statuses:?}");
    assert!(
        answers
            .iter()
            .all(|a| matches!(a.status.as_u16(), 201 | 429 | 503))
    );
    let pending = stack
        .scan()
        .await
        .iter()
        .filter(|item| {
            item.get("status")
                .and_then(|s| s.as_s().ok())
                .map(String::as_str)
                == Some("pending")
        })
        .count();
    assert_eq!(pending, bound - 2 + made);
}
