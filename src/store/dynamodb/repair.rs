//! Bringing every credential's list summary in line with its credential item, as an operator
//! runs it (`credvault setup`, after each upgrade): summaries missing (credentials stored by a
//! version without them), disagreeing (edited in the table, or left by an older version
//! still serving during an upgrade), or orphaned (their credential deleted by such a version).

use super::item::{Item, b, info_from_item, key_item, malformed, s, summary_to_item, text};
use super::layout::{TableLayout, attr};
use super::{
    DynamoStore, build_error, cancelled_by_condition, cancelled_by_conflict, transaction_error,
};
use crate::dependency::DependencyError;
use crate::domain::IdentityId;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem};
use std::collections::HashMap;

/// A transaction cancelled by another transaction on the same items is tried this often.
const MAX_CONFLICT_ATTEMPTS: usize = 3;

/// What [`repair_summaries`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SummaryRepair {
    /// Summaries written: missing or disagreeing with their credential.
    pub written: usize,
    /// Summaries removed because their credential is gone.
    pub removed: usize,
    /// Items left as they are: malformed, placed under another identity or name than they
    /// claim, or changed by someone else while the repair ran (their write stands).
    pub skipped: usize,
}

/// One credential item, or one summary, as scanned: its place is its partition and name.
type Place = (String, String);

/// Each change is one transaction that checks the credential is still the one scanned (its
/// nonce is fresh on every write) or still absent, and the summary still as scanned, so a
/// write racing with the repair is never undone. One Scan of the table: an operator's task,
/// never the function's (its role may not scan).
pub async fn repair_summaries(store: &DynamoStore) -> Result<SummaryRepair, DependencyError> {
    let items = store
        .scan_all(
            "begins_with(sk, :credential) OR begins_with(sk, :summary)",
            vec![
                (":credential", s(TableLayout::CREDENTIAL_PREFIX)),
                (":summary", s(TableLayout::SUMMARY_PREFIX)),
            ],
        )
        .await?;
    let mut credentials: HashMap<Place, &Item> = HashMap::new();
    let mut summaries: HashMap<Place, &Item> = HashMap::new();
    for item in &items {
        let (Ok(pk), Ok(sk)) = (text(item, TableLayout::PK), text(item, TableLayout::SK)) else {
            continue;
        };
        if let Some(name) = sk.strip_prefix(TableLayout::CREDENTIAL_PREFIX) {
            credentials.insert((pk.to_owned(), name.to_owned()), item);
        } else if let Some(name) = sk.strip_prefix(TableLayout::SUMMARY_PREFIX) {
            summaries.insert((pk.to_owned(), name.to_owned()), item);
        }
    }
    let mut repair = SummaryRepair::default();
    for (place, credential) in &credentials {
        let summary = summaries.get(place).copied();
        match summary_change(store, place, credential, summary) {
            Ok(None) => {}
            Ok(Some(change)) if commit(store, &change).await? => repair.written += 1,
            Ok(Some(_)) | Err(_) => repair.skipped += 1,
        }
    }
    for (place, summary) in &summaries {
        if credentials.contains_key(place) {
            continue;
        }
        match orphan_removal(store, place, summary) {
            Ok(change) if commit(store, &change).await? => repair.removed += 1,
            Ok(_) | Err(_) => repair.skipped += 1,
        }
    }
    Ok(repair)
}

