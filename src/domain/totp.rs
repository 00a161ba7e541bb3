//! RFC 6238 codes, and the parts of `data` that TOTP and backup codes live in.

use super::{CredentialType, Metadata, SecretData, decode_totp_secret};
use serde_json::Value;
use serde_json::value::RawValue;
use totp_rs::{Algorithm, Builder};
use zeroize::Zeroizing;

pub const TOTP_DIGITS: u8 = 6;
pub const TOTP_STEP_SECONDS: u64 = 30;

/// What `GET` shows instead of a TOTP seed.
pub const TOTP_PLACEHOLDER: &str = "[use /v0/vault/:name/totp]";
/// What `GET` shows instead of the unused backup codes: they are as secret as the seed.
pub const BACKUP_CODES_PLACEHOLDER: &str = "[use /v0/vault/:name/totp/backup]";

/// `metadata.algorithm`: SHA1 when absent; SHA256 / SHA512 (case and a dash tolerated).
pub fn totp_algorithm(metadata: Option<&Metadata>) -> Result<Algorithm, String> {
    let Some(raw) = metadata.and_then(|m| m.get("algorithm")) else {
        return Ok(Algorithm::SHA1);
    };
    let name = raw
        .as_str()
        .map(|s| s.to_ascii_uppercase().replace('-', ""));
    match name.as_deref() {
        Some("SHA1") => Ok(Algorithm::SHA1),
        Some("SHA256") => Ok(Algorithm::SHA256),
        Some("SHA512") => Ok(Algorithm::SHA512),
        _ => Err(
            "Unsupported TOTP algorithm in metadata.algorithm: use SHA1, SHA256 or SHA512".into(),
        ),
    }
}

/// The code for `unix_seconds`, with `digits` digits, zero-padded.
pub fn totp_code(secret: &[u8], algorithm: Algorithm, digits: u8, unix_seconds: u64) -> String {
    // Not `build()`: it insists on 128-bit seeds, and most issuers hand out 80-bit ones.
    Builder::new()
        .with_algorithm(algorithm)
        .with_digits(digits)
        .with_step_duration(TOTP_STEP_SECONDS)
        .with_secret(secret)
        .build_noncompliant()
        .generate(unix_seconds)
        .to_string()
}

/// Seconds left in the current step.
pub fn totp_remaining(unix_seconds: u64) -> u64 {
    TOTP_STEP_SECONDS - unix_seconds % TOTP_STEP_SECONDS
}

/// A JSON string's text.
fn json_string(text: &str) -> String {
    Value::from(text).to_string()
}

