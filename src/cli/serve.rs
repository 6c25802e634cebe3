//! `dmptool serve` (and the seed's `runserver` / `runprodserver`): resolve the configuration
//! in layers, then run the server.

use std::path::PathBuf;

use crate::api::middleware::AllowedOrigins;
use crate::config::{
    self, ConfigError, DEFAULT_BODY_LIMIT, DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT,
    FileConfig, LogFormat, ServeConfig,
};
use crate::service::Settings;

/// Options of `dmptool serve`. Each also reads its DMPTOOL_* variable; secrets are read from
/// the environment only: DMPTOOL_JWT_SECRET (signing key, at least 32 characters; default: a
/// key generated in the data dir) and DMPTOOL_ADMIN_PASSWORD (password of the first
/// administrator, made when there is no user; default: generated and logged once).
#[derive(clap::Args, Debug, Default)]
#[command(
    after_help = "Secrets come from the environment only: DMPTOOL_JWT_SECRET (token signing key, \
at least 32 characters; default: generated once into DIR/jwt-secret) and DMPTOOL_ADMIN_PASSWORD (the \
first administrator's password when the database has no user; default: generated and logged once)."
)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1].
    #[arg(long, env = "DMPTOOL_HOST")]
    pub host: Option<String>,
    /// Port to listen on [default: 5000].
    #[arg(long, short = 'p', env = "DMPTOOL_PORT")]
    pub port: Option<u16>,
    /// Development mode: any CORS origin allowed [default: false].
    #[arg(long, env = "DMPTOOL_DEV", num_args = 0..=1, default_missing_value = "true")]
    pub dev: Option<bool>,
    /// A browser origin allowed to call the API (repeat, or comma-separate in the variable),
    /// e.g. https://dmp.example.org [default: none].
    #[arg(
        long = "cors-origin",
        env = "DMPTOOL_CORS_ORIGINS",
        value_delimiter = ',',
        value_name = "ORIGIN"
    )]
    pub cors_origins: Vec<String>,
    /// Largest request body accepted, e.g. 1M, 512K [default: 1M].
    #[arg(long, env = "DMPTOOL_BODY_LIMIT", value_name = "SIZE")]
    pub body_limit: Option<String>,
    /// How long an access token is valid, e.g. 8h, 30m [default: 8h].
    #[arg(long, env = "DMPTOOL_ACCESS_TOKEN_TTL", value_name = "DURATION")]
    pub access_token_ttl: Option<String>,
    /// How long a refresh token (a login session) is valid [default: 30d].
    #[arg(long, env = "DMPTOOL_REFRESH_TOKEN_TTL", value_name = "DURATION")]
    pub refresh_token_ttl: Option<String>,
    /// How long a signed download link is valid [default: 1h].
    #[arg(long, env = "DMPTOOL_DOWNLOAD_LINK_TTL", value_name = "DURATION")]
    pub download_link_ttl: Option<String>,
    /// Log format [default: text].
    #[arg(long, env = "DMPTOOL_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log to this file instead of stderr, rotated by size [default: stderr].
    #[arg(long, env = "DMPTOOL_LOG_FILE", value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Size at which the log file starts anew, e.g. 1M [default: 1M].
    #[arg(long, env = "DMPTOOL_LOG_FILE_SIZE", value_name = "SIZE")]
    pub log_file_size: Option<String>,
    /// How many rotated log files to keep (PATH.1 ... PATH.N) [default: 20].
    #[arg(long, env = "DMPTOOL_LOG_FILE_COUNT", value_name = "N")]
    pub log_file_count: Option<usize>,
    /// Document tasks one user may have waiting at once; more get 429 [default: 10].
    #[arg(long, env = "DMPTOOL_MAX_PENDING_TASKS", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_pending_tasks: Option<u32>,
    /// Documents rendered at once [default: the number of cores].
    #[arg(long, env = "DMPTOOL_WORKERS", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,
    /// Time one task's documents may take to render; a longer task ends `error` and the
    /// worker goes on, e.g. 5s [default: 5s].
    #[arg(long, env = "DMPTOOL_RENDER_TIMEOUT", value_name = "DURATION")]
    pub render_timeout: Option<String>,
    /// Behind a reverse proxy that sets X-Forwarded-For: take client addresses from it
    /// (for login throttling) [default: false].
    #[arg(long, env = "DMPTOOL_TRUST_PROXY", num_args = 0..=1, default_missing_value = "true")]
    pub trust_proxy: Option<bool>,
    /// This server's public base URL, e.g. https://dmp.example.org: maDMP identifiers
    /// (dmp_id, dataset, contact) start with it [default: the address each request used].
    #[arg(long, env = "DMPTOOL_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Time a client has to send a whole request, from its first byte, e.g. 30s [default: 30s].
    #[arg(long, env = "DMPTOOL_REQUEST_TIMEOUT", value_name = "DURATION")]
    pub request_timeout: Option<String>,
    /// Time after which a silent connection is closed, e.g. 75s [default: 75s].
    #[arg(long, env = "DMPTOOL_IDLE_TIMEOUT", value_name = "DURATION")]
    pub idle_timeout: Option<String>,
    /// Time a response may go without progress (the client not reading it) before the
    /// connection is closed, e.g. 30s [default: 30s].
    #[arg(long, env = "DMPTOOL_WRITE_TIMEOUT", value_name = "DURATION")]
    pub write_timeout: Option<String>,
    /// Connections served at once; at the cap the connection idle longest is closed
    /// [default: 10000, or the open-file limit less 128 when lower].
    #[arg(long, env = "DMPTOOL_MAX_CONNECTIONS", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
    /// Largest request head (request line and headers), e.g. 32K; 431 above [default: 32K].
    #[arg(long, env = "DMPTOOL_MAX_HEADER_BYTES", value_name = "SIZE")]
    pub max_header_bytes: Option<String>,
    /// Most items in one page of GET /dmps and GET /tasks (also when no `limit` is asked
    /// for; a larger `limit` is lowered to it) [default: 1000].
    #[arg(long, env = "DMPTOOL_MAX_PAGE_SIZE", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_page_size: Option<u32>,
}

