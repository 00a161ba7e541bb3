//! From a routed request to a response: authenticate, parse, call the vault, shape the answer.

use super::access_log::AccessLog;
use super::views::{
    BackupView, ListView, LogPageView, ReadView, StatsView, StoredView, TotpView, WhoamiView,
};
use super::{ApiError, MAX_BODY_BYTES, Route, json_response, query};
use crate::crypto::KeyProvider;
use crate::domain::{Action, BodyError, Caller, Channel, CredentialName, NewCredential};
use crate::mcp;
use crate::store::VaultStore;
use crate::vault::{Call, Vault, VaultError};
use lambda_http::http::{StatusCode, header, request::Parts};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt, Response};

type Answer = Result<Response<Body>, ApiError>;

/// User agents are kept to this many characters in the log.
const MAX_USER_AGENT: usize = 256;

pub async fn dispatch<S: VaultStore + 'static, K: KeyProvider + 'static>(
    vault: &Vault<S, K>,
    parts: &Parts,
    body: &[u8],
    log: &mut AccessLog,
) -> Answer {
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

    let Some(action) = route.action(method) else {
        return mcp_edge(vault, parts, body, log).await;
    };

    // Authentication comes before anything about the request is looked at.
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let call = vault
        .authenticate(authorization, caller(parts, Channel::Rest))
        .await?;
    log.identity = Some(call.principal.identity.to_string());

    let name = route.name_segment().map(CredentialName::from_path_segment);
    let target = name.as_ref().and_then(|name| name.as_ref().ok());
    vault.authorize(&call, action, target).await?;
    let name = match name {
        None => None,
        Some(Ok(name)) => Some(name),
        Some(Err(invalid)) => {
            let refused = VaultError::BadInput(invalid.to_string());
            return Err(vault.reject(&call, action, None, refused).await.into());
        }
    };
    log.credential = name.as_ref().map(ToString::to_string);
    log.recorded = Some((call.clone(), action, name.clone()));
    perform(vault, &call, parts, body, action, name).await
}

/// Runs the use case `action` names and shapes its answer.
async fn perform<S: VaultStore, K: KeyProvider>(
    vault: &Vault<S, K>,
    call: &Call,
    parts: &Parts,
    body: &[u8],
    action: Action,
    name: Option<CredentialName>,
) -> Answer {
    match (action, name) {
        (Action::VaultStore, Some(name)) => store(vault, call, name, body).await,
        (Action::VaultGet, Some(name)) => {
            let revealed = vault.read(call, &name).await?;
            let view = ReadView::of(&revealed.info, &revealed.data, revealed.has_totp);
            Ok(json_response(StatusCode::OK, &view))
        }
        (Action::VaultDelete, Some(name)) => {
            vault.delete(call, &name).await?;
            let mut response = Response::new(Body::Empty);
            *response.status_mut() = StatusCode::NO_CONTENT;
            Ok(response)
        }
        (Action::VaultTotp, Some(name)) => {
            let answer = vault.totp(call, &name).await?;
            Ok(json_response(StatusCode::OK, &TotpView::of(&answer)))
        }
        (Action::VaultTotpUseBackup, Some(name)) => {
            let answer = vault.use_backup_code(call, &name).await?;
            Ok(json_response(StatusCode::OK, &BackupView::of(&answer)))
        }
        (Action::VaultList, _) => {
            let query = match query::list_query(parts) {
                Ok(query) => query,
                Err(message) => {
                    let refused = VaultError::BadInput(message);
                    return Err(vault.reject(call, action, None, refused).await.into());
                }
            };
            let page = vault.list(call, &query).await?;
            Ok(json_response(StatusCode::OK, &ListView::of(&page)))
        }
        (Action::IdentityWhoami, _) => {
            let who = vault.whoami(call).await?;
            Ok(json_response(StatusCode::OK, &WhoamiView::of(&who)))
        }
        (Action::LogsList, _) => {
            let query = match query::log_query(parts) {
                Ok(query) => query,
                Err(message) => {
                    let refused = VaultError::BadInput(message);
                    return Err(vault.reject(call, action, None, refused).await.into());
                }
            };
            let page = vault.activity(call, &query).await?;
            Ok(json_response(StatusCode::OK, &LogPageView::of(&page)))
        }
        (Action::LogsStats, _) => {
            let stats = vault.activity_stats(call).await?;
            Ok(json_response(StatusCode::OK, &StatsView::of(&stats)))
        }
        (Action::McpSession, _) | (_, None) => Err(ApiError::internal(format!(
            "{} routed as REST without a name",
            action.as_str()
        ))),
    }
}

