//! The key-item MAC secret: a fresh KMS data key, stored wrapped, one per generation. The
//! function unwraps it once per cold start (`crate::startup`).

use crate::auth::key_mac_secret_context;
use crate::crypto::KeyProvider;
use crate::dependency::DependencyError;
use crate::domain::Timestamp;
use crate::store::DynamoStore;

/// Creates the MAC secret of `generation` once: for `setup-local` and a new deployment. A
/// second call keeps the first secret.
pub async fn ensure_key_mac_secret<K: KeyProvider>(
    store: &DynamoStore,
    keys: &K,
    generation: u32,
    now: Timestamp,
) -> Result<(), DependencyError> {
    if store.wrapped_key_mac_secret(generation).await?.is_some() {
        return Ok(());
    }
    let data_key = keys
        .generate_data_key(&key_mac_secret_context(generation))
        .await?;
    // Lost a race to another operator: theirs stands, and is as good.
    store
        .put_wrapped_key_mac_secret(generation, &data_key.encrypted, &data_key.key_id, now)
        .await
        .map(|_| ())
}
