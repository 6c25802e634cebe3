//! dmptool's entry point: parse the command line, set up logging, dispatch.

use std::process::ExitCode;

use dmptool::cli::{self, Command};

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("dmptool: {msg}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    dmptool::memory::tune();
    let cli = cli::parse();
    let (serve_args, config) = match cli.command {
        Command::Openapi(args) => {
            cli::openapi::run(&args);
            return ExitCode::SUCCESS;
        }
        Command::Health(args) => {
            return match cli::health::run(&args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            };
        }
        Command::Render(args) => {
            let data = cli
                .data
                .unwrap_or_else(|| std::path::PathBuf::from(dmptool::config::DEFAULT_DATA_DIR));
            return match cli::render::run(&data, args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            };
        }
        Command::Admin(args) => {
            let from_file = match cli
                .config
                .as_deref()
                .map(dmptool::config::FileConfig::load)
                .transpose()
            {
                Ok(f) => f.and_then(|f| f.data),
                Err(e) => return fail(e),
            };
            let data = cli
                .data
                .or(from_file)
                .unwrap_or_else(|| std::path::PathBuf::from(dmptool::config::DEFAULT_DATA_DIR));
            return match cli::admin::run(&data, args.command) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            };
        }
        Command::Serve(args) => (*args, cli.config),
        Command::Runserver(args) => (args.into_serve_args(true), cli.config),
        Command::Runprodserver(args) => (args.into_serve_args(false), cli.config),
    };
    let cfg = match cli::serve::resolve(cli.data, config.as_deref(), serve_args) {
        Ok(cfg) => cfg,
        Err(e) => return fail(e),
    };
    if let Err(e) = dmptool::logging::init(&cfg.logging) {
        return fail(format!("cannot open the log file: {e}"));
    }
    let jwt_secret = std::env::var("DMPTOOL_JWT_SECRET")
        .ok()
        .filter(|s| !s.is_empty());
    let admin_password = std::env::var("DMPTOOL_ADMIN_PASSWORD")
        .ok()
        .filter(|s| !s.is_empty());
    // Blocking work (database, hashing, rendering) is short and bounded elsewhere; a small
    // pool keeps a burst of requests from becoming hundreds of threads fighting for the
    // database's single writer.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(32)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(dmptool::server::run(cfg, jwt_secret, admin_password)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(dmptool::service::chain(&e)),
    }
}
