//! The Lambda-facing edge: routes a request, authenticates it, parses it, calls the vault and
//! shapes the answer. One access-log line per request; bodies are never logged.

mod access_log;
mod dispatch;
mod error;
mod query;
mod route;
pub(crate) mod views;

pub use error::{ApiError, RETRY_AFTER_SECONDS};
pub use route::Route;

use crate::crypto::KeyProvider;
use crate::dependency::DependencyError;
use crate::store::VaultStore;
use crate::vault::{Vault, VaultError};
use access_log::AccessLog;
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use std::time::Duration;
use views::ErrorView;
use zeroize::Zeroizing;

/// Bodies over this are refused before they are parsed.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

pub async fn handle<S: VaultStore + 'static, K: KeyProvider + 'static>(
    vault: &Vault<S, K>,
    request: Request,
) -> Response<Body> {
    let mut log = AccessLog::start();
    let (parts, body) = request.into_parts();
    // Owned and wiped on drop: the body may hold secrets. Bytes, not text: API Gateway
    // hands over a body that is not UTF-8 base64-encoded, and it still gets a 400.
    let body = Zeroizing::new(match body {
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
        other => other.as_ref().to_vec(),
    });
    let work = dispatch::dispatch(vault, &parts, &body, &mut log);
    let outcome = match time_left(&parts) {
        None => work.await,
        // Every AWS call and the backup-code loop stop here, in time to answer in the
        // envelope before Lambda kills the invocation (API Gateway would send a bare 5xx).
        Some(budget) => match tokio::time::timeout(budget, work).await {
            Ok(outcome) => outcome,
            Err(_) => Err(record_timeout(vault, &log).await),
        },
    };
    let (response, detail) = match outcome {
        Ok(response) => (response, None),
        Err(mut err) => {
            let detail = err.detail.take();
            (error_response(err), detail)
        }
    };
    log.write(&parts, response.status(), detail.as_deref());
    response
}

/// A request cut short still gets its activity entry, written within the margin kept for
/// the answer (the use case's own entry never ran). The answer is the contract's 503.
async fn record_timeout<S: VaultStore + 'static, K: KeyProvider + 'static>(
    vault: &Vault<S, K>,
    log: &AccessLog,
) -> ApiError {
    let detail = "the request ran out of time";
    if let Some((call, action, target)) = &log.recorded {
        let err = VaultError::Dependency(DependencyError::Unavailable {
            service: "the request",
            detail: detail.into(),
        });
        let entry = vault.reject(call, *action, target.as_ref(), err);
        let _ = tokio::time::timeout(ANSWER_MARGIN / 2, entry).await;
    }
    ApiError::unavailable(detail.into())
}

/// Kept back from the invocation's deadline to write the answer and the access log.
const ANSWER_MARGIN: Duration = Duration::from_millis(300);

/// The time this request may still work, from the Lambda context's deadline; `None` outside
/// Lambda (tests, tools, emulators), where nothing cuts the request short.
fn time_left(parts: &lambda_http::http::request::Parts) -> Option<Duration> {
    let deadline = parts.extensions.lambda_context_ref()?.deadline;
    if deadline == 0 {
        return None;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    // A deadline already past when the request starts is no Lambda's: local emulators send
    // the invocation's own time. Such a request runs on the SDK's own timeouts.
    let left = Duration::from_millis(deadline).checked_sub(now)?;
    Some(left.saturating_sub(ANSWER_MARGIN))
}

/// [`handle`] in a task of its own: a panic anywhere below answers `500 internal_error` in the
/// contract's envelope instead of failing the invocation (which API Gateway would turn into a
/// bare 502), and the execution environment stays warm.
pub async fn handle_isolated<S, K>(vault: &'static Vault<S, K>, request: Request) -> Response<Body>
where
    S: VaultStore + 'static,
    K: KeyProvider + 'static,
{
    match tokio::spawn(handle(vault, request)).await {
        Ok(response) => response,
        Err(_) => {
            // The panic hook logged where; this line says what the caller got.
            tracing::error!(target: "credvault::access", status = 500, "request: the handler panicked");
            error_response(ApiError::internal("the handler panicked".into()))
        }
    }
}

/// An answer in the contract's error shape, for edges that build their own.
pub(crate) fn envelope(status: StatusCode, code: &'static str, message: &str) -> Response<Body> {
    let view = ErrorView {
        error: code,
        message,
        status: status.as_u16(),
    };
    json_response(status, &view)
}

fn error_response(err: ApiError) -> Response<Body> {
    let envelope = ErrorView {
        error: err.code,
        message: &err.message,
        status: err.status.as_u16(),
    };
    let mut response = json_response(err.status, &envelope);
    if let Some(allowed) = err.allow {
        let allow = allowed
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        if let Ok(value) = HeaderValue::from_str(&allow) {
            response.headers_mut().insert(header::ALLOW, value);
        }
    }
    if err.status == StatusCode::UNAUTHORIZED {
        // RFC 9110: a 401 names the scheme it wants; MCP clients read it too.
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"credvault\""),
        );
    }
    if let Some(seconds) = err.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn json_response(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    // Serialising maps with string keys and plain structs cannot fail.
    let mut response = Response::new(Body::Text(serde_json::to_string(body).unwrap_or_default()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Answers may carry secrets: no cache along the way may keep them.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
