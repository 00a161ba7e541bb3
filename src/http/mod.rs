//! The Lambda-facing front door: decodes the body, routes to the REST or the MCP edge, gives
//! each request its deadline, isolates panics, and writes one access-log line per request.
//! Bodies are never logged.

mod access_log;

use crate::crypto::KeyProvider;
use crate::rest::{self, Route};
use crate::store::VaultStore;
use crate::vault::LinkBase;
use crate::vault::Vault;
use crate::wire::{self, Failure, Served};
use crate::{domain::CredentialName, html, mcp};
use access_log::AccessLog;
use lambda_http::http::Method;
use lambda_http::http::request::Parts;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use std::time::Duration;
use zeroize::Zeroizing;

/// The vault and what its edges are configured with: everything a request is served from.
pub struct Service<S, K> {
    pub vault: Vault<S, K>,
    /// Browser origins allowed to call `POST /mcp` (`MCP_ALLOWED_ORIGINS`).
    pub mcp_allowed_origins: Vec<String>,
    /// Where request links start (`PUBLIC_BASE_URL`); `None`: the API's own domain.
    pub public_base_url: Option<String>,
}

impl<S, K> Service<S, K> {
    /// The vault behind edges with their defaults (no browser origin may call `/mcp`).
    pub fn new(vault: Vault<S, K>) -> Self {
        Self {
            vault,
            mcp_allowed_origins: Vec::new(),
            public_base_url: None,
        }
    }
}

const MCP_PATH: &str = "/mcp";
/// What the access log names a link's page: never its token.
const LINK_TEMPLATE: &str = "/v0/links/{token}";

/// The route a path reaches, as a template (what the access log names); `None`: unknown.
pub fn template_of(path: &str) -> Option<&'static str> {
    match path {
        MCP_PATH => Some(MCP_PATH),
        _ if html::is_link(path) => Some(LINK_TEMPLATE),
        _ => Route::parse(path).map(|route| route.template()),
    }
}

/// Where a link to a request's page starts: `PUBLIC_BASE_URL`, else the domain API Gateway
/// says the request came to (a `$default` stage has no path), else the `Host` header.
fn link_base<S, K>(service: &Service<S, K>, parts: &Parts) -> LinkBase {
    if let Some(base) = &service.public_base_url {
        return LinkBase::new(base);
    }
    let domain = match parts.extensions.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.domain_name.clone(),
        Some(RequestContext::ApiGatewayV1(context)) => context.domain_name.clone(),
        _ => None,
    };
    let host = domain.or_else(|| {
        parts
            .headers
            .get(lambda_http::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
    });
    LinkBase::new(&format!("https://{}", host.unwrap_or_default()))
}

pub async fn handle<S: VaultStore + 'static, K: KeyProvider + 'static>(
    service: &Service<S, K>,
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
    // Every AWS call and the backup-code loop stop here, in time to answer in the envelope
    // before Lambda ends the invocation (API Gateway would send a bare 5xx).
    let deadline = time_left(&parts).map(|left| tokio::time::Instant::now() + left);
    let (response, detail) = match route(service, &parts, &body, deadline, &mut log).await {
        Ok(response) => (response, None),
        Err(mut failure) => {
            let detail = failure.detail.take();
            (wire::error_response(&failure), detail)
        }
    };
    log.write(&parts, response.status(), detail.as_deref());
    response
}

async fn route<S: VaultStore + 'static, K: KeyProvider + 'static>(
    service: &Service<S, K>,
    parts: &Parts,
    body: &[u8],
    deadline: Option<tokio::time::Instant>,
    log: &mut AccessLog,
) -> Result<Response<Body>, Failure> {
    let path = match parts.extensions.raw_http_path() {
        "" => parts.uri.path(),
        raw => raw,
    };
    let served = if html::is_link(path) {
        log.route = LINK_TEMPLATE;
        html::serve(&service.vault, path, parts, body, deadline).await
    } else if path == MCP_PATH {
        log.route = MCP_PATH;
        if parts.method != Method::POST {
            return Err(Failure::method_not_allowed(&[Method::POST]));
        }
        let origins = &service.mcp_allowed_origins;
        let links = link_base(service, parts);
        mcp::serve(&service.vault, origins, &links, parts, body, deadline).await
    } else {
        let route = Route::parse(path).ok_or_else(Failure::not_found)?;
        log.route = route.template();
        if !route.allowed_methods().contains(&parts.method) {
            return Err(Failure::method_not_allowed(route.allowed_methods()));
        }
        let links = link_base(service, parts);
        let served = rest::serve(&service.vault, route, &links, parts, body, deadline).await;
        // Named only for a caller whose key was known, as before anything was read.
        if served.subject.is_some() {
            log.credential = route
                .name_segment()
                .and_then(|segment| CredentialName::from_path_segment(segment).ok())
                .map(|name| name.to_string());
        }
        served
    };
    let Served { subject, outcome } = served;
    log.subject = subject;
    outcome
}

/// Kept back from the invocation's deadline to record the outcome (see
/// `crate::vault::RECORD_MARGIN`), then write the answer and the access log.
const ANSWER_MARGIN: Duration = Duration::from_millis(300);

/// The time this request may still work, from the Lambda context's deadline; `None` outside
/// Lambda (tests, tools, emulators), where nothing cuts the request short.
fn time_left(parts: &Parts) -> Option<Duration> {
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
pub async fn handle_isolated<S, K>(
    service: &'static Service<S, K>,
    request: Request,
) -> Response<Body>
where
    S: VaultStore + 'static,
    K: KeyProvider + 'static,
{
    match tokio::spawn(handle(service, request)).await {
        Ok(response) => response,
        Err(_) => {
            // The panic hook logged where; this line says what the caller got.
            tracing::error!(target: "credvault::access", status = 500, "request: the handler panicked");
            wire::error_response(&Failure::internal("the handler panicked".into()))
        }
    }
}
