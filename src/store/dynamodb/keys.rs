//! The key directory on DynamoDB: API key hashes to principals, and the rate counters.

use super::item::{key_item, malformed, n, text};
use super::layout::{TableLayout, attr};
use super::{DynamoStore, ddb_error};
use crate::auth::{IdentityId, IdentityProfile, KeyDirectory, KeyGrant, KeyHash, Principal, Scope};
use crate::dependency::DependencyError;
use crate::domain::{RateWindow, Timestamp};
use aws_sdk_dynamodb::types::ReturnValue;

impl KeyDirectory for DynamoStore {
    async fn principal_for(&self, key: &KeyHash) -> Result<Option<Principal>, DependencyError> {
        // Strongly consistent: a revocation applies from the next lookup (warm instances
        // look up again once their principal cache entry expires).
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::api_key_key(key))))
            .consistent_read(true)
            .send()
            .await
            .map_err(ddb_error)?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        if item.contains_key(attr::REVOKED_AT) {
            return Ok(None);
        }
        let identity = item
            .get(attr::IDENTITY_ID)
            .and_then(|v| v.as_s().ok())
            .and_then(|raw| IdentityId::parse(raw))
            .ok_or_else(|| malformed("key without identityId"))?;
        let scopes: Vec<Scope> = item
            .get(attr::SCOPES)
            .and_then(|v| v.as_ss().ok())
            .map(|raw| raw.iter().filter_map(|s| Scope::parse(s)).collect())
            .unwrap_or_default();
        let grant = KeyGrant {
            hash: key,
            identity: &identity,
            scopes: &scopes,
            created_at: text(&item, attr::CREATED_AT).unwrap_or_default(),
        };
        let tag = item.get(attr::MAC).and_then(|v| v.as_b().ok());
        let trusted = match (&self.key_mac, tag) {
            (Some(mac), Some(tag)) => mac.verify(&grant, tag.as_ref()),
            _ => false,
        };
        if !trusted {
            // Not written by an operator holding the MAC secret: forged, widened or revived.
            tracing::error!(
                target: "credvault::integrity",
                identity = identity.as_str(),
                "key item failed its MAC check; refused"
            );
            return Ok(None);
        }
        Ok(Some(Principal { identity, scopes }))
    }

    async fn profile(
        &self,
        identity: &IdentityId,
    ) -> Result<Option<IdentityProfile>, DependencyError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::identity_key(identity))))
            .send()
            .await
            .map_err(ddb_error)?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        Ok(Some(IdentityProfile {
            name: text(&item, attr::NAME)?.to_owned(),
            created_at: Timestamp::parse(text(&item, attr::CREATED_AT)?)
                .ok_or_else(|| malformed(attr::CREATED_AT))?,
        }))
    }

    async fn count_request(
        &self,
        identity: &IdentityId,
        window: RateWindow,
    ) -> Result<u64, DependencyError> {
        // A fixed window: one atomic ADD per request; the table's TTL removes old counters.
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(TableLayout::rate_key(identity, window))))
            .update_expression("ADD #requests :one SET #ttl = if_not_exists(#ttl, :expires)")
            .expression_attribute_names("#requests", attr::REQUESTS)
            .expression_attribute_names("#ttl", TableLayout::TTL)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":expires", n(window.expires_at()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(ddb_error)?;
        output
            .attributes
            .as_ref()
            .and_then(|a| a.get(attr::REQUESTS))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| malformed(attr::REQUESTS))
    }
}
