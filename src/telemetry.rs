//! Structured JSON logs for CloudWatch.
//!
//! The level comes from the configuration (`RUST_LOG`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`,
//! else `info`). Other
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

/// JSON lines at `level` (an `EnvFilter` directive, `Config::log_level`) for credvault.
pub fn init(level: &str) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::Context;

    /// Records the target and level of every event it is shown.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<(String, Level)>>>);

    impl<S: tracing::Subscriber> Layer<S> for Seen {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            let meta = event.metadata();
            let mut seen = self.0.lock().unwrap();
            seen.push((meta.target().to_owned(), *meta.level()));
        }
    }

    #[test]
    fn other_crates_are_capped_at_info_and_ours_pass_at_any_level() {
        let seen = Seen::default();
        let subscriber =
            tracing_subscriber::registry().with(seen.clone().with_filter(filter_fn(is_loggable)));
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "aws_sdk_kms::wire", "plaintext key");
            tracing::debug!(target: "aws_smithy_runtime", "response body");
            tracing::debug!(target: "lambda_runtime", "event payload");
            tracing::info!(target: "aws_config", "loaded");
            tracing::warn!(target: "hyper", "retrying");
            tracing::trace!(target: "credvault::vault", "ours");
            tracing::debug!(target: "credvault", "ours too");
        });
        let seen = seen.0.lock().unwrap().clone();
        let targets: Vec<&str> = seen.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            targets,
            ["aws_config", "hyper", "credvault::vault", "credvault"]
        );
    }
}
