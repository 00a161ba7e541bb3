//! The Lambda function: one handler for the whole vault API, REST and MCP.

use credvault::config::Config;
use credvault::crypto::{CachingKeyProvider, KmsKeyProvider};
use credvault::dependency::load_sdk_config;
use credvault::store::DynamoStore;
use credvault::vault::Vault;
use credvault::{admin, http, telemetry};
use lambda_http::{Error, service_fn};
use std::convert::Infallible;
use std::sync::Arc;

fn main() -> Result<(), Error> {
    // One request at a time (classic Lambda): one thread, since an I/O-bound handler gains
    // nothing from a pool (13% less CPU per request). Many at a time (Lambda Managed
    // Instances set AWS_LAMBDA_MAX_CONCURRENCY): a thread per vCPU.
    let concurrent = std::env::var("AWS_LAMBDA_MAX_CONCURRENCY")
        .ok()
        .and_then(|n| n.trim().parse::<u32>().ok())
        .is_some_and(|n| n > 1);
    let mut runtime = if concurrent {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    runtime.enable_all().build()?.block_on(serve())
}

async fn serve() -> Result<(), Error> {
    telemetry::init();
    telemetry::install_panic_hook();
    let config = Config::from_env()?;

    // Clients are built once per cold start and shared by every invocation.
    let aws = load_sdk_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table_name);
    let keys = KmsKeyProvider::new(aws_sdk_kms::Client::new(&aws), &config.kms_key_id);
    // The key-item MAC secret, unwrapped once here: authentication stays one lookup. Its
    // GetItem and Decrypt also warm both clients (credentials, endpoints, connections, TLS)
    // during init rather than on the first request.
    // Beside it, on a blocking thread, the random generator's one-time seeding (AWS-LC gathers
    // CPU jitter entropy, tens of ms of CPU), which the first request would otherwise pay.
    let seeding = tokio::task::spawn_blocking(|| credvault::domain::random_id("warm-up"));
    let key_mac =
        admin::load_key_mac(&store, &keys, &config.kms_key_id, config.key_mac_generation).await?;
    // A failure here would recur on every request, which each answer for themselves.
    let _ = seeding.await;
    let keys = CachingKeyProvider::new(keys, config.data_key_cache, config.data_key_cache_max_uses);
    let vault = Vault::new(store.with_key_mac(Arc::new(key_mac)), keys)
        .with_rate_limit(config.rate_limit_per_minute)
        .with_log_retention_days(config.log_retention_days)
        .with_principal_cache(config.principal_cache);

    // Lives as long as the process, like the clients inside it.
    let vault: &'static _ = Box::leak(Box::new(vault));
    // Sequential unless AWS_LAMBDA_MAX_CONCURRENCY > 1; the vault's state is Send + Sync.
    lambda_http::run_concurrent(service_fn(move |request| async move {
        Ok::<_, Infallible>(http::handle_isolated(vault, request).await)
    }))
    .await
}
