//! Credential requests on DynamoDB: one item each under their identity (so an identity's
//! purge removes them), its fixed fields under the key-item MAC, settled by conditional
//! writes: a link fills its request once, even when two submits race, and never after it
//! expired or was cancelled. One index item lists the pending ones, rewritten with each.

use super::item::{key_item, n, record_to_item, s};
use super::layout::{TableLayout, attr};
use super::request_item::{
    CANCELLED, FULFILLED, PENDING, pending_from_item, request_from_item, request_to_item,
};
use super::{DynamoStore, build_error, ddb_error};
use crate::dependency::DependencyError;
use crate::domain::{
    ActivityEntry, CredentialRequestRecord, IdentityId, RequestId, RequestState, Timestamp,
};
use crate::store::{CredentialRecord, PendingRequests, RequestStore};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use std::collections::HashMap;

impl DynamoStore {
    /// Settles a pending request: `settled` only while it is pending at `now` and, when
    /// `secret_hash` is given, still the request of that link.
    fn settle_op(
        &self,
        identity: &IdentityId,
        id: &RequestId,
        now: Timestamp,
        secret_hash: Option<&str>,
        settled: RequestState,
    ) -> Result<TransactWriteItem, DependencyError> {
        let mut condition = "#status = :pending AND #expires > :now".to_owned();
        let (status, credential) = match &settled {
            RequestState::Fulfilled { credential_id, .. } => (FULFILLED, Some(credential_id)),
            _ => (CANCELLED, None),
        };
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::request_key(identity, id))))
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#expires", attr::EXPIRES_AT_SECONDS)
            .expression_attribute_names("#settled", attr::SETTLED_AT)
            .expression_attribute_values(":pending", s(PENDING))
            .expression_attribute_values(":now", n(now.unix_seconds()))
            .expression_attribute_values(":status", s(status))
            .expression_attribute_values(":settled", s(now.to_string()));
        if let Some(hash) = secret_hash {
            condition.push_str(" AND #hash = :hash");
            update = update
                .expression_attribute_names("#hash", attr::SECRET_HASH)
                .expression_attribute_values(":hash", s(hash));
        }
        update = match credential {
            Some(credential_id) => update
                .update_expression("SET #status = :status, #settled = :settled, #cred = :cred")
                .expression_attribute_names("#cred", attr::CREDENTIAL_ID)
                .expression_attribute_values(":cred", s(credential_id)),
            None => update.update_expression("SET #status = :status, #settled = :settled"),
        };
        let update = update
            .condition_expression(condition)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Takes a settled request off the pending index and moves the index's version on, so
    /// a new request planned from the index before this commits is planned again.
    fn unlist_op(
        &self,
        identity: &IdentityId,
        id: &RequestId,
    ) -> Result<TransactWriteItem, DependencyError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::pending_requests_key(identity))))
            .update_expression("REMOVE #pending.#id ADD #version :one")
            .expression_attribute_names("#pending", attr::PENDING)
            .expression_attribute_names("#id", id.as_str())
            .expression_attribute_names("#version", attr::VERSION)
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// The pending index as `pending`, only over the version `seen`.
    fn index_op(
        &self,
        identity: &IdentityId,
        seen: &PendingRequests,
        pending: &[(RequestId, u64)],
    ) -> Result<TransactWriteItem, DependencyError> {
        let mut item = key_item(TableLayout::pending_requests_key(identity));
        let listed: HashMap<String, AttributeValue> = pending
            .iter()
            .map(|(id, expires)| (id.as_str().to_owned(), n(expires)))
            .collect();
        item.insert(attr::PENDING.to_owned(), AttributeValue::M(listed));
        let next = seen.version.map_or(1, |v| v + 1);
        item.insert(attr::VERSION.to_owned(), n(next));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .expression_attribute_names("#version", attr::VERSION);
        let put = match seen.version {
            None => put.condition_expression("attribute_not_exists(#version)"),
            Some(version) => put
                .condition_expression("#version = :seen")
                .expression_attribute_values(":seen", n(version)),
        };
        let put = put.build().map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

impl RequestStore for DynamoStore {
    async fn pending_requests(
        &self,
        identity: &IdentityId,
    ) -> Result<PendingRequests, DependencyError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::pending_requests_key(identity))))
            .consistent_read(true)
            .send()
            .await
            .map_err(ddb_error)?;
        pending_from_item(output.item.as_ref())
    }

    async fn create_request(
        &self,
        request: &CredentialRequestRecord,
        seen: &PendingRequests,
        pending: &[(RequestId, u64)],
        entry: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(request_to_item(Some(self.mac()?), request)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        let ops = vec![
            TransactWriteItem::builder().put(put).build(),
            self.index_op(&request.identity, seen, pending)?,
        ];
        // A lost race for the index, like a moved version, is planned again by the caller.
        Ok(self.commit_with_entry(ops, entry).await?.applied())
    }

    async fn request(
        &self,
        identity: &IdentityId,
        id: &RequestId,
    ) -> Result<Option<CredentialRequestRecord>, DependencyError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::request_key(identity, id))))
            .consistent_read(true)
            .send()
            .await
            .map_err(ddb_error)?;
        let read = match output.item {
            None => None,
            Some(item) => request_from_item(Some(self.mac()?), &item)?,
        };
        // A tagged copy of another request moved under this key is not this request.
        Ok(read.filter(|r| &r.id == id && &r.identity == identity))
    }

    async fn fulfil_request(
        &self,
        request: &CredentialRequestRecord,
        credential: &CredentialRecord,
        now: Timestamp,
        entry: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        let settled = RequestState::Fulfilled {
            credential_id: credential.info.credential_id.clone(),
            at: now,
        };
        let ops = vec![
            self.put_op(record_to_item(credential))?,
            self.summary_put(credential)?,
            self.settle_op(
                &request.identity,
                &request.id,
                now,
                Some(&request.secret_hash),
                settled,
            )?,
            self.unlist_op(&request.identity, &request.id)?,
        ];
        // A submit that lost a race to another one re-reads the request, as a failed
        // condition does: the other may have spent the link.
        Ok(self.commit_with_entry(ops, entry).await?.applied())
    }

    async fn cancel_request(
        &self,
        identity: &IdentityId,
        id: &RequestId,
        now: Timestamp,
        entry: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        let ops = vec![
            self.settle_op(identity, id, now, None, RequestState::Cancelled { at: now })?,
            self.unlist_op(identity, id)?,
        ];
        self.commit_with_entry(ops, entry).await?.or_unavailable()
    }
}
