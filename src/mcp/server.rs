//! The MCP server's handler: lists the tools the caller's key may use and runs each through
//! the vault's one entry, as its REST twin runs, recorded with `channel: "mcp"`.

use super::arguments;
use super::tools::{TOOLS, ToolSpec};
use crate::crypto::KeyProvider;
use crate::domain::CredentialName;
use crate::store::VaultStore;
use crate::vault::{Answer, Intent, Session, VaultError};
use crate::wire::{self, Failure};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};

/// Built for each HTTP request (stateless: nothing survives between invocations), holding
/// the request's authenticated session.
pub struct VaultTools<S, K> {
    pub session: Session<S, K>,
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
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = TOOLS
            .iter()
            .filter(|spec| self.session.permits(spec.action))
            .map(ToolSpec::tool)
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // The name is not echoed: whatever was sent stays out of answers and rmcp's logs.
        // The vault records the message as an `mcp_session`.
        let spec = ToolSpec::find(&request.name)
            .ok_or_else(|| ErrorData::invalid_params("Unknown tool", None))?;
        let arguments = request.arguments.unwrap_or_default();
        let target = arguments
            .get("name")
            .and_then(Value::as_str)
            .and_then(|name| CredentialName::parse(name).ok());
        let intent = Intent::new(spec.action, target);
        let input = Box::new(move || arguments::parse(spec, arguments));
        // rmcp runs a call in a task of its own: when the HTTP request is dropped the token
        // is cancelled, and the call stops with it rather than write after the caller left.
        let outcome = tokio::select! {
            outcome = self.session.run(intent, input) => outcome,
            () = context.ct.cancelled() => {
                return Err(ErrorData::internal_error("the request ran out of time", None));
            }
        };
        Ok(match outcome {
            Ok(answer) => tool_result(&answer),
            Err(err) => tool_error(err),
        }
        .into())
    }
}

/// An answer as a tool result: the view as structured content, and its exact text (numbers
/// as the vault holds them) as the text block.
fn tool_result(answer: &Answer) -> CallToolResult {
    let text = match (answer, wire::answer_json(answer)) {
        (_, Some(text)) => text,
        (Answer::Deleted(name), None) => {
            json!({"name": name.as_str(), "deleted": true}).to_string()
        }
        (_, None) => "{}".to_owned(),
    };
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let mut result = CallToolResult::structured(value);
    result.content = vec![ContentBlock::text(text)];
    result
}

/// A vault error as a tool result: `isError`, the message as text, the envelope as
/// structured content. Only a malformed JSON-RPC message is a protocol error.
fn tool_error(err: VaultError) -> CallToolResult {
    let failure = Failure::from(err);
    let envelope = serde_json::to_value(failure.envelope()).unwrap_or(Value::Null);
    let mut result = CallToolResult::error(vec![ContentBlock::text(failure.message.clone())]);
    result.structured_content = Some(envelope);
    result
}
