//! The vault's MCP tools, named and shaped as the hosted product's own MCP server names them,
//! each with a JSON Schema input, a description written for a model, and annotations.

use super::platform_tools;
use crate::domain::Action;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};
use std::sync::Arc;

/// The shape of a tool's input: each has its JSON Schema (below) and its parser
/// (`super::arguments`), matched exhaustively, so a new tool declares its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolInput {
    /// No arguments.
    Nothing,
    /// vault_list's optional `limit` and `pageToken`.
    ListPage,
    /// A credential `name` alone.
    Name,
    /// A `PUT` body's fields beside the `name`.
    Credential,
    ApiKey,
    Card,
    ShippingAddress,
    /// vault_http's `name`, `method`, `url`, `headers`, `body`, `bodyEncoding`.
    Brokered,
    /// vault_request's `name`, `type`, `fields`, `message`, `usePolicy`, `metadata`,
    /// `expiresIn`.
    CredentialRequest,
    /// A credential request's `requestId` alone.
    RequestId,
    /// identities_list's optional `limit` (and credvault's `pageToken`).
    IdentityPage,
    /// An `identityId` alone.
    IdentityId,
    /// identities_create's optional `purpose`, `name`, `emailName`, `scopes`.
    NewIdentity,
    /// identities_update's `identityId` and `name`.
    Rename,
    /// identities_update_scopes' `identityId`, `addScopes`, `removeScopes`.
    Rescope,
}

/// One tool: its wire name, the use case it runs, its input, and how a client should treat it.
pub struct ToolSpec {
    pub name: &'static str,
    pub action: Action,
    pub input: ToolInput,
    pub(super) title: &'static str,
    pub(super) description: &'static str,
    pub(super) read_only: bool,
    pub(super) destructive: bool,
    pub(super) idempotent: bool,
}

const NAME: &str = "Credential name: 1 to 128 of A-Z a-z 0-9 . _ -, starting with a letter or digit (e.g. 'stripe', 'github-2fa')";
const EXPIRES: &str =
    "Expiry, RFC 3339 date-time (e.g. 2030-01-01T00:00:00Z) or a date (2030-01-01)";

const USE_POLICY: &str = "credvault's own: where the vault may send this credential for vault_http, e.g. {\"hosts\": [\"api.stripe.com\"], \"pathPrefixes\": [\"/v1/\"], \"methods\": [\"GET\", \"POST\"]}. Without it the credential cannot be used through vault_http";

