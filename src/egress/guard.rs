//! Which addresses a brokered request may reach: public unicast only, checked on every
//! address a name resolves to, before anything is dialled. The exceptions are the loopback
//! `ip:port` pairs of `BROKER_TEST_UPSTREAMS` (a test's local upstream), which never include
//! the Lambda Runtime API's own address.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

/// A boxed future, so that the ports stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Name resolution: the system's in the function, a stub in tests.
pub trait Lookup: Send + Sync {
    fn lookup(&self, host: String) -> BoxFuture<'_, std::io::Result<Vec<IpAddr>>>;
}

/// The system resolver (`getaddrinfo` on a blocking thread).
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: String) -> BoxFuture<'_, std::io::Result<Vec<IpAddr>>> {
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(found.map(|addr| addr.ip()).collect())
        })
    }
}

/// Where the guard makes exceptions, read once at start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    test_upstreams: Vec<SocketAddr>,
    runtime_api: Option<SocketAddr>,
}

impl AddressPolicy {
    /// `test_upstreams`: `BROKER_TEST_UPSTREAMS`, comma-separated loopback `ip:port` pairs;
    /// `runtime_api`: `AWS_LAMBDA_RUNTIME_API`. An entry that is not a loopback address and
    /// port, or that is the Runtime API's, is refused: the function must not start.
    pub fn new(test_upstreams: Option<&str>, runtime_api: Option<&str>) -> Result<Self, String> {
        let runtime_api = runtime_api.and_then(|raw| raw.trim().parse::<SocketAddr>().ok());
        let mut upstreams = Vec::new();
        for entry in test_upstreams
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let addr: SocketAddr = entry
                .parse()
                .map_err(|_| format!("BROKER_TEST_UPSTREAMS: `{entry}` is not an ip:port pair"))?;
            if !addr.ip().is_loopback() || addr.port() == 0 {
                return Err(format!(
                    "BROKER_TEST_UPSTREAMS: `{entry}` is not a loopback address and port; only a \
                     test's local upstream may be listed"
                ));
            }
            if Some(addr) == runtime_api {
                return Err(format!(
                    "BROKER_TEST_UPSTREAMS: `{entry}` is the Lambda Runtime API's address"
                ));
            }
            upstreams.push(addr);
        }
        Ok(Self {
            test_upstreams: upstreams,
            runtime_api,
        })
    }

    /// A listed test upstream: reachable, over plain HTTP too.
    pub fn is_test_upstream(&self, addr: SocketAddr) -> bool {
        Some(addr) != self.runtime_api && self.test_upstreams.contains(&addr)
    }

    /// Whether `ip` (dialled on `port`) may be reached at all.
    pub fn allows(&self, addr: SocketAddr) -> bool {
        let runtime = self.runtime_api.is_some_and(|api| {
            api.ip() == addr.ip() && (api.port() == addr.port() || !api.ip().is_loopback())
        });
        !runtime && (is_public(addr.ip()) || self.is_test_upstream(addr))
    }
}

/// Public unicast: not loopback, private, link-local (the instance metadata service at
/// 169.254.169.254 and `fd00:ec2::254` among them), unique-local, CGNAT, unspecified,
/// multicast, broadcast, documentation, benchmarking or reserved. IPv6 is allowed in the
/// global unicast block only, and an IPv6 form of an IPv4 address never.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], bits: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    const REFUSED: [([u8; 4], u32); 16] = [
        ([0, 0, 0, 0], 8),       // "this network", unspecified
        ([10, 0, 0, 0], 8),      // private
        ([100, 64, 0, 0], 10),   // CGNAT
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local, instance metadata
        ([172, 16, 0, 0], 12),   // private
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // documentation
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast
        ([192, 168, 0, 0], 16),  // private
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // documentation
        ([203, 0, 113, 0], 24),  // documentation
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved, broadcast
        ([255, 255, 255, 255], 32),
    ];
    !REFUSED.iter().any(|(net, bits)| in_v4(ip, *net, *bits))
}

fn in_v6(ip: Ipv6Addr, net: u128, bits: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    const REFUSED: [(u128, u32); 4] = [
        (0x2001_0000 << 96, 23), // IETF protocol assignments: Teredo, benchmarking, ORCHID
        (0x2001_0db8 << 96, 32), // documentation
        (0x2002 << 112, 16),     // 6to4: an IPv4 address inside
        (0x3fff << 112, 20),     // documentation
    ];
    // Global unicast is 2000::/3; everything else (loopback, unspecified, IPv4-mapped and
    // -compatible, NAT64, link-local, unique-local with fd00:ec2::254, multicast) is not.
    in_v6(ip, 0x2000 << 112, 3) && !REFUSED.iter().any(|(net, bits)| in_v6(ip, *net, *bits))
}

/// Why the guard refused a destination: what kind of address, never which.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GuardRefusal {
    #[error(
        "the host resolves to an address the vault does not call (loopback, private, \
         link-local, metadata or another non-public address)"
    )]
    NotPublic,
    #[error("the host did not resolve")]
    Unresolved,
}

/// The guard as the HTTP client's resolver: each name looked up once, and every address it
/// resolves to checked; one refused address refuses the name. What it returns is exactly
/// what the client dials, so no second lookup can rebind the name.
pub struct GuardedResolver {
    pub lookup: Arc<dyn Lookup>,
    pub policy: Arc<AddressPolicy>,
}

impl GuardedResolver {
    /// The checked addresses of `host` (port 0: the client dials the URL's port).
    pub async fn resolve_checked(&self, host: &str) -> Result<Vec<SocketAddr>, GuardRefusal> {
        let found = self
            .lookup
            .lookup(host.to_owned())
            .await
            .map_err(|_| GuardRefusal::Unresolved)?;
        if found.is_empty() {
            return Err(GuardRefusal::Unresolved);
        }
        // A name is never a test upstream: those are listed as addresses.
        if found
            .iter()
            .any(|ip| !self.policy.allows(SocketAddr::new(*ip, 0)) || !is_public(*ip))
        {
            return Err(GuardRefusal::NotPublic);
        }
        Ok(found.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect())
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let this = GuardedResolver {
            lookup: Arc::clone(&self.lookup),
            policy: Arc::clone(&self.policy),
        };
        Box::pin(async move {
            match this.resolve_checked(name.as_str()).await {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
                Err(refusal) => Err(Box::new(refusal) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
