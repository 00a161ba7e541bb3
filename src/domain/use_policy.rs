//! Where a credential may be sent: the destination policy a writer binds to it, without
//! which the vault never makes a request with it (brokered use).
//!
//! `{"hosts": ["api.stripe.com", "*.example.com", "127.0.0.1:8080"], "pathPrefixes":
//! ["/v1/"], "methods": ["GET", "POST"]}`: a host is exact, or `*.` for exactly one more
//! label; a host without a port allows 443 only. Without `pathPrefixes` any path is allowed,
//! without `methods` any of [`METHODS`]. The stored form is the canonical text of
//! [`UsePolicy::canonical`], bound into the credential's associated data.

use serde_json::{Map, Value};

/// The methods a brokered request may use.
pub const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
pub const MAX_POLICY_ENTRIES: usize = 32;
const MAX_HOST_LEN: usize = 253;
const MAX_PREFIX_LEN: usize = 512;
const DEFAULT_PORT: u16 = 443;

#[derive(Clone, Debug, PartialEq, Eq)]
enum HostRule {
    Exact(String),
    /// `*.suffix`: one label, then `suffix`.
    OneLabelUnder(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct HostEntry {
    rule: HostRule,
    port: u16,
}

/// A credential's destination policy, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsePolicy {
    hosts: Vec<HostEntry>,
    path_prefixes: Option<Vec<String>>,
    methods: Option<Vec<&'static str>>,
    /// The canonical text, made once.
    text: String,
}

/// Why a destination is not allowed: each names what the policy lacks, never the URL.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyRefusal {
    #[error("the host {0} is not in the credential's usePolicy")]
    Host(String),
    #[error("the method {0} is not in the credential's usePolicy")]
    Method(String),
    #[error("the URL's path is outside the credential's usePolicy pathPrefixes")]
    Path,
}

impl UsePolicy {
    /// Parses the `usePolicy` field of a store request; the message names the field only.
    pub fn parse(value: &Value) -> Result<Self, String> {
        let object = value
            .as_object()
            .ok_or("Field `usePolicy` must be an object")?;
        // An unknown key is never quoted: it may be anything pasted.
        if object
            .keys()
            .any(|k| !["hosts", "pathPrefixes", "methods"].contains(&k.as_str()))
        {
            return Err("Field `usePolicy` takes hosts, pathPrefixes and methods only".into());
        }
        let hosts = strings(object, "hosts")?
            .ok_or("Field `usePolicy.hosts` is required")?
            .into_iter()
            .map(parse_host)
            .collect::<Result<Vec<_>, _>>()?;
        let path_prefixes = strings(object, "pathPrefixes")?
            .map(|prefixes| prefixes.into_iter().map(parse_prefix).collect())
            .transpose()?;
        let methods = strings(object, "methods")?
            .map(|methods| methods.into_iter().map(parse_method).collect())
            .transpose()?;
        let mut policy = Self {
            hosts,
            path_prefixes,
            methods,
            text: String::new(),
        };
        policy.text = policy.to_value().to_string();
        Ok(policy)
    }

    /// Reads the canonical text this vault stored.
    pub fn from_stored(text: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(text).ok()?;
        let policy = Self::parse(&value).ok()?;
        (policy.canonical() == text).then_some(policy)
    }

    /// The policy as one compact JSON text, fields in a fixed order: what is stored and bound.
    pub fn canonical(&self) -> &str {
        &self.text
    }

    /// The policy as the API shows it.
    pub fn to_value(&self) -> Value {
        let mut object = Map::new();
        let hosts = self
            .hosts
            .iter()
            .map(|h| Value::String(h.to_string()))
            .collect();
        object.insert("hosts".into(), Value::Array(hosts));
        if let Some(prefixes) = &self.path_prefixes {
            let prefixes = prefixes.iter().cloned().map(Value::String).collect();
            object.insert("pathPrefixes".into(), Value::Array(prefixes));
        }
        if let Some(methods) = &self.methods {
            let methods = methods.iter().map(|m| Value::from(*m)).collect();
            object.insert("methods".into(), Value::Array(methods));
        }
        Value::Object(object)
    }

    /// Whether a request of `method` to `host`:`port` at `path` may carry the credential.
    /// `host` is as the URL parser gave it (lowercase; an IPv6 literal in brackets).
    pub fn permits(
        &self,
        method: &str,
        host: &str,
        port: u16,
        path: &str,
    ) -> Result<(), PolicyRefusal> {
        self.permits_destination(method, host, port)?;
        self.permits_path(path)
    }

    /// The method and where it goes, checked before any value is filled in.
    pub fn permits_destination(
        &self,
        method: &str,
        host: &str,
        port: u16,
    ) -> Result<(), PolicyRefusal> {
        if !self.hosts.iter().any(|entry| entry.matches(host, port)) {
            let shown = if port == DEFAULT_PORT {
                host.to_owned()
            } else {
                format!("{host}:{port}")
            };
            return Err(PolicyRefusal::Host(shown));
        }
        if let Some(methods) = &self.methods
            && !methods.contains(&method)
        {
            return Err(PolicyRefusal::Method(method.to_owned()));
        }
        Ok(())
    }

    /// The filled URL's path, against `pathPrefixes`.
    pub fn permits_path(&self, path: &str) -> Result<(), PolicyRefusal> {
        match &self.path_prefixes {
            Some(prefixes)
                if !(prefixes.iter().any(|p| path.starts_with(p.as_str())) && plain_path(path)) =>
            {
                Err(PolicyRefusal::Path)
            }
            _ => Ok(()),
        }
    }
}

