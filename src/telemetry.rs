//! Structured JSON logs for CloudWatch.
//!
//! The level comes from `RUST_LOG`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`. Other
//! crates are capped at INFO whatever is asked: at DEBUG and TRACE the SDK and the runtime
//! log wire payloads, and a KMS response carries a plaintext data key.

use tracing::{Level, Metadata};
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::prelude::*;

/// Whether an event may be written at all, whatever the configured level.
pub fn is_loggable(metadata: &Metadata<'_>) -> bool {
    metadata.target().starts_with("credvault") || *metadata.level() <= Level::INFO
}

/// Replaces the default panic hook, which prints the panic's payload: a payload is text the
/// code that panicked chose, and could hold whatever it was handling. Only the place is logged.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        tracing::error!(
            target: "credvault::panic",
            location = location.as_deref().unwrap_or("unknown"),
            "panic (payload withheld)"
        );
    }));
}

pub fn init() {
    let level = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL"))
        .unwrap_or_else(|_| "info".to_owned());
    let json = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_filter(filter_fn(is_loggable));
    // `try_init`: a second call (tests) keeps the first subscriber instead of panicking.
    let _ = tracing_subscriber::registry()
        .with(EnvFilter::try_new(level.to_lowercase()).unwrap_or_else(|_| EnvFilter::new("info")))
        .with(json)
        .try_init();
}
