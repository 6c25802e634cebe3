//! `dmptool admin`: the manage.py commands, scriptable, and safe while the server runs.
//!
//! Each command builds an `AdminRequest` and runs it on the database directly when no server
//! has it open, or through the running server's admin socket when one does (see
//! `crate::admin_socket`). Either way the same service code runs.

mod database;
mod input;
mod migrate;
mod projects;
mod relations;
mod sharing;
mod templates;
mod users;

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::Value;

use crate::admin_socket::client::AdminClient;
use crate::service::admin::AdminRequest;
use crate::service::{DB_FILE, ServiceError, Services, Settings};
use crate::store::StoreError;

/// An error of a CLI command: one line for the administrator.
#[derive(Debug)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<ServiceError> for CliError {
    fn from(e: ServiceError) -> Self {
        CliError(crate::service::chain(&e))
    }
}

#[derive(clap::Args, Debug)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// `--json` for listings.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create the database, or upgrade it to this version's schema (idempotent).
    #[command(alias = "create_tables")]
    Init,
    /// Delete ALL data: users, projects, plans, tasks and documents (asks first).
    #[command(alias = "drop_tables")]
    Reset(database::Reset),
    /// Create a user (username, e-mail, password).
    #[command(alias = "create_user")]
    CreateUser(users::CreateUser),
    /// Create an administrator (username, e-mail, password).
    #[command(alias = "create_admin")]
    CreateAdmin(users::CreateUser),
    /// Delete a user with their plans, tasks and documents (asks first).
    #[command(alias = "delete_user")]
    DeleteUser(users::DeleteUser),
    /// Set a user's password; their current tokens stop working.
    #[command(alias = "set_password")]
    SetPassword(users::SetPassword),
    /// List users with their projects.
    #[command(alias = "list_users")]
    ListUsers(ListArgs),
    /// Create a project (name, description).
    #[command(alias = "create_project")]
    CreateProject(projects::CreateProject),
    /// Delete a project and its memberships (users stay).
    #[command(alias = "delete_project")]
    DeleteProject(projects::DeleteProject),
    /// List projects with their member counts.
    #[command(alias = "list_projects")]
    ListProjects(ListArgs),
    /// Add a user to a project.
    #[command(alias = "create_relation")]
    CreateRelation(relations::Relation),
    /// Remove a user from a project.
    #[command(alias = "delete_relation")]
    DeleteRelation(relations::Relation),
    /// Share a plan with a user or a project under a role (viewer, commenter, editor).
    Share(sharing::Share),
    /// Take back a user's or a project's grant on a plan.
    Unshare(sharing::Unshare),
    /// Make a user the owner of a plan (the former owner stays an editor).
    Transfer(sharing::Transfer),
    /// Write a consistent copy of the whole database to FILE (the server keeps serving).
    Backup(database::Backup),
    /// Replace all data with a backup FILE (asks first).
    Restore(database::Restore),
    /// Bring a legacy deployment (SQLite + mongoexport dumps + documents) into dmptool.
    #[command(alias = "import_legacy")]
    ImportLegacy(migrate::ImportLegacy),
    /// Write the whole database as JSON files (to move between versions or machines).
    Export(migrate::Export),
    /// Read an export into an empty database.
    Import(migrate::Import),
    /// Check a template file and list its problems with where they are (no database needed).
    CheckTemplate(templates::CheckTemplate),
}

/// Where commands run: on the database file, or through the running server.
pub enum Target {
    Local(Box<Services>),
    Remote(PathBuf),
}

