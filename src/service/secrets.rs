//! The server's signing secret: from `DMPTOOL_JWT_SECRET`, or generated at first start and
//! kept in the data dir (`jwt-secret`, mode 0600). There is no built-in default.

use std::fs;
use std::io::Write;
use std::path::Path;

use rand::RngCore;

use super::error::{Result, ServiceError};

pub const SECRET_FILE: &str = "jwt-secret";

/// A secret that never prints itself.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn from_bytes(b: Vec<u8>) -> Self {
        Self(b)
    }
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Uses `configured` when given (at least 32 bytes), else reads or creates the secret file.
pub fn load_or_create(data_dir: &Path, configured: Option<&str>) -> Result<Secret> {
    if let Some(s) = configured {
        if s.len() < 32 {
            return Err(ServiceError::Invalid(
                "DMPTOOL_JWT_SECRET must be at least 32 characters".into(),
            ));
        }
        return Ok(Secret(s.as_bytes().to_vec()));
    }
    let path = data_dir.join(SECRET_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim()).map_err(|_| {
                ServiceError::Fault(format!(
                    "{} is not a hex secret; delete it to make a new one (this logs everyone out)",
                    path.display()
                ))
            })?;
            if bytes.len() < 32 {
                return Err(ServiceError::Fault(format!(
                    "{} is too short",
                    path.display()
                )));
            }
            Ok(Secret(bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = vec![0u8; 64];
            rand::rng().fill_bytes(&mut bytes);
            write_private(&path, hex::encode(&bytes).as_bytes())
                .map_err(|e| ServiceError::io(format!("cannot write {}", path.display()), e))?;
            tracing::info!(path = %path.display(), "generated a new signing secret");
            Ok(Secret(bytes))
        }
        Err(e) => Err(ServiceError::io(
            format!("cannot read {}", path.display()),
            e,
        )),
    }
}

/// Creates `path` with mode 0600 (owner only) and writes `content` durably.
pub fn write_private(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(content)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create(dir.path(), None).unwrap();
        let b = load_or_create(dir.path(), None).unwrap();
        assert_eq!(a.bytes(), b.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(load_or_create(dir.path(), Some("short")).is_err());
        assert_eq!(format!("{a:?}"), "Secret(<redacted>)");
    }
}