pub const TOOLS: [ToolSpec; 14] = [
    ToolSpec {
        name: "vault_list",
        action: Action::VaultList,
        input: ToolInput::ListPage,
        title: "Vault · List Credentials",
        description: "List the credentials in your vault: names, types, metadata and expiry. Never returns secret values; use vault_get for one credential's data. Without arguments it answers the whole list (refused if it is over 512 KiB); with `limit` and then each answer's `nextPageToken` as `pageToken`, one page at a time.",
        read_only: true,
        destructive: false,
        idempotent: true,
    },
    ToolSpec {
        name: "vault_get",
        action: Action::VaultGet,
        input: ToolInput::Name,
        title: "Vault · Get Credential",
        description: "Retrieve one credential with its decrypted data (passwords, keys, tokens). TOTP seeds and unused backup codes are masked: use vault_totp for the current code and vault_totp_use_backup for a backup code. Each read is recorded in the activity log.",
        read_only: true,
        destructive: false,
        idempotent: true,
    },
    ToolSpec {
        name: "vault_totp",
        action: Action::VaultTotp,
        input: ToolInput::Name,
        title: "Vault · Get TOTP Code",
        description: "Generate the current 6-digit TOTP code of a credential that has a TOTP secret, with the seconds it stays valid ('remaining') and how many backup codes are left ('backupCodesRemaining').",
        read_only: true,
        destructive: false,
        idempotent: false,
    },
    ToolSpec {
        name: "vault_store",
        action: Action::VaultStore,
        input: ToolInput::Credential,
        title: "Vault · Store Credential",
        description: "Store a credential, encrypted, or replace the one of the same name whole. Prefer the typed helpers (vault_storeApiKey, vault_storeCard, vault_storeShippingAddress) when they fit. Secret fields go in 'data'; 'metadata' is stored in plaintext for display, so never put secrets there.",
        read_only: false,
        destructive: false,
        idempotent: true,
    },
    ToolSpec {
        name: "vault_storeApiKey",
        action: Action::VaultStore,
        input: ToolInput::ApiKey,
        title: "Vault · Store API Key",
        description: "Store an API_KEY credential: just 'secret' for single-key services (e.g. sk_live_...), or 'clientId' and 'secret' for client credentials. Replaces a credential of the same name.",
        read_only: false,
        destructive: false,
        idempotent: true,
    },
    ToolSpec {
        name: "vault_storeCard",
        action: Action::VaultStore,
        input: ToolInput::Card,
        title: "Vault · Store Card",
        description: "Store a payment card as an encrypted CARD credential (password-manager storage: the vault never charges it). Only the last four digits and the brand are kept in plaintext metadata.",
        read_only: false,
        destructive: false,
        idempotent: true,
    },
    ToolSpec {
        name: "vault_storeShippingAddress",
        action: Action::VaultStore,
        input: ToolInput::ShippingAddress,
        title: "Vault · Store Shipping Address",
        description: "Store a shipping or mailing address as an encrypted SHIPPING_ADDRESS credential.",
        read_only: false,
        destructive: false,
        idempotent: true,
    },
    ToolSpec {
        name: "vault_delete",
        action: Action::VaultDelete,
        input: ToolInput::Name,
        title: "Vault · Delete Credential",
        description: "Delete a credential from the vault. This cannot be undone.",
        read_only: false,
        destructive: true,
        idempotent: true,
    },
    ToolSpec {
        name: "vault_totp_use_backup",
        action: Action::VaultTotpUseBackup,
        input: ToolInput::Name,
        title: "Vault · Use TOTP Backup Code",
        description: "Consume one single-use TOTP backup code and return it; it moves to data.usedBackupCodes. Use only when the live TOTP code cannot be used (clock skew, lost device): each call spends a code for good.",
        read_only: false,
        destructive: true,
        idempotent: false,
    },
    ToolSpec {
        name: "vault_http",
        action: Action::VaultHttp,
        input: ToolInput::Brokered,
        title: "Vault · HTTP Request With Credential",
        description: "Make an HTTPS request with a credential without seeing it: write {{data.FIELD}} (a secret field, e.g. {{data.key}}) or {{metadata.FIELD}} where its value goes, in the URL's path or query, a header value, or the body. The vault checks the destination against the credential's usePolicy, substitutes, sends, and answers {status, headers, body} with every substituted value replaced by its placeholder again. Redirects are not followed. Prefer this to vault_get whenever the secret is only needed for an HTTP call.",
        read_only: false,
        destructive: false,
        idempotent: false,
    },
    ToolSpec {
        name: "vault_request",
        action: Action::VaultRequest,
        input: ToolInput::CredentialRequest,
        title: "Vault · Ask a Person for a Credential",
        description: "Ask the person you work for to enter a credential you need but do not have, without it passing through this conversation: answers a one-time `url` to give them. They open it, type the values into a form, and the vault stores the credential under `name` (encrypted, as vault_store would): the values never pass through this conversation. Follow with vault_request_status until it is 'fulfilled', then prefer vault_http (give a usePolicy here) so the secret stays out of the conversation for good. Never ask for secrets in the chat instead.",
        read_only: false,
        destructive: false,
        idempotent: false,
    },
    ToolSpec {
        name: "vault_request_status",
        action: Action::VaultRequestStatus,
        input: ToolInput::RequestId,
        title: "Vault · Credential Request Status",
        description: "How a credential request made with vault_request stands: 'pending', 'fulfilled' (with the stored credential's credentialId), 'expired' or 'cancelled'. Never returns a value.",
        read_only: true,
        destructive: false,
        idempotent: true,
    },
    ToolSpec {
        name: "vault_request_cancel",
        action: Action::VaultRequestCancel,
        input: ToolInput::RequestId,
        title: "Vault · Cancel Credential Request",
        description: "Cancel a pending credential request made with vault_request: its link stops working. Cancelling it again is no error; a fulfilled or expired request cannot be cancelled.",
        read_only: false,
        destructive: true,
        idempotent: true,
    },
    ToolSpec {
        name: "identity_whoami",
        action: Action::IdentityWhoami,
        input: ToolInput::Nothing,
        title: "Identity · Who Am I",
        description: "Get your agent identity: id, name, and the scopes of the key in use (which vault tools it may call).",
        read_only: true,
        destructive: false,
        idempotent: true,
    },
];

