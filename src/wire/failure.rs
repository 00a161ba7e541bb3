use crate::auth::AuthError;
use crate::domain::{BodyError, InvalidName};
use crate::vault::VaultError;
use lambda_http::http::{Method, StatusCode};

/// How long a client should wait after a 503, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// An error as the contract shapes it: `{ "error", "message", "status" }`, plus what the log
/// needs and the caller must not see.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub allow: Option<&'static [Method]>,
    /// Seconds for `Retry-After` (429 and 503).
    pub retry_after: Option<u64>,
    /// Internal detail for the access log line; never sent.
    pub detail: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            allow: None,
            retry_after: None,
            detail: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found")
    }

    pub fn credential_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Credential not found")
    }

    pub fn method_not_allowed(allowed: &'static [Method]) -> Self {
        let mut err = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed on this path",
        );
        err.allow = Some(allowed);
        err
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    pub fn unavailable(detail: String) -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            crate::vault::UNAVAILABLE_MESSAGE,
        );
        err.retry_after = Some(RETRY_AFTER_SECONDS);
        err.detail = Some(detail);
        err
    }

    pub fn internal(detail: String) -> Self {
        let mut err = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal error",
        );
        err.detail = Some(detail);
        err
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::MissingScope(_) => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", err.to_string())
            }
            _ => Self::new(StatusCode::UNAUTHORIZED, "unauthorized", err.to_string()),
        }
    }
}

impl From<BodyError> for ApiError {
    fn from(err: BodyError) -> Self {
        match err {
            BodyError::Invalid(message) => Self::bad_request(message),
            BodyError::TooLarge(message) => Self::payload_too_large(message),
        }
    }
}

impl From<InvalidName> for ApiError {
    fn from(err: InvalidName) -> Self {
        Self::bad_request(err.to_string())
    }
}

impl From<VaultError> for ApiError {
    fn from(err: VaultError) -> Self {
        use crate::dependency::DependencyError::*;
        match err {
            VaultError::Auth(auth) => auth.into(),
            VaultError::RateLimited { retry_after } => {
                let mut limited = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    err.to_string(),
                );
                limited.retry_after = Some(retry_after);
                limited
            }
            VaultError::NotFound => Self::credential_not_found(),
            VaultError::BadInput(message) => Self::bad_request(message),
            VaultError::TooLarge(message) => Self::payload_too_large(message),
            VaultError::Expired => Self::new(StatusCode::GONE, "expired", err.to_string()),
            VaultError::Unprocessable(message) => Self::bad_request(message),
            VaultError::Dependency(dep @ Unavailable { .. }) => Self::unavailable(dep.to_string()),
            VaultError::Contended => Self::unavailable(err.to_string()),
            VaultError::Dependency(dep @ Failed { .. }) => Self::internal(dep.to_string()),
            VaultError::Integrity(_) | VaultError::Internal(_) => Self::internal(err.to_string()),
        }
    }
}
