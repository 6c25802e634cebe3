//! Password hashing with argon2id. Verification costs the same whether or not the account
//! exists: unknown users are checked against a dummy hash made at start-up. Hashes imported
//! from the legacy service (Werkzeug's pbkdf2 and scrypt) verify too, and are replaced by
//! argon2id at the next successful login.

use std::sync::Mutex;

use argon2::password_hash::{self, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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
/// (19 MiB, 2 passes, 1 lane: the OWASP minimum). The memory comes from the pool.
pub fn hash(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt_b64 = SaltString::encode_b64(&salt).map_err(|e| ServiceError::Password(e.into()))?;
    let params = Params::default();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    POOL.with_blocks(params.block_count(), |blocks| {
        argon.hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, blocks)
    })
    .map_err(|e| ServiceError::Password(e.into()))?;
    let output = password_hash::Output::new(&out).map_err(|e| ServiceError::Password(e.into()))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: password_hash::ParamsString::try_from(&params)
            .map_err(|e| ServiceError::Password(e.into()))?,
        salt: Some(salt_b64.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// True when `password` matches the stored hash: an argon2 PHC string, or a hash imported
/// from the legacy service (Werkzeug's `pbkdf2:sha256:N$salt$hex`, also sha512, and
/// `scrypt:n:r:p$salt$hex`). A malformed hash matches nothing.
pub fn verify(stored: &str, password: &str) -> bool {
    if stored.starts_with("pbkdf2:") || stored.starts_with("scrypt:") {
        return verify_werkzeug(stored, password);
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    verify_argon2(&parsed, password).unwrap_or(false)
}

/// Recomputes an argon2 hash with its own parameters, in pooled memory.
fn verify_argon2(parsed: &PasswordHash<'_>, password: &str) -> Option<bool> {
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from)
        .ok()?;
    let params = Params::try_from(parsed).ok()?;
    let mut salt = [0u8; 64];
    let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
    let expected = parsed.hash?;
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        tracing::warn!(
            kib = blocks,
            "a stored password hash asks for more memory than allowed; it matches nothing"
        );
        return Some(false);
    }
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    POOL.with_blocks(blocks, |mem| {
        argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, mem)
    })
    .ok()?;
    Some(same(&out, expected.as_bytes()))
}

/// The most memory one hash may use (256 MiB, in 1 KiB blocks): a stored hash naming more is
/// refused rather than allowed to exhaust the server.
const MAX_BLOCKS: usize = 256 * 1024;

/// Hashing memory, reused: argon2id fills 19 MiB per hash, and allocating it afresh each
/// time left glibc holding every block it ever handed out (the resident memory of a login
/// storm stayed). One buffer is kept between hashes; while several hashes run at once (at
/// most one per core, see `ApiState`), each takes its own, and all but one are freed when
/// the last of them ends.
struct BlockPool {
    state: Mutex<PoolState>,
}

struct PoolState {
    free: Vec<Vec<Block>>,
    busy: usize,
    /// When the last hash ended.
    last: Option<std::time::Instant>,
}

static POOL: BlockPool = BlockPool {
    state: Mutex::new(PoolState {
        free: Vec::new(),
        busy: 0,
        last: None,
    }),
};

/// Frees the kept hashing buffer once no hash has run for `idle` (the server calls this with
/// its memory trim), so a server at rest holds no hashing memory at all.
pub fn release_idle(idle: std::time::Duration) {
    let mut st = POOL.state.lock().unwrap_or_else(|p| p.into_inner());
    if st.busy == 0 && st.last.is_some_and(|t| t.elapsed() >= idle) {
        st.free.clear();
        st.free.shrink_to_fit();
    }
}

/// Only buffers of the default cost are kept: one of an imported hash with a higher memory
/// cost is freed after its use, so the resident memory stays at one default buffer.
fn default_blocks() -> usize {
    Params::default().block_count()
}

impl BlockPool {
    fn with_blocks<T>(&self, count: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
        let mut lease = Lease {
            pool: self,
            mem: {
                let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
                st.busy += 1;
                st.free.pop().unwrap_or_default()
            },
        };
        if lease.mem.len() < count {
            lease.mem = vec![Block::default(); count];
        }
        f(&mut lease.mem[..count])
    }
}

/// A buffer taken from the pool, given back (or freed) when dropped, also by a panic.
struct Lease<'a> {
    pool: &'a BlockPool,
    mem: Vec<Block>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mem = std::mem::take(&mut self.mem);
        let mut st = self.pool.state.lock().unwrap_or_else(|p| p.into_inner());
        st.busy = st.busy.saturating_sub(1);
        st.last = Some(std::time::Instant::now());
        if mem.len() == default_blocks() {
            st.free.push(mem);
        }
        if st.busy == 0 {
            st.free.truncate(1);
        }
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
    fn pooled_hashes_are_standard_phc_strings() {
        use argon2::password_hash::PasswordVerifier;
        let h = hash("correct horse").unwrap();
        // The crate's own verifier agrees with ours, both ways.
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        use argon2::password_hash::PasswordHasher;
        let theirs = Argon2::default()
            .hash_password(b"pw", &SaltString::encode_b64(&[7; 16]).unwrap())
            .unwrap()
            .to_string();
        assert!(verify(&theirs, "pw") && !verify(&theirs, "pW"));
        // Other argon2 variants and costs verify with their own parameters.
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x10,
            Params::new(64, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw", &SaltString::encode_b64(&[9; 16]).unwrap())
        .unwrap()
        .to_string();
        assert!(verify(&argon2i, "pw") && !verify(&argon2i, "x"));
    }

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
