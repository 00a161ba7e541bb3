//! The command line's shape, as clap parses it.

use crate::limits_args::LimitArgs;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "credvault", version, about = "The credvault command line")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Args)]
pub struct ApiArgs {
    /// Base URL of the vault API.
    #[arg(long, env = "CREDVAULT_API_URL", global = true)]
    pub api_url: Option<String>,
    /// API key. Prefer the environment variable: a flag lands in shell history.
    #[arg(long, env = "CREDVAULT_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,
}

#[derive(clap::Args)]
pub struct PlatformArgs {
    /// Base URL of the vault API.
    #[arg(long, env = "CREDVAULT_API_URL", global = true)]
    pub api_url: Option<String>,
    /// Platform key (`mgpk-...`). Prefer the environment variable: a flag lands in shell
    /// history.
    #[arg(
        long,
        env = "CREDVAULT_PLATFORM_KEY",
        hide_env_values = true,
        global = true
    )]
    pub platform_key: Option<String>,
}

#[derive(clap::Args)]
pub struct TableArgs {
    /// The vault's DynamoDB table (the stack's `TableName` output). No default: a guessed
    /// name would only fail later, or reach another table.
    #[arg(long, env = "TABLE_NAME", global = true)]
    pub table: Option<String>,
    /// The vault's KMS key (the stack's `KeyArn` output): `setup` and the verbs that create
    /// keys need it to unwrap the key-item MAC secret.
    #[arg(long, env = "KMS_KEY_ID", global = true)]
    pub kms_key: Option<String>,
    /// The key-item MAC secret's generation (the stack's `KeyMacGeneration`).
    #[arg(long, env = "KEY_MAC_GENERATION", global = true, default_value_t = 1)]
    pub key_mac_generation: u32,
}

