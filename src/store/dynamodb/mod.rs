//! The DynamoDB adapter: the credential store and the key directory over one table whose
//! layout is in [`layout`], with the operator tasks on it (the key-MAC secret item, the
//! summary repair).

mod activity;
mod batch;
mod config;
mod credentials;
mod directory;
mod identities;
pub(crate) mod item;
mod key_records;
mod keys;
pub mod layout;
mod log_item;
mod purge;
mod repair;
pub(crate) mod request_item;
mod requests;
mod upgrade;

pub use repair::{SummaryRepair, repair_summaries};
pub use upgrade::{IdentityUpgrade, place_identities};

use crate::dependency::DependencyError;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// Verifies key items; without it no key authenticates.
    key_mac: Option<std::sync::Arc<crate::auth::KeyMac>>,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            key_mac: None,
        }
    }

    /// Trusts key items only with a valid tag under `mac`.
    pub fn with_key_mac(self, mac: std::sync::Arc<crate::auth::KeyMac>) -> Self {
        Self {
            key_mac: Some(mac),
            ..self
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Every item matching `filter`, across all scan pages: an operator's task, never the
    /// function's (its role may not scan).
    pub(crate) async fn scan_all(
        &self,
        filter: &str,
        values: Vec<(&str, aws_sdk_dynamodb::types::AttributeValue)>,
    ) -> Result<Vec<item::Item>, DependencyError> {
        let mut scan = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(filter)
            .consistent_read(true);
        for (name, value) in values {
            scan = scan.expression_attribute_values(name, value);
        }
        scan.into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(ddb_error)
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

pub(crate) fn ddb_error<E, R>(err: SdkError<E, R>) -> DependencyError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    DependencyError::from_sdk("DynamoDB", err)
}

/// The answer of a conditional write: `Ok(true)` when it applied, `Ok(false)` when its
/// condition did not hold, an error for anything else.
pub(crate) fn applied<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<bool, DependencyError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if is_condition_failure(&e) => Ok(false),
        Err(e) => Err(ddb_error(e)),
    }
}

pub(super) fn is_condition_failure<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

/// The one way a request builder fails: a required field left unset, a bug of ours.
pub(crate) fn build_error(err: aws_sdk_dynamodb::error::BuildError) -> DependencyError {
    DependencyError::Failed {
        service: "DynamoDB",
        detail: err.to_string(),
    }
}

type TransactError<R> = aws_sdk_dynamodb::error::SdkError<
    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
    R,
>;

/// Whether a transaction was cancelled for `reason` on one of its items.
pub(crate) fn cancelled_for<R>(err: &TransactError<R>, reason: &str) -> bool {
    matches!(
        err.as_service_error(),
        Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(cancelled))
            if cancelled.cancellation_reasons().iter().any(|r| r.code() == Some(reason))
    )
}

/// Whether a transaction was cancelled because one of its conditions did not hold.
pub(crate) fn cancelled_by_condition<R>(err: &TransactError<R>) -> bool {
    cancelled_for(err, "ConditionalCheckFailed")
}

/// Whether a transaction lost a race with another one on the same items: nothing was
/// written, and trying again may succeed. (`TransactionInProgressException` is not such a
/// loss: the same token may still commit, so it is answered 503 like any transient error.)
pub(crate) fn cancelled_by_conflict<R>(err: &TransactError<R>) -> bool {
    cancelled_for(err, "TransactionConflict")
}

/// Cancellation reasons that mean "not now": DynamoDB reports a throttled transaction this
/// way, not with the top-level throttling codes of single-item calls.
const THROTTLED_REASONS: &[&str] = &[
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
];

/// A failed transaction sorted like any DynamoDB error, except that a conflict or a
/// throttled item is transient (503), as the caller may simply try again.
pub(crate) fn transaction_error<R>(err: TransactError<R>) -> DependencyError
where
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let transient = cancelled_by_conflict(&err)
        || THROTTLED_REASONS
            .iter()
            .any(|reason| cancelled_for(&err, reason));
    let sorted = ddb_error(err);
    if transient {
        sorted.into_transient()
    } else {
        sorted
    }
}
