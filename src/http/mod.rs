//! The Lambda-facing edge: routes a request, authenticates it, parses it, calls the vault and
//! shapes the answer. One access-log line per request; bodies are never logged.

mod error;
mod route;

pub use error::{ApiError, RETRY_AFTER_SECONDS};
pub use route::Route;

use crate::auth::KeyDirectory;
use crate::crypto::KeyProvider;
use crate::domain::{CredentialName, NewCredential};
use crate::store::{CredentialInfo, CredentialStore, PutOutcome};
use crate::vault::Vault;
use lambda_http::http::{HeaderValue, Method, StatusCode, header, request::Parts};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use std::time::Instant;
use zeroize::Zeroizing;

/// Bodies over this are refused before they are parsed.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// What the access log says of a request, filled in as it is learned.
struct AccessLog {
    route: &'static str,
    identity: Option<String>,
    credential: Option<String>,
}

pub async fn handle<S, K>(vault: &Vault<S, K>, request: Request) -> Response<Body>
where
    S: CredentialStore + KeyDirectory,
    K: KeyProvider,
{
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    // Owned and wiped on drop: the body may hold secrets.
    let body = Zeroizing::new(match body {
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
        other => other.as_ref().to_vec(),
    });
    let mut log = AccessLog {
        route: "-",
        identity: None,
        credential: None,
    };
    let (response, detail) = match dispatch(vault, &parts, &body, &mut log).await {
        Ok(response) => (response, None),
        Err(mut err) => {
            let detail = err.detail.take();
            (error_response(err), detail)
        }
    };
    log_request(&parts, &log, response.status(), started, detail.as_deref());
    response
}

/// [`handle`] in a task of its own: a panic anywhere below answers `500 internal_error` in the
/// contract's envelope instead of failing the invocation (which API Gateway would turn into a
/// bare 502), and the execution environment stays warm.
pub async fn handle_isolated<S, K>(vault: &'static Vault<S, K>, request: Request) -> Response<Body>
where
    S: CredentialStore + KeyDirectory + 'static,
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

async fn dispatch<S, K>(
    vault: &Vault<S, K>,
    parts: &Parts,
    body: &[u8],
    log: &mut AccessLog,
) -> Result<Response<Body>, ApiError>
where
    S: CredentialStore + KeyDirectory,
    K: KeyProvider,
{
    let path = match parts.extensions.raw_http_path() {
        "" => parts.uri.path(),
        raw => raw,
    };
    let route = Route::parse(path).ok_or_else(ApiError::not_found)?;
    log.route = route.template();
    let method = &parts.method;
    if !route.allowed_methods().contains(method) {
        return Err(ApiError::method_not_allowed(route.allowed_methods()));
    }

    // Authentication comes before anything about the request is looked at.
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let principal = vault
        .authenticate(authorization, Route::scope(method))
        .await?;
    log.identity = Some(principal.identity.to_string());

    let Some(segment) = route.name_segment() else {
        let credentials = vault.list(&principal).await?;
        let views: Vec<_> = credentials.iter().map(ListedView::of).collect();
        return Ok(json_response(
            StatusCode::OK,
            &serde_json::json!({ "count": views.len(), "credentials": views }),
        ));
    };
    let name = CredentialName::from_path_segment(segment)?;
    log.credential = Some(name.to_string());

    match (route, method) {
        (Route::Credential(_), &Method::PUT) => {
            if body.len() > MAX_BODY_BYTES {
                return Err(ApiError::payload_too_large(format!(
                    "Request body is over {MAX_BODY_BYTES} bytes"
                )));
            }
            let credential = NewCredential::from_json(body)?;
            let stored = vault.store(&principal, name, credential).await?;
            let status = match stored.outcome {
                PutOutcome::Created => StatusCode::CREATED,
                PutOutcome::Replaced => StatusCode::OK,
            };
            Ok(json_response(status, &StoredView::of(&stored.info)))
        }
        (Route::Credential(_), &Method::GET) => {
            let revealed = vault.read(&principal, &name).await?;
            let view = ReadView {
                listed: ListedView::of(&revealed.info),
                data: revealed.data.expose(),
                has_totp: revealed.has_totp,
            };
            Ok(json_response(StatusCode::OK, &view))
        }
        (Route::Credential(_), &Method::DELETE) => {
            vault.delete(&principal, &name).await?;
            let mut response = Response::new(Body::Empty);
            *response.status_mut() = StatusCode::NO_CONTENT;
            Ok(response)
        }
        (Route::Totp(_), _) => {
            let answer = vault.totp(&principal, &name).await?;
            let body = serde_json::json!({
                "code": answer.code,
                "remaining": answer.remaining,
                "backupCodesRemaining": answer.backup_codes_remaining,
            });
            Ok(json_response(StatusCode::OK, &body))
        }
        (Route::TotpBackup(_), _) => {
            let answer = vault.use_backup_code(&principal, &name).await?;
            let body = serde_json::json!({ "code": answer.code, "remaining": answer.remaining });
            Ok(json_response(StatusCode::OK, &body))
        }
        _ => Err(ApiError::method_not_allowed(route.allowed_methods())),
    }
}

/// A credential without its `data`, as the store call answers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StoredView<'a> {
    credential_id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    metadata: &'a Option<serde_json::Map<String, serde_json::Value>>,
    expires_at: Option<String>,
    created_at: String,
}

