//! The MCP edge: the vault as MCP tools over the Streamable HTTP transport at `POST /mcp`,
//! served by the official Rust SDK (`rmcp`) in stateless mode with JSON answers, so one
//! buffered Lambda response carries each JSON-RPC answer and any instance serves any request.
//! The HTTP edge authenticates first; rmcp only ever sees authenticated requests.

mod arguments;
mod message;
mod server;
mod tools;

pub use message::{
    MAX_MESSAGE_BYTES, MAX_MESSAGE_VALUES, Message, Oversized, ToolRan, inspect, rpc_error_code,
};
pub use tools::TOOLS;

use crate::crypto::KeyProvider;
use crate::store::VaultStore;
use crate::vault::{Call, Vault};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use lambda_http::http::request::Parts;
use lambda_http::{Body, Response};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use server::VaultTools;
use std::sync::Arc;

/// Hands an authenticated request to rmcp and buffers its answer.
pub async fn serve<S, K>(
    vault: &Vault<S, K>,
    call: Call,
    mut parts: Parts,
    body: &[u8],
) -> Response<Body>
where
    S: VaultStore + 'static,
    K: KeyProvider + 'static,
{
    parts.extensions.insert(call);
    let sent_json = parts
        .headers
        .get(lambda_http::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        // The edge checks Origin itself, answering in the contract's envelope; the Host of a
        // request that reached the function is API Gateway's (or make dev's) own.
        .disable_allowed_hosts()
        .with_max_request_body_bytes(MAX_MESSAGE_BYTES);
    let vault = vault.clone();
    let service = StreamableHttpService::new(
        move || {
            Ok(VaultTools {
                vault: vault.clone(),
            })
        },
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let request =
        lambda_http::http::Request::from_parts(parts, Full::new(Bytes::copy_from_slice(body)));
    let (parts, answer) = service.handle(request).await.into_parts();
    if !parts.status.is_success() && !is_json(&parts) {
        // rmcp says 415 for a JSON body that is no JSON-RPC message; JSON-RPC says that is
        // a parse error (-32700) or an invalid request (-32600), answered as JSON-RPC.
        if parts.status.as_u16() == 415 && sent_json {
            return parse_error();
        }
        return transport_refusal(parts.status);
    }
    buffered(parts, answer).await
}

/// rmcp's streamed answer as one Lambda response body.
async fn buffered(
    mut parts: lambda_http::http::response::Parts,
    answer: http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>,
) -> Response<Body> {
    let bytes = match answer.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    // Tool results carry secrets: no cache along the way may keep them.
    parts.headers.insert(
        lambda_http::http::header::CACHE_CONTROL,
        lambda_http::http::HeaderValue::from_static("no-store"),
    );
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    };
    Response::from_parts(parts, body)
}

fn parse_error() -> Response<Body> {
    let error = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": -32700, "message": "Parse error: the body is not a JSON-RPC 2.0 message"},
    });
    let mut response = Response::new(Body::Text(error.to_string()));
    *response.status_mut() = lambda_http::http::StatusCode::BAD_REQUEST;
    response.headers_mut().insert(
        lambda_http::http::header::CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static("application/json"),
    );
    response
}

fn is_json(parts: &lambda_http::http::response::Parts) -> bool {
    parts
        .headers
        .get(lambda_http::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// rmcp's transport-level refusals (plain text) in the contract's envelope, with messages of
/// our own: they describe the request's shape, never its content.
fn transport_refusal(status: lambda_http::http::StatusCode) -> Response<Body> {
    let (code, message) = match status.as_u16() {
        406 => (
            "not_acceptable",
            "MCP clients must accept application/json and text/event-stream",
        ),
        413 => ("payload_too_large", "Request body is too large"),
        415 => (
            "unsupported_media_type",
            "POST /mcp takes one JSON-RPC message as application/json",
        ),
        405 => ("method_not_allowed", "Method not allowed"),
        500.. => ("internal_error", "Internal server error"),
        _ => ("bad_request", "Malformed MCP request"),
    };
    crate::http::envelope(status, code, message)
}

/// Whether a browser `Origin` may reach `/mcp`: only those listed in `MCP_ALLOWED_ORIGINS`
/// (comma-separated, exact match), read once. MCP clients outside a browser send none; a
/// page in a browser does, and by default none is allowed (the transport's DNS-rebinding rule).
pub fn origin_allowed(origin: &str) -> bool {
    static ALLOWED: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    ALLOWED
        .get_or_init(|| {
            std::env::var("MCP_ALLOWED_ORIGINS")
                .unwrap_or_default()
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect()
        })
        .iter()
        .any(|allowed| allowed == origin.trim_end_matches('/'))
}
