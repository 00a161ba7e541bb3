//! The operator's verbs: they work on the table (and KMS) over the AWS SDK with the caller's
//! own AWS credentials, against real AWS and `make dev`'s moto alike.

use crate::args::{IdentityVerb, KeyVerb, TableArgs};
use crate::{Failure, print_json};
use credvault::admin::{self, AdminError};
use credvault::auth::{ApiKey, IdentityId, KeyMac};
use credvault::crypto::KmsKeyProvider;
use credvault::dependency::load_sdk_config;
use credvault::store::DynamoStore;

struct Operator {
    store: DynamoStore,
    keys: KmsKeyProvider,
    kms_key: String,
    generation: u32,
}

impl Operator {
    async fn new(table: TableArgs) -> Self {
        let aws = load_sdk_config().await;
        Self {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table.table),
            keys: KmsKeyProvider::new(aws_sdk_kms::Client::new(&aws), &table.kms_key),
            kms_key: table.kms_key,
            generation: table.key_mac_generation,
        }
    }

    /// The key-item MAC: only an operator who may unwrap it can mint working keys.
    async fn key_mac(&self) -> Result<KeyMac, Failure> {
        Ok(
            admin::load_key_mac(&self.store, &self.keys, &self.kms_key, self.generation)
                .await
                .map_err(AdminError::from)?,
        )
    }
}

fn identity_id(raw: &str) -> Result<IdentityId, Failure> {
    IdentityId::parse(raw).ok_or_else(|| Failure::Local(format!("not an identity id: {raw}")))
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
    let operator = Operator::new(table).await;
    let store = &operator.store;
    match verb {
        IdentityVerb::Create {
            name,
            scopes,
            with_key,
        } => {
            let scopes = admin::parse_scopes(&scopes)?;
            let mac = operator.key_mac().await?;
            let created =
                admin::create_identity(store, &mac, &name, &scopes, pinned(with_key)?).await?;
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
            let identities = admin::list_identities(store)
                .await
                .map_err(AdminError::from)?;
            print_json(&serde_json::to_value(identities).unwrap_or_default());
        }
        IdentityVerb::Revoke { identity_id: raw } => {
            let revoked = admin::revoke_identity(store, &identity_id(&raw)?)
                .await
                .map_err(AdminError::from)?;
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
    let store = &operator.store;
    match verb {
        KeyVerb::Add {
            identity_id: raw,
            scopes,
            with_key,
        } => {
            let scopes = admin::parse_scopes(&scopes)?;
            let mac = operator.key_mac().await?;
            let identity = identity_id(&raw)?;
            let key = admin::add_key(store, &mac, &identity, &scopes, pinned(with_key)?)
                .await
                .map_err(AdminError::from)?;
            let keys = admin::list_keys(store, &identity)
                .await
                .map_err(AdminError::from)?;
            let key_id = keys
                .iter()
                .map(|k| k.key_id.clone())
                .find(|id| key.hash().as_str().starts_with(id.as_str()))
                .unwrap_or_default();
            print_json(&serde_json::json!({
                "identityId": raw, "keyId": key_id, "apiKey": key.expose(),
            }));
            shown_once();
        }
        KeyVerb::List { identity_id: raw } => {
            let keys = admin::list_keys(store, &identity_id(&raw)?)
                .await
                .map_err(AdminError::from)?;
            print_json(&serde_json::to_value(keys).unwrap_or_default());
        }
        KeyVerb::Revoke {
            identity_id: raw,
            key_id,
        } => {
            let revoked = admin::revoke_key(store, &identity_id(&raw)?, &key_id)
                .await
                .map_err(AdminError::from)?;
            if !revoked {
                return Err(Failure::Local(format!("{raw} has no key {key_id}")));
            }
            eprintln!("credvault: revoked key {key_id} of {raw}; its other keys still work");
        }
    }
    Ok(())
}

/// A deployed stack's setup, run after the first deploy and after each upgrade: the key-item
/// MAC secret (table and key come from the template), and every credential's list summary
/// brought in line with it.
pub async fn setup(table: TableArgs) -> Result<(), Failure> {
    let operator = Operator::new(table).await;
    admin::ensure_key_mac_secret(&operator.store, &operator.keys, operator.generation)
        .await
        .map_err(AdminError::from)?;
    eprintln!("credvault: the key-item MAC secret is in place");
    let repair = admin::repair_summaries(&operator.store)
        .await
        .map_err(AdminError::from)?;
    if repair != admin::SummaryRepair::default() {
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
    let generation = table.key_mac_generation;
    let aws = load_sdk_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table.table);
    admin::ensure_table(&store)
        .await
        .map_err(AdminError::from)?;
    let kms = aws_sdk_kms::Client::new(&aws);
    let key_arn = admin::ensure_kms_key(&kms, &kms_alias)
        .await
        .map_err(AdminError::from)?;
    let keys = KmsKeyProvider::new(kms, &kms_alias);
    admin::ensure_key_mac_secret(&store, &keys, generation)
        .await
        .map_err(AdminError::from)?;
    print_json(&serde_json::json!({
        "table": store.table(), "kmsKeyArn": key_arn, "kmsAlias": kms_alias,
    }));
    Ok(())
}
