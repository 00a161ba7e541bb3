//! The MCP edge: the vault as MCP tools over the Streamable HTTP transport at `POST /mcp`,
//! served by the official Rust SDK (`rmcp`) in stateless mode with JSON answers, so one
//! buffered Lambda response carries each JSON-RPC answer and any instance serves any request.
//! Each message is one vault session: the key is checked before rmcp sees anything, and every
//! tool call runs through the session as its REST twin runs.

mod arguments;
mod message;
mod platform_arguments;
mod platform_tools;
mod prompts;
mod server;
mod tools;

pub use message::{MAX_MESSAGE_BYTES, MAX_MESSAGE_VALUES, Message, Oversized, inspect};
pub use platform_tools::PLATFORM_TOOLS;
pub use tools::TOOLS;

use crate::crypto::KeyProvider;
use crate::domain::json_text::CheckError;
use crate::domain::{Action, Channel};
use crate::store::VaultStore;
use crate::vault::{Intent, LinkBase, Peeked, Session, SessionEnd, Vault, VaultError};
use crate::wire::{self, Failure, Served};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use lambda_http::http::request::Parts;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use server::VaultTools;
use std::sync::Arc;
use zeroize::Zeroizing;

/// `POST /mcp`: the Origin rule, then the key (in `Authorization: Bearer`, or bare in the
/// `LOOMAL_API_KEY` / `MAILGENT_API_KEY` header the hosted product's MCP setup writes), then
/// rmcp inside a vault session. A body too large to parse safely never reaches rmcp.
pub async fn serve<S, K>(
    vault: &Vault<S, K>,
    allowed_origins: &[String],
    links: &LinkBase,
    parts: &Parts,
    body: &[u8],
    deadline: Option<tokio::time::Instant>,
) -> Served
where
    S: VaultStore + 'static,
    K: KeyProvider + 'static,
{
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let allowed = origin
            .to_str()
            .is_ok_and(|origin| origin_allowed(allowed_origins, origin));
        if !allowed {
            let refused = Failure::new(
                crate::vault::ErrorKind::Forbidden,
                "Origin not allowed for /mcp (set MCP_ALLOWED_ORIGINS)",
            );
            return Served {
                subject: None,
                outcome: Err(refused),
            };
        }
    }
    let bare = ["loomal_api_key", "mailgent_api_key"]
        .iter()
        .find_map(|name| parts.headers.get(*name).and_then(|v| v.to_str().ok()))
        .map(|key| format!("Bearer {}", key.trim()));
    let authorization = Zeroizing::new(wire::authorization(parts).map(str::to_owned).or(bare));
    let caller = wire::caller(parts, Channel::Mcp);
    let handled = vault
        .session(
            authorization.as_deref(),
            caller,
            deadline,
            || peek(body),
            |session| answer(session, links, parts, body),
        )
        .await;
    Served {
        subject: handled.subject.map(|id| id.to_string()),
        outcome: handled.result.map_err(Failure::from),
    }
}

/// What the body looks like, once the key is known: it only names the record of a refusal
/// or of a message cut short by its deadline; whether a tool's use case ran is what rmcp did.
/// A message too large to parse safely, or one that names a member twice anywhere (readers
/// disagree on which counts: REST refuses the same), never reaches rmcp.
fn peek(body: &[u8]) -> Peeked {
    let session = Intent::new(Action::McpSession, None);
    let intent = match inspect(body) {
        Ok(Message::ToolCall { action, target }) => Intent::new(action, target),
        Ok(Message::Protocol) => session,
        Err(oversized) => return Err((session, VaultError::TooLarge(oversized.message()))),
    };
    let text = std::str::from_utf8(body).ok();
    match text.map(crate::domain::json_text::check) {
        Some(Err(CheckError::Syntax(_))) | None | Some(Ok(())) => Ok(intent),
        Some(Err(refused)) => Err((
            intent,
            VaultError::BadInput(format!("MCP message is refused: {refused}")),
        )),
    }
}

/// rmcp's answer to one message, with what the session records of it.
async fn answer<S, K>(
    session: Session<S, K>,
    links: &LinkBase,
    parts: &Parts,
    body: &[u8],
) -> SessionEnd<Response<Body>>
where
    S: VaultStore + 'static,
    K: KeyProvider + 'static,
{
    let response = rmcp_answer(session, links.clone(), parts.clone(), body).await;
    SessionEnd {
        status: response.status().as_u16(),
        rpc_error: message::rpc_error_code(&response),
        answer: response,
    }
}

async fn rmcp_answer<S, K>(
    session: Session<S, K>,
    links: LinkBase,
    parts: Parts,
    body: &[u8],
) -> Response<Body>
where
    S: VaultStore + 'static,
    K: KeyProvider + 'static,
{
    let sent_json = parts
        .headers
        .get(header::CONTENT_TYPE)
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
    let service = StreamableHttpService::new(
        move || {
            Ok(VaultTools {
                session: session.clone(),
                links: links.clone(),
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
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
    wire::json_response(StatusCode::BAD_REQUEST, error.to_string())
}

fn is_json(parts: &lambda_http::http::response::Parts) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// rmcp's transport-level refusals (plain text) in the contract's envelope, with messages of
/// our own: they describe the request's shape, never its content.
fn transport_refusal(status: StatusCode) -> Response<Body> {
    use crate::vault::ErrorKind;
    let (kind, message) = match status.as_u16() {
        406 => (
            ErrorKind::NotAcceptable,
            "MCP clients must accept application/json and text/event-stream",
        ),
        413 => (ErrorKind::PayloadTooLarge, "Request body is too large"),
        415 => (
            ErrorKind::UnsupportedMediaType,
            "POST /mcp takes one JSON-RPC message as application/json",
        ),
        405 => (ErrorKind::MethodNotAllowed, "Method not allowed"),
        500.. => (ErrorKind::Internal, "Internal server error"),
        _ => (ErrorKind::BadRequest, "Malformed MCP request"),
    };
    wire::error_response(&Failure::new(kind, message))
}

/// Whether a browser `Origin` may reach `/mcp`: only those listed (`MCP_ALLOWED_ORIGINS`,
/// exact match). MCP clients outside a browser send none; a page in a browser does, and by
/// default none is allowed (the transport's DNS-rebinding rule).
fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    let origin = origin.trim_end_matches('/');
    allowed.iter().any(|allowed| allowed == origin)
}
