//! Logs: to stderr by default (journald and containers collect it), or to a file that rotates
//! by size (`--log-file`), as text or JSON lines.

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// A log file that starts anew past `max_bytes`, keeping `keep` older files as
/// `PATH.1` (newest) … `PATH.keep` (oldest).
// By hand: tracing-appender rotates by time only, and file-rotate cuts at the exact byte
// (splitting a line) or only after the limit is passed; this rotates before the line that
// would pass it, in 60 lines.
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
    file: File,
    size: u64,
}

fn numbered(path: &Path, n: usize) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

impl RotatingFile {
    pub fn open(path: &Path, max_bytes: u64, keep: usize) -> io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let size = file.metadata()?.len();
        Ok(Self {
            path: path.to_owned(),
            max_bytes: max_bytes.max(1),
            keep,
            file,
            size,
        })
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.keep == 0 {
            self.file = File::create(&self.path)?;
        } else {
            let _ = std::fs::remove_file(numbered(&self.path, self.keep));
            for n in (1..self.keep).rev() {
                match std::fs::rename(numbered(&self.path, n), numbered(&self.path, n + 1)) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    _ => {}
                }
            }
            std::fs::rename(&self.path, numbered(&self.path, 1))?;
            self.file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
        }
        self.size = 0;
        Ok(())
    }
}

impl Write for RotatingFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.size > 0 && self.size + buf.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        let n = self.file.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Where and how to log.
#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    pub file: Option<PathBuf>,
    pub file_max_bytes: u64,
    pub file_keep: usize,
}

/// Installs the global subscriber. The level comes from `DMPTOOL_LOG` (or `RUST_LOG`),
/// `info` by default.
pub fn init(s: &LogSettings) -> io::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DMPTOOL_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A log line that cannot be written is dropped. By default tracing-subscriber reports
    // that with `eprintln!`, which panics when stderr is the broken pipe (a restarted
    // journald, a closed terminal): every request would then fail because its log line did.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .log_internal_errors(false);
    match &s.file {
        Some(path) => {
            let writer =
                std::sync::Mutex::new(RotatingFile::open(path, s.file_max_bytes, s.file_keep)?);
            let builder = builder.with_writer(writer).with_ansi(false);
            match s.format {
                LogFormat::Json => builder.json().flatten_event(true).init(),
                LogFormat::Text => builder.init(),
            }
        }
        None => {
            // Colours only for a person at a terminal, never into collectors.
            let builder = builder
                .with_writer(io::stderr)
                .with_ansi(io::stderr().is_terminal());
            match s.format {
                LogFormat::Json => builder.json().flatten_event(true).init(),
                LogFormat::Text => builder.init(),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_by_size_and_keeps_a_bounded_number_of_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/dmptool.log");
        let mut f = RotatingFile::open(&path, 100, 3).unwrap();
        for i in 0..40 {
            writeln!(f, "line {i:03} of the log, about 30 bytes").unwrap();
        }
        f.flush().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join("logs"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "dmptool.log",
                "dmptool.log.1",
                "dmptool.log.2",
                "dmptool.log.3"
            ]
        );
        for n in &names {
            assert!(
                std::fs::metadata(dir.path().join("logs").join(n))
                    .unwrap()
                    .len()
                    <= 100,
                "{n}"
            );
        }
        let newest = std::fs::read_to_string(&path).unwrap();
        assert!(newest.contains("line 039"));
        let previous = std::fs::read_to_string(dir.path().join("logs/dmptool.log.1")).unwrap();
        assert!(!previous.contains("line 039") && previous.contains("line 03"));
        // Reopening appends to the current file.
        let other = dir.path().join("other.log");
        write!(RotatingFile::open(&other, 100, 3).unwrap(), "ab").unwrap();
        write!(RotatingFile::open(&other, 100, 3).unwrap(), "c").unwrap();
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "abc");
    }
}
