//! `credvault`: operator commands for a vault's table and keys.

use clap::{Parser, Subcommand};
use credvault::admin::{self, AdminError};
use credvault::auth::ApiKey;
use credvault::dependency::load_sdk_config;
use credvault::store::DynamoStore;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "credvault", version, about = "Operate a credvault deployment")]
struct Cli {
    /// The vault's DynamoDB table.
    #[arg(long, env = "TABLE_NAME", global = true, default_value = "credvault")]
    table: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the table and a KMS key with an alias, where missing (local stacks such as moto).
    SetupLocal {
        #[arg(long, default_value = "alias/credvault")]
        kms_alias: String,
    },
    /// Manage identities and their API keys.
    #[command(subcommand)]
    Identity(IdentityCommand),
}

#[derive(Subcommand)]
enum IdentityCommand {
    /// Create an identity and print its API key, once.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "vault:read,vault:write")]
        scopes: String,
        /// Register this key instead of minting one (`loid-` + 64 lowercase hex). Deliberately
        /// not read from the environment, where CREDVAULT_API_KEY is a caller's key.
        #[arg(long, value_name = "KEY")]
        with_key: Option<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("credvault: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), AdminError> {
    let aws = load_sdk_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), cli.table);
    match cli.command {
        Command::SetupLocal { kms_alias } => {
            store.ensure_table().await?;
            let key_arn =
                admin::ensure_kms_key(&aws_sdk_kms::Client::new(&aws), &kms_alias).await?;
            println!(
                "{}",
                serde_json::json!({"table": store.table(), "kmsKeyArn": key_arn, "kmsAlias": kms_alias})
            );
        }
        Command::Identity(IdentityCommand::Create {
            name,
            scopes,
            with_key,
        }) => {
            let scopes = admin::parse_scopes(&scopes)?;
            let api_key = with_key
                .map(|raw| ApiKey::parse(&raw))
                .transpose()
                .map_err(|e| AdminError::Invalid(format!("--with-key: {e}")))?;
            let created = admin::create_identity(&store, &name, &scopes, api_key).await?;
            let scope_names: Vec<_> = scopes.iter().map(|s| s.as_str()).collect();
            println!(
                "{}",
                serde_json::json!({
                    "identityId": created.identity.as_str(),
                    "name": name,
                    "scopes": scope_names,
                    "apiKey": created.api_key.expose(),
                })
            );
            eprintln!("credvault: the API key above is shown once; only its hash is stored");
        }
    }
    Ok(())
}
