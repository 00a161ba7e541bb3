//! Creating what a local stack needs: the table and a KMS key behind an alias (a deployed
//! stack gets both from `template.yaml`); bringing a table's items up to the current layout.

use super::identities::scan_all;
use crate::auth::IdentityId;
use crate::dependency::DependencyError;
use crate::store::DynamoStore;
use crate::store::dynamodb::item::{
    Item, info_from_item, key_item, malformed, s, summary_to_item, text,
};
use crate::store::dynamodb::{cancelled_by_condition, ddb_error};
use crate::store::layout::{TableLayout, attr};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, ConditionCheck, Delete, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, TransactWriteItem,
};
use aws_sdk_kms::Client as KmsClient;
use std::collections::HashMap;

/// Creates the table (on-demand) unless it exists: for `make dev` and the tests.
pub async fn ensure_table(store: &DynamoStore) -> Result<(), DependencyError> {
    let client = store.client();
    if client
        .describe_table()
        .table_name(store.table())
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(build_error)
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(build_error)
    };
    client
        .create_table()
        .table_name(store.table())
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(TableLayout::PK)?)
        .attribute_definitions(attribute(TableLayout::SK)?)
        .key_schema(key(TableLayout::PK, KeyType::Hash)?)
        .key_schema(key(TableLayout::SK, KeyType::Range)?)
        .send()
        .await
        .map_err(|e| DependencyError::from_sdk("DynamoDB", e))?;
    Ok(())
}

fn build_error(err: aws_sdk_dynamodb::error::BuildError) -> DependencyError {
    DependencyError::Failed {
        service: "DynamoDB",
        detail: err.to_string(),
    }
}

/// Returns the ARN of the key behind `alias`, creating both when the alias does not exist:
/// for local stacks only; a deployed key comes from `template.yaml`.
pub async fn ensure_kms_key(kms: &KmsClient, alias: &str) -> Result<String, DependencyError> {
    if let Ok(found) = kms.describe_key().key_id(alias).send().await
        && let Some(arn) = found.key_metadata.map(|m| m.arn.unwrap_or(m.key_id))
    {
        return Ok(arn);
    }
    let created = kms
        .create_key()
        .description("credvault data keys (local)")
        .send()
        .await
        .map_err(|e| DependencyError::from_sdk("KMS", e))?;
    let metadata = created
        .key_metadata
        .ok_or_else(|| DependencyError::Failed {
            service: "KMS",
            detail: "CreateKey returned no metadata".into(),
        })?;
    kms.create_alias()
        .alias_name(alias)
        .target_key_id(&metadata.key_id)
        .send()
        .await
        .map_err(|e| DependencyError::from_sdk("KMS", e))?;
    Ok(metadata.arn.unwrap_or(metadata.key_id))
}

/// What [`repair_summaries`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SummaryRepair {
    /// Summaries written: missing (credentials stored before summaries existed) or
    /// disagreeing with their credential (edited, or left by an older version's write).
    pub written: usize,
    /// Summaries removed because their credential is gone.
    pub removed: usize,
}

/// Brings every summary item in line with its credential item, which is authenticated and
/// wins. Each change is one transaction that first checks the credential is still the one
/// scanned (or still absent), so a write racing with it is never undone. Idempotent; one
/// Scan of the table, so an operator's task (`credvault setup`), never the function's.
pub async fn repair_summaries(store: &DynamoStore) -> Result<SummaryRepair, DependencyError> {
    let items = scan_all(
        store,
        "begins_with(sk, :credential) OR begins_with(sk, :summary)",
        vec![
            (":credential", s(TableLayout::CREDENTIAL_PREFIX)),
            (":summary", s(TableLayout::SUMMARY_PREFIX)),
        ],
    )
    .await?;
    let key = |item: &Item| -> Result<(String, String), DependencyError> {
        Ok((
            text(item, TableLayout::PK)?.to_owned(),
            text(item, TableLayout::SK)?.to_owned(),
        ))
    };
    let mut credentials = HashMap::new();
    let mut summaries = HashMap::new();
    for item in &items {
        let (pk, sk) = key(item)?;
        if let Some(name) = sk.strip_prefix(TableLayout::CREDENTIAL_PREFIX) {
            credentials.insert((pk, name.to_owned()), item);
        } else if let Some(name) = sk.strip_prefix(TableLayout::SUMMARY_PREFIX) {
            summaries.insert((pk, name.to_owned()), item);
        }
    }
    let mut repair = SummaryRepair::default();
    for (place, credential) in &credentials {
        let summary = summaries.get(place).copied();
        if write_summary_if_wrong(store, place, credential, summary).await? {
            repair.written += 1;
        }
    }
    for (place, summary) in &summaries {
        if !credentials.contains_key(place) && remove_orphan(store, summary).await? {
            repair.removed += 1;
        }
    }
    Ok(repair)
}

