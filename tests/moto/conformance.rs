//! The ports' conformance suites on the DynamoDB and KMS adapters, against moto (the same
//! suites run on the in-memory adapters in `tests/handler/conformance.rs`).

use crate::stack::{KMS_ALIAS, Stack};
use credvault::crypto::KmsKeyProvider;
use credvault::testing::conformance;

#[tokio::test]
async fn dynamodb_keeps_the_credential_store_contract() {
    conformance::credential_store(&Stack::start().await.store).await;
}

#[tokio::test]
async fn dynamodb_keeps_the_activity_log_contract() {
    conformance::activity_log(&Stack::start().await.store).await;
}

#[tokio::test]
async fn dynamodb_keeps_the_identity_directory_contract() {
    conformance::identity_directory(&Stack::start().await.store).await;
}

#[tokio::test]
async fn kms_keeps_the_key_provider_contract() {
    let stack = Stack::start().await;
    conformance::key_provider(&KmsKeyProvider::new(stack.kms.clone(), KMS_ALIAS)).await;
}

#[tokio::test]
async fn dynamodb_keeps_the_organisations_contract() {
    conformance::organisations(&Stack::start().await.store).await;
}
