//! Assembling and running the HTTP server: routes, middleware, start-up and shutdown.

use std::sync::Arc;
use std::time::Duration;

use poem::{Endpoint, EndpointExt, Response, Route};

use crate::api::middleware::{BodyLimit, Cors, HeadLimit, RequestLog, StandardHeaders};
use crate::api::rda::negotiate::RdaSurface;
use crate::api::{ApiState, error, openapi};
use crate::config::ServeConfig;
use crate::service::Services;

/// The whole HTTP application: API, OpenAPI document, Swagger UI, and middleware.
///
/// Order matters: errors become JSON innermost, so CORS headers, standard headers and the
/// request log all see the final response.
pub fn app(state: ApiState, cfg: &ServeConfig) -> impl Endpoint<Output = Response> + 'static {
    let api = openapi();
    let ui = api.swagger_ui();
    let (json, yaml) = (crate::api::spec_json(), crate::api::spec_yaml());
    let rda_json = serde_json::to_string_pretty(crate::api::rda_spec()).unwrap_or_default();
    let rda_ui = crate::api::rda_openapi().swagger_ui();
    let routes = Route::new()
        .at(
            "/rda/openapi.json",
            poem::get(poem::endpoint::make_sync(move |_| {
                Response::builder()
                    .content_type("application/json; charset=utf-8")
                    .body(rda_json.clone())
            })),
        )
        .nest("/rda/docs", rda_ui)
        .at(
            crate::api::catalog::PATH,
            poem::get(crate::api::catalog::api_catalog).head(crate::api::catalog::api_catalog),
        )
        .at(
            "/openapi.json",
            poem::get(poem::endpoint::make_sync(move |_| {
                Response::builder()
                    .content_type("application/json; charset=utf-8")
                    .body(json.clone())
            })),
        )
        .at(
            "/openapi.yaml",
            poem::get(poem::endpoint::make_sync(move |_| {
                Response::builder()
                    .content_type("application/yaml; charset=utf-8")
                    .body(yaml.clone())
            })),
        )
        .nest("/docs", ui)
        // The web editor (`/` and `/ui/...`), outside the OpenAPI document.
        .nest("/ui", crate::web::ui_routes())
        .nest("/", api);
    // `/` itself is the web editor's (the login page or the plan list); no API route is.
    crate::web::WithRoot::new(routes)
        .with(BodyLimit(cfg.body_limit))
        .with(HeadLimit(cfg.max_header_bytes))
        .data(state)
        .with(error::JsonErrors)
        .with(RdaSurface)
        .with(Cors(cfg.origins.clone()))
        .with(StandardHeaders)
        .with(RequestLog)
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Service(#[from] crate::service::ServiceError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// Opens the data dir, makes the first administrator if there is no user, and serves until
/// SIGINT or SIGTERM; then drains in-flight requests and closes the database.
pub async fn run(
    cfg: ServeConfig,
    jwt_secret: Option<String>,
    admin_password: Option<String>,
) -> Result<(), ServeError> {
    let data_dir = cfg.data_dir.clone();
    let settings = cfg.settings.clone();
    let services = tokio::task::spawn_blocking(move || {
        let s = Services::open(&data_dir, settings, jwt_secret.as_deref())?;
        if let Some(admin) = s.ensure_initial_admin(admin_password.as_deref())? {
            match admin.generated_password {
                Some(pw) => tracing::warn!(
                    username = %admin.username,
                    password = %pw,
                    "created the first administrator: log in as '{}' with password '{pw}' (shown once; change it with PUT /changepassword or `dmptool admin set-password`)",
                    admin.username
                ),
                None => tracing::info!(username = %admin.username, "created the first administrator with DMPTOOL_ADMIN_PASSWORD"),
            }
        }
        s.purge_expired_sessions()?;
        crate::worker::recover(&s)?;
        Ok::<_, crate::service::ServiceError>(s)
    })
    .await
    .map_err(|source| crate::service::ServiceError::Task {
        context: "start-up failed",
        source,
    })??;
    let services = Arc::new(services);
    let admin_task = match crate::admin_socket::listener::AdminSocket::bind(&cfg.data_dir) {
        Ok(socket) => {
            tracing::info!(path = %socket.path().display(), "admin socket ready for `dmptool admin`");
            Some(tokio::spawn(socket.serve(services.clone())))
        }
        Err(e) => {
            tracing::warn!(error = %e, "no admin socket: `dmptool admin` cannot reach this server");
            None
        }
    };
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let trimmer = tokio::spawn(async {
        let mut every = tokio::time::interval(crate::memory::TRIM_EVERY);
        loop {
            every.tick().await;
            let _ = tokio::task::spawn_blocking(crate::memory::trim).await;
        }
    });
    let worker = tokio::spawn(crate::worker::run(
        services.clone(),
        cfg.workers.unwrap_or(cores),
    ));
    let state = ApiState::new(services.clone(), cores)
        .with_trusted_proxy(cfg.trust_proxy)
        .with_public_url(cfg.public_url.clone())
        .with_max_page(cfg.max_page_size);

    let addr = format!("{}:{}", cfg.host, cfg.port);
    let fd_limit = crate::net::raise_fd_limit();
    let cap = fd_limit.map_or(usize::MAX, crate::net::connection_cap);
    let max_connections = match cfg.max_connections {
        Some(n) if n > cap => {
            tracing::warn!(
                requested = n,
                max_connections = cap,
                open_files = fd_limit,
                "--max-connections is above what the open-file limit allows; using {cap}"
            );
            cap
        }
        Some(n) => n,
        None => cap.min(crate::net::DEFAULT_MAX_CONNECTIONS),
    };
    let listener = tokio::net::TcpListener::bind(addr.as_str())
        .await
        .map_err(|source| ServeError::Bind {
            addr: addr.clone(),
            source,
        })?;
    let opts = crate::net::ServeOptions {
        limits: crate::net::Limits {
            request: cfg.request_timeout,
            idle: cfg.idle_timeout,
            write: cfg.write_timeout,
        },
        max_connections,
        max_header_bytes: cfg.max_header_bytes,
    };
    tracing::info!(
        address = %addr,
        data_dir = %cfg.data_dir.display(),
        version = env!("CARGO_PKG_VERSION"),
        mode = if cfg.dev { "development" } else { "production" },
        max_connections,
        open_files = fd_limit,
        "dmptool is serving; Swagger UI at http://{addr}/docs"
    );
    crate::net::serve(
        listener,
        app(state, &cfg),
        opts,
        shutdown_signal(),
        Duration::from_secs(30),
    )
    .await
    .map_err(|source| ServeError::Bind { addr, source })?;
    worker.abort();
    let _ = worker.await;
    trimmer.abort();
    if let Some(task) = admin_task {
        task.abort();
        let _ = task.await;
    }
    tracing::info!("shut down cleanly");
    drop(services);
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: draining in-flight requests");
}
