//! `credvault`: the vault's command line. Client verbs talk to the API over HTTPS; admin
//! verbs work on the table over the AWS SDK, for whoever holds AWS credentials for it.
//!
//! Exit codes: 0 success, 1 local error (bad input, AWS failure), 2 usage, 3 the API
//! answered 4xx, 4 the API answered 5xx, 5 the API could not be reached.

mod admin_verbs;
mod args;
mod client;
mod limits_args;
mod supervisor;
mod table;

use args::{ApiArgs, Cli, Command, LogsVerb, VaultVerb};

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use client::{ApiClient, CallError};
use credvault::dependency::DependencyError;
use credvault::domain::json_text;
use credvault::vault::VaultError;
use secrecy::SecretString;
use serde_json::Value;
use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use zeroize::Zeroizing;

pub enum Failure {
    Local(String),
    Call(CallError),
}

impl From<VaultError> for Failure {
    fn from(err: VaultError) -> Self {
        Self::Local(err.to_string())
    }
}

impl From<DependencyError> for Failure {
    fn from(err: DependencyError) -> Self {
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
    if find_source(&matches, "platform_key") == Some(ValueSource::CommandLine) {
        eprintln!(
            "credvault: warning: --platform-key lands in shell history; prefer \
             CREDVAULT_PLATFORM_KEY"
        );
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
        Command::Whoami { api, json } => {
            let answer = api_client(api)?.whoami().await?;
            show(answer, json, |who| {
                let rows = [
                    ("Identity ID", "identityId"),
                    ("Name", "name"),
                    ("Type", "type"),
                    ("Scopes", "scopes"),
                    ("Usage", "usageCount"),
                    ("Last used", "lastUsedAt"),
                    ("Created", "createdAt"),
                ];
                table::fields(who, &rows)
            });
            Ok(())
        }
        Command::Logs { api, verb } => run_logs(api, verb).await,
        Command::Supervisor { api, verb } => supervisor::run(api, verb).await,
        Command::Identity { table, verb } => admin_verbs::run_identity(table, verb).await,
        Command::PlatformKey { table, verb } => admin_verbs::run_platform_key(table, verb).await,
        Command::Setup { table } => admin_verbs::setup(table).await,
        Command::SetupLocal { table, kms_alias } => {
            admin_verbs::setup_local(table, kms_alias).await
        }
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
            let data = read_object(&data, "--data")?;
            let metadata = metadata
                .map(|m| read_object(&m, "--metadata"))
                .transpose()?;
            client
                .store(
                    &name,
                    &kind,
                    &data,
                    metadata.as_deref().map(String::as_str),
                    expires_at,
                )
                .await?
        }
        VaultVerb::Get { name, json } => {
            show(client.get(&name).await?, json, |credential| {
                let rows = [
                    ("Name", "name"),
                    ("Type", "type"),
                    ("Expires", "expiresAt"),
                    ("Created", "createdAt"),
                ];
                let data = credential.get("data").cloned().unwrap_or_default();
                let data = serde_json::to_string_pretty(&data).unwrap_or_default();
                format!("{}\n\nData:\n{data}", table::fields(credential, &rows))
            });
            return Ok(());
        }
        VaultVerb::List { json } => {
            show(client.list().await?, json, |listed| {
                let columns = [
                    ("Name", "name"),
                    ("Type", "type"),
                    ("Expires", "expiresAt"),
                    ("Last used", "lastUsedAt"),
                ];
                table::list(listed, "credentials", &columns, "No credentials stored.")
            });
            return Ok(());
        }
        VaultVerb::Delete { name } => client.delete(&name).await?,
        VaultVerb::Totp { name } => client.totp(&name).await?,
        VaultVerb::TotpUseBackup { name } => client.use_backup_code(&name).await?,
    };
    if let Some(answer) = answer {
        print_json(&answer);
    }
    Ok(())
}

async fn run_logs(api: ApiArgs, verb: LogsVerb) -> Result<(), Failure> {
    let client = api_client(api)?;
    match verb {
        LogsVerb::List {
            limit,
            category,
            status,
            severity,
            action,
            page_token,
            json,
        } => {
            let mut query = vec![("limit", limit.to_string())];
            let optional = [
                ("category", category),
                ("status", status),
                ("severity", severity),
                ("action", action),
                ("pageToken", page_token),
            ];
            query.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
            show(client.logs(&query).await?, json, |page| {
                let columns = [
                    ("Time", "createdAt"),
                    ("Action", "action"),
                    ("Category", "category"),
                    ("Status", "status"),
                    ("Description", "description"),
                ];
                let mut shown = table::list(page, "logs", &columns, "No logs found.");
                if let Some(token) = page.get("nextPageToken").and_then(Value::as_str) {
                    shown.push_str(&format!("\n\nMore: --page-token {token}"));
                }
                shown
            });
        }
        LogsVerb::Stats { json } => {
            show(client.log_stats().await?, json, |stats| {
                let mut rows = vec![
                    vec!["Total events".to_owned(), table::cell(stats, "total")],
                    vec!["Today".to_owned(), table::cell(stats, "today")],
                    vec!["Errors".to_owned(), table::cell(stats, "errors")],
                ];
                if let Some(Value::Object(by)) = stats.get("byCategory") {
                    rows.extend(
                        by.iter()
                            .map(|(k, v)| vec![format!("Category: {k}"), v.to_string()]),
                    );
                }
                table::render(&["Metric", "Value"], &rows)
            });
        }
    }
    Ok(())
}

/// Prints an answer as JSON (`--json`) or as what `as_table` makes of it.
fn show(answer: Option<Value>, json: bool, as_table: impl Fn(&Value) -> String) {
    let Some(answer) = answer else {
        return;
    };
    if json {
        print_json(&answer);
    } else {
        println!("{}", as_table(&answer));
    }
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

/// Reads a JSON object from the argument itself, `@FILE` or `-` (stdin), so that a secret
/// need not pass through argv. Messages never quote the input.
/// The JSON object `source` holds, as its text: sent as written, so numbers and escapes reach
/// the vault exactly.
fn read_object(source: &str, flag: &str) -> Result<Zeroizing<String>, Failure> {
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
    let trimmed = text.trim();
    match json_text::check(trimmed) {
        Ok(()) if trimmed.starts_with('{') => Ok(json_text::compact(trimmed)),
        Ok(()) => Err(Failure::Local(format!("{flag} must be a JSON object"))),
        Err(e) => Err(Failure::Local(format!("{flag} is not valid JSON: {e}"))),
    }
}

/// Pretty on a terminal, one line otherwise (for pipes and scripts).
pub fn print_json(value: &Value) {
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

    fn message(result: Result<Zeroizing<String>, Failure>) -> String {
        match result {
            Err(Failure::Local(message)) => message,
            _ => panic!("expected a local failure"),
        }
    }

    #[test]
    fn data_comes_inline_or_from_a_file() {
        let inline = read_object(r#" {"key": "k", "n": 1.423966195757457e-18} "#, "--data")
            .ok()
            .unwrap();
        assert_eq!(inline.as_str(), r#"{"key":"k","n":1.423966195757457e-18}"#);
        let path = std::env::temp_dir().join(format!("credvault-cli-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"password":"p"}"#).unwrap();
        let from_file = read_object(&format!("@{}", path.display()), "--data")
            .ok()
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(from_file.as_str(), r#"{"password":"p"}"#);
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
