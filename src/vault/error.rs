//! How a request fails: the use cases' error, the kind of failure it is, and the one table
//! from kind to the contract's status and code that every edge renders from (the JSON
//! envelope, an MCP tool error, an HTML page).

use crate::auth::AuthError;
use crate::crypto::{OpenError, SealError};
use crate::dependency::DependencyError;
use crate::domain::{BodyError, Capability, MAX_PENDING_REQUESTS, NamePattern, RequestStatus};

/// The kinds of failure the contract tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    NotAcceptable,
    Gone,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    Internal,
    BadGateway,
    Unavailable,
    GatewayTimeout,
}

impl ErrorKind {
    /// The HTTP status and the `error` code of the contract's envelope.
    pub const fn status_and_code(self) -> (u16, &'static str) {
        match self {
            Self::BadRequest => (400, "bad_request"),
            Self::Unauthorized => (401, "unauthorized"),
            Self::Forbidden => (403, "forbidden"),
            Self::NotFound => (404, "not_found"),
            Self::MethodNotAllowed => (405, "method_not_allowed"),
            Self::NotAcceptable => (406, "not_acceptable"),
            Self::Gone => (410, "expired"),
            Self::PayloadTooLarge => (413, "payload_too_large"),
            Self::UnsupportedMediaType => (415, "unsupported_media_type"),
            Self::RateLimited => (429, "rate_limited"),
            Self::Internal => (500, "internal_error"),
            Self::BadGateway => (502, "bad_gateway"),
            Self::Unavailable => (503, "service_unavailable"),
            Self::GatewayTimeout => (504, "gateway_timeout"),
        }
    }

    pub const fn status(self) -> u16 {
        self.status_and_code().0
    }

    pub const fn code(self) -> &'static str {
        self.status_and_code().1
    }
}

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
    /// A name outside the key's grants: answered as [`VaultError::NotFound`] is, word for
    /// word; the denial's pattern, if one hid it, goes to the activity log only.
    #[error("Credential not found")]
    Hidden(Option<NamePattern>),
    /// A name the key sees, without the capability asked for.
    #[error("This API key's grants do not allow `{}` on this credential", .0.as_str())]
    Ungranted(Capability),
    /// No such identity in the caller's organisation (another organisation's included).
    #[error("Identity not found")]
    IdentityNotFound,
    /// No live key of that id on the identity.
    #[error("Key not found")]
    KeyNotFound,
    /// Beyond what the key may give or do; the text is for the caller.
    #[error("{0}")]
    Forbidden(String),
    #[error("Credential has expired")]
    Expired,
    /// A well-formed request the credential cannot serve (no TOTP seed, no backup code
    /// left): the contract's 400, with a text for the caller.
    #[error("{0}")]
    Unsuitable(String),
    /// Too large to store: the text is for the caller.
    #[error("{0}")]
    TooLarge(String),
    #[error(transparent)]
    Dependency(#[from] DependencyError),
    /// The stored item does not decrypt where it is: tampered with or copied.
    #[error("integrity check failed: {0}")]
    Integrity(&'static str),
    /// The request's deadline came first; the caller may retry.
    #[error("the request ran out of time")]
    OutOfTime,
    /// A brokered request's upstream failed: what failed, never the URL.
    #[error("The upstream request failed: {0}")]
    Upstream(&'static str),
    /// A brokered request's upstream did not answer by the deadline.
    #[error("The upstream did not answer in time")]
    UpstreamTimeout,
    /// No credential request of the caller's with that id, or a link that opens none.
    #[error("Credential request not found")]
    RequestNotFound,
    /// A credential request that is no longer pending: its link opens nothing.
    #[error("{}", closed_message(*.0))]
    RequestClosed(RequestStatus),
    /// Too many of the identity's requests are pending.
    #[error(
        "This identity has {MAX_PENDING_REQUESTS} credential requests pending; cancel one, or \
         wait until one is fulfilled or expires"
    )]
    TooManyPending,
    /// A link's form without a valid proof of the page it came from, or sent from another
    /// site.
    #[error("This form was not sent from its own page; open the link again")]
    ForgedForm,
    /// Too many concurrent writers; the caller may retry.
    #[error("gave up after repeated conflicting writes")]
    Contended,
    /// A fault of ours; the text is for the log only.
    #[error("internal: {0}")]
    Internal(String),
}

