//! The ports' conformance suites on the in-memory adapters (the same suites run on DynamoDB
//! and KMS in `tests/moto/conformance.rs`).

use credvault::crypto::LocalKeyProvider;
use credvault::store::MemoryStore;
use credvault::testing::conformance;

#[tokio::test]
async fn the_memory_store_keeps_the_credential_store_contract() {
    conformance::credential_store(&MemoryStore::new()).await;
}

#[tokio::test]
async fn the_memory_store_keeps_the_activity_log_contract() {
    conformance::activity_log(&MemoryStore::new()).await;
}

#[tokio::test]
async fn the_memory_store_keeps_the_identity_directory_contract() {
    conformance::identity_directory(&MemoryStore::new()).await;
}

#[tokio::test]
async fn local_keys_keep_the_key_provider_contract() {
    conformance::key_provider(&LocalKeyProvider::new()).await;
}

#[tokio::test]
async fn the_memory_store_keeps_the_organisations_contract() {
    conformance::organisations(&MemoryStore::new()).await;
}
