//! `credvault`: the vault's command line. Client verbs talk to the API over HTTPS; admin
//! verbs work on the table over the AWS SDK, for whoever holds AWS credentials for it.
//!
//! Exit codes: 0 success, 1 local error (bad input, AWS failure), 2 usage, 3 the API
//! answered 4xx, 4 the API answered 5xx, 5 the API could not be reached.

mod client;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use client::{ApiClient, CallError};
use credvault::admin::{self, AdminError};
use credvault::auth::{ApiKey, IdentityId};
use credvault::dependency::load_sdk_config;
use credvault::domain::SecretData;
use credvault::store::DynamoStore;
use secrecy::SecretString;
use serde_json::{Map, Value};
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(name = "credvault", version, about = "The credvault command line")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct ApiArgs {
    /// Base URL of the vault API.
    #[arg(long, env = "CREDVAULT_API_URL", global = true)]
    api_url: Option<String>,
    /// API key. Prefer the environment variable: a flag lands in shell history.
    #[arg(long, env = "CREDVAULT_API_KEY", hide_env_values = true, global = true)]
    api_key: Option<String>,
}

#[derive(clap::Args)]
struct TableArgs {
    /// The vault's DynamoDB table (the stack's `TableName` output).
    #[arg(long, env = "TABLE_NAME", global = true, default_value = "credvault")]
    table: String,
}

#[derive(Subcommand)]
enum Command {
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
    /// Create the table and a KMS key with an alias where missing (local stacks such as moto).
    SetupLocal {
        #[command(flatten)]
        table: TableArgs,
        #[arg(long, default_value = "alias/credvault")]
        kms_alias: String,
    },
}

#[derive(Subcommand)]
enum VaultVerb {
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
    Get { name: String },
    /// List credentials (no data).
    List,
    /// Delete a credential.
    Delete { name: String },
    /// The current TOTP code.
    Totp { name: String },
    /// Use one backup code.
    TotpUseBackup { name: String },
}

#[derive(Subcommand)]
enum IdentityVerb {
    /// Create an identity and print its API key, once.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "vault:read,vault:write")]
        scopes: String,
        /// Register this key instead of minting one (`loid-` + 64 lowercase hex). Not read
        /// from the environment, where CREDVAULT_API_KEY is a caller's key.
        #[arg(long, value_name = "KEY")]
        with_key: Option<String>,
    },
    /// List identities (never their keys).
    List,
    /// Revoke an identity: its keys stop working from the next request.
    Revoke { identity_id: String },
}

enum Failure {
    Local(String),
    Call(CallError),
}

impl From<AdminError> for Failure {
    fn from(err: AdminError) -> Self {
        Self::Local(err.to_string())
    }
}

impl From<CallError> for Failure {
    fn from(err: CallError) -> Self {
        Self::Call(err)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let key_from_flag = find_source(&matches, "api_key") == Some(ValueSource::CommandLine);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    if key_from_flag {
        eprintln!("credvault: warning: --api-key lands in shell history; prefer CREDVAULT_API_KEY");
    }
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Local(message)) => {
            eprintln!("credvault: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Call(CallError::Api {
            status,
            code,
            message,
        })) => {
            eprintln!("credvault: {message} ({status} {code})");
            ExitCode::from(if status >= 500 { 4 } else { 3 })
        }
        Err(Failure::Call(CallError::Network(reason))) => {
            eprintln!("credvault: cannot reach the API: {reason}");
            ExitCode::from(5)
        }
    }
}

/// Where an argument's value came from, looking through subcommands.
fn find_source(matches: &clap::ArgMatches, id: &str) -> Option<ValueSource> {
    if let Ok(Some(_)) = matches.try_get_raw(id) {
        return matches.value_source(id);
    }
    matches
        .subcommand()
        .and_then(|(_, sub)| find_source(sub, id))
}

async fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Vault { api, verb } => run_vault(api, verb).await,
        Command::Identity { table, verb } => run_identity(table, verb).await,
        Command::SetupLocal { table, kms_alias } => setup_local(table, kms_alias).await,
    }
}

async fn run_vault(api: ApiArgs, verb: VaultVerb) -> Result<(), Failure> {
    let client = api_client(api)?;
    let answer = match verb {
        VaultVerb::Store {
            name,
            kind,
            data,
            metadata,
            expires_at,
        } => {
            let data = SecretData::new(read_object(&data, "--data")?);
            let metadata = metadata
                .map(|m| read_object(&m, "--metadata"))
                .transpose()?;
            client
                .store(&name, &kind, data, metadata, expires_at)
                .await?
        }
        VaultVerb::Get { name } => client.get(&name).await?,
        VaultVerb::List => client.list().await?,
        VaultVerb::Delete { name } => client.delete(&name).await?,
        VaultVerb::Totp { name } => client.totp(&name).await?,
        VaultVerb::TotpUseBackup { name } => client.use_backup_code(&name).await?,
    };
    if let Some(answer) = answer {
        print_json(&answer);
    }
    Ok(())
}

