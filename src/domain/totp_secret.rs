use data_encoding::{BASE32_NOPAD, Encoding};
use std::sync::LazyLock;
use zeroize::Zeroizing;

/// RFC 4648 base32 that tolerates non-zero trailing bits, as authenticator apps do for
/// secrets whose length is not a multiple of 8 characters.
static LENIENT_BASE32: LazyLock<Encoding> = LazyLock::new(|| {
    let mut spec = BASE32_NOPAD.specification();
    spec.check_trailing_bits = false;
    spec.encoding().unwrap_or_else(|_| BASE32_NOPAD.clone())
});

/// Decodes a TOTP seed as users paste it: case-insensitive, spaces and `=` padding tolerated.
/// `None` when it is not base32 or decodes to nothing.
pub fn decode_totp_secret(raw: &str) -> Option<Zeroizing<Vec<u8>>> {
    let normalised: Zeroizing<String> = Zeroizing::new(
        raw.chars()
            .filter(|c| !matches!(c, ' ' | '='))
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    );
    let bytes = LENIENT_BASE32.decode(normalised.as_bytes()).ok()?;
    (!bytes.is_empty()).then(|| Zeroizing::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_seed_example_and_its_variants() {
        let want = b"Hello!\xde\xad\xbe\xef".to_vec();
        for form in [
            "JBSWY3DPEHPK3PXP",
            "jbswy3dpehpk3pxp",
            "JBSW Y3DP EHPK 3PXP",
            "JBSWY3DPEHPK3PXP====",
        ] {
            assert_eq!(decode_totp_secret(form).as_deref(), Some(&want), "{form}");
        }
    }

    #[test]
    fn tolerates_trailing_bits() {
        // 26 characters: 130 bits, 2 of them trailing.
        assert_eq!(
            decode_totp_secret("GEZDGNBVGY3TQOJQGEZDGNBVGZ").map(|b| b.len()),
            Some(16)
        );
    }

    #[test]
    fn rejects_what_is_not_base32() {
        for bad in ["", "   ", "====", "JBSWY3DP1", "JBSWY3DPEHPK3PX!", "A"] {
            assert!(decode_totp_secret(bad).is_none(), "{bad:?}");
        }
    }
}
