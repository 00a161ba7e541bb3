//! The activity log on the real SDK path: filtered pages cover every match once, newest
//! first, and each page is one query however sparse the filter.

use crate::stack::Stack;
use std::collections::HashSet;

#[tokio::test]
async fn a_filtered_log_pages_through_every_match_once_with_one_query_per_page() {
    // GIVEN 12 failed reads among 24 successful listings
    let stack = Stack::start().await;
    let writer = stack.writer();
    for i in 0..12 {
        for _ in 0..2 {
            assert_eq!(writer.request("GET", "/v0/vault", None).await.status, 200);
        }
        let missing = format!("/v0/vault/missing-{i}");
        assert_eq!(writer.request("GET", &missing, None).await.status, 404);
    }

    // WHEN the errors are read five at a time
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let path = match &token {
            None => "/v0/logs?status=error&limit=5".to_owned(),
            Some(t) => format!("/v0/logs?status=error&limit=5&pageToken={t}"),
        };
        stack.calls.clear();
        let page = writer.request("GET", &path, None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let queries = stack
            .calls
            .operations()
            .iter()
            .filter(|o| o.ends_with(".Query"))
            .count();
        assert_eq!(queries, 1, "one query per page");
        for entry in page.json["logs"].as_array().unwrap() {
            assert_eq!(entry["status"], "error");
            assert_eq!(entry["metadata"]["httpStatus"], 404);
            seen.push((
                entry["createdAt"].as_str().unwrap().to_owned(),
                entry["id"].clone(),
            ));
        }
        token = page.json["nextPageToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }

    // THEN each of the 12 comes once, newest first
    let ids: HashSet<String> = seen.iter().map(|(_, id)| id.to_string()).collect();
    assert_eq!((seen.len(), ids.len()), (12, 12), "{seen:?}");
    let times: Vec<&String> = seen.iter().map(|(t, _)| t).collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted);
}

#[tokio::test]
async fn entries_past_their_retention_are_not_listed_before_ttl_deletes_them() {
    use credvault::domain::{LogFilter, Timestamp};
    use credvault::store::ActivityLog;
    use credvault::testing::test_entry;
    // GIVEN two entries of 100 days ago, one kept 90 days (expired, not yet deleted by
    // DynamoDB's TTL) and one kept 365, and one of today
    let stack = Stack::start().await;
    let old = Timestamp::now_millis().days_before(100);
    let aged = |kept: u32| {
        credvault::domain::ActivityEntry {
            created_at: old,
            ..test_entry(&stack.identity)
        }
        .kept_for(kept)
    };
    let (expired, kept, fresh) = (aged(90), aged(365), test_entry(&stack.identity));
    for entry in [&expired, &kept, &fresh] {
        stack.store.append(entry).await.unwrap();
    }
    // WHEN the log is listed, unfiltered and filtered, a page at a time
    let now = Timestamp::now();
    let everything = LogFilter::default();
    let reads = LogFilter {
        action: Some(credvault::domain::Action::VaultGet),
        ..LogFilter::default()
    };
    for filter in [everything, reads] {
        let mut ids = Vec::new();
        let mut after = None;
        loop {
            let page = stack
                .store
                .entries(&stack.identity, &filter, 1, after.as_ref(), now)
                .await
                .unwrap();
            ids.extend(page.entries.iter().map(|e| e.id.clone()));
            let Some(token) = page.next_page_token else {
                break;
            };
            after = Some(credvault::domain::LogCursor::from_token(&token).unwrap());
        }
        // THEN the expired entry is not among them
        assert_eq!(ids, [fresh.id.clone(), kept.id.clone()], "{filter:?}");
    }
}
