use super::totp::MAX_BACKUP_ATTEMPTS;
use crate::auth::AuthError;
use crate::crypto::{OpenError, SealError};
use crate::dependency::DependencyError;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Over the identity's requests for this minute.
    #[error("Too many requests for this identity; retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// The request itself is malformed (body, name, query); refused before any work.
    #[error("{0}")]
    BadInput(String),
    #[error("Credential not found")]
    NotFound,
    #[error("Credential has expired")]
    Expired,
    /// A request the credential cannot serve; the text is for the caller.
    #[error("{0}")]
    Unprocessable(String),
    /// Too large to store: the text is for the caller.
    #[error("{0}")]
    TooLarge(String),
    #[error(transparent)]
    Dependency(#[from] DependencyError),
    /// The stored item does not decrypt where it is: tampered with or copied.
    #[error("integrity check failed: {0}")]
    Integrity(&'static str),
    /// Too many concurrent writers; the caller may retry.
    #[error("gave up after {MAX_BACKUP_ATTEMPTS} conflicting writes")]
    Contended,
    /// A fault of ours; the text is for the log only.
    #[error("internal: {0}")]
    Internal(String),
}

impl VaultError {
    /// The HTTP status the contract gives this error; the log records it for every edge.
    pub fn status(&self) -> u16 {
        match self {
            Self::Auth(AuthError::MissingScope(_)) => 403,
            Self::Auth(_) => 401,
            Self::RateLimited { .. } => 429,
            Self::BadInput(_) | Self::Unprocessable(_) => 400,
            Self::NotFound => 404,
            Self::Expired => 410,
            Self::TooLarge(_) => 413,
            Self::Dependency(DependencyError::Unavailable { .. }) | Self::Contended => 503,
            Self::Dependency(DependencyError::Failed { .. })
            | Self::Integrity(_)
            | Self::Internal(_) => 500,
        }
    }

    /// What a caller may read of it: the message, except for faults, whose text is internal.
    pub fn public_message(&self) -> String {
        match self.status() {
            500 => "Internal error".to_owned(),
            503 => UNAVAILABLE_MESSAGE.to_owned(),
            _ => self.to_string(),
        }
    }
}

/// The 503 message: honest that a change may or may not have happened is not needed here,
/// since every write commits whole or not at all and a retry is safe.
pub const UNAVAILABLE_MESSAGE: &str =
    "A dependency is unavailable or the request ran out of time; retry later.";

impl From<SealError> for VaultError {
    fn from(err: SealError) -> Self {
        match err {
            SealError::Dependency(err) => Self::Dependency(err),
            SealError::Aead => Self::Internal(err.to_string()),
        }
    }
}

impl From<OpenError> for VaultError {
    fn from(err: OpenError) -> Self {
        match err {
            OpenError::Dependency(err) => Self::Dependency(err),
            OpenError::Integrity(why) => Self::Integrity(why),
        }
    }
}