impl ToolSpec {
    /// Every tool: the vault's (for identity keys) and the platform's (for platform keys).
    pub fn all() -> impl Iterator<Item = &'static ToolSpec> {
        TOOLS.iter().chain(platform_tools::PLATFORM_TOOLS.iter())
    }

    pub fn find(name: &str) -> Option<&'static ToolSpec> {
        Self::all().find(|t| t.name == name)
    }

    /// The tool as `tools/list` shows it.
    pub fn tool(&self) -> Tool {
        let annotations = ToolAnnotations::new()
            .read_only(self.read_only)
            .destructive(self.destructive)
            .idempotent(self.idempotent)
            // vault_http reaches hosts outside the vault; every other tool stays inside it.
            .open_world(self.action == Action::VaultHttp);
        Tool::new(
            self.name,
            self.description,
            Arc::new(object(self.input_schema())),
        )
        .with_title(self.title)
        .with_annotations(annotations)
    }

    fn input_schema(&self) -> Value {
        let name = json!({"type": "string", "description": NAME, "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"});
        let text = |description: &str| json!({"type": "string", "description": description});
        let (properties, required) = match self.input {
            ToolInput::Nothing => (json!({}), vec![]),
            ToolInput::ListPage => (
                json!({
                    "limit": {"type": "integer", "minimum": 1, "maximum": crate::vault::MAX_LIST_PAGE,
                              "description": "Ask for one page of at most this many (default: the whole list)"},
                    "pageToken": text("The nextPageToken of the previous page"),
                }),
                vec![],
            ),
            ToolInput::Name => (json!({"name": name}), vec!["name"]),
            ToolInput::Credential => (
                json!({
                    "name": name,
                    "type": {"type": "string", "description": "Credential type", "enum": crate::domain::CredentialType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>()},
                    "data": {"type": "object", "description": "Secret fields to encrypt (e.g. {\"key\": \"sk_...\"}); a TOTP credential needs a base32 'secret'", "minProperties": 1},
                    "metadata": {"type": "object", "description": "Non-secret fields, stored in plaintext for display (e.g. {\"service\": \"stripe\"})"},
                    "expiresAt": text(EXPIRES),
                    "usePolicy": {"type": "object", "description": USE_POLICY},
                }),
                vec!["name", "type", "data"],
            ),
            ToolInput::ApiKey => (
                json!({"name": name, "secret": text("The API key or client secret"),
                       "clientId": text("Client id, for client-credential pairs (omit for single keys)"),
                       "expiresAt": text(EXPIRES),
                       "usePolicy": {"type": "object", "description": USE_POLICY}}),
                vec!["name", "secret"],
            ),
            ToolInput::Card => (
                json!({"name": name, "cardholder": text("Cardholder name"), "number": text("Card number"),
                       "expMonth": text("Expiration month (MM)"), "expYear": text("Expiration year (YYYY)"),
                       "cvc": text("CVC / CVV"), "zip": text("Billing ZIP / postal code"),
                       "brand": text("Card brand (Visa, Mastercard...), kept in metadata for display"),
                       "expiresAt": text(EXPIRES)}),
                vec!["name", "cardholder", "number", "expMonth", "expYear", "cvc"],
            ),
            ToolInput::Brokered => (
                json!({"name": name,
                       "method": {"type": "string", "enum": crate::domain::METHODS},
                       "url": text("Absolute https URL; placeholders only in its path and query"),
                       "headers": {"type": "object", "additionalProperties": {"type": "string"},
                                   "description": "Header names and values, e.g. {\"Authorization\": \"Bearer {{data.key}}\"}"},
                       "body": text("Request body, text (or base64 with bodyEncoding)"),
                       "bodyEncoding": {"type": "string", "enum": ["utf8", "base64"]}}),
                vec!["name", "method", "url"],
            ),
            ToolInput::CredentialRequest => credential_request_schema(name),
            ToolInput::RequestId => (
                json!({"requestId": {"type": "string", "pattern": "^creq_[0-9a-f]{32}$",
                                     "description": "The requestId vault_request answered"}}),
                vec!["requestId"],
            ),
            ToolInput::IdentityPage => platform_tools::identity_page(),
            ToolInput::IdentityId => platform_tools::identity_id(),
            ToolInput::NewIdentity => platform_tools::new_identity(),
            ToolInput::Rename => platform_tools::rename(),
            ToolInput::Rescope => platform_tools::rescope(),
            ToolInput::ShippingAddress => (
                json!({"name": name, "recipient": text("Recipient name"), "line1": text("Address line 1"),
                       "line2": text("Address line 2"), "city": text("City"), "state": text("State or region"),
                       "postcode": text("Postcode / ZIP"), "country": text("Country code, ISO 3166-1 alpha-2 (e.g. US)"),
                       "phone": text("Phone number")}),
                vec![
                    "name",
                    "recipient",
                    "line1",
                    "city",
                    "state",
                    "postcode",
                    "country",
                ],
            ),
        };
        json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
    }
}

fn credential_request_schema(name: Value) -> (Value, Vec<&'static str>) {
    use crate::domain::{DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN, MAX_FIELDS};
    let field = json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$",
                     "description": "The data (or metadata) member it fills, e.g. 'key', 'password'"},
            "label": {"type": "string", "maxLength": 100, "description": "What the person sees, e.g. 'API key'"},
            "secret": {"type": "boolean", "description": "true (default): encrypted in data; false: plaintext metadata"},
        },
        "required": ["name"],
        "additionalProperties": false,
    });
    (
        json!({
            "name": name,
            "type": {"type": "string", "enum": crate::domain::CredentialType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>()},
            "fields": {"type": "array", "items": field, "minItems": 1, "maxItems": MAX_FIELDS,
                       "description": "What the person fills in; at least one secret field (a TOTP request asks for 'secret')"},
            "message": {"type": "string", "maxLength": 1000, "description": "Shown to the person on the page: who needs it and why"},
            "metadata": {"type": "object", "description": "Non-secret fields stored with it"},
            "usePolicy": {"type": "object", "description": USE_POLICY},
            "expiresIn": {"type": "integer", "minimum": 60, "maximum": MAX_EXPIRES_IN,
                          "description": format!("Seconds the link stays open (default {DEFAULT_EXPIRES_IN})")},
        }),
        vec!["name", "type", "fields"],
    )
}

fn object(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}
