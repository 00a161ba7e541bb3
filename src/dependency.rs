//! Failures of what the vault depends on (KMS, DynamoDB), sorted into the two answers a
//! caller can act on: try again later (503) or a fault on our side (500).

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum DependencyError {
    /// Throttled, timed out or unreachable after the SDK's own retries.
    #[error("{service} unavailable: {detail}")]
    Unavailable {
        service: &'static str,
        detail: String,
    },
    /// Anything else: misconfiguration, permissions, a malformed item.
    #[error("{service} failed: {detail}")]
    Failed {
        service: &'static str,
        detail: String,
    },
}

/// Error codes that mean "not now" rather than "never".
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "InternalServerError",
    "ServiceUnavailable",
    "KMSInternalException",
    "DependencyTimeoutException",
    "KeyUnavailableException",
    "TransactionConflictException",
    "TransactionInProgressException",
];

impl DependencyError {
    /// Sorts an SDK error. The detail is the SDK's own text, which names codes and resources,
    /// never our payloads: request bodies hold only ciphertext and hashes.
    pub fn from_sdk<E, R>(service: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let transient = match &err {
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(service_err) => service_err
                .err()
                .code()
                .is_some_and(|code| TRANSIENT_CODES.contains(&code)),
            _ => false,
        };
        let detail = aws_smithy_types::error::display::DisplayErrorContext(&err).to_string();
        if transient {
            Self::Unavailable { service, detail }
        } else {
            Self::Failed { service, detail }
        }
    }

    /// The same failure, answered as "try again later".
    pub fn into_transient(self) -> Self {
        match self {
            Self::Failed { service, detail } => Self::Unavailable { service, detail },
            unavailable => unavailable,
        }
    }
}

/// How long the vault waits on AWS: Lambda's default timeout is 10 s, so one call may take
/// 3 s per attempt and 8 s in all, across the standard mode's 3 attempts with backoff.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(8);

/// The shared SDK configuration: region, credentials and `AWS_ENDPOINT_URL` from the
/// environment, as every AWS tool reads them. Built once per cold start.
pub async fn load_sdk_config() -> aws_config::SdkConfig {
    use aws_config::{BehaviorVersion, retry::RetryConfig, timeout::TimeoutConfig};
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .load()
        .await
}
