//! The activity log on DynamoDB. Entries sit under `LOG#<subject>`, sorted by time then id,
//! and expire through the table's TTL; per-day counters under `STATS#<subject>` answer
//! the statistics without reading the log. A credential write and its entry commit in one
//! transaction; the day's counters are bumped beside it, not after it.

use super::item::{Item, key_item, malformed, n, s, text};
use super::layout::{TableLayout, attr};
use super::log_item::{entry_from_item, entry_item};
use super::{
    DynamoStore, build_error, cancelled_by_condition, cancelled_by_conflict, ddb_error,
    transaction_error,
};

use crate::dependency::DependencyError;
use crate::domain::{
    Action, ActivityEntry, ActivityStats, Category, LogCursor, LogFilter, LogPage, Outcome,
    Severity, Subject, Timestamp,
};
use crate::store::ActivityLog;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use std::collections::HashMap;

/// The most items one listing request evaluates, filters included: its cost is bounded by
/// the page, whatever the history holds.
const MAX_EVALUATED: usize = 1000;
/// On a day's counters: the time of that day's latest request.
const LAST_AT: &str = "lastAt";

/// How a transaction ended when it did not fail outright. Unless `Applied`, nothing was
/// written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Commit {
    Applied,
    /// A condition of the operations did not hold.
    ConditionFailed,
    /// Another transaction on the same items won the race.
    Conflicted,
}

impl Commit {
    /// For a write that re-reads and retries on its own: `false` for a failed condition or a
    /// lost race alike.
    pub(super) fn applied(self) -> bool {
        self == Self::Applied
    }

    /// For a write the caller does not retry: a lost race is "try again later" (503).
    pub(super) fn or_unavailable(self) -> Result<bool, DependencyError> {
        match self {
            Self::Conflicted => Err(DependencyError::Unavailable {
                service: "DynamoDB",
                detail: "transaction conflict".into(),
            }),
            settled => Ok(settled.applied()),
        }
    }
}

impl DynamoStore {
    /// Commits `ops` and `entry` in one transaction, bumping the day's counters concurrently.
    /// The entry's id is the idempotency token, so an SDK retry of a committed transaction
    /// is recognised.
    pub(super) async fn commit_with_entry(
        &self,
        ops: Vec<TransactWriteItem>,
        entry: &ActivityEntry,
    ) -> Result<Commit, DependencyError> {
        let transaction = self
            .client
            .transact_write_items()
            .set_transact_items(Some(ops))
            .transact_items(self.put_op(entry_item(entry))?)
            .client_request_token(&entry.id)
            .send();
        let (committed, _) = tokio::join!(transaction, self.bump_stats(entry, 1));
        let committed = match committed {
            Ok(_) => Ok(Commit::Applied),
            Err(e) if cancelled_by_condition(&e) => Ok(Commit::ConditionFailed),
            Err(e) if cancelled_by_conflict(&e) => Ok(Commit::Conflicted),
            Err(e) => Err(transaction_error(e)),
        };
        if !matches!(committed, Ok(Commit::Applied)) {
            // The counters ran ahead of a write that did not happen.
            self.bump_stats(entry, -1).await;
        }
        committed
    }

