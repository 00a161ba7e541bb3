//! The operator's verbs: they work on the table (and KMS) over the AWS SDK with the caller's
//! own AWS credentials, against real AWS and `make dev`'s moto alike.

use crate::args::{IdentityVerb, KeyVerb, PlatformKeyVerb, TableArgs};
use crate::{Failure, print_json};
use credvault::admin;
use credvault::auth::ApiKey;
use credvault::clock::{Clock, SystemClock};
use credvault::crypto::KmsKeyProvider;
use credvault::dependency::load_sdk_config;
use credvault::domain::{IdentityId, OrgId, Subject};
use credvault::startup;
use credvault::store::{
    DynamoStore, IdentityUpgrade, SummaryRepair, place_identities, repair_summaries,
};
use credvault::vault::{Identities, parse_scopes};
use std::sync::Arc;

struct Operator {
    store: DynamoStore,
    keys: Option<KmsKeyProvider>,
    generation: u32,
}

/// Where the verbs work: both come from flags or the environment, with no default.
fn table_name(table: &TableArgs) -> Result<String, Failure> {
    table.table.clone().ok_or_else(|| {
        Failure::Local(
            "which table? set --table or TABLE_NAME (the stack's TableName output; make dev \
             prints the line to paste)"
                .into(),
        )
    })
}

impl Operator {
    async fn new(table: TableArgs) -> Result<Self, Failure> {
        let name = table_name(&table)?;
        let aws = load_sdk_config().await;
        Ok(Self {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), name),
            keys: table
                .kms_key
                .map(|key| KmsKeyProvider::new(aws_sdk_kms::Client::new(&aws), &key)),
            generation: table.key_mac_generation,
        })
    }

    fn keys(&self) -> Result<&KmsKeyProvider, Failure> {
        self.keys.as_ref().ok_or_else(|| {
            Failure::Local(
                "this verb needs the vault's KMS key: set --kms-key or KMS_KEY_ID (the stack's \
                 KeyArn output; make dev prints the line to paste)"
                    .into(),
            )
        })
    }

    /// The table with the key-item MAC: only an operator who may unwrap it mints working
    /// keys. Reading and revoking need no MAC.
    async fn minting(&self) -> Result<DynamoStore, Failure> {
        let mac = startup::unwrap_key_mac(&self.store, self.keys()?, self.generation).await?;
        Ok(self.store.clone().with_key_mac(Arc::new(mac)))
    }
}

fn identity_id(raw: &str) -> Result<IdentityId, Failure> {
    IdentityId::parse(raw).ok_or_else(|| Failure::Local(format!("not an identity id: {raw}")))
}

fn org_id(raw: &str) -> Result<OrgId, Failure> {
    OrgId::parse(raw).ok_or_else(|| Failure::Local(format!("not an organisation id: {raw}")))
}

fn pinned(with_key: Option<String>) -> Result<Option<ApiKey>, Failure> {
    with_key
        .map(|raw| ApiKey::parse(&raw))
        .transpose()
        .map_err(|e| Failure::Local(format!("--with-key: {e}")))
}

fn shown_once() {
    eprintln!("credvault: the API key above is shown once; only its hash is stored");
}

pub async fn run_identity(table: TableArgs, verb: IdentityVerb) -> Result<(), Failure> {
    let operator = Operator::new(table).await?;
    let identities = Identities::new(&operator.store, &SystemClock);
    match verb {
        IdentityVerb::Create {
            name,
            scopes,
            with_key,
        } => {
            let scopes = parse_scopes(&scopes)?;
            let store = operator.minting().await?;
            let created = Identities::new(&store, &SystemClock)
                .create(&name, &scopes, pinned(with_key)?)
                .await?;
            let scope_names: Vec<_> = scopes.iter().map(|s| s.as_str()).collect();
            print_json(&serde_json::json!({
                "identityId": created.identity.as_str(),
                "name": name,
                "scopes": scope_names,
                "apiKey": created.api_key.expose(),
            }));
            shown_once();
        }
        IdentityVerb::List => {
            let listed = identities.list().await?;
            print_json(&serde_json::to_value(listed).unwrap_or_default());
        }
        IdentityVerb::Revoke { identity_id: raw } => {
            let revoked = identities.revoke(&identity_id(&raw)?).await?;
            if !revoked {
                return Err(Failure::Local(format!("no identity {raw}")));
            }
            eprintln!("credvault: revoked {raw} and its keys");
        }
        IdentityVerb::Key { verb } => run_key(&operator, verb).await?,
    }
    Ok(())
}

