//! `dmptool openapi`: print the OpenAPI document the server serves.

#[derive(clap::Args, Debug)]
pub struct OpenapiArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "yaml")]
    pub format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    Yaml,
    Json,
}

pub fn run(args: &OpenapiArgs) {
    let text = match args.format {
        Format::Yaml => crate::api::spec_yaml(),
        Format::Json => crate::api::spec_json(),
    };
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
}
