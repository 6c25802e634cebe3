//! create-relation, delete-relation: a user's membership of a project.

use super::{CliError, Target, input};
use crate::service::admin::AdminRequest;

#[derive(clap::Args, Debug)]
pub struct Relation {
    /// Login name (prompted when missing).
    #[arg(long)]
    pub username: Option<String>,
    /// Project name (prompted when missing).
    #[arg(long)]
    pub project: Option<String>,
}

fn ask(args: Relation) -> Result<(String, String), CliError> {
    let username = input::value(args.username, "--username", "Username")?;
    let project = input::value(args.project, "--project", "Project name")?;
    Ok((username, project))
}

pub fn create(target: &Target, args: Relation) -> Result<(), CliError> {
    let (username, project) = ask(args)?;
    target.run(AdminRequest::CreateRelation {
        username: username.clone(),
        project: project.clone(),
    })?;
    println!("{username} is now a member of {project}");
    Ok(())
}

pub fn delete(target: &Target, args: Relation) -> Result<(), CliError> {
    let (username, project) = ask(args)?;
    target.run(AdminRequest::DeleteRelation {
        username: username.clone(),
        project: project.clone(),
    })?;
    println!("{username} is no longer a member of {project}");
    Ok(())
}
