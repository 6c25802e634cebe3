//! create-user, create-admin, delete-user, set-password, list-users.

use serde_json::Value;

use super::{CliError, ListArgs, Target, input, print_list};
use crate::domain::{Email, Password, Username};
use crate::service::admin::AdminRequest;

#[derive(clap::Args, Debug)]
pub struct CreateUser {
    /// Login name (prompted when missing).
    #[arg(long)]
    pub username: Option<String>,
    /// E-mail address (prompted when missing).
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from one line of stdin instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(clap::Args, Debug)]
pub struct DeleteUser {
    /// Login name (prompted when missing).
    #[arg(long)]
    pub username: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
}

#[derive(clap::Args, Debug)]
pub struct SetPassword {
    /// Login name (prompted when missing).
    #[arg(long)]
    pub username: Option<String>,
    /// Read the password from one line of stdin instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
}

fn username(given: Option<String>) -> Result<String, CliError> {
    let u = input::value(given, "--username", "Username")?;
    Username::parse(&u).map_err(|e| CliError(e.0))?;
    Ok(u)
}

pub fn create(target: &Target, args: CreateUser, admin: bool) -> Result<(), CliError> {
    let username = username(args.username)?;
    let email = input::value(args.email, "--email", "E-mail")?;
    Email::parse(&email).map_err(|e| CliError(e.0))?;
    let password = input::new_password(args.password_stdin)?;
    Password::parse(&password).map_err(|e| CliError(e.0))?;
    let v = target.run(AdminRequest::CreateUser {
        username: username.clone(),
        email: Some(email),
        password,
        admin,
    })?;
    let kind = if admin { "administrator" } else { "user" };
    println!("created {kind} {username} (id {})", v["id"]);
    Ok(())
}

pub fn delete(target: &Target, args: DeleteUser) -> Result<(), CliError> {
    let username = input::value(args.username, "--username", "Username")?;
    let p = target.run(AdminRequest::DeleteUserPreview {
        username: username.clone(),
    })?;
    let what = format!(
        "This deletes user {username} with {} DMP(s), {} task(s) and {} document file(s).",
        p["dmps"], p["tasks"], p["files"]
    );
    eprintln!("{what}");
    input::confirm("Delete them?", args.yes)?;
    let v = target.run(AdminRequest::DeleteUser {
        username: username.clone(),
    })?;
    println!(
        "deleted user {username} with {} DMP(s), {} task(s) and {} document file(s)",
        v["dmps"], v["tasks"], v["files"]
    );
    Ok(())
}

pub fn set_password(target: &Target, args: SetPassword) -> Result<(), CliError> {
    let username = input::value(args.username, "--username", "Username")?;
    let password = input::new_password(args.password_stdin)?;
    Password::parse(&password).map_err(|e| CliError(e.0))?;
    target.run(AdminRequest::SetPassword {
        username: username.clone(),
        password,
    })?;
    println!("password of {username} changed; their earlier tokens no longer work");
    Ok(())
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

pub fn list(target: &Target, args: ListArgs) -> Result<(), CliError> {
    let v = target.run(AdminRequest::ListUsers)?;
    print_list(
        &v,
        args.json,
        &["ID", "USERNAME", "EMAIL", "ADMIN", "PROJECTS"],
        |u| {
            let projects: Vec<String> = u["projects"]
                .as_array()
                .map(|a| a.iter().map(text).collect())
                .unwrap_or_default();
            vec![
                text(&u["id"]),
                text(&u["username"]),
                text(&u["email"]),
                if u["admin"] == true {
                    "yes".into()
                } else {
                    "no".into()
                },
                projects.join(", "),
            ]
        },
    );
    Ok(())
}