/// Options of the seed's `runserver` / `runprodserver`.
#[derive(clap::Args, Debug)]
pub struct LegacyServeArgs {
    /// Address to listen on [default: 127.0.0.1].
    #[arg(short = 'h', long, env = "DMPTOOL_HOST")]
    pub host: Option<String>,
    /// Port to listen on [default: 5000].
    #[arg(short = 'p', long, env = "DMPTOOL_PORT")]
    pub port: Option<u16>,
}

impl LegacyServeArgs {
    /// `runserver` is development mode with text logs; `runprodserver` production with JSON.
    pub fn into_serve_args(self, dev: bool) -> ServeArgs {
        ServeArgs {
            host: self.host,
            port: self.port,
            dev: Some(dev),
            log_format: Some(if dev {
                LogFormat::Text
            } else {
                LogFormat::Json
            }),
            ..ServeArgs::default()
        }
    }
}

/// A duration setting, or its default.
fn timeout(
    value: Option<String>,
    default: std::time::Duration,
) -> Result<std::time::Duration, ConfigError> {
    match value {
        None => Ok(default),
        Some(s) => config::parse_duration(&s)
            .map(std::time::Duration::from_secs)
            .map_err(invalid),
    }
}

fn invalid(e: String) -> ConfigError {
    ConfigError::Invalid(e)
}