/// A path an upstream cannot decode its way out of a prefix with: no `\\` or `;` (`..;`
/// reads as `..` to some servers), and a `%` only as `%XX` of a byte that is neither a dot,
/// a slash, a backslash, a percent, a `;`, a control character nor above ASCII
/// (`/v1/%2e%2e/admin`, `/v1/%252e/`, `/v1/%c0%ae/`, `/v1/%u002e/` are all refused).
fn plain_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' | b';' => return false,
            b'%' => {
                let decoded = bytes
                    .get(at + 1..at + 3)
                    .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok());
                match decoded {
                    Some(b) if (b.is_ascii_graphic() || b == b' ') && !b"./\\%;".contains(&b) => {
                        at += 3
                    }
                    _ => return false,
                }
            }
            _ => at += 1,
        }
    }
    true
}

/// The method, if it is one a brokered request may use (case-insensitive).
pub fn brokered_method(raw: &str) -> Option<&'static str> {
    METHODS.into_iter().find(|m| m.eq_ignore_ascii_case(raw))
}

fn strings(object: &Map<String, Value>, field: &str) -> Result<Option<Vec<String>>, String> {
    let wrong = || format!("Field `usePolicy.{field}` must be an array of strings");
    let Some(value) = object.get(field) else {
        return Ok(None);
    };
    let items = value.as_array().ok_or_else(wrong)?;
    // An empty list would allow nothing: say so rather than store a policy that never works.
    if items.is_empty() {
        return Err(format!(
            "Field `usePolicy.{field}` must hold at least one entry (leave it out to allow any)"
        ));
    }
    if items.len() > MAX_POLICY_ENTRIES {
        return Err(format!(
            "Field `usePolicy.{field}` has more than {MAX_POLICY_ENTRIES} entries"
        ));
    }
    items
        .iter()
        .map(|item| item.as_str().map(str::to_owned).ok_or_else(wrong))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn parse_method(raw: String) -> Result<&'static str, String> {
    brokered_method(&raw)
        .ok_or_else(|| format!("`usePolicy.methods` may hold: {}", METHODS.join(", ")))
}

fn parse_prefix(raw: String) -> Result<String, String> {
    let valid = raw.starts_with('/')
        && raw.len() <= MAX_PREFIX_LEN
        && raw
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#')
        && !raw
            .split('/')
            .any(|segment| segment == "." || segment == "..")
        && plain_path(&raw);
    if valid {
        Ok(raw)
    } else {
        Err(format!(
            "Each of `usePolicy.pathPrefixes` must start with `/`, be at most {MAX_PREFIX_LEN} \
             characters of a URL path, and hold no `.` or `..` segment or encoded `.`, `/`, `\\`"
        ))
    }
}

fn host_error() -> String {
    "Each of `usePolicy.hosts` must be a host name (`api.example.com`), `*.` and a name of two \
     or more labels, or an IP address, optionally with `:port`"
        .into()
}

fn parse_host(raw: String) -> Result<HostEntry, String> {
    let lower = raw.to_ascii_lowercase();
    let (host, port) = split_port(&lower).ok_or_else(host_error)?;
    if host.len() > MAX_HOST_LEN {
        return Err(host_error());
    }
    let rule = if let Some(suffix) = host.strip_prefix("*.") {
        if !is_domain(suffix) || !suffix.contains('.') {
            return Err(host_error());
        }
        HostRule::OneLabelUnder(suffix.to_owned())
    } else if is_domain(host) {
        HostRule::Exact(host.to_owned())
    } else if let Some(ip) = ip_literal(host) {
        // As the URL parser writes it (`[::1]`, not `[0:0::1]`), so that the two compare.
        HostRule::Exact(ip)
    } else {
        return Err(host_error());
    };
    Ok(HostEntry { rule, port })
}

/// `host[:port]`, where an IPv6 host is in brackets.
fn split_port(raw: &str) -> Option<(&str, u16)> {
    let port_at = match raw.strip_prefix('[') {
        Some(rest) => rest.find(']').map(|end| end + 2)?,
        None => raw.find(':').unwrap_or(raw.len()),
    };
    let (host, rest) = raw.split_at(port_at.min(raw.len()));
    match rest.strip_prefix(':') {
        None if rest.is_empty() => Some((host, DEFAULT_PORT)),
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            port.parse().ok().filter(|p| *p != 0).map(|p| (host, p))
        }
        _ => None,
    }
}

fn is_domain(host: &str) -> bool {
    !host.is_empty()
        && host.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
        // The last label of a name is not all digits; such a host is an address.
        && !host.rsplit('.').next().is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
}

/// An IP address host in its canonical text, if it is one.
fn ip_literal(host: &str) -> Option<String> {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|ip| format!("[{ip}]")),
        None => host
            .parse::<std::net::Ipv4Addr>()
            .ok()
            .map(|ip| ip.to_string()),
    }
}

impl HostEntry {
    fn matches(&self, host: &str, port: u16) -> bool {
        port == self.port
            && match &self.rule {
                HostRule::Exact(exact) => exact == host,
                HostRule::OneLabelUnder(suffix) => host
                    .strip_suffix(suffix.as_str())
                    .and_then(|label| label.strip_suffix('.'))
                    .is_some_and(|label| !label.is_empty() && !label.contains('.')),
            }
    }
}

impl std::fmt::Display for HostEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.rule {
            HostRule::Exact(host) => f.write_str(host)?,
            HostRule::OneLabelUnder(suffix) => write!(f, "*.{suffix}")?,
        }
        if self.port != DEFAULT_PORT {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "use_policy_tests.rs"]
mod tests;
