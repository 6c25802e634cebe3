//! Server configuration in layers: built-in defaults, then the config file (TOML), then
//! `DMPTOOL_*` environment variables, then command-line flags (clap reads the last two; a
//! flag wins over its variable). Secrets come from the environment only, and never print.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::api::middleware::AllowedOrigins;
pub use crate::logging::LogFormat;
use crate::service::Settings;

/// Variables read from the environment only (secrets, and the log filter).
pub const ENV_ONLY: [&str; 4] = [
    "DMPTOOL_JWT_SECRET",
    "DMPTOOL_ADMIN_PASSWORD",
    "DMPTOOL_LOG",
    "RUST_LOG",
];

/// Every key a config file may hold.
pub fn file_keys() -> Vec<String> {
    match serde_json::to_value(FileConfig::default()) {
        Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 5000;
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// The most items a list answers with in one page.
pub const DEFAULT_MAX_PAGE_SIZE: usize = 1000;
/// A log file starts anew past this size ...
pub const DEFAULT_LOG_FILE_SIZE: u64 = 1024 * 1024;
/// ... keeping this many older files (as the legacy service did).
pub const DEFAULT_LOG_FILE_COUNT: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// The keys a config file may hold; every one is optional.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data: Option<PathBuf>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub dev: Option<bool>,
    pub cors_origins: Option<Vec<String>>,
    pub body_limit: Option<String>,
    pub access_token_ttl: Option<String>,
    pub refresh_token_ttl: Option<String>,
    pub download_link_ttl: Option<String>,
    pub log_format: Option<LogFormat>,
    pub log_file: Option<PathBuf>,
    pub log_file_size: Option<String>,
    pub log_file_count: Option<usize>,
    pub workers: Option<usize>,
    pub render_timeout: Option<String>,
    pub max_pending_tasks: Option<usize>,
    pub trust_proxy: Option<bool>,
    pub public_url: Option<String>,
    pub request_timeout: Option<String>,
    pub idle_timeout: Option<String>,
    pub write_timeout: Option<String>,
    pub max_connections: Option<usize>,
    pub max_header_bytes: Option<String>,
    pub max_page_size: Option<usize>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.message().to_owned(),
        })
    }
}

/// Everything `serve` needs, resolved.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
    pub host: String,
    pub port: u16,
    pub dev: bool,
    pub origins: AllowedOrigins,
    pub body_limit: usize,
    pub settings: Settings,
    pub logging: crate::logging::LogSettings,
    /// Documents rendered at once (default: the number of cores).
    pub workers: Option<usize>,
    /// Behind a reverse proxy: take client addresses from `X-Forwarded-For`.
    pub trust_proxy: bool,
    /// This server's public base URL (`https://dmp.example.org`): the start of the
    /// identifiers in maDMP documents. `None`: taken from each request.
    pub public_url: Option<String>,
    /// How long a client may take to send one request (from its first byte).
    pub request_timeout: std::time::Duration,
    /// How long a connection may stay silent between requests.
    pub idle_timeout: std::time::Duration,
    /// How long a response may go without progress (the client not reading it).
    pub write_timeout: std::time::Duration,
    /// Connections served at once (default: below the open-file limit).
    pub max_connections: Option<usize>,
    /// Largest request head (request line and headers); 431 above.
    pub max_header_bytes: usize,
    /// Most items in one page of a list (`GET /dmps`, `GET /tasks`).
    pub max_page_size: usize,
}

/// Parses `3600`, `90s`, `15m`, `8h` or `30d` into seconds.
// By hand, not humantime: that crate refuses a bare `3600` and takes forms (`1h 30m`, `ms`,
// years) docs/configuration.md does not promise; these 20 lines are the whole grammar.
pub fn parse_duration(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 's')) => (&s[..i], 1),
        Some((i, 'm')) => (&s[..i], 60),
        Some((i, 'h')) => (&s[..i], 3600),
        Some((i, 'd')) => (&s[..i], 86_400),
        _ => (s, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a duration (e.g. 3600, 90s, 15m, 8h, 30d)"))?;
    if n == 0 {
        return Err(format!("'{s}': a duration must be positive"));
    }
    n.checked_mul(mult)
        .ok_or_else(|| format!("'{s}' is too long"))
}

/// A `public_url`: an absolute `http` or `https` URL without query or fragment; a
/// trailing `/` is dropped.
pub fn parse_public_url(s: &str) -> Result<String, String> {
    let t = s.trim().trim_end_matches('/');
    let rest = t
        .strip_prefix("https://")
        .or_else(|| t.strip_prefix("http://"))
        .ok_or_else(|| format!("public_url {s:?} must start with http:// or https://"))?;
    let host = rest.split('/').next().unwrap_or("");
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "-._~/:[]%".contains(c);
    if host.is_empty() || !rest.chars().all(ok_char) {
        return Err(format!(
            "public_url {s:?} is not a base URL such as https://dmp.example.org (no query, fragment or spaces)"
        ));
    }
    Ok(t.to_owned())
}

/// Parses `1048576`, `512K`, `1M` or `2MiB` into bytes.
// By hand, not parse-size: that crate reads `1M` as 10^6 unless configured and takes
// fractions; dmptool's sizes are whole numbers of 1024-based units (docs/configuration.md).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim().trim_end_matches("iB").trim_end_matches('B');
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 1024),
        Some((i, 'M' | 'm')) => (&t[..i], 1024 * 1024),
        Some((i, 'G' | 'g')) => (&t[..i], 1024 * 1024 * 1024),
        _ => (t, 1),
    };
    let n: usize = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 1048576, 512K, 1M)"))?;
    if n == 0 {
        return Err(format!("'{s}': a size must be positive"));
    }
    n.checked_mul(mult)
        .ok_or_else(|| format!("'{s}' is too large"))
}

/// Checks an allowed CORS origin: `scheme://host[:port]`, no path.
pub fn parse_origin(s: &str) -> Result<String, String> {
    let o = s.trim().trim_end_matches('/');
    let rest = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
        .ok_or_else(|| format!("CORS origin '{s}' must start with http:// or https://"))?;
    if rest.is_empty() || rest.contains('/') || rest.contains(char::is_whitespace) {
        return Err(format!(
            "CORS origin '{s}' must be scheme://host[:port] with no path"
        ));
    }
    Ok(o.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3600"), Ok(3600));
        assert_eq!(parse_duration("15m"), Ok(900));
        assert_eq!(parse_duration("8h"), Ok(28_800));
        assert_eq!(parse_duration("30d"), Ok(2_592_000));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("2MiB"), Ok(2 << 20));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("big").is_err());
    }

    #[test]
    fn origins() {
        assert_eq!(
            parse_origin("https://app.example.org/"),
            Ok("https://app.example.org".into())
        );
        assert!(parse_origin("app.example.org").is_err());
        assert!(parse_origin("https://a.org/path").is_err());
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "prot = 1\n").unwrap();
        let err = FileConfig::load(&p).unwrap_err().to_string();
        assert!(err.contains("prot"), "{err}");
        std::fs::write(&p, "port = 8080\ncors_origins = [\"https://a.org\"]\n").unwrap();
        assert_eq!(FileConfig::load(&p).unwrap().port, Some(8080));
    }
}
