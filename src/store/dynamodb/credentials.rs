//! The credential store on DynamoDB: per credential, one item with its envelope and one
//! small summary beside it (what a listing shows, and `lastUsedAt`). Both are written
//! whole, in one transaction with the activity entry; a read's use touches the summary only.

use super::item::{
    Item, b, info_from_item, key_item, record_to_item, record_with_summary, s, summary_to_item,
    text,
};
use super::layout::{TableLayout, attr};
use super::{DynamoStore, applied, build_error, ddb_error};

use crate::crypto::NONCE_LEN;
use crate::dependency::DependencyError;
use crate::domain::{ActivityEntry, CredentialName, IdentityId, Timestamp};
use crate::store::{ActivityLog, CredentialInfo, CredentialRecord, CredentialStore, ListBound};
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

/// Summaries read per query for a key limited by grants.
const FILTERED_QUERY_PAGE: usize = 1000;

impl DynamoStore {
    pub(super) fn summary_put(
        &self,
        record: &CredentialRecord,
    ) -> Result<TransactWriteItem, DependencyError> {
        self.put_op(summary_to_item(&record.identity, &record.info))
    }

    /// The credential item and its summary, in one strongly consistent round trip.
    async fn credential_items(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
    ) -> Result<Vec<Item>, DependencyError> {
        self.batch_get(&[
            TableLayout::credential_key(identity, name),
            TableLayout::summary_key(identity, name),
        ])
        .await
    }

    /// Sets `lastUsedAt` on the summary of the credential with this id; `false` when the
    /// summary is gone or describes another credential (never creates one).
    async fn set_last_used(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
        credential_id: &str,
        at: Timestamp,
    ) -> Result<bool, DependencyError> {
        applied(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key_item(TableLayout::summary_key(identity, name))))
                .update_expression("SET #used = :at")
                .condition_expression("#id = :id")
                .expression_attribute_names("#used", attr::LAST_USED_AT)
                .expression_attribute_names("#id", attr::CREDENTIAL_ID)
                .expression_attribute_values(":at", s(at.to_string()))
                .expression_attribute_values(":id", s(credential_id))
                .send()
                .await,
        )
    }
}

/// How a credential's summary stands against the credential item.
#[derive(Debug, PartialEq)]
enum SummaryState {
    Agrees,
    /// A summary of another credential (a replace racing the read, or a forged id).
    OtherCredential,
    /// Same credential, other fields: edited in the table, or left by an older version.
    Disagrees,
    /// None at all: stored by a version without summaries, or deleted from the table.
    Missing,
}

/// Judged only on fields no write changes under the same id: a read racing a backup-code
/// use may see one item before the write and one after.
fn summary_state(summary: Option<&Item>, info: &CredentialInfo) -> SummaryState {
    let Some(summary) = summary else {
        return SummaryState::Missing;
    };
    let Ok(shown) = info_from_item(summary) else {
        return SummaryState::Disagrees;
    };
    if shown.credential_id != info.credential_id {
        return SummaryState::OtherCredential;
    }
    let comparable = CredentialInfo {
        last_used_at: info.last_used_at,
        last_rotated_at: info.last_rotated_at,
        ..shown
    };
    if comparable == *info {
        SummaryState::Agrees
    } else {
        SummaryState::Disagrees
    }
}

/// The credential of `items` (a BatchGetItem's answer) with its summary, and how they stand.
fn record_of(items: &[Item]) -> Result<Option<(CredentialRecord, SummaryState)>, DependencyError> {
    let with_prefix = |prefix: &str| {
        items
            .iter()
            .find(|item| text(item, TableLayout::SK).is_ok_and(|sk| sk.starts_with(prefix)))
    };
    let summary = with_prefix(TableLayout::SUMMARY_PREFIX);
    let Some(item) = with_prefix(TableLayout::CREDENTIAL_PREFIX) else {
        return Ok(None);
    };
    let record = record_with_summary(item, summary)?;
    let state = summary_state(summary, &record.info);
    Ok(Some((record, state)))
}

impl CredentialStore for DynamoStore {
    async fn put(
        &self,
        record: &CredentialRecord,
        entry: &ActivityEntry,
    ) -> Result<(), DependencyError> {
        // No condition: a same-name write replaces the old item and its summary whole.
        let put = self.put_op(record_to_item(record))?;
        let summary = self.summary_put(record)?;
        self.commit_with_entry(vec![put, summary], entry)
            .await?
            .or_unavailable()
            .map(|_| ())
    }

