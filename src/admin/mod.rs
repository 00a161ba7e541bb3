//! What an operator bootstraps, once per stack: the table and a KMS key behind an alias (for
//! local stacks; a deployed stack gets both from `template.yaml`), and the key-item MAC
//! secret. Identities and keys are managed through `crate::vault::Identities`.

mod mac_secret;
mod setup;

pub use mac_secret::ensure_key_mac_secret;
pub use setup::{ensure_kms_key, ensure_table};
