//! Generated documents on disk: their records, removal, the start-up sweep and the
//! protected download. Writing them when a task completes is `completion.rs`.
//!
//! Files live in `<data>/documents/` under names the server chose. A download names a file
//! id, which is only ever a key into the `files` table: the path on disk comes from the
//! record, never from the request.

use std::fs;
use std::path::PathBuf;

use redb::WriteTransaction;

use super::error::{Result, ServiceError};
use super::links::LinkCheck;
use super::{Caller, Services};
use crate::domain::FileKind;
use crate::store::records::TaskRecord;
use crate::store::tables::Oid;
use crate::store::{StoreError, dmps, files, tasks};

/// What deleting a DMP removed from the database.
pub struct RemovedDmp {
    pub tasks: usize,
    /// Names under the documents folder to delete once the transaction has committed.
    pub disk_names: Vec<String>,
}

/// A file ready to be sent.
#[derive(Debug)]
pub struct Download {
    pub path: PathBuf,
    /// The name to save it as, in ASCII (letters, digits, `-`, `_`, one `.`): the plan's
    /// name transliterated (`ñ` → `n`), for clients that know nothing better.
    pub filename: String,
    /// The same name in Unicode, without control characters, quotes or path separators.
    pub filename_utf8: String,
    pub kind: FileKind,
}

impl Download {
    /// The file's bytes. Only a regular file is read, never through a symbolic link: a link
    /// planted in the documents folder (to the signing secret, say) is refused.
    pub fn read(&self) -> Result<Vec<u8>> {
        crate::store::private::read_regular(&self.path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                ServiceError::NotFound("the file is no longer on disk".into())
            }
            std::io::ErrorKind::InvalidInput => {
                tracing::error!(path = %self.path.display(), error = %e, "refusing to serve a document that is not a regular file");
                no_file()
            }
            _ => ServiceError::io(format!("reading {}", self.path.display()), e),
        })
    }
}