    pub(super) fn put_op(&self, item: Item) -> Result<TransactWriteItem, DependencyError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Adds `delta` to the entry's day counters. Best effort: a lost bump is logged, and the
    /// log itself stays whole.
    async fn bump_stats(&self, entry: &ActivityEntry, delta: i64) {
        let mut update = "ADD #total :d, #category :d".to_owned();
        let mut names = HashMap::from([
            ("#total".to_owned(), "total".to_owned()),
            (
                "#category".to_owned(),
                category_counter(entry.category).to_owned(),
            ),
            ("#ttl".to_owned(), TableLayout::TTL.to_owned()),
        ]);
        if entry.outcome == Outcome::Error {
            update.push_str(", #errors :d");
            names.insert("#errors".to_owned(), "errors".to_owned());
        }
        let mut set = "SET #ttl = if_not_exists(#ttl, :ttl)".to_owned();
        if delta > 0 {
            // The day's latest request: what `last_activity` reads, one item away.
            set.push_str(", #last = :at");
            names.insert("#last".to_owned(), LAST_AT.to_owned());
        }
        let day = TableLayout::stats_key(&entry.subject, &entry.created_at);
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(day)))
            .update_expression(format!("{update} {set}"))
            .set_expression_attribute_names(Some(names))
            .expression_attribute_values(":d", n(delta));
        if delta > 0 {
            request = request.expression_attribute_values(":at", s(entry.created_at.to_string()));
        }
        let result = request
            // The day's counters outlive its last entry: the statistics count a day until
            // the retention window has passed all of it.
            .expression_attribute_values(":ttl", n(entry.expires_at.unix_seconds() + 86_400))
            .send()
            .await;
        if let Err(err) = result {
            tracing::warn!(error = %ddb_error(err), "activity counters not updated");
        }
    }

    async fn query_log_page(
        &self,
        subject: &Subject,
        filter: &LogFilter,
        limit: usize,
        start: Option<&LogCursor>,
        (since, now): (Timestamp, Timestamp),
    ) -> Result<LogRound, DependencyError> {
        let (expression, names, mut values) = filter_expression(filter, now);
        values.insert(":pk".to_owned(), s(TableLayout::log_pk(subject)));
        // Sort keys start with 13 digits of milliseconds: this prefix sorts before every
        // entry of that millisecond and after every older one.
        values.insert(
            ":since".to_owned(),
            s(format!("{:013}", since.unix_millis())),
        );
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk >= :since")
            .filter_expression(expression)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .set_exclusive_start_key(
                start.map(|c| key_item((TableLayout::log_pk(subject), c.sort_key()))),
            )
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(ddb_error)?;
        let entries = output
            .items()
            .iter()
            .map(entry_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let next = match output.last_evaluated_key() {
            Some(key) => Some(
                LogCursor::from_sort_key(text(key, TableLayout::SK)?)
                    .ok_or_else(|| malformed("log sort key"))?,
            ),
            None => None,
        };
        Ok(LogRound { entries, next })
    }
}

/// One query's worth of the log.
struct LogRound {
    entries: Vec<ActivityEntry>,
    /// Where the next round starts, if the query stopped before the end.
    next: Option<LogCursor>,
}

fn category_counter(category: Category) -> &'static str {
    match category {
        Category::Vault => "vault",
        Category::Identity => "identity",
        Category::Auth => "auth",
    }
}

/// `#attr = :value` for each filter field set, and the entry not yet expired, joined with
/// AND. Names go through placeholders: `action`, `status` and `ttl` are reserved words.
type Filter = (
    String,
    HashMap<String, String>,
    HashMap<String, AttributeValue>,
);

fn filter_expression(filter: &LogFilter, now: Timestamp) -> Filter {
    let fields = [
        ("category", filter.category.map(Category::as_str)),
        ("outcome", filter.outcome.map(Outcome::as_str)),
        ("severity", filter.severity.map(Severity::as_str)),
        ("action", filter.action.map(Action::as_str)),
    ];
    let mut names = HashMap::from([("#ttl".to_owned(), TableLayout::TTL.to_owned())]);
    let mut values = HashMap::from([(":now".to_owned(), n(now.unix_seconds()))]);
    let mut clauses = vec!["#ttl > :now".to_owned()];
    for (name, value) in fields {
        if let Some(value) = value {
            clauses.push(format!("#{name} = :{name}"));
            names.insert(format!("#{name}"), name.to_owned());
            values.insert(format!(":{name}"), s(value));
        }
    }
    (clauses.join(" AND "), names, values)
}

