//! What the function reads from its environment, once per cold start.

use crate::egress::AddressPolicy;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    /// The DynamoDB table holding credentials and key hashes.
    pub table_name: String,
    /// The KMS key for data keys: a key id, key ARN, alias name or alias ARN.
    pub kms_key_id: String,
    /// Requests one identity may make per minute (`RATE_LIMIT_PER_MINUTE`, default 200;
    /// 0 turns the limit off).
    pub rate_limit_per_minute: Option<u64>,
    /// Days activity entries are kept (`LOG_RETENTION_DAYS`, default 90, 1 to 3650).
    pub log_retention_days: u32,
    /// How long a warm instance trusts a verified key (`PRINCIPAL_CACHE_SECONDS`, default
    /// 30, 0 turns it off): the revocation delay.
    pub principal_cache: Duration,
    /// How long and how often an unwrapped data key is reused (`DATA_KEY_CACHE_SECONDS`,
    /// default 300, 0 turns it off; `DATA_KEY_CACHE_MAX_USES`, default 1000).
    pub data_key_cache: Duration,
    pub data_key_cache_max_uses: u32,
    /// Which key-item MAC secret to trust (`KEY_MAC_GENERATION`, default 1): raising it
    /// after `credvault setup --key-mac-generation N` retires every key minted before.
    pub key_mac_generation: u32,
    /// Browser origins allowed to call `POST /mcp` (`MCP_ALLOWED_ORIGINS`, comma-separated,
    /// exact match, default none).
    pub mcp_allowed_origins: Vec<String>,
    /// Where request links start (`PUBLIC_BASE_URL`, an http(s) URL, e.g. a custom domain);
    /// unset, a link starts with the API Gateway domain the request came to.
    pub public_base_url: Option<String>,
    /// Requests one execution environment serves at once (`AWS_LAMBDA_MAX_CONCURRENCY`, set by
    /// Lambda Managed Instances; default 1): above 1, a thread per vCPU.
    pub max_concurrency: u32,
    /// The log level for credvault's own lines (`RUST_LOG`, else `AWS_LAMBDA_LOG_LEVEL`, else
    /// `info`); other crates stay capped at INFO whatever it says.
    pub log_level: String,
    /// Where brokered requests may go beyond public addresses: the loopback `ip:port` pairs
    /// of `BROKER_TEST_UPSTREAMS` (tests only; the template never sets it), never the
    /// Runtime API's (`AWS_LAMBDA_RUNTIME_API`).
    pub egress: AddressPolicy,
}

pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u64 = 200;
pub use crate::domain::DEFAULT_LOG_RETENTION_DAYS;

#[derive(Debug, thiserror::Error)]
#[error("environment variable {0} must be set (and valid)")]
pub struct MissingVariable(&'static str);

impl Config {
    pub fn from_env() -> Result<Self, MissingVariable> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads each variable through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, MissingVariable> {
        let required = |name: &'static str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or(MissingVariable(name))
        };
        let rate_limit_per_minute = match lookup("RATE_LIMIT_PER_MINUTE") {
            None => Some(DEFAULT_RATE_LIMIT_PER_MINUTE),
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(0) => None,
                Ok(limit) => Some(limit),
                Err(_) => return Err(MissingVariable("RATE_LIMIT_PER_MINUTE")),
            },
        };
        let log_retention_days = match lookup("LOG_RETENTION_DAYS") {
            None => DEFAULT_LOG_RETENTION_DAYS,
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|days| (1..=3650).contains(days))
                .ok_or(MissingVariable("LOG_RETENTION_DAYS"))?,
        };
        let number = |name: &'static str, default: u64, max: u64| match lookup(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or(MissingVariable(name)),
        };
        Ok(Self {
            principal_cache: Duration::from_secs(number("PRINCIPAL_CACHE_SECONDS", 30, 3600)?),
            data_key_cache: Duration::from_secs(number("DATA_KEY_CACHE_SECONDS", 300, 3600)?),
            data_key_cache_max_uses: number("DATA_KEY_CACHE_MAX_USES", 1000, 1_000_000)? as u32,
            key_mac_generation: number("KEY_MAC_GENERATION", 1, u64::from(u32::MAX))? as u32,
            log_retention_days,
            table_name: required("TABLE_NAME")?,
            kms_key_id: required("KMS_KEY_ID")?,
            mcp_allowed_origins: lookup("MCP_ALLOWED_ORIGINS")
                .unwrap_or_default()
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            public_base_url: match lookup("PUBLIC_BASE_URL").filter(|u| !u.trim().is_empty()) {
                None => None,
                Some(raw) => Some(public_base_url(raw.trim()).ok_or(MissingVariable(
                    "PUBLIC_BASE_URL (an https URL without query or fragment; http for loopback only)",
                ))?),
            },
            max_concurrency: number("AWS_LAMBDA_MAX_CONCURRENCY", 1, 1024)?.max(1) as u32,
            log_level: lookup("RUST_LOG")
                .or_else(|| lookup("AWS_LAMBDA_LOG_LEVEL"))
                .filter(|level| !level.trim().is_empty())
                .unwrap_or_else(|| "info".to_owned()),
            rate_limit_per_minute,
            egress: AddressPolicy::new(
                lookup("BROKER_TEST_UPSTREAMS").as_deref(),
                lookup("AWS_LAMBDA_RUNTIME_API").as_deref(),
            )
            .map_err(|_| {
                MissingVariable(
                    "BROKER_TEST_UPSTREAMS (loopback ip:port pairs only, not the Runtime API's)",
                )
            })?,
        })
    }
}

