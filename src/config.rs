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
        let required = |name: &'static str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or(MissingVariable(name))
        };
        let rate_limit_per_minute = match std::env::var("RATE_LIMIT_PER_MINUTE") {
            Err(_) => Some(DEFAULT_RATE_LIMIT_PER_MINUTE),
            Ok(raw) => match raw.trim().parse::<u64>() {
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