impl VaultError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Auth(AuthError::MissingScope(_) | AuthError::WrongKind(_))
            | Self::Forbidden(_)
            | Self::Ungranted(_) => ErrorKind::Forbidden,
            Self::Auth(_) => ErrorKind::Unauthorized,
            Self::RateLimited { .. } | Self::TooManyPending => ErrorKind::RateLimited,
            Self::ForgedForm => ErrorKind::Forbidden,
            Self::RequestNotFound => ErrorKind::NotFound,
            Self::RequestClosed(_) => ErrorKind::Gone,
            Self::BadInput(_) | Self::Unsuitable(_) => ErrorKind::BadRequest,
            Self::NotFound | Self::IdentityNotFound | Self::KeyNotFound | Self::Hidden(_) => {
                ErrorKind::NotFound
            }
            Self::Expired => ErrorKind::Gone,
            Self::Upstream(_) => ErrorKind::BadGateway,
            Self::UpstreamTimeout => ErrorKind::GatewayTimeout,
            Self::TooLarge(_) => ErrorKind::PayloadTooLarge,
            Self::Dependency(DependencyError::Unavailable { .. })
            | Self::Contended
            | Self::OutOfTime => ErrorKind::Unavailable,
            Self::Dependency(DependencyError::Failed { .. })
            | Self::Integrity(_)
            | Self::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The HTTP status the contract gives this error; the log records it for every edge.
    pub fn status(&self) -> u16 {
        self.kind().status()
    }

    /// What a caller may read of it: the message, except for faults, whose text is internal.
    pub fn public_message(&self) -> String {
        match self.kind() {
            ErrorKind::Internal => "Internal error".to_owned(),
            ErrorKind::Unavailable => UNAVAILABLE_MESSAGE.to_owned(),
            _ => self.to_string(),
        }
    }

    /// A refusal by the key's own limits (grants, expiry, budget): recorded as `denied`, with
    /// what refused it, whatever status the caller got.
    pub fn limit_refusal(&self) -> Option<String> {
        match self {
            Self::Hidden(Some(pattern)) => Some(format!(
                "denied by the key's grant on `{}`",
                pattern.as_str()
            )),
            Self::Hidden(None) => Some("outside the key's grants".to_owned()),
            Self::Ungranted(capability) => Some(format!(
                "the key's grants do not allow `{}`",
                capability.as_str()
            )),
            Self::Auth(AuthError::ExpiredKey) => Some("the key is past its notAfter".to_owned()),
            Self::Auth(AuthError::UsesSpent) => Some("the key's maxUses are spent".to_owned()),
            _ => None,
        }
    }

    /// Seconds the caller should wait before trying again (`Retry-After`), if it should.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after } => Some(*retry_after),
            _ if self.kind() == ErrorKind::Unavailable => Some(RETRY_AFTER_SECONDS),
            _ => None,
        }
    }
}

fn closed_message(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Fulfilled => "This credential request was already fulfilled",
        RequestStatus::Cancelled => "This credential request was cancelled",
        RequestStatus::Expired | RequestStatus::Pending => "This credential request has expired",
    }
}

/// How long a client should wait after a 503, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// The 503 message: every write commits whole or not at all, so a retry is always safe.
pub const UNAVAILABLE_MESSAGE: &str =
    "A dependency is unavailable or the request ran out of time; retry later.";

impl From<BodyError> for VaultError {
    fn from(err: BodyError) -> Self {
        match err {
            BodyError::Invalid(message) => Self::BadInput(message),
            BodyError::TooLarge(message) => Self::TooLarge(message),
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_the_contracts_status_and_code() {
        let cases: [(VaultError, u16, &str); 8] = [
            (AuthError::UnknownKey.into(), 401, "unauthorized"),
            (
                AuthError::MissingScope(crate::domain::Scope::VaultRead).into(),
                403,
                "forbidden",
            ),
            (VaultError::Unsuitable("x".into()), 400, "bad_request"),
            (VaultError::Expired, 410, "expired"),
            (VaultError::TooLarge("x".into()), 413, "payload_too_large"),
            (
                VaultError::RateLimited { retry_after: 3 },
                429,
                "rate_limited",
            ),
            (VaultError::Contended, 503, "service_unavailable"),
            (VaultError::Integrity("x"), 500, "internal_error"),
        ];
        for (err, status, code) in cases {
            assert_eq!((err.status(), err.kind().code()), (status, code), "{err:?}");
        }
        assert_eq!(VaultError::Contended.retry_after(), Some(1));
        assert_eq!(
            VaultError::Integrity("x").public_message(),
            "Internal error"
        );
    }
}