/// Resolves defaults → file → environment → flags into one configuration.
pub fn resolve(
    data: Option<PathBuf>,
    config_file: Option<&std::path::Path>,
    args: ServeArgs,
) -> Result<ServeConfig, ConfigError> {
    let file = match config_file {
        Some(p) => FileConfig::load(p)?,
        None => FileConfig::default(),
    };
    let dev = args.dev.or(file.dev).unwrap_or(false);
    let cors = if args.cors_origins.is_empty() {
        file.cors_origins.unwrap_or_default()
    } else {
        args.cors_origins
    };
    let cors = cors
        .iter()
        .filter(|o| !o.trim().is_empty())
        .map(|o| config::parse_origin(o))
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let origins = if dev && cors.is_empty() {
        AllowedOrigins::Any
    } else {
        AllowedOrigins::List(cors)
    };
    let defaults = Settings::default();
    let duration =
        |flag: Option<String>, file: Option<String>, default: u64| -> Result<u64, ConfigError> {
            flag.or(file)
                .map_or(Ok(default), |s| config::parse_duration(&s).map_err(invalid))
        };
    let settings = Settings {
        access_ttl: duration(
            args.access_token_ttl,
            file.access_token_ttl,
            defaults.access_ttl,
        )?,
        refresh_ttl: duration(
            args.refresh_token_ttl,
            file.refresh_token_ttl,
            defaults.refresh_ttl,
        )?,
        link_ttl: duration(
            args.download_link_ttl,
            file.download_link_ttl,
            defaults.link_ttl,
        )?,
        render_limit: timeout(
            args.render_timeout.or(file.render_timeout),
            defaults.render_limit,
        )?,
        max_pending_tasks: match args
            .max_pending_tasks
            .map(|n| n as usize)
            .or(file.max_pending_tasks)
        {
            None => defaults.max_pending_tasks,
            Some(n) if (1..=100_000).contains(&n) => n,
            Some(n) => {
                return Err(invalid(format!(
                    "max_pending_tasks must be between 1 and 100000, not {n}"
                )));
            }
        },
        clock: defaults.clock,
        system_font_dirs: defaults.system_font_dirs,
    };
    let body_limit = args
        .body_limit
        .or(file.body_limit)
        .map_or(Ok(DEFAULT_BODY_LIMIT), |s| {
            config::parse_size(&s).map_err(invalid)
        })?;
    Ok(ServeConfig {
        data_dir: data
            .or(file.data)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
        host: args
            .host
            .or(file.host)
            .unwrap_or_else(|| DEFAULT_HOST.to_owned()),
        port: args.port.or(file.port).unwrap_or(DEFAULT_PORT),
        dev,
        origins,
        body_limit,
        settings,
        logging: crate::logging::LogSettings {
            format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            file: args.log_file.or(file.log_file),
            file_max_bytes: args
                .log_file_size
                .or(file.log_file_size)
                .map_or(Ok(config::DEFAULT_LOG_FILE_SIZE as usize), |s| {
                    config::parse_size(&s).map_err(invalid)
                })? as u64,
            file_keep: args
                .log_file_count
                .or(file.log_file_count)
                .unwrap_or(config::DEFAULT_LOG_FILE_COUNT),
        },
        workers: args
            .workers
            .map(usize::from)
            .or(file.workers)
            .filter(|n| (1..=256).contains(n)),
        trust_proxy: args.trust_proxy.or(file.trust_proxy).unwrap_or(false),
        public_url: args
            .public_url
            .or(file.public_url)
            .map(|u| config::parse_public_url(&u).map_err(invalid))
            .transpose()?,
        request_timeout: timeout(
            args.request_timeout.or(file.request_timeout),
            crate::net::REQUEST_READ_TIMEOUT,
        )?,
        idle_timeout: timeout(
            args.idle_timeout.or(file.idle_timeout),
            crate::net::IDLE_TIMEOUT,
        )?,
        write_timeout: timeout(
            args.write_timeout.or(file.write_timeout),
            crate::net::WRITE_TIMEOUT,
        )?,
        max_connections: args
            .max_connections
            .map(|n| n as usize)
            .or(file.max_connections)
            .filter(|n| *n > 0),
        max_header_bytes: args
            .max_header_bytes
            .or(file.max_header_bytes)
            .map_or(Ok(crate::net::MAX_HEADER_BYTES), |s| {
                config::parse_size(&s).map_err(invalid)
            })?,
        max_page_size: args
            .max_page_size
            .map(|n| n as usize)
            .or(file.max_page_size)
            .filter(|n| *n > 0)
            .unwrap_or(config::DEFAULT_MAX_PAGE_SIZE),
    })
}