impl SecretData {
    /// The field holding the credential's TOTP seed: `secret` for TOTP, `totp` for any type.
    fn totp_field(&self, kind: CredentialType) -> Option<&'static str> {
        if kind == CredentialType::Totp && self.contains("secret") {
            Some("secret")
        } else {
            self.contains("totp").then_some("totp")
        }
    }

    pub fn has_totp(&self, kind: CredentialType) -> bool {
        self.totp_field(kind).is_some()
    }

    /// The decoded seed, if the credential has a valid one.
    pub fn totp_secret(&self, kind: CredentialType) -> Option<Zeroizing<Vec<u8>>> {
        let field = self.totp_field(kind)?;
        decode_totp_secret(&self.expose_string(field)?)
    }

    /// A copy fit to return: TOTP seeds (`secret` of TOTP, `totp` of any type) and unused
    /// backup codes replaced; `usedBackupCodes` stays, as spent codes are history. Every
    /// other member keeps its text.
    pub fn masked(&self, kind: CredentialType) -> SecretData {
        let seed = json_string(TOTP_PLACEHOLDER);
        let codes = json_string(BACKUP_CODES_PLACEHOLDER);
        let mut changes = Vec::new();
        if kind == CredentialType::Totp && self.contains("secret") {
            changes.push(("secret", seed.as_str()));
        }
        for (field, placeholder) in [("totp", &seed), ("backupCodes", &codes)] {
            if self.contains(field) {
                changes.push((field, placeholder.as_str()));
            }
        }
        self.with_members(&changes)
    }

    /// The codes of list `list`, each as its JSON text.
    fn codes(&self, list: &str) -> Vec<&RawValue> {
        self.expose_member(list)
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or_default()
    }

    pub fn backup_codes_remaining(&self) -> usize {
        self.codes("backupCodes").len()
    }

    /// Moves the first unused backup code to `usedBackupCodes`: the code, the new data and
    /// how many are left. `None` when none is left.
    pub fn with_backup_code_used(&self) -> Option<(Zeroizing<String>, SecretData, usize)> {
        let mut unused = self.codes("backupCodes");
        if unused.is_empty() {
            return None;
        }
        let code = unused.remove(0);
        let mut used = self.codes("usedBackupCodes");
        used.push(code);
        let list = |codes: &[&RawValue]| {
            let texts: Vec<&str> = codes.iter().map(|c| c.get()).collect();
            Zeroizing::new(format!("[{}]", texts.join(",")))
        };
        let (unused_text, used_text) = (list(&unused), list(&used));
        let data = self.with_members(&[
            ("backupCodes", unused_text.as_str()),
            ("usedBackupCodes", used_text.as_str()),
        ]);
        let code = serde_json::from_str::<String>(code.get()).ok()?;
        Some((Zeroizing::new(code), data, unused.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// RFC 6238 appendix B: the seeds are the ASCII strings below, 8-digit codes.
    #[test]
    fn matches_the_rfc_6238_test_vectors() {
        let sha1 = b"12345678901234567890".as_slice();
        let sha256 = b"12345678901234567890123456789012".as_slice();
        let sha512 = b"1234567890123456789012345678901234567890123456789012345678901234".as_slice();
        let vectors: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (time, want_sha1, want_sha256, want_sha512) in vectors {
            assert_eq!(
                totp_code(sha1, Algorithm::SHA1, 8, time),
                want_sha1,
                "SHA1 @ {time}"
            );
            assert_eq!(
                totp_code(sha256, Algorithm::SHA256, 8, time),
                want_sha256,
                "SHA256 @ {time}"
            );
            assert_eq!(
                totp_code(sha512, Algorithm::SHA512, 8, time),
                want_sha512,
                "SHA512 @ {time}"
            );
        }
    }

    #[test]
    fn six_digit_codes_are_the_last_six_of_the_eight() {
        let seed = b"12345678901234567890";
        assert_eq!(totp_code(seed, Algorithm::SHA1, 6, 59), "287082");
        assert_eq!(totp_code(seed, Algorithm::SHA1, 6, 1111111109), "081804");
    }

    #[test]
    fn remaining_counts_down_the_step() {
        assert_eq!(totp_remaining(0), 30);
        assert_eq!(totp_remaining(59), 1);
        assert_eq!(totp_remaining(60), 30);
    }

    #[test]
    fn algorithm_comes_from_metadata() {
        let meta = |v: Value| Metadata::from_stored(json!({"algorithm": v}).to_string());
        assert_eq!(totp_algorithm(None), Ok(Algorithm::SHA1));
        assert_eq!(
            totp_algorithm(meta(json!("sha-256")).as_ref()),
            Ok(Algorithm::SHA256)
        );
        assert_eq!(
            totp_algorithm(meta(json!("SHA512")).as_ref()),
            Ok(Algorithm::SHA512)
        );
        assert!(totp_algorithm(meta(json!("MD5")).as_ref()).is_err());
        assert!(totp_algorithm(meta(json!(1)).as_ref()).is_err());
    }

    fn data(value: Value) -> SecretData {
        SecretData::from_map(value.as_object().unwrap())
    }

    /// The members of `data`, parsed, for comparing.
    fn shown(data: &SecretData) -> Value {
        serde_json::from_slice(data.expose_bytes()).unwrap()
    }

    #[test]
    fn masking_hides_seeds_and_unused_codes_and_keeps_the_rest() {
        let totp = data(json!({"secret": "JBSWY3DPEHPK3PXP", "backupCodes": ["a"],
                               "usedBackupCodes": ["z"]}));
        let masked = shown(&totp.masked(CredentialType::Totp));
        assert_eq!(masked["secret"], TOTP_PLACEHOLDER);
        // Unused codes are as secret as the seed; spent ones are history.
        assert_eq!(masked["backupCodes"], BACKUP_CODES_PLACEHOLDER);
        assert_eq!(masked["usedBackupCodes"], json!(["z"]));

        let login =
            data(json!({"password": "p", "totp": "JBSWY3DPEHPK3PXP", "secret": "not a seed"}));
        let masked = shown(&login.masked(CredentialType::Login));
        assert_eq!(masked["totp"], TOTP_PLACEHOLDER);
        assert_eq!(masked["secret"], "not a seed");
        assert!(login.has_totp(CredentialType::Login));
        assert!(!data(json!({"password": "p"})).has_totp(CredentialType::Login));
    }

    #[test]
    fn masking_keeps_every_other_member_as_written() {
        let text = br#"{"n":1.423966195757457e-18,"totp":"JBSWY3DPEHPK3PXP","z":"\u00e9"}"#;
        let data = SecretData::from_json_bytes(text).unwrap();
        let masked = data.masked(CredentialType::Custom);
        assert_eq!(
            std::str::from_utf8(masked.expose_bytes()).unwrap(),
            r#"{"n":1.423966195757457e-18,"totp":"[use /v0/vault/:name/totp]","z":"\u00e9"}"#
        );
    }

    #[test]
    fn backup_codes_are_used_first_to_last() {
        let start = data(json!({"secret": "JBSWY3DPEHPK3PXP", "backupCodes": ["one", "two"]}));
        let (code, after, left) = start.with_backup_code_used().unwrap();
        assert_eq!((code.as_str(), left), ("one", 1));
        assert_eq!(shown(&after)["usedBackupCodes"], json!(["one"]));
        let (code, after, left) = after.with_backup_code_used().unwrap();
        assert_eq!((code.as_str(), left), ("two", 0));
        assert_eq!(shown(&after)["usedBackupCodes"], json!(["one", "two"]));
        assert!(after.with_backup_code_used().is_none());
        assert!(
            data(json!({"secret": "x"}))
                .with_backup_code_used()
                .is_none()
        );
    }
}
