//! `dmptool render FILE.json`: render a DMP file to DOCX and PDF without a server (to check
//! a template, or to make documents offline).

use std::path::PathBuf;

use super::admin::CliError;
use crate::render::template::{DEFAULT_TEMPLATE, Templates};
use crate::render::{DocModel, RenderInput};

#[derive(clap::Args, Debug)]
pub struct RenderArgs {
    /// A DMP as JSON (an object, as the API takes it).
    pub file: PathBuf,
    /// Template to use [default: the file's `template` field, else h2020].
    #[arg(long)]
    pub template: Option<String>,
    /// Where to write NAME.docx and NAME.pdf [default: next to FILE].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

pub fn run(data_dir: &std::path::Path, args: RenderArgs) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| CliError(format!("cannot read {}: {e}", args.file.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError(format!("{} is not JSON: {e}", args.file.display())))?;
    let doc = value
        .as_object()
        .ok_or_else(|| CliError(format!("{} must hold a JSON object", args.file.display())))?;
    let name = args
        .template
        .or_else(|| {
            doc.get("template")
                .and_then(|t| t.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| DEFAULT_TEMPLATE.to_owned());
    let overrides = data_dir.join("templates");
    let (template, _) = Templates::new(&overrides)
        .get(&name)
        .map_err(|e| CliError(e.to_string()))?;
    let owner = doc.get("user").and_then(|u| u.as_str()).unwrap_or("");
    let model = DocModel::build(&RenderInput {
        doc,
        template: &template,
        dmp_id: "-",
        owner,
        version: 1,
        rendered_at: chrono::Utc::now(),
    });
    let fonts = crate::render::FontPaths::new(data_dir, &crate::render::system_font_dirs());
    let out = crate::render::render_with(&model, crate::render::Deadline::none(), &fonts)
        .map_err(|e| CliError(e.to_string()))?;
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    let stem = args
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dmp".into());
    let dir = args
        .out_dir
        .unwrap_or_else(|| args.file.parent().map(PathBuf::from).unwrap_or_default());
    for (ext, bytes) in [("docx", &out.docx), ("pdf", &out.pdf)] {
        let path = dir.join(format!("{stem}.{ext}"));
        std::fs::write(&path, bytes)
            .map_err(|e| CliError(format!("cannot write {}: {e}", path.display())))?;
        println!("wrote {} ({} bytes)", path.display(), bytes.len());
    }
    Ok(())
}
