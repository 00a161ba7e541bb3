//! Credential requests on DynamoDB: one item each under their identity (so an identity's
//! purge removes them), settled by conditional writes: a link fills its request once, even
//! when two submits race, and never after it expired or was cancelled.

use super::item::{Item, key_item, malformed, n, record_to_item, s, text};
use super::layout::{TableLayout, attr};
use super::{DynamoStore, build_error, ddb_error};
use crate::dependency::DependencyError;
use crate::domain::{
    ActivityEntry, CredentialName, CredentialRequestRecord, CredentialRequestSpec, CredentialType,
    IdentityId, Metadata, RequestId, RequestState, Timestamp, UsePolicy,
};
use crate::store::{CredentialRecord, RequestStore};
use aws_sdk_dynamodb::types::{Put, Select, TransactWriteItem, Update};

/// How long a settled or expired request stays readable by its status route.
const KEPT_AFTER_EXPIRY_DAYS: u32 = 7;
const PENDING: &str = "pending";
const FULFILLED: &str = "fulfilled";
const CANCELLED: &str = "cancelled";

pub fn request_to_item(request: &CredentialRequestRecord) -> Item {
    let spec = &request.spec;
    let mut item = key_item(TableLayout::request_key(&request.identity, &request.id));
    let (status, settled, credential) = match &request.state {
        RequestState::Pending => (PENDING, None, None),
        RequestState::Fulfilled { credential_id, at } => (FULFILLED, Some(at), Some(credential_id)),
        RequestState::Cancelled { at } => (CANCELLED, Some(at), None),
    };
    let kept_until = request.expires_at.days_after(KEPT_AFTER_EXPIRY_DAYS);
    item.extend([
        (attr::IDENTITY_ID.to_owned(), s(request.identity.as_str())),
        (attr::REQUEST_ID.to_owned(), s(request.id.as_str())),
        (attr::NAME.to_owned(), s(spec.name.as_str())),
        (attr::TYPE.to_owned(), s(spec.kind.as_str())),
        (attr::FIELDS.to_owned(), s(request.fields_json())),
        (
            attr::CREATED_AT.to_owned(),
            s(request.created_at.to_string()),
        ),
        (
            attr::EXPIRES_AT.to_owned(),
            s(request.expires_at.to_string()),
        ),
        (
            attr::EXPIRES_AT_SECONDS.to_owned(),
            n(request.expires_at.unix_seconds()),
        ),
        (attr::STATUS.to_owned(), s(status)),
        (attr::SECRET_HASH.to_owned(), s(&request.secret_hash)),
        (TableLayout::TTL.to_owned(), n(kept_until.unix_seconds())),
    ]);
    let optional = [
        (attr::MESSAGE, spec.message.clone()),
        (
            attr::METADATA,
            spec.metadata.as_ref().map(|m| m.as_str().to_owned()),
        ),
        (
            attr::USE_POLICY,
            spec.use_policy.as_ref().map(|p| p.canonical().to_owned()),
        ),
        (attr::SETTLED_AT, settled.map(Timestamp::to_string)),
        (attr::CREDENTIAL_ID, credential.cloned()),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            item.insert(name.to_owned(), s(value));
        }
    }
    item
}

pub fn request_from_item(item: &Item) -> Result<CredentialRequestRecord, DependencyError> {
    let timestamp = |name: &str| Timestamp::parse(text(item, name)?).ok_or_else(|| malformed(name));
    let optional = |name: &str| item.get(name).map(|_| text(item, name)).transpose();
    let settled_at = || timestamp(attr::SETTLED_AT);
    let state = match text(item, attr::STATUS)? {
        PENDING => RequestState::Pending,
        FULFILLED => RequestState::Fulfilled {
            credential_id: text(item, attr::CREDENTIAL_ID)?.to_owned(),
            at: settled_at()?,
        },
        CANCELLED => RequestState::Cancelled { at: settled_at()? },
        _ => return Err(malformed(attr::STATUS)),
    };
    let use_policy = optional(attr::USE_POLICY)?
        .map(|text| UsePolicy::from_stored(text).ok_or_else(|| malformed(attr::USE_POLICY)))
        .transpose()?;
    let metadata = optional(attr::METADATA)?
        .map(|text| Metadata::from_stored(text.to_owned()).ok_or_else(|| malformed(attr::METADATA)))
        .transpose()?;
    let expires_at = timestamp(attr::EXPIRES_AT)?;
    let created_at = timestamp(attr::CREATED_AT)?;
    Ok(CredentialRequestRecord {
        identity: IdentityId::parse(text(item, attr::IDENTITY_ID)?)
            .ok_or_else(|| malformed(attr::IDENTITY_ID))?,
        id: RequestId::parse(text(item, attr::REQUEST_ID)?)
            .ok_or_else(|| malformed(attr::REQUEST_ID))?,
        spec: CredentialRequestSpec {
            name: CredentialName::parse(text(item, attr::NAME)?)
                .map_err(|_| malformed(attr::NAME))?,
            kind: CredentialType::parse(text(item, attr::TYPE)?)
                .ok_or_else(|| malformed(attr::TYPE))?,
            fields: CredentialRequestRecord::fields_from_json(text(item, attr::FIELDS)?)
                .ok_or_else(|| malformed(attr::FIELDS))?,
            message: optional(attr::MESSAGE)?.map(str::to_owned),
            use_policy,
            metadata,
            expires_in: expires_at
                .unix_seconds()
                .saturating_sub(created_at.unix_seconds()),
        },
        created_at,
        expires_at,
        state,
        secret_hash: text(item, attr::SECRET_HASH)?.to_owned(),
    })
}

impl DynamoStore {
    /// Settles a pending request: `set` (with its values) only while it is pending at
    /// `now` and, when `secret_hash` is given, still the request of that link.
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
}

impl RequestStore for DynamoStore {
    async fn pending_requests(
        &self,
        identity: &IdentityId,
        now: Timestamp,
        up_to: usize,
    ) -> Result<usize, DependencyError> {
        let mut start = None;
        let mut pending = 0;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .filter_expression("#status = :pending AND #expires > :now")
                .expression_attribute_names("#status", attr::STATUS)
                .expression_attribute_names("#expires", attr::EXPIRES_AT_SECONDS)
                .expression_attribute_values(":pk", s(TableLayout::identity_pk(identity)))
                .expression_attribute_values(":prefix", s(TableLayout::REQUEST_PREFIX))
                .expression_attribute_values(":pending", s(PENDING))
                .expression_attribute_values(":now", n(now.unix_seconds()))
                .select(Select::Count)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(ddb_error)?;
            pending += usize::try_from(output.count()).unwrap_or(0);
            match output.last_evaluated_key {
                Some(next) if pending < up_to => start = Some(next),
                _ => return Ok(pending),
            }
        }
    }

    async fn create_request(
        &self,
        request: &CredentialRequestRecord,
        entry: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(request_to_item(request)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        let op = TransactWriteItem::builder().put(put).build();
        self.commit_with_entry(vec![op], entry)
            .await?
            .or_unavailable()
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
        output.item.as_ref().map(request_from_item).transpose()
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
        let op = self.settle_op(identity, id, now, None, RequestState::Cancelled { at: now })?;
        self.commit_with_entry(vec![op], entry)
            .await?
            .or_unavailable()
    }
}