async fn store<S: VaultStore, K: KeyProvider>(
    vault: &Vault<S, K>,
    call: &Call,
    name: CredentialName,
    body: &[u8],
) -> Answer {
    let parsed = if body.len() > MAX_BODY_BYTES {
        Err(VaultError::TooLarge(format!(
            "Request body is over {MAX_BODY_BYTES} bytes"
        )))
    } else {
        NewCredential::from_json(body).map_err(|err| match err {
            BodyError::Invalid(message) => VaultError::BadInput(message),
            BodyError::TooLarge(message) => VaultError::TooLarge(message),
        })
    };
    let credential = match parsed {
        Ok(credential) => credential,
        Err(refused) => {
            let err = vault
                .reject(call, Action::VaultStore, Some(&name), refused)
                .await;
            return Err(err.into());
        }
    };
    let info = vault.store(call, name, credential).await?;
    Ok(json_response(StatusCode::OK, &StoredView::of(&info)))
}

/// `POST /mcp`: the Origin rule, then the key (in `Authorization: Bearer`, or bare in the
/// `LOOMAL_API_KEY` / `MAILGENT_API_KEY` header the hosted product's MCP setup writes), then
/// rmcp, which runs each tool call through the vault like a REST request.
async fn mcp_edge<S: VaultStore + 'static, K: KeyProvider + 'static>(
    vault: &Vault<S, K>,
    parts: &Parts,
    body: &[u8],
    log: &mut AccessLog,
) -> Answer {
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let allowed = origin.to_str().is_ok_and(mcp::origin_allowed);
        if !allowed {
            return Err(ApiError::forbidden(
                "Origin not allowed for /mcp (set MCP_ALLOWED_ORIGINS)",
            ));
        }
    }
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bare = ["loomal_api_key", "mailgent_api_key"]
        .iter()
        .find_map(|name| parts.headers.get(*name).and_then(|v| v.to_str().ok()))
        .map(|key| format!("Bearer {}", key.trim()));
    let authorization = zeroize::Zeroizing::new(bearer.or(bare));
    let call = vault
        .authenticate(authorization.as_deref(), caller(parts, Channel::Mcp))
        .await?;
    log.identity = Some(call.principal.identity.to_string());
    mcp_message(vault, call, parts, body, log).await
}

/// Counts and records an authenticated MCP message once: a tool call that reached its tool
/// through the tool's use case, anything else here, after rmcp answered it. A body too large
/// to parse safely never reaches rmcp.
async fn mcp_message<S: VaultStore + 'static, K: KeyProvider + 'static>(
    vault: &Vault<S, K>,
    call: Call,
    parts: &Parts,
    body: &[u8],
    log: &mut AccessLog,
) -> Answer {
    let message = match mcp::inspect(body) {
        Ok(message) => message,
        Err(oversized) => {
            let refused = VaultError::TooLarge(oversized.message());
            let action = Action::McpSession;
            return Err(vault.reject(&call, action, None, refused).await.into());
        }
    };
    // What the body looks like only names the record of a request cut short by its
    // deadline; whether a tool's use case ran (and recorded it) is what rmcp did.
    let (action, target) = match message {
        mcp::Message::ToolCall { action, target } => (action, target),
        mcp::Message::Protocol => (Action::McpSession, None),
    };
    // A client this instance already refused this minute gets no more of rmcp's work.
    vault
        .refuse_if_over_limit(&call, action, target.as_ref())
        .await?;
    log.recorded = Some((call.clone(), action, target));
    let tool_ran = mcp::ToolRan::default();
    let mut parts = parts.clone();
    parts.extensions.insert(tool_ran.clone());
    let response = mcp::serve(vault, call.clone(), parts, body).await;
    if !tool_ran.get() {
        let status = response.status().as_u16();
        let rpc_error = mcp::rpc_error_code(&response);
        vault.protocol_message(&call, status, rpc_error).await?;
    }
    Ok(response)
}

/// Who sent the request, as API Gateway's request context (or the headers) say.
fn caller(parts: &Parts, channel: Channel) -> Caller {
    let (request_id, source_ip) = match parts.extensions.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            (context.request_id.clone(), context.http.source_ip.clone())
        }
        Some(RequestContext::ApiGatewayV1(context)) => (
            context.request_id.clone(),
            context.identity.source_ip.clone(),
        ),
        _ => (None, None),
    };
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(MAX_USER_AGENT)
        .collect();
    Caller {
        channel,
        request_id: request_id.unwrap_or_default(),
        source_ip: source_ip.unwrap_or_default(),
        user_agent,
    }
}
