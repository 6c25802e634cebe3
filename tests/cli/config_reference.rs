//! docs/configuration.md lists every flag, environment variable and config-file key.

use std::path::Path;

#[test]
fn every_setting_is_documented() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md"),
    )
    .unwrap();
    let cmd = dmptool::cli::command();
    let serve = cmd
        .get_subcommands()
        .find(|c| c.get_name() == "serve")
        .unwrap();
    let mut missing = Vec::new();
    for arg in cmd.get_arguments().chain(serve.get_arguments()) {
        if let Some(long) = arg.get_long().filter(|l| *l != "help" && *l != "version")
            && !doc.contains(&format!("`--{long}"))
        {
            missing.push(format!("flag --{long}"));
        }
        if let Some(env) = arg.get_env().map(|e| e.to_string_lossy().into_owned())
            && !doc.contains(&format!("`{env}`"))
        {
            missing.push(format!("variable {env}"));
        }
    }
    for key in dmptool::config::file_keys() {
        if !doc.contains(&format!("`{key}`")) {
            missing.push(format!("file key {key}"));
        }
    }
    for env in dmptool::config::ENV_ONLY {
        if !doc.contains(env) {
            missing.push(format!("variable {env}"));
        }
    }
    assert!(
        missing.is_empty(),
        "not in docs/configuration.md: {missing:?}"
    );
    assert!(dmptool::config::file_keys().len() >= 15);
}

#[test]
fn every_admin_command_and_its_flags_are_documented() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("## Administration").unwrap();
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let cmd = dmptool::cli::command();
    let admin = cmd
        .get_subcommands()
        .find(|c| c.get_name() == "admin")
        .unwrap();
    let mut missing = Vec::new();
    for sub in admin.get_subcommands() {
        let name = sub.get_name();
        if !section.contains(&format!("`{name}")) && !section.contains(&format!(", {name}`")) {
            missing.push(format!("admin {name}"));
        }
    }
    for name in ["share", "unshare", "transfer"] {
        let sub = admin
            .get_subcommands()
            .find(|c| c.get_name() == name)
            .unwrap();
        for long in sub.get_arguments().filter_map(|a| a.get_long()) {
            if long != "help" && !section.contains(&format!("--{long}")) {
                missing.push(format!("admin {name} --{long}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "not in the README's Administration: {missing:?}"
    );
}

#[test]
fn the_example_config_file_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/dmptool.example.toml");
    let cfg = dmptool::config::FileConfig::load(&path).unwrap();
    assert_eq!(cfg.port, Some(5000));
}
