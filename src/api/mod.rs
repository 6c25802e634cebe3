//! The REST API (poem-openapi). Handlers are thin: decode, call one service function on the
//! blocking pool, encode. Errors map to HTTP in `error.rs` only.

pub mod activity;
pub mod admin;
pub mod auth;
pub mod catalog;
pub mod comments;
pub mod dmp_schema;
pub mod dmps;
pub mod document;
pub mod error;
pub mod health;
pub mod madmp;
pub mod middleware;
pub mod payload;
pub mod rda;
pub mod resources;
pub mod revisions;
pub mod scalars;
pub mod security;
pub mod sharing;
pub mod tasks;
pub mod templates;

use std::sync::Arc;
use std::time::Instant;

use poem_openapi::OpenApiService;
use tokio::sync::Semaphore;

use crate::service::{ServiceError, Services};
use error::ApiError;

/// What every operation reaches (as request data): the services, and the slots that bound how many password
/// hashes run at once (so a burst of logins cannot take every blocking thread).
#[derive(Clone)]
pub struct ApiState {
    pub services: Arc<Services>,
    hash_slots: Arc<Semaphore>,
    pub started: Instant,
    /// Take the client's address from `X-Forwarded-For` (set when a trusted reverse proxy
    /// stands in front), for login throttling.
    pub trust_proxy: bool,
    /// Most items in one page of a list (`GET /dmps`, `GET /tasks`).
    pub max_page: usize,
    /// This server's public base URL (`public_url`), for identifiers in documents; when
    /// absent the base is taken from the request (`base_url`) and documents say so.
    pub public_url: Option<String>,
}

/// The items a list answers with: `asked`, or the maximum page size when absent or larger.
pub fn page_limit(asked: Option<u64>, max_page: usize) -> usize {
    asked.map_or(max_page, |l| {
        usize::try_from(l).unwrap_or(usize::MAX).min(max_page)
    })
}

impl ApiState {
    pub fn new(services: Arc<Services>, hash_concurrency: usize) -> Self {
        Self {
            services,
            hash_slots: Arc::new(Semaphore::new(hash_concurrency.max(1))),
            started: Instant::now(),
            trust_proxy: false,
            max_page: crate::config::DEFAULT_MAX_PAGE_SIZE,
            public_url: None,
        }
    }

    /// Identifiers in documents start with this base URL (`public_url`).
    pub fn with_public_url(mut self, url: Option<String>) -> Self {
        self.public_url = url.map(|u| u.trim_end_matches('/').to_owned());
        self
    }

    /// How documents are served to this request: the configured base URL or the one the
    /// client reached (`base_url`), and the maDMP versions `/rda` negotiated (1.3 else).
    pub fn served(&self, req: &poem::Request) -> crate::service::madmp::Served {
        let n = req
            .extensions()
            .get::<rda::negotiate::Negotiated>()
            .copied()
            .unwrap_or_default();
        let (base_url, configured) = match &self.public_url {
            Some(u) => (u.clone(), true),
            None => (self.base_url(req), false),
        };
        crate::service::madmp::Served {
            base_url,
            configured,
            version: n.version,
            input: n.input,
            unique_dmp_id: false,
        }
    }

    /// The most items in one page of a list.
    pub fn with_max_page(mut self, max: usize) -> Self {
        self.max_page = max.max(1);
        self
    }

    /// Trusts `X-Forwarded-For` from a reverse proxy (see `client_ip`).
    pub fn with_trusted_proxy(mut self, trust: bool) -> Self {
        self.trust_proxy = trust;
        self
    }

    /// The client's address: the peer's, or behind a trusted proxy the last address in
    /// `X-Forwarded-For` (the one that proxy added; earlier ones are the client's word).
    pub fn client_ip(&self, req: &poem::Request) -> Option<std::net::IpAddr> {
        if self.trust_proxy {
            let forwarded = req
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse().ok())
                .next_back();
            if forwarded.is_some() {
                return forwarded;
            }
        }
        req.remote_addr().as_socket_addr().map(|a| a.ip())
    }

    /// This server's address as the client reached it (`http://host:port`), for links in
    /// documents such as a maDMP `dmp_id`. Behind a trusted proxy, `X-Forwarded-Proto` and
    /// `X-Forwarded-Host` say how the client reached the proxy.
    pub fn base_url(&self, req: &poem::Request) -> String {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(',').next().unwrap_or("").trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let forwarded = |name: &str| if self.trust_proxy { header(name) } else { None };
        let scheme = match forwarded("x-forwarded-proto").as_deref() {
            Some("https") => "https",
            _ => "http",
        };
        let host = forwarded("x-forwarded-host")
            .or_else(|| header("host"))
            .or_else(|| req.uri().authority().map(|a| a.to_string()))
            .filter(|h| {
                h.len() <= 255
                    && h.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
                    })
            })
            .unwrap_or_else(|| "localhost".to_owned());
        format!("{scheme}://{host}")
    }

    /// Runs blocking service work (redb, files) off the async workers.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Services) -> Result<T, ServiceError> + Send + 'static,
    {
        let services = self.services.clone();
        match tokio::task::spawn_blocking(move || f(&services)).await {
            Ok(result) => result.map_err(ApiError::from),
            Err(source) => Err(ServiceError::Task {
                context: "a request handler failed",
                source,
            }
            .into()),
        }
    }

    /// Like `run`, for work that hashes a password: waits for a hashing slot first.
    pub async fn run_hashing<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Services) -> Result<T, ServiceError> + Send + 'static,
    {
        let _slot = self
            .hash_slots
            .acquire()
            .await
            .map_err(|_| ApiError::from(ServiceError::fault("hashing slots closed")))?;
        self.run(f).await
    }
}