/// A base URL for links: https (http for a loopback host only), a host, no credentials,
/// query or fragment; kept without its trailing slash.
fn public_base_url(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    // Plain HTTP only on this machine (make dev): a link carries a secret, and so does its form.
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let ok = (url.scheme() == "https" || (url.scheme() == "http" && loopback))
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    ok.then(|| raw.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, MissingVariable> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    const BASE: [(&str, &str); 2] = [("TABLE_NAME", "t"), ("KMS_KEY_ID", "alias/k")];

    #[test]
    fn the_table_and_the_key_are_required_and_not_blank() {
        let got = config(&BASE).unwrap();
        assert_eq!(
            (got.table_name.as_str(), got.kms_key_id.as_str()),
            ("t", "alias/k")
        );
        for missing in ["TABLE_NAME", "KMS_KEY_ID"] {
            let without: Vec<_> = BASE.into_iter().filter(|(k, _)| *k != missing).collect();
            let err = config(&without).unwrap_err();
            assert!(err.to_string().contains(missing), "{err}");
            let blank: Vec<_> = BASE
                .into_iter()
                .map(|(k, v)| if k == missing { (k, "  ") } else { (k, v) })
                .collect();
            assert!(config(&blank).is_err(), "{missing} blank");
        }
    }

    #[test]
    fn the_rate_limit_defaults_to_200_and_0_turns_it_off() {
        let limit = |raw: Option<&str>| {
            let mut vars = BASE.to_vec();
            vars.extend(raw.map(|r| ("RATE_LIMIT_PER_MINUTE", r)));
            config(&vars).map(|c| c.rate_limit_per_minute)
        };
        assert_eq!(limit(None).unwrap(), Some(DEFAULT_RATE_LIMIT_PER_MINUTE));
        assert_eq!(limit(Some(" 50 ")).unwrap(), Some(50));
        assert_eq!(limit(Some("0")).unwrap(), None);
        for bad in ["-1", "ten", ""] {
            assert!(limit(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn caches_default_to_30_s_and_5_min_and_0_turns_them_off() {
        let got = config(&BASE).unwrap();
        assert_eq!(got.principal_cache, Duration::from_secs(30));
        assert_eq!(
            (got.data_key_cache, got.data_key_cache_max_uses),
            (Duration::from_secs(300), 1000)
        );
        let mut vars = BASE.to_vec();
        vars.extend([
            ("PRINCIPAL_CACHE_SECONDS", "0"),
            ("DATA_KEY_CACHE_SECONDS", "0"),
        ]);
        let off = config(&vars).unwrap();
        assert!(off.principal_cache.is_zero() && off.data_key_cache.is_zero());
        let mut vars = BASE.to_vec();
        vars.push(("PRINCIPAL_CACHE_SECONDS", "forever"));
        assert!(config(&vars).is_err());
    }

    #[test]
    fn mcp_origins_are_a_trimmed_list_and_default_to_none() {
        assert!(config(&BASE).unwrap().mcp_allowed_origins.is_empty());
        let mut vars = BASE.to_vec();
        vars.push((
            "MCP_ALLOWED_ORIGINS",
            " https://a.example/ ,,https://b.example",
        ));
        assert_eq!(
            config(&vars).unwrap().mcp_allowed_origins,
            ["https://a.example", "https://b.example"]
        );
    }

    #[test]
    fn concurrency_defaults_to_one_and_must_be_a_count() {
        let concurrency = |raw: Option<&str>| {
            let mut vars = BASE.to_vec();
            vars.extend(raw.map(|r| ("AWS_LAMBDA_MAX_CONCURRENCY", r)));
            config(&vars).map(|c| c.max_concurrency)
        };
        assert_eq!(concurrency(None).unwrap(), 1);
        assert_eq!(concurrency(Some("0")).unwrap(), 1);
        assert_eq!(concurrency(Some("16")).unwrap(), 16);
        for bad in ["-2", "many", "1025"] {
            assert!(concurrency(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_log_level_comes_from_rust_log_then_lambda() {
        let level = |vars: &[(&str, &str)]| {
            let mut all = BASE.to_vec();
            all.extend_from_slice(vars);
            config(&all).unwrap().log_level
        };
        assert_eq!(level(&[]), "info");
        assert_eq!(level(&[("AWS_LAMBDA_LOG_LEVEL", "DEBUG")]), "DEBUG");
        assert_eq!(
            level(&[("RUST_LOG", "warn"), ("AWS_LAMBDA_LOG_LEVEL", "DEBUG")]),
            "warn"
        );
    }

    #[test]
    fn the_cache_uses_and_the_mac_generation_have_bounds() {
        let with = |name: &'static str, raw: &'static str| {
            let mut vars = BASE.to_vec();
            vars.push((name, raw));
            config(&vars)
        };
        assert_eq!(
            with("DATA_KEY_CACHE_MAX_USES", "5")
                .unwrap()
                .data_key_cache_max_uses,
            5
        );
        assert!(with("DATA_KEY_CACHE_MAX_USES", "1000001").is_err());
        assert_eq!(
            with("KEY_MAC_GENERATION", "7").unwrap().key_mac_generation,
            7
        );
        assert!(with("KEY_MAC_GENERATION", "4294967296").is_err());
        assert!(with("PRINCIPAL_CACHE_SECONDS", "3601").is_err());
        assert!(with("DATA_KEY_CACHE_SECONDS", "3601").is_err());
    }

    #[test]
    fn log_retention_defaults_to_90_days_and_must_be_sane() {
        let retention = |raw: Option<&str>| {
            let mut vars = BASE.to_vec();
            vars.extend(raw.map(|r| ("LOG_RETENTION_DAYS", r)));
            config(&vars).map(|c| c.log_retention_days)
        };
        assert_eq!(retention(None).unwrap(), 90);
        assert_eq!(retention(Some("7")).unwrap(), 7);
        for bad in ["0", "3651", "a week"] {
            assert!(retention(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_test_upstream_that_is_not_loopback_stops_the_function() {
        let with = |upstreams: &'static str| {
            let mut vars = BASE.to_vec();
            vars.push(("BROKER_TEST_UPSTREAMS", upstreams));
            vars.push(("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"));
            config(&vars)
        };
        let allowed = with("127.0.0.1:8080").unwrap().egress;
        assert!(allowed.is_test_upstream("127.0.0.1:8080".parse().unwrap()));
        for refused in [
            "10.0.0.1:80",
            "169.254.169.254:80",
            "127.0.0.1:9001",
            "upstream:80",
        ] {
            let err = with(refused).unwrap_err();
            assert!(
                err.to_string().contains("BROKER_TEST_UPSTREAMS"),
                "{refused}: {err}"
            );
        }
        assert_eq!(config(&BASE).unwrap().egress, AddressPolicy::default());
    }

    #[test]
    fn a_public_base_url_is_https_or_loopback_http() {
        for good in [
            "https://vault.example.com",
            "https://vault.example.com/prefix/",
            "http://127.0.0.1:9000",
            "http://localhost:9000",
            "http://[::1]:9000",
        ] {
            let vars = [&BASE[..], &[("PUBLIC_BASE_URL", good)]].concat();
            let base = config(&vars).expect(good).public_base_url;
            assert_eq!(base.as_deref(), Some(good.trim_end_matches('/')));
        }
        for bad in [
            "http://vault.example.com",
            "ftp://x",
            "https://user:pw@x.example",
            "https://x.example?q=1",
            "https://x.example#f",
            "vault.example.com",
        ] {
            let vars = [&BASE[..], &[("PUBLIC_BASE_URL", bad)]].concat();
            assert!(config(&vars).is_err(), "{bad}");
        }
        assert_eq!(config(&BASE).unwrap().public_base_url, None);
    }
}
