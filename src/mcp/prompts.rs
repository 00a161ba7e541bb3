//! The hosted product's vault prompts, as its stdio MCP server offers them to identity keys:
//! the same names, arguments and texts, so a client's saved prompts work here too.

use rmcp::ErrorData;
use rmcp::model::{GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};
use serde_json::Value;

struct PromptSpec {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    /// (name, description); all required.
    arguments: &'static [(&'static str, &'static str)],
}

const PROMPTS: [PromptSpec; 4] = [
    PromptSpec {
        name: "whoami",
        title: "Identity · Who Am I",
        description: "Get your agent identity — name, email, and permissions",
        arguments: &[],
    },
    PromptSpec {
        name: "list-credentials",
        title: "Vault · List Credentials",
        description: "List all credentials stored in the vault",
        arguments: &[],
    },
    PromptSpec {
        name: "store-credential",
        title: "Vault · Store Credential",
        description: "Store a new credential in the vault",
        arguments: &[
            ("name", "Credential name (e.g. 'stripe-api')"),
            ("type", "Credential type (e.g. API_KEY, LOGIN, TOTP)"),
        ],
    },
    PromptSpec {
        name: "get-totp",
        title: "Vault · Get TOTP Code",
        description: "Generate a 2FA code from a stored credential",
        arguments: &[("name", "Credential name with TOTP")],
    },
];

pub fn list() -> Vec<Prompt> {
    PROMPTS
        .iter()
        .map(|spec| {
            let arguments: Vec<PromptArgument> = spec
                .arguments
                .iter()
                .map(|(name, description)| {
                    PromptArgument::new(*name)
                        .with_description(*description)
                        .with_required(true)
                })
                .collect();
            Prompt::new(
                spec.name,
                Some(spec.description),
                (!arguments.is_empty()).then_some(arguments),
            )
            .with_title(spec.title)
        })
        .collect()
}

/// The prompt's one user message; an unknown prompt or a missing argument is invalid params
/// (its value never echoed).
pub fn get(name: &str, arguments: Option<&JsonObject>) -> Result<GetPromptResult, ErrorData> {
    let spec = PROMPTS
        .iter()
        .find(|spec| spec.name == name)
        .ok_or_else(|| ErrorData::invalid_params("Unknown prompt", None))?;
    let argument = |key: &str| -> Result<String, ErrorData> {
        match arguments.and_then(|args| args.get(key)) {
            Some(Value::String(value)) => Ok(value.clone()),
            _ => Err(ErrorData::invalid_params(
                format!("Argument `{key}` is required for prompt {}", spec.name),
                None,
            )),
        }
    };
    let text = match spec.name {
        "whoami" => "Tell me who I am. Get my identity info including my name, email address, and what scopes/permissions I have.".to_owned(),
        "list-credentials" => "List all credentials in my vault. Show the name, type, and when each was last used. Do not show any secret values.".to_owned(),
        "store-credential" => format!(
            "Store a new {} credential named \"{}\" in the vault. Ask me for the secret values to store.",
            argument("type")?,
            argument("name")?
        ),
        "get-totp" => format!(
            "Generate the current TOTP 2FA code for the credential \"{}\" and tell me the code and how many seconds until it expires.",
            argument("name")?
        ),
        _ => return Err(ErrorData::invalid_params("Unknown prompt", None)),
    };
    Ok(GetPromptResult::new(vec![PromptMessage::new_text(
        Role::User,
        text,
    )]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_texts_are_the_hosted_servers() {
        let args = json!({"name": "stripe", "type": "API_KEY"});
        let result = get("store-credential", args.as_object()).unwrap();
        let text = serde_json::to_value(&result.messages[0]).unwrap();
        assert_eq!(
            text["content"]["text"],
            "Store a new API_KEY credential named \"stripe\" in the vault. Ask me for the secret values to store."
        );
        assert!(get("get-totp", None).is_err(), "a missing argument");
        assert!(
            get("check-inbox", None).is_err(),
            "a mail prompt credvault does not serve"
        );
        assert_eq!(list().len(), 4);
    }
}
