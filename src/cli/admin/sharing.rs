//! share, unshare, transfer: who a plan is shared with, as the plan's owner would set it.

use serde_json::Value;

use super::{CliError, Target};
use crate::service::admin::AdminRequest;

#[derive(clap::Args, Debug)]
pub struct Share {
    /// The plan's id (24 hex characters).
    #[arg(long)]
    pub dmp: String,
    /// The user to share it with (or --project).
    #[arg(long)]
    pub username: Option<String>,
    /// The project to share it with (every member, present and future).
    #[arg(long)]
    pub project: Option<String>,
    /// viewer, commenter or editor.
    #[arg(long)]
    pub role: String,
}

#[derive(clap::Args, Debug)]
pub struct Unshare {
    /// The plan's id (24 hex characters).
    #[arg(long)]
    pub dmp: String,
    /// The user whose grant is taken back (or --project).
    #[arg(long)]
    pub username: Option<String>,
    /// The project whose grant is taken back.
    #[arg(long)]
    pub project: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct Transfer {
    /// The plan's id (24 hex characters).
    #[arg(long)]
    pub dmp: String,
    /// The new owner; the former one stays an editor.
    #[arg(long)]
    pub username: String,
}

fn whom(username: &Option<String>, project: &Option<String>) -> String {
    match (username, project) {
        (Some(u), _) => format!("user {u}"),
        (None, Some(p)) => format!("project {p}"),
        (None, None) => String::new(),
    }
}

/// The access list as one line per grant, after the owner.
fn print_access(v: &Value) {
    println!("owner: {}", v["owner"].as_str().unwrap_or_default());
    for g in v["grants"].as_array().into_iter().flatten() {
        println!(
            "{} {}: {}",
            g["kind"].as_str().unwrap_or_default(),
            g["name"].as_str().unwrap_or_default(),
            g["role"].as_str().unwrap_or_default()
        );
    }
}

pub fn share(target: &Target, args: Share) -> Result<(), CliError> {
    let who = whom(&args.username, &args.project);
    let v = target.run(AdminRequest::Share {
        dmp: args.dmp.clone(),
        username: args.username,
        project: args.project,
        role: args.role.clone(),
    })?;
    println!("shared DMP {} with {who} as {}", args.dmp, args.role.trim());
    print_access(&v);
    Ok(())
}

pub fn unshare(target: &Target, args: Unshare) -> Result<(), CliError> {
    let who = whom(&args.username, &args.project);
    let v = target.run(AdminRequest::Unshare {
        dmp: args.dmp.clone(),
        username: args.username,
        project: args.project,
    })?;
    println!("DMP {} is no longer shared with {who}", args.dmp);
    print_access(&v);
    Ok(())
}

pub fn transfer(target: &Target, args: Transfer) -> Result<(), CliError> {
    let v = target.run(AdminRequest::Transfer {
        dmp: args.dmp.clone(),
        username: args.username.clone(),
    })?;
    println!("DMP {} now belongs to {}", args.dmp, args.username);
    print_access(&v);
    Ok(())
}
