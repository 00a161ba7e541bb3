//! A real moto server per test, on a free loopback port, killed when dropped; and a vault
//! wired to it through the same SDK clients production uses.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kms::config::Credentials;
use credvault::admin;
use credvault::auth::{ApiKey, KeyMac};
use credvault::clock::{Clock, SystemClock};
use credvault::config::Config;
use credvault::crypto::{CachingKeyProvider, KmsKeyProvider};
use credvault::domain::{IdentityId, KeyLimits, OrgId, Scope, Subject};
use credvault::startup::{self, AwsClients, FunctionVault};
use credvault::store::DynamoStore;
use credvault::testing::{AwsCalls, TestClient};
use credvault::vault::{Identities, NewIdentity};

pub type Item = std::collections::HashMap<String, AttributeValue>;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

/// `MOTO_SERVER`, else the project venv's (what `make test` installs), else `PATH`'s.
/// moto server as `make dev` runs it (`scripts/moto_server.py`: writes atomic as in DynamoDB),
/// with the project's venv; `MOTO_SERVER` names another.
fn moto_command() -> Command {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return Command::new(path);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    let mut command = Command::new(if python.exists() {
        python
    } else {
        "python3".into()
    });
    command.arg(root.join("scripts/moto_server.py"));
    command
}

pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("an address").port()
}

impl Moto {
    pub fn start() -> Self {
        let port = free_port();
        let child = moto_command()
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start moto_server ({e}); run `make test`, which installs it")
            });
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    pub async fn sdk_config(&self) -> SdkConfig {
        sdk_config_for(&self.endpoint).await
    }
}