async fn run_key(operator: &Operator, verb: KeyVerb) -> Result<(), Failure> {
    let identities = Identities::new(&operator.store, &SystemClock);
    match verb {
        KeyVerb::Add {
            identity_id: raw,
            scopes,
            limits,
            with_key,
        } => {
            let limits = limits.limits()?;
            let scopes = parse_scopes(&scopes)?;
            let identity = identity_id(&raw)?;
            let store = operator.minting().await?;
            let (key, key_id) = Identities::new(&store, &SystemClock)
                .add_key(&identity, &scopes, limits.clone(), pinned(with_key)?)
                .await?;
            let mut shown = serde_json::json!({
                "identityId": raw, "keyId": key_id, "apiKey": key.expose(),
            });
            if let (Some(fields), serde_json::Value::Object(limits)) =
                (shown.as_object_mut(), limits.to_json())
            {
                fields.extend(limits);
            }
            print_json(&shown);
            shown_once();
        }
        KeyVerb::List { identity_id: raw } => {
            let keys = identities
                .keys(&Subject::Identity(identity_id(&raw)?))
                .await?;
            print_json(&serde_json::to_value(keys).unwrap_or_default());
        }
        KeyVerb::Revoke {
            identity_id: raw,
            key_id,
        } => {
            let owner = Subject::Identity(identity_id(&raw)?);
            let revoked = identities.revoke_key(&owner, &key_id).await?;
            if !revoked {
                return Err(Failure::Local(format!("{raw} has no key {key_id}")));
            }
            eprintln!("credvault: revoked key {key_id} of {raw}; its other keys still work");
        }
    }
    Ok(())
}

pub async fn run_platform_key(table: TableArgs, verb: PlatformKeyVerb) -> Result<(), Failure> {
    let operator = Operator::new(table).await?;
    let identities = Identities::new(&operator.store, &SystemClock);
    match verb {
        PlatformKeyVerb::Create {
            org,
            scopes,
            limits,
            with_key,
        } => {
            let limits = limits.limits()?;
            let scopes = parse_scopes(&scopes)?;
            let org = org.as_deref().map(org_id).transpose()?;
            let store = operator.minting().await?;
            let (org, key) = Identities::new(&store, &SystemClock)
                .create_platform_key(org, &scopes, limits, pinned(with_key)?)
                .await?;
            let scope_names: Vec<_> = scopes.iter().map(|s| s.as_str()).collect();
            print_json(&serde_json::json!({
                "orgId": org.as_str(), "scopes": scope_names, "platformKey": key.expose(),
            }));
            shown_once();
        }
        PlatformKeyVerb::List { org } => {
            let keys = identities.keys(&Subject::Org(org_id(&org)?)).await?;
            print_json(&serde_json::to_value(keys).unwrap_or_default());
        }
        PlatformKeyVerb::Revoke { org, key_id } => {
            let revoked = identities
                .revoke_key(&Subject::Org(org_id(&org)?), &key_id)
                .await?;
            if !revoked {
                return Err(Failure::Local(format!(
                    "{org} has no platform key {key_id}"
                )));
            }
            eprintln!("credvault: revoked platform key {key_id} of {org}");
        }
    }
    Ok(())
}

/// A deployed stack's setup, run after the first deploy and after each upgrade: the key-item
/// MAC secret (table and key come from the template), and every credential's list summary
/// brought in line with it.
pub async fn setup(table: TableArgs) -> Result<(), Failure> {
    let operator = Operator::new(table).await?;
    let now = SystemClock.now();
    admin::ensure_key_mac_secret(&operator.store, operator.keys()?, operator.generation, now)
        .await?;
    eprintln!("credvault: the key-item MAC secret is in place");
    let store = operator.minting().await?;
    let upgrade = place_identities(&store, SystemClock.now()).await?;
    if upgrade != IdentityUpgrade::default() {
        eprintln!(
            "credvault: identities: {} placed in the default organisation, {} keys recorded by \
             their identity, {} items of deleted identities removed",
            upgrade.placed, upgrade.key_records, upgrade.purged
        );
    }
    let repair = repair_summaries(&operator.store).await?;
    if repair != SummaryRepair::default() {
        eprintln!(
            "credvault: list summaries: {} written, {} of deleted credentials removed, {} items \
             left as they are (malformed, misplaced, or written meanwhile: run setup again)",
            repair.written, repair.removed, repair.skipped
        );
    }
    Ok(())
}

/// A local stack: the table, a KMS key behind an alias, and the MAC secret.
pub async fn setup_local(table: TableArgs, kms_alias: String) -> Result<(), Failure> {
    // It creates KMS keys and tables: never in a real account by a pasted line.
    if std::env::var_os("AWS_ENDPOINT_URL").is_none_or(|endpoint| endpoint.is_empty()) {
        return Err(Failure::Local(
            "setup-local is for a local stack: set AWS_ENDPOINT_URL to it (moto); a deployed \
             stack is set up by `credvault setup`"
                .into(),
        ));
    }
    let generation = table.key_mac_generation;
    let name = table_name(&table)?;
    let aws = load_sdk_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), name);
    admin::ensure_table(&store).await?;
    let kms = aws_sdk_kms::Client::new(&aws);
    let key_arn = admin::ensure_kms_key(&kms, &kms_alias).await?;
    let keys = KmsKeyProvider::new(kms, &kms_alias);
    admin::ensure_key_mac_secret(&store, &keys, generation, SystemClock.now()).await?;
    print_json(&serde_json::json!({
        "table": store.table(), "kmsKeyArn": key_arn, "kmsAlias": kms_alias,
    }));
    Ok(())
}
