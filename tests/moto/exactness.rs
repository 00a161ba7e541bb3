//! Exactness and paging against DynamoDB: generated JSON reads back as written, and a list
//! is walked a page at a time through the table's own query pages.

use crate::stack::Stack;
use serde_json::json;

#[path = "../common/json_gen.rs"]
mod json_gen;

#[tokio::test]
async fn generated_json_reads_back_as_written_through_dynamodb() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    // GIVEN bodies drawn from the property test's generator (a fixed seed: the same each run)
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let stack = Stack::start().await;
    let client = stack.writer();
    for case in 0..24 {
        let (kind, data, metadata, space) = json_gen::exact_body()
            .new_tree(&mut runner)
            .expect("a body")
            .current();
        let metadata_text = metadata
            .as_ref()
            .map_or("null".to_owned(), json_gen::Json::compact);
        let body = format!(
            r#"{{"type":{space}"{}",{space}"data":{space}{},"metadata":{}}}"#,
            kind.as_str(),
            data.render(space),
            metadata
                .as_ref()
                .map_or("null".to_owned(), |m| m.render(space)),
        );
        // WHEN each is stored in DynamoDB and read back
        let path = format!("/v0/vault/gen-{case}");
        let request = credvault::testing::api_event(
            "PUT",
            &path,
            Some(stack.write_key.expose()),
            Some(&body),
        );
        let stored = client.send(request).await;
        assert_eq!(stored.status, 200, "{}", stored.text);
        let read = client.request("GET", &path, None).await;
        // THEN the answer holds the text that was sent, whitespace aside
        assert_eq!(read.status, 200, "{}", read.text);
        assert_eq!(
            json_gen::answered_texts(&read.text),
            (data.compact(), metadata_text),
            "case {case}"
        );
    }
}

#[tokio::test]
async fn pages_walk_the_table_in_name_order() {
    // GIVEN seven credentials, and another identity's, stored in DynamoDB
    let stack = Stack::start().await;
    let client = stack.writer();
    for i in 0..7 {
        let body = json!({"type": "CUSTOM", "data": {"i": i}, "metadata": {"i": i}});
        assert_eq!(client.put(&format!("p{i}"), &body).await.status, 200);
    }
    let other = stack.other_identity().await;
    let stranger =
        credvault::testing::TestClient::new(&stack.vault).with_key(other.api_key.expose());
    assert_eq!(
        stranger
            .put("p3x", &json!({"type": "CUSTOM", "data": {"x": 1}}))
            .await
            .status,
        200
    );

    // WHEN it is walked three at a time
    let mut seen = Vec::new();
    let mut path = "/v0/vault?limit=3".to_owned();
    loop {
        let page = client.request("GET", &path, None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        for credential in page.json["credentials"].as_array().unwrap() {
            seen.push(credential["name"].as_str().unwrap().to_owned());
        }
        match page.json["nextPageToken"].as_str() {
            Some(token) => path = format!("/v0/vault?limit=3&pageToken={token}"),
            None => break,
        }
    }
    // THEN every one comes once, in order, and none of the other identity's
    let want: Vec<String> = (0..7).map(|i| format!("p{i}")).collect();
    assert_eq!(seen, want);
    // A page may start after a name that is not (or no longer) there.
    let gone = credvault::domain::CredentialName::parse("p3a").unwrap();
    let token = credvault::domain::ListCursor(gone).to_token();
    let page = client
        .request(
            "GET",
            &format!("/v0/vault?limit=10&pageToken={token}"),
            None,
        )
        .await;
    let after: Vec<&str> = page.json["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(after, ["p4", "p5", "p6"]);
}