async fn run_identity(table: TableArgs, verb: IdentityVerb) -> Result<(), Failure> {
    let store = dynamo_store(table).await;
    match verb {
        IdentityVerb::Create {
            name,
            scopes,
            with_key,
        } => {
            let scopes = admin::parse_scopes(&scopes)?;
            let key = with_key
                .map(|raw| ApiKey::parse(&raw))
                .transpose()
                .map_err(|e| Failure::Local(format!("--with-key: {e}")))?;
            let created = admin::create_identity(&store, &name, &scopes, key).await?;
            let scope_names: Vec<_> = scopes.iter().map(|s| s.as_str()).collect();
            print_json(&serde_json::json!({
                "identityId": created.identity.as_str(),
                "name": name,
                "scopes": scope_names,
                "apiKey": created.api_key.expose(),
            }));
            eprintln!("credvault: the API key above is shown once; only its hash is stored");
        }
        IdentityVerb::List => {
            let identities = admin::list_identities(&store)
                .await
                .map_err(AdminError::from)?;
            print_json(&serde_json::to_value(identities).unwrap_or_default());
        }
        IdentityVerb::Revoke { identity_id } => {
            let identity = IdentityId::parse(&identity_id)
                .ok_or_else(|| Failure::Local(format!("not an identity id: {identity_id}")))?;
            if !admin::revoke_identity(&store, &identity)
                .await
                .map_err(AdminError::from)?
            {
                return Err(Failure::Local(format!("no identity {identity_id}")));
            }
            eprintln!("credvault: revoked {identity_id} and its keys");
        }
    }
    Ok(())
}

async fn setup_local(table: TableArgs, kms_alias: String) -> Result<(), Failure> {
    let aws = load_sdk_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table.table);
    admin::ensure_table(&store)
        .await
        .map_err(AdminError::from)?;
    let kms = aws_sdk_kms::Client::new(&aws);
    let key_arn = admin::ensure_kms_key(&kms, &kms_alias)
        .await
        .map_err(AdminError::from)?;
    print_json(&serde_json::json!({
        "table": store.table(), "kmsKeyArn": key_arn, "kmsAlias": kms_alias,
    }));
    Ok(())
}

fn api_client(api: ApiArgs) -> Result<ApiClient, Failure> {
    let url = api.api_url.ok_or_else(|| {
        Failure::Local("no API URL: set CREDVAULT_API_URL or pass --api-url".into())
    })?;
    let key = api.api_key.ok_or_else(|| {
        Failure::Local("no API key: set CREDVAULT_API_KEY (or pass --api-key)".into())
    })?;
    ApiClient::new(&url, SecretString::from(key)).map_err(Failure::Local)
}

async fn dynamo_store(table: TableArgs) -> DynamoStore {
    let aws = load_sdk_config().await;
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table.table)
}

/// Reads a JSON object from the argument itself, `@FILE` or `-` (stdin), so that a secret
/// need not pass through argv. Messages never quote the input.
fn read_object(source: &str, flag: &str) -> Result<Map<String, Value>, Failure> {
    let text: Zeroizing<String> = Zeroizing::new(if source == "-" {
        let mut buffer = String::new();
        std::io::stdin()
            .read_to_string(&mut buffer)
            .map_err(|e| Failure::Local(format!("{flag}: cannot read stdin: {e}")))?;
        buffer
    } else if let Some(path) = source.strip_prefix('@') {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::Local(format!("{flag}: cannot read {path}: {e}")))?
    } else {
        source.to_owned()
    });
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure::Local(format!("{flag} must be a JSON object"))),
        Err(e) => Err(Failure::Local(format!("{flag} is not valid JSON: {e}"))),
    }
}

/// Pretty on a terminal, one line otherwise (for pipes and scripts).
fn print_json(value: &Value) {
    let text = if std::io::stdout().is_terminal() {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    println!("{}", text.unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<Map<String, Value>, Failure>) -> String {
        match result {
            Err(Failure::Local(message)) => message,
            _ => panic!("expected a local failure"),
        }
    }

    #[test]
    fn data_comes_inline_or_from_a_file() {
        let inline = read_object(r#"{"key":"k"}"#, "--data").ok().unwrap();
        assert_eq!(inline["key"], "k");
        let path = std::env::temp_dir().join(format!("credvault-cli-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"password":"p"}"#).unwrap();
        let from_file = read_object(&format!("@{}", path.display()), "--data")
            .ok()
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(from_file["password"], "p");
    }

    #[test]
    fn bad_data_is_refused_without_quoting_it() {
        let bad = message(read_object("{\"key\": sk_live_oops}", "--data"));
        assert!(
            bad.starts_with("--data is not valid JSON") && !bad.contains("sk_live"),
            "{bad}"
        );
        let list = message(read_object(r#"["sk_live_oops"]"#, "--data"));
        assert_eq!(list, "--data must be a JSON object");
        let missing = message(read_object("@/nonexistent/credvault.json", "--metadata"));
        assert!(
            missing.starts_with("--metadata: cannot read /nonexistent/credvault.json"),
            "{missing}"
        );
    }

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
