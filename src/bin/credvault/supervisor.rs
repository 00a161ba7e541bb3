//! `credvault supervisor`: an organisation's identities, managed over HTTPS with a platform
//! key (the verbs of the hosted product's CLI, with the same answers).

use crate::args::{PlatformArgs, SupervisorKeyVerb, SupervisorVerb};
use crate::client::ApiClient;
use crate::{Failure, print_json, show, table};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};

fn platform_client(api: PlatformArgs) -> Result<ApiClient, Failure> {
    let url = api.api_url.ok_or_else(|| {
        Failure::Local("no API URL: set CREDVAULT_API_URL or pass --api-url".into())
    })?;
    let key = api.platform_key.ok_or_else(|| {
        Failure::Local(
            "no platform key: set CREDVAULT_PLATFORM_KEY (or pass --platform-key)".into(),
        )
    })?;
    ApiClient::new(&url, SecretString::from(key)).map_err(Failure::Local)
}

/// `a, b` as the JSON list the API takes.
fn scope_list(raw: &str) -> Value {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Value::from)
        .collect()
}

const DETAIL: [(&str, &str); 7] = [
    ("Identity ID", "identityId"),
    ("Name", "name"),
    ("Scopes", "scopes"),
    ("API key", "apiKeyPrefix"),
    ("Usage", "usageCount"),
    ("Last used", "lastUsedAt"),
    ("Created", "createdAt"),
];

pub async fn run(api: PlatformArgs, verb: SupervisorVerb) -> Result<(), Failure> {
    let client = platform_client(api)?;
    match verb {
        SupervisorVerb::List {
            limit,
            page_token,
            json,
        } => {
            let mut query = vec![("limit", limit.to_string())];
            query.extend(page_token.map(|token| ("pageToken", token)));
            let page = client.platform(Method::GET, None, "", &query, None).await?;
            show(page, json, |page| {
                let columns = [
                    ("Identity ID", "identityId"),
                    ("Name", "name"),
                    ("Scopes", "scopes"),
                    ("Usage", "usageCount"),
                    ("Created", "createdAt"),
                ];
                let mut shown = table::list(page, "identities", &columns, "No identities found.");
                if let Some(token) = page.get("nextPageToken").and_then(Value::as_str) {
                    shown.push_str(&format!("\n\nMore: --page-token {token}"));
                }
                shown
            });
        }
        SupervisorVerb::Get { identity_id, json } => {
            let detail = client
                .platform(Method::GET, Some(&identity_id), "", &[], None)
                .await?;
            show(detail, json, |detail| table::fields(detail, &DETAIL));
        }
        SupervisorVerb::Create { name, scopes, json } => {
            let mut body = serde_json::Map::new();
            body.extend(name.map(|name| ("name".to_owned(), Value::from(name))));
            body.extend(scopes.map(|raw| ("scopes".to_owned(), scope_list(&raw))));
            let created = client
                .platform(Method::POST, None, "", &[], Some(Value::Object(body)))
                .await?;
            show(created, json, |created| {
                format!(
                    "Created identity {:?}\nIdentity ID: {}\nScopes: {}\nAPI key: {}\n\nCopy \
                     this key now: it is shown once.",
                    created
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    table::cell(created, "identityId"),
                    table::cell(created, "scopes"),
                    table::cell(created, "rawKey"),
                )
            });
        }
        SupervisorVerb::Rename { identity_id, name } => {
            let body = json!({ "name": name });
            let renamed = client
                .platform(Method::PATCH, Some(&identity_id), "", &[], Some(body))
                .await?;
            if let Some(renamed) = renamed {
                print_json(&renamed);
            }
        }
        SupervisorVerb::UpdateScopes {
            identity_id,
            add,
            remove,
            json,
        } => {
            let mut body = serde_json::Map::new();
            body.extend(add.map(|raw| ("addScopes".to_owned(), scope_list(&raw))));
            body.extend(remove.map(|raw| ("removeScopes".to_owned(), scope_list(&raw))));
            let updated = client
                .platform(
                    Method::PATCH,
                    Some(&identity_id),
                    "",
                    &[],
                    Some(Value::Object(body)),
                )
                .await?;
            show(updated, json, |updated| {
                format!("Scopes: {}", table::cell(updated, "scopes"))
            });
        }
        SupervisorVerb::RotateKey { identity_id, json } => {
            let rotated = client
                .platform(Method::POST, Some(&identity_id), "/rotate-key", &[], None)
                .await?;
            show(rotated, json, |rotated| {
                format!(
                    "New API key: {}\n\nCopy this key now: it is shown once. The old key no \
                     longer works.",
                    table::cell(rotated, "rawKey")
                )
            });
        }
        SupervisorVerb::Key { verb } => run_key(&client, verb).await?,
        SupervisorVerb::Delete { identity_id } => {
            client
                .platform(Method::DELETE, Some(&identity_id), "", &[], None)
                .await?;
            eprintln!("credvault: deleted identity {identity_id}");
        }
    }
    Ok(())
}

async fn run_key(client: &ApiClient, verb: SupervisorKeyVerb) -> Result<(), Failure> {
    match verb {
        SupervisorKeyVerb::Add {
            identity_id,
            scopes,
            limits,
            json,
        } => {
            let mut body = limits.to_json()?;
            body.extend(scopes.map(|raw| ("scopes".to_owned(), scope_list(&raw))));
            let added = client
                .platform(
                    Method::POST,
                    Some(&identity_id),
                    "/keys",
                    &[],
                    Some(Value::Object(body)),
                )
                .await?;
            show(added, json, |added| {
                format!(
                    "Key {} of {identity_id}\nScopes: {}\nAPI key: {}\n\nCopy this key now: it is \
                     shown once.",
                    table::cell(added, "keyId"),
                    table::cell(added, "scopes"),
                    table::cell(added, "rawKey"),
                )
            });
        }
        SupervisorKeyVerb::List { identity_id, json } => {
            let keys = client
                .platform(Method::GET, Some(&identity_id), "/keys", &[], None)
                .await?;
            show(keys, json, |keys| {
                let columns = [
                    ("Key ID", "keyId"),
                    ("Prefix", "apiKeyPrefix"),
                    ("Scopes", "scopes"),
                    ("Not after", "notAfter"),
                    ("Max uses", "maxUses"),
                    ("Created", "createdAt"),
                ];
                table::list(keys, "keys", &columns, "No live keys.")
            });
        }
        SupervisorKeyVerb::Revoke {
            identity_id,
            key_id,
        } => {
            let encoded =
                percent_encoding::utf8_percent_encode(&key_id, percent_encoding::NON_ALPHANUMERIC);
            let suffix = format!("/keys/{encoded}");
            client
                .platform(Method::DELETE, Some(&identity_id), &suffix, &[], None)
                .await?;
            eprintln!("credvault: revoked key {key_id} of {identity_id}");
        }
    }
    Ok(())
}
