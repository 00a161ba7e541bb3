//! The Lambda function: one handler for the whole vault API.

use credvault::config::Config;
use credvault::crypto::KmsKeyProvider;
use credvault::dependency::load_sdk_config;
use credvault::store::DynamoStore;
use credvault::vault::Vault;
use credvault::{http, telemetry};
use lambda_http::{Error, service_fn};
use std::convert::Infallible;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    telemetry::install_panic_hook();
    let config = Config::from_env()?;

    // Clients are built once per cold start and shared by every invocation.
    let aws = load_sdk_config().await;
    let vault = Vault::new(
        DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), config.table_name),
        KmsKeyProvider::new(aws_sdk_kms::Client::new(&aws), config.kms_key_id),
    )
    .with_rate_limit(config.rate_limit_per_minute)
    .with_log_retention_days(config.log_retention_days);

    // Lives as long as the process, like the clients inside it.
    let vault: &'static _ = Box::leak(Box::new(vault));
    lambda_http::run(service_fn(move |request| async move {
        Ok::<_, Infallible>(http::handle_isolated(vault, request).await)
    }))
    .await
}
