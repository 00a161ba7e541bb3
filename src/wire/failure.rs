//! A refusal as every edge renders it: its kind (status and code from the one table in
//! `crate::vault::ErrorKind`), the message a caller may read, and what only the log sees.

use super::views::ErrorView;
use crate::vault::{ErrorKind, VaultError};
use lambda_http::http::Method;

#[derive(Debug)]
pub struct Failure {
    pub kind: ErrorKind,
    pub message: String,
    /// The methods a path takes, for a 405's `Allow`.
    pub allow: Option<&'static [Method]>,
    /// Seconds for `Retry-After` (429 and 503).
    pub retry_after: Option<u64>,
    /// Internal detail for the access log line; never sent.
    pub detail: Option<String>,
}

impl Failure {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            allow: None,
            retry_after: None,
            detail: None,
        }
    }

    /// An unknown route.
    pub fn not_found() -> Self {
        Self::new(ErrorKind::NotFound, "Not found")
    }

    pub fn method_not_allowed(allowed: &'static [Method]) -> Self {
        Self {
            allow: Some(allowed),
            ..Self::new(
                ErrorKind::MethodNotAllowed,
                "Method not allowed on this path",
            )
        }
    }

    /// A fault of ours: the caller reads only that it happened.
    pub fn internal(detail: String) -> Self {
        Self {
            detail: Some(detail),
            ..Self::new(ErrorKind::Internal, "Internal error")
        }
    }

    /// The contract's envelope of this refusal.
    pub fn envelope(&self) -> ErrorView<'_> {
        ErrorView {
            error: self.kind.code(),
            message: &self.message,
            status: self.kind.status(),
        }
    }
}

impl From<VaultError> for Failure {
    fn from(err: VaultError) -> Self {
        let kind = err.kind();
        let detail =
            matches!(kind, ErrorKind::Internal | ErrorKind::Unavailable).then(|| err.to_string());
        Self {
            kind,
            message: err.public_message(),
            allow: None,
            retry_after: err.retry_after(),
            detail,
        }
    }
}