impl Target {
    /// Chooses: a server answering on the data dir's admin socket, else the file itself.
    /// `create` allows making a new database (init, restore); other commands need one.
    pub fn open(data_dir: &Path, create: bool) -> Result<Self, CliError> {
        if AdminClient::connect(data_dir).is_some() {
            return Ok(Target::Remote(data_dir.to_owned()));
        }
        let db = data_dir.join(DB_FILE);
        if !create && !db.exists() {
            return Err(CliError(format!(
                "no database at {} (create it with `dmptool admin init`, or pass --data DIR)",
                db.display()
            )));
        }
        let secret = std::env::var("DMPTOOL_JWT_SECRET")
            .ok()
            .filter(|s| !s.is_empty());
        match Services::open(data_dir, Settings::default(), secret.as_deref()) {
            Ok(s) => Ok(Target::Local(Box::new(s))),
            Err(ServiceError::Store(StoreError::Locked { .. })) => {
                // A server may have opened the file but not bound its socket yet.
                std::thread::sleep(std::time::Duration::from_millis(500));
                if AdminClient::connect(data_dir).is_some() {
                    return Ok(Target::Remote(data_dir.to_owned()));
                }
                Err(CliError(format!(
                    "{} is open in another process that does not answer on {} (an older dmptool, or one still starting?)",
                    db.display(),
                    data_dir.join(crate::service::ADMIN_SOCKET).display()
                )))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn client(dir: &Path) -> Result<AdminClient, CliError> {
        AdminClient::connect(dir)
            .ok_or_else(|| CliError("the server stopped answering on its admin socket".into()))
    }

    pub fn run(&self, request: AdminRequest) -> Result<Value, CliError> {
        match self {
            Target::Local(s) => Ok(s.execute_admin(request)?),
            Target::Remote(dir) => Ok(Self::client(dir)?.call(request)?),
        }
    }
}

/// Runs an admin command against the data dir.
pub fn run(data_dir: &Path, command: AdminCommand) -> Result<(), CliError> {
    let command = match command {
        AdminCommand::CheckTemplate(args) => return templates::check(args),
        other => other,
    };
    let create = matches!(
        command,
        AdminCommand::Init
            | AdminCommand::Restore(_)
            | AdminCommand::ImportLegacy(_)
            | AdminCommand::Import(_)
    );
    let target = Target::open(data_dir, create)?;
    match command {
        AdminCommand::Init => database::init(&target),
        AdminCommand::Reset(args) => database::reset(&target, data_dir, args),
        AdminCommand::CreateUser(args) => users::create(&target, args, false),
        AdminCommand::CreateAdmin(args) => users::create(&target, args, true),
        AdminCommand::DeleteUser(args) => users::delete(&target, args),
        AdminCommand::SetPassword(args) => users::set_password(&target, args),
        AdminCommand::ListUsers(args) => users::list(&target, args),
        AdminCommand::CreateProject(args) => projects::create(&target, args),
        AdminCommand::DeleteProject(args) => projects::delete(&target, args),
        AdminCommand::ListProjects(args) => projects::list(&target, args),
        AdminCommand::CreateRelation(args) => relations::create(&target, args),
        AdminCommand::DeleteRelation(args) => relations::delete(&target, args),
        AdminCommand::Share(args) => sharing::share(&target, args),
        AdminCommand::Unshare(args) => sharing::unshare(&target, args),
        AdminCommand::Transfer(args) => sharing::transfer(&target, args),
        AdminCommand::Backup(args) => database::backup(&target, args),
        AdminCommand::Restore(args) => database::restore(&target, data_dir, args),
        AdminCommand::ImportLegacy(args) => migrate::import_legacy(&target, data_dir, args),
        AdminCommand::Export(args) => migrate::export(&target, data_dir, args),
        AdminCommand::Import(args) => migrate::import(&target, data_dir, args),
        AdminCommand::CheckTemplate(args) => templates::check(args),
    }
}

/// Prints rows as an aligned table.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(header.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        line(row.clone());
    }
}

/// Prints a listing the server or the file returned: JSON with `--json`, else a table.
pub fn print_list(v: &Value, json: bool, header: &[&str], row: impl Fn(&Value) -> Vec<String>) {
    if json {
        print_json(v);
        return;
    }
    let rows: Vec<Vec<String>> = v
        .as_array()
        .map(|a| a.iter().map(&row).collect())
        .unwrap_or_default();
    print_table(header, &rows);
}

pub fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}