impl ActivityLog for DynamoStore {
    async fn append(&self, entry: &ActivityEntry) -> Result<(), DependencyError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(entry_item(entry)))
            .send();
        // A mirrored entry is no request of its subject: it is not counted.
        let counters = async {
            if !entry.mirrored {
                self.bump_stats(entry, 1).await;
            }
        };
        let (written, _) = tokio::join!(put, counters);
        written.map(|_| ()).map_err(ddb_error)
    }

    async fn entries(
        &self,
        subject: &Subject,
        filter: &LogFilter,
        limit: usize,
        after: Option<&LogCursor>,
        window: (Timestamp, Timestamp),
    ) -> Result<LogPage, DependencyError> {
        // The key condition keeps every round inside the retention window, so entries older
        // than it, expired or not yet deleted, are never read. Unfiltered, the first round
        // asks for exactly the page (only entries expired early, under a shorter retention
        // set before, are left out). Filtered, or past the first round, a round asks DynamoDB
        // to evaluate the rest of the budget at once (a filter may match few entries), and the
        // page is cut at `limit`, the token then pointing after the last entry returned. One
        // request evaluates at most MAX_EVALUATED entries.
        // A token from before the window (stale, or made up) points past the end: DynamoDB
        // refuses a start key outside the key condition, and there is nothing left to show.
        if after.is_some_and(|after| after.millis < window.0.unix_millis()) {
            return Ok(LogPage {
                entries: Vec::new(),
                next_page_token: None,
            });
        }
        let unfiltered = *filter == LogFilter::default();
        let mut entries = Vec::new();
        let mut cursor = after.cloned();
        let mut evaluated = 0;
        loop {
            let wanted = limit - entries.len();
            let asked = if unfiltered && evaluated == 0 {
                wanted
            } else {
                MAX_EVALUATED - evaluated
            };
            let round = self
                .query_log_page(subject, filter, asked, cursor.as_ref(), window)
                .await?;
            evaluated += asked;
            entries.extend(round.entries);
            cursor = round.next;
            if entries.len() > limit {
                entries.truncate(limit);
                cursor = entries.last().map(LogCursor::of);
            }
            if entries.len() >= limit || cursor.is_none() || evaluated >= MAX_EVALUATED {
                break;
            }
        }
        Ok(LogPage {
            entries,
            next_page_token: cursor.map(|c| c.to_token()),
        })
    }

    async fn stats(
        &self,
        subject: &Subject,
        since: Timestamp,
        today: Timestamp,
    ) -> Result<ActivityStats, DependencyError> {
        let (pk, first_day) = TableLayout::stats_key(subject, &since);
        let days = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk >= :first")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":first", s(first_day))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(ddb_error)?;
        let count = |item: &Item, name: &str| -> u64 {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse::<i64>().ok())
                .map_or(0, |v| v.max(0) as u64)
        };
        let sum = |name: &str| days.iter().map(|d| count(d, name)).sum::<u64>();
        let today_key = TableLayout::stats_key(subject, &today).1;
        Ok(ActivityStats {
            total: sum("total"),
            today: days
                .iter()
                .filter(|d| text(d, TableLayout::SK).ok() == Some(today_key.as_str()))
                .map(|d| count(d, "total"))
                .sum(),
            errors: sum("errors"),
            by_category: Category::ALL
                .iter()
                .map(|&c| (c, sum(category_counter(c))))
                .collect(),
            // The newest day's latest request, if its counters kept it.
            last_at: days
                .iter()
                .max_by(|a, b| {
                    text(a, TableLayout::SK)
                        .ok()
                        .cmp(&text(b, TableLayout::SK).ok())
                })
                .and_then(|day| text(day, LAST_AT).ok())
                .and_then(Timestamp::parse),
        })
    }

    async fn last_activity(&self, subject: &Subject) -> Result<Option<Timestamp>, DependencyError> {
        // The newest day's counters carry its latest request (mirrored entries are not
        // counted): one small item, whatever the log holds.
        let newest_day = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(TableLayout::stats_pk(subject)))
            .scan_index_forward(false)
            .limit(1)
            .send()
            .await
            .map_err(ddb_error)?;
        let Some(day) = newest_day.items().first() else {
            return Ok(None);
        };
        if let Ok(at) = text(day, LAST_AT) {
            return Ok(Timestamp::parse(at));
        }
        // Counters written before they carried it: the newest entry (from before entries were
        // mirrored, so a request of the subject's own).
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(TableLayout::log_pk(subject)))
            .projection_expression(attr::CREATED_AT)
            .scan_index_forward(false)
            .limit(1)
            .send()
            .await
            .map_err(ddb_error)?;
        Ok(output
            .items()
            .first()
            .and_then(|item| text(item, attr::CREATED_AT).ok())
            .and_then(Timestamp::parse))
    }
}
