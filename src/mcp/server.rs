//! The MCP server's handler: lists the tools the caller's key may use and runs each through
//! the vault's one entry, as its REST twin runs, recorded with `channel: "mcp"`.

use super::tools::ToolSpec;
use super::{arguments, prompts};
use crate::crypto::KeyProvider;
use crate::domain::{Category, CredentialName, IdentityId, KeyKind, Target};
use crate::store::VaultStore;
use crate::vault::{Answer, Intent, LinkBase, Session, VaultError};
use crate::wire::{self, Failure};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, GetPromptRequestParams,
    GetPromptResponse, Implementation, ListPromptsResult, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};

/// Built for each HTTP request (stateless: nothing survives between invocations), holding
/// the request's authenticated session.
pub struct VaultTools<S, K> {
    pub session: Session<S, K>,
    /// Where request links start (`vault_request`).
    pub links: LinkBase,
}

impl<S: VaultStore + 'static, K: KeyProvider + 'static> ServerHandler for VaultTools<S, K> {
    fn get_info(&self) -> ServerConfig {
        // Platform keys get the identity tools only, as the hosted product's platform mode
        // serves them (no prompts); identity keys, the vault's tools and prompts.
        if self.session.principal().kind() == KeyKind::Platform {
            return ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
                .with_server_info(Implementation::new(
                    "credvault-platform",
                    env!("CARGO_PKG_VERSION"),
                ))
                .with_instructions(
                    "Manage your organisation's agent identities: create one per sub-agent \
                     (its key is shown once), change its scopes, rotate its key, delete it.",
                );
        }
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_prompts()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("credvault", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "A credential vault for this agent's identity. Read secrets with vault_get, TOTP \
                 codes with vault_totp; store with vault_store or the typed helpers. The tools \
                 listed are the ones your key's scopes allow. Never put secrets in metadata.",
            )
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        match self.session.principal().kind() {
            KeyKind::Identity => Ok(ListPromptsResult::with_all_items(prompts::list())),
            KeyKind::Platform => Err(ErrorData::method_not_found::<
                rmcp::model::ListPromptsRequestMethod,
            >()),
        }
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        if self.session.principal().kind() == KeyKind::Platform {
            return Err(ErrorData::method_not_found::<
                rmcp::model::GetPromptRequestMethod,
            >());
        }
        Ok(prompts::get(&request.name, request.arguments.as_ref())?.into())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        // A key limited by grants is told, in each vault tool's description, to what.
        let limited = self.session.principal().limits.summary();
        let tools = ToolSpec::all()
            .filter(|spec| self.session.permits(spec.action))
            .map(|spec| {
                let mut tool = spec.tool();
                if let Some(limited) = limited
                    .as_ref()
                    .filter(|_| spec.action.category() == Category::Vault)
                {
                    let described = format!(
                        "{} This key is limited to: {limited}.",
                        tool.description.as_deref().unwrap_or_default()
                    );
                    tool.description = Some(described.into());
                }
                tool
            })
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
        let credential = arguments
            .get("name")
            .and_then(Value::as_str)
            .and_then(|name| CredentialName::parse(name).ok());
        let identity = arguments
            .get("identityId")
            .and_then(Value::as_str)
            .and_then(IdentityId::parse);
        let target = credential
            .map(Target::Credential)
            .or(identity.map(Target::Identity));
        let intent = Intent::new(spec.action, target);
        let links = &self.links;
        let input = Box::new(move || arguments::parse(spec, arguments, links));
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
        (Answer::IdentityDeleted(identity), None) => {
            json!({"identityId": identity.as_str(), "deleted": true}).to_string()
        }
        (_, None) => "{}".to_owned(),
    };
    // The structured copy only when the text parses (data nested past the parser's depth
    // would not): a null would break clients that check the result's schema.
    let mut result = match serde_json::from_str::<Value>(&text) {
        Ok(value) => CallToolResult::structured(value),
        Err(_) => CallToolResult::success(Vec::new()),
    };
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
