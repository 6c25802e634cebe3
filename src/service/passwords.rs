//! Password hashing with argon2id. Verification costs the same whether or not the account
//! exists: unknown users are checked against a dummy hash made at start-up.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use rand::RngCore;

use super::error::{Result, ServiceError};

pub struct Passwords {
    dummy_hash: String,
}

impl Passwords {
    pub fn new() -> Result<Self> {
        let mut random = [0u8; 24];
        rand::rng().fill_bytes(&mut random);
        Ok(Self {
            dummy_hash: hash(&hex::encode(random))?,
        })
    }

    /// Verifies `password` against a stored hash; with `None`, spends the same work on the
    /// dummy hash and returns false.
    pub fn verify(&self, stored: Option<&str>, password: &str) -> bool {
        match stored {
            Some(h) => verify(h, password),
            None => {
                let _ = verify(&self.dummy_hash, password);
                false
            }
        }
    }
}

/// An argon2id PHC string for `password`, with a random salt and the crate's default cost
/// (19 MiB, 2 passes, 1 lane: the OWASP minimum).
pub fn hash(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| ServiceError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("hashing a password: {e}")))
}

/// True when `password` matches the stored PHC hash. A malformed hash matches nothing.
pub fn verify(stored: &str, password: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(&h, "correct horse"));
        assert!(!verify(&h, "wrong"));
        assert!(!verify("not a hash", "x"));
    }

    #[test]
    fn unknown_user_never_verifies() {
        let p = Passwords::new().unwrap();
        assert!(!p.verify(None, ""));
    }
}
