//! init, reset, backup, restore.

use std::path::{Path, PathBuf};

use super::{CliError, Target, input};
use crate::admin_socket::client::AdminClient;
use crate::service::admin::AdminRequest;

#[derive(clap::Args, Debug)]
pub struct Reset {
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
}

#[derive(clap::Args, Debug)]
pub struct Backup {
    /// Where to write the backup (a redb file; replaced atomically if it exists).
    pub file: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct Restore {
    /// A backup written by `dmptool admin backup`.
    pub file: PathBuf,
    /// Replace the existing data without asking.
    #[arg(long)]
    pub yes: bool,
}

pub fn init(target: &Target) -> Result<(), CliError> {
    let v = target.run(AdminRequest::Init)?;
    println!(
        "database {} is ready (schema version {})",
        v["database"].as_str().unwrap_or_default(),
        v["schema_version"]
    );
    Ok(())
}

pub fn reset(target: &Target, data_dir: &Path, args: Reset) -> Result<(), CliError> {
    input::confirm(
        &format!(
            "This deletes every user, project, plan, task and document in {}.",
            data_dir.display()
        ),
        args.yes,
    )?;
    let v = target.run(AdminRequest::Reset)?;
    println!(
        "deleted {} user(s), {} project(s), {} DMP(s) and {} task(s) from {}",
        v["users"],
        v["projects"],
        v["dmps"],
        v["tasks"],
        data_dir.display()
    );
    Ok(())
}

pub fn backup(target: &Target, args: Backup) -> Result<(), CliError> {
    let size = match target {
        Target::Local(s) => {
            s.backup_to(&args.file)?;
            std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0)
        }
        Target::Remote(dir) => AdminClient::connect(dir)
            .ok_or_else(|| CliError("the server stopped answering on its admin socket".into()))?
            .backup(&args.file)?,
    };
    println!("backup written to {} ({size} bytes)", args.file.display());
    Ok(())
}

pub fn restore(target: &Target, data_dir: &Path, args: Restore) -> Result<(), CliError> {
    if !args.file.is_file() {
        return Err(CliError(format!(
            "no backup file at {}",
            args.file.display()
        )));
    }
    let status = target.run(AdminRequest::ListUsers)?;
    let has_data = status.as_array().is_some_and(|a| !a.is_empty());
    if has_data {
        input::confirm(
            &format!(
                "{} holds data; restoring replaces all of it.",
                data_dir.display()
            ),
            args.yes,
        )?;
    }
    let v = match target {
        Target::Local(s) => serde_json::to_value(s.restore_from(&args.file)?).unwrap_or_default(),
        Target::Remote(dir) => AdminClient::connect(dir)
            .ok_or_else(|| CliError("the server stopped answering on its admin socket".into()))?
            .restore(&args.file)?,
    };
    println!(
        "restored {} user(s), {} project(s), {} DMP(s) and {} task(s) from {}",
        v["users"],
        v["projects"],
        v["dmps"],
        v["tasks"],
        args.file.display()
    );
    Ok(())
}
