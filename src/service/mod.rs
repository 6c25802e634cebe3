//! The rules of dmptool, one file per resource. Every use case is one store transaction and
//! returns typed results; nothing here knows HTTP. The API and the CLI both call these.
//!
//! Functions here block (redb, argon2, file I/O): async callers run them on the blocking
//! pool.

pub mod access;
pub mod activity;
pub mod admin;
pub mod auth;
pub mod comments;
pub mod completion;
pub mod dmps;
pub mod error;
pub mod export;
pub mod files;
pub mod legacy;
mod links;
pub mod madmp;
pub mod passwords;
pub mod plan_list;
pub mod projects;
pub mod revisions;
pub mod secrets;
pub mod sharing;
pub mod tasks;
mod throttle;
pub mod tokens;
pub mod users;

use std::path::{Path, PathBuf};

pub use error::{Result, ServiceError, chain};

use crate::domain::UserId;
use crate::store::Store;

/// Name of the database file inside the data dir.
pub const DB_FILE: &str = "dmptool.redb";
/// The running server's admin socket inside the data dir (mode 0600).
pub const ADMIN_SOCKET: &str = "admin.sock";
/// Folder of template overrides inside the data dir.
pub const TEMPLATES_DIR: &str = "templates";
/// Folder of generated documents inside the data dir.
pub const DOCUMENTS_DIR: &str = "documents";

/// How long one task's documents may take to render, unless configured.
pub const DEFAULT_RENDER_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);
/// Document tasks one user may have waiting, unless configured otherwise.
pub const DEFAULT_MAX_PENDING_TASKS: usize = 10;
/// Sets of documents (one DOCX and one PDF) kept per plan: the newest task's.
pub const DOCUMENTS_KEPT_PER_PLAN: usize = 1;

/// Lifetimes and limits the rules depend on.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Seconds an access token is valid.
    pub access_ttl: u64,
    /// Seconds a refresh token (and so a login session) is valid.
    pub refresh_ttl: u64,
    /// Seconds a signed download link is valid.
    pub link_ttl: u64,
    /// How long the worker may spend on one task's documents before it gives up on it.
    pub render_limit: std::time::Duration,
    /// Document tasks one user may have waiting (pending or running) at once.
    pub max_pending_tasks: usize,
    /// The time tokens, download links and revocations expire by (tests advance it).
    pub clock: crate::domain::time::Clock,
    /// Font folders searched, after `DATA/fonts`, for characters the bundled fonts lack
    /// (default: the system folders, see `render::system_font_dirs`).
    pub system_font_dirs: Vec<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_ttl: 8 * 3600,
            refresh_ttl: 30 * 24 * 3600,
            link_ttl: 3600,
            render_limit: DEFAULT_RENDER_LIMIT,
            max_pending_tasks: DEFAULT_MAX_PENDING_TASKS,
            clock: crate::domain::time::Clock::default(),
            system_font_dirs: crate::render::system_font_dirs(),
        }
    }
}

/// Who is asking: established from a valid, unrevoked access token (or by the CLI).
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: UserId,
    pub username: String,
    pub admin: bool,
}

pub struct Services {
    pub store: std::sync::Arc<Store>,
    /// Writes from asynchronous callers (see `store::writer`).
    writer: crate::store::writer::Writer,
    data_dir: PathBuf,
    templates_dir: PathBuf,
    settings: Settings,
    tokens: tokens::TokenKeys,
    links: links::LinkSigner,
    passwords: passwords::Passwords,
    throttle: throttle::LoginThrottle,
    /// Woken when a task is created, so the document worker starts at once.
    wakeup: std::sync::Arc<tokio::sync::Notify>,
    /// Plans' progress by version and template (see `plan_list`).
    progress: plan_list::ProgressMemo,
}

/// Creates the data dir (0700) and its documents folder (0700, also when it exists). An
/// existing data dir keeps its mode, with a warning when other accounts may read it.
fn prepare_data_dir(data_dir: &Path) -> std::io::Result<()> {
    use crate::store::private;
    let created = private::create_dir_all(data_dir)?;
    #[cfg(unix)]
    if !created {
        let mode = private::mode(data_dir)?;
        if mode & 0o077 != 0 {
            tracing::warn!(
                data_dir = %data_dir.display(),
                mode = %format!("{mode:04o}"),
                "the data dir is open to other accounts (it holds password hashes, plans and documents); restrict it with chmod 700"
            );
        }
    }
    let documents = data_dir.join(DOCUMENTS_DIR);
    if !private::create_dir_all(&documents)?
        && let Err(e) = private::restrict_dir(&documents)
    {
        // Another account's folder (an operator running `dmptool admin` as root is fine).
        tracing::warn!(path = %documents.display(), error = %e, "cannot make the documents folder private (0700)");
    }
    Ok(())
}

impl Services {
    /// Opens the data dir (created on demand): database, documents folder, signing secret.
    pub fn open(data_dir: &Path, settings: Settings, jwt_secret: Option<&str>) -> Result<Self> {
        prepare_data_dir(data_dir).map_err(|e| {
            ServiceError::io(format!("cannot create data dir {}", data_dir.display()), e)
        })?;
        let store = std::sync::Arc::new(Store::open(&data_dir.join(DB_FILE))?);
        let writer = crate::store::writer::Writer::start(store.clone())?;
        let secret = secrets::load_or_create(data_dir, jwt_secret)?;
        Ok(Self {
            store,
            writer,
            data_dir: data_dir.to_owned(),
            templates_dir: data_dir.join(TEMPLATES_DIR),
            settings,
            tokens: tokens::TokenKeys::new(&secret),
            links: links::LinkSigner::new(&secret),
            passwords: passwords::Passwords::new()?,
            throttle: throttle::LoginThrottle::default(),
            wakeup: std::sync::Arc::new(tokio::sync::Notify::new()),
            progress: plan_list::ProgressMemo::default(),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Unix seconds by the settings' clock: what tokens, links and revocations expire by.
    fn now_secs(&self) -> u64 {
        self.settings.clock.now_secs()
    }

    pub fn documents_dir(&self) -> PathBuf {
        self.data_dir.join(DOCUMENTS_DIR)
    }

    /// The signal the document worker waits on.
    pub fn task_wakeup(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.wakeup.clone()
    }

    /// The funder templates: built in, overridden by `<data>/templates/<name>.json`.
    pub fn templates(&self) -> crate::render::template::Templates<'_> {
        crate::render::template::Templates::new(&self.templates_dir)
    }
}
