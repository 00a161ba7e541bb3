//! The platform key's MCP tools, named, described and shaped as the hosted product's stdio
//! MCP server shows them in its platform mode: a platform key lists these, and only these.

use super::tools::{ToolInput, ToolSpec};
use crate::domain::Action;
use serde_json::{Value, json};

const SCOPES: &str = "Scopes credvault serves: vault:read, vault:write (a platform key gives only those it holds). The hosted product's other scopes (mail:read...) are refused by name.";

pub const PLATFORM_TOOLS: [ToolSpec; 7] = [
    ToolSpec {
        name: "identities_list",
        action: Action::IdentitiesList,
        input: ToolInput::IdentityPage,
        title: "Identities · List",
        description: "List all identities in the organization",
        read_only: true,
        destructive: false,
        idempotent: true,
    },
    ToolSpec {
        name: "identities_get",
        action: Action::IdentitiesGet,
        input: ToolInput::IdentityId,
        title: "Identities · Get",
        description: "Get details of a specific identity",
        read_only: true,
        destructive: false,
        idempotent: true,
    },
    ToolSpec {
        name: "identities_create",
        action: Action::IdentitiesCreate,
        input: ToolInput::NewIdentity,
        title: "Identities · Create",
        description: "Create a new agent identity and its API key (shown once). All fields default — call with `{}` to get an identity with a generated 3-word name and this platform key's scopes.",
        read_only: false,
        destructive: false,
        idempotent: false,
    },
    ToolSpec {
        name: "identities_update",
        action: Action::IdentitiesUpdate,
        input: ToolInput::Rename,
        title: "Identities · Update",
        description: "Rename an identity. For scope changes, use identities_update_scopes.",
        read_only: false,
        destructive: false,
        idempotent: true,
    },
    ToolSpec {
        name: "identities_update_scopes",
        action: Action::IdentitiesUpdate,
        input: ToolInput::Rescope,
        title: "Identities · Update Scopes",
        description: "Add or remove scopes from an identity",
        read_only: false,
        destructive: false,
        idempotent: true,
    },
    ToolSpec {
        name: "identities_delete",
        action: Action::IdentitiesDelete,
        input: ToolInput::IdentityId,
        title: "Identities · Delete",
        description: "Permanently delete an identity and all its data (vault, keys, logs)",
        read_only: false,
        destructive: true,
        idempotent: true,
    },
    ToolSpec {
        name: "identities_rotate_key",
        action: Action::IdentitiesRotateKey,
        input: ToolInput::IdentityId,
        title: "Identities · Rotate Key",
        description: "Generate a new API key for an identity. The old key stops working (within the vault's key-cache delay, 30 s by default).",
        read_only: false,
        destructive: true,
        idempotent: false,
    },
];

/// A schema's properties and required arguments.
pub type Schema = (Value, Vec<&'static str>);

fn identity() -> Value {
    json!({"type": "string", "description": "Identity ID"})
}

fn scopes(description: &str) -> Value {
    json!({"type": "array", "items": {"type": "string"}, "description": format!("{description}. {SCOPES}")})
}

pub fn identity_page() -> Schema {
    let properties = json!({
        "limit": {"type": "number", "description": "Max results (default 50, max 100)"},
        "pageToken": {"type": "string", "description": "The nextPageToken of the previous page"},
    });
    (properties, vec![])
}

pub fn identity_id() -> Schema {
    (json!({"identityId": identity()}), vec!["identityId"])
}

pub fn new_identity() -> Schema {
    let properties = json!({
        "purpose": {"type": "string", "enum": ["BUYER"], "description": "Project type. Defaults to BUYER."},
        "name": {"type": "string", "description": "Display name (e.g. Sales Agent). If omitted, a fresh 3-word slug is used. Editable via identities_update."},
        "emailName": {"type": "string", "description": "Email prefix override; accepted and unused (credvault provisions no inbox)."},
        "scopes": scopes("Scopes (optional): by default, this platform key's"),
        "grants": {
            "type": "array",
            "description": "credvault's own (optional): limit the first key to these names. Each grant is {names: [name or glob with *], allow: [read|use|write]} or {names: [...], deny: true}.",
            "items": {"type": "object"}
        },
        "notAfter": {"type": "string", "description": "credvault's own (optional): the first key stops working then (RFC 3339, or a date)."},
        "maxUses": {"type": "integer", "minimum": 1, "description": "credvault's own (optional): how many uses of a credential the first key may make."},
    });
    (properties, vec![])
}

pub fn rename() -> Schema {
    let properties = json!({
        "identityId": identity(),
        "name": {"type": "string", "minLength": 1, "description": "New display name."},
    });
    (properties, vec!["identityId", "name"])
}

pub fn rescope() -> Schema {
    let properties = json!({
        "identityId": identity(),
        "addScopes": scopes("Scopes to add"),
        "removeScopes": scopes("Scopes to remove"),
    });
    (properties, vec!["identityId"])
}
