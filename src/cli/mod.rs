//! The command line (clap). Each subcommand is a file; they parse input, call the same
//! services the server uses, and print.

pub mod admin;
pub mod health;
pub mod openapi;
pub mod render;
pub mod serve;

use std::path::PathBuf;

use clap::{Arg, ArgAction, Command as ClapCommand, Parser, Subcommand};

/// dmptool: write, keep and publish data management plans.
#[derive(Parser, Debug)]
#[command(name = "dmptool", version = env!("DMPTOOL_LONG_VERSION"), about, long_about = None, disable_help_flag = true)]
pub struct Cli {
    /// Data directory: database, generated documents, signing secret.
    #[arg(long, global = true, env = "DMPTOOL_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,

    /// Optional config file (TOML); flags and DMPTOOL_* variables override it.
    #[arg(long, global = true, env = "DMPTOOL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP server (API, OpenAPI document, Swagger UI at /docs).
    Serve(Box<serve::ServeArgs>),
    /// Run the server in development mode: readable logs, any CORS origin (as manage.py runserver).
    Runserver(serve::LegacyServeArgs),
    /// Run the server in production mode: JSON logs (as manage.py runprodserver).
    Runprodserver(serve::LegacyServeArgs),
    /// Print the OpenAPI document (the committed openapi.yaml is `dmptool openapi > openapi.yaml`).
    Openapi(openapi::OpenapiArgs),
    /// Manage users, projects and the database (works while the server runs).
    Admin(admin::AdminArgs),
    /// Render a DMP file (JSON) to DOCX and PDF, without a server.
    Render(render::RenderArgs),
    /// Check that a running server answers /health (exit 0), for container health checks.
    Health(health::HealthArgs),
}

/// Gives every command `-?` and `--help` (the seed's habit), and `-h` where no option of
/// the command already uses it (`runserver -h HOST` does).
fn question_mark_help(cmd: ClapCommand) -> ClapCommand {
    let uses_h = cmd.get_arguments().any(|a| a.get_short() == Some('h'));
    let mut help = Arg::new("help")
        .short('?')
        .long("help")
        .help("Print help")
        .action(ArgAction::Help)
        .global(false);
    if !uses_h {
        help = help.short_alias('h');
    }
    cmd.disable_help_flag(true)
        .arg(help)
        .mut_subcommands(question_mark_help)
}

pub fn command() -> ClapCommand {
    use clap::CommandFactory;
    question_mark_help(Cli::command())
}

/// Parses the process arguments (exits with clap's message and code on bad usage).
pub fn parse() -> Cli {
    use clap::FromArgMatches;
    let matches = command().get_matches();
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_is_well_formed() {
        super::command().debug_assert();
    }
}