#[derive(Subcommand)]
pub enum Command {
    /// Store, read and use credentials through the API.
    Vault {
        #[command(flatten)]
        api: ApiArgs,
        #[command(subcommand)]
        verb: VaultVerb,
    },
    /// Create, list and revoke identities and their API keys (AWS credentials needed).
    Identity {
        #[command(flatten)]
        table: TableArgs,
        #[command(subcommand)]
        verb: IdentityVerb,
    },
    /// Make, list, change and delete your organisation's identities with a platform key.
    Supervisor {
        #[command(flatten)]
        api: PlatformArgs,
        #[command(subcommand)]
        verb: SupervisorVerb,
    },
    /// Create, list and revoke platform keys (AWS credentials needed).
    PlatformKey {
        #[command(flatten)]
        table: TableArgs,
        #[command(subcommand)]
        verb: PlatformKeyVerb,
    },
    /// Who the API key belongs to, and its scopes.
    Whoami {
        #[command(flatten)]
        api: ApiArgs,
        /// Print the API's JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// The identity's activity log.
    Logs {
        #[command(flatten)]
        api: ApiArgs,
        #[command(subcommand)]
        verb: LogsVerb,
    },
    /// Create the key-item MAC secret of a deployed stack (once, after the first deploy).
    Setup {
        #[command(flatten)]
        table: TableArgs,
    },
    /// Create the table and a KMS key with an alias where missing: local stacks (moto) only,
    /// so it runs only with AWS_ENDPOINT_URL set.
    SetupLocal {
        #[command(flatten)]
        table: TableArgs,
        #[arg(long)]
        kms_alias: String,
    },
}

#[derive(Subcommand)]
pub enum VaultVerb {
    /// Store or replace a credential.
    Store {
        name: String,
        #[arg(long = "type", value_name = "TYPE")]
        kind: String,
        /// The secret fields as a JSON object; `@FILE` reads a file, `-` reads stdin.
        #[arg(long, allow_hyphen_values = true)]
        data: String,
        /// Non-secret fields as a JSON object (`@FILE` and `-` work here too).
        #[arg(long, allow_hyphen_values = true)]
        metadata: Option<String>,
        /// Expiry, RFC 3339 (or a bare date).
        #[arg(long)]
        expires_at: Option<String>,
    },
    /// Read a credential with its data.
    Get {
        name: String,
        /// Print the API's JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List credentials (no data).
    List {
        /// Print the API's JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Delete a credential.
    Delete { name: String },
    /// The current TOTP code.
    Totp { name: String },
    /// Use one backup code.
    TotpUseBackup { name: String },
}

#[derive(Subcommand)]
pub enum LogsVerb {
    /// Recorded requests, newest first.
    List {
        /// Entries per page, 1 to 100.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// vault, identity or auth.
        #[arg(long)]
        category: Option<String>,
        /// success, error or denied.
        #[arg(long)]
        status: Option<String>,
        /// INFO, WARNING or ERROR.
        #[arg(long)]
        severity: Option<String>,
        /// For example vault_get.
        #[arg(long)]
        action: Option<String>,
        /// The `nextPageToken` of the previous page.
        #[arg(long)]
        page_token: Option<String>,
        /// Print the API's JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Counts of the retained log.
    Stats {
        /// Print the API's JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum IdentityVerb {
    /// Create an identity and print its API key, once.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "vault:read,vault:write")]
        scopes: String,
        /// Register this key instead of minting one (`mgnt-` + 64 lowercase hex). Not read
        /// from the environment, where CREDVAULT_API_KEY is a caller's key.
        #[arg(long, value_name = "KEY")]
        with_key: Option<String>,
    },
    /// List identities (never their keys).
    List,
    /// Revoke an identity: its keys first, then the identity; they stop working within
    /// PRINCIPAL_CACHE_SECONDS.
    Revoke { identity_id: String },
    /// Add, list or revoke one key of an identity, leaving its credentials alone.
    Key {
        #[command(subcommand)]
        verb: KeyVerb,
    },
}

#[derive(Subcommand)]
pub enum KeyVerb {
    /// A new key for a live identity, printed once.
    Add {
        identity_id: String,
        #[arg(long, default_value = "vault:read,vault:write")]
        scopes: String,
        #[command(flatten)]
        limits: LimitArgs,
        /// Register this key instead of minting one.
        #[arg(long, value_name = "KEY")]
        with_key: Option<String>,
    },
    /// The identity's keys, by key id (never the keys).
    List { identity_id: String },
    /// Revoke one key, named by its key id (from `key list`).
    Revoke { identity_id: String, key_id: String },
}

#[derive(Subcommand)]
pub enum SupervisorVerb {
    /// The organisation's identities.
    List {
        /// Identities per page, 1 to 100.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// The `nextPageToken` of the previous page.
        #[arg(long)]
        page_token: Option<String>,
        /// Print the API's JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One identity.
    Get {
        identity_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Create an identity and print its API key, once.
    Create {
        /// A display name (a generated one when left out).
        #[arg(long)]
        name: Option<String>,
        /// Comma-separated scopes, at most the platform key's (its own when left out).
        #[arg(long)]
        scopes: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Rename an identity.
    Rename { identity_id: String, name: String },
    /// Add or remove scopes of an identity; its keys follow at once.
    UpdateScopes {
        identity_id: String,
        /// Comma-separated scopes to add.
        #[arg(long)]
        add: Option<String>,
        /// Comma-separated scopes to remove.
        #[arg(long)]
        remove: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Replace an identity's API key: the new one is printed once, the old one stops working.
    RotateKey {
        identity_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete an identity, its keys, its credentials and its log, for good.
    Delete { identity_id: String },
    /// Add, list or revoke one key of an identity, with its own scopes and grants.
    Key {
        #[command(subcommand)]
        verb: SupervisorKeyVerb,
    },
}

#[derive(Subcommand)]
pub enum SupervisorKeyVerb {
    /// Another key of the identity, printed once: limited to the names, uses and time it
    /// needs.
    Add {
        identity_id: String,
        /// Comma-separated scopes (the identity's when left out).
        #[arg(long)]
        scopes: Option<String>,
        #[command(flatten)]
        limits: LimitArgs,
        #[arg(long)]
        json: bool,
    },
    /// The identity's live keys, by key id (never the keys).
    List {
        identity_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke one key by its key id.
    Revoke { identity_id: String, key_id: String },
}

#[derive(Subcommand)]
pub enum PlatformKeyVerb {
    /// A platform key, printed once: for an existing organisation (`--org`) or a new one.
    Create {
        /// The organisation (`org_...`); a new one when left out. `org_default` holds the
        /// identities made with `credvault identity create`.
        #[arg(long)]
        org: Option<String>,
        /// The most the key may give the identities it makes.
        #[arg(long, default_value = "vault:read,vault:write")]
        scopes: String,
        /// The most it may give, by name (its keys get no wider grants).
        #[command(flatten)]
        limits: LimitArgs,
        /// Register this key instead of minting one (`mgpk-` + 64 lowercase hex).
        #[arg(long, value_name = "KEY")]
        with_key: Option<String>,
    },
    /// The organisation's platform keys, by key id (never the keys).
    List { org: String },
    /// Revoke one platform key, named by its key id (from `platform-key list`).
    Revoke { org: String, key_id: String },
}