/// Every operation group, listed once: the type of the whole API and its value.
macro_rules! apis {
    ($($module:ident::$api:ident),* $(,)?) => {
        pub type Api = ($($module::$api,)*);
        const APIS: Api = ($($module::$api,)*);
    };
}

apis!(
    auth::AuthApi,
    dmps::DmpsApi,
    sharing::SharingApi,
    revisions::RevisionsApi,
    comments::CommentsApi,
    activity::ActivityApi,
    tasks::TasksApi,
    resources::ResourcesApi,
    health::HealthApi,
    templates::TemplatesApi,
    admin::AdminApi,
    madmp::MadmpApi,
    rda::RdaApi,
);

/// The OpenAPI service: every operation, documented.
pub fn openapi() -> OpenApiService<Api, ()> {
    OpenApiService::new(APIS, "dmptool", env!("CARGO_PKG_VERSION")).description(
        "Write, keep and publish data management plans. Log in with `GET /login` (HTTP Basic) \
         to get an access token, then send it as `Authorization: Bearer <token>`. Every error \
         is a JSON object `{\"error\": \"...\"}`.",
    )
}

/// The OpenAPI document as served and committed: the generated one, with the maDMP media
/// type listed beside `application/json` wherever the `/rda` surface reads or writes JSON.
/// Built once; the JSON and YAML texts and the `Allow` table all come from it.
pub fn spec() -> &'static serde_json::Value {
    static SPEC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SPEC.get_or_init(build_spec)
}

/// The RDA Common maDMP API's own OpenAPI document (`/rda/openapi.json`): only the `/rda`
/// operations, with the maDMP media types listed beside `application/json`.
pub fn rda_openapi() -> OpenApiService<rda::RdaApi, ()> {
    OpenApiService::new(rda::RdaApi, "RDA Common maDMP API (dmptool)", "1.0.0")
        .description(rda::SPEC_DESCRIPTION)
        .license(
            poem_openapi::LicenseObject::new("CC0-1.0")
                .url("https://creativecommons.org/publicdomain/zero/1.0/"),
        )
}

/// The RDA document as served, built once.
pub fn rda_spec() -> &'static serde_json::Value {
    static SPEC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SPEC.get_or_init(|| {
        let spec = serde_json::from_str(&rda_openapi().spec()).unwrap_or(serde_json::Value::Null);
        with_madmp_types(spec)
    })
}

fn build_spec() -> serde_json::Value {
    let spec: serde_json::Value =
        serde_json::from_str(&openapi().spec()).unwrap_or(serde_json::Value::Null);
    with_madmp_types(spec)
}

fn with_madmp_types(mut spec: serde_json::Value) -> serde_json::Value {
    if let Some(paths) = spec.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for (path, ops) in paths.iter_mut() {
            if !rda::negotiate::is_rda_path(path) {
                continue;
            }
            for op in ops.as_object_mut().into_iter().flat_map(|o| o.values_mut()) {
                if let Some(c) = op.pointer_mut("/requestBody/content") {
                    add_madmp_type(c);
                }
                if let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) {
                    for r in responses.values_mut() {
                        if let Some(c) = r.get_mut("content") {
                            add_madmp_type(c);
                        }
                    }
                }
            }
        }
    }
    spec
}

fn add_madmp_type(content: &mut serde_json::Value) {
    let Some(map) = content.as_object_mut() else {
        return;
    };
    let json = map
        .iter()
        .find(|(k, _)| k.starts_with("application/json"))
        .map(|(_, v)| v.clone());
    if let Some(schema) = json {
        for v in crate::madmp::Version::ALL {
            map.insert(v.media_type().to_owned(), schema.clone());
        }
    }
}

/// The served OpenAPI document as JSON text.
pub fn spec_json() -> String {
    serde_json::to_string_pretty(spec()).unwrap_or_default()
}

/// The served OpenAPI document as YAML text.
pub fn spec_yaml() -> String {
    serde_yaml::to_string(spec()).unwrap_or_default()
}
