//! Signed, expiring download links. The frontend downloads with a plain link (no header can
//! be attached), so the task JSON carries `<file_id>?sig=<capability>`: the expiry and an
//! HMAC-SHA256 over (kind, file id, expiry), under a key derived from the server secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::secrets::Secret;

type HmacSha256 = Hmac<Sha256>;

const TAG_LEN: usize = 16;

pub struct LinkSigner {
    key: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum LinkCheck {
    Valid,
    Expired,
    Invalid,
}

impl LinkSigner {
    pub fn new(secret: &Secret) -> Self {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(b"dmptool/download-links/v1");
        Self {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    fn tag(&self, kind: &str, file_id: &str, expires: u64) -> [u8; TAG_LEN] {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(file_id.as_bytes());
        mac.update(&[0]);
        mac.update(&expires.to_be_bytes());
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(&full[..TAG_LEN]);
        out
    }

    /// The `sig` value for a link to `file_id` of `kind`, valid until `expires` (Unix secs).
    pub fn sign(&self, kind: &str, file_id: &str, expires: u64) -> String {
        let mut raw = Vec::with_capacity(8 + TAG_LEN);
        raw.extend_from_slice(&expires.to_be_bytes());
        raw.extend_from_slice(&self.tag(kind, file_id, expires));
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// A keyed MAC of `data` for `purpose` (e.g. a session's CSRF token), URL-safe base64.
    pub fn mac(&self, purpose: &str, data: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.tag(purpose, data, 0))
    }

    pub fn check(&self, kind: &str, file_id: &str, sig: &str, now: u64) -> LinkCheck {
        let Ok(raw) = URL_SAFE_NO_PAD.decode(sig.as_bytes()) else {
            return LinkCheck::Invalid;
        };
        if raw.len() != 8 + TAG_LEN {
            return LinkCheck::Invalid;
        }
        let mut exp = [0u8; 8];
        exp.copy_from_slice(&raw[..8]);
        let expires = u64::from_be_bytes(exp);
        let expected = self.tag(kind, file_id, expires);
        // Constant-time comparison: no early exit on the first differing byte.
        let diff = expected
            .iter()
            .zip(&raw[8..])
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff != 0 {
            return LinkCheck::Invalid;
        }
        if expires < now {
            LinkCheck::Expired
        } else {
            LinkCheck::Valid
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_to_file_kind_and_time() {
        let s = LinkSigner::new(&Secret::from_bytes(vec![1; 32]));
        let sig = s.sign("docx", "abc", 1000);
        assert_eq!(s.check("docx", "abc", &sig, 999), LinkCheck::Valid);
        assert_eq!(s.check("docx", "abc", &sig, 1001), LinkCheck::Expired);
        assert_eq!(s.check("docx", "abd", &sig, 999), LinkCheck::Invalid);
        assert_eq!(s.check("pdf", "abc", &sig, 999), LinkCheck::Invalid);
        assert_eq!(s.check("docx", "abc", "garbage", 999), LinkCheck::Invalid);
        let other = LinkSigner::new(&Secret::from_bytes(vec![2; 32]));
        assert_eq!(other.check("docx", "abc", &sig, 999), LinkCheck::Invalid);
    }
}
