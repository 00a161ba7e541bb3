//! What the function reads from its environment, once per cold start.

#[derive(Clone, Debug)]
pub struct Config {
    /// The DynamoDB table holding credentials and key hashes.
    pub table_name: String,
    /// The KMS key for data keys: a key id, key ARN, alias name or alias ARN.
    pub kms_key_id: String,
    /// Requests one identity may make per minute (`RATE_LIMIT_PER_MINUTE`, default 200;
    /// 0 turns the limit off).
    pub rate_limit_per_minute: Option<u64>,
}

pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u64 = 200;

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
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            kms_key_id: required("KMS_KEY_ID")?,
            rate_limit_per_minute,
        })
    }
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
}
