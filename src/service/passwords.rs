//! Password hashing with argon2id. Verification costs the same whether or not the account
//! exists: unknown users are checked against a dummy hash made at start-up. Hashes imported
//! from the legacy service (Werkzeug's pbkdf2 and scrypt) verify too, and are replaced by
//! argon2id at the next successful login.

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

/// True when `password` matches the stored hash: an argon2 PHC string, or a hash imported
/// from the legacy service (Werkzeug's `pbkdf2:sha256:N$salt$hex`, also sha512, and
/// `scrypt:n:r:p$salt$hex`). A malformed hash matches nothing.
pub fn verify(stored: &str, password: &str) -> bool {
    if stored.starts_with("pbkdf2:") || stored.starts_with("scrypt:") {
        return verify_werkzeug(stored, password);
    }
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// True for hashes to replace by argon2id at the next successful login.
pub fn is_legacy(stored: &str) -> bool {
    !stored.starts_with("$argon2id$")
}

/// Equal, without an early exit on the first differing byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Werkzeug's `generate_password_hash` formats: `method$salt$hexdigest`, the salt taken as
/// its UTF-8 bytes.
fn verify_werkzeug(stored: &str, password: &str) -> bool {
    let mut parts = stored.splitn(3, '$');
    let (Some(method), Some(salt), Some(hex_hash)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_hash) else {
        return false;
    };
    let (pw, salt) = (password.as_bytes(), salt.as_bytes());
    let fields: Vec<&str> = method.split(':').collect();
    match fields.as_slice() {
        ["pbkdf2", digest, rest @ ..] => {
            // Werkzeug writes the iteration count; its older releases defaulted to 260,000.
            let rounds: u32 = match rest {
                [] => 260_000,
                [n] => match n.parse() {
                    Ok(n) if n > 0 => n,
                    _ => return false,
                },
                _ => return false,
            };
            let mut out = vec![0u8; expected.len()];
            match *digest {
                "sha256" if expected.len() == 32 => {
                    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pw, salt, rounds, &mut out)
                }
                "sha512" if expected.len() == 64 => {
                    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(pw, salt, rounds, &mut out)
                }
                _ => return false,
            }
            same(&out, &expected)
        }
        ["scrypt", n, r, p] => {
            let (Ok(n), Ok(r), Ok(p)) = (n.parse::<u64>(), r.parse::<u32>(), p.parse::<u32>())
            else {
                return false;
            };
            if !n.is_power_of_two() || n < 2 || expected.is_empty() || expected.len() > 128 {
                return false;
            }
            let Ok(params) = scrypt::Params::new(n.trailing_zeros() as u8, r, p, expected.len())
            else {
                return false;
            };
            let mut out = vec![0u8; expected.len()];
            scrypt::scrypt(pw, salt, &params, &mut out).is_ok() && same(&out, &expected)
        }
        _ => false,
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
        assert!(!is_legacy(&h));
    }

    #[test]
    fn werkzeug_hashes_verify() {
        // From the legacy deployment's SQLite file (werkzeug.security).
        let pbkdf2 = "pbkdf2:sha256:150000$k2zwEQHf$0d6d5fce537837db9890f598b38e597fdd8a467393fea27869f5ac34946c07e1";
        assert!(verify(pbkdf2, "pw-esteban-3201"));
        assert!(!verify(pbkdf2, "pw-esteban-3202"));
        assert!(is_legacy(pbkdf2));
        // hashlib.scrypt(b"pw-scrypt", salt=b"FSoBHYyXrQTfkAQE", n=32768, r=8, p=1, dklen=64)
        let scrypt = "scrypt:32768:8:1$FSoBHYyXrQTfkAQE$ac5d14cc9f0f62f00f60ff453327e354cfa2ba839feff6e1abe92d6d7589a924945b068bf8d7778cd966ce38f31e74c885920e49d2369479ff314bb6427effb1";
        assert!(verify(scrypt, "pw-scrypt"));
        assert!(!verify(scrypt, "wrong"));
        // hashlib.pbkdf2_hmac("sha512", b"pw-512", b"saltsalt", 1000)
        let sha512 = "pbkdf2:sha512:1000$saltsalt$03c50227314644beec1af12820d2b3ef8fd091c3200adc7553f1a51f7a7c1376721f9f5c65fc9ddad15ca8597dd29679e851ecae1893989504912fd136eed97f";
        assert!(verify(sha512, "pw-512"));
        for bad in [
            "pbkdf2:sha256:0$s$00",
            "pbkdf2:md5:1$s$00",
            "scrypt:3:8:1$s$00",
            "pbkdf2:sha256",
            "plain",
        ] {
            assert!(!verify(bad, "x"), "{bad}");
        }
    }

    #[test]
    fn unknown_user_never_verifies() {
        let p = Passwords::new().unwrap();
        assert!(!p.verify(None, ""));
    }
}
