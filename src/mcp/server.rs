//! The MCP server's handler: lists the tools the caller's key may use and runs each through
//! the same vault use cases as the REST edge, recorded with `channel: "mcp"`.

use super::arguments::{self, ToolRequest};
use super::tools::{TOOLS, ToolSpec};
use crate::crypto::KeyProvider;
use crate::domain::Action;
use crate::http::ApiError;
use crate::http::views::{
    BackupView, ErrorView, ListView, ReadView, StoredView, TotpView, WhoamiView,
};
use crate::store::VaultStore;
use crate::vault::{Call, Vault, VaultError};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde::Serialize;
use serde_json::{Value, json};

/// Built for each HTTP request (stateless: nothing survives between invocations).
pub struct VaultTools<S, K> {
    pub vault: Vault<S, K>,
}

/// The authenticated caller the edge put on the request before handing it to rmcp.
fn caller(context: &RequestContext<RoleServer>) -> Result<Call, ErrorData> {
    context
        .extensions
        .get::<lambda_http::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Call>())
        .cloned()
        .ok_or_else(|| ErrorData::internal_error("request without an authenticated caller", None))
}

/// Marks the message as recorded by a tool's use case (see `ToolRan`).
fn mark_tool_ran(context: &RequestContext<RoleServer>) {
    if let Some(ran) = context
        .extensions
        .get::<lambda_http::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<super::ToolRan>())
    {
        ran.set();
    }
}

fn allowed(call: &Call, spec: &ToolSpec) -> bool {
    spec.action
        .scope()
        .is_none_or(|scope| call.principal.scopes.contains(&scope))
}

fn view(value: impl Serialize) -> Result<Value, VaultError> {
    serde_json::to_value(value).map_err(|e| VaultError::Internal(e.to_string()))
}

impl<S: VaultStore + 'static, K: KeyProvider + 'static> ServerHandler for VaultTools<S, K> {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("credvault", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "A credential vault for this agent's identity. Read secrets with vault_get, TOTP \
                 codes with vault_totp; store with vault_store or the typed helpers. The tools \
                 listed are the ones your key's scopes allow. Never put secrets in metadata.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let call = caller(&context)?;
        let tools = TOOLS
            .iter()
            .filter(|spec| allowed(&call, spec))
            .map(ToolSpec::tool)
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let call = caller(&context)?;
        // The name is not echoed: whatever was sent stays out of answers and rmcp's logs.
        // The edge records the message as an `mcp_session`.
        let spec = ToolSpec::find(&request.name)
            .ok_or_else(|| ErrorData::invalid_params("Unknown tool", None))?;
        let arguments = request.arguments.unwrap_or_default();
        // From here the tool's use case records every outcome, refusals included.
        mark_tool_ran(&context);
        // rmcp runs a call in a task of its own: when the HTTP request is dropped (its
        // deadline passed) the token is cancelled, and the call must stop with it rather than
        // write after the caller was told 503.
        let outcome = tokio::select! {
            outcome = self.run(&call, spec, arguments) => outcome,
            () = context.ct.cancelled() => {
                return Err(ErrorData::internal_error("the request ran out of time", None));
            }
        };
        let result = match outcome {
            Ok(answer) => CallToolResult::structured(answer),
            Err(err) => tool_error(err),
        };
        Ok(result.into())
    }
}

/// A vault error as a tool result: `isError`, the message as text, the envelope as
/// structured content. Only a malformed JSON-RPC message is a protocol error.
fn tool_error(err: VaultError) -> CallToolResult {
    let err = ApiError::from(err);
    let envelope = json!(ErrorView {
        error: err.code,
        message: &err.message,
        status: err.status.as_u16(),
    });
    let mut result = CallToolResult::error(vec![ContentBlock::text(err.message.clone())]);
    result.structured_content = Some(envelope);
    result
}

impl<S: VaultStore + 'static, K: KeyProvider + 'static> VaultTools<S, K> {
    /// Runs a tool the way its REST twin runs: same use case, same rules, same answer.
    async fn run(
        &self,
        call: &Call,
        spec: &ToolSpec,
        arguments: rmcp::model::JsonObject,
    ) -> Result<Value, VaultError> {
        let vault = &self.vault;
        let target = arguments
            .get("name")
            .and_then(Value::as_str)
            .and_then(|name| crate::domain::CredentialName::parse(name).ok());
        vault.authorize(call, spec.action, target.as_ref()).await?;
        let request = match arguments::parse(spec, arguments) {
            Ok(request) => request,
            Err((name, refused)) => {
                return Err(vault
                    .reject(call, spec.action, name.as_ref(), refused)
                    .await);
            }
        };
        match (spec.action, request) {
            (Action::VaultList, ToolRequest::List(query)) => {
                view(ListView::of(&vault.list(call, &query).await?))
            }
            (Action::IdentityWhoami, _) => view(WhoamiView::of(&vault.whoami(call).await?)),
            (Action::VaultGet, ToolRequest::Named(name)) => {
                let revealed = vault.read(call, &name).await?;
                view(ReadView::of(
                    &revealed.info,
                    &revealed.data,
                    revealed.has_totp,
                ))
            }
            (Action::VaultTotp, ToolRequest::Named(name)) => {
                view(TotpView::of(&vault.totp(call, &name).await?))
            }
            (Action::VaultTotpUseBackup, ToolRequest::Named(name)) => {
                view(BackupView::of(&vault.use_backup_code(call, &name).await?))
            }
            (Action::VaultDelete, ToolRequest::Named(name)) => {
                vault.delete(call, &name).await?;
                Ok(json!({ "name": name.as_str(), "deleted": true }))
            }
            (Action::VaultStore, ToolRequest::Store(name, credential)) => {
                view(StoredView::of(&vault.store(call, name, credential).await?))
            }
            (action, _) => Err(VaultError::Internal(format!(
                "{} parsed into the wrong request",
                action.as_str()
            ))),
        }
    }
}