/// The summary `credential` should have; `lastUsedAt` is kept from a summary of the same
/// credential, else from the credential item (where older versions kept it).
async fn write_summary_if_wrong(
    store: &DynamoStore,
    (pk, _): &(String, String),
    credential: &Item,
    summary: Option<&Item>,
) -> Result<bool, DependencyError> {
    let identity = IdentityId::parse(text(credential, attr::IDENTITY_ID)?)
        .filter(|identity| &TableLayout::identity_pk(identity) == pk)
        .ok_or_else(|| malformed(attr::IDENTITY_ID))?;
    let mut expected = info_from_item(credential)?;
    let current = summary.map(info_from_item).and_then(Result::ok);
    if let Some(current) = &current
        && current.credential_id == expected.credential_id
    {
        expected.last_used_at = current.last_used_at;
        if *current == expected {
            return Ok(false);
        }
    }
    let still_there = ConditionCheck::builder()
        .table_name(store.table())
        .set_key(Some(key_item(TableLayout::credential_key(
            &identity,
            &expected.name,
        ))))
        .condition_expression("#id = :id")
        .expression_attribute_names("#id", attr::CREDENTIAL_ID)
        .expression_attribute_values(":id", s(&expected.credential_id))
        .build()
        .map_err(build_error)?;
    let put = Put::builder()
        .table_name(store.table())
        .set_item(Some(summary_to_item(&identity, &expected)))
        .build()
        .map_err(build_error)?;
    commit(
        store,
        still_there,
        TransactWriteItem::builder().put(put).build(),
    )
    .await
}

/// Deletes a summary whose credential is gone, if it still is and the summary unchanged.
async fn remove_orphan(store: &DynamoStore, summary: &Item) -> Result<bool, DependencyError> {
    let pk = text(summary, TableLayout::PK)?;
    let sk = text(summary, TableLayout::SK)?;
    let name = sk.strip_prefix(TableLayout::SUMMARY_PREFIX).unwrap_or(sk);
    let credential_sk = format!("{}{name}", TableLayout::CREDENTIAL_PREFIX);
    let still_gone = ConditionCheck::builder()
        .table_name(store.table())
        .set_key(Some(key_item((pk.to_owned(), credential_sk))))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(build_error)?;
    let delete = Delete::builder()
        .table_name(store.table())
        .set_key(Some(key_item((pk.to_owned(), sk.to_owned()))))
        .condition_expression("#id = :id")
        .expression_attribute_names("#id", attr::CREDENTIAL_ID)
        .expression_attribute_values(":id", s(text(summary, attr::CREDENTIAL_ID)?))
        .build()
        .map_err(build_error)?;
    commit(
        store,
        still_gone,
        TransactWriteItem::builder().delete(delete).build(),
    )
    .await
}

/// `Ok(false)` when a condition no longer held: someone wrote meanwhile, and their write stands.
async fn commit(
    store: &DynamoStore,
    check: ConditionCheck,
    op: TransactWriteItem,
) -> Result<bool, DependencyError> {
    let committed = store
        .client()
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().condition_check(check).build())
        .transact_items(op)
        .send()
        .await;
    match committed {
        Ok(_) => Ok(true),
        Err(e) if cancelled_by_condition(&e) => Ok(false),
        Err(e) => Err(ddb_error(e)),
    }
}
