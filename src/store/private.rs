//! Files and folders only their owner may read: the data dir (0700), the database and its
//! backups, documents and exports (0600). Modes are set explicitly after creation, so they do
//! not depend on the process umask. Files are read without following symbolic links.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

/// Mode of private folders.
pub const DIR_MODE: u32 = 0o700;
/// Mode of private files.
pub const FILE_MODE: u32 = 0o600;

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Creates `path` and its missing parents; every folder this creates gets mode 0700. An
/// existing folder keeps its mode. Returns whether `path` itself was created.
pub fn create_dir_all(path: &Path) -> io::Result<bool> {
    if path.is_dir() {
        return Ok(false);
    }
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        create_dir_all(parent)?;
    }
    let mut b = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(DIR_MODE);
    }
    match b.create(path) {
        Ok(()) => {
            set_mode(path, DIR_MODE)?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Sets a folder to 0700 whatever it was; a symbolic link to a folder (the operator's
/// choice, e.g. documents kept on another disk) is left alone rather than followed.
pub fn restrict_dir(path: &Path) -> io::Result<()> {
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Ok(());
    }
    set_mode(path, DIR_MODE)
}

/// Sets a file to 0600 whatever it was.
pub fn restrict_file(path: &Path) -> io::Result<()> {
    set_mode(path, FILE_MODE)
}

/// The permission bits of `path` (of what a symbolic link points at).
#[cfg(unix)]
pub fn mode(path: &Path) -> io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(fs::metadata(path)?.permissions().mode() & 0o7777)
}

/// Creates (or truncates) `path` as a private file, 0600, for writing. A symbolic link at
/// `path` is not followed: opening it fails.
pub fn create(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(FILE_MODE).custom_flags(libc::O_NOFOLLOW);
    }
    let f = opts.open(path)?;
    set_file_mode(&f)?;
    Ok(f)
}

/// Creates `path` if absent (0600), leaving an existing file's content alone, and sets its
/// mode to 0600 (an existing file another account owns keeps its mode, with a warning).
/// Used for the database and backups, whose paths the operator chooses: a symbolic link
/// there (a database on another disk) is followed.
pub fn touch(path: &Path) -> io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(FILE_MODE);
    }
    let f = opts.open(path)?;
    if let Err(e) = set_file_mode(&f) {
        tracing::warn!(path = %path.display(), error = %e, "cannot make the file private (0600)");
    }
    Ok(())
}

fn set_file_mode(f: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(())
}

/// Opens `path` for reading only if it is a regular file: a symbolic link (even to a regular
/// file), a folder, a device or a pipe is refused with `InvalidInput`.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let f = opts.open(path).map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            io::Error::new(io::ErrorKind::InvalidInput, "it is a symbolic link")
        } else {
            e
        }
    })?;
    if !f.metadata()?.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file",
        ));
    }
    Ok(f)
}

/// Reads a regular file whole (see [`open_regular`]).
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    let mut f = open_regular(path)?;
    let mut out = Vec::new();
    f.read_to_end(&mut out)?;
    Ok(out)
}

/// Copies the regular file `src` (never through a symbolic link) to a new private file
/// `dest`, fsynced. Returns the number of bytes copied.
pub fn copy_regular(src: &Path, dest: &Path) -> io::Result<u64> {
    let mut from = open_regular(src)?;
    let mut to = create(dest)?;
    let n = io::copy(&mut from, &mut to)?;
    to.flush()?;
    to.sync_all()?;
    Ok(n)
}

/// Writes `bytes` to a private file `path` (created or truncated).
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn links_and_special_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, b"secret").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(
            open_regular(&link).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(
            open_regular(dir.path()).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(read_regular(&target).unwrap(), b"secret");
        assert!(create(&link).is_err(), "writing through a link is refused");
        assert_eq!(fs::read(&target).unwrap(), b"secret");
    }
}
