//! Creating what a local stack needs: the table and a KMS key behind an alias. A deployed
//! stack gets both from `template.yaml`.

use crate::dependency::DependencyError;
use crate::store::DynamoStore;
use crate::store::layout::TableLayout;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_kms::Client as KmsClient;

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
            .map_err(|e| DependencyError::Failed {
                service: "DynamoDB",
                detail: e.to_string(),
            })
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(|e| DependencyError::Failed {
                service: "DynamoDB",
                detail: e.to_string(),
            })
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
