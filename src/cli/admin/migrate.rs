//! import-legacy, export, import: moving data into dmptool and between installations.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::{CliError, Target};
use crate::admin_socket::client::AdminClient;
use crate::legacy;
use crate::service::export;
use crate::service::legacy::{ImportOptions, ImportReport, LegacyImport};
use crate::store::Store;

#[derive(clap::Args, Debug)]
pub struct ImportLegacy {
    /// The legacy SQLite file (tables users, projects, user_project).
    #[arg(long, value_name = "FILE")]
    pub sqlite: PathBuf,
    /// `mongoexport` of the dmps collection (one document per line, or --jsonArray).
    #[arg(long, value_name = "FILE")]
    pub dmps: PathBuf,
    /// `mongoexport` of the tasks collection.
    #[arg(long, value_name = "FILE")]
    pub tasks: PathBuf,
    /// The legacy documents folder: files named by tasks' url_docx are copied in.
    #[arg(long, value_name = "DIR")]
    pub documents: Option<PathBuf>,
    /// Give plans whose owner no longer exists, or was skipped, to this user (else they are
    /// skipped, with their tasks and documents).
    #[arg(long, value_name = "USER")]
    pub orphans_to: Option<String>,
    /// Read everything and print the summary, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import what can be imported even if some items are skipped.
    #[arg(long)]
    pub allow_skips: bool,
}

#[derive(clap::Args, Debug)]
pub struct Export {
    /// An empty or new folder to write the JSON files and documents to.
    pub dir: PathBuf,
    /// Include password hashes, so users keep their passwords on the new installation.
    #[arg(long)]
    pub with_hashes: bool,
}

#[derive(clap::Args, Debug)]
pub struct Import {
    /// A folder written by `dmptool admin export`.
    pub dir: PathBuf,
}

fn local_only<'a>(
    target: &'a Target,
    what: &str,
    data_dir: &Path,
) -> Result<&'a crate::service::Services, CliError> {
    match target {
        Target::Local(s) => Ok(s),
        Target::Remote(_) => Err(CliError(format!(
            "{what} writes the whole database in one go: stop the dmptool server that uses {} first",
            data_dir.display()
        ))),
    }
}

fn read_err(e: legacy::LegacyError) -> CliError {
    CliError(format!("cannot read {e}"))
}

/// Progress on a terminal as a bar; otherwise a plain line every tenth.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    phase: String,
    last_tenth: usize,
}

impl Progress {
    fn new() -> Self {
        Self {
            bar: None,
            phase: String::new(),
            last_tenth: usize::MAX,
        }
    }

    fn step(&mut self, phase: &str, done: usize, total: usize) {
        if phase != self.phase {
            if let Some(b) = self.bar.take() {
                b.finish();
            }
            self.phase = phase.to_owned();
            self.last_tenth = usize::MAX;
            if std::io::stderr().is_terminal() {
                let bar = indicatif::ProgressBar::new(total as u64);
                if let Ok(style) =
                    indicatif::ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len}")
                {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_message(phase.to_owned());
                self.bar = Some(bar);
            }
        }
        match &self.bar {
            Some(b) => b.set_position(done as u64),
            None if total >= 100 => {
                let tenth = done * 10 / total;
                if tenth != self.last_tenth {
                    self.last_tenth = tenth;
                    eprintln!("importing {phase}: {done}/{total}");
                }
            }
            None => {}
        }
    }

    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish();
        }
    }
}

fn print_report(r: &ImportReport) {
    println!(
        "{:<10} {:>9} {:>16} {:>8}",
        "", "imported", "already present", "skipped"
    );
    for (what, t) in r.rows() {
        println!(
            "{what:<10} {:>9} {:>16} {:>8}",
            t.imported, t.present, t.skipped
        );
    }
    if !r.reasons.is_empty() {
        println!("\nnotes:");
        for reason in &r.reasons {
            println!("  - {reason}");
        }
    }
}

pub fn import_legacy(target: &Target, data_dir: &Path, args: ImportLegacy) -> Result<(), CliError> {
    let services = local_only(target, "import-legacy", data_dir)?;
    if let Some(dir) = &args.documents
        && !dir.is_dir()
    {
        return Err(CliError(format!("{} is not a folder", dir.display())));
    }
    let input = LegacyImport {
        accounts: legacy::read_accounts(&args.sqlite).map_err(read_err)?,
        dmps: legacy::read_collection(&args.dmps).map_err(read_err)?,
        tasks: legacy::read_collection(&args.tasks).map_err(read_err)?,
        documents: args.documents.clone(),
    };
    let opts = ImportOptions {
        orphans_to: args.orphans_to,
        dry_run: args.dry_run,
        allow_skips: args.allow_skips,
    };
    let mut progress = Progress::new();
    let report = services.import_legacy(input, &opts, &mut |phase, done, total| {
        progress.step(phase, done, total)
    })?;
    progress.finish();
    print_report(&report);
    if report.written {
        println!(
            "\nimported into {}. Users log in with their old passwords.",
            data_dir.display()
        );
        Ok(())
    } else if args.dry_run {
        println!("\ndry run: nothing was written.");
        if report.skipped() > 0 && !args.allow_skips {
            return Err(CliError(format!(
                "{} item(s) would be skipped (see the notes)",
                report.skipped()
            )));
        }
        Ok(())
    } else {
        Err(CliError(format!(
            "nothing was written: {} item(s) cannot be imported as they are (see the notes); fix them, or pass --allow-skips to import the rest",
            report.skipped()
        )))
    }
}

pub fn export(target: &Target, data_dir: &Path, args: Export) -> Result<(), CliError> {
    let documents = data_dir.join(crate::service::DOCUMENTS_DIR);
    let manifest = match target {
        Target::Local(s) => export::export(&s.store, &documents, &args.dir, args.with_hashes)?,
        Target::Remote(dir) => {
            // Export from a consistent snapshot taken by the running server.
            let snapshot = std::env::temp_dir().join(format!(
                "dmptool-export-{}.redb",
                crate::domain::ObjectId::generate()
            ));
            AdminClient::connect(dir)
                .ok_or_else(|| CliError("the server stopped answering on its admin socket".into()))?
                .backup(&snapshot)?;
            let result = Store::open(&snapshot)
                .map_err(|e| CliError(e.to_string()))
                .and_then(|store| {
                    export::export(&store, &documents, &args.dir, args.with_hashes)
                        .map_err(CliError::from)
                });
            let _ = std::fs::remove_file(&snapshot);
            result?
        }
    };
    let counts: Vec<String> = manifest
        .counts
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    println!("exported to {}: {}", args.dir.display(), counts.join(", "));
    if !args.with_hashes {
        println!(
            "passwords were not exported: set them after importing, or export with --with-hashes"
        );
    }
    Ok(())
}

pub fn import(target: &Target, data_dir: &Path, args: Import) -> Result<(), CliError> {
    let services = local_only(target, "import", data_dir)?;
    let manifest = services.import_export(&args.dir)?;
    let counts: Vec<String> = manifest
        .counts
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    println!(
        "imported {} into {}: {}",
        args.dir.display(),
        data_dir.display(),
        counts.join(", ")
    );
    if !manifest.with_hashes {
        println!(
            "the export held no passwords: give users new ones with `dmptool admin set-password`"
        );
    }
    Ok(())
}
