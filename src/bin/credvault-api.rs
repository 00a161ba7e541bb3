//! The Lambda function: one handler for the whole vault API, REST and MCP.

use credvault::config::Config;
use credvault::dependency::load_sdk_config;
use credvault::startup::{self, AwsClients};
use credvault::{http, telemetry};
use lambda_http::{Error, service_fn};
use std::convert::Infallible;

fn main() -> Result<(), Error> {
    let config = Config::from_env()?;
    // One request at a time (classic Lambda): one thread, since an I/O-bound handler gains
    // nothing from a pool (13% less CPU per request). Many at a time (Lambda Managed
    // Instances set AWS_LAMBDA_MAX_CONCURRENCY): a thread per vCPU.
    let mut runtime = if config.max_concurrency > 1 {
        let mut pool = tokio::runtime::Builder::new_multi_thread();
        // The main thread's 8 MiB, not tokio's 2 MiB default, for every request's task.
        pool.thread_stack_size(8 * 1024 * 1024);
        pool
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    runtime.enable_all().build()?.block_on(serve(config))
}

async fn serve(config: Config) -> Result<(), Error> {
    telemetry::init(&config.log_level);
    telemetry::install_panic_hook();
    // Clients are built once per cold start and shared by every invocation.
    let clients = AwsClients::from_sdk(&load_sdk_config().await);
    let service = startup::build(&config, clients).await?;
    // Lives as long as the process, like the clients inside it.
    let service: &'static _ = Box::leak(Box::new(service));
    // Sequential unless AWS_LAMBDA_MAX_CONCURRENCY > 1; the vault's state is Send + Sync.
    lambda_http::run_concurrent(service_fn(move |request| async move {
        Ok::<_, Infallible>(http::handle_isolated(service, request).await)
    }))
    .await
}
