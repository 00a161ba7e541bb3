//! The list never passes Lambda's response limit: a bare call answers the whole list or, if
//! it would not fit one answer, a recorded 400 (never a part taken for the whole); `limit`
//! and `pageToken` walk it a page at a time, on both edges.

use credvault::domain::MAX_METADATA_BYTES;
use credvault::testing::*;
use credvault::vault::LIST_PAGE_BYTES;
use serde_json::{Value, json};

fn names(answer: &Value) -> Vec<String> {
    answer["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn store_many(vault: &MemoryVault, count: usize, metadata: &Value) {
    for i in 0..count {
        let body = json!({"type": "CUSTOM", "data": {"k": i}, "metadata": metadata});
        let stored = writer(vault).put(&format!("c{i:02}"), &body).await;
        assert_eq!(stored.status, 200, "{}", stored.text);
    }
}

#[tokio::test]
async fn pages_walk_the_list_in_name_order_and_a_bare_call_gets_it_whole() {
    let vault = memory_vault();
    store_many(&vault, 5, &json!({"service": "x"})).await;
    let client = writer(&vault);

    let whole = client.request("GET", "/v0/vault", None).await;
    assert_eq!(whole.json["count"], 5);
    assert!(
        whole.json.get("nextPageToken").is_none(),
        "the hosted shape, unchanged"
    );

    let mut seen = Vec::new();
    let mut path = "/v0/vault?limit=2".to_owned();
    loop {
        let page = client.request("GET", &path, None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(page.json["count"].as_u64().unwrap() <= 2);
        seen.extend(names(&page.json));
        match page.json["nextPageToken"].as_str() {
            Some(token) => path = format!("/v0/vault?limit=2&pageToken={token}"),
            None => {
                assert!(
                    page.json["nextPageToken"].is_null(),
                    "present, null at the end"
                );
                break;
            }
        }
    }
    assert_eq!(seen, names(&whole.json));
    assert_eq!(seen, ["c00", "c01", "c02", "c03", "c04"]);
}

#[tokio::test]
async fn at_the_byte_boundary_a_bare_call_is_refused_and_recorded_and_pages_still_work() {
    // GIVEN sixteen credentials whose listed sizes (256 + name + metadata text) add up to the
    // answer's budget exactly
    const FITTING: usize = 16;
    let metadata_text = LIST_PAGE_BYTES / FITTING - 256 - "c00".len();
    let big = json!({"m": "x".repeat(metadata_text - r#"{"m":""}"#.len())});
    assert_eq!(big.to_string().len(), metadata_text);
    assert!(metadata_text <= MAX_METADATA_BYTES);
    let vault = memory_vault();
    store_many(&vault, FITTING, &big).await;
    let client = writer(&vault);
    let whole = client.request("GET", "/v0/vault", None).await;
    assert_eq!(whole.status, 200, "exactly the budget fits");
    assert_eq!(whole.json["count"], FITTING);
    assert!(
        whole.text.len() < LIST_PAGE_BYTES,
        "the estimate covers the answer"
    );

    // WHEN one more, however small, is stored
    let small = json!({"type": "CUSTOM", "data": {"k": 1}});
    assert_eq!(
        client.put(&format!("c{FITTING:02}"), &small).await.status,
        200
    );
    let refused = client.request("GET", "/v0/vault", None).await;
    assert_envelope(&refused, 400, "bad_request");
    assert!(
        refused.json["message"]
            .as_str()
            .unwrap()
            .contains("pageToken")
    );
    let entry = vault.store_port().activity().pop().unwrap();
    assert_eq!(
        (entry.action.as_str(), entry.http_status),
        ("vault_list", 400)
    );

    let first = client.request("GET", "/v0/vault?limit=1000", None).await;
    assert_eq!(first.json["count"], FITTING, "cut by bytes, not by limit");
    let token = first.json["nextPageToken"].as_str().unwrap();
    let rest = client
        .request("GET", &format!("/v0/vault?pageToken={token}"), None)
        .await;
    assert_eq!(names(&rest.json), [format!("c{FITTING:02}")]);
    assert!(rest.json["nextPageToken"].is_null());
}

#[tokio::test]
async fn bad_paging_parameters_are_400_and_recorded() {
    let vault = memory_vault();
    let client = writer(&vault);
    for query in [
        "limit=0",
        "limit=1001",
        "limit=two",
        "pageToken=%21%21",
        "page=2",
        "limit=1&limit=2",
    ] {
        let answer = client
            .request("GET", &format!("/v0/vault?{query}"), None)
            .await;
        assert_envelope(&answer, 400, "bad_request");
        assert!(
            !answer.json["message"].as_str().unwrap().contains("!!"),
            "{query}"
        );
    }
    let recorded = vault.store_port().activity();
    assert_eq!(recorded.len(), 6);
    assert!(recorded.iter().all(|e| e.http_status == 400));
}

#[tokio::test]
async fn vault_list_pages_over_mcp_too() {
    let vault = memory_vault();
    store_many(&vault, 3, &json!({})).await;
    let client = writer(&vault);
    let first = client.call_tool("vault_list", json!({"limit": 2})).await;
    let page = &first["structuredContent"];
    assert_eq!(names(page), ["c00", "c01"]);
    let token = page["nextPageToken"].as_str().unwrap();
    let second = client
        .call_tool("vault_list", json!({"limit": 2, "pageToken": token}))
        .await;
    assert_eq!(names(&second["structuredContent"]), ["c02"]);
    let bad = client.call_tool("vault_list", json!({"limit": 0})).await;
    assert_eq!(bad["isError"], true);
    let whole = client.call_tool("vault_list", json!({})).await;
    assert!(whole["structuredContent"].get("nextPageToken").is_none());
}
