//! Asking for what was not given as a flag: on a terminal, a prompt; without one, a clear
//! error instead of a hang. Passwords are never flags: typed hidden twice, or one line of
//! stdin with `--password-stdin`.

use std::io::{BufRead, IsTerminal, Write};

use super::CliError;

fn on_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// The flag's value, or a prompted one.
pub fn value(given: Option<String>, flag: &str, prompt: &str) -> Result<String, CliError> {
    if let Some(v) = given {
        return Ok(v);
    }
    if !on_terminal() {
        return Err(CliError(format!(
            "{flag} is required (no terminal to ask on)"
        )));
    }
    eprint!("{prompt}: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError(format!("cannot read {flag}: {e}")))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// A new password: from one line of stdin, or typed twice without echo on a terminal.
pub fn new_password(from_stdin: bool) -> Result<String, CliError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError(format!("cannot read the password from stdin: {e}")))?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    if !on_terminal() {
        return Err(CliError(
            "a password is required: pipe it with --password-stdin (passwords are never flags)"
                .into(),
        ));
    }
    let first = rpassword::prompt_password("Password: ")
        .map_err(|e| CliError(format!("cannot read the password: {e}")))?;
    let second = rpassword::prompt_password("Password (again): ")
        .map_err(|e| CliError(format!("cannot read the password: {e}")))?;
    if first != second {
        return Err(CliError("the two passwords differ".into()));
    }
    Ok(first)
}

/// Asks to confirm a destructive step (`--yes` answers for scripts).
pub fn confirm(question: &str, yes: bool) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    if !on_terminal() {
        return Err(CliError(
            "refusing without --yes (no terminal to confirm on)".into(),
        ));
    }
    eprint!("{question} Type \"yes\" to go on: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError(format!("cannot read the answer: {e}")))?;
    if line.trim().eq_ignore_ascii_case("yes") {
        Ok(())
    } else {
        Err(CliError("cancelled; nothing was changed".into()))
    }
}