impl<'a> StoredView<'a> {
    fn of(info: &'a CredentialInfo) -> Self {
        Self {
            credential_id: &info.credential_id,
            kind: info.kind.as_str(),
            name: info.name.as_str(),
            metadata: &info.metadata,
            expires_at: info.expires_at.map(|t| t.to_string()),
            created_at: info.created_at.to_string(),
        }
    }
}

/// A credential as listed: the stored fields and when it was last used and rotated.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListedView<'a> {
    #[serde(flatten)]
    stored: StoredView<'a>,
    last_used_at: Option<String>,
    last_rotated_at: Option<String>,
}

impl<'a> ListedView<'a> {
    fn of(info: &'a CredentialInfo) -> Self {
        Self {
            stored: StoredView::of(info),
            last_used_at: info.last_used_at.map(|t| t.to_string()),
            last_rotated_at: info.last_rotated_at.map(|t| t.to_string()),
        }
    }
}

/// A credential as read: with its data (TOTP seeds masked) and `hasTOTP`.
#[derive(Serialize)]
struct ReadView<'a> {
    #[serde(flatten)]
    listed: ListedView<'a>,
    data: &'a serde_json::Map<String, serde_json::Value>,
    #[serde(rename = "hasTOTP")]
    has_totp: bool,
}

fn error_response(err: ApiError) -> Response<Body> {
    let envelope = serde_json::json!({
        "error": err.code,
        "message": err.message,
        "status": err.status.as_u16(),
    });
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

fn log_request(
    parts: &Parts,
    log: &AccessLog,
    status: StatusCode,
    started: Instant,
    detail: Option<&str>,
) {
    let request_id = parts
        .extensions
        .lambda_context_ref()
        .map(|c| c.request_id.as_str());
    let latency_ms = started.elapsed().as_micros() as f64 / 1000.0;
    macro_rules! access {
        ($level:ident) => {
            tracing::$level!(
                target: "credvault::access",
                request_id = request_id.unwrap_or("-"),
                identity = log.identity.as_deref().unwrap_or("-"),
                method = parts.method.as_str(),
                route = log.route,
                credential = log.credential.as_deref().unwrap_or("-"),
                status = status.as_u16(),
                latency_ms,
                error = detail,
                "request"
            )
        };
    }
    // Throttling is expected weather; anything else at 5xx is a fault to look at.
    match status.as_u16() {
        503 => access!(warn),
        500.. => access!(error),
        _ => access!(info),
    }
}