/// The transaction that gives `credential` the summary it should have, `None` when it has it.
/// `lastUsedAt` is kept from a summary of the same credential, else from the credential item
/// (where older versions kept it). The credential item is the reference: its fields are bound
/// to its ciphertext, so a read rejects an edited one.
fn summary_change(
    store: &DynamoStore,
    (pk, name): &Place,
    credential: &Item,
    summary: Option<&Item>,
) -> Result<Option<[TransactWriteItem; 2]>, DependencyError> {
    let identity = IdentityId::parse(text(credential, attr::IDENTITY_ID)?)
        .filter(|identity| &TableLayout::identity_pk(identity) == pk)
        .ok_or_else(|| malformed(attr::IDENTITY_ID))?;
    let mut expected = info_from_item(credential)?;
    if expected.name.as_str() != name {
        return Err(malformed(attr::NAME));
    }
    let current = summary.map(info_from_item).and_then(Result::ok);
    if let Some(current) = &current
        && current.credential_id == expected.credential_id
    {
        expected.last_used_at = current.last_used_at;
        if *current == expected {
            return Ok(None);
        }
    }
    let nonce = credential
        .get(attr::NONCE)
        .and_then(|v| v.as_b().ok())
        .ok_or_else(|| malformed(attr::NONCE))?;
    let still_scanned = ConditionCheck::builder()
        .table_name(store.table())
        .set_key(Some(key_item(TableLayout::credential_key(
            &identity,
            &expected.name,
        ))))
        .condition_expression("#nonce = :nonce")
        .expression_attribute_names("#nonce", attr::NONCE)
        .expression_attribute_values(":nonce", b(nonce.as_ref()))
        .build()
        .map_err(build_error)?;
    let put = unchanged_since_scan(
        Put::builder()
            .table_name(store.table())
            .set_item(Some(summary_to_item(&identity, &expected))),
        summary,
    )
    .build()
    .map_err(build_error)?;
    Ok(Some([
        TransactWriteItem::builder()
            .condition_check(still_scanned)
            .build(),
        TransactWriteItem::builder().put(put).build(),
    ]))
}

/// Conditions a summary's put on the summary being as scanned: absent, or with the same
/// credential id and `lastUsedAt` (what the function's own writes change).
fn unchanged_since_scan(
    put: aws_sdk_dynamodb::types::builders::PutBuilder,
    summary: Option<&Item>,
) -> aws_sdk_dynamodb::types::builders::PutBuilder {
    let Some(summary) = summary else {
        return put.condition_expression("attribute_not_exists(pk)");
    };
    let mut put = put;
    let mut clauses = Vec::new();
    for (name, placeholder, attribute) in [
        ("#id", ":id", attr::CREDENTIAL_ID),
        ("#used", ":used", attr::LAST_USED_AT),
    ] {
        put = put.expression_attribute_names(name, attribute);
        match summary.get(attribute) {
            Some(value) => {
                clauses.push(format!("{name} = {placeholder}"));
                put = put.expression_attribute_values(placeholder, value.clone());
            }
            None => clauses.push(format!("attribute_not_exists({name})")),
        }
    }
    put.condition_expression(clauses.join(" AND "))
}

/// The transaction that deletes a summary whose credential is gone, if it still is and the
/// summary is still the one scanned.
fn orphan_removal(
    store: &DynamoStore,
    (pk, name): &Place,
    summary: &Item,
) -> Result<[TransactWriteItem; 2], DependencyError> {
    let sk = text(summary, TableLayout::SK)?;
    let still_gone = ConditionCheck::builder()
        .table_name(store.table())
        .set_key(Some(key_item((
            pk.clone(),
            format!("{}{name}", TableLayout::CREDENTIAL_PREFIX),
        ))))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(build_error)?;
    let delete = Delete::builder()
        .table_name(store.table())
        .set_key(Some(key_item((pk.clone(), sk.to_owned()))));
    let delete = match summary.get(attr::CREDENTIAL_ID).cloned() {
        Some(id) => delete
            .condition_expression("#id = :id")
            .expression_attribute_names("#id", attr::CREDENTIAL_ID)
            .expression_attribute_values(":id", id),
        None => delete.condition_expression("attribute_exists(pk)"),
    };
    Ok([
        TransactWriteItem::builder()
            .condition_check(still_gone)
            .build(),
        TransactWriteItem::builder()
            .delete(delete.build().map_err(build_error)?)
            .build(),
    ])
}

/// `Ok(false)` when a condition no longer held (someone wrote meanwhile, and their write
/// stands) or other transactions kept conflicting with it.
async fn commit(store: &DynamoStore, ops: &[TransactWriteItem]) -> Result<bool, DependencyError> {
    for _ in 0..MAX_CONFLICT_ATTEMPTS {
        let committed = store
            .client()
            .transact_write_items()
            .set_transact_items(Some(ops.to_vec()))
            .send()
            .await;
        match committed {
            Ok(_) => return Ok(true),
            Err(e) if cancelled_by_condition(&e) => return Ok(false),
            Err(e) if cancelled_by_conflict(&e) => continue,
            Err(e) => return Err(transaction_error(e)),
        }
    }
    Ok(false)
}
