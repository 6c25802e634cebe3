//! `dmptool admin check-template FILE`: validates a template file before it goes into
//! `DATA/templates/`, listing every problem with where it is (a JSON pointer, or line and
//! column when the file is not JSON). Needs no database.

use std::path::PathBuf;

use super::CliError;
use crate::render::template::{Problem, Template};

#[derive(clap::Args, Debug)]
pub struct CheckTemplate {
    /// The template file (JSON). Its name without `.json` must be the `name` it declares,
    /// as it must be to be used from DATA/templates/.
    pub file: PathBuf,
}

pub fn check(args: CheckTemplate) -> Result<(), CliError> {
    let shown = args.file.display().to_string();
    let bytes =
        std::fs::read(&args.file).map_err(|e| CliError(format!("cannot read {shown}: {e}")))?;
    let stem = args
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".json"));
    let mut problems: Vec<Problem> = Vec::new();
    if stem.is_none() {
        problems.push(Problem {
            at: "file name".into(),
            message: "a template file's name ends in .json".into(),
        });
    }
    match Template::check(stem, &bytes) {
        Ok(t) if problems.is_empty() => {
            println!(
                "{shown}: template '{}' is valid: {} sections, {} questions, {} fields read",
                t.name,
                t.sections.len(),
                t.question_count(),
                t.fields().len()
            );
            Ok(())
        }
        Ok(_) => report(&shown, problems),
        Err(found) => {
            problems.extend(found);
            report(&shown, problems)
        }
    }
}

fn report(shown: &str, problems: Vec<Problem>) -> Result<(), CliError> {
    for p in &problems {
        eprintln!("{shown}: {p}");
    }
    Err(CliError(format!(
        "{shown}: {} problem{} found; the template cannot be used as it is",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    )))
}
