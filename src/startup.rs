//! One wiring of the function from its configuration, once per cold start: the AWS clients,
//! the key-item MAC secret unwrapped, the caches, the vault and its edges. The Lambda binary,
//! the moto tests and the benches all start here.

use crate::auth::{KEY_MAC_SECRET_LEN, KeyMac, key_mac_secret_context};
use crate::config::Config;
use crate::crypto::{CachingKeyProvider, KeyProvider, KmsKeyProvider};
use crate::dependency::DependencyError;
use crate::egress::{HttpsEgress, SystemLookup};
use crate::http::Service;
use crate::store::DynamoStore;
use crate::vault::Vault;
use secrecy::ExposeSecret;
use std::sync::Arc;

/// The vault as the function runs it.
pub type FunctionVault = Vault<DynamoStore, CachingKeyProvider<KmsKeyProvider>>;
pub type FunctionService = Service<DynamoStore, CachingKeyProvider<KmsKeyProvider>>;

/// The two AWS clients the function uses, built once and shared by every invocation.
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub kms: aws_sdk_kms::Client,
}

impl AwsClients {
    pub fn from_sdk(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            kms: aws_sdk_kms::Client::new(sdk),
        }
    }
}

/// The function, wired from `config`.
pub async fn build(
    config: &Config,
    clients: AwsClients,
) -> Result<FunctionService, DependencyError> {
    let store = DynamoStore::new(clients.dynamodb, &config.table_name);
    let keys = KmsKeyProvider::new(clients.kms, &config.kms_key_id);
    // The key-item MAC secret, unwrapped once here: authentication stays one lookup. Its
    // GetItem and Decrypt also warm both clients (credentials, endpoints, connections, TLS)
    // during init rather than on the first request. Beside it, on a blocking thread, the
    // random generator's one-time seeding (AWS-LC gathers CPU jitter entropy, tens of ms of
    // CPU), which the first request would otherwise pay.
    let seeding = tokio::task::spawn_blocking(|| crate::domain::random_id("warm-up"));
    let key_mac = unwrap_key_mac(&store, &keys, config.key_mac_generation).await?;
    // A failure here would recur on every request, which each answer for themselves.
    let _ = seeding.await;
    let keys = CachingKeyProvider::new(keys, config.data_key_cache, config.data_key_cache_max_uses);
    let egress =
        HttpsEgress::new(config.egress.clone(), Arc::new(SystemLookup)).map_err(|detail| {
            DependencyError::Failed {
                service: "egress",
                detail,
            }
        })?;
    let vault = Vault::new(store.with_key_mac(Arc::new(key_mac)), keys)
        .with_rate_limit(config.rate_limit_per_minute)
        .with_log_retention_days(config.log_retention_days)
        .with_principal_cache(config.principal_cache)
        .with_egress(Arc::new(egress));
    Ok(Service {
        vault,
        mcp_allowed_origins: config.mcp_allowed_origins.clone(),
        public_base_url: config.public_base_url.clone(),
    })
}

/// Unwraps the key-item MAC secret of `generation` with KMS: once per cold start in the
/// function, once per command in the operator's CLI. Fails when there is none (run
/// `credvault setup`, or `setup-local`).
pub async fn unwrap_key_mac<K: KeyProvider>(
    store: &DynamoStore,
    keys: &K,
    generation: u32,
) -> Result<KeyMac, DependencyError> {
    let failed = |detail: String| DependencyError::Failed {
        service: "DynamoDB",
        detail,
    };
    let (wrapped, key_id) = store
        .wrapped_key_mac_secret(generation)
        .await?
        .ok_or_else(|| failed("no key-MAC secret in the table; run `credvault setup`".into()))?;
    let secret = keys
        .decrypt_data_key(&wrapped, &key_id, &key_mac_secret_context(generation))
        .await
        .map_err(|e| failed(format!("cannot unwrap the key-MAC secret: {e}")))?;
    let secret: &[u8; KEY_MAC_SECRET_LEN] = secret.expose_secret();
    Ok(KeyMac::from_secret(secret))
}
