//! The token of a request link, and the anti-forgery proof its page carries.
//!
//! A token reads `<identity>.<request id>.<secret>`: the first two say where the request is
//! kept (neither is a secret; the page shows both), the secret is 256 random bits, of which
//! only a SHA-256 is stored. The page's form carries a proof made with that secret for one
//! page, so a submit needs both the link and a page it served.

use super::{IdentityId, RequestId};
use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::hmac;
use data_encoding::BASE64URL_NOPAD;
use std::fmt;
use zeroize::Zeroizing;

const SECRET_BYTES: usize = 32;
/// The secret's text: base64url, unpadded, of [`SECRET_BYTES`].
const SECRET_CHARS: usize = 43;
/// How long a page's proof stays good: as long as a request can be open (a person may leave
/// the page open; the request's own expiry still applies).
pub const MAX_PROOF_AGE_SECONDS: u64 = super::MAX_EXPIRES_IN;
/// A proof dated this far ahead of the clock is still taken (clocks of two instances).
const PROOF_CLOCK_SKEW_SECONDS: u64 = 60;
const PROOF_CONTEXT: &[u8] = b"credvault link form v1";

/// A request link's token. Redacted in `Debug`, never `Display`ed, wiped on drop.
pub struct LinkToken {
    pub identity: IdentityId,
    pub request: RequestId,
    secret: Zeroizing<String>,
}

impl LinkToken {
    /// A fresh token for `request` of `identity`.
    pub fn generate(
        identity: IdentityId,
        request: RequestId,
    ) -> Result<Self, aws_lc_rs::error::Unspecified> {
        let mut bytes = Zeroizing::new([0u8; SECRET_BYTES]);
        aws_lc_rs::rand::fill(bytes.as_mut())?;
        Ok(Self {
            identity,
            request,
            secret: Zeroizing::new(BASE64URL_NOPAD.encode(bytes.as_ref())),
        })
    }

    /// Reads a token as the link's last path segment holds it; `None` unless well formed.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.rsplitn(3, '.');
        let secret = parts.next()?;
        let request = RequestId::parse(parts.next()?)?;
        let identity = IdentityId::parse(parts.next()?)?;
        let well_formed = secret.len() == SECRET_CHARS
            && BASE64URL_NOPAD
                .decode(secret.as_bytes())
                .is_ok_and(|bytes| bytes.len() == SECRET_BYTES);
        well_formed.then(|| Self {
            identity,
            request,
            secret: Zeroizing::new(secret.to_owned()),
        })
    }

    /// The token as the link carries it: only for the one answer that hands the link out.
    pub fn expose(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{}.{}.{}",
            self.identity,
            self.request,
            self.secret.as_str()
        ))
    }

    /// What is stored of the secret: SHA-256, hex (256 random bits need no slow hash).
    pub fn secret_hash(&self) -> String {
        hex::encode(digest(&SHA256, self.secret.as_bytes()))
    }

    /// Whether this is the token whose secret hashes to `stored`, compared in constant time.
    pub fn matches(&self, stored: &str) -> bool {
        verify_slices_are_equal(self.secret_hash().as_bytes(), stored.as_bytes()).is_ok()
    }

    fn proof_key(&self) -> hmac::Key {
        let mut material = Zeroizing::new(PROOF_CONTEXT.to_vec());
        material.extend_from_slice(self.secret.as_bytes());
        hmac::Key::new(hmac::HMAC_SHA256, digest(&SHA256, &material).as_ref())
    }

    fn proof_tag(&self, issued: u64, nonce: &str) -> hmac::Tag {
        hmac::sign(
            &self.proof_key(),
            format_message(self, issued, nonce).as_bytes(),
        )
    }

    /// A fresh proof for one page served at `now` (unix seconds): `<issued>.<nonce>.<tag>`.
    pub fn proof(&self, now: u64) -> Result<String, aws_lc_rs::error::Unspecified> {
        let mut nonce = [0u8; 16];
        aws_lc_rs::rand::fill(&mut nonce)?;
        let nonce = BASE64URL_NOPAD.encode(&nonce);
        let tag = BASE64URL_NOPAD.encode(self.proof_tag(now, &nonce).as_ref());
        Ok(format!("{now}.{nonce}.{tag}"))
    }

    /// Whether `raw` is a proof this token made for a page, still fresh at `now`.
    pub fn verifies(&self, raw: &str, now: u64) -> bool {
        let mut parts = raw.splitn(3, '.');
        let (Some(issued), Some(nonce), Some(tag)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let Ok(issued) = issued.parse::<u64>() else {
            return false;
        };
        let fresh = issued <= now + PROOF_CLOCK_SKEW_SECONDS
            && now.saturating_sub(issued) <= MAX_PROOF_AGE_SECONDS;
        let Ok(tag) = BASE64URL_NOPAD.decode(tag.as_bytes()) else {
            return false;
        };
        let message = format_message(self, issued, nonce);
        fresh
            && nonce.len() <= 32
            && hmac::verify(&self.proof_key(), message.as_bytes(), &tag).is_ok()
    }
}

/// What a proof's tag is over: the request, and the page's date and nonce.
fn format_message(token: &LinkToken, issued: u64, nonce: &str) -> String {
    format!("{}|{}|{issued}|{nonce}", token.identity, token.request)
}

impl fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "LinkToken({}.{}.[REDACTED])",
            self.identity, self.request
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> LinkToken {
        let identity = IdentityId::parse("idt_test").expect("an id");
        LinkToken::generate(identity, RequestId::generate().expect("rng")).expect("rng")
    }

    #[test]
    fn a_token_reads_back_and_only_its_own_hash_matches() {
        let token = token();
        let text = token.expose();
        let read = LinkToken::parse(&text).expect("well formed");
        assert!(read.matches(&token.secret_hash()));
        assert!(!token.matches(&self::token().secret_hash()));
        // 256 bits: 43 base64url characters, and the hash is not the secret.
        assert_eq!(token.secret.len(), SECRET_CHARS);
        assert!(!text.contains(&token.secret_hash()));
        assert!(!format!("{token:?}").contains(token.secret.as_str()));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let good = token().expose();
        let (head, secret) = good.rsplit_once('.').expect("three parts");
        for bad in [
            String::new(),
            "x".into(),
            head.to_owned(),
            format!("{head}.{}", &secret[1..]),
            format!("{head}.{secret}A"),
            format!("{head}.{}", secret.replace(|_| true, "+")),
            format!("IDT.{}", good.split_once('.').expect("parts").1),
        ] {
            assert!(LinkToken::parse(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_proof_holds_for_its_token_while_fresh() {
        let token = token();
        let now = 1_800_000_000;
        let proof = token.proof(now).expect("rng");
        assert!(token.verifies(&proof, now));
        assert!(token.verifies(&proof, now + MAX_PROOF_AGE_SECONDS));
        assert!(!token.verifies(&proof, now + MAX_PROOF_AGE_SECONDS + 1));
        assert!(!token.verifies(&proof, now - PROOF_CLOCK_SKEW_SECONDS - 1));
        // Another token's, a changed date, a changed tag: refused.
        assert!(!self::token().verifies(&proof, now));
        let redated = proof.replacen(&now.to_string(), &(now + 1).to_string(), 1);
        assert!(!token.verifies(&redated, now));
        assert!(!token.verifies(&format!("{proof}x"), now));
        assert!(!token.verifies("", now));
        // Two pages get two proofs.
        assert_ne!(proof, token.proof(now).expect("rng"));
    }
}
