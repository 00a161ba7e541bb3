//! The vault API over HTTPS, as the CLI uses it.

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::time::Duration;
use zeroize::Zeroizing;

/// How a call ended, in the terms the exit code reports.
#[derive(Debug)]
pub enum CallError {
    /// The API answered 4xx or 5xx; the message is its own.
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// No answer: connection refused, DNS, TLS, timeout.
    Network(String),
}

pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    key: SecretString,
}

/// Name segments are percent-encoded; the API decodes them before checking the name.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

impl ApiClient {
    pub fn new(base: &str, key: SecretString) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("credvault-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
        })
    }

    fn url(&self, name: Option<&str>, suffix: &str) -> String {
        match name {
            None => format!("{}/v0/vault{suffix}", self.base),
            Some(name) => {
                let name = percent_encoding::utf8_percent_encode(name, SEGMENT);
                format!("{}/v0/vault/{name}{suffix}", self.base)
            }
        }
    }

    /// Sends one request; `Ok(None)` for 204.
    async fn send(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<Zeroizing<Vec<u8>>>,
    ) -> Result<Option<Value>, CallError> {
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(self.key.expose_secret());
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_vec());
        }
        let response = request.send().await.map_err(network_failure)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(network_failure)?;
        if status == 204 {
            return Ok(None);
        }
        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(Some(json));
        }
        let field = |name: &str| json.get(name).and_then(Value::as_str).map(str::to_owned);
        Err(CallError::Api {
            status,
            code: field("error").unwrap_or_else(|| "unknown_error".into()),
            message: field("message").unwrap_or_else(|| format!("HTTP {status}")),
        })
    }

    pub async fn store(
        &self,
        name: &str,
        kind: &str,
        data: &str,
        metadata: Option<&str>,
        expires_at: Option<String>,
    ) -> Result<Option<Value>, CallError> {
        // `data` and `metadata` go as the caller wrote them (checked JSON objects), so
        // numbers are not rounded on the way; the body holds the secret, in a wiped buffer.
        let kind = Value::from(kind).to_string();
        let metadata = metadata.unwrap_or("null");
        let expires_at = Value::from(expires_at).to_string();
        let mut body = Zeroizing::new(Vec::with_capacity(
            data.len() + metadata.len() + kind.len() + expires_at.len() + 48,
        ));
        for part in [
            r#"{"type":"#,
            &kind,
            r#","data":"#,
            data,
            r#","metadata":"#,
            metadata,
            r#","expiresAt":"#,
            &expires_at,
            "}",
        ] {
            body.extend_from_slice(part.as_bytes());
        }
        self.send(reqwest::Method::PUT, self.url(Some(name), ""), Some(body))
            .await
    }

    pub async fn get(&self, name: &str) -> Result<Option<Value>, CallError> {
        self.send(reqwest::Method::GET, self.url(Some(name), ""), None)
            .await
    }

    pub async fn list(&self) -> Result<Option<Value>, CallError> {
        self.send(reqwest::Method::GET, self.url(None, ""), None)
            .await
    }

    pub async fn delete(&self, name: &str) -> Result<Option<Value>, CallError> {
        self.send(reqwest::Method::DELETE, self.url(Some(name), ""), None)
            .await
    }

    pub async fn totp(&self, name: &str) -> Result<Option<Value>, CallError> {
        self.send(reqwest::Method::GET, self.url(Some(name), "/totp"), None)
            .await
    }

    pub async fn use_backup_code(&self, name: &str) -> Result<Option<Value>, CallError> {
        self.send(
            reqwest::Method::POST,
            self.url(Some(name), "/totp/backup"),
            None,
        )
        .await
    }

    pub async fn whoami(&self) -> Result<Option<Value>, CallError> {
        let url = format!("{}/v0/whoami", self.base);
        self.send(reqwest::Method::GET, url, None).await
    }

    /// `GET /v0/logs` with the given query parameters (already validated by the API).
    pub async fn logs(&self, query: &[(&str, String)]) -> Result<Option<Value>, CallError> {
        let mut url = format!("{}/v0/logs", self.base);
        let pairs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(v, SEGMENT)))
            .collect();
        if !pairs.is_empty() {
            url = format!("{url}?{}", pairs.join("&"));
        }
        self.send(reqwest::Method::GET, url, None).await
    }

    /// A call to `/v0/platform/identities`, under the identity `id` if given, with a JSON
    /// body (never a secret: names, scopes, and the page token in `query`).
    pub async fn platform(
        &self,
        method: reqwest::Method,
        id: Option<&str>,
        suffix: &str,
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Result<Option<Value>, CallError> {
        let mut url = format!("{}/v0/platform/identities", self.base);
        if let Some(id) = id {
            let id = percent_encoding::utf8_percent_encode(id, SEGMENT);
            url = format!("{url}/{id}{suffix}");
        }
        let pairs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(v, SEGMENT)))
            .collect();
        if !pairs.is_empty() {
            url = format!("{url}?{}", pairs.join("&"));
        }
        let body = body.map(|body| Zeroizing::new(body.to_string().into_bytes()));
        self.send(method, url, body).await
    }

    pub async fn log_stats(&self) -> Result<Option<Value>, CallError> {
        let url = format!("{}/v0/logs/stats", self.base);
        self.send(reqwest::Method::GET, url, None).await
    }
}

/// The error chain of a failed request, without the URL (the user knows it; the message
/// stays short).
fn network_failure(err: reqwest::Error) -> CallError {
    let err = err.without_url();
    let mut reason = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        reason = format!("{reason}: {cause}");
        source = cause.source();
    }
    CallError::Network(reason)
}