/// How a download request proves it may have the file.
pub enum DownloadAuth<'a> {
    Caller(&'a Caller),
    Signature(&'a str),
    None,
}

fn no_file() -> ServiceError {
    ServiceError::NotFound("no such file".into())
}

/// True for names the server makes: `[A-Za-z0-9]` first, then `[A-Za-z0-9._-]`, no `..`.
pub fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.contains("..")
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Removes a DMP, its tasks and their file records inside `tx`.
pub fn delete_dmp_in(tx: &WriteTransaction, dmp: Oid) -> Result<RemovedDmp, StoreError> {
    let mut removed = RemovedDmp {
        tasks: 0,
        disk_names: Vec::new(),
    };
    for t in tasks::ids_by_dmp(tx, dmp)? {
        if let Some(rec) = tasks::delete(tx, t)? {
            removed.tasks += 1;
            removed.disk_names.extend(delete_task_files_in(tx, &rec)?);
        }
    }
    dmps::delete(tx, dmp)?;
    Ok(removed)
}

/// Removes the file records of a task inside `tx`; returns their names on disk.
pub fn delete_task_files_in(
    tx: &WriteTransaction,
    rec: &TaskRecord,
) -> Result<Vec<String>, StoreError> {
    let mut names = Vec::new();
    for id in [&rec.docx, &rec.pdf].into_iter().flatten() {
        if let Some(f) = files::delete(tx, id)? {
            names.push(f.disk_name);
        }
    }
    Ok(names)
}

impl Services {
    /// Deletes files from the documents folder (after their records are gone). A failure is
    /// logged: the record no longer points at the file, so nobody can download it.
    pub(crate) fn remove_disk_files(&self, names: &[String]) {
        let dir = self.documents_dir();
        for name in names.iter().filter(|n| is_safe_name(n)) {
            if let Err(e) = fs::remove_file(dir.join(name))
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(file = %name, error = %e, "could not delete a document file");
            }
        }
    }

    /// Removes files in the documents folder that no record points at: leftovers of a crash
    /// between writing a file and committing its record, and temp files. Run at start-up,
    /// before the worker. Returns how many went.
    pub fn sweep_documents(&self) -> Result<usize> {
        let dir = self.documents_dir();
        let Ok(entries) = fs::read_dir(&dir) else {
            return Ok(0);
        };
        // File ids and disk names differ for imported documents: compare disk names.
        let referenced: std::collections::HashSet<String> = self.store.read(|tx| {
            Ok::<_, ServiceError>(
                crate::store::dump::files(tx)?
                    .into_iter()
                    .map(|(_, f)| f.disk_name)
                    .collect(),
            )
        })?;
        let mut stray = Vec::new();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(t) = e.file_type() else { continue };
            if t.is_symlink() {
                // Never made by the server, never served: a planted link goes.
                tracing::warn!(file = %name, "removing a symbolic link from the documents folder");
                stray.push(name);
            } else if t.is_file() && !referenced.contains(&name) {
                stray.push(name);
            } else if t.is_file() {
                // Documents of older versions may be open to other accounts: owner only.
                #[cfg(unix)]
                if crate::store::private::mode(&e.path()).is_ok_and(|m| m & 0o077 != 0) {
                    let _ = crate::store::private::restrict_file(&e.path());
                }
            }
        }
        for name in &stray {
            let _ = fs::remove_file(dir.join(name));
        }
        Ok(stray.len())
    }

    /// The `sig` capability for a download link to `file_id`, valid for the configured time.
    pub fn sign_download(&self, kind: FileKind, file_id: &str) -> String {
        let expires = self.now_secs() + self.settings.link_ttl;
        self.links.sign(kind.extension(), file_id, expires)
    }

    /// Resolves a download: the file must exist with that kind, and the request must come
    /// from its owner, someone who may read its plan (an administrator too), or carry a
    /// valid signature for it.
    pub fn open_download(
        &self,
        kind: FileKind,
        file_id: &str,
        auth: DownloadAuth<'_>,
    ) -> Result<Download> {
        if file_id.is_empty() || file_id.len() > 200 || file_id.contains('\0') {
            return Err(no_file());
        }
        let (rec, dmp_name, readable) = self.store.read(|tx| {
            let rec = files::get(tx, file_id)?.ok_or_else(no_file)?;
            let mut dmp = [0u8; 12];
            let name = if hex::decode_to_slice(&rec.dmp, &mut dmp).is_ok() {
                dmps::get(tx, dmp)?.and_then(|d| {
                    d.doc
                        .get("name")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned)
                })
            } else {
                None
            };
            let readable = match &auth {
                DownloadAuth::Caller(c) => {
                    c.id.0 == rec.owner || super::tasks::may_read_plan(tx, c, &rec.dmp)?
                }
                _ => false,
            };
            Ok::<_, ServiceError>((rec, name, readable))
        })?;
        if rec.kind != kind {
            return Err(no_file());
        }
        match auth {
            DownloadAuth::Caller(_) if readable => {}
            DownloadAuth::Caller(_) => return Err(no_file()),
            DownloadAuth::Signature(sig) => {
                match self
                    .links
                    .check(kind.extension(), file_id, sig, self.now_secs())
                {
                    LinkCheck::Valid => {}
                    LinkCheck::Expired => {
                        return Err(ServiceError::Unauthorized(
                            "this download link has expired".into(),
                        ));
                    }
                    LinkCheck::Invalid => return Err(no_file()),
                }
            }
            DownloadAuth::None => {
                return Err(ServiceError::Unauthorized(
                    "a bearer token or a signed link (?sig=) is required".into(),
                ));
            }
        }
        if !is_safe_name(&rec.disk_name) {
            return Err(ServiceError::Fault(format!(
                "unsafe stored file name {:?}",
                rec.disk_name
            )));
        }
        let path = self.documents_dir().join(&rec.disk_name);
        let fallback = || format!("dmp-{}", rec.dmp);
        let name = |stem: Option<String>| {
            format!(
                "{}.{}",
                stem.filter(|s| !s.is_empty()).unwrap_or_else(fallback),
                kind.extension()
            )
        };
        Ok(Download {
            path,
            filename: name(dmp_name.as_deref().map(download_stem)),
            filename_utf8: name(dmp_name.as_deref().map(download_stem_utf8)),
            kind,
        })
    }
}

/// A file name stem from a DMP name: ASCII letters, digits, `-` and `_`, at most 80; Latin
/// letters with accents lose them (`ñ` → `n`, `ß` → `ss`), anything else becomes `_`.
fn download_stem(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let ascii = transliterate(c);
        for a in ascii.chars() {
            if a.is_ascii_alphanumeric() || a == '-' || a == '_' {
                out.push(a);
            } else if !out.ends_with('_') {
                out.push('_');
            }
        }
        if out.len() >= 80 {
            break;
        }
    }
    out.trim_matches('_').to_owned()
}