    async fn put_if_unchanged(
        &self,
        record: &CredentialRecord,
        expected: &[u8; NONCE_LEN],
        entry: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(record_to_item(record)))
            .condition_expression("#nonce = :expected")
            .expression_attribute_names("#nonce", attr::NONCE)
            .expression_attribute_values(":expected", b(expected))
            .build()
            .map_err(build_error)?;
        let op = TransactWriteItem::builder().put(put).build();
        let summary = self.summary_put(record)?;
        // A lost race is a change since the read, like a failed condition: re-read, retry.
        Ok(self
            .commit_with_entry(vec![op, summary], entry)
            .await?
            .applied())
    }

    async fn get(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
    ) -> Result<Option<CredentialRecord>, DependencyError> {
        let mut read = record_of(&self.credential_items(identity, name).await?)?;
        if let Some((_, SummaryState::OtherCredential)) = &read {
            // Most likely a replace committed between the two reads: look once more.
            read = record_of(&self.credential_items(identity, name).await?)?;
        }
        match &read {
            Some((_, SummaryState::OtherCredential | SummaryState::Disagrees)) => {
                // The credential item answers (its fields are bound to its ciphertext); what
                // a listing shows of it is wrong.
                tracing::error!(
                    target: "credvault::integrity",
                    "a credential's list summary disagrees with it; `credvault setup` repairs it"
                );
            }
            Some((_, SummaryState::Missing)) => tracing::warn!(
                "a credential has no list summary, so lists leave it out; `credvault setup` \
                 writes it"
            ),
            _ => {}
        }
        Ok(read.map(|(record, _)| record))
    }

    async fn list(
        &self,
        identity: &IdentityId,
        after: Option<&CredentialName>,
        bound: ListBound,
    ) -> Result<Vec<CredentialInfo>, DependencyError> {
        // Summaries only, so the read units follow the listed fields and never `data`; page
        // after page of the query (1 MB each), until the bound is reached.
        let mut start = after.map(|name| key_item(TableLayout::summary_key(identity, name)));
        let (mut listed, mut bytes) = (Vec::new(), 0);
        loop {
            // A key limited by grants skips the names it does not see: read in large pages,
            // so that how many it skips barely shows in how long a listing takes.
            let wanted = match bound.seen.grants.is_empty() {
                true => bound.items.saturating_sub(listed.len()).max(1),
                false => FILTERED_QUERY_PAGE,
            };
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(TableLayout::identity_pk(identity)))
                .expression_attribute_values(":prefix", s(TableLayout::SUMMARY_PREFIX))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .limit(i32::try_from(wanted).unwrap_or(i32::MAX))
                .send()
                .await
                .map_err(ddb_error)?;
            for item in output.items() {
                let info = info_from_item(item)?;
                if !bound.seen.sees(&info.name) {
                    continue;
                }
                bytes += info.listed_size();
                listed.push(info);
                if listed.len() >= bound.items || bytes > bound.bytes {
                    return Ok(listed);
                }
            }
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(listed),
            }
        }
    }

    async fn delete(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
        credential_id: &str,
        entry: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::credential_key(identity, name))))
            .condition_expression("#id = :id")
            .expression_attribute_names("#id", attr::CREDENTIAL_ID)
            .expression_attribute_values(":id", s(credential_id))
            .build()
            .map_err(build_error)?;
        let summary = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::summary_key(identity, name))))
            .build()
            .map_err(build_error)?;
        let ops = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().delete(summary).build(),
        ];
        self.commit_with_entry(ops, entry).await?.or_unavailable()
    }

    async fn touch(
        &self,
        identity: &IdentityId,
        name: &CredentialName,
        credential_id: &str,
        at: Timestamp,
        entry: &ActivityEntry,
    ) -> Result<(), DependencyError> {
        // Two small writes side by side, no transaction: the entry is what must not be lost
        // (its failure fails the read); `lastUsedAt` is a convenience, and a failure to set
        // it is logged, not answered.
        let (used, logged) = tokio::join!(
            self.set_last_used(identity, name, credential_id, at),
            self.append(entry)
        );
        if let Err(err) = used {
            tracing::warn!(error = %err, "lastUsedAt not updated");
        }
        logged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CredentialType;
    use aws_sdk_dynamodb::types::AttributeValue;

    fn info() -> CredentialInfo {
        CredentialInfo {
            name: CredentialName::parse("github").unwrap(),
            credential_id: "cred_1".into(),
            kind: CredentialType::Login,
            metadata: crate::domain::Metadata::from_stored(
                r#"{"uri":"https://github.com"}"#.into(),
            ),
            expires_at: None,
            created_at: Timestamp::parse("2026-03-29T03:00:00Z").unwrap(),
            last_used_at: None,
            last_rotated_at: None,
            use_policy: None,
        }
    }

    fn summary(edit: impl FnOnce(&mut Item)) -> Item {
        let mut item = summary_to_item(&IdentityId::parse("idt_a").unwrap(), &info());
        edit(&mut item);
        item
    }

    #[test]
    fn a_summary_that_shows_other_fields_than_its_credential_is_caught() {
        let set = |name: &'static str, value: &'static str| {
            move |item: &mut Item| {
                item.insert(name.into(), AttributeValue::S(value.into()));
            }
        };
        let state = |item: Item| summary_state(Some(&item), &info());
        assert_eq!(state(summary(|_| {})), SummaryState::Agrees);
        assert_eq!(summary_state(None, &info()), SummaryState::Missing);
        for (name, value) in [
            ("metadata", r#"{"uri":"https://evil.example"}"#),
            ("type", "API_KEY"),
            ("expiresAt", "2030-01-01T00:00:00Z"),
            ("createdAt", "2020-01-01T00:00:00Z"),
        ] {
            let edited = summary(set(name, value));
            assert_eq!(state(edited), SummaryState::Disagrees, "{name}");
        }
        // What a racing write changes under the same id is not judged; another credential's
        // summary is told apart (the read looks again before calling it wrong).
        let rotated = summary(set("lastRotatedAt", "2026-04-01T00:00:00Z"));
        assert_eq!(state(rotated), SummaryState::Agrees);
        let other = summary(set("credentialId", "cred_2"));
        assert_eq!(state(other), SummaryState::OtherCredential);
    }
}