/// The SDK configured as `make dev` configures it through the environment.
pub async fn sdk_config_for(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub const TABLE: &str = "credvault-test";
pub const KMS_ALIAS: &str = "alias/credvault-test";

/// A table, a KMS key and two identities in a fresh moto, and a vault on them.
pub struct Stack {
    /// Held for its `Drop`: the server lives as long as the stack.
    _moto: Moto,
    pub aws: SdkConfig,
    pub store: DynamoStore,
    pub kms: aws_sdk_kms::Client,
    /// The function's vault, wired by `startup::build` with the rate limit and the caches
    /// off (tests that need them build their own).
    pub vault: FunctionVault,
    pub identity: IdentityId,
    pub write_key: ApiKey,
    pub read_key: ApiKey,
    /// Every AWS call the stack's clients make.
    pub calls: AwsCalls,
    /// The key-item MAC, as an operator holds it.
    pub mac: Arc<KeyMac>,
}

/// The function's configuration against this stack: `vars` over the defaults, with the rate
/// limit and the caches off unless `vars` turns them on.
pub fn config(vars: &[(&str, &str)]) -> Config {
    let mut all = vec![
        ("TABLE_NAME", TABLE),
        ("KMS_KEY_ID", KMS_ALIAS),
        ("RATE_LIMIT_PER_MINUTE", "0"),
        ("PRINCIPAL_CACHE_SECONDS", "0"),
        ("DATA_KEY_CACHE_SECONDS", "0"),
    ];
    all.extend_from_slice(vars);
    Config::from_lookup(|name| {
        all.iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("a valid configuration")
}

impl Stack {
    /// On the heap: a debug build's wiring future is large, and test threads' stacks small.
    pub async fn start() -> Self {
        Box::pin(Self::wire()).await
    }

    async fn wire() -> Self {
        let moto = Moto::start();
        let aws = moto.sdk_config().await;
        let calls = AwsCalls::default();
        let dynamodb = aws_sdk_dynamodb::config::Builder::from(&aws)
            .interceptor(calls.clone())
            .build();
        let dynamodb = aws_sdk_dynamodb::Client::from_conf(dynamodb);
        let store = DynamoStore::new(dynamodb.clone(), TABLE);
        admin::ensure_table(&store).await.expect("table");
        let kms = aws_sdk_kms::config::Builder::from(&aws)
            .interceptor(calls.clone())
            .build();
        let kms = aws_sdk_kms::Client::from_conf(kms);
        admin::ensure_kms_key(&kms, KMS_ALIAS)
            .await
            .expect("kms key");
        let keys = KmsKeyProvider::new(kms.clone(), KMS_ALIAS);
        admin::ensure_key_mac_secret(&store, &keys, 1, SystemClock.now())
            .await
            .expect("key-MAC secret");
        let mac = Arc::new(
            startup::unwrap_key_mac(&store, &keys, 1)
                .await
                .expect("key MAC"),
        );
        let store = store.with_key_mac(Arc::clone(&mac));
        let identities = Identities::new(&store, &SystemClock);
        let writer = identities
            .create("writer", &Scope::ALL, None)
            .await
            .expect("identity");
        let reader = identities
            .create("reader", &[Scope::VaultRead], None)
            .await
            .expect("identity");
        let clients = AwsClients {
            dynamodb,
            kms: kms.clone(),
        };
        let vault = startup::build(&config(&[]), clients)
            .await
            .expect("the function's wiring")
            .vault;
        Self {
            _moto: moto,
            aws,
            store,
            kms,
            vault,
            identity: writer.identity,
            write_key: writer.api_key,
            read_key: reader.api_key,
            calls,
            mac,
        }
    }

    /// The AWS clients of this stack, counted like the stack's own.
    pub fn clients(&self) -> AwsClients {
        AwsClients {
            dynamodb: self.store.client().clone(),
            kms: self.kms.clone(),
        }
    }

    /// The stack's identity as the log and the counters key it.
    pub fn subject(&self) -> Subject {
        Subject::Identity(self.identity.clone())
    }

    /// The identity use cases on this stack's table, as an operator runs them.
    pub fn identities(&self) -> Identities<'_, DynamoStore> {
        Identities::new(&self.store, &SystemClock)
    }

    /// A platform key of `org` holding both scopes, as an operator mints it.
    pub async fn platform_key(&self, org: &str) -> ApiKey {
        let org = OrgId::parse(org).expect("an organisation id");
        let (_, key) = self
            .identities()
            .create_platform_key(Some(org), &Scope::ALL, KeyLimits::default(), None)
            .await
            .expect("platform key");
        key
    }

    /// Another identity with both scopes, for isolation tests.
    pub async fn other_identity(&self) -> NewIdentity {
        self.identities()
            .create("other", &Scope::ALL, None)
            .await
            .expect("identity")
    }

    /// A client sending through the handler as the writer.
    pub fn writer(&self) -> TestClient<'_, DynamoStore, CachingKeyProvider<KmsKeyProvider>> {
        TestClient::new(&self.vault).with_key(self.write_key.expose())
    }

    /// One item of the table, raw, by its keys: what a table reader sees.
    pub async fn item(&self, (pk, sk): (String, String)) -> Option<Item> {
        self.store
            .client()
            .get_item()
            .table_name(TABLE)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk))
            .send()
            .await
            .expect("GetItem")
            .item
    }

    /// Deletes an item by its keys, bypassing the vault: what a table writer can do.
    pub async fn delete_raw(&self, (pk, sk): (String, String)) {
        self.store
            .client()
            .delete_item()
            .table_name(TABLE)
            .key("pk", AttributeValue::S(pk))
            .key("sk", AttributeValue::S(sk))
            .send()
            .await
            .expect("DeleteItem");
    }

    /// Writes an item as is, bypassing the vault: what a table writer can do.
    pub async fn put_raw(&self, item: Item) {
        self.store
            .client()
            .put_item()
            .table_name(TABLE)
            .set_item(Some(item))
            .send()
            .await
            .expect("PutItem");
    }

    /// Every item of the table, raw.
    pub async fn scan(
        &self,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let pages = self
            .store
            .client()
            .scan()
            .table_name(TABLE)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await;
        pages.expect("scan")
    }
}