/// A file name stem from a DMP name, in Unicode: control characters, quotes, path
/// separators and the characters Windows forbids become `_`; at most 80 characters.
fn download_stem_utf8(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars().take(80) {
        // Bidirectional controls could make a name display as something else
        // ("...\u{202e}fdp.exe"); they go with the control and path characters.
        let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}');
        if c.is_control()
            || bidi
            || matches!(
                c,
                '/' | '\\' | '"' | '\'' | ':' | '*' | '?' | '<' | '>' | '|'
            )
        {
            if !out.ends_with('_') {
                out.push('_');
            }
        } else {
            out.push(c);
        }
    }
    out.trim_matches(|c: char| c == '_' || c == '.' || c.is_whitespace())
        .to_owned()
}

/// The ASCII spelling of a Latin letter with diacritics (`é` → `e`); other characters as
/// they are.
fn transliterate(c: char) -> std::borrow::Cow<'static, str> {
    const TABLE: &[(&str, &str)] = &[
        ("ÀÁÂÃÄÅĀĂĄ", "A"),
        ("àáâãäåāăą", "a"),
        ("ÇĆĈĊČ", "C"),
        ("çćĉċč", "c"),
        ("ÐĎĐ", "D"),
        ("ðďđ", "d"),
        ("ÈÉÊËĒĔĖĘĚ", "E"),
        ("èéêëēĕėęě", "e"),
        ("ĜĞĠĢ", "G"),
        ("ĝğġģ", "g"),
        ("ĤĦ", "H"),
        ("ĥħ", "h"),
        ("ÌÍÎÏĨĪĬĮİ", "I"),
        ("ìíîïĩīĭįı", "i"),
        ("Ĵ", "J"),
        ("ĵ", "j"),
        ("Ķ", "K"),
        ("ķ", "k"),
        ("ĹĻĽĿŁ", "L"),
        ("ĺļľŀł", "l"),
        ("ÑŃŅŇ", "N"),
        ("ñńņňŉ", "n"),
        ("ÒÓÔÕÖØŌŎŐ", "O"),
        ("òóôõöøōŏő", "o"),
        ("ŔŖŘ", "R"),
        ("ŕŗř", "r"),
        ("ŚŜŞŠȘ", "S"),
        ("śŝşšș", "s"),
        ("ŢŤŦȚ", "T"),
        ("ţťŧț", "t"),
        ("ÙÚÛÜŨŪŬŮŰŲ", "U"),
        ("ùúûüũūŭůűų", "u"),
        ("Ŵ", "W"),
        ("ŵ", "w"),
        ("ÝŶŸ", "Y"),
        ("ýÿŷ", "y"),
        ("ŹŻŽ", "Z"),
        ("źżž", "z"),
        ("Æ", "AE"),
        ("æ", "ae"),
        ("Œ", "OE"),
        ("œ", "oe"),
        ("ß", "ss"),
        ("Þ", "Th"),
        ("þ", "th"),
    ];
    if c.is_ascii() {
        return c.to_string().into();
    }
    TABLE
        .iter()
        .find(|(from, _)| from.contains(c))
        .map_or_else(|| c.to_string().into(), |(_, to)| (*to).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names() {
        assert!(is_safe_name("5f1fe3e71ccc9f2f584a112a.docx"));
        assert!(is_safe_name("docbook-5f1fe3e71ccc9f2f584a112a.docx"));
        for bad in [
            "",
            "../x",
            "/etc/passwd",
            ".hidden",
            "a/b",
            "a\0b",
            "a..b",
            "a b",
        ] {
            assert!(!is_safe_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn stems() {
        assert_eq!(download_stem("DMP 945 – azotea"), "DMP_945_azotea");
        assert_eq!(download_stem("../../x"), "x");
        assert_eq!(
            download_stem("Plan de Carol: ñandú, café, 東京"),
            "Plan_de_Carol_nandu_cafe"
        );
        assert_eq!(download_stem_utf8("../a\\b\"c\n"), "a_b_c");
        assert_eq!(
            download_stem_utf8("Plan de Carol: ñandú, café, 東京"),
            "Plan de Carol_ ñandú, café, 東京"
        );
    }
}
