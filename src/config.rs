//! What the function reads from its environment, once per cold start.

#[derive(Clone, Debug)]
pub struct Config {
    /// The DynamoDB table holding credentials and key hashes.
    pub table_name: String,
    /// The KMS key for data keys: a key id, key ARN, alias name or alias ARN.
    pub kms_key_id: String,
}

#[derive(Debug, thiserror::Error)]
#[error("environment variable {0} must be set")]
pub struct MissingVariable(&'static str);

impl Config {
    pub fn from_env() -> Result<Self, MissingVariable> {
        let required = |name: &'static str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or(MissingVariable(name))
        };
        Ok(Self {
            table_name: required("TABLE_NAME")?,
            kms_key_id: required("KMS_KEY_ID")?,
        })
    }
}
