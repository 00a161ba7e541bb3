//! The `ActivityLog` suite.

use super::{at, entry, fresh_identity};
use crate::domain::{Action, ActivityEntry, LogFilter, Outcome, Subject};
use crate::store::ActivityLog;

/// `ActivityLog`: pages newest first with a token, filters, the retention window and each
/// entry's expiry, counts by day, and the newest entry's time.
pub async fn activity_log<L: ActivityLog>(log: &L) {
    let me = Subject::Identity(fresh_identity());
    let times = [
        "2026-05-01T10:00:00.001Z",
        "2026-05-01T10:00:00.002Z",
        "2026-05-02T10:00:00Z",
    ];
    let mut written = Vec::new();
    for (i, time) in times.iter().enumerate() {
        let status = if i == 1 { 404 } else { 200 };
        let entry = entry(&me, Action::VaultGet, status, time);
        log.append(&entry).await.unwrap();
        written.push(entry);
    }
    let expired = entry(&me, Action::VaultList, 200, "2026-05-02T11:00:00Z").kept_for(0);
    log.append(&expired).await.unwrap();
    let now = at("2026-05-03T00:00:00Z");
    let window = (at("2026-04-01T00:00:00Z"), now);
    let everything = LogFilter::default();
    let first = log
        .entries(&me, &everything, 2, None, window)
        .await
        .unwrap();
    let ids: Vec<&str> = first.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [written[2].id.as_str(), written[1].id.as_str()],
        "expired ones hidden"
    );
    let token = first.next_page_token.expect("more");
    let after = crate::domain::LogCursor::from_token(&token).expect("our token");
    let rest = log
        .entries(&me, &everything, 2, Some(&after), window)
        .await
        .unwrap();
    // Entries come back as written, but for their expiry, kept to the second (DynamoDB's
    // TTL is in seconds).
    let same = |read: &ActivityEntry, written: &ActivityEntry| {
        let expiry_to_the_second =
            read.expires_at.unix_seconds() == written.expires_at.unix_seconds();
        let rest = ActivityEntry {
            expires_at: written.expires_at,
            ..read.clone()
        };
        expiry_to_the_second && rest == *written
    };
    assert_eq!(rest.entries.len(), 1);
    assert!(same(&rest.entries[0], &written[0]), "{:?}", rest.entries);
    assert_eq!(rest.next_page_token, None);
    let errors = LogFilter {
        outcome: Some(Outcome::Error),
        ..LogFilter::default()
    };
    let page = log.entries(&me, &errors, 10, None, window).await.unwrap();
    assert_eq!(page.entries.len(), 1);
    assert!(same(&page.entries[0], &written[1]), "{:?}", page.entries);
    let recent = (at("2026-05-02T00:00:00Z"), now);
    let page = log
        .entries(&me, &everything, 10, None, recent)
        .await
        .unwrap();
    let ids: Vec<&str> = page.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [written[2].id.as_str()],
        "the window bounds the listing"
    );

    let stats = log
        .stats(&me, at("2026-05-01T00:00:00Z"), at("2026-05-02T12:00:00Z"))
        .await
        .unwrap();
    assert_eq!((stats.total, stats.today, stats.errors), (4, 2, 1));
    let last = log.last_activity(&me).await.unwrap();
    assert_eq!(last, Some(expired.created_at));
    assert_eq!(
        log.last_activity(&Subject::Identity(fresh_identity()))
            .await
            .unwrap(),
        None
    );

    // A platform call mirrored into this log is listed, but it is no request of this
    // identity: it counts for neither the statistics nor the last activity.
    let org = Subject::parse("org_conformance").expect("an organisation");
    let mirrored =
        entry(&org, Action::IdentitiesUpdate, 200, "2026-05-02T12:00:00Z").mirrored_for(me.clone());
    log.append(&mirrored).await.unwrap();
    let page = log
        .entries(&me, &everything, 1, None, window)
        .await
        .unwrap();
    assert_eq!(page.entries[0].id, mirrored.id);
    assert!(page.entries[0].mirrored && page.entries[0].caller.source_ip.is_empty());
    let stats = log
        .stats(&me, at("2026-05-01T00:00:00Z"), at("2026-05-02T12:00:00Z"))
        .await
        .unwrap();
    assert_eq!(stats.total, 4, "not counted");
    assert_eq!(
        log.last_activity(&me).await.unwrap(),
        Some(expired.created_at)
    );
}
