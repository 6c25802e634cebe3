//! create-project, delete-project, list-projects.

use super::{CliError, ListArgs, Target, input, print_list};
use crate::service::admin::AdminRequest;

#[derive(clap::Args, Debug)]
pub struct CreateProject {
    /// Project name (prompted when missing).
    #[arg(long)]
    pub name: Option<String>,
    /// Description (prompted when missing).
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct DeleteProject {
    /// Project name (prompted when missing).
    #[arg(long)]
    pub name: Option<String>,
}

pub fn create(target: &Target, args: CreateProject) -> Result<(), CliError> {
    let name = input::value(args.name, "--name", "Project name")?;
    let description = input::value(args.description, "--description", "Description")?;
    let v = target.run(AdminRequest::CreateProject {
        name: name.clone(),
        description,
    })?;
    println!("created project {name} (id {})", v["id"]);
    Ok(())
}

pub fn delete(target: &Target, args: DeleteProject) -> Result<(), CliError> {
    let name = input::value(args.name, "--name", "Project name")?;
    let v = target.run(AdminRequest::DeleteProject { name: name.clone() })?;
    println!(
        "deleted project {name} and {} membership(s); its users stay",
        v["memberships_removed"]
    );
    Ok(())
}

pub fn list(target: &Target, args: ListArgs) -> Result<(), CliError> {
    let v = target.run(AdminRequest::ListProjects)?;
    print_list(
        &v,
        args.json,
        &["ID", "NAME", "MEMBERS", "DESCRIPTION"],
        |p| {
            vec![
                p["id"].to_string(),
                p["name"].as_str().unwrap_or_default().to_owned(),
                p["members"].to_string(),
                p["description"].as_str().unwrap_or_default().to_owned(),
            ]
        },
    );
    Ok(())
}
