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
    use credvault::domain::{ActivityEntry, LogFilter, Timestamp};
    use credvault::store::ActivityLog;
    use credvault::testing::test_entry;
    // GIVEN, with a retention window of 365 days: two entries of 100 days ago, one that was
    // kept 90 days (expired, not yet deleted by DynamoDB's TTL) and one kept 365; one of 400
    // days ago kept 1,000 (outside the window); and one of today
    let stack = Stack::start().await;
    let now = Timestamp::now();
    let aged = |days: u32, kept: u32| {
        ActivityEntry {
            created_at: Timestamp::now_millis().days_before(days),
            ..test_entry(&stack.identity)
        }
        .kept_for(kept)
    };
    let (expired, kept, outside) = (aged(100, 90), aged(100, 365), aged(400, 1000));
    let fresh = test_entry(&stack.identity);
    for entry in [&expired, &kept, &outside, &fresh] {
        stack.store.append(entry).await.unwrap();
    }
    // WHEN the log is listed, unfiltered and filtered, a page at a time
    let window = (now.days_before(365), now);
    let reads = LogFilter {
        action: Some(credvault::domain::Action::VaultGet),
        ..LogFilter::default()
    };
    for filter in [LogFilter::default(), reads] {
        let mut ids = Vec::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            pages += 1;
            let page = stack
                .store
                .entries(&stack.subject(), &filter, 1, after.as_ref(), window)
                .await
                .unwrap();
            ids.extend(page.entries.iter().map(|e| e.id.clone()));
            let Some(token) = page.next_page_token else {
                break;
            };
            after = Some(credvault::domain::LogCursor::from_token(&token).unwrap());
        }
        // THEN only the live entries inside the window are listed, and the walk never goes
        // past the window: a page for each, and at most one more that finds the end
        assert_eq!(ids, [fresh.id.clone(), kept.id.clone()], "{filter:?}");
        assert!(pages <= 3, "{filter:?}: {pages} pages");
        // AND a token from before the window (stale, or made up) is the end of the log,
        // answered without a query: DynamoDB refuses a start key outside the key condition
        stack.calls.clear();
        let stale = credvault::domain::LogCursor::of(&outside);
        let page = stack
            .store
            .entries(&stack.subject(), &filter, 5, Some(&stale), window)
            .await
            .unwrap();
        assert!(page.entries.is_empty() && page.next_page_token.is_none());
        assert!(stack.calls.operations().is_empty());
    }
}
