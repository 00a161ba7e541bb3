//! The outbound port of brokered use: one HTTP exchange with an upstream, made only toward
//! an address the [`guard`] allows, never following a redirect, cut at a size and a
//! deadline. [`HttpsEgress`] is the adapter (reqwest on rustls); tests plug in their own.
//!
//! What crosses this port carries secrets (the filled URL, headers and body): [`Outbound`]
//! prints none of it, and no error here quotes a URL.

pub mod guard;
mod https;

pub use guard::{AddressPolicy, BoxFuture, GuardRefusal, GuardedResolver, Lookup, SystemLookup};
pub use https::HttpsEgress;

use reqwest::Url;
use tokio::time::Instant;
use zeroize::Zeroizing;

/// A filled request, ready to go.
pub struct Outbound {
    pub method: &'static str,
    /// May hold a substituted value in its path or query.
    pub url: Url,
    pub headers: Vec<(String, Zeroizing<Vec<u8>>)>,
    pub body: Option<Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("method", &self.method)
            .field("host", &self.url.host_str())
            .finish_non_exhaustive()
    }
}

/// What the upstream answered, its body read up to the limit asked for: unscrubbed, so its
/// `Debug` shows the status and sizes only.
pub struct Inbound {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    /// The body went on past the limit.
    pub truncated: bool,
}

impl std::fmt::Debug for Inbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbound")
            .field("status", &self.status)
            .field("headers", &self.headers.len())
            .field("body", &self.body.len())
            .field("truncated", &self.truncated)
            .finish()
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    /// Not sent: the destination is not one the vault calls.
    #[error("{0}")]
    Refused(String),
    /// Sent, or tried, and failed: what failed, never the URL.
    #[error("{0}")]
    Failed(&'static str),
    #[error("the upstream did not answer in time")]
    TimedOut,
}

/// One exchange with an upstream.
pub trait Egress: Send + Sync {
    /// Sends `request` and reads the answer's body up to `body_limit` bytes, all by
    /// `deadline`.
    fn send(
        &self,
        request: Outbound,
        body_limit: usize,
        deadline: Instant,
    ) -> BoxFuture<'_, Result<Inbound, EgressError>>;
}

/// No outbound requests: the vault built without an egress (unit tests, tools).
pub struct NoEgress;

impl Egress for NoEgress {
    fn send(
        &self,
        _: Outbound,
        _: usize,
        _: Instant,
    ) -> BoxFuture<'_, Result<Inbound, EgressError>> {
        Box::pin(async {
            Err(EgressError::Refused(
                "brokered requests are not enabled here".into(),
            ))
        })
    }
}

/// Where a filled URL goes, as the policy is checked against it. Its path may hold a
/// substituted value: `Debug` leaves it out.
#[derive(PartialEq, Eq)]
pub struct Destination {
    pub https: bool,
    /// Lowercase; an IPv6 literal in brackets.
    pub host: String,
    pub port: u16,
    pub path: String,
}

/// Parses a filled URL; the message never quotes it (it may hold a secret).
pub fn parse_url(filled: &[u8]) -> Result<(Url, Destination), String> {
    let text = std::str::from_utf8(filled).map_err(|_| "the URL is not valid text".to_owned())?;
    let url = Url::parse(text).map_err(|e| format!("the URL is not valid: {e}"))?;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return Err("the URL must be https".into()),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the URL must not carry a user or password; use a header".into());
    }
    let host = match url.host() {
        Some(url::Host::Domain(domain)) => domain.to_owned(),
        Some(url::Host::Ipv4(v4)) => v4.to_string(),
        Some(url::Host::Ipv6(v6)) => format!("[{v6}]"),
        None => return Err("the URL has no host".into()),
    };
    let port = url
        .port_or_known_default()
        .ok_or_else(|| "the URL has no port".to_owned())?;
    let path = url.path().to_owned();
    Ok((
        url,
        Destination {
            https,
            host,
            port,
            path,
        },
    ))
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination")
            .field("https", &self.https)
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}
