//! JSON Web Tokens (HS256). A login opens a session: its access and refresh tokens share a
//! session id (`sid`), so logging out revokes both. Tokens also carry the user's token
//! generation (`gen`), which a password change bumps, so older tokens stop working.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use super::error::{Result, ServiceError};
use super::secrets::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Username, for logs and clients; the id is authoritative.
    pub name: String,
    pub typ: TokenKind,
    /// Session id, 32 hex characters.
    pub sid: String,
    pub r#gen: u64,
    /// The database's token epoch at issue (see `store::meta::TOKEN_EPOCH`).
    #[serde(default)]
    pub ep: u64,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

/// Seconds a token is still accepted after its `exp` (clocks of clients and servers differ).
const LEEWAY_SECS: u64 = 5;

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &Secret) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // `exp` is checked in `verify` against the services' clock, not the system's.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Self {
            encoding: EncodingKey::from_secret(secret.bytes()),
            decoding: DecodingKey::from_secret(secret.bytes()),
            validation,
        }
    }

    pub fn sign(&self, claims: &Claims) -> Result<String> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding).map_err(ServiceError::Token)
    }

    /// Checks signature, algorithm and expiry at `now` (Unix seconds, the services' clock).
    /// Revocation is checked by the caller.
    pub fn verify(&self, token: &str, now: u64) -> Result<Claims> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|_| ServiceError::Unauthorized("invalid token".into()))?;
        if claims.exp.saturating_add(LEEWAY_SECS) < now {
            return Err(ServiceError::Unauthorized(
                "token has expired; log in again".into(),
            ));
        }
        Ok(claims)
    }
}

pub fn parse_sid(sid: &str) -> Result<[u8; 16]> {
    let mut b = [0u8; 16];
    hex::decode_to_slice(sid, &mut b)
        .map_err(|_| ServiceError::Unauthorized("invalid token".into()))?;
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn keys(s: &[u8]) -> TokenKeys {
        TokenKeys::new(&Secret::from_bytes(s.to_vec()))
    }

    fn claims(exp: u64) -> Claims {
        Claims {
            sub: "1".into(),
            name: "ann".into(),
            typ: TokenKind::Access,
            sid: "00".repeat(16),
            r#gen: 0,
            ep: 0,
            iat: crate::domain::time::now_secs(),
            exp,
            jti: "x".into(),
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let k = keys(&[7; 32]);
        let now = crate::domain::time::now_secs();
        let t = k.sign(&claims(now + 60)).unwrap();
        assert_eq!(k.verify(&t, now).unwrap().name, "ann");
        // wrong key
        assert!(keys(&[8; 32]).verify(&t, now).is_err());
        // expired
        let old = k.sign(&claims(now - 100)).unwrap();
        assert!(k.verify(&old, now).is_err());
        // expiry is decided by the `now` given, not by the system clock
        assert!(k.verify(&old, now - 200).is_ok());
        assert!(k.verify(&t, now + 60 + LEEWAY_SECS).is_ok());
        let msg = k
            .verify(&t, now + 61 + LEEWAY_SECS)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("expired"), "{msg}");
        // alg=none with the same claims
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = b64.encode(serde_json::to_vec(&claims(now + 60)).unwrap());
        assert!(k.verify(&format!("{header}.{payload}."), now).is_err());
    }
}
